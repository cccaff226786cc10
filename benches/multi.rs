//! Multi-thread benchmarks: tokio's multi-thread scheduler workloads, the
//! same workloads run inside a spawned task, a skewed fan-out and an
//! HTTP/1 server under four loads, on tokio's multi-thread runtime and
//! smol's `Executor` (2 workers each), guillotine's multi-thread flavor
//! (the contender under test) and its current-thread runtime (the hyper
//! tables add tokio's current-thread runtime and guillotine-2ct).
//!
//! ```text
//! cargo bench --bench multi --features hyper         # everything
//! BENCH_ROUNDS=5 cargo bench --bench multi -- spawn  # names containing a word
//! BENCH_ROUNDS=5 cargo bench --bench multi --features hyper -- hyper
//!                                                    # only the hyper tables (needs wrk)
//! MULTI_BENCH_HYPER_ROWS=hello,work MULTI_BENCH_HYPER_PIN=cpu0 \
//!   MULTI_BENCH_HYPER_SERVERS=guillotine-mt,tokio-mt MULTI_BENCH_HYPER_SECS=5 \
//!   cargo bench --bench multi --features hyper -- hyper
//!                                                    # some hyper rows and servers
//! MULTI_BENCH_WORKERS=8 cargo bench --bench multi    # 8 workers instead of 2
//! MULTI_BENCH_WORKERS=1 BENCH_RUNTIMES=guillotine-mt,guillotine-ct \
//!   cargo bench --bench multi -- in_task             # guillotine-mt on 1 worker
//!                                                    # against guillotine-ct
//! BENCH_ROUNDS=3 cargo bench --bench multi --features hyper -- syscalls
//!                                                    # system calls per 1,000 tasks
//!                                                    # (strace, perf; only on request)
//! ```
//!
//! Without `--features hyper` guillotine's servers are "pending".
//!
//! Nothing is pinned for the scheduler rows (a runtime's threads inherit
//! the affinity of the thread that builds it, so pinning the bench's main
//! thread would put every worker on one CPU); each hyper row runs once
//! unpinned and once with the server on CPU 0 and wrk on CPU 1. The
//! contenders alternate round by round as in the compare bench (whose
//! `compare/harness.rs` this reuses): one warm-up round, then
//! `BENCH_ROUNDS` (default 11). See BENCHMARKS.md, "Multi-thread".
//!
//! Layout: `multi/runtimes.rs` has the `MtRt` trait and the contenders,
//! `multi/guillotine_mt.rs` the multi-thread flavor's (and its hyper
//! server), `multi/sched.rs` the scheduler workloads,
//! `multi/hyper_hello.rs` the HTTP servers and their wrk driver,
//! `multi/counts.rs` the `syscalls` report. After the tables of medians,
//! paired ratios and CPU per iteration, a targets table marks each of
//! guillotine-mt's rows against its target (see `targets_table`), and
//! `in_task_table` sets guillotine-mt against guillotine-ct on the
//! in-task rows.

// The compare bench uses all of the harness; this one only part of it.
#[path = "multi/counts.rs"]
mod counts;
#[path = "multi/guillotine_mt.rs"]
mod guillotine_mt;
#[allow(dead_code)]
#[path = "compare/harness.rs"]
mod harness;
#[path = "multi/hyper_hello.rs"]
mod hyper_hello;
#[path = "multi/runtimes.rs"]
mod runtimes;
#[path = "multi/sched.rs"]
mod sched;

use counts::Counted;
use harness::{Bench, Cell, Contender, Row, Unit};
use runtimes::bench;
use sched::SkewedFanOut;

/// Calls `$f::<W>()` for every scheduler workload `W`, in the order they
/// run and appear.
macro_rules! every_workload {
    ($f:ident) => {
        vec![
            $f::<sched::SpawnManyLocal>(),
            $f::<sched::SpawnManyRemoteIdle>(),
            $f::<sched::SpawnManyRemoteBusy1>(),
            $f::<sched::SpawnManyRemoteBusy2>(),
            $f::<sched::YieldMany>(),
            $f::<sched::PingPong>(),
            $f::<sched::ChainedSpawn>(),
            $f::<sched::SpawnManyInTask>(),
            $f::<sched::YieldManyInTask>(),
            $f::<sched::PingPongInTask>(),
            $f::<sched::ChainedSpawnInTask>(),
            $f::<SkewedFanOut<true>>(),
            $f::<SkewedFanOut<false>>(),
        ]
    };
}

/// Every scheduler workload, for the harness.
fn benches() -> Vec<Bench> {
    every_workload!(bench)
}

/// Every scheduler workload, for the `syscalls` report.
pub fn counted() -> Vec<Counted> {
    use runtimes::counted;
    every_workload!(counted)
}

/// The fan-out rows against the ideal (JOBS × JOB / workers) and each
/// other, if both ran.
fn fanout_table(contenders: &[Contender], rows: &[Row]) -> Option<String> {
    use runtimes::Workload;
    let find = |name| rows.iter().find(|r| r.bench == name);
    let all = find(<SkewedFanOut<true> as Workload>::NAME)?;
    let one = find(<SkewedFanOut<false> as Workload>::NAME)?;
    let median = |cell: &Cell| match cell {
        Cell::Measured { median, .. } => Some(median.value),
        _ => None,
    };
    let ideal_all = SkewedFanOut::<true>::ideal().as_secs_f64();
    let ideal_one = SkewedFanOut::<false>::ideal().as_secs_f64();
    let seconds = |v: f64| harness::format_value(v, Unit::Seconds);
    let mut header = vec!["skewed fan-out".to_string(), "ideal".to_string()];
    header.extend(contenders.iter().map(|c| c.name.to_string()));
    let mut out = harness::table_head(&header);
    type Line<'a> = (String, String, Box<dyn Fn(usize) -> Option<String> + 'a>);
    let lines: [Line; 5] = [
        (
            format!("{} workers", sched::workers()),
            seconds(ideal_all),
            Box::new(|i| median(&all.cells[i]).map(seconds)),
        ),
        (
            format!("{} workers ÷ ideal", sched::workers()),
            "1.00".into(),
            Box::new(|i| median(&all.cells[i]).map(|t| format!("{:.2}", t / ideal_all))),
        ),
        (
            "1 worker".into(),
            seconds(ideal_one),
            Box::new(|i| median(&one.cells[i]).map(seconds)),
        ),
        (
            "1 worker ÷ ideal".into(),
            "1.00".into(),
            Box::new(|i| median(&one.cells[i]).map(|t| format!("{:.2}", t / ideal_one))),
        ),
        (
            format!("speed-up, 1 → {} workers", sched::workers()),
            format!("{:.2}", ideal_one / ideal_all),
            Box::new(|i| {
                Some(format!(
                    "{:.2}",
                    median(&one.cells[i])? / median(&all.cells[i])?
                ))
            }),
        ),
    ];
    for (label, ideal, cell) in lines {
        let mut cols = vec![label, ideal];
        cols.extend((0..contenders.len()).map(|i| cell(i).unwrap_or_else(|| "–".into())));
        out.push_str(&harness::table_row(&cols));
    }
    Some(out)
}

/// The median of the per-round ratios `a[i] / b[i]`.
fn paired_median(a: &[f64], b: &[f64]) -> f64 {
    let mut ratios: Vec<f64> = a.iter().zip(b).map(|(x, y)| x / y).collect();
    ratios.sort_by(f64::total_cmp);
    let n = ratios.len();
    if n % 2 == 1 {
        ratios[n / 2]
    } else {
        (ratios[n / 2 - 1] + ratios[n / 2]) / 2.0
    }
}

/// Every row of guillotine-mt (column 0) against its targets: at or below
/// the faster of tokio-mt and smol-mt (paired ratio ≤ 1); the fan-out
/// within 10% of the ideal; with 1 worker (`MULTI_BENCH_WORKERS=1`), at
/// most 10% slower than guillotine-ct (paired ratio ≤ 1.10).
fn targets_table(contenders: &[Contender], rows: &[Row]) -> Option<String> {
    use runtimes::{GUILLOTINE_CT, GUILLOTINE_MT, SMOL_MT, TOKIO_MT, Workload};
    if contenders[0].name != GUILLOTINE_MT {
        return None;
    }
    let index = |name| contenders.iter().position(|c| c.name == name);
    let measured = |row: &Row, i: usize| match &row.cells[i] {
        Cell::Measured {
            median, by_round, ..
        } => Some((median.value, by_round.clone())),
        _ => None,
    };
    let seconds = |v: f64| harness::format_value(v, Unit::Seconds);
    let verdict = |ok: bool| if ok { "met" } else { "**missed**" }.to_string();
    let header = [
        "target",
        GUILLOTINE_MT,
        "reference",
        "ratio (paired median)",
        "",
    ]
    .map(String::from);
    let mut out = harness::table_head(&header);
    let mut any = false;
    for row in rows {
        let Some((ours, ours_rounds)) = measured(row, 0) else {
            continue;
        };
        // The faster of tokio-mt and smol-mt, by median.
        let faster = [TOKIO_MT, SMOL_MT]
            .into_iter()
            .filter_map(|name| Some((name, measured(row, index(name)?)?)))
            .min_by(|a, b| a.1.0.total_cmp(&b.1.0));
        if let Some((name, (theirs, rounds))) = faster
            && rounds.len() == ours_rounds.len()
        {
            let ratio = paired_median(&ours_rounds, &rounds);
            out.push_str(&harness::table_row(&[
                format!("{} ≤ faster of tokio-mt, smol-mt", row.bench),
                seconds(ours),
                format!("{name} {}", seconds(theirs)),
                format!("{ratio:.3}"),
                verdict(ratio <= 1.0),
            ]));
            any = true;
        }
        let ideal = if row.bench == <SkewedFanOut<true> as Workload>::NAME {
            Some(SkewedFanOut::<true>::ideal())
        } else if row.bench == <SkewedFanOut<false> as Workload>::NAME {
            Some(SkewedFanOut::<false>::ideal())
        } else {
            None
        };
        if let Some(ideal) = ideal {
            let ideal = ideal.as_secs_f64();
            out.push_str(&harness::table_row(&[
                format!("{} ≤ 1.10 × ideal", row.bench),
                seconds(ours),
                format!("ideal {}", seconds(ideal)),
                format!("{:.2} (median ÷ ideal)", ours / ideal),
                verdict(ours <= 1.10 * ideal),
            ]));
        }
        if sched::workers() == 1
            && let Some((theirs, rounds)) = index(GUILLOTINE_CT).and_then(|i| measured(row, i))
            && rounds.len() == ours_rounds.len()
        {
            let ratio = paired_median(&ours_rounds, &rounds);
            out.push_str(&harness::table_row(&[
                format!("{} (1 worker) ≤ 1.10 × guillotine-ct", row.bench),
                seconds(ours),
                format!("guillotine-ct {}", seconds(theirs)),
                format!("{ratio:.3}"),
                verdict(ratio <= 1.10),
            ]));
        }
    }
    any.then_some(out)
}

/// guillotine-mt ÷ guillotine-ct (paired medians) on each `*_in_task`
/// row beside its `block_on`-shaped sibling; with 1 worker
/// (`MULTI_BENCH_WORKERS=1`) the in-task rows' target is ≤ 1.10.
fn in_task_table(contenders: &[Contender], rows: &[Row]) -> Option<String> {
    use runtimes::{GUILLOTINE_CT, GUILLOTINE_MT, Workload};
    let ours = contenders.iter().position(|c| c.name == GUILLOTINE_MT)?;
    let theirs = contenders.iter().position(|c| c.name == GUILLOTINE_CT)?;
    let ratio = |name: &str| {
        let row = rows.iter().find(|r| r.bench == name)?;
        match (&row.cells[ours], &row.cells[theirs]) {
            (Cell::Measured { by_round: a, .. }, Cell::Measured { by_round: b, .. })
                if a.len() == b.len() =>
            {
                Some(paired_median(a, b))
            }
            _ => None,
        }
    };
    let pairs = [
        (sched::SpawnManyLocal::NAME, sched::SpawnManyInTask::NAME),
        (sched::YieldMany::NAME, sched::YieldManyInTask::NAME),
        (sched::PingPong::NAME, sched::PingPongInTask::NAME),
        (sched::ChainedSpawn::NAME, sched::ChainedSpawnInTask::NAME),
    ];
    let workers = sched::workers();
    let header = [
        format!(
            "{GUILLOTINE_MT} ({workers} worker{}) ÷ {GUILLOTINE_CT}",
            if workers == 1 { "" } else { "s" }
        ),
        "block_on shape".into(),
        "in a task".into(),
        "in a task ≤ 1.10 (1 worker)".into(),
    ];
    let mut out = harness::table_head(&header);
    let mut any = false;
    for (shaped, in_task) in pairs {
        let Some(inside) = ratio(in_task) else {
            continue;
        };
        any = true;
        let verdict = match (workers, inside <= 1.10) {
            (1, true) => "met",
            (1, false) => "**missed**",
            _ => "– (MULTI_BENCH_WORKERS=1)",
        };
        out.push_str(&harness::table_row(&[
            in_task.to_string(),
            ratio(shaped).map_or_else(|| "–".into(), |r| format!("{shaped} {r:.3}")),
            format!("{inside:.3}"),
            verdict.into(),
        ]));
    }
    any.then_some(out)
}

/// guillotine-mt against tokio-mt, per hyper table, on the issue's three
/// targets: requests/s at or above, p99 and server CPU per request at or
/// below. Each ratio is the median of the per-round ratios (the servers
/// alternate, so a round's pair saw the same state of the machine), with
/// how many rounds guillotine-mt won.
fn hyper_targets(http: &[Contender], results: &[harness::ReportResult]) -> Option<String> {
    use runtimes::{GUILLOTINE_MT, TOKIO_MT};
    let ours = http.iter().position(|c| c.name == GUILLOTINE_MT)?;
    let theirs = http.iter().position(|c| c.name == TOKIO_MT)?;
    let header = [
        "hyper target",
        GUILLOTINE_MT,
        TOKIO_MT,
        "ratio (paired median)",
        "",
    ]
    .map(String::from);
    // (label, unit, whether higher is better)
    let targets = [
        ("requests/s", Unit::PerSecond, true),
        ("latency p99", Unit::Seconds, false),
        ("server CPU per request", Unit::Seconds, false),
    ];
    let mut out = harness::table_head(&header);
    let mut any = false;
    for result in results {
        for (label, unit, higher) in targets {
            let (Some(a), Some(b)) = (result.value(ours, label), result.value(theirs, label))
            else {
                continue;
            };
            let (Some(ra), Some(rb)) = (
                result.round_values(ours, label),
                result.round_values(theirs, label),
            ) else {
                continue;
            };
            let ratio = paired_median(&ra, &rb);
            let won = ra
                .iter()
                .zip(&rb)
                .filter(|(x, y)| if higher { x >= y } else { x <= y })
                .count();
            let met = if higher { ratio >= 1.0 } else { ratio <= 1.0 };
            let sign = if higher { "≥" } else { "≤" };
            out.push_str(&harness::table_row(&[
                format!("{}: {label} {sign} tokio-mt's", result.name),
                harness::format_value(a, unit),
                harness::format_value(b, unit),
                format!("{ratio:.2}, won {won}/{}", ra.len()),
                if met { "met" } else { "**missed**" }.to_string(),
            ]));
            any = true;
        }
    }
    any.then_some(out)
}

fn main() {
    if let Ok(name) = std::env::var(hyper_hello::SERVER_ENV) {
        hyper_hello::serve(&name);
    }
    let contenders = runtimes::contenders();
    let mut in_child = counted();
    in_child.push(runtimes::counted::<sched::BuildDrop>());
    counts::run_as_child(&in_child, &contenders);
    let http = hyper_hello::contenders();
    let benches = benches();
    let reports = hyper_hello::reports();
    let cfg = harness::Config::from_env_and_args();
    // Only on request: it runs every workload again under strace and perf.
    let syscalls = [counts::report()];
    let syscalls = if cfg.filters.iter().any(|f| f == "syscalls") {
        &syscalls[..]
    } else {
        &[]
    };
    cfg.check_runtimes(&[contenders.clone(), http.clone()].concat());
    let selected = benches.iter().filter(|b| cfg.selects(b.name)).count()
        + reports.iter().filter(|r| cfg.selects(r.name)).count()
        + syscalls.len();
    if selected == 0 {
        let names: Vec<_> = benches
            .iter()
            .map(|b| b.name)
            .chain(reports.iter().map(|r| r.name))
            .chain(["syscalls"])
            .collect();
        eprintln!(
            "no workload matches {:?}; workloads: {}",
            cfg.filters,
            names.join(", ")
        );
        std::process::exit(1);
    }
    eprintln!(
        "multi: {selected} workload(s), median of {} round(s) per runtime after a warm-up; \
         {} workers, nothing pinned but the hyper *_cpu0 tables",
        cfg.rounds,
        sched::workers(),
    );
    let (rows, _) = harness::run_all(&contenders, &benches, &[], &cfg);
    if !rows.is_empty() {
        println!();
        print!("{}", harness::markdown_table(&contenders, &rows));
        println!();
        print!("{}", harness::paired_table(&contenders, &rows));
        let thread = |bench: &str| {
            if bench.ends_with("_in_task") {
                "the task's first thread CPU"
            } else {
                "block_on thread CPU"
            }
        };
        if let Some(table) = harness::cpu_table_as(&contenders, &rows, thread) {
            println!();
            print!("{table}");
        }
        if let Some(table) = fanout_table(&contenders, &rows) {
            println!();
            print!("{table}");
        }
        if let Some(table) = targets_table(&contenders, &rows) {
            println!();
            print!("{table}");
        }
        if let Some(table) = in_task_table(&contenders, &rows) {
            println!();
            print!("{table}");
        }
    }
    let (_, results) = harness::run_all(&http, &[], &reports, &hyper_hello::config(&cfg));
    for result in &results {
        println!();
        print!("{}", (result.table)(&http, result));
    }
    if let Some(table) = hyper_targets(&http, &results) {
        println!();
        print!("{table}");
    }
    let (_, results) = harness::run_all(&contenders, &[], syscalls, &cfg);
    for result in &results {
        println!();
        print!("{}", (result.table)(&contenders, result));
    }
}
