//! The multi-thread flavor: one worker thread per core, each a [`Core`]
//! with its own run queues, eventfd and timer shard, joined by
//! [`Workers`]:
//!
//! * a stealable run queue per worker ([`queue`]): an idle worker steals
//!   half of a busy worker's runnable `Send` tasks;
//! * the runtime's injection queue (in [`Shared`]) for spawns and wakes
//!   from threads that are not workers, which workers take from in batches;
//! * the idle bookkeeping ([`idle`]): which workers sleep, how many search,
//!   so that new work wakes one sleeper and only when nobody searches;
//! * the owned-task list, sharded by task id behind mutexes, since any
//!   worker may complete any `Send` task (a lone worker keeps its own,
//!   without a lock: only its thread binds, completes and drops them);
//! * one epoll instance for every descriptor ([`driver::SharedIo`]), which
//!   at most one sleeping worker waits in, bounded by every worker's
//!   timers, and busy workers look at without blocking (firing every
//!   shard's due timers);
//! * each worker's driver behind a mutex that its worker holds while it
//!   turns or sleeps in it, so that the watcher thread ([`watch`]) can turn
//!   the driver of a worker stuck in a long poll (a try-lock: it never
//!   waits for it).
//!
//! The tick loop and the park policy are the current-thread runtime's
//! (`current_thread.rs`); `worker.rs` adds what a worker does when its own
//! queues are empty: take from the injection queue, steal, then sleep.

pub(crate) mod idle;
pub(crate) mod queue;
mod watch;
mod worker;

pub(crate) use worker::Worker;

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering::AcqRel, Ordering::Relaxed};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError, Weak};
use std::thread::JoinHandle;
use std::time::Instant;

use crate::runtime::blocking;
use crate::runtime::context;
use crate::runtime::driver::{self, Driver};
use crate::runtime::metrics::Metrics;
use crate::runtime::scheduler::{Config, Core, Shared};
use crate::runtime::task::{OwnedTasks, RawTask};
use idle::Idle;
use queue::{CAPACITY, Steal};
use watch::Watcher;

/// A thread's driver: locked by its thread while it turns it or sleeps in
/// it, try-locked by idle workers looking after a stuck worker. `None` once
/// a multi-thread runtime has shut down: its epoll descriptor closes with
/// the runtime, not with the last task reference.
pub(crate) type DriverCell = Mutex<Option<Driver>>;

/// Locks a driver; a panic under the lock (a foreign waker's) leaves the
/// driver consistent, since it only hands out wakes.
pub(crate) fn lock_driver(driver: &DriverCell) -> MutexGuard<'_, Option<Driver>> {
    driver.lock().unwrap_or_else(PoisonError::into_inner)
}

/// What the workers of one multi-thread runtime share (inside its
/// [`Shared`]).
#[derive(Debug)]
pub(crate) struct Workers {
    /// Per worker: what other threads reach.
    remotes: Box<[Remote]>,
    /// Which workers sleep and how many search.
    idle: Idle,
    /// When the runtime started: the origin of the workers' published
    /// times (`Remote::short_until_ns`).
    epoch: Instant,
    /// Every unfinished `Send` task, sharded by id.
    owned: Box<[Mutex<Shard>]>,
    /// Set when the runtime shuts down: workers leave their loops.
    shutdown: AtomicBool,
    /// The next worker whose driver registers an I/O object or timer made
    /// outside the workers.
    next_driver: AtomicUsize,
    /// The watcher thread's side of its protocol with the workers.
    watcher: Watcher,
    /// The CPUs this process may run on (affinity mask and cgroup quota)
    /// when the runtime was built: more awake workers than this only
    /// time-slice (see `notify_hint`).
    cpus: usize,
    /// The epoll of the workers' descriptors.
    pub(crate) io: Arc<driver::SharedIo>,
    /// Workers that have not exited: the watcher keeps watching until
    /// none is left, since a worker may still wait on its own driver
    /// (e.g. `Handle::block_on` inside `block_in_place`) after shutdown
    /// began.
    alive: AtomicUsize,
    /// The drivers of the threads' homes of local tasks (their `block_on`
    /// cores, `scheduler/local.rs`): the runtime closes them when it shuts
    /// down, whichever thread drops it. A home dropped with its thread
    /// takes its driver along.
    homes: Mutex<Vec<Weak<DriverCell>>>,
}

/// The part of a worker other threads reach.
#[derive(Debug)]
struct Remote {
    /// The stealing end of its run queue.
    steal: Steal<CAPACITY>,
    /// Its driver, for a try-lock when it is stuck.
    driver: Arc<DriverCell>,
    /// Its driver's shared half.
    handle: Arc<driver::Handle>,
    /// How often the worker turned its own driver: a worker whose count
    /// stops moving while it is awake is stuck in a poll (see [`watch`]).
    turns: AtomicU64,
    /// A lone worker's queue length (its queue is its core's, not the
    /// stealable one), for the metrics from other threads; the worker
    /// stores it once per round of its tick loop.
    solo_depth: AtomicUsize,
    /// Until when (nanoseconds since `Workers::epoch`) the worker's last
    /// measure of its typical task counts as short; 0 if it was not short
    /// (see `Worker::keeps_short_tasks`).
    short_until_ns: AtomicU64,
    /// Set while the worker is awake and its last measure found its tasks
    /// short: remote work then waits for it instead of waking a sleeper
    /// (see `Workers::notify_remote`). Cleared when it parks, once it is on
    /// the sleepers' list.
    runs_short: AtomicBool,
}

/// One shard of the owned-task list.
#[derive(Debug, Default)]
struct Shard {
    list: OwnedTasks,
    /// Set at shutdown: new tasks are cancelled at once.
    closed: bool,
}

impl Workers {
    fn lock_shard(&self, task: RawTask) -> MutexGuard<'_, Shard> {
        let i = (task.header().id.as_u64() as usize) & (self.owned.len() - 1);
        // Nothing panics under the lock.
        self.owned[i].lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Links a new task into the owned list; fails after shutdown began.
    pub(crate) fn bind(&self, task: RawTask) -> Result<(), ()> {
        let mut shard = self.lock_shard(task);
        if shard.closed {
            return Err(());
        }
        shard.list.push(task);
        Ok(())
    }

    /// Unlinks a task; returns whether it was linked (then the caller
    /// drops the list's reference).
    pub(crate) fn unbind(&self, task: RawTask) -> bool {
        self.lock_shard(task).list.remove(task)
    }

    /// Wakes a sleeping worker for new work, unless a worker searches.
    pub(crate) fn notify_parked(&self) {
        if let Some(w) = self.idle.worker_to_notify() {
            self.remotes[w].handle.unpark();
        }
    }

    /// After a local push or a driver turn left a surplus: the same, but
    /// first a plain load to skip the read-modify-write when nobody sleeps
    /// or someone searches. Missing a sleeper here loses no work: the
    /// pushing worker runs it (and the watcher wakes one if it is stuck).
    ///
    /// Nor is one woken while as many workers are awake as the process may
    /// use CPUs: a second worker on the same CPU only time-slices with the
    /// first, and each such wake costs two context switches; nor while
    /// every peer of worker `from` measured short tasks as of `now_ns`
    /// (see `Worker::keeps_short_tasks`), which `from` runs faster itself.
    pub(crate) fn notify_hint(&self, from: usize, now_ns: u64) {
        if self.idle.may_notify(self.cpus) && !self.peers_run_short_tasks(from, now_ns) {
            self.notify_parked();
        }
    }

    /// After work was queued from a thread that is not a worker: wakes a
    /// sleeper as [`Workers::notify_parked`] does, unless an awake worker
    /// runs short tasks, which takes the work within a few polls (a look
    /// at the injection queue every few polls and whenever its own queue
    /// runs dry) faster than a woken sleeper would arrive. Should that
    /// worker get stuck in a long poll instead, the watcher wakes a
    /// sleeper for the injection queue (`watch.rs`).
    ///
    /// The fence in `Idle::should_notify` pairs with the one a parking
    /// worker passes after clearing its `runs_short` and before its last
    /// look at the queues (`Worker::park`).
    pub(crate) fn notify_remote(&self) {
        let runs_short = || self.remotes.iter().any(|r| r.runs_short.load(Relaxed));
        if let Some(w) = self.idle.worker_to_notify_unless(runs_short) {
            self.remotes[w].handle.unpark();
        }
    }

    /// Publishes whether worker `index` is awake and runs short tasks.
    pub(crate) fn set_runs_short(&self, index: usize, short: bool) {
        self.remotes[index].runs_short.store(short, Relaxed);
    }

    /// Whether every worker but `index` measured short tasks recently
    /// enough to count at `now_ns` (since [`Workers::epoch`]).
    pub(crate) fn peers_run_short_tasks(&self, index: usize, now_ns: u64) -> bool {
        self.remotes
            .iter()
            .enumerate()
            .all(|(i, r)| i == index || r.short_until_ns.load(Relaxed) > now_ns)
    }

    /// Stores until when worker `index`'s tasks count as short.
    pub(crate) fn set_short_until(&self, index: usize, until_ns: u64) {
        self.remotes[index].short_until_ns.store(until_ns, Relaxed);
    }

    /// Nanoseconds from [`Workers::epoch`] to `at`.
    pub(crate) fn ns_since_epoch(&self, at: Instant) -> u64 {
        u64::try_from(at.saturating_duration_since(self.epoch).as_nanos()).unwrap_or(u64::MAX)
    }

    /// Whether any worker's run queue looks non-empty.
    pub(crate) fn any_queued(&self) -> bool {
        self.remotes.iter().any(|r| !r.steal.is_empty())
    }

    pub(crate) fn is_shutdown(&self) -> bool {
        self.shutdown.load(Relaxed)
    }

    /// Shuts every worker's driver down once no worker is left to poll a
    /// task (as in tokio, the drivers outlive the last worker): timers
    /// complete (later polls panic saying the runtime is shut down),
    /// I/O waits fail (e.g. of a blocking job, before the runtime waits for
    /// the blocking pool), and the epolls and eventfds close with the
    /// runtime, not with the last reference to a driver's shared half.
    fn close_drivers(&self) {
        for remote in &self.remotes {
            remote.handle.time.shutdown();
            drop(lock_driver(&remote.driver).take());
            remote.handle.unparker.close();
        }
        self.io.close();
    }

    /// Keeps a weak reference to the driver of a thread's home of local
    /// tasks, to close it at shutdown.
    pub(crate) fn adopt_driver(&self, cell: &Arc<DriverCell>) {
        let mut homes = self.homes.lock().unwrap_or_else(PoisonError::into_inner);
        homes.retain(|home| home.strong_count() > 0);
        homes.push(Arc::downgrade(cell));
    }

    /// Closes the epoll instances and eventfds of the threads' homes (no
    /// thread sleeps in them: a `block_on` borrows the runtime).
    fn close_homes(&self) {
        let homes = std::mem::take(&mut *self.homes.lock().unwrap_or_else(PoisonError::into_inner));
        for cell in homes.iter().filter_map(Weak::upgrade) {
            if let Some(driver) = lock_driver(&cell).take() {
                driver.handle().unparker.close();
            }
        }
    }

    /// Each worker's driver in turn.
    pub(crate) fn next_driver(&self) -> Arc<driver::Handle> {
        let i = self.next_driver.fetch_add(1, Relaxed) % self.remotes.len();
        self.remotes[i].handle.clone()
    }

    pub(crate) fn num_timers(&self) -> usize {
        self.remotes.iter().map(|r| r.handle.time.len()).sum()
    }

    pub(crate) fn len(&self) -> usize {
        self.remotes.len()
    }

    /// The number of tasks in the run queue of worker `i` (a hint).
    pub(crate) fn queue_depth(&self, i: usize) -> usize {
        self.remotes[i].steal.len() + self.remotes[i].solo_depth.load(Relaxed)
    }
}

/// A started multi-thread runtime: its shared half and threads.
#[derive(Debug)]
pub(crate) struct Launched {
    pub(crate) shared: Arc<Shared>,
    /// The workers and the watcher.
    threads: Vec<JoinHandle<()>>,
    /// How many of `threads` have not finished yet, for a shutdown that
    /// waits for them at most so long.
    running: Arc<Running>,
}

/// A count of running threads that a shutdown can wait on with a deadline
/// (`JoinHandle::join` has none).
#[derive(Debug, Default)]
struct Running {
    count: Mutex<usize>,
    exited: Condvar,
}

impl Running {
    fn lock(&self) -> MutexGuard<'_, usize> {
        self.count.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits until every thread has finished, or until `deadline`; returns
    /// whether they all have.
    fn wait(&self, deadline: Option<Instant>) -> bool {
        let mut count = self.lock();
        while *count > 0 {
            count = match deadline {
                None => self
                    .exited
                    .wait(count)
                    .unwrap_or_else(PoisonError::into_inner),
                Some(deadline) => {
                    let Some(left) = deadline.checked_duration_since(Instant::now()) else {
                        return false;
                    };
                    self.exited
                        .wait_timeout(count, left)
                        .unwrap_or_else(PoisonError::into_inner)
                        .0
                }
            };
        }
        true
    }
}

/// Counts its thread out of [`Running`] when the thread ends, also by a
/// panic.
struct Exit(Arc<Running>);

impl Drop for Exit {
    fn drop(&mut self) {
        *self.0.lock() -= 1;
        self.0.exited.notify_all();
    }
}

/// Creates the drivers and starts `n` workers and the watcher.
pub(crate) fn launch(config: &Config, n: usize) -> std::io::Result<Launched> {
    assert!(
        (1..=idle::MAX_WORKERS).contains(&n),
        "worker_threads must be between 1 and {}",
        idle::MAX_WORKERS
    );
    // Every descriptor lives in one epoll (`SharedIo`), every timer in one
    // of its shards; each worker's own epoll holds its eventfd.
    let (io, ep) = driver::SharedIo::new(n, &config.clock)?;
    let mut drivers = Vec::with_capacity(n);
    for index in 0..n {
        drivers.push(Driver::with_shared_io(&io, ep.clone(), index)?);
    }
    drop(ep);
    let mut locals = Vec::with_capacity(n);
    let mut remotes = Vec::with_capacity(n);
    let mut cells = Vec::with_capacity(n);
    for driver in drivers {
        let (local, steal) = queue::local::<CAPACITY>();
        let handle = driver.handle().clone();
        let cell = Arc::new(Mutex::new(Some(driver)));
        locals.push(local);
        cells.push(cell.clone());
        remotes.push(Remote {
            steal,
            driver: cell,
            handle,
            turns: AtomicU64::new(0),
            solo_depth: AtomicUsize::new(0),
            short_until_ns: AtomicU64::new(0),
            runs_short: AtomicBool::new(false),
        });
    }
    let shards = (4 * n).next_power_of_two();
    let workers = Workers {
        remotes: remotes.into_boxed_slice(),
        idle: Idle::new(n),
        epoch: Instant::now(),
        owned: (0..shards).map(|_| Mutex::default()).collect(),
        shutdown: AtomicBool::new(false),
        next_driver: AtomicUsize::new(0),
        watcher: Watcher::default(),
        cpus: std::thread::available_parallelism().map_or(n, usize::from),
        io,
        alive: AtomicUsize::new(0),
        homes: Mutex::default(),
    };
    let metrics = Arc::new(Metrics::new(n));
    let first = workers.remotes[0].handle.clone();
    let shared = Arc::new(Shared::new(first, config, metrics, Some(workers)));
    let mut launched = Launched {
        shared: shared.clone(),
        threads: Vec::with_capacity(n + 1),
        running: Arc::default(),
    };
    let name = config.pool.worker_name.clone();
    for (index, (local, cell)) in locals.into_iter().zip(cells).enumerate() {
        let shared = shared.clone();
        let config = config.clone();
        let workers = launched.shared.workers.as_ref().expect("workers");
        workers.alive.fetch_add(1, Relaxed);
        let started = launched.start(&name, move || {
            blocking::call(config.pool.on_start.as_ref());
            let worker = Worker::new(shared.clone(), index, local);
            let pinned = Arc::new(Shared::new(
                shared.workers.as_ref().expect("workers").remotes[index]
                    .handle
                    .clone(),
                &config,
                shared.metrics.clone(),
                None,
            ));
            let core = Core::new_worker(config.clone(), pinned, cell, worker);
            core.run_worker(&shared);
            drop(core);
            // The last worker out closes every driver. Until then the
            // watcher turns the drivers of the workers that left: a worker
            // still running (in `block_in_place`, say) may wait on a timer
            // or socket registered with any of them. And a shutdown that
            // stopped waiting for the workers must not close an eventfd
            // under a pending `epoll_wait`, or wait for a sleeper's lock.
            let workers = shared.workers.as_ref().expect("workers");
            if workers.alive.fetch_sub(1, AcqRel) == 1 {
                workers.close_drivers();
            }
            workers.watcher.unpark();
            blocking::call(config.pool.on_stop.as_ref());
        });
        if let Err(e) = started {
            let workers = launched.shared.workers.as_ref().expect("workers");
            if workers.alive.fetch_sub(1, AcqRel) == 1 {
                workers.close_drivers();
            }
            launched.shutdown(None);
            return Err(e);
        }
    }
    let watched = shared.clone();
    let started = launched.start("guillotine-watch", move || {
        // A safety net must not preempt the threads it watches (see
        // `watch.rs`); where the priority cannot be lowered it still works.
        let _ = crate::sys::lower_thread_priority();
        watch::run(&watched);
    });
    if let Err(e) = started {
        launched.shutdown(None);
        return Err(e);
    }
    Ok(launched)
}

impl Launched {
    /// Starts one of the runtime's threads, counted in `running`.
    fn start(&mut self, name: &str, f: impl FnOnce() + Send + 'static) -> std::io::Result<()> {
        *self.running.lock() += 1;
        let exit = Exit(self.running.clone());
        let spawned = std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || {
                let _exit = exit;
                f();
            });
        // On failure the closure, and with it `exit`, was dropped.
        self.threads.push(spawned?);
        Ok(())
    }

    /// Stops the workers, then drops every unfinished task inside the
    /// runtime's context, then waits for blocking jobs; with a `deadline`,
    /// waits for the workers and the blocking jobs only until then.
    ///
    /// A worker still stuck in a poll at the deadline is left to finish on
    /// its own, as in tokio: the tasks it is not polling are dropped here
    /// as usual (the one it polls is dropped when its poll returns, on that
    /// thread; a lone worker's, all of them, when it leaves), the drivers
    /// keep serving timers and sockets (the watcher turns them) until it
    /// has returned, dropped the tasks pinned to it
    /// and exited; it then shuts them down, as the last worker out.
    pub(crate) fn shutdown(&mut self, deadline: Option<Instant>) {
        let shared = &self.shared;
        let workers = shared.workers.as_ref().expect("a multi-thread runtime");
        if workers.shutdown.swap(true, Relaxed) {
            return;
        }
        // Nothing new is accepted: spawns are cancelled, wakes dropped. The
        // injection queue closes first: a worker links a new task it takes
        // from there into the owned list under the queue's consumer lock,
        // which the close takes, so no task can be left between the two.
        let (spawned, woken) = shared.inject.close();
        {
            let _guard = context::enter_handle(shared);
            for task in spawned {
                task.cancel_new();
                shared.metrics.task_finished();
            }
        }
        // A woken task is also in the owned list, which cancels it below.
        woken.into_iter().for_each(RawTask::drop_ref);
        for shard in &workers.owned {
            shard.lock().unwrap_or_else(PoisonError::into_inner).closed = true;
        }
        for remote in &workers.remotes {
            remote.handle.unpark();
        }
        workers.watcher.unpark();
        let stopped = self.running.wait(deadline);
        if stopped {
            for thread in self.threads.drain(..) {
                // A worker only panics on a bug the panic already reported.
                let _ = thread.join();
            }
        } else {
            // Some thread is stuck in a poll (or has not yet seen the
            // shutdown): leave it, detached.
            self.threads.clear();
        }
        let _guard = context::enter_handle(shared);
        for shard in &workers.owned {
            loop {
                let task = shard
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .list
                    .pop();
                let Some(task) = task else { break };
                task.shutdown();
                task.drop_ref();
                shared.metrics.task_finished();
            }
        }
        // The last worker out shut the drivers down already (with every
        // worker stopped), or will when it leaves. The threads' homes have
        // no worker in them: their drivers close now.
        workers.close_homes();
        shared.shutdown_blocking(deadline);
    }
}
