//! [`TcpSocket`]: a TCP socket not yet connected or listening, to set
//! options that must come before `bind`, `connect` or `listen`.

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, IntoRawFd, OwnedFd, RawFd};
use std::time::Duration;

use socket2::{Domain, Socket, Type};

use super::{TcpListener, TcpStream};

/// A TCP socket before it connects or listens, as tokio's: set
/// `SO_REUSEADDR`, `SO_REUSEPORT`, buffer sizes, keepalive and the rest,
/// then [`bind`](TcpSocket::bind) and [`connect`](TcpSocket::connect) or
/// [`listen`](TcpSocket::listen).
///
/// The socket is non-blocking and close-on-exec from its `socket(2)`. It
/// needs no runtime until `connect` or `listen`, which register it with
/// the current one.
///
/// ```
/// use guillotine::net::TcpSocket;
///
/// let rt = guillotine::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     let socket = TcpSocket::new_v4()?;
///     socket.set_reuseaddr(true)?;
///     socket.bind("127.0.0.1:0".parse().unwrap())?;
///     let listener = socket.listen(128)?;
///
///     let client = TcpSocket::new_v4()?;
///     client.set_nodelay(true)?;
///     let stream = client.connect(listener.local_addr()?).await?;
///     assert!(stream.nodelay()?);
///     let (_server, peer) = listener.accept().await?;
///     assert_eq!(peer, stream.local_addr()?);
///     Ok::<_, std::io::Error>(())
/// }).unwrap();
/// ```
pub struct TcpSocket {
    inner: Socket,
    /// Whether the socket is known to be non-blocking: it is when made
    /// here; one handed in (`from_std_stream`, `FromRawFd`) is switched to
    /// non-blocking by `connect` or `listen`.
    nonblocking: bool,
}

impl TcpSocket {
    /// An IPv4 TCP socket (`socket(AF_INET, SOCK_STREAM)`).
    ///
    /// # Errors
    /// That of `socket(2)`, e.g. `EMFILE`.
    ///
    /// ```
    /// let socket = guillotine::net::TcpSocket::new_v4().unwrap();
    /// socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    /// assert!(socket.local_addr().unwrap().is_ipv4());
    /// ```
    pub fn new_v4() -> io::Result<TcpSocket> {
        TcpSocket::new(Domain::IPV4)
    }

    /// An IPv6 TCP socket (`socket(AF_INET6, SOCK_STREAM)`).
    ///
    /// # Errors
    /// That of `socket(2)`: `EAFNOSUPPORT` on a kernel without IPv6.
    ///
    /// ```
    /// let socket = guillotine::net::TcpSocket::new_v6().unwrap();
    /// # if socket.bind("[::1]:0".parse().unwrap()).is_err() { return; } // no IPv6 here
    /// assert!(socket.local_addr().unwrap().is_ipv6());
    /// ```
    pub fn new_v6() -> io::Result<TcpSocket> {
        TcpSocket::new(Domain::IPV6)
    }

    fn new(domain: Domain) -> io::Result<TcpSocket> {
        Ok(TcpSocket {
            inner: crate::net::new_socket(domain, Type::STREAM)?,
            nonblocking: true,
        })
    }

    /// Sets `SO_KEEPALIVE`.
    ///
    /// # Errors
    /// That of `setsockopt`.
    ///
    /// ```
    /// let socket = guillotine::net::TcpSocket::new_v4().unwrap();
    /// socket.set_keepalive(true).unwrap();
    /// assert!(socket.keepalive().unwrap());
    /// ```
    pub fn set_keepalive(&self, keepalive: bool) -> io::Result<()> {
        self.inner.set_keepalive(keepalive)
    }

    /// The `SO_KEEPALIVE` option.
    ///
    /// # Errors
    /// That of `getsockopt`.
    ///
    /// ```
    /// let socket = guillotine::net::TcpSocket::new_v4().unwrap();
    /// assert!(!socket.keepalive().unwrap(), "off by default");
    /// ```
    pub fn keepalive(&self) -> io::Result<bool> {
        self.inner.keepalive()
    }

    /// Sets `SO_REUSEADDR`: a listener can bind its port again while
    /// connections of a previous one linger in `TIME_WAIT`. Off by
    /// default, as in tokio ([`TcpListener::bind`] turns it on).
    ///
    /// # Errors
    /// That of `setsockopt`.
    ///
    /// ```
    /// let socket = guillotine::net::TcpSocket::new_v4().unwrap();
    /// socket.set_reuseaddr(true).unwrap();
    /// assert!(socket.reuseaddr().unwrap());
    /// ```
    pub fn set_reuseaddr(&self, reuseaddr: bool) -> io::Result<()> {
        self.inner.set_reuse_address(reuseaddr)
    }

    /// The `SO_REUSEADDR` option.
    ///
    /// # Errors
    /// That of `getsockopt`.
    ///
    /// ```
    /// let socket = guillotine::net::TcpSocket::new_v4().unwrap();
    /// assert!(!socket.reuseaddr().unwrap());
    /// ```
    pub fn reuseaddr(&self) -> io::Result<bool> {
        self.inner.reuse_address()
    }

    /// Sets `SO_REUSEPORT`: several sockets (of one user) may listen on one
    /// address, and the kernel spreads the incoming connections over them.
    /// One such listener per worker of a multi-thread runtime is what
    /// [`TcpListener::bind_reuseport`] makes in one line.
    ///
    /// # Errors
    /// That of `setsockopt`.
    ///
    /// ```
    /// use guillotine::net::TcpSocket;
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let first = TcpSocket::new_v4().unwrap();
    /// first.set_reuseport(true).unwrap();
    /// first.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    /// let addr = first.local_addr().unwrap();
    /// let second = TcpSocket::new_v4().unwrap();
    /// second.set_reuseport(true).unwrap();
    /// second.bind(addr).unwrap();
    /// let (_a, _b) = (first.listen(16).unwrap(), second.listen(16).unwrap());
    /// # });
    /// ```
    pub fn set_reuseport(&self, reuseport: bool) -> io::Result<()> {
        self.inner.set_reuse_port(reuseport)
    }

    /// The `SO_REUSEPORT` option.
    ///
    /// # Errors
    /// That of `getsockopt`.
    ///
    /// ```
    /// let socket = guillotine::net::TcpSocket::new_v4().unwrap();
    /// assert!(!socket.reuseport().unwrap());
    /// socket.set_reuseport(true).unwrap();
    /// assert!(socket.reuseport().unwrap());
    /// ```
    pub fn reuseport(&self) -> io::Result<bool> {
        self.inner.reuse_port()
    }

    /// Sets `SO_SNDBUF`. Linux doubles the value (for its bookkeeping) and
    /// caps it at `net.core.wmem_max`; [`send_buffer_size`](Self::send_buffer_size)
    /// reads back what it kept.
    ///
    /// # Errors
    /// That of `setsockopt`.
    ///
    /// ```
    /// let socket = guillotine::net::TcpSocket::new_v4().unwrap();
    /// socket.set_send_buffer_size(16 * 1024).unwrap();
    /// assert!(socket.send_buffer_size().unwrap() >= 16 * 1024);
    /// ```
    pub fn set_send_buffer_size(&self, size: u32) -> io::Result<()> {
        self.inner.set_send_buffer_size(size as usize)
    }

    /// The `SO_SNDBUF` option.
    ///
    /// # Errors
    /// That of `getsockopt`.
    ///
    /// ```
    /// let socket = guillotine::net::TcpSocket::new_v4().unwrap();
    /// assert!(socket.send_buffer_size().unwrap() > 0);
    /// ```
    pub fn send_buffer_size(&self) -> io::Result<u32> {
        self.inner
            .send_buffer_size()
            .map(|n| u32::try_from(n).unwrap_or(u32::MAX))
    }

    /// Sets `SO_RCVBUF` (doubled and capped at `net.core.rmem_max`, as
    /// for [`set_send_buffer_size`](Self::set_send_buffer_size)).
    ///
    /// # Errors
    /// That of `setsockopt`.
    ///
    /// ```
    /// let socket = guillotine::net::TcpSocket::new_v4().unwrap();
    /// socket.set_recv_buffer_size(16 * 1024).unwrap();
    /// assert!(socket.recv_buffer_size().unwrap() >= 16 * 1024);
    /// ```
    pub fn set_recv_buffer_size(&self, size: u32) -> io::Result<()> {
        self.inner.set_recv_buffer_size(size as usize)
    }

    /// The `SO_RCVBUF` option.
    ///
    /// # Errors
    /// That of `getsockopt`.
    ///
    /// ```
    /// let socket = guillotine::net::TcpSocket::new_v4().unwrap();
    /// assert!(socket.recv_buffer_size().unwrap() > 0);
    /// ```
    pub fn recv_buffer_size(&self) -> io::Result<u32> {
        self.inner
            .recv_buffer_size()
            .map(|n| u32::try_from(n).unwrap_or(u32::MAX))
    }

    /// Sets `SO_LINGER`.
    ///
    /// Deprecated, as in tokio: with a non-zero duration, Linux's `close(2)`
    /// blocks the thread that drops the stream (a runtime thread) until the
    /// data is sent or the time is up, non-blocking socket or not. Shut the
    /// write side down and read to EOF instead, or use
    /// [`set_zero_linger`](Self::set_zero_linger), which never blocks.
    ///
    /// # Errors
    /// That of `setsockopt`.
    ///
    /// ```
    /// # #![allow(deprecated)]
    /// use std::time::Duration;
    /// let socket = guillotine::net::TcpSocket::new_v4().unwrap();
    /// socket.set_linger(Some(Duration::from_secs(2))).unwrap();
    /// assert_eq!(socket.linger().unwrap(), Some(Duration::from_secs(2)));
    /// ```
    #[deprecated = "`SO_LINGER` causes the socket to block the thread on drop"]
    pub fn set_linger(&self, dur: Option<Duration>) -> io::Result<()> {
        self.inner.set_linger(dur)
    }

    /// Sets `SO_LINGER` to zero: closing the socket aborts the connection
    /// with a reset (`RST`) instead of the `FIN` handshake, drops unsent
    /// data and skips `TIME_WAIT`. The peer's next read fails with
    /// `ConnectionReset`.
    ///
    /// # Errors
    /// That of `setsockopt`.
    ///
    /// ```
    /// use std::time::Duration;
    /// let socket = guillotine::net::TcpSocket::new_v4().unwrap();
    /// socket.set_zero_linger().unwrap();
    /// assert_eq!(socket.linger().unwrap(), Some(Duration::ZERO));
    /// ```
    pub fn set_zero_linger(&self) -> io::Result<()> {
        self.inner.set_linger(Some(Duration::ZERO))
    }

    /// The `SO_LINGER` option: `None` when off (the default).
    ///
    /// # Errors
    /// That of `getsockopt`.
    ///
    /// ```
    /// let socket = guillotine::net::TcpSocket::new_v4().unwrap();
    /// assert_eq!(socket.linger().unwrap(), None);
    /// ```
    pub fn linger(&self) -> io::Result<Option<Duration>> {
        self.inner.linger()
    }

    /// Sets `TCP_NODELAY` (disables Nagle's algorithm); the stream
    /// [`connect`](Self::connect) returns keeps it.
    ///
    /// # Errors
    /// That of `setsockopt`.
    ///
    /// ```
    /// let socket = guillotine::net::TcpSocket::new_v4().unwrap();
    /// socket.set_nodelay(true).unwrap();
    /// assert!(socket.nodelay().unwrap());
    /// ```
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.inner.set_tcp_nodelay(nodelay)
    }

    /// The `TCP_NODELAY` option.
    ///
    /// # Errors
    /// That of `getsockopt`.
    ///
    /// ```
    /// let socket = guillotine::net::TcpSocket::new_v4().unwrap();
    /// assert!(!socket.nodelay().unwrap());
    /// ```
    pub fn nodelay(&self) -> io::Result<bool> {
        self.inner.tcp_nodelay()
    }

    /// The `IPV6_TCLASS` option (an IPv6 socket's traffic class).
    ///
    /// # Errors
    /// That of `getsockopt`: `ENOPROTOOPT` on an IPv4 socket.
    ///
    /// ```
    /// let socket = guillotine::net::TcpSocket::new_v6().unwrap();
    /// socket.set_tclass_v6(0x20).unwrap();
    /// assert_eq!(socket.tclass_v6().unwrap(), 0x20);
    /// ```
    pub fn tclass_v6(&self) -> io::Result<u32> {
        self.inner.tclass_v6()
    }

    /// Sets `IPV6_TCLASS`, the traffic class of the packets this IPv6
    /// socket sends.
    ///
    /// # Errors
    /// That of `setsockopt`: `ENOPROTOOPT` on an IPv4 socket.
    ///
    /// ```
    /// let socket = guillotine::net::TcpSocket::new_v4().unwrap();
    /// assert!(socket.set_tclass_v6(0x20).is_err(), "not an IPv6 socket");
    /// ```
    pub fn set_tclass_v6(&self, tclass: u32) -> io::Result<()> {
        self.inner.set_tclass_v6(tclass)
    }

    /// The `IP_TOS` option (an IPv4 socket's type of service).
    ///
    /// # Errors
    /// That of `getsockopt`.
    ///
    /// ```
    /// let socket = guillotine::net::TcpSocket::new_v4().unwrap();
    /// assert_eq!(socket.tos_v4().unwrap(), 0);
    /// ```
    pub fn tos_v4(&self) -> io::Result<u32> {
        self.inner.tos_v4()
    }

    /// Sets `IP_TOS`, the type-of-service field of every IPv4 packet this
    /// socket sends.
    ///
    /// # Errors
    /// That of `setsockopt`.
    ///
    /// ```
    /// let socket = guillotine::net::TcpSocket::new_v4().unwrap();
    /// socket.set_tos_v4(0x10).unwrap();
    /// assert_eq!(socket.tos_v4().unwrap(), 0x10);
    /// ```
    pub fn set_tos_v4(&self, tos: u32) -> io::Result<()> {
        self.inner.set_tos_v4(tos)
    }

    /// The former name of [`tos_v4`](Self::tos_v4), deprecated as in tokio.
    ///
    /// # Errors
    /// That of `getsockopt`.
    ///
    /// ```
    /// # #![allow(deprecated)]
    /// let socket = guillotine::net::TcpSocket::new_v4().unwrap();
    /// assert_eq!(socket.tos().unwrap(), socket.tos_v4().unwrap());
    /// ```
    #[deprecated = "`tos` related methods have been renamed `tos_v4` since they are IPv4-specific."]
    pub fn tos(&self) -> io::Result<u32> {
        self.tos_v4()
    }

    /// The former name of [`set_tos_v4`](Self::set_tos_v4), deprecated as
    /// in tokio.
    ///
    /// # Errors
    /// That of `setsockopt`.
    ///
    /// ```
    /// # #![allow(deprecated)]
    /// let socket = guillotine::net::TcpSocket::new_v4().unwrap();
    /// socket.set_tos(0x08).unwrap();
    /// assert_eq!(socket.tos_v4().unwrap(), 0x08);
    /// ```
    #[deprecated = "`tos` related methods have been renamed `tos_v4` since they are IPv4-specific."]
    pub fn set_tos(&self, tos: u32) -> io::Result<()> {
        self.set_tos_v4(tos)
    }

    /// The `SO_BINDTODEVICE` option: the interface the socket is bound to,
    /// if any.
    ///
    /// # Errors
    /// That of `getsockopt`.
    ///
    /// ```
    /// let socket = guillotine::net::TcpSocket::new_v4().unwrap();
    /// assert_eq!(socket.device().unwrap(), None);
    /// ```
    pub fn device(&self) -> io::Result<Option<Vec<u8>>> {
        self.inner.device()
    }

    /// Sets `SO_BINDTODEVICE`: only packets of the interface named
    /// `interface` (such as `b"eth0"`) reach the socket, and it sends
    /// through that interface; `None` removes the binding.
    ///
    /// # Errors
    /// That of `setsockopt`: `ENODEV` for an unknown interface, `EPERM`
    /// without `CAP_NET_RAW`.
    ///
    /// ```
    /// let socket = guillotine::net::TcpSocket::new_v4().unwrap();
    /// assert!(socket.bind_device(Some(&b"no-such-if0"[..])).is_err());
    /// ```
    pub fn bind_device(&self, interface: Option<&[u8]>) -> io::Result<()> {
        self.inner.bind_device(interface)
    }

    /// The address the socket is bound to.
    ///
    /// # Errors
    /// That of `getsockname`; `InvalidInput` if it is not an IP address.
    ///
    /// ```
    /// let socket = guillotine::net::TcpSocket::new_v4().unwrap();
    /// socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    /// assert_ne!(socket.local_addr().unwrap().port(), 0);
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()?.as_socket().ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "invalid address family (not IPv4 or IPv6)",
            )
        })
    }

    /// Takes the pending `SO_ERROR`, if any.
    ///
    /// # Errors
    /// That of `getsockopt`.
    ///
    /// ```
    /// let socket = guillotine::net::TcpSocket::new_v4().unwrap();
    /// assert!(socket.take_error().unwrap().is_none());
    /// ```
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.inner.take_error()
    }

    /// Binds the socket to `addr` (port 0: the kernel picks one).
    ///
    /// # Errors
    /// That of `bind(2)`: `AddrInUse` if another socket has that address
    /// and they did not both set [`set_reuseport`](Self::set_reuseport)
    /// (or, while not listening, [`set_reuseaddr`](Self::set_reuseaddr)),
    /// `AddrNotAvailable` for an address of no local interface,
    /// `InvalidInput` for one of the other IP version.
    ///
    /// ```
    /// use guillotine::net::TcpSocket;
    /// let first = TcpSocket::new_v4().unwrap();
    /// first.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    /// let second = TcpSocket::new_v4().unwrap();
    /// let err = second.bind(first.local_addr().unwrap()).unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::AddrInUse);
    /// ```
    pub fn bind(&self, addr: SocketAddr) -> io::Result<()> {
        self.inner.bind(&addr.into())
    }

    /// Connects to `addr`, consuming the socket: the connected stream,
    /// registered with the current runtime, with the options set here.
    ///
    /// # Errors
    /// `ConnectionRefused` when nothing listens there, or the other errors
    /// of [`TcpStream::connect`].
    ///
    /// # Panics
    /// Outside a runtime.
    ///
    /// ```
    /// use guillotine::net::TcpSocket;
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let listener = guillotine::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// let stream = TcpSocket::new_v4().unwrap().connect(listener.local_addr().unwrap()).await.unwrap();
    /// assert_eq!(stream.peer_addr().unwrap(), listener.local_addr().unwrap());
    /// # });
    /// ```
    pub async fn connect(self, addr: SocketAddr) -> io::Result<TcpStream> {
        let socket = self.into_nonblocking()?;
        TcpStream::connect_socket(socket, addr).await
    }

    /// Listens, consuming the socket: a [`TcpListener`] registered with the
    /// current runtime. The kernel caps `backlog` at `net.core.somaxconn`.
    ///
    /// # Errors
    /// That of `listen(2)`: `AddrInUse` if another socket listens on the
    /// bound port without `SO_REUSEPORT` on both.
    ///
    /// # Panics
    /// Outside a runtime.
    ///
    /// ```
    /// use guillotine::net::TcpSocket;
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let socket = TcpSocket::new_v4().unwrap();
    /// socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    /// let listener = socket.listen(1024).unwrap();
    /// let _client = guillotine::net::TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    /// listener.accept().await.unwrap();
    /// # });
    /// ```
    #[track_caller]
    pub fn listen(self, backlog: u32) -> io::Result<TcpListener> {
        let socket = self.into_nonblocking()?;
        socket.listen(i32::try_from(backlog).unwrap_or(i32::MAX))?;
        TcpListener::register(socket.into())
    }

    /// A `TcpSocket` of a `std` stream that has not connected yet (made
    /// with socket2, say, for an option this type lacks).
    ///
    /// Unlike tokio's, it need not be non-blocking already: `connect` and
    /// `listen` switch it to non-blocking mode. Its other flags (such as
    /// `FD_CLOEXEC`) are kept.
    ///
    /// ```
    /// use socket2::{Domain, Socket, Type};
    /// let raw = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    /// raw.set_reuse_port(true).unwrap();
    /// let socket = guillotine::net::TcpSocket::from_std_stream(raw.into());
    /// assert!(socket.reuseport().unwrap());
    /// ```
    pub fn from_std_stream(std_stream: std::net::TcpStream) -> TcpSocket {
        TcpSocket {
            inner: Socket::from(OwnedFd::from(std_stream)),
            nonblocking: false,
        }
    }

    /// The socket, in non-blocking mode.
    fn into_nonblocking(self) -> io::Result<Socket> {
        if !self.nonblocking {
            self.inner.set_nonblocking(true)?;
        }
        Ok(self.inner)
    }
}

impl AsRawFd for TcpSocket {
    fn as_raw_fd(&self) -> RawFd {
        self.inner.as_raw_fd()
    }
}

impl AsFd for TcpSocket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.inner.as_fd()
    }
}

impl FromRawFd for TcpSocket {
    /// Takes ownership of `fd`, a TCP socket that has not connected yet;
    /// `connect` and `listen` switch it to non-blocking mode.
    ///
    /// # Safety
    /// `fd` must be an open socket that nothing else owns (it is closed
    /// when the `TcpSocket`, or what it becomes, is dropped).
    unsafe fn from_raw_fd(fd: RawFd) -> TcpSocket {
        TcpSocket {
            // SAFETY: the caller hands over an open socket it owned.
            inner: unsafe { Socket::from_raw_fd(fd) },
            nonblocking: false,
        }
    }
}

impl IntoRawFd for TcpSocket {
    fn into_raw_fd(self) -> RawFd {
        self.inner.into_raw_fd()
    }
}

impl fmt::Debug for TcpSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpSocket")
            .field("local", &self.local_addr().ok())
            .field("fd", &self.as_raw_fd())
            .finish()
    }
}
