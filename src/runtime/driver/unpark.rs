//! Waking the runtime thread out of `epoll_wait` from other threads: the
//! runtime's one eventfd, registered edge-triggered under its own token.
//! Whether a wake must write it is decided by `park.rs`.

use std::io;
use std::os::fd::OwnedFd;
use std::sync::{RwLock, RwLockReadGuard};

use crate::sys;

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

    /// The eventfd, `None` once closed; held open while the guard lives.
    pub(crate) fn fd(&self) -> RwLockReadGuard<'_, Option<OwnedFd>> {
        self.fd.read().unwrap_or_else(|e| e.into_inner())
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
