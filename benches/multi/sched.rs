//! Scheduler workloads: those of tokio's `benches/rt_multi_threaded.rs`
//! with its counts and shapes, and a skewed fan-out.
//!
//! tokio's bench keeps one runtime for all iterations and blocks on `std`
//! channels, in `block_on` or outside it. Here each run builds a fresh
//! runtime (not timed), runs one unrecorded iteration, then times
//! [`Workload`]-specific `ITERS` iterations and reports the time per
//! iteration; completion is awaited inside `block_on` (on a `futures`
//! channel, or the join handles), so the same code runs on guillotine-ct,
//! whose `block_on` thread is the one that runs the tasks. Every workload
//! checks its result.
//!
//! In tokio's shapes `block_on`'s thread spawns or waits, and on a
//! multi-thread runtime it is not a worker, so every iteration crosses
//! threads. The `*_in_task` rows run the same iterations inside one
//! spawned task instead, timed there ([`in_task`]): with one worker the
//! multi-thread flavor then runs them as guillotine-ct does, on one thread.

use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::atomic::{AtomicBool, AtomicUsize};
use std::time::{Duration, Instant};

use futures::StreamExt;
use futures::channel::{mpsc, oneshot};

use crate::harness::{Sample, Stopwatch, ThreadClock};
use crate::runtimes::{MtRt, Workload};

/// Worker threads of every workload but `skewed_fanout_1w`:
/// `MULTI_BENCH_WORKERS`, by default 2 (this machine's CPU count).
pub fn workers() -> usize {
    std::env::var("MULTI_BENCH_WORKERS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(2)
        .max(1)
}
/// tokio's `NUM_SPAWN`.
const NUM_SPAWN: usize = 10_000;
/// tokio's `STALL_DUR`: what a busy task burns between yields or spawns.
const STALL: Duration = Duration::from_micros(10);

/// Builds `R` with `workers` threads, runs `iteration` once unrecorded and
/// then `iters` times, timed by the wall clock and by the CPU time of the
/// `block_on` thread and of the process; the sample is per iteration.
fn per_iteration<R: MtRt>(rt: &R, iters: u32, mut iteration: impl FnMut(&R)) -> Sample {
    iteration(rt);
    let watch = Stopwatch::start(Some(ThreadClock::current()));
    for _ in 0..iters {
        iteration(rt);
    }
    per_iter(watch.stop(1, "iteration"), iters)
}

/// `sample`, a window of `iters` iterations, per iteration.
fn per_iter(mut sample: Sample, iters: u32) -> Sample {
    let n = f64::from(iters);
    sample.value /= n;
    if let Some(cpu) = &mut sample.cpu {
        cpu.runtime_thread /= n;
        cpu.process /= n;
    }
    sample
}

/// Runs `iteration` once unrecorded and then `iters` times, all inside one
/// task spawned on `rt` (guillotine-ct: on `block_on`'s thread; a
/// multi-thread runtime: on a worker), timed there: the hand-over into the
/// task and its result's way back through the `JoinHandle` stay out of the
/// window, so a 1-worker runtime runs the timed part without crossing
/// threads. Per iteration; the thread CPU is that of the thread the task
/// started on.
fn in_task<R: MtRt, F>(rt: &R, iters: u32, iteration: fn() -> F) -> Sample
where
    F: Future<Output = ()> + Send + 'static,
{
    rt.block_on(rt.spawn_outside(async move {
        iteration().await;
        let watch = Stopwatch::start(Some(ThreadClock::current()));
        for _ in 0..iters {
            iteration().await;
        }
        per_iter(watch.stop(1, "iteration"), iters)
    }))
}

/// tokio's `stall`: keeps a worker busy for [`STALL`], yielding the CPU.
fn stall() {
    let start = Instant::now();
    while start.elapsed() < STALL {
        std::thread::yield_now();
    }
}

/// Spins on the CPU for `duration` (no yielding: a job's CPU work).
fn spin(duration: Duration) {
    let start = Instant::now();
    while start.elapsed() < duration {
        std::hint::spin_loop();
    }
}

/// Joins `handles` in order and sums their outputs.
async fn join_sum<F: Future<Output = usize>>(handles: Vec<F>) -> usize {
    let mut sum = 0;
    for handle in handles {
        sum += handle.await;
    }
    sum
}

/// 10,000 spawns from inside `block_on`; the last task to finish signals.
pub struct SpawnManyLocal;

impl Workload for SpawnManyLocal {
    const NAME: &'static str = "spawn_many_local";
    const ABOUT: &'static str =
        "in block_on: spawn 10,000 empty tasks, the last to run signals; per iteration";
    const ITERS: u32 = 20;
    const OPS: u64 = NUM_SPAWN as u64;
    const OP: &'static str = "task";

    fn run<R: MtRt>() -> Sample {
        let rt = R::build(workers());
        per_iteration(&rt, Self::ITERS, |rt| rt.block_on(Self::iteration::<R>()))
    }
}

impl SpawnManyLocal {
    /// Spawns [`NUM_SPAWN`] empty tasks from where it runs; the last to
    /// run signals it.
    async fn iteration<R: MtRt>() {
        let rem = Arc::new(AtomicUsize::new(NUM_SPAWN));
        let (tx, mut rx) = mpsc::unbounded::<()>();
        for _ in 0..NUM_SPAWN {
            let (tx, rem) = (tx.clone(), Arc::clone(&rem));
            R::spawn_detached(async move {
                if rem.fetch_sub(1, Relaxed) == 1 {
                    tx.unbounded_send(()).expect("the spawner is gone");
                }
            });
        }
        rx.next().await.expect("no task signalled");
        assert_eq!(rem.load(Relaxed), 0);
    }
}

/// [`SpawnManyLocal`]'s iterations inside a spawned task.
pub struct SpawnManyInTask;

impl Workload for SpawnManyInTask {
    const NAME: &'static str = "spawn_many_in_task";
    const ABOUT: &'static str = "in a spawned task: spawn 10,000 empty tasks, the last to run \
                                 signals; timed in the task; per iteration";
    const ITERS: u32 = SpawnManyLocal::ITERS;
    const OPS: u64 = SpawnManyLocal::OPS;
    const OP: &'static str = "task";

    fn run<R: MtRt>() -> Sample {
        in_task(
            &R::build(workers()),
            Self::ITERS,
            SpawnManyLocal::iteration::<R>,
        )
    }
}

/// 10,000 spawns from outside an idle runtime, then joined in `block_on`.
pub struct SpawnManyRemoteIdle;

impl Workload for SpawnManyRemoteIdle {
    const NAME: &'static str = "spawn_many_remote_idle";
    const ABOUT: &'static str =
        "spawn 10,000 empty tasks from outside, join them in block_on; per iteration";
    const ITERS: u32 = 20;
    const OPS: u64 = NUM_SPAWN as u64;
    const OP: &'static str = "task";

    fn run<R: MtRt>() -> Sample {
        let rt = R::build(workers());
        per_iteration(&rt, Self::ITERS, |rt| {
            let handles: Vec<_> = (0..NUM_SPAWN)
                .map(|_| rt.spawn_outside(async { 1 }))
                .collect();
            assert_eq!(rt.block_on(join_sum(handles)), NUM_SPAWN);
        })
    }
}

/// 10,000 spawns from outside while 2 tasks per worker yield and stall
/// 10 µs in a loop (a yield is a lower-priority wake than a spawn).
pub struct SpawnManyRemoteBusy1;

impl Workload for SpawnManyRemoteBusy1 {
    const NAME: &'static str = "spawn_many_remote_busy1";
    const ABOUT: &'static str = "spawn_many_remote_idle while 2 tasks per worker loop on \
                                 yield_now + 10 µs stall; per iteration";
    const ITERS: u32 = 20;
    const OPS: u64 = NUM_SPAWN as u64;
    const OP: &'static str = "task";

    fn run<R: MtRt>() -> Sample {
        let rt = R::build(workers());
        let busy = Arc::new(AtomicBool::new(true));
        let loops: Vec<_> = (0..2 * workers())
            .map(|_| {
                let busy = Arc::clone(&busy);
                rt.spawn_outside(async move {
                    let mut turns = 0;
                    while busy.load(Relaxed) {
                        R::yield_now().await;
                        stall();
                        turns += 1;
                    }
                    turns
                })
            })
            .collect();
        let sample = per_iteration(&rt, Self::ITERS, |rt| {
            let handles: Vec<_> = (0..NUM_SPAWN)
                .map(|_| rt.spawn_outside(async { 1 }))
                .collect();
            assert_eq!(rt.block_on(join_sum(handles)), NUM_SPAWN);
        });
        busy.store(false, Relaxed);
        let turns = rt.block_on(join_sum(loops));
        assert!(turns > 0, "the busy tasks never ran");
        sample
    }
}

/// 1,000 spawns from outside while one chain per worker stalls 10 µs and
/// spawns its next link (a spawn is a higher-priority wake than a yield).
pub struct SpawnManyRemoteBusy2;

impl SpawnManyRemoteBusy2 {
    const NUM_SPAWN: usize = 1_000;

    fn link<R: MtRt>(busy: Arc<AtomicBool>, links: Arc<AtomicUsize>) {
        R::spawn_detached(async move {
            if busy.load(Relaxed) {
                stall();
                links.fetch_add(1, Relaxed);
                Self::link::<R>(busy, links);
            }
        });
    }
}

impl Workload for SpawnManyRemoteBusy2 {
    const NAME: &'static str = "spawn_many_remote_busy2";
    const ABOUT: &'static str = "spawn 1,000 empty tasks from outside and join them while one \
                                 chain per worker stalls 10 µs and spawns its next link; per iteration";
    const ITERS: u32 = 50;
    const OPS: u64 = Self::NUM_SPAWN as u64;
    const OP: &'static str = "task";

    fn run<R: MtRt>() -> Sample {
        let rt = R::build(workers());
        let busy = Arc::new(AtomicBool::new(true));
        let links = Arc::new(AtomicUsize::new(0));
        for _ in 0..workers() {
            let (busy, links) = (Arc::clone(&busy), Arc::clone(&links));
            // Detached: the chain outlives this task.
            let start = rt.spawn_outside(async move { Self::link::<R>(busy, links) });
            rt.block_on(start);
        }
        let sample = per_iteration(&rt, Self::ITERS, |rt| {
            let handles: Vec<_> = (0..Self::NUM_SPAWN)
                .map(|_| rt.spawn_outside(async { 1 }))
                .collect();
            assert_eq!(rt.block_on(join_sum(handles)), Self::NUM_SPAWN);
        });
        busy.store(false, Relaxed);
        assert!(links.load(Relaxed) > 0, "the busy chains never ran");
        sample
    }
}

/// 200 tasks spawned from outside, each yielding 1,000 times.
pub struct YieldMany;

impl YieldMany {
    const TASKS: usize = 200;
    const YIELDS: usize = 1_000;
}

impl Workload for YieldMany {
    const NAME: &'static str = "yield_many";
    const ABOUT: &'static str =
        "200 tasks spawned from outside x 1,000 yield_now each, joined; per iteration";
    const ITERS: u32 = 5;
    const OPS: u64 = (Self::TASKS * Self::YIELDS) as u64;
    const OP: &'static str = "yield";

    fn run<R: MtRt>() -> Sample {
        let rt = R::build(workers());
        per_iteration(&rt, Self::ITERS, |rt| {
            let handles: Vec<_> = (0..Self::TASKS)
                .map(|_| rt.spawn_outside(Self::yields::<R>()))
                .collect();
            assert_eq!(rt.block_on(join_sum(handles)), Self::TASKS * Self::YIELDS);
        })
    }
}

impl YieldMany {
    /// One task's body.
    async fn yields<R: MtRt>() -> usize {
        for _ in 0..Self::YIELDS {
            R::yield_now().await;
        }
        Self::YIELDS
    }
}

/// [`YieldMany`] inside a spawned task: it spawns the 200 tasks (from a
/// worker, not from outside) and joins them.
pub struct YieldManyInTask;

impl Workload for YieldManyInTask {
    const NAME: &'static str = "yield_many_in_task";
    const ABOUT: &'static str = "in a spawned task: spawn 200 tasks x 1,000 yield_now each, \
                                 join them; timed in the task; per iteration";
    const ITERS: u32 = YieldMany::ITERS;
    const OPS: u64 = YieldMany::OPS;
    const OP: &'static str = "yield";

    fn run<R: MtRt>() -> Sample {
        in_task(&R::build(workers()), Self::ITERS, || async {
            let handles: Vec<_> = (0..YieldMany::TASKS)
                .map(|_| R::spawn(YieldMany::yields::<R>()))
                .collect();
            assert_eq!(
                join_sum(handles).await,
                YieldMany::TASKS * YieldMany::YIELDS
            );
        })
    }
}

/// One task spawns 1,000 tasks; each spawns a partner and they exchange a
/// message each way over oneshot channels; the last pair signals.
pub struct PingPong;

impl PingPong {
    const PINGS: usize = 1_000;
}

impl Workload for PingPong {
    const NAME: &'static str = "ping_pong";
    const ABOUT: &'static str = "a task spawns 1,000 tasks, each spawns a partner and they \
                                 ping-pong once over futures oneshots; per iteration";
    const ITERS: u32 = 50;
    const OPS: u64 = (1 + 2 * Self::PINGS) as u64;
    const OP: &'static str = "task";

    fn run<R: MtRt>() -> Sample {
        let rt = R::build(workers());
        per_iteration(&rt, Self::ITERS, |rt| rt.block_on(Self::iteration::<R>()))
    }
}

impl PingPong {
    /// Spawns the task that spawns the pairs, and waits for the last pair.
    async fn iteration<R: MtRt>() {
        let rem = Arc::new(AtomicUsize::new(Self::PINGS));
        let remaining = Arc::clone(&rem);
        let (done_tx, mut done_rx) = mpsc::unbounded::<()>();
        R::spawn_detached(async move {
            for _ in 0..Self::PINGS {
                let (rem, done_tx) = (Arc::clone(&remaining), done_tx.clone());
                R::spawn_detached(async move {
                    let (tx1, rx1) = oneshot::channel::<()>();
                    let (tx2, rx2) = oneshot::channel::<()>();
                    R::spawn_detached(async move {
                        rx1.await.expect("ping lost");
                        tx2.send(()).expect("pinger gone");
                    });
                    tx1.send(()).expect("ponger gone");
                    rx2.await.expect("pong lost");
                    if rem.fetch_sub(1, Relaxed) == 1 {
                        done_tx.unbounded_send(()).expect("the waiter is gone");
                    }
                });
            }
        });
        done_rx.next().await.expect("no pair signalled");
        assert_eq!(rem.load(Relaxed), 0);
    }
}

/// [`PingPong`]'s iterations inside a spawned task.
pub struct PingPongInTask;

impl Workload for PingPongInTask {
    const NAME: &'static str = "ping_pong_in_task";
    const ABOUT: &'static str = "in a spawned task: ping_pong's iteration (a task spawns 1,000 \
                                 pairs that ping-pong once); timed in the task; per iteration";
    const ITERS: u32 = PingPong::ITERS;
    const OPS: u64 = PingPong::OPS;
    const OP: &'static str = "task";

    fn run<R: MtRt>() -> Sample {
        in_task(&R::build(workers()), Self::ITERS, PingPong::iteration::<R>)
    }
}

/// A chain of 1,000 tasks, each spawning the next; the last signals.
pub struct ChainedSpawn;

impl ChainedSpawn {
    const LENGTH: usize = 1_000;

    fn link<R: MtRt>(left: usize, done: oneshot::Sender<usize>) {
        if left == 0 {
            let _ = done.send(Self::LENGTH);
        } else {
            R::spawn_detached(async move { Self::link::<R>(left - 1, done) });
        }
    }
}

impl Workload for ChainedSpawn {
    const NAME: &'static str = "chained_spawn";
    const ABOUT: &'static str =
        "from a spawned task, a chain of 1,000 tasks each spawning the next; per iteration";
    const ITERS: u32 = 100;
    const OPS: u64 = (1 + Self::LENGTH) as u64;
    const OP: &'static str = "task";

    fn run<R: MtRt>() -> Sample {
        let rt = R::build(workers());
        per_iteration(&rt, Self::ITERS, |rt| rt.block_on(Self::iteration::<R>()))
    }
}

impl ChainedSpawn {
    /// Starts the chain and waits for its end.
    async fn iteration<R: MtRt>() {
        let (done_tx, done_rx) = oneshot::channel();
        R::spawn_detached(async move { Self::link::<R>(Self::LENGTH, done_tx) });
        assert_eq!(done_rx.await.expect("the chain broke"), Self::LENGTH);
    }
}

/// [`ChainedSpawn`]'s iterations inside a spawned task.
pub struct ChainedSpawnInTask;

impl Workload for ChainedSpawnInTask {
    const NAME: &'static str = "chained_spawn_in_task";
    const ABOUT: &'static str = "in a spawned task: a chain of 1,000 tasks each spawning the \
                                 next; timed in the task; per iteration";
    const ITERS: u32 = ChainedSpawn::ITERS;
    const OPS: u64 = ChainedSpawn::OPS;
    const OP: &'static str = "task";

    fn run<R: MtRt>() -> Sample {
        in_task(
            &R::build(workers()),
            Self::ITERS,
            ChainedSpawn::iteration::<R>,
        )
    }
}

/// One task spawns 2,000 jobs of 50 µs of CPU each and joins them: every
/// job starts in one worker's queue, so the others must steal to help.
/// With [`workers`] workers, or with one if not `ALL`.
pub struct SkewedFanOut<const ALL: bool>;

impl<const ALL: bool> SkewedFanOut<ALL> {
    pub const JOBS: usize = 2_000;
    pub const JOB: Duration = Duration::from_micros(50);

    pub fn workers() -> usize {
        if ALL { workers() } else { 1 }
    }

    /// The time with perfect balance and no overhead: JOBS × JOB / workers.
    pub fn ideal() -> Duration {
        Self::JOB * Self::JOBS as u32 / Self::workers() as u32
    }
}

impl<const ALL: bool> Workload for SkewedFanOut<ALL> {
    const NAME: &'static str = if ALL {
        "skewed_fanout"
    } else {
        "skewed_fanout_1w"
    };
    const ABOUT: &'static str = if ALL {
        "a task spawns 2,000 jobs of 50 µs busy CPU each and joins them"
    } else {
        "skewed_fanout with 1 worker (guillotine-ct: as always, 1 thread)"
    };
    const ITERS: u32 = 1;
    const OPS: u64 = 1 + Self::JOBS as u64;
    const OP: &'static str = "task";

    fn run<R: MtRt>() -> Sample {
        let rt = R::build(Self::workers());
        per_iteration(&rt, Self::ITERS, |rt| {
            let sum = rt.block_on(async {
                let spawner = R::spawn(async {
                    let jobs: Vec<_> = (0..Self::JOBS)
                        .map(|i| {
                            R::spawn(async move {
                                spin(Self::JOB);
                                i
                            })
                        })
                        .collect();
                    join_sum(jobs).await
                });
                spawner.await
            });
            assert_eq!(sum, Self::JOBS * (Self::JOBS - 1) / 2);
        })
    }
}

/// Not a workload: builds the runtime, runs one empty `block_on` and drops
/// it; the `syscalls` report's measure of what every run costs besides
/// its tasks.
pub struct BuildDrop;

impl Workload for BuildDrop {
    const NAME: &'static str = "build_drop";
    const ABOUT: &'static str = "build a runtime, block_on an empty future, drop the runtime";
    const ITERS: u32 = 0;
    const OPS: u64 = 0;
    const OP: &'static str = "task";

    fn run<R: MtRt>() -> Sample {
        let watch = Stopwatch::start(None);
        let rt = R::build(workers());
        rt.block_on(async {});
        drop(rt);
        watch.stop(1, "run")
    }
}
