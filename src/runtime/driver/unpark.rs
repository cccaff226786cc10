//! Waking the runtime thread out of `epoll_wait` from other threads.
//!
//! The runtime has one eventfd, registered edge-triggered under its own
//! token. [`ParkState`] decides *whether* a wake must write it: only when the
//! runtime is parked or about to park, and then only once per park.
//!
//! # The park protocol
//!
//! The runtime sets `parked`, then looks for work (`pending`, or other flags
//! of its own checked with `SeqCst` loads); it blocks only if it found none.
//! A waker first publishes its work (`SeqCst` store or read-modify-write),
//! then reads `parked`, and writes the eventfd only if it swaps `parked` from
//! true to false. With all four accesses `SeqCst`, either the runtime sees the
//! work, or the waker sees `parked` — a wake is never lost, and a burst of
//! wakes costs one write.

use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::RwLock;

use crate::loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use crate::sys;

/// The flags of the park protocol.
#[derive(Debug, Default)]
pub(crate) struct ParkState {
    /// The runtime is in (or about to enter) a blocking `epoll_wait`.
    parked: AtomicBool,
    /// Work queued from other threads and not yet taken by the runtime.
    pending: AtomicUsize,
}

impl ParkState {
    pub(crate) fn new() -> ParkState {
        ParkState {
            parked: AtomicBool::new(false),
            pending: AtomicUsize::new(0),
        }
    }

    /// Another thread queued `n` items; returns true if it must write the
    /// eventfd.
    pub(crate) fn push(&self, n: usize) -> bool {
        self.pending.fetch_add(n, SeqCst);
        self.must_unpark()
    }

    /// Another thread published work through its own `SeqCst` store (e.g. a
    /// woken flag); returns true if it must write the eventfd.
    pub(crate) fn must_unpark(&self) -> bool {
        self.parked.load(SeqCst) && self.parked.swap(false, SeqCst)
    }

    /// The runtime took `n` items.
    pub(crate) fn taken(&self, n: usize) {
        self.pending.fetch_sub(n, SeqCst);
    }

    /// Whether items are pending (a hint, for the runtime).
    pub(crate) fn has_pending(&self) -> bool {
        self.pending.load(SeqCst) != 0
    }

    /// The runtime is about to block; `other_work` checks its own flags (with
    /// `SeqCst` loads). Returns false (and stays unparked) if there is work.
    pub(crate) fn prepare_park(&self, other_work: impl FnOnce() -> bool) -> bool {
        self.parked.store(true, SeqCst);
        if self.pending.load(SeqCst) != 0 || other_work() {
            self.parked.store(false, SeqCst);
            return false;
        }
        true
    }

    /// The runtime is awake again.
    pub(crate) fn unparked(&self) {
        self.parked.store(false, SeqCst);
    }
}

/// The runtime's eventfd. It is closed at shutdown rather than when the last
/// `Handle` or `Waker` goes away, so a lingering waker holds no descriptor;
/// the lock makes sure a late writer never writes to a reused descriptor
/// number.
#[derive(Debug)]
pub(crate) struct Unparker {
    fd: RwLock<Option<OwnedFd>>,
}

impl Unparker {
    pub(crate) fn new() -> io::Result<Unparker> {
        Ok(Unparker {
            fd: RwLock::new(Some(sys::eventfd()?)),
        })
    }

    pub(crate) fn raw_fd(&self) -> Option<std::os::fd::RawFd> {
        self.fd
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .map(AsRawFd::as_raw_fd)
    }

    /// Makes the runtime's `epoll_wait` return.
    pub(crate) fn unpark(&self) {
        let fd = self.fd.read().unwrap_or_else(|e| e.into_inner());
        if let Some(fd) = fd.as_ref() {
            // Only EBADF/EINVAL could fail here, and neither can happen to an
            // open eventfd; there is no caller to report to.
            let _ = sys::eventfd_signal(fd);
        }
    }

    /// Closes the eventfd (shutdown).
    pub(crate) fn close(&self) {
        self.fd.write().unwrap_or_else(|e| e.into_inner()).take();
    }
}
