//! [`Command`]: std's builder, with spawning that puts the child on the
//! reactor.

use std::ffi::OsStr;
use std::future::Future;
use std::io;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command as StdCommand, ExitStatus, Output, Stdio};

use super::child::Child;
use super::exit::Process;
use super::stdio::{ChildStderr, ChildStdin, ChildStdout};
use crate::io::registration::NO_REACTOR;
use crate::runtime::context;

/// A process builder, as tokio's `Command`: std's
/// [`Command`](std::process::Command) with [`spawn`](Command::spawn),
/// [`status`](Command::status) and [`output`](Command::output) that do not
/// block the thread.
///
/// ```
/// use guillotine::process::Command;
///
/// let rt = guillotine::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     let output = Command::new("sh")
///         .arg("-c")
///         .arg("echo $GREETING from $PWD")
///         .env("GREETING", "hello")
///         .current_dir("/")
///         .output()
///         .await?;
///     assert!(output.status.success());
///     assert_eq!(output.stdout, b"hello from /\n");
///     Ok::<_, std::io::Error>(())
/// }).unwrap();
/// ```
#[derive(Debug)]
pub struct Command {
    std: StdCommand,
    kill_on_drop: bool,
    /// Watch children through a pidfd where the kernel has them (tests
    /// clear it to run the polling fallback).
    pidfd: bool,
}

impl Command {
    /// A command for `program` (looked up in `PATH` unless it is a path),
    /// with no arguments, this process's environment and working directory,
    /// and, for `spawn` and `status`, its stdin, stdout and stderr.
    ///
    /// ```
    /// let mut command = guillotine::process::Command::new("ls");
    /// assert_eq!(command.as_std().get_program(), "ls");
    /// # let _ = &mut command;
    /// ```
    pub fn new<S: AsRef<OsStr>>(program: S) -> Command {
        Command::from(StdCommand::new(program))
    }

    /// The std builder inside, to read its settings (`get_program`,
    /// `get_args`, `get_envs`, ...).
    ///
    /// ```
    /// let mut command = guillotine::process::Command::new("ls");
    /// command.args(["-l", "-a"]);
    /// assert_eq!(command.as_std().get_args().count(), 2);
    /// ```
    pub fn as_std(&self) -> &StdCommand {
        &self.std
    }

    /// The std builder inside, mutably: for what only std offers, such as
    /// [`CommandExt`]'s `pre_exec`.
    ///
    /// ```
    /// use std::os::unix::process::CommandExt;
    ///
    /// let mut command = guillotine::process::Command::new("sh");
    /// command.as_std_mut().arg0("renamed");
    /// ```
    pub fn as_std_mut(&mut self) -> &mut StdCommand {
        &mut self.std
    }

    /// The std builder inside (`kill_on_drop` is not std's and is lost).
    ///
    /// ```
    /// let std: std::process::Command = guillotine::process::Command::new("ls").into_std();
    /// assert_eq!(std.get_program(), "ls");
    /// ```
    pub fn into_std(self) -> StdCommand {
        self.std
    }

    /// Adds one argument.
    ///
    /// ```
    /// let mut command = guillotine::process::Command::new("ls");
    /// command.arg("-l").arg("/");
    /// assert_eq!(command.as_std().get_args().collect::<Vec<_>>(), ["-l", "/"]);
    /// ```
    pub fn arg<S: AsRef<OsStr>>(&mut self, arg: S) -> &mut Command {
        self.std.arg(arg);
        self
    }

    /// Adds several arguments.
    ///
    /// ```
    /// let mut command = guillotine::process::Command::new("ls");
    /// command.args(["-l", "/"]);
    /// assert_eq!(command.as_std().get_args().count(), 2);
    /// ```
    pub fn args<I, S>(&mut self, args: I) -> &mut Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.std.args(args);
        self
    }

    /// Sets (or overrides) one environment variable.
    ///
    /// ```
    /// let mut command = guillotine::process::Command::new("env");
    /// command.env("KEY", "value");
    /// assert_eq!(command.as_std().get_envs().count(), 1);
    /// ```
    pub fn env<K, V>(&mut self, key: K, val: V) -> &mut Command
    where
        K: AsRef<OsStr>,
        V: AsRef<OsStr>,
    {
        self.std.env(key, val);
        self
    }

    /// Sets several environment variables.
    ///
    /// ```
    /// let mut command = guillotine::process::Command::new("env");
    /// command.envs([("A", "1"), ("B", "2")]);
    /// assert_eq!(command.as_std().get_envs().count(), 2);
    /// ```
    pub fn envs<I, K, V>(&mut self, vars: I) -> &mut Command
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<OsStr>,
        V: AsRef<OsStr>,
    {
        self.std.envs(vars);
        self
    }

    /// Removes one variable from the child's environment.
    ///
    /// ```
    /// let mut command = guillotine::process::Command::new("env");
    /// command.env_remove("PATH");
    /// ```
    pub fn env_remove<K: AsRef<OsStr>>(&mut self, key: K) -> &mut Command {
        self.std.env_remove(key);
        self
    }

    /// Starts the child with an empty environment (plus what `env` adds).
    ///
    /// ```
    /// let rt = guillotine::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let out = guillotine::process::Command::new("/usr/bin/env")
    ///         .env_clear()
    ///         .env("ONLY", "this")
    ///         .output()
    ///         .await?;
    ///     assert_eq!(out.stdout, b"ONLY=this\n");
    ///     Ok::<_, std::io::Error>(())
    /// }).unwrap();
    /// ```
    pub fn env_clear(&mut self) -> &mut Command {
        self.std.env_clear();
        self
    }

    /// Sets the child's working directory.
    ///
    /// ```
    /// let mut command = guillotine::process::Command::new("ls");
    /// command.current_dir("/tmp");
    /// assert_eq!(command.as_std().get_current_dir(), Some(std::path::Path::new("/tmp")));
    /// ```
    pub fn current_dir<P: AsRef<Path>>(&mut self, dir: P) -> &mut Command {
        self.std.current_dir(dir);
        self
    }

    /// Sets the child's stdin: [`Stdio::piped`] for a [`ChildStdin`] in
    /// [`Child::stdin`], or `null`, `inherit` (the default), a file, or
    /// another child's pipe (`ChildStdout` converts with `try_into`).
    ///
    /// ```
    /// use std::process::Stdio;
    /// let mut command = guillotine::process::Command::new("cat");
    /// command.stdin(Stdio::null());
    /// ```
    pub fn stdin<T: Into<Stdio>>(&mut self, cfg: T) -> &mut Command {
        self.std.stdin(cfg);
        self
    }

    /// Sets the child's stdout; see [`stdin`](Command::stdin).
    /// [`output`](Command::output) pipes it whatever this says (as tokio).
    ///
    /// ```
    /// use std::process::Stdio;
    /// let mut command = guillotine::process::Command::new("ls");
    /// command.stdout(Stdio::piped());
    /// ```
    pub fn stdout<T: Into<Stdio>>(&mut self, cfg: T) -> &mut Command {
        self.std.stdout(cfg);
        self
    }

    /// Sets the child's stderr; see [`stdin`](Command::stdin).
    /// [`output`](Command::output) pipes it whatever this says (as tokio).
    ///
    /// ```
    /// use std::process::Stdio;
    /// let mut command = guillotine::process::Command::new("ls");
    /// command.stderr(Stdio::null());
    /// ```
    pub fn stderr<T: Into<Stdio>>(&mut self, cfg: T) -> &mut Command {
        self.std.stderr(cfg);
        self
    }

    /// Whether dropping the [`Child`] (or the future of
    /// [`status`](Command::status) or [`output`](Command::output)) before
    /// the child was reaped sends it SIGKILL. Off by default, as in std and
    /// tokio.
    ///
    /// Better than tokio: the killed child is then reaped by the runtime
    /// as soon as it has exited (through its pidfd), so it leaves no
    /// zombie; if the runtime shuts down first, its shutdown waits up to a
    /// second for the killed child to exit and reaps it.
    ///
    /// ```
    /// let rt = guillotine::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let child = guillotine::process::Command::new("sleep")
    ///         .arg("60")
    ///         .kill_on_drop(true)
    ///         .spawn()?;
    ///     drop(child); // SIGKILL now; reaped by the runtime once it has exited
    ///     Ok::<_, std::io::Error>(())
    /// }).unwrap();
    /// ```
    pub fn kill_on_drop(&mut self, kill_on_drop: bool) -> &mut Command {
        self.kill_on_drop = kill_on_drop;
        self
    }

    /// Whether [`kill_on_drop`](Command::kill_on_drop) is set.
    ///
    /// ```
    /// let mut command = guillotine::process::Command::new("ls");
    /// assert!(!command.get_kill_on_drop());
    /// assert!(command.kill_on_drop(true).get_kill_on_drop());
    /// ```
    pub fn get_kill_on_drop(&self) -> bool {
        self.kill_on_drop
    }

    /// Sets the child's user id (`setuid` in the child; a failure fails the
    /// spawn).
    ///
    /// ```
    /// let mut command = guillotine::process::Command::new("id");
    /// // SAFETY: getuid has no preconditions.
    /// command.uid(unsafe { libc::getuid() });
    /// ```
    pub fn uid(&mut self, id: u32) -> &mut Command {
        self.std.uid(id);
        self
    }

    /// Sets the child's group id (`setgid` in the child).
    ///
    /// ```
    /// let mut command = guillotine::process::Command::new("id");
    /// // SAFETY: getgid has no preconditions.
    /// command.gid(unsafe { libc::getgid() });
    /// ```
    pub fn gid(&mut self, id: u32) -> &mut Command {
        self.std.gid(id);
        self
    }

    /// Sets `argv[0]`, the name the program sees itself called by.
    ///
    /// ```
    /// let rt = guillotine::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let out = guillotine::process::Command::new("sh")
    ///         .arg0("my-shell")
    ///         .args(["-c", "echo $0"])
    ///         .output()
    ///         .await?;
    ///     assert_eq!(out.stdout, b"my-shell\n");
    ///     Ok::<_, std::io::Error>(())
    /// }).unwrap();
    /// ```
    pub fn arg0<S: AsRef<OsStr>>(&mut self, arg: S) -> &mut Command {
        self.std.arg0(arg);
        self
    }

    /// Puts the child in process group `pgroup` (0: a new group led by the
    /// child), so that signals to the terminal's foreground group (Ctrl-C)
    /// do not reach it. (tokio has it behind `tokio_unstable`.)
    ///
    /// ```
    /// let rt = guillotine::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let mut child = guillotine::process::Command::new("sleep")
    ///         .arg("60")
    ///         .process_group(0)
    ///         .spawn()?;
    ///     let pid = child.id().unwrap() as i32;
    ///     // SAFETY: getpgid takes no pointer.
    ///     assert_eq!(unsafe { libc::getpgid(pid) }, pid, "it leads its own group");
    ///     child.kill().await?;
    ///     Ok::<_, std::io::Error>(())
    /// }).unwrap();
    /// ```
    pub fn process_group(&mut self, pgroup: i32) -> &mut Command {
        self.std.process_group(pgroup);
        self
    }

    /// Starts the child and returns its [`Child`]: the piped streams are
    /// registered with the current runtime, and so is the child's pidfd,
    /// opened right after the spawn, through which the runtime learns of
    /// its exit (see the [module docs](super)).
    ///
    /// # Errors
    /// std's spawn errors: `NotFound` for a missing program,
    /// `PermissionDenied`, `WouldBlock` when the process limit is reached,
    /// ...; and those of `pidfd_open` and of registering with the reactor
    /// (the child is then killed and reaped before the error returns).
    ///
    /// # Panics
    /// Outside a runtime (the child's pipes and exit would have no reactor
    /// to wait on), with tokio's "no reactor running" message.
    ///
    /// ```
    /// let rt = guillotine::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let err = guillotine::process::Command::new("no-such-program-here").spawn().unwrap_err();
    ///     assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
    /// });
    /// ```
    #[track_caller]
    pub fn spawn(&mut self) -> io::Result<Child> {
        let Some(runtime) = context::handle() else {
            panic!("{NO_REACTOR}");
        };
        let mut child = self.std.spawn()?;
        let pid = child.id() as libc::pid_t;
        let wrapped = Process::watch(pid, self.pidfd, runtime).and_then(|process| {
            let stdin = child.stdin.take().map(ChildStdin::from_std).transpose()?;
            let stdout = child.stdout.take().map(ChildStdout::from_std).transpose()?;
            let stderr = child.stderr.take().map(ChildStderr::from_std).transpose()?;
            Ok(Child::new(
                process,
                self.kill_on_drop,
                stdin,
                stdout,
                stderr,
            ))
        });
        if wrapped.is_err() {
            // The caller gets no `Child`: leave no process behind either.
            // Nothing else has reaped it, so the pid is still this child's.
            let _ = child.kill();
            let _ = child.wait();
        }
        wrapped
    }

    /// Starts the child and waits for it to exit; resolves to its status.
    /// The child inherits stdin, stdout and stderr unless told otherwise;
    /// piped ones are closed at once (so the child cannot block on them).
    ///
    /// The child starts when this is called, not when the future is first
    /// polled, as in tokio.
    ///
    /// # Errors
    /// Those of [`spawn`](Command::spawn) and [`Child::wait`].
    ///
    /// # Panics
    /// Outside a runtime.
    ///
    /// ```
    /// let rt = guillotine::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let status = guillotine::process::Command::new("false").status().await?;
    ///     assert_eq!(status.code(), Some(1));
    ///     Ok::<_, std::io::Error>(())
    /// }).unwrap();
    /// ```
    #[track_caller]
    pub fn status(&mut self) -> impl Future<Output = io::Result<ExitStatus>> + use<> {
        let child = self.spawn();
        async {
            let mut child = child?;
            drop(child.stdin.take());
            drop(child.stdout.take());
            drop(child.stderr.take());
            child.wait().await
        }
    }

    /// Starts the child with stdout and stderr piped (whatever the command
    /// said, as tokio does) and resolves to its status and everything it
    /// wrote to them; see [`Child::wait_with_output`]. Stdin is inherited
    /// unless set otherwise (as tokio; std's `output` uses `null`).
    ///
    /// # Errors
    /// Those of [`spawn`](Command::spawn) and [`Child::wait_with_output`].
    ///
    /// # Panics
    /// Outside a runtime.
    ///
    /// ```
    /// let rt = guillotine::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let output = guillotine::process::Command::new("echo").arg("hello").output().await?;
    ///     assert_eq!(output.stdout, b"hello\n");
    ///     assert!(output.stderr.is_empty());
    ///     Ok::<_, std::io::Error>(())
    /// }).unwrap();
    /// ```
    #[track_caller]
    pub fn output(&mut self) -> impl Future<Output = io::Result<Output>> + use<> {
        self.std.stdout(Stdio::piped());
        self.std.stderr(Stdio::piped());
        let child = self.spawn();
        async { child?.wait_with_output().await }
    }

    /// Watches the next children by polling, as without pidfd support.
    pub(crate) fn without_pidfd(&mut self) -> &mut Command {
        self.pidfd = false;
        self
    }
}

impl From<StdCommand> for Command {
    /// Wraps a configured std command (`kill_on_drop` off).
    ///
    /// ```
    /// let mut std = std::process::Command::new("ls");
    /// std.arg("/");
    /// let command = guillotine::process::Command::from(std);
    /// assert_eq!(command.as_std().get_args().count(), 1);
    /// ```
    fn from(std: StdCommand) -> Command {
        Command {
            std,
            kill_on_drop: false,
            pidfd: true,
        }
    }
}
