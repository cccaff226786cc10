//! Server-side system calls per unit of work (an echo round trip, or 64 KiB
//! streamed), counted by a tracer around a child process that runs only the
//! server.
//!
//! The bench binary re-executes itself with [`CHILD_ENV`] set, under
//! `strace -f -c` (every thread of the child: the runtime thread and any
//! helper thread the runtime starts, such as smol's `async-io`) or under
//! `perf stat` counting syscall tracepoints (in-kernel counters, no ptrace
//! stops, so the server runs at full speed). The child binds the server's
//! sockets, prints their addresses and serves; this process runs the usual
//! client on a helper thread, untraced. Each count is taken for `n` rounds
//! and for 0 rounds (start-up, connecting, the warm-up exchange and exit,
//! everything but the measured work), and the difference divided by the
//! units of work in `n` rounds.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::harness::{Config, Contender};
use crate::rt;
use crate::workloads::{ADDRS_PREFIX, Listing, RUSAGE_PREFIX, on_helper_thread};

/// The name that selects the syscall tables on the command line.
pub const NAME: &str = "syscalls";

/// Row labels of the perf-only figures that are not syscalls.
const SWITCHES: &str = "context switches (not syscalls)";
const KERNEL_SHARE: &str = "share of the server's CPU time spent in the kernel";
/// Keys of the server's user and system CPU times (µs per unit).
const USER_TIME: &str = "user";
const SYS_TIME: &str = "system";

/// `"<workload> <runtime> <rounds>"`: makes the bench binary a server child.
const CHILD_ENV: &str = "NET_BENCH_SERVER";

/// Syscalls shown by name in the perf table (those that exist as
/// tracepoints on this kernel); the rest are "other".
const PERF_SYSCALLS: &[&str] = &[
    "read",
    "write",
    "readv",
    "writev",
    "recvfrom",
    "sendto",
    "recvmsg",
    "sendmsg",
    "recvmmsg",
    "sendmmsg",
    "epoll_wait",
    "epoll_pwait",
    "epoll_pwait2",
    "epoll_ctl",
    "futex",
    "sched_yield",
    "nanosleep",
    "clock_nanosleep",
    "poll",
    "ppoll",
    "ioctl",
    "timerfd_settime",
    "accept4",
    "close",
];

/// If this process is a server child, serves and returns `true`.
pub fn run_as_child(listings: &[Listing]) -> bool {
    let Ok(spec) = std::env::var(CHILD_ENV) else {
        return false;
    };
    let mut parts = spec.split_whitespace();
    let (Some(workload), Some(runtime), Some(rounds)) = (parts.next(), parts.next(), parts.next())
    else {
        panic!("{CHILD_ENV}={spec:?}: want \"<workload> <runtime> <rounds>\"");
    };
    let listing = listings
        .iter()
        .find(|l| l.bench.name == workload)
        .unwrap_or_else(|| panic!("child: no workload named {workload:?}"));
    let index = rt::index_of(runtime).unwrap_or_else(|| panic!("child: no runtime {runtime:?}"));
    let rounds: usize = rounds.parse().expect("child: rounds");
    crate::harness::pin_runtime_thread();
    (listing.serve_child)(index, rounds);
    true
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Tracer {
    /// `strace -f -c`: every call with its errors, but each one stops the
    /// server for the tracer, which slows it down several times.
    Strace,
    /// `perf stat -e raw_syscalls:sys_enter -e syscalls:sys_enter_*`:
    /// in-kernel counters, the server runs at full speed.
    Perf,
}

impl Tracer {
    fn label(self) -> &'static str {
        match self {
            Tracer::Strace => "strace -f -c",
            Tracer::Perf => "perf stat",
        }
    }

    /// Whether the tracer is installed and works here.
    fn works(self) -> bool {
        let status = match self {
            Tracer::Strace => Command::new("strace")
                .args(["-f", "-c", "-o", "/dev/null", "--", "true"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status(),
            Tracer::Perf => Command::new("perf")
                .args(["stat", "-e", "raw_syscalls:sys_enter", "--", "true"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status(),
        };
        status.is_ok_and(|s| s.success())
    }

    /// Traced runs per workload and runtime (the one with the median
    /// total is shown): the count of `epoll_wait` calls depends on how
    /// often the server ran out of work, which varies from run to run.
    fn repeats(self) -> usize {
        match self {
            Tracer::Strace => 1,
            Tracer::Perf => 3,
        }
    }

    /// Rounds per traced run: the timed runs' scale for perf; a quarter of
    /// it under strace, which is slow.
    fn rounds(self, listing: &Listing) -> usize {
        match self {
            Tracer::Strace => listing.rounds / 4,
            Tracer::Perf => listing.rounds,
        }
    }
}

/// Calls (and failed calls) per syscall name, plus the total.
#[derive(Clone, Debug, Default)]
struct Counts {
    total: f64,
    calls: BTreeMap<String, f64>,
    errors: BTreeMap<String, f64>,
    /// Not syscalls, shown in the perf table only: the server's context
    /// switches (mostly: how often it went to sleep, counted by perf) and
    /// its user and system CPU time in µs (`getrusage` of the server
    /// process, every thread; the kernel samples them at each tick).
    extra: Vec<(&'static str, f64)>,
}

impl Counts {
    /// `(self - base) / units`.
    fn per_unit(&self, base: &Counts, units: f64) -> Counts {
        let diff = |a: &BTreeMap<String, f64>, b: &BTreeMap<String, f64>| {
            a.keys()
                .chain(b.keys())
                .map(|k| {
                    let v = a.get(k).copied().unwrap_or(0.0) - b.get(k).copied().unwrap_or(0.0);
                    (k.clone(), v / units)
                })
                .collect()
        };
        Counts {
            total: (self.total - base.total) / units,
            calls: diff(&self.calls, &base.calls),
            errors: diff(&self.errors, &base.errors),
            extra: self
                .extra
                .iter()
                .filter_map(|&(name, a)| {
                    let b = base.extra.iter().find(|e| e.0 == name)?.1;
                    Some((name, (a - b) / units))
                })
                .collect(),
        }
    }
}

/// The tracepoint directory of syscall `name`, if the kernel has one.
fn has_tracepoint(name: &str) -> bool {
    ["/sys/kernel/tracing", "/sys/kernel/debug/tracing"]
        .iter()
        .any(|root| Path::new(&format!("{root}/events/syscalls/sys_enter_{name}")).exists())
}

/// Runs the server of `listing` for `rounds` rounds on `runtime` in a child
/// process under `tracer`, with the client here, and returns the counts.
/// A server that is not done `timeout` after its client is killed.
fn traced_run(
    tracer: Tracer,
    listing: &Listing,
    runtime: &str,
    rounds: usize,
    timeout: Duration,
) -> Counts {
    static RUNS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let out: PathBuf =
        std::env::temp_dir().join(format!("net-bench-{}-{n}.txt", std::process::id()));
    let exe = std::env::current_exe().expect("find the bench executable");
    let mut cmd = match tracer {
        Tracer::Strace => {
            let mut c = Command::new("strace");
            c.args(["-f", "-c", "-o"]).arg(&out);
            c
        }
        Tracer::Perf => {
            let mut c = Command::new("perf");
            c.args(["stat", "-x,", "-o"]).arg(&out).args([
                "-e",
                "raw_syscalls:sys_enter",
                "-e",
                "context-switches",
            ]);
            for name in PERF_SYSCALLS.iter().filter(|n| has_tracepoint(n)) {
                c.args(["-e", &format!("syscalls:sys_enter_{name}")]);
            }
            c
        }
    };
    cmd.arg("--")
        .arg(exe)
        .env(
            CHILD_ENV,
            format!("{} {runtime} {rounds}", listing.bench.name),
        )
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    let mut child = cmd.spawn().expect("start the traced server");
    // The tracer inherited this thread's CPU 0; let it use both CPUs (the
    // server child pins itself to CPU 0 again).
    allow_both_cpus(child.id());
    let mut stdout = BufReader::new(child.stdout.take().expect("child stdout"));
    let mut line = String::new();
    let (server_pid, addrs): (libc::pid_t, Vec<SocketAddr>) = loop {
        line.clear();
        if stdout
            .read_line(&mut line)
            .expect("read the child's stdout")
            == 0
        {
            let _ = child.kill();
            panic!("the server child exited before printing its addresses");
        }
        if let Some(rest) = line.trim().strip_prefix(ADDRS_PREFIX) {
            let (pid, list) = rest.trim().split_once(' ').expect("pid and addresses");
            break (
                pid.parse().expect("the server's pid"),
                list.split(',')
                    .map(|a| a.trim().parse().expect("an address"))
                    .collect(),
            );
        }
    };
    let client = listing.client;
    let result = on_helper_thread(move || client(&addrs, rounds, None)).join();
    // Killing the tracer would leave its tracee running: kill the server.
    let kill_server = |child: &mut std::process::Child| {
        // SAFETY: kill(2) on the server we started, which has not been
        // reaped (its tracer, our child, is still running).
        unsafe { libc::kill(server_pid, libc::SIGKILL) };
        let _ = child.wait();
    };
    if let Err(panic) = result {
        kill_server(&mut child);
        std::panic::resume_unwind(panic);
    }
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut rest = String::new();
        let _ = stdout.read_to_string(&mut rest);
        let _ = tx.send(rest);
    });
    let Ok(rest) = rx.recv_timeout(timeout) else {
        kill_server(&mut child);
        panic!(
            "the traced {} server on {runtime} did not finish within {timeout:?}",
            listing.bench.name
        );
    };
    let status = child.wait().expect("wait for the traced server");
    assert!(status.success(), "the traced server failed: {status}");
    let text = std::fs::read_to_string(&out).expect("read the tracer's output");
    let _ = std::fs::remove_file(&out);
    let mut counts = match tracer {
        Tracer::Strace => parse_strace(&text),
        Tracer::Perf => parse_perf(&text),
    };
    let times: Vec<f64> = rest
        .lines()
        .find_map(|l| l.strip_prefix(RUSAGE_PREFIX))
        .expect("the server child's CPU times")
        .split_whitespace()
        .map(|t| t.parse().expect("a CPU time"))
        .collect();
    counts.extra.push((USER_TIME, times[0]));
    counts.extra.push((SYS_TIME, times[1]));
    counts
}

fn allow_both_cpus(pid: u32) {
    // SAFETY: as in harness::pin_current_thread: a plain bit array we own.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(crate::harness::RUNTIME_CPU, &mut set);
        libc::CPU_SET(crate::harness::HELPER_CPU, &mut set);
        libc::sched_setaffinity(pid as libc::pid_t, size_of::<libc::cpu_set_t>(), &set);
    }
}

/// The summary of `strace -c`: `% time  seconds  usecs/call  calls
/// [errors]  syscall`, then a `total` line.
fn parse_strace(text: &str) -> Counts {
    let mut counts = Counts::default();
    for line in text.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.len() < 5 || fields[0].parse::<f64>().is_err() {
            continue;
        }
        let name = fields[fields.len() - 1];
        let calls: f64 = fields[3].parse().unwrap_or(0.0);
        let errors: f64 = if fields.len() >= 6 {
            fields[4].parse().unwrap_or(0.0)
        } else {
            0.0
        };
        if name == "total" {
            counts.total = calls;
        } else {
            counts.calls.insert(name.to_string(), calls);
            counts.errors.insert(name.to_string(), errors);
        }
    }
    assert!(counts.total > 0.0, "no strace summary in:\n{text}");
    counts
}

/// `perf stat -x,`: `count,unit,event,...` per event.
fn parse_perf(text: &str) -> Counts {
    let mut counts = Counts::default();
    for line in text.lines() {
        let fields: Vec<&str> = line.split(',').collect();
        if fields.len() < 3 {
            continue;
        }
        let Ok(count) = fields[0].trim().parse::<f64>() else {
            continue;
        };
        if fields[2] == "raw_syscalls:sys_enter" {
            counts.total = count;
        } else if fields[2] == "context-switches" {
            counts.extra.push((SWITCHES, count));
        } else if let Some(name) = fields[2].strip_prefix("syscalls:sys_enter_") {
            counts.calls.insert(name.to_string(), count);
        }
    }
    assert!(counts.total > 0.0, "no perf counts in:\n{text}");
    let named: f64 = counts.calls.values().sum();
    counts.calls.insert("other".into(), counts.total - named);
    counts
}

/// Per-unit counts of one workload on every contender (`None`: skipped).
struct WorkloadCounts {
    listing: Listing,
    per_unit: Vec<Option<Counts>>,
}

/// Counts the selected workloads' server syscalls under each working
/// tracer and returns Markdown tables: a summary (the totals), then the
/// breakdown under each tracer.
pub fn run(contenders: &[Contender], listings: &[Listing], cfg: &Config) -> Vec<String> {
    let mut results = Vec::new();
    for tracer in [Tracer::Perf, Tracer::Strace] {
        if !tracer.works() {
            eprintln!(
                "{NAME}: `{}` is not available here; its table is skipped",
                tracer.label()
            );
            continue;
        }
        let mut all = Vec::new();
        for listing in listings.iter().filter(|l| cfg.selects(l.bench.name)) {
            let rounds = tracer.rounds(listing);
            let units = (rounds * listing.units_per_round) as f64;
            eprintln!(
                "{NAME}: {} server under `{}`, {rounds} rounds minus 0 rounds, per {}",
                listing.bench.name,
                tracer.label(),
                listing.unit
            );
            let per_unit = contenders
                .iter()
                .map(|c| {
                    if !c.available
                        || !(cfg.runtimes.is_empty() || cfg.runtimes.iter().any(|r| r == c.name))
                    {
                        return None;
                    }
                    let base = traced_run(tracer, listing, c.name, 0, cfg.timeout);
                    let mut runs: Vec<Counts> = (0..tracer.repeats())
                        .map(|_| {
                            traced_run(tracer, listing, c.name, rounds, cfg.timeout)
                                .per_unit(&base, units)
                        })
                        .collect();
                    let totals: Vec<String> =
                        runs.iter().map(|r| format!("{:.2}", r.total)).collect();
                    runs.sort_by(|a, b| a.total.total_cmp(&b.total));
                    let median = runs.swap_remove(runs.len() / 2);
                    eprintln!(
                        "  {:<12} {:.2} syscalls per {} (runs: {})",
                        c.name,
                        median.total,
                        listing.unit,
                        totals.join(", ")
                    );
                    Some(median)
                })
                .collect();
            all.push(WorkloadCounts {
                listing: *listing,
                per_unit,
            });
        }
        if !all.is_empty() {
            results.push((tracer, all));
        }
    }
    if results.is_empty() {
        return Vec::new();
    }
    let mut tables = vec![summary(contenders, &results)];
    tables.extend(
        results
            .iter()
            .map(|(tracer, all)| table(*tracer, contenders, all)),
    );
    tables
}

/// One row per workload and tracer: the total per unit.
fn summary(contenders: &[Contender], results: &[(Tracer, Vec<WorkloadCounts>)]) -> String {
    let mut header = vec!["server syscalls per unit".to_string()];
    header.extend(contenders.iter().map(|c| c.name.to_string()));
    let mut out = crate::harness::table_head(&header);
    let workloads = results[0].1.iter().map(|w| w.listing.bench.name);
    for name in workloads {
        for (tracer, all) in results {
            let Some(w) = all.iter().find(|w| w.listing.bench.name == name) else {
                continue;
            };
            let cells: Vec<String> = w
                .per_unit
                .iter()
                .map(|c| c.as_ref().map_or("–".into(), |c| format!("{:.2}", c.total)))
                .collect();
            out.push_str(&format!(
                "| {name} per {} ({}) | {} |\n",
                w.listing.unit,
                tracer.label(),
                cells.join(" | ")
            ));
        }
    }
    out
}

/// Rows: per workload its total, then every syscall (and, under strace,
/// failed calls) at 0.01 or more per unit on some runtime.
fn table(tracer: Tracer, contenders: &[Contender], all: &[WorkloadCounts]) -> String {
    let mut header = vec![format!("server syscalls ({})", tracer.label())];
    header.extend(contenders.iter().map(|c| c.name.to_string()));
    let mut out = crate::harness::table_head(&header);
    let cell = |v: Option<f64>| v.map_or("–".to_string(), |v| format!("{v:.2}"));
    for w in all {
        let mut row = vec![format!(
            "**{}**: total per {}",
            w.listing.bench.name, w.listing.unit
        )];
        row.extend(w.per_unit.iter().map(|c| cell(c.as_ref().map(|c| c.total))));
        out.push_str(&format!("| {} |\n", row.join(" | ")));
        // Under strace, CPU times and switches are mostly the tracer's doing.
        if tracer == Tracer::Perf {
            let extra = |c: &Counts, name: &str| c.extra.iter().find(|e| e.0 == name).map(|e| e.1);
            let mut row = vec![format!("{}: {SWITCHES}", w.listing.bench.name)];
            row.extend(
                w.per_unit
                    .iter()
                    .map(|c| cell(c.as_ref().and_then(|c| extra(c, SWITCHES)))),
            );
            out.push_str(&format!("| {} |\n", row.join(" | ")));
            let mut row = vec![format!("{}: {KERNEL_SHARE}", w.listing.bench.name)];
            row.extend(w.per_unit.iter().map(|c| {
                c.as_ref()
                    .and_then(|c| Some((extra(c, USER_TIME)?, extra(c, SYS_TIME)?)))
                    .map_or("–".into(), |(user, sys)| {
                        format!("{:.0}%", 100.0 * sys / (user + sys))
                    })
            }));
            out.push_str(&format!("| {} |\n", row.join(" | ")));
        }
        let mut names: Vec<&String> = w
            .per_unit
            .iter()
            .flatten()
            .flat_map(|c| c.calls.keys())
            .collect();
        names.sort();
        names.dedup();
        for (kind, suffix) in [(false, ""), (true, " (failed)")] {
            for name in &names {
                let value = |c: &Counts| {
                    let map = if kind { &c.errors } else { &c.calls };
                    map.get(*name).copied().unwrap_or(0.0)
                };
                if !w.per_unit.iter().flatten().any(|c| value(c).abs() >= 0.01) {
                    continue;
                }
                let mut row = vec![format!("{}: `{name}`{suffix}", w.listing.bench.name)];
                row.extend(w.per_unit.iter().map(|c| cell(c.as_ref().map(value))));
                out.push_str(&format!("| {} |\n", row.join(" | ")));
            }
        }
    }
    out
}
