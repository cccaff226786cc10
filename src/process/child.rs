//! [`Child`]: a spawned process, its exit status once reaped, and its piped
//! standard streams.

use std::fmt;
use std::future::poll_fn;
use std::io;
use std::process::{ExitStatus, Output};
use std::task::{Context, Poll, ready};

use super::exit::Process;
use super::stdio::{ChildStderr, ChildStdin, ChildStdout};
use crate::io::AsyncReadExt;

/// A child process spawned by [`Command`](super::Command), as tokio's
/// `Child`: [`wait`](Child::wait) for it, [`kill`](Child::kill) it, and
/// talk to it through the piped streams in its public fields.
///
/// Its exit is watched through a pidfd on the reactor (see the
/// [module docs](super)): no SIGCHLD handler, no reaper thread.
///
/// Dropping a `Child` does not stop the process (unless
/// [`kill_on_drop`](super::Command::kill_on_drop) was set), as in std and
/// tokio; unlike tokio, the runtime that spawned it then reaps it as soon
/// as it exits, so it never lingers as a zombie while the runtime runs.
///
/// ```
/// use std::process::Stdio;
/// use guillotine::io::AsyncReadExt;
/// use guillotine::process::Command;
///
/// let rt = guillotine::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     let mut child = Command::new("sh")
///         .args(["-c", "echo ready; exit 3"])
///         .stdout(Stdio::piped())
///         .spawn()?;
///     assert!(child.id().is_some());
///     let mut line = String::new();
///     child.stdout.take().unwrap().read_to_string(&mut line).await?;
///     assert_eq!(line, "ready\n");
///     let status = child.wait().await?;
///     assert_eq!(status.code(), Some(3));
///     assert_eq!(child.id(), None, "reaped");
///     Ok::<_, std::io::Error>(())
/// }).unwrap();
/// ```
pub struct Child {
    child: ChildState,
    /// Our end of the child's stdin, if it was [`piped`](std::process::Stdio::piped).
    /// [`take`](Option::take) it to write while calling `Child`'s methods:
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// # let mut child = guillotine::process::Command::new("cat")
    /// #     .stdin(std::process::Stdio::piped()).spawn().unwrap();
    /// let stdin = child.stdin.take().unwrap();
    /// # drop(stdin);
    /// # child.wait().await.unwrap();
    /// # });
    /// ```
    pub stdin: Option<ChildStdin>,
    /// Our end of the child's stdout, if it was [`piped`](std::process::Stdio::piped).
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// # let mut child = guillotine::process::Command::new("true")
    /// #     .stdout(std::process::Stdio::piped()).spawn().unwrap();
    /// let stdout = child.stdout.take().unwrap();
    /// # drop(stdout);
    /// # child.wait().await.unwrap();
    /// # });
    /// ```
    pub stdout: Option<ChildStdout>,
    /// Our end of the child's stderr, if it was [`piped`](std::process::Stdio::piped).
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// # let mut child = guillotine::process::Command::new("true")
    /// #     .stderr(std::process::Stdio::piped()).spawn().unwrap();
    /// let stderr = child.stderr.take().unwrap();
    /// # drop(stderr);
    /// # child.wait().await.unwrap();
    /// # });
    /// ```
    pub stderr: Option<ChildStderr>,
}

/// The process itself, apart from the public fields (so that they can be
/// moved out of a `Child` although this part has a destructor).
struct ChildState {
    state: State,
    /// Send SIGKILL when dropped before the child was reaped.
    kill_on_drop: bool,
}

enum State {
    /// Not reaped yet.
    Running(Process),
    /// Reaped; the status stays for later calls.
    Done(ExitStatus),
}

impl Child {
    pub(crate) fn new(
        process: Process,
        kill_on_drop: bool,
        stdin: Option<ChildStdin>,
        stdout: Option<ChildStdout>,
        stderr: Option<ChildStderr>,
    ) -> Child {
        Child {
            child: ChildState {
                state: State::Running(process),
                kill_on_drop,
            },
            stdin,
            stdout,
            stderr,
        }
    }

    /// The child's process id while it is not reaped; `None` once
    /// [`wait`](Child::wait) or [`try_wait`](Child::try_wait) has returned
    /// its status, as the pid may then belong to another process.
    ///
    /// ```
    /// let rt = guillotine::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let mut child = guillotine::process::Command::new("true").spawn()?;
    ///     assert!(child.id().is_some_and(|pid| pid > 0));
    ///     child.wait().await?;
    ///     assert_eq!(child.id(), None);
    ///     Ok::<_, std::io::Error>(())
    /// }).unwrap();
    /// ```
    pub fn id(&self) -> Option<u32> {
        match &self.child.state {
            State::Running(process) => u32::try_from(process.pid()).ok(),
            State::Done(_) => None,
        }
    }

    /// Sends SIGKILL without waiting for the child to exit (then
    /// [`wait`](Child::wait) reaps it, or dropping the `Child` lets the
    /// runtime reap it).
    ///
    /// The signal goes through the child's pidfd (`pidfd_send_signal`), so
    /// it reaches this child or nobody: never another process that got its
    /// pid after it was reaped.
    ///
    /// # Errors
    /// `InvalidInput` once the child has been reaped (as tokio's); `ESRCH`
    /// if something else in the program reaped it.
    ///
    /// ```
    /// use std::os::unix::process::ExitStatusExt;
    ///
    /// let rt = guillotine::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let mut child = guillotine::process::Command::new("sleep").arg("60").spawn()?;
    ///     child.start_kill()?;
    ///     assert_eq!(child.wait().await?.signal(), Some(libc::SIGKILL));
    ///     assert!(child.start_kill().is_err(), "already reaped");
    ///     Ok::<_, std::io::Error>(())
    /// }).unwrap();
    /// ```
    pub fn start_kill(&mut self) -> io::Result<()> {
        match &mut self.child.state {
            State::Running(process) => process.kill(),
            State::Done(_) => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "invalid argument: can't kill an exited process",
            )),
        }
    }

    /// Sends SIGKILL and waits until the child has exited and is reaped.
    ///
    /// # Errors
    /// Those of [`start_kill`](Child::start_kill) and [`wait`](Child::wait).
    ///
    /// ```
    /// let rt = guillotine::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let mut child = guillotine::process::Command::new("sleep").arg("60").spawn()?;
    ///     child.kill().await?;
    ///     assert_eq!(child.id(), None, "killed and reaped");
    ///     Ok::<_, std::io::Error>(())
    /// }).unwrap();
    /// ```
    pub async fn kill(&mut self) -> io::Result<()> {
        self.start_kill()?;
        self.wait().await?;
        Ok(())
    }

    /// Waits for the child to exit, reaps it and returns its status; later
    /// calls return the same status.
    ///
    /// Closes [`stdin`](Child::stdin) first (so a child that reads it to
    /// the end can finish); `take` it beforehand to keep it open.
    ///
    /// # Cancel safety
    /// Cancel-safe: a dropped `wait` loses nothing, the next call
    /// continues.
    ///
    /// # Errors
    /// If the runtime that spawned the child has shut down (the wait could
    /// never end), or `ECHILD` if something else in the program reaped it
    /// (a `waitpid(-1)`, or SIGCHLD set to `SIG_IGN`, with which the kernel
    /// reaps children itself), as with std.
    ///
    /// ```
    /// let rt = guillotine::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let mut child = guillotine::process::Command::new("sh").args(["-c", "exit 7"]).spawn()?;
    ///     assert_eq!(child.wait().await?.code(), Some(7));
    ///     assert_eq!(child.wait().await?.code(), Some(7));
    ///     Ok::<_, std::io::Error>(())
    /// }).unwrap();
    /// ```
    pub async fn wait(&mut self) -> io::Result<ExitStatus> {
        drop(self.stdin.take());
        poll_fn(|cx| self.child.poll_wait(cx)).await
    }

    /// Reaps the child if it has exited, without waiting: `Ok(None)` while
    /// it runs. Unlike [`wait`](Child::wait) it leaves stdin open.
    ///
    /// # Errors
    /// `ECHILD` if something else in the program reaped the child.
    ///
    /// ```
    /// use std::process::Stdio;
    ///
    /// let rt = guillotine::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let mut child = guillotine::process::Command::new("cat").stdin(Stdio::piped()).spawn()?;
    ///     assert_eq!(child.try_wait()?, None, "cat waits for its input");
    ///     drop(child.stdin.take());
    ///     let status = child.wait().await?;
    ///     assert_eq!(child.try_wait()?, Some(status));
    ///     Ok::<_, std::io::Error>(())
    /// }).unwrap();
    /// ```
    pub fn try_wait(&mut self) -> io::Result<Option<ExitStatus>> {
        match &self.child.state {
            State::Done(status) => Ok(Some(*status)),
            State::Running(process) => {
                let status = process.try_reap()?;
                if let Some(status) = status {
                    self.child.state = State::Done(status);
                }
                Ok(status)
            }
        }
    }

    /// Waits for the child to exit while reading its piped stdout and
    /// stderr to their ends, all at once (so a child that fills one pipe
    /// while we wait on the other never deadlocks). Closes stdin first.
    /// Streams that were not piped come back empty.
    ///
    /// # Errors
    /// Those of [`wait`](Child::wait) and of reading the pipes.
    ///
    /// ```
    /// use std::process::Stdio;
    ///
    /// let rt = guillotine::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let child = guillotine::process::Command::new("sh")
    ///         .args(["-c", "echo out; echo err >&2"])
    ///         .stdout(Stdio::piped())
    ///         .stderr(Stdio::piped())
    ///         .spawn()?;
    ///     let output = child.wait_with_output().await?;
    ///     assert!(output.status.success());
    ///     assert_eq!((&output.stdout[..], &output.stderr[..]), (&b"out\n"[..], &b"err\n"[..]));
    ///     Ok::<_, std::io::Error>(())
    /// }).unwrap();
    /// ```
    pub async fn wait_with_output(mut self) -> io::Result<Output> {
        async fn read_to_end<R: crate::io::AsyncRead + Unpin>(
            pipe: &mut Option<R>,
        ) -> io::Result<Vec<u8>> {
            let mut buf = Vec::new();
            if let Some(pipe) = pipe {
                pipe.read_to_end(&mut buf).await?;
            }
            Ok(buf)
        }

        let mut stdout = self.stdout.take();
        let mut stderr = self.stderr.take();
        let ((status, stdout_bytes), stderr_bytes) = futures_lite::future::try_zip(
            futures_lite::future::try_zip(self.wait(), read_to_end(&mut stdout)),
            read_to_end(&mut stderr),
        )
        .await?;
        // Closed only after the join, as tokio does (tokio#4309).
        drop((stdout, stderr));
        Ok(Output {
            status,
            stdout: stdout_bytes,
            stderr: stderr_bytes,
        })
    }

    /// Whether the exit is watched through a pidfd (`false`: polled, as
    /// without pidfd support, or reaped already).
    pub(crate) fn watched_by_pidfd(&self) -> bool {
        matches!(&self.child.state, State::Running(p) if p.has_pidfd())
    }
}

impl ChildState {
    fn poll_wait(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<ExitStatus>> {
        match &mut self.state {
            State::Done(status) => Poll::Ready(Ok(*status)),
            State::Running(process) => {
                let status = ready!(process.poll_exit(cx))?;
                // Closes the pidfd (deregistered first).
                self.state = State::Done(status);
                Poll::Ready(Ok(status))
            }
        }
    }
}

impl Drop for ChildState {
    fn drop(&mut self) {
        let State::Running(process) =
            std::mem::replace(&mut self.state, State::Done(ExitStatus::default()))
        else {
            return;
        };
        let mut process = process;
        if self.kill_on_drop {
            // Fails only if something else reaped it: nothing left to kill.
            let _ = process.kill();
        }
        process.orphan();
    }
}

impl fmt::Debug for Child {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Child");
        match &self.child.state {
            State::Running(process) => d.field("process", process),
            State::Done(status) => d.field("status", status),
        };
        d.field("kill_on_drop", &self.child.kill_on_drop)
            .field("stdin", &self.stdin)
            .field("stdout", &self.stdout)
            .field("stderr", &self.stderr)
            .finish()
    }
}
