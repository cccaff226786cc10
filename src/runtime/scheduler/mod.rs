//! The schedulers, and what both flavors share: [`Shared`] (the part of a
//! runtime any thread reaches), how a woken task is queued ([`schedule`]),
//! spawning ([`spawn`]), deferring a task behind the driver ([`defer`]),
//! waiting for a future on a thread that does not drive the runtime
//! ([`park_on`]), and the timer slack of a running runtime.
//!
//! `current_thread.rs` holds [`Core`], the state of one thread that runs
//! tasks, and the tick loop and park policy every such thread follows: the
//! current-thread runtime's `block_on`, and each worker of the multi-thread
//! flavor (`multi_thread/`), which adds a stealable run queue, the idle
//! protocol and the watch over other workers' drivers.

pub(crate) mod current_thread;
pub(crate) mod handoff;
pub(crate) mod inject;
pub(crate) mod local;
pub(crate) mod multi_thread;

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

pub(crate) use current_thread::Core;

use crate::runtime::blocking::{BlockingPool, BlockingTask, PoolConfig};
use crate::runtime::context;
use crate::runtime::driver;
use crate::runtime::metrics::Metrics;
use crate::runtime::task::{JoinHandle, RawTask, new_task};
use current_thread::ParkedCore;
use handoff::Handoff;
use inject::{Entry, Inject};

/// The injection queue holds a task as its header's address.
impl Entry for RawTask {
    fn into_addr(self) -> std::num::NonZeroUsize {
        self.addr()
    }
    fn from_addr(addr: std::num::NonZeroUsize) -> RawTask {
        RawTask::from_addr(addr)
    }
}

/// Settings the scheduler reads on every tick.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    /// Task polls between two non-blocking turns of the driver.
    pub(crate) event_interval: u32,
    /// The longest spin before sleeping (zero: never spin).
    pub(crate) max_spin: Duration,
    /// The blocking pool's settings.
    pub(crate) pool: PoolConfig,
    /// The runtime's clock, shared by all of its drivers.
    pub(crate) clock: Arc<driver::time::Clock>,
    /// `Builder::name`'s name, for `Handle::name`.
    pub(crate) name: Option<Arc<str>>,
    /// This runtime's id, for `Handle::id` (the same in a multi-thread
    /// runtime's pinned halves, which copy the config).
    pub(crate) id: crate::runtime::Id,
}

/// The part of a runtime that any thread may reach: through a `Handle`, a
/// task's header, a waker.
///
/// A current-thread runtime has one. A multi-thread runtime has one for its
/// `Send` tasks (with `workers` set), and each worker has one more for the
/// tasks pinned to it by `spawn_local`: a pinned task's header points to its
/// worker's, so its wakes can only ever queue it on that worker. So does
/// each thread's home of local tasks (`local.rs`), on either flavor.
#[derive(Debug)]
pub(crate) struct Shared {
    /// Tasks woken or spawned from threads that do not run them.
    pub(crate) inject: Inject<RawTask>,
    /// The `spawn_blocking` threads.
    blocking: BlockingPool,
    /// The driver the runtime thread turns (multi-thread: worker 0's; I/O
    /// and timers register through [`Shared::registration_driver`]).
    pub(crate) driver: Arc<driver::Handle>,
    /// The counters behind `RuntimeMetrics` (shared by a multi-thread
    /// runtime with its workers' pinned halves).
    pub(crate) metrics: Arc<Metrics>,
    /// The multi-thread flavor's workers; `None` for a current-thread
    /// runtime and for a worker's pinned half.
    pub(crate) workers: Option<multi_thread::Workers>,
    /// A current-thread runtime's core, between the `block_on` calls that
    /// drive it (`handoff.rs`); `None` for the other kinds.
    pub(crate) handoff: Option<Handoff<ParkedCore>>,
    /// The runtime's settings, for the homes of local tasks threads make.
    pub(crate) config: Config,
    /// Set when the runtime starts shutting down: the homes of its local
    /// tasks left on other threads are dropped there (`local.rs`).
    shut_down: AtomicBool,
}

impl Shared {
    pub(crate) fn new(
        driver: Arc<driver::Handle>,
        config: &Config,
        metrics: Arc<Metrics>,
        workers: Option<multi_thread::Workers>,
    ) -> Shared {
        Shared {
            inject: Inject::new(),
            blocking: BlockingPool::new(config.pool.clone()),
            driver,
            metrics,
            workers,
            handoff: None,
            config: config.clone(),
            shut_down: AtomicBool::new(false),
        }
    }

    /// The runtime starts shutting down.
    pub(crate) fn mark_shut_down(&self) {
        self.shut_down.store(true, Relaxed);
    }

    /// Whether the runtime has started shutting down.
    pub(crate) fn is_shut_down(&self) -> bool {
        self.shut_down.load(Relaxed)
    }

    /// Queues a woken task from a thread that does not run it. A closed
    /// runtime gives the task back; the caller drops its reference once
    /// done with `self`.
    pub(crate) fn push_remote(&self, task: RawTask) -> Option<RawTask> {
        if let Err(task) = self.inject.push_woken(task) {
            return Some(task);
        }
        self.signal();
        None
    }

    /// Wakes a thread for what was just queued: the runtime thread if it is
    /// parked; for a multi-thread runtime, a sleeping worker unless one is
    /// already searching.
    fn signal(&self) {
        match &self.workers {
            Some(workers) => workers.notify_remote(),
            // Also a worker's pinned half: its worker may sleep in the
            // shared epoll, whose eventfd `unpark` then writes.
            None => self.driver.unpark(),
        }
    }

    /// Spawns from a thread that is not running this runtime.
    pub(crate) fn spawn_remote<F>(self: &Arc<Self>, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let (raw, handle) = new_task(future, self.clone());
        // Counted before it is queued: the runtime may finish it at once.
        self.metrics.task_spawned();
        // Both flavors: the thread that takes it from the injection queue
        // links it into the owned list (a worker: its shard, touched by the
        // worker that will most likely complete it too).
        if self.inject.push_spawned(raw).is_err() {
            // The runtime is gone: the task never runs.
            self.metrics.task_finished();
            raw.cancel_new();
            return handle;
        }
        self.signal();
        handle
    }

    /// Tasks queued by other threads and not yet taken by the runtime.
    pub(crate) fn global_queue_depth(&self) -> usize {
        self.inject.len()
    }

    /// Runs `f` on the blocking pool; its `JoinHandle` completes through the
    /// usual wake path.
    pub(crate) fn spawn_blocking<F, R>(self: &Arc<Self>, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        // Paused time does not jump while the job is queued or running.
        #[cfg(feature = "test-util")]
        let f = {
            let in_flight = self.config.clock.in_flight(self.driver.clone());
            move || {
                let out = f();
                driver::time::clock::hold_until_job_done(in_flight);
                out
            }
        };
        let (raw, handle) = new_task(BlockingTask::new(f), self.clone());
        self.blocking.push(raw);
        handle
    }

    /// Wakes a parked runtime after publishing work with a release store
    /// (or under a lock the runtime takes after it commits to park).
    pub(crate) fn notify(&self) {
        self.driver.unpark();
    }

    /// The driver new I/O objects and timers register with, from a thread
    /// that is not one of this runtime's workers: the runtime's driver, or
    /// for a multi-thread runtime each worker's in turn.
    pub(crate) fn registration_driver(&self) -> Arc<driver::Handle> {
        match &self.workers {
            Some(workers) => workers.next_driver(),
            None => self.driver.clone(),
        }
    }

    /// The number of timers queued on the runtime's drivers.
    pub(crate) fn num_timers(&self) -> usize {
        match &self.workers {
            Some(workers) => workers.num_timers(),
            None => self.driver.time.len(),
        }
    }

    /// Stops the blocking pool, waiting for running jobs until `deadline`
    /// (if given).
    pub(crate) fn shutdown_blocking(&self, deadline: Option<Instant>) {
        self.blocking.shutdown(deadline);
    }
}

/// Queues a woken task (the caller hands over one reference): on this
/// thread's run queue when this thread runs the task's runtime (a pinned
/// task: only its own worker), else remotely.
pub(crate) fn schedule(task: RawTask) {
    let shared = &task.header().shared;
    let local = context::with_core(|core| core.is_some_and(|core| core.schedule(shared, task)));
    if !local && let Some(rejected) = shared.push_remote(task) {
        // The runtime is gone; this was the queue's reference.
        rejected.drop_ref();
    }
}

/// A task has just completed (or been cancelled) on a thread that runs it:
/// takes it out of its runtime's owned list and count. After completion, as
/// in tokio: a runtime that counts no task holds no task's output (an output
/// nobody will read is dropped in completing), though on the multi-thread
/// runtime a `JoinHandle` may resolve a moment before its task leaves the
/// count. Returns whether it was listed; the caller then drops the list's
/// reference too.
pub(crate) fn release(task: RawTask) -> bool {
    let shared = &task.header().shared;
    let listed = match &shared.workers {
        // With peers, any worker may complete it. A lone worker's tasks are
        // its core's, and complete only on it, as a current-thread core's.
        Some(workers) if workers.len() > 1 => workers.unbind(task),
        _ => context::with_core(|core| core.is_some_and(|core| core.unlist(shared, task))),
    };
    if listed {
        shared.metrics.task_finished();
    }
    listed
}

/// Spawns a `Send` future onto the runtime `handle`: on this thread's queue
/// if this thread runs it, else through its injection queue.
pub(crate) fn spawn<F>(handle: &Arc<Shared>, future: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    match context::core().filter(|core| core.runs(handle)) {
        Some(core) => core.spawn_send(future),
        None => handle.spawn_remote(future),
    }
}

/// Puts `waker` behind the next turn of the driver: on a thread running a
/// runtime's `block_on`, it is woken after the driver has been looked at;
/// anywhere else, at once.
pub(crate) fn defer(waker: &Waker) {
    let deferred = context::with_running_core(|core| core.is_some_and(|core| core.defer(waker)));
    if !deferred {
        waker.wake_by_ref();
    }
}

/// Lowers the thread's timer slack for the duration of a `block_on`, and
/// restores it after. The kernel's default 50 µs slack would make every
/// timed `epoll_pwait2` up to 50 µs late; timers are the only timed waits the
/// runtime makes, and a timer's lateness is what users measure.
pub(crate) struct TightTimerSlack {
    /// The slack to restore; `None` if it could not be read (then nothing
    /// was changed).
    saved: Option<u64>,
}

/// The slack while a runtime runs.
const TIMER_SLACK_NS: u64 = 1_000;

impl TightTimerSlack {
    pub(crate) fn new() -> TightTimerSlack {
        let saved = match crate::sys::timer_slack() {
            Ok(s) if s > TIMER_SLACK_NS => {
                crate::sys::set_timer_slack(TIMER_SLACK_NS).ok().map(|()| s)
            }
            _ => None,
        };
        TightTimerSlack { saved }
    }
}

impl Drop for TightTimerSlack {
    fn drop(&mut self) {
        if let Some(s) = self.saved {
            // It was settable a moment ago; nothing useful to do on failure.
            let _ = crate::sys::set_timer_slack(s);
        }
    }
}

/// Wakes a thread parked in [`park_on`] (or waiting for a current-thread
/// runtime's core).
pub(crate) struct ThreadWake {
    thread: std::thread::Thread,
    woken: AtomicBool,
}

impl ThreadWake {
    /// A wake for this thread.
    pub(crate) fn current() -> ThreadWake {
        ThreadWake {
            thread: std::thread::current(),
            woken: AtomicBool::new(false),
        }
    }

    /// Parks this thread (the one it was made on) until woken, or until
    /// `deadline`; returns whether it was woken.
    pub(crate) fn wait(&self, deadline: Option<Instant>) -> bool {
        loop {
            if self.woken.swap(false, Acquire) {
                return true;
            }
            match deadline {
                None => std::thread::park(),
                Some(deadline) => match deadline.checked_duration_since(Instant::now()) {
                    Some(left) if !left.is_zero() => std::thread::park_timeout(left),
                    _ => return false,
                },
            }
        }
    }
}

impl Wake for ThreadWake {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Release);
        self.thread.unpark();
    }
}

/// Runs `future` on this thread, which does not own the runtime, parking
/// the thread between wakes (`Handle::block_on` off the runtime's thread).
pub(crate) fn park_on<F: Future>(future: F) -> F::Output {
    let wake = Arc::new(ThreadWake::current());
    let waker = Waker::from(wake.clone());
    let mut cx = Context::from_waker(&waker);
    let mut future = pin!(future);
    loop {
        if let Poll::Ready(out) = context::poll_scope(None, || future.as_mut().poll(&mut cx)) {
            return out;
        }
        wake.wait(None);
    }
}
