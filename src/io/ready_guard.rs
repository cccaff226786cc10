//! The guards [`AsyncFd`]'s readiness waits return, and [`TryIoError`].

use std::fmt;
use std::io;
use std::os::fd::AsFd;

use super::{AsyncFd, Interest, Ready};
use crate::runtime::driver::scheduled_io::ReadyEvent;

/// Proof that an [`AsyncFd`] was ready. Dropping it keeps the readiness;
/// [`clear_ready`](Self::clear_ready) (or a `WouldBlock` inside
/// [`try_io`](Self::try_io)) forgets it, so the next wait waits for a new
/// event.
///
/// ```
/// # let rt = guillotine::runtime::Runtime::new().unwrap();
/// # rt.block_on(async {
/// let (a, mut b) = std::os::unix::net::UnixStream::pair().unwrap();
/// a.set_nonblocking(true).unwrap();
/// let fd = guillotine::io::AsyncFd::new(a).unwrap();
/// std::io::Write::write_all(&mut b, b"x").unwrap();
/// let mut buf = [0; 8];
/// let n = loop {
///     let mut guard = fd.readable().await.unwrap();
///     match guard.try_io(|fd| std::io::Read::read(&mut fd.get_ref(), &mut buf)) {
///         Ok(n) => break n.unwrap(),
///         Err(_would_block) => continue,
///     }
/// };
/// assert_eq!(n, 1);
/// # });
/// ```
pub struct AsyncFdReadyGuard<'a, T: AsFd> {
    async_fd: &'a AsyncFd<T>,
    /// The raw bits seen; `None` once cleared or retained.
    event: Option<ReadyEvent>,
    /// What the wait was for: how [`ready`](Self::ready) shows `event`.
    interest: Interest,
}

/// An [`AsyncFdReadyGuard`] with `&mut` access, from
/// [`readable_mut`](AsyncFd::readable_mut) / [`writable_mut`](AsyncFd::writable_mut).
///
/// ```
/// # let rt = guillotine::runtime::Runtime::new().unwrap();
/// # rt.block_on(async {
/// let (a, mut b) = std::os::unix::net::UnixStream::pair().unwrap();
/// a.set_nonblocking(true).unwrap();
/// let mut fd = guillotine::io::AsyncFd::new(a).unwrap();
/// std::io::Write::write_all(&mut b, b"x").unwrap();
/// let mut guard = fd.readable_mut().await.unwrap();
/// let n = guard.try_io(|fd| std::io::Read::read(fd.get_mut(), &mut [0; 8])).unwrap().unwrap();
/// assert_eq!(n, 1);
/// # });
/// ```
pub struct AsyncFdReadyMutGuard<'a, T: AsFd> {
    async_fd: &'a mut AsyncFd<T>,
    event: Option<ReadyEvent>,
    interest: Interest,
}

/// The operation in [`AsyncFdReadyGuard::try_io`] would have blocked; the
/// readiness was cleared, so wait again.
///
/// ```
/// # let rt = guillotine::runtime::Runtime::new().unwrap();
/// # rt.block_on(async {
/// let (a, mut b) = std::os::unix::net::UnixStream::pair().unwrap();
/// a.set_nonblocking(true).unwrap();
/// let fd = guillotine::io::AsyncFd::new(a).unwrap();
/// std::io::Write::write_all(&mut b, b"x").unwrap();
/// let mut guard = fd.readable().await.unwrap();
/// guard.try_io(|fd| std::io::Read::read(&mut fd.get_ref(), &mut [0; 8])).unwrap().unwrap();
/// // Drained: the next read would block.
/// let err = guard.try_io(|fd| std::io::Read::read(&mut fd.get_ref(), &mut [0; 8])).unwrap_err();
/// assert!(err.to_string().contains("would block"));
/// # });
/// ```
#[derive(Debug)]
pub struct TryIoError(());

impl fmt::Display for TryIoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the I/O operation would block; wait for readiness again")
    }
}

impl std::error::Error for TryIoError {}

/// The methods both guards share.
macro_rules! guard_methods {
    () => {
        /// Forgets the readiness this guard saw (unless a newer event has
        /// arrived), so the next wait waits for a new edge. Call it after
        /// an operation failed with `WouldBlock`.
        ///
        /// ```
        /// # let rt = guillotine::runtime::Runtime::new().unwrap();
        /// # rt.block_on(async {
        /// let (a, mut b) = std::os::unix::net::UnixStream::pair().unwrap();
        /// a.set_nonblocking(true).unwrap();
        /// let fd = guillotine::io::AsyncFd::new(a).unwrap();
        /// std::io::Write::write_all(&mut b, b"x").unwrap();
        /// let mut guard = fd.readable().await.unwrap();
        /// // Seen, not read: forget it; only new data makes it ready again.
        /// guard.clear_ready();
        /// # });
        /// ```
        pub fn clear_ready(&mut self) {
            if let Some(event) = self.event.take() {
                self.async_fd.clear_readiness(event);
            }
        }

        /// Forgets only the readiness in `ready` (unless a newer event has
        /// arrived): for a guard of a wait on several interests, after one
        /// of its operations failed with `WouldBlock`. The closed states
        /// stay set in the descriptor's readiness (no new event would
        /// come), but leave this guard's [`ready`](Self::ready). A pending
        /// error that showed as readable or writable goes with them.
        ///
        /// ```
        /// use guillotine::io::{AsyncFd, Interest, Ready};
        /// # let rt = guillotine::runtime::Runtime::new().unwrap();
        /// # rt.block_on(async {
        /// let (a, mut b) = std::os::unix::net::UnixStream::pair().unwrap();
        /// a.set_nonblocking(true).unwrap();
        /// let fd = AsyncFd::new(a).unwrap();
        /// std::io::Write::write_all(&mut b, b"x").unwrap();
        /// let mut guard = fd.ready(Interest::READABLE | Interest::WRITABLE).await.unwrap();
        /// assert_eq!(guard.ready(), Ready::READABLE | Ready::WRITABLE);
        /// guard.clear_ready_matching(Ready::READABLE);
        /// assert_eq!(guard.ready(), Ready::WRITABLE);
        /// # });
        /// ```
        pub fn clear_ready_matching(&mut self, ready: Ready) {
            if let Some(mut event) = self.event.take() {
                let forget = Ready::behind(ready, self.interest);
                self.async_fd.clear_readiness(ReadyEvent {
                    tick: event.tick,
                    ready: event.ready & forget,
                });
                event.ready = event.ready - forget;
                if !event.ready.seen_by(self.interest).is_empty() {
                    self.event = Some(event);
                }
            }
        }

        /// The readiness this guard saw, for the interest its wait was for:
        /// [`EMPTY`](Ready::EMPTY) once cleared or retained.
        ///
        /// ```
        /// use guillotine::io::{AsyncFd, Interest};
        /// # let rt = guillotine::runtime::Runtime::new().unwrap();
        /// # rt.block_on(async {
        /// let (a, b) = std::os::unix::net::UnixStream::pair().unwrap();
        /// a.set_nonblocking(true).unwrap();
        /// let fd = AsyncFd::new(a).unwrap();
        /// drop(b);
        /// let guard = fd.ready(Interest::READABLE).await.unwrap();
        /// assert!(guard.ready().is_read_closed());
        /// assert!(!guard.ready().is_writable(), "not asked for");
        /// # });
        /// ```
        pub fn ready(&self) -> Ready {
            self.event
                .map_or(Ready::EMPTY, |e| e.ready.seen_by(self.interest))
        }

        /// Keeps the readiness: the next wait returns at once.
        ///
        /// ```
        /// # let rt = guillotine::runtime::Runtime::new().unwrap();
        /// # rt.block_on(async {
        /// let (a, mut b) = std::os::unix::net::UnixStream::pair().unwrap();
        /// a.set_nonblocking(true).unwrap();
        /// let fd = guillotine::io::AsyncFd::new(a).unwrap();
        /// std::io::Write::write_all(&mut b, b"x").unwrap();
        /// fd.readable().await.unwrap().retain_ready();
        /// // Still ready: this returns at once.
        /// let _guard = fd.readable().await.unwrap();
        /// # });
        /// ```
        pub fn retain_ready(&mut self) {
            self.event = None;
        }

        /// Whether the peer hung up or shut down its side (`EPOLLRDHUP`,
        /// `EPOLLHUP`): reads will return 0 or an error.
        ///
        /// ```
        /// # let rt = guillotine::runtime::Runtime::new().unwrap();
        /// # rt.block_on(async {
        /// let (a, b) = std::os::unix::net::UnixStream::pair().unwrap();
        /// a.set_nonblocking(true).unwrap();
        /// let fd = guillotine::io::AsyncFd::new(a).unwrap();
        /// drop(b);
        /// assert!(fd.readable().await.unwrap().is_read_closed());
        /// # });
        /// ```
        pub fn is_read_closed(&self) -> bool {
            self.event
                .is_some_and(|e| e.ready.intersects(Ready::READ_CLOSED))
        }

        /// Whether the descriptor hung up (`EPOLLHUP`): writes will fail.
        ///
        /// ```
        /// # let rt = guillotine::runtime::Runtime::new().unwrap();
        /// # rt.block_on(async {
        /// let (a, b) = std::os::unix::net::UnixStream::pair().unwrap();
        /// a.set_nonblocking(true).unwrap();
        /// let fd = guillotine::io::AsyncFd::new(a).unwrap();
        /// let mut guard = fd.writable().await.unwrap();
        /// assert!(!guard.is_write_closed());
        /// // Forget what was seen, so the next wait sees the hang-up's event.
        /// guard.clear_ready();
        /// drop(b);
        /// assert!(fd.writable().await.unwrap().is_write_closed());
        /// # });
        /// ```
        pub fn is_write_closed(&self) -> bool {
            self.event
                .is_some_and(|e| e.ready.intersects(Ready::WRITE_CLOSED))
        }

        /// The wrapped descriptor.
        ///
        /// ```
        /// # let rt = guillotine::runtime::Runtime::new().unwrap();
        /// # rt.block_on(async {
        /// let (a, mut b) = std::os::unix::net::UnixStream::pair().unwrap();
        /// a.set_nonblocking(true).unwrap();
        /// let fd = guillotine::io::AsyncFd::new(a).unwrap();
        /// std::io::Write::write_all(&mut b, b"x").unwrap();
        /// let guard = fd.readable().await.unwrap();
        /// assert!(guard.get_inner().peer_addr().is_ok());
        /// # });
        /// ```
        pub fn get_inner(&self) -> &T {
            self.async_fd.get_ref()
        }
    };
}

impl<'a, T: AsFd> AsyncFdReadyGuard<'a, T> {
    pub(super) fn new(async_fd: &'a AsyncFd<T>, event: ReadyEvent, interest: Interest) -> Self {
        AsyncFdReadyGuard {
            async_fd,
            event: Some(event),
            interest,
        }
    }

    guard_methods!();

    /// The `AsyncFd` this guard belongs to.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let (a, mut b) = std::os::unix::net::UnixStream::pair().unwrap();
    /// a.set_nonblocking(true).unwrap();
    /// let fd = guillotine::io::AsyncFd::new(a).unwrap();
    /// std::io::Write::write_all(&mut b, b"x").unwrap();
    /// let guard = fd.readable().await.unwrap();
    /// assert!(std::ptr::eq(guard.get_ref(), &fd));
    /// # });
    /// ```
    pub fn get_ref(&self) -> &'a AsyncFd<T> {
        self.async_fd
    }

    /// Runs `f`; if it fails with `WouldBlock`, clears the readiness and
    /// returns `Err(TryIoError)`, otherwise its result.
    ///
    /// # Errors
    /// [`TryIoError`] when `f` would have blocked.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let (a, mut b) = std::os::unix::net::UnixStream::pair().unwrap();
    /// a.set_nonblocking(true).unwrap();
    /// let fd = guillotine::io::AsyncFd::new(a).unwrap();
    /// std::io::Write::write_all(&mut b, b"x").unwrap();
    /// let mut guard = fd.readable().await.unwrap();
    /// let result = guard.try_io(|fd| std::io::Read::read(&mut fd.get_ref(), &mut [0; 8]));
    /// assert_eq!(result.unwrap().unwrap(), 1);
    /// # });
    /// ```
    pub fn try_io<R>(
        &mut self,
        f: impl FnOnce(&'a AsyncFd<T>) -> io::Result<R>,
    ) -> Result<io::Result<R>, TryIoError> {
        match f(self.async_fd) {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                self.clear_ready();
                Err(TryIoError(()))
            }
            result => Ok(result),
        }
    }
}

impl<'a, T: AsFd> AsyncFdReadyMutGuard<'a, T> {
    pub(super) fn new(async_fd: &'a mut AsyncFd<T>, event: ReadyEvent, interest: Interest) -> Self {
        AsyncFdReadyMutGuard {
            async_fd,
            event: Some(event),
            interest,
        }
    }

    guard_methods!();

    /// The `AsyncFd` this guard belongs to.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let (a, mut b) = std::os::unix::net::UnixStream::pair().unwrap();
    /// a.set_nonblocking(true).unwrap();
    /// let mut fd = guillotine::io::AsyncFd::new(a).unwrap();
    /// std::io::Write::write_all(&mut b, b"x").unwrap();
    /// let guard = fd.readable_mut().await.unwrap();
    /// assert!(guard.get_ref().get_ref().peer_addr().is_ok());
    /// # });
    /// ```
    pub fn get_ref(&self) -> &AsyncFd<T> {
        self.async_fd
    }

    /// The `AsyncFd` this guard belongs to, mutably.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let (a, mut b) = std::os::unix::net::UnixStream::pair().unwrap();
    /// a.set_nonblocking(true).unwrap();
    /// let mut fd = guillotine::io::AsyncFd::new(a).unwrap();
    /// std::io::Write::write_all(&mut b, b"x").unwrap();
    /// let mut guard = fd.readable_mut().await.unwrap();
    /// let _fd: &mut guillotine::io::AsyncFd<_> = guard.get_mut();
    /// # });
    /// ```
    pub fn get_mut(&mut self) -> &mut AsyncFd<T> {
        self.async_fd
    }

    /// The wrapped descriptor, mutably.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let (a, mut b) = std::os::unix::net::UnixStream::pair().unwrap();
    /// a.set_nonblocking(true).unwrap();
    /// let mut fd = guillotine::io::AsyncFd::new(a).unwrap();
    /// std::io::Write::write_all(&mut b, b"x").unwrap();
    /// let mut guard = fd.readable_mut().await.unwrap();
    /// let n = std::io::Read::read(guard.get_inner_mut(), &mut [0; 8]).unwrap();
    /// assert_eq!(n, 1);
    /// # });
    /// ```
    pub fn get_inner_mut(&mut self) -> &mut T {
        self.async_fd.get_mut()
    }

    /// Runs `f`; if it fails with `WouldBlock`, clears the readiness and
    /// returns `Err(TryIoError)`, otherwise its result.
    ///
    /// # Errors
    /// [`TryIoError`] when `f` would have blocked.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let (a, mut b) = std::os::unix::net::UnixStream::pair().unwrap();
    /// a.set_nonblocking(true).unwrap();
    /// let mut fd = guillotine::io::AsyncFd::new(a).unwrap();
    /// std::io::Write::write_all(&mut b, b"x").unwrap();
    /// let mut guard = fd.readable_mut().await.unwrap();
    /// let result = guard.try_io(|fd| std::io::Read::read(fd.get_mut(), &mut [0; 8]));
    /// assert_eq!(result.unwrap().unwrap(), 1);
    /// # });
    /// ```
    pub fn try_io<R>(
        &mut self,
        f: impl FnOnce(&mut AsyncFd<T>) -> io::Result<R>,
    ) -> Result<io::Result<R>, TryIoError> {
        match f(self.async_fd) {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                self.clear_ready();
                Err(TryIoError(()))
            }
            result => Ok(result),
        }
    }
}

impl<T: AsFd + fmt::Debug> fmt::Debug for AsyncFdReadyGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncFdReadyGuard")
            .field("async_fd", self.async_fd)
            .field("ready", &self.ready())
            .finish()
    }
}

impl<T: AsFd + fmt::Debug> fmt::Debug for AsyncFdReadyMutGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncFdReadyMutGuard")
            .field("async_fd", self.async_fd)
            .field("ready", &self.ready())
            .finish()
    }
}
