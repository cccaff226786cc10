//! Comparative benchmarks: the same workloads on guillotine, tokio's
//! current-thread runtime and smol's `LocalExecutor`.
//!
//! ```text
//! cargo bench --bench compare                   # every workload
//! cargo bench --bench compare -- spawn ping     # names containing either word
//! BENCH_ROUNDS=3 cargo bench --bench compare    # a quick run
//! BENCH_RUNTIMES=guillotine cargo bench --bench compare -- yield  # one runtime
//! ```
//!
//! The runtime thread is pinned to CPU 0 and helper threads to CPU 1. For
//! each workload the runtimes run alternately (guillotine, tokio, smol,
//! guillotine, ...) for one warm-up round and `BENCH_ROUNDS` (default 11)
//! measured rounds, each on a fresh runtime; the Markdown table on stdout
//! gives the median per runtime and guillotine's median divided by the
//! others' (below 1: guillotine is faster or smaller). Progress, with the
//! minimum and maximum of every cell, goes to stderr. See BENCHMARKS.md.
//!
//! Layout: `compare/harness.rs` knows nothing about runtimes (timing,
//! alternation, medians, pinning, child processes, the table);
//! `compare/runtimes.rs` has the `Rt` trait, its three implementations and
//! the `Workload` trait; every other module holds workloads. To add one,
//! write a module with types implementing `Workload` and list them below.

#[path = "compare/harness.rs"]
mod harness;
#[path = "compare/memory.rs"]
mod memory;
#[path = "compare/runtimes.rs"]
mod runtimes;
#[path = "compare/sched.rs"]
mod sched;

use harness::Bench;
use runtimes::bench;

/// Every workload, in the order they run and appear in the table.
fn benches() -> Vec<Bench> {
    vec![
        bench::<sched::SpawnMany>(),
        bench::<sched::YieldMany>(),
        bench::<sched::ChainedSpawn>(),
        bench::<sched::PingPong>(),
        bench::<sched::CrossThreadWake>(),
        bench::<memory::MemoryPerPendingTask>(),
    ]
}

fn main() {
    let contenders = runtimes::contenders();
    let benches = benches();
    if harness::run_as_child(&contenders, &benches) {
        return;
    }
    let cfg = harness::Config::from_env_and_args();
    if let Some(unknown) = cfg
        .runtimes
        .iter()
        .find(|r| !contenders.iter().any(|c| c.name == r.as_str()))
    {
        let names: Vec<_> = contenders.iter().map(|c| c.name).collect();
        eprintln!("BENCH_RUNTIMES: no runtime named {unknown:?}; runtimes: {names:?}");
        std::process::exit(1);
    }
    harness::pin_runtime_thread();
    let selected = benches.iter().filter(|b| cfg.selects(b.name)).count();
    if selected == 0 {
        let names: Vec<_> = benches.iter().map(|b| b.name).collect();
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
    let rows = harness::run_all(&contenders, &benches, &cfg);
    println!();
    print!("{}", harness::markdown_table(&contenders, &rows));
}
