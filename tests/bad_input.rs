//! Bad input across the public API: zero and maximum durations, instants in
//! the past and the far future, addresses that do not parse or resolve,
//! descriptors that are closed, not sockets or already registered, empty
//! and huge buffers, commands that do not exist, paths that are not UTF-8
//! or hold a NUL. Each gives a clear `io::Error` (the OS error kept where
//! there is one) or a documented panic; none hangs, and none leaks a
//! descriptor (counted in a child process, where no other test opens any).
//! On both runtime flavors.

mod support;

use std::ffi::OsStr;
use std::future::Future;
use std::io::{ErrorKind, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use guillotine::fs;
use guillotine::io::{AsyncFd, AsyncReadExt, AsyncWriteExt};
use guillotine::net::{TcpListener, TcpStream, UdpSocket, UnixDatagram, UnixListener, UnixStream};
use guillotine::process::Command;
use guillotine::runtime::Runtime;
use guillotine::time::{self, MissedTickBehavior};
use support::{
    Flavor, PATIENCE, assert_child_ok, both_flavors, is_child, open_fds, pattern, run_child,
    wait_for_workers,
};

both_flavors! {
    zero_durations_complete_at_once,
    maximum_durations_never_fire,
    #[should_panic(expected = "`guillotine::time::interval`: the period must be non-zero")]
    interval_of_zero_panics,
    #[should_panic(expected = "`guillotine::time::interval_at`: the period must be non-zero")]
    interval_at_of_zero_panics,
    instants_in_the_past_are_due_at_once,
    instants_in_the_far_future_never_fire,
    addresses_that_do_not_parse_are_invalid_input,
    names_that_do_not_resolve_fail_with_the_name,
    unix_paths_missing_too_long_or_with_a_nul,
    closed_descriptors_are_ebadf,
    regular_files_are_eperm_and_handed_back,
    a_pipe_is_not_a_tcp_stream,
    a_descriptor_registered_twice_is_eexist,
    empty_buffers_move_nothing,
    sixty_four_mebibytes_through_a_socket_pair,
    oversized_datagrams_are_emsgsize,
    commands_that_cannot_run,
    non_utf8_paths_work_and_nul_is_invalid_input,
    non_utf8_program_and_args_pass_through,
    nothing_leaks_a_descriptor,
    #[cfg(feature = "test-util")]
    advancing_paused_time_by_huge_amounts,
    #[cfg(feature = "test-util")]
    #[should_panic(expected = "`time::advance` overflows the clock")]
    advancing_paused_time_past_the_end_of_instant_panics,
    #[cfg(feature = "test-util")]
    #[should_panic(expected = "paused time may move at most 500 years past the runtime's start")]
    advancing_paused_time_past_500_years_panics,
}

/// Fails the test instead of hanging when `fut` does not finish.
async fn within<F: Future>(what: &str, fut: F) -> F::Output {
    match time::timeout(PATIENCE, fut).await {
        Ok(out) => out,
        Err(_) => panic!("{what}: hung for {PATIENCE:?}"),
    }
}

/// Whether `fut` is still pending after a few milliseconds.
async fn stays_pending<F: Future>(fut: F) -> bool {
    time::timeout(Duration::from_millis(5), fut).await.is_err()
}

/// The latest `Instant` the platform can represent, give or take a second.
fn latest_instant() -> Instant {
    let now = Instant::now();
    let (mut lo, mut hi) = (0u64, u64::MAX);
    while lo < hi {
        let mid = lo + (hi - lo).div_ceil(2);
        if now.checked_add(Duration::from_secs(mid)).is_some() {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    now + Duration::from_secs(lo)
}

/// About a century from now.
fn far_future() -> Instant {
    Instant::now() + Duration::from_secs(100 * 365 * 86_400)
}

/// A directory of its own for one test (removed by the caller).
fn scratch_dir(what: &str) -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "guillotine-bad-{what}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn raw(err: &std::io::Error) -> Option<i32> {
    err.raw_os_error()
}

// ---------------------------------------------------------------- time

fn zero_durations_complete_at_once(rt: Runtime) {
    rt.block_on(within("zero durations", async {
        time::sleep(Duration::ZERO).await;
        assert!(time::sleep(Duration::ZERO).is_elapsed());
        // A ready future wins against a zero timeout; a pending one loses.
        assert_eq!(time::timeout(Duration::ZERO, async { 7 }).await, Ok(7));
        assert!(
            time::timeout(Duration::ZERO, std::future::pending::<()>())
                .await
                .is_err()
        );
        // The smallest non-zero period works.
        let mut every = time::interval(Duration::from_nanos(1));
        let a = every.tick().await;
        let b = every.tick().await;
        assert!(b > a);
    }));
}

fn maximum_durations_never_fire(rt: Runtime) {
    rt.block_on(within("maximum durations", async {
        let s = time::sleep(Duration::MAX);
        assert!(s.deadline() > Instant::now() + Duration::from_secs(20 * 365 * 86_400));
        assert!(!s.is_elapsed());
        assert!(stays_pending(s).await);
        assert_eq!(time::timeout(Duration::MAX, async { 1 }).await, Ok(1));
        assert!(stays_pending(time::timeout(Duration::MAX, std::future::pending::<()>())).await);
        let mut every = time::interval(Duration::MAX);
        assert_eq!(every.period(), Duration::MAX);
        every.tick().await;
        assert!(stays_pending(every.tick()).await);
        every.reset();
        assert!(stays_pending(every.tick()).await);
        for behavior in [
            MissedTickBehavior::Burst,
            MissedTickBehavior::Delay,
            MissedTickBehavior::Skip,
        ] {
            let mut every = time::interval(Duration::MAX);
            every.set_missed_tick_behavior(behavior);
            every.tick().await;
            assert!(stays_pending(every.tick()).await, "{behavior:?}");
        }
    }));
}

fn interval_of_zero_panics(rt: Runtime) {
    rt.block_on(async {
        let _ = time::interval(Duration::ZERO);
    });
}

fn interval_at_of_zero_panics(rt: Runtime) {
    rt.block_on(async {
        let _ = time::interval_at(Instant::now(), Duration::ZERO);
    });
}

fn instants_in_the_past_are_due_at_once(rt: Runtime) {
    rt.block_on(within("past instants", async {
        // As far back as this machine's monotonic clock goes (its boot).
        let now = Instant::now();
        let past = [
            now,
            now.checked_sub(Duration::from_millis(1)).unwrap_or(now),
            (1..=40)
                .rev()
                .find_map(|s| now.checked_sub(Duration::from_secs(1 << s)))
                .unwrap_or(now),
        ];
        for at in past {
            time::sleep_until(at).await;
            assert_eq!(time::timeout_at(at, async { 3 }).await, Ok(3));
            assert!(
                time::timeout_at(at, std::future::pending::<()>())
                    .await
                    .is_err()
            );
            // A tick in the past completes at once, with its own instant;
            // Skip and Delay then get back onto a future schedule.
            for behavior in [MissedTickBehavior::Skip, MissedTickBehavior::Delay] {
                let mut every = time::interval_at(at, Duration::from_millis(1));
                every.set_missed_tick_behavior(behavior);
                assert_eq!(every.tick().await, at);
                let next = every.tick().await;
                assert!(next >= now, "{behavior:?}: {next:?} before {now:?}");
            }
            // Burst catches up one tick per call, never all at once.
            let mut every = time::interval_at(at, Duration::from_secs(3600));
            assert_eq!(every.tick().await, at);
            // Resetting a pending sleep to the past wakes it.
            let mut s = pin!(time::sleep(Duration::from_secs(3600)));
            assert!(stays_pending(s.as_mut()).await);
            s.as_mut().reset(at);
            s.as_mut().await;
            assert!(s.is_elapsed());
        }
    }));
}

fn instants_in_the_far_future_never_fire(rt: Runtime) {
    rt.block_on(within("far-future instants", async {
        for at in [far_future(), latest_instant()] {
            let s = time::sleep_until(at);
            assert_eq!(s.deadline(), at);
            assert!(stays_pending(s).await);
            assert_eq!(time::timeout_at(at, async { 4 }).await, Ok(4));
            assert!(stays_pending(time::timeout_at(at, std::future::pending::<()>())).await);
            let mut every = time::interval_at(at, Duration::from_secs(1));
            assert!(stays_pending(every.tick()).await);
            let mut every = time::interval_at(at, Duration::MAX);
            assert!(stays_pending(every.tick()).await);
            // Reset out to it and back: it fires once back.
            let mut s = pin!(time::sleep(Duration::from_millis(1)));
            s.as_mut().reset(at);
            assert!(stays_pending(s.as_mut()).await);
            s.as_mut().reset(Instant::now());
            s.as_mut().await;
        }
    }));
}

// ------------------------------------------------------------ addresses

fn addresses_that_do_not_parse_are_invalid_input(rt: Runtime) {
    rt.block_on(within("unparsable addresses", async {
        for bad in ["not an address", "1.2.3.4:99999", "1.2.3.4", "[::1]:-1"] {
            let err = TcpStream::connect(bad).await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidInput, "connect({bad:?})");
            let err = TcpListener::bind(bad).await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidInput, "bind({bad:?})");
            let err = UdpSocket::bind(bad).await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidInput, "udp bind({bad:?})");
            let u = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            let err = u.send_to(b"x", bad).await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidInput, "send_to({bad:?})");
            let err = u.connect(bad).await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidInput, "udp connect({bad:?})");
            // The failed connect left the socket unconnected.
            assert_eq!(
                u.send(b"x").await.unwrap_err().raw_os_error(),
                Some(libc::EDESTADDRREQ)
            );
        }
    }));
}

fn names_that_do_not_resolve_fail_with_the_name(rt: Runtime) {
    rt.block_on(within("unresolvable names", async {
        let bad = "no-such-host.invalid:80";
        let check = |what: &str, err: std::io::Error| {
            let msg = err.to_string();
            assert!(msg.contains("lookup"), "{what}: unclear error {msg:?}");
        };
        check("connect", TcpStream::connect(bad).await.unwrap_err());
        check("bind", TcpListener::bind(bad).await.unwrap_err());
        check("udp bind", UdpSocket::bind(bad).await.unwrap_err());
        let u = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        check("send_to", u.send_to(b"x", bad).await.unwrap_err());
        check("udp connect", u.connect(bad).await.unwrap_err());
        check(
            "connect (host, port)",
            TcpStream::connect(("no-such-host.invalid", 80))
                .await
                .unwrap_err(),
        );
    }));
}

fn unix_paths_missing_too_long_or_with_a_nul(rt: Runtime) {
    rt.block_on(within("unix paths", async {
        let dir = scratch_dir("unix");
        let missing = dir.join("missing.sock");
        let err = UnixStream::connect(&missing).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
        assert_eq!(raw(&err), Some(libc::ENOENT));
        let u = UnixDatagram::unbound().unwrap();
        assert_eq!(
            raw(&u.send_to(b"x", &missing).await.unwrap_err()),
            Some(libc::ENOENT)
        );
        assert_eq!(raw(&u.connect(&missing).unwrap_err()), Some(libc::ENOENT));
        // A directory that does not exist for bind.
        let err = UnixListener::bind(dir.join("no/such/dir.sock")).unwrap_err();
        assert_eq!(raw(&err), Some(libc::ENOENT));

        // sun_path holds 108 bytes, the NUL included.
        let long = dir.join("x".repeat(200));
        let err = UnixStream::connect(&long).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
        assert_eq!(
            UnixListener::bind(&long).unwrap_err().kind(),
            ErrorKind::InvalidInput
        );
        assert_eq!(
            UnixDatagram::bind(&long).unwrap_err().kind(),
            ErrorKind::InvalidInput
        );
        let err = u.send_to(b"x", &long).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        assert!(!long.exists());

        // An interior NUL would silently bind the prefix: refused instead.
        let nul = dir.join("a\0b.sock");
        let err = UnixListener::bind(&nul).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
        let err = UnixDatagram::bind(&nul).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
        let err = UnixStream::connect(&nul).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
        let err = u.send_to(b"x", &nul).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
        assert!(!dir.join("a").exists(), "the prefix was bound");

        // A path that is not UTF-8 binds and is reported as it is.
        let odd = dir.join(OsStr::from_bytes(b"s\xff.sock"));
        let listener = UnixListener::bind(&odd).unwrap();
        assert_eq!(
            listener.local_addr().unwrap().as_pathname(),
            Some(odd.as_path())
        );
        let client = UnixStream::connect(&odd).await.unwrap();
        let (_server, _) = listener.accept().await.unwrap();
        assert_eq!(
            client.peer_addr().unwrap().as_pathname(),
            Some(odd.as_path())
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }));
}

// ---------------------------------------------------------- descriptors

/// A descriptor number that is surely not open: above the soft limit.
fn closed_fd() -> i32 {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes one rlimit into a live struct.
    assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) }, 0);
    i32::try_from(lim.rlim_cur).unwrap_or(i32::MAX - 1)
}

fn closed_descriptors_are_ebadf(rt: Runtime) {
    rt.block_on(within("closed descriptors", async {
        let fd = closed_fd();
        // SAFETY: `fd` is not open; the borrow never closes it, and every
        // system call on it fails with EBADF.
        let closed = unsafe { BorrowedFd::borrow_raw(fd) };
        let err = AsyncFd::new(closed).unwrap_err();
        assert_eq!(raw(&err), Some(libc::EBADF));
        let (back, err) = AsyncFd::try_new(closed).unwrap_err().into_parts();
        assert_eq!(back.as_raw_fd(), fd);
        assert_eq!(raw(&err), Some(libc::EBADF));
        // The failed registration left nothing behind: a live descriptor
        // with the same number later registers (here: one far away works).
        let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
        a.set_nonblocking(true).unwrap();
        let _fd = AsyncFd::new(a).unwrap();
    }));
}

fn regular_files_are_eperm_and_handed_back(rt: Runtime) {
    rt.block_on(within("regular files", async {
        let file = std::fs::File::open(std::env::current_exe().unwrap()).unwrap();
        let fd = file.as_raw_fd();
        let err = AsyncFd::new(file.as_fd()).unwrap_err();
        assert_eq!(raw(&err), Some(libc::EPERM));
        assert_eq!(err.kind(), ErrorKind::PermissionDenied);
        let (file, err) = AsyncFd::try_new(file).unwrap_err().into_parts();
        assert_eq!(raw(&err), Some(libc::EPERM));
        assert_eq!(file.as_raw_fd(), fd, "handed back, still open");
        assert!(file.metadata().unwrap().is_file());
        // /dev/null cannot be watched either.
        let null = std::fs::File::open("/dev/null").unwrap();
        assert_eq!(raw(&AsyncFd::new(null).unwrap_err()), Some(libc::EPERM));
    }));
}

/// A non-blocking pipe: (read end, write end).
fn pipe() -> (OwnedFd, OwnedFd) {
    let mut fds = [0; 2];
    // SAFETY: pipe2 writes two descriptors into the live array.
    let r = unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_NONBLOCK | libc::O_CLOEXEC) };
    assert_eq!(r, 0, "pipe2: {}", std::io::Error::last_os_error());
    // SAFETY: both descriptors were just created and are owned by no one else.
    unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) }
}

fn a_pipe_is_not_a_tcp_stream(rt: Runtime) {
    rt.block_on(within("a pipe as a TcpStream", async {
        let (r, w) = pipe();
        let mut stream = TcpStream::from_std(std::net::TcpStream::from(r)).unwrap();
        assert_eq!(raw(&stream.peer_addr().unwrap_err()), Some(libc::ENOTSOCK));
        assert_eq!(raw(&stream.local_addr().unwrap_err()), Some(libc::ENOTSOCK));
        assert_eq!(
            raw(&stream.set_nodelay(true).unwrap_err()),
            Some(libc::ENOTSOCK)
        );
        // Reading waits for data, as on any stream; then recv(2) refuses.
        std::fs::File::from(w).write_all(b"data").unwrap();
        let err = stream.read(&mut [0; 8]).await.unwrap_err();
        assert_eq!(raw(&err), Some(libc::ENOTSOCK), "{err}");
        let (_r, w) = pipe();
        let mut stream = TcpStream::from_std(std::net::TcpStream::from(w)).unwrap();
        let err = stream.write(b"x").await.unwrap_err();
        assert_eq!(raw(&err), Some(libc::ENOTSOCK), "{err}");
        // And a listener over a stream socket that is not listening.
        let (a, mut b) = std::os::unix::net::UnixStream::pair().unwrap();
        b.write_all(b"readable").unwrap();
        let listener =
            TcpListener::from_std(std::net::TcpListener::from(OwnedFd::from(a))).unwrap();
        let err = listener.accept().await.unwrap_err();
        assert_eq!(raw(&err), Some(libc::EINVAL), "{err}");
    }));
}

fn a_descriptor_registered_twice_is_eexist(flavor: Flavor) {
    let rt = flavor.rt();
    rt.block_on(within("registered twice", async {
        let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
        a.set_nonblocking(true).unwrap();
        let first = std::sync::Arc::new(AsyncFd::new(a).unwrap());
        let err = AsyncFd::new(first.get_ref().as_fd()).unwrap_err();
        assert_eq!(raw(&err), Some(libc::EEXIST));
        // From every thread that runs tasks: on the multi-thread flavor,
        // each worker's own epoll; all of them refuse it.
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let first = first.clone();
            tasks.push(guillotine::spawn(async move {
                let err = AsyncFd::new(first.get_ref().as_fd()).unwrap_err();
                raw(&err)
            }));
        }
        for task in tasks {
            assert_eq!(task.await.unwrap(), Some(libc::EEXIST));
        }
        // The first registration still works.
        let _ready = first.writable().await.unwrap();
        // Once dropped, the descriptor registers again, on any thread.
        let fd = std::sync::Arc::try_unwrap(first).unwrap().into_inner();
        let again = guillotine::spawn(async move { AsyncFd::new(fd).map(|_| ()) });
        again.await.unwrap().unwrap();
    }));
    if flavor.is_multi_thread() {
        // Two workers registering the same descriptor at once: one wins.
        let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
        a.set_nonblocking(true).unwrap();
        let a = std::sync::Arc::new(a);
        for _ in 0..50 {
            let barrier = std::sync::Arc::new(std::sync::Barrier::new(2));
            let tasks: Vec<_> = (0..2)
                .map(|_| {
                    let (a, barrier) = (a.clone(), barrier.clone());
                    rt.spawn(async move {
                        barrier.wait();
                        let fd = AsyncFd::new(a.as_fd());
                        let won = fd.is_ok();
                        let err = fd.err().and_then(|e| e.raw_os_error());
                        (won, err)
                    })
                })
                .collect();
            let results: Vec<_> = tasks.into_iter().map(|t| rt.block_on(t).unwrap()).collect();
            let winners = results.iter().filter(|r| r.0).count();
            assert!(winners >= 1, "{results:?}");
            for r in &results {
                assert!(r.0 || r.1 == Some(libc::EEXIST), "{results:?}");
            }
        }
    }
}

// -------------------------------------------------------------- buffers

fn empty_buffers_move_nothing(rt: Runtime) {
    rt.block_on(within("empty buffers", async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut client = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (mut server, _) = listener.accept().await.unwrap();
        // Nothing to read, yet an empty read returns at once.
        assert_eq!(client.read(&mut []).await.unwrap(), 0);
        assert_eq!(client.write(&[]).await.unwrap(), 0);
        client.write_all(&[]).await.unwrap();
        client.write_all(b"ab").await.unwrap();
        assert_eq!(server.read(&mut []).await.unwrap(), 0);
        let mut buf = [0; 2];
        server.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"ab", "the empty calls moved nothing");

        let (mut a, mut b) = UnixStream::pair().unwrap();
        assert_eq!(a.read(&mut []).await.unwrap(), 0);
        assert_eq!(a.write(&[]).await.unwrap(), 0);
        a.write_all(b"c").await.unwrap();
        let mut one = [0; 1];
        b.read_exact(&mut one).await.unwrap();
        assert_eq!(&one, b"c");

        // An empty datagram is a datagram.
        let u = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let addr = u.local_addr().unwrap();
        assert_eq!(u.send_to(&[], addr).await.unwrap(), 0);
        let (n, from) = u.recv_from(&mut [0; 8]).await.unwrap();
        assert_eq!((n, from), (0, addr));
        // Receiving into nothing takes (and truncates) a waiting datagram.
        u.send_to(b"lost", addr).await.unwrap();
        assert_eq!(u.recv_from(&mut []).await.unwrap(), (0, addr));
        u.send_to(b"kept", addr).await.unwrap();
        let mut buf = [0; 8];
        let (n, _) = u.recv_from(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"kept");

        let (c, d) = UnixDatagram::pair().unwrap();
        assert_eq!(c.send(&[]).await.unwrap(), 0);
        assert_eq!(d.recv(&mut [0; 4]).await.unwrap(), 0);
    }));
}

/// Reads to EOF in 256 KiB chunks. (futures-lite's `read_to_end` zeroes
/// the vector's spare capacity again at every `Pending`: quadratic here.)
async fn drain(r: &mut (impl AsyncReadExt + Unpin)) -> Vec<u8> {
    let mut got = Vec::new();
    let mut chunk = vec![0; 256 << 10];
    loop {
        match r.read(&mut chunk).await.unwrap() {
            0 => return got,
            n => got.extend_from_slice(&chunk[..n]),
        }
    }
}

fn sixty_four_mebibytes_through_a_socket_pair(rt: Runtime) {
    rt.block_on(within("64 MiB", async {
        const LEN: usize = 64 << 20;
        // One MiB pattern, each copy stamped with its index (cheap in debug).
        let mut data = pattern(64, 1 << 20).repeat(LEN >> 20);
        for (i, mib) in data.chunks_mut(1 << 20).enumerate() {
            mib[..8].copy_from_slice(&(i as u64).to_le_bytes());
        }
        let (mut a, mut b) = UnixStream::pair().unwrap();
        let expected = data.clone();
        let reader = guillotine::spawn(async move { drain(&mut b).await });
        // One call with the whole buffer: a short write, never an error.
        let n = a.write(&data).await.unwrap();
        assert!(n > 0 && n <= LEN);
        a.write_all(&data[n..]).await.unwrap();
        a.close().await.unwrap();
        let got = reader.await.unwrap();
        assert_eq!(got.len(), LEN);
        assert!(got == expected, "bytes differ");

        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut client = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (mut server, _) = listener.accept().await.unwrap();
        let reader = guillotine::spawn(async move { drain(&mut server).await });
        client.write_all(&data).await.unwrap();
        client.close().await.unwrap();
        let got = reader.await.unwrap();
        assert!(got == data, "bytes differ over TCP");
    }));
}

fn oversized_datagrams_are_emsgsize(rt: Runtime) {
    rt.block_on(within("oversized datagrams", async {
        let big = vec![7u8; 70_000];
        let u = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let addr = u.local_addr().unwrap();
        let err = u.send_to(&big, addr).await.unwrap_err();
        assert_eq!(raw(&err), Some(libc::EMSGSIZE), "{err}");
        u.connect(addr).await.unwrap();
        assert_eq!(raw(&u.send(&big).await.unwrap_err()), Some(libc::EMSGSIZE));
        // The largest UDP datagram over IPv4 still goes.
        let max = 65_507;
        assert_eq!(u.send(&big[..max]).await.unwrap(), max);
        let mut buf = vec![0; 70_000];
        assert_eq!(u.recv(&mut buf).await.unwrap(), max);
        // Unix datagrams: larger than the send buffer.
        let (c, _d) = UnixDatagram::pair().unwrap();
        let huge = vec![0u8; 16 << 20];
        let err = c.send(&huge).await.unwrap_err();
        assert_eq!(raw(&err), Some(libc::EMSGSIZE), "{err}");
    }));
}

// ------------------------------------------------------------- commands

fn commands_that_cannot_run(rt: Runtime) {
    rt.block_on(within("commands", async {
        let missing = "guillotine-no-such-program-4b1d";
        let err = Command::new(missing).spawn().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
        assert_eq!(raw(&err), Some(libc::ENOENT));
        let err = Command::new(missing).status().await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
        let err = Command::new(missing).output().await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
        let err = Command::new("/no/such/dir/prog")
            .status()
            .await
            .unwrap_err();
        assert_eq!(raw(&err), Some(libc::ENOENT));

        let dir = scratch_dir("cmd");
        let script = dir.join("not-executable");
        std::fs::write(&script, "#!/bin/sh\nexit 0\n").unwrap();
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = Command::new(&script).spawn().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::PermissionDenied);
        assert_eq!(raw(&err), Some(libc::EACCES));
        let err = Command::new(&script).output().await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::PermissionDenied);
        // A directory is no program either.
        let err = Command::new(&dir).status().await.unwrap_err();
        assert_eq!(raw(&err), Some(libc::EACCES));

        let err = Command::new("true")
            .current_dir(dir.join("gone"))
            .status()
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
        assert_eq!(raw(&err), Some(libc::ENOENT));

        // A NUL in the program, an argument or an environment variable.
        let err = Command::new("tr\0ue").status().await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
        let err = Command::new("true").arg("a\0b").output().await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
        let err = Command::new("true").env("K", "v\0").spawn().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }));
}

fn non_utf8_program_and_args_pass_through(rt: Runtime) {
    rt.block_on(within("non-UTF-8 commands", async {
        let arg = OsStr::from_bytes(b"a\xffb\xfe");
        let out = Command::new("printf")
            .arg("%s")
            .arg(arg)
            .output()
            .await
            .unwrap();
        assert!(out.status.success());
        assert_eq!(out.stdout, arg.as_bytes());

        let dir = scratch_dir("prog");
        let program = dir.join(OsStr::from_bytes(b"echo\xff"));
        std::os::unix::fs::symlink("/bin/echo", &program).unwrap();
        let out = Command::new(&program).arg("hi").output().await.unwrap();
        assert_eq!(out.stdout, b"hi\n");
        let err = Command::new(OsStr::from_bytes(b"no-such-\xff"))
            .status()
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
        // A current_dir that is not UTF-8.
        let cwd = dir.join(OsStr::from_bytes(b"d\xff"));
        std::fs::create_dir(&cwd).unwrap();
        let out = Command::new("pwd")
            .current_dir(&cwd)
            .output()
            .await
            .unwrap();
        assert_eq!(
            out.stdout.strip_suffix(b"\n").unwrap(),
            cwd.as_os_str().as_bytes()
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }));
}

// ----------------------------------------------------------- paused time

#[cfg(feature = "test-util")]
fn paused(flavor: Flavor) -> Runtime {
    flavor
        .builder()
        .start_paused(true)
        .auto_advance(false)
        .build()
        .unwrap()
}

#[cfg(feature = "test-util")]
fn advancing_paused_time_by_huge_amounts(flavor: Flavor) {
    use futures::FutureExt;
    // No `within`: its timeout would fire on the first jump.
    let rt = paused(flavor);
    rt.block_on(async {
        let start = time::now();
        let century = Duration::from_secs(100 * 365 * 86_400);
        let soon = guillotine::spawn(time::sleep(Duration::from_secs(1)));
        let mut never = pin!(time::sleep(Duration::MAX));
        let mut later = pin!(time::sleep(2 * century));
        assert!(never.as_mut().now_or_never().is_none());
        assert!(later.as_mut().now_or_never().is_none());
        guillotine::task::yield_now().await;
        time::advance(century).await;
        soon.await.unwrap();
        assert_eq!(time::now() - start, century);
        assert!(later.as_mut().now_or_never().is_none());
        // `Duration::MAX` is about 30 years, as in tokio: a century fires it.
        assert!(never.as_mut().now_or_never().is_some());
        // Timers made after the jump count from the new now.
        let mut s = pin!(time::sleep(Duration::from_secs(1)));
        assert_eq!(s.deadline(), time::now() + Duration::from_secs(1));
        assert!(s.as_mut().now_or_never().is_none());
        time::advance(century).await;
        assert!(s.is_elapsed());
        assert!(s.as_mut().now_or_never().is_some());
        assert!(later.as_mut().now_or_never().is_some());
        // Much further: new timers still wait for their own deadlines.
        for step in 0..2 {
            let mut never = pin!(time::sleep(Duration::MAX));
            let mut hour = pin!(time::sleep(Duration::from_secs(3600)));
            assert!(
                never.as_mut().now_or_never().is_none(),
                "MAX fired at once, step {step}"
            );
            assert!(
                hour.as_mut().now_or_never().is_none(),
                "fired early, step {step}"
            );
            time::advance(Duration::from_secs(3599)).await;
            assert!(
                hour.as_mut().now_or_never().is_none(),
                "fired early, step {step}"
            );
            time::advance(Duration::from_secs(1)).await;
            assert!(
                hour.as_mut().now_or_never().is_some(),
                "not fired, step {step}"
            );
            assert!(
                never.as_mut().now_or_never().is_none(),
                "MAX fired, step {step}"
            );
            time::advance(century).await;
        }
    });
}

#[cfg(feature = "test-util")]
fn advancing_paused_time_past_the_end_of_instant_panics(flavor: Flavor) {
    let rt = paused(flavor);
    rt.block_on(async {
        time::advance(Duration::MAX).await;
    });
}

/// The timer queue counts `u64` nanoseconds (584 years) from the runtime's
/// start; past that every deadline would fire at once, so the clock stops
/// at 500 years.
#[cfg(feature = "test-util")]
fn advancing_paused_time_past_500_years_panics(flavor: Flavor) {
    let rt = paused(flavor);
    rt.block_on(async {
        time::advance(Duration::from_secs(499 * 365 * 86_400)).await;
        let mut hour = pin!(time::sleep(Duration::from_secs(3600)));
        assert!(futures::FutureExt::now_or_never(hour.as_mut()).is_none());
        time::advance(Duration::from_secs(3600)).await;
        assert!(futures::FutureExt::now_or_never(hour.as_mut()).is_some());
        time::advance(Duration::from_secs(2 * 365 * 86_400)).await;
    });
}

// ---------------------------------------------------------------- paths

fn non_utf8_paths_work_and_nul_is_invalid_input(rt: Runtime) {
    rt.block_on(within("fs paths", async {
        let dir = scratch_dir("fs");
        let odd = dir.join(OsStr::from_bytes(b"f\xff\xfe"));
        fs::write(&odd, b"bytes").await.unwrap();
        assert_eq!(fs::read(&odd).await.unwrap(), b"bytes");
        assert_eq!(fs::metadata(&odd).await.unwrap().len(), 5);
        let err = fs::read_to_string(&odd).await;
        assert_eq!(err.unwrap(), "bytes", "the content is UTF-8, the name not");
        let mut file = fs::File::open(&odd).await.unwrap();
        let mut s = String::new();
        file.read_to_string(&mut s).await.unwrap();
        assert_eq!(s, "bytes");
        let sub = dir.join(OsStr::from_bytes(b"d\xff/e\xfe"));
        fs::create_dir_all(&sub).await.unwrap();
        let renamed = sub.join(OsStr::from_bytes(b"g\x80"));
        fs::rename(&odd, &renamed).await.unwrap();
        fs::copy(&renamed, &odd).await.unwrap();
        let mut names = Vec::new();
        let mut entries = fs::read_dir(&dir).await.unwrap();
        while let Some(entry) = entries.next_entry().await.unwrap() {
            names.push(entry.file_name().into_vec());
        }
        names.sort();
        assert_eq!(names, [b"d\xff".to_vec(), b"f\xff\xfe".to_vec()]);
        fs::remove_file(&odd).await.unwrap();
        assert_eq!(
            fs::metadata(&odd).await.unwrap_err().kind(),
            ErrorKind::NotFound
        );

        // An interior NUL: InvalidInput, and nothing is created.
        let nul = dir.join("a\0b");
        let kind = |r: std::io::Result<()>| r.unwrap_err().kind();
        assert_eq!(kind(fs::write(&nul, b"x").await), ErrorKind::InvalidInput);
        assert_eq!(
            kind(fs::read(&nul).await.map(drop)),
            ErrorKind::InvalidInput
        );
        assert_eq!(
            kind(fs::metadata(&nul).await.map(drop)),
            ErrorKind::InvalidInput
        );
        assert_eq!(
            kind(fs::create_dir_all(&nul).await),
            ErrorKind::InvalidInput
        );
        assert_eq!(kind(fs::remove_file(&nul).await), ErrorKind::InvalidInput);
        assert_eq!(
            kind(fs::File::open(&nul).await.map(drop)),
            ErrorKind::InvalidInput
        );
        assert_eq!(
            kind(fs::File::create(&nul).await.map(drop)),
            ErrorKind::InvalidInput
        );
        assert_eq!(
            kind(fs::read_dir(&nul).await.map(drop)),
            ErrorKind::InvalidInput
        );
        assert_eq!(
            kind(fs::rename(&renamed, &nul).await),
            ErrorKind::InvalidInput
        );
        assert!(!dir.join("a").exists());
        assert!(renamed.exists());
        fs::remove_dir_all(&dir).await.unwrap();
        assert!(!dir.exists());
    }));
}

// ----------------------------------------------------------------- leaks

/// Every failing case above, once, for the descriptor count.
async fn every_failure() {
    let dir = scratch_dir("leak");
    let _ = TcpStream::connect("1.2.3.4:99999").await.unwrap_err();
    let _ = TcpStream::connect("no-such-host.invalid:80")
        .await
        .unwrap_err();
    let _ = TcpListener::bind("no-such-host.invalid:80")
        .await
        .unwrap_err();
    let _ = UdpSocket::bind("not an address").await.unwrap_err();
    let u = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let _ = u
        .send_to(b"x", "no-such-host.invalid:80")
        .await
        .unwrap_err();
    let _ = u
        .send_to(&[0; 70_000], u.local_addr().unwrap())
        .await
        .unwrap_err();
    let _ = UnixStream::connect(dir.join("missing")).await.unwrap_err();
    let _ = UnixStream::connect(dir.join("y".repeat(200)))
        .await
        .unwrap_err();
    let _ = UnixListener::bind(dir.join("a\0b")).unwrap_err();
    let _ = UnixListener::bind(dir.join("no/dir")).unwrap_err();
    let _ = UnixDatagram::bind(dir.join("z".repeat(200))).unwrap_err();
    // SAFETY: not open; never closed through this borrow.
    let _ = AsyncFd::new(unsafe { BorrowedFd::borrow_raw(closed_fd()) }).unwrap_err();
    let file = std::fs::File::open("/dev/null").unwrap();
    let _ = AsyncFd::new(file).unwrap_err();
    let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
    a.set_nonblocking(true).unwrap();
    let first = AsyncFd::new(a).unwrap();
    let _ = AsyncFd::new(first.get_ref().as_fd()).unwrap_err();
    let (r, w) = pipe();
    std::fs::File::from(w).write_all(b"x").unwrap();
    let mut s = TcpStream::from_std(std::net::TcpStream::from(r)).unwrap();
    let _ = s.read(&mut [0; 1]).await.unwrap_err();
    let _ = Command::new("guillotine-no-such-program-4b1d")
        .output()
        .await
        .unwrap_err();
    let _ = Command::new("true")
        .current_dir(dir.join("gone"))
        .status()
        .await
        .unwrap_err();
    let _ = Command::new("true").arg("a\0b").spawn().unwrap_err();
    let _ = fs::read(dir.join("a\0b")).await.unwrap_err();
    let _ = fs::File::open(dir.join("missing")).await.unwrap_err();
    let _ = time::timeout(Duration::ZERO, std::future::pending::<()>()).await;
    let _ = time::timeout(Duration::from_millis(1), time::sleep(Duration::MAX)).await;
    std::fs::remove_dir_all(&dir).unwrap();
}

fn nothing_leaks_a_descriptor(flavor: Flavor) {
    let test = format!("{}::nothing_leaks_a_descriptor", flavor.module());
    if !is_child("bad-input-leak") {
        let out = run_child(&test, "bad-input-leak");
        assert_child_ok(&out);
        assert!(String::from_utf8_lossy(&out.stdout).contains("fds unchanged"));
        return;
    }
    let rt = flavor.rt();
    wait_for_workers(&rt, flavor);
    // Once first: the blocking pool's threads and the resolver's
    // configuration come up, neither holding a descriptor afterwards.
    rt.block_on(every_failure());
    let before = open_fds();
    rt.block_on(async {
        for _ in 0..20 {
            within("every failure", every_failure()).await;
        }
    });
    let after = open_fds();
    assert_eq!(before, after, "descriptors leaked or closed");
    drop(rt);
    println!("fds unchanged");
}
