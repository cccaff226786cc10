//! [`TcpStream`].

use std::fmt;
use std::io;
use std::net::{Shutdown, SocketAddr};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::task::{Context, Poll};
use std::time::Duration;

use socket2::{Domain, SockRef, Socket, Type};

use super::split::{self, OwnedReadHalf, OwnedWriteHalf, ReadHalf, WriteHalf};
use crate::io::Interest;
use crate::io::registration::Registered;
use crate::net::addr::{ToSocketAddrs, each_addr};
use crate::net::{connect, impl_async_read, impl_async_write, new_socket, stream_ops};
use crate::runtime::driver::scheduled_io::{Direction, Ready};

/// A TCP connection: [`AsyncRead`](crate::io::AsyncRead) +
/// [`AsyncWrite`](crate::io::AsyncWrite), also through `&TcpStream`, so one
/// task can read while another writes (or use
/// [`into_split`](TcpStream::into_split)).
///
/// It implements the `futures-io` traits. For APIs written against tokio's
/// `AsyncRead`/`AsyncWrite` (tokio-util's codecs, hyper-util's adapters),
/// enable guillotine's **`tokio-io`** feature, which implements those too:
/// without it such a call fails with E0277 ("the trait bound
/// `TcpStream: tokio::io::AsyncRead` is not satisfied").
///
/// ```
/// use guillotine::io::{AsyncReadExt, AsyncWriteExt};
/// use guillotine::net::{TcpListener, TcpStream};
///
/// let rt = guillotine::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     let listener = TcpListener::bind("127.0.0.1:0").await?;
///     let mut client = TcpStream::connect(listener.local_addr()?).await?;
///     let (mut server, _) = listener.accept().await?;
///     client.write_all(b"ping").await?;
///     let mut buf = [0; 4];
///     server.read_exact(&mut buf).await?;
///     assert_eq!(&buf, b"ping");
///     Ok::<_, std::io::Error>(())
/// }).unwrap();
/// ```
pub struct TcpStream {
    io: Registered<std::net::TcpStream>,
}

impl TcpStream {
    /// Connects to `addr`: a non-blocking `connect`, completed when the
    /// socket turns writable and `SO_ERROR` is clear. A host name is
    /// resolved off the runtime thread; each address is tried in turn.
    ///
    /// # Errors
    /// `ConnectionRefused` when nothing listens, `InvalidInput` for an
    /// address that does not parse, or the OS error of the last address.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// let stream = guillotine::net::TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    /// assert_eq!(stream.peer_addr().unwrap(), listener.local_addr().unwrap());
    /// # });
    /// ```
    pub async fn connect<A: ToSocketAddrs>(addr: A) -> io::Result<TcpStream> {
        each_addr(&addr, TcpStream::connect_addr).await
    }

    async fn connect_addr(addr: SocketAddr) -> io::Result<TcpStream> {
        let socket = new_socket(Domain::for_address(addr), Type::STREAM)?;
        TcpStream::connect_socket(socket, addr).await
    }

    /// Connects the non-blocking `socket` (for `TcpSocket::connect` too).
    pub(super) async fn connect_socket(socket: Socket, addr: SocketAddr) -> io::Result<TcpStream> {
        let io = connect(socket, &addr.into()).await?;
        Ok(TcpStream { io })
    }

    #[track_caller]
    pub(crate) fn register(stream: std::net::TcpStream, initial: Ready) -> io::Result<TcpStream> {
        Ok(TcpStream {
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
    /// let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// let std_stream = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    /// let stream = guillotine::net::TcpStream::from_std(std_stream).unwrap();
    /// assert!(stream.local_addr().is_ok());
    /// # });
    /// ```
    #[track_caller]
    pub fn from_std(stream: std::net::TcpStream) -> io::Result<TcpStream> {
        stream.set_nonblocking(true)?;
        TcpStream::register(stream, Ready::WRITABLE)
    }

    /// Deregisters the stream and returns it as a `std` one, with its
    /// descriptor's flags as they were: still non-blocking, as in tokio
    /// (call `set_nonblocking(false)` for blocking I/O), and close-on-exec
    /// unchanged. [`from_std`](TcpStream::from_std) takes it back.
    ///
    /// # Errors
    /// None today; the `Result` leaves room for one.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// let stream = guillotine::net::TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    /// let std_stream = stream.into_std().unwrap();
    /// std_stream.set_nonblocking(false).unwrap();
    /// # });
    /// ```
    pub fn into_std(self) -> io::Result<std::net::TcpStream> {
        Ok(self.io.into_inner())
    }

    /// The remote address.
    ///
    /// # Errors
    /// That of `getpeername` (`NotConnected` once the peer is gone).
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// # let listener = guillotine::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// # let stream = guillotine::net::TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    /// assert_eq!(stream.peer_addr().unwrap(), listener.local_addr().unwrap());
    /// # });
    /// ```
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().peer_addr()
    }

    /// The local address.
    ///
    /// # Errors
    /// That of `getsockname`.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// # let listener = guillotine::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// # let stream = guillotine::net::TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    /// let (_server, peer) = listener.accept().await.unwrap();
    /// assert_eq!(stream.local_addr().unwrap(), peer);
    /// # });
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// Sets `TCP_NODELAY` (disables Nagle's algorithm).
    ///
    /// # Errors
    /// That of `setsockopt`.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// # let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// let stream = guillotine::net::TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    /// stream.set_nodelay(true).unwrap();
    /// assert!(stream.nodelay().unwrap());
    /// # });
    /// ```
    pub fn set_nodelay(&self, on: bool) -> io::Result<()> {
        self.io.get_ref().set_nodelay(on)
    }

    /// The `TCP_NODELAY` option.
    ///
    /// # Errors
    /// That of `getsockopt`.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// # let listener = guillotine::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// # let stream = guillotine::net::TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    /// assert!(!stream.nodelay().unwrap(), "Nagle is on by default");
    /// # });
    /// ```
    pub fn nodelay(&self) -> io::Result<bool> {
        self.io.get_ref().nodelay()
    }

    /// Sets `IP_TTL`.
    ///
    /// # Errors
    /// That of `setsockopt`.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// # let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// let stream = guillotine::net::TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    /// stream.set_ttl(9).unwrap();
    /// assert_eq!(stream.ttl().unwrap(), 9);
    /// # });
    /// ```
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.io.get_ref().set_ttl(ttl)
    }

    /// The `IP_TTL` option.
    ///
    /// # Errors
    /// That of `getsockopt`.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// # let listener = guillotine::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// # let stream = guillotine::net::TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    /// assert!(stream.ttl().unwrap() > 0);
    /// # });
    /// ```
    pub fn ttl(&self) -> io::Result<u32> {
        self.io.get_ref().ttl()
    }

    /// Shuts down the read side, the write side (the peer reads EOF) or both.
    ///
    /// Closing through [`AsyncWrite`](crate::io::AsyncWrite) (`close`, or
    /// tokio's `shutdown`) shuts down the write side too, but, like tokio,
    /// takes `NotConnected` for success.
    ///
    /// # Errors
    /// That of `shutdown(2)`, e.g. `NotConnected` once the peer has reset
    /// the connection.
    ///
    /// ```
    /// use guillotine::io::AsyncReadExt;
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let listener = guillotine::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// let client = guillotine::net::TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    /// let (mut server, _) = listener.accept().await.unwrap();
    /// client.shutdown(std::net::Shutdown::Write).unwrap();
    /// assert_eq!(server.read(&mut [0; 8]).await.unwrap(), 0);
    /// # });
    /// ```
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.io.get_ref().shutdown(how)
    }

    /// Receives data without removing it from the queue; waits for some.
    /// Returns 0 at EOF (or for an empty `buf`).
    ///
    /// # Errors
    /// That of `recv(MSG_PEEK)`.
    ///
    /// ```
    /// use guillotine::io::AsyncWriteExt;
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let listener = guillotine::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// let mut client = guillotine::net::TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    /// let (server, _) = listener.accept().await.unwrap();
    /// client.write_all(b"abc").await.unwrap();
    /// let mut buf = [0; 3];
    /// assert_eq!(server.peek(&mut buf).await.unwrap(), 3);
    /// assert_eq!(server.peek(&mut buf).await.unwrap(), 3, "still there");
    /// # });
    /// ```
    pub async fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.async_io(Direction::Read, |s| s.peek(buf)).await
    }

    /// Polls for data to [`peek`](TcpStream::peek) at: `Pending` (the task
    /// is woken when some comes) while there is none. The read direction
    /// keeps one waker, shared with `poll_read`: only the latest call's is
    /// woken, as in tokio. tokio's takes a `ReadBuf`; this takes the
    /// slice, as futures-io's `poll_read` does.
    ///
    /// # Errors
    /// That of `recv(MSG_PEEK)`.
    ///
    /// ```
    /// use std::future::poll_fn;
    /// use guillotine::io::AsyncWriteExt;
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let listener = guillotine::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// let mut client = guillotine::net::TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    /// let (server, _) = listener.accept().await.unwrap();
    /// client.write_all(b"abc").await.unwrap();
    /// let mut buf = [0; 8];
    /// let n = poll_fn(|cx| server.poll_peek(cx, &mut buf)).await.unwrap();
    /// assert_eq!(&buf[..n], b"abc");
    /// # });
    /// ```
    pub fn poll_peek(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.io.poll_io(cx, Direction::Read, |s| s.peek(buf))
    }

    /// Reads what is there now, without waiting: `WouldBlock` if nothing.
    ///
    /// # Errors
    /// `WouldBlock`, or that of `recv`.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// # let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// let stream = guillotine::net::TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    /// let err = stream.try_read(&mut [0; 8]).unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::WouldBlock);
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
    /// # let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// let stream = guillotine::net::TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    /// assert_eq!(stream.try_write(b"hi").unwrap(), 2);
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
    /// use guillotine::io::AsyncWriteExt;
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let listener = guillotine::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// let mut client = guillotine::net::TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    /// let (server, _) = listener.accept().await.unwrap();
    /// client.write_all(b"x").await.unwrap();
    /// server.readable().await.unwrap();
    /// assert_eq!(server.try_read(&mut [0; 4]).unwrap(), 1);
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
    /// # let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// let stream = guillotine::net::TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    /// stream.writable().await.unwrap();
    /// # });
    /// ```
    pub async fn writable(&self) -> io::Result<()> {
        self.io.readiness(Direction::Write).await.map(drop)
    }

    /// Waits for any readiness of `interest` and returns it, clearing
    /// nothing: pair it with `try_read`/`try_write` (or
    /// [`try_io`](TcpStream::try_io)), whose `WouldBlock` clears it. One
    /// task can so read and write without splitting the stream.
    ///
    /// [`Interest::PRIORITY`] waits for urgent (out-of-band) data. A pending
    /// error shows as readable and writable, or as [`Ready::ERROR`] to a
    /// wait that includes [`Interest::ERROR`].
    ///
    /// # Errors
    /// If the runtime has shut down.
    ///
    /// ```
    /// use guillotine::io::{AsyncWriteExt, Interest};
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let listener = guillotine::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// let mut client = guillotine::net::TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    /// let (server, _) = listener.accept().await.unwrap();
    /// client.write_all(b"hi").await.unwrap();
    /// let ready = server.ready(Interest::READABLE | Interest::WRITABLE).await.unwrap();
    /// if ready.is_readable() {
    ///     assert_eq!(server.try_read(&mut [0; 8]).unwrap(), 2);
    /// }
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
    /// use guillotine::io::AsyncWriteExt;
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let listener = guillotine::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// let mut client = guillotine::net::TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    /// let (server, _) = listener.accept().await.unwrap();
    /// client.write_all(b"x").await.unwrap();
    /// poll_fn(|cx| server.poll_read_ready(cx)).await.unwrap();
    /// assert_eq!(server.try_read(&mut [0; 4]).unwrap(), 1);
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
    /// # let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// let stream = guillotine::net::TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    /// poll_fn(|cx| stream.poll_write_ready(cx)).await.unwrap();
    /// assert_eq!(stream.try_write(b"x").unwrap(), 1);
    /// # });
    /// ```
    pub fn poll_write_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.io.poll_ready_unit(cx, Direction::Write)
    }

    /// Runs `f`, a system call of your own on this socket, if `interest`
    /// is ready now; `f` failing with `WouldBlock` clears that readiness.
    /// If it is not ready, `f` is not called and the result is
    /// `WouldBlock`. For calls the type lacks, such as `recv(MSG_OOB)`.
    ///
    /// # Errors
    /// `WouldBlock`, `f`'s error, or that of a runtime that has shut down.
    ///
    /// ```
    /// use guillotine::io::Interest;
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// # let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// let stream = guillotine::net::TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    /// let peeked = stream.try_io(Interest::READABLE, || {
    ///     socket2::SockRef::from(&stream).peek(&mut [std::mem::MaybeUninit::new(0); 4])
    /// });
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
    /// use std::mem::MaybeUninit;
    /// use guillotine::io::Interest;
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let listener = guillotine::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// let client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    /// let (server, _) = listener.accept().await.unwrap();
    /// // One byte of urgent data, read as such once it is there.
    /// socket2::SockRef::from(&client).send_out_of_band(b"!").unwrap();
    /// let mut buf = [MaybeUninit::new(0); 1];
    /// let n = server
    ///     .async_io(Interest::PRIORITY, || socket2::SockRef::from(&server).recv_out_of_band(&mut buf))
    ///     .await
    ///     .unwrap();
    /// assert_eq!(n, 1);
    /// # });
    /// ```
    pub async fn async_io<R>(
        &self,
        interest: Interest,
        mut f: impl FnMut() -> io::Result<R>,
    ) -> io::Result<R> {
        self.io.async_io_for(interest, |_| f()).await
    }

    /// Borrowed read and write halves, usable at the same time (e.g. in
    /// `futures::join!`).
    ///
    /// ```
    /// use guillotine::io::{AsyncReadExt, AsyncWriteExt};
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let listener = guillotine::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// let mut client = guillotine::net::TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    /// let (mut server, _) = listener.accept().await.unwrap();
    /// let (mut rd, mut wr) = server.split();
    /// client.write_all(b"echo").await.unwrap();
    /// futures_lite::io::copy(&mut (&mut rd).take(4), &mut wr).await.unwrap();
    /// let mut buf = [0; 4];
    /// client.read_exact(&mut buf).await.unwrap();
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
    /// # let listener = guillotine::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// # let stream = guillotine::net::TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    /// # let (server, _) = listener.accept().await.unwrap();
    /// let (mut rd, mut wr) = stream.into_split();
    /// let writer = guillotine::spawn(async move { wr.write_all(b"ping").await });
    /// # let (mut srd, mut swr) = server.into_split();
    /// # let mut b = [0; 4];
    /// # srd.read_exact(&mut b).await.unwrap();
    /// # swr.write_all(&b).await.unwrap();
    /// let mut buf = [0; 4];
    /// rd.read_exact(&mut buf).await.unwrap();
    /// writer.await.unwrap().unwrap();
    /// assert_eq!(&buf, b"ping");
    /// # });
    /// ```
    pub fn into_split(self) -> (OwnedReadHalf, OwnedWriteHalf) {
        split::into_split(self)
    }

    stream_ops!();

    /// `SO_ERROR`, taken.
    ///
    /// # Errors
    /// That of `getsockopt`.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// # let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// let stream = guillotine::net::TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    /// assert!(stream.take_error().unwrap().is_none());
    /// # });
    /// ```
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        SockRef::from(self.io.get_ref()).take_error()
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
    /// let listener = guillotine::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// let mut client = guillotine::net::TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    /// let (server, _) = listener.accept().await.unwrap();
    /// client.write_all(b"headbody").await.unwrap();
    /// server.readable().await.unwrap();
    /// let (mut head, mut body) = ([0; 4], [0; 4]);
    /// let n = server
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
    /// let listener = guillotine::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// let mut client = guillotine::net::TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    /// let (server, _) = listener.accept().await.unwrap();
    /// client.write_all(b"hello").await.unwrap();
    /// server.readable().await.unwrap();
    /// let mut buf = Vec::with_capacity(64);
    /// assert_eq!(server.try_read_buf(&mut buf).unwrap(), 5);
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
    /// # let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// let stream = guillotine::net::TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    /// let n = stream.try_write_vectored(&[IoSlice::new(b"head"), IoSlice::new(b"body")]).unwrap();
    /// assert_eq!(n, 8);
    /// # });
    /// ```
    pub fn try_write_vectored(&self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        self.io
            .try_io(Direction::Write, |s| crate::net::send_vectored(s, bufs))
    }

    /// The `SO_LINGER` option: `None` when off (the default).
    ///
    /// # Errors
    /// That of `getsockopt`.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// # let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// let stream = guillotine::net::TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    /// assert_eq!(stream.linger().unwrap(), None);
    /// # });
    /// ```
    pub fn linger(&self) -> io::Result<Option<Duration>> {
        SockRef::from(self.io.get_ref()).linger()
    }

    /// Sets `SO_LINGER`.
    ///
    /// Deprecated, as in tokio: with a non-zero duration, Linux's `close(2)`
    /// blocks the thread that drops the stream (a runtime thread) until the
    /// data is sent or the time is up, non-blocking socket or not. Shut the
    /// write side down and read to EOF instead, or use
    /// [`set_zero_linger`](TcpStream::set_zero_linger), which never blocks.
    ///
    /// # Errors
    /// That of `setsockopt`.
    ///
    /// ```
    /// # #![allow(deprecated)]
    /// use std::time::Duration;
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// # let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// let stream = guillotine::net::TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    /// stream.set_linger(Some(Duration::from_secs(1))).unwrap();
    /// assert_eq!(stream.linger().unwrap(), Some(Duration::from_secs(1)));
    /// # });
    /// ```
    #[deprecated = "`SO_LINGER` causes the socket to block the thread on drop"]
    pub fn set_linger(&self, dur: Option<Duration>) -> io::Result<()> {
        SockRef::from(self.io.get_ref()).set_linger(dur)
    }

    /// Sets `SO_LINGER` to zero: dropping the stream then aborts the
    /// connection with a reset (`RST`) instead of the `FIN` handshake,
    /// drops unsent data and skips `TIME_WAIT`; the peer's next read fails
    /// with `ConnectionReset`.
    ///
    /// # Errors
    /// That of `setsockopt`.
    ///
    /// ```
    /// use guillotine::io::AsyncReadExt;
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let listener = guillotine::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// let mut client = guillotine::net::TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    /// let (server, _) = listener.accept().await.unwrap();
    /// server.set_zero_linger().unwrap();
    /// drop(server);
    /// let err = client.read(&mut [0; 8]).await.unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::ConnectionReset);
    /// # });
    /// ```
    pub fn set_zero_linger(&self) -> io::Result<()> {
        SockRef::from(self.io.get_ref()).set_linger(Some(Duration::ZERO))
    }
}

impl_async_read!(impl for TcpStream, this => this);
impl_async_read!(impl<'a> for &'a TcpStream, this => this);
impl_async_write!(impl for TcpStream, this => this);
impl_async_write!(impl<'a> for &'a TcpStream, this => this);

impl AsFd for TcpStream {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.io.get_ref().as_fd()
    }
}

impl AsRawFd for TcpStream {
    fn as_raw_fd(&self) -> RawFd {
        self.io.as_raw_fd()
    }
}

impl fmt::Debug for TcpStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpStream")
            .field("local", &self.local_addr().ok())
            .field("peer", &self.peer_addr().ok())
            .field("fd", &self.as_raw_fd())
            .finish()
    }
}
