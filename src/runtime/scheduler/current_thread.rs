//! [`Core`]: the state of one thread that runs tasks, and the tick loop and
//! park policy that every such thread follows — the current-thread
//! runtime's `block_on`, and each worker of the multi-thread flavor (which
//! adds its [`Worker`] part: a stealable run queue and the idle protocol).
//!
//! The run queue, the owned tasks of this thread and the spin state are in
//! `Cell`s and `RefCell`s because only this thread touches them. The
//! [`Shared`] half is what every thread reaches through a `Handle` or a
//! task's header: the injection queue, the park protocol and the eventfd.
//!
//! A wake on this thread (the context names this core) pushes onto the run
//! queue: no lock, no syscall. Any other wake pushes onto the injection
//! queue and writes the eventfd only if this thread is parked (see
//! `driver/park.rs`).

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::future::Future;
use std::pin::pin;
use std::rc::Rc;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed, Release};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use crate::runtime::context;
use crate::runtime::driver::Driver;
use crate::runtime::metrics::Metrics;
use crate::runtime::scheduler::multi_thread::{DriverCell, Worker, lock_driver};
use crate::runtime::scheduler::{Config, Shared, TightTimerSlack};
use crate::runtime::spin::{SpinPolicy, spin_until};
use crate::runtime::task::{JoinHandle, OwnedTasks, RawTask, RunOutcome, new_task};

/// The waker of the future passed to `block_on`.
#[derive(Debug)]
struct MainWake {
    woken: AtomicBool,
    shared: Arc<Shared>,
}

impl Wake for MainWake {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Release);
        self.shared.notify();
    }
}

/// Counts a `block_on` (or a worker's life) as busy time, up to where it
/// parks and from where it wakes, until it returns (or unwinds).
struct Busy<'a>(&'a Core);

impl Busy<'_> {
    fn start(core: &Core) -> Busy<'_> {
        core.busy_since.set(Instant::now());
        Busy(core)
    }
}

impl Drop for Busy<'_> {
    fn drop(&mut self) {
        let core = self.0;
        core.worker_metrics()
            .stopped(core.busy_since.get().elapsed());
    }
}

/// One thread's state for running tasks.
pub(crate) struct Core {
    /// The runtime whose tasks this core runs on its own queue: a
    /// current-thread runtime, or a worker's pinned half.
    pub(crate) shared: Arc<Shared>,
    /// Tasks ready to be polled; one reference per entry.
    run_queue: RefCell<VecDeque<RawTask>>,
    /// Every unfinished task of `shared`.
    owned: RefCell<OwnedTasks>,
    /// The epoll driver (behind a mutex only for a worker's idle peers).
    driver: Arc<DriverCell>,
    /// The `block_on` future's waker state.
    main: Arc<MainWake>,
    /// Wakers of tasks that yielded (or ran out of budget): woken after the
    /// next turn of the driver, so that I/O and timers get a look first.
    deferred: RefCell<Vec<Waker>>,
    config: Config,
    /// Set when shutdown starts: new tasks are cancelled at once.
    closed: Cell<bool>,
    /// Whether the last park was cut short by a wake from another thread: a
    /// peer thread is feeding this runtime, so spinning may pay.
    remote_active: Cell<bool>,
    /// Whether spinning after remote wakes has been paying.
    spin_policy: Cell<SpinPolicy>,
    /// Whether spinning can help at all (more than one CPU).
    can_spin: bool,
    /// When this thread last started being busy (for the busy time in
    /// `RuntimeMetrics`).
    busy_since: Cell<Instant>,
    /// A multi-thread worker's own part.
    pub(crate) worker: Option<Worker>,
}

impl std::fmt::Debug for Core {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Core")
            .field("queued", &self.run_queue.borrow().len())
            .field("tasks", &self.owned.borrow().len())
            .field("config", &self.config)
            .field("worker", &self.worker)
            .finish()
    }
}

impl Core {
    /// A current-thread runtime's core. Opens the epoll instance and
    /// eventfd; fails with their `io::Error`.
    pub(crate) fn new(config: Config) -> std::io::Result<Rc<Core>> {
        let driver = Driver::new()?;
        let shared = Arc::new(Shared::new(
            driver.handle().clone(),
            config.pool.clone(),
            Arc::new(Metrics::new(1)),
            None,
        ));
        Ok(Core::build(
            config,
            shared,
            Arc::new(Mutex::new(Some(driver))),
            None,
        ))
    }

    /// A multi-thread worker's core: `pinned` is the home of its
    /// `spawn_local` tasks, `driver` its driver.
    pub(crate) fn new_worker(
        config: Config,
        pinned: Arc<Shared>,
        driver: Arc<DriverCell>,
        worker: Worker,
    ) -> Rc<Core> {
        Core::build(config, pinned, driver, Some(worker))
    }

    fn build(
        config: Config,
        shared: Arc<Shared>,
        driver: Arc<DriverCell>,
        worker: Option<Worker>,
    ) -> Rc<Core> {
        let can_spin = crate::sys::online_cpus() > 1 && !config.max_spin.is_zero();
        let main = Arc::new(MainWake {
            woken: AtomicBool::new(false),
            shared: shared.clone(),
        });
        Rc::new(Core {
            shared,
            run_queue: RefCell::new(VecDeque::with_capacity(256)),
            owned: RefCell::new(OwnedTasks::default()),
            driver,
            main,
            deferred: RefCell::new(Vec::new()),
            config,
            closed: Cell::new(false),
            remote_active: Cell::new(false),
            spin_policy: Cell::new(SpinPolicy::new()),
            can_spin,
            busy_since: Cell::new(Instant::now()),
            worker,
        })
    }

    /// The runtime this core's thread spawns `Send` tasks onto and registers
    /// I/O with: the current-thread runtime, or a worker's runtime.
    pub(crate) fn runtime(&self) -> &Arc<Shared> {
        match &self.worker {
            Some(worker) => &worker.mt,
            None => &self.shared,
        }
    }

    /// Whether this thread runs `handle`'s tasks on its own queues.
    pub(crate) fn runs(&self, handle: &Arc<Shared>) -> bool {
        Arc::ptr_eq(self.runtime(), handle)
    }

    fn worker_metrics(&self) -> &crate::runtime::metrics::WorkerMetrics {
        let index = self.worker.as_ref().map_or(0, |w| w.index);
        &self.shared.metrics.workers[index]
    }

    /// The driver this core turns (for registrations on its thread).
    pub(crate) fn driver_handle(&self) -> &Arc<crate::runtime::driver::Handle> {
        &self.shared.driver
    }

    /// Queues a woken task of runtime `shared` if this thread runs it;
    /// returns false (keeping the reference with the caller) if not.
    pub(crate) fn schedule(&self, shared: &Arc<Shared>, task: RawTask) -> bool {
        if Arc::ptr_eq(&self.shared, shared) {
            self.run_queue.borrow_mut().push_back(task);
            return true;
        }
        match &self.worker {
            Some(worker) if Arc::ptr_eq(&worker.mt, shared) => {
                worker.push(task);
                true
            }
            _ => false,
        }
    }

    /// Spawns a `Send` task from this thread onto [`Core::runtime`].
    pub(crate) fn spawn_send<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        match &self.worker {
            Some(worker) => worker.spawn(future),
            None => self.spawn(future),
        }
    }

    /// Spawns onto this thread's own queue (a `spawn_local` task on a
    /// worker never moves).
    pub(crate) fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
    {
        let (raw, handle) = new_task(future, self.shared.clone());
        if self.closed.get() {
            // Spawned during shutdown (from a future's drop): never runs.
            raw.cancel_new();
            return handle;
        }
        self.owned.borrow_mut().push(raw);
        self.run_queue.borrow_mut().push_back(raw);
        self.shared.metrics.task_spawned();
        handle
    }

    pub(super) fn defer(&self, waker: &Waker) {
        let mut deferred = self.deferred.borrow_mut();
        // A task that yields repeatedly before the next turn is queued once.
        if deferred.last().is_some_and(|last| last.will_wake(waker)) {
            return;
        }
        deferred.push(waker.clone());
    }

    /// Wakes the tasks deferred behind the driver.
    pub(crate) fn wake_deferred(&self) {
        let mut deferred = std::mem::take(&mut *self.deferred.borrow_mut());
        if deferred.is_empty() {
            return;
        }
        // Wakes run outside the borrow: a waker may defer again.
        for waker in deferred.drain(..) {
            waker.wake();
        }
        // Keep the allocation for the next round.
        let mut slot = self.deferred.borrow_mut();
        if slot.is_empty() {
            *slot = deferred;
        }
    }

    /// Moves everything other threads queued for this core onto its run
    /// queue.
    fn drain_inject(&self) {
        let mut rq = self.run_queue.borrow_mut();
        let mut owned = self.owned.borrow_mut();
        self.shared.inject.drain(|task, spawned| {
            if spawned {
                owned.push(task);
            }
            rq.push_back(task);
        });
    }

    /// The next task to poll: this core's own queue first (the tasks
    /// pinned to a worker), then the worker's stealable queue.
    fn next_task(&self) -> Option<RawTask> {
        let task = self.run_queue.borrow_mut().pop_front();
        match &self.worker {
            Some(worker) if task.is_none() => worker.pop(),
            _ => task,
        }
    }

    /// Takes a task of `shared` off this core's owned list, if this core
    /// owns that runtime's tasks; returns whether it was listed.
    pub(crate) fn unlist(&self, shared: &Arc<Shared>, task: RawTask) -> bool {
        Arc::ptr_eq(&self.shared, shared) && self.owned.borrow_mut().remove(task)
    }

    pub(crate) fn run_task(&self, task: RawTask) {
        let own = Arc::ptr_eq(&task.header().shared, &self.shared);
        match task.run() {
            RunOutcome::Idle | RunOutcome::Stale => task.drop_ref(),
            RunOutcome::Reschedule => {
                if own {
                    self.run_queue.borrow_mut().push_back(task);
                } else if let Some(worker) = &self.worker {
                    worker.push(task);
                }
            }
            // Taken off the owned list just before completing (`release`).
            RunOutcome::Complete { listed } => task.drop_refs(if listed { 2 } else { 1 }),
        }
    }

    /// Turns the driver; `None` blocks until an event, an unpark or a timer.
    fn turn(&self, timeout: Option<Duration>) {
        let mut driver = lock_driver(&self.driver);
        self.turn_locked(&mut driver, timeout);
        drop(driver);
        if let Some(worker) = &self.worker {
            worker.turned();
        }
    }

    fn turn_locked(&self, driver: &mut Option<Driver>, timeout: Option<Duration>) {
        let Some(driver) = driver.as_mut() else {
            // Closed by a `shutdown_timeout` that gave up on this worker
            // while it was stuck in a poll: its loop ends at the next look
            // at the shutdown flag.
            debug_assert!(self.worker.as_ref().is_some_and(|w| w.is_shutdown()));
            return;
        };
        let turned = match &self.worker {
            Some(worker) => worker.turning(|| driver.turn(timeout)),
            None => driver.turn(timeout),
        };
        if let Err(e) = turned {
            // epoll_wait only fails on a broken epoll descriptor, which would
            // leave the runtime unable to ever wake: a bug, not an input.
            panic!("guillotine: epoll_wait failed: {e}");
        }
    }

    /// A worker's blocking turn that busy peers' events also end (see
    /// `Worker::arm_busy_peers`).
    fn turn_watching_locked(&self, driver: &mut Option<Driver>, timeout: Option<Duration>) {
        let Some(d) = driver.as_mut() else {
            return;
        };
        let turned = match &self.worker {
            Some(worker) => worker.turning(|| d.turn_watching(timeout)),
            None => d.turn_watching(timeout),
        };
        if let Err(e) = turned {
            panic!("guillotine: epoll_wait failed: {e}");
        }
    }

    /// Blocks in the driver unless a wake came since the last look; at most
    /// `limit` (`None`: until a wake, an event or a timer).
    pub(crate) fn park(&self, limit: Option<Duration>) {
        {
            // A burst of spawns can leave a huge, empty queue behind: give
            // the memory back before sleeping.
            let mut rq = self.run_queue.borrow_mut();
            if rq.capacity() > 16 * 1024 && rq.is_empty() {
                rq.shrink_to(1024);
            }
        }
        let park = &self.shared.driver.park;
        let mut policy = self.spin_policy.get();
        // Only a peer thread's wakes are worth a spin. Bulk input is not:
        // spinning for the sender's next segment gathered fuller reads, but
        // bought 14% more throughput with 16% more CPU per byte.
        let remote_spin = self.remote_active.get() && policy.should_spin();
        if remote_spin && self.can_spin {
            let spin = self.config.max_spin;
            // Never spin past a timer's deadline.
            let limit = self
                .shared
                .driver
                .time
                .wait_timeout(Some(spin))
                .unwrap_or(spin);
            let caught = spin_until(limit, || park.is_notified());
            match caught {
                Some(waited) => policy.caught(waited),
                None => policy.missed(limit),
            }
            self.spin_policy.set(policy);
            if caught.is_some() {
                // Another thread's wake came within the spin: no sleep, no
                // eventfd write.
                park.unparked();
                self.remote_active.set(true);
                return;
            }
        }
        // Held from before the park is announced until after the wait: an
        // idle peer that turned this driver meanwhile could take the
        // eventfd's edge meant to wake this thread.
        let mut driver = lock_driver(&self.driver);
        if park.prepare_park() {
            let worker = self.worker_metrics();
            let slept_at = Instant::now();
            worker.parking(slept_at - self.busy_since.get());
            let watching = match (&self.worker, driver.as_ref()) {
                (Some(w), Some(d)) => w.arm_busy_peers(d),
                _ => false,
            };
            if watching {
                self.turn_watching_locked(&mut driver, limit);
            } else {
                self.turn_locked(&mut driver, limit);
            }
            drop(driver);
            let woke_at = Instant::now();
            worker.unparked();
            self.busy_since.set(woke_at);
            let remote = park.unparked();
            if let Some(worker) = &self.worker {
                worker.woke();
            }
            self.remote_active.set(remote);
            if remote && !remote_spin {
                policy.slept();
                self.spin_policy.set(policy);
            }
        } else {
            // Something was woken from elsewhere: still collect I/O and
            // timers, but without blocking.
            self.remote_active.set(true);
            self.turn_locked(&mut driver, Some(Duration::ZERO));
        }
        if let Some(worker) = &self.worker {
            worker.turned();
        }
    }

    /// The tick loop: polls the `block_on` future when it is woken (`main`),
    /// runs queued tasks, turns the driver every `event_interval` polls and
    /// sleeps when there is nothing to do. Returns the main future's output,
    /// or `None` when a worker's runtime shuts down.
    fn run<T>(&self, mut main: impl FnMut() -> Poll<T>) -> Option<T> {
        let interval = self.config.event_interval;
        let mut since_turn: u32 = 0;
        loop {
            if self.main.woken.swap(false, AcqRel) {
                since_turn += 1;
                if let Poll::Ready(out) = main() {
                    return Some(out);
                }
            }
            self.drain_inject();
            let mut ran = 0;
            while ran < interval {
                let Some(task) = self.next_task() else {
                    break;
                };
                self.run_task(task);
                ran += 1;
            }
            since_turn += ran;
            let idle = ran < interval && !self.main.woken.load(Acquire);
            if since_turn >= interval || (idle && !self.deferred.borrow().is_empty()) {
                // Fairness: tasks that keep waking each other must not starve
                // I/O, timers or the injection queue; yielded tasks run after
                // the driver has been looked at.
                since_turn = 0;
                self.turn(Some(Duration::ZERO));
                self.wake_deferred();
                if let Some(worker) = &self.worker {
                    if worker.is_shutdown() {
                        return None;
                    }
                    worker.maintenance();
                }
            } else if idle {
                // Out of work: the run queues are empty (a task woken on this
                // thread would be in one) and the main future is not woken.
                since_turn = 0;
                match &self.worker {
                    None => self.park(None),
                    Some(worker) => {
                        if worker.is_shutdown() {
                            return None;
                        }
                        if !worker.find_work(self) && !worker.help_peers() {
                            worker.park(self);
                        }
                    }
                }
            }
        }
    }

    /// Runs `future` to completion, and the runtime's tasks meanwhile
    /// (`Handle::block_on` on the thread that owns a current-thread
    /// runtime: as in tokio, its future may call `task::block_in_place`).
    #[track_caller]
    pub(crate) fn block_on<F: Future>(self: &Rc<Self>, future: F) -> F::Output {
        self.block_on_in(&self.shared.clone(), true, future)
    }

    /// Runs `future` to completion with `handle` as the current runtime
    /// (a multi-thread runtime's `block_on`: this core then runs only the
    /// `spawn_local` tasks of this thread). `may_block`: the future may call
    /// `task::block_in_place`.
    #[track_caller]
    pub(crate) fn block_on_in<F: Future>(
        self: &Rc<Self>,
        handle: &Arc<Shared>,
        may_block: bool,
        future: F,
    ) -> F::Output {
        let _guard = context::enter_block_on(self, handle, may_block);
        let _slack = TightTimerSlack::new();
        let _busy = Busy::start(self);
        let waker = Waker::from(self.main.clone());
        let mut cx = Context::from_waker(&waker);
        let mut future = pin!(future);
        self.main.woken.store(true, Relaxed);
        let out = self.run(|| context::poll_scope(None, || future.as_mut().poll(&mut cx)));
        out.expect("only a worker's loop ends without an output")
    }

    /// A worker thread's life: the tick loop until the runtime shuts down,
    /// then the tasks pinned to it are dropped here, on their thread.
    pub(crate) fn run_worker(self: &Rc<Self>, runtime: &Arc<Shared>) {
        {
            let _guard = context::enter_worker(self, runtime);
            let _slack = TightTimerSlack::new();
            let _busy = Busy::start(self);
            let _ = self.run(|| Poll::<()>::Pending);
        }
        self.shutdown_tasks();
        if let Some(worker) = &self.worker {
            worker.drain();
        }
    }

    /// Drops every unfinished task of this core, inside its context.
    fn shutdown_tasks(self: &Rc<Self>) {
        if self.closed.replace(true) {
            return;
        }
        let _guard = context::enter_core(self);
        let (spawned, woken) = self.shared.inject.close();
        for task in spawned {
            task.cancel_new();
            self.shared.metrics.task_finished();
        }
        for task in woken {
            task.drop_ref();
        }
        // Deferred wakers hold task references; the tasks are dropped below.
        drop(std::mem::take(&mut *self.deferred.borrow_mut()));
        loop {
            let next = self.owned.borrow_mut().pop();
            if let Some(task) = next {
                task.shutdown();
                task.drop_ref();
                self.shared.metrics.task_finished();
                continue;
            }
            let queued = self.run_queue.borrow_mut().pop_front();
            match queued {
                Some(task) => task.drop_ref(),
                None => break,
            }
        }
    }

    /// Drops every unfinished task, inside this runtime's context, then waits
    /// for running blocking jobs (until `deadline`, if given).
    pub(crate) fn shutdown(self: &Rc<Self>, deadline: Option<Instant>) {
        if self.closed.get() {
            return;
        }
        self.shutdown_tasks();
        let driver = &self.shared.driver;
        driver.time.shutdown();
        // Fail I/O waits (e.g. of a blocking job) before waiting for the pool.
        driver.io.shutdown();
        driver.unparker.close();
        self.shared.shutdown_blocking(deadline);
    }

    pub(crate) fn task_count(&self) -> usize {
        self.owned.borrow().len()
    }
}
