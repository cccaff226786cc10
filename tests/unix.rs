//! Unix-domain sockets: listener and streams (with checked bytes), pairs,
//! split halves (borrowed and owned: tasks, reunite, EOF on drop, `forget`,
//! descriptors), datagrams bound, unbound and paired, abstract names. On
//! both runtime flavors.

mod support;

use std::io::ErrorKind;
use std::os::linux::net::SocketAddrExt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

use futures_lite::future::poll_once;
use guillotine::io::{AsyncReadExt, AsyncWriteExt};
use guillotine::net::unix::{OwnedReadHalf, OwnedWriteHalf, ReuniteError};
use guillotine::net::{UnixDatagram, UnixListener, UnixStream};
use guillotine::runtime::Runtime;
use socket2::{Domain, SockAddr, Socket, Type};
use support::{
    Flavor, assert_child_ok, both_flavors, hold_workers, is_child, open_fds, pattern, run_child,
    wait_for_workers,
};

both_flavors! {
    listener_echoes_to_20_clients,
    pair_and_std_interop,
    abstract_names_work,
    datagrams_bound_unbound_and_paired,
    errors_for_missing_and_taken_paths,
    connect_waits_for_writability_and_reports_a_listener_gone_before_accepting,
    owned_halves_echo_from_separate_tasks,
    borrowed_halves_read_and_write_at_once,
    reunite_of_matching_halves_gives_a_working_stream,
    reunite_of_mismatched_halves_hands_both_back,
    dropping_the_owned_write_half_sends_eof,
    forget_keeps_the_write_side_open,
    splitting_and_dropping_100_streams_leaves_the_descriptors_unchanged,
}

/// A number for each name made unique in this process.
static NEXT: AtomicUsize = AtomicUsize::new(0);

/// A fresh directory for this test's socket files, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        // Numbered: both flavors' tests of one name run in this process.
        let n = NEXT.fetch_add(1, SeqCst);
        let dir =
            std::env::temp_dir().join(format!("guillotine-unix-{name}-{}-{n}", std::process::id()));
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

fn listener_echoes_to_20_clients(rt: Runtime) {
    let dir = TempDir::new("echo");
    let path = dir.0.join("echo.sock");
    rt.block_on(async {
        let listener = UnixListener::bind(&path).unwrap();
        assert_eq!(
            listener.local_addr().unwrap().as_pathname(),
            Some(path.as_path())
        );
        let _detached = guillotine::spawn(async move {
            loop {
                let (stream, peer) = listener.accept().await.unwrap();
                assert!(peer.is_unnamed());
                let _detached = guillotine::spawn(async move {
                    futures_lite::io::copy(&stream, &mut &stream).await.unwrap();
                    stream.shutdown(std::net::Shutdown::Write).unwrap();
                });
            }
        });
        let clients: Vec<_> = (0..20u64)
            .map(|i| {
                let path = path.clone();
                guillotine::spawn(async move {
                    let mut s = UnixStream::connect(&path).await.unwrap();
                    let data = pattern(i, 50_000);
                    let (mut rd, mut wr) = (&s, &s);
                    let write = async {
                        wr.write_all(&data).await.unwrap();
                        wr.close().await.unwrap();
                    };
                    let read = async {
                        let mut back = Vec::new();
                        rd.read_to_end(&mut back).await.unwrap();
                        back
                    };
                    let ((), back) = futures::join!(write, read);
                    assert!(back == data, "client {i}");
                    assert_eq!(s.read(&mut [0; 1]).await.unwrap(), 0, "EOF stays EOF");
                })
            })
            .collect();
        for c in clients {
            c.await.unwrap();
        }
    });
}

fn pair_and_std_interop(rt: Runtime) {
    rt.block_on(async {
        let (mut a, b) = UnixStream::pair().unwrap();
        assert!(a.local_addr().unwrap().is_unnamed());
        let b = b.into_std().unwrap();
        b.set_nonblocking(false).unwrap();
        let t = std::thread::spawn(move || {
            use std::io::{Read, Write};
            let mut b = b;
            let mut buf = [0; 5];
            b.read_exact(&mut buf).unwrap();
            b.write_all(&buf).unwrap();
        });
        a.write_all(b"hello").await.unwrap();
        let mut buf = [0; 5];
        a.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"hello");
        t.join().unwrap();
        assert_eq!(a.read(&mut buf).await.unwrap(), 0, "the std end closed");
    });
}

fn abstract_names_work(rt: Runtime) {
    let name = format!(
        "guillotine-test-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, SeqCst)
    );
    rt.block_on(async {
        let addr = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes()).unwrap();
        let std_listener = std::os::unix::net::UnixListener::bind_addr(&addr).unwrap();
        let listener = UnixListener::from_std(std_listener).unwrap();
        let client = std::os::unix::net::UnixStream::connect_addr(&addr).unwrap();
        let mut client = UnixStream::from_std(client).unwrap();
        let (mut server, _) = listener.accept().await.unwrap();
        client.write_all(b"abstract").await.unwrap();
        let mut buf = [0; 8];
        server.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"abstract");
        let local = listener.local_addr().unwrap();
        assert_eq!(local.as_abstract_name(), Some(name.as_bytes()));
    });
}

fn datagrams_bound_unbound_and_paired(rt: Runtime) {
    let dir = TempDir::new("dgram");
    rt.block_on(async {
        let server = UnixDatagram::bind(dir.0.join("server")).unwrap();
        let client = UnixDatagram::bind(dir.0.join("client")).unwrap();
        client
            .send_to(b"request", dir.0.join("server"))
            .await
            .unwrap();
        let mut buf = [0; 32];
        let (n, from) = server.recv_from(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"request");
        let from = from.as_pathname().unwrap().to_owned();
        server.send_to(b"reply", &from).await.unwrap();
        let n = client.recv(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"reply");

        let anon = UnixDatagram::unbound().unwrap();
        anon.connect(dir.0.join("server")).unwrap();
        anon.send(b"anon").await.unwrap();
        let (n, from) = server.recv_from(&mut buf).await.unwrap();
        assert_eq!((&buf[..n], from.is_unnamed()), (&b"anon"[..], true));

        let (a, b) = UnixDatagram::pair().unwrap();
        // Many datagrams queued at once arrive whole and in order.
        for i in 0..50u8 {
            a.send(&[i; 3]).await.unwrap();
        }
        for i in 0..50u8 {
            assert_eq!(b.recv(&mut buf).await.unwrap(), 3);
            assert_eq!(&buf[..3], &[i; 3]);
        }
        assert!(format!("{a:?}").contains("UnixDatagram"));
    });
}

fn errors_for_missing_and_taken_paths(rt: Runtime) {
    let dir = TempDir::new("errors");
    rt.block_on(async {
        let missing = UnixStream::connect(dir.0.join("nothing-here"))
            .await
            .unwrap_err();
        assert_eq!(missing.kind(), std::io::ErrorKind::NotFound);
        let path = dir.0.join("taken");
        let _l = UnixListener::bind(&path).unwrap();
        let taken = UnixListener::bind(&path).unwrap_err();
        assert_eq!(taken.kind(), std::io::ErrorKind::AddrInUse);
        // A socket file with no listener behind it.
        let stale = dir.0.join("stale");
        drop(std::os::unix::net::UnixListener::bind(&stale).unwrap());
        let refused = UnixStream::connect(&stale).await.unwrap_err();
        assert_eq!(refused.kind(), std::io::ErrorKind::ConnectionRefused);
        let dgram = UnixDatagram::unbound().unwrap();
        let err = dgram
            .send_to(b"x", dir.0.join("nothing-here"))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
    });
}

/// Like tokio, connect waits for the reactor's writability and then
/// `SO_ERROR`, even though a Unix connect completes at once: a listener
/// dropped before accepting fails it. Errors of connect(2) itself still come
/// back on the first poll. (Multi-thread: with the workers held, so that
/// none of them turns the driver the socket registers with, and delivers
/// the writability, before the first poll looks.)
fn connect_waits_for_writability_and_reports_a_listener_gone_before_accepting(flavor: Flavor) {
    let dir = TempDir::new("connect-wait");
    let rt = flavor.rt();
    rt.block_on(async {
        let path = dir.0.join("dropped");
        let listener = UnixListener::bind(&path).unwrap();
        let held = hold_workers(&rt, flavor);
        let mut connect = std::pin::pin!(UnixStream::connect(&path));
        assert!(poll_once(connect.as_mut()).await.is_none(), "ready at once");
        drop(listener);
        held.release();
        let err = connect.await.unwrap_err();
        assert!(
            matches!(
                err.kind(),
                ErrorKind::ConnectionReset | ErrorKind::ConnectionRefused
            ),
            "{err:?}"
        );

        // With the listener kept, the same wait ends connected.
        let path = dir.0.join("kept");
        let listener = UnixListener::bind(&path).unwrap();
        let held = hold_workers(&rt, flavor);
        let mut connect = std::pin::pin!(UnixStream::connect(&path));
        assert!(poll_once(connect.as_mut()).await.is_none(), "ready at once");
        held.release();
        let mut client = connect.await.unwrap();
        let (mut server, _) = listener.accept().await.unwrap();
        client.write_all(b"hi").await.unwrap();
        let mut buf = [0; 2];
        server.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"hi");

        // No listener behind the socket file: refused on the first poll.
        let stale = dir.0.join("stale");
        drop(std::os::unix::net::UnixListener::bind(&stale).unwrap());
        let first = poll_once(UnixStream::connect(&stale)).await;
        let err = first.expect("an error at once").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConnectionRefused);

        // A full backlog: EAGAIN on the first poll, as with mio (a Unix
        // connect does not wait for room).
        let full = SockAddr::unix(dir.0.join("full")).unwrap();
        let backlog0 = Socket::new(Domain::UNIX, Type::STREAM, None).unwrap();
        backlog0.bind(&full).unwrap();
        backlog0.listen(0).unwrap();
        // Non-blocking, so a kernel with no room even for one fails here
        // rather than hanging.
        let queued = Socket::new(Domain::UNIX, Type::STREAM.nonblocking(), None).unwrap();
        queued.connect(&full).unwrap();
        let full = full.as_pathname().unwrap();
        let first = poll_once(UnixStream::connect(full)).await;
        let err = first.expect("an error at once").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::WouldBlock);
    });
}

fn owned_halves_echo_from_separate_tasks(rt: Runtime) {
    const LEN: usize = 1 << 20; // far more than a socket buffer holds
    rt.block_on(async {
        let (a, b) = UnixStream::pair().unwrap();
        let (mut a_rd, mut a_wr) = a.into_split();
        let (mut b_rd, mut b_wr) = b.into_split();
        // a's halves live in two tasks; b echoes from a third.
        let writer = guillotine::spawn(async move {
            a_wr.write_all(&pattern(3, LEN)).await.unwrap();
            // Dropped here: b reads EOF and the echo ends.
        });
        let echo = guillotine::spawn(async move {
            let n = futures_lite::io::copy(&mut b_rd, &mut b_wr).await.unwrap();
            (n, b_rd, b_wr)
        });
        let reader = guillotine::spawn(async move {
            let mut back = Vec::with_capacity(LEN);
            a_rd.read_to_end(&mut back).await.unwrap();
            back
        });
        writer.await.unwrap();
        let (n, b_rd, b_wr) = echo.await.unwrap();
        assert_eq!(n, LEN as u64);
        // Dropping b's write half ends a's read_to_end.
        drop(b_wr);
        let back = reader.await.unwrap();
        assert!(back == pattern(3, LEN), "echoed bytes differ");
        drop(b_rd);
    });
}

fn borrowed_halves_read_and_write_at_once(rt: Runtime) {
    rt.block_on(async {
        let (mut a, mut b) = UnixStream::pair().unwrap();
        let data = pattern(4, 300_000);
        let (mut rd, mut wr) = a.split();
        let write = async {
            wr.write_all(&data).await.unwrap();
            wr.close().await.unwrap();
        };
        let echo = async {
            let (mut b_rd, mut b_wr) = b.split();
            futures_lite::io::copy(&mut b_rd, &mut b_wr).await.unwrap();
            b_wr.close().await.unwrap();
        };
        let read = async {
            let mut back = Vec::new();
            rd.read_to_end(&mut back).await.unwrap();
            back
        };
        let ((), (), back) = futures::join!(write, echo, read);
        assert!(back == data);
    });
}

fn reunite_of_matching_halves_gives_a_working_stream(rt: Runtime) {
    rt.block_on(async {
        let (a, mut b) = UnixStream::pair().unwrap();
        let (rd, wr) = a.into_split();
        let a = rd.reunite(wr).unwrap();
        let (rd, wr) = a.into_split();
        // Either half may start the reunion.
        let mut a = wr.reunite(rd).unwrap();
        // Reuniting did not shut the write side down: data still flows
        // both ways, and EOF comes only from an explicit close.
        a.write_all(b"still open").await.unwrap();
        let mut buf = [0; 10];
        b.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"still open");
        b.write_all(b"back").await.unwrap();
        a.read_exact(&mut buf[..4]).await.unwrap();
        assert_eq!(&buf[..4], b"back");
        a.close().await.unwrap();
        assert_eq!(b.read(&mut buf).await.unwrap(), 0);
    });
}

fn reunite_of_mismatched_halves_hands_both_back(rt: Runtime) {
    rt.block_on(async {
        let (a, mut a_peer) = UnixStream::pair().unwrap();
        let (c, mut c_peer) = UnixStream::pair().unwrap();
        let (a_rd, a_wr) = a.into_split();
        let (c_rd, c_wr) = c.into_split();

        let err: ReuniteError = a_rd.reunite(c_wr).unwrap_err();
        assert_eq!(
            err.to_string(),
            "tried to reunite halves that are not from the same socket"
        );
        let source: &dyn std::error::Error = &err;
        assert!(source.source().is_none());
        let ReuniteError(a_rd, mut c_wr) = err;
        // The failed reunion shut nothing down: c's write half still writes.
        c_wr.write_all(b"c").await.unwrap();
        let mut buf = [0; 1];
        c_peer.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"c");

        // The other way round, from the write half.
        let err = a_wr.reunite(c_rd).unwrap_err();
        let (c_rd, mut a_wr): (OwnedReadHalf, OwnedWriteHalf) = (err.0, err.1);
        a_wr.write_all(b"a").await.unwrap();
        a_peer.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"a");

        // The halves handed back are the originals: they reunite.
        let _a = a_rd.reunite(a_wr).unwrap();
        let _c = c_wr.reunite(c_rd).unwrap();
    });
}

fn dropping_the_owned_write_half_sends_eof(rt: Runtime) {
    rt.block_on(async {
        let (a, mut b) = UnixStream::pair().unwrap();
        let (mut rd, wr) = a.into_split();
        drop(wr);
        assert_eq!(b.read(&mut [0; 8]).await.unwrap(), 0);
        // Only the write side is shut: the read half still receives.
        b.write_all(b"reply").await.unwrap();
        let mut buf = [0; 5];
        rd.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"reply");
    });
}

fn forget_keeps_the_write_side_open(rt: Runtime) {
    rt.block_on(async {
        let (a, b) = UnixStream::pair().unwrap();
        let (rd, wr) = a.into_split();
        wr.forget();
        // A shutdown of a Unix socket reaches the peer at once, so a
        // non-blocking read shows whether one happened.
        let mut b = b.into_std().unwrap();
        let err = std::io::Read::read(&mut b, &mut [0; 8]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::WouldBlock, "the peer saw EOF");
        // `forget` did not leak the stream: dropping the read half closes it.
        drop(rd);
        assert_eq!(std::io::Read::read(&mut b, &mut [0; 8]).unwrap(), 0);
    });
}

fn splitting_and_dropping_100_streams_leaves_the_descriptors_unchanged(flavor: Flavor) {
    // Alone in a child process: other tests open descriptors meanwhile.
    if !is_child("unix-split-fds") {
        let out = run_child(
            &format!(
                "{}::splitting_and_dropping_100_streams_leaves_the_descriptors_unchanged",
                flavor.module()
            ),
            "unix-split-fds",
        );
        assert_child_ok(&out);
        assert!(String::from_utf8_lossy(&out.stdout).contains("fds unchanged"));
        return;
    }
    let runtime = flavor.rt();
    wait_for_workers(&runtime, flavor);
    let before = open_fds();
    runtime.block_on(async {
        for i in 0..100u8 {
            let (mut a, b) = UnixStream::pair().unwrap();
            let (_a_rd, mut a_wr) = a.split();
            a_wr.write_all(&[i]).await.unwrap();
            let (mut rd, wr) = b.into_split();
            let mut buf = [0; 1];
            rd.read_exact(&mut buf).await.unwrap();
            assert_eq!(buf, [i]);
            match i % 3 {
                0 => drop((rd, wr)),
                1 => wr.forget(),
                _ => drop(rd.reunite(wr).unwrap()),
            }
        }
    });
    assert_eq!(open_fds(), before, "descriptors leaked or closed");
    println!("fds unchanged");
}
