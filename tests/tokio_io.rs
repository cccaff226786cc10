//! With the `tokio-io` feature, guillotine's streams implement tokio's
//! `AsyncRead`/`AsyncWrite`, so tokio-ecosystem code (here tokio's own
//! extension traits and `copy_bidirectional`) runs on them — on a guillotine
//! runtime, with no tokio runtime anywhere. On both runtime flavors.
//!
//! `cargo test --features tokio-io --test tokio_io`

#![cfg(feature = "tokio-io")]

mod support;

use guillotine::net::{TcpListener, TcpStream, UnixStream};
use guillotine::runtime::Runtime;
use support::{both_flavors, pattern, reset_tcp_stream, reset_unix_stream};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

both_flavors! {
    tokio_traits_on_guillotine_streams,
    copy_bidirectional_between_two_guillotine_streams,
    tokio_traits_on_unix_halves,
    tokio_shutdown_after_a_peer_reset_is_ok,
}

fn tokio_traits_on_guillotine_streams(rt: Runtime) {
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut client = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (mut server, _) = listener.accept().await.unwrap();
        let data = pattern(5, 300_000);
        let write = async {
            client.write_all(&data).await.unwrap();
            AsyncWriteExt::shutdown(&mut client).await.unwrap();
            client
        };
        let read = async {
            let mut got = Vec::new();
            server.read_to_end(&mut got).await.unwrap();
            got
        };
        let (_client, got) = futures::join!(write, read);
        assert!(got == data);
    });
}

fn copy_bidirectional_between_two_guillotine_streams(rt: Runtime) {
    rt.block_on(async {
        // a <-> (b, c) <-> d: tokio's copy_bidirectional splices b and c.
        let (mut a, mut b) = UnixStream::pair().unwrap();
        let (mut c, mut d) = UnixStream::pair().unwrap();
        let splice = guillotine::spawn(async move {
            tokio::io::copy_bidirectional(&mut b, &mut c).await.unwrap()
        });
        a.write_all(b"left to right").await.unwrap();
        let mut buf = [0; 13];
        d.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"left to right");
        d.write_all(b"and back").await.unwrap();
        let mut buf = [0; 8];
        a.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"and back");
        AsyncWriteExt::shutdown(&mut a).await.unwrap();
        AsyncWriteExt::shutdown(&mut d).await.unwrap();
        assert_eq!(splice.await.unwrap(), (13, 8));
    });
}

fn tokio_traits_on_unix_halves(rt: Runtime) {
    rt.block_on(async {
        let (mut a, b) = UnixStream::pair().unwrap();
        let (mut rd, mut wr) = b.into_split();
        // b echoes through tokio's copy, owned halves on both sides.
        let echo = guillotine::spawn(async move {
            let n = tokio::io::copy(&mut rd, &mut wr).await.unwrap();
            AsyncWriteExt::shutdown(&mut wr).await.unwrap();
            n
        });
        let data = pattern(6, 100_000);
        let (mut a_rd, mut a_wr) = a.split();
        let write = async {
            a_wr.write_all(&data).await.unwrap();
            AsyncWriteExt::shutdown(&mut a_wr).await.unwrap();
        };
        let read = async {
            let mut back = Vec::new();
            a_rd.read_to_end(&mut back).await.unwrap();
            back
        };
        let ((), back) = futures::join!(write, read);
        assert!(back == data);
        assert_eq!(echo.await.unwrap(), data.len() as u64);
    });
}

/// hyper's `poll_shutdown` of a connection the client reset: `Ok`, as on
/// tokio's own streams.
fn tokio_shutdown_after_a_peer_reset_is_ok(rt: Runtime) {
    rt.block_on(async {
        let mut tcp = reset_tcp_stream().await;
        let err = tcp.read(&mut [0; 8]).await.unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::ConnectionReset);
        AsyncWriteExt::shutdown(&mut tcp).await.unwrap();
        AsyncWriteExt::shutdown(&mut &tcp).await.unwrap();
        AsyncWriteExt::shutdown(&mut tcp.split().1).await.unwrap();
        let (_rd, mut wr) = tcp.into_split();
        AsyncWriteExt::shutdown(&mut wr).await.unwrap();

        let mut unix = reset_unix_stream().await;
        let err = unix.read(&mut [0; 8]).await.unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::ConnectionReset);
        AsyncWriteExt::shutdown(&mut unix).await.unwrap();
        AsyncWriteExt::shutdown(&mut &unix).await.unwrap();
        AsyncWriteExt::shutdown(&mut unix.split().1).await.unwrap();
        let (_rd, mut wr) = unix.into_split();
        AsyncWriteExt::shutdown(&mut wr).await.unwrap();
    });
}
