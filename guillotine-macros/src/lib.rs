//! The `#[guillotine::main]` and `#[guillotine::test]` attributes. Use them
//! through the `guillotine` crate (its `macros` feature, on by default):
//! what they expand to calls into guillotine, and only the paths
//! `guillotine::main` and `guillotine::test` are API.
//!
//! Both turn an `async fn` into a plain `fn` that builds a runtime and
//! `block_on`s the body. `args` parses and checks the keys; `entry` checks
//! the function and writes the expansion. A misuse is a compile error on
//! the offending token, next to an expansion with the defaults, so that the
//! compiler does not add errors of its own about the half-expanded item.

#![deny(missing_docs, missing_debug_implementations, rust_2018_idioms)]

mod args;
mod entry;

use proc_macro::TokenStream;

/// Runs an `async fn` on a new guillotine runtime: the function becomes a
/// plain `fn` that builds the runtime, runs the body to completion with
/// `block_on` and returns what the body returns.
///
/// ```
/// #[guillotine::main]
/// async fn main() {
///     let task = guillotine::spawn(async { 40 + 2 });
///     assert_eq!(task.await.unwrap(), 42);
/// }
/// ```
///
/// stands for a plain `fn main()` whose body is
///
/// ```
/// guillotine::runtime::Builder::new_multi_thread()
///     .build()
///     .expect("failed to build the guillotine runtime")
///     .block_on(async {
///         let task = guillotine::spawn(async { 40 + 2 });
///         assert_eq!(task.await.unwrap(), 42);
///     })
/// ```
///
/// # Keys
///
/// - `flavor = "multi_thread"` (the default): tasks run on worker threads;
///   `flavor = "current_thread"`: everything runs on the thread that calls
///   the function.
/// - `worker_threads = N`: the multi-thread runtime's number of workers (at
///   least 1; the default is one per CPU). An error with the current-thread
///   flavor, which has none.
/// - `crate = "path::to::guillotine"`: where guillotine is, when a crate
///   re-exports it and its users do not depend on it themselves.
///
/// ```
/// use std::time::Duration;
///
/// #[guillotine::main(flavor = "current_thread")]
/// async fn main() -> Result<(), guillotine::time::Elapsed> {
///     let sleep = guillotine::time::sleep(Duration::from_millis(1));
///     guillotine::time::timeout(Duration::from_secs(5), sleep).await?;
///     Ok(())
/// }
/// ```
///
/// ```
/// // A crate that re-exports guillotine as `my_runtime::guillotine`.
/// mod my_runtime {
///     pub use guillotine;
/// }
///
/// #[my_runtime::guillotine::main(worker_threads = 2, crate = "my_runtime::guillotine")]
/// async fn workers() -> usize {
///     my_runtime::guillotine::runtime::Handle::current().metrics().num_workers()
/// }
///
/// fn main() {
///     assert_eq!(workers(), 2);
/// }
/// ```
///
/// The function may return anything: a `Result` (so that `?` works in the
/// body), a value a caller uses, or `()`. It may have any name; one called
/// `main` is the program's entry point. A body whose future is large (a big
/// array held across an `.await`, say) is moved to the heap before it runs,
/// so that it cannot overflow the stack.
///
/// Compile errors: a function that is not `async`, that takes arguments, an
/// unknown or repeated key, a bad flavor, `worker_threads = 0`,
/// `worker_threads` on the current-thread flavor, a `start_paused` or
/// `auto_advance` that is not `true` or `false`, and either of those two
/// without guillotine's `test-util` feature.
#[proc_macro_attribute]
pub fn main(args: TokenStream, item: TokenStream) -> TokenStream {
    entry::expand(args::Kind::Main, args.into(), item.into()).into()
}

/// Runs an `async fn` test on a new guillotine runtime, as
/// [`#[guillotine::main]`](macro@main) does, and marks it `#[test]`. Tests
/// run on the current-thread flavor unless they ask for
/// `flavor = "multi_thread"`.
///
/// ```
/// #[guillotine::test]
/// async fn spawned_tasks_run() {
///     let task = guillotine::spawn(async { 1 + 1 });
///     assert_eq!(task.await.unwrap(), 2);
/// }
///
/// #[guillotine::test(flavor = "multi_thread", worker_threads = 2)]
/// async fn on_two_workers() -> Result<(), guillotine::task::JoinError> {
///     let metrics = guillotine::runtime::Handle::current().metrics();
///     assert_eq!(metrics.num_workers(), 2);
///     guillotine::spawn(async {}).await
/// }
/// ```
///
/// # Keys
///
/// `flavor`, `worker_threads` and `crate`, as for
/// [`#[guillotine::main]`](macro@main), and:
///
/// - `start_paused = true` (feature `test-util`): the runtime's clock
///   starts paused, as `Builder::start_paused`; `auto_advance = false`
///   turns off its automatic advance to the next timer (see
///   `guillotine::time::pause`). The `timeout` key counts real time.
/// - `timeout = "5s"`: the test fails if it has not finished in time
///   (units `ms`, `s` and `m`; `"1.5s"` works too), instead of hanging the
///   test run.
///
/// ```
/// use std::time::Duration;
///
/// #[guillotine::test(timeout = "5s")]
/// async fn answers_in_time() {
///     guillotine::time::sleep(Duration::from_millis(1)).await;
/// }
///
/// #[guillotine::test(timeout = "5s")]
/// #[should_panic(expected = "boom")]
/// async fn panics_in_time() {
///     panic!("boom");
/// }
/// ```
///
/// With a timeout, the body runs on a thread of its own, which builds the
/// runtime, while the test's thread waits. A body that blocks its thread
/// (a `std` lock, a synchronous call that never returns) still times out.
/// When time runs out the test fails with a message naming it and the
/// timeout (``test `answers_in_time` timed out after 5s``), and the body's
/// thread is left behind, still running, until the test process exits. A
/// panic in the body is resumed on the test's thread with its own payload,
/// so `#[should_panic(expected = ..)]` works as without a timeout. A body
/// that returns a value (a `Result`) has it reported on its own thread, as
/// the test harness would report it, so the value need not be `Send`; the
/// test function then returns that report, a `std::process::ExitCode`.
///
/// Compile errors: those of [`#[guillotine::main]`](macro@main), a second
/// `#[test]`, `timeout` on `main`, and a timeout that is not a positive
/// number followed by `ms`, `s` or `m`.
#[proc_macro_attribute]
pub fn test(args: TokenStream, item: TokenStream) -> TokenStream {
    entry::expand(args::Kind::Test, args.into(), item.into()).into()
}
