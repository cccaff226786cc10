//! Helpers shared by the tests: running one test body on both runtime
//! flavors ([`both_flavors!`]), descriptor accounting through /proc, and
//! re-running one test of this binary in a child process (for rlimits and
//! signal dispositions, which are per process).

#![allow(dead_code, unused_macros)]

use std::collections::BTreeSet;
use std::process::{Command, Output};

use guillotine::runtime::{Builder, Runtime};

pub fn rt() -> Runtime {
    Runtime::new().expect("runtime")
}

/// The worker threads of the multi-thread flavor in [`both_flavors!`]
/// tests: one per vCPU of the test machine.
pub const WORKERS: usize = 2;

/// A runtime flavor a [`both_flavors!`] test runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavor {
    CurrentThread,
    /// [`WORKERS`] workers.
    MultiThread,
}

impl Flavor {
    /// A builder for this flavor (`worker_threads` may still be changed;
    /// the current-thread builder ignores it).
    pub fn builder(self) -> Builder {
        match self {
            Flavor::CurrentThread => Builder::new_current_thread(),
            Flavor::MultiThread => {
                let mut b = Builder::new_multi_thread();
                b.worker_threads(WORKERS);
                b
            }
        }
    }

    /// A runtime of this flavor with the default settings.
    pub fn rt(self) -> Runtime {
        self.builder().build().expect("runtime")
    }

    pub fn is_multi_thread(self) -> bool {
        self == Flavor::MultiThread
    }

    /// The module [`both_flavors!`] puts this flavor's tests in: the
    /// prefix of their names, for [`run_child`].
    pub fn module(self) -> &'static str {
        match self {
            Flavor::CurrentThread => "current_thread",
            Flavor::MultiThread => "multi_thread",
        }
    }
}

/// What a [`both_flavors!`] test takes: a [`Runtime`], a [`Builder`] (to
/// configure first) or the [`Flavor`] itself (to build several runtimes).
pub trait FromFlavor {
    fn from_flavor(flavor: Flavor) -> Self;
}

impl FromFlavor for Runtime {
    fn from_flavor(flavor: Flavor) -> Runtime {
        flavor.rt()
    }
}

impl FromFlavor for Builder {
    fn from_flavor(flavor: Flavor) -> Builder {
        flavor.builder()
    }
}

impl FromFlavor for Flavor {
    fn from_flavor(flavor: Flavor) -> Flavor {
        flavor
    }
}

/// Runs test bodies on both runtime flavors. Each body is a plain
/// function `fn name(arg: T)`, with `T` a [`Runtime`], a [`Builder`] (to
/// configure first) or the [`Flavor`] (to build several runtimes), see
/// [`FromFlavor`]; listing `name` makes the tests `current_thread::name`
/// and `multi_thread::name`. Attributes before a name
/// (`#[should_panic(..)]`, `#[ignore]`) go to both tests;
/// `#[current_thread(attr)]` and `#[multi_thread(attr)]` to one of them:
///
/// ```ignore
/// both_flavors! {
///     spawns,
///     #[should_panic(expected = "boom")]
///     panics,
///     #[multi_thread(ignore = "mt bug: ...")]
///     hangs,
/// }
///
/// fn spawns(rt: Runtime) { /* ... */ }
/// ```
///
/// The bodies stay outside the macro, so rustfmt and the compiler's
/// dead-code lint see them (an unlisted body is a warning). One invocation
/// per test file (it defines the two modules).
macro_rules! both_flavors {
    // `@go [current-thread tests] [multi-thread tests] [attributes for
    // both] [current-thread attributes] [multi-thread attributes] rest`
    (@go [$($ct:tt)*] [$($mt:tt)*] [$($a:tt)*] [$($c:tt)*] [$($m:tt)*]
        #[multi_thread($($x:tt)*)] $($rest:tt)*) => {
        both_flavors!(@go [$($ct)*] [$($mt)*] [$($a)*] [$($c)*] [$($m)* #[$($x)*]] $($rest)*);
    };
    (@go [$($ct:tt)*] [$($mt:tt)*] [$($a:tt)*] [$($c:tt)*] [$($m:tt)*]
        #[current_thread($($x:tt)*)] $($rest:tt)*) => {
        both_flavors!(@go [$($ct)*] [$($mt)*] [$($a)*] [$($c)* #[$($x)*]] [$($m)*] $($rest)*);
    };
    (@go [$($ct:tt)*] [$($mt:tt)*] [$($a:tt)*] [$($c:tt)*] [$($m:tt)*]
        #[$($x:tt)*] $($rest:tt)*) => {
        both_flavors!(@go [$($ct)*] [$($mt)*] [$($a)* #[$($x)*]] [$($c)*] [$($m)*] $($rest)*);
    };
    (@go [$($ct:tt)*] [$($mt:tt)*] [$($a:tt)*] [$($c:tt)*] [$($m:tt)*]
        $name:ident $(, $($rest:tt)*)?) => {
        both_flavors!(@go
            [$($ct)* #[test] $($a)* $($c)* fn $name() {
                super::$name($crate::support::FromFlavor::from_flavor(
                    $crate::support::Flavor::CurrentThread,
                ))
            }]
            [$($mt)* #[test] $($a)* $($m)* fn $name() {
                super::$name($crate::support::FromFlavor::from_flavor(
                    $crate::support::Flavor::MultiThread,
                ))
            }]
            [] [] [] $($($rest)*)?);
    };
    (@go [$($ct:tt)*] [$($mt:tt)*] [] [] []) => {
        mod current_thread {
            $($ct)*
        }
        mod multi_thread {
            $($mt)*
        }
    };
    ($($input:tt)*) => {
        both_flavors!(@go [] [] [] [] [] $($input)*);
    };
}
#[allow(
    unused_imports,
    reason = "files that test one flavor only do not use it"
)]
pub(crate) use both_flavors;

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

/// How long [`eventually`] and [`wait_until`] wait before failing: far
/// beyond anything a loaded machine needs, short of the harness's patience.
pub const PATIENCE: std::time::Duration = std::time::Duration::from_secs(20);

/// Waits (inside a runtime) until `cond` holds, yielding and then sleeping
/// 1 ms between checks; panics after [`PATIENCE`]. For the flavor-agnostic
/// form of "after a yield, X has happened": on the current-thread runtime
/// the first yields let the other tasks run, on the multi-thread runtime
/// they run meanwhile on the workers.
pub async fn eventually(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + PATIENCE;
    let mut checks = 0u32;
    while !cond() {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        if checks < 16 {
            guillotine::task::yield_now().await;
        } else {
            guillotine::time::sleep(std::time::Duration::from_millis(1)).await;
        }
        checks += 1;
    }
}

/// Waits (outside a runtime) until `cond` holds, checking every 1 ms;
/// panics after [`PATIENCE`].
pub fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + PATIENCE;
    while !cond() {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
}

/// Waits until every worker of a multi-thread runtime has started and
/// parked once: a starting worker briefly opens a file (glibc's
/// `sysconf(_SC_NPROCESSORS_ONLN)` reads /sys), which a test that counts or
/// exhausts descriptors must not see. Nothing to wait for on the
/// current-thread runtime.
pub fn wait_for_workers(rt: &Runtime, flavor: Flavor) {
    if flavor.is_multi_thread() {
        let metrics = rt.metrics();
        wait_until("every worker parked once", || {
            (0..metrics.num_workers()).all(|i| metrics.worker_park_count(i) > 0)
        });
    }
}

/// Whether the current thread is one that runs `flavor`'s spawned tasks:
/// the `block_on` thread `caller` (current-thread), or a worker.
pub fn on_runtime_thread(flavor: Flavor, caller: std::thread::ThreadId) -> bool {
    match flavor {
        Flavor::CurrentThread => std::thread::current().id() == caller,
        Flavor::MultiThread => std::thread::current().name() == Some("guillotine-worker"),
    }
}

/// Every worker of a multi-thread runtime blocked inside a task, until
/// dropped; nothing on the current-thread runtime (whose tasks run only in
/// `block_on` anyway). While held, a task spawned with `Runtime::spawn` is
/// not polled: what the current-thread runtime gives outside `block_on`.
pub struct HeldWorkers {
    gate: std::sync::Arc<(std::sync::Mutex<bool>, std::sync::Condvar)>,
    tasks: Vec<guillotine::task::JoinHandle<()>>,
}

/// Blocks every worker of `rt` (of `flavor`) in a task and waits until
/// they all are; see [`HeldWorkers`].
pub fn hold_workers(rt: &Runtime, flavor: Flavor) -> HeldWorkers {
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    let gate = std::sync::Arc::new((std::sync::Mutex::new(false), std::sync::Condvar::new()));
    let mut tasks = Vec::new();
    if flavor.is_multi_thread() {
        let started = std::sync::Arc::new(AtomicUsize::new(0));
        // One at a time: two tasks queued at once may both land in one
        // worker's run queue (an injection batch), where the second waits
        // behind the first, which blocks, while the other worker sleeps:
        // nothing wakes a sleeper for a queue whose worker never comes
        // back to it.
        for held in 1..=WORKERS {
            let (gate, start) = (gate.clone(), started.clone());
            tasks.push(rt.spawn(async move {
                start.fetch_add(1, SeqCst);
                let (open, cv) = &*gate;
                let mut open = open.lock().unwrap();
                while !*open {
                    open = cv.wait(open).unwrap();
                }
            }));
            wait_until("a worker held", || started.load(SeqCst) == held);
        }
    }
    HeldWorkers { gate, tasks }
}

impl HeldWorkers {
    /// Lets the workers go (as dropping does).
    pub fn release(self) {}
}

impl Drop for HeldWorkers {
    fn drop(&mut self) {
        let (open, cv) = &*self.gate;
        *open.lock().unwrap() = true;
        cv.notify_all();
    }
}
