//! Unix-domain sockets: listener and streams (with checked bytes), pairs,
//! datagrams bound, unbound and paired, abstract names.

mod support;

use std::os::linux::net::SocketAddrExt;
use std::path::PathBuf;

use guillotine::io::{AsyncReadExt, AsyncWriteExt};
use guillotine::net::{UnixDatagram, UnixListener, UnixStream};
use support::{pattern, rt};

/// A fresh directory for this test's socket files, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir =
            std::env::temp_dir().join(format!("guillotine-unix-{name}-{}", std::process::id()));
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

#[test]
fn listener_echoes_to_20_clients() {
    let dir = TempDir::new("echo");
    let path = dir.0.join("echo.sock");
    rt().block_on(async {
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

#[test]
fn pair_and_std_interop() {
    rt().block_on(async {
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

#[test]
fn abstract_names_work() {
    let name = format!("guillotine-test-{}", std::process::id());
    rt().block_on(async {
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

#[test]
fn datagrams_bound_unbound_and_paired() {
    let dir = TempDir::new("dgram");
    rt().block_on(async {
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

#[test]
fn errors_for_missing_and_taken_paths() {
    let dir = TempDir::new("errors");
    rt().block_on(async {
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
