//! hyper: an HTTP/1 server (hyper 1 + hyper-util) on every runtime,
//! loaded by wrk (`-t1 --latency`) in four rows ([`LOADS`]): `hello`
//! (64 keep-alive connections, "Hello, World!"), `c1000` (the same on
//! 1,000 connections), `churn` (every request with `Connection: close`, so
//! accepting and registering connections dominate) and `work` (the
//! handler burns ~50 µs of CPU and awaits a 1 ms sleep on the runtime's
//! own timer). Each row runs unpinned and with the server on CPU 0 and wrk
//! on CPU 1 (`hyper_<row>` and `hyper_<row>_cpu0`).
//!
//! The bench re-executes itself as the server ([`SERVER_ENV`] names the
//! contender), so the server's CPU time can be read from
//! `/proc/<pid>/stat` apart from wrk's and the bench's. Contenders:
//!
//! - tokio-mt: 2 workers (`MULTI_BENCH_WORKERS`); the accept loop in `block_on` (as under
//!   `#[tokio::main]`), connections spawned with hyper-util's
//!   `TokioExecutor`, streams wrapped in `TokioIo`.
//! - tokio-ct: the same on `Builder::new_current_thread()`.
//! - smol-mt: one `smol::Executor` run by as many threads under `smol::block_on`
//!   (async-io's, which lets an idle worker drive the reactor), the accept
//!   loop in `smol::block_on` on the main thread; `smol::Async` streams
//!   through [`FuturesIo`], a futures-io to hyper adapter.
//! - guillotine-2ct: what can be built without the multi-thread flavor:
//!   one current-thread runtime per worker (two), each on its own thread
//!   accepting on its own listener bound to the same port with
//!   `SO_REUSEPORT` (the kernel spreads connections over them),
//!   connections spawned with `spawn_local` through `GuillotineLocal`.
//! - guillotine-mt: the same server as tokio-mt's on the multi-thread
//!   flavor, connections spawned with `guillotine::hyper::Executor`
//!   (`guillotine_mt.rs`).
//! - guillotine-mt-reuseport: the multi-thread flavor with one listener
//!   per worker on the same port (`SO_REUSEPORT`, as guillotine-2ct's),
//!   each with its own accept loop spawned onto the workers instead of
//!   one loop in `block_on`; the listeners are registered from `block_on`,
//!   so with each worker's epoll in turn, and connections are spawned
//!   with `guillotine::hyper::Executor` from the loop that accepted them.
//! - guillotine-ct: the same on `Runtime::new()`.
//!
//! guillotine's servers need `--features hyper` (their streams go to hyper
//! as they are). No server sets a hyper timer (so no header-read timeout),
//! as in hyper's examples. Every accepted stream gets `TCP_NODELAY`.
//!
//! Knobs: `MULTI_BENCH_HYPER_ROWS` (rows by word, comma-separated),
//! `MULTI_BENCH_HYPER_PIN` (`unpinned`, `cpu0`), `MULTI_BENCH_HYPER_SERVERS`
//! (contenders, for the hyper tables only), `MULTI_BENCH_HYPER_SECS` (wrk's
//! `-d`, default [`DEFAULT_SECS`]).

use std::convert::Infallible;
use std::future::Future;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, SocketAddr};
use std::pin::Pin;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::rt::Executor as _;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};

use crate::harness::{self, Config, Contender, Figure, ReportBench, Sample, Unit};
use crate::runtimes::{GUILLOTINE_CT, GUILLOTINE_MT, SMOL_MT, SmolMt, TOKIO_MT};

/// Set in the server child: the contender whose server to run.
pub const SERVER_ENV: &str = "MULTI_BENCH_HYPER_SERVER";
/// Set in the server child: pin it (every thread) to this CPU.
const SERVER_CPU_ENV: &str = "MULTI_BENCH_HYPER_CPU";
/// Set in the server child: [`burn`]'s rounds per request (0: hello only).
const WORK_ENV: &str = "MULTI_BENCH_HYPER_WORK";
const ROWS_ENV: &str = "MULTI_BENCH_HYPER_ROWS";
const PIN_ENV: &str = "MULTI_BENCH_HYPER_PIN";
const SERVERS_ENV: &str = "MULTI_BENCH_HYPER_SERVERS";
const SECS_ENV: &str = "MULTI_BENCH_HYPER_SECS";
/// wrk's `-d` in seconds unless [`SECS_ENV`] says otherwise: short enough
/// that every row, server and pinning fit in about ten minutes with
/// `BENCH_ROUNDS=5`.
pub const DEFAULT_SECS: u64 = 2;
/// One current-thread guillotine runtime per worker, sharing the port.
pub const GUILLOTINE_2CT: &str = "guillotine-2ct";
/// The multi-thread flavor with one `SO_REUSEPORT` listener per worker.
pub const GUILLOTINE_MT_REUSEPORT: &str = "guillotine-mt-reuseport";
/// tokio's current-thread runtime.
pub const TOKIO_CT: &str = "tokio-ct";
const BODY: &[u8] = b"Hello, World!";
/// The `work` row's CPU per request (calibrated as rounds of [`burn`])...
const WORK: Duration = Duration::from_micros(50);
/// ... and its sleep per request, on the server runtime's timer.
const NAP: Duration = Duration::from_millis(1);

/// One row of the hyper tables: how wrk loads the server, and what the
/// handler does.
pub struct Load {
    /// In [`ROWS_ENV`], and in the report names `hyper_<word>[_cpu0]`.
    pub word: &'static str,
    /// wrk's `-c`.
    connections: u32,
    /// Every request with `Connection: close`: one connection per request.
    close: bool,
    /// The handler burns [`WORK`] of CPU and sleeps [`NAP`].
    work: bool,
    about: &'static str,
}

/// The rows, in table order.
pub const LOADS: [Load; 4] = [
    Load {
        word: "hello",
        connections: 64,
        close: false,
        work: false,
        about: "keep-alive, \"Hello, World!\"",
    },
    Load {
        word: "c1000",
        connections: 1000,
        close: false,
        work: false,
        about: "hello on 1,000 keep-alive connections",
    },
    Load {
        word: "churn",
        connections: 64,
        close: true,
        work: false,
        about: "hello, every request with Connection: close (a connection per request)",
    },
    Load {
        word: "work",
        connections: 64,
        close: false,
        work: true,
        about: "keep-alive; the handler burns ~50 µs of CPU, then sleeps 1 ms on its runtime's timer",
    },
];

/// The two pinnings, as [`PIN_ENV`] names them.
const PINNINGS: [&str; 2] = ["unpinned", "cpu0"];

/// The hyper contenders, in table order (as for the scheduler rows: the
/// multi-thread flavor first). guillotine's servers need `hyper`.
pub fn contenders() -> Vec<Contender> {
    [
        GUILLOTINE_MT,
        GUILLOTINE_MT_REUSEPORT,
        GUILLOTINE_CT,
        GUILLOTINE_2CT,
        TOKIO_MT,
        TOKIO_CT,
        SMOL_MT,
    ]
    .map(|name| Contender {
        name,
        available: cfg!(feature = "hyper") || !name.starts_with("guillotine"),
    })
    .to_vec()
}

/// `cfg` for the hyper tables: with [`SERVERS_ENV`] set, its servers
/// instead of `BENCH_RUNTIMES`'.
pub fn config(cfg: &Config) -> Config {
    let mut cfg = cfg.clone();
    if std::env::var_os(SERVERS_ENV).is_some() {
        let names: Vec<_> = contenders().iter().map(|c| c.name).collect();
        cfg.runtimes = env_list(SERVERS_ENV, &names)
            .into_iter()
            .map(String::from)
            .collect();
    }
    cfg
}

/// The names in the comma-separated variable `var`, each one of `all`
/// (all of them if it is unset); exits naming the choices otherwise.
fn env_list<'a>(var: &str, all: &[&'a str]) -> Vec<&'a str> {
    let Ok(text) = std::env::var(var) else {
        return all.to_vec();
    };
    let mut chosen = Vec::new();
    for word in text.split(',').map(str::trim).filter(|w| !w.is_empty()) {
        match all.iter().find(|a| **a == word) {
            Some(name) => chosen.push(*name),
            None => {
                eprintln!("{var}: no {word:?}; choose from {all:?}");
                std::process::exit(1);
            }
        }
    }
    chosen
}

/// wrk's duration in seconds ([`SECS_ENV`]); 1 s in a warm-up round,
/// whose figures are thrown away.
fn wrk_secs() -> u64 {
    if harness::warming_up() {
        return 1;
    }
    match std::env::var(SECS_ENV) {
        Ok(text) => text
            .trim()
            .parse::<u64>()
            .ok()
            .filter(|s| *s > 0)
            .unwrap_or_else(|| panic!("{SECS_ENV}={text:?} is not a number of seconds")),
        Err(_) => DEFAULT_SECS,
    }
}

/// The reports: per row of [`LOADS`] (as [`ROWS_ENV`] selects), unpinned
/// and with the server on CPU 0 and wrk on CPU 1 (as [`PIN_ENV`] selects).
pub fn reports() -> Vec<ReportBench> {
    type Run = fn(usize) -> Vec<Figure>;
    const RUNS: [[Run; 2]; 4] = [
        [run_load::<0, false>, run_load::<0, true>],
        [run_load::<1, false>, run_load::<1, true>],
        [run_load::<2, false>, run_load::<2, true>],
        [run_load::<3, false>, run_load::<3, true>],
    ];
    let rows = env_list(ROWS_ENV, &LOADS.map(|l| l.word));
    let pins = env_list(PIN_ENV, &PINNINGS);
    let mut reports = Vec::new();
    for (load, runs) in LOADS.iter().zip(RUNS) {
        if !rows.contains(&load.word) {
            continue;
        }
        for ((pinning, run), pinned) in PINNINGS.into_iter().zip(runs).zip([false, true]) {
            if !pins.contains(&pinning) {
                continue;
            }
            let (suffix, where_) = if pinned {
                ("_cpu0", "server on CPU 0, wrk on CPU 1")
            } else {
                ("", "nothing pinned")
            };
            let about = format!(
                "wrk {} against the server: {}; {where_}",
                wrk_args(load).join(" "),
                load.about
            );
            reports.push(ReportBench {
                name: format!("hyper_{}{suffix}", load.word).leak(),
                about: about.leak(),
                rounds: true,
                run,
                table: harness::report_table,
            });
        }
    }
    reports
}

fn run_load<const LOAD: usize, const PINNED: bool>(i: usize) -> Vec<Figure> {
    run(&LOADS[LOAD], i, PINNED.then_some((0, 1)))
}

/// wrk's arguments before the URL for `load`.
fn wrk_args(load: &Load) -> Vec<String> {
    let mut args = vec![
        "-t1".to_string(),
        format!("-c{}", load.connections),
        format!("-d{}s", wrk_secs()),
        "--latency".to_string(),
    ];
    if load.close {
        args.extend(["-H".to_string(), "Connection: close".to_string()]);
    }
    args
}

/// One wrk run of `load` against a fresh server of contender `i`, with
/// `(server, wrk)` CPUs if pinned.
fn run(load: &Load, i: usize, cpus: Option<(usize, usize)>) -> Vec<Figure> {
    let name = contenders()[i].name;
    // Both the server and wrk inherit it.
    raise_nofile(load.connections);
    let work = if load.work { work_rounds() } else { 0 };
    let mut server = Command::new(std::env::current_exe().expect("find the bench executable"));
    server
        .env(SERVER_ENV, name)
        .env(WORK_ENV, work.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    if let Some((cpu, _)) = cpus {
        server.env(SERVER_CPU_ENV, cpu.to_string());
    }
    let mut server = server.spawn().expect("start the server");
    let pid = server.id();
    let mut lines = BufReader::new(server.stdout.take().expect("server stdout"));
    let mut line = String::new();
    lines.read_line(&mut line).expect("read the server's port");
    let port: u16 = line
        .strip_prefix("listening ")
        .and_then(|p| p.trim().parse().ok())
        .unwrap_or_else(|| panic!("the server said {line:?}, not its port"));
    check_response(port);

    let switches_before = context_switches(pid);
    let (cpu_before, wall) = (process_cpu(pid), Instant::now());
    let wrk_before = children_cpu();
    let mut wrk = Command::new("wrk");
    wrk.args(wrk_args(load))
        .arg(format!("http://127.0.0.1:{port}/"))
        .stdin(Stdio::null())
        .stderr(Stdio::inherit());
    if let Some((_, cpu)) = cpus {
        pin_child(&mut wrk, cpu);
    }
    let output = wrk
        .output()
        .expect("run wrk (apt-get install wrk, or BENCH_RUNTIMES to skip)");
    let wrk_cpu = children_cpu() - wrk_before;
    let (server_cpu, wall) = (process_cpu(pid) - cpu_before, wall.elapsed());
    let switches = context_switches(pid) - switches_before;
    let text = String::from_utf8_lossy(&output.stdout);

    // Stop the server (it reports the connections it accepted) before
    // judging, so that no failure leaves it running.
    drop(server.stdin.take());
    line.clear();
    let _ = lines.read_line(&mut line);
    let status = server.wait().expect("wait for the server");
    assert!(status.success(), "the server failed: {status}");
    assert!(output.status.success(), "wrk failed: {text}");
    let (accepted, open): (u64, u64) = line
        .trim()
        .strip_prefix("accepted ")
        .and_then(|rest| rest.split_once(" open "))
        .and_then(|(a, o)| Some((a.parse().ok()?, o.parse().ok()?)))
        .unwrap_or_else(|| panic!("the server said {line:?}, not its connection counts"));
    assert_eq!(
        open, 0,
        "{open} connection(s) still open {CLOSE_GRACE:?} after wrk closed them: \
         their tasks never finished"
    );

    let wrk = parse_wrk(&text);
    // Not wrk's: the check's connection, and the one wrk opens and closes
    // to probe the address before its run.
    let connections = accepted.saturating_sub(2);
    if load.close {
        // One request per connection, but for those still in flight when
        // wrk stopped (at most one per wrk connection).
        let in_flight = u64::from(load.connections);
        assert!(
            connections >= wrk.requests,
            "{} requests on {connections} connections: the server kept connections open",
            wrk.requests
        );
        assert!(
            connections <= wrk.requests + in_flight,
            "{connections} connections for {} requests: the server closed some unanswered",
            wrk.requests
        );
    } else {
        assert!(
            connections <= u64::from(load.connections),
            "{connections} connections for wrk's {}: some were closed and reopened",
            load.connections
        );
    }
    let share = |cpu: Duration| Sample::percent(cpu.as_secs_f64() / wall.as_secs_f64());
    let count = |value: f64| Sample {
        value,
        unit: Unit::Count,
        cpu: None,
    };
    vec![
        Figure::row(
            "requests/s",
            Sample {
                value: wrk.rate,
                unit: Unit::PerSecond,
                cpu: None,
            },
        ),
        Figure::row("latency p50", Sample::time(wrk.p50)),
        Figure::row("latency p99", Sample::time(wrk.p99)),
        Figure::row(
            "server CPU per request",
            Sample::time(server_cpu.div_f64(wrk.requests as f64)),
        ),
        Figure::row(
            "server context switches per request",
            count(switches as f64 / wrk.requests as f64),
        ),
        Figure::row("server CPU (share of one CPU)", share(server_cpu)),
        Figure::row("wrk CPU (share of one CPU)", share(wrk_cpu)),
        Figure::detail(
            "connections per request",
            count(connections as f64 / wrk.requests as f64),
        ),
    ]
}

/// Raises this process's soft `RLIMIT_NOFILE` (the server and wrk inherit
/// it) to fit `connections` sockets and some room; panics if the hard
/// limit is too low.
fn raise_nofile(connections: u32) {
    let needed = libc::rlim_t::from(connections) + 256;
    // SAFETY: getrlimit and setrlimit only read and write the struct we own.
    unsafe {
        let mut limit = std::mem::zeroed::<libc::rlimit>();
        assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit), 0);
        if limit.rlim_cur >= needed {
            return;
        }
        assert!(
            limit.rlim_max >= needed,
            "RLIMIT_NOFILE's hard limit {} is below the {needed} descriptors wrk -c{connections} needs \
             (raise it: ulimit -Hn)",
            limit.rlim_max
        );
        limit.rlim_cur = needed;
        assert_eq!(libc::setrlimit(libc::RLIMIT_NOFILE, &limit), 0);
    }
}

/// The rounds of [`burn`] that take [`WORK`] of CPU here: the fastest of
/// a few timed trials, scaled (measured once, in the parent, so that every
/// server does the same work).
fn work_rounds() -> u64 {
    static ROUNDS: OnceLock<u64> = OnceLock::new();
    *ROUNDS.get_or_init(|| {
        const TRIAL: u64 = 100_000;
        let fastest = (0..7)
            .map(|_| {
                let start = harness::thread_cpu_time();
                std::hint::black_box(burn(TRIAL));
                harness::thread_cpu_time() - start
            })
            .min()
            .expect("trials");
        let rounds = (TRIAL as f64 * WORK.as_secs_f64() / fastest.as_secs_f64().max(1e-9)) as u64;
        eprintln!(
            "  hyper_work: {rounds} rounds of splitmix64 per request (~{} µs of CPU here)",
            WORK.as_micros()
        );
        rounds.max(1)
    })
}

/// `rounds` dependent steps of splitmix64: CPU work without memory
/// traffic that the compiler can neither skip nor shorten.
fn burn(rounds: u64) -> u64 {
    let mut x = 0u64;
    for _ in 0..std::hint::black_box(rounds) {
        let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        x = z ^ (z >> 31);
    }
    x
}

/// Reads one response on a connection of its own and checks it.
fn check_response(port: u16) {
    let mut stream = std::net::TcpStream::connect((Ipv4Addr::LOCALHOST, port)).expect("connect");
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .expect("send a request");
    let mut response = Vec::new();
    stream
        .read_to_end(&mut response)
        .expect("read the response");
    let response = String::from_utf8_lossy(&response);
    assert!(
        response.starts_with("HTTP/1.1 200 OK") && response.as_bytes().ends_with(BODY),
        "unexpected response: {response:?}"
    );
}

/// What the bench reads from wrk's report.
struct WrkReport {
    requests: u64,
    rate: f64,
    p50: Duration,
    p99: Duration,
}

/// Reads wrk's report; panics on non-2xx answers and on socket errors
/// (connect, read, write, timeout), so a server that fails requests cannot
/// win. A server closing a connection after its `Connection: close`
/// answer is no error to wrk: it reconnects without counting one.
fn parse_wrk(text: &str) -> WrkReport {
    let fail = |what: &str| -> ! { panic!("{what} in wrk's report:\n{text}") };
    if text.contains("Non-2xx") {
        fail("non-2xx answers");
    }
    if let Some(errors) = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("Socket errors:"))
    {
        fail(&format!("socket errors ({})", errors.trim()));
    }
    let requests: u64 = text
        .lines()
        .find_map(|l| l.trim().split_once(" requests in "))
        .and_then(|(n, _)| n.parse().ok())
        .unwrap_or_else(|| fail("no request count"));
    let rate = text
        .lines()
        .find_map(|l| l.strip_prefix("Requests/sec:"))
        .and_then(|r| r.trim().parse().ok())
        .unwrap_or_else(|| fail("no Requests/sec"));
    // `--latency`'s distribution: "     50%  123.45us".
    let percentile = |p: &str| {
        text.lines()
            .find_map(|l| l.trim().strip_prefix(p))
            .and_then(|t| wrk_time(t.trim()))
            .unwrap_or_else(|| fail(&format!("no {p} latency")))
    };
    if requests == 0 {
        fail("no answer");
    }
    WrkReport {
        requests,
        rate,
        p50: percentile("50%"),
        p99: percentile("99%"),
    }
}

/// A time as wrk prints it: "812.00us", "1.25ms", "2.00s", "1.50m".
fn wrk_time(text: &str) -> Option<Duration> {
    let (number, scale) = [
        ("us", 1e-6),
        ("ms", 1e-3),
        ("s", 1.0),
        ("m", 60.0),
        ("h", 3600.0),
    ]
    .into_iter()
    .find_map(|(unit, scale)| Some((text.strip_suffix(unit)?, scale)))?;
    let value: f64 = number.parse().ok()?;
    Some(Duration::from_secs_f64(value * scale))
}

/// utime + stime of process `pid` (every thread), from `/proc/<pid>/stat`.
fn process_cpu(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("read the server stat");
    let fields: Vec<&str> = stat[stat.rfind(')').expect("stat") + 1..]
        .split_whitespace()
        .collect();
    // After the name: state is field 0, utime 11 and stime 12.
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    // SAFETY: sysconf has no preconditions.
    let per_sec = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    Duration::from_secs_f64(ticks as f64 / per_sec)
}

/// Voluntary and involuntary context switches of every thread of process
/// `pid` (mostly: how often a thread went to sleep, or was preempted).
fn context_switches(pid: u32) -> u64 {
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).expect("list the server threads");
    tasks
        .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("status")).ok())
        .flat_map(|status| {
            status
                .lines()
                .filter(|l| l.contains("ctxt_switches:"))
                .filter_map(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
                .collect::<Vec<_>>()
        })
        .sum()
}

/// CPU time of this process's waited-for children so far.
fn children_cpu() -> Duration {
    // SAFETY: getrusage only writes the struct we own.
    let usage = unsafe {
        let mut usage = std::mem::zeroed::<libc::rusage>();
        assert_eq!(libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage), 0);
        usage
    };
    let time = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    time(usage.ru_utime) + time(usage.ru_stime)
}

/// Runs `command`'s process on `cpu` only.
fn pin_child(command: &mut Command, cpu: usize) {
    use std::os::unix::process::CommandExt;
    // SAFETY: between fork and exec the closure only calls
    // sched_setaffinity (through pin_current_thread), which is
    // async-signal-safe, and allocates nothing.
    unsafe {
        command.pre_exec(move || harness::pin_current_thread(cpu));
    }
}

// ------------------------------------------------------------ the server

/// The server child's body: binds, prints `listening <port>`, serves until
/// its standard input closes (after wrk exited and so closed its
/// connections), then waits up to [`CLOSE_GRACE`] for every connection to
/// finish, prints `accepted <connections> open <still open>` and exits.
pub fn serve(name: &str) -> ! {
    if let Ok(cpu) = std::env::var(SERVER_CPU_ENV) {
        let cpu = cpu.parse().expect("a CPU number");
        harness::pin_current_thread(cpu).expect("pin the server");
    }
    if let Ok(rounds) = std::env::var(WORK_ENV) {
        WORK_ROUNDS.store(rounds.parse().expect("rounds of work"), Relaxed);
    }
    let reuse_port = name == GUILLOTINE_2CT || name == GUILLOTINE_MT_REUSEPORT;
    // guillotine-2ct and guillotine-mt-reuseport: one listener per worker,
    // all bound before the parent connects.
    let count = if reuse_port {
        crate::sched::workers().min(MAX_LOOPS)
    } else {
        1
    };
    let first = listener(0, reuse_port).expect("bind the listener");
    let port = first.local_addr().expect("local address").port();
    let mut listeners = vec![first];
    listeners.extend((1..count).map(|_| listener(port, true).expect("bind another listener")));
    let first = listeners.remove(0);
    let who = name.to_string();
    std::thread::spawn(move || {
        // The parent closes our stdin when wrk is done.
        let _ = io::copy(&mut io::stdin(), &mut io::sink());
        // A connection still open now is one whose task missed wrk's close.
        let deadline = Instant::now() + CLOSE_GRACE;
        while OPEN.load(Relaxed) > 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        let accepted: Vec<_> = ACCEPTED[..count].iter().map(|a| a.load(Relaxed)).collect();
        if reuse_port {
            eprintln!("  {who}: connections per listener {accepted:?}");
        }
        let (accepted, open) = (accepted.iter().sum::<usize>(), OPEN.load(Relaxed));
        println!("accepted {accepted} open {open}");
        let _ = io::stdout().flush();
        std::process::exit(0);
    });
    println!("listening {port}");
    io::stdout().flush().expect("flush stdout");
    let result = match name {
        TOKIO_MT => serve_tokio(first, true),
        TOKIO_CT => serve_tokio(first, false),
        SMOL_MT => serve_smol(first),
        #[cfg(feature = "hyper")]
        GUILLOTINE_2CT => guillotine_2ct::serve(first, listeners),
        #[cfg(feature = "hyper")]
        GUILLOTINE_MT => crate::guillotine_mt::serve_hyper(first),
        #[cfg(feature = "hyper")]
        GUILLOTINE_MT_REUSEPORT => {
            listeners.insert(0, first);
            crate::guillotine_mt::serve_hyper_reuseport(listeners)
        }
        #[cfg(feature = "hyper")]
        GUILLOTINE_CT => {
            guillotine::runtime::Runtime::new().and_then(|rt| serve_guillotine(&rt, first))
        }
        _ => panic!("no hyper server for {name}"),
    };
    panic!("the {name} server stopped: {result:?}");
}

/// [`burn`]'s rounds per request: 0 but in the `work` row's server.
static WORK_ROUNDS: AtomicU64 = AtomicU64::new(0);

/// Connections accepted per accept loop (guillotine-2ct has one per worker).
static ACCEPTED: [AtomicUsize; MAX_LOOPS] = [const { AtomicUsize::new(0) }; MAX_LOOPS];
const MAX_LOOPS: usize = 256;
/// Connections accepted and not yet done with (see [`Open`]).
static OPEN: AtomicUsize = AtomicUsize::new(0);
/// How long the server waits at the end for its connections to finish.
const CLOSE_GRACE: Duration = Duration::from_secs(2);

/// A connection accepted and not done with: counted in [`OPEN`] until
/// dropped (with its connection's future, even one never polled). One
/// atomic increment and decrement per connection, for every server alike.
pub struct Open(());

impl Drop for Open {
    fn drop(&mut self) {
        OPEN.fetch_sub(1, Relaxed);
    }
}

/// Counts a connection accepted by accept loop `index`.
fn accepted(index: usize) -> Open {
    ACCEPTED[index].fetch_add(1, Relaxed);
    OPEN.fetch_add(1, Relaxed);
    Open(())
}

/// A listener on 127.0.0.1:`port` (0: any), non-blocking; with
/// `SO_REUSEPORT` if `reuse_port`, so that others can bind the same port.
fn listener(port: u16, reuse_port: bool) -> io::Result<std::net::TcpListener> {
    use socket2::{Domain, Socket, Type};
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None)?;
    socket.set_reuse_address(true)?;
    if reuse_port {
        socket.set_reuse_port(true)?;
    }
    socket.set_nonblocking(true)?;
    socket.bind(&SocketAddr::from((Ipv4Addr::LOCALHOST, port)).into())?;
    socket.listen(1024)?;
    Ok(socket.into())
}

async fn hello(_: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    Ok(Response::new(Full::new(Bytes::from_static(BODY))))
}

/// The `work` row's handler: `rounds` of [`burn`] (~[`WORK`] of CPU), then
/// [`NAP`] on the runtime's timer.
async fn work<N: Nap>(rounds: u64) -> Result<Response<Full<Bytes>>, Infallible> {
    std::hint::black_box(burn(rounds));
    N::nap(NAP).await;
    Ok(Response::new(Full::new(Bytes::from_static(BODY))))
}

/// A runtime's own sleep, for [`work`].
pub trait Nap: 'static {
    fn nap(duration: Duration) -> impl Future<Output = ()> + Send + 'static;
}

struct TokioNap;

impl Nap for TokioNap {
    fn nap(duration: Duration) -> impl Future<Output = ()> + Send + 'static {
        tokio::time::sleep(duration)
    }
}

struct SmolNap;

impl Nap for SmolNap {
    async fn nap(duration: Duration) {
        smol::Timer::after(duration).await;
    }
}

#[cfg(feature = "hyper")]
pub struct GuillotineNap;

#[cfg(feature = "hyper")]
impl Nap for GuillotineNap {
    fn nap(duration: Duration) -> impl Future<Output = ()> + Send + 'static {
        guillotine::time::sleep(duration)
    }
}

/// Serves one connection until the client closes it (or, after a
/// `Connection: close` request, until hyper does), then drops `open`.
/// wrk drops its connections mid-request when it stops, so errors are
/// expected and ignored. `N` is the runtime's sleep, for the `work` row.
pub async fn connection<N: Nap, I>(io: I, open: Open)
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + 'static,
{
    let _open = open;
    let builder = http1::Builder::new();
    let _ = match WORK_ROUNDS.load(Relaxed) {
        0 => builder.serve_connection(io, service_fn(hello)).await,
        rounds => {
            builder
                .serve_connection(io, service_fn(move |_| work::<N>(rounds)))
                .await
        }
    };
}

/// tokio-mt's server (tokio-ct's if not `multi_thread`).
fn serve_tokio(listener: std::net::TcpListener, multi_thread: bool) -> io::Result<()> {
    let mut builder = if multi_thread {
        let mut builder = tokio::runtime::Builder::new_multi_thread();
        builder.worker_threads(crate::sched::workers());
        builder
    } else {
        tokio::runtime::Builder::new_current_thread()
    };
    let rt = builder.enable_all().build()?;
    rt.block_on(async {
        let listener = tokio::net::TcpListener::from_std(listener)?;
        let exec = TokioExecutor::new();
        loop {
            let (stream, _) = listener.accept().await?;
            stream.set_nodelay(true)?;
            exec.execute(connection::<TokioNap, _>(TokioIo::new(stream), accepted(0)));
        }
    })
}

/// guillotine-mt's and guillotine-ct's server on `rt`: tokio's shape, the
/// accept loop in `block_on`, each connection a task spawned through
/// `guillotine::hyper::Executor`, streams handed to hyper as they are.
#[cfg(feature = "hyper")]
pub fn serve_guillotine(
    rt: &guillotine::runtime::Runtime,
    listener: std::net::TcpListener,
) -> io::Result<()> {
    rt.block_on(async {
        let listener = guillotine::net::TcpListener::from_std(listener)?;
        let exec = guillotine::hyper::Executor::new();
        loop {
            let (stream, _) = listener.accept().await?;
            stream.set_nodelay(true)?;
            exec.execute(connection::<GuillotineNap, _>(stream, accepted(0)));
        }
    })
}

/// guillotine-mt-reuseport's server on `rt`: each of `listeners` (one per
/// worker, sharing the port) registered from `block_on` and given an
/// accept loop of its own, a task on the workers.
#[cfg(feature = "hyper")]
pub fn serve_guillotine_reuseport(
    rt: &guillotine::runtime::Runtime,
    listeners: Vec<std::net::TcpListener>,
) -> io::Result<()> {
    async fn accept_loop(listener: guillotine::net::TcpListener, index: usize) -> io::Result<()> {
        let exec = guillotine::hyper::Executor::new();
        loop {
            let (stream, _) = listener.accept().await?;
            stream.set_nodelay(true)?;
            exec.execute(connection::<GuillotineNap, _>(stream, accepted(index)));
        }
    }
    rt.block_on(async {
        let mut loops = Vec::new();
        for (index, listener) in listeners.into_iter().enumerate() {
            let listener = guillotine::net::TcpListener::from_std(listener)?;
            loops.push(guillotine::spawn(accept_loop(listener, index)));
        }
        for accept in loops {
            accept.await.map_err(io::Error::other)??;
        }
        Ok(())
    })
}

fn serve_smol(listener: std::net::TcpListener) -> io::Result<()> {
    let rt = SmolMt::start(crate::sched::workers(), |ex, stopped| {
        let _ = smol::block_on(ex.run(stopped.recv()));
    });
    let exec = SmolExecutor(Arc::clone(rt.executor()));
    smol::block_on(async {
        let listener = smol::Async::new(listener)?;
        loop {
            let (stream, _) = listener.accept().await?;
            stream.get_ref().set_nodelay(true)?;
            exec.execute(connection::<SmolNap, _>(FuturesIo(stream), accepted(0)));
        }
    })
}

/// hyper's executor for smol: spawns onto the shared executor, detached.
struct SmolExecutor(Arc<smol::Executor<'static>>);

impl<F> hyper::rt::Executor<F> for SmolExecutor
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    fn execute(&self, fut: F) {
        self.0.spawn(fut).detach();
    }
}

/// hyper's I/O traits over a futures-io stream (what smol-hyper does).
struct FuturesIo<T>(T);

impl<T: futures::AsyncRead + Unpin> hyper::rt::Read for FuturesIo<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut buf: hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        // SAFETY: we only write initialized bytes into the unfilled part.
        let unfilled = unsafe { buf.as_mut() };
        // futures-io reads into initialized memory: zero it first (about
        // 0.1 µs for hyper's 8 KiB buffer).
        let unfilled: &mut [u8] = {
            for byte in unfilled.iter_mut() {
                byte.write(0);
            }
            // SAFETY: every byte was just initialized.
            unsafe { &mut *(std::ptr::from_mut(unfilled) as *mut [u8]) }
        };
        let n = std::task::ready!(Pin::new(&mut self.0).poll_read(cx, unfilled))?;
        // SAFETY: the read filled (initialized) the first `n` bytes.
        unsafe { buf.advance(n) };
        Poll::Ready(Ok(()))
    }
}

impl<T: futures::AsyncWrite + Unpin> hyper::rt::Write for FuturesIo<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        // smol's `Async<TcpStream>` writes vectors with one writev.
        true
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_close(cx)
    }
}

/// One current-thread runtime per worker, the port shared through
/// `SO_REUSEPORT`.
#[cfg(feature = "hyper")]
mod guillotine_2ct {
    use super::*;

    /// hyper's executor for a current-thread guillotine runtime: the
    /// connection stays on the thread that accepted it.
    #[derive(Clone, Copy)]
    struct GuillotineLocal;

    impl<F> hyper::rt::Executor<F> for GuillotineLocal
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        fn execute(&self, fut: F) {
            drop(guillotine::task::spawn_local(fut));
        }
    }

    /// Serves on `first` and on each of `more`, every listener on a thread
    /// of its own (the first on this one); returns only if one fails.
    pub fn serve(first: std::net::TcpListener, more: Vec<std::net::TcpListener>) -> io::Result<()> {
        let others: Vec<_> = more
            .into_iter()
            .enumerate()
            .map(|(i, listener)| {
                std::thread::Builder::new()
                    .name(format!("guillotine-{}", i + 1))
                    .spawn(move || accept_loop(listener, i + 1))
            })
            .collect::<io::Result<_>>()?;
        let result = accept_loop(first, 0);
        for other in others {
            let _ = other.join();
        }
        result
    }

    fn accept_loop(listener: std::net::TcpListener, index: usize) -> io::Result<()> {
        let rt = guillotine::runtime::Runtime::new()?;
        rt.block_on(async {
            let listener = guillotine::net::TcpListener::from_std(listener)?;
            loop {
                let (stream, _) = listener.accept().await?;
                stream.set_nodelay(true)?;
                GuillotineLocal.execute(connection::<GuillotineNap, _>(stream, accepted(index)));
            }
        })
    }
}
