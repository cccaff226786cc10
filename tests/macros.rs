//! `#[guillotine::main]` and `#[guillotine::test]`: the flavor and worker
//! count each asks for, `crate = ..` through a re-export, return types, a
//! `timeout` that fails a hung test (in a child process) with a message
//! naming it, and bodies whose futures are too large for a thread's stack.
//! The compile errors are tested in guillotine-macros/tests/ui.

mod support;

use std::thread::{self, ThreadId};
use std::time::{Duration, Instant};

use guillotine::runtime::Handle;
use support::run_ignored;

/// The flavor a body runs on, seen from inside: the number of workers, and
/// whether a spawned task ran on the body's thread (current-thread) or on
/// a worker (multi-thread).
#[derive(Debug, PartialEq, Eq)]
struct Seen {
    workers: usize,
    spawned_on_body_thread: bool,
    spawned_on_worker: bool,
}

async fn seen() -> Seen {
    let body = thread::current().id();
    let on: (ThreadId, Option<String>) = guillotine::spawn(async {
        let t = thread::current();
        (t.id(), t.name().map(str::to_owned))
    })
    .await
    .unwrap();
    Seen {
        workers: Handle::current().metrics().num_workers(),
        spawned_on_body_thread: on.0 == body,
        spawned_on_worker: on.1.as_deref() == Some("guillotine-worker"),
    }
}

fn current_thread() -> Seen {
    Seen {
        workers: 1,
        spawned_on_body_thread: true,
        spawned_on_worker: false,
    }
}

fn multi_thread(workers: usize) -> Seen {
    Seen {
        workers,
        spawned_on_body_thread: false,
        spawned_on_worker: true,
    }
}

fn cpus() -> usize {
    thread::available_parallelism().map_or(1, usize::from)
}

// --- main: flavors and worker counts

#[guillotine::main]
async fn main_by_default() -> Seen {
    seen().await
}

#[guillotine::main(flavor = "current_thread")]
async fn main_current_thread() -> Seen {
    seen().await
}

#[guillotine::main(flavor = "multi_thread")]
async fn main_multi_thread() -> Seen {
    seen().await
}

#[guillotine::main(flavor = "multi_thread", worker_threads = 3)]
async fn main_three_workers() -> Seen {
    seen().await
}

#[guillotine::main(worker_threads = 1)]
async fn main_one_worker() -> Seen {
    seen().await
}

#[test]
fn main_defaults_to_the_multi_thread_flavor_with_a_worker_per_cpu() {
    assert_eq!(main_by_default(), multi_thread(cpus()));
    assert_eq!(main_multi_thread(), multi_thread(cpus()));
}

#[test]
fn main_runs_on_the_flavor_and_worker_count_asked_for() {
    assert_eq!(main_current_thread(), current_thread());
    assert_eq!(main_three_workers(), multi_thread(3));
    assert_eq!(main_one_worker(), multi_thread(1));
}

// --- test: flavors and worker counts

#[guillotine::test]
async fn test_defaults_to_the_current_thread_flavor() {
    assert_eq!(seen().await, current_thread());
}

#[guillotine::test(flavor = "current_thread")]
async fn test_current_thread() {
    assert_eq!(seen().await, current_thread());
}

#[guillotine::test(flavor = "multi_thread")]
async fn test_multi_thread_has_a_worker_per_cpu() {
    assert_eq!(seen().await, multi_thread(cpus()));
}

#[guillotine::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_multi_thread_two_workers() {
    assert_eq!(seen().await, multi_thread(2));
}

#[guillotine::test(worker_threads = 3, flavor = "multi_thread", timeout = "20s")]
async fn test_with_timeout_keeps_flavor_and_workers() {
    assert_eq!(seen().await, multi_thread(3));
}

#[guillotine::test(timeout = "20s")]
async fn test_with_timeout_defaults_to_the_current_thread_flavor() {
    assert_eq!(seen().await, current_thread());
}

// --- `crate = ..`: guillotine reached through a re-export

mod reexport {
    pub use guillotine as rt;
}

#[reexport::rt::main(crate = "reexport::rt", flavor = "current_thread")]
async fn main_through_a_reexport() -> Seen {
    seen().await
}

#[reexport::rt::test(
    crate = "crate::reexport::rt",
    flavor = "multi_thread",
    worker_threads = 2
)]
async fn test_through_a_reexport() {
    assert_eq!(seen().await, multi_thread(2));
}

#[reexport::rt::test(crate = "reexport::rt", timeout = "20s")]
async fn test_with_timeout_through_a_reexport() {
    assert_eq!(seen().await, current_thread());
}

#[test]
fn main_through_a_reexport_runs() {
    assert_eq!(main_through_a_reexport(), current_thread());
}

// --- return types

#[derive(Debug, PartialEq)]
struct Failed(u32);

#[guillotine::main]
async fn main_ok() -> Result<u32, Failed> {
    let n = guillotine::spawn(async { 41 }).await.unwrap();
    Ok(n + 1)
}

#[guillotine::main(flavor = "current_thread")]
async fn main_err() -> Result<u32, Failed> {
    let failed: Result<u32, Failed> = Err(Failed(7));
    let n = failed?;
    Ok(n)
}

#[test]
fn main_returns_the_bodys_result_ok_and_err() {
    assert_eq!(main_ok(), Ok(42));
    assert_eq!(main_err(), Err(Failed(7)));
}

/// `return` and `?` in the body leave the body, as in any `async fn`.
#[guillotine::main(flavor = "current_thread")]
async fn main_returns_early() -> Result<&'static str, std::num::ParseIntError> {
    let n: u32 = "12".parse()?;
    if n > 10 {
        return Ok("early");
    }
    Ok("late")
}

#[test]
fn return_and_question_mark_leave_the_body() {
    assert_eq!(main_returns_early(), Ok("early"));
}

/// A return type that cannot be named: the body's type is inferred.
#[guillotine::main(flavor = "current_thread")]
async fn main_returns_impl_trait() -> impl std::fmt::Debug {
    guillotine::spawn(async { [1, 2] }).await.unwrap()
}

/// A server's `main` never returns.
#[guillotine::main]
async fn main_never_returns() -> ! {
    loop {
        guillotine::time::sleep(Duration::from_secs(3600)).await;
    }
}

#[test]
fn main_may_return_impl_trait_or_never() {
    assert_eq!(format!("{:?}", main_returns_impl_trait()), "[1, 2]");
    let _: fn() -> ! = main_never_returns;
}

#[guillotine::test]
async fn test_may_return_ok() -> Result<(), Box<dyn std::error::Error>> {
    let n: u32 = "5".parse()?;
    assert_eq!(n, 5);
    Ok(())
}

#[guillotine::test(flavor = "multi_thread", worker_threads = 2, timeout = "20s")]
async fn test_with_timeout_may_return_ok() -> Result<(), Box<dyn std::error::Error>> {
    // Not `Send`: the result is reported on the body's thread.
    let _not_send = std::rc::Rc::new(());
    let n: u32 = "5".parse()?;
    guillotine::task::yield_now().await;
    assert_eq!(n, 5);
    Ok(())
}

// --- should_panic: the body's payload reaches the harness

#[guillotine::test]
#[should_panic(expected = "boom 1")]
async fn a_panicking_test_fails_with_its_message() {
    guillotine::task::yield_now().await;
    panic!("boom {}", 1);
}

#[guillotine::test(timeout = "20s")]
#[should_panic(expected = "boom 2")]
async fn a_panicking_test_with_timeout_fails_with_its_message() {
    guillotine::task::yield_now().await;
    panic!("boom {}", 2);
}

#[guillotine::test(flavor = "multi_thread", worker_threads = 2, timeout = "20s")]
#[should_panic(expected = "boom 3")]
async fn a_panicking_multi_thread_test_with_timeout_fails_with_its_message() {
    let task = guillotine::spawn(async { panic!("boom {}", 3) });
    std::panic::resume_unwind(task.await.unwrap_err().into_panic());
}

// --- timeout: a hung test fails within its timeout, with a clear message

/// How long the hung tests below would block: far longer than their
/// timeout and than the checks' patience.
const HANG: Duration = Duration::from_secs(120);

#[guillotine::test(timeout = "300ms")]
#[ignore = "run in a child process by timeout_fails_a_test_that_blocks_its_thread"]
async fn hangs_blocking_its_thread() {
    thread::sleep(HANG);
}

#[guillotine::test(flavor = "multi_thread", worker_threads = 2, timeout = "300ms")]
#[ignore = "run in a child process by timeout_fails_a_test_that_blocks_its_thread"]
async fn hangs_blocking_its_thread_multi_thread() {
    thread::sleep(HANG);
}

#[guillotine::test(timeout = "0.3s")]
#[ignore = "run in a child process by timeout_fails_a_test_that_never_wakes"]
async fn hangs_pending() {
    std::future::pending::<()>().await;
}

#[guillotine::test(flavor = "multi_thread", timeout = "300ms")]
#[ignore = "run in a child process by timeout_fails_a_test_that_never_wakes"]
async fn hangs_pending_multi_thread() {
    // A task hung on a worker too.
    let _task = guillotine::spawn(async { thread::sleep(HANG) });
    std::future::pending::<()>().await;
}

/// Runs the ignored test `name` in a child process: it must fail, within
/// a small part of [`HANG`], saying it timed out after `after`.
fn assert_times_out(name: &str, after: &str) {
    let start = Instant::now();
    let out = run_ignored(name);
    let took = start.elapsed();
    let output = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!out.status.success(), "{name} passed:\n{output}");
    let message = format!(
        "test `{name}` timed out after {after} (#[guillotine::test(timeout = \"{after}\")])"
    );
    assert!(
        output.contains(&message),
        "{name}: no {message:?} in\n{output}"
    );
    assert!(output.contains("1 failed"), "{name}:\n{output}");
    assert!(
        took < HANG / 4,
        "{name} took {took:?} to time out after {after}:\n{output}"
    );
}

#[test]
fn timeout_fails_a_test_that_blocks_its_thread() {
    assert_times_out("hangs_blocking_its_thread", "300ms");
    assert_times_out("hangs_blocking_its_thread_multi_thread", "300ms");
}

#[test]
fn timeout_fails_a_test_that_never_wakes() {
    assert_times_out("hangs_pending", "0.3s");
    assert_times_out("hangs_pending_multi_thread", "300ms");
}

#[guillotine::test(timeout = "20s")]
#[ignore = "run in a child process by timeout_reports_a_returned_err"]
async fn returns_err_with_timeout() -> Result<(), String> {
    Err("the reason it failed".to_owned())
}

#[test]
fn timeout_reports_a_returned_err() {
    let out = run_ignored("returns_err_with_timeout");
    let output = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!out.status.success(), "passed:\n{output}");
    assert!(
        output.contains("Error: \"the reason it failed\""),
        "no error in\n{output}"
    );
    assert!(!output.contains("timed out"), "{output}");
}

// --- large futures

/// Held across an `.await`, so the body's future is larger than this: a
/// few copies of it on the way down `block_on` would overflow the 2 MiB
/// stack of a test's thread.
const BIG: usize = 1 << 20;

/// The body of each test below: the array is part of the body's own future
/// (an `async fn` awaited in the body would add frames of its own).
macro_rules! holds_a_large_array {
    () => {{
        let big = [7u8; BIG];
        guillotine::task::yield_now().await;
        big.iter().map(|&b| usize::from(b)).sum::<usize>()
    }};
}

#[guillotine::test]
async fn a_large_future_does_not_overflow_the_stack() {
    assert_eq!(holds_a_large_array!(), 7 * BIG);
}

#[guillotine::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_future_does_not_overflow_the_stack_multi_thread() {
    assert_eq!(holds_a_large_array!(), 7 * BIG);
}

#[guillotine::test(timeout = "20s")]
async fn a_large_future_does_not_overflow_the_stack_with_timeout() {
    assert_eq!(holds_a_large_array!(), 7 * BIG);
}

#[guillotine::main(flavor = "current_thread")]
async fn main_large_current_thread() -> usize {
    holds_a_large_array!()
}

#[guillotine::main(worker_threads = 2)]
async fn main_large_multi_thread() -> usize {
    holds_a_large_array!()
}

#[test]
fn main_with_a_large_future_does_not_overflow_a_2_mib_stack() {
    let run = |main: fn() -> usize| {
        thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(main)
            .unwrap()
            .join()
            .unwrap()
    };
    assert_eq!(run(main_large_current_thread), 7 * BIG);
    assert_eq!(run(main_large_multi_thread), 7 * BIG);
}
