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
//!
//! # Which thread touches a core
//!
//! A `Core` is reached through an `Rc`, so only one thread at a time holds
//! it; the `Cell`s need nothing more. A worker's core and a home of
//! `spawn_local` tasks (`local.rs`) never leave their thread. A
//! current-thread runtime's core moves: the runtime is `Send + Sync`, and
//! whichever thread calls `block_on` takes the core out of the runtime's
//! [`Handoff`], drives it, and parks it again
//! ([`ParkedCore`]). That core holds only `Send` tasks: the local tasks of
//! the driving thread stay in that thread's home, which is attached to the
//! core for the `block_on` and detached before the core is parked.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::future::Future;
use std::pin::{Pin, pin};
use std::rc::Rc;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed, Release};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use crate::runtime::context;
use crate::runtime::driver::Driver;
use crate::runtime::metrics::{Metrics, WorkerMetrics};
use crate::runtime::scheduler::handoff::{Handoff, Take};
use crate::runtime::scheduler::multi_thread::{DriverCell, Worker, lock_driver};
use crate::runtime::scheduler::{Config, Shared, ThreadWake, TightTimerSlack, local};
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
        if let Some(metrics) = core.worker_metrics() {
            metrics.stopped(core.busy_since.get().elapsed());
        }
    }
}

/// One thread's state for running tasks.
pub(crate) struct Core {
    /// The runtime whose tasks this core runs on its own queue: a
    /// current-thread runtime, or a worker's pinned half.
    pub(crate) shared: Arc<Shared>,
    /// Tasks ready to be polled; one reference per entry.
    run_queue: RefCell<VecDeque<RawTask>>,
    /// Every unfinished task of `shared` (and, on a lone worker, of its
    /// runtime: see `Worker::alone`).
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
    /// Whether the last sleep was ended by a descriptor's event (not by
    /// another thread's wake or a timer): a peer is sending, so a spin that
    /// looks at epoll may catch its next message (current-thread only).
    io_woken: Cell<bool>,
    /// Whether spinning for descriptor events has been paying (the same
    /// books as `spin_policy`'s, kept apart: the two peers' paces differ).
    io_spin_policy: Cell<SpinPolicy>,
    /// Whether spinning can help at all (more than one CPU).
    can_spin: bool,
    /// When this thread last started being busy (for the busy time in
    /// `RuntimeMetrics`).
    busy_since: Cell<Instant>,
    /// A multi-thread worker's own part.
    pub(crate) worker: Option<Worker>,
    /// A current-thread runtime's core, while a thread drives it: that
    /// thread's home of local tasks (`local.rs`), whose queue entries sit in
    /// `run_queue` meanwhile, in FIFO order with the runtime's. `None`
    /// whenever the core is parked.
    local: RefCell<Option<Rc<Core>>>,
    /// Whether `run_queue` may hold entries of `local`'s tasks.
    local_queued: Cell<bool>,
    /// A home of local tasks: the runtime whose `spawn_local` tasks of this
    /// thread it holds (its `shared` is the home's own, for their wakes).
    home_of: Option<Arc<Shared>>,
}

/// A current-thread runtime's core while no thread drives it: in the
/// runtime's [`Handoff`], for the next `block_on` on any thread to take.
pub(crate) struct ParkedCore(Rc<Core>);

// SAFETY: a `ParkedCore` is made only by `ParkedCore::park`, which checks
// that the `Rc` is the only reference to the core (no other `Rc`, no
// `Weak`), so moving it to another thread moves the `Core` as a `Box`
// would, and that the core is a current-thread runtime's, with no home of
// local tasks attached. What is left in it is `Send`: the `Cell`s and
// `RefCell`s are only `!Sync`, and its tasks are `Send` ones, since
// `spawn_local` never puts a task in this core's owned list (`spawn_local`
// goes to a thread's home, `local.rs`) and the entries of the home's tasks
// leave `run_queue` when it is detached. The handoff's mutex orders the
// last touch of one driving thread before the first touch of the next.
unsafe impl Send for ParkedCore {}

impl ParkedCore {
    /// Parks `core`, or hands it back if it cannot move between threads: a
    /// reference to it is left somewhere (a leaked `EnterGuard` made while
    /// it was driven holds one), or it is not a current-thread runtime's
    /// core with its local home detached.
    pub(crate) fn park(core: Rc<Core>) -> Result<ParkedCore, Rc<Core>> {
        let movable = Rc::strong_count(&core) == 1
            && Rc::weak_count(&core) == 0
            && core.worker.is_none()
            && core.home_of.is_none()
            && core.local.borrow().is_none()
            && !core.local_queued.get();
        if movable {
            Ok(ParkedCore(core))
        } else {
            Err(core)
        }
    }

    /// The core, to drive on this thread.
    pub(crate) fn into_core(self) -> Rc<Core> {
        self.0
    }
}

impl std::fmt::Debug for ParkedCore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("ParkedCore").field(&self.0).finish()
    }
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
    /// A current-thread runtime: its shared half, with the core parked in
    /// its handoff. Opens the epoll instance and eventfd; fails with their
    /// `io::Error`.
    pub(crate) fn new_current_thread(config: Config) -> std::io::Result<Arc<Shared>> {
        let driver = Driver::new(config.clock.clone())?;
        let mut shared = Shared::new(
            driver.handle().clone(),
            &config,
            Arc::new(Metrics::new(1)),
            None,
        );
        shared.handoff = Some(Handoff::new());
        let shared = Arc::new(shared);
        let core = Core::build(
            config,
            shared.clone(),
            Arc::new(Mutex::new(Some(driver))),
            None,
            None,
        );
        let parked = ParkedCore::park(core).expect("a new core is unique");
        let handoff = shared.handoff.as_ref().expect("set above");
        if handoff.put_back(parked).is_err() {
            unreachable!("a new runtime is not closed");
        }
        Ok(shared)
    }

    /// This thread's home for the `spawn_local` tasks of `runtime`
    /// (`local.rs`). On a multi-thread runtime it is also the core this
    /// thread's `block_on` drives, with an epoll instance and eventfd of its
    /// own to sleep on (the runtime closes them when it shuts down, on
    /// whichever thread); fails with their `io::Error`. On a current-thread
    /// runtime it never drives: the runtime's core runs its tasks while
    /// this thread drives the runtime, and wakes from other threads reach
    /// that core through the runtime's driver.
    pub(crate) fn new_home(runtime: &Arc<Shared>) -> std::io::Result<Rc<Core>> {
        // The spin policy stays on even when the workers have every CPU: a
        // thread that joins their tasks one by one would otherwise cost a
        // worker an eventfd write per join and itself a sleep; the policy
        // stops as soon as catches come slower than a sleep costs.
        let config = runtime.config.clone();
        let (handle, cell) = match &runtime.workers {
            Some(workers) => {
                let driver = Driver::new(config.clock.clone())?;
                let handle = driver.handle().clone();
                let cell = Arc::new(Mutex::new(Some(driver)));
                workers.adopt_driver(&cell);
                (handle, cell)
            }
            None => (runtime.driver.clone(), Arc::new(Mutex::new(None))),
        };
        let shared = Arc::new(Shared::new(handle, &config, runtime.metrics.clone(), None));
        Ok(Core::build(
            config,
            shared,
            cell,
            None,
            Some(runtime.clone()),
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
        Core::build(config, pinned, driver, Some(worker), None)
    }

    fn build(
        config: Config,
        shared: Arc<Shared>,
        driver: Arc<DriverCell>,
        worker: Option<Worker>,
        home_of: Option<Arc<Shared>>,
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
            io_woken: Cell::new(false),
            io_spin_policy: Cell::new(SpinPolicy::new()),
            can_spin,
            busy_since: Cell::new(Instant::now()),
            worker,
            local: RefCell::new(None),
            local_queued: Cell::new(false),
            home_of,
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

    /// Whether this core is this thread's home of `runtime`'s local tasks.
    pub(crate) fn is_home_of(&self, runtime: &Arc<Shared>) -> bool {
        self.home_of
            .as_ref()
            .is_some_and(|r| Arc::ptr_eq(r, runtime))
    }

    /// Whether this core is `handle`'s on this thread: it runs its tasks, or
    /// is this thread's home of its local tasks.
    pub(crate) fn belongs_to(&self, handle: &Arc<Shared>) -> bool {
        self.runs(handle) || self.is_home_of(handle)
    }

    /// A home of a current-thread runtime's local tasks: it never runs a
    /// tick loop or turns a driver of its own (see [`Core::new_home`]).
    pub(crate) fn is_passive(&self) -> bool {
        self.home_of.as_ref().is_some_and(|r| r.workers.is_none())
    }

    /// A home whose runtime has shut down: its tasks can never run again.
    pub(crate) fn home_is_stale(&self) -> bool {
        self.home_of.as_ref().is_some_and(|r| r.is_shut_down())
    }

    /// The runtime this core's futures see as current when they are dropped
    /// (a home's runtime, not the home's own half).
    fn context_runtime(&self) -> &Arc<Shared> {
        self.home_of.as_ref().unwrap_or_else(|| self.runtime())
    }

    /// The busy and park counters this core keeps: a worker's, or the
    /// current-thread runtime's; a home of local tasks keeps none.
    fn worker_metrics(&self) -> Option<&WorkerMetrics> {
        if self.home_of.is_some() {
            return None;
        }
        let index = self.worker.as_ref().map_or(0, |w| w.index);
        Some(&self.shared.metrics.workers[index])
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
                worker.push_woken(self, task);
                true
            }
            Some(_) => false,
            None => self.schedule_local(shared, task),
        }
    }

    /// Queues a woken task of the attached home of local tasks, if `shared`
    /// is that home's.
    fn schedule_local(&self, shared: &Arc<Shared>, task: RawTask) -> bool {
        let local = self.local.borrow();
        if !local
            .as_ref()
            .is_some_and(|l| Arc::ptr_eq(&l.shared, shared))
        {
            return false;
        }
        self.run_queue.borrow_mut().push_back(task);
        self.local_queued.set(true);
        true
    }

    /// Attaches this thread's home of local tasks to a current-thread
    /// runtime's core for a `block_on`: its queued tasks join the run queue.
    pub(crate) fn attach_local(&self, home: Rc<Core>) {
        debug_assert!(self.home_of.is_none() && self.worker.is_none() && home.is_passive());
        let mut queued = home.run_queue.borrow_mut();
        if !queued.is_empty() {
            self.run_queue.borrow_mut().extend(queued.drain(..));
            self.local_queued.set(true);
        }
        drop(queued);
        *self.local.borrow_mut() = Some(home);
    }

    /// Detaches the home of local tasks at the end of a `block_on`: their
    /// queue entries go back to it, in order, so that they run only when its
    /// thread drives the runtime again.
    pub(crate) fn detach_local(&self) {
        let Some(home) = self.local.borrow_mut().take() else {
            return;
        };
        if self.local_queued.replace(false) {
            let mut theirs = home.run_queue.borrow_mut();
            self.run_queue.borrow_mut().retain(|task| {
                let local = Arc::ptr_eq(&task.header().shared, &home.shared);
                if local {
                    theirs.push_back(*task);
                }
                !local
            });
        }
    }

    /// Spawns a `!Send` task onto this thread's home of local tasks: this
    /// core if it is one (or a worker, which pins it), else the home
    /// attached to this current-thread runtime's core, made on first use.
    pub(crate) fn spawn_local<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
    {
        if self.worker.is_some() || self.home_of.is_some() {
            return self.spawn(future);
        }
        if self.local.borrow().is_none() && !self.closed.get() {
            let home = local::get_or_make(&self.shared, || Core::new_home(&self.shared))
                .expect("a current-thread runtime's home opens no descriptor");
            self.attach_local(home);
        }
        let local = self.local.borrow();
        let home = match local.as_ref() {
            Some(home) if !home.closed.get() => home,
            // Spawned while this core shuts down (from a future's drop):
            // never runs, and is dropped here, on its own thread.
            _ => {
                let (raw, handle) = new_task(future, self.shared.clone());
                raw.cancel_new();
                return handle;
            }
        };
        let (raw, handle) = new_task(future, home.shared.clone());
        home.owned.borrow_mut().push(raw);
        self.run_queue.borrow_mut().push_back(raw);
        self.local_queued.set(true);
        home.shared.metrics.task_spawned();
        handle
    }

    /// Spawns a `Send` task from this thread onto [`Core::runtime`].
    pub(crate) fn spawn_send<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        match &self.worker {
            Some(worker) => worker.spawn(self, future),
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

    /// Puts `waker` behind the next driver turn; returns false on a home
    /// of local tasks that does not drive (the caller wakes it at once).
    pub(super) fn defer(&self, waker: &Waker) -> bool {
        if self.is_passive() {
            return false;
        }
        let mut deferred = self.deferred.borrow_mut();
        // A task that yields repeatedly before the next turn is queued once.
        if deferred.last().is_some_and(|last| last.will_wake(waker)) {
            return true;
        }
        deferred.push(waker.clone());
        true
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

    /// Queues a task this core runs: one of its own, or a lone worker's
    /// `Send` task (`Worker::alone`).
    pub(crate) fn push_back(&self, task: RawTask) {
        self.run_queue.borrow_mut().push_back(task);
    }

    /// This core's queue length, if it is the lone worker of `runtime`
    /// (whose queue it is); read on its own thread.
    pub(crate) fn lone_worker_depth(&self, runtime: &Arc<Shared>) -> Option<usize> {
        let worker = self.worker.as_ref()?;
        if !worker.alone || !Arc::ptr_eq(&worker.mt, runtime) {
            return None;
        }
        Some(self.run_queue.try_borrow().ok()?.len())
    }

    /// Moves everything other threads queued for this core onto its run
    /// queue (a lone worker's too: it has no peer to share them with).
    fn drain_inject(&self) {
        let mut rq = self.run_queue.borrow_mut();
        let mut owned = self.owned.borrow_mut();
        // A lone worker's runtime's queue too. The core closes its list
        // only at the worker's exit, after shutdown closed that queue: a
        // new task taken here is always listed.
        let lone = self.worker.as_ref().filter(|w| w.alone);
        for inject in std::iter::once(&self.shared.inject).chain(lone.map(|w| &w.mt.inject)) {
            inject.drain(|task, spawned| {
                if spawned {
                    owned.push(task);
                }
                rq.push_back(task);
            });
        }
        // The attached home's tasks woken from other threads (never spawned
        // there: its owned list took them at their spawn).
        if let Some(home) = self.local.borrow().as_ref()
            && home.shared.inject.drain(|task, _| rq.push_back(task)) > 0
        {
            self.local_queued.set(true);
        }
    }

    /// The next task to poll: this core's own queue first (the tasks
    /// pinned to a worker), then the worker's stealable queue.
    fn next_task(&self) -> Option<RawTask> {
        let task = self.run_queue.borrow_mut().pop_front();
        match &self.worker {
            Some(worker) if task.is_none() => worker.pop(self),
            _ => task,
        }
    }

    /// Lists a new task in this core's owned list (a lone worker's `Send`
    /// task); fails once this core has begun shutting its tasks down.
    pub(crate) fn list(&self, task: RawTask) -> Result<(), ()> {
        if self.closed.get() {
            return Err(());
        }
        self.owned.borrow_mut().push(task);
        Ok(())
    }

    /// Takes a task of `shared` off this core's owned list, if this core
    /// owns that runtime's tasks (its own, or a lone worker's runtime's);
    /// returns whether it was listed.
    pub(crate) fn unlist(&self, shared: &Arc<Shared>, task: RawTask) -> bool {
        let owns = Arc::ptr_eq(&self.shared, shared)
            || self
                .worker
                .as_ref()
                .is_some_and(|w| w.alone && Arc::ptr_eq(&w.mt, shared));
        if owns {
            return self.owned.borrow_mut().remove(task);
        }
        let local = self.local.borrow();
        match local.as_ref() {
            Some(home) if Arc::ptr_eq(&home.shared, shared) => home.owned.borrow_mut().remove(task),
            _ => false,
        }
    }

    /// Returns whether the task completed.
    pub(crate) fn run_task(&self, task: RawTask) -> bool {
        let own = Arc::ptr_eq(&task.header().shared, &self.shared);
        match task.run() {
            RunOutcome::Idle | RunOutcome::Stale => task.drop_ref(),
            RunOutcome::Reschedule => match &self.worker {
                Some(worker) if !own => worker.push_woken(self, task),
                // Its own, or (a current-thread core) the attached home's,
                // whose entries stay in this queue while it is attached.
                _ => {
                    if !own {
                        self.local_queued.set(true);
                    }
                    self.run_queue.borrow_mut().push_back(task);
                }
            },
            // Taken off the owned list just before completing (`release`).
            RunOutcome::Complete { listed } => {
                task.drop_refs(if listed { 2 } else { 1 });
                return true;
            }
        }
        false
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
        let mut turn = || driver.turn(timeout);
        let turned = match &self.worker {
            Some(worker) => worker.turning(turn),
            None => turn(),
        };
        if let Err(e) = turned {
            // epoll_wait only fails on a broken epoll descriptor, which would
            // leave the runtime unable to ever wake: a bug, not an input.
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
        #[cfg(feature = "test-util")]
        if self.config.clock.is_paused() {
            self.park_paused(limit);
            return;
        }
        let park = &self.shared.driver.park;
        let mut policy = self.spin_policy.get();
        // A peer thread's wakes are worth a spin; so is a socket's answer
        // (below), but not bulk input: spinning for a streaming sender's
        // next segment bought no throughput for its CPU.
        let remote_spin = self.remote_active.get() && policy.should_spin();
        if remote_spin && self.can_spin {
            let limit = self.spin_limit();
            let caught = spin_until(limit, || park.is_notified());
            policy.settle(caught, limit);
            self.spin_policy.set(policy);
            if caught.is_some() {
                // Another thread's wake came within the spin: no sleep, no
                // eventfd write.
                park.unparked();
                self.remote_active.set(true);
                return;
            }
        }
        // A descriptor's event ended the last sleep and something was sent
        // since: a peer answering within microseconds is worth a spin. A
        // stream that only comes in is not: its sender runs at its own pace,
        // and catching its next segment saved neither side anything.
        // (A worker leaves the flag alone: set once, it stays set, and the
        // workers' writes then only read its line.)
        let sent = self.worker.is_none() && self.shared.driver.take_sent();
        let mut io_policy = self.io_spin_policy.get();
        let io_spin =
            sent && !remote_spin && self.can_spin && self.io_woken.get() && io_policy.should_spin();
        if io_spin && self.spin_for_io(&mut io_policy) {
            return;
        }
        // Held from before the park is announced until after the wait: an
        // idle peer that turned this driver meanwhile could take the
        // eventfd's edge meant to wake this thread.
        let mut driver = lock_driver(&self.driver);
        if park.prepare_park() {
            let metrics = self.worker_metrics();
            let slept_at = Instant::now();
            if let Some(metrics) = metrics {
                metrics.parking(slept_at - self.busy_since.get());
            }
            // Asleep for the paused clock's count too: time may be paused
            // while this thread sleeps.
            #[cfg(feature = "test-util")]
            self.config.clock.thread_asleep();
            self.turn_locked(&mut driver, limit);
            #[cfg(feature = "test-util")]
            self.config.clock.thread_awake();
            let driver_took_io = driver.as_ref().is_some_and(Driver::took_io);
            drop(driver);
            let woke_at = Instant::now();
            if let Some(metrics) = metrics {
                metrics.unparked();
            }
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
            let io = !remote && driver_took_io;
            self.io_woken.set(io);
            if io && sent && !io_spin {
                io_policy.slept();
                self.io_spin_policy.set(io_policy);
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

    /// The longest spin before this park: `max_spin`, but never past a
    /// timer's deadline.
    fn spin_limit(&self) -> Duration {
        let spin = self.config.max_spin;
        self.shared
            .driver
            .time
            .wait_timeout(Some(spin))
            .unwrap_or(spin)
    }

    /// Before sleeping after a sleep that a descriptor's event ended: looks
    /// at epoll without blocking, again and again, for up to `max_spin`
    /// (never past a timer), keeping the books in `policy`. Returns whether
    /// the spin caught something to run, so that the park is over. A peer
    /// that answers within the spin is spared the wake-up of a sleeping
    /// runtime and the runtime its sleep; a spin that catches nothing, or
    /// only late, costs CPU, and the books stop it.
    fn spin_for_io(&self, policy: &mut SpinPolicy) -> bool {
        let limit = self.spin_limit();
        let park = &self.shared.driver.park;
        let start = Instant::now();
        let caught = loop {
            self.turn(Some(Duration::ZERO));
            // A current-thread core: no worker's queues to look at.
            if park.is_notified()
                || !self.run_queue.borrow().is_empty()
                || self.main.woken.load(Acquire)
            {
                break Some(start.elapsed());
            }
            let waited = start.elapsed();
            if waited >= limit {
                break None;
            }
            // Between looks, leave the epoll's lock to the sender's wake.
            for _ in 0..64 {
                std::hint::spin_loop();
            }
        };
        policy.settle(caught, limit);
        self.io_spin_policy.set(*policy);
        if caught.is_some() && park.is_notified() {
            park.unparked();
            self.remote_active.set(true);
        }
        caught.is_some()
    }

    /// [`park`](Self::park) while the clock is paused (`test-util`): no
    /// spin (nothing is timed), and the last of the runtime's threads to go
    /// to sleep first jumps the clock to the next timer if the runtime is
    /// idle (`Clock::auto_advance`).
    #[cfg(feature = "test-util")]
    fn park_paused(&self, limit: Option<Duration>) {
        use crate::runtime::driver::time::clock::Advance;
        let clock = &self.config.clock;
        let park = &self.shared.driver.park;
        let mut driver = lock_driver(&self.driver);
        if park.prepare_park() {
            let mut wait = limit;
            let mut sleep = true;
            if clock.thread_asleep() {
                // The last one: take what the own driver has first.
                self.turn_locked(&mut driver, Some(Duration::ZERO));
                if self.has_runnable() || park.is_notified() {
                    sleep = false;
                } else {
                    match clock.auto_advance(&self.shared.driver) {
                        Advance::Off => {}
                        Advance::Jumped => sleep = false,
                        Advance::Wait(hold) => {
                            wait = match (wait, hold) {
                                (Some(a), Some(b)) => Some(a.min(b)),
                                (a, b) => a.or(b),
                            };
                        }
                    }
                }
            }
            if sleep {
                self.turn_locked(&mut driver, wait);
            }
            clock.thread_awake();
            drop(driver);
            park.unparked();
            if let Some(worker) = &self.worker {
                worker.woke();
            }
        } else {
            self.turn_locked(&mut driver, Some(Duration::ZERO));
            drop(driver);
        }
        if let Some(worker) = &self.worker {
            worker.turned();
        }
    }

    /// Whether this core has a task or its main future to poll.
    #[cfg(feature = "test-util")]
    fn has_runnable(&self) -> bool {
        !self.run_queue.borrow().is_empty()
            || self.main.woken.load(Acquire)
            || !self.shared.inject.is_empty()
            || self.worker.as_ref().is_some_and(|w| w.has_work())
    }

    /// The tick loop: polls the `block_on` future when it is woken (`main`),
    /// runs queued tasks, turns the driver every `event_interval` polls and
    /// sleeps when there is nothing to do. Returns the main future's output,
    /// or `None` when a worker's runtime shuts down.
    fn run<T>(&self, mut main: impl FnMut() -> Poll<T>) -> Option<T> {
        #[cfg(feature = "test-util")]
        let _awake = Awake::new(&self.config.clock);
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
            let round = self.worker.as_ref().and_then(Worker::round_started);
            let (mut ran, mut completed) = (0, 0);
            while ran < interval {
                let Some(task) = self.next_task() else {
                    break;
                };
                completed += u32::from(self.run_task(task));
                ran += 1;
            }
            if let Some(worker) = &self.worker {
                worker.round_ended(round, ran, completed, self.run_queue.borrow().len());
            }
            since_turn += ran;
            let idle = ran < interval && !self.main.woken.load(Acquire);
            let yielded = if idle {
                self.deferred.borrow().len()
            } else {
                0
            };
            if yielded > 0
                && since_turn < interval
                && let Some(worker) = &self.worker
                && worker.steals_before_yielded(self, yielded)
            {
                // The yielded tasks run after the next turn.
                since_turn += 1;
                continue;
            }
            if since_turn >= interval || yielded > 0 {
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
                    worker.maintenance(self);
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
                        if !worker.find_work(self) {
                            worker.park(self);
                        }
                    }
                }
            }
        }
    }

    /// Runs `future` to completion with `handle` as the current runtime:
    /// a current-thread runtime's core taken out of its handoff, or a
    /// multi-thread runtime's `block_on` (this thread's home then runs only
    /// the `spawn_local` tasks of this thread). `may_block`: the future may
    /// call `task::block_in_place`.
    #[track_caller]
    pub(crate) fn block_on_in<F: Future>(
        self: &Rc<Self>,
        handle: &Arc<Shared>,
        may_block: bool,
        mut future: Pin<&mut F>,
    ) -> F::Output {
        let _guard = context::enter_block_on(self, handle, may_block);
        let _slack = TightTimerSlack::new();
        let _busy = Busy::start(self);
        let waker = Waker::from(self.main.clone());
        let mut cx = Context::from_waker(&waker);
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
    pub(crate) fn shutdown_tasks(self: &Rc<Self>) {
        if self.closed.replace(true) {
            return;
        }
        let _guard = context::enter_core_in(self, self.context_runtime());
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

    /// Shuts this core's driver down: timers complete (later polls panic
    /// saying the runtime is shut down), I/O waits fail (e.g. of a blocking
    /// job, before the runtime waits for its pool), and the epoll instance
    /// and eventfd close now, not with the last reference to the driver.
    fn shutdown_driver(&self) {
        let driver = &self.shared.driver;
        driver.time.shutdown();
        driver.io.shutdown();
        driver.unparker.close();
        drop(lock_driver(&self.driver).take());
    }

    /// Drops a home of local tasks, on its thread: its tasks, and (a
    /// multi-thread runtime's home) its driver.
    pub(crate) fn shutdown_home(self: &Rc<Self>) {
        debug_assert!(self.home_of.is_some());
        self.shutdown_tasks();
        if !self.is_passive() {
            self.shutdown_driver();
        }
    }
}

/// What a thread waiting for the core of a current-thread runtime got.
enum Waited<T> {
    /// Its future completed meanwhile.
    Done(T),
    /// The core: the thread drives it now.
    Core(ParkedCore),
}

/// `Runtime::block_on` of a current-thread runtime (and `Handle::block_on`
/// under `Runtime::enter`), on any thread: takes the runtime's core out of
/// its handoff and drives it, with this thread's local tasks, until `future`
/// completes. If another thread drives it, polls `future` meanwhile (as
/// tokio does) and takes the core when that thread gives it back.
#[track_caller]
pub(crate) fn block_on<F: Future>(runtime: &Arc<Shared>, may_block: bool, future: F) -> F::Output {
    context::assert_not_running();
    let handoff = runtime.handoff.as_ref().expect("a current-thread runtime");
    let mut future = pin!(future);
    let core = match handoff.take(None) {
        Take::Core(core) => core,
        Take::Lost => lost_core(),
        Take::Busy | Take::Closed => {
            match wait_for_core(runtime, handoff, may_block, future.as_mut()) {
                Waited::Done(out) => return out,
                Waited::Core(core) => core,
            }
        }
    };
    let driving = Driving {
        core: Some(core.into_core()),
        handoff,
    };
    let core = driving.core.as_ref().expect("taken only in drop");
    if let Some(home) = local::find(runtime) {
        core.attach_local(home);
    }
    core.block_on_in(runtime, may_block, future)
}

#[track_caller]
fn lost_core() -> ! {
    panic!(
        "this current-thread runtime cannot be driven any more: a `block_on` could not hand its          core on, because a reference to it was leaked while it ran (an `EnterGuard` made inside          `block_on` and passed to `mem::forget`)"
    )
}

/// Polls `future` on this thread while another thread drives the runtime,
/// until it completes or the core comes back. Its spawns go through the
/// injection queue; its `spawn_local` tasks wait in this thread's home
/// until this thread drives. After a shutdown (`Handle::block_on` under a
/// `Runtime::enter` that outlived the runtime) it just polls the future.
#[track_caller]
fn wait_for_core<F: Future>(
    runtime: &Arc<Shared>,
    handoff: &Handoff<ParkedCore>,
    may_block: bool,
    mut future: Pin<&mut F>,
) -> Waited<F::Output> {
    let home = local::get_or_make(runtime, || Core::new_home(runtime))
        .expect("a current-thread runtime's home opens no descriptor");
    let _guard = context::enter_block_on_waiting(&home, runtime, may_block);
    let wake = Arc::new(ThreadWake::current());
    let waker = Waker::from(wake.clone());
    let mut cx = Context::from_waker(&waker);
    let mut closed = false;
    loop {
        if !closed {
            match handoff.take(Some(&waker)) {
                Take::Core(core) => return Waited::Core(core),
                Take::Busy => {}
                Take::Closed => closed = true,
                Take::Lost => lost_core(),
            }
        }
        if let Poll::Ready(out) = context::poll_scope(None, || future.as_mut().poll(&mut cx)) {
            handoff.forget(&waker);
            return Waited::Done(out);
        }
        wake.wait(None);
    }
}

/// The core a thread drives, given back to the handoff when its `block_on`
/// returns or unwinds (after the context that referred to it is gone).
struct Driving<'a> {
    core: Option<Rc<Core>>,
    handoff: &'a Handoff<ParkedCore>,
}

impl Drop for Driving<'_> {
    fn drop(&mut self) {
        let Some(core) = self.core.take() else {
            return;
        };
        core.detach_local();
        match ParkedCore::park(core) {
            Ok(parked) => {
                if let Err(parked) = self.handoff.put_back(parked) {
                    // The runtime shut down while this thread drove it (a
                    // `Handle::block_on` under a `Runtime::enter` that
                    // outlived the runtime): its tasks are dropped here.
                    let core = parked.into_core();
                    core.shutdown_tasks();
                    core.shutdown_driver();
                }
            }
            // A leaked reference pins the core to this thread: it can never
            // be driven again, and its tasks are never dropped.
            Err(_) => self.handoff.lose(),
        }
    }
}

/// Shuts a current-thread runtime down on this thread: its local tasks of
/// this thread, then (waiting until `deadline` for a thread that drives it)
/// its core's tasks and driver, then its blocking pool.
pub(crate) fn shutdown(runtime: &Arc<Shared>, deadline: Option<Instant>) {
    runtime.mark_shut_down();
    if let Some(home) = local::take(runtime) {
        home.shutdown_home();
    }
    let handoff = runtime.handoff.as_ref().expect("a current-thread runtime");
    if let Some(core) = take_for_shutdown(handoff, deadline) {
        core.shutdown_tasks();
        core.shutdown_driver();
    }
    runtime.shutdown_blocking(deadline);
}

/// Takes the core for good, waiting until `deadline` if a thread drives it
/// (only a `Handle::block_on` under a `Runtime::enter` that outlived the
/// runtime can). Past the deadline, that thread shuts it down when its
/// `block_on` returns.
fn take_for_shutdown(handoff: &Handoff<ParkedCore>, deadline: Option<Instant>) -> Option<Rc<Core>> {
    let wake = Arc::new(ThreadWake::current());
    let waker = Waker::from(wake.clone());
    loop {
        match handoff.take(Some(&waker)) {
            Take::Core(core) => {
                handoff.close();
                return Some(core.into_core());
            }
            Take::Busy if wake.wait(deadline) => {}
            _ => return handoff.close().map(ParkedCore::into_core),
        }
    }
}

/// Counts a thread running a core as awake on the runtime's clock, for the
/// paused clock's automatic advance (`test-util`).
#[cfg(feature = "test-util")]
struct Awake<'a>(&'a crate::runtime::driver::time::Clock);

#[cfg(feature = "test-util")]
impl<'a> Awake<'a> {
    fn new(clock: &'a crate::runtime::driver::time::Clock) -> Awake<'a> {
        clock.thread_awake();
        Awake(clock)
    }
}

#[cfg(feature = "test-util")]
impl Drop for Awake<'_> {
    fn drop(&mut self) {
        self.0.thread_asleep();
    }
}
