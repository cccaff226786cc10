//! [`AsyncFd`]: any non-blocking descriptor — a pipe, a serial port, an
//! inotify or timerfd instance — driven by the runtime's reactor.

use std::fmt;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::task::{Context, Poll, ready};

use super::ready_guard::{AsyncFdReadyGuard, AsyncFdReadyMutGuard};
use super::registration::Registered;
use super::{AsyncFdTryNewError, Interest, Ready};
use crate::runtime::driver::scheduled_io::{Direction, ReadyEvent};

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
    /// The registration (`async_fd_io.rs` runs its I/O loops).
    pub(super) inner: Registered<T>,
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
        AsyncFd::try_with_interest(inner, interest).map_err(io::Error::from)
    }

    /// Like [`new`](AsyncFd::new), but a failed registration hands `inner`
    /// back, still open, in the [`AsyncFdTryNewError`].
    ///
    /// # Errors
    /// Those of [`new`](AsyncFd::new), with `inner`.
    ///
    /// # Panics
    /// Outside a runtime.
    ///
    /// ```
    /// use guillotine::io::AsyncFd;
    ///
    /// let rt = guillotine::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let file = std::fs::File::open(std::env::current_exe()?)?;
    ///     // A regular file cannot be watched: fall back to blocking reads.
    ///     let file = match AsyncFd::try_new(file) {
    ///         Ok(fd) => fd.into_inner(),
    ///         Err(e) => e.into_parts().0,
    ///     };
    ///     assert!(file.metadata()?.len() > 0);
    ///     Ok::<_, std::io::Error>(())
    /// }).unwrap();
    /// ```
    #[track_caller]
    pub fn try_new(inner: T) -> Result<AsyncFd<T>, AsyncFdTryNewError<T>> {
        AsyncFd::try_with_interest(inner, Interest::BOTH)
    }

    /// Like [`with_interest`](AsyncFd::with_interest), but a failed
    /// registration hands `inner` back, still open.
    ///
    /// # Errors
    /// Those of [`new`](AsyncFd::new), with `inner`.
    ///
    /// # Panics
    /// Outside a runtime.
    ///
    /// ```
    /// use guillotine::io::{AsyncFd, Interest};
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
    /// a.set_nonblocking(true).unwrap();
    /// let fd = AsyncFd::try_with_interest(a, Interest::READABLE).unwrap();
    /// // The same descriptor twice: EEXIST, and the second value comes back.
    /// let err = AsyncFd::try_with_interest(fd.get_ref(), Interest::READABLE).unwrap_err();
    /// let (same, cause) = err.into_parts();
    /// assert_eq!(cause.raw_os_error(), Some(libc::EEXIST));
    /// assert!(std::ptr::eq(same, fd.get_ref()));
    /// # });
    /// ```
    #[track_caller]
    pub fn try_with_interest(
        inner: T,
        interest: Interest,
    ) -> Result<AsyncFd<T>, AsyncFdTryNewError<T>> {
        // Nothing is assumed: the registration itself reports what is ready.
        match Registered::try_with_interest(inner, interest, Ready::EMPTY) {
            Ok(inner) => Ok(AsyncFd { inner, interest }),
            Err((inner, cause)) => Err(AsyncFdTryNewError::new(inner, cause)),
        }
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
        Poll::Ready(Ok(self.guard(event, Direction::Read)))
    }

    /// [`poll_read_ready`](AsyncFd::poll_read_ready) with a guard that
    /// gives `&mut T`.
    ///
    /// ```
    /// use std::future::poll_fn;
    /// use std::io::Read;
    /// use std::os::unix::net::UnixStream;
    /// use std::task::{Context, Poll, ready};
    /// use guillotine::io::AsyncFd;
    ///
    /// // The read of a hand-written `poll_read`.
    /// fn poll_read(fd: &mut AsyncFd<UnixStream>, cx: &mut Context<'_>, buf: &mut [u8])
    ///     -> Poll<std::io::Result<usize>>
    /// {
    ///     loop {
    ///         let mut guard = ready!(fd.poll_read_ready_mut(cx))?;
    ///         if let Ok(result) = guard.try_io(|fd| fd.get_mut().read(buf)) {
    ///             return Poll::Ready(result);
    ///         }
    ///     }
    /// }
    ///
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let (a, mut b) = UnixStream::pair().unwrap();
    /// a.set_nonblocking(true).unwrap();
    /// let mut fd = AsyncFd::new(a).unwrap();
    /// std::io::Write::write_all(&mut b, b"x").unwrap();
    /// let mut buf = [0; 4];
    /// let n = poll_fn(|cx| poll_read(&mut fd, cx, &mut buf)).await.unwrap();
    /// assert_eq!(n, 1);
    /// # });
    /// ```
    pub fn poll_read_ready_mut<'a>(
        &'a mut self,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<AsyncFdReadyMutGuard<'a, T>>> {
        let event = ready!(self.poll_event(cx, Direction::Read))?;
        Poll::Ready(Ok(AsyncFdReadyMutGuard::new(
            self,
            event,
            Interest::READABLE,
        )))
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
        Poll::Ready(Ok(self.guard(event, Direction::Write)))
    }

    /// [`poll_write_ready`](AsyncFd::poll_write_ready) with a guard that
    /// gives `&mut T`.
    ///
    /// ```
    /// use std::future::poll_fn;
    /// use std::io::Write;
    /// use std::os::unix::net::UnixStream;
    /// use std::task::{Context, Poll, ready};
    /// use guillotine::io::AsyncFd;
    ///
    /// // The write of a hand-written `poll_write`.
    /// fn poll_write(fd: &mut AsyncFd<UnixStream>, cx: &mut Context<'_>, buf: &[u8])
    ///     -> Poll<std::io::Result<usize>>
    /// {
    ///     loop {
    ///         let mut guard = ready!(fd.poll_write_ready_mut(cx))?;
    ///         if let Ok(result) = guard.try_io(|fd| fd.get_mut().write(buf)) {
    ///             return Poll::Ready(result);
    ///         }
    ///     }
    /// }
    ///
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let (a, _b) = UnixStream::pair().unwrap();
    /// a.set_nonblocking(true).unwrap();
    /// let mut fd = AsyncFd::new(a).unwrap();
    /// let n = poll_fn(|cx| poll_write(&mut fd, cx, b"x")).await.unwrap();
    /// assert_eq!(n, 1);
    /// # });
    /// ```
    pub fn poll_write_ready_mut<'a>(
        &'a mut self,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<AsyncFdReadyMutGuard<'a, T>>> {
        let event = ready!(self.poll_event(cx, Direction::Write))?;
        Poll::Ready(Ok(AsyncFdReadyMutGuard::new(
            self,
            event,
            Interest::WRITABLE,
        )))
    }

    /// Waits for any readiness of `interest` (a combination of interests
    /// waits for the first of them). The guard's
    /// [`ready`](AsyncFdReadyGuard::ready) tells which; clear what an
    /// operation found used up with
    /// [`clear_ready_matching`](AsyncFdReadyGuard::clear_ready_matching).
    /// Any number of tasks may wait at once.
    ///
    /// [`ERROR`](Interest::ERROR) may always be waited for (epoll always
    /// reports errors); a pending error shows as readable and writable to a
    /// wait without it.
    ///
    /// # Errors
    /// If the runtime has shut down; `InvalidInput` at once if `interest`
    /// has a readiness outside this descriptor's
    /// [`interest`](AsyncFd::interest) (other than `ERROR`).
    ///
    /// ```
    /// use std::io::{Read, Write};
    /// use guillotine::io::{AsyncFd, Interest};
    ///
    /// let rt = guillotine::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let (a, mut b) = std::os::unix::net::UnixStream::pair()?;
    ///     a.set_nonblocking(true)?;
    ///     let fd = AsyncFd::new(a)?;
    ///     b.write_all(b"ping")?;
    ///     let mut guard = fd.ready(Interest::READABLE | Interest::WRITABLE).await?;
    ///     if guard.ready().is_readable() {
    ///         let mut buf = [0; 4];
    ///         match fd.get_ref().read(&mut buf) {
    ///             Ok(n) => assert_eq!(&buf[..n], b"ping"),
    ///             Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
    ///                 guard.clear_ready_matching(guillotine::io::Ready::READABLE);
    ///             }
    ///             Err(e) => return Err(e),
    ///         }
    ///     }
    ///     Ok::<_, std::io::Error>(())
    /// }).unwrap();
    /// ```
    pub async fn ready(&self, interest: Interest) -> io::Result<AsyncFdReadyGuard<'_, T>> {
        self.check(interest)?;
        let event = self.inner.readiness_for(interest).await?;
        Ok(AsyncFdReadyGuard::new(self, event, interest))
    }

    /// Like [`ready`](AsyncFd::ready), with a guard that gives `&mut T`.
    ///
    /// # Errors
    /// Those of [`ready`](AsyncFd::ready).
    ///
    /// ```
    /// use std::io::Write;
    /// use guillotine::io::{AsyncFd, Interest};
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
    /// a.set_nonblocking(true).unwrap();
    /// let mut fd = AsyncFd::new(a).unwrap();
    /// let mut guard = fd.ready_mut(Interest::WRITABLE).await.unwrap();
    /// assert!(guard.ready().is_writable());
    /// let n = guard.try_io(|fd| fd.get_mut().write(b"x")).unwrap().unwrap();
    /// assert_eq!(n, 1);
    /// # });
    /// ```
    pub async fn ready_mut(
        &mut self,
        interest: Interest,
    ) -> io::Result<AsyncFdReadyMutGuard<'_, T>> {
        self.check(interest)?;
        let event = self.inner.readiness_for(interest).await?;
        Ok(AsyncFdReadyMutGuard::new(self, event, interest))
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
        Ok(self.guard(event, Direction::Read))
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
        Ok(self.guard(event, Direction::Write))
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
        Ok(AsyncFdReadyMutGuard::new(self, event, Interest::READABLE))
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
        Ok(AsyncFdReadyMutGuard::new(self, event, Interest::WRITABLE))
    }

    /// Fails a wait for a readiness outside the interest: epoll was not
    /// asked to report it, so the wait could last forever. Errors are
    /// always reported.
    pub(super) fn check(&self, interest: Interest) -> io::Result<()> {
        let missing = interest
            .remove(Interest::ERROR)
            .and_then(|asked| asked.remove(self.interest));
        let Some(missing) = missing else {
            return Ok(());
        };
        Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "cannot wait for {missing:?}: this AsyncFd was registered with interest {:?}, \
                 without it (see AsyncFd::with_interest)",
                self.interest
            ),
        ))
    }

    async fn event(&self, direction: Direction) -> io::Result<ReadyEvent> {
        self.check(direction.interest())?;
        self.inner.readiness(direction).await
    }

    fn poll_event(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
    ) -> Poll<io::Result<ReadyEvent>> {
        self.check(direction.interest())?;
        self.inner.poll_ready(cx, direction)
    }

    fn guard(&self, event: ReadyEvent, direction: Direction) -> AsyncFdReadyGuard<'_, T> {
        AsyncFdReadyGuard::new(self, event, direction.interest())
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
