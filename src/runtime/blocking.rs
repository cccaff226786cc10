//! The `spawn_blocking` thread pool.
//!
//! Threads start on demand, up to `max_threads`; one that has waited
//! `keep_alive` without a job exits. Jobs beyond the cap wait in a FIFO queue.
//!
//! Shutdown, as in tokio: a job handed to the pool while it had room for it
//! (a thread was started or an idle one woken for it) still runs, and its
//! `JoinHandle` yields its value; only the jobs waiting for a busy thread
//! (beyond the cap) are cancelled. The bookkeeping, and how claims are
//! counted, is in `state.rs`.
//! A job is an ordinary task whose future runs the closure in one poll, so
//! its `JoinHandle`, panics and cancellation (abort before it starts) work as
//! for any task, and completion wakes the joiner through the usual wake path.
//!
//! All pool state sits behind one mutex; a worker never holds it while it
//! runs a job.

mod state;

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use self::state::{Idle, PoolState, Push};
use crate::runtime::context;
use crate::runtime::task::RawTask;

/// The pool's settings, from the `Builder`.
#[derive(Debug, Clone)]
pub(crate) struct PoolConfig {
    pub(crate) max_threads: usize,
    pub(crate) keep_alive: Duration,
    pub(crate) name: String,
    /// The name of a multi-thread runtime's workers.
    pub(crate) worker_name: String,
    /// Run on each thread the pool starts, first thing.
    pub(crate) on_start: Option<Hook>,
    /// Run on each thread the pool starts, last thing.
    pub(crate) on_stop: Option<Hook>,
}

/// A user's callback for thread start or stop.
#[derive(Clone)]
pub(crate) struct Hook(pub(crate) Arc<dyn Fn() + Send + Sync>);

impl std::fmt::Debug for Hook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Hook(..)")
    }
}

impl Default for PoolConfig {
    fn default() -> PoolConfig {
        PoolConfig {
            max_threads: 512,
            keep_alive: Duration::from_secs(10),
            name: "guillotine-blocking".to_owned(),
            worker_name: "guillotine-worker".to_owned(),
            on_start: None,
            on_stop: None,
        }
    }
}

/// A closure as a future that finishes in its first poll.
pub(crate) struct BlockingTask<F> {
    f: Option<F>,
}

impl<F> BlockingTask<F> {
    pub(crate) fn new(f: F) -> BlockingTask<F> {
        BlockingTask { f: Some(f) }
    }
}

// The closure is never pinned: it is moved out and called.
impl<F> Unpin for BlockingTask<F> {}

impl<F: FnOnce() -> R, R> Future for BlockingTask<F> {
    type Output = R;

    fn poll(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<R> {
        let f = self.f.take().expect("a blocking task runs once");
        Poll::Ready(f())
    }
}

/// The pool; clones share it.
#[derive(Debug, Clone)]
pub(crate) struct BlockingPool {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// Jobs not yet started (each holds the task's owned and queue
    /// references) and the threads' counts.
    state: Mutex<PoolState<RawTask>>,
    /// Signalled when a job is queued for an idle worker, and at shutdown.
    job_ready: Condvar,
    /// Signalled when a worker exits.
    worker_exited: Condvar,
    config: PoolConfig,
}

impl BlockingPool {
    pub(crate) fn new(config: PoolConfig) -> BlockingPool {
        BlockingPool {
            inner: Arc::new(Inner {
                state: Mutex::new(PoolState::default()),
                job_ready: Condvar::new(),
                worker_exited: Condvar::new(),
                config,
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, PoolState<RawTask>> {
        // Jobs run outside the lock, so a poisoned lock holds consistent state.
        self.inner
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Queues a new blocking task (it carries two references: owned, queue).
    pub(crate) fn push(&self, task: RawTask) {
        let mut st = self.lock();
        let push = st.push(task, self.inner.config.max_threads);
        drop(st);
        match push {
            Push::Refused(task) => return task.cancel_new(),
            Push::NotifyIdle => return self.inner.job_ready.notify_one(),
            // A busy worker takes it when it is done.
            Push::Queued => return,
            Push::StartThread => {}
        }
        let pool = self.clone();
        let spawned = std::thread::Builder::new()
            .name(self.inner.config.name.clone())
            .spawn(move || pool.run_thread());
        if spawned.is_err() {
            // Out of threads (or memory): never panic the runtime. If no
            // worker is left to take them, the queued jobs are cancelled.
            let orphans = self.lock().start_failed();
            orphans.into_iter().for_each(RawTask::cancel_new);
        }
    }

    /// A pool thread: the start hook, then the job loop (which ends with
    /// the stop hook).
    fn run_thread(&self) {
        let config = &self.inner.config;
        call(config.on_start.as_ref());
        self.work();
    }

    /// A worker thread's loop.
    fn work(&self) {
        let keep_alive = self.inner.config.keep_alive;
        let mut st = self.lock();
        st.thread_started();
        loop {
            while let Some(task) = st.next_job() {
                drop(st);
                // The job runs inside its runtime's context (spawn, sleep and
                // sockets work there); its panic is caught by the task and
                // reported through its JoinHandle.
                let context = context::enter_handle(&task.header().shared);
                task.run();
                #[cfg(feature = "test-util")]
                crate::runtime::driver::time::clock::job_done();
                drop(context);
                task.drop_refs(2);
                st = self.lock();
            }
            if st.idle() == Idle::Exit {
                break;
            }
            let (guard, res) = self
                .inner
                .job_ready
                .wait_timeout(st, keep_alive)
                .unwrap_or_else(PoisonError::into_inner);
            st = guard;
            if st.woke(res.timed_out()) {
                break;
            }
        }
        // No longer counted as a thread jobs can wait for, but shutdown
        // still waits for the stop hook.
        st.leave();
        drop(st);
        call(self.inner.config.on_stop.as_ref());
        self.lock().exited();
        self.inner.worker_exited.notify_all();
    }

    /// Stops accepting jobs, cancels the queued ones no thread was started
    /// or woken for, and waits for the others and the running ones (until
    /// `deadline`, if given).
    pub(crate) fn shutdown(&self, deadline: Option<Instant>) {
        let queued = self.lock().shut_down();
        self.inner.job_ready.notify_all();
        queued.into_iter().for_each(RawTask::cancel_new);
        let mut st = self.lock();
        while st.has_threads() {
            st = match deadline {
                None => self
                    .inner
                    .worker_exited
                    .wait(st)
                    .unwrap_or_else(PoisonError::into_inner),
                Some(deadline) => {
                    let now = Instant::now();
                    if now >= deadline {
                        return;
                    }
                    self.inner
                        .worker_exited
                        .wait_timeout(st, deadline - now)
                        .unwrap_or_else(PoisonError::into_inner)
                        .0
                }
            };
        }
    }
}

/// Runs a user's hook. Its panic (already reported by the panic hook) must
/// not take the pool's bookkeeping down with the thread.
pub(crate) fn call(hook: Option<&Hook>) {
    if let Some(hook) = hook {
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| (hook.0)()));
    }
}
