//! TCP: concurrent echo with checked bytes, a reader and a writer task on
//! one socket, split halves, vectored writes, and interop with a blocking
//! `std` peer and a python3 peer process. On both runtime flavors.

mod support;

use std::io::{BufRead, BufReader, IoSlice, Read, Write};
use std::net::Shutdown;
use std::process::{Command, Stdio};
use std::sync::Arc;

use guillotine::io::{AsyncReadExt, AsyncWriteExt};
use guillotine::net::{TcpListener, TcpStream};
use guillotine::runtime::{Builder, Runtime};
use support::{Flavor, WORKERS, both_flavors, pattern};

both_flavors! {
    hundred_clients_echo_100_kb_each,
    a_reader_task_and_a_writer_task_on_one_socket_are_both_woken,
    borrowed_split_and_vectored_writes,
    reunite_rejects_halves_of_different_streams,
    dropping_the_owned_write_half_sends_eof,
    std_blocking_peer_both_ways,
    python_peer_both_ways,
    stream_options_and_addresses,
    from_std_and_into_std_round_trip,
    io_is_dispatched_while_other_tasks_never_stop_yielding,
}

/// Accepts forever, echoing each connection until EOF.
async fn echo_server(listener: TcpListener) {
    loop {
        let (stream, _) = listener.accept().await.expect("accept");
        let _detached = guillotine::spawn(async move {
            // Reader and writer are both `&TcpStream`.
            futures_lite::io::copy(&stream, &mut &stream)
                .await
                .expect("echo copy");
            stream.shutdown(Shutdown::Write).expect("shutdown");
        });
    }
}

fn hundred_clients_echo_100_kb_each(rt: Runtime) {
    const CLIENTS: u64 = 100;
    const LEN: usize = 100 * 1024;
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let _detached = guillotine::spawn(echo_server(listener));
        let clients: Vec<_> = (0..CLIENTS)
            .map(|i| {
                guillotine::spawn(async move {
                    let stream = TcpStream::connect(addr).await.unwrap();
                    let (mut rd, mut wr) = stream.into_split();
                    let data = pattern(i, LEN);
                    let sent = data.clone();
                    // Write and read at once: 100 KB each way may not fit in
                    // the socket buffers.
                    let writer = guillotine::spawn(async move {
                        wr.write_all(&sent).await.unwrap();
                        wr.close().await.unwrap();
                    });
                    let mut back = Vec::with_capacity(LEN);
                    rd.read_to_end(&mut back).await.unwrap();
                    writer.await.unwrap();
                    assert_eq!(back.len(), LEN, "client {i}: length");
                    assert!(back == data, "client {i}: bytes differ");
                    back.len()
                })
            })
            .collect();
        let mut total = 0;
        for c in clients {
            total += c.await.unwrap();
        }
        assert_eq!(total, CLIENTS as usize * LEN);
    });
}

fn a_reader_task_and_a_writer_task_on_one_socket_are_both_woken(rt: Runtime) {
    const BULK: usize = 8 << 20; // far more than the socket buffers hold
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut peer = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let shared = Arc::new(listener.accept().await.unwrap().0);

        let s = shared.clone();
        let reader = guillotine::spawn(async move {
            let mut buf = [0; 5];
            (&*s).read_exact(&mut buf).await.unwrap();
            buf
        });
        let s = shared.clone();
        let writer = guillotine::spawn(async move {
            (&*s).write_all(&pattern(7, BULK)).await.unwrap();
        });
        // Let both tasks run into `Pending`: the reader has nothing to read,
        // the writer fills the buffers. Then serve the writer first.
        guillotine::task::yield_now().await;
        let mut got = vec![0; BULK];
        peer.read_exact(&mut got).await.unwrap();
        assert!(got == pattern(7, BULK));
        writer.await.unwrap();
        peer.write_all(b"hello").await.unwrap();
        assert_eq!(&reader.await.unwrap(), b"hello");
    });
}

fn borrowed_split_and_vectored_writes(rt: Runtime) {
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut client = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (mut server, _) = listener.accept().await.unwrap();
        let bufs = [
            IoSlice::new(b"one "),
            IoSlice::new(b""),
            IoSlice::new(b"two "),
            IoSlice::new(b"three"),
        ];
        let n = client.write_vectored(&bufs).await.unwrap();
        assert_eq!(n, 13, "loopback takes all of a small vectored write");
        client.shutdown(Shutdown::Write).unwrap();
        let (mut rd, mut wr) = server.split();
        let mut got = String::new();
        rd.read_to_string(&mut got).await.unwrap();
        assert_eq!(got, "one two three");
        wr.write_all(b"bye").await.unwrap();
        let mut back = [0; 3];
        client.read_exact(&mut back).await.unwrap();
        assert_eq!(&back, b"bye");
    });
}

fn reunite_rejects_halves_of_different_streams(rt: Runtime) {
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let a = TcpStream::connect(addr).await.unwrap();
        let b = TcpStream::connect(addr).await.unwrap();
        let (ra, wa) = a.into_split();
        let (rb, wb) = b.into_split();
        let err = ra.reunite(wb).unwrap_err();
        let ra = err.0;
        let _a = ra.reunite(wa).unwrap();
        let _b = rb.reunite(err.1).unwrap();
    });
}

fn dropping_the_owned_write_half_sends_eof(rt: Runtime) {
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (mut server, _) = listener.accept().await.unwrap();
        let (_rd, wr) = client.into_split();
        drop(wr);
        assert_eq!(server.read(&mut [0; 8]).await.unwrap(), 0);
    });
}

fn std_blocking_peer_both_ways(rt: Runtime) {
    rt.block_on(async {
        // guillotine client, blocking std server on a thread.
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = std_listener.local_addr().unwrap();
        let server = std::thread::spawn(move || {
            let (mut s, _) = std_listener.accept().unwrap();
            let mut buf = Vec::new();
            s.read_to_end(&mut buf).unwrap();
            s.write_all(&buf).unwrap();
        });
        let mut client = TcpStream::connect(addr).await.unwrap();
        client.write_all(&pattern(1, 300_000)).await.unwrap();
        client.shutdown(Shutdown::Write).unwrap();
        let mut back = Vec::new();
        client.read_to_end(&mut back).await.unwrap();
        assert!(back == pattern(1, 300_000));
        server.join().unwrap();

        // guillotine server, blocking std client on a thread.
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let client = std::thread::spawn(move || {
            let mut s = std::net::TcpStream::connect(addr).unwrap();
            s.write_all(b"from std").unwrap();
            s.shutdown(Shutdown::Write).unwrap();
            let mut back = String::new();
            s.read_to_string(&mut back).unwrap();
            back
        });
        let (stream, _) = listener.accept().await.unwrap();
        futures_lite::io::copy(&stream, &mut &stream).await.unwrap();
        stream.shutdown(Shutdown::Write).unwrap();
        assert_eq!(client.join().unwrap(), "from std");
    });
}

const PY_ECHO_SERVER: &str = r#"
import socket, sys
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(1)
print(srv.getsockname()[1], flush=True)
conn, _ = srv.accept()
while True:
    data = conn.recv(65536)
    if not data:
        break
    conn.sendall(data)
conn.close()
"#;

const PY_CLIENT: &str = r#"
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
msg = b"python says hi" * 1000
s.sendall(msg)
s.shutdown(socket.SHUT_WR)
back = b""
while True:
    data = s.recv(65536)
    if not data:
        break
    back += data
assert back == msg, (len(back), len(msg))
print("ok", flush=True)
"#;

fn python_peer_both_ways(flavor: Flavor) {
    // A python echo server; its port comes on its first line of output.
    let mut server = Command::new("python3")
        .args(["-c", PY_ECHO_SERVER])
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3");
    let mut line = String::new();
    BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port: u16 = line.trim().parse().unwrap();
    flavor.rt().block_on(async {
        let mut s = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        let data = pattern(3, 200_000);
        let (mut rd, mut wr) = s.split();
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
        assert!(back == data);
        s.shutdown(Shutdown::Both).ok();
    });
    assert!(server.wait().unwrap().success());

    // A python client against a guillotine echo server.
    flavor.rt().block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port().to_string();
        let _detached = guillotine::spawn(echo_server(listener));
        let mut client = Command::new("python3");
        client.args(["-c", PY_CLIENT, &port]);
        // Run and wait for the child off the runtime thread, so the server
        // keeps serving.
        let out = guillotine::spawn_blocking(move || client.output())
            .await
            .unwrap()
            .expect("python3");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "ok");
    });
}

fn stream_options_and_addresses(rt: Runtime) {
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        listener.set_ttl(77).unwrap();
        assert_eq!(listener.ttl().unwrap(), 77);
        let client = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (server, peer) = listener.accept().await.unwrap();
        assert_eq!(peer, client.local_addr().unwrap());
        assert_eq!(server.local_addr().unwrap(), client.peer_addr().unwrap());
        client.set_nodelay(true).unwrap();
        assert!(client.nodelay().unwrap());
        (&client).write_all(b"peek").await.unwrap();
        let mut buf = [0; 4];
        assert_eq!(server.peek(&mut buf).await.unwrap(), 4);
        let mut again = [0; 4];
        (&server).read_exact(&mut again).await.unwrap();
        assert_eq!(buf, again);
        assert!(format!("{client:?}").contains("TcpStream"));
    });
}

fn from_std_and_into_std_round_trip(rt: Runtime) {
    rt.block_on(async {
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let listener = TcpListener::from_std(std_listener).unwrap();
        let addr = listener.local_addr().unwrap();
        let std_client = std::net::TcpStream::connect(addr).unwrap();
        let mut client = TcpStream::from_std(std_client).unwrap();
        let (server, _) = listener.accept().await.unwrap();
        let mut server = server.into_std().unwrap();
        server.set_nonblocking(false).unwrap();
        client.write_all(b"x").await.unwrap();
        let mut b = [0; 1];
        server.read_exact(&mut b).unwrap();
        assert_eq!(&b, b"x");
        // Registered again, it works on the reactor again.
        let mut server = TcpStream::from_std(server).unwrap();
        server.write_all(b"y").await.unwrap();
        client.read_exact(&mut b).await.unwrap();
        assert_eq!(&b, b"y");
    });
}

fn io_is_dispatched_while_other_tasks_never_stop_yielding(mut builder: Builder) {
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
    // The run queues are never empty (one spinner per worker), so the
    // runtime never parks: the socket can only make progress through the
    // driver turn every `event_interval` polls.
    let runtime = builder.event_interval(7).build().unwrap();
    runtime.block_on(async {
        let stop = Arc::new(AtomicBool::new(false));
        let spins = Arc::new(AtomicU64::new(0));
        let spinners: Vec<_> = (0..WORKERS)
            .map(|_| {
                let (s, n) = (stop.clone(), spins.clone());
                guillotine::spawn(async move {
                    while !s.load(Relaxed) {
                        n.fetch_add(1, Relaxed);
                        guillotine::task::yield_now().await;
                    }
                })
            })
            .collect();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let peer = std::thread::spawn(move || {
            let mut s = std::net::TcpStream::connect(addr).unwrap();
            s.write_all(b"through the interval turn").unwrap();
        });
        let (mut stream, _) = listener.accept().await.unwrap();
        let mut got = String::new();
        stream.read_to_string(&mut got).await.unwrap();
        assert_eq!(got, "through the interval turn");
        assert!(spins.load(Relaxed) > 0, "the spinner ran meanwhile");
        stop.store(true, Relaxed);
        for spinner in spinners {
            spinner.await.unwrap();
        }
        peer.join().unwrap();
    });
}
