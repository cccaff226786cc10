//! Network benchmarks: the same servers on guillotine, tokio's
//! current-thread runtime and smol, driven by the same blocking `std::net`
//! client.
//!
//! ```text
//! cargo bench --bench net                      # every workload + syscall counts
//! cargo bench --bench net -- tcp_echo          # names containing a word
//! cargo bench --bench net -- syscalls          # only the syscall tables
//! BENCH_ROUNDS=3 cargo bench --bench net       # a quick run
//! BENCH_RUNTIMES=guillotine,tokio cargo bench --bench net -- udp
//! NET_BENCH_SMOL_FUTURES_LITE=1 cargo bench --bench net   # + a "smol-fl" column
//! NET_BENCH_STREAM_CC= cargo bench --bench net -- tcp_stream  # the host's congestion control
//! ```
//!
//! The server runs on the runtime under test on the main thread, pinned to
//! CPU 0; the client is one OS thread pinned to CPU 1. For each workload
//! the runtimes run alternately for one warm-up round and `BENCH_ROUNDS`
//! (default 11) measured rounds, each on a fresh runtime and fresh sockets;
//! the tables on stdout give the median time per runtime (with guillotine's
//! median divided by the others': below 1, guillotine is faster) and the
//! throughput at that median. Then the server's system calls per unit of
//! work are counted in child processes under `perf stat` and `strace -c`
//! (see `net/syscalls.rs`). See BENCHMARKS.md, "Network".
//!
//! Layout: `compare/harness.rs` (shared with the compare bench) times,
//! alternates, takes medians and prints the time tables;
//! `compare/smol_local.rs` (shared too) holds smol's thread-local executor;
//! `net/rt.rs` has the `NetRt` trait and the three runtimes;
//! `net/workloads.rs` the servers and clients; `net/syscalls.rs` the
//! syscall counts.

// The compare bench uses all of the harness; this one only part of it.
#[allow(dead_code)]
#[path = "compare/harness.rs"]
mod harness;
#[path = "net/rt.rs"]
mod rt;
#[path = "compare/smol_local.rs"]
mod smol_local;
#[path = "net/syscalls.rs"]
mod syscalls;
#[path = "net/workloads.rs"]
mod workloads;

use harness::{Cell, Contender, Row};
use workloads::Listing;

/// The throughput at each runtime's median time.
fn throughput_table(contenders: &[Contender], listings: &[Listing], rows: &[Row]) -> String {
    let mut header = vec!["throughput".to_string()];
    header.extend(contenders.iter().map(|c| c.name.to_string()));
    let mut out = harness::table_head(&header);
    for row in rows {
        let listing = listings
            .iter()
            .find(|l| l.bench.name == row.bench)
            .expect("a listed workload");
        let cells: Vec<String> = row
            .cells
            .iter()
            .map(|cell| match cell {
                Cell::Measured { median, .. } => (listing.throughput)(median.value),
                Cell::Pending => "pending".into(),
                Cell::Skipped => "skipped".into(),
                Cell::Failed(_) => "failed".into(),
            })
            .collect();
        out.push_str(&format!("| {} | {} |\n", row.bench, cells.join(" | ")));
    }
    out
}

fn main() {
    let listings = workloads::listings();
    if syscalls::run_as_child(&listings) {
        return;
    }
    let contenders = rt::contenders();
    let cfg = harness::Config::from_env_and_args();
    cfg.check_runtimes(&contenders);
    // `syscalls` selects the syscall tables; any other word selects
    // workloads (timed, and in the syscall tables if those are selected).
    let workload_filters: Vec<String> = cfg
        .filters
        .iter()
        .filter(|f| *f != syscalls::NAME)
        .cloned()
        .collect();
    let count_syscalls = cfg.filters.is_empty() || workload_filters.len() < cfg.filters.len();
    let timed = cfg.filters.is_empty() || !workload_filters.is_empty();
    let mut workload_cfg = cfg.clone();
    workload_cfg.filters = workload_filters;
    let benches: Vec<_> = listings.iter().map(|l| l.bench).collect();
    let selected = benches
        .iter()
        .filter(|b| workload_cfg.selects(b.name))
        .count();
    if selected == 0 {
        let names: Vec<_> = benches.iter().map(|b| b.name).collect();
        eprintln!(
            "no workload matches {:?}; workloads: {}, and {} for the syscall tables",
            cfg.filters,
            names.join(", "),
            syscalls::NAME
        );
        std::process::exit(1);
    }
    harness::pin_runtime_thread();
    eprintln!(
        "net: {selected} workload(s), median of {} round(s) per runtime after a warm-up; \
         server (runtime) thread on CPU {}, client thread on CPU {}",
        cfg.rounds,
        harness::RUNTIME_CPU,
        harness::HELPER_CPU
    );
    if timed {
        let (rows, _) = harness::run_all(&contenders, &benches, &[], &workload_cfg);
        println!();
        print!("{}", harness::markdown_table(&contenders, &rows));
        println!();
        print!("{}", harness::paired_table(&contenders, &rows));
        println!();
        print!("{}", throughput_table(&contenders, &listings, &rows));
        if let Some(table) = harness::cpu_table(&contenders, &rows) {
            println!();
            print!("{table}");
        }
    }
    if count_syscalls {
        for table in syscalls::run(&contenders, &listings, &workload_cfg) {
            println!();
            print!("{table}");
        }
    }
}
