//! Comparative benchmarks: the same workloads on guillotine, tokio's
//! current-thread runtime and smol's `LocalExecutor`.
//!
//! ```text
//! cargo bench --bench compare                   # every workload
//! cargo bench --bench compare -- spawn ping     # names containing either word
//! BENCH_ROUNDS=3 cargo bench --bench compare    # a quick run
//! cargo bench --bench compare -- paced          # only the paced-producer report
//! BENCH_RUNTIMES=guillotine cargo bench --bench compare -- yield  # one runtime
//! ```
//!
//! The runtime thread is pinned to CPU 0 and helper threads to CPU 1. For
//! each workload the runtimes run alternately (guillotine, tokio, smol,
//! guillotine, ...) for one warm-up round and `BENCH_ROUNDS` (default 11)
//! measured rounds, each on a fresh runtime; the Markdown table on stdout
//! gives the median per runtime and guillotine's median divided by the
//! others' (below 1: guillotine is faster or smaller), and for workloads
//! timed with their CPU time a table of CPU time per operation. Reports
//! (several figures from one run per runtime, such as `sleep_lateness`, or
//! medians over rounds, such as `paced_wakes`) run after the workloads and
//! print a table each. Progress, with the minimum and maximum of every
//! cell, goes to stderr. See BENCHMARKS.md.
//!
//! Layout: `compare/harness.rs` knows nothing about runtimes (timing,
//! alternation, medians, pinning, child processes, the table);
//! `compare/runtimes.rs` has the `Rt` trait, its three implementations and
//! the `Workload` and `Report` traits; `compare/smol_local.rs` the
//! thread-local executor smol's `spawn` needs (the net bench uses it too);
//! every other module holds workloads.
//! To add one, write a module with types implementing `Workload` (or
//! `Report`) and list them below.

#[path = "compare/harness.rs"]
mod harness;
#[path = "compare/memory.rs"]
mod memory;
#[path = "compare/paced.rs"]
mod paced;
#[path = "compare/runtimes.rs"]
mod runtimes;
#[path = "compare/sched.rs"]
mod sched;
#[path = "compare/smol_local.rs"]
mod smol_local;
#[path = "compare/timers.rs"]
mod timers;

use harness::{Bench, ReportBench};
use runtimes::{bench, report};

/// Every workload, in the order they run and appear in the table.
fn benches() -> Vec<Bench> {
    vec![
        bench::<sched::SpawnMany>(),
        bench::<sched::YieldMany>(),
        bench::<sched::ChainedSpawn>(),
        bench::<sched::PingPong>(),
        bench::<sched::CrossThreadWake>(),
        bench::<timers::Timers>(),
        bench::<memory::MemoryPerPendingTask>(),
    ]
}

/// Every report, in the order they run (after the workloads) and print.
fn reports() -> Vec<ReportBench> {
    vec![
        report::<paced::PacedWakes>(),
        report::<timers::SleepLateness>(),
    ]
}

fn main() {
    let contenders = runtimes::contenders();
    let benches = benches();
    let reports = reports();
    if harness::run_as_child(&contenders, &benches) {
        return;
    }
    let cfg = harness::Config::from_env_and_args();
    cfg.check_runtimes(&contenders);
    harness::pin_runtime_thread();
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
        "compare: {selected} workload(s), median of {} round(s) per runtime after a warm-up; \
         runtime thread on CPU {}, helper threads on CPU {}",
        cfg.rounds,
        harness::RUNTIME_CPU,
        harness::HELPER_CPU
    );
    let (rows, reports) = harness::run_all(&contenders, &benches, &reports, &cfg);
    if !rows.is_empty() {
        println!();
        print!("{}", harness::markdown_table(&contenders, &rows));
        println!();
        print!("{}", harness::paired_table(&contenders, &rows));
        if let Some(table) = harness::cpu_table(&contenders, &rows) {
            println!();
            print!("{table}");
        }
    }
    for report in &reports {
        println!();
        print!("{}", (report.table)(&contenders, report));
    }
}
