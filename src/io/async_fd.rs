//! [`AsyncFd`]: any non-blocking descriptor — a pipe, a serial port, an
//! inotify or timerfd instance — driven by the runtime's reactor.

use std::fmt;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::task::{Context, Poll, ready};

use super::registration::Registered;
use crate::runtime::driver::scheduled_io::{Direction, Ready, ReadyEvent};

/// A non-blocking descriptor on the reactor: `readable().await` and
/// `writable().await` wait for readiness, and the returned guard's
/// [`try_io`](AsyncFdReadyGuard::try_io) runs the actual system call,
/// clearing the readiness when it fails with `WouldBlock`.
///
/// The descriptor must already be non-blocking (`O_NONBLOCK`), and it must
/// support `epoll` (regular files do not: [`new`](AsyncFd::new) fails with
/// `EPERM`). It is registered once, edge-triggered, for both directions;
/// dropping the `AsyncFd` deregisters it and then drops `T`, which closes it.
///
/// Readiness can be spurious: always be ready for `WouldBlock`.
///
/// ```
/// use std::io::{Read, Write};
/// use std::os::unix::net::UnixStream;
/// use guillotine::io::AsyncFd;
///
/// let rt = guillotine::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     let (a, mut b) = UnixStream::pair()?;
///     a.set_nonblocking(true)?;
///     let a = AsyncFd::new(a)?;
///     b.write_all(b"hi")?;
///     let mut buf = [0; 2];
///     loop {
///         let mut guard = a.readable().await?;
///         match guard.try_io(|fd| fd.get_ref().read(&mut buf)) {
///             Ok(n) => break assert_eq!(n?, 2),
///             Err(_would_block) => continue,
///         }
///     }
///     Ok::<_, std::io::Error>(())
/// }).unwrap();
/// ```
pub struct AsyncFd<T: AsFd> {
    inner: Registered<T>,
}

impl<T: AsFd> AsyncFd<T> {
    /// Registers `inner` (non-blocking) with the current runtime's reactor.
    ///
    /// # Errors
    /// The `epoll_ctl` error: `EPERM` for a descriptor epoll cannot watch,
    /// `EEXIST` if it is already registered (the same descriptor twice).
    ///
    /// # Panics
    /// Outside a runtime.
    ///
    /// ```
    /// let rt = guillotine::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
    ///     a.set_nonblocking(true).unwrap();
    ///     let fd = guillotine::io::AsyncFd::new(a).unwrap();
    ///     let _ = fd.writable().await.unwrap();
    /// });
    /// ```
    #[track_caller]
    pub fn new(inner: T) -> io::Result<AsyncFd<T>> {
        // Nothing is assumed: the registration itself reports what is ready.
        Ok(AsyncFd {
            inner: Registered::new(inner, Ready::EMPTY)?,
        })
    }

    /// The wrapped descriptor.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
    /// a.set_nonblocking(true).unwrap();
    /// let fd = guillotine::io::AsyncFd::new(a).unwrap();
    /// assert!(fd.get_ref().peer_addr().is_ok());
    /// # });
    /// ```
    pub fn get_ref(&self) -> &T {
        self.inner.get_ref()
    }

    /// The wrapped descriptor, mutably.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
    /// a.set_nonblocking(true).unwrap();
    /// let mut fd = guillotine::io::AsyncFd::new(a).unwrap();
    /// let _stream: &mut std::os::unix::net::UnixStream = fd.get_mut();
    /// # });
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        self.inner.get_mut()
    }

    /// Deregisters the descriptor and gives it back, still open.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
    /// a.set_nonblocking(true).unwrap();
    /// let fd = guillotine::io::AsyncFd::new(a).unwrap();
    /// let a = fd.into_inner();
    /// // It can be registered again.
    /// let _fd = guillotine::io::AsyncFd::new(a).unwrap();
    /// # });
    /// ```
    pub fn into_inner(self) -> T {
        self.inner.into_inner()
    }

    /// Polls for read readiness. Only the last task to poll is woken (use
    /// [`readable`](AsyncFd::readable) to wait from several).
    ///
    /// ```
    /// use std::future::poll_fn;
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let (a, mut b) = std::os::unix::net::UnixStream::pair().unwrap();
    /// a.set_nonblocking(true).unwrap();
    /// let fd = guillotine::io::AsyncFd::new(a).unwrap();
    /// std::io::Write::write_all(&mut b, b"x").unwrap();
    /// let guard = poll_fn(|cx| fd.poll_read_ready(cx)).await.unwrap();
    /// drop(guard);
    /// # });
    /// ```
    pub fn poll_read_ready<'a>(
        &'a self,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<AsyncFdReadyGuard<'a, T>>> {
        let event = ready!(self.inner.poll_ready(cx, Direction::Read))?;
        Poll::Ready(Ok(self.guard(event)))
    }

    /// Polls for write readiness; see [`poll_read_ready`](AsyncFd::poll_read_ready).
    ///
    /// ```
    /// use std::future::poll_fn;
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
    /// a.set_nonblocking(true).unwrap();
    /// let fd = guillotine::io::AsyncFd::new(a).unwrap();
    /// let _guard = poll_fn(|cx| fd.poll_write_ready(cx)).await.unwrap();
    /// # });
    /// ```
    pub fn poll_write_ready<'a>(
        &'a self,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<AsyncFdReadyGuard<'a, T>>> {
        let event = ready!(self.inner.poll_ready(cx, Direction::Write))?;
        Poll::Ready(Ok(self.guard(event)))
    }

    /// Waits until the descriptor may be readable (or has hung up, or has an
    /// error). Any number of tasks may wait at once.
    ///
    /// # Errors
    /// If the runtime has shut down.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let (a, mut b) = std::os::unix::net::UnixStream::pair().unwrap();
    /// a.set_nonblocking(true).unwrap();
    /// let fd = guillotine::io::AsyncFd::new(a).unwrap();
    /// std::io::Write::write_all(&mut b, b"x").unwrap();
    /// let guard = fd.readable().await.unwrap();
    /// assert!(!guard.is_read_closed());
    /// # });
    /// ```
    pub async fn readable(&self) -> io::Result<AsyncFdReadyGuard<'_, T>> {
        let event = self.inner.readiness(Direction::Read).await?;
        Ok(self.guard(event))
    }

    /// Waits until the descriptor may be writable.
    ///
    /// # Errors
    /// If the runtime has shut down.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
    /// a.set_nonblocking(true).unwrap();
    /// let fd = guillotine::io::AsyncFd::new(a).unwrap();
    /// let mut guard = fd.writable().await.unwrap();
    /// let n = guard.try_io(|fd| std::io::Write::write(&mut fd.get_ref(), b"x")).unwrap().unwrap();
    /// assert_eq!(n, 1);
    /// # });
    /// ```
    pub async fn writable(&self) -> io::Result<AsyncFdReadyGuard<'_, T>> {
        let event = self.inner.readiness(Direction::Write).await?;
        Ok(self.guard(event))
    }

    /// Like [`readable`](AsyncFd::readable), with a guard that gives `&mut T`.
    ///
    /// # Errors
    /// If the runtime has shut down.
    ///
    /// ```
    /// use std::io::{Read, Write};
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let (a, mut b) = std::os::unix::net::UnixStream::pair().unwrap();
    /// a.set_nonblocking(true).unwrap();
    /// let mut fd = guillotine::io::AsyncFd::new(a).unwrap();
    /// b.write_all(b"x").unwrap();
    /// let mut buf = [0; 1];
    /// let n = loop {
    ///     let mut guard = fd.readable_mut().await.unwrap();
    ///     if let Ok(n) = guard.try_io(|fd| fd.get_mut().read(&mut buf)) {
    ///         break n.unwrap();
    ///     }
    /// };
    /// assert_eq!(n, 1);
    /// # });
    /// ```
    pub async fn readable_mut(&mut self) -> io::Result<AsyncFdReadyMutGuard<'_, T>> {
        let event = self.inner.readiness(Direction::Read).await?;
        Ok(AsyncFdReadyMutGuard {
            async_fd: self,
            event: Some(event),
        })
    }

    /// Like [`writable`](AsyncFd::writable), with a guard that gives `&mut T`.
    ///
    /// # Errors
    /// If the runtime has shut down.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
    /// a.set_nonblocking(true).unwrap();
    /// let mut fd = guillotine::io::AsyncFd::new(a).unwrap();
    /// let mut guard = fd.writable_mut().await.unwrap();
    /// let n = guard.try_io(|fd| std::io::Write::write(fd.get_mut(), b"x")).unwrap().unwrap();
    /// assert_eq!(n, 1);
    /// # });
    /// ```
    pub async fn writable_mut(&mut self) -> io::Result<AsyncFdReadyMutGuard<'_, T>> {
        let event = self.inner.readiness(Direction::Write).await?;
        Ok(AsyncFdReadyMutGuard {
            async_fd: self,
            event: Some(event),
        })
    }

    /// Waits for read readiness and runs `f` until it stops failing with
    /// `WouldBlock`: the loop of the type-level example in one call.
    ///
    /// # Errors
    /// `f`'s error, or the runtime's shutdown.
    ///
    /// ```
    /// use std::io::{Read, Write};
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let (a, mut b) = std::os::unix::net::UnixStream::pair().unwrap();
    /// a.set_nonblocking(true).unwrap();
    /// let fd = guillotine::io::AsyncFd::new(a).unwrap();
    /// b.write_all(b"abc").unwrap();
    /// let mut buf = [0; 8];
    /// let n = fd.read_with(|s| (&*s).read(&mut buf)).await.unwrap();
    /// assert_eq!(&buf[..n], b"abc");
    /// # });
    /// ```
    pub async fn read_with<R>(&self, f: impl FnMut(&T) -> io::Result<R>) -> io::Result<R> {
        self.inner.async_io(Direction::Read, f).await
    }

    /// Waits for write readiness and runs `f` until it stops failing with
    /// `WouldBlock`.
    ///
    /// # Errors
    /// `f`'s error, or the runtime's shutdown.
    ///
    /// ```
    /// use std::io::Write;
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
    /// a.set_nonblocking(true).unwrap();
    /// let fd = guillotine::io::AsyncFd::new(a).unwrap();
    /// assert_eq!(fd.write_with(|s| (&*s).write(b"abc")).await.unwrap(), 3);
    /// # });
    /// ```
    pub async fn write_with<R>(&self, f: impl FnMut(&T) -> io::Result<R>) -> io::Result<R> {
        self.inner.async_io(Direction::Write, f).await
    }

    fn guard(&self, event: ReadyEvent) -> AsyncFdReadyGuard<'_, T> {
        AsyncFdReadyGuard {
            async_fd: self,
            event: Some(event),
        }
    }
}

impl<T: AsFd> AsFd for AsyncFd<T> {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.get_ref().as_fd()
    }
}

impl<T: AsFd> AsRawFd for AsyncFd<T> {
    fn as_raw_fd(&self) -> RawFd {
        self.inner.as_raw_fd()
    }
}

impl<T: AsFd + fmt::Debug> fmt::Debug for AsyncFd<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncFd")
            .field("inner", self.get_ref())
            .finish()
    }
}

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
    /// `None` once cleared or retained.
    event: Option<ReadyEvent>,
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
                self.async_fd.inner.clear_readiness(event);
            }
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

impl<T: AsFd> AsyncFdReadyMutGuard<'_, T> {
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
            .field("ready", &self.event)
            .finish()
    }
}

impl<T: AsFd + fmt::Debug> fmt::Debug for AsyncFdReadyMutGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncFdReadyMutGuard")
            .field("async_fd", self.async_fd)
            .field("ready", &self.event)
            .finish()
    }
}
