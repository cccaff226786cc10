//! The current-thread scheduler: the local run queue and the injection
//! queue, the owned-task list, and the tick loop of `block_on`.
//!
//! [`Core`] is the runtime thread's half: run queue, owned tasks and the
//! driver, in `RefCell`s because only that thread ever touches them (the
//! `Runtime` is `!Send`). [`Shared`] is the half every thread can reach
//! through a `Handle` or a task's header: the injection queue, the park
//! protocol and the eventfd.
//!
//! A wake on the runtime thread (the context names this runtime) pushes onto
//! the run queue: no lock, no syscall. Any other wake pushes onto the
//! injection queue and writes the eventfd only if the runtime is parked (see
//! `driver/unpark.rs`).

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::future::Future;
use std::pin::pin;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed, Release};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use crate::runtime::blocking::{BlockingPool, BlockingTask};
use crate::runtime::context;
use crate::runtime::driver::{self, Driver};
use crate::runtime::metrics::Metrics;
use crate::runtime::scheduler::inject::Inject;
use crate::runtime::scheduler::{Config, TightTimerSlack};
use crate::runtime::spin::{SpinPolicy, spin_until};
use crate::runtime::task::{JoinHandle, OwnedTasks, RawTask, RunOutcome, new_task};

/// The part of a runtime that any thread may reach.
#[derive(Debug)]
pub(crate) struct Shared {
    /// Tasks woken or spawned from other threads.
    inject: Inject<RawTask>,
    /// The `spawn_blocking` threads.
    blocking: BlockingPool,
    /// The driver's shared half: timers, I/O registrations, and the park
    /// protocol (whether the runtime is parked).
    /// Every `Sleep` and I/O object holds it too.
    pub(crate) driver: Arc<driver::Handle>,
    /// The counters behind `RuntimeMetrics` (one worker: the runtime thread).
    pub(crate) metrics: Metrics,
}

impl Shared {
    /// Queues a woken task from another thread. A closed runtime gives the
    /// task back; the caller drops its reference once done with `self`.
    pub(super) fn push_remote(&self, task: RawTask) -> Option<RawTask> {
        if let Err(task) = self.inject.push_woken(task) {
            return Some(task);
        }
        self.signal();
        None
    }

    /// Wakes the runtime for what was just queued, if it is parked.
    fn signal(&self) {
        if self.driver.park.notify() {
            self.driver.unparker.unpark();
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
        if let Err(raw) = self.inject.push_spawned(raw) {
            // The runtime is gone: the task never runs.
            self.metrics.task_finished();
            raw.shutdown();
            raw.drop_refs(2);
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
        let (raw, handle) = new_task(BlockingTask::new(f), self.clone());
        self.blocking.push(raw);
        handle
    }

    /// Wakes a parked runtime after publishing work with a release store
    /// (or under a lock the runtime takes after it commits to park).
    pub(crate) fn notify(&self) {
        self.driver.unpark();
    }
}

/// The spin after bulk input: about what a sleep and a wake-up cost the two
/// sides together, so that a spin that catches nothing wastes no more than
/// sleeping at once would have.
const BULK_SPIN: Duration = Duration::from_micros(20);

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

/// Counts a `block_on` as busy time, up to where it parks and from where it
/// wakes, until it returns (or unwinds).
struct Busy<'a>(&'a Core);

impl Busy<'_> {
    fn start(core: &Core) -> Busy<'_> {
        core.busy_since.set(Instant::now());
        Busy(core)
    }
}

impl Drop for Busy<'_> {
    fn drop(&mut self) {
        self.0.shared.metrics.workers[0].stopped(self.0.busy_since.get().elapsed());
    }
}

/// The runtime thread's half of a runtime.
pub(crate) struct Core {
    pub(crate) shared: Arc<Shared>,
    /// Tasks ready to be polled; one reference per entry.
    run_queue: RefCell<VecDeque<RawTask>>,
    /// Every unfinished task of this runtime.
    owned: RefCell<OwnedTasks>,
    /// The epoll driver.
    driver: RefCell<Driver>,
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
    /// Whether a stream read on this thread returned bulk input since the
    /// last park: spin briefly before sleeping.
    bulk_input: Cell<bool>,
    /// Whether the sender of bulk input is keeping within [`BULK_SPIN`] of
    /// the reader, so that spinning pays off (see [`Core::park`]).
    bulk_spin_pays: Cell<bool>,
    /// Whether spinning can help at all (more than one CPU).
    can_spin: bool,
    /// When the runtime thread last started being busy (for the busy time
    /// in `RuntimeMetrics`).
    busy_since: Cell<Instant>,
}

impl std::fmt::Debug for Core {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Core")
            .field("queued", &self.run_queue.borrow().len())
            .field("tasks", &self.owned.borrow().len())
            .field("config", &self.config)
            .finish()
    }
}

impl Core {
    /// Opens the epoll instance and eventfd; fails with their `io::Error`.
    pub(crate) fn new(config: Config) -> std::io::Result<Rc<Core>> {
        let driver = Driver::new()?;
        let shared = Arc::new(Shared {
            inject: Inject::new(),
            blocking: BlockingPool::new(config.pool.clone()),
            driver: driver.handle().clone(),
            metrics: Metrics::new(1),
        });
        let can_spin = crate::sys::online_cpus() > 1 && !config.max_spin.is_zero();
        let main = Arc::new(MainWake {
            woken: AtomicBool::new(false),
            shared: shared.clone(),
        });
        Ok(Rc::new(Core {
            shared,
            run_queue: RefCell::new(VecDeque::with_capacity(256)),
            owned: RefCell::new(OwnedTasks::default()),
            driver: RefCell::new(driver),
            main,
            deferred: RefCell::new(Vec::new()),
            config,
            closed: Cell::new(false),
            remote_active: Cell::new(false),
            spin_policy: Cell::new(SpinPolicy::new()),
            bulk_input: Cell::new(false),
            bulk_spin_pays: Cell::new(true),
            can_spin,
            busy_since: Cell::new(Instant::now()),
        }))
    }

    /// Spawns onto this runtime from its own thread.
    pub(crate) fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
    {
        let (raw, handle) = new_task(future, self.shared.clone());
        if self.closed.get() {
            // Spawned during shutdown (from a future's drop): never runs.
            raw.shutdown();
            raw.drop_refs(2);
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

    /// Queues a task woken on this thread (one reference handed over).
    pub(super) fn push_local(&self, task: RawTask) {
        self.run_queue.borrow_mut().push_back(task);
    }

    /// Wakes the tasks deferred behind the driver.
    fn wake_deferred(&self) {
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

    /// Moves everything other threads queued onto the local run queue.
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

    fn run_task(&self, task: RawTask) {
        match task.run() {
            RunOutcome::Idle | RunOutcome::Stale => task.drop_ref(),
            RunOutcome::Reschedule => self.run_queue.borrow_mut().push_back(task),
            RunOutcome::Complete => {
                let linked = self.owned.borrow_mut().remove(task);
                if linked {
                    self.shared.metrics.task_finished();
                }
                task.drop_refs(if linked { 2 } else { 1 });
            }
        }
    }

    /// A stream read on this thread returned at least
    /// [`BULK_READ`](crate::runtime::spin::BULK_READ) bytes.
    pub(crate) fn note_bulk_input(&self) {
        // On one CPU a spin would only hold up the sender.
        if self.can_spin {
            self.bulk_input.set(true);
        }
    }

    /// Turns the driver; `None` blocks until an event, an unpark or a timer.
    fn turn(&self, timeout: Option<Duration>) {
        if let Err(e) = self.driver.borrow_mut().turn(timeout) {
            // epoll_wait only fails on a broken epoll descriptor, which would
            // leave the runtime unable to ever wake: a bug, not an input.
            panic!("guillotine: epoll_wait failed: {e}");
        }
    }

    /// Blocks in the driver unless a wake came since the last look.
    fn park(&self) {
        {
            // A burst of spawns can leave a huge, empty queue behind: give
            // the memory back before sleeping.
            let mut rq = self.run_queue.borrow_mut();
            if rq.capacity() > 16 * 1024 && rq.is_empty() {
                rq.shrink_to(1024);
            }
        }
        let park = &self.shared.driver.park;
        let bulk = self.bulk_input.replace(false);
        let bulk_spin = bulk && self.bulk_spin_pays.get();
        let mut policy = self.spin_policy.get();
        let remote_spin = self.remote_active.get() && policy.should_spin();
        let spin = if remote_spin {
            self.config.max_spin
        } else if bulk_spin {
            BULK_SPIN.min(self.config.max_spin)
        } else {
            Duration::ZERO
        };
        if !spin.is_zero() && self.can_spin {
            // Never spin past a timer's deadline.
            let limit = self
                .shared
                .driver
                .time
                .wait_timeout(Some(spin))
                .unwrap_or(spin);
            let caught = spin_until(limit, || park.is_notified());
            if remote_spin {
                match caught {
                    Some(waited) => policy.caught(waited),
                    None => policy.missed(limit),
                }
                self.spin_policy.set(policy);
            }
            if caught.is_some() {
                // Another thread's wake came within the spin: no sleep, no
                // eventfd write.
                park.unparked();
                self.remote_active.set(true);
                return;
            }
        }
        if park.prepare_park() {
            // One clock read on each side of the sleep serves the busy time
            // and the bulk spin's bookkeeping.
            let worker = &self.shared.metrics.workers[0];
            let slept_at = Instant::now();
            worker.parking(slept_at - self.busy_since.get());
            self.turn(None);
            let woke_at = Instant::now();
            worker.unparked();
            self.busy_since.set(woke_at);
            if bulk {
                // Keep spinning while the input comes within the spin (the
                // wait after it is then next to nothing); start again once
                // the sender's gaps are shorter than the spin. A sender with
                // longer gaps would only make the runtime burn CPU.
                let waited = woke_at - slept_at;
                self.bulk_spin_pays.set(if bulk_spin {
                    waited < BULK_SPIN / 4
                } else {
                    waited < BULK_SPIN
                });
            }
            let remote = park.unparked();
            self.remote_active.set(remote);
            if remote && !remote_spin {
                policy.slept();
                self.spin_policy.set(policy);
            }
        } else {
            // Something was woken from elsewhere: still collect I/O and
            // timers, but without blocking.
            self.remote_active.set(true);
            self.turn(Some(Duration::ZERO));
        }
    }

    /// Runs `future` to completion, and the runtime's tasks meanwhile.
    #[track_caller]
    pub(crate) fn block_on<F: Future>(self: &Rc<Self>, future: F) -> F::Output {
        let _guard = context::enter_block_on(self);
        let _slack = TightTimerSlack::new();
        let _busy = Busy::start(self);
        let waker = Waker::from(self.main.clone());
        let mut cx = Context::from_waker(&waker);
        let mut future = pin!(future);
        let interval = self.config.event_interval;
        self.main.woken.store(true, Relaxed);
        let mut since_turn: u32 = 0;
        loop {
            if self.main.woken.swap(false, AcqRel) {
                since_turn += 1;
                let poll = context::poll_scope(None, || future.as_mut().poll(&mut cx));
                if let Poll::Ready(out) = poll {
                    return out;
                }
            }
            self.drain_inject();
            let mut ran = 0;
            while ran < interval {
                let Some(task) = self.run_queue.borrow_mut().pop_front() else {
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
            } else if idle {
                // Out of work: the run queue is empty (a task woken on this
                // thread would be in it) and the main future is not woken.
                since_turn = 0;
                self.park();
            }
        }
    }

    /// Drops every unfinished task, inside this runtime's context, then waits
    /// for running blocking jobs (at most `timeout`).
    pub(crate) fn shutdown(self: &Rc<Self>, timeout: Option<Duration>) {
        if self.closed.replace(true) {
            return;
        }
        let _guard = context::enter_core(self);
        let (spawned, woken) = self.shared.inject.close();
        for task in spawned {
            task.shutdown();
            task.drop_refs(2);
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
        let driver = &self.shared.driver;
        driver.time.shutdown();
        // Fail I/O waits (e.g. of a blocking job) before waiting for the pool.
        driver.io.shutdown();
        driver.unparker.close();
        self.shared.blocking.shutdown(timeout);
    }

    pub(crate) fn task_count(&self) -> usize {
        self.owned.borrow().len()
    }
}
