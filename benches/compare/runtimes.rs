//! The runtimes being compared, behind one small trait, so that every
//! workload is written once as `fn run<R: Rt>() -> Sample`.
//!
//! - guillotine: `Runtime::new()`, `guillotine::spawn`, `task::yield_now`.
//! - tokio: `Builder::new_current_thread().enable_all()`, `tokio::spawn`
//!   inside `block_on`, `tokio::task::yield_now`.
//! - smol: a `LocalExecutor` driven by `futures_lite::future::block_on(ex.run(..))`;
//!   spawning goes through a thread-local pointing at the executor whose
//!   `block_on` is running, `futures_lite::future::yield_now`.
//!
//! To add a workload: implement [`Workload`] and list `bench::<YourType>()`
//! in `compare.rs`. To add a runtime: implement [`Rt`], add it to
//! [`contenders`] and to the `match` in [`on`].

use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;
use std::time::{Duration, Instant};

use crate::harness::{Bench, Contender, Sample};

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
}

// ---------------------------------------------------------------------- smol

thread_local! {
    /// The executor whose `Smol::block_on` is running on this thread.
    static SMOL_EXECUTOR: RefCell<Option<Rc<smol::LocalExecutor<'static>>>> =
        const { RefCell::new(None) };
}

pub struct Smol(Rc<smol::LocalExecutor<'static>>);

/// Puts back the previous thread-local executor when `block_on` returns.
struct RestoreExecutor(Option<Rc<smol::LocalExecutor<'static>>>);

impl Drop for RestoreExecutor {
    fn drop(&mut self) {
        SMOL_EXECUTOR.set(self.0.take());
    }
}

fn smol_spawn<F>(fut: F) -> smol::Task<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    SMOL_EXECUTOR.with_borrow(|ex| {
        ex.as_ref()
            .expect("Smol::spawn outside Smol::block_on")
            .spawn(fut)
    })
}

impl Rt for Smol {
    const NAME: &'static str = "smol";

    fn build() -> Self {
        Smol(Rc::new(smol::LocalExecutor::new()))
    }

    fn block_on<F: Future>(&self, fut: F) -> F::Output {
        let _restore = RestoreExecutor(SMOL_EXECUTOR.replace(Some(Rc::clone(&self.0))));
        smol::future::block_on(self.0.run(fut))
    }

    fn spawn<F>(fut: F) -> impl Future<Output = F::Output> + Send + 'static
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        smol_spawn(fut)
    }

    fn spawn_detached<F>(fut: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        smol_spawn(fut).detach();
    }

    fn yield_now() -> impl Future<Output = ()> + Send + 'static {
        smol::future::yield_now()
    }
}
