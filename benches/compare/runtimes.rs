//! The runtimes being compared, behind one small trait, so that every
//! workload is written once as `fn run<R: Rt>() -> Sample`.
//!
//! - guillotine: `Runtime::new()`, `guillotine::spawn`, `task::yield_now`,
//!   `time::{sleep, timeout}`.
//! - tokio: `Builder::new_current_thread().enable_all()`, `tokio::spawn`
//!   inside `block_on`, `tokio::task::yield_now`, `tokio::time::{sleep, timeout}`.
//! - smol: a `LocalExecutor` driven by `futures_lite::future::block_on(ex.run(..))`;
//!   spawning goes through a thread-local pointing at the executor whose
//!   `block_on` is running, `futures_lite::future::yield_now`; timers are
//!   `smol::Timer`s, and a timeout races the future against one with
//!   `futures_lite::future::or`. Workloads with timers run the executor
//!   under `smol::block_on` instead, which drives async-io's reactor on the
//!   runtime thread (see [`Rt::block_on_timers`]).
//!
//! To add a workload: implement [`Workload`] and list `bench::<YourType>()`
//! in `compare.rs` (or, for several figures measured once per runtime and
//! printed as a table of their own, implement [`Report`] and list
//! `report::<YourType>()`). To add a runtime: implement [`Rt`], add it to
//! [`contenders`] and to the `match`es in [`on`] and [`report_on`].

use std::future::Future;
use std::rc::Rc;
use std::time::{Duration, Instant};

use crate::harness::{self, Bench, Contender, Figure, ReportBench, ReportResult, Sample};
use crate::smol_local;

/// A single-threaded async runtime as the workloads see it.
///
/// `spawn`, `spawn_detached` and `yield_now` are associated functions, not
/// methods: like `tokio::spawn` they find the runtime through the context of
/// the running `block_on`, which lets tasks spawn further tasks.
pub trait Rt: Sized + 'static {
    const NAME: &'static str;

    /// Builds a fresh runtime.
    fn build() -> Self;

    /// Runs `fut` to completion on this thread, with every spawned task.
    fn block_on<F: Future>(&self, fut: F) -> F::Output;

    /// [`Rt::block_on`] for workloads that use timers: the same for
    /// guillotine and tokio, whose drivers always run on this thread. smol
    /// then uses `smol::block_on` (async-io's), which drives the reactor
    /// and its timers on this thread while the future is pending; under
    /// `futures_lite`'s `block_on` they are driven by async-io's helper
    /// thread, which costs smol 1.8x on `timers`.
    fn block_on_timers<F: Future>(&self, fut: F) -> F::Output {
        self.block_on(fut)
    }

    /// Spawns `fut` now; the returned future yields its output (and panics
    /// if the task failed). Must be called inside `block_on`.
    fn spawn<F>(fut: F) -> impl Future<Output = F::Output> + Send + 'static
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static;

    /// Spawns `fut` and lets it run on without a handle.
    fn spawn_detached<F>(fut: F)
    where
        F: Future<Output = ()> + Send + 'static;

    /// The runtime's own way of yielding to the other tasks.
    fn yield_now() -> impl Future<Output = ()> + Send + 'static;

    /// The runtime's timer: completes once `duration` has passed since the
    /// call (the deadline is taken at the call, not at the first poll).
    /// Must be called inside `block_on`.
    fn sleep(duration: Duration) -> impl Future<Output = ()> + Send + 'static;

    /// Runs `fut` for at most `duration` from the call: `Some(output)` if it
    /// finishes first, `None` if the deadline passes first. Like the
    /// runtimes' own, it polls `fut` before the timer. Must be called
    /// inside `block_on`.
    fn timeout<F>(
        duration: Duration,
        fut: F,
    ) -> impl Future<Output = Option<F::Output>> + Send + 'static
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static;
}

/// A workload, written once for every [`Rt`].
pub trait Workload {
    /// The name used in the table and for filtering on the command line.
    const NAME: &'static str;
    /// One line saying what is measured.
    const ABOUT: &'static str;
    /// Caps the number of measured rounds (slow, low-noise workloads).
    const MAX_ROUNDS: Option<usize> = None;
    /// Whether an unrecorded warm-up round runs first.
    const WARMUP: bool = true;
    /// Whether [`Workload::child`] exists (the body of a child process).
    const HAS_CHILD: bool = false;

    /// Runs the workload once on a fresh runtime `R` and measures it.
    fn run<R: Rt>() -> Sample;

    /// For workloads measured in a fresh process: what the child does.
    fn child<R: Rt>() -> Sample {
        unreachable!("{} has no child body", Self::NAME)
    }
}

/// Several figures measured in one run per runtime (latency percentiles,
/// say), printed as a table of their own: by default one row per figure,
/// one column per runtime. Runs once per runtime, in turn, without a
/// warm-up round, unless [`Report::ROUNDS`].
pub trait Report {
    /// The name used in the table's heading and for filtering.
    const NAME: &'static str;
    /// One line saying what is measured.
    const ABOUT: &'static str;
    /// Run like a workload instead: a warm-up round and `BENCH_ROUNDS`
    /// rounds, the runtimes alternating; each figure is the median.
    const ROUNDS: bool = false;

    /// Runs the whole report once on a fresh runtime `R`. Every runtime
    /// must return the same figures, in the same order.
    fn run<R: Rt>() -> Vec<Figure>;

    /// The report's Markdown table.
    fn table(contenders: &[Contender], result: &ReportResult) -> String {
        harness::report_table(contenders, result)
    }
}

/// Names of the runtimes, in table order; the first is the one under test.
pub fn contenders() -> Vec<Contender> {
    vec![
        Contender {
            name: Guillotine::NAME,
            available: true,
        },
        Contender {
            name: Tokio::NAME,
            available: true,
        },
        Contender {
            name: Smol::NAME,
            available: true,
        },
    ]
}

/// Calls `W::run` on the runtime at `index` of [`contenders`].
fn on<W: Workload>(index: usize, child: bool) -> Sample {
    match (index, child) {
        (0, false) => W::run::<Guillotine>(),
        (0, true) => W::child::<Guillotine>(),
        (1, false) => W::run::<Tokio>(),
        (1, true) => W::child::<Tokio>(),
        (2, false) => W::run::<Smol>(),
        (2, true) => W::child::<Smol>(),
        _ => unreachable!("no runtime number {index}"),
    }
}

/// The harness' description of workload `W`.
pub fn bench<W: Workload>() -> Bench {
    Bench {
        name: W::NAME,
        about: W::ABOUT,
        max_rounds: W::MAX_ROUNDS,
        warmup: W::WARMUP,
        run: |i| on::<W>(i, false),
        child: if W::HAS_CHILD {
            Some(|i| on::<W>(i, true))
        } else {
            None
        },
    }
}

/// Calls `W::run` on the runtime at `index` of [`contenders`].
fn report_on<W: Report>(index: usize) -> Vec<Figure> {
    match index {
        0 => W::run::<Guillotine>(),
        1 => W::run::<Tokio>(),
        2 => W::run::<Smol>(),
        _ => unreachable!("no runtime number {index}"),
    }
}

/// The harness' description of report `W`.
pub fn report<W: Report>() -> ReportBench {
    ReportBench {
        name: W::NAME,
        about: W::ABOUT,
        rounds: W::ROUNDS,
        run: report_on::<W>,
        table: W::table,
    }
}

/// Builds a fresh `R`, times `block_on(fut)` (building and dropping the
/// runtime are not timed) and returns the time and the future's output.
pub fn measure<R: Rt, F: Future>(fut: F) -> (Duration, F::Output) {
    let rt = R::build();
    let start = Instant::now();
    let out = rt.block_on(fut);
    let elapsed = start.elapsed();
    drop(rt);
    (elapsed, out)
}

/// [`measure`] with [`Rt::block_on_timers`], for workloads that use timers.
pub fn measure_timers<R: Rt, F: Future>(fut: F) -> (Duration, F::Output) {
    let rt = R::build();
    let start = Instant::now();
    let out = rt.block_on_timers(fut);
    let elapsed = start.elapsed();
    drop(rt);
    (elapsed, out)
}

// ---------------------------------------------------------------- guillotine

pub struct Guillotine(guillotine::runtime::Runtime);

impl Rt for Guillotine {
    const NAME: &'static str = "guillotine";

    fn build() -> Self {
        Guillotine(guillotine::runtime::Runtime::new().expect("build a guillotine runtime"))
    }

    fn block_on<F: Future>(&self, fut: F) -> F::Output {
        self.0.block_on(fut)
    }

    fn spawn<F>(fut: F) -> impl Future<Output = F::Output> + Send + 'static
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let handle = guillotine::spawn(fut);
        async move { handle.await.expect("guillotine task failed") }
    }

    fn spawn_detached<F>(fut: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        drop(guillotine::spawn(fut));
    }

    fn yield_now() -> impl Future<Output = ()> + Send + 'static {
        guillotine::task::yield_now()
    }

    fn sleep(duration: Duration) -> impl Future<Output = ()> + Send + 'static {
        guillotine::time::sleep(duration)
    }

    fn timeout<F>(
        duration: Duration,
        fut: F,
    ) -> impl Future<Output = Option<F::Output>> + Send + 'static
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let timeout = guillotine::time::timeout(duration, fut);
        async move { timeout.await.ok() }
    }
}

// --------------------------------------------------------------------- tokio

pub struct Tokio(tokio::runtime::Runtime);

impl Rt for Tokio {
    const NAME: &'static str = "tokio";

    fn build() -> Self {
        Tokio(
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("build a tokio runtime"),
        )
    }

    fn block_on<F: Future>(&self, fut: F) -> F::Output {
        self.0.block_on(fut)
    }

    fn spawn<F>(fut: F) -> impl Future<Output = F::Output> + Send + 'static
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let handle = tokio::spawn(fut);
        async move { handle.await.expect("tokio task failed") }
    }

    fn spawn_detached<F>(fut: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        drop(tokio::spawn(fut));
    }

    fn yield_now() -> impl Future<Output = ()> + Send + 'static {
        tokio::task::yield_now()
    }

    fn sleep(duration: Duration) -> impl Future<Output = ()> + Send + 'static {
        tokio::time::sleep(duration)
    }

    fn timeout<F>(
        duration: Duration,
        fut: F,
    ) -> impl Future<Output = Option<F::Output>> + Send + 'static
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let timeout = tokio::time::timeout(duration, fut);
        async move { timeout.await.ok() }
    }
}

// ---------------------------------------------------------------------- smol

pub struct Smol(Rc<smol::LocalExecutor<'static>>);

impl Rt for Smol {
    const NAME: &'static str = "smol";

    fn build() -> Self {
        Smol(Rc::new(smol::LocalExecutor::new()))
    }

    fn block_on<F: Future>(&self, fut: F) -> F::Output {
        let _entered = smol_local::enter(&self.0);
        smol::future::block_on(self.0.run(fut))
    }

    fn block_on_timers<F: Future>(&self, fut: F) -> F::Output {
        let _entered = smol_local::enter(&self.0);
        smol::block_on(self.0.run(fut))
    }

    fn spawn<F>(fut: F) -> impl Future<Output = F::Output> + Send + 'static
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        smol_local::spawn(fut)
    }

    fn spawn_detached<F>(fut: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        smol_local::spawn(fut).detach();
    }

    fn yield_now() -> impl Future<Output = ()> + Send + 'static {
        smol::future::yield_now()
    }

    fn sleep(duration: Duration) -> impl Future<Output = ()> + Send + 'static {
        let timer = smol::Timer::after(duration);
        async move {
            timer.await;
        }
    }

    fn timeout<F>(
        duration: Duration,
        fut: F,
    ) -> impl Future<Output = Option<F::Output>> + Send + 'static
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let timer = smol::Timer::after(duration);
        smol::future::or(async move { Some(fut.await) }, async move {
            timer.await;
            None
        })
    }
}
