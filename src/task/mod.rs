//! Spawning and managing tasks: [`spawn`], [`spawn_local`],
//! [`spawn_blocking`], [`yield_now`], and the handles they return.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::runtime::context;
pub use crate::runtime::task::{AbortHandle, JoinError, JoinHandle};

const NO_RUNTIME: &str = "must be called from the context of a guillotine runtime (inside \
                          `Runtime::block_on` or a task running on one), but no runtime is \
                          running on this thread";

/// Spawns a task onto the current runtime and returns its [`JoinHandle`].
///
/// The task starts running at the runtime's next tick; dropping the handle
/// detaches it.
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
    spawn_inner(future, "guillotine::spawn")
}

/// Spawns a `!Send` future onto the current runtime. It runs on this thread,
/// like every task of a guillotine runtime, so it may hold `Rc`s and
/// `RefCell`s across `.await`s.
///
/// # Panics
/// Outside a runtime.
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
    spawn_inner(future, "guillotine::task::spawn_local")
}

#[track_caller]
fn spawn_inner<F>(future: F, what: &str) -> JoinHandle<F::Output>
where
    F: Future + 'static,
{
    match context::current() {
        Some(core) => core.spawn(future),
        None => panic!("`{what}` {NO_RUNTIME}"),
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
    match context::current() {
        Some(core) => core.shared.spawn_blocking(f),
        None => panic!("`guillotine::spawn_blocking` {NO_RUNTIME}"),
    }
}

/// Yields to the runtime: other ready tasks run before this one resumes.
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
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}
