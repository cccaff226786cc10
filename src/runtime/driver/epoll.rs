//! The `Selector`: one epoll instance and the buffer its events land in.

use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use crate::sys;

/// How many events one `epoll_wait` can return.
const EVENTS_CAPACITY: usize = 1024;

/// An epoll instance (close-on-exec) and its event buffer.
pub(crate) struct Selector {
    /// The epoll descriptor, shared with the I/O registry for its
    /// `epoll_ctl`s until the registry's shutdown withdraws it; closed when
    /// the selector drops.
    ep: Arc<OwnedFd>,
    /// Where `epoll_wait` writes, allocated once.
    events: sys::EpollEvents,
    /// Cleared the first time the kernel says it has no `epoll_pwait2`.
    pwait2: AtomicBool,
}

impl Selector {
    pub(crate) fn new() -> io::Result<Selector> {
        Ok(Selector {
            ep: Arc::new(sys::epoll_create()?),
            events: sys::EpollEvents::with_capacity(EVENTS_CAPACITY),
            pwait2: AtomicBool::new(true),
        })
    }

    /// The epoll descriptor, for the I/O registry's `epoll_ctl`s.
    pub(crate) fn shared_fd(&self) -> Arc<OwnedFd> {
        self.ep.clone()
    }

    /// Registers `fd` with `token`.
    pub(crate) fn add(&self, fd: BorrowedFd<'_>, events: u32, token: u64) -> io::Result<()> {
        sys::epoll_add(&*self.ep, fd, events, token)
    }

    /// Waits up to `timeout` (`None`: forever); `EINTR` counts as no events.
    pub(crate) fn select(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        sys::epoll_wait(self.ep.as_fd(), &mut self.events, timeout, &self.pwait2)?;
        Ok(())
    }

    /// [`select`](Self::select) on another epoll instance, `ep`, with this
    /// selector's buffer.
    pub(crate) fn select_on(
        &mut self,
        ep: BorrowedFd<'_>,
        timeout: Option<Duration>,
    ) -> io::Result<()> {
        sys::epoll_wait(ep, &mut self.events, timeout, &self.pwait2)?;
        Ok(())
    }

    /// The `(token, events)` pairs of the last `select`.
    pub(crate) fn events(&self) -> impl Iterator<Item = (u64, u32)> + '_ {
        self.events.iter()
    }
}

impl std::fmt::Debug for Selector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Selector").field("ep", &self.ep).finish()
    }
}
