//! [`UnixDatagram`].

use std::fmt;
use std::io;
use std::net::Shutdown;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::path::Path;
use std::task::{Context, Poll};

use socket2::{Domain, SockRef, Type};

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
    /// `AddrInUse` if the path exists, `InvalidInput` for a path too long
    /// for `sun_path` or with a NUL byte past the first, ...
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
        socket.bind(&super::path_addr(path.as_ref())?)?;
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
    /// That of `sendto(2)`, e.g. `NotFound` or `ConnectionRefused`;
    /// `InvalidInput` for a path too long or with a NUL byte past the first.
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
        let target = super::path_addr(path.as_ref())?;
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

    /// Waits until a datagram (or an error) may be received.
    ///
    /// # Errors
    /// If the runtime has shut down.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let (a, b) = guillotine::net::UnixDatagram::pair().unwrap();
    /// a.send(b"x").await.unwrap();
    /// b.readable().await.unwrap();
    /// assert_eq!(b.try_recv(&mut [0; 4]).unwrap(), 1);
    /// # });
    /// ```
    pub async fn readable(&self) -> io::Result<()> {
        self.io.readiness(Direction::Read).await.map(drop)
    }

    /// Waits until a datagram may be sent (the peer's queue has room).
    ///
    /// # Errors
    /// If the runtime has shut down.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let (a, _b) = guillotine::net::UnixDatagram::pair().unwrap();
    /// a.writable().await.unwrap();
    /// assert_eq!(a.try_send(b"x").unwrap(), 1);
    /// # });
    /// ```
    pub async fn writable(&self) -> io::Result<()> {
        self.io.readiness(Direction::Write).await.map(drop)
    }

    /// Sends to the connected peer without waiting: `WouldBlock` if the
    /// peer's queue is full (then [`writable`](UnixDatagram::writable)
    /// waits).
    ///
    /// # Errors
    /// `WouldBlock`, or that of `send(2)`: `ENOTCONN` without
    /// [`connect`](UnixDatagram::connect), `ConnectionRefused` once the
    /// peer is closed.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let (a, _b) = guillotine::net::UnixDatagram::pair().unwrap();
    /// assert_eq!(a.try_send(b"now").unwrap(), 3);
    /// let lone = guillotine::net::UnixDatagram::unbound().unwrap();
    /// assert_eq!(lone.try_send(b"x").unwrap_err().raw_os_error(), Some(libc::ENOTCONN));
    /// # });
    /// ```
    pub fn try_send(&self, buf: &[u8]) -> io::Result<usize> {
        self.io
            .try_io(Direction::Write, |s| crate::net::send(s, buf))
    }

    /// Sends to the socket at `target` without waiting: `WouldBlock` if its
    /// queue is full.
    ///
    /// # Errors
    /// `WouldBlock`, or that of `sendto(2)`, e.g. `NotFound`.
    ///
    /// ```
    /// # let dir = std::env::temp_dir().join(format!("guillotine-doc-{}-{}", line!(), std::process::id()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let server = guillotine::net::UnixDatagram::bind(dir.join("s")).unwrap();
    /// let client = guillotine::net::UnixDatagram::unbound().unwrap();
    /// assert_eq!(client.try_send_to(b"hey", dir.join("s")).unwrap(), 3);
    /// let err = client.try_send_to(b"hey", dir.join("nobody")).unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
    /// # drop(server);
    /// # });
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// ```
    pub fn try_send_to<P: AsRef<Path>>(&self, buf: &[u8], target: P) -> io::Result<usize> {
        let target = super::path_addr(target.as_ref())?;
        self.io
            .try_io(Direction::Write, |s| crate::net::send_to(s, buf, &target))
    }

    /// Receives without waiting: `WouldBlock` if nothing is queued (then
    /// [`readable`](UnixDatagram::readable) waits).
    ///
    /// # Errors
    /// `WouldBlock`, or that of `recv(2)`.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let (a, b) = guillotine::net::UnixDatagram::pair().unwrap();
    /// let mut buf = [0; 4];
    /// assert_eq!(b.try_recv(&mut buf).unwrap_err().kind(), std::io::ErrorKind::WouldBlock);
    /// a.send(b"ping").await.unwrap();
    /// b.readable().await.unwrap();
    /// assert_eq!(b.try_recv(&mut buf).unwrap(), 4);
    /// # });
    /// ```
    pub fn try_recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.try_io(Direction::Read, |s| s.recv(buf))
    }

    /// Receives a datagram and its source address without waiting:
    /// `WouldBlock` if nothing is queued.
    ///
    /// # Errors
    /// `WouldBlock`, or that of `recvfrom(2)`.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let (a, b) = guillotine::net::UnixDatagram::pair().unwrap();
    /// assert_eq!(b.try_recv_from(&mut [0; 4]).unwrap_err().kind(), std::io::ErrorKind::WouldBlock);
    /// a.send(b"ping").await.unwrap();
    /// b.readable().await.unwrap();
    /// let (n, from) = b.try_recv_from(&mut [0; 4]).unwrap();
    /// assert_eq!((n, from.is_unnamed()), (4, true));
    /// # });
    /// ```
    pub fn try_recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io.try_io(Direction::Read, |s| s.recv_from(buf))
    }

    /// Sends to the connected peer if its queue has room now; otherwise
    /// returns `Pending` and wakes `cx`'s task when it may. Of the
    /// `poll_send*` calls, only the latest one's waker is kept (use
    /// [`send`](UnixDatagram::send) to wait from several tasks).
    ///
    /// # Errors
    /// That of `send(2)` (never `WouldBlock`), e.g. `ENOTCONN`.
    ///
    /// ```
    /// use std::future::poll_fn;
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let (a, _b) = guillotine::net::UnixDatagram::pair().unwrap();
    /// assert_eq!(poll_fn(|cx| a.poll_send(cx, b"hi")).await.unwrap(), 2);
    /// # });
    /// ```
    pub fn poll_send(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.io
            .poll_io(cx, Direction::Write, |s| crate::net::send(s, buf))
    }

    /// Receives a datagram into `buf` if one is queued; otherwise returns
    /// `Pending` and wakes `cx`'s task when one may be. Returns its length
    /// (a longer datagram is truncated to `buf`). Takes a `&mut [u8]` where
    /// tokio's takes a `ReadBuf`. Of the `poll_recv*`/`poll_peek*` calls,
    /// only the latest one's waker is kept.
    ///
    /// # Errors
    /// That of `recv(2)` (never `WouldBlock`).
    ///
    /// ```
    /// use std::future::poll_fn;
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let (a, b) = guillotine::net::UnixDatagram::pair().unwrap();
    /// a.send(b"polled").await.unwrap();
    /// let mut buf = [0; 8];
    /// let n = poll_fn(|cx| b.poll_recv(cx, &mut buf)).await.unwrap();
    /// assert_eq!(&buf[..n], b"polled");
    /// # });
    /// ```
    pub fn poll_recv(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.io.poll_io(cx, Direction::Read, |s| s.recv(buf))
    }

    /// [`poll_send`](UnixDatagram::poll_send) to the socket at `target`.
    ///
    /// # Errors
    /// That of `sendto(2)` (never `WouldBlock`), e.g. `NotFound`.
    ///
    /// ```
    /// use std::future::poll_fn;
    /// # let dir = std::env::temp_dir().join(format!("guillotine-doc-{}-{}", line!(), std::process::id()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let server = guillotine::net::UnixDatagram::bind(dir.join("s")).unwrap();
    /// let client = guillotine::net::UnixDatagram::unbound().unwrap();
    /// let path = dir.join("s");
    /// assert_eq!(poll_fn(|cx| client.poll_send_to(cx, b"hey", &path)).await.unwrap(), 3);
    /// # drop(server);
    /// # });
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// ```
    pub fn poll_send_to<P: AsRef<Path>>(
        &self,
        cx: &mut Context<'_>,
        buf: &[u8],
        target: P,
    ) -> Poll<io::Result<usize>> {
        let target = super::path_addr(target.as_ref())?;
        self.io.poll_io(cx, Direction::Write, |s| {
            crate::net::send_to(s, buf, &target)
        })
    }

    /// [`poll_recv`](UnixDatagram::poll_recv) with the source address
    /// (tokio's returns the address and fills a `ReadBuf`).
    ///
    /// # Errors
    /// That of `recvfrom(2)` (never `WouldBlock`).
    ///
    /// ```
    /// use std::future::poll_fn;
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let (a, b) = guillotine::net::UnixDatagram::pair().unwrap();
    /// a.send(b"who").await.unwrap();
    /// let mut buf = [0; 8];
    /// let (n, from) = poll_fn(|cx| b.poll_recv_from(cx, &mut buf)).await.unwrap();
    /// assert_eq!((&buf[..n], from.is_unnamed()), (&b"who"[..], true));
    /// # });
    /// ```
    pub fn poll_recv_from(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<(usize, SocketAddr)>> {
        self.io.poll_io(cx, Direction::Read, |s| s.recv_from(buf))
    }

    /// [`poll_recv`](UnixDatagram::poll_recv) that leaves the datagram
    /// queued (not in tokio).
    ///
    /// # Errors
    /// That of `recv(MSG_PEEK)` (never `WouldBlock`).
    ///
    /// ```
    /// use std::future::poll_fn;
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let (a, b) = guillotine::net::UnixDatagram::pair().unwrap();
    /// a.send(b"x").await.unwrap();
    /// let mut buf = [0; 1];
    /// assert_eq!(poll_fn(|cx| b.poll_peek(cx, &mut buf)).await.unwrap(), 1);
    /// assert_eq!(b.recv(&mut buf).await.unwrap(), 1, "still queued");
    /// # });
    /// ```
    pub fn poll_peek(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.io
            .poll_io(cx, Direction::Read, |s| crate::net::peek(s, buf))
    }

    /// [`poll_recv_from`](UnixDatagram::poll_recv_from) that leaves the
    /// datagram queued (not in tokio).
    ///
    /// # Errors
    /// That of `recvfrom(MSG_PEEK)` (never `WouldBlock`).
    ///
    /// ```
    /// use std::future::poll_fn;
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let (a, b) = guillotine::net::UnixDatagram::pair().unwrap();
    /// a.send(b"x").await.unwrap();
    /// let mut buf = [0; 1];
    /// let (n, from) = poll_fn(|cx| b.poll_peek_from(cx, &mut buf)).await.unwrap();
    /// assert_eq!((n, from.is_unnamed()), (1, true));
    /// # });
    /// ```
    pub fn poll_peek_from(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<(usize, SocketAddr)>> {
        self.io.poll_io(cx, Direction::Read, |s| peek_from(s, buf))
    }

    /// The source address of the next queued datagram, which stays queued;
    /// otherwise `Pending`, and `cx`'s task is woken when one may be there
    /// (not in tokio).
    ///
    /// # Errors
    /// That of `recvfrom(MSG_PEEK)` (never `WouldBlock`).
    ///
    /// ```
    /// use std::future::poll_fn;
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let (a, b) = guillotine::net::UnixDatagram::pair().unwrap();
    /// a.send(b"x").await.unwrap();
    /// assert!(poll_fn(|cx| b.poll_peek_sender(cx)).await.unwrap().is_unnamed());
    /// # });
    /// ```
    pub fn poll_peek_sender(&self, cx: &mut Context<'_>) -> Poll<io::Result<SocketAddr>> {
        self.io.poll_io(cx, Direction::Read, peek_sender)
    }

    /// Receives without removing the datagram from the queue; waits for
    /// one (not in tokio).
    ///
    /// # Errors
    /// That of `recv(MSG_PEEK)`.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let (a, b) = guillotine::net::UnixDatagram::pair().unwrap();
    /// a.send(b"twice").await.unwrap();
    /// let mut buf = [0; 8];
    /// assert_eq!(b.peek(&mut buf).await.unwrap(), 5);
    /// assert_eq!(b.recv(&mut buf).await.unwrap(), 5, "still queued");
    /// # });
    /// ```
    pub async fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io
            .async_io(Direction::Read, |s| crate::net::peek(s, buf))
            .await
    }

    /// [`recv_from`](UnixDatagram::recv_from) without removing the
    /// datagram from the queue (not in tokio).
    ///
    /// # Errors
    /// That of `recvfrom(MSG_PEEK)`.
    ///
    /// ```
    /// # let dir = std::env::temp_dir().join(format!("guillotine-doc-{}-{}", line!(), std::process::id()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let server = guillotine::net::UnixDatagram::bind(dir.join("s")).unwrap();
    /// let client = guillotine::net::UnixDatagram::bind(dir.join("c")).unwrap();
    /// client.send_to(b"hey", dir.join("s")).await.unwrap();
    /// let (n, from) = server.peek_from(&mut [0; 8]).await.unwrap();
    /// assert_eq!((n, from.as_pathname()), (3, Some(dir.join("c").as_path())));
    /// assert_eq!(server.recv(&mut [0; 8]).await.unwrap(), 3, "still queued");
    /// # });
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// ```
    pub async fn peek_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io
            .async_io(Direction::Read, |s| peek_from(s, buf))
            .await
    }

    /// Like [`try_recv`](UnixDatagram::try_recv) but leaves the datagram
    /// queued (not in tokio).
    ///
    /// # Errors
    /// `WouldBlock`, or that of `recv(MSG_PEEK)`.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let (a, b) = guillotine::net::UnixDatagram::pair().unwrap();
    /// let mut buf = [0; 4];
    /// assert_eq!(b.try_peek(&mut buf).unwrap_err().kind(), std::io::ErrorKind::WouldBlock);
    /// a.send(b"ping").await.unwrap();
    /// b.readable().await.unwrap();
    /// assert_eq!(b.try_peek(&mut buf).unwrap(), 4);
    /// assert_eq!(b.try_recv(&mut buf).unwrap(), 4, "still queued");
    /// # });
    /// ```
    pub fn try_peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io
            .try_io(Direction::Read, |s| crate::net::peek(s, buf))
    }

    /// Like [`try_recv_from`](UnixDatagram::try_recv_from) but leaves the
    /// datagram queued (not in tokio).
    ///
    /// # Errors
    /// `WouldBlock`, or that of `recvfrom(MSG_PEEK)`.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let (a, b) = guillotine::net::UnixDatagram::pair().unwrap();
    /// a.send(b"ping").await.unwrap();
    /// b.readable().await.unwrap();
    /// let (n, from) = b.try_peek_from(&mut [0; 8]).unwrap();
    /// assert_eq!((n, from.is_unnamed()), (4, true));
    /// # });
    /// ```
    pub fn try_peek_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io.try_io(Direction::Read, |s| peek_from(s, buf))
    }

    /// The source address of the next datagram, which stays queued; waits
    /// for one (not in tokio).
    ///
    /// # Errors
    /// That of `recvfrom(MSG_PEEK)`.
    ///
    /// ```
    /// # let dir = std::env::temp_dir().join(format!("guillotine-doc-{}-{}", line!(), std::process::id()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let server = guillotine::net::UnixDatagram::bind(dir.join("s")).unwrap();
    /// let client = guillotine::net::UnixDatagram::bind(dir.join("c")).unwrap();
    /// client.send_to(b"who?", dir.join("s")).await.unwrap();
    /// let from = server.peek_sender().await.unwrap();
    /// assert_eq!(from.as_pathname(), Some(dir.join("c").as_path()));
    /// # });
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// ```
    pub async fn peek_sender(&self) -> io::Result<SocketAddr> {
        self.io.async_io(Direction::Read, peek_sender).await
    }

    /// Like [`peek_sender`](UnixDatagram::peek_sender) without waiting:
    /// `WouldBlock` if nothing is queued (not in tokio).
    ///
    /// # Errors
    /// `WouldBlock`, or that of `recvfrom(MSG_PEEK)`.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let (_a, b) = guillotine::net::UnixDatagram::pair().unwrap();
    /// let err = b.try_peek_sender().unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::WouldBlock);
    /// # });
    /// ```
    pub fn try_peek_sender(&self) -> io::Result<SocketAddr> {
        self.io.try_io(Direction::Read, peek_sender)
    }

    /// Receives a datagram into `buf`'s spare capacity (a `Vec<u8>` or
    /// `BytesMut`; uninitialised memory is fine), advancing it; waits for
    /// one. A datagram longer than the spare capacity (`chunk_mut`, at
    /// least 64 bytes for a full `Vec`) is truncated. Needs the `bytes`
    /// feature.
    ///
    /// # Errors
    /// That of `recv(2)`.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let (a, b) = guillotine::net::UnixDatagram::pair().unwrap();
    /// a.send(b"into a vec").await.unwrap();
    /// let mut buf = Vec::with_capacity(64);
    /// assert_eq!(b.recv_buf(&mut buf).await.unwrap(), 10);
    /// assert_eq!(buf, b"into a vec");
    /// # });
    /// ```
    #[cfg(feature = "bytes")]
    pub async fn recv_buf<B: bytes::BufMut>(&self, buf: &mut B) -> io::Result<usize> {
        self.io
            .async_io(Direction::Read, |s| recv_buf(s, buf))
            .await
    }

    /// Like [`recv_buf`](UnixDatagram::recv_buf) without waiting:
    /// `WouldBlock` if nothing is queued. Needs the `bytes` feature.
    ///
    /// # Errors
    /// `WouldBlock`, or that of `recv(2)`.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let (a, b) = guillotine::net::UnixDatagram::pair().unwrap();
    /// let mut buf = Vec::with_capacity(64);
    /// let err = b.try_recv_buf(&mut buf).unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::WouldBlock);
    /// a.send(b"now").await.unwrap();
    /// b.readable().await.unwrap();
    /// assert_eq!(b.try_recv_buf(&mut buf).unwrap(), 3);
    /// assert_eq!(buf, b"now");
    /// # });
    /// ```
    #[cfg(feature = "bytes")]
    pub fn try_recv_buf<B: bytes::BufMut>(&self, buf: &mut B) -> io::Result<usize> {
        self.io.try_io(Direction::Read, |s| recv_buf(s, buf))
    }

    /// Like [`recv_buf`](UnixDatagram::recv_buf), with the source address.
    /// Needs the `bytes` feature.
    ///
    /// # Errors
    /// That of `recvfrom(2)`.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let (a, b) = guillotine::net::UnixDatagram::pair().unwrap();
    /// a.send(b"hello").await.unwrap();
    /// let mut buf = Vec::with_capacity(64);
    /// let (n, from) = b.recv_buf_from(&mut buf).await.unwrap();
    /// assert_eq!((n, from.is_unnamed(), &buf[..]), (5, true, &b"hello"[..]));
    /// # });
    /// ```
    #[cfg(feature = "bytes")]
    pub async fn recv_buf_from<B: bytes::BufMut>(
        &self,
        buf: &mut B,
    ) -> io::Result<(usize, SocketAddr)> {
        self.io
            .async_io(Direction::Read, |s| recv_buf_from(s, buf))
            .await
    }

    /// Like [`recv_buf_from`](UnixDatagram::recv_buf_from) without waiting:
    /// `WouldBlock` if nothing is queued. Needs the `bytes` feature.
    ///
    /// # Errors
    /// `WouldBlock`, or that of `recvfrom(2)`.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let (a, b) = guillotine::net::UnixDatagram::pair().unwrap();
    /// let mut buf = Vec::with_capacity(64);
    /// let err = b.try_recv_buf_from(&mut buf).unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::WouldBlock);
    /// a.send(b"me").await.unwrap();
    /// b.readable().await.unwrap();
    /// assert_eq!(b.try_recv_buf_from(&mut buf).unwrap().0, 2);
    /// # });
    /// ```
    #[cfg(feature = "bytes")]
    pub fn try_recv_buf_from<B: bytes::BufMut>(
        &self,
        buf: &mut B,
    ) -> io::Result<(usize, SocketAddr)> {
        self.io.try_io(Direction::Read, |s| recv_buf_from(s, buf))
    }
}

type StdDatagram = std::os::unix::net::UnixDatagram;

/// `recvfrom(MSG_PEEK)`, with `std`'s address.
fn peek_from(socket: &StdDatagram, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
    let (n, _, from) = rustix::net::recvfrom(socket, buf, rustix::net::RecvFlags::PEEK)?;
    Ok((n, super::from_rustix_addr(from)?))
}

/// The source address of the next queued datagram (it stays queued).
fn peek_sender(socket: &StdDatagram) -> io::Result<SocketAddr> {
    super::to_std_addr(&SockRef::from(socket).peek_sender()?)
}

/// `recv(2)` into `buf`'s spare capacity.
#[cfg(feature = "bytes")]
fn recv_buf<B: bytes::BufMut>(socket: &StdDatagram, buf: &mut B) -> io::Result<usize> {
    let recv = |spare: &mut _| SockRef::from(socket).recv(spare).map(|n| (n, ()));
    crate::net::recv_into_buf(buf, recv).map(|(n, ())| n)
}

/// `recvfrom(2)` into `buf`'s spare capacity, with `std`'s address.
#[cfg(feature = "bytes")]
fn recv_buf_from<B: bytes::BufMut>(
    socket: &StdDatagram,
    buf: &mut B,
) -> io::Result<(usize, SocketAddr)> {
    crate::net::recv_into_buf(buf, |spare| {
        let (n, from) = SockRef::from(socket).recv_from(spare)?;
        Ok((n, super::to_std_addr(&from)?))
    })
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
