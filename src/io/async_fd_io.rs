//! [`AsyncFd`]'s I/O loops: a system call of the caller's own, run when
//! the descriptor is ready and retried while it fails with `WouldBlock`
//! (`read_with`, `write_with`, `async_io`, `async_io_mut`), or tried once
//! (`try_io`, `try_io_mut`).

use std::io;
use std::os::fd::AsFd;

use super::{AsyncFd, Interest};
use crate::runtime::driver::scheduled_io::Direction;

impl<T: AsFd> AsyncFd<T> {
    /// Waits for read readiness and runs `f` until it stops failing with
    /// `WouldBlock`: the loop of the type-level example in one call. `f`
    /// gets `&T`; for a `T` that reads through `&mut self` (such as
    /// `std::process::ChildStdout`) use [`async_io_mut`](AsyncFd::async_io_mut).
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
        self.check(Interest::READABLE)?;
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
        self.check(Interest::WRITABLE)?;
        self.inner.async_io(Direction::Write, f).await
    }

    /// Waits for `interest` and runs `f` until it stops failing with
    /// `WouldBlock` (clearing the readiness each time it does): tokio's
    /// name for [`read_with`](AsyncFd::read_with) and
    /// [`write_with`](AsyncFd::write_with), for any interest. Give it one
    /// interest, the one `f`'s operation needs.
    ///
    /// # Errors
    /// `f`'s error, or those of [`ready`](AsyncFd::ready).
    ///
    /// ```
    /// use guillotine::io::{AsyncFd, Interest};
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    /// socket.connect(socket.local_addr().unwrap()).unwrap();
    /// socket.set_nonblocking(true).unwrap();
    /// let fd = AsyncFd::new(socket).unwrap();
    /// let sent = fd.async_io(Interest::WRITABLE, |s| s.send(b"to me")).await.unwrap();
    /// let mut buf = [0; 8];
    /// let got = fd.async_io(Interest::READABLE, |s| s.recv(&mut buf)).await.unwrap();
    /// assert_eq!((sent, &buf[..got]), (5, &b"to me"[..]));
    /// # });
    /// ```
    pub async fn async_io<R>(
        &self,
        interest: Interest,
        f: impl FnMut(&T) -> io::Result<R>,
    ) -> io::Result<R> {
        self.check(interest)?;
        self.inner.async_io_for(interest, f).await
    }

    /// [`async_io`](AsyncFd::async_io) with `&mut T`: for types whose
    /// `Read` or `Write` needs `&mut self`, such as
    /// `std::process::ChildStdout` or a serial port's handle, where
    /// [`read_with`](AsyncFd::read_with) does not compile (E0277).
    ///
    /// # Errors
    /// `f`'s error, or those of [`ready`](AsyncFd::ready).
    ///
    /// ```
    /// use std::io::Read;
    /// use std::process::{Command, Stdio};
    /// use guillotine::io::{AsyncFd, Interest};
    ///
    /// let rt = guillotine::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let mut child = Command::new("echo").arg("hi").stdout(Stdio::piped()).spawn()?;
    ///     let stdout = child.stdout.take().unwrap();
    ///     // O_NONBLOCK; socket2's `set_nonblocking` is a plain fcntl.
    ///     socket2::SockRef::from(&stdout).set_nonblocking(true)?;
    ///     let mut stdout = AsyncFd::with_interest(stdout, Interest::READABLE)?;
    ///     let mut out = Vec::new();
    ///     let mut buf = [0; 64];
    ///     loop {
    ///         let n = stdout.async_io_mut(Interest::READABLE, |s| s.read(&mut buf)).await?;
    ///         if n == 0 {
    ///             break;
    ///         }
    ///         out.extend_from_slice(&buf[..n]);
    ///     }
    ///     assert_eq!(out, b"hi\n");
    ///     child.wait()?;
    ///     Ok::<_, std::io::Error>(())
    /// }).unwrap();
    /// ```
    pub async fn async_io_mut<R>(
        &mut self,
        interest: Interest,
        f: impl FnMut(&mut T) -> io::Result<R>,
    ) -> io::Result<R> {
        self.check(interest)?;
        self.inner.async_io_mut(interest, f).await
    }

    /// Runs `f` once if `interest` is ready now, without waiting: a
    /// `WouldBlock` error from `f` clears that readiness; if it is not
    /// ready, `f` is not called and the result is `WouldBlock`.
    ///
    /// # Errors
    /// `WouldBlock`, `f`'s error, or that of a runtime that has shut down.
    ///
    /// ```
    /// use guillotine::io::{AsyncFd, Interest};
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    /// socket.set_nonblocking(true).unwrap();
    /// let fd = AsyncFd::new(socket).unwrap();
    /// // Nothing arrived: `f` is not even called.
    /// let err = fd.try_io(Interest::READABLE, |s| s.recv(&mut [0; 8])).unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::WouldBlock);
    /// # });
    /// ```
    pub fn try_io<R>(
        &self,
        interest: Interest,
        f: impl FnOnce(&T) -> io::Result<R>,
    ) -> io::Result<R> {
        self.inner.try_io_for(interest, f)
    }

    /// [`try_io`](AsyncFd::try_io) with `&mut T`.
    ///
    /// # Errors
    /// Those of [`try_io`](AsyncFd::try_io).
    ///
    /// ```
    /// use std::io::Write;
    /// use guillotine::io::{AsyncFd, Interest};
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
    /// a.set_nonblocking(true).unwrap();
    /// let mut fd = AsyncFd::new(a).unwrap();
    /// fd.writable().await.unwrap().retain_ready();
    /// assert_eq!(fd.try_io_mut(Interest::WRITABLE, |s| s.write(b"x")).unwrap(), 1);
    /// # });
    /// ```
    pub fn try_io_mut<R>(
        &mut self,
        interest: Interest,
        f: impl FnOnce(&mut T) -> io::Result<R>,
    ) -> io::Result<R> {
        self.inner.try_io_mut(interest, f)
    }
}
