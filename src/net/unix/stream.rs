//! [`UnixStream`].

use std::fmt;
use std::io;
use std::net::Shutdown;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::path::Path;
use std::task::{Context, Poll};

use socket2::{Domain, SockAddr, SockRef, Type};

use super::{SocketAddr, to_sock_addr};

use super::split::{self, OwnedReadHalf, OwnedWriteHalf, ReadHalf, WriteHalf};
use crate::io::Interest;
use crate::io::registration::Registered;
use crate::net::{connect, impl_async_read, impl_async_write, new_pair, new_socket, stream_ops};
use crate::runtime::driver::scheduled_io::{Direction, Ready};

/// A Unix-domain stream: [`AsyncRead`](crate::io::AsyncRead) +
/// [`AsyncWrite`](crate::io::AsyncWrite), also through `&UnixStream`, so one
/// task can read while another writes (or use
/// [`into_split`](UnixStream::into_split)).
///
/// It implements the `futures-io` traits. For APIs written against tokio's
/// `AsyncRead`/`AsyncWrite` (tokio-util's codecs, hyper-util's adapters),
/// enable guillotine's **`tokio-io`** feature, which implements those too:
/// without it such a call fails with E0277 ("the trait bound
/// `UnixStream: tokio::io::AsyncRead` is not satisfied").
///
/// ```
/// use guillotine::io::{AsyncReadExt, AsyncWriteExt};
///
/// let rt = guillotine::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     let (mut a, mut b) = guillotine::net::UnixStream::pair()?;
///     a.write_all(b"hi").await?;
///     drop(a);
///     let mut got = Vec::new();
///     b.read_to_end(&mut got).await?;
///     assert_eq!(got, b"hi");
///     Ok::<_, std::io::Error>(())
/// }).unwrap();
/// ```
pub struct UnixStream {
    io: Registered<std::os::unix::net::UnixStream>,
}

impl UnixStream {
    /// Connects to the socket at `path`. The kernel queues the connection at
    /// once; like tokio, this then waits for the reactor to report the
    /// socket writable and checks `SO_ERROR`.
    ///
    /// # Errors
    /// `NotFound` if nothing is there, `ConnectionRefused` if nothing
    /// listens, `WouldBlock` if the listener's backlog is full (a Unix
    /// connect does not wait for room), `ConnectionReset` if the listener
    /// is closed before accepting, `InvalidInput` for a path too long for
    /// `sun_path` or with a NUL byte past the first, ...
    ///
    /// ```
    /// use guillotine::io::{AsyncReadExt, AsyncWriteExt};
    /// # let dir = std::env::temp_dir().join(format!("guillotine-doc-{}-{}", line!(), std::process::id()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let listener = guillotine::net::UnixListener::bind(dir.join("s.sock")).unwrap();
    /// let mut client = guillotine::net::UnixStream::connect(dir.join("s.sock")).await.unwrap();
    /// let (mut server, _) = listener.accept().await.unwrap();
    /// client.write_all(b"hi").await.unwrap();
    /// let mut buf = [0; 2];
    /// server.read_exact(&mut buf).await.unwrap();
    /// assert_eq!(&buf, b"hi");
    /// # });
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// ```
    pub async fn connect(path: impl AsRef<Path>) -> io::Result<UnixStream> {
        UnixStream::connect_sock_addr(&super::path_addr(path.as_ref())?).await
    }

    /// Connects to the socket at `addr`: a path, or on Linux an abstract
    /// name (made with [`SocketAddrExt::from_abstract_name`](std::os::linux::net::SocketAddrExt::from_abstract_name)).
    /// Waits as [`connect`](UnixStream::connect) does.
    ///
    /// # Errors
    /// `ConnectionRefused` if nothing listens on the name (or the path),
    /// `NotFound` for a path that does not exist, `InvalidInput` for an
    /// unnamed address, and those of [`connect`](UnixStream::connect).
    ///
    /// ```
    /// use std::os::linux::net::SocketAddrExt;
    /// use guillotine::net::unix::SocketAddr;
    /// use guillotine::net::{UnixListener, UnixStream};
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let addr = SocketAddr::from_abstract_name(format!("guillotine-doc-c-{}", std::process::id())).unwrap();
    /// let err = UnixStream::connect_addr(&addr).await.unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::ConnectionRefused);
    /// let listener = UnixListener::bind_addr(&addr).unwrap();
    /// let client = UnixStream::connect_addr(&addr).await.unwrap();
    /// assert_eq!(client.peer_addr().unwrap().as_abstract_name(), addr.as_abstract_name());
    /// # drop(listener);
    /// # });
    /// ```
    pub async fn connect_addr(addr: &SocketAddr) -> io::Result<UnixStream> {
        UnixStream::connect_sock_addr(&to_sock_addr(addr)?).await
    }

    async fn connect_sock_addr(addr: &SockAddr) -> io::Result<UnixStream> {
        let socket = new_socket(Domain::UNIX, Type::STREAM)?;
        let io = connect(socket, addr).await?;
        Ok(UnixStream { io })
    }

    /// A connected pair (`socketpair(2)`).
    ///
    /// # Errors
    /// That of `socketpair`, e.g. `EMFILE`.
    ///
    /// # Panics
    /// Outside a runtime.
    ///
    /// ```
    /// use guillotine::io::{AsyncReadExt, AsyncWriteExt};
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let (mut a, mut b) = guillotine::net::UnixStream::pair().unwrap();
    /// b.write_all(b"pong").await.unwrap();
    /// let mut buf = [0; 4];
    /// a.read_exact(&mut buf).await.unwrap();
    /// assert_eq!(&buf, b"pong");
    /// # });
    /// ```
    #[track_caller]
    pub fn pair() -> io::Result<(UnixStream, UnixStream)> {
        let (a, b) = new_pair(Type::STREAM)?;
        let a = UnixStream::register(a.into(), Ready::WRITABLE)?;
        let b = UnixStream::register(b.into(), Ready::WRITABLE)?;
        Ok((a, b))
    }

    #[track_caller]
    pub(crate) fn register(
        stream: std::os::unix::net::UnixStream,
        initial: Ready,
    ) -> io::Result<UnixStream> {
        Ok(UnixStream {
            io: Registered::new(stream, initial)?,
        })
    }

    /// Wraps a connected `std` stream: switched to non-blocking mode and
    /// registered with the current runtime.
    ///
    /// The descriptor keeps its other flags: `FD_CLOEXEC` stays as it was
    /// (set on every socket `std` makes). tokio instead expects the stream
    /// to be non-blocking already, and its debug builds panic otherwise.
    ///
    /// # Errors
    /// Those of `fcntl` and `epoll_ctl`.
    ///
    /// # Panics
    /// Outside a runtime.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
    /// let a = guillotine::net::UnixStream::from_std(a).unwrap();
    /// let _a: std::os::unix::net::UnixStream = a.into_std().unwrap();
    /// # });
    /// ```
    #[track_caller]
    pub fn from_std(stream: std::os::unix::net::UnixStream) -> io::Result<UnixStream> {
        stream.set_nonblocking(true)?;
        UnixStream::register(stream, Ready::WRITABLE)
    }

    /// Deregisters the stream and returns it as a `std` one, with its
    /// descriptor's flags as they were: still non-blocking, as in tokio
    /// (call `set_nonblocking(false)` for blocking I/O), and close-on-exec
    /// unchanged. [`from_std`](UnixStream::from_std) takes it back.
    ///
    /// # Errors
    /// None today; the `Result` leaves room for one.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let (a, _b) = guillotine::net::UnixStream::pair().unwrap();
    /// let a: std::os::unix::net::UnixStream = a.into_std().unwrap();
    /// a.set_nonblocking(false).unwrap();
    /// # });
    /// ```
    pub fn into_std(self) -> io::Result<std::os::unix::net::UnixStream> {
        Ok(self.io.into_inner())
    }

    /// The local address (usually unnamed for a client).
    ///
    /// # Errors
    /// That of `getsockname`.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let (a, b) = guillotine::net::UnixStream::pair().unwrap();
    /// assert!(a.local_addr().unwrap().is_unnamed());
    /// assert!(b.peer_addr().unwrap().is_unnamed());
    /// # });
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// The peer's address.
    ///
    /// # Errors
    /// That of `getpeername`.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let (a, _b) = guillotine::net::UnixStream::pair().unwrap();
    /// assert!(a.peer_addr().unwrap().is_unnamed());
    /// # });
    /// ```
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().peer_addr()
    }

    /// Shuts down the read side, the write side (the peer reads EOF) or both.
    ///
    /// Closing through [`AsyncWrite`](crate::io::AsyncWrite) (`close`, or
    /// tokio's `shutdown`) shuts down the write side too, but, like tokio,
    /// takes `NotConnected` for success (Linux does not report it for a
    /// Unix stream, even after the peer is gone).
    ///
    /// # Errors
    /// That of `shutdown(2)`.
    ///
    /// ```
    /// use guillotine::io::AsyncReadExt;
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let (a, mut b) = guillotine::net::UnixStream::pair().unwrap();
    /// a.shutdown(std::net::Shutdown::Write).unwrap();
    /// assert_eq!(b.read(&mut [0; 4]).await.unwrap(), 0);
    /// # });
    /// ```
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.io.get_ref().shutdown(how)
    }

    /// Reads what is there now, without waiting: `WouldBlock` if nothing.
    ///
    /// # Errors
    /// `WouldBlock`, or that of `recv`.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let (a, b) = guillotine::net::UnixStream::pair().unwrap();
    /// assert_eq!(a.try_write(b"x").unwrap(), 1);
    /// b.readable().await.unwrap();
    /// assert_eq!(b.try_read(&mut [0; 4]).unwrap(), 1);
    /// # });
    /// ```
    pub fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io
            .try_io(Direction::Read, |s| io::Read::read(&mut &*s, buf))
    }

    /// Writes what fits now, without waiting: `WouldBlock` if nothing does.
    ///
    /// # Errors
    /// `WouldBlock`, or that of `send`.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let (a, _b) = guillotine::net::UnixStream::pair().unwrap();
    /// assert_eq!(a.try_write(b"now").unwrap(), 3);
    /// # });
    /// ```
    pub fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        self.io
            .try_io(Direction::Write, |s| crate::net::send(s, buf))
    }

    /// Waits until the stream may be readable (data, EOF or an error).
    ///
    /// # Errors
    /// If the runtime has shut down.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let (a, b) = guillotine::net::UnixStream::pair().unwrap();
    /// drop(b);
    /// // EOF counts as readable.
    /// a.readable().await.unwrap();
    /// assert_eq!(a.try_read(&mut [0; 4]).unwrap(), 0);
    /// # });
    /// ```
    pub async fn readable(&self) -> io::Result<()> {
        self.io.readiness(Direction::Read).await.map(drop)
    }

    /// Waits until the stream may be writable.
    ///
    /// # Errors
    /// If the runtime has shut down.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let (a, _b) = guillotine::net::UnixStream::pair().unwrap();
    /// a.writable().await.unwrap();
    /// # });
    /// ```
    pub async fn writable(&self) -> io::Result<()> {
        self.io.readiness(Direction::Write).await.map(drop)
    }

    /// Waits for any readiness of `interest` and returns it, clearing
    /// nothing: pair it with `try_read`/`try_write` (or
    /// [`try_io`](UnixStream::try_io)), whose `WouldBlock` clears it.
    ///
    /// A pending error shows as readable and writable, or as
    /// [`Ready::ERROR`] to a wait that includes [`Interest::ERROR`].
    ///
    /// # Errors
    /// If the runtime has shut down.
    ///
    /// ```
    /// use guillotine::io::Interest;
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let (a, b) = guillotine::net::UnixStream::pair().unwrap();
    /// b.shutdown(std::net::Shutdown::Write).unwrap();
    /// let ready = a.ready(Interest::READABLE).await.unwrap();
    /// assert!(ready.is_read_closed());
    /// assert_eq!(a.try_read(&mut [0; 4]).unwrap(), 0);
    /// # });
    /// ```
    pub async fn ready(&self, interest: Interest) -> io::Result<Ready> {
        self.io.ready(interest).await
    }

    /// Polls for read readiness. It shares its waker slot with
    /// `poll_read` (`AsyncRead`): only the last task to call either is
    /// woken.
    ///
    /// # Errors
    /// If the runtime has shut down.
    ///
    /// ```
    /// use std::future::poll_fn;
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let (a, b) = guillotine::net::UnixStream::pair().unwrap();
    /// b.try_write(b"x").unwrap();
    /// poll_fn(|cx| a.poll_read_ready(cx)).await.unwrap();
    /// assert_eq!(a.try_read(&mut [0; 4]).unwrap(), 1);
    /// # });
    /// ```
    pub fn poll_read_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.io.poll_ready_unit(cx, Direction::Read)
    }

    /// Polls for write readiness; shares its waker slot with `poll_write`.
    ///
    /// # Errors
    /// If the runtime has shut down.
    ///
    /// ```
    /// use std::future::poll_fn;
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let (a, _b) = guillotine::net::UnixStream::pair().unwrap();
    /// poll_fn(|cx| a.poll_write_ready(cx)).await.unwrap();
    /// assert_eq!(a.try_write(b"x").unwrap(), 1);
    /// # });
    /// ```
    pub fn poll_write_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.io.poll_ready_unit(cx, Direction::Write)
    }

    /// Runs `f`, a system call of your own on this socket, if `interest`
    /// is ready now; `f` failing with `WouldBlock` clears that readiness.
    /// If it is not ready, `f` is not called and the result is
    /// `WouldBlock`.
    ///
    /// # Errors
    /// `WouldBlock`, `f`'s error, or that of a runtime that has shut down.
    ///
    /// ```
    /// use guillotine::io::Interest;
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let (a, _b) = guillotine::net::UnixStream::pair().unwrap();
    /// let mut buf = [std::mem::MaybeUninit::new(0); 8];
    /// // Nothing arrived: the closure is not even called.
    /// let peeked = a.try_io(Interest::READABLE, || socket2::SockRef::from(&a).peek(&mut buf));
    /// assert_eq!(peeked.unwrap_err().kind(), std::io::ErrorKind::WouldBlock);
    /// # });
    /// ```
    pub fn try_io<R>(
        &self,
        interest: Interest,
        f: impl FnOnce() -> io::Result<R>,
    ) -> io::Result<R> {
        self.io.try_io_for(interest, |_| f())
    }

    /// Waits for `interest` and runs `f`, a system call of your own on this
    /// socket, until it stops failing with `WouldBlock` (which clears the
    /// readiness each time).
    ///
    /// # Errors
    /// `f`'s error, or that of a runtime that has shut down.
    ///
    /// ```
    /// use guillotine::io::Interest;
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let (a, b) = guillotine::net::UnixStream::pair().unwrap();
    /// b.try_write(b"peek").unwrap();
    /// let mut buf = [std::mem::MaybeUninit::new(0); 8];
    /// let n = a
    ///     .async_io(Interest::READABLE, || socket2::SockRef::from(&a).peek(&mut buf))
    ///     .await
    ///     .unwrap();
    /// assert_eq!(n, 4);
    /// # });
    /// ```
    pub async fn async_io<R>(
        &self,
        interest: Interest,
        mut f: impl FnMut() -> io::Result<R>,
    ) -> io::Result<R> {
        self.io.async_io_for(interest, |_| f()).await
    }

    /// `SO_ERROR`, taken.
    ///
    /// # Errors
    /// That of `getsockopt`.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let (a, _b) = guillotine::net::UnixStream::pair().unwrap();
    /// assert!(a.take_error().unwrap().is_none());
    /// # });
    /// ```
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        SockRef::from(self.io.get_ref()).take_error()
    }

    /// Borrowed read and write halves, usable at the same time (e.g. in
    /// `futures::join!`).
    ///
    /// ```
    /// use guillotine::io::{AsyncReadExt, AsyncWriteExt};
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let (mut a, mut b) = guillotine::net::UnixStream::pair().unwrap();
    /// let (mut rd, mut wr) = b.split();
    /// a.write_all(b"echo").await.unwrap();
    /// futures_lite::io::copy(&mut (&mut rd).take(4), &mut wr).await.unwrap();
    /// let mut buf = [0; 4];
    /// a.read_exact(&mut buf).await.unwrap();
    /// assert_eq!(&buf, b"echo");
    /// # });
    /// ```
    pub fn split(&mut self) -> (ReadHalf<'_>, WriteHalf<'_>) {
        (ReadHalf(self), WriteHalf(self))
    }

    /// Owned read and write halves that can move into different tasks;
    /// [`reunite`](OwnedReadHalf::reunite) puts them back together.
    /// Dropping the write half shuts down the write side.
    ///
    /// ```
    /// use guillotine::io::{AsyncReadExt, AsyncWriteExt};
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let (a, mut b) = guillotine::net::UnixStream::pair().unwrap();
    /// let (mut rd, mut wr) = a.into_split();
    /// let writer = guillotine::spawn(async move { wr.write_all(b"ping").await });
    /// let mut buf = [0; 4];
    /// b.read_exact(&mut buf).await.unwrap();
    /// b.write_all(b"pong").await.unwrap();
    /// rd.read_exact(&mut buf).await.unwrap();
    /// writer.await.unwrap().unwrap();
    /// assert_eq!(&buf, b"pong");
    /// # });
    /// ```
    pub fn into_split(self) -> (OwnedReadHalf, OwnedWriteHalf) {
        split::into_split(self)
    }

    /// Reads what is there now into several buffers, in order, with one
    /// `readv(2)`, without waiting: `WouldBlock` if nothing.
    ///
    /// # Errors
    /// `WouldBlock`, or that of `readv`.
    ///
    /// ```
    /// use std::io::IoSliceMut;
    /// use guillotine::io::AsyncWriteExt;
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let (mut a, b) = guillotine::net::UnixStream::pair().unwrap();
    /// a.write_all(b"headbody").await.unwrap();
    /// b.readable().await.unwrap();
    /// let (mut head, mut body) = ([0; 4], [0; 4]);
    /// let n = b
    ///     .try_read_vectored(&mut [IoSliceMut::new(&mut head), IoSliceMut::new(&mut body)])
    ///     .unwrap();
    /// assert_eq!((n, &head, &body), (8, b"head", b"body"));
    /// # });
    /// ```
    pub fn try_read_vectored(&self, bufs: &mut [io::IoSliceMut<'_>]) -> io::Result<usize> {
        self.io
            .try_io(Direction::Read, |s| io::Read::read_vectored(&mut &*s, bufs))
    }

    /// Reads what is there now into `buf`'s spare capacity (nothing is
    /// zeroed first), advancing it, without waiting: `WouldBlock` if
    /// nothing. `Ok(0)` is EOF, or a `buf` with no room left. Needs the
    /// **`bytes`** feature.
    ///
    /// # Errors
    /// `WouldBlock`, or that of `recv`.
    ///
    /// ```
    /// use guillotine::io::AsyncWriteExt;
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let (mut a, b) = guillotine::net::UnixStream::pair().unwrap();
    /// a.write_all(b"hello").await.unwrap();
    /// b.readable().await.unwrap();
    /// let mut buf = Vec::with_capacity(64);
    /// assert_eq!(b.try_read_buf(&mut buf).unwrap(), 5);
    /// assert_eq!(buf, b"hello");
    /// # });
    /// ```
    #[cfg(feature = "bytes")]
    pub fn try_read_buf<B: bytes::BufMut>(&self, buf: &mut B) -> io::Result<usize> {
        self.try_read_buf_priv(buf)
    }

    /// Writes what fits now from several buffers, in order, with one
    /// system call (`send(2)` of one buffer or of the slices gathered when
    /// they are small, otherwise `sendmsg(2)`), without waiting: `WouldBlock`
    /// if nothing fits.
    ///
    /// # Errors
    /// `WouldBlock`, or that of the system call.
    ///
    /// ```
    /// use std::io::IoSlice;
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let (a, _b) = guillotine::net::UnixStream::pair().unwrap();
    /// let n = a.try_write_vectored(&[IoSlice::new(b"head"), IoSlice::new(b"body")]).unwrap();
    /// assert_eq!(n, 8);
    /// # });
    /// ```
    pub fn try_write_vectored(&self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        self.io
            .try_io(Direction::Write, |s| crate::net::send_vectored(s, bufs))
    }

    stream_ops!();
}

impl_async_read!(impl for UnixStream, this => this);
impl_async_read!(impl<'a> for &'a UnixStream, this => this);
impl_async_write!(impl for UnixStream, this => this);
impl_async_write!(impl<'a> for &'a UnixStream, this => this);

impl AsFd for UnixStream {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.io.get_ref().as_fd()
    }
}

impl AsRawFd for UnixStream {
    fn as_raw_fd(&self) -> RawFd {
        self.io.as_raw_fd()
    }
}

impl fmt::Debug for UnixStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnixStream")
            .field("local", &self.local_addr().ok())
            .field("peer", &self.peer_addr().ok())
            .field("fd", &self.as_raw_fd())
            .finish()
    }
}
