//! [`Id`]: a runtime's identity, for logs and maps keyed by runtime.

use std::fmt;
use std::num::NonZeroU64;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// An opaque id that tells a runtime apart from every other runtime of the
/// process ([`Handle::id`](crate::runtime::Handle::id)).
///
/// As tokio's `runtime::Id`: `Copy`, `Eq`, `Hash`, `Display` (the number)
/// and `Debug` (`Id(n)`). Ids come from one process-wide counter, so
/// unlike tokio's, which may be reused once a runtime is gone, they are
/// never reused; their order says nothing about which runtime was built
/// first on another thread.
///
/// ```
/// use guillotine::runtime::Runtime;
/// let a = Runtime::new().unwrap();
/// let b = Runtime::new().unwrap();
/// assert_ne!(a.handle().id(), b.handle().id());
/// let id = a.handle().id();
/// assert_eq!(a.block_on(async { guillotine::runtime::Handle::current().id() }), id);
/// assert_eq!(format!("{id:?}"), format!("Id({id})"));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Id(NonZeroU64);

impl Id {
    /// A fresh id, for a runtime being built.
    pub(crate) fn next() -> Id {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        // Wrapping past zero would take 2^64 runtimes.
        let n = NEXT.fetch_add(1, Relaxed);
        Id(NonZeroU64::new(n).expect("runtime id counter wrapped"))
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
