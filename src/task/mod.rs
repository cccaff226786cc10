//! Spawning and managing tasks: [`spawn`], [`spawn_local`],
//! [`spawn_blocking`], [`yield_now`], the handles they return, task
//! [`Id`]s, sets of tasks ([`JoinSet`]), task-local values
//! ([`task_local!`](crate::task_local), [`LocalKey`]), and the cooperative
//! budget ([`consume_budget`], [`unconstrained`]).
//!
//! # The cooperative budget
//!
//! Each poll of a task may complete about 128 operations on guillotine's
//! resources (I/O readiness, timers, `JoinHandle`s, the futures of `accept`,
//! `recv`, `send`, ...). After that they return `Pending` and the task is put
//! behind the next turn of the driver, so a task looping over an
//! always-ready resource (a stream at EOF, a flooded socket) cannot starve
//! other tasks, timers or `timeout`s. A [`Timeout`](crate::time::Timeout)
//! still checks its deadline when its inner future has spent the budget.
//!
//! Types from other crates consult only their own runtime's budget:
//! `tokio::sync` channels and `tokio::io::empty()` count against tokio's
//! budget, which is unconstrained on a guillotine runtime. A loop over them
//! alone can still hog the thread; put a [`consume_budget`] in it.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::runtime::context;
use crate::runtime::coop;
pub use crate::runtime::task::{AbortHandle, Id, JoinError, JoinHandle};

mod join_set;
pub use join_set::JoinSet;

mod task_local;
pub use task_local::{AccessError, LocalKey};

/// The named futures of the task module.
///
/// ```
/// guillotine::task_local! {
///     static KEY: u8;
/// }
/// let fut: guillotine::task::futures::TaskLocalFuture<u8, _> = KEY.scope(1, async { KEY.get() });
/// let rt = guillotine::runtime::Runtime::new().unwrap();
/// assert_eq!(rt.block_on(fut), 1);
/// ```
pub mod futures {
    pub use super::task_local::TaskLocalFuture;
}

const NO_RUNTIME: &str = "must be called from the context of a guillotine runtime (inside \
                          `Runtime::block_on` or a task running on one), but no runtime is \
                          running on this thread";

/// Spawns a task onto the current runtime and returns its [`JoinHandle`].
///
/// The task starts running at the runtime's next tick; dropping the handle
/// detaches it. On a worker of the multi-thread runtime it is queued on
/// that worker, and an idle worker may steal it; from any other thread it
/// goes through the runtime's injection queue.
///
/// # Panics
/// Outside a runtime. Use [`Handle::spawn`](crate::runtime::Handle::spawn)
/// to spawn from other threads.
///
/// ```
/// let rt = guillotine::runtime::Runtime::new().unwrap();
/// let v = rt.block_on(async {
///     let handles: Vec<_> = (0..10u64).map(|i| guillotine::spawn(async move { i * i })).collect();
///     let mut sum = 0;
///     for h in handles {
///         sum += h.await.unwrap();
///     }
///     sum
/// });
/// assert_eq!(v, 285);
/// ```
#[track_caller]
pub fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    // On a thread that runs the runtime, onto its own queue; else (a
    // blocking thread, `Handle::enter`) through the injection queue.
    let spawned = context::with_handle(|shared| {
        shared.map(|shared| crate::runtime::scheduler::spawn(shared, future))
    });
    match spawned {
        Some(handle) => handle,
        None => panic!("`guillotine::spawn` {NO_RUNTIME}"),
    }
}

/// Spawns a `!Send` future onto the current runtime, to run on this thread
/// only, so it may hold `Rc`s and `RefCell`s across `.await`s. No
/// `LocalSet` is needed. The task is polled and dropped only on this
/// thread:
///
/// - on a thread in `block_on` (or that entered the runtime with
///   `Runtime::enter`), the task runs on that thread while it drives the
///   runtime, like a `LocalSet` of that thread: on the current-thread
///   runtime, whose `block_on` calls may come from several threads and take
///   the runtime in turn, it waits while another thread drives;
/// - on a worker of the multi-thread runtime the task is pinned to that
///   worker: it is never stolen, and its wakes queue it there;
/// - when the runtime is dropped, the local tasks of the dropping thread are
///   dropped with it; those of another thread are dropped on that thread, at
///   its next `block_on` or `Runtime::enter` (of any runtime) or when it
///   exits, and their `JoinHandle`s then resolve as cancelled.
///
/// # Panics
/// Outside a runtime, and on a thread that neither runs the runtime nor
/// entered it through `Runtime::enter` (a blocking thread, or one that
/// entered it through [`Handle::enter`](crate::runtime::Handle::enter)): the
/// task could never move to a thread that runs it.
///
/// ```
/// use std::rc::Rc;
/// let rt = guillotine::runtime::Runtime::new().unwrap();
/// let n = rt.block_on(async {
///     let shared = Rc::new(5);
///     let s = shared.clone();
///     guillotine::task::spawn_local(async move { *s * 2 }).await.unwrap()
/// });
/// assert_eq!(n, 10);
/// ```
#[track_caller]
pub fn spawn_local<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    match context::core() {
        Some(core) => core.spawn_local(future),
        None if context::handle().is_some() => panic!(
            "`guillotine::task::spawn_local` must be called on a thread that runs the runtime \
             (inside `Runtime::block_on`, a task, or `Runtime::enter`), not on a blocking thread \
             or one that entered it through `Handle::enter`"
        ),
        None => panic!("`guillotine::task::spawn_local` {NO_RUNTIME}"),
    }
}

/// Runs a blocking closure on the current runtime's blocking thread pool.
///
/// # Panics
/// Outside a runtime.
///
/// ```
/// let rt = guillotine::runtime::Runtime::new().unwrap();
/// let len = rt.block_on(async {
///     guillotine::spawn_blocking(|| std::fs::read_to_string("Cargo.toml").unwrap().len())
///         .await
///         .unwrap()
/// });
/// assert!(len > 0);
/// ```
#[track_caller]
pub fn spawn_blocking<F, R>(f: F) -> JoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    match context::handle() {
        Some(shared) => shared.spawn_blocking(f),
        None => panic!("`guillotine::spawn_blocking` {NO_RUNTIME}"),
    }
}

/// Runs a blocking closure on this worker thread of a multi-thread
/// runtime, without stalling the runtime's other tasks.
///
/// The worker's queued tasks move to the injection queue for the other
/// workers, and an idle worker is woken to run them and to turn this
/// worker's driver while `f` runs, so its I/O and timers keep firing. The
/// task calling this stays on this thread. Inside `f` the thread is no
/// longer a worker, as in tokio: the runtime is still current,
/// [`Handle::block_on`](crate::runtime::Handle::block_on) may be used and
/// another runtime may be built and driven there.
///
/// Elsewhere, as in tokio: outside a runtime, or under `Runtime::enter`
/// without a `block_on`, `f` simply runs; in the future of a multi-thread
/// runtime's `block_on`, or of `Handle::block_on`, `f` runs outside that
/// `block_on` (it may start a runtime of its own).
///
/// Unlike tokio, the worker does not hand its role to a new thread: tasks
/// pinned to it by [`spawn_local`] wait until `f` returns, and if every
/// worker is inside `block_in_place` at once, queued tasks wait for one to
/// come back. Prefer [`spawn_blocking`] for long jobs.
///
/// # Panics
/// On the thread that runs a current-thread runtime's tasks, while it runs
/// them (in a task, or in the future of that runtime's
/// [`Runtime::block_on`](crate::runtime::Runtime::block_on)), and in a
/// [`spawn_local`] task on a multi-thread runtime's `block_on` thread (a
/// tokio `LocalSet`'s): blocking the thread would stall every task it
/// runs, so use [`spawn_blocking`] there.
///
/// ```
/// let rt = guillotine::runtime::Builder::new_multi_thread().worker_threads(2).build().unwrap();
/// let n = rt.block_on(rt.spawn(async {
///     guillotine::task::block_in_place(|| {
///         std::thread::sleep(std::time::Duration::from_millis(1));
///         7
///     })
/// }));
/// assert_eq!(n.unwrap(), 7);
/// ```
#[track_caller]
pub fn block_in_place<F, R>(f: F) -> R
where
    F: FnOnce() -> R,
{
    let on_worker = context::with_core(|core| {
        let worker = core?.worker.as_ref()?;
        // Yielded tasks too: this worker will not turn its driver.
        core?.wake_deferred();
        worker.hand_off();
        Some(worker.mt.clone())
    });
    let runtime = match on_worker {
        Some(runtime) => runtime,
        None => match context::blocking_place() {
            context::BlockingPlace::Free => return f(),
            context::BlockingPlace::Leave(runtime) => runtime,
            context::BlockingPlace::Forbidden => panic!(
                "`guillotine::task::block_in_place` cannot be called on the thread that runs a \
                 current-thread runtime's tasks (in a task, or in `Runtime::block_on`'s future) \
                 or a thread's `spawn_local` tasks: it would stall every one of them. Use \
                 `spawn_blocking`, or build the runtime with `Builder::new_multi_thread`"
            ),
        },
    };
    let _blocking = context::enter_blocking(&runtime);
    f()
}

/// Yields to the runtime: the task resumes after the runtime has looked at
/// I/O and timers and run the other ready tasks.
///
/// As in tokio, the task is put behind the next turn of the driver, not
/// just behind the run queue: a task that yields in a loop while waiting for
/// a socket or a timer sees it become ready. Polled outside a runtime, it
/// wakes itself at once.
///
/// ```
/// let rt = guillotine::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     for _ in 0..3 {
///         guillotine::task::yield_now().await;
///     }
/// });
/// ```
pub async fn yield_now() {
    YieldNow { yielded: false }.await;
}

/// Pending once, having woken itself.
struct YieldNow {
    yielded: bool,
}

impl Future for YieldNow {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            return Poll::Ready(());
        }
        self.yielded = true;
        crate::runtime::scheduler::defer(cx.waker());
        Poll::Pending
    }
}

/// The [`Id`] of the task being polled.
///
/// # Panics
/// Outside a task (also inside `block_on`'s own future, which is not a
/// task); see [`try_id`].
///
/// ```
/// let rt = guillotine::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     let handle = guillotine::spawn(async { guillotine::task::id() });
///     assert_eq!(handle.id(), handle.await.unwrap());
/// });
/// ```
#[track_caller]
pub fn id() -> Id {
    match try_id() {
        Some(id) => id,
        None => panic!(
            "`guillotine::task::id` was called outside a task: only a spawned task (not \
             `block_on`'s own future) has an id; use `try_id` to check"
        ),
    }
}

/// The [`Id`] of the task being polled, or `None` outside a task.
///
/// ```
/// let rt = guillotine::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     assert_eq!(guillotine::task::try_id(), None);
///     let id = guillotine::spawn(async { guillotine::task::try_id() }).await.unwrap();
///     assert!(id.is_some());
/// });
/// ```
pub fn try_id() -> Option<Id> {
    context::task_id()
}

/// Takes one unit of the task's cooperative budget, yielding to the runtime
/// (behind the driver) when the budget is spent.
///
/// Put it in loops that make progress without touching guillotine's own
/// resources (CPU work, other crates' always-ready channels), so they share
/// the thread like I/O loops do. Costs nothing while budget remains.
///
/// ```
/// let rt = guillotine::runtime::Runtime::new().unwrap();
/// let sum = rt.block_on(async {
///     let mut sum = 0u64;
///     for i in 0..10_000u64 {
///         sum += i;
///         guillotine::task::consume_budget().await;
///     }
///     sum
/// });
/// assert_eq!(sum, 49_995_000);
/// ```
pub async fn consume_budget() {
    std::future::poll_fn(|cx| coop::poll_proceed(cx).map(|unit| unit.made_progress())).await
}

/// Runs `future` without a cooperative budget: its operations never return
/// `Pending` for lack of budget.
///
/// It can starve the runtime's other tasks, timers and I/O: use it only for
/// a future that is known to yield on its own.
///
/// ```
/// use guillotine::task::unconstrained;
/// let rt = guillotine::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     let handles: Vec<_> = (0..300).map(|i| guillotine::spawn(async move { i })).collect();
///     // Joining 300 tasks in one poll, if they are finished, instead of three.
///     let sum: i32 = unconstrained(async {
///         let mut sum = 0;
///         for h in handles {
///             sum += h.await.unwrap();
///         }
///         sum
///     })
///     .await;
///     assert_eq!(sum, 44_850);
/// });
/// ```
pub fn unconstrained<F: Future>(future: F) -> Unconstrained<F> {
    Unconstrained { inner: future }
}

pin_project_lite::pin_project! {
    /// The future of [`unconstrained`].
    ///
    /// ```
    /// let rt = guillotine::runtime::Runtime::new().unwrap();
    /// let fut: guillotine::task::Unconstrained<_> = guillotine::task::unconstrained(async { 1 });
    /// assert_eq!(rt.block_on(fut), 1);
    /// ```
    #[must_use = "futures do nothing unless you .await or poll them"]
    #[derive(Debug)]
    pub struct Unconstrained<F> {
        #[pin]
        inner: F,
    }
}

impl<F: Future> Future for Unconstrained<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let inner = self.project().inner;
        coop::with_unconstrained(|| inner.poll(cx))
    }
}
