//! Per-operation counts that do not depend on this machine's speed: system
//! calls (futex, eventfd writes, epoll waits) and context switches per
//! 1,000 tasks (per 1,000 `yield_now`s for `yield_many`).
//!
//! The `syscalls` report re-executes the bench binary once per workload and
//! contender as a child that runs the workload once ([`CHILD_ENV`]: build
//! the runtime, one unrecorded iteration, the workload's `ITERS` timed
//! ones, drop the runtime; nothing else: no watchdog, no harness), under
//!
//! - `strace -f -c -e trace=futex,write,epoll_pwait,epoll_pwait2,epoll_wait`
//!   (counts every thread; slows each traced call down by a ptrace stop,
//!   which can change how often threads sleep), and
//! - `perf stat -e syscalls:sys_enter_*,context-switches,cpu-migrations`
//!   (kernel tracepoints: the same counts without stopping the threads),
//!
//! and divides each count by the tasks the child spawned (`Workload::OPS`
//! per iteration, `ITERS + 1` iterations; for the two busy workloads the
//! tasks spawned from outside, not the busy tasks). The counts include
//! building and dropping the runtime, not subtracted (the `build_drop` row
//! gives them: a runtime built, one empty `block_on`, dropped; spread over
//! a run's tasks they come to well under one call per 1,000 tasks). In the child the only writes
//! are eventfd writes (a runtime waking a sleeping thread's `epoll_wait`)
//! and its one line of output. Context switches come from perf
//! (`context-switches`: voluntary and involuntary, every thread) and from
//! the child's own `getrusage(RUSAGE_SELF)` (voluntary only).
//!
//! Like a hyper table it runs a warm-up round, then `BENCH_ROUNDS` rounds
//! (the contenders alternating), and gives the median count over the
//! rounds. Run it with
//! `BENCH_ROUNDS=3 cargo bench --bench multi --features hyper -- syscalls`
//! (about two minutes on 2 vCPUs); it is not part of the default run.

use std::collections::BTreeMap;
use std::process::{Command, Stdio};

use crate::harness::{self, Contender, Figure, ReportBench, ReportResult, Sample, Unit};
use crate::runtimes::Workload;
use crate::sched::BuildDrop;

/// Set in the child: `<workload>/<runtime>` to run once and count.
pub const CHILD_ENV: &str = "MULTI_BENCH_COUNT";
/// The line the child reports on.
const CHILD_PREFIX: &str = "multi-bench-count:";
/// The system calls counted, as strace names them.
pub const SYSCALLS: [&str; 5] = [
    "futex",
    "write",
    "epoll_wait",
    "epoll_pwait",
    "epoll_pwait2",
];

/// What the count tables need of a workload: its name and how many
/// operations one run of the child performs.
#[derive(Clone, Copy)]
pub struct Counted {
    pub name: &'static str,
    /// Operations per run: `(ITERS + 1) × OPS`.
    pub ops: u64,
    pub op: &'static str,
    /// Runs the workload once on contender `i` (the harness' `Bench::run`).
    pub run: fn(usize) -> Sample,
}

/// The child's body, if this process is one: runs the workload named in
/// [`CHILD_ENV`] once (`counted` lists them, [`crate::sched::BuildDrop`]
/// included), prints the operations it did and its voluntary context
/// switches, and exits.
pub fn run_as_child(counted: &[Counted], contenders: &[Contender]) {
    let Ok(spec) = std::env::var(CHILD_ENV) else {
        return;
    };
    let (workload, runtime) = spec
        .split_once('/')
        .unwrap_or_else(|| panic!("{CHILD_ENV}={spec:?}: not <workload>/<runtime>"));
    let i = contenders
        .iter()
        .position(|c| c.name == runtime)
        .unwrap_or_else(|| panic!("{CHILD_ENV}: no runtime named {runtime:?}"));
    let w = counted
        .iter()
        .find(|w| w.name == workload)
        .unwrap_or_else(|| panic!("{CHILD_ENV}: no workload named {workload:?}"));
    let before = voluntary_switches();
    (w.run)(i);
    let switches = voluntary_switches() - before;
    println!("{CHILD_PREFIX} ops={} nvcsw={switches}", w.ops);
    std::process::exit(0);
}

/// The voluntary context switches of every thread of this process so far
/// (the finished ones included).
fn voluntary_switches() -> u64 {
    // SAFETY: getrusage only writes the struct we own.
    let usage = unsafe {
        let mut usage = std::mem::zeroed::<libc::rusage>();
        assert_eq!(libc::getrusage(libc::RUSAGE_SELF, &mut usage), 0);
        usage
    };
    usage.ru_nvcsw as u64
}

/// The counting report (see the module docs). `counted` lists the
/// workloads it runs; keep it to the scheduler workloads.
pub fn report() -> ReportBench {
    ReportBench {
        name: "syscalls",
        about: "each scheduler workload once in a child under strace -f -c, and once under \
                perf stat; counts per 1,000 tasks",
        rounds: true,
        run: |i| run(i, &crate::counted()),
        table: tables,
    }
}

/// The counts of one child run: the operations, and per counter name its
/// count.
struct ChildCounts {
    ops: u64,
    counts: BTreeMap<String, u64>,
}

/// Runs the child for `workload` on `runtime` under `tool` (the command
/// line before the child; `{out}` is replaced by a temporary file the tool
/// writes its counts to), and parses the tool's counts with `parse`.
fn child(workload: &str, runtime: &str, tool: &[&str], parse: Parse) -> ChildCounts {
    let out = std::env::temp_dir().join(format!(
        "multi-bench-count-{}-{workload}-{runtime}",
        std::process::id()
    ));
    let out_arg = out.to_str().expect("a UTF-8 temporary path").to_string();
    let exe = std::env::current_exe().expect("find the bench executable");
    let mut args: Vec<String> = tool.iter().map(|a| a.replace("{out}", &out_arg)).collect();
    args.push(exe.to_str().expect("a UTF-8 executable path").to_string());
    let output = Command::new(&args[0])
        .args(&args[1..])
        .env(CHILD_ENV, format!("{workload}/{runtime}"))
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .unwrap_or_else(|e| panic!("run {} (apt-get install it): {e}", args[0]));
    assert!(
        output.status.success(),
        "{} on {workload}/{runtime} failed: {}",
        args[0],
        output.status
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix(CHILD_PREFIX))
        .unwrap_or_else(|| panic!("the child for {workload}/{runtime} printed no counts"));
    let field = |key: &str| -> u64 {
        line.split_whitespace()
            .find_map(|kv| kv.strip_prefix(key)?.strip_prefix('='))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no {key} in {line:?}"))
    };
    let text = std::fs::read_to_string(&out).expect("read the tool's counts");
    let _ = std::fs::remove_file(&out);
    let mut counts = parse(&text);
    // strace leaves out the calls never made; every round must have every
    // figure.
    for name in SYSCALLS {
        counts.entry(name.into()).or_insert(0);
    }
    counts.insert("nvcsw".into(), field("nvcsw"));
    ChildCounts {
        ops: field("ops"),
        counts,
    }
}

/// Parses a counting tool's output: counter name → count.
type Parse = fn(&str) -> BTreeMap<String, u64>;

/// `strace -c`'s summary table: `% time, seconds, usecs/call, calls,
/// [errors,] syscall` per line.
fn parse_strace(text: &str) -> BTreeMap<String, u64> {
    text.lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let name = *fields.last()?;
            if !SYSCALLS.contains(&name) {
                return None;
            }
            Some((name.to_string(), fields.get(3)?.parse().ok()?))
        })
        .collect()
}

/// `perf stat -x,`: `count,unit,event,...` per line.
fn parse_perf(text: &str) -> BTreeMap<String, u64> {
    text.lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split(',').collect();
            let event = fields.get(2)?;
            let name = event.strip_prefix("syscalls:sys_enter_").unwrap_or(event);
            Some((name.to_string(), fields[0].parse().ok()?))
        })
        .collect()
}

const STRACE: [&str; 7] = [
    "strace",
    "-f",
    "-c",
    "-o",
    "{out}",
    "-e",
    "trace=futex,write,epoll_pwait,epoll_pwait2,epoll_wait",
];

fn perf_events() -> String {
    let mut events: Vec<String> = SYSCALLS
        .iter()
        .map(|s| format!("syscalls:sys_enter_{s}"))
        .collect();
    events.extend(["context-switches".into(), "cpu-migrations".into()]);
    events.join(",")
}

/// One contender's figures: per workload and tool, every counter per
/// 1,000 operations, labelled `<tool> <workload> <counter>`.
fn run(i: usize, counted: &[Counted]) -> Vec<Figure> {
    let runtime = crate::runtimes::contenders()[i].name;
    let events = perf_events();
    let perf = ["perf", "stat", "-x,", "-o", "{out}", "-e", &events, "--"];
    let mut figures = Vec::new();
    let tools: [(&str, &[&str], Parse); 2] = [
        ("strace", &STRACE, parse_strace),
        ("perf", &perf, parse_perf),
    ];
    for (tool, command, parse) in tools {
        let base = child(BuildDrop::NAME, runtime, command, parse);
        for (counter, &n) in &base.counts {
            figures.push(Figure::row(
                format!("{tool} {} {counter}", BuildDrop::NAME),
                count(n as f64),
            ));
        }
        for w in counted {
            let run = child(w.name, runtime, command, parse);
            let per_k = 1000.0 / run.ops as f64;
            let mut detail = Vec::new();
            for (counter, &n) in &run.counts {
                let fixed = base.counts.get(counter).copied().unwrap_or(0);
                figures.push(Figure::row(
                    format!("{tool} {} {counter}", w.name),
                    count(n as f64 * per_k),
                ));
                detail.push(format!("{counter} {n} (build+drop {fixed})"));
            }
            eprintln!(
                "  {runtime} {} under {tool}: {} {}s; {}",
                w.name,
                run.ops,
                w.op,
                detail.join(", ")
            );
        }
    }
    figures
}

fn count(value: f64) -> Sample {
    Sample {
        value,
        unit: Unit::Count,
        cpu: None,
    }
}

/// The counters of each table: (tool, counters summed, title).
const TABLES: [(&str, &[&str], &str); 8] = [
    ("strace", &["futex"], "futex calls (strace)"),
    ("strace", &["write"], "eventfd writes (strace)"),
    (
        "strace",
        &["epoll_wait", "epoll_pwait", "epoll_pwait2"],
        "epoll waits (strace)",
    ),
    ("perf", &["futex"], "futex calls (perf)"),
    ("perf", &["write"], "eventfd writes (perf)"),
    (
        "perf",
        &["epoll_wait", "epoll_pwait", "epoll_pwait2"],
        "epoll waits (perf)",
    ),
    ("perf", &["context-switches"], "context switches (perf)"),
    (
        "perf",
        &["nvcsw"],
        "voluntary context switches (getrusage, perf run)",
    ),
];

/// One table per counter: rows the workloads, columns the contenders,
/// each cell the count per 1,000 tasks (`yield_many`: per 1,000 yields),
/// and a last row with the absolute count of `build_drop`.
fn tables(contenders: &[Contender], result: &ReportResult) -> String {
    let mut rows: Vec<(String, &str)> = crate::counted()
        .iter()
        .map(|w| {
            let label = if w.op == "task" {
                w.name.to_string()
            } else {
                format!("{} (per 1,000 {}s)", w.name, w.op)
            };
            (label, w.name)
        })
        .collect();
    rows.push((
        format!("{} (whole run, not per task)", BuildDrop::NAME),
        BuildDrop::NAME,
    ));
    let mut out = String::new();
    for (tool, counters, title) in TABLES {
        if !out.is_empty() {
            out.push('\n');
        }
        let mut header = vec![format!("{title} per 1,000 tasks")];
        header.extend(contenders.iter().map(|c| c.name.to_string()));
        out.push_str(&harness::table_head(&header));
        for (label, name) in &rows {
            let mut cols = vec![label.clone()];
            cols.extend((0..contenders.len()).map(|i| match &result.cells[i] {
                Err(cell) => harness::cell_text(cell),
                // A counter the tool did not report was not called.
                Ok(_) => {
                    let sum = counters
                        .iter()
                        .filter_map(|c| result.value(i, &format!("{tool} {name} {c}")))
                        .fold(0.0, |a, b| a + b);
                    format!("{sum:.1}")
                }
            }));
            out.push_str(&harness::table_row(&cols));
        }
    }
    out
}
