//! The system-call layer: every call into the kernel goes through [`syscall!`],
//! which turns `-1` into `io::Error::last_os_error()` so the OS error is kept.
//!
//! Safe wrappers live here so that the rest of the crate needs no `unsafe` to
//! create, read or write a descriptor.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

/// Runs a libc call and maps a `-1` return to the thread's `errno`.
macro_rules! syscall {
    ($fn:ident ( $($arg:expr),* $(,)? )) => {{
        #[allow(unused_unsafe)]
        // SAFETY: the caller passes arguments that satisfy the call's contract;
        // every use site documents why.
        let res = unsafe { libc::$fn($($arg),*) };
        if res == -1 {
            Err(std::io::Error::last_os_error())
        } else {
            Ok(res)
        }
    }};
}
#[allow(unused_imports)]
pub(crate) use syscall;

/// Wraps a descriptor returned by a successful system call.
fn owned(fd: RawFd) -> OwnedFd {
    // SAFETY: `fd` was just returned by a successful call that creates a
    // descriptor, so it is open and owned by nobody else.
    unsafe { OwnedFd::from_raw_fd(fd) }
}

/// `epoll_create1(EPOLL_CLOEXEC)`.
pub(crate) fn epoll_create() -> io::Result<OwnedFd> {
    syscall!(epoll_create1(libc::EPOLL_CLOEXEC)).map(owned)
}

/// `epoll_ctl` with one event word and a 64-bit token.
pub(crate) fn epoll_ctl(
    epfd: RawFd,
    op: i32,
    fd: RawFd,
    events: u32,
    token: u64,
) -> io::Result<()> {
    let mut ev = libc::epoll_event { events, u64: token };
    // The event pointer is valid for the call; DEL ignores it.
    syscall!(epoll_ctl(epfd, op, fd, &mut ev)).map(drop)
}

/// Waits for events, `timeout` being `None` for "forever". With a timeout,
/// `epoll_pwait2` is used where the kernel has it so that sub-millisecond
/// sleeps are not rounded up; elsewhere the timeout is rounded *up* to whole
/// milliseconds so a timer never fires early. `EINTR` is reported as zero
/// events: the caller simply goes round its loop again.
pub(crate) fn epoll_wait(
    epfd: RawFd,
    events: &mut [libc::epoll_event],
    timeout: Option<std::time::Duration>,
    use_pwait2: &std::sync::atomic::AtomicBool,
) -> io::Result<usize> {
    use std::sync::atomic::Ordering::Relaxed;
    let max = i32::try_from(events.len()).unwrap_or(i32::MAX);
    let ptr = events.as_mut_ptr();
    let res = match timeout {
        Some(t) if !t.is_zero() && use_pwait2.load(Relaxed) => {
            let ts = libc::timespec {
                tv_sec: libc::time_t::try_from(t.as_secs()).unwrap_or(libc::time_t::MAX),
                tv_nsec: libc::c_long::from(t.subsec_nanos()),
            };
            // SAFETY: `ptr` points at `max` writable events; `ts` outlives the
            // call; a null sigmask means "do not change the mask".
            let r = unsafe {
                libc::syscall(
                    libc::SYS_epoll_pwait2,
                    epfd,
                    ptr,
                    max,
                    &ts as *const libc::timespec,
                    std::ptr::null::<libc::sigset_t>(),
                    0usize,
                )
            };
            if r == -1 {
                let err = io::Error::last_os_error();
                if err.raw_os_error() == Some(libc::ENOSYS) {
                    use_pwait2.store(false, Relaxed);
                    return epoll_wait(epfd, events, timeout, use_pwait2);
                }
                Err(err)
            } else {
                Ok(r as i32)
            }
        }
        _ => {
            let ms = match timeout {
                None => -1,
                Some(t) => {
                    // Round up: a timer must never complete early.
                    let ms = t.as_nanos().div_ceil(1_000_000);
                    i32::try_from(ms).unwrap_or(i32::MAX)
                }
            };
            // SAFETY: `ptr` points at `max` writable events.
            syscall!(epoll_wait(epfd, ptr, max, ms))
        }
    };
    match res {
        Ok(n) => Ok(n as usize),
        Err(e) if e.kind() == io::ErrorKind::Interrupted => Ok(0),
        Err(e) => Err(e),
    }
}

/// `eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)`.
pub(crate) fn eventfd() -> io::Result<OwnedFd> {
    syscall!(eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK)).map(owned)
}

/// Adds one to an eventfd's counter. If the counter is saturated (the write
/// would block) it is drained first, so the wake is never lost.
pub(crate) fn eventfd_signal(fd: &OwnedFd) -> io::Result<()> {
    let one: u64 = 1;
    loop {
        // SAFETY: writes 8 bytes from a live u64 to an open descriptor.
        let r = syscall!(write(fd.as_raw_fd(), (&one as *const u64).cast(), 8));
        match r {
            Ok(_) => return Ok(()),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                let mut buf = 0u64;
                // SAFETY: reads 8 bytes into a live u64.
                let _ = syscall!(read(fd.as_raw_fd(), (&mut buf as *mut u64).cast(), 8));
            }
            Err(e) => return Err(e),
        }
    }
}

/// The calling thread's timer slack in nanoseconds: how late the kernel may
/// make a timed wait, to batch wake-ups (50 µs by default).
pub(crate) fn timer_slack() -> io::Result<libc::c_ulong> {
    // SAFETY: PR_GET_TIMERSLACK takes no pointer; the result is the slack.
    let slack = syscall!(prctl(libc::PR_GET_TIMERSLACK, 0, 0, 0, 0))?;
    Ok(slack as libc::c_ulong)
}

/// Sets the calling thread's timer slack; 0 restores the thread's default.
pub(crate) fn set_timer_slack(ns: libc::c_ulong) -> io::Result<()> {
    // SAFETY: PR_SET_TIMERSLACK takes the value itself, no pointer.
    syscall!(prctl(libc::PR_SET_TIMERSLACK, ns, 0, 0, 0)).map(drop)
}

/// The number of online CPUs in the machine (not the calling thread's
/// affinity mask: a runtime thread pinned to one CPU still has peers on the
/// others). Read once per process: glibc reads it from /sys, which would
/// open a descriptor in every new runtime thread.
pub(crate) fn online_cpus() -> usize {
    static CPUS: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *CPUS.get_or_init(|| {
        // SAFETY: sysconf takes no pointer; -1 (unknown) maps to 1 below.
        let n = unsafe { libc::sysconf(libc::_SC_NPROCESSORS_ONLN) };
        usize::try_from(n).unwrap_or(1).max(1)
    })
}

/// Adds one to the eventfd `fd` and ignores every error (a saturated
/// counter is still readable, so nothing is lost). For signal handlers:
/// one `write(2)`, no allocation, no lock, no panic — async-signal-safe.
pub(crate) fn eventfd_notify_in_handler(fd: RawFd) {
    let one: u64 = 1;
    // SAFETY: writes 8 bytes from a live u64; a bad descriptor only makes
    // the call fail, and the caller passes one that is never closed.
    let _ = unsafe { libc::write(fd, (&one as *const u64).cast(), 8) };
}

/// Resets `sig`'s disposition to `SIG_DFL` and raises it on the calling
/// thread. For signal handlers (`sigaction` and `raise` are
/// async-signal-safe): `sig` is blocked while its handler runs, so the
/// default action takes place when the handler returns.
pub(crate) fn reraise_with_default_action_in_handler(sig: libc::c_int) {
    // SAFETY: an all-zero sigaction is valid: no flags, an empty mask,
    // and a handler of 0, which is SIG_DFL.
    let mut dfl: libc::sigaction = unsafe { std::mem::zeroed() };
    dfl.sa_sigaction = libc::SIG_DFL;
    // SAFETY: `dfl` is a live sigaction, the old action is not asked for,
    // and raise takes no pointer.
    unsafe {
        libc::sigaction(sig, &dfl, std::ptr::null_mut());
        libc::raise(sig);
    }
}

/// `pidfd_open(pid, 0)`: a descriptor that refers to the process `pid`
/// itself, never to a later process given the same number. It is
/// close-on-exec, and readable once the process has exited. `ENOSYS` before
/// Linux 5.3 (or under a seccomp filter that does not know it).
pub(crate) fn pidfd_open(pid: libc::pid_t) -> io::Result<OwnedFd> {
    // SAFETY: pidfd_open takes a pid and flags, no pointer.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    if fd == -1 {
        return Err(io::Error::last_os_error());
    }
    Ok(owned(fd as RawFd))
}

/// `pidfd_send_signal(pidfd, sig, NULL, 0)`: signals the process the pidfd
/// refers to. `ESRCH` once that process has been reaped (an exited one
/// that is not reaped yet still takes the signal, as `kill` does).
pub(crate) fn pidfd_send_signal(pidfd: &OwnedFd, sig: libc::c_int) -> io::Result<()> {
    // SAFETY: a null siginfo means "as kill(2) would send it"; the
    // descriptor is open for the call (borrowed from `pidfd`).
    let r = unsafe {
        libc::syscall(
            libc::SYS_pidfd_send_signal,
            pidfd.as_raw_fd(),
            sig,
            std::ptr::null::<libc::siginfo_t>(),
            0u32,
        )
    };
    if r == -1 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// `kill(pid, sig)`.
pub(crate) fn kill(pid: libc::pid_t, sig: libc::c_int) -> io::Result<()> {
    // SAFETY: kill takes no pointer.
    syscall!(kill(pid, sig)).map(drop)
}

/// `waitpid(pid, WNOHANG)`: reaps the child `pid` if it has exited and
/// returns its wait status (for `ExitStatus::from_raw`); `None` while it
/// runs. `ECHILD` if it is not (or no longer) our child to reap.
pub(crate) fn waitpid_nohang(pid: libc::pid_t) -> io::Result<Option<libc::c_int>> {
    let mut status: libc::c_int = 0;
    loop {
        // SAFETY: `status` is a live int the call writes the status into.
        match syscall!(waitpid(pid, &mut status, libc::WNOHANG)) {
            Ok(0) => return Ok(None),
            Ok(_) => return Ok(Some(status)),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// Waits up to `timeout` for `fd` to become readable, with `poll(2)`;
/// whether it did. `EINTR` counts as "not yet" (the caller looks again).
pub(crate) fn poll_readable(fd: &OwnedFd, timeout: std::time::Duration) -> io::Result<bool> {
    poll_readable_raw(fd.as_raw_fd(), timeout)
}

/// [`poll_readable`] on a descriptor the caller keeps open by other means
/// (a wrong one only makes `poll` report it invalid: `Ok(true)`, as
/// "look at it").
pub(crate) fn poll_readable_raw(fd: RawFd, timeout: std::time::Duration) -> io::Result<bool> {
    let mut pfd = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    let ms = i32::try_from(timeout.as_millis()).unwrap_or(i32::MAX);
    // SAFETY: `pfd` is one live pollfd for the call.
    match syscall!(poll(&mut pfd, 1, ms)) {
        Ok(n) => Ok(n > 0),
        Err(e) if e.kind() == io::ErrorKind::Interrupted => Ok(false),
        Err(e) => Err(e),
    }
}

/// Sets or clears `O_NONBLOCK` on the open file description of `fd`.
pub(crate) fn set_nonblocking(fd: &OwnedFd, nonblocking: bool) -> io::Result<()> {
    // SAFETY: F_GETFL takes no argument.
    let flags = syscall!(fcntl(fd.as_raw_fd(), libc::F_GETFL))?;
    let new = if nonblocking {
        flags | libc::O_NONBLOCK
    } else {
        flags & !libc::O_NONBLOCK
    };
    if new != flags {
        // SAFETY: F_SETFL takes the flags as an int.
        syscall!(fcntl(fd.as_raw_fd(), libc::F_SETFL, new))?;
    }
    Ok(())
}

/// `close(fd)`, reporting its error (std's `Drop` for a descriptor ignores
/// it; on NFS a failed write-back shows up only here). `EINTR` is success:
/// Linux always releases the descriptor, so retrying could close another.
pub(crate) fn close(fd: OwnedFd) -> io::Result<()> {
    let raw = std::os::fd::IntoRawFd::into_raw_fd(fd);
    // SAFETY: `raw` was an owned descriptor whose ownership we just took;
    // it is closed exactly once, here.
    match syscall!(close(raw)) {
        Err(e) if e.kind() != io::ErrorKind::Interrupted => Err(e),
        _ => Ok(()),
    }
}
