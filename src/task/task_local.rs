//! Task-local storage: [`task_local!`](crate::task_local), [`LocalKey`],
//! [`TaskLocalFuture`] and [`AccessError`].
//!
//! A task-local value lives in the future that [`LocalKey::scope`] returns,
//! not in a thread. Each `task_local!` key has a thread-local slot of its
//! own; around every poll of the scoped future, and while its inner future
//! is dropped, the value is swapped into that slot and swapped back out
//! afterwards (by a guard, so also when the poll panics). The value thus
//! moves with the task when another worker steals it, and nested scopes of
//! one key restore the outer value when the inner one ends: entering swaps
//! the outer value into the scope's own storage, leaving swaps it back.
//!
//! The slot is a `RefCell`: borrowed shared while [`LocalKey::with`] runs,
//! and exclusively only for the instant of a swap. Entering a scope of a key
//! inside `with` on the same key therefore fails (with a panic that says
//! so) rather than change a value under a live reference.

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Declares task-local keys: `static NAME: Type;`, any number of them, each
/// with optional attributes (doc comments) and visibility. Each becomes a
/// [`LocalKey<Type>`](crate::task::LocalKey), whose value is set for a
/// future by [`scope`](crate::task::LocalKey::scope) (or for a closure by
/// [`sync_scope`](crate::task::LocalKey::sync_scope)) and read within it by
/// [`with`](crate::task::LocalKey::with),
/// [`try_with`](crate::task::LocalKey::try_with) and
/// [`get`](crate::task::LocalKey::get).
///
/// ```
/// guillotine::task_local! {
///     /// The id of the request being served.
///     pub static REQUEST_ID: u64;
///     static USER: String;
/// }
///
/// let rt = guillotine::runtime::Runtime::new().unwrap();
/// rt.block_on(REQUEST_ID.scope(7, async {
///     USER.scope("ann".to_string(), async {
///         assert_eq!(REQUEST_ID.get(), 7);
///         USER.with(|user| assert_eq!(user, "ann"));
///     })
///     .await;
///     assert!(USER.try_with(|_| ()).is_err());
/// }));
/// ```
#[macro_export]
macro_rules! task_local {
    () => {};
    ($(#[$attr:meta])* $vis:vis static $name:ident: $t:ty; $($rest:tt)*) => {
        $crate::__task_local_key!($(#[$attr])* $vis $name, $t);
        $crate::task_local!($($rest)*);
    };
    ($(#[$attr:meta])* $vis:vis static $name:ident: $t:ty) => {
        $crate::__task_local_key!($(#[$attr])* $vis $name, $t);
    };
}

/// One key of [`task_local!`]: a static `LocalKey` around a thread-local
/// slot of its own.
#[doc(hidden)]
#[macro_export]
macro_rules! __task_local_key {
    ($(#[$attr:meta])* $vis:vis $name:ident, $t:ty) => {
        $(#[$attr])*
        $vis static $name: $crate::task::LocalKey<$t> = {
            ::std::thread_local! {
                static __GUILLOTINE_TASK_LOCAL: ::std::cell::RefCell<::std::option::Option<$t>> =
                    const { ::std::cell::RefCell::new(::std::option::Option::None) };
            }
            $crate::task::LocalKey::__new(__GUILLOTINE_TASK_LOCAL)
        };
    };
}

/// A key for task-local data, declared with [`task_local!`](crate::task_local).
///
/// The value is set for the duration of a future by [`scope`](LocalKey::scope),
/// or of a closure by [`sync_scope`](LocalKey::sync_scope); there is no
/// initial value. Within the scope — in every poll of the future, in the
/// drop of its inner future, on whichever worker thread polls it — the
/// value is reachable through [`with`](LocalKey::with),
/// [`try_with`](LocalKey::try_with) and [`get`](LocalKey::get).
///
/// # Spawned tasks do not inherit the value
///
/// As in tokio, a task spawned from inside a scope starts outside it: the
/// scope wraps the spawning future, not the new task. To carry the value
/// over, scope the new task's future too:
///
/// ```
/// guillotine::task_local! {
///     static TRACE: u32;
/// }
///
/// let rt = guillotine::runtime::Runtime::new().unwrap();
/// rt.block_on(TRACE.scope(42, async {
///     // Not inherited:
///     let plain = guillotine::spawn(async { TRACE.try_with(|t| *t) });
///     assert!(plain.await.unwrap().is_err());
///     // Scoped again with the current value:
///     let scoped = guillotine::spawn(TRACE.scope(TRACE.get(), async { TRACE.get() }));
///     assert_eq!(scoped.await.unwrap(), 42);
/// }));
/// ```
pub struct LocalKey<T: 'static> {
    /// The thread-local slot the value is swapped into while its scope runs.
    inner: std::thread::LocalKey<RefCell<Option<T>>>,
}

/// Why a scope could not be entered.
#[derive(Debug, Clone, Copy)]
enum ScopeError {
    /// `with`/`try_with` of the same key is running on this thread.
    Borrowed,
    /// The thread is exiting and its thread-locals are gone.
    Destroyed,
}

impl ScopeError {
    #[track_caller]
    fn panic(self) -> ! {
        match self {
            ScopeError::Borrowed => panic!(
                "cannot enter a task-local scope while the task-local value is borrowed: a \
                 `scope` future of this key was polled (or `sync_scope` was called) inside \
                 `LocalKey::with` or `try_with` on the same key"
            ),
            ScopeError::Destroyed => panic!(
                "cannot enter a task-local scope during or after the destruction of this \
                 thread's thread-locals"
            ),
        }
    }
}

impl<T: 'static> LocalKey<T> {
    /// Used by [`task_local!`](crate::task_local) only.
    #[doc(hidden)]
    pub const fn __new(inner: std::thread::LocalKey<RefCell<Option<T>>>) -> LocalKey<T> {
        LocalKey { inner }
    }

    /// Runs `future` with `value` as this key's value. The returned future
    /// owns the value (and drops it when it is dropped, or hands it out
    /// through [`TaskLocalFuture::take_value`]).
    ///
    /// # Panics
    /// Polling the returned future panics inside [`with`](LocalKey::with)
    /// or [`try_with`](LocalKey::try_with) on the same key.
    ///
    /// ```
    /// guillotine::task_local! {
    ///     static DEPTH: u32;
    /// }
    ///
    /// let rt = guillotine::runtime::Runtime::new().unwrap();
    /// rt.block_on(DEPTH.scope(1, async {
    ///     assert_eq!(DEPTH.get(), 1);
    ///     DEPTH.scope(2, async { assert_eq!(DEPTH.get(), 2) }).await;
    ///     assert_eq!(DEPTH.get(), 1);
    /// }));
    /// ```
    pub fn scope<F: Future>(&'static self, value: T, future: F) -> TaskLocalFuture<T, F> {
        TaskLocalFuture {
            local: self,
            slot: Some(value),
            future: Some(future),
        }
    }

    /// Runs `f` with `value` as this key's value, and drops the value
    /// afterwards. The previous value (of an enclosing scope) comes back
    /// when `f` returns or panics.
    ///
    /// # Panics
    /// Inside [`with`](LocalKey::with) or [`try_with`](LocalKey::try_with)
    /// on the same key; and if `f` panics.
    ///
    /// ```
    /// guillotine::task_local! {
    ///     static NAME: &'static str;
    /// }
    ///
    /// let len = NAME.sync_scope("hello", || NAME.with(|n| n.len()));
    /// assert_eq!(len, 5);
    /// assert!(NAME.try_with(|_| ()).is_err());
    /// ```
    #[track_caller]
    pub fn sync_scope<F, R>(&'static self, value: T, f: F) -> R
    where
        F: FnOnce() -> R,
    {
        let mut slot = Some(value);
        match self.enter(&mut slot, f) {
            Ok(r) => r,
            Err(e) => e.panic(),
        }
    }

    /// Runs `f` with `slot`'s value as this key's, swapping it back into
    /// `slot` afterwards, also if `f` panics.
    fn enter<F, R>(&'static self, slot: &mut Option<T>, f: F) -> Result<R, ScopeError>
    where
        F: FnOnce() -> R,
    {
        /// Swaps the values back on drop.
        struct Restore<'a, T: 'static> {
            key: &'static LocalKey<T>,
            slot: &'a mut Option<T>,
        }

        impl<T: 'static> Drop for Restore<'_, T> {
            fn drop(&mut self) {
                // Cannot fail: every `with` inside the scope has ended, and
                // the thread-local outlives code that runs on its thread.
                let _ = self.key.swap(self.slot);
            }
        }

        self.swap(slot)?;
        let _restore = Restore { key: self, slot };
        Ok(f())
    }

    /// Exchanges `slot` and the thread-local slot.
    fn swap(&'static self, slot: &mut Option<T>) -> Result<(), ScopeError> {
        self.inner
            .try_with(|cell| match cell.try_borrow_mut() {
                Ok(mut current) => {
                    std::mem::swap(slot, &mut *current);
                    Ok(())
                }
                Err(_) => Err(ScopeError::Borrowed),
            })
            .unwrap_or(Err(ScopeError::Destroyed))
    }

    /// Runs `f` with a reference to this key's value.
    ///
    /// # Panics
    /// Outside a [`scope`](LocalKey::scope) or
    /// [`sync_scope`](LocalKey::sync_scope) of this key, with a message
    /// saying so; see [`try_with`](LocalKey::try_with).
    ///
    /// ```
    /// guillotine::task_local! {
    ///     static LIMITS: Vec<u32>;
    /// }
    ///
    /// let rt = guillotine::runtime::Runtime::new().unwrap();
    /// let total = rt.block_on(LIMITS.scope(vec![1, 2, 3], async {
    ///     guillotine::task::yield_now().await;
    ///     LIMITS.with(|limits| limits.iter().sum::<u32>())
    /// }));
    /// assert_eq!(total, 6);
    /// ```
    #[track_caller]
    pub fn with<F, R>(&'static self, f: F) -> R
    where
        F: FnOnce(&T) -> R,
    {
        match self.try_with(f) {
            Ok(r) => r,
            Err(AccessError { .. }) => panic!(
                "cannot access a task-local value outside its scope: `LocalKey::with` (or `get`) \
                 was called where no `scope` or `sync_scope` of this key is running (spawned \
                 tasks do not inherit task-local values; use `try_with` to check)"
            ),
        }
    }

    /// Runs `f` with a reference to this key's value, or returns an
    /// [`AccessError`] (without calling `f`) outside a scope of this key, or
    /// if this thread's thread-locals are being destroyed.
    ///
    /// ```
    /// guillotine::task_local! {
    ///     static COUNT: u32;
    /// }
    ///
    /// assert!(COUNT.try_with(|c| *c).is_err());
    /// assert_eq!(COUNT.sync_scope(3, || COUNT.try_with(|c| *c)), Ok(3));
    /// ```
    pub fn try_with<F, R>(&'static self, f: F) -> Result<R, AccessError>
    where
        F: FnOnce(&T) -> R,
    {
        let value = self.inner.try_with(|cell| {
            // Never fails: exclusive borrows last only for a swap.
            let current = cell.try_borrow().ok()?;
            Some(f(current.as_ref()?))
        });
        match value {
            Ok(Some(r)) => Ok(r),
            _ => Err(AccessError { _private: () }),
        }
    }
}

impl<T: Clone + 'static> LocalKey<T> {
    /// A clone of this key's value.
    ///
    /// # Panics
    /// Outside a scope of this key, as [`with`](LocalKey::with).
    ///
    /// ```
    /// guillotine::task_local! {
    ///     static TAG: &'static str;
    /// }
    ///
    /// let rt = guillotine::runtime::Runtime::new().unwrap();
    /// let tag = rt.block_on(TAG.scope("blue", async { TAG.get() }));
    /// assert_eq!(tag, "blue");
    /// ```
    #[track_caller]
    pub fn get(&'static self) -> T {
        self.with(T::clone)
    }
}

impl<T: 'static> fmt::Debug for LocalKey<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalKey")
            .field("type", &std::any::type_name::<T>())
            .finish_non_exhaustive()
    }
}

/// The error of [`LocalKey::try_with`]: no scope of the key is running
/// here.
///
/// ```
/// guillotine::task_local! {
///     static KEY: u8;
/// }
///
/// let err: guillotine::task::AccessError = KEY.try_with(|_| ()).unwrap_err();
/// assert_eq!(err.to_string(), "task-local value not set: no scope of its key is running");
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct AccessError {
    _private: (),
}

impl fmt::Debug for AccessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessError").finish()
    }
}

impl fmt::Display for AccessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("task-local value not set: no scope of its key is running")
    }
}

impl std::error::Error for AccessError {}

pin_project_lite::pin_project! {
    /// The future of [`LocalKey::scope`]: runs the inner future with the
    /// key's value set, in every poll and while dropping the inner future.
    ///
    /// ```
    /// use guillotine::task::futures::TaskLocalFuture;
    ///
    /// guillotine::task_local! {
    ///     static KEY: u32;
    /// }
    ///
    /// let rt = guillotine::runtime::Runtime::new().unwrap();
    /// let fut: TaskLocalFuture<u32, _> = KEY.scope(9, async { KEY.get() + 1 });
    /// assert_eq!(rt.block_on(fut), 10);
    /// ```
    #[must_use = "futures do nothing unless you .await or poll them"]
    pub struct TaskLocalFuture<T, F>
    where
        T: 'static,
    {
        local: &'static LocalKey<T>,
        // The value, whenever the scope is not entered.
        slot: Option<T>,
        // `None` once it completed (it is dropped at once, in the scope).
        #[pin]
        future: Option<F>,
    }

    impl<T, F> PinnedDrop for TaskLocalFuture<T, F>
    where
        T: 'static,
    {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            let mut future = this.future;
            if future.is_some() {
                // Dropped in the scope, so the inner future's destructors
                // see the value. If the scope cannot be entered (this
                // thread is exiting), it is dropped without.
                let entered = this.local.enter(this.slot, || future.set(None));
                if entered.is_err() {
                    future.set(None);
                }
            }
        }
    }
}

impl<T: 'static, F> TaskLocalFuture<T, F> {
    /// Takes the value out of the future: `Some` the first time (also
    /// after the future completed), `None` after. Taken before the future
    /// completes, the value is no longer set while it runs.
    ///
    /// ```
    /// guillotine::task_local! {
    ///     static KEY: String;
    /// }
    ///
    /// let rt = guillotine::runtime::Runtime::new().unwrap();
    /// let mut fut = Box::pin(KEY.scope("kept".to_string(), async { KEY.with(|k| k.len()) }));
    /// assert_eq!(rt.block_on(fut.as_mut()), 4);
    /// assert_eq!(fut.as_mut().take_value().as_deref(), Some("kept"));
    /// assert_eq!(fut.as_mut().take_value(), None);
    /// ```
    pub fn take_value(self: Pin<&mut Self>) -> Option<T> {
        self.project().slot.take()
    }
}

impl<T: 'static, F: Future> Future for TaskLocalFuture<T, F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let mut future = this.future;
        let polled = this.local.enter(this.slot, || {
            let poll = future.as_mut().as_pin_mut()?.poll(cx);
            if poll.is_ready() {
                // Its locals drop while the value is still set.
                future.set(None);
            }
            Some(poll)
        });
        match polled {
            Ok(Some(poll)) => poll,
            Ok(None) => panic!("`TaskLocalFuture` polled after it completed"),
            Err(e) => e.panic(),
        }
    }
}

impl<T: 'static, F> fmt::Debug for TaskLocalFuture<T, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskLocalFuture")
            .field("key", self.local)
            .field("has_value", &self.slot.is_some())
            .field("completed", &self.future.is_none())
            .finish()
    }
}
