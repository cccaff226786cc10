//! The stream methods of issue 16's "TCP and Unix streams" on `TcpStream`,
//! `UnixStream` and their halves: vectored and `BufMut` `try_*` reads and
//! writes, `peek`/`poll_peek`, `linger`, `poll_accept`, Unix
//! `bind_addr`/`connect_addr` with abstract names; and `into_std` /
//! `from_std` keeping a descriptor's flags, for every socket type. On both
//! runtime flavors.

mod support;

use std::future::{Future, poll_fn};
use std::io::{ErrorKind, IoSlice, IoSliceMut};
use std::os::fd::AsRawFd;
use std::os::linux::net::SocketAddrExt;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use guillotine::io::{AsyncReadExt, AsyncWriteExt};
use guillotine::net::unix::SocketAddr as UnixAddr;
use guillotine::net::{TcpListener, TcpStream, UdpSocket, UnixDatagram, UnixListener, UnixStream};
use guillotine::runtime::Runtime;
use support::{both_flavors, fd_flags};

both_flavors! {
    tcp_vectored_try_reads_and_writes,
    unix_vectored_try_reads_and_writes,
    try_write_vectored_fills_the_buffer_then_would_block,
    halves_try_read_and_try_write,
    peek_on_the_read_halves_leaves_the_data,
    poll_peek_is_pending_until_data_then_woken,
    tcp_linger_reads_back_and_zero_linger_resets,
    tcp_poll_accept_is_pending_then_woken,
    unix_poll_accept_is_pending_then_woken,
    unix_abstract_addresses_round_trip,
    unix_bind_addr_and_connect_addr_errors,
    into_std_and_from_std_keep_tcp_flags,
    into_std_and_from_std_keep_unix_flags,
    into_std_and_from_std_keep_datagram_flags,
    from_std_keeps_a_cleared_cloexec,
    #[cfg(feature = "bytes")]
    try_read_buf_on_streams_and_halves,
}

/// A connected TCP pair: (client, server).
async fn tcp_pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let client = TcpStream::connect(listener.local_addr().unwrap())
        .await
        .unwrap();
    let (server, _) = listener.accept().await.unwrap();
    (client, server)
}

/// Polls `fut` once with a waker that counts its wakes.
fn poll_once<F: Future + Unpin>(
    fut: &mut F,
    wakes: &std::sync::Arc<AtomicUsize>,
) -> Poll<F::Output> {
    struct Count(std::sync::Arc<AtomicUsize>);
    impl std::task::Wake for Count {
        fn wake(self: std::sync::Arc<Self>) {
            self.0.fetch_add(1, SeqCst);
        }
    }
    let waker = Waker::from(std::sync::Arc::new(Count(wakes.clone())));
    std::pin::Pin::new(fut).poll(&mut Context::from_waker(&waker))
}

fn tcp_vectored_try_reads_and_writes(rt: Runtime) {
    rt.block_on(async {
        let (client, server) = tcp_pair().await;
        let (mut a, mut b) = ([0; 3], [0; 5]);
        let err = server
            .try_read_vectored(&mut [IoSliceMut::new(&mut a), IoSliceMut::new(&mut b)])
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::WouldBlock);
        let n = client
            .try_write_vectored(&[
                IoSlice::new(b"one"),
                IoSlice::new(b""),
                IoSlice::new(b"three"),
            ])
            .unwrap();
        assert_eq!(n, 8);
        server.readable().await.unwrap();
        let n = server
            .try_read_vectored(&mut [IoSliceMut::new(&mut a), IoSliceMut::new(&mut b)])
            .unwrap();
        assert_eq!((n, &a, &b), (8, b"one", b"three"));
        // Drained: the next try is `WouldBlock` again.
        let err = server
            .try_read_vectored(&mut [IoSliceMut::new(&mut a)])
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::WouldBlock);
        // EOF reads 0.
        drop(client);
        server.readable().await.unwrap();
        assert_eq!(
            server
                .try_read_vectored(&mut [IoSliceMut::new(&mut a)])
                .unwrap(),
            0
        );
    });
}

fn unix_vectored_try_reads_and_writes(rt: Runtime) {
    rt.block_on(async {
        let (a, b) = UnixStream::pair().unwrap();
        let mut buf = [0; 4];
        let err = b
            .try_read_vectored(&mut [IoSliceMut::new(&mut buf)])
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::WouldBlock);
        assert_eq!(
            a.try_write_vectored(&[IoSlice::new(b"ab"), IoSlice::new(b"cd")])
                .unwrap(),
            4
        );
        b.readable().await.unwrap();
        let (mut x, mut y) = ([0; 1], [0; 8]);
        let n = b
            .try_read_vectored(&mut [IoSliceMut::new(&mut x), IoSliceMut::new(&mut y)])
            .unwrap();
        assert_eq!((n, &x, &y[..3]), (4, b"a", &b"bcd"[..]));
        // A closed peer: writing fails with `BrokenPipe`, and no SIGPIPE.
        drop(b);
        let err = a.try_write_vectored(&[IoSlice::new(b"x")]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::BrokenPipe);
    });
}

fn try_write_vectored_fills_the_buffer_then_would_block(rt: Runtime) {
    rt.block_on(async {
        let (a, mut b) = UnixStream::pair().unwrap();
        let chunk = [7u8; 16 * 1024];
        let mut sent = 0usize;
        let err = loop {
            match a.try_write_vectored(&[IoSlice::new(&chunk), IoSlice::new(&chunk)]) {
                Ok(n) => sent += n,
                Err(e) => break e,
            }
        };
        assert_eq!(err.kind(), ErrorKind::WouldBlock);
        assert!(sent > 0);
        // Reading some makes room again; `writable` says so.
        let mut got = vec![0; sent];
        let reader = guillotine::spawn(async move {
            b.read_exact(&mut got).await.unwrap();
            assert!(got.iter().all(|&x| x == 7));
            b
        });
        a.writable().await.unwrap();
        let b = reader.await.unwrap();
        assert!(a.try_write_vectored(&[IoSlice::new(b"more")]).unwrap() > 0);
        drop(b);
    });
}

fn halves_try_read_and_try_write(rt: Runtime) {
    rt.block_on(async {
        // TCP, borrowed halves.
        let (mut client, mut server) = tcp_pair().await;
        {
            let (crd, cwr) = client.split();
            let (srd, swr) = server.split();
            assert_eq!(
                srd.try_read(&mut [0; 4]).unwrap_err().kind(),
                ErrorKind::WouldBlock
            );
            cwr.writable().await.unwrap();
            assert_eq!(cwr.try_write(b"ab").unwrap(), 2);
            assert_eq!(cwr.try_write_vectored(&[IoSlice::new(b"cd")]).unwrap(), 2);
            let mut buf = [0; 4];
            let mut read = 0;
            while read < 4 {
                srd.readable().await.unwrap();
                match srd.try_read_vectored(&mut [IoSliceMut::new(&mut buf[read..])]) {
                    Ok(n) => read += n,
                    Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                    Err(e) => panic!("{e}"),
                }
            }
            assert_eq!(&buf, b"abcd");
            swr.try_write(b"z").unwrap();
            crd.readable().await.unwrap();
            assert_eq!(crd.try_read(&mut buf).unwrap(), 1);
            assert_eq!(srd.peer_addr().unwrap(), cwr.local_addr().unwrap());
            assert_eq!(crd.local_addr().unwrap(), swr.peer_addr().unwrap());
        }
        // TCP, owned halves.
        let (crd, cwr) = client.into_split();
        let (srd, swr) = server.into_split();
        cwr.writable().await.unwrap();
        assert_eq!(cwr.try_write_vectored(&[IoSlice::new(b"xy")]).unwrap(), 2);
        srd.readable().await.unwrap();
        let mut buf = [0; 2];
        assert_eq!(srd.try_read(&mut buf).unwrap(), 2);
        swr.try_write(b"w").unwrap();
        crd.readable().await.unwrap();
        assert_eq!(
            crd.try_read_vectored(&mut [IoSliceMut::new(&mut buf)])
                .unwrap(),
            1
        );
        // Dropping the owned write half shuts the write side: EOF.
        drop(cwr);
        srd.readable().await.unwrap();
        assert_eq!(srd.try_read(&mut buf).unwrap(), 0);

        // Unix, borrowed and owned halves.
        let (mut a, b) = UnixStream::pair().unwrap();
        {
            let (ard, awr) = a.split();
            assert_eq!(
                ard.try_read(&mut buf).unwrap_err().kind(),
                ErrorKind::WouldBlock
            );
            awr.writable().await.unwrap();
            assert_eq!(awr.try_write(b"u").unwrap(), 1);
            assert!(ard.peer_addr().unwrap().is_unnamed());
            assert!(awr.local_addr().unwrap().is_unnamed());
        }
        let (brd, bwr) = b.into_split();
        brd.readable().await.unwrap();
        assert_eq!(
            brd.try_read_vectored(&mut [IoSliceMut::new(&mut buf)])
                .unwrap(),
            1
        );
        bwr.writable().await.unwrap();
        assert_eq!(bwr.try_write_vectored(&[IoSlice::new(b"v")]).unwrap(), 1);
        assert_eq!(bwr.try_write(b"w").unwrap(), 1);
        let (ard, _awr) = a.split();
        ard.readable().await.unwrap();
        assert_eq!(ard.try_read(&mut buf).unwrap(), 2);
    });
}

fn peek_on_the_read_halves_leaves_the_data(rt: Runtime) {
    rt.block_on(async {
        let (mut client, mut server) = tcp_pair().await;
        // The borrowed read half.
        {
            let (mut srd, _swr) = server.split();
            client.write_all(b"first").await.unwrap();
            let mut buf = [0; 8];
            let n = srd.peek(&mut buf).await.unwrap();
            assert_eq!(&buf[..n], b"first");
            let n = srd.peek(&mut buf).await.unwrap();
            assert_eq!(&buf[..n], b"first", "peeking twice sees the same");
            srd.read_exact(&mut buf[..5]).await.unwrap();
            assert_eq!(&buf[..5], b"first");
        }
        // The owned read half.
        let (mut crd, cwr) = client.into_split();
        server.write_all(b"second").await.unwrap();
        let mut buf = [0; 6];
        assert_eq!(crd.peek(&mut buf).await.unwrap(), 6);
        crd.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"second");
        // At EOF, peek returns 0.
        drop(server);
        assert_eq!(crd.peek(&mut buf).await.unwrap(), 0);
        drop(cwr);
    });
}

fn poll_peek_is_pending_until_data_then_woken(rt: Runtime) {
    rt.block_on(async {
        let (mut client, server) = tcp_pair().await;
        let wakes = std::sync::Arc::new(AtomicUsize::new(0));
        let mut buf = [0; 8];
        {
            let mut peek = poll_fn(|cx| server.poll_peek(cx, &mut buf));
            assert!(poll_once(&mut peek, &wakes).is_pending());
            client.write_all(b"wake").await.unwrap();
            support::eventually("poll_peek's waker woken", || wakes.load(SeqCst) > 0).await;
            match poll_once(&mut peek, &wakes) {
                Poll::Ready(Ok(4)) => {}
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(&buf[..4], b"wake");
        // Still there for a read, through both halves' poll_peek.
        let (mut srd, swr) = server.into_split();
        let n = poll_fn(|cx| srd.poll_peek(cx, &mut buf)).await.unwrap();
        assert_eq!(&buf[..n], b"wake");
        let mut server = srd.reunite(swr).unwrap();
        {
            let (mut rd, _wr) = server.split();
            let n = poll_fn(|cx| rd.poll_peek(cx, &mut buf)).await.unwrap();
            assert_eq!(&buf[..n], b"wake");
        }
        server.read_exact(&mut buf[..4]).await.unwrap();
        // An error comes back as one: a reset connection.
        client.set_zero_linger().unwrap();
        drop(client);
        let err = poll_fn(|cx| server.poll_peek(cx, &mut buf))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConnectionReset);
    });
}

#[allow(
    deprecated,
    reason = "set_linger is deprecated as in tokio, still tested"
)]
fn tcp_linger_reads_back_and_zero_linger_resets(rt: Runtime) {
    rt.block_on(async {
        let (client, mut server) = tcp_pair().await;
        assert_eq!(client.linger().unwrap(), None);
        client.set_linger(Some(Duration::from_secs(7))).unwrap();
        assert_eq!(client.linger().unwrap(), Some(Duration::from_secs(7)));
        client.set_linger(None).unwrap();
        assert_eq!(client.linger().unwrap(), None);
        client.set_zero_linger().unwrap();
        assert_eq!(client.linger().unwrap(), Some(Duration::ZERO));
        // Unsent data is dropped and the peer sees a reset, not EOF.
        drop(client);
        let err = server.read(&mut [0; 4]).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConnectionReset);
        // Options on a reset stream still read back.
        assert_eq!(server.linger().unwrap(), None);
    });
}

fn tcp_poll_accept_is_pending_then_woken(rt: Runtime) {
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let wakes = std::sync::Arc::new(AtomicUsize::new(0));
        let mut accept = poll_fn(|cx| listener.poll_accept(cx));
        assert!(poll_once(&mut accept, &wakes).is_pending());
        let client = TcpStream::connect(addr).await.unwrap();
        support::eventually("poll_accept's waker woken", || wakes.load(SeqCst) > 0).await;
        let Poll::Ready(Ok((mut server, peer))) = poll_once(&mut accept, &wakes) else {
            panic!("no connection after the wake");
        };
        assert_eq!(peer, client.local_addr().unwrap());
        support::assert_cloexec_nonblocking(server.as_raw_fd(), "accepted stream");
        (&client).write_all(b"ok").await.unwrap();
        let mut buf = [0; 2];
        server.read_exact(&mut buf).await.unwrap();
        // Two queued connections: two `Ready`s in a row, then `Pending`.
        let _c1 = TcpStream::connect(addr).await.unwrap();
        let _c2 = TcpStream::connect(addr).await.unwrap();
        poll_fn(|cx| listener.poll_accept(cx)).await.unwrap();
        poll_fn(|cx| listener.poll_accept(cx)).await.unwrap();
        let mut accept = poll_fn(|cx| listener.poll_accept(cx));
        assert!(poll_once(&mut accept, &wakes).is_pending());
    });
}

fn unix_poll_accept_is_pending_then_woken(rt: Runtime) {
    rt.block_on(async {
        let addr = abstract_addr("poll-accept");
        let listener = UnixListener::bind_addr(&addr).unwrap();
        let wakes = std::sync::Arc::new(AtomicUsize::new(0));
        let mut accept = poll_fn(|cx| listener.poll_accept(cx));
        assert!(poll_once(&mut accept, &wakes).is_pending());
        let mut client = UnixStream::connect_addr(&addr).await.unwrap();
        support::eventually("poll_accept's waker woken", || wakes.load(SeqCst) > 0).await;
        let Poll::Ready(Ok((mut server, peer))) = poll_once(&mut accept, &wakes) else {
            panic!("no connection after the wake");
        };
        assert!(peer.is_unnamed());
        client.write_all(b"hi").await.unwrap();
        let mut buf = [0; 2];
        server.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"hi");
    });
}

/// A fresh abstract address for this process and test.
fn abstract_addr(what: &str) -> UnixAddr {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let name = format!(
        "guillotine-net-streams-{}-{what}-{}",
        std::process::id(),
        NEXT.fetch_add(1, SeqCst)
    );
    UnixAddr::from_abstract_name(name).unwrap()
}

fn unix_abstract_addresses_round_trip(rt: Runtime) {
    rt.block_on(async {
        let addr = abstract_addr("round-trip");
        let listener = UnixListener::bind_addr(&addr).unwrap();
        let local = listener.local_addr().unwrap();
        assert_eq!(local.as_abstract_name(), addr.as_abstract_name());
        assert_eq!(local.as_pathname(), None);
        let mut client = UnixStream::connect_addr(&addr).await.unwrap();
        assert_eq!(
            client.peer_addr().unwrap().as_abstract_name(),
            addr.as_abstract_name()
        );
        let (mut server, _) = listener.accept().await.unwrap();
        assert_eq!(
            server.local_addr().unwrap().as_abstract_name(),
            addr.as_abstract_name()
        );
        client.write_all(b"abstract").await.unwrap();
        let mut buf = [0; 8];
        server.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"abstract");
        // A path address works through the same calls, and a leading NUL
        // byte in `bind`'s path means an abstract name, as in tokio.
        let dir =
            std::env::temp_dir().join(format!("guillotine-net-streams-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{}.sock", NEXT_PATH.fetch_add(1, SeqCst)));
        let _ = std::fs::remove_file(&path);
        let by_path = UnixListener::bind_addr(&UnixAddr::from_pathname(&path).unwrap()).unwrap();
        let _c = UnixStream::connect(&path).await.unwrap();
        by_path.accept().await.unwrap();
        std::fs::remove_file(&path).unwrap();
        let name = abstract_addr("nul");
        let mut nul_path = vec![0u8];
        nul_path.extend_from_slice(name.as_abstract_name().unwrap());
        let nul_path = <std::ffi::OsStr as std::os::unix::ffi::OsStrExt>::from_bytes(&nul_path);
        let by_nul = UnixListener::bind(nul_path).unwrap();
        assert_eq!(
            by_nul.local_addr().unwrap().as_abstract_name(),
            name.as_abstract_name()
        );
        let _c = UnixStream::connect_addr(&name).await.unwrap();
        let _c = UnixStream::connect(nul_path).await.unwrap();
        // The name is free again once the listener is gone.
        drop((listener, server));
        let again = UnixListener::bind_addr(&addr).unwrap();
        drop(again);
    });
}

static NEXT_PATH: AtomicUsize = AtomicUsize::new(0);

fn unix_bind_addr_and_connect_addr_errors(rt: Runtime) {
    rt.block_on(async {
        let addr = abstract_addr("errors");
        let err = UnixStream::connect_addr(&addr).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
        let listener = UnixListener::bind_addr(&addr).unwrap();
        let err = UnixListener::bind_addr(&addr).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::AddrInUse);
        // An unnamed address: `connect(2)` refuses it; `bind(2)` picks an
        // abstract name.
        let unnamed = UnixAddr::from_pathname("").unwrap();
        assert!(unnamed.is_unnamed());
        let err = UnixStream::connect_addr(&unnamed).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        let auto = UnixListener::bind_addr(&unnamed).unwrap();
        let picked = auto.local_addr().unwrap();
        assert!(picked.as_abstract_name().is_some(), "{picked:?}");
        let _c = UnixStream::connect_addr(&picked).await.unwrap();
        auto.accept().await.unwrap();
        // A path whose directory does not exist.
        let missing = UnixAddr::from_pathname("/nonexistent-guillotine-dir/s.sock").unwrap();
        assert_eq!(
            UnixListener::bind_addr(&missing).unwrap_err().kind(),
            ErrorKind::NotFound
        );
        assert_eq!(
            UnixStream::connect_addr(&missing).await.unwrap_err().kind(),
            ErrorKind::NotFound
        );
        drop(listener);
    });
}

/// `F_GETFL` and `FD_CLOEXEC` of `fd`, from /proc (the O_CLOEXEC bit of
/// fdinfo's flags is the descriptor's FD_CLOEXEC).
fn flags(fd: i32) -> (bool, bool) {
    let f = fd_flags(fd);
    (
        f & libc::O_NONBLOCK as u32 != 0,
        f & libc::O_CLOEXEC as u32 != 0,
    )
}

/// Non-blocking and close-on-exec.
const NONBLOCK_CLOEXEC: (bool, bool) = (true, true);

fn into_std_and_from_std_keep_tcp_flags(rt: Runtime) {
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let fd = listener.as_raw_fd();
        let all = fd_flags(fd);
        let std_listener = listener.into_std().unwrap();
        assert_eq!(std_listener.as_raw_fd(), fd);
        assert_eq!(fd_flags(fd), all, "into_std changed no flag");
        assert_eq!(
            flags(fd),
            NONBLOCK_CLOEXEC,
            "still non-blocking, as in tokio"
        );
        let listener = TcpListener::from_std(std_listener).unwrap();
        assert_eq!((listener.as_raw_fd(), fd_flags(fd)), (fd, all));

        let (client, server) = {
            let c = TcpStream::connect(listener.local_addr().unwrap())
                .await
                .unwrap();
            (c, listener.accept().await.unwrap().0)
        };
        let fd = server.as_raw_fd();
        let all = fd_flags(fd);
        let std_server = server.into_std().unwrap();
        assert_eq!((std_server.as_raw_fd(), fd_flags(fd)), (fd, all));
        assert_eq!(flags(fd), NONBLOCK_CLOEXEC);
        let mut server = TcpStream::from_std(std_server).unwrap();
        assert_eq!((server.as_raw_fd(), fd_flags(fd)), (fd, all));
        // Round-tripped, it still works on the reactor.
        (&client).write_all(b"rt").await.unwrap();
        let mut buf = [0; 2];
        server.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"rt");
    });
}

fn into_std_and_from_std_keep_unix_flags(rt: Runtime) {
    rt.block_on(async {
        let addr = abstract_addr("flags");
        let listener = UnixListener::bind_addr(&addr).unwrap();
        let fd = listener.as_raw_fd();
        let all = fd_flags(fd);
        let std_listener = listener.into_std().unwrap();
        assert_eq!((std_listener.as_raw_fd(), fd_flags(fd)), (fd, all));
        assert_eq!(flags(fd), NONBLOCK_CLOEXEC);
        let listener = UnixListener::from_std(std_listener).unwrap();
        assert_eq!((listener.as_raw_fd(), fd_flags(fd)), (fd, all));

        let (a, mut b) = UnixStream::pair().unwrap();
        let fd = a.as_raw_fd();
        let all = fd_flags(fd);
        let std_a = a.into_std().unwrap();
        assert_eq!((std_a.as_raw_fd(), fd_flags(fd)), (fd, all));
        assert_eq!(flags(fd), NONBLOCK_CLOEXEC);
        let mut a = UnixStream::from_std(std_a).unwrap();
        assert_eq!((a.as_raw_fd(), fd_flags(fd)), (fd, all));
        a.write_all(b"ux").await.unwrap();
        let mut buf = [0; 2];
        b.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"ux");
        let _c = UnixStream::connect_addr(&addr).await.unwrap();
        listener.accept().await.unwrap();
    });
}

fn into_std_and_from_std_keep_datagram_flags(rt: Runtime) {
    rt.block_on(async {
        let udp = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let fd = udp.as_raw_fd();
        let all = fd_flags(fd);
        let std_udp = udp.into_std().unwrap();
        assert_eq!((std_udp.as_raw_fd(), fd_flags(fd)), (fd, all));
        assert_eq!(flags(fd), NONBLOCK_CLOEXEC);
        let udp = UdpSocket::from_std(std_udp).unwrap();
        assert_eq!((udp.as_raw_fd(), fd_flags(fd)), (fd, all));
        udp.send_to(b"d", udp.local_addr().unwrap()).await.unwrap();
        let mut buf = [0; 1];
        assert_eq!(udp.recv(&mut buf).await.unwrap(), 1);

        let (a, b) = UnixDatagram::pair().unwrap();
        let fd = a.as_raw_fd();
        let all = fd_flags(fd);
        let std_a = a.into_std().unwrap();
        assert_eq!((std_a.as_raw_fd(), fd_flags(fd)), (fd, all));
        assert_eq!(flags(fd), NONBLOCK_CLOEXEC);
        let a = UnixDatagram::from_std(std_a).unwrap();
        assert_eq!((a.as_raw_fd(), fd_flags(fd)), (fd, all));
        a.send(b"u").await.unwrap();
        assert_eq!(b.recv(&mut buf).await.unwrap(), 1);
    });
}

fn from_std_keeps_a_cleared_cloexec(rt: Runtime) {
    use socket2::SockRef;
    rt.block_on(async {
        // Blocking and not close-on-exec, as a program might hand it over
        // for a child to inherit.
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        SockRef::from(&std_listener).set_cloexec(false).unwrap();
        let fd = std_listener.as_raw_fd();
        assert_eq!(flags(fd), (false, false));
        let listener = TcpListener::from_std(std_listener).unwrap();
        assert_eq!(
            flags(fd),
            (true, false),
            "non-blocking now; FD_CLOEXEC as it was"
        );
        let std_client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        SockRef::from(&std_client).set_cloexec(false).unwrap();
        let cfd = std_client.as_raw_fd();
        let client = TcpStream::from_std(std_client).unwrap();
        assert_eq!(flags(cfd), (true, false));
        let (server, _) = listener.accept().await.unwrap();
        assert_eq!(
            flags(server.as_raw_fd()),
            NONBLOCK_CLOEXEC,
            "accept4 sets both"
        );
        let std_client = client.into_std().unwrap();
        assert_eq!(flags(cfd), (true, false));
        let std_listener = listener.into_std().unwrap();
        assert_eq!(flags(fd), (true, false));

        let (a, b) = std::os::unix::net::UnixStream::pair().unwrap();
        SockRef::from(&a).set_cloexec(false).unwrap();
        let afd = a.as_raw_fd();
        let a = UnixStream::from_std(a).unwrap();
        assert_eq!(flags(afd), (true, false));
        let a = a.into_std().unwrap();
        assert_eq!(flags(afd), (true, false));
        drop((std_client, std_listener, server, a, b));
    });
}

#[cfg(feature = "bytes")]
fn try_read_buf_on_streams_and_halves(rt: Runtime) {
    use bytes::BytesMut;
    rt.block_on(async {
        let (mut client, mut server) = tcp_pair().await;
        let mut buf = BytesMut::with_capacity(4);
        let err = server.try_read_buf(&mut buf).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::WouldBlock);
        assert!(buf.is_empty());
        client.write_all(b"0123456789").await.unwrap();
        server.readable().await.unwrap();
        // No room: nothing is read (0), and the data stays.
        let mut no_room: &mut [u8] = &mut [];
        assert_eq!(server.try_read_buf(&mut no_room).unwrap(), 0);
        // The spare capacity first, then what `BufMut` reserves.
        assert_eq!(server.try_read_buf(&mut buf).unwrap(), 4);
        assert_eq!(&buf[..], b"0123");
        assert_eq!(server.try_read_buf(&mut buf).unwrap(), 6);
        assert_eq!(&buf[..], b"0123456789");
        let err = server.try_read_buf(&mut buf).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::WouldBlock);

        // The TCP halves, borrowed and owned.
        {
            let (rd, _wr) = server.split();
            client.write_all(b"ab").await.unwrap();
            rd.readable().await.unwrap();
            let mut v = Vec::new();
            assert_eq!(rd.try_read_buf(&mut v).unwrap(), 2);
            assert_eq!(v, b"ab");
        }
        let (rd, _wr) = server.into_split();
        client.write_all(b"cd").await.unwrap();
        rd.readable().await.unwrap();
        let mut v = Vec::with_capacity(8);
        assert_eq!(rd.try_read_buf(&mut v).unwrap(), 2);
        assert_eq!(v, b"cd");
        // EOF reads 0.
        drop(client);
        rd.readable().await.unwrap();
        assert_eq!(rd.try_read_buf(&mut v).unwrap(), 0);

        // Unix: the stream and both halves.
        let (mut a, mut b) = UnixStream::pair().unwrap();
        let mut v = Vec::new();
        assert_eq!(
            b.try_read_buf(&mut v).unwrap_err().kind(),
            ErrorKind::WouldBlock
        );
        a.write_all(b"u1").await.unwrap();
        b.readable().await.unwrap();
        assert_eq!(b.try_read_buf(&mut v).unwrap(), 2);
        {
            let (rd, _wr) = b.split();
            a.write_all(b"u2").await.unwrap();
            rd.readable().await.unwrap();
            assert_eq!(rd.try_read_buf(&mut v).unwrap(), 2);
        }
        let (rd, _wr) = b.into_split();
        a.write_all(b"u3").await.unwrap();
        rd.readable().await.unwrap();
        assert_eq!(rd.try_read_buf(&mut v).unwrap(), 2);
        assert_eq!(v, b"u1u2u3");
    });
}
