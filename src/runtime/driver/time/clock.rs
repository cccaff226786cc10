//! The runtime's clock: what every deadline of its timers counts from.
//!
//! Without the `test-util` feature it is the OS's monotonic clock and
//! nothing else. With it, the clock can be paused (`time::pause`): it then
//! stands still until advanced, by hand (`time::advance`) or automatically
//! when the runtime has nothing to do but wait for a timer. After `resume`
//! it runs again at the OS clock's rate, from where it stood.
//!
//! # Automatic advance
//!
//! A runtime thread that is about to sleep asks [`Clock::auto_advance`]
//! whether it may jump the clock to the earliest timer. It may when the
//! clock is paused, automatic advance is on, every other thread of the
//! runtime sleeps with nothing pending, and no real work is in flight: a
//! blocking-pool job (which includes `fs` operations), a child process
//! being waited for, or a reply awaited from a local peer (a socket to a
//! loopback or Unix address that sent data since it last received, with a
//! reader waiting; for at most [`REPLY_GRACE`] of real time, so a peer that
//! never answers cannot hang the test). Each of those would end with a wake
//! at a real instant that the jump would skip.
//!
//! Only one thread jumps: the last of the runtime's threads to go to sleep
//! (`awake` falls to 0). On the multi-thread runtime it also checks that
//! no peer's epoll has events waiting and no peer has been unparked, so an
//! event the kernel has delivered but a peer has not yet taken still holds
//! the clock.

use std::time::Instant;
#[cfg(feature = "test-util")]
use std::{
    sync::{
        Arc, Mutex, PoisonError, Weak,
        atomic::{AtomicBool, AtomicUsize, Ordering::*},
    },
    time::Duration,
};

#[cfg(feature = "test-util")]
use crate::runtime::driver;

/// How long a socket that sent to a local peer holds the paused clock while
/// it waits for the reply.
#[cfg(feature = "test-util")]
pub(crate) const REPLY_GRACE: Duration = Duration::from_secs(1);

/// How far past its start `time::advance` may move a runtime's clock. The
/// timer queue counts `u64` nanoseconds from the start (about 584 years);
/// beyond that every deadline would compare equal to now and fire early.
/// 500 years leaves room for a far-future deadline (about 30 years) set at
/// the limit.
#[cfg(feature = "test-util")]
const MAX_PAUSED_SPAN: Duration = Duration::from_secs(500 * 365 * 86_400);

/// One runtime's clock, shared by all of its drivers.
#[derive(Debug)]
pub(crate) struct Clock {
    /// Queue time 0 of every driver of the runtime: their deadlines compare.
    pub(crate) origin: Instant,
    #[cfg(feature = "test-util")]
    test: TestClock,
}

#[cfg(feature = "test-util")]
#[derive(Debug)]
struct TestClock {
    /// Set once the clock was ever paused: `now` then takes the lock. The
    /// OS clock is read directly until then.
    moved: AtomicBool,
    /// Paused (a relaxed mirror of `state.paused`, for the drivers' waits).
    paused: AtomicBool,
    state: Mutex<State>,
    /// Blocking-pool jobs and waited-for children in flight.
    in_flight: AtomicUsize,
    /// Runtime threads (workers, `block_on` threads) not asleep.
    awake: AtomicUsize,
    /// Bumped by every change of `awake` and every jump: a check that saw
    /// the same value before and after saw no thread come and go (one that
    /// woke, armed a timer and slept again would leave `awake` at 0).
    epoch: std::sync::atomic::AtomicU64,
    /// Every driver of the runtime, for the next deadline, the fire after a
    /// jump, and the multi-thread quiet check.
    drivers: Mutex<Vec<Weak<driver::Handle>>>,
}

#[cfg(feature = "test-util")]
#[derive(Debug)]
struct State {
    paused: bool,
    /// Paused: the reading. Running: the reading at `since`.
    base: Instant,
    /// When the clock last started running (OS clock).
    since: Instant,
    /// Jump to the next timer when the runtime is idle.
    auto_advance: bool,
}

impl Clock {
    /// `paused`: start paused (`Builder::start_paused`); `auto_advance`:
    /// whether an idle paused runtime jumps to its next timer.
    #[cfg_attr(not(feature = "test-util"), allow(unused_variables))]
    pub(crate) fn new(paused: bool, auto_advance: bool) -> Clock {
        let origin = Instant::now();
        Clock {
            origin,
            #[cfg(feature = "test-util")]
            test: TestClock {
                moved: AtomicBool::new(paused),
                paused: AtomicBool::new(paused),
                state: Mutex::new(State {
                    paused,
                    base: origin,
                    since: origin,
                    auto_advance,
                }),
                in_flight: AtomicUsize::new(0),
                awake: AtomicUsize::new(0),
                epoch: std::sync::atomic::AtomicU64::new(0),
                drivers: Mutex::default(),
            },
        }
    }

    /// The clock's reading.
    #[inline]
    pub(crate) fn now(&self) -> Instant {
        #[cfg(feature = "test-util")]
        if self.test.moved.load(Acquire) {
            return self.state().now();
        }
        Instant::now()
    }

    /// Whether the clock stands still: timers wait for an advance, not for
    /// the OS clock.
    #[inline]
    pub(crate) fn is_paused(&self) -> bool {
        #[cfg(feature = "test-util")]
        return self.test.paused.load(Relaxed);
        #[cfg(not(feature = "test-util"))]
        false
    }
}

#[cfg(feature = "test-util")]
impl State {
    fn now(&self) -> Instant {
        if self.paused {
            self.base
        } else {
            self.base + self.since.elapsed()
        }
    }
}

/// The outcome of [`Clock::auto_advance`].
#[cfg(feature = "test-util")]
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Advance {
    /// Not paused, or automatic advance is off: sleep as usual.
    Off,
    /// Jumped to the next timer and fired it: do not sleep.
    Jumped,
    /// Something else must happen first: sleep until a wake, or at most
    /// this long of real time (a reply grace running out).
    Wait(Option<Duration>),
}

#[cfg(feature = "test-util")]
impl Clock {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.test
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// `time::pause`. Panics if already paused.
    #[track_caller]
    pub(crate) fn pause(&self) {
        let mut st = self.state();
        assert!(
            !st.paused,
            "time is already frozen (`time::pause` called twice)"
        );
        st.base = st.now();
        st.paused = true;
        self.test.moved.store(true, Release);
        self.test.paused.store(true, Relaxed);
    }

    /// `time::resume`. Panics if not paused.
    #[track_caller]
    pub(crate) fn resume(&self) {
        let mut st = self.state();
        assert!(
            st.paused,
            "time is not frozen (`time::resume` without `time::pause`)"
        );
        st.paused = false;
        st.since = Instant::now();
        self.test.paused.store(false, Relaxed);
        drop(st);
        // Timers now wait on the OS clock again: the sleeping threads must
        // recompute their waits.
        self.each_driver(|d| d.unpark());
    }

    /// Moves the paused clock forward by `by`. Panics if not paused.
    #[track_caller]
    pub(crate) fn advance(&self, by: Duration) {
        let mut st = self.state();
        assert!(
            st.paused,
            "time is not frozen: `time::advance` needs `time::pause` (or `start_paused`) first"
        );
        st.base = st
            .base
            .checked_add(by)
            .filter(|to| to.saturating_duration_since(self.origin) <= MAX_PAUSED_SPAN)
            .expect(
                "`time::advance` overflows the clock: paused time may move at most 500 years \
                 past the runtime's start",
            );
        drop(st);
        self.fire_all();
    }

    /// Moves the paused clock to `to` if that is later. Panics if not paused.
    fn advance_to(&self, to: Instant) {
        let mut st = self.state();
        assert!(st.paused, "time is not frozen");
        if to > st.base {
            st.base = to;
        }
    }

    pub(crate) fn set_auto_advance(&self, on: bool) {
        self.state().auto_advance = on;
        if on {
            self.each_driver(|d| d.unpark());
        }
    }

    /// The earliest deadline queued on any of the runtime's drivers.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        let mut next = None::<Instant>;
        self.each_driver(|d| {
            if let Some(at) = d.time.next_instant() {
                next = Some(next.map_or(at, |n| n.min(at)));
            }
        });
        next
    }

    /// Jumps the paused clock to the earliest timer and fires it; returns
    /// its deadline (`None`: no timer, nothing moved). Panics if not paused.
    #[track_caller]
    pub(crate) fn advance_to_next_timer(&self) -> Option<Instant> {
        assert!(
            self.state().paused,
            "time is not frozen: `time::advance_to_next_timer` needs `time::pause` first"
        );
        let next = self.next_deadline()?;
        self.advance_to(next);
        self.fire_all();
        Some(next)
    }

    /// Fires what is due on every driver (after the clock moved).
    fn fire_all(&self) {
        let mut wakers = Vec::new();
        self.each_driver(|d| d.time.fire_expired(&mut wakers));
    }

    /// Registers a driver of this runtime.
    pub(crate) fn add_driver(&self, driver: &Arc<driver::Handle>) {
        let mut drivers = self
            .test
            .drivers
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        drivers.retain(|d| d.strong_count() > 0);
        drivers.push(Arc::downgrade(driver));
    }

    fn each_driver(&self, mut f: impl FnMut(&driver::Handle)) {
        let drivers: Vec<_> = self
            .test
            .drivers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .filter_map(Weak::upgrade)
            .collect();
        for d in &drivers {
            f(d);
        }
    }

    /// A runtime thread starts running (or wakes).
    pub(crate) fn thread_awake(&self) {
        self.test.awake.fetch_add(1, AcqRel);
        self.test.epoch.fetch_add(1, AcqRel);
    }

    /// A runtime thread stops running (or goes to sleep); returns whether
    /// it was the last one awake.
    pub(crate) fn thread_asleep(&self) -> bool {
        let last = self.test.awake.fetch_sub(1, AcqRel) == 1;
        self.test.epoch.fetch_add(1, AcqRel);
        last
    }

    /// Real work began that ends with a wake at a real instant: the paused
    /// clock does not jump until the guard drops. `unpark`: the driver to
    /// wake when the last such work ends, so that an idle runtime looks at
    /// its timers again.
    pub(crate) fn in_flight(self: &Arc<Self>, unpark: Arc<driver::Handle>) -> InFlight {
        self.test.in_flight.fetch_add(1, AcqRel);
        InFlight {
            clock: self.clone(),
            unpark,
        }
    }

    /// Called by the last runtime thread going to sleep, after a
    /// non-blocking look at its own driver found nothing to run (`me`: its
    /// driver). Jumps the paused clock to the next timer and fires it if
    /// the whole runtime is idle.
    pub(crate) fn auto_advance(&self, me: &driver::Handle) -> Advance {
        if !self.is_paused() || !self.state().auto_advance {
            return Advance::Off;
        }
        let epoch = self.test.epoch.load(Acquire);
        if self.test.in_flight.load(Acquire) > 0 {
            return Advance::Wait(None);
        }
        let mut quiet = true;
        let mut recheck = None::<Duration>;
        self.each_driver(|d| {
            if !std::ptr::eq(d, me) && (d.park.is_notified() || d.io.has_events_waiting()) {
                quiet = false;
            }
            if let Some(left) = d.io.awaited_reply(REPLY_GRACE) {
                quiet = false;
                recheck = Some(recheck.map_or(left, |r| r.min(left)));
            }
        });
        if !quiet {
            return Advance::Wait(recheck);
        }
        let Some(next) = self.next_deadline() else {
            // No timer: nothing to jump to; a wake will come from elsewhere
            // (or never, as on a runtime with the clock running).
            return Advance::Wait(None);
        };
        {
            let mut st = self.state();
            // A thread that woke meanwhile (even if asleep again) holds the
            // clock: it will be the last to sleep again, and look itself.
            if self.test.awake.load(Acquire) != 0
                || self.test.epoch.load(Acquire) != epoch
                || !st.paused
            {
                return Advance::Wait(None);
            }
            if next > st.base {
                st.base = next;
            }
            // A check in progress elsewhere saw the clock before this jump.
            self.test.epoch.fetch_add(1, AcqRel);
        }
        self.fire_all();
        Advance::Jumped
    }
}

#[cfg(feature = "test-util")]
thread_local! {
    /// The hold of the blocking-pool job this thread just ran, released
    /// once the job's task has completed and woken its waiter.
    static JOB_HOLD: std::cell::Cell<Option<InFlight>> = const { std::cell::Cell::new(None) };
}

/// Called at the end of a blocking-pool job's closure: keeps `hold` until
/// [`job_done`], so that the clock cannot jump between the closure's end
/// and the wake of whoever awaits its result.
#[cfg(feature = "test-util")]
pub(crate) fn hold_until_job_done(hold: InFlight) {
    JOB_HOLD.with(|h| h.set(Some(hold)));
}

/// A blocking-pool thread finished running a job's task.
#[cfg(feature = "test-util")]
pub(crate) fn job_done() {
    drop(JOB_HOLD.with(std::cell::Cell::take));
}

/// Real work in flight (see [`Clock::in_flight`]).
#[cfg(feature = "test-util")]
#[derive(Debug)]
pub(crate) struct InFlight {
    clock: Arc<Clock>,
    unpark: Arc<driver::Handle>,
}

#[cfg(feature = "test-util")]
impl Drop for InFlight {
    fn drop(&mut self) {
        if self.clock.test.in_flight.fetch_sub(1, AcqRel) == 1 && self.clock.is_paused() {
            self.unpark.unpark();
        }
    }
}

/// Whether a stream awaits a reply from a local peer (see the module docs):
/// kept on each registration, set by a write, cleared by a read.
#[cfg(feature = "test-util")]
#[derive(Debug, Default)]
pub(crate) struct ReplyWatch {
    /// 0: no reply awaited; else when the data went out (real nanoseconds
    /// since `real_origin`, plus one).
    sent_at: std::sync::atomic::AtomicU64,
    /// The peer: 0 not looked at yet, 1 local, 2 elsewhere (or no socket).
    peer: std::sync::atomic::AtomicU8,
}

#[cfg(feature = "test-util")]
fn real_nanos() -> u64 {
    static ORIGIN: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    let origin = *ORIGIN.get_or_init(Instant::now);
    u64::try_from(origin.elapsed().as_nanos()).unwrap_or(u64::MAX - 1) + 1
}

#[cfg(feature = "test-util")]
impl ReplyWatch {
    /// Data went out on `fd`.
    pub(crate) fn sent(&self, fd: std::os::fd::BorrowedFd<'_>) {
        let mut peer = self.peer.load(Relaxed);
        if peer == 0 {
            peer = if is_local_peer(fd) { 1 } else { 2 };
            self.peer.store(peer, Relaxed);
        }
        if peer == 1 {
            self.sent_at.store(real_nanos(), Relaxed);
        }
    }

    /// Data (or the end of it) came in.
    pub(crate) fn received(&self) {
        if self.sent_at.load(Relaxed) != 0 {
            self.sent_at.store(0, Relaxed);
        }
    }

    /// How much longer the awaited reply holds the clock, if it does.
    pub(crate) fn holds(&self, grace: Duration) -> Option<Duration> {
        let sent = self.sent_at.load(Relaxed);
        if sent == 0 {
            return None;
        }
        let waited = Duration::from_nanos(real_nanos().saturating_sub(sent));
        grace.checked_sub(waited).filter(|left| !left.is_zero())
    }
}

/// Whether `fd` is a socket connected to this machine: a Unix socket, or an
/// IP socket whose peer is a loopback address.
#[cfg(feature = "test-util")]
fn is_local_peer(fd: std::os::fd::BorrowedFd<'_>) -> bool {
    let Ok(peer) = socket2::SockRef::from(&fd).peer_addr() else {
        return false;
    };
    if peer.is_unix() {
        return true;
    }
    match peer.as_socket() {
        Some(std::net::SocketAddr::V4(a)) => a.ip().is_loopback(),
        Some(std::net::SocketAddr::V6(a)) => {
            a.ip().is_loopback() || a.ip().to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
        None => false,
    }
}
