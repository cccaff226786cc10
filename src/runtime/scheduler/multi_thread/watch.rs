//! The watcher: one thread per multi-thread runtime that keeps a worker
//! stuck in a long poll (or in `block_in_place`) from stranding the timers
//! registered on its driver, and the shared epoll from going unwatched.
//!
//! The timers live in per-worker shards that any worker's driver turn
//! fires, and the sockets in the runtime's shared epoll, which a stuck
//! worker never holds; but if every other worker is busy (or asleep in its
//! own epoll while the stuck one last held the shared one), nobody may
//! turn them for a while. While some worker is awake, the watcher
//! looks at the awake workers every [`WATCH_INTERVAL`], and turns,
//! non-blocking and under a try-lock, the driver of one that has not turned
//! it itself for a whole interval. The wakes that turn dispatches come
//! from a thread that runs no tasks, so they go through the injection
//! queue and the idle protocol: a sleeping worker is woken to run them, or
//! a busy one takes them at its next look at the injection queue (every 8
//! polls). This holds whatever woke the stuck worker and whatever the other
//! workers do. Tasks queued on the stuck worker's run queue are stolen: the
//! watcher wakes a sleeping worker for them (none if one already searches).
//! A busy worker steals only once its own queue runs dry, so if nothing has
//! left the stuck worker's queue for a whole interval either, the watcher
//! moves half of it to the injection queue, which busy workers look at
//! every few polls (the rest at the next interval). A stuck worker that ran
//! short tasks until its poll, with an empty run queue, gets a sleeper
//! woken if the injection queue holds work: remote spawns wake nobody
//! while a worker runs short tasks (`Workers::notify_remote`), so they may
//! be waiting for it. Tasks pinned to the
//! stuck worker (`spawn_local`) can only run there, so they wait for it.
//!
//! # Sleeping
//!
//! With every worker asleep in `epoll_wait`, no driver can be stranded: once
//! [`QUIET_LOOKS`] looks in a row (10 ms) have found every worker asleep, the
//! watcher sleeps without a timeout, so an idle runtime has no periodic
//! wake-ups. A worker that leaves a blocking wait, for whatever reason (its
//! own timer or socket, a wake, a spawn), wakes the watcher if it sleeps so.
//! The few looks first are for servers whose workers all sleep between
//! requests (a connection per request): sleeping at the first quiet look
//! there cost a watcher wake-up, and a futex call by the waking worker,
//! each time a request ended such a pause, three times the interval's
//! count.
//! That is the store-buffering pattern, with a `SeqCst` fence on each side:
//! the watcher sets `asleep`, fences, then reads every worker's park state;
//! a worker clears its park state, fences, then reads `asleep`. At least one
//! sees the other's write: the watcher sees the worker awake and keeps
//! watching, or the worker sees the watcher asleep and unparks it (thread
//! parking keeps a token, so an unpark before the watcher's `park` is not
//! lost). The cost, while any worker is awake, is one wake-up of the
//! watcher per interval, and a clock read and a few loads per worker.
//!
//! # Priority
//!
//! The watcher runs at the lowest priority (nice 19). At the default one,
//! each of its wake-ups preempted whatever ran on that CPU (a worker, or
//! the server's client on a small machine): about 500 preemptions a second
//! under load, for a look that almost always finds nothing to do. At the
//! lowest it runs when a CPU comes free, which under load is within
//! microseconds (workers and clients block often), and with every CPU
//! busy spinning, within a scheduler time slice (a few milliseconds), which
//! the bound above then grows by.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed, Ordering::SeqCst, fence};
use std::thread::Thread;
use std::time::{Duration, Instant};

use crate::runtime::scheduler::Shared;
use crate::runtime::task::RawTask;

/// How long a worker may go without turning its own driver before the
/// watcher turns it: a bound on how late a stuck worker's I/O and timers
/// are served (plus one interval for the watcher to notice).
pub(crate) const WATCH_INTERVAL: Duration = Duration::from_millis(2);

/// How many looks in a row must find every worker asleep before the
/// watcher sleeps without a timeout (see "Sleeping" in the module docs).
const QUIET_LOOKS: u32 = 5;

/// The watcher's state shared with the workers.
#[derive(Debug, Default)]
pub(crate) struct Watcher {
    /// Set while the watcher sleeps without a timeout (it saw every worker
    /// asleep); the first worker to wake clears it and unparks the watcher.
    asleep: AtomicBool,
    /// The watcher's thread, once it has started.
    thread: OnceLock<Thread>,
}

impl Watcher {
    /// A worker left a blocking wait in its driver: wake the watcher if it
    /// sleeps without a timeout. The fence pairs with the one in
    /// [`run`] (see the module docs).
    pub(crate) fn worker_woke(&self) {
        fence(SeqCst);
        if self.asleep.load(Relaxed) && self.asleep.swap(false, Relaxed) {
            self.unpark();
        }
    }

    /// Wakes the watcher (a worker woke, or the runtime shuts down).
    pub(crate) fn unpark(&self) {
        if let Some(thread) = self.thread.get() {
            thread.unpark();
        }
    }
}

/// What the watcher remembers of one worker.
#[derive(Clone, Copy)]
struct Seen {
    /// The worker's turn count when last looked at.
    turns: u64,
    /// When the count was last seen to change (or the worker asleep).
    since: Instant,
    /// How many tasks had left its run queue when last looked at.
    taken: u32,
}

/// The watcher thread's loop, until the runtime has shut down and every
/// worker has exited (a worker may wait on its own driver until then).
pub(crate) fn run(shared: &Shared) {
    let workers = shared.workers.as_ref().expect("a multi-thread runtime");
    let watcher = &workers.watcher;
    let _ = watcher.thread.set(std::thread::current());
    let now = Instant::now();
    let mut seen = vec![
        Seen {
            turns: 0,
            since: now,
            taken: 0,
        };
        workers.remotes.len()
    ];
    // Looks in a row that found every worker asleep.
    let mut quiet_looks = 0;
    while !workers.is_shutdown() || workers.alive.load(Relaxed) > 0 {
        match look(shared, &mut seen) {
            Some(wait) => {
                quiet_looks = 0;
                std::thread::park_timeout(wait);
            }
            // Shutting down: a worker's exit unparks the watcher, but keep
            // a timeout rather than rely on the sleep protocol here.
            None if workers.is_shutdown() => std::thread::park_timeout(WATCH_INTERVAL),
            // Every worker asleep, but maybe only between two requests:
            // keep the cadence a little longer, so that the next worker to
            // wake need not wake the watcher too.
            None if quiet_looks < QUIET_LOOKS => {
                quiet_looks += 1;
                std::thread::park_timeout(WATCH_INTERVAL);
            }
            None => {
                watcher.asleep.store(true, Relaxed);
                fence(SeqCst);
                let all_parked = workers.remotes.iter().all(|r| r.handle.park.is_parked());
                if all_parked && !workers.is_shutdown() {
                    std::thread::park();
                }
                watcher.asleep.store(false, Relaxed);
                // Whatever the workers did meanwhile is news: count quiet
                // time from now.
                let now = Instant::now();
                for s in &mut seen {
                    s.since = now;
                }
            }
        }
    }
}

/// Looks at every awake worker, turning the driver of any that is stuck.
/// Returns how long to wait before the next look, or `None` if every
/// worker is asleep.
///
/// The cadence is fixed: one look per [`WATCH_INTERVAL`] while any worker
/// is awake, whatever timers are due. Chasing each due timer of a busy
/// worker (one that turns its driver only every `event_interval` polls)
/// cost a watcher wake-up per timer, and each one preempts a worker when
/// the runtime has fewer CPUs than threads. A stuck worker's timers are
/// therefore served at most about two intervals late.
fn look(shared: &Shared, seen: &mut [Seen]) -> Option<Duration> {
    let workers = shared.workers.as_ref().expect("a multi-thread runtime");
    let mut any_awake = false;
    let now = Instant::now();
    for (remote, seen) in workers.remotes.iter().zip(seen.iter_mut()) {
        let turns = remote.turns.load(Relaxed);
        let taken = std::mem::replace(&mut seen.taken, remote.steal.taken());
        if remote.handle.park.is_parked() || turns != seen.turns {
            seen.turns = turns;
            seen.since = now;
            if remote.handle.park.is_parked() {
                continue;
            }
        }
        any_awake = true;
        if now.saturating_duration_since(seen.since) < WATCH_INTERVAL {
            continue;
        }
        if let Ok(mut driver) = remote.driver.try_lock()
            && let Some(driver) = driver.as_mut()
        {
            // An error here is the owner's to report: it turns the same
            // epoll descriptor.
            let _ = driver.turn(Some(Duration::ZERO));
            workers
                .io
                .keep_watched(workers.remotes.iter().map(|r| &*r.handle));
        }
        if remote.steal.is_empty() {
            // Remote work may have waited for this worker, which ran short
            // tasks until this poll (`Workers::notify_remote`).
            if remote.runs_short.load(Relaxed) && !shared.inject.is_empty() {
                workers.notify_parked();
            }
            continue;
        }
        if taken == seen.taken {
            // Nothing left its queue for a whole interval: stuck in one
            // poll. Hand half of what waits behind it to the injection
            // queue, which busy workers look at every few polls (they
            // steal only once their own queue runs dry); the rest next
            // interval. A worker merely slow to turn its driver (long
            // polls) keeps its queue.
            let stranded = remote.steal.steal_half();
            seen.taken = remote.steal.taken();
            let moved = shared
                .inject
                .push_woken_batch(stranded.into_iter().map(RawTask::from_addr));
            if let Err(rejected) = moved {
                // Shutting down: the owned list cancels them.
                rejected.into_iter().for_each(RawTask::drop_ref);
            }
        }
        // Stuck with tasks queued behind the poll: a sleeper takes them
        // (none is woken if a worker already searches).
        workers.notify_parked();
    }
    any_awake.then_some(WATCH_INTERVAL)
}
