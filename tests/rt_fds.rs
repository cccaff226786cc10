//! Descriptors: creating and dropping runtimes leaks none, every descriptor
//! the runtime opens is close-on-exec, and running out of descriptors is an
//! `io::Error`, not a panic. One test per file section runs in its own
//! process (the checks count this process's descriptors).

mod support;

use guillotine::runtime::Runtime;
use support::{assert_child_ok, fd_flags, open_fds, run_ignored};

#[test]
fn runtime_descriptors() {
    // Warm up whatever the test harness opens lazily.
    drop(Runtime::new().unwrap());
    let before = open_fds();

    // 100 create/drop cycles, each running tasks, leave the table as it was.
    for i in 0..100u32 {
        let rt = Runtime::new().unwrap();
        let h = rt.spawn(async move { i });
        assert_eq!(rt.block_on(h).unwrap(), i);
        // A waker that outlives its runtime must not keep a descriptor.
        let _late = rt.spawn(std::future::pending::<()>());
        drop(rt);
    }
    assert_eq!(open_fds(), before, "descriptors leaked");

    // Every descriptor a runtime opens is close-on-exec.
    let rt = Runtime::new().unwrap();
    let new: Vec<i32> = open_fds().difference(&before).copied().collect();
    assert!(new.len() >= 2, "expected epoll and eventfd, got {new:?}");
    for fd in new {
        let target = std::fs::read_link(format!("/proc/self/fd/{fd}")).unwrap_or_default();
        assert_ne!(
            fd_flags(fd) & libc::O_CLOEXEC as u32,
            0,
            "fd {fd} ({target:?}) lacks O_CLOEXEC"
        );
    }
    drop(rt);
    assert_eq!(open_fds(), before);

    // Out of descriptors: checked in a child process, since the limit is
    // process-wide.
    let out = run_ignored("emfile_child");
    assert_child_ok(&out);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("emfile child ok"), "{stdout}");
}

#[test]
#[ignore = "run by `runtime_descriptors` in a child process"]
fn emfile_child() {
    // Lower the limit to just above what is open, then use up the rest.
    let open = open_fds().len() as u64;
    let lim = libc::rlimit {
        rlim_cur: open + 8,
        rlim_max: open + 8,
    };
    // SAFETY: plain setrlimit on this (child) process.
    assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lim) }, 0);
    let mut hogs = Vec::new();
    while let Ok(f) = std::fs::File::open("/dev/null") {
        hogs.push(f);
    }
    let err = Runtime::new().expect_err("no descriptors left");
    assert_eq!(err.raw_os_error(), Some(libc::EMFILE), "{err:?}");
    // One free descriptor is not enough for epoll + eventfd: the first one
    // opened must be closed again on the failure path.
    drop(hogs.pop());
    let err = Runtime::new().expect_err("one descriptor is not enough");
    assert_eq!(err.raw_os_error(), Some(libc::EMFILE));
    // The failed attempt left its one descriptor free again (listing
    // /proc/self/fd would itself need one, so probe by opening).
    let probe = std::fs::File::open("/dev/null").expect("failed Runtime::new leaked a descriptor");
    assert!(std::fs::File::open("/dev/null").is_err());
    drop(probe);
    // With room, it works.
    drop(hogs.pop());
    let rt = Runtime::new().unwrap();
    assert_eq!(rt.block_on(async { 3 }), 3);
    println!("emfile child ok");
}
