//! The runtime: [`Runtime`], its [`Builder`] and the cloneable [`Handle`].
//!
//! Two flavors. The current-thread runtime (`Runtime::new`,
//! `Builder::new_current_thread`): `block_on` drives the given future and
//! every spawned task on the calling thread, and sleeps in `epoll_wait` when
//! nothing is ready. The multi-thread runtime
//! (`Builder::new_multi_thread`): worker threads, sharing one epoll, run
//! the spawned tasks and steal from each other; `block_on` runs its
//! future on the calling thread.

pub(crate) mod blocking;
pub(crate) mod context;
pub(crate) mod coop;
pub(crate) mod driver;
mod id;
mod metrics;
pub(crate) mod scheduler;
pub(crate) mod spin;
pub(crate) mod task;
pub(crate) mod waker;

use std::fmt;
use std::future::Future;
use std::io;
use std::marker::PhantomData;
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use blocking::{Hook, PoolConfig};
use driver::time::Clock;
pub use id::Id;
pub use metrics::RuntimeMetrics;
use scheduler::multi_thread::{self, Launched};
use scheduler::{Config, Core, Shared, current_thread, local};
pub use task::{AbortHandle, JoinError, JoinHandle};

/// An async runtime on epoll: current-thread ([`Runtime::new`]) or
/// multi-thread ([`Builder::new_multi_thread`]).
///
/// ```
/// let runtime = guillotine::runtime::Runtime::new().unwrap();
/// let forty_two = runtime.block_on(async { 42 });
/// assert_eq!(forty_two, 42);
/// ```
///
/// On the current-thread runtime, spawned tasks live between `block_on`
/// calls and run whenever one is in progress. On the multi-thread runtime
/// they run on the worker threads all the time; `block_on` runs only its
/// own future (and `spawn_local` tasks of its thread). Dropping the runtime
/// stops the workers, drops every unfinished task's future (inside the
/// runtime's context; their `JoinHandle`s then yield a cancelled
/// [`JoinError`]) and waits for the blocking jobs. As in tokio, a job the
/// blocking pool had a thread for runs to completion, also one that thread
/// had not yet reached; only jobs queued beyond
/// [`max_blocking_threads`](Builder::max_blocking_threads) are cancelled.
///
/// ```
/// let rt = guillotine::runtime::Builder::new_multi_thread().worker_threads(2).build().unwrap();
/// let names = rt.block_on(async {
///     let task = guillotine::spawn(async { std::thread::current().name().map(str::to_owned) });
///     task.await.unwrap()
/// });
/// assert_eq!(names.as_deref(), Some("guillotine-worker"));
/// ```
///
/// # Panics
/// Dropping a runtime inside an asynchronous context (a task, or the future
/// of a `block_on`) panics, as in tokio: waiting for its workers and
/// blocking jobs there would block a thread that runs async code. The
/// runtime is shut down without waiting first. Use
/// [`shutdown_background`](Runtime::shutdown_background) there, or drop it
/// inside `spawn_blocking` or `task::block_in_place`.
///
/// ```should_panic
/// let outer = guillotine::runtime::Runtime::new().unwrap();
/// outer.block_on(async {
///     let inner = guillotine::runtime::Runtime::new().unwrap();
///     drop(inner); // panics: this thread is running `outer`
/// });
/// ```
///
/// # Sharing a runtime between threads
///
/// `Runtime` is `Send + Sync` on both flavors, as tokio's: keep it in a
/// `static`, share an `Arc<Runtime>`, move it to another thread, drop it
/// anywhere, and call `block_on` from any thread, from several at once.
/// A multi-thread runtime's `block_on` calls run side by side. A
/// current-thread runtime has one core, which the `block_on` calls take in
/// turn, as in tokio: while one thread drives the runtime, a `block_on` on
/// another thread polls its own future (woken like any other) and takes the
/// core when the first returns; spawned tasks then run on whichever thread
/// drives.
///
/// ```
/// use std::sync::{Arc, OnceLock};
/// use guillotine::runtime::Runtime;
/// static RT: OnceLock<Runtime> = OnceLock::new();
/// let rt = RT.get_or_init(|| Runtime::new().unwrap());
/// let task = rt.spawn(async { 6 * 7 });
/// let on_another_thread = std::thread::spawn(move || RT.get().unwrap().block_on(task));
/// assert_eq!(on_another_thread.join().unwrap().unwrap(), 42);
///
/// let shared = Arc::new(Runtime::new().unwrap());
/// let threads: Vec<_> = (0..4)
///     .map(|i| {
///         let rt = shared.clone();
///         std::thread::spawn(move || rt.block_on(async move { guillotine::spawn(async move { i }).await.unwrap() }))
///     })
///     .collect();
/// let sum: i32 = threads.into_iter().map(|t| t.join().unwrap()).sum();
/// assert_eq!(sum, 6);
/// ```
///
/// A [`spawn_local`](crate::task::spawn_local) task (which need not be
/// `Send`) is polled and dropped only on the thread that spawned it: on a
/// current-thread runtime it runs while that thread drives the runtime, and
/// waits while another thread does. When the runtime is dropped, the local
/// tasks of the dropping thread are dropped with it; those of another
/// thread are dropped on that thread, the next time it calls `block_on` or
/// `Runtime::enter` on any runtime, or when it exits.
pub struct Runtime {
    /// The runtime's shared half. Current-thread: its core waits in the
    /// handoff between the `block_on` calls that drive it.
    shared: Arc<Shared>,
    /// Multi-thread: the workers.
    multi: Option<Launched>,
    /// Shut down already (`shutdown_timeout`): the drop has nothing to do.
    shut_down: bool,
}

impl Runtime {
    /// A runtime with the default settings.
    ///
    /// # Errors
    /// The `io::Error` of `epoll_create1` or `eventfd`, e.g. `EMFILE` when the
    /// process is out of descriptors.
    ///
    /// ```
    /// let runtime = guillotine::runtime::Runtime::new()?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn new() -> io::Result<Runtime> {
        Builder::new().build()
    }

    /// A [`Builder`] to configure a runtime; the same as `Builder::new()`.
    ///
    /// ```
    /// let runtime = guillotine::runtime::Runtime::builder().event_interval(31).build().unwrap();
    /// assert_eq!(runtime.block_on(async { 1 }), 1);
    /// ```
    pub fn builder() -> Builder {
        Builder::new()
    }

    /// Runs `future` to completion on this thread, running spawned tasks
    /// meanwhile, and returns its output.
    ///
    /// Any thread may call it, several at once. On the current-thread
    /// runtime, while another thread's `block_on` drives the runtime, this
    /// one polls `future` (its wakes come from the driving thread's tasks
    /// like any other) and drives the runtime once that thread returns, if
    /// `future` is still pending.
    ///
    /// # Panics
    /// If called from inside a runtime (a task, or another `block_on`), and if
    /// `future` panics (the runtime stays usable). On the multi-thread
    /// runtime, on a thread's first `block_on` (or `enter`) if its epoll
    /// instance cannot be opened (`EMFILE`).
    ///
    /// ```
    /// let runtime = guillotine::runtime::Runtime::new().unwrap();
    /// let n = runtime.block_on(async {
    ///     let a = guillotine::spawn(async { 1 });
    ///     let b = guillotine::spawn(async { 2 });
    ///     a.await.unwrap() + b.await.unwrap()
    /// });
    /// assert_eq!(n, 3);
    /// ```
    #[track_caller]
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        // As in tokio, the future of a multi-thread runtime's `block_on`
        // may call `task::block_in_place`; a current-thread runtime's may
        // not (its thread runs every task).
        match &self.multi {
            Some(_) => {
                context::assert_not_running();
                self.home()
                    .block_on_in(&self.shared, true, std::pin::pin!(future))
            }
            None => current_thread::block_on(&self.shared, false, future),
        }
    }

    /// The runtime's shared half (what a `Handle` holds).
    fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    /// This thread's home of the runtime's local tasks, made on first use
    /// (on the multi-thread runtime, the core this thread's `block_on`
    /// drives).
    #[track_caller]
    fn home(&self) -> Rc<Core> {
        local::get_or_make(&self.shared, || Core::new_home(&self.shared)).unwrap_or_else(|e| {
            panic!("guillotine: cannot open this thread's epoll instance for the runtime: {e}")
        })
    }

    /// Spawns a task; on the current-thread runtime it runs during
    /// `block_on` calls, on the multi-thread runtime on the workers at once.
    ///
    /// ```
    /// let runtime = guillotine::runtime::Runtime::new().unwrap();
    /// let handle = runtime.spawn(async { "done" });
    /// assert_eq!(runtime.block_on(handle).unwrap(), "done");
    /// ```
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        scheduler::spawn(&self.shared, future)
    }

    /// Runs `f` on the blocking thread pool, keeping the event loop free.
    ///
    /// ```
    /// let runtime = guillotine::runtime::Runtime::new().unwrap();
    /// let handle = runtime.spawn_blocking(|| std::thread::current().name().map(str::to_owned));
    /// let name = runtime.block_on(handle).unwrap();
    /// assert_eq!(name.as_deref(), Some("guillotine-blocking"));
    /// ```
    pub fn spawn_blocking<F, R>(&self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        self.shared().spawn_blocking(f)
    }

    /// A handle to spawn onto this runtime from anywhere.
    ///
    /// ```
    /// let runtime = guillotine::runtime::Runtime::new().unwrap();
    /// let handle = runtime.handle();
    /// let task = std::thread::spawn(move || handle.spawn(async { 7 })).join().unwrap();
    /// assert_eq!(runtime.block_on(task).unwrap(), 7);
    /// ```
    pub fn handle(&self) -> Handle {
        Handle {
            shared: self.shared().clone(),
        }
    }

    /// The runtime's counters ([`RuntimeMetrics`]).
    ///
    /// ```
    /// let rt = guillotine::runtime::Runtime::new().unwrap();
    /// assert_eq!(rt.metrics().num_alive_tasks(), 0);
    /// ```
    pub fn metrics(&self) -> RuntimeMetrics {
        RuntimeMetrics::new(self.shared().clone())
    }

    /// Makes this runtime current on this thread until the guard is
    /// dropped, without running it: tasks can be spawned and sockets and
    /// timers created outside `block_on`. On the current-thread runtime they
    /// make progress at the next `block_on`; on the multi-thread runtime the
    /// workers run them at once. `spawn_local` tasks spawned here run during
    /// this thread's `block_on` calls.
    ///
    /// ```
    /// use std::time::Duration;
    /// let rt = guillotine::runtime::Runtime::new().unwrap();
    /// let (task, sleep) = {
    ///     let _guard = rt.enter();
    ///     let task = guillotine::spawn(async { 5 });
    ///     (task, guillotine::time::sleep(Duration::from_millis(1)))
    /// };
    /// rt.block_on(sleep);
    /// assert_eq!(rt.block_on(task).unwrap(), 5);
    /// ```
    ///
    /// The guard does not keep the runtime borrowed, as in tokio:
    ///
    /// ```
    /// use std::time::Duration;
    /// let rt = guillotine::runtime::Runtime::new().unwrap();
    /// let _guard = rt.enter();
    /// let _task = guillotine::spawn(std::future::pending::<()>());
    /// rt.shutdown_timeout(Duration::from_secs(1));
    /// ```
    pub fn enter(&self) -> EnterGuard<'_> {
        // The core this thread drives the runtime with, or its home.
        let core = context::core()
            .filter(|core| core.belongs_to(&self.shared))
            .unwrap_or_else(|| self.home());
        EnterGuard {
            _reset: context::enter_core_in(&core, &self.shared).for_user(),
            _runtime: PhantomData,
        }
    }

    /// Shuts down: drops every unfinished task, then waits at most `timeout`
    /// in all for the blocking jobs (which cannot be interrupted: those it
    /// does not wait for still run to completion) and, on the multi-thread
    /// runtime, for the workers to stop.
    ///
    /// A worker still stuck in a poll (or in `block_in_place`) when the time
    /// is up is left to finish it on its own, as in tokio: the task it polls
    /// is dropped on that thread when the poll returns, then the tasks pinned
    /// to that worker (`spawn_local`); every other task is dropped before this
    /// returns, except on a runtime with one worker, which keeps its tasks
    /// in a list of its own (no lock on its spawns and completions) and
    /// drops them when it leaves. Timers and sockets keep being served until
    /// that worker has left (it may still wait on them); the last worker out
    /// then shuts the drivers down, and from then on they behave as for any
    /// runtime that is gone (timers panic when polled, sockets fail).
    ///
    /// # Panics
    /// Inside an asynchronous context, unless `timeout` is zero, as dropping
    /// the runtime does (see [`Runtime`]).
    ///
    /// ```
    /// use std::time::Duration;
    /// let runtime = guillotine::runtime::Runtime::new().unwrap();
    /// let _job = runtime.spawn_blocking(|| std::thread::sleep(Duration::from_secs(2)));
    /// let start = std::time::Instant::now();
    /// runtime.shutdown_timeout(Duration::from_millis(50));
    /// assert!(start.elapsed() < Duration::from_secs(2));
    /// ```
    pub fn shutdown_timeout(mut self, timeout: Duration) {
        self.shutdown(Some(timeout));
    }

    /// Shuts down without waiting for blocking jobs or stuck workers: the
    /// same as `shutdown_timeout(Duration::ZERO)`, as in tokio. This is how
    /// to drop a runtime inside an asynchronous context (another runtime's
    /// task or `block_on`), where dropping it panics.
    ///
    /// ```
    /// use std::time::Duration;
    /// let runtime = guillotine::runtime::Runtime::new().unwrap();
    /// let _job = runtime.spawn_blocking(|| std::thread::sleep(Duration::from_secs(2)));
    /// let start = std::time::Instant::now();
    /// runtime.shutdown_background();
    /// assert!(start.elapsed() < Duration::from_secs(2));
    /// ```
    pub fn shutdown_background(self) {
        self.shutdown_timeout(Duration::ZERO);
    }

    fn shutdown(&mut self, timeout: Option<Duration>) {
        if std::mem::replace(&mut self.shut_down, true) {
            return;
        }
        // As in tokio, waiting for the workers and blocking jobs is refused
        // on a thread that runs async code (a task, a `block_on`'s future):
        // it would stall that thread's tasks, or deadlock on one of them.
        // The runtime still shuts down, without waiting, before the panic.
        let misplaced = timeout != Some(Duration::ZERO)
            && context::in_async_context()
            && !std::thread::panicking();
        let timeout = if misplaced {
            Some(Duration::ZERO)
        } else {
            timeout
        };
        // One deadline for every wait: the workers, then each blocking pool.
        let deadline = timeout.map(|t| {
            let now = Instant::now();
            now.checked_add(t)
                .unwrap_or(now + Duration::from_secs(86_400 * 365))
        });
        match &mut self.multi {
            Some(multi) => {
                self.shared.mark_shut_down();
                if let Some(home) = local::take(&self.shared) {
                    home.shutdown_home();
                }
                multi.shutdown(deadline);
            }
            None => current_thread::shutdown(&self.shared, deadline),
        }
        if misplaced {
            panic!(
                "Cannot drop a runtime in a context where blocking is not allowed: a guillotine \
                 runtime was dropped (or shut down with `shutdown_timeout`) inside an \
                 asynchronous context (a task, or the future of a `block_on`), where waiting for \
                 its workers and blocking jobs would block a thread that runs async code. It was \
                 shut down without waiting. Use `shutdown_background` there, or drop it in \
                 `spawn_blocking` or `block_in_place`."
            );
        }
    }

    /// The number of spawned tasks that have not finished. A task leaves
    /// the count once it has completed and an output nobody will read has
    /// been dropped; on the multi-thread runtime that is a moment after its
    /// `JoinHandle` may have resolved on another thread, as in tokio.
    ///
    /// ```
    /// let runtime = guillotine::runtime::Runtime::new().unwrap();
    /// let _handle = runtime.spawn(std::future::pending::<()>());
    /// assert_eq!(runtime.num_tasks(), 1);
    /// ```
    pub fn num_tasks(&self) -> usize {
        self.shared.metrics.alive()
    }

    /// The number of timers waiting in the runtime's queue: every `Sleep`
    /// (also inside `timeout` and `interval`) that has been polled, has not
    /// fired and has not been dropped. A dropped timer leaves at once.
    ///
    /// ```
    /// use guillotine::time::{sleep, Duration};
    /// use std::future::Future;
    /// use std::task::{Context, Waker};
    /// let runtime = guillotine::runtime::Runtime::new().unwrap();
    /// runtime.block_on(async {
    ///     let mut s = Box::pin(sleep(Duration::from_secs(60)));
    ///     assert!(s.as_mut().poll(&mut Context::from_waker(Waker::noop())).is_pending());
    ///     assert_eq!(guillotine::runtime::Handle::current().num_timers(), 1);
    ///     drop(s);
    /// });
    /// assert_eq!(runtime.num_timers(), 0);
    /// ```
    pub fn num_timers(&self) -> usize {
        self.shared().num_timers()
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        self.shutdown(None);
    }
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runtime")
            .field("id", &self.shared.config.id)
            .field("name", &self.shared.config.name)
            .field("multi_thread", &self.multi.is_some())
            .field("num_tasks", &self.num_tasks())
            .finish_non_exhaustive()
    }
}

/// Configures a [`Runtime`].
///
/// ```
/// use std::time::Duration;
/// let runtime = guillotine::runtime::Builder::new()
///     .max_blocking_threads(4)
///     .thread_keep_alive(Duration::from_secs(1))
///     .thread_name("worker")
///     .event_interval(61)
///     .build()
///     .unwrap();
/// # drop(runtime);
/// ```
#[derive(Debug, Clone)]
pub struct Builder {
    /// `None`: current-thread; `Some(n)`: multi-thread with `n` workers (0:
    /// one per CPU).
    workers: Option<usize>,
    event_interval: u32,
    max_spin: Duration,
    pool: PoolConfig,
    /// Paused time (`test-util`): the clock starts paused; an idle paused
    /// runtime jumps to its next timer.
    start_paused: bool,
    auto_advance: bool,
    /// `Builder::name`: the runtime's name, for `Handle::name`.
    name: Option<Arc<str>>,
}

impl Default for Builder {
    fn default() -> Builder {
        Builder::new()
    }
}

impl Builder {
    /// The default settings: 512 blocking threads at most, kept 10 s when
    /// idle, named `guillotine-blocking`; the driver checked every 61 polls.
    ///
    /// ```
    /// let runtime = guillotine::runtime::Builder::new().build().unwrap();
    /// # drop(runtime);
    /// ```
    pub fn new() -> Builder {
        Builder {
            workers: None,
            event_interval: 61,
            max_spin: Duration::from_micros(50),
            pool: PoolConfig::default(),
            start_paused: false,
            auto_advance: true,
            name: None,
        }
    }

    /// A builder for the current-thread runtime, the same as
    /// [`Builder::new`] (the name tokio code uses).
    ///
    /// ```
    /// let runtime = guillotine::runtime::Builder::new_current_thread().build().unwrap();
    /// assert_eq!(runtime.block_on(async { 2 }), 2);
    /// ```
    pub fn new_current_thread() -> Builder {
        Builder::new()
    }

    /// A builder for the multi-thread runtime: worker threads (one per CPU
    /// unless [`worker_threads`](Builder::worker_threads) says otherwise)
    /// run the spawned tasks, each with its own run queue (the sockets
    /// share one epoll, the timers one sharded set), and idle workers steal
    /// from busy ones.
    ///
    /// ```
    /// let rt = guillotine::runtime::Builder::new_multi_thread().build().unwrap();
    /// let sum = rt.block_on(async {
    ///     let tasks: Vec<_> = (0..100u64).map(|i| guillotine::spawn(async move { i })).collect();
    ///     let mut sum = 0;
    ///     for t in tasks {
    ///         sum += t.await.unwrap();
    ///     }
    ///     sum
    /// });
    /// assert_eq!(sum, 4950);
    /// ```
    pub fn new_multi_thread() -> Builder {
        Builder {
            workers: Some(0),
            ..Builder::new()
        }
    }

    /// The number of worker threads of a multi-thread runtime (default: the
    /// number of CPUs this process may run on). Ignored by the
    /// current-thread runtime, as in tokio.
    ///
    /// ```
    /// let rt = guillotine::runtime::Builder::new_multi_thread().worker_threads(3).build().unwrap();
    /// assert_eq!(rt.metrics().num_workers(), 3);
    /// ```
    ///
    /// # Panics
    /// If `n` is zero.
    #[track_caller]
    pub fn worker_threads(&mut self, n: usize) -> &mut Self {
        assert!(n > 0, "worker_threads cannot be set to 0");
        if self.workers.is_some() {
            self.workers = Some(n);
        }
        self
    }

    /// The most threads `spawn_blocking` may run at once (default 512; at
    /// more than 0). Jobs beyond it wait in a queue.
    ///
    /// ```
    /// let runtime = guillotine::runtime::Builder::new().max_blocking_threads(2).build().unwrap();
    /// # drop(runtime);
    /// ```
    ///
    /// # Panics
    /// If `n` is zero: `spawn_blocking` jobs could never run.
    #[track_caller]
    pub fn max_blocking_threads(&mut self, n: usize) -> &mut Self {
        assert!(n > 0, "max_blocking_threads cannot be set to 0");
        self.pool.max_threads = n;
        self
    }

    /// How long an idle blocking thread waits for a job before it exits
    /// (default 10 s).
    ///
    /// ```
    /// use std::time::Duration;
    /// let runtime = guillotine::runtime::Builder::new()
    ///     .thread_keep_alive(Duration::from_millis(100))
    ///     .build()
    ///     .unwrap();
    /// # drop(runtime);
    /// ```
    pub fn thread_keep_alive(&mut self, d: Duration) -> &mut Self {
        self.pool.keep_alive = d;
        self
    }

    /// The name of the runtime's threads: the blocking pool's (default
    /// `guillotine-blocking`) and a multi-thread runtime's workers (default
    /// `guillotine-worker`).
    ///
    /// ```
    /// let runtime = guillotine::runtime::Builder::new().thread_name("io-worker").build().unwrap();
    /// let name = runtime.block_on(runtime.spawn_blocking(|| {
    ///     std::thread::current().name().unwrap().to_owned()
    /// }));
    /// assert_eq!(name.unwrap(), "io-worker");
    /// ```
    pub fn thread_name(&mut self, name: impl Into<String>) -> &mut Self {
        let name = name.into();
        self.pool.worker_name.clone_from(&name);
        self.pool.name = name;
        self
    }

    /// The runtime's name, which [`Handle::name`] returns (none by
    /// default), as tokio's: for logs and metrics telling runtimes apart.
    /// It does not name threads; [`thread_name`](Builder::thread_name)
    /// does.
    ///
    /// ```
    /// let rt = guillotine::runtime::Builder::new_multi_thread()
    ///     .worker_threads(1)
    ///     .name("ingest")
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(rt.handle().name(), Some("ingest"));
    /// let in_task = rt.block_on(async {
    ///     guillotine::spawn(async { guillotine::runtime::Handle::current().name().map(str::to_owned) })
    ///         .await
    ///         .unwrap()
    /// });
    /// assert_eq!(in_task.as_deref(), Some("ingest"));
    /// ```
    ///
    /// # Panics
    /// If `name` is empty or only whitespace, as in tokio.
    #[track_caller]
    pub fn name(&mut self, name: impl Into<String>) -> &mut Self {
        let name = name.into();
        assert!(!name.trim().is_empty(), "runtime name shouldn't be empty");
        self.name = Some(name.into());
        self
    }

    /// How many task polls may run before the runtime checks for I/O, timers
    /// and remote wakes without blocking (default 61; more than 0). Lower
    /// means fairer to I/O, higher means less overhead for busy tasks.
    ///
    /// ```
    /// let runtime = guillotine::runtime::Builder::new().event_interval(16).build().unwrap();
    /// # drop(runtime);
    /// ```
    ///
    /// # Panics
    /// If `polls` is zero.
    #[track_caller]
    pub fn event_interval(&mut self, polls: u32) -> &mut Self {
        assert!(polls > 0, "event_interval cannot be set to 0");
        self.event_interval = polls;
        self
    }

    /// The longest the runtime spins before it sleeps when spinning is
    /// likely to pay (default 50 µs; zero turns spinning off).
    ///
    /// After a wake from another thread, a runtime whose peer answers within
    /// microseconds spins instead of sleeping: each wake then costs neither
    /// thread a system call or a wake-up (~25 µs on a VM). The runtime stops
    /// spinning as soon as spins stop paying for themselves, so a producer
    /// with its own pace costs no more CPU than a sleeping runtime would; see
    /// the crate docs' "How it works". The current-thread runtime also spins
    /// (looking at epoll) after a socket's event woke it and it sent
    /// something, with books of its own; input alone never starts a spin.
    /// Larger values can lower latency
    /// for slow-answering peers at the cost of CPU; zero gives the lowest
    /// CPU use at the cost of latency. On a one-CPU machine the runtime
    /// never spins.
    ///
    /// ```
    /// use std::time::Duration;
    /// let runtime = guillotine::runtime::Builder::new()
    ///     .max_spin(Duration::ZERO)
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(runtime.block_on(async { 1 }), 1);
    /// ```
    pub fn max_spin(&mut self, d: Duration) -> &mut Self {
        self.max_spin = d;
        self
    }

    /// Accepted for tokio compatibility; does nothing: I/O and timers are
    /// always on in guillotine.
    ///
    /// ```
    /// let rt = guillotine::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    /// assert_eq!(rt.block_on(async { 1 }), 1);
    /// ```
    pub fn enable_all(&mut self) -> &mut Self {
        self
    }

    /// Accepted for tokio compatibility; does nothing: the I/O driver is
    /// always on.
    ///
    /// ```
    /// let rt = guillotine::runtime::Builder::new_current_thread().enable_io().build().unwrap();
    /// assert_eq!(rt.block_on(async { 1 }), 1);
    /// ```
    pub fn enable_io(&mut self) -> &mut Self {
        self
    }

    /// Accepted for tokio compatibility; does nothing: timers are always
    /// on.
    ///
    /// ```
    /// let rt = guillotine::runtime::Builder::new_current_thread().enable_time().build().unwrap();
    /// assert_eq!(rt.block_on(async { 1 }), 1);
    /// ```
    pub fn enable_time(&mut self) -> &mut Self {
        self
    }

    /// Runs `f` on every thread the runtime starts (a multi-thread
    /// runtime's workers and the blocking pool's threads; not its watcher,
    /// which runs no user code), first thing on that thread. A panic in `f` is
    /// reported and otherwise ignored.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    /// use std::sync::Arc;
    /// let started = Arc::new(AtomicUsize::new(0));
    /// let s = started.clone();
    /// let rt = guillotine::runtime::Builder::new()
    ///     .on_thread_start(move || {
    ///         s.fetch_add(1, SeqCst);
    ///     })
    ///     .build()
    ///     .unwrap();
    /// rt.block_on(rt.spawn_blocking(|| ())).unwrap();
    /// assert_eq!(started.load(SeqCst), 1);
    /// ```
    pub fn on_thread_start(&mut self, f: impl Fn() + Send + Sync + 'static) -> &mut Self {
        self.pool.on_start = Some(Hook(Arc::new(f)));
        self
    }

    /// Runs `f` on every thread the runtime starts, last thing before the
    /// thread exits (a blocking thread exits after `thread_keep_alive` idle,
    /// or at shutdown). A panic in `f` is reported and otherwise ignored.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    /// use std::sync::Arc;
    /// let stopped = Arc::new(AtomicUsize::new(0));
    /// let s = stopped.clone();
    /// let rt = guillotine::runtime::Builder::new()
    ///     .on_thread_stop(move || {
    ///         s.fetch_add(1, SeqCst);
    ///     })
    ///     .build()
    ///     .unwrap();
    /// rt.block_on(rt.spawn_blocking(|| ())).unwrap();
    /// drop(rt); // waits for the blocking thread to exit
    /// assert_eq!(stopped.load(SeqCst), 1);
    /// ```
    pub fn on_thread_stop(&mut self, f: impl Fn() + Send + Sync + 'static) -> &mut Self {
        self.pool.on_stop = Some(Hook(Arc::new(f)));
        self
    }

    /// Starts the runtime's clock paused (feature `test-util`), as
    /// [`time::pause`](crate::time::pause) would as the first thing in the
    /// runtime: timers then fire only when the clock is advanced, by hand
    /// or automatically when the runtime is idle (see
    /// [`auto_advance`](Builder::auto_advance)). What the attribute's
    /// `start_paused = true` sets.
    ///
    /// ```
    /// use guillotine::time::{self, sleep, Duration};
    /// let rt = guillotine::runtime::Builder::new_current_thread()
    ///     .start_paused(true)
    ///     .build()
    ///     .unwrap();
    /// rt.block_on(async {
    ///     let start = time::now();
    ///     sleep(Duration::from_secs(3600)).await; // at once
    ///     assert_eq!(time::now() - start, Duration::from_secs(3600));
    /// });
    /// ```
    #[cfg(feature = "test-util")]
    pub fn start_paused(&mut self, paused: bool) -> &mut Self {
        self.start_paused = paused;
        self
    }

    /// Whether a paused clock jumps to the next timer when the runtime has
    /// nothing else to do (feature `test-util`; on by default, as in tokio).
    /// Off, a paused clock moves only through
    /// [`time::advance`](crate::time::advance) and
    /// [`time::advance_to_next_timer`](crate::time::advance_to_next_timer);
    /// [`time::set_auto_advance`](crate::time::set_auto_advance) changes it
    /// later. The attribute's key is `auto_advance = false`.
    ///
    /// ```
    /// use guillotine::time::{self, sleep, Duration};
    /// let rt = guillotine::runtime::Builder::new_current_thread()
    ///     .start_paused(true)
    ///     .auto_advance(false)
    ///     .build()
    ///     .unwrap();
    /// rt.block_on(async {
    ///     let start = time::now();
    ///     let sleeper = guillotine::spawn(sleep(Duration::from_secs(60)));
    ///     guillotine::task::yield_now().await;
    ///     assert_eq!(time::now(), start, "nothing moves the clock by itself");
    ///     time::advance(Duration::from_secs(60)).await;
    ///     sleeper.await.unwrap();
    /// });
    /// ```
    #[cfg(feature = "test-util")]
    pub fn auto_advance(&mut self, on: bool) -> &mut Self {
        self.auto_advance = on;
        self
    }

    /// Creates the runtime.
    ///
    /// # Errors
    /// The `io::Error` of `epoll_create1` or `eventfd`.
    ///
    /// ```
    /// let runtime = guillotine::runtime::Builder::new().build()?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn build(&mut self) -> io::Result<Runtime> {
        let config = Config {
            event_interval: self.event_interval,
            max_spin: self.max_spin,
            pool: self.pool.clone(),
            clock: Arc::new(Clock::new(self.start_paused, self.auto_advance)),
            name: self.name.clone(),
            id: Id::next(),
        };
        let Some(n) = self.workers else {
            return Ok(Runtime {
                shared: Core::new_current_thread(config)?,
                multi: None,
                shut_down: false,
            });
        };
        let n = if n == 0 {
            std::thread::available_parallelism().map_or(1, usize::from)
        } else {
            n
        };
        let multi = multi_thread::launch(&config, n)?;
        let runtime = Runtime {
            shared: multi.shared.clone(),
            multi: Some(multi),
            shut_down: false,
        };
        // The building thread's `block_on` core, made now so that its
        // descriptors are counted (and can fail) here. Other threads make
        // theirs at their first `block_on`; a failure drops the runtime.
        local::get_or_make(&runtime.shared, || Core::new_home(&runtime.shared))?;
        Ok(runtime)
    }
}

/// The flavor of a runtime ([`Handle::runtime_flavor`]).
///
/// ```
/// use guillotine::runtime::{Runtime, RuntimeFlavor};
/// let rt = Runtime::new().unwrap();
/// assert_eq!(rt.handle().runtime_flavor(), RuntimeFlavor::CurrentThread);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RuntimeFlavor {
    /// Everything runs on the thread that calls `block_on`
    /// ([`Builder::new_current_thread`], [`Runtime::new`]).
    CurrentThread,
    /// Tasks run on worker threads ([`Builder::new_multi_thread`]).
    MultiThread,
}

/// A cloneable, `Send + Sync` reference to a runtime, to spawn onto it from
/// any thread.
///
/// ```
/// let runtime = guillotine::runtime::Runtime::new().unwrap();
/// let handle = runtime.handle();
/// let join = std::thread::spawn(move || handle.spawn(async { 1 + 1 }))
///     .join()
///     .unwrap();
/// assert_eq!(runtime.block_on(join).unwrap(), 2);
/// ```
#[derive(Clone)]
pub struct Handle {
    shared: Arc<Shared>,
}

impl Handle {
    /// The handle of the runtime running on this thread.
    ///
    /// # Panics
    /// Outside a runtime (not inside `block_on` or a task); see
    /// [`try_current`](Handle::try_current).
    ///
    /// ```
    /// let runtime = guillotine::runtime::Runtime::new().unwrap();
    /// runtime.block_on(async {
    ///     let handle = guillotine::runtime::Handle::current();
    ///     let answer = handle.spawn(async { 42 }).await.unwrap();
    ///     assert_eq!(answer, 42);
    /// });
    /// ```
    #[track_caller]
    pub fn current() -> Handle {
        match Handle::try_current() {
            Ok(h) => h,
            Err(e) => panic!("{e}"),
        }
    }

    /// The handle of the runtime running on this thread, or an error.
    ///
    /// ```
    /// assert!(guillotine::runtime::Handle::try_current().is_err());
    /// let runtime = guillotine::runtime::Runtime::new().unwrap();
    /// runtime.block_on(async {
    ///     assert!(guillotine::runtime::Handle::try_current().is_ok());
    /// });
    /// ```
    pub fn try_current() -> Result<Handle, TryCurrentError> {
        match context::handle() {
            Some(shared) => Ok(Handle { shared }),
            None => Err(TryCurrentError { _priv: () }),
        }
    }

    /// Which flavor this runtime is, as in tokio.
    ///
    /// ```
    /// use guillotine::runtime::{Builder, Handle, Runtime, RuntimeFlavor};
    /// let rt = Runtime::new().unwrap();
    /// assert_eq!(rt.handle().runtime_flavor(), RuntimeFlavor::CurrentThread);
    /// let rt = Builder::new_multi_thread().worker_threads(2).build().unwrap();
    /// rt.block_on(async {
    ///     let flavor = guillotine::spawn(async { Handle::current().runtime_flavor() });
    ///     assert_eq!(flavor.await.unwrap(), RuntimeFlavor::MultiThread);
    /// });
    /// ```
    pub fn runtime_flavor(&self) -> RuntimeFlavor {
        if self.shared.workers.is_some() {
            RuntimeFlavor::MultiThread
        } else {
            RuntimeFlavor::CurrentThread
        }
    }

    /// The runtime's id: different for every runtime of the process
    /// (see [`Id`]).
    ///
    /// ```
    /// use guillotine::runtime::{Builder, Handle};
    /// let rt = Builder::new_multi_thread().worker_threads(1).build().unwrap();
    /// let id = rt.handle().id();
    /// let seen = rt.block_on(async { guillotine::spawn(async { Handle::current().id() }).await.unwrap() });
    /// assert_eq!(seen, id);
    /// assert_ne!(guillotine::runtime::Runtime::new().unwrap().handle().id(), id);
    /// ```
    pub fn id(&self) -> Id {
        self.shared.config.id
    }

    /// The name given with [`Builder::name`], if any.
    ///
    /// ```
    /// use guillotine::runtime::{Builder, Runtime};
    /// assert_eq!(Runtime::new().unwrap().handle().name(), None);
    /// let rt = Builder::new_current_thread().name("control").build().unwrap();
    /// assert_eq!(rt.handle().name(), Some("control"));
    /// ```
    pub fn name(&self) -> Option<&str> {
        self.shared.config.name.as_deref()
    }

    /// Makes this runtime current on this thread until the guard is
    /// dropped: `spawn`, `sleep` and sockets then work here, on any thread.
    /// Tasks spawned from a thread that does not own the runtime go through
    /// its injection queue, as [`Handle::spawn`] does.
    ///
    /// ```
    /// let rt = guillotine::runtime::Runtime::new().unwrap();
    /// let handle = rt.handle();
    /// let task = std::thread::spawn(move || {
    ///     let _guard = handle.enter();
    ///     guillotine::spawn(async { "from another thread" })
    /// })
    /// .join()
    /// .unwrap();
    /// assert_eq!(rt.block_on(task).unwrap(), "from another thread");
    /// ```
    pub fn enter(&self) -> EnterGuard<'_> {
        EnterGuard {
            _reset: context::enter_handle(&self.shared).for_user(),
            _runtime: PhantomData,
        }
    }

    /// Runs `future` to completion on this thread, inside this runtime's
    /// context, and returns its output.
    ///
    /// On a thread that entered a current-thread runtime with
    /// [`Runtime::enter`], this drives the runtime like
    /// [`Runtime::block_on`] (waiting for it while another thread drives
    /// it). Anywhere else (a blocking thread, a plain OS thread, or inside
    /// `task::block_in_place` on a worker) it parks the thread until the
    /// future is woken. Its I/O, timers and spawned tasks are driven by the
    /// runtime: on the multi-thread runtime by the workers, at any time; on
    /// the current-thread runtime while some thread runs its `block_on`, as
    /// in tokio.
    ///
    /// Dropping a current-thread runtime while this drives it on another
    /// thread (the `EnterGuard` does not borrow the runtime) waits for this
    /// to return; `shutdown_timeout` waits at most its timeout, and this
    /// thread then drops the runtime's tasks when it returns.
    ///
    /// Timers and sockets created inside this `block_on` register with the
    /// runtime (with one of the workers' drivers on the multi-thread
    /// runtime); once the runtime is gone, sockets fail at once and timers
    /// panic saying so (as in tokio) rather than hang.
    ///
    /// # Panics
    /// If this thread is already running a runtime's `block_on`.
    ///
    /// ```
    /// let rt = guillotine::runtime::Runtime::new().unwrap();
    /// let n = rt.block_on(async {
    ///     guillotine::spawn_blocking(|| {
    ///         let handle = guillotine::runtime::Handle::current();
    ///         handle.block_on(async { guillotine::spawn(async { 21 }).await.unwrap() * 2 })
    ///     })
    ///     .await
    ///     .unwrap()
    /// });
    /// assert_eq!(n, 42);
    /// ```
    #[track_caller]
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        let entered = self.shared.handoff.is_some()
            && context::core().is_some_and(|core| core.is_home_of(&self.shared));
        if entered {
            return current_thread::block_on(&self.shared, true, future);
        }
        let _guard = context::enter_block_on_remote(&self.shared);
        scheduler::park_on(future)
    }

    /// Spawns a task onto the runtime. From a thread that runs it this is a
    /// plain push; from another it goes through the injection queue and wakes the
    /// runtime if it sleeps. If the runtime is gone, the returned handle
    /// yields a cancelled [`JoinError`].
    ///
    /// ```
    /// let runtime = guillotine::runtime::Runtime::new().unwrap();
    /// let handle = runtime.handle();
    /// let join = handle.spawn(async { "hi" });
    /// assert_eq!(runtime.block_on(join).unwrap(), "hi");
    /// ```
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        scheduler::spawn(&self.shared, future)
    }

    /// The number of timers waiting in the runtime's queue; see
    /// [`Runtime::num_timers`].
    ///
    /// ```
    /// let runtime = guillotine::runtime::Runtime::new().unwrap();
    /// assert_eq!(runtime.handle().num_timers(), 0);
    /// ```
    pub fn num_timers(&self) -> usize {
        self.shared.num_timers()
    }

    /// The runtime's counters ([`RuntimeMetrics`]), from any thread.
    ///
    /// ```
    /// let rt = guillotine::runtime::Runtime::new().unwrap();
    /// let handle = rt.handle();
    /// let workers = std::thread::spawn(move || handle.metrics().num_workers()).join().unwrap();
    /// assert_eq!(workers, 1);
    /// ```
    pub fn metrics(&self) -> RuntimeMetrics {
        RuntimeMetrics::new(self.shared.clone())
    }

    /// Runs `f` on the runtime's blocking thread pool.
    ///
    /// ```
    /// let runtime = guillotine::runtime::Runtime::new().unwrap();
    /// let handle = runtime.handle();
    /// let join = handle.spawn_blocking(|| 6 * 7);
    /// assert_eq!(runtime.block_on(join).unwrap(), 42);
    /// ```
    pub fn spawn_blocking<F, R>(&self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        self.shared.spawn_blocking(f)
    }
}

// As in tokio: a handle's operations keep the runtime consistent when a
// panic interrupts them (queues are behind poisoning-tolerant locks, state
// words change atomically); only the user's thread hooks are not
// `RefUnwindSafe`, and they are never called through a handle.
impl std::panic::UnwindSafe for Handle {}
impl std::panic::RefUnwindSafe for Handle {}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handle")
            .field("id", &self.id())
            .field("name", &self.name())
            .finish_non_exhaustive()
    }
}

/// The guard of [`Runtime::enter`] and [`Handle::enter`]: the runtime is
/// current on this thread until it is dropped, when the previous context
/// comes back.
///
/// # Panics
/// Guards must be dropped in the reverse order of their creation, as in
/// tokio: dropping one while a guard entered after it on the same thread is
/// still alive panics (the context from before it is restored first).
///
/// Like tokio's, it does not keep the runtime or handle borrowed while it
/// lives (it has no `Drop` of its own; a field restores the context).
///
/// ```
/// let rt = guillotine::runtime::Runtime::new().unwrap();
/// let guard: guillotine::runtime::EnterGuard<'_> = rt.enter();
/// assert!(guillotine::runtime::Handle::try_current().is_ok());
/// drop(guard);
/// assert!(guillotine::runtime::Handle::try_current().is_err());
/// ```
#[derive(Debug)]
#[must_use = "the runtime is current only while the guard lives"]
pub struct EnterGuard<'a> {
    _reset: context::SetGuard,
    _runtime: PhantomData<&'a Handle>,
}

/// Returned by [`Handle::try_current`] outside a runtime.
///
/// ```
/// let err = guillotine::runtime::Handle::try_current().unwrap_err();
/// assert!(err.to_string().contains("no guillotine runtime"));
/// ```
#[derive(Debug)]
pub struct TryCurrentError {
    _priv: (),
}

impl fmt::Display for TryCurrentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "there is no guillotine runtime running on this thread: call this from inside \
             `Runtime::block_on` or a task spawned onto a runtime",
        )
    }
}

impl std::error::Error for TryCurrentError {}

fn _assert_kinds() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Handle>();
    send_sync::<JoinHandle<()>>();
    send_sync::<AbortHandle>();
    send_sync::<JoinError>();
    send_sync::<RuntimeMetrics>();
}
