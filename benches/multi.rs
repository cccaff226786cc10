//! Multi-thread benchmarks: tokio's multi-thread scheduler workloads, a
//! skewed fan-out and an HTTP/1 hello server, on tokio's multi-thread
//! runtime and smol's `Executor` (2 workers each), guillotine's
//! multi-thread flavor (the contender under test) and its current-thread
//! runtime.
//!
//! ```text
//! cargo bench --bench multi --features tokio-io      # everything
//! cargo bench --bench multi                          # hyper without guillotine's servers
//! BENCH_ROUNDS=5 cargo bench --bench multi -- spawn  # names containing a word
//! cargo bench --bench multi -- hyper                 # only the hyper tables (needs wrk)
//! MULTI_BENCH_WORKERS=8 cargo bench --bench multi    # 8 workers instead of 2
//! ```
//!
//! Nothing is pinned for the scheduler rows (a runtime's threads inherit
//! the affinity of the thread that builds it, so pinning the bench's main
//! thread would put every worker on one CPU); the hyper tables run once
//! unpinned and once with the server on CPU 0 and wrk on CPU 1. The
//! contenders alternate round by round as in the compare bench (whose
//! `compare/harness.rs` this reuses): one warm-up round, then
//! `BENCH_ROUNDS` (default 11). See BENCHMARKS.md, "Multi-thread".
//!
//! Layout: `multi/runtimes.rs` has the `MtRt` trait and the contenders,
//! `multi/guillotine_mt.rs` the multi-thread flavor's (and its hyper
//! server), `multi/sched.rs` the scheduler workloads,
//! `multi/hyper_hello.rs` the HTTP server and its wrk driver.

// The compare bench uses all of the harness; this one only part of it.
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

use harness::{Bench, Cell, Contender, Row, Unit};
use runtimes::bench;
use sched::SkewedFanOut;

/// Every scheduler workload, in the order they run and appear.
fn benches() -> Vec<Bench> {
    vec![
        bench::<sched::SpawnManyLocal>(),
        bench::<sched::SpawnManyRemoteIdle>(),
        bench::<sched::SpawnManyRemoteBusy1>(),
        bench::<sched::SpawnManyRemoteBusy2>(),
        bench::<sched::YieldMany>(),
        bench::<sched::PingPong>(),
        bench::<sched::ChainedSpawn>(),
        bench::<SkewedFanOut<true>>(),
        bench::<SkewedFanOut<false>>(),
    ]
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

fn main() {
    if let Ok(name) = std::env::var(hyper_hello::SERVER_ENV) {
        hyper_hello::serve(&name);
    }
    let contenders = runtimes::contenders();
    let http = hyper_hello::contenders();
    let benches = benches();
    let reports = hyper_hello::reports();
    let cfg = harness::Config::from_env_and_args();
    cfg.check_runtimes(&[contenders.clone(), http.clone()].concat());
    let selected = benches.iter().filter(|b| cfg.selects(b.name)).count()
        + reports.iter().filter(|r| cfg.selects(r.name)).count();
    if selected == 0 {
        let names: Vec<_> = benches
            .iter()
            .map(|b| b.name)
            .chain(reports.iter().map(|r| r.name))
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
         {} workers, nothing pinned but the hyper_hello_cpu0 table",
        cfg.rounds,
        sched::workers(),
    );
    let (rows, _) = harness::run_all(&contenders, &benches, &[], &cfg);
    if !rows.is_empty() {
        println!();
        print!("{}", harness::markdown_table(&contenders, &rows));
        println!();
        print!("{}", harness::paired_table(&contenders, &rows));
        if let Some(table) = harness::cpu_table_as(&contenders, &rows, "block_on thread CPU") {
            println!();
            print!("{table}");
        }
        if let Some(table) = fanout_table(&contenders, &rows) {
            println!();
            print!("{table}");
        }
    }
    let (_, results) = harness::run_all(&http, &[], &reports, &cfg);
    for result in &results {
        println!();
        print!("{}", (result.table)(&http, result));
    }
}
