//! What `#[guillotine::main]` and `#[guillotine::test]` expand to: building
//! the runtime the attribute asked for, running the function's body on it
//! (boxed when it is large), and a test's timeout. Reached as
//! `guillotine::__private`; not part of the API, and free to change with the
//! attributes.

use std::future::Future;
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::process::{ExitCode, Termination};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread;
use std::time::Duration;

use crate::runtime::{Builder, Runtime};

/// Above this size (in bytes) a body's future is moved to the heap before
/// `block_on` takes it: `block_on` moves its future down a few frames, and
/// unoptimised builds keep a copy in each, so a future of a few hundred KiB
/// would overflow a test thread's 2 MiB stack. Debug frames are larger,
/// hence the lower bound there.
const BOX_THRESHOLD: usize = if cfg!(debug_assertions) { 2048 } else { 16384 };

/// The runtime an attribute asked for.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// `None`: current-thread; `Some(0)`: multi-thread with the default
    /// number of workers; `Some(n)`: multi-thread with `n` workers.
    workers: Option<usize>,
    /// `start_paused` and `auto_advance` (paused time, `test-util`).
    start_paused: bool,
    auto_advance: bool,
}

/// What `start_paused` and `auto_advance` need: implemented only with the
/// `test-util` feature, so that without it the attribute fails to compile
/// with this message rather than at run time.
#[diagnostic::on_unimplemented(
    message = "`start_paused` and `auto_advance` need guillotine's `test-util` feature",
    label = "paused time is behind the `test-util` feature",
    note = "enable it for tests: guillotine = {{ version = \"...\", features = [\"test-util\"] }} in [dev-dependencies]"
)]
pub trait PausedTime {}

#[cfg(feature = "test-util")]
impl PausedTime for () {}

impl Settings {
    /// `flavor = "current_thread"`.
    pub const fn current_thread() -> Settings {
        Settings {
            workers: None,
            start_paused: false,
            auto_advance: true,
        }
    }

    /// `start_paused = ..`.
    pub const fn start_paused<P: PausedTime>(mut self, paused: bool) -> Settings {
        self.start_paused = paused;
        self
    }

    /// `auto_advance = ..`.
    pub const fn auto_advance<P: PausedTime>(mut self, on: bool) -> Settings {
        self.auto_advance = on;
        self
    }

    /// `flavor = "multi_thread"`, with `worker_threads` if given (the macro
    /// rejects 0).
    pub const fn multi_thread(worker_threads: Option<usize>) -> Settings {
        Settings {
            workers: match worker_threads {
                Some(n) => Some(n),
                None => Some(0),
            },
            start_paused: false,
            auto_advance: true,
        }
    }

    fn runtime(self) -> Runtime {
        let mut builder = match self.workers {
            None => Builder::new_current_thread(),
            Some(n) => {
                let mut builder = Builder::new_multi_thread();
                if n > 0 {
                    builder.worker_threads(n);
                }
                builder
            }
        };
        #[cfg(feature = "test-util")]
        builder
            .start_paused(self.start_paused)
            .auto_advance(self.auto_advance);
        builder
            .build()
            .expect("failed to build the guillotine runtime")
    }
}

/// Builds the runtime and runs the future `make` returns on it: the body of
/// a `#[guillotine::main]` function, or of a `#[guillotine::test]` without a
/// timeout. `T` is the function's return type, named when the macro can
/// name it so that errors about the body's type point at the body.
pub fn block_on<T, C, F>(settings: Settings, make: C) -> T
where
    C: FnOnce() -> F,
    F: Future<Output = T>,
{
    let runtime = settings.runtime();
    // A constant after monomorphisation: only the taken branch is compiled.
    if const { size_of::<F>() > BOX_THRESHOLD } {
        runtime.block_on(boxed(make))
    } else {
        run_in_place(&runtime, make)
    }
}

/// Makes the future in a frame of its own and moves it to the heap: the copy
/// on the stack dies with this frame, before the future is first polled.
#[inline(never)]
fn boxed<C, F>(make: C) -> Pin<Box<F>>
where
    C: FnOnce() -> F,
{
    Box::pin(make())
}

/// The small-future path, in a frame of its own so that the large-future
/// path's caller does not reserve room for a future it never holds.
#[inline(never)]
fn run_in_place<C, F>(runtime: &Runtime, make: C) -> F::Output
where
    C: FnOnce() -> F,
    F: Future,
{
    runtime.block_on(make())
}

/// A `#[guillotine::test]`'s `timeout`.
#[derive(Debug, Clone, Copy)]
pub struct Timeout {
    /// The test function's module (`module_path!()`, crate name first).
    pub module: &'static str,
    /// The test function's name.
    pub function: &'static str,
    /// How long the body may run.
    pub after: Duration,
    /// The timeout as the attribute wrote it, for the message.
    pub written: &'static str,
}

impl Timeout {
    /// The test's name as the test harness lists it (the module path without
    /// the crate's name).
    fn test_name(&self) -> String {
        match self.module.split_once("::") {
            Some((_crate, path)) => format!("{path}::{}", self.function),
            None => self.function.to_owned(),
        }
    }
}

/// Runs a `#[guillotine::test(timeout = ..)]` body: on a thread of its own,
/// which builds the runtime, while this thread waits at most
/// `timeout.after`. The body's result is reported (as the test harness
/// would) on its thread, and its panic resumed on this one, so
/// `#[should_panic(expected = ..)]` sees the body's own payload. When the
/// time runs out this thread panics with a message naming the test and the
/// timeout; the body's thread is left behind, still running (nothing can
/// stop a thread that blocks), until the test process exits.
///
/// # Panics
/// When the body panics (with its payload) or runs out of time (at the
/// test's line).
#[track_caller]
pub fn block_on_with_timeout<T, C, F>(settings: Settings, timeout: Timeout, make: C) -> ExitCode
where
    C: FnOnce() -> F + Send + 'static,
    F: Future<Output = T>,
    T: Termination,
{
    let (done, finished) = mpsc::channel();
    // The harness names a test's thread after the test; the body's thread
    // keeps that name for its panic messages.
    let mut body_thread = thread::Builder::new();
    if let Some(name) = thread::current().name() {
        body_thread = body_thread.name(name.to_owned());
    }
    let body = body_thread
        .spawn(move || {
            let result =
                panic::catch_unwind(AssertUnwindSafe(|| block_on(settings, make).report()));
            // The test thread has stopped listening only if it timed out.
            let _ = done.send(result);
        })
        .expect("failed to start the thread of a test with a timeout");
    match finished.recv_timeout(timeout.after) {
        Ok(result) => {
            // Finished: the thread is only returning now.
            let _ = body.join();
            match result {
                Ok(code) => code,
                Err(payload) => panic::resume_unwind(payload),
            }
        }
        Err(RecvTimeoutError::Timeout) => panic!(
            "test `{}` timed out after {} (#[guillotine::test(timeout = \"{}\")]); \
             its body is left running on its thread",
            timeout.test_name(),
            timeout.written,
            timeout.written,
        ),
        Err(RecvTimeoutError::Disconnected) => {
            // Only if the thread died without sending (the channel is sent
            // on after catch_unwind), e.g. a panic while dropping a payload.
            let _ = body.join();
            panic!(
                "test `{}`: the thread running its body ended without a result",
                timeout.test_name()
            )
        }
    }
}

/// Makes `command` watch its children by polling `waitpid`, as on a kernel
/// without pidfd (Linux before 5.3): how the tests run the fallback.
pub fn process_force_polling(
    command: &mut crate::process::Command,
) -> &mut crate::process::Command {
    crate::process::hooks::force_polling(command)
}

/// Whether `child`'s exit is watched through a pidfd (`false`: polled, or
/// already reaped).
pub fn process_watched_by_pidfd(child: &crate::process::Child) -> bool {
    crate::process::hooks::watched_by_pidfd(child)
}
