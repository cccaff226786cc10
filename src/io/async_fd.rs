//! [`AsyncFd`]: any non-blocking descriptor — a pipe, a serial port, an
//! inotify or timerfd instance — driven by the runtime's reactor.

use std::fmt;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::task::{Context, Poll, ready};

use super::Interest;
use super::ready_guard::{AsyncFdReadyGuard, AsyncFdReadyMutGuard};
use super::registration::Registered;
use crate::runtime::driver::scheduled_io::{Direction, Ready, ReadyEvent};

/// A non-blocking descriptor on the reactor: `readable().await` and
/// `writable().await` wait for readiness, and the returned guard's
/// [`try_io`](AsyncFdReadyGuard::try_io) runs the actual system call,
/// clearing the readiness when it fails with `WouldBlock`.
///
/// The descriptor must already be non-blocking (`O_NONBLOCK`), and it must
/// support `epoll` (regular files do not: [`new`](AsyncFd::new) fails with
/// `EPERM`). It is registered once, edge-triggered, for both directions
/// (or for the one [`with_interest`](AsyncFd::with_interest) names);
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
    /// The directions epoll reports; waiting for another one is an error.
    interest: Interest,
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
        AsyncFd::with_interest(inner, Interest::BOTH)
    }

    /// Registers `inner` for `interest` only: e.g. a descriptor that is
    /// never written, or one whose `EPOLLOUT` is meaningless or costly.
    ///
    /// Waiting for a direction outside `interest` (`writable()`,
    /// `poll_write_ready`, `write_with`, ... on a `READABLE` one, and the
    /// reading ones on a `WRITABLE` one) fails at once with an
    /// [`InvalidInput`](io::ErrorKind::InvalidInput) error instead of
    /// waiting for an event epoll was never asked to report. (tokio waits,
    /// possibly forever.) The guards' `try_io` is unaffected.
    ///
    /// # Errors
    /// Those of [`new`](AsyncFd::new).
    ///
    /// # Panics
    /// Outside a runtime.
    ///
    /// ```
    /// use std::io::{ErrorKind, Read, Write};
    /// use guillotine::io::{AsyncFd, Interest};
    ///
    /// let rt = guillotine::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let (a, mut b) = std::os::unix::net::UnixStream::pair()?;
    ///     a.set_nonblocking(true)?;
    ///     let a = AsyncFd::with_interest(a, Interest::READABLE)?;
    ///     assert_eq!(a.interest(), Interest::READABLE);
    ///     b.write_all(b"hi")?;
    ///     let mut buf = [0; 2];
    ///     let n = a.read_with(|s| (&*s).read(&mut buf)).await?;
    ///     assert_eq!(&buf[..n], b"hi");
    ///     let err = a.writable().await.unwrap_err();
    ///     assert_eq!(err.kind(), ErrorKind::InvalidInput);
    ///     Ok::<_, std::io::Error>(())
    /// }).unwrap();
    /// ```
    #[track_caller]
    pub fn with_interest(inner: T, interest: Interest) -> io::Result<AsyncFd<T>> {
        // Nothing is assumed: the registration itself reports what is ready.
        Ok(AsyncFd {
            inner: Registered::with_interest(inner, interest, Ready::EMPTY)?,
            interest,
        })
    }

    /// The directions this descriptor is registered for.
    ///
    /// ```
    /// use guillotine::io::{AsyncFd, Interest};
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
    /// a.set_nonblocking(true).unwrap();
    /// let fd = AsyncFd::new(a).unwrap();
    /// assert_eq!(fd.interest(), Interest::READABLE | Interest::WRITABLE);
    /// # });
    /// ```
    pub fn interest(&self) -> Interest {
        self.interest
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
    /// [`readable`](AsyncFd::readable) to wait from several). Fails as
    /// `readable` does.
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
        let event = ready!(self.poll_event(cx, Direction::Read))?;
        Poll::Ready(Ok(self.guard(event)))
    }

    /// Polls for write readiness; see [`poll_read_ready`](AsyncFd::poll_read_ready).
    /// Fails as [`writable`](AsyncFd::writable) does.
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
        let event = ready!(self.poll_event(cx, Direction::Write))?;
        Poll::Ready(Ok(self.guard(event)))
    }

    /// Waits until the descriptor may be readable (or has hung up, or has an
    /// error). Any number of tasks may wait at once.
    ///
    /// # Errors
    /// If the runtime has shut down; `InvalidInput` at once if the interest
    /// lacks [`READABLE`](Interest::READABLE).
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
        let event = self.event(Direction::Read).await?;
        Ok(self.guard(event))
    }

    /// Waits until the descriptor may be writable.
    ///
    /// # Errors
    /// If the runtime has shut down; `InvalidInput` at once if the interest
    /// lacks [`WRITABLE`](Interest::WRITABLE).
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
        let event = self.event(Direction::Write).await?;
        Ok(self.guard(event))
    }

    /// Like [`readable`](AsyncFd::readable), with a guard that gives `&mut T`.
    ///
    /// # Errors
    /// Those of [`readable`](AsyncFd::readable).
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
        let event = self.event(Direction::Read).await?;
        Ok(AsyncFdReadyMutGuard::new(self, event))
    }

    /// Like [`writable`](AsyncFd::writable), with a guard that gives `&mut T`.
    ///
    /// # Errors
    /// Those of [`writable`](AsyncFd::writable).
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
        let event = self.event(Direction::Write).await?;
        Ok(AsyncFdReadyMutGuard::new(self, event))
    }

    /// Waits for read readiness and runs `f` until it stops failing with
    /// `WouldBlock`: the loop of the type-level example in one call.
    ///
    /// # Errors
    /// `f`'s error, the runtime's shutdown, or `InvalidInput` for a
    /// direction outside the interest.
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
        self.check(Direction::Read)?;
        self.inner.async_io(Direction::Read, f).await
    }

    /// Waits for write readiness and runs `f` until it stops failing with
    /// `WouldBlock`.
    ///
    /// # Errors
    /// `f`'s error, the runtime's shutdown, or `InvalidInput` for a
    /// direction outside the interest.
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
        self.check(Direction::Write)?;
        self.inner.async_io(Direction::Write, f).await
    }

    /// Fails a wait for a direction outside the interest: epoll was not
    /// asked to report it, so the wait could last forever.
    fn check(&self, direction: Direction) -> io::Result<()> {
        let (registered, name, what) = match direction {
            Direction::Read => (self.interest.is_readable(), "READABLE", "readability"),
            Direction::Write => (self.interest.is_writable(), "WRITABLE", "writability"),
        };
        if registered {
            return Ok(());
        }
        Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "cannot wait for {what}: this AsyncFd was registered with interest {:?}, \
                 without Interest::{name} (see AsyncFd::with_interest)",
                self.interest
            ),
        ))
    }

    async fn event(&self, direction: Direction) -> io::Result<ReadyEvent> {
        self.check(direction)?;
        self.inner.readiness(direction).await
    }

    fn poll_event(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
    ) -> Poll<io::Result<ReadyEvent>> {
        self.check(direction)?;
        self.inner.poll_ready(cx, direction)
    }

    fn guard(&self, event: ReadyEvent) -> AsyncFdReadyGuard<'_, T> {
        AsyncFdReadyGuard::new(self, event)
    }

    /// Forgets `event`'s readiness unless a newer event arrived (for the guards).
    pub(super) fn clear_readiness(&self, event: ReadyEvent) {
        self.inner.clear_readiness(event);
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
            .field("interest", &self.interest)
            .finish()
    }
}
