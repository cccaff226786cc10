//! Descriptors: creating and dropping runtimes leaks none, every descriptor
//! the runtime opens is close-on-exec, and running out of descriptors is an
//! `io::Error`, not a panic. On both runtime flavors, each test in its own
//! process (the checks count this process's descriptors).

mod support;

use support::{
    Flavor, assert_child_ok, both_flavors, fd_flags, is_child, open_fds, run_child, run_ignored,
    wait_for_workers,
};

both_flavors! {
    runtime_descriptors,
    #[ignore = "run by `runtime_descriptors` in a child process"]
    emfile_child,
}

fn runtime_descriptors(flavor: Flavor) {
    // Alone in a child process: the other flavor's test opens descriptors.
    if !is_child("runtime-descriptors") {
        let out = run_child(
            &format!("{}::runtime_descriptors", flavor.module()),
            "runtime-descriptors",
        );
        assert_child_ok(&out);
        assert!(String::from_utf8_lossy(&out.stdout).contains("fds ok"));
        return;
    }
    // Warm up whatever the test harness opens lazily.
    drop(flavor.rt());
    let before = open_fds();

    // 100 create/drop cycles, each running tasks, leave the table as it was.
    for i in 0..100u32 {
        let rt = flavor.rt();
        let h = rt.spawn(async move { i });
        assert_eq!(rt.block_on(h).unwrap(), i);
        // A waker that outlives its runtime must not keep a descriptor.
        let _late = rt.spawn(std::future::pending::<()>());
        drop(rt);
    }
    assert_eq!(open_fds(), before, "descriptors leaked");

    // Every descriptor a runtime opens is close-on-exec.
    let rt = flavor.rt();
    wait_for_workers(&rt, flavor);
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
    let out = run_ignored(&format!("{}::emfile_child", flavor.module()));
    assert_child_ok(&out);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("emfile child ok"), "{stdout}");
    println!("fds ok");
}

fn emfile_child(flavor: Flavor) {
    // Lower the limit to just above what is open, then use up the rest.
    let open = open_fds().len() as u64;
    let lim = libc::rlimit {
        rlim_cur: open + 16,
        rlim_max: open + 16,
    };
    // SAFETY: plain setrlimit on this (child) process.
    assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lim) }, 0);
    let mut hogs = Vec::new();
    while let Ok(f) = std::fs::File::open("/dev/null") {
        hogs.push(f);
    }
    let err = flavor.builder().build().expect_err("no descriptors left");
    assert_eq!(err.raw_os_error(), Some(libc::EMFILE), "{err:?}");
    // Free one descriptor at a time: while there are too few for the
    // runtime's epolls and eventfds, the build fails, and closes again the
    // ones it opened.
    for free in 1.. {
        drop(hogs.pop().expect("a runtime fits in 16 descriptors"));
        match flavor.builder().build() {
            Ok(rt) => {
                assert_eq!(rt.block_on(async { 3 }), 3);
                assert_eq!(rt.block_on(rt.spawn(async { 4 })).unwrap(), 4);
                println!("emfile child ok ({free} descriptors free)");
                return;
            }
            Err(err) => {
                assert_eq!(err.raw_os_error(), Some(libc::EMFILE), "{err:?}");
                // The failed attempt left its descriptors free again
                // (listing /proc/self/fd would itself need one, so probe by
                // opening).
                let probes: Vec<_> = (0..free)
                    .map(|_| {
                        std::fs::File::open("/dev/null")
                            .expect("a failed build leaked a descriptor")
                    })
                    .collect();
                assert!(std::fs::File::open("/dev/null").is_err());
                drop(probes);
            }
        }
    }
}
