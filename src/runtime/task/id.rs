//! [`Id`]: a task's identity, for logs and maps of tasks.

use std::fmt;
use std::num::NonZeroU64;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// An opaque id that tells a task apart from every other task of the
/// process, for as long as the task or a handle to it exists.
///
/// Ids come from one process-wide counter, so they are never reused; they
/// are not dense per runtime, and their order says nothing about spawn
/// order across threads. A task learns its own id with
/// [`task::id`](crate::task::id); others read it from its
/// [`JoinHandle`](crate::task::JoinHandle::id),
/// [`AbortHandle`](crate::task::AbortHandle::id) or
/// [`JoinError`](crate::task::JoinError::id).
///
/// ```
/// let rt = guillotine::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     let handle = guillotine::spawn(async { guillotine::task::id() });
///     let id = handle.id();
///     assert_eq!(handle.await.unwrap(), id);
///     assert_eq!(format!("{id:?}"), format!("Id({id})"));
/// });
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Id(NonZeroU64);

impl Id {
    /// A fresh id.
    pub(crate) fn next() -> Id {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        // 2^64 spawns would take centuries; wrapping past zero would need them.
        let n = NEXT.fetch_add(1, Relaxed);
        Id(NonZeroU64::new(n).expect("task id counter wrapped"))
    }

    pub(crate) fn as_u64(self) -> u64 {
        self.0.get()
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Debug for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Id({})", self.0)
    }
}
