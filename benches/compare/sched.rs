//! Scheduler workloads: spawning, yielding, chains of spawns, task-to-task
//! messaging, and wake-ups that come from another OS thread.
//!
//! Each one builds a fresh runtime, times one `block_on` of the whole
//! workload (building and dropping the runtime are not timed), and checks
//! its result, so a runtime that skips work fails instead of winning.

use futures::StreamExt;
use futures::channel::{mpsc, oneshot};

use crate::harness::{self, Sample, Stopwatch, ThreadClock};
use crate::runtimes::{Rt, Workload, measure};

/// 100,000 spawns of a task returning a number, then all joined in order.
pub struct SpawnMany;

impl SpawnMany {
    const TASKS: u64 = 100_000;
}

impl Workload for SpawnMany {
    const NAME: &'static str = "spawn_many";
    const ABOUT: &'static str = "spawn 100,000 tasks that return a number, join all, sum";

    fn run<R: Rt>() -> Sample {
        let (elapsed, sum) = measure::<R, _>(async {
            let mut handles = Vec::with_capacity(Self::TASKS as usize);
            for i in 0..Self::TASKS {
                handles.push(R::spawn(async move { i }));
            }
            let mut sum = 0;
            for handle in handles {
                sum += handle.await;
            }
            sum
        });
        assert_eq!(sum, Self::TASKS * (Self::TASKS - 1) / 2, "wrong sum");
        Sample::time(elapsed)
    }
}

/// 1,000 tasks that each yield 200 times, all joined.
pub struct YieldMany;

impl YieldMany {
    const TASKS: usize = 1_000;
    const YIELDS: usize = 200;
}

impl Workload for YieldMany {
    const NAME: &'static str = "yield_many";
    const ABOUT: &'static str = "1,000 tasks x 200 yield_now each, all joined";

    fn run<R: Rt>() -> Sample {
        let (elapsed, yields) = measure::<R, _>(async {
            let handles: Vec<_> = (0..Self::TASKS)
                .map(|_| {
                    R::spawn(async {
                        for _ in 0..Self::YIELDS {
                            R::yield_now().await;
                        }
                        Self::YIELDS
                    })
                })
                .collect();
            let mut yields = 0;
            for handle in handles {
                yields += handle.await;
            }
            yields
        });
        assert_eq!(yields, Self::TASKS * Self::YIELDS);
        Sample::time(elapsed)
    }
}

/// A chain of 20,000 tasks, each spawning the next; the last one completes
/// a oneshot that `block_on` waits for.
pub struct ChainedSpawn;

impl ChainedSpawn {
    const LENGTH: usize = 20_000;

    fn link<R: Rt>(left: usize, done: oneshot::Sender<usize>) {
        if left == 0 {
            let _ = done.send(Self::LENGTH);
        } else {
            R::spawn_detached(async move { Self::link::<R>(left - 1, done) });
        }
    }
}

impl Workload for ChainedSpawn {
    const NAME: &'static str = "chained_spawn";
    const ABOUT: &'static str = "a chain of 20,000 tasks, each spawning the next";

    fn run<R: Rt>() -> Sample {
        let (elapsed, length) = measure::<R, _>(async {
            let (done_tx, done_rx) = oneshot::channel();
            Self::link::<R>(Self::LENGTH, done_tx);
            done_rx.await.expect("the chain was dropped before its end")
        });
        assert_eq!(length, Self::LENGTH);
        Sample::time(elapsed)
    }
}

/// 100 pairs of tasks; in each pair a pinger sends a number over an
/// unbounded `futures` mpsc channel and a ponger sends it back plus one,
/// 500 round trips per pair, all pairs at once.
pub struct PingPong;

impl PingPong {
    const PAIRS: usize = 100;
    const ROUND_TRIPS: usize = 500;
}

impl Workload for PingPong {
    const NAME: &'static str = "ping_pong";
    const ABOUT: &'static str = "100 task pairs x 500 round trips over futures mpsc channels";

    fn run<R: Rt>() -> Sample {
        let (elapsed, total) = measure::<R, _>(async {
            let mut pingers = Vec::with_capacity(Self::PAIRS);
            let mut pongers = Vec::with_capacity(Self::PAIRS);
            for _ in 0..Self::PAIRS {
                let (ping_tx, mut ping_rx) = mpsc::unbounded::<usize>();
                let (pong_tx, mut pong_rx) = mpsc::unbounded::<usize>();
                pongers.push(R::spawn(async move {
                    let mut pongs = 0;
                    while let Some(n) = ping_rx.next().await {
                        pong_tx.unbounded_send(n + 1).expect("pinger gone");
                        pongs += 1;
                    }
                    pongs
                }));
                pingers.push(R::spawn(async move {
                    let mut n = 0;
                    for _ in 0..Self::ROUND_TRIPS {
                        ping_tx.unbounded_send(n).expect("ponger gone");
                        n = pong_rx.next().await.expect("ponger gone");
                    }
                    n
                }));
            }
            let mut total = 0;
            for pinger in pingers {
                total += pinger.await;
            }
            for ponger in pongers {
                assert_eq!(ponger.await, Self::ROUND_TRIPS);
            }
            total
        });
        assert_eq!(total, Self::PAIRS * Self::ROUND_TRIPS);
        Sample::time(elapsed)
    }
}

/// 20,000 round trips between a plain OS thread (pinned to the helper CPU)
/// and a task: the thread sends a number on an unbounded `futures` mpsc
/// channel, which wakes the task from another thread; the task sends it
/// back on a `std::sync::mpsc` channel the thread blocks on. The runtime is
/// idle between messages, so every round trip exercises its sleep (in
/// `epoll_wait` or a futex) and its cross-thread wake-up. The helper thread
/// times the round trips only, from when the task first answers, by the
/// wall clock and by the CPU time of the runtime thread and of the process
/// (a runtime that spins instead of sleeping may win on the first).
pub struct CrossThreadWake;

impl CrossThreadWake {
    const ROUND_TRIPS: u64 = 20_000;
    /// The task's first message: it is running and awaits the channel.
    const READY: u64 = u64::MAX;
}

impl Workload for CrossThreadWake {
    const NAME: &'static str = "cross_thread_wake";
    const ABOUT: &'static str = "20,000 round trips between an OS thread and a task";

    fn run<R: Rt>() -> Sample {
        let (to_task, mut from_thread) = mpsc::unbounded::<u64>();
        let (to_thread, from_task) = std::sync::mpsc::channel::<u64>();
        let rt = R::build();
        let runtime_thread = ThreadClock::current();
        let helper = std::thread::Builder::new()
            .name("bench-helper".into())
            .spawn(move || -> (Sample, u64) {
                harness::pin_helper_thread();
                assert_eq!(from_task.recv().expect("task gone"), Self::READY);
                let watch = Stopwatch::start(Some(runtime_thread));
                let mut sum = 0;
                for i in 0..Self::ROUND_TRIPS {
                    to_task.unbounded_send(i).expect("task gone");
                    sum += from_task.recv().expect("task gone");
                }
                (watch.stop(Self::ROUND_TRIPS, "round trip"), sum)
            })
            .expect("spawn the helper thread");
        let echoed = rt.block_on(async move {
            R::spawn(async move {
                to_thread.send(Self::READY).expect("helper gone");
                let mut echoed = 0u64;
                while let Some(i) = from_thread.next().await {
                    to_thread.send(i).expect("helper gone");
                    echoed += 1;
                }
                echoed
            })
            .await
        });
        let (sample, sum) = helper.join().expect("the helper thread panicked");
        drop(rt);
        assert_eq!(echoed, Self::ROUND_TRIPS);
        assert_eq!(sum, Self::ROUND_TRIPS * (Self::ROUND_TRIPS - 1) / 2);
        sample
    }
}
