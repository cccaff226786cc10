//! `JoinHandle`, `AbortHandle` and `JoinError`: the user's side of a task.

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::task::{Context, Poll};

use super::id::Id;
use super::raw::RawTask;
use super::state::ToNotified;
use crate::runtime::coop;

/// An owned permission to await a spawned task's output.
///
/// Awaiting it yields `Ok(output)`, or a [`JoinError`] if the task panicked
/// or was cancelled (by [`abort`](JoinHandle::abort) or because its runtime
/// shut down). It can be awaited from any task on any runtime, or from plain
/// `futures::executor::block_on`. Dropping it detaches the task: it keeps
/// running and its output is dropped when it finishes.
///
/// ```
/// let rt = guillotine::runtime::Runtime::new().unwrap();
/// let sum = rt.block_on(async {
///     let handle = guillotine::spawn(async { 20 + 22 });
///     handle.await.unwrap()
/// });
/// assert_eq!(sum, 42);
/// ```
// Not `#[must_use]`, as in tokio: dropping the handle detaches the task,
// which keeps running; `spawn(..);` on its own line is idiomatic.
pub struct JoinHandle<T> {
    raw: RawTask,
    _output: PhantomData<T>,
}

// SAFETY: the handle moves (or reads) the output, a `T`, to the thread that
// holds it, and otherwise touches only atomics; the future itself is only
// polled and dropped on the runtime thread.
unsafe impl<T: Send> Send for JoinHandle<T> {}
// SAFETY: `&JoinHandle` only allows `abort` and `is_finished`, which are
// atomic operations.
unsafe impl<T: Send> Sync for JoinHandle<T> {}

impl<T> Unpin for JoinHandle<T> {}

impl<T> JoinHandle<T> {
    /// Takes over the join-handle reference of a new task.
    pub(crate) fn new(raw: RawTask) -> JoinHandle<T> {
        JoinHandle {
            raw,
            _output: PhantomData,
        }
    }

    /// Cancels the task. Its future is dropped on the runtime thread the next
    /// time the runtime runs (at once if the task is idle), and awaiting this
    /// handle then yields a cancelled [`JoinError`]. A task that already
    /// finished keeps its output.
    ///
    /// ```
    /// let rt = guillotine::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let handle = guillotine::spawn(std::future::pending::<()>());
    ///     handle.abort();
    ///     assert!(handle.await.unwrap_err().is_cancelled());
    /// });
    /// ```
    pub fn abort(&self) {
        abort(self.raw);
    }

    /// Whether the task has finished (completed, panicked or been cancelled).
    ///
    /// ```
    /// let rt = guillotine::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let handle = guillotine::spawn(async {});
    ///     guillotine::task::yield_now().await;
    ///     assert!(handle.is_finished());
    /// });
    /// ```
    pub fn is_finished(&self) -> bool {
        self.raw.header().state.load().is_complete()
    }

    /// A handle that can abort the task but not await it.
    ///
    /// ```
    /// let rt = guillotine::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let handle = guillotine::spawn(std::future::pending::<()>());
    ///     let abort = handle.abort_handle();
    ///     abort.abort();
    ///     assert!(handle.await.unwrap_err().is_cancelled());
    ///     assert!(abort.is_finished());
    /// });
    /// ```
    pub fn abort_handle(&self) -> AbortHandle {
        self.raw.header().state.ref_inc();
        AbortHandle { raw: self.raw }
    }

    /// The task's [`Id`].
    ///
    /// ```
    /// let rt = guillotine::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let handle = guillotine::spawn(async {});
    ///     assert_eq!(handle.id(), handle.abort_handle().id());
    ///     let other = guillotine::spawn(async {});
    ///     assert_ne!(handle.id(), other.id());
    /// });
    /// ```
    pub fn id(&self) -> Id {
        self.raw.header().id
    }
}

/// Marks the task cancelled and, if it is idle, queues it so the runtime
/// thread drops its future.
fn abort(raw: RawTask) {
    if raw.header().state.transition_to_notified_and_cancel() == ToNotified::Submit {
        crate::runtime::scheduler::schedule(raw);
    }
}

impl<T> Future for JoinHandle<T> {
    type Output = Result<T, JoinError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // Awaiting finished tasks in a loop must not starve the runtime.
        let coop = std::task::ready!(coop::poll_proceed(cx));
        let mut out: Poll<Result<T, JoinError>> = Poll::Pending;
        // SAFETY: `out` has the task's output type, and we are its JoinHandle.
        unsafe {
            self.raw.try_read_output(
                (&mut out as *mut Poll<Result<T, JoinError>>).cast(),
                cx.waker(),
            )
        };
        if out.is_ready() {
            coop.made_progress();
        }
        out
    }
}

impl<T> Drop for JoinHandle<T> {
    fn drop(&mut self) {
        let raw = self.raw;
        if raw.header().state.unset_join_interested().is_err() {
            // Completed first: the output is ours to drop. A panic from its
            // `Drop` is swallowed, as tokio does: re-raising it from a drop
            // (perhaps during another unwind) could abort the process.
            if let Err(payload) = catch_unwind(AssertUnwindSafe(|| raw.drop_output())) {
                super::raw::drop_payload(payload);
            }
        }
        raw.drop_ref();
    }
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinHandle")
            .field("state", &self.raw.header().state.load())
            .finish()
    }
}

/// Cancels a task without awaiting it; cloneable, `Send` and `Sync`.
///
/// ```
/// let rt = guillotine::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     let handle = guillotine::spawn(std::future::pending::<()>());
///     let abort = handle.abort_handle();
///     std::thread::spawn(move || abort.abort()).join().unwrap();
///     assert!(handle.await.unwrap_err().is_cancelled());
/// });
/// ```
pub struct AbortHandle {
    raw: RawTask,
}

impl AbortHandle {
    /// Cancels the task, as [`JoinHandle::abort`].
    ///
    /// ```
    /// let rt = guillotine::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let handle = guillotine::spawn(std::future::pending::<()>());
    ///     handle.abort_handle().abort();
    ///     assert!(handle.await.unwrap_err().is_cancelled());
    /// });
    /// ```
    pub fn abort(&self) {
        abort(self.raw);
    }

    /// Whether the task has finished, as [`JoinHandle::is_finished`].
    ///
    /// ```
    /// let rt = guillotine::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let handle = guillotine::spawn(async {});
    ///     let abort = handle.abort_handle();
    ///     handle.await.unwrap();
    ///     assert!(abort.is_finished());
    /// });
    /// ```
    pub fn is_finished(&self) -> bool {
        self.raw.header().state.load().is_complete()
    }

    /// The task's [`Id`], as [`JoinHandle::id`].
    ///
    /// ```
    /// let rt = guillotine::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let handle = guillotine::spawn(async {});
    ///     assert_eq!(handle.abort_handle().id(), handle.id());
    /// });
    /// ```
    pub fn id(&self) -> Id {
        self.raw.header().id
    }
}

impl Clone for AbortHandle {
    fn clone(&self) -> AbortHandle {
        self.raw.header().state.ref_inc();
        AbortHandle { raw: self.raw }
    }
}

impl Drop for AbortHandle {
    fn drop(&mut self) {
        self.raw.drop_ref();
    }
}

impl fmt::Debug for AbortHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AbortHandle")
            .field("state", &self.raw.header().state.load())
            .finish()
    }
}

/// Why a task did not produce its output: it was cancelled, or it panicked.
///
/// ```
/// let rt = guillotine::runtime::Runtime::new().unwrap();
/// let err = rt.block_on(async {
///     guillotine::spawn(async { panic!("boom") }).await.unwrap_err()
/// });
/// assert!(err.is_panic());
/// assert_eq!(*err.into_panic().downcast::<&str>().unwrap(), "boom");
/// ```
pub struct JoinError {
    repr: Repr,
    id: Id,
}

/// `Cancelled`, or the panic's payload. Boxed once more so the error is one
/// pointer wide: it sits in every task's allocation, a panic is rare.
enum Repr {
    Cancelled,
    Panic(Box<SyncPayload>),
}

/// A panic payload made `Sync` by never handing out `&` access to it, except
/// to read a `&str` or `String` message (both `Sync`); otherwise it is only
/// moved out whole.
struct SyncPayload(Box<dyn Any + Send + 'static>);

// SAFETY: shared access only ever reads `&str`/`String` payloads, which are
// `Sync`; anything else is moved out by value (`into_panic`), needing `Send`.
unsafe impl Sync for SyncPayload {}

impl JoinError {
    pub(crate) fn cancelled(id: Id) -> JoinError {
        JoinError {
            repr: Repr::Cancelled,
            id,
        }
    }

    pub(crate) fn panic(id: Id, payload: Box<dyn Any + Send + 'static>) -> JoinError {
        JoinError {
            repr: Repr::Panic(Box::new(SyncPayload(payload))),
            id,
        }
    }

    /// The [`Id`] of the task that failed.
    ///
    /// ```
    /// let rt = guillotine::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let handle = guillotine::spawn(std::future::pending::<()>());
    ///     let id = handle.id();
    ///     handle.abort();
    ///     let err = handle.await.unwrap_err();
    ///     assert_eq!(err.id(), id);
    ///     assert_eq!(format!("{err:?}"), format!("JoinError::Cancelled({id:?})"));
    /// });
    /// ```
    pub fn id(&self) -> Id {
        self.id
    }

    /// Whether the task was cancelled (aborted, or its runtime shut down).
    ///
    /// ```
    /// let rt = guillotine::runtime::Runtime::new().unwrap();
    /// let handle = rt.spawn(std::future::pending::<()>());
    /// drop(rt);
    /// let err = futures_lite::future::block_on(handle).unwrap_err();
    /// assert!(err.is_cancelled());
    /// ```
    pub fn is_cancelled(&self) -> bool {
        matches!(self.repr, Repr::Cancelled)
    }

    /// Whether the task panicked.
    ///
    /// ```
    /// let rt = guillotine::runtime::Runtime::new().unwrap();
    /// let err = rt.block_on(rt.spawn(async { panic!() })).unwrap_err();
    /// assert!(err.is_panic());
    /// ```
    pub fn is_panic(&self) -> bool {
        matches!(self.repr, Repr::Panic(_))
    }

    /// The panic's payload, to inspect or to resume with
    /// `std::panic::resume_unwind`.
    ///
    /// # Panics
    /// If the error is not a panic (see [`is_panic`](JoinError::is_panic)).
    ///
    /// ```
    /// let rt = guillotine::runtime::Runtime::new().unwrap();
    /// let err = rt.block_on(rt.spawn(async { std::panic::panic_any(7u8) })).unwrap_err();
    /// assert_eq!(*err.into_panic().downcast::<u8>().unwrap(), 7);
    /// ```
    #[track_caller]
    pub fn into_panic(self) -> Box<dyn Any + Send + 'static> {
        match self.repr {
            Repr::Panic(p) => p.0,
            Repr::Cancelled => {
                panic!("JoinError::into_panic called on a cancelled task's error, not a panic")
            }
        }
    }

    /// The panic's payload, or the error back if it was not a panic.
    ///
    /// ```
    /// let rt = guillotine::runtime::Runtime::new().unwrap();
    /// let handle = rt.spawn(std::future::pending::<()>());
    /// drop(rt);
    /// let err = futures_lite::future::block_on(handle).unwrap_err();
    /// assert!(err.try_into_panic().is_err());
    /// ```
    pub fn try_into_panic(self) -> Result<Box<dyn Any + Send + 'static>, JoinError> {
        match self.repr {
            Repr::Panic(p) => Ok(p.0),
            Repr::Cancelled => Err(self),
        }
    }
}

/// The message of a `&str` or `String` payload, the two kinds `panic!` makes.
fn panic_message(p: &SyncPayload) -> Option<&str> {
    // Only `Sync` types (`&str`, `String`) are read through `&`, which keeps
    // `SyncPayload`'s promise; `type_id` reads no data.
    p.0.downcast_ref::<&str>()
        .copied()
        .or_else(|| p.0.downcast_ref::<String>().map(String::as_str))
}

impl fmt::Display for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let id = self.id;
        match &self.repr {
            Repr::Cancelled => write!(f, "task {id} was cancelled"),
            Repr::Panic(p) => match panic_message(p) {
                Some(m) => write!(f, "task {id} panicked with message {m:?}"),
                None => write!(f, "task {id} panicked"),
            },
        }
    }
}

impl fmt::Debug for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let id = self.id;
        match &self.repr {
            Repr::Cancelled => write!(f, "JoinError::Cancelled({id:?})"),
            Repr::Panic(p) => match panic_message(p) {
                Some(m) => write!(f, "JoinError::Panic({id:?}, {m:?}, ...)"),
                None => write!(f, "JoinError::Panic({id:?}, ...)"),
            },
        }
    }
}

impl std::error::Error for JoinError {}

impl From<JoinError> for std::io::Error {
    fn from(e: JoinError) -> std::io::Error {
        std::io::Error::other(e.to_string())
    }
}
