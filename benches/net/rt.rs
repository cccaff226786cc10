//! The servers' side of the runtimes: one trait, [`NetRt`], with the few
//! operations the network workloads need (spawn, accept, read, write, UDP
//! send and receive), implemented on guillotine, tokio's current-thread
//! runtime and smol, so that every workload's server is one generic
//! function that reads the same on all of them.
//!
//! Every implementation is the runtime's own, ordinary API: no buffering of
//! ours, no tuning. The sockets are bound by `std` (so the client knows the
//! address before the runtime starts) and handed over with each runtime's
//! `from_std` / `TryFrom`, which switch them to non-blocking mode and
//! register them.

use std::io;
use std::net::SocketAddr;
use std::rc::Rc;

use crate::harness::Contender;
use crate::smol_local;

/// A runtime, seen from a network server.
pub trait NetRt {
    /// The column name in the tables, and the `BENCH_RUNTIMES` name.
    const NAME: &'static str;

    type Listener;
    type Stream: Send + 'static;
    type Udp: Send + Sync + 'static;

    /// Builds a fresh runtime on the calling thread, runs `fut` on it to
    /// completion (spawned tasks included, if `fut` joins them) and drops
    /// the runtime.
    fn block_on<F: Future>(fut: F) -> F::Output;

    /// Spawns a task; the returned future is its output (panics if the
    /// task failed).
    fn spawn<F>(fut: F) -> impl Future<Output = F::Output> + Send + 'static
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static;

    /// Registers a listener bound by `std`. Inside [`NetRt::block_on`].
    fn listener(std: std::net::TcpListener) -> io::Result<Self::Listener>;

    /// Accepts one connection and sets `TCP_NODELAY` on it.
    fn accept(listener: &Self::Listener) -> impl Future<Output = io::Result<Self::Stream>> + '_;

    /// One `read` of at most `buf.len()` bytes; 0 at end of stream.
    fn read<'a>(
        stream: &'a mut Self::Stream,
        buf: &'a mut [u8],
    ) -> impl Future<Output = io::Result<usize>> + Send + 'a;

    /// Writes all of `buf`.
    fn write_all<'a>(
        stream: &'a mut Self::Stream,
        buf: &'a [u8],
    ) -> impl Future<Output = io::Result<()>> + Send + 'a;

    /// Registers a UDP socket bound by `std`. Inside [`NetRt::block_on`].
    fn udp(std: std::net::UdpSocket) -> io::Result<Self::Udp>;

    fn recv_from<'a>(
        socket: &'a Self::Udp,
        buf: &'a mut [u8],
    ) -> impl Future<Output = io::Result<(usize, SocketAddr)>> + Send + 'a;

    fn send_to<'a>(
        socket: &'a Self::Udp,
        buf: &'a [u8],
        to: SocketAddr,
    ) -> impl Future<Output = io::Result<usize>> + Send + 'a;
}

/// The runtimes, in table order; the first is the one under test. The
/// index of each is what [`on`] dispatches on.
pub fn contenders() -> Vec<Contender> {
    [Guillotine::NAME, Tokio::NAME, Smol::<true>::NAME]
        .into_iter()
        .chain(smol_futures_lite_wanted().then_some(Smol::<false>::NAME))
        .map(|name| Contender {
            name,
            available: true,
        })
        .collect()
}

/// Whether to add a fourth column: smol driven by
/// `futures_lite::future::block_on` (its reactor then runs on the
/// `async-io` thread). Off unless `NET_BENCH_SMOL_FUTURES_LITE=1`.
fn smol_futures_lite_wanted() -> bool {
    std::env::var("NET_BENCH_SMOL_FUTURES_LITE").is_ok_and(|v| v == "1")
}

/// Something generic over the runtime, called by the runtime's index.
pub trait OnRuntime {
    type Output;
    fn call<R: NetRt>(self) -> Self::Output;
}

/// Calls `f` with the runtime at `index` of [`contenders`].
pub fn on<F: OnRuntime>(index: usize, f: F) -> F::Output {
    match index {
        0 => f.call::<Guillotine>(),
        1 => f.call::<Tokio>(),
        2 => f.call::<Smol<true>>(),
        3 => f.call::<Smol<false>>(),
        _ => unreachable!("no runtime number {index}"),
    }
}

/// The index of the runtime called `name` (including ones not in the
/// default [`contenders`]).
pub fn index_of(name: &str) -> Option<usize> {
    [
        Guillotine::NAME,
        Tokio::NAME,
        Smol::<true>::NAME,
        Smol::<false>::NAME,
    ]
    .iter()
    .position(|n| *n == name)
}

// ---------------------------------------------------------------- guillotine

pub struct Guillotine;

impl NetRt for Guillotine {
    const NAME: &'static str = "guillotine";

    type Listener = guillotine::net::TcpListener;
    type Stream = guillotine::net::TcpStream;
    type Udp = guillotine::net::UdpSocket;

    fn block_on<F: Future>(fut: F) -> F::Output {
        let rt = guillotine::runtime::Runtime::new().expect("build a guillotine runtime");
        rt.block_on(fut)
    }

    fn spawn<F>(fut: F) -> impl Future<Output = F::Output> + Send + 'static
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let handle = guillotine::spawn(fut);
        async move { handle.await.expect("guillotine task failed") }
    }

    fn listener(std: std::net::TcpListener) -> io::Result<Self::Listener> {
        guillotine::net::TcpListener::from_std(std)
    }

    async fn accept(listener: &Self::Listener) -> io::Result<Self::Stream> {
        let (stream, _) = listener.accept().await?;
        stream.set_nodelay(true)?;
        Ok(stream)
    }

    fn read<'a>(
        stream: &'a mut Self::Stream,
        buf: &'a mut [u8],
    ) -> impl Future<Output = io::Result<usize>> + Send + 'a {
        guillotine::io::AsyncReadExt::read(stream, buf)
    }

    fn write_all<'a>(
        stream: &'a mut Self::Stream,
        buf: &'a [u8],
    ) -> impl Future<Output = io::Result<()>> + Send + 'a {
        guillotine::io::AsyncWriteExt::write_all(stream, buf)
    }

    fn udp(std: std::net::UdpSocket) -> io::Result<Self::Udp> {
        guillotine::net::UdpSocket::from_std(std)
    }

    fn recv_from<'a>(
        socket: &'a Self::Udp,
        buf: &'a mut [u8],
    ) -> impl Future<Output = io::Result<(usize, SocketAddr)>> + Send + 'a {
        socket.recv_from(buf)
    }

    fn send_to<'a>(
        socket: &'a Self::Udp,
        buf: &'a [u8],
        to: SocketAddr,
    ) -> impl Future<Output = io::Result<usize>> + Send + 'a {
        socket.send_to(buf, to)
    }
}

// --------------------------------------------------------------------- tokio

/// `Builder::new_current_thread().enable_all()`, as in the compare bench.
pub struct Tokio;

impl NetRt for Tokio {
    const NAME: &'static str = "tokio";

    type Listener = tokio::net::TcpListener;
    type Stream = tokio::net::TcpStream;
    type Udp = tokio::net::UdpSocket;

    fn block_on<F: Future>(fut: F) -> F::Output {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("build a tokio runtime");
        rt.block_on(fut)
    }

    fn spawn<F>(fut: F) -> impl Future<Output = F::Output> + Send + 'static
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let handle = tokio::spawn(fut);
        async move { handle.await.expect("tokio task failed") }
    }

    fn listener(std: std::net::TcpListener) -> io::Result<Self::Listener> {
        std.set_nonblocking(true)?;
        tokio::net::TcpListener::from_std(std)
    }

    async fn accept(listener: &Self::Listener) -> io::Result<Self::Stream> {
        let (stream, _) = listener.accept().await?;
        stream.set_nodelay(true)?;
        Ok(stream)
    }

    fn read<'a>(
        stream: &'a mut Self::Stream,
        buf: &'a mut [u8],
    ) -> impl Future<Output = io::Result<usize>> + Send + 'a {
        tokio::io::AsyncReadExt::read(stream, buf)
    }

    fn write_all<'a>(
        stream: &'a mut Self::Stream,
        buf: &'a [u8],
    ) -> impl Future<Output = io::Result<()>> + Send + 'a {
        tokio::io::AsyncWriteExt::write_all(stream, buf)
    }

    fn udp(std: std::net::UdpSocket) -> io::Result<Self::Udp> {
        std.set_nonblocking(true)?;
        tokio::net::UdpSocket::from_std(std)
    }

    fn recv_from<'a>(
        socket: &'a Self::Udp,
        buf: &'a mut [u8],
    ) -> impl Future<Output = io::Result<(usize, SocketAddr)>> + Send + 'a {
        socket.recv_from(buf)
    }

    fn send_to<'a>(
        socket: &'a Self::Udp,
        buf: &'a [u8],
        to: SocketAddr,
    ) -> impl Future<Output = io::Result<usize>> + Send + 'a {
        socket.send_to(buf, to)
    }
}

// ---------------------------------------------------------------------- smol

/// A `smol::LocalExecutor` with `smol::net` sockets (async-io's reactor).
///
/// `ASYNC_IO = true` ("smol"): driven by `smol::block_on`, i.e.
/// `async_io::block_on`, which waits in the reactor's `epoll_wait` on the
/// runtime thread itself whenever the executor is idle: how smol runs
/// network code. `ASYNC_IO = false` ("smol-fl"): driven by
/// `futures_lite::future::block_on`, which parks the runtime thread on a
/// futex; the reactor then runs on the `async-io` helper thread, and every
/// readiness event reaches the runtime thread as a cross-thread wake-up.
/// Both start the `async-io` thread (with the reactor, on first use; it
/// inherits the runtime thread's CPU 0).
pub struct Smol<const ASYNC_IO: bool>;

impl<const ASYNC_IO: bool> NetRt for Smol<ASYNC_IO> {
    const NAME: &'static str = if ASYNC_IO { "smol" } else { "smol-fl" };

    type Listener = smol::net::TcpListener;
    type Stream = smol::net::TcpStream;
    type Udp = smol::net::UdpSocket;

    fn block_on<F: Future>(fut: F) -> F::Output {
        let ex = Rc::new(smol::LocalExecutor::new());
        let _entered = smol_local::enter(&ex);
        if ASYNC_IO {
            smol::block_on(ex.run(fut))
        } else {
            smol::future::block_on(ex.run(fut))
        }
    }

    fn spawn<F>(fut: F) -> impl Future<Output = F::Output> + Send + 'static
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        smol_local::spawn(fut)
    }

    fn listener(std: std::net::TcpListener) -> io::Result<Self::Listener> {
        smol::net::TcpListener::try_from(std)
    }

    async fn accept(listener: &Self::Listener) -> io::Result<Self::Stream> {
        let (stream, _) = listener.accept().await?;
        stream.set_nodelay(true)?;
        Ok(stream)
    }

    fn read<'a>(
        stream: &'a mut Self::Stream,
        buf: &'a mut [u8],
    ) -> impl Future<Output = io::Result<usize>> + Send + 'a {
        smol::io::AsyncReadExt::read(stream, buf)
    }

    fn write_all<'a>(
        stream: &'a mut Self::Stream,
        buf: &'a [u8],
    ) -> impl Future<Output = io::Result<()>> + Send + 'a {
        smol::io::AsyncWriteExt::write_all(stream, buf)
    }

    fn udp(std: std::net::UdpSocket) -> io::Result<Self::Udp> {
        smol::net::UdpSocket::try_from(std)
    }

    fn recv_from<'a>(
        socket: &'a Self::Udp,
        buf: &'a mut [u8],
    ) -> impl Future<Output = io::Result<(usize, SocketAddr)>> + Send + 'a {
        socket.recv_from(buf)
    }

    fn send_to<'a>(
        socket: &'a Self::Udp,
        buf: &'a [u8],
        to: SocketAddr,
    ) -> impl Future<Output = io::Result<usize>> + Send + 'a {
        socket.send_to(buf, to)
    }
}
