//! The `Selector`: one epoll instance and the buffer its events land in.

use std::io;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use crate::sys;

/// How many events one `epoll_wait` can return.
const EVENTS_CAPACITY: usize = 1024;

/// An epoll instance (close-on-exec) and its event buffer.
pub(crate) struct Selector {
    /// The epoll descriptor; closed when the selector drops.
    ep: OwnedFd,
    /// Where `epoll_wait` writes; `len` is the count of the last wait.
    events: Vec<libc::epoll_event>,
    len: usize,
    /// Cleared the first time the kernel says it has no `epoll_pwait2`.
    pwait2: AtomicBool,
}

impl Selector {
    pub(crate) fn new() -> io::Result<Selector> {
        Ok(Selector {
            ep: sys::epoll_create()?,
            events: vec![libc::epoll_event { events: 0, u64: 0 }; EVENTS_CAPACITY],
            len: 0,
            pwait2: AtomicBool::new(true),
        })
    }

    /// The epoll descriptor, for the I/O registry's `epoll_ctl`s.
    pub(crate) fn raw_fd(&self) -> RawFd {
        self.ep.as_raw_fd()
    }

    /// Registers `fd` with `token`.
    pub(crate) fn add(&self, fd: RawFd, events: u32, token: u64) -> io::Result<()> {
        sys::epoll_ctl(self.ep.as_raw_fd(), libc::EPOLL_CTL_ADD, fd, events, token)
    }

    /// Waits up to `timeout` (`None`: forever); `EINTR` counts as no events.
    pub(crate) fn select(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        self.len = 0;
        self.len = sys::epoll_wait(self.ep.as_raw_fd(), &mut self.events, timeout, &self.pwait2)?;
        Ok(())
    }

    /// The `(token, events)` pairs of the last `select`.
    pub(crate) fn events(&self) -> impl Iterator<Item = (u64, u32)> + '_ {
        self.events[..self.len].iter().map(|e| {
            let ev = *e;
            (ev.u64, ev.events)
        })
    }
}

impl std::fmt::Debug for Selector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Selector").field("ep", &self.ep).finish()
    }
}
