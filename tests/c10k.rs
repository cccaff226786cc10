//! C10K: hold 10,000 concurrent TCP connections on loopback, echo a message
//! on each, measure the server's RSS per connection while all are open, then
//! close them all. The clients live in a python3 process (the machine's
//! descriptor limit is per process); both sides raise their soft
//! RLIMIT_NOFILE to the hard limit.
//!
//! The test runs the server twice, each in a fresh child process (so that
//! one's freed memory cannot flatter the other's figure): on guillotine, and
//! the same program on tokio's current-thread runtime, and reports both.
//! `cargo test --test c10k -- --nocapture` shows the figures.

mod support;

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use futures::FutureExt;
use futures::channel::oneshot;
use support::{assert_child_ok, raise_nofile_to_hard, rss_bytes, run_ignored};

const CONNECTIONS: usize = 10_000;

/// Connects N sockets, sends "%08d" % i on each, checks every echo, says
/// "echoed", waits for a line on stdin, then expects EOF on every socket
/// (the server closes first) and says "closed".
const CLIENT: &str = r#"
import resource, socket, sys
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
port, n = int(sys.argv[1]), int(sys.argv[2])
socks = []
for i in range(n):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"%08d" % i)
    socks.append(s)
for i, s in enumerate(socks):
    got = b""
    while len(got) < 8:
        d = s.recv(8 - len(got))
        assert d, "EOF before the echo on %d" % i
        got += d
    assert got == b"%08d" % i, (i, got)
print("echoed", flush=True)
sys.stdin.readline()
for s in socks:
    assert s.recv(1) == b"", "expected EOF"
    s.close()
print("closed", flush=True)
"#;

struct Client {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

fn start_client(port: u16) -> Client {
    let mut child = Command::new("python3")
        .args(["-c", CLIENT, &port.to_string(), &CONNECTIONS.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3");
    let stdin = child.stdin.take().unwrap();
    let stdout = BufReader::new(child.stdout.take().unwrap());
    Client {
        child,
        stdin,
        stdout,
    }
}

/// Reads the client's next line (blocking: call it off the runtime thread).
fn expect_line(stdout: &mut BufReader<ChildStdout>, want: &str) {
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    assert_eq!(
        line.trim(),
        want,
        "the python client failed (see its stderr)"
    );
}

fn report(runtime: &str, before: u64, during: u64) {
    let per = during.saturating_sub(before) as f64 / CONNECTIONS as f64;
    println!(
        "{runtime}: {CONNECTIONS} connections, server RSS {:.1} MiB -> {:.1} MiB: {per:.0} bytes per connection",
        before as f64 / 1048576.0,
        during as f64 / 1048576.0
    );
}

#[test]
fn ten_thousand_concurrent_connections() {
    let mut lines = Vec::new();
    for child in ["c10k_server_guillotine", "c10k_server_tokio"] {
        let out = run_ignored(child);
        assert_child_ok(&out);
        let stdout = String::from_utf8_lossy(&out.stdout);
        let line = stdout
            .lines()
            .find(|l| l.contains("bytes per connection"))
            .unwrap_or_else(|| panic!("{child} reported nothing:\n{stdout}"))
            .to_owned();
        lines.push(line);
    }
    for line in lines {
        println!("{line}");
    }
}

#[test]
#[ignore = "run in a child process by `ten_thousand_concurrent_connections`"]
fn c10k_server_guillotine() {
    assert!(
        raise_nofile_to_hard() as usize > CONNECTIONS + 100,
        "the hard descriptor limit is too low"
    );
    let runtime = guillotine::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        use guillotine::io::{AsyncReadExt, AsyncWriteExt};
        let listener = guillotine::net::TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap();
        let before = rss_bytes();
        let Client {
            mut child,
            mut stdin,
            mut stdout,
        } = start_client(listener.local_addr().unwrap().port());
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let stop = stop_rx.shared();
        let mut connections = Vec::with_capacity(CONNECTIONS);
        for _ in 0..CONNECTIONS {
            let (mut stream, _) = listener.accept().await.unwrap();
            let stop = stop.clone();
            connections.push(guillotine::spawn(async move {
                let mut buf = [0; 8];
                stream.read_exact(&mut buf).await.unwrap();
                stream.write_all(&buf).await.unwrap();
                // Hold the connection until every one has echoed.
                let _ = stop.await;
            }));
        }
        let mut stdout = guillotine::spawn_blocking(move || {
            expect_line(&mut stdout, "echoed");
            stdout
        })
        .await
        .unwrap();
        report("guillotine", before, rss_bytes());
        // Close from the server side, then let the client check the EOFs.
        stop_tx.send(()).unwrap();
        for c in connections {
            c.await.unwrap();
        }
        writeln!(stdin, "go").unwrap();
        guillotine::spawn_blocking(move || {
            expect_line(&mut stdout, "closed");
            assert!(child.wait().unwrap().success());
        })
        .await
        .unwrap();
    });
}

#[test]
#[ignore = "run in a child process by `ten_thousand_concurrent_connections`"]
fn c10k_server_tokio() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    raise_nofile_to_hard();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let before = rss_bytes();
        let Client {
            mut child,
            mut stdin,
            mut stdout,
        } = start_client(listener.local_addr().unwrap().port());
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let stop = stop_rx.shared();
        let mut connections = Vec::with_capacity(CONNECTIONS);
        for _ in 0..CONNECTIONS {
            let (mut stream, _) = listener.accept().await.unwrap();
            let stop = stop.clone();
            connections.push(tokio::spawn(async move {
                let mut buf = [0; 8];
                stream.read_exact(&mut buf).await.unwrap();
                stream.write_all(&buf).await.unwrap();
                let _ = stop.await;
            }));
        }
        let mut stdout = tokio::task::spawn_blocking(move || {
            expect_line(&mut stdout, "echoed");
            stdout
        })
        .await
        .unwrap();
        report("tokio", before, rss_bytes());
        stop_tx.send(()).unwrap();
        for c in connections {
            c.await.unwrap();
        }
        writeln!(stdin, "go").unwrap();
        tokio::task::spawn_blocking(move || {
            expect_line(&mut stdout, "closed");
            assert!(child.wait().unwrap().success());
        })
        .await
        .unwrap();
    });
}
