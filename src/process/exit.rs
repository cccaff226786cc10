//! A spawned child until it is reaped: [`Process`] (its pid, and how its
//! exit is watched) and what happens to one whose `Child` is dropped first
//! ([`Process::orphan`]).
//!
//! # Reaping without SIGCHLD
//!
//! Right after the spawn, `pidfd_open(pid)` gives a descriptor that refers to
//! that process and becomes readable once it exits. It is registered with
//! the reactor like a socket (readable interest, edge-triggered); a waiter
//! sleeps on it, and when it is readable `waitpid(pid, WNOHANG)` reaps the
//! child. No signal handler is installed and no thread waits in
//! `waitpid`: SIGCHLD keeps whatever disposition the program gave it.
//!
//! Only this module reaps, and only pids it spawned and has not reaped yet.
//! An unreaped child holds its pid (a zombie keeps it), so `waitpid(pid)`
//! cannot reach another process. Signals go through the pidfd
//! (`pidfd_send_signal`): even if something else in the program reaped the
//! child behind our back (a `waitpid(-1)`, or SIGCHLD set to `SIG_IGN`), a
//! later `kill` fails with `ESRCH` instead of hitting whichever process
//! got the number next.
//!
//! # Without pidfd
//!
//! Where `pidfd_open` fails with `ENOSYS` (Linux before 5.3) or `EPERM` (a
//! seccomp filter that refuses it), the first failure switches the whole
//! process to polling: a waiter calls `waitpid(pid, WNOHANG)` on a timer of
//! the runtime, 1 ms after it starts waiting and then at doubling intervals
//! up to 20 ms, so an exit is seen within 20 ms; `kill` is `kill(2)` on the
//! unreaped (hence still ours) pid. A blocking `waitpid` on the blocking
//! pool would see the exit at once, but would hold a pool thread per
//! waiting child and make the runtime's shutdown wait for children that may
//! never exit.
//!
//! # Dropped children
//!
//! A `Child` dropped before it was reaped (after `kill_on_drop`'s SIGKILL,
//! or still running) becomes a small detached task of the runtime that
//! spawned it, which waits as above and reaps it: no zombie stays behind
//! while the runtime runs. The task does not keep the runtime alive; when
//! the runtime shuts down, its drop takes a last look: an exited child is
//! reaped, a killed one is given up to a second to exit (SIGKILL is not
//! instantaneous) and reaped, and one still running is left running, as
//! tokio leaves it. That last one becomes a zombie when it exits, until this
//! process exits (or reaps it some other way).

use std::future::poll_fn;
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::process::ExitStatusExt;
use std::process::ExitStatus;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::task::{Context, Poll, ready};
use std::time::{Duration, Instant};

use rustix::process::Signal;

use crate::io::Interest;
use crate::io::registration::Registered;
use crate::runtime::driver::scheduled_io::{Direction, Ready};
use crate::runtime::scheduler::{self, Shared};
use crate::sys;
use crate::time::Sleep;

/// The pause before a polling waiter's first look, doubled after each look.
const POLL_FIRST: Duration = Duration::from_millis(1);
/// The longest pause between two looks of a polling waiter.
const POLL_MAX: Duration = Duration::from_millis(20);
/// How long the last look at a killed orphan waits for it to exit.
const KILLED_EXIT_WAIT: Duration = Duration::from_secs(1);

/// Cleared by the first `pidfd_open` that fails for want of pidfd support:
/// every later child is polled without trying again.
static PIDFD_SUPPORTED: AtomicBool = AtomicBool::new(true);

/// A child this runtime spawned and has not reaped.
pub(crate) struct Process {
    /// Ours until reaped: nothing else reaps it (see the module docs).
    pid: libc::pid_t,
    watch: ExitWatch,
    /// Set once a SIGKILL was sent: a dropped child then is expected to
    /// exit soon, and its last look may wait for that.
    killed: bool,
    /// The runtime that spawned it, where a dropped child is reaped.
    runtime: Arc<Shared>,
    /// Paused time: held from a wait's first pending poll until the exit
    /// is seen, so the clock does not jump past it (pidfd only: a polled
    /// exit is seen through the runtime's timers, which jumps serve).
    #[cfg(feature = "test-util")]
    in_flight: Option<crate::runtime::driver::time::clock::InFlight>,
    /// Dropped by its `Child`: nobody waits, so it holds no paused time.
    #[cfg(feature = "test-util")]
    orphaned: bool,
}

/// How a waiter learns that the child has exited.
enum ExitWatch {
    /// Its pidfd, on the reactor: readable once the child has exited.
    Pidfd(Registered<OwnedFd>),
    /// `waitpid(WNOHANG)` each time `sleep` fires; `delay` is the next pause.
    Polling { sleep: Sleep, delay: Duration },
}

impl Process {
    /// Starts watching `pid`, just spawned from inside `runtime`'s context:
    /// through a pidfd if `pidfd` is set and the kernel has them, else by
    /// polling.
    ///
    /// # Errors
    /// Those of `pidfd_open` (`EMFILE`, ...) and of the registration.
    pub(crate) fn watch(
        pid: libc::pid_t,
        pidfd: bool,
        runtime: Arc<Shared>,
    ) -> io::Result<Process> {
        let pidfd = if pidfd && PIDFD_SUPPORTED.load(Relaxed) {
            match sys::pidfd_open(pid) {
                Ok(fd) => Some(fd),
                Err(e) if matches!(e.raw_os_error(), Some(libc::ENOSYS | libc::EPERM)) => {
                    PIDFD_SUPPORTED.store(false, Relaxed);
                    None
                }
                Err(e) => return Err(e),
            }
        } else {
            None
        };
        let watch = match pidfd {
            // Nothing is assumed: if the child has exited already, the
            // registration itself reports the pidfd readable.
            Some(fd) => ExitWatch::Pidfd(Registered::with_interest(
                fd,
                Interest::READABLE,
                Ready::EMPTY,
            )?),
            None => ExitWatch::Polling {
                // Elapsed at once: the first wait arms it.
                sleep: Sleep::new(Instant::now(), "guillotine::process::Command::spawn"),
                delay: POLL_FIRST,
            },
        };
        Ok(Process {
            pid,
            watch,
            killed: false,
            runtime,
            #[cfg(feature = "test-util")]
            in_flight: None,
            #[cfg(feature = "test-util")]
            orphaned: false,
        })
    }

    pub(crate) fn pid(&self) -> libc::pid_t {
        self.pid
    }

    /// Whether the exit is watched through a pidfd (rather than polled).
    pub(crate) fn has_pidfd(&self) -> bool {
        matches!(self.watch, ExitWatch::Pidfd(_))
    }

    /// Reaps the child if it has exited.
    ///
    /// # Errors
    /// `ECHILD` if something else reaped it.
    pub(crate) fn try_reap(&self) -> io::Result<Option<ExitStatus>> {
        reap(self.pid)
    }

    /// Waits for the child to exit and reaps it.
    ///
    /// # Errors
    /// If the runtime has shut down (nothing would ever wake the waiter),
    /// or `ECHILD` if something else reaped the child.
    pub(crate) fn poll_exit(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<ExitStatus>> {
        let pid = self.pid;
        loop {
            match &mut self.watch {
                ExitWatch::Pidfd(pidfd) => {
                    let event = match pidfd.poll_ready(cx, Direction::Read) {
                        Poll::Ready(event) => event?,
                        Poll::Pending => {
                            #[cfg(feature = "test-util")]
                            if self.in_flight.is_none() && !self.orphaned {
                                let clock = &self.runtime.config.clock;
                                self.in_flight = Some(clock.in_flight(self.runtime.driver.clone()));
                            }
                            return Poll::Pending;
                        }
                    };
                    if let Some(status) = reap(pid)? {
                        #[cfg(feature = "test-util")]
                        self.in_flight.take();
                        return Poll::Ready(Ok(status));
                    }
                    // Readable while running is not in the kernel's
                    // contract; if it happens, wait for the next edge
                    // rather than spin.
                    pidfd.clear_readiness(event);
                }
                ExitWatch::Polling { sleep, delay } => {
                    if let Some(status) = reap(pid)? {
                        return Poll::Ready(Ok(status));
                    }
                    if sleep.is_elapsed() {
                        let next = sleep.now() + *delay;
                        std::pin::Pin::new(&mut *sleep).reset(next);
                        *delay = (*delay * 2).min(POLL_MAX);
                    }
                    ready!(sleep.poll_or_gone(cx))?;
                }
            }
        }
    }

    /// Sends SIGKILL.
    ///
    /// # Errors
    /// `ESRCH` if something else already reaped the child (only through
    /// the pidfd: without one, `kill(2)` could hit a recycled pid then).
    pub(crate) fn kill(&mut self) -> io::Result<()> {
        match &self.watch {
            ExitWatch::Pidfd(pidfd) => {
                match sys::pidfd_send_signal(pidfd.get_ref(), Signal::KILL) {
                    // A seccomp filter that allows pidfd_open but not this
                    // (both came in 5.x): the pid is ours while unreaped.
                    Err(e) if e.raw_os_error() == Some(libc::ENOSYS) => {
                        sys::kill(self.pid, Signal::KILL)?;
                    }
                    result => result?,
                }
            }
            ExitWatch::Polling { .. } => sys::kill(self.pid, Signal::KILL)?,
        }
        self.killed = true;
        Ok(())
    }

    /// The `Child` was dropped before reaping this process: reap it now if
    /// it has exited, else from a detached task of its runtime once it
    /// does (see the module docs for what happens at shutdown).
    pub(crate) fn orphan(#[allow(unused_mut)] mut self) {
        // Nobody waits for a dropped child: it does not hold paused time.
        #[cfg(feature = "test-util")]
        {
            self.in_flight.take();
            self.orphaned = true;
        }
        if !matches!(reap(self.pid), Ok(None)) {
            // Reaped now, or not ours to reap any more.
            return;
        }
        let runtime = self.runtime.clone();
        let mut orphan = Orphan {
            process: self,
            reaped: false,
        };
        // Detached: the runtime does not wait for it. Spawning onto a
        // runtime that has shut down drops the future at once, which takes
        // the last look.
        drop(scheduler::spawn(&runtime, async move {
            let reaped = poll_fn(|cx| orphan.process.poll_exit(cx)).await.is_ok();
            orphan.finish(reaped);
        }));
    }
}

impl std::fmt::Debug for Process {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let watch = match self.watch {
            ExitWatch::Pidfd(_) => "pidfd",
            ExitWatch::Polling { .. } => "polling",
        };
        f.debug_struct("Process")
            .field("pid", &self.pid)
            .field("exit_watch", &watch)
            .finish()
    }
}

/// A dropped child, owned by its reaping task.
struct Orphan {
    process: Process,
    /// Set by the task once it reaped the child.
    reaped: bool,
}

impl Orphan {
    /// The reaping task is done: with the child reaped, or (an error) not
    /// ours to reap any more, or its runtime gone.
    fn finish(mut self, reaped: bool) {
        self.reaped = reaped;
    }
}

impl Drop for Orphan {
    fn drop(&mut self) {
        if self.reaped {
            return;
        }
        // The runtime shut down first: the last look.
        match reap(self.process.pid) {
            Ok(None) if self.process.killed => {}
            _ => return,
        }
        match &self.process.watch {
            ExitWatch::Pidfd(pidfd) => {
                if matches!(
                    sys::poll_readable(pidfd.get_ref().as_fd(), KILLED_EXIT_WAIT),
                    Ok(true)
                ) {
                    let _ = reap(self.process.pid);
                }
            }
            ExitWatch::Polling { .. } => {
                let deadline = Instant::now() + KILLED_EXIT_WAIT;
                while matches!(reap(self.process.pid), Ok(None)) && Instant::now() < deadline {
                    std::thread::sleep(POLL_FIRST);
                }
            }
        }
    }
}

/// `waitpid(pid, WNOHANG)` as an `ExitStatus`.
fn reap(pid: libc::pid_t) -> io::Result<Option<ExitStatus>> {
    Ok(sys::waitpid_nohang(pid)?.map(ExitStatus::from_raw))
}
