//! [`UnixDatagram`].

use std::fmt;
use std::io;
use std::net::Shutdown;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::path::Path;
use std::task::{Context, Poll};

use socket2::{Domain, SockAddr, SockRef, Type};

use super::SocketAddr;
use crate::io::Interest;
use crate::io::registration::Registered;
use crate::net::{new_pair, new_socket};
use crate::runtime::driver::scheduled_io::{Direction, Ready};

/// A Unix-domain datagram socket. Like [`UdpSocket`](crate::net::UdpSocket),
/// every method takes `&self` and any number of tasks may wait on it.
///
/// ```
/// use guillotine::net::UnixDatagram;
///
/// let rt = guillotine::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     let (a, b) = UnixDatagram::pair()?;
///     a.send(b"one").await?;
///     let mut buf = [0; 8];
///     let n = b.recv(&mut buf).await?;
///     assert_eq!(&buf[..n], b"one");
///     Ok::<_, std::io::Error>(())
/// }).unwrap();
/// ```
pub struct UnixDatagram {
    io: Registered<std::os::unix::net::UnixDatagram>,
}

impl UnixDatagram {
    /// A socket bound to `path`.
    ///
    /// # Errors
    /// `AddrInUse` if the path exists, ...
    ///
    /// # Panics
    /// Outside a runtime.
    ///
    /// ```
    /// # let dir = std::env::temp_dir().join(format!("guillotine-doc-dg-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let server = guillotine::net::UnixDatagram::bind(dir.join("server"))?;
    /// let client = guillotine::net::UnixDatagram::unbound()?;
    /// client.send_to(b"ping", dir.join("server")).await?;
    /// let mut buf = [0; 4];
    /// let (n, from) = server.recv_from(&mut buf).await?;
    /// assert_eq!((&buf[..n], from.is_unnamed()), (&b"ping"[..], true));
    /// # Ok::<_, std::io::Error>(())
    /// # }).unwrap();
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// ```
    #[track_caller]
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixDatagram> {
        let socket = new_socket(Domain::UNIX, Type::DGRAM)?;
        socket.bind(&SockAddr::unix(path)?)?;
        UnixDatagram::register(socket.into())
    }

    /// A socket bound to no address (it can send, and receive replies only
    /// once connected).
    ///
    /// # Errors
    /// That of `socket(2)`.
    ///
    /// # Panics
    /// Outside a runtime.
    ///
    /// ```
    /// # let dir = std::env::temp_dir().join(format!("guillotine-doc-{}-{}", line!(), std::process::id()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let server = guillotine::net::UnixDatagram::bind(dir.join("s")).unwrap();
    /// let client = guillotine::net::UnixDatagram::unbound().unwrap();
    /// client.send_to(b"hi", dir.join("s")).await.unwrap();
    /// assert_eq!(server.recv(&mut [0; 2]).await.unwrap(), 2);
    /// # });
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// ```
    #[track_caller]
    pub fn unbound() -> io::Result<UnixDatagram> {
        UnixDatagram::register(new_socket(Domain::UNIX, Type::DGRAM)?.into())
    }

    /// A connected pair (`socketpair(2)`).
    ///
    /// # Errors
    /// That of `socketpair`.
    ///
    /// # Panics
    /// Outside a runtime.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let (a, b) = guillotine::net::UnixDatagram::pair().unwrap();
    /// b.send(b"back").await.unwrap();
    /// assert_eq!(a.recv(&mut [0; 4]).await.unwrap(), 4);
    /// # });
    /// ```
    #[track_caller]
    pub fn pair() -> io::Result<(UnixDatagram, UnixDatagram)> {
        let (a, b) = new_pair(Type::DGRAM)?;
        Ok((
            UnixDatagram::register(a.into())?,
            UnixDatagram::register(b.into())?,
        ))
    }

    #[track_caller]
    fn register(socket: std::os::unix::net::UnixDatagram) -> io::Result<UnixDatagram> {
        Ok(UnixDatagram {
            io: Registered::new(socket, Ready::WRITABLE)?,
        })
    }

    /// Wraps a `std` socket: switched to non-blocking mode and registered
    /// with the current runtime.
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
    /// let std_socket = std::os::unix::net::UnixDatagram::unbound().unwrap();
    /// let socket = guillotine::net::UnixDatagram::from_std(std_socket).unwrap();
    /// let _std_again = socket.into_std().unwrap();
    /// # });
    /// ```
    #[track_caller]
    pub fn from_std(socket: std::os::unix::net::UnixDatagram) -> io::Result<UnixDatagram> {
        socket.set_nonblocking(true)?;
        UnixDatagram::register(socket)
    }

    /// Deregisters the socket and returns it as a `std` one (still
    /// non-blocking).
    ///
    /// # Errors
    /// None today; the `Result` leaves room for one.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let (a, _b) = guillotine::net::UnixDatagram::pair().unwrap();
    /// let a: std::os::unix::net::UnixDatagram = a.into_std().unwrap();
    /// a.set_nonblocking(false).unwrap();
    /// # });
    /// ```
    pub fn into_std(self) -> io::Result<std::os::unix::net::UnixDatagram> {
        Ok(self.io.into_inner())
    }

    /// Sets the default destination of [`send`](UnixDatagram::send) and the
    /// only source [`recv`](UnixDatagram::recv) accepts.
    ///
    /// # Errors
    /// That of `connect(2)`, e.g. `NotFound` or `ConnectionRefused`.
    ///
    /// ```
    /// # let dir = std::env::temp_dir().join(format!("guillotine-doc-dc-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let server = guillotine::net::UnixDatagram::bind(dir.join("s"))?;
    /// let client = guillotine::net::UnixDatagram::unbound()?;
    /// client.connect(dir.join("s"))?;
    /// client.send(b"x").await?;
    /// assert_eq!(server.recv(&mut [0; 1]).await?, 1);
    /// # Ok::<_, std::io::Error>(())
    /// # }).unwrap();
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// ```
    pub fn connect(&self, path: impl AsRef<Path>) -> io::Result<()> {
        self.io.get_ref().connect(path)
    }

    /// Sends to the connected peer.
    ///
    /// # Errors
    /// That of `send(2)`, e.g. `ConnectionRefused` once the peer is closed.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let (a, b) = guillotine::net::UnixDatagram::pair().unwrap();
    /// assert_eq!(a.send(b"one datagram").await.unwrap(), 12);
    /// # drop(b);
    /// # });
    /// ```
    pub async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.io
            .async_io(Direction::Write, |s| crate::net::send(s, buf))
            .await
    }

    /// Receives from the connected peer.
    ///
    /// # Errors
    /// That of `recv(2)`.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let (a, b) = guillotine::net::UnixDatagram::pair().unwrap();
    /// a.send(b"abc").await.unwrap();
    /// let mut buf = [0; 8];
    /// assert_eq!(b.recv(&mut buf).await.unwrap(), 3);
    /// # });
    /// ```
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.async_io(Direction::Read, |s| s.recv(buf)).await
    }

    /// Sends to the socket at `path`.
    ///
    /// # Errors
    /// That of `sendto(2)`, e.g. `NotFound` or `ConnectionRefused`.
    ///
    /// ```
    /// # let dir = std::env::temp_dir().join(format!("guillotine-doc-{}-{}", line!(), std::process::id()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let server = guillotine::net::UnixDatagram::bind(dir.join("s")).unwrap();
    /// let client = guillotine::net::UnixDatagram::unbound().unwrap();
    /// assert_eq!(client.send_to(b"hey", dir.join("s")).await.unwrap(), 3);
    /// # drop(server);
    /// # });
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// ```
    pub async fn send_to(&self, buf: &[u8], path: impl AsRef<Path>) -> io::Result<usize> {
        let target = SockAddr::unix(path)?;
        self.io
            .async_io(Direction::Write, |s| crate::net::send_to(s, buf, &target))
            .await
    }

    /// Receives a datagram and its source address.
    ///
    /// # Errors
    /// That of `recvfrom(2)`.
    ///
    /// ```
    /// # let dir = std::env::temp_dir().join(format!("guillotine-doc-{}-{}", line!(), std::process::id()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let server = guillotine::net::UnixDatagram::bind(dir.join("s")).unwrap();
    /// let client = guillotine::net::UnixDatagram::bind(dir.join("c")).unwrap();
    /// client.send_to(b"hey", dir.join("s")).await.unwrap();
    /// let (n, from) = server.recv_from(&mut [0; 8]).await.unwrap();
    /// assert_eq!((n, from.as_pathname()), (3, Some(dir.join("c").as_path())));
    /// # });
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// ```
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io
            .async_io(Direction::Read, |s| s.recv_from(buf))
            .await
    }

    /// Waits for any readiness of `interest` and returns it, clearing
    /// nothing: pair it with non-blocking calls (or
    /// [`try_io`](UnixDatagram::try_io)), whose `WouldBlock` clears it.
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
    /// let (a, b) = guillotine::net::UnixDatagram::pair().unwrap();
    /// assert!(a.ready(Interest::WRITABLE).await.unwrap().is_writable());
    /// a.send(b"x").await.unwrap();
    /// assert!(b.ready(Interest::READABLE).await.unwrap().is_readable());
    /// # });
    /// ```
    pub async fn ready(&self, interest: Interest) -> io::Result<Ready> {
        self.io.ready(interest).await
    }

    /// Polls for a datagram to receive (or an error). Only the last task
    /// to call it is woken.
    ///
    /// # Errors
    /// If the runtime has shut down.
    ///
    /// ```
    /// use std::future::poll_fn;
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let (a, b) = guillotine::net::UnixDatagram::pair().unwrap();
    /// a.send(b"x").await.unwrap();
    /// poll_fn(|cx| b.poll_recv_ready(cx)).await.unwrap();
    /// assert_eq!(b.recv(&mut [0; 4]).await.unwrap(), 1);
    /// # });
    /// ```
    pub fn poll_recv_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.io.poll_ready_unit(cx, Direction::Read)
    }

    /// Polls for room to send a datagram. Only the last task to call it is
    /// woken.
    ///
    /// # Errors
    /// If the runtime has shut down.
    ///
    /// ```
    /// use std::future::poll_fn;
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let (a, _b) = guillotine::net::UnixDatagram::pair().unwrap();
    /// poll_fn(|cx| a.poll_send_ready(cx)).await.unwrap();
    /// # });
    /// ```
    pub fn poll_send_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
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
    /// let (a, _b) = guillotine::net::UnixDatagram::pair().unwrap();
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
    /// let (a, b) = guillotine::net::UnixDatagram::pair().unwrap();
    /// a.send(b"peek").await.unwrap();
    /// let mut buf = [std::mem::MaybeUninit::new(0); 8];
    /// let n = b
    ///     .async_io(Interest::READABLE, || socket2::SockRef::from(&b).peek(&mut buf))
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

    /// The local address.
    ///
    /// # Errors
    /// That of `getsockname`.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let (a, b) = guillotine::net::UnixDatagram::pair().unwrap();
    /// assert!(a.local_addr().unwrap().is_unnamed());
    /// assert!(b.peer_addr().unwrap().is_unnamed());
    /// # });
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// The connected peer's address.
    ///
    /// # Errors
    /// `NotConnected` before [`connect`](UnixDatagram::connect).
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let socket = guillotine::net::UnixDatagram::unbound().unwrap();
    /// assert!(socket.peer_addr().is_err(), "not connected");
    /// # });
    /// ```
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().peer_addr()
    }

    /// Shuts down reading, writing or both.
    ///
    /// # Errors
    /// That of `shutdown(2)`.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let (a, _b) = guillotine::net::UnixDatagram::pair().unwrap();
    /// a.shutdown(std::net::Shutdown::Write).unwrap();
    /// let err = a.send(b"x").await.unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::BrokenPipe);
    /// # });
    /// ```
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.io.get_ref().shutdown(how)
    }

    /// Takes the pending `SO_ERROR`, if any.
    ///
    /// # Errors
    /// That of `getsockopt`.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let (a, _b) = guillotine::net::UnixDatagram::pair().unwrap();
    /// assert!(a.take_error().unwrap().is_none());
    /// # });
    /// ```
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        SockRef::from(self.io.get_ref()).take_error()
    }
}

impl AsFd for UnixDatagram {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.io.get_ref().as_fd()
    }
}

impl AsRawFd for UnixDatagram {
    fn as_raw_fd(&self) -> RawFd {
        self.io.as_raw_fd()
    }
}

impl fmt::Debug for UnixDatagram {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnixDatagram")
            .field("local", &self.local_addr().ok())
            .field("fd", &self.as_raw_fd())
            .finish()
    }
}
