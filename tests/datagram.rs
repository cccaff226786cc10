//! tokio's datagram surface on `UdpSocket` and `UnixDatagram`: every
//! `try_*` is `WouldBlock` on an empty socket, gets the data once readable
//! and clears the readiness so that `readable()` waits again; the `poll_*`
//! methods through `poll_fn`; peeking leaves the datagram queued;
//! `peek_sender`; `recv_buf*` into spare capacity (feature `bytes`); the UDP
//! options; OS errors kept. On both runtime flavors.

mod support;

use std::future::poll_fn;
use std::io::{self, ErrorKind};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::time::Duration;

use futures::poll;
use guillotine::net::{UdpSocket, UnixDatagram};
use guillotine::runtime::Runtime;
use support::both_flavors;

both_flavors! {
    udp_try_methods_would_block_then_get_the_data_and_clear_readiness,
    udp_poll_methods_through_poll_fn,
    udp_peek_and_peek_sender_wait_and_leave_the_datagram,
    udp_options_read_back_what_was_set,
    udp_recv_buf_fills_spare_capacity,
    unix_readable_writable_and_try_methods,
    unix_try_methods_with_paths,
    unix_try_send_would_block_on_a_full_peer_and_writable_waits,
    unix_poll_methods_through_poll_fn,
    unix_peek_and_peek_sender_wait_and_leave_the_datagram,
    unix_peek_from_names_an_abstract_sender,
    unix_recv_buf_fills_spare_capacity,
    errors_keep_the_os_error,
}

#[track_caller]
fn assert_would_block<T: std::fmt::Debug>(result: io::Result<T>) {
    assert_eq!(result.unwrap_err().kind(), ErrorKind::WouldBlock);
}

/// Two UDP sockets on loopback, connected to each other.
async fn udp_pair() -> (UdpSocket, UdpSocket, SocketAddr, SocketAddr) {
    let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let (a_addr, b_addr) = (a.local_addr().unwrap(), b.local_addr().unwrap());
    a.connect(b_addr).await.unwrap();
    b.connect(a_addr).await.unwrap();
    (a, b, a_addr, b_addr)
}

/// A number for each name made unique in this process.
static NEXT: AtomicUsize = AtomicUsize::new(0);

/// A fresh directory for this test's socket files, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        // Numbered: both flavors' tests of one name run in this process.
        let n = NEXT.fetch_add(1, SeqCst);
        let dir = std::env::temp_dir().join(format!(
            "guillotine-dgram-{name}-{}-{n}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn udp_try_methods_would_block_then_get_the_data_and_clear_readiness(rt: Runtime) {
    rt.block_on(async {
        let (a, b, a_addr, b_addr) = udp_pair().await;
        let mut buf = [0; 16];
        assert_would_block(b.try_recv(&mut buf));
        assert_would_block(b.try_recv_from(&mut buf));
        assert_would_block(b.try_peek(&mut buf));
        assert_would_block(b.try_peek_from(&mut buf));
        assert_would_block(b.try_peek_sender());

        assert_eq!(a.try_send(b"one").unwrap(), 3);
        b.readable().await.unwrap();
        assert_eq!(b.try_peek_sender().unwrap(), a_addr);
        assert_eq!(b.try_peek(&mut buf).unwrap(), 3);
        assert_eq!(&buf[..3], b"one");
        buf = [0; 16];
        assert_eq!(b.try_peek_from(&mut buf).unwrap(), (3, a_addr));
        assert_eq!(&buf[..3], b"one");
        buf = [0; 16];
        assert_eq!(b.try_recv(&mut buf).unwrap(), 3, "peeking left it queued");
        assert_eq!(&buf[..3], b"one");

        // Drained: this try reaches the kernel's EAGAIN and clears the
        // readiness, so `readable` waits for the next datagram.
        assert_would_block(b.try_recv(&mut buf));
        let mut readable = pin!(b.readable());
        assert!(poll!(readable.as_mut()).is_pending());
        assert_eq!(a.try_send_to(b"two", b_addr).unwrap(), 3);
        readable.await.unwrap();
        assert_eq!(b.try_recv_from(&mut buf).unwrap(), (3, a_addr));
        assert_eq!(&buf[..3], b"two");
        assert_would_block(b.try_recv_from(&mut buf));
        assert_would_block(b.try_peek_sender());
        assert!(poll!(pin!(b.readable())).is_pending());
    });
}

fn udp_poll_methods_through_poll_fn(rt: Runtime) {
    rt.block_on(async {
        let (a, b, a_addr, b_addr) = udp_pair().await;
        // Pending on an empty socket, ready once a datagram arrives.
        let mut buf = [0; 16];
        let mut recv = Box::pin(poll_fn(|cx| b.poll_recv(cx, &mut buf)));
        assert!(poll!(recv.as_mut()).is_pending());
        assert_eq!(poll_fn(|cx| a.poll_send(cx, b"poll")).await.unwrap(), 4);
        assert_eq!(recv.await.unwrap(), 4);
        assert_eq!(&buf[..4], b"poll");

        let sent = poll_fn(|cx| a.poll_send_to(cx, b"to", b_addr)).await;
        assert_eq!(sent.unwrap(), 2);
        let sender = poll_fn(|cx| b.poll_peek_sender(cx)).await.unwrap();
        assert_eq!(sender, a_addr);
        let mut buf = [0; 16];
        assert_eq!(poll_fn(|cx| b.poll_peek(cx, &mut buf)).await.unwrap(), 2);
        assert_eq!(&buf[..2], b"to");
        let mut buf = [0; 16];
        let peeked = poll_fn(|cx| b.poll_peek_from(cx, &mut buf)).await;
        assert_eq!((peeked.unwrap(), &buf[..2]), ((2, a_addr), &b"to"[..]));
        let mut buf = [0; 16];
        let got = poll_fn(|cx| b.poll_recv_from(cx, &mut buf)).await;
        assert_eq!((got.unwrap(), &buf[..2]), ((2, a_addr), &b"to"[..]));

        // Consumed: every receive poll waits again.
        let mut buf = [0; 16];
        assert!(poll!(poll_fn(|cx| b.poll_recv_from(cx, &mut buf))).is_pending());
        assert!(poll!(poll_fn(|cx| b.poll_peek(cx, &mut buf))).is_pending());
        assert!(poll!(poll_fn(|cx| b.poll_peek_sender(cx))).is_pending());
    });
}

fn udp_peek_and_peek_sender_wait_and_leave_the_datagram(rt: Runtime) {
    rt.block_on(async {
        let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let c = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let b_addr = b.local_addr().unwrap();

        let mut sender = pin!(b.peek_sender());
        assert!(poll!(sender.as_mut()).is_pending());
        a.send_to(b"first", b_addr).await.unwrap();
        assert_eq!(sender.await.unwrap(), a.local_addr().unwrap());
        c.send_to(b"second", b_addr).await.unwrap();

        let mut buf = [0; 16];
        for _ in 0..2 {
            assert_eq!(b.peek(&mut buf).await.unwrap(), 5);
            assert_eq!(&buf[..5], b"first");
        }
        let (n, from) = b.recv_from(&mut buf).await.unwrap();
        assert_eq!((&buf[..n], from), (&b"first"[..], a.local_addr().unwrap()));
        assert_eq!(b.peek_sender().await.unwrap(), c.local_addr().unwrap());
        // A buffer shorter than the datagram: peek truncates, keeps it whole.
        let mut short = [0; 3];
        assert_eq!(b.peek(&mut short).await.unwrap(), 3);
        assert_eq!(&short, b"sec");
        assert_eq!(b.recv(&mut buf).await.unwrap(), 6);
        assert_eq!(&buf[..6], b"second");
    });
}

fn udp_options_read_back_what_was_set(rt: Runtime) {
    rt.block_on(async {
        let s = UdpSocket::bind("0.0.0.0:0").await.unwrap();
        assert_eq!(s.multicast_ttl_v4().unwrap(), 1, "the default");
        s.set_multicast_ttl_v4(7).unwrap();
        assert_eq!(s.multicast_ttl_v4().unwrap(), 7);
        assert_eq!(s.tos_v4().unwrap(), 0);
        s.set_tos_v4(0x10).unwrap();
        assert_eq!(s.tos_v4().unwrap(), 0x10);
        #[allow(deprecated)]
        {
            s.set_tos(0x08).unwrap();
            assert_eq!(s.tos().unwrap(), 0x08);
        }
        s.set_broadcast(true).unwrap();
        assert!(s.broadcast().unwrap());
        s.set_ttl(9).unwrap();
        assert_eq!(s.ttl().unwrap(), 9);
        // IPv6 options on an IPv4 socket: the kernel's error, kept.
        let err = s.set_multicast_loop_v6(false).unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::ENOPROTOOPT));
        let err = s.tclass_v6().unwrap_err();
        assert!(
            matches!(
                err.raw_os_error(),
                Some(libc::ENOPROTOOPT | libc::EOPNOTSUPP)
            ),
            "{err:?}"
        );

        assert_eq!(s.device().unwrap(), None);
        let err = s.bind_device(Some(b"no-such-if0")).unwrap_err();
        assert!(
            matches!(err.raw_os_error(), Some(libc::ENODEV | libc::EPERM)),
            "{err:?}"
        );
        match s.bind_device(Some(b"lo")) {
            Ok(()) => {
                assert_eq!(s.device().unwrap().as_deref(), Some(&b"lo"[..]));
                s.bind_device(None).unwrap();
                assert_eq!(s.device().unwrap(), None);
            }
            // Before Linux 5.7 binding needs CAP_NET_RAW.
            Err(e) => assert_eq!(e.kind(), ErrorKind::PermissionDenied),
        }

        let v6 = match UdpSocket::bind("[::1]:0").await {
            Ok(v6) => v6,
            Err(e) => {
                eprintln!("no IPv6 loopback here ({e}); skipping the IPv6 options");
                return;
            }
        };
        assert!(v6.multicast_loop_v6().unwrap(), "on by default");
        v6.set_multicast_loop_v6(false).unwrap();
        assert!(!v6.multicast_loop_v6().unwrap());
        v6.set_tclass_v6(0x20).unwrap();
        assert_eq!(v6.tclass_v6().unwrap(), 0x20);
    });
}

#[cfg(feature = "bytes")]
fn udp_recv_buf_fills_spare_capacity(rt: Runtime) {
    use bytes::BytesMut;
    rt.block_on(async {
        let (a, b, a_addr, _) = udp_pair().await;
        let mut vec = Vec::with_capacity(64);
        assert_would_block(b.try_recv_buf(&mut vec));
        assert_would_block(b.try_recv_buf_from(&mut vec));
        assert!(vec.is_empty());

        // Appended after what the buffer holds.
        vec.extend_from_slice(b"pre:");
        a.send(b"vec").await.unwrap();
        assert_eq!(b.recv_buf(&mut vec).await.unwrap(), 3);
        assert_eq!(vec, b"pre:vec");

        let mut bytes = BytesMut::with_capacity(64);
        a.send(b"bytes").await.unwrap();
        assert_eq!(b.recv_buf_from(&mut bytes).await.unwrap(), (5, a_addr));
        assert_eq!(&bytes[..], b"bytes");

        a.send(b"try").await.unwrap();
        b.readable().await.unwrap();
        assert_eq!(b.try_recv_buf(&mut bytes).unwrap(), 3);
        assert_eq!(&bytes[..], b"bytestry");
        assert_would_block(b.try_recv_buf(&mut bytes));
        a.send(b"from").await.unwrap();
        b.readable().await.unwrap();
        let mut vec = Vec::new();
        assert_eq!(b.try_recv_buf_from(&mut vec).unwrap(), (4, a_addr));
        assert_eq!(vec, b"from");
        assert_would_block(b.try_recv_buf_from(&mut vec));

        // Spare capacity shorter than the datagram: truncated, and the rest
        // is gone with it.
        let mut arr = [0u8; 4];
        a.send(b"truncated").await.unwrap();
        assert_eq!(b.recv_buf(&mut &mut arr[..]).await.unwrap(), 4);
        assert_eq!(&arr, b"trun");
        assert_would_block(b.try_recv(&mut [0; 16]));
    });
}

#[cfg(not(feature = "bytes"))]
fn udp_recv_buf_fills_spare_capacity(_: Runtime) {}

fn unix_readable_writable_and_try_methods(rt: Runtime) {
    rt.block_on(async {
        let (a, b) = UnixDatagram::pair().unwrap();
        a.writable().await.unwrap();
        let mut buf = [0; 16];
        assert_would_block(b.try_recv(&mut buf));
        assert_would_block(b.try_recv_from(&mut buf));
        assert_would_block(b.try_peek(&mut buf));
        assert_would_block(b.try_peek_from(&mut buf));
        assert_would_block(b.try_peek_sender());

        assert_eq!(a.try_send(b"one").unwrap(), 3);
        b.readable().await.unwrap();
        assert!(b.try_peek_sender().unwrap().is_unnamed());
        assert_eq!(b.try_peek(&mut buf).unwrap(), 3);
        assert_eq!(&buf[..3], b"one");
        buf = [0; 16];
        let (n, from) = b.try_peek_from(&mut buf).unwrap();
        assert_eq!((n, from.is_unnamed(), &buf[..3]), (3, true, &b"one"[..]));
        buf = [0; 16];
        assert_eq!(b.try_recv(&mut buf).unwrap(), 3, "peeking left it queued");
        assert_eq!(&buf[..3], b"one");

        // Drained: `readable` waits again.
        assert_would_block(b.try_recv(&mut buf));
        let mut readable = pin!(b.readable());
        assert!(poll!(readable.as_mut()).is_pending());
        a.send(b"two").await.unwrap();
        readable.await.unwrap();
        let (n, from) = b.try_recv_from(&mut buf).unwrap();
        assert_eq!((&buf[..n], from.is_unnamed()), (&b"two"[..], true));
        assert_would_block(b.try_recv_from(&mut buf));
        assert!(poll!(pin!(b.readable())).is_pending());
    });
}

fn unix_try_methods_with_paths(rt: Runtime) {
    let dir = TempDir::new("paths");
    rt.block_on(async {
        let server = UnixDatagram::bind(dir.0.join("server")).unwrap();
        let client = UnixDatagram::bind(dir.0.join("client")).unwrap();
        let mut buf = [0; 16];
        assert_would_block(server.try_recv_from(&mut buf));
        assert_eq!(client.try_send_to(b"hi", dir.0.join("server")).unwrap(), 2);
        server.readable().await.unwrap();
        let from = server.try_peek_sender().unwrap();
        assert_eq!(from.as_pathname(), Some(dir.0.join("client").as_path()));
        let (n, from) = server.try_peek_from(&mut buf).unwrap();
        assert_eq!(n, 2);
        assert_eq!(from.as_pathname(), Some(dir.0.join("client").as_path()));
        let (n, from) = server.try_recv_from(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"hi");
        let back = from.as_pathname().unwrap();
        assert_eq!(server.try_send_to(b"back", back).unwrap(), 4);
        assert_eq!(client.recv(&mut buf).await.unwrap(), 4);
        assert_eq!(&buf[..4], b"back");
        assert_would_block(server.try_recv_from(&mut buf));
    });
}

fn unix_try_send_would_block_on_a_full_peer_and_writable_waits(rt: Runtime) {
    rt.block_on(async {
        let (a, b) = UnixDatagram::pair().unwrap();
        let datagram = [7u8; 1024];
        // Fill b's queue. An edge that arrived while filling may leave the
        // readiness set (tokio's "false positive"); try again until the
        // full queue shows as not writable.
        let mut sent = 0;
        let mut waiting = false;
        for _ in 0..10 {
            loop {
                match a.try_send(&datagram) {
                    Ok(n) => {
                        assert_eq!(n, datagram.len());
                        sent += 1;
                        assert!(sent < 100_000, "the peer's queue never filled");
                    }
                    Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                    Err(e) => panic!("{e:?}"),
                }
            }
            if poll!(pin!(a.writable())).is_pending() {
                waiting = true;
                break;
            }
        }
        assert!(waiting, "writable kept resolving on a full queue");
        assert!(sent > 0);
        assert!(poll!(poll_fn(|cx| a.poll_send(cx, &datagram))).is_pending());
        assert_would_block(a.try_send(&datagram));

        // Draining the peer makes room, and the waiting `writable` wakes.
        let writable = a.writable();
        let mut buf = [0; 2048];
        for _ in 0..sent {
            assert_eq!(b.recv(&mut buf).await.unwrap(), datagram.len());
        }
        guillotine::time::timeout(Duration::from_secs(30), writable)
            .await
            .expect("writable once the peer drained")
            .unwrap();
        assert_eq!(a.try_send(&datagram).unwrap(), datagram.len());
        assert_eq!(b.recv(&mut buf).await.unwrap(), datagram.len());
        assert_would_block(b.try_recv(&mut buf));
    });
}

fn unix_poll_methods_through_poll_fn(rt: Runtime) {
    let dir = TempDir::new("poll");
    rt.block_on(async {
        let server = UnixDatagram::bind(dir.0.join("server")).unwrap();
        let client = UnixDatagram::bind(dir.0.join("client")).unwrap();
        client.connect(dir.0.join("server")).unwrap();
        let client_path = dir.0.join("client");

        let mut buf = [0; 16];
        let mut recv = Box::pin(poll_fn(|cx| server.poll_recv(cx, &mut buf)));
        assert!(poll!(recv.as_mut()).is_pending());
        assert_eq!(
            poll_fn(|cx| client.poll_send(cx, b"poll")).await.unwrap(),
            4
        );
        assert_eq!(recv.await.unwrap(), 4);
        assert_eq!(&buf[..4], b"poll");

        let server_path = dir.0.join("server");
        let sent = poll_fn(|cx| client.poll_send_to(cx, b"to", &server_path)).await;
        assert_eq!(sent.unwrap(), 2);
        let sender = poll_fn(|cx| server.poll_peek_sender(cx)).await.unwrap();
        assert_eq!(sender.as_pathname(), Some(client_path.as_path()));
        let mut buf = [0; 16];
        assert_eq!(
            poll_fn(|cx| server.poll_peek(cx, &mut buf)).await.unwrap(),
            2
        );
        assert_eq!(&buf[..2], b"to");
        let mut buf = [0; 16];
        let (n, from) = poll_fn(|cx| server.poll_peek_from(cx, &mut buf))
            .await
            .unwrap();
        assert_eq!((n, from.as_pathname()), (2, Some(client_path.as_path())));
        let mut buf = [0; 16];
        let (n, from) = poll_fn(|cx| server.poll_recv_from(cx, &mut buf))
            .await
            .unwrap();
        assert_eq!(&buf[..n], b"to");
        assert_eq!(from.as_pathname(), Some(client_path.as_path()));

        let mut buf = [0; 16];
        assert!(poll!(poll_fn(|cx| server.poll_recv_from(cx, &mut buf))).is_pending());
        assert!(poll!(poll_fn(|cx| server.poll_peek_from(cx, &mut buf))).is_pending());
        assert!(poll!(poll_fn(|cx| server.poll_peek_sender(cx))).is_pending());
        // A target that does not exist: the OS error, not `Pending`.
        let missing = dir.0.join("missing");
        let err = poll_fn(|cx| client.poll_send_to(cx, b"x", &missing))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
    });
}

/// `peek_from` reads the sender's address itself (not through `std`): an
/// abstract name comes back whole, a NUL byte inside it included, and as
/// `recv_from` reports it.
fn unix_peek_from_names_an_abstract_sender(rt: Runtime) {
    use std::os::linux::net::SocketAddrExt;
    use std::os::unix::net::{SocketAddr as UnixAddr, UnixDatagram as StdDatagram};
    let n = NEXT.fetch_add(1, SeqCst);
    let name = |who: &str| format!("guillotine\0dgram-{who}-{}-{n}", std::process::id());
    let server_addr = UnixAddr::from_abstract_name(name("server")).unwrap();
    let client_addr = UnixAddr::from_abstract_name(name("client")).unwrap();
    rt.block_on(async {
        let server = UnixDatagram::from_std(StdDatagram::bind_addr(&server_addr).unwrap()).unwrap();
        let client = StdDatagram::bind_addr(&client_addr).unwrap();
        client.send_to_addr(b"hi", &server_addr).unwrap();
        let mut buf = [0; 8];
        let (n, from) = server.peek_from(&mut buf).await.unwrap();
        assert_eq!((n, &buf[..2]), (2, &b"hi"[..]));
        assert_eq!(from.as_abstract_name(), Some(name("client").as_bytes()));
        assert!(from.as_pathname().is_none() && !from.is_unnamed());
        let (n, from) = server.recv_from(&mut buf).await.unwrap();
        assert_eq!(n, 2, "peeking left it queued");
        assert_eq!(from.as_abstract_name(), Some(name("client").as_bytes()));
    });
}

fn unix_peek_and_peek_sender_wait_and_leave_the_datagram(rt: Runtime) {
    let dir = TempDir::new("peek");
    rt.block_on(async {
        let server = UnixDatagram::bind(dir.0.join("server")).unwrap();
        let client = UnixDatagram::bind(dir.0.join("client")).unwrap();
        let mut sender = pin!(server.peek_sender());
        assert!(poll!(sender.as_mut()).is_pending());
        client
            .send_to(b"first", dir.0.join("server"))
            .await
            .unwrap();
        let from = sender.await.unwrap();
        assert_eq!(from.as_pathname(), Some(dir.0.join("client").as_path()));
        let mut buf = [0; 16];
        for _ in 0..2 {
            assert_eq!(server.peek(&mut buf).await.unwrap(), 5);
            assert_eq!(&buf[..5], b"first");
            let (n, from) = server.peek_from(&mut buf).await.unwrap();
            assert_eq!(n, 5);
            assert_eq!(from.as_pathname(), Some(dir.0.join("client").as_path()));
        }
        assert_eq!(server.recv(&mut buf).await.unwrap(), 5);
        assert_would_block(server.try_peek(&mut buf));
    });
}

#[cfg(feature = "bytes")]
fn unix_recv_buf_fills_spare_capacity(rt: Runtime) {
    use bytes::BytesMut;
    rt.block_on(async {
        let (a, b) = UnixDatagram::pair().unwrap();
        let mut vec = Vec::with_capacity(64);
        assert_would_block(b.try_recv_buf(&mut vec));
        assert_would_block(b.try_recv_buf_from(&mut vec));

        vec.extend_from_slice(b"pre:");
        a.send(b"vec").await.unwrap();
        assert_eq!(b.recv_buf(&mut vec).await.unwrap(), 3);
        assert_eq!(vec, b"pre:vec");

        let mut bytes = BytesMut::with_capacity(64);
        a.send(b"bytes").await.unwrap();
        let (n, from) = b.recv_buf_from(&mut bytes).await.unwrap();
        assert_eq!((n, from.is_unnamed(), &bytes[..]), (5, true, &b"bytes"[..]));

        a.send(b"try").await.unwrap();
        b.readable().await.unwrap();
        assert_eq!(b.try_recv_buf(&mut bytes).unwrap(), 3);
        assert_eq!(&bytes[..], b"bytestry");
        assert_would_block(b.try_recv_buf(&mut bytes));
        a.send(b"from").await.unwrap();
        b.readable().await.unwrap();
        let mut vec = Vec::new();
        assert_eq!(b.try_recv_buf_from(&mut vec).unwrap().0, 4);
        assert_eq!(vec, b"from");
        assert_would_block(b.try_recv_buf_from(&mut vec));
    });
}

#[cfg(not(feature = "bytes"))]
fn unix_recv_buf_fills_spare_capacity(_: Runtime) {}

fn errors_keep_the_os_error(rt: Runtime) {
    let dir = TempDir::new("errors");
    rt.block_on(async {
        // UDP without a peer: EDESTADDRREQ from every send-to-the-peer form.
        let lone = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let err = lone.try_send(b"x").unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::EDESTADDRREQ));
        let err = poll_fn(|cx| lone.poll_send(cx, b"x")).await.unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::EDESTADDRREQ));
        let err = lone.send(b"x").await.unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::EDESTADDRREQ));

        // An ICMP "port unreachable" reaches the try_* and poll_* receives.
        let gone = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let gone_addr = gone.local_addr().unwrap();
        drop(gone);
        lone.connect(gone_addr).await.unwrap();
        lone.try_send(b"anyone?").unwrap();
        lone.readable().await.unwrap();
        let err = lone.try_recv(&mut [0; 8]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
        lone.send(b"again?").await.unwrap();
        let err = poll_fn(|cx| lone.poll_peek(cx, &mut [0; 8]))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConnectionRefused);

        // Unix: not connected, no such path, shut down, peer closed.
        let unbound = UnixDatagram::unbound().unwrap();
        let err = unbound.try_send(b"x").unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::ENOTCONN));
        let err = poll_fn(|cx| unbound.poll_send(cx, b"x")).await.unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::ENOTCONN));
        let err = unbound
            .try_send_to(b"x", dir.0.join("missing"))
            .unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::ENOENT));
        let (a, b) = UnixDatagram::pair().unwrap();
        a.shutdown(std::net::Shutdown::Write).unwrap();
        let err = a.try_send(b"x").unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::EPIPE));
        drop((a, b));
        let (c, d) = UnixDatagram::pair().unwrap();
        drop(d);
        let err = c.try_send(b"x").unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::ECONNREFUSED));
    });
}
