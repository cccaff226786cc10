//! UDP: many receive futures in one task, sharing a socket between tasks,
//! connected sockets, peeking, ICMP errors and socket options. On both
//! runtime flavors.

mod support;

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use futures::stream::{FuturesUnordered, StreamExt};
use guillotine::net::UdpSocket;
use guillotine::runtime::Runtime;
use support::both_flavors;

both_flavors! {
    ten_receive_futures_on_ten_sockets_in_one_task_all_complete,
    a_shared_socket_sends_in_one_task_and_receives_in_two,
    connected_sockets_send_recv_and_peek,
    an_icmp_port_unreachable_is_connection_refused,
    options_broadcast_multicast_ttl,
    std_interop_and_from_std,
}

fn ten_receive_futures_on_ten_sockets_in_one_task_all_complete(rt: Runtime) {
    rt.block_on(async {
        let mut sockets = Vec::new();
        for _ in 0..10 {
            sockets.push(UdpSocket::bind("127.0.0.1:0").await.unwrap());
        }
        let addrs: Vec<SocketAddr> = sockets.iter().map(|s| s.local_addr().unwrap()).collect();
        let mut pending: FuturesUnordered<_> = sockets
            .iter()
            .enumerate()
            .map(|(i, s)| async move {
                let mut buf = [0; 16];
                let (n, _) = s.recv_from(&mut buf).await.unwrap();
                (i, buf[..n].to_vec())
            })
            .collect();
        // Poll them all once, so each one waits on the reactor.
        assert!(futures::poll!(pending.next()).is_pending());
        // Then send from a plain std socket on another thread.
        std::thread::spawn(move || {
            let tx = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
            for (i, addr) in addrs.iter().enumerate().rev() {
                tx.send_to(format!("to {i}").as_bytes(), addr).unwrap();
            }
        });
        let mut seen = [false; 10];
        while let Some((i, data)) = pending.next().await {
            assert_eq!(data, format!("to {i}").as_bytes());
            seen[i] = true;
        }
        assert_eq!(seen, [true; 10]);
    });
}

fn a_shared_socket_sends_in_one_task_and_receives_in_two(rt: Runtime) {
    rt.block_on(async {
        let socket = Arc::new(UdpSocket::bind("127.0.0.1:0").await.unwrap());
        let peer = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let peer_addr = peer.local_addr().unwrap();
        // Two receivers wait on the same socket at the same time.
        let receivers: Vec<_> = (0..2)
            .map(|_| {
                let s = socket.clone();
                guillotine::spawn(async move {
                    let mut buf = [0; 8];
                    let (n, from) = s.recv_from(&mut buf).await.unwrap();
                    (buf[..n].to_vec(), from)
                })
            })
            .collect();
        let s = socket.clone();
        let sender = guillotine::spawn(async move { s.send_to(b"out", peer_addr).await.unwrap() });
        assert_eq!(sender.await.unwrap(), 3);
        let mut buf = [0; 8];
        let (n, from) = peer.recv_from(&mut buf).await.unwrap();
        assert_eq!(
            (&buf[..n], from),
            (&b"out"[..], socket.local_addr().unwrap())
        );
        let target = socket.local_addr().unwrap();
        peer.send_to(b"a", target).await.unwrap();
        peer.send_to(b"b", target).await.unwrap();
        let mut got = Vec::new();
        for r in receivers {
            let (data, from) = r.await.unwrap();
            assert_eq!(from, peer_addr);
            got.push(data);
        }
        got.sort();
        assert_eq!(got, [b"a".to_vec(), b"b".to_vec()]);
    });
}

fn connected_sockets_send_recv_and_peek(rt: Runtime) {
    rt.block_on(async {
        let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        a.connect(b.local_addr().unwrap()).await.unwrap();
        b.connect(a.local_addr().unwrap()).await.unwrap();
        assert_eq!(a.peer_addr().unwrap(), b.local_addr().unwrap());
        a.send(b"first").await.unwrap();
        a.send(b"second").await.unwrap();
        let mut buf = [0; 16];
        let (n, from) = b.peek_from(&mut buf).await.unwrap();
        assert_eq!((&buf[..n], from), (&b"first"[..], a.local_addr().unwrap()));
        assert_eq!(b.recv(&mut buf).await.unwrap(), 5, "peek left it queued");
        let n = b.recv(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"second");
        assert_eq!(
            b.try_recv_from(&mut buf).unwrap_err().kind(),
            std::io::ErrorKind::WouldBlock
        );
    });
}

fn an_icmp_port_unreachable_is_connection_refused(rt: Runtime) {
    rt.block_on(async {
        // A port nobody reads: bound (so nobody else gets it), then closed.
        let gone = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let gone_addr = gone.local_addr().unwrap();
        drop(gone);
        let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        a.connect(gone_addr).await.unwrap();
        a.send(b"anyone?").await.unwrap();
        // The ICMP error arrives as EPOLLERR; recv reports it.
        let err = a.recv(&mut [0; 8]).await.unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::ConnectionRefused);
        // The error was consumed: the socket still works afterwards.
        let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        a.connect(b.local_addr().unwrap()).await.unwrap();
        b.send_to(b"ok", a.local_addr().unwrap()).await.unwrap();
        assert_eq!(a.recv(&mut [0; 8]).await.unwrap(), 2);
    });
}

fn options_broadcast_multicast_ttl(rt: Runtime) {
    rt.block_on(async {
        let s = UdpSocket::bind("0.0.0.0:0").await.unwrap();
        s.set_broadcast(true).unwrap();
        assert!(s.broadcast().unwrap());
        s.set_ttl(5).unwrap();
        assert_eq!(s.ttl().unwrap(), 5);
        let group = Ipv4Addr::new(239, 1, 2, 3);
        s.join_multicast_v4(group, Ipv4Addr::LOCALHOST).unwrap();
        s.set_multicast_loop_v4(true).unwrap();
        assert!(s.multicast_loop_v4().unwrap());
        s.leave_multicast_v4(group, Ipv4Addr::LOCALHOST).unwrap();
        // Leaving twice is the kernel's error, not a panic.
        assert!(s.leave_multicast_v4(group, Ipv4Addr::LOCALHOST).is_err());
        assert!(s.take_error().unwrap().is_none());
        assert!(format!("{s:?}").contains("UdpSocket"));
    });
}

fn std_interop_and_from_std(rt: Runtime) {
    rt.block_on(async {
        let std_socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let ours = UdpSocket::from_std(std_socket).unwrap();
        let addr = ours.local_addr().unwrap();
        let echo = std::thread::spawn(|| {
            let s = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
            let port = s.local_addr().unwrap();
            (s, port)
        })
        .join()
        .unwrap();
        let (peer, peer_addr) = echo;
        let t = std::thread::spawn(move || {
            let mut buf = [0; 64];
            let (n, from) = peer.recv_from(&mut buf).unwrap();
            peer.send_to(&buf[..n], from).unwrap();
            from
        });
        ours.send_to(b"echo me", peer_addr).await.unwrap();
        let mut buf = [0; 64];
        let (n, from) = ours.recv_from(&mut buf).await.unwrap();
        assert_eq!((&buf[..n], from), (&b"echo me"[..], peer_addr));
        assert_eq!(t.join().unwrap(), addr);
        let _std = ours.into_std().unwrap();
    });
}
