//! Readiness as a value: `io::Ready` and `Interest::{PRIORITY, ERROR}` on
//! every socket (`ready`, `poll_*_ready`, `try_io`, `async_io`) and on the
//! split halves, and on `AsyncFd` (`ready`/`ready_mut`, the guards' `ready`
//! and `clear_ready_matching`, `async_io`/`async_io_mut`, `try_io`,
//! `try_new`). Urgent TCP data, a UDP socket's ICMP error, a peer's
//! shutdown; each with its error case. On both runtime flavors.

mod support;

use std::future::{Future, poll_fn};
use std::io::{ErrorKind, Read, Write};
use std::mem::MaybeUninit;
use std::os::fd::{AsFd, AsRawFd};
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::task::{Context, Waker};
use std::time::Duration;

use futures::FutureExt;
use guillotine::io::{AsyncFd, AsyncReadExt, AsyncWriteExt, Interest, Ready};
use guillotine::net::{TcpListener, TcpStream, UdpSocket, UnixDatagram, UnixStream};
use guillotine::runtime::Runtime;
use socket2::SockRef;
use support::{both_flavors, open_fds};

both_flavors! {
    ready_reports_what_a_tcp_stream_is_ready_for,
    read_closed_after_the_peer_shuts_down,
    priority_readiness_for_tcp_urgent_data,
    priority_readiness_on_an_async_fd,
    error_readiness_for_a_refused_udp_socket,
    a_pending_error_ends_a_receive_instead_of_hanging,
    error_readiness_on_an_async_fd_registered_for_errors_only,
    poll_ready_on_every_socket,
    try_io_and_async_io_on_every_socket,
    ready_on_the_split_halves,
    ready_fails_once_the_runtime_is_gone,
    async_fd_ready_and_clear_ready_matching,
    async_fd_ready_mut_and_clear_ready_matching,
    async_fd_ready_outside_its_interest_fails_at_once,
    async_io_mut_reads_a_child_stdout,
    async_fd_try_io_and_async_io,
    try_new_hands_the_descriptor_back,
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

/// Asserts that a wait made by `wait` does not end now. Readiness may be
/// spurious (an event that raced with the clear that preceded): `drain`
/// must then fail with `WouldBlock`, which clears it for good.
fn assert_not_ready<F: Future>(mut wait: impl FnMut() -> F, mut drain: impl FnMut() -> bool) {
    for _ in 0..3 {
        if wait().now_or_never().is_none() {
            return;
        }
        assert!(drain(), "ready, and the operation did not block");
    }
    panic!("still ready after three WouldBlocks");
}

/// Waits until `wait` reports the read half closed. On a multi-thread
/// runtime an older event can be dispatched after the readiness it
/// carried was cleared (its tick makes the clear a no-op), so plain
/// readability may come first: `read` must then find nothing to read
/// (`WouldBlock`, or end of stream once the FIN is in).
async fn read_closed<F>(
    mut wait: impl FnMut() -> F,
    mut read: impl FnMut() -> std::io::Result<usize>,
) -> Ready
where
    F: Future<Output = std::io::Result<Ready>>,
{
    let give_up = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let ready = wait().await.unwrap();
        if ready.is_read_closed() {
            return ready;
        }
        match read() {
            Ok(0) => {}
            Err(e) if e.kind() == ErrorKind::WouldBlock => {}
            other => panic!("{ready:?} before the close, and a read gave {other:?}"),
        }
        assert!(
            std::time::Instant::now() < give_up,
            "the read half never closed"
        );
        guillotine::task::yield_now().await;
    }
}

fn would_block<T: std::fmt::Debug>(result: std::io::Result<T>) -> bool {
    result.unwrap_err().kind() == ErrorKind::WouldBlock
}

/// The event mask epoll holds for `fd` (it is registered once, with one
/// of the process's epoll instances).
fn epoll_mask(fd: i32) -> u32 {
    let mut masks = Vec::new();
    for entry in std::fs::read_dir("/proc/self/fd").unwrap() {
        let path = entry.unwrap().path();
        // Another test's runtime may close its descriptors meanwhile.
        let Ok(link) = std::fs::read_link(&path) else {
            continue;
        };
        if link.to_str() != Some("anon_inode:[eventpoll]") {
            continue;
        }
        let info_path = format!("/proc/self/fdinfo/{}", path.file_name().unwrap().display());
        let Ok(info) = std::fs::read_to_string(info_path) else {
            continue;
        };
        masks.extend(info.lines().filter_map(|line| {
            let mut words = line.split_whitespace();
            (words.next()? == "tfd:" && words.next()?.parse() == Ok(fd)).then_some(())?;
            let mask = words.skip_while(|w| *w != "events:").nth(1)?;
            u32::from_str_radix(mask, 16).ok()
        }));
    }
    assert_eq!(masks.len(), 1, "fd {fd} registered once: {masks:x?}");
    masks[0]
}

fn ready_reports_what_a_tcp_stream_is_ready_for(rt: Runtime) {
    rt.block_on(async {
        let (mut client, server) = tcp_pair().await;
        assert_eq!(
            client.ready(Interest::WRITABLE).await.unwrap(),
            Ready::WRITABLE
        );
        assert_not_ready(
            || server.ready(Interest::READABLE),
            || would_block(server.try_read(&mut [0; 8])),
        );
        client.write_all(b"ab").await.unwrap();
        // A wait for either ends with the first: writability, here.
        assert!(
            server
                .ready(Interest::READABLE | Interest::WRITABLE)
                .await
                .unwrap()
                .is_writable()
        );
        server.readable().await.unwrap();
        let both = server
            .ready(Interest::READABLE | Interest::WRITABLE)
            .await
            .unwrap();
        assert_eq!(both, Ready::READABLE | Ready::WRITABLE);
        // Only what was asked for is reported.
        assert_eq!(
            server.ready(Interest::READABLE).await.unwrap(),
            Ready::READABLE
        );
        // `ready` cleared nothing: the data is still there.
        assert_eq!(server.try_read(&mut [0; 8]).unwrap(), 2);
        assert!(would_block(server.try_read(&mut [0; 8])));
        assert_not_ready(
            || server.ready(Interest::READABLE),
            || would_block(server.try_read(&mut [0; 8])),
        );
    });
}

fn read_closed_after_the_peer_shuts_down(rt: Runtime) {
    rt.block_on(async {
        let (client, server) = tcp_pair().await;
        client.shutdown(std::net::Shutdown::Write).unwrap();
        let ready = server.ready(Interest::READABLE).await.unwrap();
        assert!(ready.is_read_closed() && ready.is_readable(), "{ready:?}");
        assert_eq!(server.try_read(&mut [0; 8]).unwrap(), 0);
        // A FIN is never cleared: no new event would come.
        let again = server.ready(Interest::READABLE).now_or_never();
        assert!(again.unwrap().unwrap().is_read_closed());
        // A half-close: the other way is still open.
        let write = server.ready(Interest::WRITABLE).await.unwrap();
        assert_eq!(write, Ready::WRITABLE);

        // A Unix peer that goes away hangs up both ways.
        let (a, b) = UnixStream::pair().unwrap();
        drop(b);
        a.readable().await.unwrap();
        let ready = a
            .ready(Interest::READABLE | Interest::WRITABLE)
            .await
            .unwrap();
        assert!(
            ready.is_read_closed() && ready.is_write_closed(),
            "{ready:?}"
        );
        assert_eq!(a.try_read(&mut [0; 8]).unwrap(), 0);
        let err = a.try_write(b"x").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::BrokenPipe);
    });
}

fn priority_readiness_for_tcp_urgent_data(rt: Runtime) {
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().await.unwrap();
        // Sockets are registered for urgent data, at no cost until it comes.
        let mask = epoll_mask(server.as_raw_fd());
        assert_ne!(mask & libc::EPOLLPRI as u32, 0, "{mask:#x}");
        assert!(server.ready(Interest::PRIORITY).now_or_never().is_none());

        SockRef::from(&client).send_out_of_band(b"!").unwrap();
        let ready = server.ready(Interest::PRIORITY).await.unwrap();
        assert_eq!(ready, Ready::PRIORITY);
        let mut oob = [MaybeUninit::new(0); 1];
        let n = server
            .try_io(Interest::PRIORITY, || {
                SockRef::from(&server).recv_out_of_band(&mut oob)
            })
            .unwrap();
        assert_eq!(n, 1);
        // Read: nothing urgent is left (Linux says EINVAL, not EAGAIN), so
        // clear the readiness as an operation that would block does.
        let err = SockRef::from(&server)
            .recv_out_of_band(&mut oob)
            .unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::EINVAL));
        let clear = || {
            would_block(server.try_io(Interest::PRIORITY, || {
                Err::<(), _>(ErrorKind::WouldBlock.into())
            }))
        };
        assert!(clear());
        assert_not_ready(|| server.ready(Interest::PRIORITY), clear);

        // `async_io` waits for the next urgent byte.
        let reader = async {
            let mut byte = [MaybeUninit::new(0); 1];
            server
                .async_io(Interest::PRIORITY, || {
                    SockRef::from(&server).recv_out_of_band(&mut byte)
                })
                .await
        };
        SockRef::from(&client).send_out_of_band(b"?").unwrap();
        assert_eq!(reader.await.unwrap(), 1);
        // The urgent bytes never entered the stream.
        (&client).write_all(b"data").unwrap();
        drop(client);
        let mut rest = Vec::new();
        let mut server = server;
        server.read_to_end(&mut rest).await.unwrap();
        assert_eq!(rest, b"data");
    });
}

fn priority_readiness_on_an_async_fd(rt: Runtime) {
    rt.block_on(async {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        server.set_nonblocking(true).unwrap();
        let fd = AsyncFd::with_interest(server, Interest::PRIORITY).unwrap();
        let mask = epoll_mask(fd.as_raw_fd());
        let rw = (libc::EPOLLIN | libc::EPOLLOUT | libc::EPOLLRDHUP) as u32;
        assert_eq!(mask & rw, 0, "only urgent data was asked for: {mask:#x}");
        assert_ne!(mask & libc::EPOLLPRI as u32, 0, "{mask:#x}");

        SockRef::from(&client).send_out_of_band(b"!").unwrap();
        let mut guard = fd.ready(Interest::PRIORITY).await.unwrap();
        assert_eq!(guard.ready(), Ready::PRIORITY);
        guard.clear_ready_matching(Ready::PRIORITY);
        assert_eq!(guard.ready(), Ready::EMPTY);
        // Cleared in the registration, not only in the guard.
        assert!(fd.ready(Interest::PRIORITY).now_or_never().is_none());
    });
}

/// A UDP socket connected to a port nobody listens on, with the
/// `ECONNREFUSED` of the ICMP answer to a datagram pending on it; the
/// datagram is sent again if no answer comes (ICMP may be dropped).
async fn refused_udp_socket() -> UdpSocket {
    let closed = std::net::UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    socket.connect(closed).await.unwrap();
    for _ in 0..20 {
        // A refusal already pending fails this send (and is consumed).
        if socket.send(b"anyone?").await.is_err() {
            continue;
        }
        let wait = socket.ready(Interest::ERROR);
        if let Ok(ready) = guillotine::time::timeout(Duration::from_millis(500), wait).await {
            assert_eq!(ready.unwrap(), Ready::ERROR);
            return socket;
        }
    }
    panic!("no ICMP port unreachable came back on the loopback");
}

fn error_readiness_for_a_refused_udp_socket(rt: Runtime) {
    rt.block_on(async {
        let socket = refused_udp_socket().await;
        // Without ERROR in the interest, the error shows as readiness for
        // the call that would return it.
        let read = socket.ready(Interest::READABLE).await.unwrap();
        assert_eq!(read, Ready::READABLE);
        let both = socket
            .ready(Interest::WRITABLE | Interest::ERROR)
            .await
            .unwrap();
        assert_eq!(both, Ready::WRITABLE | Ready::ERROR);
        let err = socket.take_error().unwrap().expect("a pending error");
        assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
        assert!(socket.take_error().unwrap().is_none(), "taken");
        // The next receive that would block clears the readiness (a
        // late second refusal, after a resend, would set it again).
        assert!(would_block(socket.try_recv_from(&mut [0; 8])));
        assert_not_ready(
            || socket.ready(Interest::ERROR),
            || {
                let _ = socket.take_error();
                would_block(socket.try_recv_from(&mut [0; 8]))
            },
        );
    });
}

fn a_pending_error_ends_a_receive_instead_of_hanging(rt: Runtime) {
    rt.block_on(async {
        let socket = refused_udp_socket().await;
        let err = socket.recv(&mut [0; 8]).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
        assert!(socket.take_error().unwrap().is_none(), "consumed by recv");
    });
}

fn error_readiness_on_an_async_fd_registered_for_errors_only(rt: Runtime) {
    rt.block_on(async {
        let closed = std::net::UdpSocket::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        socket.connect(closed).unwrap();
        socket.set_nonblocking(true).unwrap();
        let fd = AsyncFd::with_interest(socket, Interest::ERROR).unwrap();
        let mask = epoll_mask(fd.as_raw_fd());
        let asked = (libc::EPOLLIN | libc::EPOLLOUT | libc::EPOLLPRI | libc::EPOLLRDHUP) as u32;
        assert_eq!(mask & asked, 0, "epoll reports errors unasked: {mask:#x}");
        let err = fd.ready(Interest::READABLE).await.map(drop).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);

        let mut guard = None;
        for _ in 0..20 {
            let _ = fd.get_ref().send(b"anyone?");
            let wait = fd.ready(Interest::ERROR);
            if let Ok(ready) = guillotine::time::timeout(Duration::from_millis(500), wait).await {
                guard = Some(ready.unwrap());
                break;
            }
        }
        let mut guard = guard.expect("no ICMP port unreachable on the loopback");
        assert_eq!(guard.ready(), Ready::ERROR);
        let err = fd.get_ref().take_error().unwrap().unwrap();
        assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
        guard.clear_ready();
        // Each of the sends above may bring an ICMP error of its own.
        for _ in 0..20 {
            match fd.ready(Interest::ERROR).now_or_never() {
                None => return,
                Some(guard) => {
                    let _ = fd.get_ref().take_error();
                    guard.unwrap().clear_ready();
                }
            }
        }
        panic!("error readiness stays after every error was taken");
    });
}

fn poll_ready_on_every_socket(rt: Runtime) {
    rt.block_on(async {
        let mut cx = Context::from_waker(Waker::noop());

        let (mut client, server) = tcp_pair().await;
        poll_fn(|cx| client.poll_write_ready(cx)).await.unwrap();
        assert!(server.poll_read_ready(&mut cx).is_pending());
        client.write_all(b"t").await.unwrap();
        poll_fn(|cx| server.poll_read_ready(cx)).await.unwrap();
        assert_eq!(server.try_read(&mut [0; 4]).unwrap(), 1);

        let (a, b) = UnixStream::pair().unwrap();
        poll_fn(|cx| a.poll_write_ready(cx)).await.unwrap();
        assert!(b.poll_read_ready(&mut cx).is_pending());
        a.try_write(b"u").unwrap();
        poll_fn(|cx| b.poll_read_ready(cx)).await.unwrap();
        assert_eq!(b.try_read(&mut [0; 4]).unwrap(), 1);

        let udp = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        poll_fn(|cx| udp.poll_send_ready(cx)).await.unwrap();
        assert!(udp.poll_recv_ready(&mut cx).is_pending());
        udp.send_to(b"d", udp.local_addr().unwrap()).await.unwrap();
        poll_fn(|cx| udp.poll_recv_ready(cx)).await.unwrap();
        assert_eq!(udp.try_recv_from(&mut [0; 4]).unwrap().0, 1);

        let (a, b) = UnixDatagram::pair().unwrap();
        poll_fn(|cx| a.poll_send_ready(cx)).await.unwrap();
        assert!(b.poll_recv_ready(&mut cx).is_pending());
        a.send(b"g").await.unwrap();
        poll_fn(|cx| b.poll_recv_ready(cx)).await.unwrap();
        assert_eq!(b.recv(&mut [0; 4]).await.unwrap(), 1);
    });
}

fn try_io_and_async_io_on_every_socket(rt: Runtime) {
    fn peek(socket: &impl AsFd) -> std::io::Result<usize> {
        SockRef::from(socket).peek(&mut [MaybeUninit::new(0); 8])
    }
    let called = AtomicBool::new(false);
    let not_called = |what: &str| {
        assert!(!called.load(Relaxed), "{what}: called while not ready");
    };
    let mark = || -> std::io::Result<usize> {
        called.store(true, Relaxed);
        Ok(0)
    };
    rt.block_on(async {
        let (mut client, server) = tcp_pair().await;
        assert!(would_block(server.try_io(Interest::READABLE, mark)));
        not_called("TcpStream::try_io");
        client.write_all(b"tcp").await.unwrap();
        let n = server.async_io(Interest::READABLE, || peek(&server)).await;
        assert_eq!(n.unwrap(), 3);
        assert_eq!(
            server.try_io(Interest::READABLE, || peek(&server)).unwrap(),
            3
        );

        let (a, b) = UnixStream::pair().unwrap();
        assert!(would_block(b.try_io(Interest::READABLE, mark)));
        not_called("UnixStream::try_io");
        a.try_write(b"unix").unwrap();
        let n = b.async_io(Interest::READABLE, || peek(&b)).await;
        assert_eq!(n.unwrap(), 4);

        let udp = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        assert!(would_block(udp.try_io(Interest::READABLE, mark)));
        not_called("UdpSocket::try_io");
        udp.send_to(b"udp", udp.local_addr().unwrap())
            .await
            .unwrap();
        let n = udp.async_io(Interest::READABLE, || peek(&udp)).await;
        assert_eq!(n.unwrap(), 3);

        let (a, b) = UnixDatagram::pair().unwrap();
        assert!(would_block(b.try_io(Interest::READABLE, mark)));
        not_called("UnixDatagram::try_io");
        a.send(b"dgram").await.unwrap();
        let n = b.async_io(Interest::READABLE, || peek(&b)).await;
        assert_eq!(n.unwrap(), 5);

        // A `WouldBlock` from the closure clears the readiness it used.
        let (a, b) = UnixStream::pair().unwrap();
        a.try_write(b"x").unwrap();
        b.ready(Interest::READABLE).await.unwrap();
        let res = b.try_io(Interest::READABLE, || {
            Err::<(), _>(ErrorKind::WouldBlock.into())
        });
        assert!(would_block(res));
        let fake_would_block = || Err::<(), _>(ErrorKind::WouldBlock.into());
        assert_not_ready(
            || b.ready(Interest::READABLE),
            || would_block(b.try_io(Interest::READABLE, fake_would_block)),
        );
        // Other errors pass through and clear nothing.
        b.ready(Interest::WRITABLE).await.unwrap();
        let res = b.try_io(Interest::WRITABLE, || {
            Err::<(), _>(ErrorKind::InvalidData.into())
        });
        assert_eq!(res.unwrap_err().kind(), ErrorKind::InvalidData);
        assert!(b.ready(Interest::WRITABLE).now_or_never().is_some());
    });
}

fn ready_on_the_split_halves(rt: Runtime) {
    rt.block_on(async {
        let (mut client, mut server) = tcp_pair().await;
        {
            let (rd, wr) = server.split();
            assert!(wr.ready(Interest::WRITABLE).await.unwrap().is_writable());
            wr.writable().await.unwrap();
            assert_not_ready(
                || rd.ready(Interest::READABLE),
                || would_block(rd.try_read(&mut [0; 4])),
            );
            client.write_all(b"1").await.unwrap();
            rd.readable().await.unwrap();
            assert_eq!(rd.ready(Interest::READABLE).await.unwrap(), Ready::READABLE);
        }
        let (mut rd, wr) = server.into_split();
        assert!(wr.ready(Interest::WRITABLE).await.unwrap().is_writable());
        wr.writable().await.unwrap();
        rd.readable().await.unwrap();
        assert_eq!(rd.read(&mut [0; 4]).await.unwrap(), 1);
        drop(client);
        read_closed(|| rd.ready(Interest::READABLE), || rd.try_read(&mut [0; 4])).await;

        let (mut a, b) = UnixStream::pair().unwrap();
        {
            let (rd, wr) = a.split();
            assert!(wr.ready(Interest::WRITABLE).await.unwrap().is_writable());
            wr.writable().await.unwrap();
            b.try_write(b"2").unwrap();
            rd.readable().await.unwrap();
            assert!(rd.ready(Interest::READABLE).await.unwrap().is_readable());
        }
        let (mut rd, wr) = a.into_split();
        assert!(wr.ready(Interest::WRITABLE).await.unwrap().is_writable());
        wr.writable().await.unwrap();
        rd.readable().await.unwrap();
        assert_eq!(rd.read(&mut [0; 4]).await.unwrap(), 1);
        drop(b);
        read_closed(|| rd.ready(Interest::READABLE), || rd.try_read(&mut [0; 4])).await;
    });
}

fn ready_fails_once_the_runtime_is_gone(rt: Runtime) {
    let (tcp, unix, udp, dgram, fd) = rt.block_on(async {
        let (a, b) = std::os::unix::net::UnixStream::pair().unwrap();
        a.set_nonblocking(true).unwrap();
        let fd = AsyncFd::new(a).unwrap();
        // Peers kept open: a hang-up would end the waits.
        let tcp = tcp_pair().await;
        let unix = UnixStream::pair().unwrap();
        let udp = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let dgram = UnixDatagram::pair().unwrap();
        (tcp, unix, udp, dgram, (fd, b))
    });
    let ((_tcp_peer, tcp), (unix, _unix_peer), (dgram, _dgram_peer)) = (tcp, unix, dgram);
    // A thread waits for urgent data while the runtime goes away.
    let waiter = std::thread::spawn(move || {
        let err = futures::executor::block_on(tcp.ready(Interest::PRIORITY)).unwrap_err();
        (tcp, err)
    });
    drop(rt);
    let (tcp, err) = waiter.join().unwrap();
    assert!(err.to_string().contains("shut down"), "{err}");
    let gone = |err: std::io::Error| assert!(err.to_string().contains("shut down"), "{err}");
    let all = Interest::READABLE | Interest::WRITABLE;
    use futures::executor::block_on;
    gone(block_on(unix.ready(all)).unwrap_err());
    gone(block_on(udp.ready(all)).unwrap_err());
    gone(block_on(dgram.ready(all)).unwrap_err());
    gone(block_on(poll_fn(|cx| tcp.poll_read_ready(cx))).unwrap_err());
    gone(block_on(poll_fn(|cx| unix.poll_write_ready(cx))).unwrap_err());
    gone(block_on(poll_fn(|cx| udp.poll_recv_ready(cx))).unwrap_err());
    gone(block_on(poll_fn(|cx| dgram.poll_send_ready(cx))).unwrap_err());
    gone(tcp.try_io(Interest::READABLE, || Ok(())).unwrap_err());
    gone(block_on(udp.async_io(Interest::READABLE, || Ok(()))).unwrap_err());
    let (mut fd, _peer) = fd;
    gone(block_on(fd.ready(all)).map(drop).unwrap_err());
    gone(block_on(fd.ready_mut(all)).map(drop).unwrap_err());
    gone(block_on(fd.async_io(Interest::READABLE, |_| Ok(()))).unwrap_err());
    gone(block_on(fd.async_io_mut(Interest::READABLE, |_| Ok(()))).unwrap_err());
}

fn async_fd_ready_and_clear_ready_matching(rt: Runtime) {
    rt.block_on(async {
        let (a, mut b) = std::os::unix::net::UnixStream::pair().unwrap();
        a.set_nonblocking(true).unwrap();
        // Written before registering, so the first event has both.
        b.write_all(b"0").unwrap();
        let fd = AsyncFd::new(a).unwrap();
        let mut guard = fd
            .ready(Interest::READABLE | Interest::WRITABLE)
            .await
            .unwrap();
        assert_eq!(guard.ready(), Ready::READABLE | Ready::WRITABLE);
        guard.clear_ready_matching(Ready::READABLE);
        assert_eq!(guard.ready(), Ready::WRITABLE);
        guard.clear_ready_matching(Ready::WRITABLE);
        assert_eq!(guard.ready(), Ready::EMPTY);
        // Both were forgotten by the registration too, though the data is
        // still there: only a new event makes it ready again.
        assert!(fd.ready(Interest::READABLE).now_or_never().is_none());
        assert!(fd.ready(Interest::WRITABLE).now_or_never().is_none());
        b.write_all(b"1").unwrap();
        let guard = fd.ready(Interest::READABLE).await.unwrap();
        assert_eq!(guard.ready(), Ready::READABLE);
        let mut buf = [0; 4];
        assert_eq!(fd.get_ref().read(&mut buf).unwrap(), 2);
        // `retain_ready` and `clear_ready` empty the guard's view.
        let mut guard = fd.ready(Interest::READABLE).await.unwrap();
        guard.retain_ready();
        assert_eq!(guard.ready(), Ready::EMPTY);
    });
}

fn async_fd_ready_mut_and_clear_ready_matching(rt: Runtime) {
    rt.block_on(async {
        let (a, mut b) = std::os::unix::net::UnixStream::pair().unwrap();
        a.set_nonblocking(true).unwrap();
        b.write_all(b"0").unwrap();
        let mut fd = AsyncFd::new(a).unwrap();
        let mut guard = fd
            .ready_mut(Interest::READABLE | Interest::WRITABLE)
            .await
            .unwrap();
        assert_eq!(guard.ready(), Ready::READABLE | Ready::WRITABLE);
        guard.clear_ready_matching(Ready::WRITABLE);
        assert_eq!(guard.ready(), Ready::READABLE);
        let n = guard.try_io(|fd| fd.get_mut().read(&mut [0; 4]));
        assert_eq!(n.unwrap().unwrap(), 1);
        let again = guard.try_io(|fd| fd.get_mut().read(&mut [0; 4]));
        assert!(again.is_err(), "WouldBlock: cleared");
        assert_eq!(guard.ready(), Ready::EMPTY);
        assert!(fd.ready_mut(Interest::READABLE).now_or_never().is_none());
        // A hang-up: the closed state stays, whatever is cleared.
        drop(b);
        let mut guard = fd.ready_mut(Interest::READABLE).await.unwrap();
        assert!(guard.ready().is_read_closed());
        guard.clear_ready_matching(Ready::READABLE | Ready::READ_CLOSED);
        assert_eq!(guard.ready(), Ready::EMPTY);
        let guard = fd.ready_mut(Interest::READABLE).now_or_never();
        assert!(guard.unwrap().unwrap().ready().is_read_closed());
    });
}

fn async_fd_ready_outside_its_interest_fails_at_once(rt: Runtime) {
    rt.block_on(async {
        let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
        a.set_nonblocking(true).unwrap();
        let mut fd = AsyncFd::with_interest(a, Interest::READABLE).unwrap();
        let outside = |err: std::io::Error, missing: &str| {
            assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
            assert!(err.to_string().contains(missing), "{err}");
        };
        let rw = Interest::READABLE | Interest::WRITABLE;
        outside(fd.ready(rw).await.map(drop).unwrap_err(), "WRITABLE");
        let err = fd.ready(Interest::PRIORITY).await.map(drop).unwrap_err();
        outside(err, "PRIORITY");
        outside(fd.ready_mut(rw).await.map(drop).unwrap_err(), "WRITABLE");
        let err = fd.async_io(Interest::WRITABLE, |_| Ok(())).await;
        outside(err.unwrap_err(), "WRITABLE");
        let err = fd.async_io_mut(Interest::WRITABLE, |_| Ok(())).await;
        outside(err.unwrap_err(), "WRITABLE");
        // Errors may always be waited for: epoll reports them anyway.
        let errors = fd.ready(Interest::READABLE | Interest::ERROR);
        assert!(errors.now_or_never().is_none());
    });
}

/// Makes `fd` non-blocking, as `AsyncFd` needs.
fn set_nonblocking(fd: &impl AsFd) {
    let raw = fd.as_fd().as_raw_fd();
    // SAFETY: fcntl on a descriptor borrowed for the call; no memory passed.
    let flags = unsafe { libc::fcntl(raw, libc::F_GETFL) };
    assert!(flags >= 0, "{}", std::io::Error::last_os_error());
    // SAFETY: as above.
    let r = unsafe { libc::fcntl(raw, libc::F_SETFL, flags | libc::O_NONBLOCK) };
    assert_eq!(r, 0, "{}", std::io::Error::last_os_error());
}

fn async_io_mut_reads_a_child_stdout(rt: Runtime) {
    rt.block_on(async {
        // More than a pipe holds: the reader meets WouldBlock on the way.
        let mut child = std::process::Command::new("seq")
            .args(["1", "30000"])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        set_nonblocking(&stdout);
        // `ChildStdout` reads through `&mut self` only: `read_with` cannot
        // call `Read::read`, `async_io_mut` can.
        let mut stdout = AsyncFd::with_interest(stdout, Interest::READABLE).unwrap();
        let mut got = Vec::new();
        let mut buf = vec![0; 4096];
        let mut reads = 0;
        loop {
            let n = stdout
                .async_io_mut(Interest::READABLE, |out| out.read(&mut buf))
                .await
                .unwrap();
            if n == 0 {
                break;
            }
            reads += 1;
            got.extend_from_slice(&buf[..n]);
        }
        let want: String = (1..=30000).map(|i| format!("{i}\n")).collect();
        assert_eq!(String::from_utf8(got).unwrap(), want);
        assert!(reads > 1);
        let status = guillotine::spawn_blocking(move || child.wait())
            .await
            .unwrap()
            .unwrap();
        assert!(status.success());
        // Its error case: a direction it was not registered for.
        let err = stdout.async_io_mut(Interest::WRITABLE, |_| Ok(())).await;
        assert_eq!(err.unwrap_err().kind(), ErrorKind::InvalidInput);
    });
}

fn async_fd_try_io_and_async_io(rt: Runtime) {
    rt.block_on(async {
        let (a, mut b) = std::os::unix::net::UnixStream::pair().unwrap();
        a.set_nonblocking(true).unwrap();
        let mut fd = AsyncFd::new(a).unwrap();
        let called = AtomicBool::new(false);
        let res = fd.try_io(Interest::READABLE, |_| {
            called.store(true, Relaxed);
            Ok(())
        });
        assert!(would_block(res) && !called.load(Relaxed));

        b.write_all(b"abc").unwrap();
        let mut buf = [0; 8];
        let n = fd
            .async_io(Interest::READABLE, |s| (&*s).read(&mut buf))
            .await
            .unwrap();
        assert_eq!(&buf[..n], b"abc");
        // The next read would block: try_io clears, and the wait waits.
        let res = fd.try_io(Interest::READABLE, |s| (&*s).read(&mut buf));
        assert!(would_block(res));
        assert_not_ready(
            || fd.ready(Interest::READABLE),
            || would_block(fd.try_io(Interest::READABLE, |s| (&*s).read(&mut [0; 8]))),
        );

        fd.writable().await.unwrap().retain_ready();
        let n = fd.try_io_mut(Interest::WRITABLE, |s| s.write(b"back"));
        assert_eq!(n.unwrap(), 4);
        b.read_exact(&mut buf[..4]).unwrap();
        assert_eq!(&buf[..4], b"back");
        let n = fd
            .async_io_mut(Interest::WRITABLE, |s| s.write(b"more"))
            .await
            .unwrap();
        assert_eq!(n, 4);
    });
}

fn try_new_hands_the_descriptor_back(rt: Runtime) {
    rt.block_on(async {
        // epoll refuses a regular file: EPERM, and the file comes back open.
        let file = std::fs::File::open(std::env::current_exe().unwrap()).unwrap();
        let raw = file.as_raw_fd();
        let err = AsyncFd::try_new(file).unwrap_err();
        assert_eq!(
            err.to_string(),
            std::io::Error::from_raw_os_error(libc::EPERM).to_string()
        );
        let (file, cause) = err.into_parts();
        assert_eq!(cause.raw_os_error(), Some(libc::EPERM));
        assert_eq!(file.as_raw_fd(), raw);
        assert!(open_fds().contains(&raw));
        assert!(file.metadata().unwrap().is_file());

        let err = AsyncFd::try_with_interest(file, Interest::PRIORITY).unwrap_err();
        let source = std::error::Error::source(&err).unwrap().to_string();
        assert!(!source.is_empty());
        // Converted to an `io::Error`, the OS error is kept (and the file closed).
        let err = std::io::Error::from(err);
        assert_eq!(err.raw_os_error(), Some(libc::EPERM));

        // The same descriptor twice: EEXIST.
        let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
        a.set_nonblocking(true).unwrap();
        let fd = AsyncFd::try_new(a).unwrap();
        let err = AsyncFd::try_with_interest(fd.get_ref(), Interest::READABLE).unwrap_err();
        let (again, cause) = err.into_parts();
        assert_eq!(cause.raw_os_error(), Some(libc::EEXIST));
        assert!(std::ptr::eq(again, fd.get_ref()));
        // The first registration is untouched.
        fd.writable().await.unwrap();
    });
}
