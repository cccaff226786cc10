//! Descriptors: creating and dropping runtimes leaks none, every descriptor
//! the runtime opens is close-on-exec, and running out of descriptors is an
//! `io::Error`, not a panic. One test per file section runs in its own
//! process (the checks count this process's descriptors).

use std::path::Path;
use std::process::Command;

use guillotine::runtime::Runtime;

/// The open descriptors, less the one used to list them.
fn open_fds() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    v.retain(|fd| Path::new("/proc/self/fd").join(fd).exists());
    v.sort();
    v
}

/// Whether /proc/self/fdinfo says `fd` has O_CLOEXEC.
fn is_cloexec(fd: &str) -> bool {
    let info = std::fs::read_to_string(Path::new("/proc/self/fdinfo").join(fd)).unwrap();
    let flags = info
        .lines()
        .find_map(|l| l.strip_prefix("flags:"))
        .map(|f| u32::from_str_radix(f.trim(), 8).unwrap())
        .unwrap();
    flags & libc::O_CLOEXEC as u32 != 0
}

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
    let new: Vec<String> = open_fds()
        .into_iter()
        .filter(|fd| !before.contains(fd))
        .collect();
    assert!(new.len() >= 2, "expected epoll and eventfd, got {new:?}");
    for fd in &new {
        let target = std::fs::read_link(Path::new("/proc/self/fd").join(fd)).unwrap_or_default();
        assert!(is_cloexec(fd), "fd {fd} ({target:?}) lacks O_CLOEXEC");
    }
    drop(rt);
    assert_eq!(open_fds(), before);

    // Out of descriptors: checked in a child process, since the limit is
    // process-wide.
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "emfile_child",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "child failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
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
