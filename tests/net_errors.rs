//! Every error of the I/O layer comes back as an `io::Error` with its kind:
//! address in use, refused, unparsable, reset, broken pipe (and no SIGPIPE),
//! EOF as `Ok(0)`, a runtime that is gone; and I/O created outside a runtime
//! panics with a message naming the mistake. On both runtime flavors.

mod support;

use std::io::{ErrorKind, IoSlice};
use std::net::Shutdown;

use guillotine::io::{AsyncReadExt, AsyncWriteExt};
use guillotine::net::{TcpListener, TcpStream, UdpSocket, UnixStream};
use guillotine::runtime::Runtime;
use support::{
    Flavor, assert_child_ok, both_flavors, is_child, reset_tcp_stream, reset_unix_stream, run_child,
};

both_flavors! {
    address_in_use,
    connection_refused,
    unparsable_addresses_are_invalid_input,
    peer_reset,
    closing_after_a_peer_reset_is_ok,
    reading_after_eof_is_ok_zero,
    broken_pipe_without_sigpipe,
    io_objects_outliving_their_runtime_fail_instead_of_hanging,
}

fn address_in_use(rt: Runtime) {
    rt.block_on(async {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let err = TcpListener::bind(l.local_addr().unwrap())
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::AddrInUse);
        let u = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let err = UdpSocket::bind(u.local_addr().unwrap()).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::AddrInUse);
    });
}

fn connection_refused(rt: Runtime) {
    rt.block_on(async {
        // Bound but not listening: the port stays ours, and connecting to
        // it is refused (no race with another test taking the port).
        let socket =
            socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
        socket
            .bind(
                &"127.0.0.1:0"
                    .parse::<std::net::SocketAddr>()
                    .unwrap()
                    .into(),
            )
            .unwrap();
        let addr = socket.local_addr().unwrap().as_socket().unwrap();
        let err = TcpStream::connect(addr).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
        // A host name with the same fate goes through the resolver first.
        let err = TcpStream::connect(("localhost", addr.port()))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
    });
}

fn unparsable_addresses_are_invalid_input(rt: Runtime) {
    rt.block_on(async {
        for bad in [
            "not an address",
            "127.0.0.1",
            "127.0.0.1:99999",
            ":80",
            "[::1:80",
            "",
        ] {
            let err = TcpStream::connect(bad).await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidInput, "connect({bad:?})");
            let err = TcpListener::bind(bad).await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidInput, "bind({bad:?})");
        }
        let u = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let err = u.send_to(b"x", "nowhere").await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        let err = u.connect(("", 1)).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
    });
}

fn peer_reset(rt: Runtime) {
    rt.block_on(async {
        let mut client = reset_tcp_stream().await;
        let err = client.read(&mut [0; 8]).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConnectionReset);
    });
}

/// hyper shuts down every connection it ends, also one the client reset:
/// like tokio, `close` takes `NotConnected` for success.
fn closing_after_a_peer_reset_is_ok(rt: Runtime) {
    rt.block_on(async {
        let mut tcp = reset_tcp_stream().await;
        let err = tcp.read(&mut [0; 8]).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConnectionReset);
        // shutdown(2) fails ENOTCONN once a RST closed the connection; the
        // explicit method reports it, as std's does.
        let err = tcp.shutdown(Shutdown::Write).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotConnected);
        tcp.close().await.unwrap();
        (&tcp).close().await.unwrap();
        tcp.split().1.close().await.unwrap();
        let (_rd, mut wr) = tcp.into_split();
        wr.close().await.unwrap();
        // Its shutdown on drop fails the same way, silently.
        drop(wr);

        // Linux never fails shutdown(2) of a Unix stream; it stays Ok.
        let mut unix = reset_unix_stream().await;
        let err = unix.read(&mut [0; 8]).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConnectionReset);
        unix.shutdown(Shutdown::Write).unwrap();
        unix.close().await.unwrap();
        (&unix).close().await.unwrap();
        unix.split().1.close().await.unwrap();
        let (_rd, mut wr) = unix.into_split();
        wr.close().await.unwrap();
        drop(wr);
    });
}

fn reading_after_eof_is_ok_zero(rt: Runtime) {
    rt.block_on(async {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut client = TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
        let (server, _) = l.accept().await.unwrap();
        server.shutdown(Shutdown::Write).unwrap();
        for _ in 0..3 {
            assert_eq!(client.read(&mut [0; 8]).await.unwrap(), 0);
        }
        drop(server);
        assert_eq!(client.read(&mut [0; 8]).await.unwrap(), 0);
        let (mut a, b) = UnixStream::pair().unwrap();
        drop(b);
        assert_eq!(a.read(&mut [0; 8]).await.unwrap(), 0);
        assert_eq!(a.read(&mut [0; 8]).await.unwrap(), 0);
    });
}

/// Writes until the closed peer's RST turns into an error; returns it.
async fn write_until_error(mut s: impl AsyncWriteExt + Unpin, vectored: bool) -> std::io::Error {
    for _ in 0..100_000 {
        let res = if vectored {
            s.write_vectored(&[IoSlice::new(b"to "), IoSlice::new(b"nobody")])
                .await
        } else {
            s.write(b"to nobody").await
        };
        if let Err(e) = res {
            return e;
        }
        guillotine::task::yield_now().await;
    }
    panic!("writing to a closed peer never failed");
}

/// The broken-pipe checks, run in a child whose SIGPIPE has its default
/// action (kill the process): Rust programs ignore SIGPIPE by default, which
/// would hide a missing MSG_NOSIGNAL.
fn broken_pipe_without_sigpipe(flavor: Flavor) {
    if is_child("sigpipe") {
        // SAFETY: restoring the default disposition of one signal.
        unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
        flavor.rt().block_on(async {
            for vectored in [false, true] {
                let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
                let mut client = TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
                drop(l.accept().await.unwrap().0);
                assert_eq!(client.read(&mut [0; 1]).await.unwrap(), 0, "the FIN came");
                let err = write_until_error(&mut client, vectored).await;
                assert_eq!(
                    err.kind(),
                    ErrorKind::BrokenPipe,
                    "tcp, vectored: {vectored}"
                );

                let (mut a, b) = UnixStream::pair().unwrap();
                drop(b);
                let err = write_until_error(&mut a, vectored).await;
                assert_eq!(
                    err.kind(),
                    ErrorKind::BrokenPipe,
                    "unix, vectored: {vectored}"
                );
            }
        });
        println!("survived");
        return;
    }
    let out = run_child(
        &format!("{}::broken_pipe_without_sigpipe", flavor.module()),
        "sigpipe",
    );
    assert_child_ok(&out);
    assert!(String::from_utf8_lossy(&out.stdout).contains("survived"));
}

fn io_objects_outliving_their_runtime_fail_instead_of_hanging(runtime: Runtime) {
    let (client, server, listener) = runtime.block_on(async {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let c = TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
        let (s, _) = l.accept().await.unwrap();
        (c, s, l)
    });
    // A thread waits on the client while the runtime goes away.
    let waiter = std::thread::spawn(move || {
        let mut client = client;
        let err = futures::executor::block_on(client.read(&mut [0; 8])).unwrap_err();
        (client, err)
    });
    drop(runtime);
    let (mut client, err) = waiter.join().unwrap();
    assert_eq!(err.kind(), ErrorKind::Other);
    assert!(err.to_string().contains("shut down"), "{err}");
    // Every operation fails alike; none panics.
    let err = futures::executor::block_on(client.write_all(b"x")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Other);
    assert!(futures::executor::block_on(listener.accept()).is_err());
    // Dropping them after the runtime is gone is fine too.
    drop((client, server, listener));
}

#[test]
fn io_outside_a_runtime_panics_with_a_clear_message() {
    let message = |f: Box<dyn FnOnce() + std::panic::UnwindSafe>| {
        let payload = std::panic::catch_unwind(f).expect_err("should panic");
        payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default()
    };
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let msg = message(Box::new(move || drop(TcpListener::from_std(std_listener))));
    assert!(msg.contains("there is no reactor running"), "{msg}");
    assert!(msg.contains("guillotine runtime"), "{msg}");
    let msg = message(Box::new(|| drop(UnixStream::pair())));
    assert!(msg.contains("there is no reactor running"), "{msg}");
    let msg = message(Box::new(|| {
        drop(futures::executor::block_on(TcpListener::bind(
            "127.0.0.1:0",
        )));
    }));
    assert!(msg.contains("there is no reactor running"), "{msg}");
}

#[test]
fn the_no_runtime_panic_points_at_the_callers_line() {
    // The panic hook is per process: run alone in a child.
    if !is_child("panic-location") {
        let out = run_child(
            "the_no_runtime_panic_points_at_the_callers_line",
            "panic-location",
        );
        assert_child_ok(&out);
        return;
    }
    use std::sync::{Arc, Mutex};
    let location = Arc::new(Mutex::new(None));
    let seen = location.clone();
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if let Some(l) = info.location() {
            *seen.lock().unwrap() = Some((l.file().to_owned(), l.line()));
        }
    }));
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let std_udp = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let (std_unix, _peer) = std::os::unix::net::UnixStream::pair().unwrap();
    let mut lines = Vec::new();
    let r1 = std::panic::catch_unwind(|| TcpListener::from_std(std_listener).map(drop));
    lines.push(line!() - 1);
    let l1 = location.lock().unwrap().take();
    let r2 = std::panic::catch_unwind(|| UdpSocket::from_std(std_udp).map(drop));
    lines.push(line!() - 1);
    let l2 = location.lock().unwrap().take();
    let r3 = std::panic::catch_unwind(|| UnixStream::from_std(std_unix).map(drop));
    lines.push(line!() - 1);
    let l3 = location.lock().unwrap().take();
    std::panic::set_hook(previous);
    assert!(r1.is_err() && r2.is_err() && r3.is_err());
    for (got, line) in [l1, l2, l3].into_iter().zip(lines) {
        let (file, got_line) = got.expect("a panic location");
        assert!(
            file.ends_with("net_errors.rs"),
            "the panic points into {file}, not at the caller"
        );
        assert_eq!(got_line, line);
    }
}
