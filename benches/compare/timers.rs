//! Timer workloads: many concurrent sleeps with timeouts set and cancelled
//! around them (a time), and how late a sleep wakes up (a latency report).
//!
//! Both go through `Rt::sleep` and `Rt::timeout`: `guillotine::time`,
//! `tokio::time`, and for smol `smol::Timer` (a timeout races the future
//! against a timer with `futures_lite::future::or`), and run under
//! `Rt::block_on_timers`, so that smol's reactor, which fires its timers,
//! runs on the runtime thread (`smol::block_on`).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::time::{Duration, Instant};

use crate::harness::{Figure, Sample, percentile};
use crate::runtimes::{Report, Rt, Workload, measure_timers};

/// 100,000 tasks that each sleep once, 1 to 20 ms (1 + i % 20 ms), and,
/// at the same time, 1,000 tasks that each set and cancel 300 timeouts
/// (300,000 in all). Every timeout wraps a `yield_now`, which is pending
/// once: the timer is really queued, then the future completes on its
/// second poll, long before the 1 s deadline, and the timer is cancelled.
/// `block_on` spawns everything, then joins the sleepers and the timeout
/// tasks in order.
///
/// Every 100th sleeper checks that it did not wake before its deadline,
/// each timeout task counts the timeouts whose future won, and the totals
/// are checked. The whole cannot take less than 20 ms, the longest sleep;
/// it takes several times that on every runtime, so what is timed is the
/// work of queueing, firing and cancelling 400,000 timers, with the
/// 101,000 spawns and 300,000 yields around them.
pub struct Timers;

impl Timers {
    const SLEEPERS: usize = 100_000;
    /// Sleeper `i` sleeps `1 + i % SPREAD_MS` milliseconds.
    const SPREAD_MS: usize = 20;
    /// One sleeper in this many checks that it did not wake early.
    const CHECK_EVERY: usize = 100;
    const TIMEOUT_TASKS: usize = 1_000;
    const TIMEOUTS_PER_TASK: usize = 300;
    /// Far beyond the length of the workload: no timeout should fire.
    const TIMEOUT: Duration = Duration::from_secs(1);
}

impl Workload for Timers {
    const NAME: &'static str = "timers";
    const ABOUT: &'static str = "100,000 tasks sleep 1-20 ms while 1,000 tasks \
                                 set and cancel 300,000 timeouts";

    fn run<R: Rt>() -> Sample {
        let (elapsed, (slept, completed)) = measure_timers::<R, _>(async {
            let sleepers: Vec<_> = (0..Self::SLEEPERS)
                .map(|i| {
                    let duration = Duration::from_millis(1 + (i % Self::SPREAD_MS) as u64);
                    // Every 100th sleeper checks that it did not wake
                    // early (if all did, reading the clock 200,000 times
                    // would be a tenth of the fastest runtime's time).
                    let check = i % Self::CHECK_EVERY == 0;
                    R::spawn(async move {
                        let start = check.then(Instant::now);
                        R::sleep(duration).await;
                        if let Some(start) = start {
                            let slept = start.elapsed();
                            assert!(
                                slept >= duration,
                                "a {duration:?} sleep woke after {slept:?}"
                            );
                        }
                        1usize
                    })
                })
                .collect();
            let timeouts: Vec<_> = (0..Self::TIMEOUT_TASKS)
                .map(|_| {
                    R::spawn(async {
                        let mut completed = 0usize;
                        for _ in 0..Self::TIMEOUTS_PER_TASK {
                            if R::timeout(Self::TIMEOUT, R::yield_now()).await.is_some() {
                                completed += 1;
                            }
                        }
                        completed
                    })
                })
                .collect();
            let mut slept = 0;
            for sleeper in sleepers {
                slept += sleeper.await;
            }
            let mut completed = 0;
            for task in timeouts {
                completed += task.await;
            }
            (slept, completed)
        });
        assert_eq!(slept, Self::SLEEPERS, "sleeps completed");
        assert_eq!(
            completed,
            Self::TIMEOUT_TASKS * Self::TIMEOUTS_PER_TASK,
            "timeouts whose future completed before the deadline"
        );
        Sample::time(elapsed)
    }
}

/// How late `sleep` wakes up: one task sleeps 100 µs 1,000 times, then
/// 1 ms 1,000 times, then 10 ms 1,000 times, one sleep after another, and
/// records the lateness of each (the time from just before the sleep was
/// created until the task ran again, minus the duration). Reports the
/// median and the 99th percentile per duration (nearest rank), and on
/// stderr also the minimum and maximum. The runtime has nothing else to do,
/// so this is the precision of its timer and of its parking in the kernel.
pub struct SleepLateness;

impl SleepLateness {
    const DURATIONS: [(Duration, &'static str); 3] = [
        (Duration::from_micros(100), "100 µs"),
        (Duration::from_millis(1), "1 ms"),
        (Duration::from_millis(10), "10 ms"),
    ];
    const SAMPLES: usize = 1_000;
    /// Unrecorded sleeps first, so that lazily created timer machinery
    /// (tokio's wheel, async-io's reactor and thread) exists.
    const WARMUP_SLEEPS: usize = 10;
}

impl Report for SleepLateness {
    const NAME: &'static str = "sleep_lateness";
    const ABOUT: &'static str =
        "lateness of sequential sleeps of 100 µs, 1 ms and 10 ms, 1,000 of each";

    fn run<R: Rt>() -> Vec<Figure> {
        let early = Arc::new(AtomicUsize::new(0));
        let early_in_task = Arc::clone(&early);
        let rt = R::build();
        let task = async move {
            for _ in 0..Self::WARMUP_SLEEPS {
                R::sleep(Duration::from_millis(1)).await;
            }
            let mut lateness = Vec::new();
            for (duration, _) in Self::DURATIONS {
                let mut samples = Vec::with_capacity(Self::SAMPLES);
                for _ in 0..Self::SAMPLES {
                    let start = Instant::now();
                    R::sleep(duration).await;
                    let slept = start.elapsed();
                    if slept < duration {
                        early_in_task.fetch_add(1, Relaxed);
                    }
                    samples.push(slept.as_secs_f64() - duration.as_secs_f64());
                }
                lateness.push(samples);
            }
            lateness
        };
        let lateness: Vec<Vec<f64>> = rt.block_on_timers(async { R::spawn(task).await });
        drop(rt);
        assert_eq!(
            early.load(Relaxed),
            0,
            "sleeps that woke before their deadline"
        );
        let mut figures = Vec::new();
        for ((_, name), mut samples) in Self::DURATIONS.into_iter().zip(lateness) {
            assert_eq!(samples.len(), Self::SAMPLES);
            samples.sort_by(f64::total_cmp);
            let time = |s: f64| Sample::time(Duration::from_secs_f64(s.max(0.0)));
            figures.push(Figure::detail(format!("{name} min"), time(samples[0])));
            figures.push(Figure::row(
                format!("{name} p50"),
                time(percentile(&samples, 50)),
            ));
            figures.push(Figure::row(
                format!("{name} p99"),
                time(percentile(&samples, 99)),
            ));
            figures.push(Figure::detail(
                format!("{name} max"),
                time(samples[samples.len() - 1]),
            ));
        }
        figures
    }
}
