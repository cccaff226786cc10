//! `AsyncFd`: a pipe driven by the reactor in both directions, hang-ups,
//! several waiters, `clear_ready` semantics, registration errors, and
//! one-direction interests (the epoll mask, and waits outside it). On both
//! runtime flavors.

mod support;

use std::fs::File;
use std::future::poll_fn;
use std::io::{ErrorKind, Read, Write};
use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd};
use std::sync::Arc;

use guillotine::io::{AsyncFd, Interest};
use guillotine::runtime::Runtime;
use support::{both_flavors, pattern};

both_flavors! {
    a_megabyte_through_a_pipe_in_two_tasks,
    a_hang_up_is_reported_as_read_closed,
    every_task_waiting_for_readability_is_woken,
    clear_ready_waits_for_a_new_edge,
    read_with_and_write_with_loop_for_you,
    mut_guards_give_mutable_access,
    registration_errors_come_back_as_io_errors,
    try_io_turns_would_block_into_try_io_error_and_clears,
    a_readable_only_pipe_read_end_waits_for_data,
    the_epoll_registration_has_only_the_interest_asked_for,
    waiting_outside_the_interest_fails_at_once,
}

/// A non-blocking, close-on-exec pipe: (read end, write end).
fn pipe() -> (File, File) {
    let mut fds = [0; 2];
    // SAFETY: pipe2 writes two descriptors into the live array.
    let r = unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_NONBLOCK | libc::O_CLOEXEC) };
    assert_eq!(r, 0, "pipe2: {}", std::io::Error::last_os_error());
    // SAFETY: both descriptors were just created and are owned by no one else.
    let (r, w) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    (File::from(r), File::from(w))
}

async fn read_some(fd: &AsyncFd<File>, buf: &mut [u8]) -> std::io::Result<usize> {
    loop {
        let mut guard = fd.readable().await?;
        if let Ok(result) = guard.try_io(|fd| fd.get_ref().read(buf)) {
            return result;
        }
    }
}

async fn write_some(fd: &AsyncFd<File>, buf: &[u8]) -> std::io::Result<usize> {
    loop {
        let mut guard = fd.writable().await?;
        if let Ok(result) = guard.try_io(|fd| fd.get_ref().write(buf)) {
            return result;
        }
    }
}

fn a_megabyte_through_a_pipe_in_two_tasks(rt: Runtime) {
    const LEN: usize = 1 << 20; // 16 times the pipe's capacity
    rt.block_on(async {
        let (r, w) = pipe();
        let (r, w) = (AsyncFd::new(r).unwrap(), AsyncFd::new(w).unwrap());
        let writer = guillotine::spawn(async move {
            let data = pattern(9, LEN);
            let mut off = 0;
            while off < LEN {
                off += write_some(&w, &data[off..]).await.unwrap();
            }
            // Dropping `w` closes the write end: the reader sees EOF.
        });
        let mut got = Vec::with_capacity(LEN);
        let mut buf = vec![0; 10_000];
        loop {
            let n = read_some(&r, &mut buf).await.unwrap();
            if n == 0 {
                break;
            }
            got.extend_from_slice(&buf[..n]);
        }
        writer.await.unwrap();
        assert!(got == pattern(9, LEN));
    });
}

fn a_hang_up_is_reported_as_read_closed(rt: Runtime) {
    rt.block_on(async {
        let (r, w) = pipe();
        let r = AsyncFd::new(r).unwrap();
        drop(w);
        let guard = r.readable().await.unwrap();
        assert!(guard.is_read_closed());
        assert_eq!(read_some(&r, &mut [0; 4]).await.unwrap(), 0);
        assert_eq!(
            read_some(&r, &mut [0; 4]).await.unwrap(),
            0,
            "EOF stays EOF"
        );
    });
}

fn every_task_waiting_for_readability_is_woken(rt: Runtime) {
    rt.block_on(async {
        let (r, mut w) = pipe();
        let r = Arc::new(AsyncFd::new(r).unwrap());
        let waiters: Vec<_> = (0..3)
            .map(|_| {
                let r = r.clone();
                guillotine::spawn(async move {
                    // Keep the readiness: every waiter sees it.
                    r.readable().await.unwrap().retain_ready();
                })
            })
            .collect();
        guillotine::task::yield_now().await;
        w.write_all(b"x").unwrap();
        for t in waiters {
            t.await.unwrap();
        }
    });
}

fn clear_ready_waits_for_a_new_edge(rt: Runtime) {
    rt.block_on(async {
        let (r, mut w) = pipe();
        let r = AsyncFd::new(r).unwrap();
        w.write_all(b"a").unwrap();
        let mut guard = r.readable().await.unwrap();
        // Forget the readiness without reading: edge-triggered, so only a
        // new write makes the descriptor ready again.
        guard.clear_ready();
        {
            let next = r.readable();
            futures::pin_mut!(next);
            assert!(futures::poll!(next.as_mut()).is_pending());
            w.write_all(b"b").unwrap();
            next.await.unwrap();
        }
        let mut buf = [0; 4];
        assert_eq!(read_some(&r, &mut buf).await.unwrap(), 2);
        assert_eq!(&buf[..2], b"ab");
    });
}

fn read_with_and_write_with_loop_for_you(rt: Runtime) {
    rt.block_on(async {
        let (r, w) = pipe();
        let (r, w) = (AsyncFd::new(r).unwrap(), AsyncFd::new(w).unwrap());
        let reader = async {
            let mut buf = [0; 5];
            let n = r.read_with(|f| (&*f).read(&mut buf)).await.unwrap();
            buf[..n].to_vec()
        };
        let writer = async { w.write_with(|f| (&*f).write(b"hello")).await.unwrap() };
        let (got, n) = futures::join!(reader, writer);
        assert_eq!((got.as_slice(), n), (&b"hello"[..], 5));
    });
}

fn mut_guards_give_mutable_access(rt: Runtime) {
    rt.block_on(async {
        let (r, w) = pipe();
        let (mut r, mut w) = (AsyncFd::new(r).unwrap(), AsyncFd::new(w).unwrap());
        let mut guard = w.writable_mut().await.unwrap();
        let n = guard
            .try_io(|fd| fd.get_mut().write(b"mut"))
            .unwrap()
            .unwrap();
        assert_eq!(n, 3);
        let mut buf = [0; 3];
        loop {
            let mut guard = r.readable_mut().await.unwrap();
            if let Ok(n) = guard.try_io(|fd| fd.get_mut().read(&mut buf)) {
                assert_eq!(n.unwrap(), 3);
                break;
            }
        }
        assert_eq!(&buf, b"mut");
    });
}

fn registration_errors_come_back_as_io_errors(rt: Runtime) {
    rt.block_on(async {
        let file = File::open("/proc/self/status").unwrap();
        let err = AsyncFd::new(file).unwrap_err();
        assert_eq!(
            err.raw_os_error(),
            Some(libc::EPERM),
            "regular files cannot be polled"
        );

        let (r, _w) = pipe();
        let first = AsyncFd::new(r.as_fd()).unwrap();
        let err = AsyncFd::new(r.as_fd()).unwrap_err();
        assert_eq!(
            err.raw_os_error(),
            Some(libc::EEXIST),
            "one registration per descriptor"
        );
        // Handing it back deregisters it: it can be registered again.
        let _handed_back = first.into_inner();
        let again = AsyncFd::new(r.as_fd()).unwrap();
        assert!(format!("{:?}", again).contains("AsyncFd"));
    });
}

fn try_io_turns_would_block_into_try_io_error_and_clears(rt: Runtime) {
    rt.block_on(async {
        let (r, mut w) = pipe();
        let r = AsyncFd::new(r).unwrap();
        w.write_all(b"x").unwrap();
        let mut guard = r.readable().await.unwrap();
        let n = guard
            .try_io(|fd| fd.get_ref().read(&mut [0; 8]))
            .expect("ready");
        assert_eq!(n.unwrap(), 1);
        // Drained: the next try is EAGAIN, which clears the readiness.
        assert!(guard.try_io(|fd| fd.get_ref().read(&mut [0; 8])).is_err());
        let next = r.readable();
        futures::pin_mut!(next);
        assert!(futures::poll!(next.as_mut()).is_pending());
        // An error that is not WouldBlock passes through untouched.
        w.write_all(b"y").unwrap();
        let mut guard = next.await.unwrap();
        let res = guard.try_io(|_| Err::<(), _>(std::io::Error::from(ErrorKind::InvalidData)));
        assert_eq!(res.unwrap().unwrap_err().kind(), ErrorKind::InvalidData);
    });
}

/// The event mask epoll holds for `fd`, from the `tfd:` line in the fdinfo
/// of whichever epoll instance (of the runtimes in this process) has it.
fn epoll_mask(fd: i32) -> u32 {
    let mut masks = Vec::new();
    for entry in std::fs::read_dir("/proc/self/fd").unwrap() {
        let path = entry.unwrap().path();
        // Another test's runtime may close its descriptors meanwhile.
        let Ok(link) = std::fs::read_link(&path) else {
            continue;
        };
        if link.to_str() != Some("anon_inode:[eventpoll]") {
            continue;
        }
        let info_path = format!("/proc/self/fdinfo/{}", path.file_name().unwrap().display());
        let Ok(info) = std::fs::read_to_string(info_path) else {
            continue;
        };
        // tfd:        7 events:   80002019 data: ...
        masks.extend(info.lines().filter_map(|line| {
            let mut words = line.split_whitespace();
            (words.next()? == "tfd:" && words.next()?.parse() == Ok(fd)).then_some(())?;
            let mask = words.skip_while(|w| *w != "events:").nth(1)?;
            u32::from_str_radix(mask, 16).ok()
        }));
    }
    assert_eq!(masks.len(), 1, "fd {fd} registered once: {masks:x?}");
    masks[0]
}

fn has(mask: u32, flags: i32) -> bool {
    mask & flags as u32 == flags as u32
}

fn a_readable_only_pipe_read_end_waits_for_data(rt: Runtime) {
    rt.block_on(async {
        let (r, mut w) = pipe();
        let r = AsyncFd::with_interest(r, Interest::READABLE).unwrap();
        assert_eq!(r.interest(), Interest::READABLE);
        {
            let ready = r.readable();
            futures::pin_mut!(ready);
            assert!(
                futures::poll!(ready.as_mut()).is_pending(),
                "nothing written yet"
            );
            w.write_all(b"data").unwrap();
            ready.await.unwrap();
        }
        let mut buf = [0; 8];
        assert_eq!(read_some(&r, &mut buf).await.unwrap(), 4);
        assert_eq!(&buf[..4], b"data");
        // Drained: the WouldBlock clears the readiness, so the next wait
        // needs a new event, the hang-up.
        let mut guard = r.readable().await.unwrap();
        assert!(guard.try_io(|f| f.get_ref().read(&mut buf)).is_err());
        drop(w);
        assert!(r.readable().await.unwrap().is_read_closed());
    });
}

fn the_epoll_registration_has_only_the_interest_asked_for(rt: Runtime) {
    rt.block_on(async {
        let (r, w) = pipe();
        let r = AsyncFd::with_interest(r, Interest::READABLE).unwrap();
        let mask = epoll_mask(r.as_raw_fd());
        assert!(!has(mask, libc::EPOLLOUT), "{mask:#x}");
        assert!(
            has(mask, libc::EPOLLIN | libc::EPOLLRDHUP | libc::EPOLLET),
            "{mask:#x}"
        );

        let w = AsyncFd::with_interest(w, Interest::WRITABLE).unwrap();
        let mask = epoll_mask(w.as_raw_fd());
        assert!(
            !has(mask, libc::EPOLLIN) && !has(mask, libc::EPOLLRDHUP),
            "{mask:#x}"
        );
        assert!(has(mask, libc::EPOLLOUT | libc::EPOLLET), "{mask:#x}");

        // `new` (and every socket) still asks for both.
        let (r2, _w2) = pipe();
        let both = AsyncFd::new(r2).unwrap();
        assert_eq!(both.interest(), Interest::READABLE | Interest::WRITABLE);
        let mask = epoll_mask(both.as_raw_fd());
        assert!(
            has(mask, libc::EPOLLIN | libc::EPOLLOUT | libc::EPOLLET),
            "{mask:#x}"
        );
    });
}

fn waiting_outside_the_interest_fails_at_once(rt: Runtime) {
    fn assert_outside(err: std::io::Error, missing: &str) {
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
        assert!(err.to_string().contains(missing), "{err}");
    }
    rt.block_on(async {
        let (r, w) = pipe();
        let mut r = AsyncFd::with_interest(r, Interest::READABLE).unwrap();
        assert_outside(r.writable().await.unwrap_err(), "WRITABLE");
        assert_outside(
            poll_fn(|cx| r.poll_write_ready(cx)).await.unwrap_err(),
            "WRITABLE",
        );
        assert_outside(
            r.write_with(|f| (&*f).write(b"x")).await.unwrap_err(),
            "WRITABLE",
        );
        assert_outside(r.writable_mut().await.unwrap_err(), "WRITABLE");

        let mut w = AsyncFd::with_interest(w, Interest::WRITABLE).unwrap();
        assert_outside(r_err(w.readable().await), "READABLE");
        assert_outside(r_err(poll_fn(|cx| w.poll_read_ready(cx)).await), "READABLE");
        assert_outside(
            w.read_with(|f| (&*f).read(&mut [0; 1])).await.unwrap_err(),
            "READABLE",
        );
        assert_outside(r_err(w.readable_mut().await), "READABLE");

        // The registered directions work as usual.
        assert_eq!(w.write_with(|f| (&*f).write(b"ok")).await.unwrap(), 2);
        let mut buf = [0; 2];
        assert_eq!(read_some(&r, &mut buf).await.unwrap(), 2);
        assert_eq!(&buf, b"ok");
    });
}

/// The error of a readiness wait that must fail (guards are not `Debug`
/// for every `T`, so no `unwrap_err`).
fn r_err<G>(result: std::io::Result<G>) -> std::io::Error {
    match result {
        Ok(_) => panic!("the wait succeeded"),
        Err(e) => e,
    }
}
