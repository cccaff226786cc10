//! A producer thread that wakes a task at a steady pace: what an idle
//! runtime costs in CPU time, and how fast it reacts, when outside events
//! arrive every 10 µs to 1 ms. A runtime that spins after a wake-up reacts
//! faster but may burn its CPU between events; this report shows both.

use std::time::{Duration, Instant};

use futures::StreamExt;
use futures::channel::mpsc;

use crate::harness::{self, Contender, Figure, ReportResult, Sample, percentile};
use crate::runtimes::{Report, Rt};

/// For each pace P, on a fresh runtime: an OS thread on the helper CPU
/// sends a message every P µs (busy-waiting on `Instant` for the spacing)
/// to a task on the runtime thread; the task records each message's wake
/// latency (receipt minus send time) and, on its own thread, the runtime
/// thread's CPU time over the recorded messages.
pub struct PacedWakes;

impl PacedWakes {
    const PACES_US: [u64; 6] = [10, 30, 60, 100, 300, 1000];
    const WAKES: usize = 3_000;
    /// Unrecorded wakes first, at the same pace, so that the runtime (and
    /// any adaptive spinning) has settled when the window opens.
    const WARMUP_WAKES: usize = 100;

    fn label(pace_us: u64, what: &str) -> String {
        format!("{pace_us} µs {what}")
    }

    /// One pace on a fresh `R`: the figures for it.
    fn run_pace<R: Rt>(pace_us: u64) -> Vec<Figure> {
        let pace = Duration::from_micros(pace_us);
        let total = Self::WARMUP_WAKES + Self::WAKES;
        // Each message is its send time, on a `futures` mpsc channel (as in
        // `cross_thread_wake`) rather than in an atomic beside a bare
        // waker: the send wakes the task through the channel's waker and
        // the runtime's cross-thread wake-up, the path an outside event
        // takes in real code, and no wake is lost or merged unseen (a
        // message that arrives while the task runs is simply queued). The
        // channel's own few atomic operations are the same on every runtime.
        let (to_task, mut from_producer) = mpsc::unbounded::<Instant>();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel::<()>();
        let producer = std::thread::Builder::new()
            .name("bench-producer".into())
            .spawn(move || {
                harness::pin_helper_thread();
                ready_rx.recv().expect("task gone");
                let mut next = Instant::now();
                for _ in 0..total {
                    let mut now = Instant::now();
                    while now < next {
                        std::hint::spin_loop();
                        now = Instant::now();
                    }
                    to_task.unbounded_send(now).expect("task gone");
                    // From this send, not from the schedule: a producer that
                    // was held up resumes at the pace instead of in a burst.
                    next = now + pace;
                }
            })
            .expect("spawn the producer thread");
        let rt = R::build();
        let task = async move {
            ready_tx.send(()).expect("producer gone");
            for _ in 0..Self::WARMUP_WAKES {
                from_producer.next().await.expect("producer gone");
            }
            let cpu_start = harness::thread_cpu_time();
            let wall_start = Instant::now();
            let mut latencies = Vec::with_capacity(Self::WAKES);
            let mut first_sent = None;
            let mut last_sent = wall_start;
            for _ in 0..Self::WAKES {
                let sent = from_producer.next().await.expect("producer gone");
                latencies.push((Instant::now() - sent).as_secs_f64());
                first_sent.get_or_insert(sent);
                last_sent = sent;
            }
            let wall = wall_start.elapsed();
            let cpu = harness::thread_cpu_time() - cpu_start;
            let sent_span = last_sent - first_sent.expect("no message");
            (latencies, cpu, wall, sent_span)
        };
        let (mut latencies, cpu, wall, sent_span) = rt.block_on(async { R::spawn(task).await });
        producer.join().expect("the producer thread panicked");
        drop(rt);
        latencies.sort_by(f64::total_cmp);
        let time = |s: f64| Sample::time(Duration::from_secs_f64(s));
        vec![
            Figure::row(
                Self::label(pace_us, "CPU"),
                Sample::percent(cpu.as_secs_f64() / wall.as_secs_f64()),
            ),
            Figure::row(
                Self::label(pace_us, "p50"),
                time(percentile(&latencies, 50)),
            ),
            Figure::row(
                Self::label(pace_us, "p99"),
                time(percentile(&latencies, 99)),
            ),
            Figure::detail(
                Self::label(pace_us, "max"),
                time(latencies[latencies.len() - 1]),
            ),
            // The spacing the producer achieved (above P if a send took
            // longer than P).
            Figure::detail(
                Self::label(pace_us, "interval"),
                Sample::time(sent_span / (Self::WAKES as u32 - 1)),
            ),
        ]
    }
}

impl Report for PacedWakes {
    const NAME: &'static str = "paced_wakes";
    const ABOUT: &'static str = "a thread wakes a task every 10, 30, 60, 100, 300, 1000 µs, \
         3,000 wakes each: runtime thread CPU share, wake latency";
    const ROUNDS: bool = true;

    fn run<R: Rt>() -> Vec<Figure> {
        Self::PACES_US
            .iter()
            .flat_map(|&pace| Self::run_pace::<R>(pace))
            .collect()
    }

    /// One row per pace: the CPU shares, the latencies of all runtimes
    /// side by side, and whether contender 0 meets its targets: CPU share
    /// at most 1.2 × the highest other's + 2 points, p50 latency at most
    /// the lowest other's.
    fn table(contenders: &[Contender], result: &ReportResult) -> String {
        let initials: Vec<String> = contenders.iter().map(|c| c.name[..1].to_string()).collect();
        let initials = initials.join("/");
        let mut header = vec!["pace".to_string()];
        header.extend(contenders.iter().map(|c| format!("{} CPU", c.name)));
        header.push(format!("p50 µs ({initials})"));
        header.push(format!("p99 µs ({initials})"));
        header.push("CPU target met".into());
        header.push("p50 target met".into());
        let mut out = harness::table_head(&header);
        let us = |v: Option<f64>| match v.map(|s| s * 1e6) {
            Some(us) if us < 100.0 => format!("{us:.1}"),
            Some(us) => format!("{us:.0}"),
            None => "–".into(),
        };
        for pace in Self::PACES_US {
            let values = |what: &str| -> Vec<Option<f64>> {
                let label = Self::label(pace, what);
                (0..contenders.len())
                    .map(|i| result.value(i, &label))
                    .collect()
            };
            let (cpu, p50, p99) = (values("CPU"), values("p50"), values("p99"));
            let mut cols = vec![format!("{pace} µs")];
            cols.extend(
                cpu.iter()
                    .map(|v| v.map_or("–".into(), |p| format!("{p:.1}%"))),
            );
            cols.push(p50.iter().map(|v| us(*v)).collect::<Vec<_>>().join(" / "));
            cols.push(p99.iter().map(|v| us(*v)).collect::<Vec<_>>().join(" / "));
            let max = |o: &[f64]| o.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let min = |o: &[f64]| o.iter().copied().fold(f64::INFINITY, f64::min);
            cols.push(target(&cpu, |o| 1.2 * max(o) + 2.0, |l| format!("{l:.1}%")));
            cols.push(target(&p50, min, |l| us(Some(l))));
            out.push_str(&harness::table_row(&cols));
        }
        out
    }
}

/// "yes (≤ limit)" if `values[0]` is at most the limit computed from the
/// others' values, "no (> limit)" otherwise, "–" unless all were measured.
fn target(
    values: &[Option<f64>],
    limit: impl Fn(&[f64]) -> f64,
    show: impl Fn(f64) -> String,
) -> String {
    let Some(all) = values.iter().copied().collect::<Option<Vec<f64>>>() else {
        return "–".into();
    };
    let limit = limit(&all[1..]);
    if all[0] <= limit {
        format!("yes (≤ {})", show(limit))
    } else {
        format!("no (> {})", show(limit))
    }
}
