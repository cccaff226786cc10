//! The network workloads. Each has a server, generic over [`NetRt`], that
//! runs on the runtime under test (on the bench's main thread, pinned to
//! CPU 0), and a client: plain blocking `std::net` code on one OS thread
//! pinned to CPU 1, the same for every server. The client times the work
//! (after a warm-up exchange on every socket, so that connecting and
//! accepting are not timed) and the server returns a count that is checked,
//! so a server that skips work fails instead of winning.

use std::io::{Read, Write};
use std::marker::PhantomData;
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::time::Duration;

use crate::harness::{self, Bench, Sample, Stopwatch, ThreadClock};
use crate::rt::{NetRt, OnRuntime, on};

/// Bytes in one echo message (TCP and UDP).
pub const MSG: usize = 64;
/// Sockets in the echo workloads.
pub const ECHO_SOCKETS: usize = 32;
/// Round trips per socket in a timed echo run.
pub const ECHO_ROUNDS: usize = 2_000;
/// The client's write size and the server's read buffer in `tcp_stream`.
pub const CHUNK: usize = 64 * 1024;
/// Chunks in a timed `tcp_stream` run: 1 GiB.
pub const STREAM_CHUNKS: usize = (1 << 30) / CHUNK;
/// How long the client waits for any one reply before giving up.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(30);
/// The congestion control of `tcp_stream`'s sending socket (the client's),
/// unless `NET_BENCH_STREAM_CC` names another (empty: the host's default).
/// Under BBR (this host's default) the loopback stream settles, run by run,
/// in one of two pacing states about 5× apart, for every runtime alike
/// (BENCHMARKS.md, "tcp_stream and BBR"); cubic does not pace, so the row
/// measures the receiving runtime instead of the state the sender drew.
const STREAM_CC: &str = "cubic";

/// A network workload: a server for every runtime and one client.
pub trait NetWorkload: 'static {
    const NAME: &'static str;
    const ABOUT: &'static str;
    /// The scale of a timed run: round trips per socket, or chunks.
    const ROUNDS: usize;
    /// Units of work per round: the number of sockets, or 1 chunk.
    const UNITS_PER_ROUND: usize;
    /// What a unit is, for the syscall table ("round trip", "64 KiB").
    const UNIT: &'static str;

    /// The server's sockets, bound by `std` on 127.0.0.1 port 0, and the
    /// addresses the client sends to.
    type Sockets;
    fn bind() -> (Self::Sockets, Vec<SocketAddr>);

    /// Runs the server on a fresh `R` until the client is done with
    /// `rounds` rounds (plus the warm-up); returns the bytes it echoed or
    /// received.
    fn serve<R: NetRt>(sockets: Self::Sockets, rounds: usize) -> u64;

    /// What [`NetWorkload::serve`] must return.
    fn expected(rounds: usize) -> u64;

    /// The client: connects, warms up, then times `rounds` rounds, also by
    /// the CPU time of the server's runtime thread (`runtime`, if it runs
    /// in this process) and of this process.
    fn client(addrs: &[SocketAddr], rounds: usize, runtime: Option<ThreadClock>) -> Sample;

    /// The throughput of a timed run of `ROUNDS` rounds taking `secs`.
    fn throughput(secs: f64) -> String;
}

/// A workload with its type erased, for `main` and the syscall counts.
#[derive(Clone, Copy)]
pub struct Listing {
    pub bench: Bench,
    pub rounds: usize,
    pub units_per_round: usize,
    pub unit: &'static str,
    pub throughput: fn(f64) -> String,
    /// In a child process: binds, prints the addresses (see
    /// [`print_addrs`]) and serves `rounds` rounds on runtime `index`.
    pub serve_child: fn(index: usize, rounds: usize),
    pub client: fn(&[SocketAddr], usize, Option<ThreadClock>) -> Sample,
}

/// Every workload, in the order they run and appear in the tables.
pub fn listings() -> Vec<Listing> {
    vec![
        listing::<TcpEcho>(),
        listing::<TcpStream1GiB>(),
        listing::<UdpEcho>(),
    ]
}

fn listing<W: NetWorkload>() -> Listing {
    Listing {
        bench: Bench {
            name: W::NAME,
            about: W::ABOUT,
            max_rounds: None,
            warmup: true,
            run: |i| run_once::<W>(i, W::ROUNDS),
            child: None,
        },
        rounds: W::ROUNDS,
        units_per_round: W::UNITS_PER_ROUND,
        unit: W::UNIT,
        throughput: W::throughput,
        serve_child: serve_child::<W>,
        client: W::client,
    }
}

/// Runs `f` on a new OS thread pinned to the helper CPU and returns its
/// result, re-raising its panic.
pub fn on_helper_thread<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> std::thread::JoinHandle<T> {
    std::thread::Builder::new()
        .name("net-client".into())
        .spawn(move || {
            harness::pin_helper_thread();
            f()
        })
        .expect("spawn the client thread")
}

/// One timed run of `W` on runtime `index`: the client on a helper thread,
/// the server on this one.
fn run_once<W: NetWorkload>(index: usize, rounds: usize) -> Sample {
    let (sockets, addrs) = W::bind();
    let runtime_thread = ThreadClock::current();
    let client = on_helper_thread(move || W::client(&addrs, rounds, Some(runtime_thread)));
    let served = on(
        index,
        Serve::<W> {
            sockets,
            rounds,
            _w: PhantomData,
        },
    );
    let sample = client
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
    assert_eq!(served, W::expected(rounds), "the server counted wrong");
    sample
}

struct Serve<W: NetWorkload> {
    sockets: W::Sockets,
    rounds: usize,
    _w: PhantomData<W>,
}

impl<W: NetWorkload> OnRuntime for Serve<W> {
    type Output = u64;
    fn call<R: NetRt>(self) -> u64 {
        W::serve::<R>(self.sockets, self.rounds)
    }
}

/// The line a server child prints its addresses on.
pub const ADDRS_PREFIX: &str = "net-bench-addrs:";

/// Prints this process' id and the addresses for the parent:
/// `net-bench-addrs: <pid> a,b,c`.
fn print_addrs(addrs: &[SocketAddr]) {
    let list: Vec<String> = addrs.iter().map(ToString::to_string).collect();
    println!("{ADDRS_PREFIX} {} {}", std::process::id(), list.join(","));
    std::io::stdout().flush().expect("flush stdout");
}

fn serve_child<W: NetWorkload>(index: usize, rounds: usize) {
    let (sockets, addrs) = W::bind();
    print_addrs(&addrs);
    let served = on(
        index,
        Serve::<W> {
            sockets,
            rounds,
            _w: PhantomData,
        },
    );
    assert_eq!(served, W::expected(rounds), "the server counted wrong");
    let (user, sys) = cpu_times_us();
    println!("{RUSAGE_PREFIX} {user} {sys}");
}

/// The line a server child prints its CPU times on, when done.
pub const RUSAGE_PREFIX: &str = "net-bench-rusage:";

/// User and system CPU time of this process (every thread), in µs.
fn cpu_times_us() -> (f64, f64) {
    // SAFETY: getrusage only writes the struct we own.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        assert_eq!(libc::getrusage(libc::RUSAGE_SELF, &mut usage), 0);
        usage
    };
    let us = |t: libc::timeval| t.tv_sec as f64 * 1e6 + t.tv_usec as f64;
    (us(usage.ru_utime), us(usage.ru_stime))
}

/// Echo message number `round` on socket `socket`: recognisable bytes, so
/// that the client can check the echo.
fn message(socket: usize, round: usize) -> [u8; MSG] {
    let mut msg = [0x5a; MSG];
    msg[..8].copy_from_slice(&(socket as u64).to_le_bytes());
    msg[8..16].copy_from_slice(&(round as u64).to_le_bytes());
    msg
}

fn round_trips_per_sec(secs: f64) -> String {
    let rate = (ECHO_SOCKETS * ECHO_ROUNDS) as f64 / secs;
    format!("{:.0} k round trips/s", rate / 1e3)
}

// ------------------------------------------------------------------ tcp_echo

/// 32 TCP connections, 2,000 lock-step round trips of 64 bytes each.
pub struct TcpEcho;

impl NetWorkload for TcpEcho {
    const NAME: &'static str = "tcp_echo";
    const ABOUT: &'static str =
        "32 TCP connections x 2,000 round trips x 64 B, one client thread in lock-step";
    const ROUNDS: usize = ECHO_ROUNDS;
    const UNITS_PER_ROUND: usize = ECHO_SOCKETS;
    const UNIT: &'static str = "round trip";

    type Sockets = TcpListener;

    fn bind() -> (TcpListener, Vec<SocketAddr>) {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a TCP listener");
        let addr = listener.local_addr().expect("listener address");
        (listener, vec![addr])
    }

    /// Accepts the 32 connections, one task each: `read` up to 4 KiB,
    /// `write_all` it back, until end of stream.
    fn serve<R: NetRt>(listener: TcpListener, _rounds: usize) -> u64 {
        R::block_on(async move {
            let listener = R::listener(listener).expect("register the listener");
            let mut tasks = Vec::with_capacity(ECHO_SOCKETS);
            for _ in 0..ECHO_SOCKETS {
                let mut stream = R::accept(&listener).await.expect("accept");
                tasks.push(R::spawn(async move {
                    let mut buf = vec![0; 4096];
                    let mut echoed = 0;
                    loop {
                        let n = R::read(&mut stream, &mut buf).await.expect("server read");
                        if n == 0 {
                            return echoed;
                        }
                        R::write_all(&mut stream, &buf[..n])
                            .await
                            .expect("server write");
                        echoed += n as u64;
                    }
                }));
            }
            let mut total = 0;
            for task in tasks {
                total += task.await;
            }
            total
        })
    }

    fn expected(rounds: usize) -> u64 {
        ((rounds + 1) * ECHO_SOCKETS * MSG) as u64
    }

    /// Connects 32 streams (`TCP_NODELAY`), then per round writes 64 bytes
    /// on each and reads 64 bytes back from each, checking them.
    fn client(addrs: &[SocketAddr], rounds: usize, runtime: Option<ThreadClock>) -> Sample {
        let mut streams: Vec<TcpStream> = (0..ECHO_SOCKETS)
            .map(|_| {
                let s = TcpStream::connect(addrs[0]).expect("client connect");
                s.set_nodelay(true).expect("TCP_NODELAY");
                s.set_read_timeout(Some(CLIENT_TIMEOUT)).expect("timeout");
                s
            })
            .collect();
        let mut round_trip = |round: usize| {
            for (i, s) in streams.iter_mut().enumerate() {
                s.write_all(&message(i, round)).expect("client write");
            }
            let mut buf = [0; MSG];
            for (i, s) in streams.iter_mut().enumerate() {
                s.read_exact(&mut buf).expect("client read");
                assert!(buf == message(i, round), "wrong echo");
            }
        };
        round_trip(usize::MAX); // warm-up: every connection accepted and served
        let watch = Stopwatch::start(runtime);
        for round in 0..rounds {
            round_trip(round);
        }
        watch.stop((rounds * ECHO_SOCKETS) as u64, Self::UNIT)
    }

    fn throughput(secs: f64) -> String {
        round_trips_per_sec(secs)
    }
}

// ---------------------------------------------------------------- tcp_stream

/// One TCP connection, 1 GiB from the client to the server.
pub struct TcpStream1GiB;

impl NetWorkload for TcpStream1GiB {
    const NAME: &'static str = "tcp_stream";
    const ABOUT: &'static str =
        "1 GiB from the client to the server over one TCP connection, read into 64 KiB";
    const ROUNDS: usize = STREAM_CHUNKS;
    const UNITS_PER_ROUND: usize = 1;
    const UNIT: &'static str = "64 KiB";

    type Sockets = TcpListener;

    fn bind() -> (TcpListener, Vec<SocketAddr>) {
        TcpEcho::bind()
    }

    /// Accepts one connection in a task that writes one "ready" byte,
    /// reads into a 64 KiB buffer until end of stream, counting, and
    /// writes the count back (8 bytes, little-endian).
    fn serve<R: NetRt>(listener: TcpListener, _rounds: usize) -> u64 {
        R::block_on(async move {
            let listener = R::listener(listener).expect("register the listener");
            let mut stream = R::accept(&listener).await.expect("accept");
            R::spawn(async move {
                R::write_all(&mut stream, b"R").await.expect("server write");
                let mut buf = vec![0; CHUNK];
                let mut received = 0u64;
                loop {
                    let n = R::read(&mut stream, &mut buf).await.expect("server read");
                    if n == 0 {
                        break;
                    }
                    received += n as u64;
                }
                R::write_all(&mut stream, &received.to_le_bytes())
                    .await
                    .expect("server write");
                received
            })
            .await
        })
    }

    fn expected(rounds: usize) -> u64 {
        (rounds * CHUNK) as u64
    }

    /// Connects, waits for the ready byte, then times: `rounds` writes of
    /// 64 KiB, `shutdown(Write)`, and reading the server's count.
    fn client(addrs: &[SocketAddr], rounds: usize, runtime: Option<ThreadClock>) -> Sample {
        let mut stream = TcpStream::connect(addrs[0]).expect("client connect");
        stream.set_nodelay(true).expect("TCP_NODELAY");
        stream
            .set_read_timeout(Some(CLIENT_TIMEOUT))
            .expect("timeout");
        set_congestion_control(&stream);
        let mut ready = [0; 1];
        stream.read_exact(&mut ready).expect("read the ready byte");
        let chunk = vec![0x5a; CHUNK];
        let watch = Stopwatch::start(runtime);
        for _ in 0..rounds {
            stream.write_all(&chunk).expect("client write");
        }
        stream.shutdown(Shutdown::Write).expect("shutdown");
        let mut count = [0; 8];
        stream.read_exact(&mut count).expect("read the count");
        let sample = watch.stop(rounds as u64, Self::UNIT);
        assert_eq!(
            u64::from_le_bytes(count),
            (rounds * CHUNK) as u64,
            "the server received a wrong number of bytes"
        );
        sample
    }

    fn throughput(secs: f64) -> String {
        let gib = (STREAM_CHUNKS * CHUNK) as f64 / (1u64 << 30) as f64;
        format!("{:.2} GiB/s", gib / secs)
    }
}

/// Sets [`STREAM_CC`] (or `NET_BENCH_STREAM_CC`) on `stream`, before any
/// data flows; warns once and keeps the host's default if refused.
fn set_congestion_control(stream: &TcpStream) {
    use std::sync::Once;
    let cc = std::env::var("NET_BENCH_STREAM_CC").unwrap_or_else(|_| STREAM_CC.to_string());
    if cc.is_empty() {
        return;
    }
    if let Err(err) = socket2::SockRef::from(stream).set_tcp_congestion(cc.as_bytes()) {
        static WARNED: Once = Once::new();
        WARNED.call_once(|| {
            eprintln!(
                "  tcp_stream: congestion control {cc:?} refused ({err}); the host's default stays"
            );
        });
    }
}

// ------------------------------------------------------------------ udp_echo

/// 32 UDP sockets, 2,000 lock-step round trips of 64-byte datagrams each.
pub struct UdpEcho;

impl NetWorkload for UdpEcho {
    const NAME: &'static str = "udp_echo";
    const ABOUT: &'static str =
        "32 UDP sockets x 2,000 round trips x 64 B datagrams, one client thread in lock-step";
    const ROUNDS: usize = ECHO_ROUNDS;
    const UNITS_PER_ROUND: usize = ECHO_SOCKETS;
    const UNIT: &'static str = "round trip";

    type Sockets = Vec<UdpSocket>;

    fn bind() -> (Vec<UdpSocket>, Vec<SocketAddr>) {
        let sockets: Vec<UdpSocket> = (0..ECHO_SOCKETS)
            .map(|_| UdpSocket::bind("127.0.0.1:0").expect("bind a UDP socket"))
            .collect();
        let addrs = sockets
            .iter()
            .map(|s| s.local_addr().expect("UDP address"))
            .collect();
        (sockets, addrs)
    }

    /// One task per socket: `recv_from`, `send_to` the sender, for every
    /// datagram of the run (the warm-up included).
    fn serve<R: NetRt>(sockets: Vec<UdpSocket>, rounds: usize) -> u64 {
        R::block_on(async move {
            let tasks: Vec<_> = sockets
                .into_iter()
                .map(|socket| {
                    let socket = R::udp(socket).expect("register a UDP socket");
                    R::spawn(async move {
                        let mut buf = vec![0; 2048];
                        let mut echoed = 0;
                        for _ in 0..rounds + 1 {
                            let (n, peer) = R::recv_from(&socket, &mut buf)
                                .await
                                .expect("server recv_from");
                            let sent = R::send_to(&socket, &buf[..n], peer)
                                .await
                                .expect("server send_to");
                            assert_eq!(sent, n, "short datagram");
                            echoed += n as u64;
                        }
                        echoed
                    })
                })
                .collect();
            let mut total = 0;
            for task in tasks {
                total += task.await;
            }
            total
        })
    }

    fn expected(rounds: usize) -> u64 {
        TcpEcho::expected(rounds)
    }

    /// 32 sockets, each `connect`ed to its server socket; per round one
    /// `send` on each, then one `recv` from each, checking it.
    fn client(addrs: &[SocketAddr], rounds: usize, runtime: Option<ThreadClock>) -> Sample {
        let sockets: Vec<UdpSocket> = addrs
            .iter()
            .map(|addr| {
                let s = UdpSocket::bind("127.0.0.1:0").expect("bind a client socket");
                s.connect(addr).expect("client connect");
                s.set_read_timeout(Some(CLIENT_TIMEOUT)).expect("timeout");
                s
            })
            .collect();
        let round_trip = |round: usize| {
            for (i, s) in sockets.iter().enumerate() {
                let sent = s.send(&message(i, round)).expect("client send");
                assert_eq!(sent, MSG);
            }
            let mut buf = [0; 2 * MSG];
            for (i, s) in sockets.iter().enumerate() {
                let n = s.recv(&mut buf).expect("client recv");
                assert!(buf[..n] == message(i, round), "wrong echo");
            }
        };
        round_trip(usize::MAX);
        let watch = Stopwatch::start(runtime);
        for round in 0..rounds {
            round_trip(round);
        }
        watch.stop((rounds * ECHO_SOCKETS) as u64, Self::UNIT)
    }

    fn throughput(secs: f64) -> String {
        round_trips_per_sec(secs)
    }
}
