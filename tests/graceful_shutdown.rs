//! examples/graceful_shutdown.rs, run as a process on both runtime
//! flavors: on SIGINT it refuses new connections, finishes the request in
//! flight and exits 0; a second SIGINT while it waits kills it.

mod support;

use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;

use support::{Flavor, PATIENCE, both_flavors, wait_until};

both_flavors! {
    finishes_the_request_in_flight_and_refuses_new_connections,
    a_second_ctrl_c_force_quits,
}

/// The example's binary, next to this test's: `target/<profile>/examples`.
/// `cargo test` builds the examples with the tests, but a run of this test
/// alone (`--test graceful_shutdown`) does not, so it is built here too
/// (with this test's profile and features: a no-op when it is fresh),
/// once per run.
fn example() -> PathBuf {
    static PATH: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    PATH.get_or_init(build_example).clone()
}

fn build_example() -> PathBuf {
    let exe = std::env::current_exe().expect("current_exe");
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target/<profile>/deps/<test>");
    let mut build = Command::new(env!("CARGO"));
    build.current_dir(env!("CARGO_MANIFEST_DIR")).args([
        "build",
        "--quiet",
        "--example",
        "graceful_shutdown",
    ]);
    match profile_dir.file_name().and_then(|n| n.to_str()) {
        Some("debug") => {}
        Some("release") => {
            build.arg("--release");
        }
        Some(profile) => {
            build.args(["--profile", profile]);
        }
        None => {}
    }
    if cfg!(feature = "tokio-io") {
        build.args(["--features", "tokio-io"]);
    }
    let status = build.status().expect("run cargo build");
    assert!(
        status.success(),
        "cargo build --example graceful_shutdown: {status}"
    );
    let path = profile_dir.join("examples").join("graceful_shutdown");
    assert!(path.exists(), "{} was not built", path.display());
    path
}

/// The example running as a child process; killed if the test fails first.
struct Server {
    child: Child,
    /// Its stdout, line by line, from a reader thread (so that waiting for a
    /// line can time out).
    lines: mpsc::Receiver<String>,
    addr: SocketAddr,
}

impl Server {
    fn start(flavor: Flavor) -> Server {
        let mut child = Command::new(example())
            .arg(flavor.module())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the example");
        let stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in stdout.lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut server = Server {
            child,
            lines,
            addr: "0.0.0.0:0".parse().unwrap(),
        };
        server.addr = server
            .next_line()
            .parse()
            .expect("the first line is the address");
        server
    }

    /// The next line of output; panics at EOF or after `PATIENCE`.
    fn next_line(&mut self) -> String {
        self.lines
            .recv_timeout(PATIENCE)
            .expect("the server's next line of output")
    }

    /// Waits for a line starting with `prefix`, skipping others.
    fn expect_line(&mut self, prefix: &str) -> String {
        loop {
            let line = self.next_line();
            if line.starts_with(prefix) {
                return line;
            }
        }
    }

    /// Sends SIGINT, as Ctrl-C in a terminal does.
    fn interrupt(&self) {
        let pid = i32::try_from(self.child.id()).unwrap();
        // SAFETY: kill takes no pointer; the child is not reaped yet (only
        // `exit_status` waits for it), so `pid` is still ours.
        assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
    }

    fn exit_status(&mut self) -> ExitStatus {
        let mut status = None;
        wait_until("the server to exit", || {
            status = self.child.try_wait().expect("try_wait");
            status.is_some()
        });
        status.unwrap()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A client connected to `server`, once the server says it accepted it.
fn connect(server: &mut Server) -> TcpStream {
    let client = TcpStream::connect(server.addr).expect("connect");
    client.set_read_timeout(Some(PATIENCE)).unwrap();
    server.expect_line("accepted");
    client
}

fn finishes_the_request_in_flight_and_refuses_new_connections(flavor: Flavor) {
    let mut server = Server::start(flavor);
    let mut client = connect(&mut server);
    // Half a request, then Ctrl-C.
    client.write_all(b"hello, ").unwrap();
    server.interrupt();
    let line = server.expect_line("shutting down");
    assert!(line.contains("waiting for 1 connection"), "{line}");
    let err = TcpStream::connect(server.addr).expect_err("connected after the Ctrl-C");
    assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
    // The rest of the request gets its full answer.
    client.write_all(b"world\n").unwrap();
    let mut answer = String::new();
    client.read_to_string(&mut answer).unwrap();
    assert_eq!(answer, "HELLO, WORLD\n");
    assert_eq!(server.expect_line("bye"), "bye");
    let status = server.exit_status();
    assert_eq!(status.code(), Some(0), "{status}");
}

fn a_second_ctrl_c_force_quits(flavor: Flavor) {
    let mut server = Server::start(flavor);
    let mut client = connect(&mut server);
    client.write_all(b"never finished").unwrap();
    server.interrupt();
    server.expect_line("shutting down");
    server.interrupt();
    let status = server.exit_status();
    assert_eq!(status.signal(), Some(libc::SIGINT), "{status}");
    // The connection died with the process.
    let mut rest = Vec::new();
    let _ = client.read_to_end(&mut rest);
    assert!(rest.is_empty());
}
