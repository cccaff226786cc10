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
use std::sync::atomic::{AtomicBool, Ordering};
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
/// for every unit but [`Unit::PerSecond`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Unit {
    Seconds,
    BytesPerTask,
    /// A share of one CPU's time, in percent.
    Percent,
    /// A rate (requests per second); higher is better. Only for reports,
    /// whose tables have no ratio columns.
    PerSecond,
    /// A plain number, such as events per operation.
    Count,
}

/// One measurement of one run.
#[derive(Clone, Copy, Debug)]
pub struct Sample {
    pub value: f64,
    pub unit: Unit,
    /// For a time: the CPU time spent meanwhile (see [`Stopwatch`]).
    pub cpu: Option<CpuUse>,
}

impl Sample {
    pub fn time(elapsed: Duration) -> Sample {
        Sample::new(elapsed.as_secs_f64(), Unit::Seconds)
    }

    pub fn bytes_per_task(bytes: f64) -> Sample {
        Sample::new(bytes, Unit::BytesPerTask)
    }

    pub fn percent(share: f64) -> Sample {
        Sample::new(share * 100.0, Unit::Percent)
    }

    fn new(value: f64, unit: Unit) -> Sample {
        Sample {
            value,
            unit,
            cpu: None,
        }
    }
}

/// The CPU time spent during a timed window of `ops` operations.
#[derive(Clone, Copy, Debug)]
pub struct CpuUse {
    /// What one operation is ("round trip"), for the table.
    pub op: &'static str,
    pub ops: u64,
    /// CPU time of the thread that runs the runtime, in seconds.
    pub runtime_thread: f64,
    /// CPU time of the whole process (every thread, load generators
    /// included), in seconds.
    pub process: f64,
}

/// The CPU-time clock of one thread, readable from any thread of the
/// process: the thread that times a window (a client, a helper) reads the
/// runtime thread's CPU time at the same instants as the wall clock.
#[derive(Clone, Copy, Debug)]
pub struct ThreadClock(libc::clockid_t);

impl ThreadClock {
    /// The calling thread's clock (what it reads as `CLOCK_THREAD_CPUTIME_ID`).
    pub fn current() -> ThreadClock {
        let mut id = 0;
        // SAFETY: pthread_self is the live calling thread; `id` is ours.
        let rc = unsafe { libc::pthread_getcpuclockid(libc::pthread_self(), &mut id) };
        assert_eq!(rc, 0, "pthread_getcpuclockid failed: {rc}");
        ThreadClock(id)
    }

    pub fn now(self) -> Duration {
        clock_now(self.0)
    }
}

/// The calling thread's CPU time.
pub fn thread_cpu_time() -> Duration {
    clock_now(libc::CLOCK_THREAD_CPUTIME_ID)
}

fn clock_now(clock: libc::clockid_t) -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime only writes the timespec we own.
    let rc = unsafe { libc::clock_gettime(clock, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime({clock}) failed");
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// Times a window by the wall clock and by the CPU time of the runtime
/// thread and of the whole process.
pub struct Stopwatch {
    runtime: Option<ThreadClock>,
    thread: Duration,
    process: Duration,
    wall: Instant,
}

impl Stopwatch {
    /// Starts now. Without the runtime thread's clock (a runtime in another
    /// process) it times the wall clock only.
    pub fn start(runtime: Option<ThreadClock>) -> Stopwatch {
        let thread = runtime.map_or(Duration::ZERO, ThreadClock::now);
        let process = clock_now(libc::CLOCK_PROCESS_CPUTIME_ID);
        Stopwatch {
            runtime,
            thread,
            process,
            wall: Instant::now(),
        }
    }

    /// The window so far, `ops` operations called `op`, as a time sample.
    pub fn stop(&self, ops: u64, op: &'static str) -> Sample {
        let wall = self.wall.elapsed();
        let process = clock_now(libc::CLOCK_PROCESS_CPUTIME_ID) - self.process;
        let mut sample = Sample::time(wall);
        sample.cpu = self.runtime.map(|clock| CpuUse {
            op,
            ops,
            runtime_thread: (clock.now() - self.thread).as_secs_f64(),
            process: process.as_secs_f64(),
        });
        sample
    }
}

/// The `p`th percentile of sorted `samples`, by nearest rank.
pub fn percentile(samples: &[f64], p: usize) -> f64 {
    let rank = (samples.len() * p).div_ceil(100).max(1);
    samples[rank - 1]
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
/// as a table of their own (by default rows: figures; columns: contenders).
/// Without `rounds` it runs once per contender, in turn, without a warm-up
/// round: for measurements that are slow and are distributions already
/// (latency percentiles). With `rounds` it runs like a workload (a warm-up
/// round, then the configured rounds, the contenders alternating) and each
/// figure is the median over the rounds.
#[derive(Clone, Copy)]
pub struct ReportBench {
    pub name: &'static str,
    pub about: &'static str,
    pub rounds: bool,
    /// Runs the report once on contender `i`. Panics on a wrong result; the
    /// harness reports the contender as failed.
    pub run: fn(usize) -> Vec<Figure>,
    /// Prints the result as Markdown ([`report_table`] unless the report
    /// has a layout of its own).
    pub table: fn(&[Contender], &ReportResult) -> String,
}

/// The outcome of a report on every contender.
pub struct ReportResult {
    pub name: &'static str,
    /// Per contender: its figures (medians, with `rounds`), or why there
    /// are none.
    pub cells: Vec<Result<Vec<Figure>, Cell>>,
    /// Per contender: its figures round by round (empty if it has none),
    /// for ratios paired by round.
    pub rounds: Vec<Vec<Vec<Figure>>>,
    pub table: fn(&[Contender], &ReportResult) -> String,
}

impl ReportResult {
    /// Contender `i`'s figure called `label`, if it has one.
    pub fn value(&self, i: usize, label: &str) -> Option<f64> {
        let figures = self.cells[i].as_ref().ok()?;
        Some(figures.iter().find(|f| f.label == label)?.sample.value)
    }

    /// Contender `i`'s figure called `label` in each recorded round, in
    /// round order, if it has one in every round.
    // Only the multi bench's hyper targets pair rounds; the compare bench does not.
    #[allow(dead_code)]
    pub fn round_values(&self, i: usize, label: &str) -> Option<Vec<f64>> {
        let rounds = self.rounds.get(i).filter(|r| !r.is_empty())?;
        rounds
            .iter()
            .map(|figures| Some(figures.iter().find(|f| f.label == label)?.sample.value))
            .collect()
    }
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
        /// If every sample had its CPU time measured. Boxed: few cells have it.
        cpu: Option<Box<CpuPerOp>>,
    },
}

/// Per operation, the median over the rounds of the wall time and of the
/// CPU time of the runtime thread and of the process.
#[derive(Clone, Copy, Debug)]
pub struct CpuPerOp {
    pub op: &'static str,
    pub wall: f64,
    pub runtime_thread: f64,
    pub process: f64,
}

pub struct Row {
    pub bench: &'static str,
    pub cells: Vec<Cell>,
}

/// Runs every selected bench, then every selected report (see
/// [`Runner::alternate`]). Prints progress to stderr.
pub fn run_all(
    contenders: &[Contender],
    benches: &[Bench],
    reports: &[ReportBench],
    cfg: &Config,
) -> (Vec<Row>, Vec<ReportResult>) {
    let runner = Runner {
        contenders,
        cfg,
        watchdog: Watchdog::start(cfg.timeout),
    };
    let rows = benches
        .iter()
        .filter(|b| cfg.selects(b.name))
        .map(|b| runner.bench(b))
        .collect();
    let results = reports
        .iter()
        .filter(|r| cfg.selects(r.name))
        .map(|r| runner.report(r))
        .collect();
    (rows, results)
}

/// Whether the round running is a warm-up round (see [`warming_up`]).
static WARMING_UP: AtomicBool = AtomicBool::new(false);

/// Whether the run in progress is in an unrecorded warm-up round: a run
/// whose figures only count after a warm-up may shorten it.
// Only the multi bench's hyper rows do; the compare bench does not.
#[allow(dead_code)]
pub fn warming_up() -> bool {
    WARMING_UP.load(Ordering::Relaxed)
}

struct Runner<'a> {
    contenders: &'a [Contender],
    cfg: &'a Config,
    watchdog: Watchdog,
}

impl Runner<'_> {
    /// Runs `run` on every contender selected, `warmups` unrecorded rounds
    /// and then `rounds` recorded ones, each round running the contenders
    /// in order (0, 1, 2, 0, 1, 2, ...) so that slow drifts of the machine
    /// hit all of them alike; a contender that panics is not run again.
    /// Per contender: the `summary` of its results in round order, or why
    /// there is none. Prints each (by `show`) and the load other processes
    /// put on the machine meanwhile.
    fn alternate<T, U>(
        &self,
        name: &str,
        about: &str,
        (warmups, rounds): (usize, usize),
        run: impl Fn(usize) -> T,
        summary: impl Fn(Vec<T>) -> U,
        show: impl Fn(&U) -> String,
    ) -> Vec<Result<U, Cell>> {
        eprintln!("{name}: {about} ({warmups} warm-up + {rounds} rounds)");
        let cpu_before = CpuTimes::now();
        let mut results: Vec<Result<Vec<T>, Cell>> = self
            .contenders
            .iter()
            .map(|c| {
                if !c.available {
                    Err(Cell::Pending)
                } else if !self.cfg.runs(c) {
                    Err(Cell::Skipped)
                } else {
                    Ok(Vec::with_capacity(rounds))
                }
            })
            .collect();
        for round in 0..warmups + rounds {
            WARMING_UP.store(round < warmups, Ordering::Relaxed);
            for (i, contender) in self.contenders.iter().enumerate() {
                let Ok(done) = &mut results[i] else {
                    continue;
                };
                self.watchdog.arm(format!("{name} on {}", contender.name));
                let outcome = catch_unwind(AssertUnwindSafe(|| run(i)));
                self.watchdog.disarm();
                match outcome {
                    Ok(result) if round >= warmups => done.push(result),
                    Ok(_) => {}
                    Err(panic) => results[i] = Err(Cell::Failed(panic_message(&*panic))),
                }
            }
        }
        let summaries: Vec<Result<U, Cell>> =
            results.into_iter().map(|r| r.map(&summary)).collect();
        for (contender, summary) in self.contenders.iter().zip(&summaries) {
            let text = summary.as_ref().map_or_else(describe, &show);
            eprintln!("  {:<12} {text}", contender.name);
        }
        report_foreign_load(cpu_before);
        summaries
    }

    fn bench(&self, bench: &Bench) -> Row {
        let rounds = bench
            .max_rounds
            .map_or(self.cfg.rounds, |m| m.min(self.cfg.rounds));
        let cells = self.alternate(
            bench.name,
            bench.about,
            (usize::from(bench.warmup), rounds),
            bench.run,
            summarize,
            describe,
        );
        Row {
            bench: bench.name,
            cells: cells.into_iter().map(|c| c.unwrap_or_else(|c| c)).collect(),
        }
    }

    /// See [`ReportBench`]; prints each figure's spread over the rounds.
    fn report(&self, report: &ReportBench) -> ReportResult {
        let (warmups, rounds) = if report.rounds {
            (1, self.cfg.rounds)
        } else {
            (0, 1)
        };
        let cells = self.alternate(
            report.name,
            report.about,
            (warmups, rounds),
            report.run,
            |rounds| (median_figures(&rounds), rounds),
            |(figures, _)| describe_figures(figures, rounds > 1),
        );
        let (cells, rounds) = cells
            .into_iter()
            .map(|c| match c {
                Ok((figures, rounds)) => {
                    (Ok(figures.into_iter().map(|(f, ..)| f).collect()), rounds)
                }
                Err(cell) => (Err(cell), Vec::new()),
            })
            .unzip();
        ReportResult {
            name: report.name,
            cells,
            rounds,
            table: report.table,
        }
    }
}

/// Prints how much CPU other processes used (and the hypervisor stole)
/// since `before`, with a warning if that makes the numbers suspect.
fn report_foreign_load(before: Option<CpuTimes>) {
    if let (Some(before), Some(after)) = (before, CpuTimes::now()) {
        let (others, steal, suspect) = after.foreign_since(&before);
        let warn = if suspect {
            "   WARNING: the machine was busy, these numbers are suspect"
        } else {
            ""
        };
        eprintln!(
            "  other processes used {:.0}% of a CPU, the hypervisor stole {:.0}%{warn}",
            others * 100.0,
            steal * 100.0
        );
    }
}

/// A contender's figures for stderr, with their spread over the rounds if
/// `spread`: one line per group of figures whose labels share all but
/// their last word ("100 µs p50, 100 µs p99").
fn describe_figures(figures: &[(Figure, f64, f64)], spread: bool) -> String {
    let mut text = String::new();
    let mut group = None;
    for (f, min, max) in figures {
        let prefix = f.label.rsplit_once(' ').map_or("", |(p, _)| p);
        if group.is_some() {
            text.push_str(if group == Some(prefix) {
                ", "
            } else {
                "\n               "
            });
        }
        group = Some(prefix);
        text.push_str(&format!(
            "{} {}",
            f.label,
            format_value(f.sample.value, f.sample.unit)
        ));
        if spread {
            text.push_str(&format!(
                " ({}–{})",
                format_value(*min, f.sample.unit),
                format_value(*max, f.sample.unit)
            ));
        }
    }
    text
}

/// Per figure of the first round (in its order): the figure with its
/// median over the rounds, the minimum and the maximum. Panics if a round
/// lacks a figure.
fn median_figures(rounds: &[Vec<Figure>]) -> Vec<(Figure, f64, f64)> {
    rounds[0]
        .iter()
        .map(|first| {
            let mut values: Vec<f64> = rounds
                .iter()
                .map(|figures| {
                    figures
                        .iter()
                        .find(|f| f.label == first.label)
                        .unwrap_or_else(|| panic!("a round without {}", first.label))
                        .sample
                        .value
                })
                .collect();
            let mut figure = first.clone();
            figure.sample.value = median(&mut values);
            (figure, values[0], values[values.len() - 1])
        })
        .collect()
}

/// The median of `values`, which it sorts.
fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

fn summarize(samples: Vec<Sample>) -> Cell {
    if samples.is_empty() {
        return Cell::Failed("no samples".into());
    }
    let by_round: Vec<f64> = samples.iter().map(|s| s.value).collect();
    let mut sorted = by_round.clone();
    let value = median(&mut sorted);
    let cpu = samples
        .iter()
        .map(|s| s.cpu)
        .collect::<Option<Vec<CpuUse>>>()
        .map(|cpu| {
            let per_op =
                |f: &dyn Fn(usize) -> f64| median(&mut (0..cpu.len()).map(f).collect::<Vec<_>>());
            Box::new(CpuPerOp {
                op: cpu[0].op,
                wall: per_op(&|i| by_round[i] / cpu[i].ops as f64),
                runtime_thread: per_op(&|i| cpu[i].runtime_thread / cpu[i].ops as f64),
                process: per_op(&|i| cpu[i].process / cpu[i].ops as f64),
            })
        });
    Cell::Measured {
        median: Sample {
            value,
            unit: samples[0].unit,
            cpu: None,
        },
        min: sorted[0],
        max: sorted[sorted.len() - 1],
        runs: samples.len(),
        by_round,
        cpu,
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
        Unit::Percent => format!("{value:.1}%"),
        Unit::PerSecond if value >= 1e3 => format!("{:.1} k/s", value / 1e3),
        Unit::PerSecond => format!("{value:.0}/s"),
        Unit::Count => format!("{value:.2}"),
    }
}

pub fn cell_text(cell: &Cell) -> String {
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
        out.push_str(&table_row(&cols));
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
        out.push_str(&table_row(&cols));
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

/// CPU time per operation beside wall time, for the rows whose samples
/// carried CPU times (see [`Stopwatch`]): per operation the wall time, the
/// runtime thread's CPU time and the whole process's, each CPU time with
/// its share of the wall time (100% = one CPU busy throughout). `None` if
/// no row has CPU times.
pub fn cpu_table(contenders: &[Contender], rows: &[Row]) -> Option<String> {
    cpu_table_as(contenders, rows, |_| "runtime thread CPU")
}

/// [`cpu_table`] with another name, per row, for the thread whose clock
/// the [`Stopwatch`] read (a multi-thread runtime's `block_on` thread is
/// not the one that runs its tasks).
pub fn cpu_table_as(
    contenders: &[Contender],
    rows: &[Row],
    thread: fn(&str) -> &'static str,
) -> Option<String> {
    type Text = fn(&CpuPerOp) -> String;
    fn share(cpu: f64, wall: f64) -> String {
        format!(
            "{} ({:.0}%)",
            format_value(cpu, Unit::Seconds),
            cpu / wall * 100.0
        )
    }
    let mut header = vec!["CPU per operation".to_string()];
    header.extend(contenders.iter().map(|c| c.name.to_string()));
    let mut out = table_head(&header);
    let mut any = false;
    for row in rows {
        let Some(op) = row.cells.iter().find_map(|c| match c {
            Cell::Measured { cpu: Some(cpu), .. } => Some(cpu.op),
            _ => None,
        }) else {
            continue;
        };
        any = true;
        let lines: [(String, Text); 3] = [
            (format!("{}: wall per {op}", row.bench), |c| {
                format_value(c.wall, Unit::Seconds)
            }),
            (format!("{}: {}", row.bench, thread(row.bench)), |c| {
                share(c.runtime_thread, c.wall)
            }),
            (format!("{}: process CPU", row.bench), |c| {
                share(c.process, c.wall)
            }),
        ];
        for (label, text) in lines {
            let mut cols = vec![label];
            cols.extend(row.cells.iter().map(|cell| match cell {
                Cell::Measured { cpu: Some(cpu), .. } => text(cpu),
                Cell::Measured { .. } => "–".into(),
                other => cell_text(other),
            }));
            out.push_str(&table_row(&cols));
        }
    }
    any.then_some(out)
}

/// One row of a Markdown table.
pub fn table_row(cols: &[String]) -> String {
    format!("| {} |\n", cols.join(" | "))
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
        out.push_str(&table_row(&cols));
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
        Some("%") => Unit::Percent,
        Some("/s") => Unit::PerSecond,
        Some("count") => Unit::Count,
        other => panic!("child sample unit {other:?}"),
    };
    Sample::new(value, unit)
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
        Unit::Percent => "%",
        Unit::PerSecond => "/s",
        Unit::Count => "count",
    };
    println!("{CHILD_SAMPLE_PREFIX} {} {unit}", sample.value);
    true
}
