//! The multi-thread runtimes being compared, behind one trait, so that every
//! workload is written once as `fn run<R: MtRt>() -> Sample`.
//!
//! - tokio-mt: `Builder::new_multi_thread().worker_threads(n).enable_all()`;
//!   `tokio::spawn`, `Runtime::spawn` from outside, `tokio::task::yield_now`.
//! - smol-mt: one `smol::Executor` (async-executor) run by `n` OS threads,
//!   each in `futures_lite::future::block_on(ex.run(stop.recv()))`;
//!   `block_on` is `futures_lite`'s on the calling thread, which does not
//!   run the executor. Spawning from a task goes through a thread-local set
//!   on every thread that runs the executor (smol has no ambient executor).
//! - guillotine-ct: today's `Runtime::new()`: one thread, `block_on`'s,
//!   runs every task, whatever the workload's worker count.
//! - guillotine-mt: `Builder::new_multi_thread().worker_threads(n).build()`,
//!   in `guillotine_mt.rs`.
//!
//! The contender under test (column 0, divided by the others in the ratio
//! columns) is guillotine-mt.

use std::cell::RefCell;
use std::future::Future;
use std::sync::Arc;
use std::thread::JoinHandle;

use crate::harness::{Bench, Contender, Sample};

pub const GUILLOTINE_MT: &str = "guillotine-mt";
pub const GUILLOTINE_CT: &str = "guillotine-ct";
pub const TOKIO_MT: &str = "tokio-mt";
pub const SMOL_MT: &str = "smol-mt";

/// A runtime as the workloads see it. The thread that calls `block_on` is
/// not one of the workers (except for guillotine-ct, which has none).
///
/// `spawn`, `spawn_detached` and `yield_now` are associated functions: like
/// `tokio::spawn` they find the runtime from the calling thread, so tasks
/// can spawn tasks. They also work inside `block_on`.
pub trait MtRt: Sized + 'static {
    /// A fresh runtime whose tasks run on `workers` threads.
    fn build(workers: usize) -> Self;

    /// Runs `fut` to completion on this thread.
    fn block_on<F: Future>(&self, fut: F) -> F::Output;

    /// Spawns from outside the runtime, as `Runtime::spawn` and
    /// `Handle::spawn` do in tokio's benches; the returned future yields the
    /// output (and panics if the task failed).
    fn spawn_outside<F>(&self, fut: F) -> impl Future<Output = F::Output> + Send + 'static
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static;

    /// Spawns from inside (a task, or `block_on`).
    fn spawn<F>(fut: F) -> impl Future<Output = F::Output> + Send + 'static
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static;

    fn spawn_detached<F>(fut: F)
    where
        F: Future<Output = ()> + Send + 'static;

    fn yield_now() -> impl Future<Output = ()> + Send + 'static;
}

/// A workload, written once for every [`MtRt`].
pub trait Workload {
    const NAME: &'static str;
    const ABOUT: &'static str;
    /// Timed iterations per run (after one unrecorded iteration).
    const ITERS: u32;
    /// What the per-operation counts divide by: `OPS` of `OP` ("task":
    /// tasks spawned, "yield": `yield_now`s) per iteration.
    const OPS: u64;
    const OP: &'static str;

    /// Runs the workload on a fresh runtime `R` and measures it.
    fn run<R: MtRt>() -> Sample;
}

/// The scheduler contenders, in table order (see the module comment).
pub fn contenders() -> Vec<Contender> {
    [GUILLOTINE_MT, GUILLOTINE_CT, TOKIO_MT, SMOL_MT]
        .map(|name| Contender {
            name,
            available: true,
        })
        .to_vec()
}

/// Calls `W::run` on the contender named `name`.
fn on<W: Workload>(name: &str) -> Sample {
    match name {
        GUILLOTINE_MT => W::run::<crate::guillotine_mt::GuillotineMt>(),
        GUILLOTINE_CT => W::run::<GuillotineCt>(),
        TOKIO_MT => W::run::<TokioMt>(),
        SMOL_MT => W::run::<SmolMt>(),
        _ => unreachable!("no runtime named {name}"),
    }
}

/// What the `syscalls` report needs of workload `W`.
pub fn counted<W: Workload>() -> crate::counts::Counted {
    crate::counts::Counted {
        name: W::NAME,
        ops: u64::from(W::ITERS + 1) * W::OPS,
        op: W::OP,
        run: |i| on::<W>(contenders()[i].name),
    }
}

/// The harness' description of workload `W`.
pub fn bench<W: Workload>() -> Bench {
    Bench {
        name: W::NAME,
        about: W::ABOUT,
        max_rounds: None,
        warmup: true,
        run: |i| on::<W>(contenders()[i].name),
        child: None,
    }
}

// ------------------------------------------------------------- guillotine-ct

/// `impl MtRt` for a guillotine runtime newtype: every method but `build`
/// is the same for both flavors.
macro_rules! guillotine_mt_rt {
    ($ty:ident, |$workers:ident| $build:expr) => {
        impl MtRt for $ty {
            fn build($workers: usize) -> Self {
                $ty($build)
            }

            fn block_on<F: Future>(&self, fut: F) -> F::Output {
                self.0.block_on(fut)
            }

            fn spawn_outside<F>(&self, fut: F) -> impl Future<Output = F::Output> + Send + 'static
            where
                F: Future + Send + 'static,
                F::Output: Send + 'static,
            {
                let handle = self.0.spawn(fut);
                async move { handle.await.expect("guillotine task failed") }
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
    };
}
// Used by `guillotine_mt.rs` too.
pub(crate) use guillotine_mt_rt;

pub struct GuillotineCt(guillotine::runtime::Runtime);

guillotine_mt_rt!(GuillotineCt, |_workers| {
    guillotine::runtime::Runtime::new().expect("build a guillotine runtime")
});

// ------------------------------------------------------------------ tokio-mt

pub struct TokioMt(tokio::runtime::Runtime);

impl MtRt for TokioMt {
    fn build(workers: usize) -> Self {
        TokioMt(
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(workers)
                .enable_all()
                .build()
                .expect("build a tokio runtime"),
        )
    }

    fn block_on<F: Future>(&self, fut: F) -> F::Output {
        self.0.block_on(fut)
    }

    fn spawn_outside<F>(&self, fut: F) -> impl Future<Output = F::Output> + Send + 'static
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let handle = self.0.spawn(fut);
        async move { handle.await.expect("tokio task failed") }
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

// ------------------------------------------------------------------- smol-mt

type Executor = Arc<smol::Executor<'static>>;

thread_local! {
    /// The executor of the smol-mt runtime this thread works for (or whose
    /// `block_on` it runs), for `spawn` from a task.
    static SMOL_EXECUTOR: RefCell<Option<Executor>> = const { RefCell::new(None) };
}

/// One `smol::Executor` and the threads that run it.
pub struct SmolMt {
    ex: Executor,
    /// Dropping it ends every worker's `ex.run`.
    stop: Option<smol::channel::Sender<()>>,
    workers: Vec<JoinHandle<()>>,
}

impl SmolMt {
    /// `workers` threads running `ex`, each parked by `park` (futures-lite's
    /// `block_on`, or async-io's for workloads with I/O).
    pub fn start(workers: usize, park: fn(&Executor, smol::channel::Receiver<()>)) -> SmolMt {
        let ex: Executor = Arc::new(smol::Executor::new());
        let (stop, stopped) = smol::channel::bounded::<()>(1);
        let workers = (0..workers)
            .map(|i| {
                let (ex, stopped) = (Arc::clone(&ex), stopped.clone());
                std::thread::Builder::new()
                    .name(format!("smol-worker-{i}"))
                    .spawn(move || {
                        SMOL_EXECUTOR.set(Some(Arc::clone(&ex)));
                        park(&ex, stopped);
                    })
                    .expect("spawn a smol worker")
            })
            .collect();
        SmolMt {
            ex,
            stop: Some(stop),
            workers,
        }
    }

    pub fn executor(&self) -> &Executor {
        &self.ex
    }
}

impl Drop for SmolMt {
    fn drop(&mut self) {
        drop(self.stop.take());
        for worker in self.workers.drain(..) {
            worker.join().expect("a smol worker panicked");
        }
    }
}

impl MtRt for SmolMt {
    fn build(workers: usize) -> Self {
        SmolMt::start(workers, |ex, stopped| {
            let _ = smol::future::block_on(ex.run(stopped.recv()));
        })
    }

    fn block_on<F: Future>(&self, fut: F) -> F::Output {
        let previous = SMOL_EXECUTOR.replace(Some(Arc::clone(&self.ex)));
        let out = smol::future::block_on(fut);
        SMOL_EXECUTOR.set(previous);
        out
    }

    fn spawn_outside<F>(&self, fut: F) -> impl Future<Output = F::Output> + Send + 'static
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.ex.spawn(fut)
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

/// Spawns onto the executor of the smol-mt runtime this thread belongs to.
fn smol_spawn<F>(fut: F) -> smol::Task<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    SMOL_EXECUTOR.with_borrow(|ex| {
        ex.as_ref()
            .expect("SmolMt::spawn outside the runtime")
            .spawn(fut)
    })
}
