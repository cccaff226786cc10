//! [`RuntimeMetrics`]: counters a runtime keeps about itself, readable from
//! any thread, with tokio's names and meanings.
//!
//! Every counter is an atomic written with `Relaxed` stores by the thread
//! that owns it (a worker's counters by that worker; the task count by
//! whoever spawns or completes a task), so keeping them costs a plain store
//! or an uncontended add on paths that already cost far more. Readers see
//! each counter on its own, not a consistent snapshot of all of them.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{
    AtomicU64, AtomicUsize,
    Ordering::{Acquire, Relaxed, Release},
};
use std::time::Duration;

use crate::runtime::scheduler::Shared;

/// A worker's counters; written by that worker only.
#[derive(Debug, Default)]
pub(crate) struct WorkerMetrics {
    /// Times the worker went to sleep in its driver.
    park_count: AtomicU64,
    /// Times it went to sleep or woke up (odd while it sleeps).
    park_unpark_count: AtomicU64,
    /// Nanoseconds it spent running (not asleep in its driver).
    busy_ns: AtomicU64,
    /// Tasks this worker stole, and in how many steals.
    steal_count: AtomicU64,
    steal_operations: AtomicU64,
}

/// Adds `n` to a counter only its owner writes.
fn bump(counter: &AtomicU64, n: u64) {
    counter.store(counter.load(Relaxed) + n, Relaxed);
}

impl WorkerMetrics {
    /// A steal brought `tasks` tasks (the one run at once included).
    pub(crate) fn stole(&self, tasks: u64) {
        bump(&self.steal_count, tasks);
        bump(&self.steal_operations, 1);
    }

    /// The worker goes to sleep after being busy for `busy`.
    pub(crate) fn parking(&self, busy: Duration) {
        self.add_busy(busy);
        self.park_count
            .store(self.park_count.load(Relaxed) + 1, Relaxed);
        self.park_unpark_count
            .store(self.park_unpark_count.load(Relaxed) + 1, Relaxed);
    }

    /// The worker woke up.
    pub(crate) fn unparked(&self) {
        self.park_unpark_count
            .store(self.park_unpark_count.load(Relaxed) + 1, Relaxed);
    }

    /// The worker stops running (the end of a `block_on`) after being busy
    /// for `busy`.
    pub(crate) fn stopped(&self, busy: Duration) {
        self.add_busy(busy);
    }

    fn add_busy(&self, busy: Duration) {
        let busy = u64::try_from(busy.as_nanos()).unwrap_or(u64::MAX);
        // One writer: load-and-store instead of a read-modify-write.
        self.busy_ns
            .store(self.busy_ns.load(Relaxed).saturating_add(busy), Relaxed);
    }
}

/// A counter on a cache line of its own.
#[derive(Debug, Default)]
#[repr(align(128))]
struct Padded(AtomicUsize);

/// Runtime-wide counters.
#[derive(Debug)]
pub(crate) struct Metrics {
    /// Tasks spawned, and tasks finished: alive is the difference. Two
    /// counters on two cache lines, so that a thread spawning many tasks
    /// and the workers finishing them do not bounce one line between them.
    spawned: Padded,
    finished: Padded,
    /// One entry per worker.
    pub(crate) workers: Box<[WorkerMetrics]>,
}

impl Metrics {
    pub(crate) fn new(workers: usize) -> Metrics {
        Metrics {
            spawned: Padded::default(),
            finished: Padded::default(),
            workers: (0..workers).map(|_| WorkerMetrics::default()).collect(),
        }
    }

    /// Spawned tasks that have not finished.
    pub(crate) fn alive(&self) -> usize {
        // Finished first: every task counted there was counted as spawned
        // before (its spawn happened before its completion, and the acquire
        // load sees what came before the release increment).
        let finished = self.finished.0.load(Acquire);
        self.spawned.0.load(Relaxed).saturating_sub(finished)
    }

    pub(crate) fn task_spawned(&self) {
        self.spawned.0.fetch_add(1, Relaxed);
    }

    pub(crate) fn task_finished(&self) {
        self.finished.0.fetch_add(1, Release);
    }
}

/// A handle to a runtime's counters; cloneable, `Send` and `Sync`.
///
/// ```
/// let rt = guillotine::runtime::Runtime::new().unwrap();
/// let metrics = rt.metrics();
/// let _task = rt.spawn(std::future::pending::<()>());
/// assert_eq!(metrics.num_workers(), 1);
/// assert_eq!(metrics.num_alive_tasks(), 1);
/// ```
#[derive(Clone)]
pub struct RuntimeMetrics {
    shared: Arc<Shared>,
}

impl RuntimeMetrics {
    pub(crate) fn new(shared: Arc<Shared>) -> RuntimeMetrics {
        RuntimeMetrics { shared }
    }

    fn worker(&self, worker: usize) -> &WorkerMetrics {
        let workers = &self.shared.metrics.workers;
        match workers.get(worker) {
            Some(w) => w,
            None => panic!(
                "worker index {worker} out of range: the runtime has {} worker(s)",
                workers.len()
            ),
        }
    }

    /// The number of worker threads: always 1 for the current-thread
    /// runtime (the thread running `block_on`).
    ///
    /// ```
    /// let rt = guillotine::runtime::Runtime::new().unwrap();
    /// assert_eq!(rt.metrics().num_workers(), 1);
    /// ```
    pub fn num_workers(&self) -> usize {
        self.shared.metrics.workers.len()
    }

    /// The number of spawned tasks that have not finished (blocking jobs
    /// not included).
    ///
    /// ```
    /// let rt = guillotine::runtime::Runtime::new().unwrap();
    /// let task = rt.spawn(async { 1 });
    /// assert_eq!(rt.metrics().num_alive_tasks(), 1);
    /// rt.block_on(task).unwrap();
    /// assert_eq!(rt.metrics().num_alive_tasks(), 0);
    /// ```
    pub fn num_alive_tasks(&self) -> usize {
        self.shared.metrics.alive()
    }

    /// The number of tasks in the global (injection) queue: spawned or
    /// woken from threads that do not run the runtime, and not yet taken
    /// by a worker.
    ///
    /// ```
    /// let rt = guillotine::runtime::Runtime::new().unwrap();
    /// let handle = rt.handle();
    /// let task = std::thread::spawn(move || handle.spawn(async {})).join().unwrap();
    /// assert_eq!(rt.metrics().global_queue_depth(), 1);
    /// rt.block_on(task).unwrap();
    /// assert_eq!(rt.metrics().global_queue_depth(), 0);
    /// ```
    pub fn global_queue_depth(&self) -> usize {
        self.shared.global_queue_depth()
    }

    /// How many times worker `worker` went to sleep in its driver.
    ///
    /// # Panics
    /// If `worker` is not below [`num_workers`](Self::num_workers).
    ///
    /// ```
    /// use std::time::Duration;
    /// let rt = guillotine::runtime::Runtime::new().unwrap();
    /// rt.block_on(async { guillotine::time::sleep(Duration::from_millis(1)).await });
    /// assert!(rt.metrics().worker_park_count(0) >= 1);
    /// ```
    pub fn worker_park_count(&self, worker: usize) -> u64 {
        self.worker(worker).park_count.load(Relaxed)
    }

    /// How many times worker `worker` went to sleep or woke up: odd while
    /// it sleeps.
    ///
    /// # Panics
    /// If `worker` is not below [`num_workers`](Self::num_workers).
    ///
    /// ```
    /// use std::time::Duration;
    /// let rt = guillotine::runtime::Runtime::new().unwrap();
    /// rt.block_on(async { guillotine::time::sleep(Duration::from_millis(1)).await });
    /// assert_eq!(rt.metrics().worker_park_unpark_count(0) % 2, 0);
    /// ```
    pub fn worker_park_unpark_count(&self, worker: usize) -> u64 {
        self.worker(worker).park_unpark_count.load(Relaxed)
    }

    /// How long worker `worker` has been busy: running tasks, turning its
    /// driver without sleeping, or spinning, as opposed to asleep in the
    /// driver or not running at all (between `block_on` calls).
    ///
    /// # Panics
    /// If `worker` is not below [`num_workers`](Self::num_workers).
    ///
    /// ```
    /// let rt = guillotine::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let start = std::time::Instant::now();
    ///     while start.elapsed().as_millis() < 5 {}
    /// });
    /// assert!(rt.metrics().worker_total_busy_duration(0).as_millis() >= 5);
    /// ```
    pub fn worker_total_busy_duration(&self, worker: usize) -> Duration {
        Duration::from_nanos(self.worker(worker).busy_ns.load(Relaxed))
    }

    /// How many tasks worker `worker` stole from other workers' run queues
    /// (always 0 on the current-thread runtime).
    ///
    /// # Panics
    /// If `worker` is not below [`num_workers`](Self::num_workers).
    ///
    /// ```
    /// let rt = guillotine::runtime::Runtime::new().unwrap();
    /// assert_eq!(rt.metrics().worker_steal_count(0), 0);
    /// ```
    pub fn worker_steal_count(&self, worker: usize) -> u64 {
        self.worker(worker).steal_count.load(Relaxed)
    }

    /// In how many steals worker `worker` took those tasks (each takes half
    /// of the victim's queue).
    ///
    /// # Panics
    /// If `worker` is not below [`num_workers`](Self::num_workers).
    ///
    /// ```
    /// let rt = guillotine::runtime::Runtime::new().unwrap();
    /// assert_eq!(rt.metrics().worker_steal_operations(0), 0);
    /// ```
    pub fn worker_steal_operations(&self, worker: usize) -> u64 {
        self.worker(worker).steal_operations.load(Relaxed)
    }

    /// The number of tasks in worker `worker`'s run queue (a snapshot; 0
    /// on the current-thread runtime). A lone worker's queue is unbounded
    /// (nobody steals from it) and counts its `spawn_local` tasks too; read
    /// from another thread it is the length at the end of the worker's
    /// last round of polls (at most `event_interval` polls old, as tokio's
    /// current-thread figure). With peers it holds at most 256.
    ///
    /// # Panics
    /// If `worker` is not below [`num_workers`](Self::num_workers).
    ///
    /// ```
    /// let rt = guillotine::runtime::Builder::new_multi_thread().worker_threads(2).build().unwrap();
    /// assert!(rt.metrics().worker_local_queue_depth(1) <= 256);
    /// ```
    pub fn worker_local_queue_depth(&self, worker: usize) -> usize {
        self.worker(worker);
        match &self.shared.workers {
            // A lone worker asked on its own thread reads its queue; others
            // read what it stored at its last round.
            Some(workers) => crate::runtime::context::with_core(|core| {
                core.and_then(|core| core.lone_worker_depth(&self.shared))
            })
            .unwrap_or_else(|| workers.queue_depth(worker)),
            None => 0,
        }
    }

    /// How many tasks were spawned or woken from threads that do not run
    /// them, through the injection queue (also a full worker queue's
    /// overflow, and the queue of a worker stuck in a poll, which the
    /// runtime's watcher hands to the other workers).
    ///
    /// ```
    /// let rt = guillotine::runtime::Runtime::new().unwrap();
    /// let handle = rt.handle();
    /// let task = std::thread::spawn(move || handle.spawn(async {})).join().unwrap();
    /// assert_eq!(rt.metrics().remote_schedule_count(), 1);
    /// # rt.block_on(task).unwrap();
    /// ```
    pub fn remote_schedule_count(&self) -> u64 {
        self.shared.inject.pushed()
    }
}

// Reading counters leaves nothing half-changed for a panic to expose (the
// only non-`RefUnwindSafe` field is the user's thread hooks, never called
// through this handle).
impl std::panic::UnwindSafe for RuntimeMetrics {}
impl std::panic::RefUnwindSafe for RuntimeMetrics {}

impl fmt::Debug for RuntimeMetrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RuntimeMetrics")
            .field("num_workers", &self.num_workers())
            .field("num_alive_tasks", &self.num_alive_tasks())
            .field("global_queue_depth", &self.global_queue_depth())
            .finish()
    }
}
