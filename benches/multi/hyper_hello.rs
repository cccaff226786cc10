//! hyper hello: an HTTP/1 server (hyper 1 + hyper-util) that answers every
//! request with "Hello, World!", loaded by `wrk -t1 -c64 -d5s`.
//!
//! The bench re-executes itself as the server ([`SERVER_ENV`] names the
//! contender), so the server's CPU time can be read from
//! `/proc/<pid>/stat` apart from wrk's and the bench's. Contenders:
//!
//! - tokio-mt: 2 workers (`MULTI_BENCH_WORKERS`); the accept loop in `block_on` (as under
//!   `#[tokio::main]`), connections spawned with hyper-util's
//!   `TokioExecutor`, streams wrapped in `TokioIo`.
//! - smol-mt: one `smol::Executor` run by as many threads under `smol::block_on`
//!   (async-io's, which lets an idle worker drive the reactor), the accept
//!   loop in `smol::block_on` on the main thread; `smol::Async` streams
//!   through [`FuturesIo`], a futures-io to hyper adapter.
//! - guillotine-2ct: what can be built today: one current-thread runtime
//!   per worker (two), each on its own thread accepting on its own listener
//!   bound to the same port with `SO_REUSEPORT` (the kernel spreads connections over them),
//!   connections spawned with `spawn_local` through [`GuillotineLocal`],
//!   streams handed to hyper as they are (needs `--features hyper`).
//! - guillotine-mt: the same server as tokio-mt's on the multi-thread
//!   flavor, connections spawned with `guillotine::hyper::Executor`,
//!   streams as they are (`guillotine_mt.rs`; needs `--features hyper`).
//!
//! No server sets a hyper timer (so no header-read timeout), as in hyper's
//! examples. Every accepted stream gets `TCP_NODELAY`.

use std::convert::Infallible;
use std::future::Future;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, SocketAddr};
use std::pin::Pin;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::rt::Executor as _;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};

use crate::harness::{self, Contender, Figure, ReportBench, Sample, Unit};
use crate::runtimes::{GUILLOTINE_MT, SMOL_MT, SmolMt, TOKIO_MT};

/// Set in the server child: the contender whose server to run.
pub const SERVER_ENV: &str = "MULTI_BENCH_HYPER_SERVER";
/// Set in the server child: pin it (every thread) to this CPU.
const SERVER_CPU_ENV: &str = "MULTI_BENCH_HYPER_CPU";
/// One current-thread guillotine runtime per worker, sharing the port.
pub const GUILLOTINE_2CT: &str = "guillotine-2ct";
/// wrk's arguments before the URL.
const WRK_ARGS: [&str; 3] = ["-t1", "-c64", "-d5s"];
const BODY: &[u8] = b"Hello, World!";

/// The hyper contenders, in table order (as for the scheduler rows: the
/// multi-thread flavor first). guillotine's servers need `hyper`.
pub fn contenders() -> Vec<Contender> {
    [GUILLOTINE_MT, GUILLOTINE_2CT, TOKIO_MT, SMOL_MT]
        .map(|name| Contender {
            name,
            available: cfg!(feature = "hyper") || !name.starts_with("guillotine"),
        })
        .to_vec()
}

/// The two reports: everything unpinned, and the server on CPU 0 with wrk
/// on CPU 1.
pub fn reports() -> Vec<ReportBench> {
    vec![
        ReportBench {
            name: "hyper_hello",
            about: "wrk -t1 -c64 -d5s against the hello server; nothing pinned",
            rounds: true,
            run: |i| run(i, None),
            table: harness::report_table,
        },
        ReportBench {
            name: "hyper_hello_cpu0",
            about: "wrk -t1 -c64 -d5s against the hello server; server on CPU 0, wrk on CPU 1",
            rounds: true,
            run: |i| run(i, Some((0, 1))),
            table: harness::report_table,
        },
    ]
}

/// One wrk run against a fresh server of contender `i`, with `(server,
/// wrk)` CPUs if pinned.
fn run(i: usize, cpus: Option<(usize, usize)>) -> Vec<Figure> {
    let name = contenders()[i].name;
    let mut server = Command::new(std::env::current_exe().expect("find the bench executable"));
    server
        .env(SERVER_ENV, name)
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
    wrk.args(WRK_ARGS)
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
    assert!(output.status.success(), "wrk failed: {text}");

    drop(server.stdin.take());
    let status = server.wait().expect("wait for the server");
    assert!(status.success(), "the server failed: {status}");

    let (requests, rate) = parse_wrk(&text);
    let share = |cpu: Duration| Sample::percent(cpu.as_secs_f64() / wall.as_secs_f64());
    vec![
        Figure::row(
            "requests/s",
            Sample {
                value: rate,
                unit: Unit::PerSecond,
                cpu: None,
            },
        ),
        Figure::row(
            "server CPU per request",
            Sample::time(server_cpu.div_f64(requests as f64)),
        ),
        Figure::row("server CPU (share of one CPU)", share(server_cpu)),
        Figure::row(
            "server context switches per request",
            Sample {
                value: switches as f64 / requests as f64,
                unit: Unit::Count,
                cpu: None,
            },
        ),
        Figure::row("wrk CPU (share of one CPU)", share(wrk_cpu)),
    ]
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

/// The request count and requests/s from wrk's report; panics on errors
/// or non-2xx answers, so a server that fails requests cannot win.
fn parse_wrk(text: &str) -> (u64, f64) {
    assert!(
        !text.contains("Non-2xx") && !text.contains("Socket errors"),
        "wrk saw errors:\n{text}"
    );
    let requests = text
        .lines()
        .find_map(|l| l.trim().split_once(" requests in "))
        .and_then(|(n, _)| n.parse().ok())
        .unwrap_or_else(|| panic!("no request count in wrk's report:\n{text}"));
    let rate = text
        .lines()
        .find_map(|l| l.strip_prefix("Requests/sec:"))
        .and_then(|r| r.trim().parse().ok())
        .unwrap_or_else(|| panic!("no Requests/sec in wrk's report:\n{text}"));
    assert!(requests > 0, "wrk got no answer:\n{text}");
    (requests, rate)
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
/// its standard input closes, then exits.
pub fn serve(name: &str) -> ! {
    if let Ok(cpu) = std::env::var(SERVER_CPU_ENV) {
        let cpu = cpu.parse().expect("a CPU number");
        harness::pin_current_thread(cpu).expect("pin the server");
    }
    let reuse_port = name == GUILLOTINE_2CT;
    // guillotine-2ct: one listener per worker, all bound before the
    // parent connects.
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
        let accepted: Vec<_> = ACCEPTED[..count].iter().map(|a| a.load(Relaxed)).collect();
        if reuse_port {
            eprintln!("  {who}: connections per runtime thread {accepted:?}");
        }
        std::process::exit(0);
    });
    println!("listening {port}");
    io::stdout().flush().expect("flush stdout");
    let result = match name {
        TOKIO_MT => serve_tokio(first),
        SMOL_MT => serve_smol(first),
        #[cfg(feature = "hyper")]
        GUILLOTINE_2CT => guillotine_2ct::serve(first, listeners),
        #[cfg(feature = "hyper")]
        GUILLOTINE_MT => crate::guillotine_mt::serve_hyper(first),
        _ => panic!("no hyper server for {name}"),
    };
    panic!("the {name} server stopped: {result:?}");
}

/// Connections accepted per accept loop (guillotine-2ct has one per worker).
pub static ACCEPTED: [AtomicUsize; MAX_LOOPS] = [const { AtomicUsize::new(0) }; MAX_LOOPS];
const MAX_LOOPS: usize = 256;

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

/// Serves one connection until the client closes it. wrk drops its
/// connections mid-request when it stops, so errors are expected and ignored.
pub async fn connection<I>(io: I)
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + 'static,
{
    let _ = http1::Builder::new()
        .serve_connection(io, service_fn(hello))
        .await;
}

fn serve_tokio(listener: std::net::TcpListener) -> io::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(crate::sched::workers())
        .enable_all()
        .build()?;
    rt.block_on(async {
        let listener = tokio::net::TcpListener::from_std(listener)?;
        let exec = TokioExecutor::new();
        loop {
            let (stream, _) = listener.accept().await?;
            stream.set_nodelay(true)?;
            ACCEPTED[0].fetch_add(1, Relaxed);
            exec.execute(connection(TokioIo::new(stream)));
        }
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
            ACCEPTED[0].fetch_add(1, Relaxed);
            exec.execute(connection(FuturesIo(stream)));
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
                ACCEPTED[index].fetch_add(1, Relaxed);
                GuillotineLocal.execute(connection(stream));
            }
        })
    }
}
