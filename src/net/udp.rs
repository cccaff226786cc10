//! [`UdpSocket`].

use std::fmt;
use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::task::{Context, Poll};

use socket2::{Domain, SockAddr, SockRef, Type};

use super::addr::{ToSocketAddrs, each_addr, resolve};
use crate::io::Interest;
use crate::io::registration::Registered;
use crate::runtime::driver::scheduled_io::{Direction, Ready};

/// A UDP socket. All methods take `&self`, so one socket can be shared
/// (e.g. in an `Arc`) by a task that sends and one that receives; any
/// number of tasks may wait on it at once.
///
/// ```
/// use guillotine::net::UdpSocket;
///
/// let rt = guillotine::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     let a = UdpSocket::bind("127.0.0.1:0").await?;
///     let b = UdpSocket::bind("127.0.0.1:0").await?;
///     a.send_to(b"hello", b.local_addr()?).await?;
///     let mut buf = [0; 16];
///     let (n, from) = b.recv_from(&mut buf).await?;
///     assert_eq!((&buf[..n], from), (&b"hello"[..], a.local_addr()?));
///     Ok::<_, std::io::Error>(())
/// }).unwrap();
/// ```
pub struct UdpSocket {
    io: Registered<std::net::UdpSocket>,
}

impl UdpSocket {
    /// Binds to `addr` (a host name is resolved off the runtime thread).
    ///
    /// # Errors
    /// `AddrInUse`, `InvalidInput` for an address that does not parse, or
    /// another OS error.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let socket = guillotine::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    /// assert_ne!(socket.local_addr().unwrap().port(), 0);
    /// # });
    /// ```
    pub async fn bind<A: ToSocketAddrs>(addr: A) -> io::Result<UdpSocket> {
        each_addr(&addr, |addr| async move { UdpSocket::bind_addr(addr) }).await
    }

    fn bind_addr(addr: SocketAddr) -> io::Result<UdpSocket> {
        let socket = super::new_socket(Domain::for_address(addr), Type::DGRAM)?;
        socket.bind(&addr.into())?;
        UdpSocket::register(socket.into())
    }

    #[track_caller]
    fn register(socket: std::net::UdpSocket) -> io::Result<UdpSocket> {
        Ok(UdpSocket {
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
    /// let std_socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    /// let socket = guillotine::net::UdpSocket::from_std(std_socket).unwrap();
    /// assert!(socket.local_addr().is_ok());
    /// # });
    /// ```
    #[track_caller]
    pub fn from_std(socket: std::net::UdpSocket) -> io::Result<UdpSocket> {
        socket.set_nonblocking(true)?;
        UdpSocket::register(socket)
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
    /// let socket = guillotine::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    /// let _std: std::net::UdpSocket = socket.into_std().unwrap();
    /// # });
    /// ```
    pub fn into_std(self) -> io::Result<std::net::UdpSocket> {
        Ok(self.io.into_inner())
    }

    /// Sets the default destination for [`send`](UdpSocket::send) and the
    /// only source [`recv`](UdpSocket::recv) accepts.
    ///
    /// # Errors
    /// `InvalidInput` for an address that does not parse, or that of
    /// `connect(2)`.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let a = guillotine::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    /// let b = guillotine::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    /// a.connect(b.local_addr().unwrap()).await.unwrap();
    /// b.connect(a.local_addr().unwrap()).await.unwrap();
    /// a.send(b"hi").await.unwrap();
    /// let mut buf = [0; 2];
    /// assert_eq!(b.recv(&mut buf).await.unwrap(), 2);
    /// assert_eq!(a.peer_addr().unwrap(), b.local_addr().unwrap());
    /// # });
    /// ```
    pub async fn connect<A: ToSocketAddrs>(&self, addr: A) -> io::Result<()> {
        each_addr(&addr, |addr| async move { self.io.get_ref().connect(addr) }).await
    }

    /// Sends to the connected peer.
    ///
    /// # Errors
    /// That of `send(2)`: `ConnectionRefused` if an earlier datagram drew
    /// an ICMP "port unreachable", `NotConnected` without `connect`, ...
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let a = guillotine::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    /// let b = guillotine::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    /// a.connect(b.local_addr().unwrap()).await.unwrap();
    /// assert_eq!(a.send(b"hello").await.unwrap(), 5);
    /// # });
    /// ```
    pub async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.io
            .async_io(Direction::Write, |s| super::send(s, buf))
            .await
    }

    /// Receives from the connected peer.
    ///
    /// # Errors
    /// That of `recv(2)`, e.g. `ConnectionRefused` (see [`send`](UdpSocket::send)).
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let a = guillotine::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    /// let b = guillotine::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    /// b.connect(a.local_addr().unwrap()).await.unwrap();
    /// a.send_to(b"hi", b.local_addr().unwrap()).await.unwrap();
    /// let mut buf = [0; 8];
    /// assert_eq!(b.recv(&mut buf).await.unwrap(), 2);
    /// # });
    /// ```
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.async_io(Direction::Read, |s| s.recv(buf)).await
    }

    /// Sends to `target` (a host name is resolved off the runtime thread;
    /// its first address is used).
    ///
    /// # Errors
    /// `InvalidInput` for an address that does not parse, or that of
    /// `sendto(2)`.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let a = guillotine::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    /// let b = guillotine::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    /// assert_eq!(a.send_to(b"to b", b.local_addr().unwrap()).await.unwrap(), 4);
    /// // A host name works too (resolved off the runtime thread).
    /// let port = b.local_addr().unwrap().port();
    /// assert_eq!(a.send_to(b"to b", ("localhost", port)).await.unwrap(), 4);
    /// # });
    /// ```
    pub async fn send_to<A: ToSocketAddrs>(&self, buf: &[u8], target: A) -> io::Result<usize> {
        let target = SockAddr::from(resolve(&target).await?[0]);
        self.io
            .async_io(Direction::Write, |s| super::send_to(s, buf, &target))
            .await
    }

    /// Receives a datagram and its source address.
    ///
    /// # Errors
    /// That of `recvfrom(2)`.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let a = guillotine::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    /// let b = guillotine::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    /// a.send_to(b"from a", b.local_addr().unwrap()).await.unwrap();
    /// let mut buf = [0; 16];
    /// let (n, from) = b.recv_from(&mut buf).await.unwrap();
    /// assert_eq!((&buf[..n], from), (&b"from a"[..], a.local_addr().unwrap()));
    /// # });
    /// ```
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io
            .async_io(Direction::Read, |s| s.recv_from(buf))
            .await
    }

    /// Like [`recv_from`](UdpSocket::recv_from) but leaves the datagram queued.
    ///
    /// # Errors
    /// That of `recvfrom(MSG_PEEK)`.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let a = guillotine::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    /// a.send_to(b"x", a.local_addr().unwrap()).await.unwrap();
    /// let mut buf = [0; 1];
    /// assert_eq!(a.peek_from(&mut buf).await.unwrap().0, 1);
    /// assert_eq!(a.recv_from(&mut buf).await.unwrap().0, 1, "still queued");
    /// # });
    /// ```
    pub async fn peek_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io
            .async_io(Direction::Read, |s| s.peek_from(buf))
            .await
    }

    /// Receives without waiting: `WouldBlock` if nothing is queued.
    ///
    /// # Errors
    /// `WouldBlock`, or that of `recvfrom(2)`.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let a = guillotine::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    /// let err = a.try_recv_from(&mut [0; 8]).unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::WouldBlock);
    /// # });
    /// ```
    pub fn try_recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io.try_io(Direction::Read, |s| s.recv_from(buf))
    }

    /// Sends without waiting: `WouldBlock` if the send buffer is full.
    ///
    /// # Errors
    /// `WouldBlock`, or that of `sendto(2)`.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let a = guillotine::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    /// assert_eq!(a.try_send_to(b"x", a.local_addr().unwrap()).unwrap(), 1);
    /// # });
    /// ```
    pub fn try_send_to(&self, buf: &[u8], target: SocketAddr) -> io::Result<usize> {
        let target = SockAddr::from(target);
        self.io
            .try_io(Direction::Write, |s| super::send_to(s, buf, &target))
    }

    /// Waits until a datagram (or an error) may be received.
    ///
    /// # Errors
    /// If the runtime has shut down.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let a = guillotine::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    /// a.send_to(b"x", a.local_addr().unwrap()).await.unwrap();
    /// a.readable().await.unwrap();
    /// assert_eq!(a.try_recv_from(&mut [0; 4]).unwrap().0, 1);
    /// # });
    /// ```
    pub async fn readable(&self) -> io::Result<()> {
        self.io.readiness(Direction::Read).await.map(drop)
    }

    /// Waits until a datagram may be sent.
    ///
    /// # Errors
    /// If the runtime has shut down.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let a = guillotine::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    /// a.writable().await.unwrap();
    /// # });
    /// ```
    pub async fn writable(&self) -> io::Result<()> {
        self.io.readiness(Direction::Write).await.map(drop)
    }

    /// Waits for any readiness of `interest` and returns it, clearing
    /// nothing: pair it with the `try_*` methods (or
    /// [`try_io`](UdpSocket::try_io)), whose `WouldBlock` clears it.
    ///
    /// A pending error, such as the `ECONNREFUSED` a connected socket gets
    /// back from a closed port, is [`Ready::ERROR`] to a wait that includes
    /// [`Interest::ERROR`] ([`take_error`](UdpSocket::take_error) takes
    /// it), and shows as readable and writable to one without (the next
    /// receive or send returns it; tokio would keep waiting).
    ///
    /// # Errors
    /// If the runtime has shut down.
    ///
    /// ```
    /// use guillotine::io::Interest;
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let socket = guillotine::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    /// socket.send_to(b"me", socket.local_addr().unwrap()).await.unwrap();
    /// let ready = socket.ready(Interest::READABLE).await.unwrap();
    /// assert!(ready.is_readable());
    /// assert_eq!(socket.try_recv_from(&mut [0; 8]).unwrap().0, 2);
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
    /// let socket = guillotine::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    /// socket.send_to(b"me", socket.local_addr().unwrap()).await.unwrap();
    /// poll_fn(|cx| socket.poll_recv_ready(cx)).await.unwrap();
    /// assert_eq!(socket.try_recv_from(&mut [0; 8]).unwrap().0, 2);
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
    /// let socket = guillotine::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    /// poll_fn(|cx| socket.poll_send_ready(cx)).await.unwrap();
    /// let to = socket.local_addr().unwrap();
    /// assert_eq!(socket.try_send_to(b"x", to).unwrap(), 1);
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
    /// let socket = guillotine::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    /// let mut buf = [std::mem::MaybeUninit::new(0); 8];
    /// // Nothing arrived: the closure is not even called.
    /// let peeked = socket.try_io(Interest::READABLE, || socket2::SockRef::from(&socket).peek(&mut buf));
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
    /// let socket = guillotine::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    /// socket.send_to(b"me", socket.local_addr().unwrap()).await.unwrap();
    /// let mut buf = [std::mem::MaybeUninit::new(0); 8];
    /// let (n, _from) = socket
    ///     .async_io(Interest::READABLE, || socket2::SockRef::from(&socket).peek_from(&mut buf))
    ///     .await
    ///     .unwrap();
    /// assert_eq!(n, 2);
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
    /// let a = guillotine::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    /// let b = guillotine::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    /// assert!(a.local_addr().unwrap().ip().is_loopback());
    /// # drop(b);
    /// # });
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// The connected peer's address.
    ///
    /// # Errors
    /// `NotConnected` before [`connect`](UdpSocket::connect).
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let a = guillotine::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    /// let b = guillotine::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    /// assert!(a.peer_addr().is_err(), "not connected yet");
    /// a.connect(b.local_addr().unwrap()).await.unwrap();
    /// assert_eq!(a.peer_addr().unwrap(), b.local_addr().unwrap());
    /// # });
    /// ```
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().peer_addr()
    }

    /// Sets `SO_BROADCAST`: whether datagrams may go to a broadcast address.
    ///
    /// # Errors
    /// That of `setsockopt`.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let a = guillotine::net::UdpSocket::bind("0.0.0.0:0").await.unwrap();
    /// a.set_broadcast(true).unwrap();
    /// assert!(a.broadcast().unwrap());
    /// # });
    /// ```
    pub fn set_broadcast(&self, on: bool) -> io::Result<()> {
        self.io.get_ref().set_broadcast(on)
    }

    /// The `SO_BROADCAST` option.
    ///
    /// # Errors
    /// That of `getsockopt`.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let a = guillotine::net::UdpSocket::bind("0.0.0.0:0").await.unwrap();
    /// assert!(!a.broadcast().unwrap());
    /// # });
    /// ```
    pub fn broadcast(&self) -> io::Result<bool> {
        self.io.get_ref().broadcast()
    }

    /// Sets `IP_TTL`.
    ///
    /// # Errors
    /// That of `setsockopt`.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let a = guillotine::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    /// a.set_ttl(3).unwrap();
    /// assert_eq!(a.ttl().unwrap(), 3);
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
    /// let a = guillotine::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    /// assert!(a.ttl().unwrap() > 0);
    /// # });
    /// ```
    pub fn ttl(&self) -> io::Result<u32> {
        self.io.get_ref().ttl()
    }

    /// Joins the IPv4 multicast group `multiaddr` on the interface with
    /// address `interface` (`0.0.0.0`: the kernel chooses).
    ///
    /// # Errors
    /// That of `setsockopt(IP_ADD_MEMBERSHIP)`, e.g. `NoDevice`-style errors
    /// on a host without a multicast route.
    ///
    /// ```
    /// use std::net::Ipv4Addr;
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let a = guillotine::net::UdpSocket::bind("0.0.0.0:0").await.unwrap();
    /// let group = Ipv4Addr::new(239, 255, 0, 1);
    /// // Loopback always exists, so join there.
    /// a.join_multicast_v4(group, Ipv4Addr::LOCALHOST).unwrap();
    /// a.leave_multicast_v4(group, Ipv4Addr::LOCALHOST).unwrap();
    /// # });
    /// ```
    pub fn join_multicast_v4(&self, multiaddr: Ipv4Addr, interface: Ipv4Addr) -> io::Result<()> {
        self.io.get_ref().join_multicast_v4(&multiaddr, &interface)
    }

    /// Leaves an IPv4 multicast group.
    ///
    /// # Errors
    /// That of `setsockopt(IP_DROP_MEMBERSHIP)`.
    ///
    /// ```
    /// use std::net::Ipv4Addr;
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let a = guillotine::net::UdpSocket::bind("0.0.0.0:0").await.unwrap();
    /// let group = Ipv4Addr::new(239, 255, 0, 2);
    /// a.join_multicast_v4(group, Ipv4Addr::LOCALHOST).unwrap();
    /// a.leave_multicast_v4(group, Ipv4Addr::LOCALHOST).unwrap();
    /// assert!(a.leave_multicast_v4(group, Ipv4Addr::LOCALHOST).is_err(), "not a member any more");
    /// # });
    /// ```
    pub fn leave_multicast_v4(&self, multiaddr: Ipv4Addr, interface: Ipv4Addr) -> io::Result<()> {
        self.io.get_ref().leave_multicast_v4(&multiaddr, &interface)
    }

    /// Joins the IPv6 multicast group `multiaddr` on interface index
    /// `interface` (0: the kernel chooses).
    ///
    /// # Errors
    /// That of `setsockopt(IPV6_ADD_MEMBERSHIP)`.
    ///
    /// ```no_run
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let a = guillotine::net::UdpSocket::bind("[::]:0").await.unwrap();
    /// let group: std::net::Ipv6Addr = "ff02::1:3".parse().unwrap();
    /// a.join_multicast_v6(&group, 0).unwrap();
    /// # });
    /// ```
    pub fn join_multicast_v6(&self, multiaddr: &Ipv6Addr, interface: u32) -> io::Result<()> {
        self.io.get_ref().join_multicast_v6(multiaddr, interface)
    }

    /// Leaves an IPv6 multicast group.
    ///
    /// # Errors
    /// That of `setsockopt(IPV6_DROP_MEMBERSHIP)`.
    ///
    /// ```no_run
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let a = guillotine::net::UdpSocket::bind("[::]:0").await.unwrap();
    /// let group: std::net::Ipv6Addr = "ff02::1:3".parse().unwrap();
    /// a.join_multicast_v6(&group, 0).unwrap();
    /// a.leave_multicast_v6(&group, 0).unwrap();
    /// # });
    /// ```
    pub fn leave_multicast_v6(&self, multiaddr: &Ipv6Addr, interface: u32) -> io::Result<()> {
        self.io.get_ref().leave_multicast_v6(multiaddr, interface)
    }

    /// Sets `IP_MULTICAST_LOOP`: whether our own multicast datagrams come
    /// back to us.
    ///
    /// # Errors
    /// That of `setsockopt`.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let a = guillotine::net::UdpSocket::bind("0.0.0.0:0").await.unwrap();
    /// a.set_multicast_loop_v4(false).unwrap();
    /// assert!(!a.multicast_loop_v4().unwrap());
    /// # });
    /// ```
    pub fn set_multicast_loop_v4(&self, on: bool) -> io::Result<()> {
        self.io.get_ref().set_multicast_loop_v4(on)
    }

    /// The `IP_MULTICAST_LOOP` option.
    ///
    /// # Errors
    /// That of `getsockopt`.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let a = guillotine::net::UdpSocket::bind("0.0.0.0:0").await.unwrap();
    /// assert!(a.multicast_loop_v4().unwrap(), "on by default");
    /// # });
    /// ```
    pub fn multicast_loop_v4(&self) -> io::Result<bool> {
        self.io.get_ref().multicast_loop_v4()
    }

    /// Takes the pending `SO_ERROR` (e.g. an ICMP error), if any.
    ///
    /// # Errors
    /// That of `getsockopt`.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let a = guillotine::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    /// assert!(a.take_error().unwrap().is_none());
    /// # });
    /// ```
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        SockRef::from(self.io.get_ref()).take_error()
    }
}

impl AsFd for UdpSocket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.io.get_ref().as_fd()
    }
}

impl AsRawFd for UdpSocket {
    fn as_raw_fd(&self) -> RawFd {
        self.io.as_raw_fd()
    }
}

impl fmt::Debug for UdpSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UdpSocket")
            .field("local", &self.local_addr().ok())
            .field("fd", &self.as_raw_fd())
            .finish()
    }
}
