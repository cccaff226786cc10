//! [`UnixListener`].

use std::fmt;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::path::Path;
use std::task::{Context, Poll, ready};

use socket2::{Domain, SockAddr, SockRef, Socket, Type};

use super::{SocketAddr, UnixStream, to_sock_addr, to_std_addr};
use crate::io::registration::Registered;
use crate::runtime::driver::scheduled_io::{Direction, Ready};

/// A Unix-domain stream server.
///
/// ```
/// use guillotine::net::{UnixListener, UnixStream};
///
/// let dir = std::env::temp_dir().join(format!("guillotine-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// let path = dir.join("listener.sock");
/// # let _ = std::fs::remove_file(&path);
/// let rt = guillotine::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     let listener = UnixListener::bind(&path)?;
///     let _client = UnixStream::connect(&path).await?;
///     let (_server, peer) = listener.accept().await?;
///     assert!(peer.is_unnamed());
///     Ok::<_, std::io::Error>(())
/// }).unwrap();
/// # std::fs::remove_dir_all(&dir).unwrap();
/// ```
pub struct UnixListener {
    io: Registered<std::os::unix::net::UnixListener>,
}

impl UnixListener {
    /// Binds to `path` and listens. The path must not exist (remove a stale
    /// socket file first).
    ///
    /// # Errors
    /// `AddrInUse` if the path exists, `NotFound` if its directory does
    /// not, `InvalidInput` if it is longer than `sun_path` (107 bytes) or
    /// holds a NUL byte past the first (a leading one names an abstract
    /// socket), ...
    ///
    /// # Panics
    /// Outside a runtime.
    ///
    /// ```
    /// # let dir = std::env::temp_dir().join(format!("guillotine-doc-{}-{}", line!(), std::process::id()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let listener = guillotine::net::UnixListener::bind(dir.join("l.sock")).unwrap();
    /// assert!(listener.local_addr().unwrap().as_pathname().is_some());
    /// let again = guillotine::net::UnixListener::bind(dir.join("l.sock")).unwrap_err();
    /// assert_eq!(again.kind(), std::io::ErrorKind::AddrInUse);
    /// # });
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// ```
    #[track_caller]
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixListener> {
        UnixListener::bind_sock_addr(&super::path_addr(path.as_ref())?)
    }

    /// Binds to `addr` and listens: a path, or on Linux an abstract name
    /// (made with [`SocketAddrExt::from_abstract_name`](std::os::linux::net::SocketAddrExt::from_abstract_name)),
    /// which needs no file and goes away with the last socket. An unnamed
    /// address binds to an abstract name the kernel picks.
    ///
    /// # Errors
    /// `AddrInUse` if the path exists or the name is taken, `NotFound` if
    /// the path's directory does not exist, ...
    ///
    /// # Panics
    /// Outside a runtime.
    ///
    /// ```
    /// use std::os::linux::net::SocketAddrExt;
    /// use guillotine::net::unix::SocketAddr;
    /// use guillotine::net::{UnixListener, UnixStream};
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let name = format!("guillotine-doc-{}", std::process::id());
    /// let addr = SocketAddr::from_abstract_name(name.as_bytes()).unwrap();
    /// let listener = UnixListener::bind_addr(&addr).unwrap();
    /// let again = UnixListener::bind_addr(&addr).unwrap_err();
    /// assert_eq!(again.kind(), std::io::ErrorKind::AddrInUse);
    /// let _client = UnixStream::connect_addr(&addr).await.unwrap();
    /// let (_server, _) = listener.accept().await.unwrap();
    /// let local = listener.local_addr().unwrap();
    /// assert_eq!(local.as_abstract_name(), Some(name.as_bytes()));
    /// # });
    /// ```
    #[track_caller]
    pub fn bind_addr(addr: &SocketAddr) -> io::Result<UnixListener> {
        UnixListener::bind_sock_addr(&to_sock_addr(addr)?)
    }

    #[track_caller]
    fn bind_sock_addr(addr: &SockAddr) -> io::Result<UnixListener> {
        let socket = crate::net::new_socket(Domain::UNIX, Type::STREAM)?;
        socket.bind(addr)?;
        socket.listen(1024)?;
        UnixListener::register(socket.into())
    }

    #[track_caller]
    fn register(listener: std::os::unix::net::UnixListener) -> io::Result<UnixListener> {
        Ok(UnixListener {
            io: Registered::new(listener, Ready::EMPTY)?,
        })
    }

    /// Wraps a `std` listener: switched to non-blocking mode and registered
    /// with the current runtime.
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
    /// # let path = std::env::temp_dir().join(format!("guillotine-doc-fs-{}", std::process::id()));
    /// # let _ = std::fs::remove_file(&path);
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let std_listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
    /// let listener = guillotine::net::UnixListener::from_std(std_listener).unwrap();
    /// let _std_again = listener.into_std().unwrap();
    /// # });
    /// # std::fs::remove_file(&path).unwrap();
    /// ```
    #[track_caller]
    pub fn from_std(listener: std::os::unix::net::UnixListener) -> io::Result<UnixListener> {
        listener.set_nonblocking(true)?;
        UnixListener::register(listener)
    }

    /// Deregisters the listener and returns it as a `std` one, with its
    /// descriptor's flags as they were: still non-blocking, as in tokio,
    /// and close-on-exec unchanged. [`from_std`](UnixListener::from_std) takes it
    /// back.
    ///
    /// # Errors
    /// None today; the `Result` leaves room for one.
    ///
    /// ```
    /// # let dir = std::env::temp_dir().join(format!("guillotine-doc-{}-{}", line!(), std::process::id()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let listener = guillotine::net::UnixListener::bind(dir.join("l.sock")).unwrap();
    /// let std_listener = listener.into_std().unwrap();
    /// assert!(std_listener.local_addr().unwrap().as_pathname().is_some());
    /// # });
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// ```
    pub fn into_std(self) -> io::Result<std::os::unix::net::UnixListener> {
        Ok(self.io.into_inner())
    }

    /// Accepts a connection (non-blocking and close-on-exec from the start)
    /// and the peer's address, usually unnamed.
    ///
    /// # Errors
    /// That of `accept4`; see [`TcpListener::accept`](crate::net::TcpListener::accept)
    /// about `EMFILE`.
    ///
    /// ```
    /// # let dir = std::env::temp_dir().join(format!("guillotine-doc-{}-{}", line!(), std::process::id()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let listener = guillotine::net::UnixListener::bind(dir.join("l.sock")).unwrap();
    /// let client = guillotine::net::UnixStream::connect(dir.join("l.sock")).await.unwrap();
    /// let (server, peer) = listener.accept().await.unwrap();
    /// assert!(peer.is_unnamed());
    /// assert_eq!(server.peer_addr().unwrap().is_unnamed(), client.local_addr().unwrap().is_unnamed());
    /// # });
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// ```
    pub async fn accept(&self) -> io::Result<(UnixStream, SocketAddr)> {
        let (socket, addr) = self
            .io
            .async_io(Direction::Read, crate::net::accept)
            .await?;
        UnixListener::accepted(socket, &addr)
    }

    /// Polls for a new connection: `Pending` (the task is woken when one
    /// comes) while none is queued. As in tokio, only the waker of the
    /// latest call is kept.
    ///
    /// # Errors
    /// As for [`accept`](UnixListener::accept).
    ///
    /// ```
    /// use std::future::poll_fn;
    /// # let dir = std::env::temp_dir().join(format!("guillotine-doc-{}-{}", line!(), std::process::id()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let listener = guillotine::net::UnixListener::bind(dir.join("l.sock")).unwrap();
    /// let _client = guillotine::net::UnixStream::connect(dir.join("l.sock")).await.unwrap();
    /// let (_server, peer) = poll_fn(|cx| listener.poll_accept(cx)).await.unwrap();
    /// assert!(peer.is_unnamed());
    /// # });
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// ```
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(UnixStream, SocketAddr)>> {
        let (socket, addr) = ready!(self.io.poll_io(cx, Direction::Read, crate::net::accept))?;
        Poll::Ready(UnixListener::accepted(socket, &addr))
    }

    /// An accepted connection, registered.
    #[track_caller]
    fn accepted(socket: Socket, addr: &SockAddr) -> io::Result<(UnixStream, SocketAddr)> {
        let addr = to_std_addr(addr)?;
        Ok((UnixStream::register(socket.into(), Ready::WRITABLE)?, addr))
    }

    /// The address the listener is bound to.
    ///
    /// # Errors
    /// That of `getsockname`.
    ///
    /// ```
    /// # let path = std::env::temp_dir().join(format!("guillotine-doc-la-{}", std::process::id()));
    /// # let _ = std::fs::remove_file(&path);
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let listener = guillotine::net::UnixListener::bind(&path).unwrap();
    /// assert_eq!(listener.local_addr().unwrap().as_pathname(), Some(path.as_path()));
    /// # });
    /// # std::fs::remove_file(&path).unwrap();
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// Takes the pending `SO_ERROR`, if any.
    ///
    /// # Errors
    /// That of `getsockopt`.
    ///
    /// ```
    /// # let dir = std::env::temp_dir().join(format!("guillotine-doc-{}-{}", line!(), std::process::id()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let listener = guillotine::net::UnixListener::bind(dir.join("l.sock")).unwrap();
    /// assert!(listener.take_error().unwrap().is_none());
    /// # });
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// ```
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        SockRef::from(self.io.get_ref()).take_error()
    }
}

impl AsFd for UnixListener {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.io.get_ref().as_fd()
    }
}

impl AsRawFd for UnixListener {
    fn as_raw_fd(&self) -> RawFd {
        self.io.as_raw_fd()
    }
}

impl fmt::Debug for UnixListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnixListener")
            .field("addr", &self.local_addr().ok())
            .field("fd", &self.as_raw_fd())
            .finish()
    }
}
