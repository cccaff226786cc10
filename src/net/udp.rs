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

    /// Sends to the connected peer if the socket can take the datagram now;
    /// otherwise returns `Pending` and wakes `cx`'s task when it may. Of
    /// the `poll_send*` calls, only the latest one's waker is kept (use
    /// [`send`](UdpSocket::send) to wait from several tasks).
    ///
    /// # Errors
    /// That of `send(2)` (never `WouldBlock`): `EDESTADDRREQ` without
    /// [`connect`](UdpSocket::connect), `ConnectionRefused` after an ICMP
    /// "port unreachable", ...
    ///
    /// ```
    /// use std::future::poll_fn;
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let a = guillotine::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    /// let b = guillotine::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    /// a.connect(b.local_addr().unwrap()).await.unwrap();
    /// assert_eq!(poll_fn(|cx| a.poll_send(cx, b"hi")).await.unwrap(), 2);
    /// # });
    /// ```
    pub fn poll_send(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.io
            .poll_io(cx, Direction::Write, |s| super::send(s, buf))
    }

    /// Receives a datagram from the connected peer into `buf` if one is
    /// queued; otherwise returns `Pending` and wakes `cx`'s task when one
    /// may be. Returns its length (a longer datagram is truncated to
    /// `buf`). Takes a `&mut [u8]` where tokio's takes a `ReadBuf`. Of the
    /// `poll_recv*`/`poll_peek*` calls, only the latest one's waker is kept.
    ///
    /// # Errors
    /// That of `recv(2)` (never `WouldBlock`), e.g. `ConnectionRefused`.
    ///
    /// ```
    /// use std::future::poll_fn;
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let a = guillotine::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    /// a.connect(a.local_addr().unwrap()).await.unwrap();
    /// a.send(b"self").await.unwrap();
    /// let mut buf = [0; 8];
    /// let n = poll_fn(|cx| a.poll_recv(cx, &mut buf)).await.unwrap();
    /// assert_eq!(&buf[..n], b"self");
    /// # });
    /// ```
    pub fn poll_recv(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.io.poll_io(cx, Direction::Read, |s| s.recv(buf))
    }

    /// [`poll_send`](UdpSocket::poll_send) to `target`.
    ///
    /// # Errors
    /// That of `sendto(2)` (never `WouldBlock`).
    ///
    /// ```
    /// use std::future::poll_fn;
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let a = guillotine::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    /// let b = guillotine::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    /// let to = b.local_addr().unwrap();
    /// assert_eq!(poll_fn(|cx| a.poll_send_to(cx, b"hey", to)).await.unwrap(), 3);
    /// # });
    /// ```
    pub fn poll_send_to(
        &self,
        cx: &mut Context<'_>,
        buf: &[u8],
        target: SocketAddr,
    ) -> Poll<io::Result<usize>> {
        let target = SockAddr::from(target);
        self.io
            .poll_io(cx, Direction::Write, |s| super::send_to(s, buf, &target))
    }

    /// [`poll_recv`](UdpSocket::poll_recv) from anyone: the length and the
    /// source address (tokio's returns the address and fills a `ReadBuf`).
    ///
    /// # Errors
    /// That of `recvfrom(2)` (never `WouldBlock`).
    ///
    /// ```
    /// use std::future::poll_fn;
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let a = guillotine::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    /// let b = guillotine::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    /// a.send_to(b"from a", b.local_addr().unwrap()).await.unwrap();
    /// let mut buf = [0; 8];
    /// let (n, from) = poll_fn(|cx| b.poll_recv_from(cx, &mut buf)).await.unwrap();
    /// assert_eq!((&buf[..n], from), (&b"from a"[..], a.local_addr().unwrap()));
    /// # });
    /// ```
    pub fn poll_recv_from(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<(usize, SocketAddr)>> {
        self.io.poll_io(cx, Direction::Read, |s| s.recv_from(buf))
    }

    /// [`poll_recv`](UdpSocket::poll_recv) that leaves the datagram queued.
    ///
    /// # Errors
    /// That of `recv(MSG_PEEK)` (never `WouldBlock`).
    ///
    /// ```
    /// use std::future::poll_fn;
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let a = guillotine::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    /// a.send_to(b"x", a.local_addr().unwrap()).await.unwrap();
    /// let mut buf = [0; 1];
    /// assert_eq!(poll_fn(|cx| a.poll_peek(cx, &mut buf)).await.unwrap(), 1);
    /// assert_eq!(a.recv(&mut buf).await.unwrap(), 1, "still queued");
    /// # });
    /// ```
    pub fn poll_peek(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.io.poll_io(cx, Direction::Read, |s| s.peek(buf))
    }

    /// [`poll_recv_from`](UdpSocket::poll_recv_from) that leaves the
    /// datagram queued.
    ///
    /// # Errors
    /// That of `recvfrom(MSG_PEEK)` (never `WouldBlock`).
    ///
    /// ```
    /// use std::future::poll_fn;
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let a = guillotine::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    /// a.send_to(b"x", a.local_addr().unwrap()).await.unwrap();
    /// let mut buf = [0; 1];
    /// let (n, from) = poll_fn(|cx| a.poll_peek_from(cx, &mut buf)).await.unwrap();
    /// assert_eq!((n, from), (1, a.local_addr().unwrap()));
    /// # });
    /// ```
    pub fn poll_peek_from(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<(usize, SocketAddr)>> {
        self.io.poll_io(cx, Direction::Read, |s| s.peek_from(buf))
    }

    /// The source address of the next queued datagram, which stays queued;
    /// otherwise `Pending`, and `cx`'s task is woken when one may be there.
    ///
    /// # Errors
    /// That of `recvfrom(MSG_PEEK)` (never `WouldBlock`).
    ///
    /// ```
    /// use std::future::poll_fn;
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let a = guillotine::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    /// let b = guillotine::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    /// a.send_to(b"x", b.local_addr().unwrap()).await.unwrap();
    /// let from = poll_fn(|cx| b.poll_peek_sender(cx)).await.unwrap();
    /// assert_eq!(from, a.local_addr().unwrap());
    /// # });
    /// ```
    pub fn poll_peek_sender(&self, cx: &mut Context<'_>) -> Poll<io::Result<SocketAddr>> {
        self.io.poll_io(cx, Direction::Read, peek_sender)
    }

    /// Sends to the connected peer without waiting: `WouldBlock` if the
    /// send buffer is full (then [`writable`](UdpSocket::writable) waits).
    ///
    /// # Errors
    /// `WouldBlock`, or that of `send(2)` (`EDESTADDRREQ` without
    /// [`connect`](UdpSocket::connect)).
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let a = guillotine::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    /// let err = a.try_send(b"x").unwrap_err();
    /// assert_eq!(err.raw_os_error(), Some(libc::EDESTADDRREQ), "not connected");
    /// a.connect(a.local_addr().unwrap()).await.unwrap();
    /// assert_eq!(a.try_send(b"x").unwrap(), 1);
    /// # });
    /// ```
    pub fn try_send(&self, buf: &[u8]) -> io::Result<usize> {
        self.io.try_io(Direction::Write, |s| super::send(s, buf))
    }

    /// Receives from the connected peer without waiting: `WouldBlock` if
    /// nothing is queued (then [`readable`](UdpSocket::readable) waits).
    ///
    /// # Errors
    /// `WouldBlock`, or that of `recv(2)`.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let a = guillotine::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    /// a.connect(a.local_addr().unwrap()).await.unwrap();
    /// let mut buf = [0; 4];
    /// assert_eq!(a.try_recv(&mut buf).unwrap_err().kind(), std::io::ErrorKind::WouldBlock);
    /// a.send(b"ping").await.unwrap();
    /// a.readable().await.unwrap();
    /// assert_eq!(a.try_recv(&mut buf).unwrap(), 4);
    /// # });
    /// ```
    pub fn try_recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.try_io(Direction::Read, |s| s.recv(buf))
    }

    /// Like [`try_recv`](UdpSocket::try_recv) but leaves the datagram queued.
    ///
    /// # Errors
    /// `WouldBlock`, or that of `recv(MSG_PEEK)`.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let a = guillotine::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    /// a.send_to(b"ping", a.local_addr().unwrap()).await.unwrap();
    /// a.readable().await.unwrap();
    /// let mut buf = [0; 4];
    /// assert_eq!(a.try_peek(&mut buf).unwrap(), 4);
    /// assert_eq!(a.try_recv(&mut buf).unwrap(), 4, "still queued");
    /// # });
    /// ```
    pub fn try_peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.try_io(Direction::Read, |s| s.peek(buf))
    }

    /// Like [`try_recv_from`](UdpSocket::try_recv_from) but leaves the
    /// datagram queued.
    ///
    /// # Errors
    /// `WouldBlock`, or that of `recvfrom(MSG_PEEK)`.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let a = guillotine::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    /// a.send_to(b"ping", a.local_addr().unwrap()).await.unwrap();
    /// a.readable().await.unwrap();
    /// let (n, from) = a.try_peek_from(&mut [0; 8]).unwrap();
    /// assert_eq!((n, from), (4, a.local_addr().unwrap()));
    /// # });
    /// ```
    pub fn try_peek_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io.try_io(Direction::Read, |s| s.peek_from(buf))
    }

    /// Receives from the connected peer without removing the datagram from
    /// the queue; waits for one.
    ///
    /// # Errors
    /// That of `recv(MSG_PEEK)`.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let a = guillotine::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    /// a.connect(a.local_addr().unwrap()).await.unwrap();
    /// a.send(b"twice").await.unwrap();
    /// let mut buf = [0; 8];
    /// assert_eq!(a.peek(&mut buf).await.unwrap(), 5);
    /// assert_eq!(a.recv(&mut buf).await.unwrap(), 5, "still queued");
    /// # });
    /// ```
    pub async fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.async_io(Direction::Read, |s| s.peek(buf)).await
    }

    /// The source address of the next datagram, which stays queued; waits
    /// for one. [`peek_from`](UdpSocket::peek_from) with no buffer.
    ///
    /// # Errors
    /// That of `recvfrom(MSG_PEEK)`.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let a = guillotine::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    /// let b = guillotine::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    /// a.send_to(b"who?", b.local_addr().unwrap()).await.unwrap();
    /// assert_eq!(b.peek_sender().await.unwrap(), a.local_addr().unwrap());
    /// assert_eq!(b.recv_from(&mut [0; 4]).await.unwrap().0, 4, "still queued");
    /// # });
    /// ```
    pub async fn peek_sender(&self) -> io::Result<SocketAddr> {
        self.io.async_io(Direction::Read, peek_sender).await
    }

    /// Like [`peek_sender`](UdpSocket::peek_sender) without waiting:
    /// `WouldBlock` if nothing is queued.
    ///
    /// # Errors
    /// `WouldBlock`, or that of `recvfrom(MSG_PEEK)`.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let a = guillotine::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    /// let err = a.try_peek_sender().unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::WouldBlock);
    /// # });
    /// ```
    pub fn try_peek_sender(&self) -> io::Result<SocketAddr> {
        self.io.try_io(Direction::Read, peek_sender)
    }

    /// Receives from the connected peer into `buf`'s spare capacity (a
    /// `Vec<u8>` or `BytesMut`, uninitialised memory is fine), advancing
    /// it; waits for a datagram. A datagram longer than the spare capacity
    /// (`chunk_mut`, at least 64 bytes for a full `Vec`) is truncated.
    /// Needs the `bytes` feature.
    ///
    /// # Errors
    /// That of `recv(2)`.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let a = guillotine::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    /// a.connect(a.local_addr().unwrap()).await.unwrap();
    /// a.send(b"into a vec").await.unwrap();
    /// let mut buf = Vec::with_capacity(64);
    /// assert_eq!(a.recv_buf(&mut buf).await.unwrap(), 10);
    /// assert_eq!(buf, b"into a vec");
    /// # });
    /// ```
    #[cfg(feature = "bytes")]
    pub async fn recv_buf<B: bytes::BufMut>(&self, buf: &mut B) -> io::Result<usize> {
        self.io
            .async_io(Direction::Read, |s| recv_buf(s, buf))
            .await
    }

    /// Like [`recv_buf`](UdpSocket::recv_buf) without waiting: `WouldBlock`
    /// if nothing is queued. Needs the `bytes` feature.
    ///
    /// # Errors
    /// `WouldBlock`, or that of `recv(2)`.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let a = guillotine::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    /// a.connect(a.local_addr().unwrap()).await.unwrap();
    /// let mut buf = Vec::with_capacity(64);
    /// let err = a.try_recv_buf(&mut buf).unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::WouldBlock);
    /// a.send(b"now").await.unwrap();
    /// a.readable().await.unwrap();
    /// assert_eq!(a.try_recv_buf(&mut buf).unwrap(), 3);
    /// assert_eq!(buf, b"now");
    /// # });
    /// ```
    #[cfg(feature = "bytes")]
    pub fn try_recv_buf<B: bytes::BufMut>(&self, buf: &mut B) -> io::Result<usize> {
        self.io.try_io(Direction::Read, |s| recv_buf(s, buf))
    }

    /// Like [`recv_buf`](UdpSocket::recv_buf), from anyone: the length and
    /// the source address. Needs the `bytes` feature.
    ///
    /// # Errors
    /// That of `recvfrom(2)`.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let a = guillotine::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    /// let b = guillotine::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    /// a.send_to(b"hello", b.local_addr().unwrap()).await.unwrap();
    /// let mut buf = Vec::with_capacity(64);
    /// let (n, from) = b.recv_buf_from(&mut buf).await.unwrap();
    /// assert_eq!((n, from, &buf[..]), (5, a.local_addr().unwrap(), &b"hello"[..]));
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

    /// Like [`recv_buf_from`](UdpSocket::recv_buf_from) without waiting:
    /// `WouldBlock` if nothing is queued. Needs the `bytes` feature.
    ///
    /// # Errors
    /// `WouldBlock`, or that of `recvfrom(2)`.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let a = guillotine::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    /// let mut buf = Vec::with_capacity(64);
    /// let err = a.try_recv_buf_from(&mut buf).unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::WouldBlock);
    /// a.send_to(b"me", a.local_addr().unwrap()).await.unwrap();
    /// a.readable().await.unwrap();
    /// assert_eq!(a.try_recv_buf_from(&mut buf).unwrap(), (2, a.local_addr().unwrap()));
    /// # });
    /// ```
    #[cfg(feature = "bytes")]
    pub fn try_recv_buf_from<B: bytes::BufMut>(
        &self,
        buf: &mut B,
    ) -> io::Result<(usize, SocketAddr)> {
        self.io.try_io(Direction::Read, |s| recv_buf_from(s, buf))
    }

    /// Sets `IP_MULTICAST_TTL`: how many hops our IPv4 multicast datagrams
    /// may travel (1, the default, keeps them on the local network).
    ///
    /// # Errors
    /// That of `setsockopt`.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let a = guillotine::net::UdpSocket::bind("0.0.0.0:0").await.unwrap();
    /// a.set_multicast_ttl_v4(4).unwrap();
    /// assert_eq!(a.multicast_ttl_v4().unwrap(), 4);
    /// # });
    /// ```
    pub fn set_multicast_ttl_v4(&self, ttl: u32) -> io::Result<()> {
        self.io.get_ref().set_multicast_ttl_v4(ttl)
    }

    /// The `IP_MULTICAST_TTL` option.
    ///
    /// # Errors
    /// That of `getsockopt`.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let a = guillotine::net::UdpSocket::bind("0.0.0.0:0").await.unwrap();
    /// assert_eq!(a.multicast_ttl_v4().unwrap(), 1, "the default");
    /// # });
    /// ```
    pub fn multicast_ttl_v4(&self) -> io::Result<u32> {
        self.io.get_ref().multicast_ttl_v4()
    }

    /// Sets `IPV6_MULTICAST_LOOP` (an IPv6 socket's): whether our own IPv6
    /// multicast datagrams come back to us.
    ///
    /// # Errors
    /// That of `setsockopt`: `ENOPROTOOPT` on an IPv4 socket.
    ///
    /// ```no_run
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let a = guillotine::net::UdpSocket::bind("[::1]:0").await.unwrap();
    /// a.set_multicast_loop_v6(false).unwrap();
    /// assert!(!a.multicast_loop_v6().unwrap());
    /// # });
    /// ```
    pub fn set_multicast_loop_v6(&self, on: bool) -> io::Result<()> {
        self.io.get_ref().set_multicast_loop_v6(on)
    }

    /// The `IPV6_MULTICAST_LOOP` option.
    ///
    /// # Errors
    /// That of `getsockopt`, e.g. on an IPv4 socket.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let a = guillotine::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    /// assert!(a.multicast_loop_v6().is_err(), "an IPv4 socket");
    /// # });
    /// ```
    pub fn multicast_loop_v6(&self) -> io::Result<bool> {
        self.io.get_ref().multicast_loop_v6()
    }

    /// Sets `IP_TOS`: the type-of-service byte of our IPv4 datagrams.
    ///
    /// # Errors
    /// That of `setsockopt`.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let a = guillotine::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    /// a.set_tos_v4(0x10).unwrap(); // IPTOS_LOWDELAY
    /// assert_eq!(a.tos_v4().unwrap(), 0x10);
    /// # });
    /// ```
    pub fn set_tos_v4(&self, tos: u32) -> io::Result<()> {
        SockRef::from(self.io.get_ref()).set_tos_v4(tos)
    }

    /// The `IP_TOS` option.
    ///
    /// # Errors
    /// That of `getsockopt`.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let a = guillotine::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    /// assert_eq!(a.tos_v4().unwrap(), 0, "the default");
    /// # });
    /// ```
    pub fn tos_v4(&self) -> io::Result<u32> {
        SockRef::from(self.io.get_ref()).tos_v4()
    }

    /// tokio's older name of [`set_tos_v4`](UdpSocket::set_tos_v4),
    /// deprecated there too.
    ///
    /// # Errors
    /// That of `setsockopt`.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let a = guillotine::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    /// #[allow(deprecated)]
    /// a.set_tos(0x08).unwrap();
    /// assert_eq!(a.tos_v4().unwrap(), 0x08);
    /// # });
    /// ```
    #[deprecated(note = "renamed `set_tos_v4` (as in tokio): the option is IPv4's")]
    #[doc(hidden)]
    pub fn set_tos(&self, tos: u32) -> io::Result<()> {
        self.set_tos_v4(tos)
    }

    /// tokio's older name of [`tos_v4`](UdpSocket::tos_v4), deprecated
    /// there too.
    ///
    /// # Errors
    /// That of `getsockopt`.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let a = guillotine::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    /// #[allow(deprecated)]
    /// let tos = a.tos().unwrap();
    /// assert_eq!(tos, 0);
    /// # });
    /// ```
    #[deprecated(note = "renamed `tos_v4` (as in tokio): the option is IPv4's")]
    #[doc(hidden)]
    pub fn tos(&self) -> io::Result<u32> {
        self.tos_v4()
    }

    /// Sets `IPV6_TCLASS` (an IPv6 socket's): the traffic class of our
    /// IPv6 datagrams.
    ///
    /// # Errors
    /// That of `setsockopt`: `ENOPROTOOPT` on an IPv4 socket.
    ///
    /// ```no_run
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let a = guillotine::net::UdpSocket::bind("[::1]:0").await.unwrap();
    /// a.set_tclass_v6(0x10).unwrap();
    /// assert_eq!(a.tclass_v6().unwrap(), 0x10);
    /// # });
    /// ```
    pub fn set_tclass_v6(&self, tclass: u32) -> io::Result<()> {
        SockRef::from(self.io.get_ref()).set_tclass_v6(tclass)
    }

    /// The `IPV6_TCLASS` option.
    ///
    /// # Errors
    /// That of `getsockopt`, e.g. on an IPv4 socket.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let a = guillotine::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    /// assert!(a.tclass_v6().is_err(), "an IPv4 socket");
    /// # });
    /// ```
    pub fn tclass_v6(&self) -> io::Result<u32> {
        SockRef::from(self.io.get_ref()).tclass_v6()
    }

    /// Sets `SO_BINDTODEVICE`: only datagrams through the interface named
    /// `interface` reach the socket, and ours leave through it. `None` (or
    /// an empty name) removes the binding.
    ///
    /// # Errors
    /// That of `setsockopt`: `ENODEV` for no such interface; `EPERM`
    /// without `CAP_NET_RAW` on Linux before 5.7.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let a = guillotine::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    /// let err = a.bind_device(Some(b"no-such-if0")).unwrap_err();
    /// assert!(matches!(err.raw_os_error(), Some(libc::ENODEV | libc::EPERM)));
    /// # });
    /// ```
    pub fn bind_device(&self, interface: Option<&[u8]>) -> io::Result<()> {
        SockRef::from(self.io.get_ref()).bind_device(interface)
    }

    /// The `SO_BINDTODEVICE` option: the interface name the socket is bound
    /// to, if any.
    ///
    /// # Errors
    /// That of `getsockopt`.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let a = guillotine::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    /// assert_eq!(a.device().unwrap(), None);
    /// # });
    /// ```
    pub fn device(&self) -> io::Result<Option<Vec<u8>>> {
        SockRef::from(self.io.get_ref()).device()
    }
}

/// The source address of the next queued datagram (it stays queued).
fn peek_sender(socket: &std::net::UdpSocket) -> io::Result<SocketAddr> {
    SockRef::from(socket)
        .peek_sender()?
        .as_socket()
        .ok_or_else(|| io::Error::other("the sender's address is not an IP one"))
}

/// `recv(2)` into `buf`'s spare capacity.
#[cfg(feature = "bytes")]
fn recv_buf<B: bytes::BufMut>(socket: &std::net::UdpSocket, buf: &mut B) -> io::Result<usize> {
    let recv = |spare: &mut _| SockRef::from(socket).recv(spare).map(|n| (n, ()));
    super::recv_into_buf(buf, recv).map(|(n, ())| n)
}

/// `recvfrom(2)` into `buf`'s spare capacity.
#[cfg(feature = "bytes")]
fn recv_buf_from<B: bytes::BufMut>(
    socket: &std::net::UdpSocket,
    buf: &mut B,
) -> io::Result<(usize, SocketAddr)> {
    super::recv_into_buf(buf, |spare| {
        let (n, from) = SockRef::from(socket).recv_from(spare)?;
        let from = from
            .as_socket()
            .ok_or_else(|| io::Error::other("the sender's address is not an IP one"))?;
        Ok((n, from))
    })
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
