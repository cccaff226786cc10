//! The runtime-agnostic half of the `compare` bench: configuration, CPU
//! pinning, a watchdog, running contenders alternately round after round,
//! medians, child processes, and the Markdown tables (the main one, and one
//! per [`ReportBench`]: several figures from a single run per contender).
//!
//! Nothing in here knows about guillotine, tokio or smol: a contender is a
//! name plus an index that a [`Bench`]'s `run` function dispatches on (see
//! `runtimes.rs`). Contender 0 is the one under test; the table's ratio
//! columns divide its median by every other contender's.

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Number of measured rounds unless `BENCH_ROUNDS` says otherwise.
const DEFAULT_ROUNDS: usize = 11;
/// A single run that takes longer than this (`BENCH_TIMEOUT_SECS`) is
/// reported as hung and the whole bench exits with status 2.
const DEFAULT_TIMEOUT_SECS: u64 = 120;
/// The runtime under test runs on this CPU...
pub const RUNTIME_CPU: usize = 0;
/// ... and every helper OS thread (load generators, the watchdog) on this one.
pub const HELPER_CPU: usize = 1;

/// Environment variables that turn the bench binary into a child process
/// running one workload on one contender (see [`run_child`]).
pub const CHILD_WORKLOAD_ENV: &str = "COMPARE_BENCH_CHILD_WORKLOAD";
pub const CHILD_RUNTIME_ENV: &str = "COMPARE_BENCH_CHILD_RUNTIME";

/// What a measurement is, which decides how it is printed. Lower is better
/// for every unit.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Unit {
    Seconds,
    BytesPerTask,
}

/// One measurement of one run.
#[derive(Clone, Copy, Debug)]
pub struct Sample {
    pub value: f64,
    pub unit: Unit,
}

impl Sample {
    pub fn time(elapsed: Duration) -> Sample {
        Sample {
            value: elapsed.as_secs_f64(),
            unit: Unit::Seconds,
        }
    }

    pub fn bytes_per_task(bytes: f64) -> Sample {
        Sample {
            value: bytes,
            unit: Unit::BytesPerTask,
        }
    }
}

/// A runtime (or anything else) being compared.
#[derive(Clone, Debug)]
pub struct Contender {
    pub name: &'static str,
    /// `false` while the contender cannot be built; its column says "pending".
    pub available: bool,
}

/// One workload, runnable on every contender.
#[derive(Clone, Copy)]
pub struct Bench {
    pub name: &'static str,
    pub about: &'static str,
    /// Caps the number of measured rounds (for slow, low-noise workloads).
    pub max_rounds: Option<usize>,
    /// Whether to run one unrecorded warm-up round first.
    pub warmup: bool,
    /// Runs the workload once on contender `i` and measures it. Panics on a
    /// wrong result; the harness reports the contender as failed.
    pub run: fn(usize) -> Sample,
    /// The body of a child process started by [`run_child`], if any.
    pub child: Option<fn(usize) -> Sample>,
}

/// One figure of a report, such as the 99th percentile of some latency.
#[derive(Clone, Debug)]
pub struct Figure {
    /// The row label in the report's table.
    pub label: String,
    pub sample: Sample,
    /// `false`: shown in the progress on stderr only, not in the table.
    pub in_table: bool,
}

impl Figure {
    /// A figure for the table (and the progress on stderr).
    pub fn row(label: impl Into<String>, sample: Sample) -> Figure {
        Figure {
            label: label.into(),
            sample,
            in_table: true,
        }
    }

    /// A figure for the progress on stderr only.
    pub fn detail(label: impl Into<String>, sample: Sample) -> Figure {
        Figure {
            label: label.into(),
            sample,
            in_table: false,
        }
    }
}

/// A report: several figures measured in one run per contender and printed
/// as a table of their own (rows: figures; columns: contenders). It runs
/// once per contender, in turn, without a warm-up round: for measurements
/// that are slow and are distributions already (latency percentiles).
#[derive(Clone, Copy)]
pub struct ReportBench {
    pub name: &'static str,
    pub about: &'static str,
    /// Runs the report once on contender `i`. Panics on a wrong result; the
    /// harness reports the contender as failed.
    pub run: fn(usize) -> Vec<Figure>,
}

/// The outcome of a report on every contender.
pub struct ReportResult {
    pub name: &'static str,
    /// Per contender: its figures, or why there are none.
    pub cells: Vec<Result<Vec<Figure>, Cell>>,
}

#[derive(Clone, Debug)]
pub struct Config {
    pub rounds: usize,
    pub timeout: Duration,
    /// Substrings of workload names from the command line; empty = all.
    pub filters: Vec<String>,
    /// Names of the contenders to run (`BENCH_RUNTIMES`, comma-separated);
    /// empty = all. The others are shown as "skipped".
    pub runtimes: Vec<String>,
}

impl Config {
    /// `BENCH_ROUNDS`, `BENCH_TIMEOUT_SECS`, `BENCH_RUNTIMES`, and every command-line argument
    /// not starting with `-` (cargo passes `--bench`) as a name filter.
    pub fn from_env_and_args() -> Config {
        let rounds = env_number("BENCH_ROUNDS").unwrap_or(DEFAULT_ROUNDS as u64);
        let timeout = env_number("BENCH_TIMEOUT_SECS").unwrap_or(DEFAULT_TIMEOUT_SECS);
        Config {
            rounds: (rounds as usize).max(1),
            timeout: Duration::from_secs(timeout.max(1)),
            filters: std::env::args()
                .skip(1)
                .filter(|a| !a.starts_with('-'))
                .collect(),
            runtimes: std::env::var("BENCH_RUNTIMES")
                .unwrap_or_default()
                .split(',')
                .map(str::trim)
                .filter(|name| !name.is_empty())
                .map(String::from)
                .collect(),
        }
    }

    /// Exits with a message if `BENCH_RUNTIMES` names a runtime that is not
    /// among `contenders`.
    pub fn check_runtimes(&self, contenders: &[Contender]) {
        if let Some(unknown) = self
            .runtimes
            .iter()
            .find(|r| !contenders.iter().any(|c| c.name == r.as_str()))
        {
            let names: Vec<_> = contenders.iter().map(|c| c.name).collect();
            eprintln!("BENCH_RUNTIMES: no runtime named {unknown:?}; runtimes: {names:?}");
            std::process::exit(1);
        }
    }

    fn runs(&self, contender: &Contender) -> bool {
        self.runtimes.is_empty() || self.runtimes.iter().any(|r| r == contender.name)
    }

    pub fn selects(&self, name: &str) -> bool {
        self.filters.is_empty() || self.filters.iter().any(|f| name.contains(f.as_str()))
    }
}

fn env_number(var: &str) -> Option<u64> {
    let text = std::env::var(var).ok()?;
    match text.trim().parse() {
        Ok(n) => Some(n),
        Err(_) => panic!("{var}={text:?} is not a whole number"),
    }
}

/// Pins the calling thread (only it: `sched_setaffinity(0, ..)` is per
/// thread) to `cpu`. Threads it creates afterwards inherit the mask.
pub fn pin_current_thread(cpu: usize) -> std::io::Result<()> {
    // SAFETY: cpu_set_t is a plain bit array; all-zero is the empty set, and
    // CPU_SET/sched_setaffinity only read and write the set we own.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        if libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) == 0 {
            Ok(())
        } else {
            Err(std::io::Error::last_os_error())
        }
    }
}

/// Pins the thread that drives a runtime to [`RUNTIME_CPU`].
pub fn pin_runtime_thread() {
    if let Err(e) = pin_current_thread(RUNTIME_CPU) {
        eprintln!("warning: could not pin the runtime thread to CPU {RUNTIME_CPU}: {e}");
    }
}

/// Pins a helper OS thread to [`HELPER_CPU`], or to [`RUNTIME_CPU`] on a
/// machine with a single CPU.
pub fn pin_helper_thread() {
    if pin_current_thread(HELPER_CPU).is_err() {
        let _ = pin_current_thread(RUNTIME_CPU);
    }
}

/// Aborts the process when one run takes longer than the timeout, naming
/// it, so a deadlocked runtime cannot stall the bench silently.
struct Watchdog {
    armed: Arc<Mutex<Option<(String, Instant)>>>,
    timeout: Duration,
}

impl Watchdog {
    fn start(timeout: Duration) -> Watchdog {
        let armed: Arc<Mutex<Option<(String, Instant)>>> = Arc::default();
        let watched = Arc::clone(&armed);
        std::thread::Builder::new()
            .name("bench-watchdog".into())
            .spawn(move || {
                pin_helper_thread();
                loop {
                    std::thread::sleep(Duration::from_secs(1));
                    if let Some((what, deadline)) = &*watched.lock().unwrap()
                        && Instant::now() > *deadline
                    {
                        eprintln!("error: {what} did not finish within {timeout:?}; giving up");
                        std::process::exit(2);
                    }
                }
            })
            .expect("spawn the watchdog thread");
        Watchdog { armed, timeout }
    }

    fn arm(&self, what: String) {
        *self.armed.lock().unwrap() = Some((what, Instant::now() + self.timeout));
    }

    fn disarm(&self) {
        *self.armed.lock().unwrap() = None;
    }
}

/// CPU time spent by this machine, by this process and by its waited-for
/// children, from `/proc/stat` and `/proc/self/stat`, in clock ticks.
struct CpuTimes {
    busy: u64,
    steal: u64,
    ours: u64,
    at: Instant,
}

impl CpuTimes {
    fn now() -> Option<CpuTimes> {
        let stat = std::fs::read_to_string("/proc/stat").ok()?;
        let cpu: Vec<u64> = stat
            .lines()
            .next()?
            .split_whitespace()
            .skip(1)
            .map(|f| f.parse().unwrap_or(0))
            .collect();
        // user nice system idle iowait irq softirq steal ...
        let busy = cpu[0] + cpu[1] + cpu[2] + cpu[5] + cpu[6];
        let steal = cpu.get(7).copied().unwrap_or(0);
        let own = std::fs::read_to_string("/proc/self/stat").ok()?;
        let fields: Vec<u64> = own[own.rfind(')')? + 1..]
            .split_whitespace()
            .map(|f| f.parse().unwrap_or(0))
            .collect();
        // fields[0] is the state; utime, stime, cutime, cstime are 11..=14.
        let ours = fields.get(11..15)?.iter().sum();
        Some(CpuTimes {
            busy,
            steal,
            ours,
            at: Instant::now(),
        })
    }

    /// Since `earlier`: the CPU share (1.0 = one whole CPU) used by other
    /// processes, the share stolen by the hypervisor, and whether that is
    /// enough to distrust the numbers: over [`FOREIGN_LOAD_WARNING`] and
    /// more than two clock ticks (one tick is 10 ms, already 10% of a short
    /// workload).
    fn foreign_since(&self, earlier: &CpuTimes) -> (f64, f64, bool) {
        // SAFETY: sysconf has no preconditions.
        let ticks_per_sec = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
        let secs = (self.at - earlier.at).as_secs_f64().max(1e-3);
        let others = self
            .busy
            .saturating_sub(earlier.busy)
            .saturating_sub(self.ours.saturating_sub(earlier.ours));
        let steal = self.steal.saturating_sub(earlier.steal);
        let (others_share, steal_share) = (
            others as f64 / ticks_per_sec / secs,
            steal as f64 / ticks_per_sec / secs,
        );
        let suspect = others + steal > 2 && others_share + steal_share > FOREIGN_LOAD_WARNING;
        (others_share, steal_share, suspect)
    }
}

/// Other processes using more than this share of a CPU during a workload
/// get a warning: the machine was not quiet and the numbers are suspect.
const FOREIGN_LOAD_WARNING: f64 = 0.05;

/// The result of one workload on one contender.
#[derive(Clone, Debug)]
pub enum Cell {
    Pending,
    Skipped,
    Failed(String),
    Measured {
        median: Sample,
        min: f64,
        max: f64,
        runs: usize,
        /// Every sample, in the order of the rounds (for paired ratios).
        by_round: Vec<f64>,
    },
}

pub struct Row {
    pub bench: &'static str,
    pub cells: Vec<Cell>,
}

/// Runs every selected bench: for each, `warm-up + rounds` rounds, each
/// round running the contenders in order (0, 1, 2, 0, 1, 2, ...), so slow
/// drifts of the machine hit all of them alike; then every selected report,
/// once per contender in turn. Prints progress to stderr.
pub fn run_all(
    contenders: &[Contender],
    benches: &[Bench],
    reports: &[ReportBench],
    cfg: &Config,
) -> (Vec<Row>, Vec<ReportResult>) {
    let watchdog = Watchdog::start(cfg.timeout);
    let rows = run_benches(contenders, benches, cfg, &watchdog);
    let results = reports
        .iter()
        .filter(|r| cfg.selects(r.name))
        .map(|r| run_report(contenders, r, cfg, &watchdog))
        .collect();
    (rows, results)
}

fn run_benches(
    contenders: &[Contender],
    benches: &[Bench],
    cfg: &Config,
    watchdog: &Watchdog,
) -> Vec<Row> {
    let mut rows = Vec::new();
    for bench in benches.iter().filter(|b| cfg.selects(b.name)) {
        let rounds = bench.max_rounds.map_or(cfg.rounds, |m| m.min(cfg.rounds));
        let warmups = usize::from(bench.warmup);
        eprintln!(
            "{}: {} ({} warm-up + {} rounds)",
            bench.name, bench.about, warmups, rounds
        );
        let mut samples: Vec<Vec<Sample>> = vec![Vec::new(); contenders.len()];
        let mut failures: Vec<Option<String>> = vec![None; contenders.len()];
        let cpu_before = CpuTimes::now();
        for round in 0..warmups + rounds {
            for (i, contender) in contenders.iter().enumerate() {
                if !contender.available || !cfg.runs(contender) || failures[i].is_some() {
                    continue;
                }
                watchdog.arm(format!("{} on {}", bench.name, contender.name));
                let outcome = catch_unwind(AssertUnwindSafe(|| (bench.run)(i)));
                watchdog.disarm();
                match outcome {
                    Ok(sample) if round >= warmups => samples[i].push(sample),
                    Ok(_) => {}
                    Err(panic) => failures[i] = Some(panic_message(&*panic)),
                }
            }
        }
        let cells: Vec<Cell> = contenders
            .iter()
            .zip(samples)
            .zip(failures)
            .map(|((c, s), f)| match f {
                Some(msg) => Cell::Failed(msg),
                None if !c.available => Cell::Pending,
                None if !cfg.runs(c) => Cell::Skipped,
                None => summarize(s),
            })
            .collect();
        for (contender, cell) in contenders.iter().zip(&cells) {
            eprintln!("  {:<12} {}", contender.name, describe(cell));
        }
        report_foreign_load("", cpu_before);
        rows.push(Row {
            bench: bench.name,
            cells,
        });
    }
    rows
}

/// Prints how much CPU other processes used (and the hypervisor stole)
/// since `before`, with a warning if that makes the numbers suspect.
fn report_foreign_load(indent: &str, before: Option<CpuTimes>) {
    if let (Some(before), Some(after)) = (before, CpuTimes::now()) {
        let (others, steal, suspect) = after.foreign_since(&before);
        let warn = if suspect {
            "   WARNING: the machine was busy, these numbers are suspect"
        } else {
            ""
        };
        eprintln!(
            "  {indent}other processes used {:.0}% of a CPU, the hypervisor stole {:.0}%{warn}",
            others * 100.0,
            steal * 100.0
        );
    }
}

/// Runs `report` once on every contender, in turn, printing each one's
/// figures (and the foreign load meanwhile) to stderr.
fn run_report(
    contenders: &[Contender],
    report: &ReportBench,
    cfg: &Config,
    watchdog: &Watchdog,
) -> ReportResult {
    eprintln!("{}: {} (1 run per runtime)", report.name, report.about);
    let mut cells = Vec::with_capacity(contenders.len());
    for (i, contender) in contenders.iter().enumerate() {
        if !contender.available {
            cells.push(Err(Cell::Pending));
            continue;
        }
        if !cfg.runs(contender) {
            cells.push(Err(Cell::Skipped));
            continue;
        }
        let cpu_before = CpuTimes::now();
        watchdog.arm(format!("{} on {}", report.name, contender.name));
        let outcome = catch_unwind(AssertUnwindSafe(|| (report.run)(i)));
        watchdog.disarm();
        match outcome {
            Ok(figures) => {
                let text: Vec<String> = figures
                    .iter()
                    .map(|f| {
                        format!(
                            "{} {}",
                            f.label,
                            format_value(f.sample.value, f.sample.unit)
                        )
                    })
                    .collect();
                eprintln!("  {:<12} {}", contender.name, text.join(", "));
                cells.push(Ok(figures));
            }
            Err(panic) => {
                let cell = Cell::Failed(panic_message(&*panic));
                eprintln!("  {:<12} {}", contender.name, describe(&cell));
                cells.push(Err(cell));
            }
        }
        report_foreign_load("  ", cpu_before);
    }
    ReportResult {
        name: report.name,
        cells,
    }
}

fn summarize(mut samples: Vec<Sample>) -> Cell {
    if samples.is_empty() {
        return Cell::Failed("no samples".into());
    }
    let by_round = samples.iter().map(|s| s.value).collect();
    samples.sort_by(|a, b| a.value.total_cmp(&b.value));
    let n = samples.len();
    let median = if n % 2 == 1 {
        samples[n / 2]
    } else {
        Sample {
            value: (samples[n / 2 - 1].value + samples[n / 2].value) / 2.0,
            unit: samples[0].unit,
        }
    };
    Cell::Measured {
        median,
        min: samples[0].value,
        max: samples[n - 1].value,
        runs: n,
        by_round,
    }
}

fn describe(cell: &Cell) -> String {
    match cell {
        Cell::Pending => "pending (not available in this build)".into(),
        Cell::Skipped => "skipped (not in BENCH_RUNTIMES)".into(),
        Cell::Failed(msg) => format!("FAILED: {msg}"),
        Cell::Measured {
            median,
            min,
            max,
            runs,
            ..
        } => format!(
            "median {:>10}   min {:>10}   max {:>10}   ({runs} runs)",
            format_value(median.value, median.unit),
            format_value(*min, median.unit),
            format_value(*max, median.unit),
        ),
    }
}

fn panic_message(panic: &(dyn Any + Send)) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "panicked".into()
    }
}

pub fn format_value(value: f64, unit: Unit) -> String {
    match unit {
        Unit::BytesPerTask => format!("{value:.0} B/task"),
        Unit::Seconds if value >= 1.0 => format!("{value:.2} s"),
        Unit::Seconds if value >= 1e-3 => format!("{:.2} ms", value * 1e3),
        Unit::Seconds if value >= 1e-6 => format!("{:.1} µs", value * 1e6),
        Unit::Seconds => format!("{:.0} ns", value * 1e9),
    }
}

fn cell_text(cell: &Cell) -> String {
    match cell {
        Cell::Pending => "pending".into(),
        Cell::Skipped => "skipped".into(),
        Cell::Failed(_) => "failed".into(),
        Cell::Measured { median, .. } => format_value(median.value, median.unit),
    }
}

/// A Markdown table's header row and its alignment row (the first column
/// left-aligned, the others right-aligned).
pub fn table_head(header: &[String]) -> String {
    let mut align = vec!["---".to_string()];
    align.extend(std::iter::repeat_n("---:".to_string(), header.len() - 1));
    format!("| {} |\n|{}|\n", header.join(" | "), align.join("|"))
}

/// The Markdown table: workload, one column per contender's median, then
/// contender 0 divided by each other contender (< 1: contender 0 is better).
pub fn markdown_table(contenders: &[Contender], rows: &[Row]) -> String {
    let ours = contenders[0].name;
    let others = &contenders[1..];
    let mut header = vec!["workload".to_string()];
    header.extend(contenders.iter().map(|c| c.name.to_string()));
    header.extend(others.iter().map(|c| format!("{ours}/{}", c.name)));
    let mut out = table_head(&header);
    for row in rows {
        let mut cols = vec![row.bench.to_string()];
        cols.extend(row.cells.iter().map(cell_text));
        for other in &row.cells[1..] {
            cols.push(match (&row.cells[0], other) {
                (Cell::Measured { median: a, .. }, Cell::Measured { median: b, .. }) => {
                    format!("{:.2}", a.value / b.value)
                }
                (Cell::Pending, _) => "pending".into(),
                _ => "–".into(),
            });
        }
        out.push_str(&format!("| {} |\n", cols.join(" | ")));
    }
    out
}

/// The paired comparison: contender 0's time in each round divided by
/// each other contender's time in the same round (they ran back to back,
/// so a slow drift of the machine cancels out), as the median ratio with
/// the middle half of the ratios, and the rounds contender 0 was faster in.
pub fn paired_table(contenders: &[Contender], rows: &[Row]) -> String {
    let ours = contenders[0].name;
    let others = &contenders[1..];
    let mut header = vec!["paired, per round".to_string()];
    header.extend(others.iter().map(|c| format!("{ours}/{}", c.name)));
    let mut out = table_head(&header);
    for row in rows {
        let mut cols = vec![row.bench.to_string()];
        for other in &row.cells[1..] {
            cols.push(match (&row.cells[0], other) {
                (Cell::Measured { by_round: a, .. }, Cell::Measured { by_round: b, .. })
                    if a.len() == b.len() =>
                {
                    paired_ratios(a, b)
                }
                _ => "–".into(),
            });
        }
        out.push_str(&format!("| {} |\n", cols.join(" | ")));
    }
    out
}

/// `median (q1–q3), won k/n` of the per-round ratios `a[i] / b[i]`.
fn paired_ratios(a: &[f64], b: &[f64]) -> String {
    let mut ratios: Vec<f64> = a.iter().zip(b).map(|(x, y)| x / y).collect();
    ratios.sort_by(f64::total_cmp);
    let n = ratios.len();
    let at = |q: f64| {
        // Linear interpolation between the closest ranks.
        let pos = q * (n - 1) as f64;
        let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
        ratios[lo] + (ratios[hi] - ratios[lo]) * (pos - lo as f64)
    };
    let won = ratios.iter().filter(|r| **r < 1.0).count();
    format!(
        "{:.2} ({:.2}–{:.2}), won {won}/{n}",
        at(0.5),
        at(0.25),
        at(0.75)
    )
}

/// A report's Markdown table: one row per figure marked `in_table` (in the
/// order the first contender with figures returned them), headed by the
/// report's name, and one column per contender.
pub fn report_table(contenders: &[Contender], result: &ReportResult) -> String {
    let labels: Vec<&str> = result
        .cells
        .iter()
        .find_map(|c| c.as_ref().ok())
        .map(|figures| {
            figures
                .iter()
                .filter(|f| f.in_table)
                .map(|f| f.label.as_str())
                .collect()
        })
        .unwrap_or_default();
    let mut header = vec![result.name.to_string()];
    header.extend(contenders.iter().map(|c| c.name.to_string()));
    let mut out = table_head(&header);
    for label in labels {
        let mut cols = vec![label.to_string()];
        cols.extend(result.cells.iter().map(|cell| {
            match cell {
                Ok(figures) => figures
                    .iter()
                    .find(|f| f.label == label)
                    .map_or("–".into(), |f| {
                        format_value(f.sample.value, f.sample.unit)
                    }),
                Err(cell) => cell_text(cell),
            }
        }));
        out.push_str(&format!("| {} |\n", cols.join(" | ")));
    }
    out
}

/// The line a child prints its measurement on (value, then unit).
const CHILD_SAMPLE_PREFIX: &str = "compare-bench-sample:";

/// Re-executes this bench binary with [`CHILD_WORKLOAD_ENV`] and
/// [`CHILD_RUNTIME_ENV`] set, so that the child runs `bench.child` on one
/// contender in a fresh process (see [`run_as_child`]), and returns the
/// child's sample. Panics if the child cannot start, fails, or prints none.
pub fn run_child(workload: &str, contender: &str) -> Sample {
    let exe = std::env::current_exe().expect("find the bench executable");
    let output = Command::new(exe)
        .env(CHILD_WORKLOAD_ENV, workload)
        .env(CHILD_RUNTIME_ENV, contender)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .expect("start a child bench process");
    assert!(
        output.status.success(),
        "child process for {workload} on {contender} failed: {}",
        output.status
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix(CHILD_SAMPLE_PREFIX))
        .unwrap_or_else(|| panic!("child for {workload} on {contender} printed no sample"));
    let mut parts = line.split_whitespace();
    let value: f64 = parts
        .next()
        .and_then(|v| v.parse().ok())
        .expect("child sample value");
    let unit = match parts.next() {
        Some("s") => Unit::Seconds,
        Some("B/task") => Unit::BytesPerTask,
        other => panic!("child sample unit {other:?}"),
    };
    Sample { value, unit }
}

/// If this process is a child started by [`run_child`], runs the requested
/// bench's child body on the requested contender, prints its sample for the
/// parent and returns `true`; the caller should then just exit.
pub fn run_as_child(contenders: &[Contender], benches: &[Bench]) -> bool {
    let (Ok(workload), Ok(runtime)) = (
        std::env::var(CHILD_WORKLOAD_ENV),
        std::env::var(CHILD_RUNTIME_ENV),
    ) else {
        return false;
    };
    let bench = benches
        .iter()
        .find(|b| b.name == workload)
        .unwrap_or_else(|| panic!("child: no workload named {workload:?}"));
    let child = bench
        .child
        .unwrap_or_else(|| panic!("child: workload {workload:?} has no child body"));
    let index = contenders
        .iter()
        .position(|c| c.name == runtime)
        .unwrap_or_else(|| panic!("child: no runtime named {runtime:?}"));
    let sample = child(index);
    let unit = match sample.unit {
        Unit::Seconds => "s",
        Unit::BytesPerTask => "B/task",
    };
    println!("{CHILD_SAMPLE_PREFIX} {} {unit}", sample.value);
    true
}
