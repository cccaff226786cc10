//! Helpers shared by the I/O tests: descriptor accounting through /proc, and
//! re-running one test of this binary in a child process (for rlimits and
//! signal dispositions, which are per process).

#![allow(dead_code)]

use std::collections::BTreeSet;
use std::process::{Command, Output};

pub fn rt() -> guillotine::runtime::Runtime {
    guillotine::runtime::Runtime::new().expect("runtime")
}

/// The descriptors open in this process (less the one used to list them).
pub fn open_fds() -> BTreeSet<i32> {
    let listed: BTreeSet<i32> = std::fs::read_dir("/proc/self/fd")
        .expect("/proc/self/fd")
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .collect();
    // The listing's own descriptor is closed again by now.
    listed
        .into_iter()
        .filter(|fd| std::path::Path::new(&format!("/proc/self/fd/{fd}")).exists())
        .collect()
}

/// The `flags:` of /proc/self/fdinfo/<fd> (octal in the file).
pub fn fd_flags(fd: i32) -> u32 {
    let info = std::fs::read_to_string(format!("/proc/self/fdinfo/{fd}")).expect("fdinfo");
    let line = info
        .lines()
        .find(|l| l.starts_with("flags:"))
        .expect("flags line");
    u32::from_str_radix(line["flags:".len()..].trim(), 8).expect("octal flags")
}

/// Asserts `fd` is close-on-exec and non-blocking.
pub fn assert_cloexec_nonblocking(fd: i32, what: &str) {
    let flags = fd_flags(fd);
    assert_ne!(
        flags & libc::O_CLOEXEC as u32,
        0,
        "{what} (fd {fd}) is not close-on-exec: {flags:o}"
    );
    assert_ne!(
        flags & libc::O_NONBLOCK as u32,
        0,
        "{what} (fd {fd}) is blocking: {flags:o}"
    );
}

/// The environment variable that tells a re-executed test binary which
/// child body to run.
pub const CHILD_ENV: &str = "GUILLOTINE_TEST_CHILD";

/// Whether this process is the child running `name`.
pub fn is_child(name: &str) -> bool {
    std::env::var(CHILD_ENV).is_ok_and(|v| v == name)
}

/// Runs the test `test` of this binary alone in a child process with
/// `CHILD_ENV=name`, and returns its output.
pub fn run_child(test: &str, name: &str) -> Output {
    let exe = std::env::current_exe().expect("current_exe");
    Command::new(exe)
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, name)
        .output()
        .expect("spawn child test")
}

/// Runs the `#[ignore]`d test `test` of this binary alone in a child
/// process, and returns its output.
pub fn run_ignored(test: &str) -> Output {
    let exe = std::env::current_exe().expect("current_exe");
    Command::new(exe)
        .args([
            test,
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .output()
        .expect("spawn child test")
}

/// Asserts the child succeeded, showing its output if not.
pub fn assert_child_ok(out: &Output) {
    assert!(
        out.status.success(),
        "child failed: {:?}\n--- stdout\n{}\n--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Sets the soft RLIMIT_NOFILE (the hard one is left alone).
pub fn set_nofile_soft(soft: u64) {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes one rlimit into a live struct.
    assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) }, 0);
    lim.rlim_cur = soft.min(lim.rlim_max);
    // SAFETY: setrlimit reads one live rlimit.
    assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lim) }, 0);
}

/// Raises the soft RLIMIT_NOFILE to the hard limit; returns it.
pub fn raise_nofile_to_hard() -> u64 {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes one rlimit into a live struct.
    assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) }, 0);
    set_nofile_soft(lim.rlim_max);
    lim.rlim_max
}

/// The resident set size of this process, in bytes.
pub fn rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("status");
    let line = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .expect("VmRSS");
    let kb: u64 = line
        .split_whitespace()
        .nth(1)
        .expect("value")
        .parse()
        .expect("number");
    kb * 1024
}

/// A deterministic byte pattern, different per `seed`.
pub fn pattern(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// A TCP client whose server end closed with `SO_LINGER` 0, sending a
/// RST; the client's next read fails `ConnectionReset`.
pub async fn reset_tcp_stream() -> guillotine::net::TcpStream {
    let listener = guillotine::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap();
    let client = guillotine::net::TcpStream::connect(listener.local_addr().unwrap())
        .await
        .unwrap();
    let (server, _) = listener.accept().await.unwrap();
    socket2::SockRef::from(&server)
        .set_linger(Some(std::time::Duration::ZERO))
        .unwrap();
    drop(server);
    client
}

/// A Unix stream whose peer closed with data unread, which Linux reports
/// as a reset: the next read fails `ConnectionReset`.
pub async fn reset_unix_stream() -> guillotine::net::UnixStream {
    use guillotine::io::AsyncWriteExt;
    let (mut stream, peer) = guillotine::net::UnixStream::pair().unwrap();
    stream.write_all(b"never read").await.unwrap();
    drop(peer);
    stream
}
