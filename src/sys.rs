//! The system-call layer. A call goes through rustix where rustix wraps
//! it safely (epoll, eventfd, prctl, pidfd, kill, waitpid, poll, fcntl),
//! at the same one system call: its `Errno` becomes an `io::Error` with the
//! OS error kept. The rest stays on libc, each for the reason given at its
//! function: `epoll_pwait2`, `sysconf`, `close` with its error, and the
//! calls made in a signal handler. A libc call that fails with `-1` reports
//! `io::Error::last_os_error()` (through [`syscall!`] where it fits).
//!
//! Safe wrappers live here so that the rest of the crate needs no `unsafe` to
//! create, read or write a descriptor.

use std::io;
use std::num::NonZeroU64;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::time::Duration;

use rustix::event::epoll::{self, EventData, EventFlags};
use rustix::event::{EventfdFlags, PollFd, PollFlags, Timespec};
use rustix::io::Errno;
use rustix::process::{Pid, PidfdFlags, Signal, WaitOptions};

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

/// The events one `epoll_wait` writes: a buffer allocated once by its
/// owner and reused by every wait.
pub(crate) struct EpollEvents {
    list: Vec<epoll::Event>,
    /// How many the last wait wrote.
    len: usize,
}

// SAFETY: rustix's `Event` is not `Send` only because its data may hold a
// pointer; ours hold `u64` tokens, written by us or by the kernel, and are
// never dereferenced (polling's `Events` is `Send` on the same grounds).
unsafe impl Send for EpollEvents {}

impl std::fmt::Debug for EpollEvents {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EpollEvents")
            .field("capacity", &self.list.len())
            .field("len", &self.len)
            .finish()
    }
}

// `epoll_pwait2` writes the kernel's `struct epoll_event`, as libc declares
// it, into the buffer; rustix passes its `Event` to the kernel the same
// way, and this checks the two agree.
const _: () = assert!(
    size_of::<epoll::Event>() == size_of::<libc::epoll_event>()
        && align_of::<epoll::Event>() == align_of::<libc::epoll_event>()
);

impl EpollEvents {
    /// Room for `capacity` events per wait.
    pub(crate) fn with_capacity(capacity: usize) -> EpollEvents {
        let empty = epoll::Event {
            flags: EventFlags::empty(),
            data: EventData::new_u64(0),
        };
        EpollEvents {
            list: vec![empty; capacity],
            len: 0,
        }
    }

    /// The `(token, EPOLL* bits)` pairs of the last wait.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (u64, u32)> + '_ {
        self.list[..self.len].iter().map(|event| {
            // Copies: the struct is packed on x86-64, so no reference into it.
            let (data, flags) = (event.data, event.flags);
            (data.u64(), flags.bits())
        })
    }
}

/// `epoll_create1(EPOLL_CLOEXEC)`.
pub(crate) fn epoll_create() -> io::Result<OwnedFd> {
    Ok(epoll::create(epoll::CreateFlags::CLOEXEC)?)
}

/// `epoll_ctl(EPOLL_CTL_ADD)`: `fd`, for the `EPOLL*` bits `events`,
/// reported under `token`.
pub(crate) fn epoll_add(ep: impl AsFd, fd: impl AsFd, events: u32, token: u64) -> io::Result<()> {
    let flags = EventFlags::from_bits_retain(events);
    Ok(epoll::add(ep, fd, EventData::new_u64(token), flags)?)
}

/// `epoll_ctl(EPOLL_CTL_DEL)`.
pub(crate) fn epoll_delete(ep: impl AsFd, fd: impl AsFd) -> io::Result<()> {
    Ok(epoll::delete(ep, fd)?)
}

/// The longest timeout `epoll_wait` takes: `c_int::MAX` milliseconds.
const MAX_MS_TIMEOUT: u128 = i32::MAX as u128;

/// Waits for events, `timeout` being `None` for "forever". With a timeout,
/// `epoll_pwait2` is used where the kernel has it so that sub-millisecond
/// sleeps are not rounded up; elsewhere the timeout is rounded *up* to whole
/// milliseconds so a timer never fires early. `EINTR` is reported as zero
/// events: the caller simply goes round its loop again.
pub(crate) fn epoll_wait(
    ep: BorrowedFd<'_>,
    events: &mut EpollEvents,
    timeout: Option<Duration>,
    use_pwait2: &AtomicBool,
) -> io::Result<usize> {
    events.len = 0;
    let list = &mut events.list[..];
    let res = match timeout {
        Some(t) if !t.is_zero() && use_pwait2.load(Relaxed) => match epoll_pwait2(ep, list, t) {
            Err(e) if e.raw_os_error() == Some(libc::ENOSYS) => {
                use_pwait2.store(false, Relaxed);
                return epoll_wait(ep, events, timeout, use_pwait2);
            }
            res => res,
        },
        _ => {
            let ts = timeout.map(whole_ms);
            epoll::wait(ep, list, ts.as_ref()).map_err(io::Error::from)
        }
    };
    match res {
        Ok(n) => {
            events.len = n;
            Ok(n)
        }
        Err(e) if e.kind() == io::ErrorKind::Interrupted => Ok(0),
        Err(e) => Err(e),
    }
}

/// `t` rounded *up* to whole milliseconds (a timer must never complete
/// early), at most `c_int::MAX` of them: what `epoll_pwait` takes, so that
/// rustix passes it on exactly.
fn whole_ms(t: Duration) -> Timespec {
    let ms = t.as_nanos().div_ceil(1_000_000).min(MAX_MS_TIMEOUT) as u64;
    Timespec {
        tv_sec: (ms / 1_000) as i64,
        tv_nsec: ((ms % 1_000) * 1_000_000) as _,
    }
}

/// `epoll_pwait2(ep, events, t, NULL)`, on libc: rustix calls it only when
/// built with its `linux_5_11` feature, with no fallback then, and that
/// feature is crate-wide: it would hold every user of rustix in the build
/// (polling's among them) to Linux 5.11. `ENOSYS` where the kernel lacks it.
fn epoll_pwait2(ep: BorrowedFd<'_>, events: &mut [epoll::Event], t: Duration) -> io::Result<usize> {
    /// The kernel's `struct __kernel_timespec`: 64-bit fields on every
    /// architecture (a 32-bit libc's `timespec` may not be).
    #[repr(C)]
    struct KernelTimespec {
        tv_sec: i64,
        tv_nsec: i64,
    }
    let ts = KernelTimespec {
        tv_sec: i64::try_from(t.as_secs()).unwrap_or(i64::MAX),
        tv_nsec: i64::from(t.subsec_nanos()),
    };
    let max = libc::c_int::try_from(events.len()).unwrap_or(libc::c_int::MAX);
    // SAFETY: `events` is `max` writable events of the kernel's layout
    // (asserted above); `ts` outlives the call; a null sigmask means "do
    // not change the mask".
    let r = unsafe {
        libc::syscall(
            libc::SYS_epoll_pwait2,
            ep.as_raw_fd(),
            events.as_mut_ptr(),
            max,
            &ts as *const KernelTimespec,
            std::ptr::null::<libc::sigset_t>(),
            0usize,
        )
    };
    if r == -1 {
        return Err(io::Error::last_os_error());
    }
    Ok(r as usize)
}

/// `eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)`.
pub(crate) fn eventfd() -> io::Result<OwnedFd> {
    let flags = EventfdFlags::CLOEXEC | EventfdFlags::NONBLOCK;
    Ok(rustix::event::eventfd(0, flags)?)
}

/// Adds one to an eventfd's counter. If the counter is saturated (the write
/// would block) it is drained first, so the wake is never lost.
pub(crate) fn eventfd_signal(fd: &OwnedFd) -> io::Result<()> {
    loop {
        match rustix::io::write(fd, &1u64.to_ne_bytes()) {
            Ok(_) => return Ok(()),
            Err(Errno::INTR) => {}
            Err(Errno::AGAIN) => {
                let _ = rustix::io::read(fd, &mut [0u8; 8]);
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// The calling thread's timer slack in nanoseconds: how late the kernel may
/// make a timed wait, to batch wake-ups (50 µs by default).
pub(crate) fn timer_slack() -> io::Result<u64> {
    Ok(rustix::thread::current_timer_slack()?)
}

/// Sets the calling thread's timer slack; 0 restores the thread's default.
pub(crate) fn set_timer_slack(ns: u64) -> io::Result<()> {
    Ok(rustix::thread::set_current_timer_slack(NonZeroU64::new(
        ns,
    ))?)
}

/// Gives the calling thread the lowest scheduling priority (nice 19): its
/// wake-ups then wait for a CPU to come free instead of preempting the
/// threads running there.
pub(crate) fn lower_thread_priority() -> io::Result<()> {
    // On Linux a nice value belongs to a thread: PRIO_PROCESS with pid 0
    // is the calling thread alone.
    Ok(rustix::process::setpriority_process(None, 19)?)
}

/// The number of online CPUs in the machine (not the calling thread's
/// affinity mask: a runtime thread pinned to one CPU still has peers on the
/// others). Read once per process: glibc reads it from /sys, which would
/// open a descriptor in every new runtime thread. On libc: rustix has no
/// `sysconf`, and `available_parallelism` is the affinity mask.
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
/// On libc, as is [`reraise_with_default_action_in_handler`]: POSIX lists
/// `write`, `sigaction` and `raise` as async-signal-safe, while rustix
/// promises nothing about its functions in a handler (and has no safe
/// `sigaction` or `raise` at all).
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

/// A child's pid as rustix's; `EINVAL` for 0 or a negative number (a
/// process group, not one process).
fn child_pid(pid: libc::pid_t) -> io::Result<Pid> {
    // `Pid::from_raw` expects no negative number.
    (pid > 0)
        .then(|| Pid::from_raw(pid))
        .flatten()
        .ok_or_else(|| io::Error::from_raw_os_error(libc::EINVAL))
}

/// `pidfd_open(pid, 0)`: a descriptor that refers to the process `pid`
/// itself, never to a later process given the same number. It is
/// close-on-exec, and readable once the process has exited. `ENOSYS` before
/// Linux 5.3 (or under a seccomp filter that does not know it).
pub(crate) fn pidfd_open(pid: libc::pid_t) -> io::Result<OwnedFd> {
    Ok(rustix::process::pidfd_open(
        child_pid(pid)?,
        PidfdFlags::empty(),
    )?)
}

/// `pidfd_send_signal(pidfd, sig, NULL, 0)`: signals the process the pidfd
/// refers to. `ESRCH` once that process has been reaped (an exited one
/// that is not reaped yet still takes the signal, as `kill` does).
pub(crate) fn pidfd_send_signal(pidfd: &OwnedFd, sig: Signal) -> io::Result<()> {
    Ok(rustix::process::pidfd_send_signal(pidfd, sig)?)
}

/// `kill(pid, sig)`, for one process (`EINVAL` for a `pid` of 0 or less).
pub(crate) fn kill(pid: libc::pid_t, sig: Signal) -> io::Result<()> {
    Ok(rustix::process::kill_process(child_pid(pid)?, sig)?)
}

/// `waitpid(pid, WNOHANG)`: reaps the child `pid` if it has exited and
/// returns its wait status (for `ExitStatus::from_raw`); `None` while it
/// runs. `ECHILD` if it is not (or no longer) our child to reap.
pub(crate) fn waitpid_nohang(pid: libc::pid_t) -> io::Result<Option<libc::c_int>> {
    let pid = child_pid(pid)?;
    loop {
        match rustix::process::waitpid(Some(pid), WaitOptions::NOHANG) {
            Ok(None) => return Ok(None),
            Ok(Some((_, status))) => return Ok(Some(status.as_raw())),
            Err(Errno::INTR) => {}
            Err(e) => return Err(e.into()),
        }
    }
}

/// Waits up to `timeout` for `fd` to become readable, with `ppoll(2)`;
/// whether it did. `EINTR` counts as "not yet" (the caller looks again).
pub(crate) fn poll_readable(fd: BorrowedFd<'_>, timeout: Duration) -> io::Result<bool> {
    let mut fds = [PollFd::from_borrowed_fd(fd, PollFlags::IN)];
    // A timeout past `i64::MAX` seconds is as good as none.
    let ts = Timespec::try_from(timeout).ok();
    match rustix::event::poll(&mut fds, ts.as_ref()) {
        Ok(n) => Ok(n > 0),
        Err(Errno::INTR) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Sets or clears `O_NONBLOCK` on the open file description of `fd`.
pub(crate) fn set_nonblocking(fd: &OwnedFd, nonblocking: bool) -> io::Result<()> {
    let flags = rustix::fs::fcntl_getfl(fd)?;
    let mut new = flags;
    new.set(rustix::fs::OFlags::NONBLOCK, nonblocking);
    if new != flags {
        rustix::fs::fcntl_setfl(fd, new)?;
    }
    Ok(())
}

/// `close(fd)`, reporting its error (std's `Drop` for a descriptor ignores
/// it; on NFS a failed write-back shows up only here). `EINTR` is success:
/// Linux always releases the descriptor, so retrying could close another.
/// On libc: rustix's `close` reports nothing, and its `try_close` is behind
/// a feature and takes a raw descriptor as unsafely as libc's.
pub(crate) fn close(fd: OwnedFd) -> io::Result<()> {
    let raw = std::os::fd::IntoRawFd::into_raw_fd(fd);
    // SAFETY: `raw` was an owned descriptor whose ownership we just took;
    // it is closed exactly once, here.
    match syscall!(close(raw)) {
        Err(e) if e.kind() != io::ErrorKind::Interrupted => Err(e),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_millisecond_fallback_rounds_up() {
        let ms = |t| {
            let ts = whole_ms(t);
            (ts.tv_sec, ts.tv_nsec)
        };
        assert_eq!(ms(Duration::ZERO), (0, 0));
        assert_eq!(ms(Duration::from_nanos(1)), (0, 1_000_000));
        assert_eq!(ms(Duration::from_micros(1_200)), (0, 2_000_000));
        assert_eq!(ms(Duration::from_millis(2)), (0, 2_000_000));
        assert_eq!(ms(Duration::new(1, 1)), (1, 1_000_000));
        let max = i64::from(i32::MAX);
        assert_eq!(ms(Duration::MAX), (max / 1_000, max % 1_000 * 1_000_000));
    }

    /// Both ways of waiting return the eventfd's event under its token.
    #[test]
    fn epoll_wait_reports_tokens_and_bits() {
        let ep = epoll_create().unwrap();
        let efd = eventfd().unwrap();
        epoll_add(&ep, &efd, libc::EPOLLIN as u32, 7).unwrap();
        let mut events = EpollEvents::with_capacity(4);
        for pwait2 in [true, false] {
            let pwait2 = AtomicBool::new(pwait2);
            let timeout = Some(Duration::from_micros(100));
            assert_eq!(
                epoll_wait(ep.as_fd(), &mut events, timeout, &pwait2).unwrap(),
                0
            );
            assert_eq!(events.iter().count(), 0);
            eventfd_signal(&efd).unwrap();
            let n = epoll_wait(ep.as_fd(), &mut events, None, &pwait2).unwrap();
            assert_eq!(n, 1);
            assert_eq!(
                events.iter().collect::<Vec<_>>(),
                [(7, libc::EPOLLIN as u32)]
            );
            let mut count = [0u8; 8];
            rustix::io::read(&efd, &mut count).unwrap();
            assert_eq!(u64::from_ne_bytes(count), 1);
        }
        epoll_delete(&ep, &efd).unwrap();
        epoll_add(&ep, &efd, libc::EPOLLOUT as u32, 8).unwrap();
        let zero = AtomicBool::new(true);
        let n = epoll_wait(ep.as_fd(), &mut events, Some(Duration::ZERO), &zero).unwrap();
        assert_eq!(
            (n, events.iter().next()),
            (1, Some((8, libc::EPOLLOUT as u32)))
        );
        epoll_delete(&ep, &efd).unwrap();
        let err = epoll_delete(&ep, &efd).unwrap_err();
        assert_eq!(
            err.raw_os_error(),
            Some(libc::ENOENT),
            "the OS error is kept"
        );
    }

    #[test]
    fn eventfd_signal_drains_a_saturated_counter() {
        let efd = eventfd().unwrap();
        let max = u64::MAX - 1;
        rustix::io::write(&efd, &max.to_ne_bytes()).unwrap();
        assert!(poll_readable(efd.as_fd(), Duration::ZERO).unwrap());
        eventfd_signal(&efd).unwrap();
        let mut count = [0u8; 8];
        rustix::io::read(&efd, &mut count).unwrap();
        assert_eq!(u64::from_ne_bytes(count), 1, "drained, then one added");
        assert!(!poll_readable(efd.as_fd(), Duration::ZERO).unwrap());
    }

    #[test]
    fn nonblocking_is_set_and_cleared() {
        let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
        let fd = OwnedFd::from(a);
        let nonblocking = |fd: &OwnedFd| {
            rustix::fs::fcntl_getfl(fd)
                .unwrap()
                .contains(rustix::fs::OFlags::NONBLOCK)
        };
        for on in [true, true, false, false] {
            set_nonblocking(&fd, on).unwrap();
            assert_eq!(nonblocking(&fd), on);
        }
    }

    #[test]
    fn process_calls_keep_the_os_error() {
        // Our own process is nobody's child we can reap.
        let me = std::process::id() as libc::pid_t;
        let err = waitpid_nohang(me).unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::ECHILD));
        // 0 and negative pids name process groups: refused, not sent.
        let err = kill(0, Signal::KILL).unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::EINVAL));
        assert_eq!(
            waitpid_nohang(-1).unwrap_err().raw_os_error(),
            Some(libc::EINVAL)
        );
    }
}
