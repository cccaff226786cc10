//! `guillotine::process` on both runtime flavors: exit statuses, captured
//! output, piped stdin, kill and `kill_on_drop`, dropped children reaped
//! from the reactor, and the polling fallback for kernels without pidfd.
//!
//! Children are checked through /proc: a child is "ours and unreaped" while
//! /proc/<pid>/stat exists with our pid as its parent and its start time
//! (so a recycled pid is not mistaken for it). The tests that count every
//! child, zombie and descriptor of the process run alone in a child
//! process (`support::run_child`), since the other tests spawn children
//! and open pipes in parallel. `PROCESS_CHILDREN=n` sets how many children
//! the many-children tests spawn (1,000 by default; valgrind.sh runs
//! fewer).
//!
//! Under valgrind (which does not know `pidfd_open`) every test runs the
//! polling fallback, as on a kernel older than 5.3.

mod support;

use std::future::Future;
use std::io;
use std::os::unix::process::ExitStatusExt;
use std::process::Stdio;
use std::time::Duration;

use futures::FutureExt;
use guillotine::io::{AsyncReadExt, AsyncWriteExt};
use guillotine::process::{Child, Command};
use guillotine::runtime::Runtime;
use support::{
    Flavor, PATIENCE, assert_child_ok, both_flavors, eventually, is_child, open_fds, pattern,
    run_child, wait_for_workers,
};

both_flavors! {
    exit_codes,
    a_signal_killed_child_reports_the_signal,
    output_captures_stdout_and_stderr,
    large_output_on_both_streams_does_not_deadlock,
    stdin_is_piped_both_ways,
    kill_kills_and_reaps,
    start_kill_then_wait,
    kill_on_drop_kills_and_the_runtime_reaps,
    kill_on_drop_is_reaped_when_the_runtime_shuts_down_first,
    a_dropped_running_child_is_reaped_once_it_exits,
    a_dropped_exited_child_is_reaped,
    try_wait_reports_running_then_exited,
    wait_and_status_close_piped_stdin,
    writing_to_an_exited_child_is_broken_pipe,
    a_dropped_status_future_kills_with_kill_on_drop,
    wait_is_cancel_safe,
    a_missing_program_is_not_found,
    one_childs_stdout_feeds_the_next,
    wait_fails_once_the_runtime_is_gone,
    exits_are_watched_through_a_pidfd_where_the_kernel_has_them,
    kill_never_reaches_a_child_reaped_elsewhere,
    polling_fallback_waits_kills_and_reaps,
    many_children_leave_no_zombie_no_descriptor_and_sigchld_alone,
    many_polled_children_leave_no_zombie_no_descriptor,
}

/// How many children the many-children tests spawn.
fn children() -> usize {
    std::env::var("PROCESS_CHILDREN")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1000)
}

/// Awaits `fut`, failing the test after `support::PATIENCE` (a hang, not a
/// slow machine).
async fn within<F: Future>(what: &str, fut: F) -> F::Output {
    match guillotine::time::timeout(PATIENCE, fut).await {
        Ok(out) => out,
        Err(_) => panic!("timed out waiting for {what}"),
    }
}

fn our_pid() -> i32 {
    std::process::id() as i32
}

/// State, parent and start time of `pid`, from /proc/<pid>/stat.
fn proc_stat(pid: i32) -> Option<(char, i32, u64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces and parentheses: skip past its end.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let state = fields[0].chars().next()?;
    let ppid = fields[1].parse().ok()?;
    let start = fields[19].parse().ok()?;
    Some((state, ppid, start))
}

/// A child, named by pid and start time (the pair cannot be recycled).
#[derive(Clone, Copy, Debug)]
struct Pid {
    pid: i32,
    start: u64,
}

impl Pid {
    fn of(child: &Child) -> Pid {
        let pid = child.id().expect("not reaped yet") as i32;
        let (_, ppid, start) = proc_stat(pid).expect("the child is in /proc");
        assert_eq!(ppid, our_pid());
        Pid { pid, start }
    }

    /// Our child, not reaped yet: running or a zombie.
    fn unreaped(self) -> bool {
        proc_stat(self.pid).is_some_and(|(_, ppid, start)| ppid == our_pid() && start == self.start)
    }

    /// Our child, still running (not a zombie).
    fn running(self) -> bool {
        self.unreaped() && proc_stat(self.pid).is_some_and(|(state, ..)| state != 'Z')
    }
}

/// Every child of this process, with its state.
fn our_children() -> Vec<(i32, char)> {
    let me = our_pid();
    std::fs::read_dir("/proc")
        .expect("/proc")
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter_map(|pid| {
            let (state, ppid, _) = proc_stat(pid)?;
            (ppid == me).then_some((pid, state))
        })
        .collect()
}

/// SIGCHLD's handler and flags.
fn sigchld_disposition() -> (libc::sighandler_t, libc::c_int) {
    // SAFETY: an all-zero sigaction is a valid value to be overwritten.
    let mut old: libc::sigaction = unsafe { std::mem::zeroed() };
    // SAFETY: a null new action only queries; `old` is live for the call.
    let r = unsafe { libc::sigaction(libc::SIGCHLD, std::ptr::null(), &mut old) };
    assert_eq!(r, 0);
    (old.sa_sigaction, old.sa_flags)
}

/// Whether this process can open pidfds (not before Linux 5.3, and not
/// under valgrind 3.19, which does not know the call).
fn kernel_has_pidfd() -> bool {
    // SAFETY: pidfd_open takes a pid and flags; our own pid is valid.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, libc::getpid(), 0) };
    if fd < 0 {
        return false;
    }
    // SAFETY: `fd` was just opened by us and is closed once.
    unsafe { libc::close(fd as i32) };
    true
}

/// Whether this process runs under valgrind (which preloads its own
/// libraries into the program).
fn under_valgrind() -> bool {
    std::env::var("LD_PRELOAD").is_ok_and(|v| v.contains("vgpreload"))
}

/// In the parent: runs the test `name` of `flavor` in a child process and
/// asserts it passed; returns `false`. In the child: returns `true`, and
/// the caller runs the body.
fn in_child(flavor: Flavor, name: &str) -> bool {
    if is_child(name) {
        return true;
    }
    let out = run_child(&format!("{}::{name}", flavor.module()), name);
    assert_child_ok(&out);
    false
}

fn sh(script: &str) -> Command {
    let mut command = Command::new("sh");
    command.args(["-c", script]);
    command
}

fn exit_codes(rt: Runtime) {
    rt.block_on(async {
        let status = Command::new("true").status().await.unwrap();
        assert!(status.success());
        assert_eq!(status.code(), Some(0));
        assert_eq!(sh("exit 3").status().await.unwrap().code(), Some(3));
        let mut child = Command::new("false").spawn().unwrap();
        assert_eq!(child.wait().await.unwrap().code(), Some(1));
        // The status stays, and the pid is gone with the child.
        assert_eq!(child.wait().await.unwrap().code(), Some(1));
        assert_eq!(child.try_wait().unwrap().and_then(|s| s.code()), Some(1));
        assert_eq!(child.id(), None);
    });
}

fn a_signal_killed_child_reports_the_signal(rt: Runtime) {
    rt.block_on(async {
        let status = sh("kill -TERM $$").status().await.unwrap();
        assert_eq!(status.signal(), Some(libc::SIGTERM));
        assert_eq!(status.code(), None);
        assert!(!status.success());
    });
}

fn output_captures_stdout_and_stderr(rt: Runtime) {
    rt.block_on(async {
        let out = sh("echo out; echo err >&2; exit 4").output().await.unwrap();
        assert_eq!(out.status.code(), Some(4));
        assert_eq!(out.stdout, b"out\n");
        assert_eq!(out.stderr, b"err\n");
        // Unpiped streams come back empty from wait_with_output.
        let child = sh("echo hidden >&2")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let out = child.wait_with_output().await.unwrap();
        assert!(out.status.success());
        assert!(out.stdout.is_empty() && out.stderr.is_empty());
    });
}

/// `yes 0123456789 | head -c n`'s bytes.
fn yes_digits(n: usize) -> Vec<u8> {
    b"0123456789\n".iter().copied().cycle().take(n).collect()
}

fn large_output_on_both_streams_does_not_deadlock(rt: Runtime) {
    // Each stream gets far more than a pipe holds (64 KiB), stderr first,
    // then stdout, then stderr again: reading one to its end before the
    // other would leave the child blocked on the other.
    const OUT: usize = 1 << 20;
    rt.block_on(async {
        let script = format!(
            "head -c 300000 /dev/zero >&2; yes 0123456789 | head -c {OUT}; \
             head -c 200000 /dev/zero >&2"
        );
        let out = within("the output", sh(&script).output()).await.unwrap();
        assert!(out.status.success());
        assert_eq!(out.stdout.len(), OUT);
        assert!(out.stdout == yes_digits(OUT), "stdout differs");
        assert_eq!(out.stderr.len(), 500_000);
        assert!(out.stderr.iter().all(|&b| b == 0));
    });
}

fn stdin_is_piped_both_ways(rt: Runtime) {
    // 1 MiB through cat while we read what comes back: writing it all
    // before reading would deadlock on the two full pipes.
    let data = pattern(7, 1 << 20);
    rt.block_on(async move {
        let mut child = Command::new("cat")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let mut stdout = child.stdout.take().unwrap();
        support::assert_cloexec_nonblocking(std::os::fd::AsRawFd::as_raw_fd(&stdin), "stdin");
        support::assert_cloexec_nonblocking(std::os::fd::AsRawFd::as_raw_fd(&stdout), "stdout");
        let to_write = data.clone();
        let writer = guillotine::spawn(async move {
            stdin.write_all(&to_write).await.unwrap();
            // Dropped here: cat reads end-of-file.
        });
        let mut back = Vec::new();
        within("cat's output", stdout.read_to_end(&mut back))
            .await
            .unwrap();
        writer.await.unwrap();
        assert!(back == data, "cat returned other bytes");
        assert!(child.wait().await.unwrap().success());
    });
}

fn kill_kills_and_reaps(rt: Runtime) {
    rt.block_on(async {
        let mut child = Command::new("sleep").arg("1000").spawn().unwrap();
        let pid = Pid::of(&child);
        assert!(pid.running());
        within("kill", child.kill()).await.unwrap();
        assert_eq!(child.id(), None);
        let status = child.try_wait().unwrap().unwrap();
        assert_eq!(status.signal(), Some(libc::SIGKILL));
        assert!(!pid.unreaped(), "killed and reaped");
        // A reaped child cannot be killed again (tokio's error).
        let err = child.start_kill().unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    });
}

fn start_kill_then_wait(rt: Runtime) {
    rt.block_on(async {
        let mut child = Command::new("sleep").arg("1000").spawn().unwrap();
        child.start_kill().unwrap();
        let status = within("the killed child", child.wait()).await.unwrap();
        assert_eq!(status.signal(), Some(libc::SIGKILL));
    });
}

fn kill_on_drop_kills_and_the_runtime_reaps(rt: Runtime) {
    rt.block_on(async {
        let child = Command::new("sleep")
            .arg("1000")
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let pid = Pid::of(&child);
        drop(child);
        // Gone from /proc altogether: killed, and reaped (no zombie).
        eventually("the killed child to be reaped", || !pid.unreaped()).await;
    });
}

fn kill_on_drop_is_reaped_when_the_runtime_shuts_down_first(rt: Runtime) {
    let pid = rt.block_on(async {
        let child = Command::new("sleep")
            .arg("1000")
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        Pid::of(&child)
        // The child drops here, right before the runtime.
    });
    drop(rt);
    assert!(!pid.unreaped(), "the shutdown reaped the killed child");
}

fn a_dropped_running_child_is_reaped_once_it_exits(rt: Runtime) {
    rt.block_on(async {
        let mut child = Command::new("cat")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let pid = Pid::of(&child);
        let stdin = child.stdin.take().unwrap();
        drop(child);
        // Not killed: without kill_on_drop the child keeps running.
        guillotine::task::yield_now().await;
        assert!(pid.running(), "dropping the Child does not stop it");
        // End-of-file: cat exits, and nobody but the runtime can reap it.
        drop(stdin);
        eventually("the dropped child to be reaped", || !pid.unreaped()).await;
    });
}

fn a_dropped_exited_child_is_reaped(rt: Runtime) {
    rt.block_on(async {
        let children: Vec<_> = (0..8)
            .map(|_| Command::new("true").spawn().unwrap())
            .collect();
        let pids: Vec<_> = children.iter().map(Pid::of).collect();
        drop(children);
        eventually("the dropped children to be reaped", || {
            pids.iter().all(|p| !p.unreaped())
        })
        .await;
    });
}

fn try_wait_reports_running_then_exited(rt: Runtime) {
    rt.block_on(async {
        let mut child = Command::new("cat")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let pid = Pid::of(&child);
        assert_eq!(child.try_wait().unwrap(), None);
        assert!(child.id().is_some());
        drop(child.stdin.take());
        let mut status = None;
        eventually("cat to exit", || {
            status = child.try_wait().unwrap();
            status.is_some()
        })
        .await;
        assert!(status.unwrap().success());
        assert_eq!(child.id(), None);
        assert!(!pid.unreaped());
        // wait after try_wait: the same status, at once.
        assert_eq!(
            child.wait().now_or_never().unwrap().unwrap(),
            status.unwrap()
        );
    });
}

fn wait_and_status_close_piped_stdin(rt: Runtime) {
    rt.block_on(async {
        // cat reads until end-of-file: it ends only if wait closes stdin.
        let mut child = Command::new("cat")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        assert!(within("cat", child.wait()).await.unwrap().success());
        assert!(child.stdin.is_none());
        let status = Command::new("cat")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .status();
        assert!(within("cat", status).await.unwrap().success());
    });
}

fn writing_to_an_exited_child_is_broken_pipe(rt: Runtime) {
    rt.block_on(async {
        let mut child = Command::new("true").stdin(Stdio::piped()).spawn().unwrap();
        let mut stdin = child.stdin.take().unwrap();
        child.wait().await.unwrap();
        // The child's end is closed: EPIPE (Rust programs ignore SIGPIPE).
        // A child another test forks in parallel may hold a copy of the
        // read end until its exec closes it (close-on-exec): writes may
        // land in the pipe until then, and the next one fails.
        let err = loop {
            match stdin.write(&[0; 1024]).await {
                Ok(n) => assert!(n > 0),
                Err(err) => break err,
            }
        };
        assert_eq!(err.kind(), io::ErrorKind::BrokenPipe);
    });
}

fn a_dropped_status_future_kills_with_kill_on_drop(rt: Runtime) {
    rt.block_on(async {
        // A duration no other test uses, to find this child among ours.
        let mut command = Command::new("sleep");
        command.arg("4242").kill_on_drop(true);
        let mine = |pid: i32| {
            std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| c == b"sleep\x004242\x00")
        };
        let before: Vec<i32> = our_children().iter().map(|&(pid, _)| pid).collect();
        // The child starts when `status` is called; dropping the future
        // drops the Child.
        let status = command.status();
        let mut started = Vec::new();
        // Its command line shows once its exec has set it up.
        eventually("the child to start", || {
            started = our_children()
                .into_iter()
                .filter(|&(pid, _)| !before.contains(&pid) && mine(pid))
                .filter_map(|(pid, _)| {
                    Some(Pid {
                        pid,
                        start: proc_stat(pid)?.2,
                    })
                })
                .collect();
            !started.is_empty()
        })
        .await;
        drop(status);
        eventually("the killed child to be reaped", || {
            started.iter().all(|p| !p.unreaped())
        })
        .await;
    });
}

fn wait_is_cancel_safe(rt: Runtime) {
    rt.block_on(async {
        let mut child = Command::new("sleep").arg("1000").spawn().unwrap();
        let cut = guillotine::time::timeout(Duration::from_millis(5), child.wait()).await;
        assert!(cut.is_err(), "sleep 1000 is still running");
        child.start_kill().unwrap();
        let status = within("the second wait", child.wait()).await.unwrap();
        assert_eq!(status.signal(), Some(libc::SIGKILL));
    });
}

fn a_missing_program_is_not_found(rt: Runtime) {
    rt.block_on(async {
        for missing in ["guillotine-no-such-program", "/nonexistent/dir/prog"] {
            if under_valgrind() {
                // valgrind runs glibc's posix_spawn as a plain fork, so the
                // exec error never reaches the parent: the child exits with
                // a failure (127 from glibc, or 1 when valgrind's own exec
                // emulation reports it first).
                let status = Command::new(missing).status().await.unwrap();
                assert!(matches!(status.code(), Some(1 | 127)), "{status:?}");
                continue;
            }
            let err = Command::new(missing).spawn().unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::NotFound);
            let err = Command::new(missing).status().await.unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::NotFound);
            let err = Command::new(missing).output().await.unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::NotFound);
        }
    });
}

fn one_childs_stdout_feeds_the_next(rt: Runtime) {
    rt.block_on(async {
        let mut echo = Command::new("echo")
            .arg("piped along")
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let pipe: Stdio = echo.stdout.take().unwrap().try_into().unwrap();
        let tr = Command::new("tr").args(["a-z", "A-Z"]).stdin(pipe).output();
        let (echoed, out) = futures::join!(echo.wait(), tr);
        assert!(echoed.unwrap().success());
        assert_eq!(out.unwrap().stdout, b"PIPED ALONG\n");
    });
}

fn wait_fails_once_the_runtime_is_gone(rt: Runtime) {
    let mut child = rt.block_on(async { Command::new("sleep").arg("1000").spawn().unwrap() });
    let pid = Pid::of(&child);
    drop(rt);
    // Nothing could ever wake this wait: an error, not a hang.
    let err = futures::executor::block_on(child.wait()).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::Other, "{err}");
    // Killing and try_wait need no runtime.
    child.start_kill().unwrap();
    support::wait_until("the child to exit", || child.try_wait().unwrap().is_some());
    assert!(!pid.unreaped());
}

fn exits_are_watched_through_a_pidfd_where_the_kernel_has_them(rt: Runtime) {
    rt.block_on(async {
        let mut child = Command::new("true").spawn().unwrap();
        assert_eq!(
            guillotine::__private::process_watched_by_pidfd(&child),
            kernel_has_pidfd()
        );
        child.wait().await.unwrap();
        let mut polled = Command::new("true");
        guillotine::__private::process_force_polling(&mut polled);
        let mut child = polled.spawn().unwrap();
        assert!(!guillotine::__private::process_watched_by_pidfd(&child));
        child.wait().await.unwrap();
    });
}

fn kill_never_reaches_a_child_reaped_elsewhere(rt: Runtime) {
    if !kernel_has_pidfd() {
        return; // Without pidfd, kill(2) on a pid reaped elsewhere is all there is.
    }
    rt.block_on(async {
        let mut child = Command::new("sleep").arg("1000").spawn().unwrap();
        let pid = child.id().unwrap() as i32;
        // Another part of the program reaps it behind the Child's back.
        // SAFETY: kill and waitpid on our own child; `status` is live.
        unsafe {
            assert_eq!(libc::kill(pid, libc::SIGKILL), 0);
            let mut status = 0;
            assert_eq!(libc::waitpid(pid, &mut status, 0), pid);
        }
        // The pid may belong to anyone now: the pidfd refuses, it does not
        // signal them.
        let err = child.start_kill().unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::ESRCH));
        let err = within("wait", child.wait()).await.unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::ECHILD));
    });
}

/// Every operation on children watched by polling, as without pidfd.
fn polling_fallback_waits_kills_and_reaps(rt: Runtime) {
    fn polled(program: &str) -> Command {
        let mut command = Command::new(program);
        guillotine::__private::process_force_polling(&mut command);
        command
    }
    rt.block_on(async {
        let mut child = polled("sh").args(["-c", "exit 5"]).spawn().unwrap();
        assert!(!guillotine::__private::process_watched_by_pidfd(&child));
        assert_eq!(within("exit", child.wait()).await.unwrap().code(), Some(5));

        let out = within(
            "output",
            polled("sh").args(["-c", "echo out; echo err >&2"]).output(),
        )
        .await
        .unwrap();
        assert_eq!(
            (out.stdout, out.stderr),
            (b"out\n".to_vec(), b"err\n".to_vec())
        );

        let mut child = polled("sleep").arg("1000").spawn().unwrap();
        let pid = Pid::of(&child);
        within("kill", child.kill()).await.unwrap();
        assert_eq!(
            child.try_wait().unwrap().unwrap().signal(),
            Some(libc::SIGKILL)
        );
        assert!(!pid.unreaped());

        let child = polled("sleep")
            .arg("1000")
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let killed = Pid::of(&child);
        drop(child);
        let mut child = polled("cat")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let dropped = Pid::of(&child);
        drop(child.stdin.take());
        drop(child);
        eventually("the dropped children to be reaped", || {
            !killed.unreaped() && !dropped.unreaped()
        })
        .await;
    });
}

/// Spawns `children()` short children from 16 tasks, a quarter each
/// waited, run through `output`, dropped, and dropped with `kill_on_drop`
/// (a `sleep`); then waits until this process has no child left, and
/// checks that no descriptor is left and SIGCHLD's disposition is what it
/// was (no handler ever installed).
fn spawn_many(flavor: Flavor, name: &str, polled: bool) {
    if !in_child(flavor, name) {
        return;
    }
    let n = children();
    let without_runtime = open_fds();
    let rt = flavor.rt();
    wait_for_workers(&rt, flavor);
    let sigchld = sigchld_disposition();
    assert_eq!(sigchld.0, libc::SIG_DFL);
    let fds = open_fds();
    let before = fds.clone();
    rt.block_on(async move {
        let command = move |program: &str| {
            let mut command = Command::new(program);
            if polled {
                guillotine::__private::process_force_polling(&mut command);
            }
            command
        };
        let tasks: Vec<_> = (0..16)
            .map(|t| {
                guillotine::spawn(async move {
                    for i in (t..n).step_by(16) {
                        match i % 4 {
                            0 => assert!(command("true").status().await.unwrap().success()),
                            1 => {
                                let out =
                                    command("echo").arg(i.to_string()).output().await.unwrap();
                                assert_eq!(out.stdout, format!("{i}\n").into_bytes());
                            }
                            2 => drop(command("true").spawn().unwrap()),
                            _ => drop(
                                command("sleep")
                                    .arg("1000")
                                    .kill_on_drop(true)
                                    .spawn()
                                    .unwrap(),
                            ),
                        }
                    }
                })
            })
            .collect();
        for task in tasks {
            within("the spawning tasks", task).await.unwrap();
        }
        eventually("every child to be reaped", || our_children().is_empty()).await;
        // The reaping tasks close their pidfds right after reaping.
        eventually("every descriptor to be closed", || open_fds() == before).await;
    });
    assert!(our_children().is_empty(), "no zombie: {:?}", our_children());
    drop(rt);
    assert_eq!(open_fds(), without_runtime, "descriptors left open");
    assert_eq!(
        sigchld_disposition(),
        sigchld,
        "SIGCHLD's disposition changed"
    );
}

fn many_children_leave_no_zombie_no_descriptor_and_sigchld_alone(flavor: Flavor) {
    spawn_many(
        flavor,
        "many_children_leave_no_zombie_no_descriptor_and_sigchld_alone",
        false,
    );
}

fn many_polled_children_leave_no_zombie_no_descriptor(flavor: Flavor) {
    spawn_many(
        flavor,
        "many_polled_children_leave_no_zombie_no_descriptor",
        true,
    );
}

#[test]
#[should_panic(expected = "there is no reactor running")]
fn spawn_outside_a_runtime_panics() {
    let _ = Command::new("true").spawn();
}

#[test]
fn tokio_io_traits_with_the_feature() {
    #[cfg(feature = "tokio-io")]
    {
        fn tokio_read<T: tokio::io::AsyncRead>() {}
        fn tokio_write<T: tokio::io::AsyncWrite>() {}
        tokio_read::<guillotine::process::ChildStdout>();
        tokio_read::<guillotine::process::ChildStderr>();
        tokio_write::<guillotine::process::ChildStdin>();
        let rt = Runtime::new().unwrap();
        rt.block_on(async {
            let mut child = Command::new("cat")
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
                .unwrap();
            let mut stdin = child.stdin.take().unwrap();
            tokio::io::AsyncWriteExt::write_all(&mut stdin, b"tokio's traits")
                .await
                .unwrap();
            tokio::io::AsyncWriteExt::shutdown(&mut stdin)
                .await
                .unwrap();
            drop(stdin);
            let mut out = String::new();
            let mut stdout = child.stdout.take().unwrap();
            tokio::io::AsyncReadExt::read_to_string(&mut stdout, &mut out)
                .await
                .unwrap();
            assert_eq!(out, "tokio's traits");
            child.wait().await.unwrap();
        });
    }
}
