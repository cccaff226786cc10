//! Child processes, as tokio's `process`: [`Command`] spawns a [`Child`],
//! whose exit is awaited without blocking a thread and whose piped stdin,
//! stdout and stderr are async streams.
//!
//! ```
//! use std::process::Stdio;
//! use guillotine::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
//! use guillotine::process::Command;
//!
//! let rt = guillotine::runtime::Runtime::new().unwrap();
//! rt.block_on(async {
//!     // Run to the end, collecting what it wrote.
//!     let output = Command::new("echo").arg("hello").output().await?;
//!     assert_eq!(output.stdout, b"hello\n");
//!
//!     // Or talk to it while it runs.
//!     let mut sort = Command::new("sort")
//!         .stdin(Stdio::piped())
//!         .stdout(Stdio::piped())
//!         .spawn()?;
//!     let mut stdin = sort.stdin.take().unwrap();
//!     stdin.write_all(b"pear\napple\n").await?;
//!     drop(stdin); // end-of-file: sort writes its output
//!     let mut lines = BufReader::new(sort.stdout.take().unwrap()).lines();
//!     let first = futures_lite::StreamExt::next(&mut lines).await.unwrap()?;
//!     assert_eq!(first, "apple");
//!     assert!(sort.wait().await?.success());
//!     Ok::<_, std::io::Error>(())
//! }).unwrap();
//! ```
//!
//! One child's output can be the next one's input, as with tokio:
//!
//! ```
//! use std::process::Stdio;
//! use guillotine::process::Command;
//!
//! let rt = guillotine::runtime::Runtime::new().unwrap();
//! rt.block_on(async {
//!     let mut echo = Command::new("echo").arg("shout").stdout(Stdio::piped()).spawn()?;
//!     let pipe: Stdio = echo.stdout.take().unwrap().try_into()?;
//!     let tr = Command::new("tr").args(["a-z", "A-Z"]).stdin(pipe).output();
//!     let (echoed, upper) = futures_lite::future::zip(echo.wait(), tr).await;
//!     assert!(echoed?.success());
//!     assert_eq!(upper?.stdout, b"SHOUT\n");
//!     Ok::<_, std::io::Error>(())
//! }).unwrap();
//! ```
//!
//! # How a child is waited for: pidfd, no SIGCHLD
//!
//! Right after the spawn, the runtime opens the child's *pidfd*
//! (`pidfd_open`, Linux 5.3+): a descriptor that refers to that process
//! alone and becomes readable when it exits. It sits on the reactor like a
//! socket; [`Child::wait`] sleeps until it is readable, then reaps the
//! child with `waitpid(pid, WNOHANG)`. Compared with tokio:
//!
//! - **No SIGCHLD handler is ever installed**, and no thread waits in
//!   `waitpid`: SIGCHLD's disposition stays whatever the program set, and
//!   other code that uses it is not disturbed. (tokio installs a
//!   process-wide SIGCHLD handler, even on its pidfd path.)
//! - **A dropped child is reaped as soon as it exits.** A [`Child`] dropped
//!   while the process still runs hands its pidfd to a small detached task
//!   of the runtime, which reaps the child when it exits; with
//!   [`kill_on_drop`](Command::kill_on_drop) the child gets SIGKILL first
//!   and is reaped the same way. No zombie lingers while the runtime runs.
//!   (tokio reaps dropped children when some other child's SIGCHLD comes.)
//! - **`kill` cannot hit a recycled pid.** [`Child::start_kill`] and
//!   [`Child::kill`] signal through the pidfd (`pidfd_send_signal`): if
//!   something else reaped the child, they fail with `ESRCH` rather than
//!   signal whichever process got its number next.
//!
//! The detached reaping tasks do not keep a runtime alive. When the
//! runtime shuts down, each takes a last look: an exited child is reaped;
//! one killed by `kill_on_drop` is given up to a second to exit and reaped;
//! one still running is left to run, as tokio leaves it, and once it exits
//! it stays a zombie until this process exits.
//!
//! A [`Child`] whose runtime has shut down can still be killed and
//! [`try_wait`](Child::try_wait)ed; [`wait`](Child::wait) fails at once
//! (nothing would wake it) unless the child has already exited.
//!
//! # Without pidfd (Linux before 5.3)
//!
//! Where `pidfd_open` is missing (`ENOSYS`) or refused by a seccomp filter
//! (`EPERM`), the first spawn that finds out switches this process to
//! polling, and nothing else changes for the caller: a waiter (or the task
//! of a dropped child) calls `waitpid(pid, WNOHANG)` on a runtime timer, 1
//! ms after it starts waiting and then at doubling intervals up to 20 ms,
//! so an exit is noticed within 20 ms; `kill` uses `kill(2)` on the pid,
//! which is still the child's because only this module reaps it. Still no
//! SIGCHLD handler and no thread per child: a blocking `waitpid` on the
//! blocking pool would notice at once, but it would hold a pool thread per
//! waiting child and make the runtime's shutdown wait for children that
//! may never exit.
//!
//! # Pipes
//!
//! [`ChildStdin`], [`ChildStdout`] and [`ChildStderr`] are our ends of the
//! pipes, made non-blocking and registered with the reactor (the child's
//! ends stay blocking). They implement the crate's I/O traits
//! ([`AsyncWrite`](crate::io::AsyncWrite), [`AsyncRead`](crate::io::AsyncRead))
//! and, with the `tokio-io` feature, tokio's. Drop `stdin` to give the
//! child end-of-file.

mod child;
mod command;
mod exit;
mod stdio;

pub use child::Child;
pub use command::Command;
pub use stdio::{ChildStderr, ChildStdin, ChildStdout};

/// Test hooks, reached through `guillotine::__private`.
pub(crate) mod hooks {
    use super::{Child, Command};

    /// Makes `command` watch its children by polling, as on a kernel
    /// without pidfd.
    pub(crate) fn force_polling(command: &mut Command) -> &mut Command {
        command.without_pidfd()
    }

    /// Whether `child`'s exit is watched through a pidfd.
    pub(crate) fn watched_by_pidfd(child: &Child) -> bool {
        child.watched_by_pidfd()
    }
}

fn _assert_kinds() {
    fn io_type<T: Send + Sync + Unpin + std::fmt::Debug>() {}
    io_type::<Child>();
    io_type::<ChildStdin>();
    io_type::<ChildStdout>();
    io_type::<ChildStderr>();
    fn send_sync<T: Send + Sync + std::fmt::Debug>() {}
    send_sync::<Command>();
}
