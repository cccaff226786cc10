//! What the scheduler parks on: the epoll [`Selector`](epoll::Selector),
//! the runtime's eventfd (`unpark.rs`), the I/O registrations (`io.rs`) and
//! the timer queue (`time/`), whose earliest deadline bounds every wait. The
//! driver knows nothing of tasks: it only hands out wakes.

pub(crate) mod epoll;
pub(crate) mod io;
pub(crate) mod park;
pub(crate) mod scheduled_io;
pub(crate) mod sleeper;
pub(crate) mod time;
pub(crate) mod unpark;

use std::os::fd::{AsFd, OwnedFd};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::task::Waker;
use std::time::Duration;

use epoll::Selector;
use park::ParkState;
use sleeper::SleeperRole;
use time::TimeHandle;
use unpark::Unparker;

/// The token of the runtime's eventfd; no registration ever gets it.
pub(crate) const UNPARK_TOKEN: u64 = u64::MAX;

/// The shared half of a driver: what timers, I/O objects and other threads
/// reach (register, deregister, wake the thread that turns it).
#[derive(Debug)]
pub(crate) struct Handle {
    /// The timers. A multi-thread worker's are one shard of the runtime's
    /// (see [`SharedIo`]): any worker may fire them.
    pub(crate) time: Arc<TimeHandle>,
    /// The I/O registrations.
    pub(crate) io: Arc<io::Registry>,
    /// Whether the driver's thread is parked (see `park.rs`).
    pub(crate) park: ParkState,
    /// The eventfd that ends a parked `epoll_wait`.
    pub(crate) unparker: Unparker,
    /// A multi-thread worker's: the runtime's shared epoll, whose eventfd
    /// wakes this worker while it sleeps there.
    shared_io: Option<Arc<SharedIo>>,
    /// Whether a socket registered through this driver sent something since
    /// the current-thread runtime's last park: a peer that is answered
    /// within microseconds is then worth a spin (see `Core::spin_for_io`).
    sent: AtomicBool,
}

impl Handle {
    /// A registered socket sent data (see [`Handle::sent`]). Loads first:
    /// on a multi-thread runtime nobody clears it, so the line stays shared.
    pub(crate) fn note_sent(&self) {
        if !self.sent.load(Relaxed) {
            self.sent.store(true, Relaxed);
        }
    }

    /// Whether a registered socket sent data since the last call.
    pub(crate) fn take_sent(&self) -> bool {
        self.sent.load(Relaxed) && self.sent.swap(false, Relaxed)
    }

    /// Wakes the thread that turns this driver, if it is parked, after the
    /// caller published work for it (a new earliest timer, a queued task).
    /// Nothing is needed on that thread itself: it looks at its timers and
    /// queues before it parks.
    pub(crate) fn unpark(&self) {
        if crate::runtime::context::turns_driver(self) {
            return;
        }
        match self.park.notify() {
            Some(park::Sleeper::Own) => self.unparker.unpark(),
            Some(park::Sleeper::Shared) => {
                if let Some(shared) = &self.shared_io {
                    shared.unparker.unpark();
                }
            }
            None => {}
        }
    }

    /// A timer of this driver became its earliest (a new `Sleep`, or one
    /// moved sooner): wake whoever sleeps bounded by this driver's timers.
    /// That is this driver's thread, except on a multi-thread runtime,
    /// whose timers bound only the wait of the worker asleep in the shared
    /// epoll.
    ///
    /// With the clock paused no wait is bounded by a timer; the new timer
    /// is news for the auto-advance instead (`time/clock.rs`), which counts
    /// a notified driver as busy: it wakes this driver's thread, as on the
    /// current-thread runtime.
    pub(crate) fn unpark_for_timer(&self) {
        match &self.shared_io {
            Some(shared) if !self.time.clock.is_paused() => shared.wake_sleeper(),
            _ => self.unpark(),
        }
    }
}

/// The owned half of a driver: the epoll instance, turned by one thread.
#[derive(Debug)]
pub(crate) struct Driver {
    /// The own epoll: the eventfd, and the descriptors unless they live in
    /// `shared`.
    selector: Selector,
    handle: Arc<Handle>,
    /// Expired timers' wakers, woken after the queue's lock is released;
    /// kept to reuse its allocation.
    expired: Vec<Waker>,
    /// Ready I/O's wakers, woken after the registry's lock is released;
    /// kept to reuse its allocation.
    io_wakers: Vec<Waker>,
    /// A multi-thread worker's: the runtime's epoll of descriptors.
    shared: Option<WorkerIo>,
    /// Whether the last turn that looked at epoll took a descriptor's event
    /// (not only the eventfd's): the current-thread runtime's I/O spin.
    took_io: bool,
}

/// A worker driver's hold on the runtime's [`SharedIo`].
#[derive(Debug)]
struct WorkerIo {
    io: Arc<SharedIo>,
    /// The shared epoll. Only the drivers hold it (beside the registry,
    /// until its shutdown), so it closes with them, at shutdown.
    ep: Arc<OwnedFd>,
}

/// What the workers of a multi-thread runtime share of the one epoll
/// instance that holds every descriptor, as tokio's I/O driver: at most one
/// worker sleeps in it at a time (the one that took `sleeper`), the others
/// in their own epolls, which hold only their eventfds; a busy worker (or
/// the watcher) takes its events without blocking, into its own buffer
/// (epoll hands each event to one caller). A sleeping worker is woken
/// through `unparker`, registered in the epoll (see `park.rs`'s `SHARED`).
///
/// So a socket's events go to whichever worker is free, and a worker stuck
/// in a long poll holds none of them: it never sleeps while it runs a task.
///
/// The timers, too, are the runtime's: one shard per worker (a `Sleep`
/// registers in the shard of the worker it is polled on, so inserts and
/// removals seldom meet another thread), and every driver turn of any
/// worker fires what is due in all of them. Only the worker asleep in the
/// shared epoll bounds its wait by them, so a quiet runtime wakes one
/// thread per deadline, not one per worker that holds timers; a worker
/// asleep in its own epoll waits for a wake alone. A new earliest timer
/// writes the shared eventfd if a worker sleeps there ([`wake_sleeper`]);
/// if none does, some worker is awake and fires it at its next turn (or
/// is about to sleep there and reads the shards after taking the role).
///
/// [`wake_sleeper`]: SharedIo::wake_sleeper
#[derive(Debug)]
pub(crate) struct SharedIo {
    registry: Arc<io::Registry>,
    /// Every worker's timers, by worker index.
    timers: Box<[Arc<TimeHandle>]>,
    unparker: Unparker,
    /// Held by the worker that sleeps (or is about to) in the epoll: taken
    /// with a compare-exchange, never waited for (`sleeper.rs`).
    sleeper: SleeperRole,
}

impl SharedIo {
    /// Creates the epoll instance, its eventfd and `workers` timer shards;
    /// returns the epoll for the workers' drivers
    /// ([`Driver::with_shared_io`]).
    pub(crate) fn new(
        workers: usize,
        clock: &Arc<time::Clock>,
    ) -> std::io::Result<(Arc<SharedIo>, Arc<OwnedFd>)> {
        let ep = Arc::new(crate::sys::epoll_create()?);
        let unparker = Unparker::new()?;
        if let Some(fd) = &*unparker.fd() {
            // Edge-triggered, as a driver's own: a stale edge costs one
            // early return, never a busy loop.
            crate::sys::epoll_add(
                &*ep,
                fd.as_fd(),
                (libc::EPOLLIN | libc::EPOLLET) as u32,
                UNPARK_TOKEN,
            )?;
        }
        let io = SharedIo {
            registry: Arc::new(io::Registry::new(ep.clone())),
            timers: (0..workers)
                .map(|_| Arc::new(TimeHandle::new(clock.clone())))
                .collect(),
            unparker,
            sleeper: SleeperRole::new(),
        };
        Ok((Arc::new(io), ep))
    }

    /// Fails every registration and closes the eventfd (shutdown, once no
    /// worker can turn a driver), not with the last handle that holds
    /// this; the epoll closes with the drivers.
    pub(crate) fn close(&self) {
        self.registry.shutdown();
        self.unparker.close();
    }

    /// Wakes the worker asleep in the shared epoll, if any, to bound its
    /// wait by a new earliest timer, which this thread inserted under its
    /// shard's lock (the handshake in `sleeper.rs`).
    fn wake_sleeper(&self) {
        if self.sleeper.is_taken() {
            self.unparker.unpark();
        }
    }

    /// The wait of a worker about to sleep in the shared epoll: `timeout`
    /// shortened to the earliest deadline of every shard.
    fn wait_timeout(&self, timeout: Option<Duration>) -> Option<Duration> {
        self.timers
            .iter()
            .fold(timeout, |wait, timers| timers.wait_timeout(wait))
    }

    /// Fires what is due in every shard.
    fn fire_expired(&self, wakers: &mut Vec<Waker>) {
        for timers in &self.timers {
            timers.fire_expired(wakers);
        }
    }

    /// For a thread that took the epoll's events without being about to
    /// sleep in it (the watcher): a worker may have parked in its own epoll
    /// while another one was about to sleep in the shared one and then did
    /// not. If nobody sleeps in the shared epoll now, wake such a worker to
    /// take that place; else a quiet runtime would leave the descriptors
    /// unwatched.
    pub(crate) fn keep_watched<'a>(&self, drivers: impl Iterator<Item = &'a Handle>) {
        if self.sleeper.is_taken() {
            return;
        }
        if let Some(sleeper) = drivers.into_iter().find(|h| h.park.is_parked_own()) {
            sleeper.unpark();
        }
    }
}

impl Driver {
    /// Creates the epoll instance and the eventfd, and registers the latter.
    pub(crate) fn new(clock: Arc<time::Clock>) -> std::io::Result<Driver> {
        Driver::build(None, Arc::new(TimeHandle::new(clock)))
    }

    /// Worker `index`'s driver: its descriptors live in `io`, its timers
    /// are `io`'s shard `index`, its own epoll holds only its eventfd.
    pub(crate) fn with_shared_io(
        io: &Arc<SharedIo>,
        ep: Arc<OwnedFd>,
        index: usize,
    ) -> std::io::Result<Driver> {
        let time = io.timers[index].clone();
        let mut driver = Driver::build(Some(io.clone()), time)?;
        driver.shared = Some(WorkerIo { io: io.clone(), ep });
        Ok(driver)
    }

    fn build(shared: Option<Arc<SharedIo>>, time: Arc<TimeHandle>) -> std::io::Result<Driver> {
        let unparker = Unparker::new()?;
        let selector = Selector::new()?;
        if let Some(fd) = &*unparker.fd() {
            // Edge-triggered: every write is an edge, so the counter never
            // needs draining on the wake path.
            selector.add(
                fd.as_fd(),
                (libc::EPOLLIN | libc::EPOLLET) as u32,
                UNPARK_TOKEN,
            )?;
        }
        let handle = Arc::new(Handle {
            time,
            io: match &shared {
                Some(shared) => shared.registry.clone(),
                None => Arc::new(io::Registry::new(selector.shared_fd())),
            },
            shared_io: shared,
            park: ParkState::new(),
            unparker,
            sent: AtomicBool::new(false),
        });
        #[cfg(feature = "test-util")]
        handle.time.clock.add_driver(&handle);
        Ok(Driver {
            selector,
            handle,
            io_wakers: Vec::new(),
            expired: Vec::new(),
            shared: None,
            took_io: false,
        })
    }

    /// The shared half.
    pub(crate) fn handle(&self) -> &Arc<Handle> {
        &self.handle
    }

    /// Whether the last turn that looked at epoll took an event of a
    /// registered descriptor.
    pub(crate) fn took_io(&self) -> bool {
        self.took_io
    }

    /// Waits for events up to `timeout` (`None`: until an event or unpark),
    /// never past the earliest timer, then dispatches I/O events and fires
    /// expired timers.
    pub(crate) fn turn(&mut self, timeout: Option<Duration>) -> std::io::Result<()> {
        if timeout == Some(Duration::ZERO) && !self.handle.io.has_registrations() {
            // A non-blocking look with no descriptors registered could only
            // see the eventfd, whose wakes the scheduler already finds in its
            // injection queue: spare the system call.
            self.fire_expired();
            return Ok(());
        }
        self.dispatch(timeout)
    }

    /// Fires what is due: this driver's timers, or a worker's every
    /// shard.
    fn fire_expired(&mut self) {
        match &self.shared {
            None => self.handle.time.fire_expired(&mut self.expired),
            Some(WorkerIo { io, .. }) => io.fire_expired(&mut self.expired),
        }
    }

    /// Waits up to `timeout`, in the own epoll or, for a worker, the shared
    /// one, then dispatches I/O events and fires expired timers. The wait
    /// never passes the earliest timer, except a worker's in its own epoll:
    /// the timers are the shared epoll's sleeper's to wait for.
    fn dispatch(&mut self, timeout: Option<Duration>) -> std::io::Result<()> {
        let handle = &*self.handle;
        // Whether a look took the events of the shared epoll without
        // sleeping in it.
        let mut looked = None;
        match &self.shared {
            None => self.selector.select(handle.time.wait_timeout(timeout))?,
            Some(WorkerIo { io, ep }) if timeout == Some(Duration::ZERO) => {
                self.selector.select_on(ep.as_fd(), timeout)?;
                looked = Some(io);
            }
            Some(WorkerIo { io, ep }) => {
                // Parked (announced) before taking the role: the watcher
                // sees this worker parked or this worker sees the role free
                // (`sleeper.rs`). Sleep in the shared epoll if no other
                // worker does and no wake has come since this one parked;
                // else in the own epoll, which holds only the eventfd.
                let shared = io.sleeper.try_take();
                if shared && handle.park.sleep_shared() {
                    io.sleeper.taken_now_read_timers();
                    let wait = io.wait_timeout(timeout);
                    let waited = self.selector.select_on(ep.as_fd(), wait);
                    io.sleeper.release();
                    waited?;
                } else {
                    if shared {
                        io.sleeper.release();
                    }
                    self.selector.select(timeout)?;
                }
            }
        }
        let mut unpark = false;
        let mut took_io = false;
        let events = self.selector.events().filter(|&(token, _)| {
            // The unpark token's only job was to end the wait.
            unpark |= token == UNPARK_TOKEN;
            took_io |= token != UNPARK_TOKEN;
            token != UNPARK_TOKEN
        });
        handle.io.dispatch(events, &mut self.io_wakers);
        self.took_io = took_io;
        if let Some(io) = looked
            && unpark
            && io.sleeper.is_taken_now()
        {
            // The look took the edge that wakes the worker asleep in the
            // shared epoll: write it again.
            io.unparker.unpark();
        }
        self.fire_expired();
        Ok(())
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // Withdraw the epoll descriptor from the registry before the
        // selector closes it (fields drop after this). A shared registry is
        // the runtime's to shut down.
        if self.shared.is_none() {
            self.handle.io.shutdown();
        }
    }
}
