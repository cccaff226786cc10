//! [`TcpListener`].

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::task::{Context, Poll, ready};

use socket2::{Domain, SockAddr, SockRef, Socket, Type};

use super::TcpStream;
use crate::io::registration::Registered;
use crate::net::addr::{ToSocketAddrs, each_addr};
use crate::runtime::driver::scheduled_io::{Direction, Ready};

/// The listen backlog, as in tokio (the kernel caps it at `somaxconn`).
const BACKLOG: i32 = 1024;

/// A TCP socket server, listening for connections.
///
/// ```
/// use guillotine::net::{TcpListener, TcpStream};
///
/// let rt = guillotine::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     let listener = TcpListener::bind("127.0.0.1:0").await?;
///     let client = TcpStream::connect(listener.local_addr()?).await?;
///     let (server, peer) = listener.accept().await?;
///     assert_eq!(peer, client.local_addr()?);
///     assert_eq!(server.peer_addr()?, client.local_addr()?);
///     Ok::<_, std::io::Error>(())
/// }).unwrap();
/// ```
pub struct TcpListener {
    io: Registered<std::net::TcpListener>,
}

impl TcpListener {
    /// Binds to `addr` (with `SO_REUSEADDR`, as servers expect) and listens.
    /// A host name is resolved off the runtime thread; each address it
    /// yields is tried in turn.
    ///
    /// # Errors
    /// `AddrInUse` if something listens there already, `InvalidInput` for
    /// an address that does not parse, `PermissionDenied` for a privileged
    /// port, and so on: the OS error is kept.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let listener = guillotine::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// let taken = listener.local_addr().unwrap();
    /// let err = guillotine::net::TcpListener::bind(taken).await.unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::AddrInUse);
    /// # });
    /// ```
    pub async fn bind<A: ToSocketAddrs>(addr: A) -> io::Result<TcpListener> {
        each_addr(&addr, |addr| async move { TcpListener::bind_addr(addr) }).await
    }

    /// Binds to `addr` with `SO_REUSEPORT` (and `SO_REUSEADDR`) and
    /// listens: other listeners made so may listen on the same address, and
    /// the kernel spreads the incoming connections over them. One listener
    /// per worker of a multi-thread runtime, each with its own accept loop,
    /// is then one line per listener (see `examples/reuseport.rs`).
    ///
    /// Binding port 0 picks a free port; bind the others to the first one's
    /// [`local_addr`](TcpListener::local_addr). Only sockets that all set
    /// `SO_REUSEPORT`, of the same user, may share an address.
    ///
    /// The kernel spreads new connections over the listeners (by a hash of
    /// the peer's address), so each accept loop takes its share; on the
    /// multi-thread runtime every socket is in the runtime's one epoll, and
    /// an accept loop's task runs on whichever worker takes its wakes.
    ///
    /// tokio has no such constructor: there it is [`TcpSocket`](crate::net::TcpSocket)'s
    /// `set_reuseport`, `bind` and `listen`, which work here as well.
    ///
    /// # Errors
    /// As for [`bind`](TcpListener::bind); `AddrInUse` if a socket without
    /// `SO_REUSEPORT` holds the address.
    ///
    /// ```
    /// use guillotine::net::TcpListener;
    ///
    /// let rt = guillotine::runtime::Builder::new_multi_thread().worker_threads(2).build().unwrap();
    /// rt.block_on(async {
    ///     let first = TcpListener::bind_reuseport("127.0.0.1:0").await?;
    ///     let addr = first.local_addr()?;
    ///     let mut listeners = vec![first];
    ///     // One more per worker, on the same port.
    ///     listeners.push(TcpListener::bind_reuseport(addr).await?);
    ///     for listener in listeners {
    ///         guillotine::spawn(async move {
    ///             while let Ok((stream, _)) = listener.accept().await {
    ///                 drop(stream);
    ///             }
    ///         });
    ///     }
    ///     let _client = guillotine::net::TcpStream::connect(addr).await?;
    ///     Ok::<_, std::io::Error>(())
    /// }).unwrap();
    /// ```
    pub async fn bind_reuseport<A: ToSocketAddrs>(addr: A) -> io::Result<TcpListener> {
        each_addr(&addr, |addr| async move {
            let socket = crate::net::new_socket(Domain::for_address(addr), Type::STREAM)?;
            socket.set_reuse_port(true)?;
            TcpListener::listen_on(socket, addr)
        })
        .await
    }

    fn bind_addr(addr: SocketAddr) -> io::Result<TcpListener> {
        let socket = crate::net::new_socket(Domain::for_address(addr), Type::STREAM)?;
        TcpListener::listen_on(socket, addr)
    }

    /// Binds `socket` to `addr` with `SO_REUSEADDR`, listens and registers.
    #[track_caller]
    fn listen_on(socket: Socket, addr: SocketAddr) -> io::Result<TcpListener> {
        socket.set_reuse_address(true)?;
        socket.bind(&addr.into())?;
        socket.listen(BACKLOG)?;
        TcpListener::register(socket.into())
    }

    #[track_caller]
    pub(super) fn register(listener: std::net::TcpListener) -> io::Result<TcpListener> {
        // Nothing assumed: registering reports connections already queued.
        Ok(TcpListener {
            io: Registered::new(listener, Ready::EMPTY)?,
        })
    }

    /// Accepts a new connection. The stream is non-blocking and
    /// close-on-exec from the start (`accept4`).
    ///
    /// # Errors
    /// The `accept4` error. With descriptors exhausted that is `EMFILE` /
    /// `ENFILE` (`raw_os_error()`), returned at once: the pending connection
    /// stays queued and the next `accept` takes it as soon as a descriptor
    /// is free. A server should back off before retrying (see
    /// `examples/accept_loop.rs`) instead of spinning on the error.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let listener = guillotine::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// let _client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    /// let (_stream, peer) = listener.accept().await.unwrap();
    /// assert!(peer.ip().is_loopback());
    /// # });
    /// ```
    pub async fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        let (socket, addr) = self
            .io
            .async_io(Direction::Read, crate::net::accept)
            .await?;
        TcpListener::accepted(socket, &addr)
    }

    /// Polls for a new connection: `Pending` (the task is woken when one
    /// comes) while none is queued. As in tokio, only the waker of the
    /// latest call is kept. For hand-written futures and `Stream`s; see
    /// [`accept`](TcpListener::accept).
    ///
    /// # Errors
    /// As for [`accept`](TcpListener::accept).
    ///
    /// ```
    /// use std::future::poll_fn;
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let listener = guillotine::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// let client = guillotine::net::TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    /// let (_stream, peer) = poll_fn(|cx| listener.poll_accept(cx)).await.unwrap();
    /// assert_eq!(peer, client.local_addr().unwrap());
    /// # });
    /// ```
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(TcpStream, SocketAddr)>> {
        let (socket, addr) = ready!(self.io.poll_io(cx, Direction::Read, crate::net::accept))?;
        Poll::Ready(TcpListener::accepted(socket, &addr))
    }

    /// An accepted connection, registered.
    #[track_caller]
    fn accepted(socket: Socket, addr: &SockAddr) -> io::Result<(TcpStream, SocketAddr)> {
        let addr = addr
            .as_socket()
            .ok_or_else(|| io::Error::other("accept returned a non-IP address"))?;
        Ok((TcpStream::register(socket.into(), Ready::WRITABLE)?, addr))
    }

    /// Wraps a listener made by `std` (or anything else): it is switched to
    /// non-blocking mode and registered with the current runtime.
    ///
    /// The descriptor keeps its other flags (`FD_CLOEXEC` among them).
    /// tokio instead expects it to be non-blocking already, and its debug
    /// builds panic otherwise.
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
    /// let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// let listener = guillotine::net::TcpListener::from_std(std_listener).unwrap();
    /// assert!(listener.local_addr().unwrap().port() != 0);
    /// # });
    /// ```
    #[track_caller]
    pub fn from_std(listener: std::net::TcpListener) -> io::Result<TcpListener> {
        listener.set_nonblocking(true)?;
        TcpListener::register(listener)
    }

    /// Deregisters the listener and returns it as a `std` one, with its
    /// descriptor's flags as they were: still non-blocking, as in tokio,
    /// and close-on-exec unchanged. [`from_std`](TcpListener::from_std) takes it
    /// back.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let listener = guillotine::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// let addr = listener.local_addr().unwrap();
    /// let std_listener = listener.into_std().unwrap();
    /// assert_eq!(std_listener.local_addr().unwrap(), addr);
    /// # });
    /// ```
    ///
    /// # Errors
    /// None today; the `Result` leaves room for one.
    pub fn into_std(self) -> io::Result<std::net::TcpListener> {
        Ok(self.io.into_inner())
    }

    /// The address the listener is bound to (with the port the kernel
    /// chose for port 0).
    ///
    /// # Errors
    /// That of `getsockname`.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let listener = guillotine::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// assert_ne!(listener.local_addr().unwrap().port(), 0);
    /// # });
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// Sets `IP_TTL` for the accepted connections' packets.
    ///
    /// # Errors
    /// That of `setsockopt`.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let listener = guillotine::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// listener.set_ttl(42).unwrap();
    /// assert_eq!(listener.ttl().unwrap(), 42);
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
    /// let listener = guillotine::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// assert!(listener.ttl().unwrap() > 0);
    /// # });
    /// ```
    pub fn ttl(&self) -> io::Result<u32> {
        self.io.get_ref().ttl()
    }

    /// Takes the pending `SO_ERROR`, if any.
    ///
    /// # Errors
    /// That of `getsockopt`.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let listener = guillotine::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// assert!(listener.take_error().unwrap().is_none());
    /// # });
    /// ```
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        SockRef::from(self.io.get_ref()).take_error()
    }
}

impl AsFd for TcpListener {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.io.get_ref().as_fd()
    }
}

impl AsRawFd for TcpListener {
    fn as_raw_fd(&self) -> RawFd {
        self.io.as_raw_fd()
    }
}

impl fmt::Debug for TcpListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpListener")
            .field("addr", &self.local_addr().ok())
            .field("fd", &self.as_raw_fd())
            .finish()
    }
}
