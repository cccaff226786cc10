//! `TcpSocket` (options read back, bind/connect/listen and their errors,
//! `from_std_stream` and the raw-fd traits) and `SO_REUSEPORT` listeners
//! (`TcpListener::bind_reuseport`, one per worker). On both runtime flavors.

mod support;

use std::io::ErrorKind;
use std::net::SocketAddr;
use std::os::fd::{AsFd, AsRawFd, FromRawFd, IntoRawFd};
use std::time::Duration;

use guillotine::io::{AsyncReadExt, AsyncWriteExt};
use guillotine::net::{TcpListener, TcpSocket, TcpStream};
use guillotine::runtime::Runtime;
use support::{
    Flavor, WORKERS, assert_child_ok, both_flavors, fd_flags, is_child, open_fds, run_child,
};

both_flavors! {
    options_read_back_what_was_set,
    ipv6_options_and_tos_on_the_wrong_family,
    bind_device_to_loopback_or_permission_denied,
    binding_a_taken_address_fails_without_reuse,
    connect_to_a_port_nobody_listens_on_is_refused,
    connect_keeps_the_options_set_before,
    listen_accepts_and_a_second_listener_needs_reuseport,
    from_std_stream_switches_to_non_blocking_and_keeps_cloexec,
    raw_fd_round_trip_and_failed_connects_leak_nothing,
    bind_reuseport_listeners_share_a_port_and_both_accept,
    one_reuseport_listener_per_worker_serves_every_client,
    bind_reuseport_fails_beside_a_plain_listener,
}

const LOCALHOST: &str = "127.0.0.1:0";

fn any_port() -> SocketAddr {
    LOCALHOST.parse().unwrap()
}

#[allow(
    deprecated,
    reason = "set_linger is deprecated as in tokio, still tested"
)]
fn options_read_back_what_was_set(rt: Runtime) {
    rt.block_on(async {
        let s = TcpSocket::new_v4().unwrap();
        assert!(!s.keepalive().unwrap());
        s.set_keepalive(true).unwrap();
        assert!(s.keepalive().unwrap());
        assert!(!s.reuseaddr().unwrap(), "off by default, as in tokio");
        s.set_reuseaddr(true).unwrap();
        assert!(s.reuseaddr().unwrap());
        assert!(!s.reuseport().unwrap());
        s.set_reuseport(true).unwrap();
        assert!(s.reuseport().unwrap());
        s.set_reuseport(false).unwrap();
        assert!(!s.reuseport().unwrap());
        // Linux doubles the value it keeps.
        s.set_send_buffer_size(32 * 1024).unwrap();
        assert_eq!(s.send_buffer_size().unwrap(), 64 * 1024);
        s.set_recv_buffer_size(32 * 1024).unwrap();
        assert_eq!(s.recv_buffer_size().unwrap(), 64 * 1024);
        assert_eq!(s.linger().unwrap(), None);
        s.set_linger(Some(Duration::from_secs(3))).unwrap();
        assert_eq!(s.linger().unwrap(), Some(Duration::from_secs(3)));
        s.set_zero_linger().unwrap();
        assert_eq!(s.linger().unwrap(), Some(Duration::ZERO));
        s.set_linger(None).unwrap();
        assert_eq!(s.linger().unwrap(), None);
        assert!(!s.nodelay().unwrap());
        s.set_nodelay(true).unwrap();
        assert!(s.nodelay().unwrap());
        assert_eq!(s.tos_v4().unwrap(), 0);
        s.set_tos_v4(0x10).unwrap();
        assert_eq!(s.tos_v4().unwrap(), 0x10);
        s.set_tos(0x08).unwrap();
        assert_eq!((s.tos().unwrap(), s.tos_v4().unwrap()), (0x08, 0x08));
        assert_eq!(s.device().unwrap(), None);
        assert!(s.take_error().unwrap().is_none());
        // Unbound: the wildcard address and port 0.
        assert_eq!(s.local_addr().unwrap(), "0.0.0.0:0".parse().unwrap());
        s.bind(any_port()).unwrap();
        let addr = s.local_addr().unwrap();
        assert!(addr.ip().is_loopback() && addr.port() != 0);
        let debug = format!("{s:?}");
        assert!(debug.contains("TcpSocket") && debug.contains(&addr.to_string()));
    });
}

fn ipv6_options_and_tos_on_the_wrong_family(rt: Runtime) {
    rt.block_on(async {
        let v4 = TcpSocket::new_v4().unwrap();
        assert!(v4.tclass_v6().is_err(), "IPV6_TCLASS on an IPv4 socket");
        assert!(v4.set_tclass_v6(0x20).is_err());
        let v6 = match TcpSocket::new_v6() {
            Ok(v6) => v6,
            // A kernel without IPv6 has nothing more to test here.
            Err(e) if e.raw_os_error() == Some(libc::EAFNOSUPPORT) => return,
            Err(e) => panic!("new_v6: {e}"),
        };
        v6.set_tclass_v6(0x20).unwrap();
        assert_eq!(v6.tclass_v6().unwrap(), 0x20);
        // An IPv4 address on an IPv6 socket is the kernel's EINVAL.
        let err = v6.bind(any_port()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        match v6.bind("[::1]:0".parse().unwrap()) {
            Ok(()) => assert!(v6.local_addr().unwrap().is_ipv6()),
            // No ::1 on this machine.
            Err(e) => assert_eq!(e.kind(), ErrorKind::AddrNotAvailable),
        }
    });
}

fn bind_device_to_loopback_or_permission_denied(rt: Runtime) {
    rt.block_on(async {
        let s = TcpSocket::new_v4().unwrap();
        let unknown = s.bind_device(Some(&b"no-such-if0"[..])).unwrap_err();
        assert!(
            matches!(unknown.raw_os_error(), Some(libc::ENODEV | libc::EPERM)),
            "{unknown:?}"
        );
        match s.bind_device(Some(&b"lo"[..])) {
            Ok(()) => {
                assert_eq!(s.device().unwrap().as_deref(), Some(&b"lo"[..]));
                s.bind_device(None).unwrap();
                assert_eq!(s.device().unwrap(), None);
            }
            // Without CAP_NET_RAW.
            Err(e) => assert_eq!(e.raw_os_error(), Some(libc::EPERM), "{e:?}"),
        }
    });
}

fn binding_a_taken_address_fails_without_reuse(rt: Runtime) {
    rt.block_on(async {
        let first = TcpSocket::new_v4().unwrap();
        first.bind(any_port()).unwrap();
        let addr = first.local_addr().unwrap();
        let second = TcpSocket::new_v4().unwrap();
        let err = second.bind(addr).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::AddrInUse);
        // With SO_REUSEPORT on both, the second bind succeeds.
        let a = TcpSocket::new_v4().unwrap();
        a.set_reuseport(true).unwrap();
        a.bind(any_port()).unwrap();
        let b = TcpSocket::new_v4().unwrap();
        b.set_reuseport(true).unwrap();
        b.bind(a.local_addr().unwrap()).unwrap();
        assert_eq!(b.local_addr().unwrap(), a.local_addr().unwrap());
    });
}

fn connect_to_a_port_nobody_listens_on_is_refused(rt: Runtime) {
    rt.block_on(async {
        // Bound and never listening: the port stays ours and refuses.
        let holder = TcpSocket::new_v4().unwrap();
        holder.bind(any_port()).unwrap();
        let addr = holder.local_addr().unwrap();
        let err = TcpSocket::new_v4()
            .unwrap()
            .connect(addr)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
        // An IPv4 socket cannot connect to an IPv6 address.
        let err = TcpSocket::new_v4()
            .unwrap()
            .connect("[::1]:9".parse().unwrap())
            .await
            .unwrap_err();
        assert!(
            matches!(err.raw_os_error(), Some(libc::EAFNOSUPPORT | libc::EINVAL)),
            "{err:?}"
        );
    });
}

fn connect_keeps_the_options_set_before(rt: Runtime) {
    rt.block_on(async {
        let listener = TcpListener::bind(LOCALHOST).await.unwrap();
        let socket = TcpSocket::new_v4().unwrap();
        socket.set_nodelay(true).unwrap();
        socket.set_keepalive(true).unwrap();
        socket.set_zero_linger().unwrap();
        // A chosen source address.
        socket.bind(any_port()).unwrap();
        let source = socket.local_addr().unwrap();
        let mut client = socket
            .connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        assert!(client.nodelay().unwrap());
        assert_eq!(client.linger().unwrap(), Some(Duration::ZERO));
        assert_eq!(client.local_addr().unwrap(), source);
        let (mut server, peer) = listener.accept().await.unwrap();
        assert_eq!(peer, source);
        client.write_all(b"opts").await.unwrap();
        let mut buf = [0; 4];
        server.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"opts");
        // Zero linger: dropping the client resets the connection.
        drop(client);
        let err = server.read(&mut buf).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConnectionReset);
    });
}

fn listen_accepts_and_a_second_listener_needs_reuseport(rt: Runtime) {
    rt.block_on(async {
        let socket = TcpSocket::new_v4().unwrap();
        socket.set_reuseaddr(true).unwrap();
        socket.bind(any_port()).unwrap();
        let listener = socket.listen(u32::MAX).unwrap();
        let addr = listener.local_addr().unwrap();
        let mut client = TcpStream::connect(addr).await.unwrap();
        let (mut server, _) = listener.accept().await.unwrap();
        server.write_all(b"up").await.unwrap();
        let mut buf = [0; 2];
        client.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"up");
        // SO_REUSEADDR does not let a second socket bind a listening port.
        let second = TcpSocket::new_v4().unwrap();
        second.set_reuseaddr(true).unwrap();
        assert_eq!(second.bind(addr).unwrap_err().kind(), ErrorKind::AddrInUse);
        // Listening unbound picks a port.
        let unbound = TcpSocket::new_v4().unwrap().listen(8).unwrap();
        assert_ne!(unbound.local_addr().unwrap().port(), 0);
    });
}

fn from_std_stream_switches_to_non_blocking_and_keeps_cloexec(rt: Runtime) {
    rt.block_on(async {
        let listener = TcpListener::bind(LOCALHOST).await.unwrap();
        // Blocking, and not close-on-exec.
        let raw = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
        raw.set_cloexec(false).unwrap();
        let fd = raw.as_raw_fd();
        assert_eq!(fd_flags(fd) & libc::O_NONBLOCK as u32, 0);
        let socket = TcpSocket::from_std_stream(raw.into());
        assert_eq!(socket.as_fd().as_raw_fd(), fd);
        let stream = socket
            .connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        assert_eq!(stream.as_raw_fd(), fd, "the same descriptor");
        let flags = fd_flags(fd);
        assert_ne!(flags & libc::O_NONBLOCK as u32, 0, "non-blocking now");
        assert_eq!(
            flags & libc::O_CLOEXEC as u32,
            0,
            "FD_CLOEXEC left as it was"
        );
        let (server, _) = listener.accept().await.unwrap();
        (&stream).write_all(b"nb").await.unwrap();
        let mut buf = [0; 2];
        (&server).read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"nb");
        // Nothing to read: `WouldBlock` from the kernel, not a blocked thread.
        let err = stream.try_read(&mut buf).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::WouldBlock);
        // From a std stream, listening works too.
        let raw = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
        let socket = TcpSocket::from_std_stream(raw.into());
        socket.bind(any_port()).unwrap();
        let listener = socket.listen(16).unwrap();
        support::assert_cloexec_nonblocking(listener.as_raw_fd(), "listener");
        let _c = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        listener.accept().await.unwrap();
    });
}

fn raw_fd_round_trip_and_failed_connects_leak_nothing(flavor: Flavor) {
    // Alone in a child process: other tests open descriptors meanwhile.
    if !is_child("tcp-socket-fds") {
        let out = run_child(
            &format!(
                "{}::raw_fd_round_trip_and_failed_connects_leak_nothing",
                flavor.module()
            ),
            "tcp-socket-fds",
        );
        assert_child_ok(&out);
        assert!(String::from_utf8_lossy(&out.stdout).contains("fds unchanged"));
        return;
    }
    let rt = flavor.rt();
    support::wait_for_workers(&rt, flavor);
    rt.block_on(async {
        let holder = TcpSocket::new_v4().unwrap();
        holder.bind(any_port()).unwrap();
        let refused_addr = holder.local_addr().unwrap();
        let before = open_fds();
        for _ in 0..20 {
            let socket = TcpSocket::new_v4().unwrap();
            support::assert_cloexec_nonblocking(socket.as_raw_fd(), "TcpSocket");
            let fd = socket.into_raw_fd();
            // SAFETY: `fd` came from `into_raw_fd` just now; nothing else owns it.
            let socket = unsafe { TcpSocket::from_raw_fd(fd) };
            assert_eq!(socket.as_raw_fd(), fd);
            let err = socket.connect(refused_addr).await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
            drop(TcpSocket::new_v6());
        }
        assert_eq!(open_fds(), before, "descriptors leaked");
    });
    println!("fds unchanged");
}

fn bind_reuseport_listeners_share_a_port_and_both_accept(rt: Runtime) {
    const CLIENTS: usize = 64;
    rt.block_on(async {
        let a = TcpListener::bind_reuseport(LOCALHOST).await.unwrap();
        let addr = a.local_addr().unwrap();
        let b = TcpListener::bind_reuseport(addr).await.unwrap();
        assert_eq!(b.local_addr().unwrap(), addr);
        let mut clients = Vec::new();
        for _ in 0..CLIENTS {
            clients.push(TcpStream::connect(addr).await.unwrap());
        }
        // Each connection is queued on one listener; take them all.
        let (mut on_a, mut on_b) = (0, 0);
        while on_a + on_b < CLIENTS {
            futures_lite::future::race(
                async {
                    a.accept().await.unwrap();
                    on_a += 1;
                },
                async {
                    b.accept().await.unwrap();
                    on_b += 1;
                },
            )
            .await;
        }
        // The kernel hashes each connection's ports onto one listener: that
        // one gets all 64 is a chance of 2^-63.
        assert!(on_a > 0 && on_b > 0, "a: {on_a}, b: {on_b}");
    });
}

fn one_reuseport_listener_per_worker_serves_every_client(rt: Runtime) {
    const CLIENTS: u64 = 40;
    rt.block_on(async {
        let first = TcpListener::bind_reuseport(LOCALHOST).await.unwrap();
        let addr = first.local_addr().unwrap();
        let mut listeners = vec![first];
        for _ in 1..WORKERS {
            listeners.push(TcpListener::bind_reuseport(addr).await.unwrap());
        }
        let served = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        for listener in listeners {
            let served = served.clone();
            guillotine::spawn(async move {
                loop {
                    let (mut stream, _) = listener.accept().await.unwrap();
                    let served = served.clone();
                    guillotine::spawn(async move {
                        let mut n = [0; 8];
                        stream.read_exact(&mut n).await.unwrap();
                        stream.write_all(&n).await.unwrap();
                        served.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    });
                }
            });
        }
        let clients: Vec<_> = (0..CLIENTS)
            .map(|i| {
                guillotine::spawn(async move {
                    let mut stream = TcpStream::connect(addr).await.unwrap();
                    stream.write_all(&i.to_le_bytes()).await.unwrap();
                    let mut back = [0; 8];
                    stream.read_exact(&mut back).await.unwrap();
                    assert_eq!(u64::from_le_bytes(back), i);
                })
            })
            .collect();
        for client in clients {
            client.await.unwrap();
        }
        support::eventually("every connection served", || {
            served.load(std::sync::atomic::Ordering::Relaxed) == CLIENTS
        })
        .await;
    });
}

fn bind_reuseport_fails_beside_a_plain_listener(rt: Runtime) {
    rt.block_on(async {
        let plain = TcpListener::bind(LOCALHOST).await.unwrap();
        let err = TcpListener::bind_reuseport(plain.local_addr().unwrap())
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::AddrInUse);
        let shared = TcpListener::bind_reuseport(LOCALHOST).await.unwrap();
        let err = TcpListener::bind(shared.local_addr().unwrap())
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::AddrInUse);
        let err = TcpListener::bind_reuseport("not an address")
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
    });
}
