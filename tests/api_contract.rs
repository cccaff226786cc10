//! The public API contract (shared/API.md), pinned by the compiler: every
//! fixed name and signature is named here with its type, so reshaping one
//! breaks this file. The test then exercises a few of them for real.

use std::future::Future;
use std::io;
use std::time::Duration;

use guillotine::runtime::{Builder, Handle, Runtime, TryCurrentError};
use guillotine::runtime::{EnterGuard, RuntimeMetrics};
use guillotine::task::{AbortHandle, Id, JoinError, JoinHandle, Unconstrained};

fn send_sync<T: Send + Sync>() {}
fn send_sync_unpin<T: Send + Sync + Unpin>() {}
fn debug<T: std::fmt::Debug>() {}

#[test]
fn signatures_match_the_contract() {
    // runtime
    let _: fn() -> io::Result<Runtime> = Runtime::new;
    let _: fn() -> Builder = Runtime::builder;
    let _: fn(&Runtime) -> Handle = Runtime::handle;
    let _: fn(Runtime, Duration) = Runtime::shutdown_timeout;
    let _: fn() -> Builder = Builder::new;
    let _: fn(&mut Builder, usize) -> &mut Builder = Builder::max_blocking_threads;
    let _: fn(&mut Builder, Duration) -> &mut Builder = Builder::thread_keep_alive;
    let _: fn(&mut Builder, String) -> &mut Builder = Builder::thread_name;
    let _: fn(&mut Builder, u32) -> &mut Builder = Builder::event_interval;
    let _: fn(&mut Builder) -> io::Result<Runtime> = Builder::build;
    let _: fn() -> Handle = Handle::current;
    let _: fn() -> Result<Handle, TryCurrentError> = Handle::try_current;
    send_sync::<Handle>();
    // As tokio's, on both flavors: kept in a `static`, shared in an `Arc`,
    // moved and dropped anywhere (tests/rt_send_sync.rs).
    send_sync::<Runtime>();
    // task
    let _: fn(&JoinHandle<u8>) = JoinHandle::abort;
    let _: fn(&JoinHandle<u8>) -> bool = JoinHandle::is_finished;
    let _: fn(&JoinHandle<u8>) -> AbortHandle = JoinHandle::abort_handle;
    let _: fn(&JoinError) -> bool = JoinError::is_cancelled;
    let _: fn(&JoinError) -> bool = JoinError::is_panic;
    let _: fn(JoinError) -> Box<dyn std::any::Any + Send> = JoinError::into_panic;
    send_sync_unpin::<JoinHandle<u8>>();
    send_sync::<JoinError>();
    // second round: runtime context and task ids, budget
    let _: for<'a> fn(&'a Runtime) -> EnterGuard<'a> = Runtime::enter;
    let _: for<'a> fn(&'a Handle) -> EnterGuard<'a> = Handle::enter;
    let _: fn(&Handle, std::future::Ready<u8>) -> u8 = Handle::block_on;
    let _: fn() -> Id = guillotine::task::id;
    let _: fn() -> Option<Id> = guillotine::task::try_id;
    let _: fn(&JoinHandle<u8>) -> Id = JoinHandle::id;
    let _: fn(&AbortHandle) -> Id = AbortHandle::id;
    let _: fn(std::future::Ready<u8>) -> Unconstrained<std::future::Ready<u8>> =
        guillotine::task::unconstrained;
    let _consume = guillotine::task::consume_budget();
    fn id_traits<T: Copy + Eq + std::hash::Hash + std::fmt::Display + std::fmt::Debug>() {}
    id_traits::<Id>();
    debug::<EnterGuard<'static>>();
    let _: fn(&Runtime) -> RuntimeMetrics = Runtime::metrics;
    let _: fn(&Handle) -> RuntimeMetrics = Handle::metrics;
    send_sync::<RuntimeMetrics>();
    debug::<RuntimeMetrics>();
    let _: &mut Builder = Builder::new().on_thread_start(|| {}).on_thread_stop(|| {});
    let _: fn() -> Builder = Builder::new_current_thread;
    let _: fn() -> Builder = Builder::new_multi_thread;
    let _: &mut Builder = Builder::new_multi_thread().worker_threads(2);
    // tokio's enable_* calls, accepted as no-ops (I/O and timers are always on)
    let _: &mut Builder = Builder::new().enable_all().enable_io().enable_time();
    let _: fn(fn() -> u8) -> u8 = guillotine::task::block_in_place::<fn() -> u8, u8>;
    fn is_error<E: std::error::Error + Send + Sync>() {}
    is_error::<JoinError>();
    fn join_output<T>(h: JoinHandle<T>) -> impl Future<Output = Result<T, JoinError>> {
        h
    }
    let _ = join_output::<u8>;
    // time
    let _: fn(Duration) -> guillotine::time::Sleep = guillotine::time::sleep;
    let _: fn(std::time::Instant) -> guillotine::time::Sleep = guillotine::time::sleep_until;
    let _: fn(&guillotine::time::Sleep) -> std::time::Instant = guillotine::time::Sleep::deadline;
    let _: fn(&guillotine::time::Sleep) -> bool = guillotine::time::Sleep::is_elapsed;
    let _: fn(Duration) -> guillotine::time::Interval = guillotine::time::interval;
    let _: fn(std::time::Instant, Duration) -> guillotine::time::Interval =
        guillotine::time::interval_at;
    let _: guillotine::time::Duration = Duration::ZERO;
    let _: fn(std::pin::Pin<&mut guillotine::time::Sleep>, std::time::Instant) =
        guillotine::time::Sleep::reset;
    let _: fn(&mut guillotine::time::Interval, guillotine::time::MissedTickBehavior) =
        guillotine::time::Interval::set_missed_tick_behavior;
    fn timeout_output(
        f: std::future::Ready<u8>,
    ) -> impl Future<Output = Result<u8, guillotine::time::Elapsed>> {
        guillotine::time::timeout(Duration::from_secs(1), f)
    }
    let _ = timeout_output;
    let _ = guillotine::time::MissedTickBehavior::Burst;
    let _ = guillotine::time::MissedTickBehavior::Delay;
    let _ = guillotine::time::MissedTickBehavior::Skip;
    fn is_std_error<E: std::error::Error>() {}
    is_std_error::<guillotine::time::Elapsed>();
    // net and io: every I/O type is Send + Sync + Unpin and Debug
    send_sync_unpin::<guillotine::net::TcpListener>();
    send_sync_unpin::<guillotine::net::TcpStream>();
    send_sync_unpin::<guillotine::net::UdpSocket>();
    send_sync_unpin::<guillotine::net::UnixListener>();
    send_sync_unpin::<guillotine::net::UnixStream>();
    send_sync_unpin::<guillotine::net::UnixDatagram>();
    fn streams<T: guillotine::io::AsyncRead + guillotine::io::AsyncWrite>() {}
    streams::<guillotine::net::TcpStream>();
    streams::<&guillotine::net::TcpStream>();
    streams::<guillotine::net::UnixStream>();
    let _: fn(&guillotine::net::TcpStream, bool) -> io::Result<()> =
        guillotine::net::TcpStream::set_nodelay;
    let _: fn(&guillotine::net::TcpStream, std::net::Shutdown) -> io::Result<()> =
        guillotine::net::TcpStream::shutdown;
    let _: fn(std::net::TcpStream) -> io::Result<guillotine::net::TcpStream> =
        guillotine::net::TcpStream::from_std;
    let _: fn(std::net::TcpListener) -> io::Result<guillotine::net::TcpListener> =
        guillotine::net::TcpListener::from_std;
    debug::<Runtime>();
    debug::<Builder>();
    debug::<Handle>();
    debug::<JoinHandle<u8>>();
    debug::<AbortHandle>();
    debug::<JoinError>();
    debug::<guillotine::time::Sleep>();
    debug::<guillotine::time::Interval>();
    debug::<guillotine::io::AsyncFd<std::os::fd::OwnedFd>>();
    // third round: signal
    use guillotine::signal::unix::{Signal, SignalKind};
    fn ctrl_c_output() -> impl Future<Output = io::Result<()>> + Send {
        guillotine::signal::ctrl_c()
    }
    let _ = ctrl_c_output;
    let _: fn(SignalKind) -> io::Result<Signal> = guillotine::signal::unix::signal;
    fn recv_output(s: &mut Signal) -> impl Future<Output = Option<()>> + Send + '_ {
        s.recv()
    }
    let _ = recv_output;
    let _: fn(&mut Signal, &mut std::task::Context<'_>) -> std::task::Poll<Option<()>> =
        Signal::poll_recv;
    let _: fn(Signal) -> io::Result<Signal> = Signal::restore_default_on_drop;
    fn signal_stream<S: futures::Stream<Item = ()> + futures_lite::Stream<Item = ()>>() {}
    signal_stream::<Signal>();
    send_sync_unpin::<Signal>();
    debug::<Signal>();
    let _: fn(libc::c_int) -> SignalKind = SignalKind::from_raw;
    let _: fn(&SignalKind) -> libc::c_int = SignalKind::as_raw_value;
    for kind in [
        SignalKind::alarm,
        SignalKind::child,
        SignalKind::hangup,
        SignalKind::interrupt,
        SignalKind::io,
        SignalKind::pipe,
        SignalKind::quit,
        SignalKind::terminate,
        SignalKind::user_defined1,
        SignalKind::user_defined2,
        SignalKind::window_change,
    ] {
        let _: SignalKind = kind();
    }
    fn kind_traits<T>()
    where
        T: Copy + Eq + std::hash::Hash + std::fmt::Debug + From<libc::c_int>,
        libc::c_int: From<T>,
    {
    }
    kind_traits::<SignalKind>();
    // attributes (feature "macros"): `main` keeps the function's return type
    let _: fn() -> u8 = attribute_main;
    let _: fn() = attribute_main_keys;
}

#[guillotine::main]
async fn attribute_main() -> u8 {
    guillotine::spawn(async { 7 }).await.unwrap()
}

#[guillotine::main(flavor = "multi_thread", worker_threads = 2, crate = "guillotine")]
async fn attribute_main_keys() {}

#[guillotine::test(flavor = "current_thread", crate = "::guillotine")]
async fn attribute_test() {
    assert_eq!(guillotine::spawn(async { 7 }).await.unwrap(), 7);
}

#[guillotine::test(flavor = "multi_thread", worker_threads = 2, timeout = "20s")]
async fn attribute_test_keys() -> Result<(), JoinError> {
    guillotine::spawn(async {}).await
}

#[test]
fn attribute_main_runs_its_body() {
    assert_eq!(attribute_main(), 7);
    attribute_main_keys();
}

#[test]
fn crate_root_reexports_spawn_and_spawn_blocking() {
    let rt = Runtime::new().unwrap();
    let v = rt.block_on(async {
        let a = guillotine::spawn(async { 1 });
        let b = guillotine::spawn_blocking(|| 2);
        let c = guillotine::task::spawn_local(async { 3 });
        guillotine::task::yield_now().await;
        a.await.unwrap() + b.await.unwrap() + c.await.unwrap()
    });
    assert_eq!(v, 6);
    assert_eq!(rt.block_on(rt.spawn_blocking(|| 4)).unwrap(), 4);
    assert_eq!(rt.block_on(rt.handle().spawn_blocking(|| 5)).unwrap(), 5);
}

#[test]
#[allow(
    clippy::type_complexity,
    reason = "the signatures are spelled out, as the contract has them"
)]
fn join_set_and_task_local_match_the_contract() {
    use std::future::Ready;
    use std::task::{Context, Poll};

    use guillotine::task::futures::TaskLocalFuture;
    use guillotine::task::{AccessError, JoinSet, LocalKey};

    type Set = JoinSet<u8>;
    let _: fn() -> Set = JoinSet::new;
    let _: fn(&Set) -> usize = JoinSet::len;
    let _: fn(&Set) -> bool = JoinSet::is_empty;
    let _: fn(&mut Set, Ready<u8>) -> AbortHandle = JoinSet::spawn;
    let _: fn(&mut Set, Ready<u8>, &Handle) -> AbortHandle = JoinSet::spawn_on;
    let _: fn(&mut Set, Ready<u8>) -> AbortHandle = JoinSet::spawn_local;
    let _: fn(&mut Set, fn() -> u8) -> AbortHandle = JoinSet::spawn_blocking;
    let _: fn(&mut Set, fn() -> u8, &Handle) -> AbortHandle = JoinSet::spawn_blocking_on;
    let _: fn(&mut Set) -> Option<Result<u8, JoinError>> = JoinSet::try_join_next;
    let _: fn(&mut Set) -> Option<Result<(Id, u8), JoinError>> = JoinSet::try_join_next_with_id;
    let _: fn(&mut Set, &mut Context<'_>) -> Poll<Option<Result<u8, JoinError>>> =
        JoinSet::poll_join_next;
    let _: fn(&mut Set, &mut Context<'_>) -> Poll<Option<Result<(Id, u8), JoinError>>> =
        JoinSet::poll_join_next_with_id;
    let _: fn(&mut Set) = JoinSet::abort_all;
    let _: fn(&mut Set) = JoinSet::detach_all;
    fn join_next(s: &mut Set) -> impl Future<Output = Option<Result<u8, JoinError>>> + '_ {
        s.join_next()
    }
    fn join_next_with_id(
        s: &mut Set,
    ) -> impl Future<Output = Option<Result<(Id, u8), JoinError>>> + '_ {
        s.join_next_with_id()
    }
    fn shutdown(s: &mut Set) -> impl Future<Output = ()> + '_ {
        s.shutdown()
    }
    fn join_all(s: Set) -> impl Future<Output = Vec<u8>> {
        s.join_all()
    }
    fn join_all_results(s: Set) -> impl Future<Output = Vec<Result<u8, JoinError>>> {
        s.join_all_results()
    }
    let _ = (
        join_next,
        join_next_with_id,
        shutdown,
        join_all,
        join_all_results,
    );
    let _: Set = Set::default();
    fn collects<T: FromIterator<Ready<u8>> + Extend<Ready<u8>>>() {}
    collects::<Set>();
    send_sync::<Set>();
    debug::<Set>();

    guillotine::task_local! {
        static KEY: u8;
    }
    let key: &'static LocalKey<u8> = &KEY;
    let _: fn(&'static LocalKey<u8>, u8, Ready<u8>) -> TaskLocalFuture<u8, Ready<u8>> =
        LocalKey::scope;
    let _: fn(&'static LocalKey<u8>, u8, fn() -> u8) -> u8 = LocalKey::sync_scope;
    let _: fn(&'static LocalKey<u8>, fn(&u8) -> u8) -> u8 = LocalKey::with;
    let _: fn(&'static LocalKey<u8>, fn(&u8) -> u8) -> Result<u8, AccessError> = LocalKey::try_with;
    let _: fn(&'static LocalKey<u8>) -> u8 = LocalKey::get;
    let _: fn(std::pin::Pin<&mut TaskLocalFuture<u8, Ready<u8>>>) -> Option<u8> =
        TaskLocalFuture::take_value;
    fn is_error<E: std::error::Error + Send + Sync>() {}
    is_error::<AccessError>();
    send_sync::<LocalKey<u8>>();
    debug::<LocalKey<u8>>();
    debug::<TaskLocalFuture<u8, Ready<u8>>>();
    debug::<AccessError>();
    assert_eq!(key.sync_scope(4, || KEY.get()), 4);
}

/// Readiness as a value (issue 16): `io::Ready`, `Interest::{PRIORITY,
/// ERROR}`, `ready`/`poll_*_ready`/`try_io`/`async_io` on the sockets and
/// halves, and `AsyncFd`'s readiness, `async_io` and `try_new`, with
/// tokio's names and signatures.
#[test]
#[allow(
    clippy::type_complexity,
    reason = "the signatures are spelled out, as the contract has them"
)]
fn readiness_names_match() {
    use std::os::fd::OwnedFd;
    use std::task::{Context, Poll};

    use guillotine::io::{
        AsyncFd, AsyncFdReadyGuard, AsyncFdReadyMutGuard, AsyncFdTryNewError, Interest, Ready,
    };
    use guillotine::net::{TcpStream, UdpSocket, UnixDatagram, UnixStream, tcp, unix};

    // Ready: tokio's constants, predicates and operators.
    for ready in [
        Ready::EMPTY,
        Ready::READABLE,
        Ready::WRITABLE,
        Ready::READ_CLOSED,
        Ready::WRITE_CLOSED,
        Ready::PRIORITY,
        Ready::ERROR,
        Ready::ALL,
    ] {
        let _: Ready = (ready | ready) & ready;
        let _: Ready = ready - Ready::EMPTY;
    }
    let mut ready = Ready::EMPTY;
    ready |= Ready::READABLE;
    for is in [
        Ready::is_empty,
        Ready::is_readable,
        Ready::is_writable,
        Ready::is_read_closed,
        Ready::is_write_closed,
        Ready::is_priority,
        Ready::is_error,
    ] {
        let _: bool = is(ready);
    }
    fn ready_value<T: Copy + Eq + Ord + std::fmt::Debug + Send + Sync>() {}
    ready_value::<Ready>();
    // Interest: the new constants and methods.
    let _: Interest = Interest::PRIORITY | Interest::ERROR;
    let _: fn(Interest) -> bool = Interest::is_priority;
    let _: fn(Interest) -> bool = Interest::is_error;
    let _: fn(Interest, Interest) -> Option<Interest> = Interest::remove;
    // AsyncFd
    type Fd = AsyncFd<OwnedFd>;
    let _: fn(OwnedFd) -> Result<Fd, AsyncFdTryNewError<OwnedFd>> = AsyncFd::try_new;
    let _: fn(OwnedFd, Interest) -> Result<Fd, AsyncFdTryNewError<OwnedFd>> =
        AsyncFd::try_with_interest;
    let _: fn(AsyncFdTryNewError<OwnedFd>) -> (OwnedFd, io::Error) = AsyncFdTryNewError::into_parts;
    fn try_new_error<E: std::error::Error + Into<io::Error> + Send + Sync>() {}
    try_new_error::<AsyncFdTryNewError<OwnedFd>>();
    fn ready_guard(
        fd: &Fd,
        i: Interest,
    ) -> impl Future<Output = io::Result<AsyncFdReadyGuard<'_, OwnedFd>>> + Send + '_ {
        fd.ready(i)
    }
    fn ready_mut_guard(
        fd: &mut Fd,
        i: Interest,
    ) -> impl Future<Output = io::Result<AsyncFdReadyMutGuard<'_, OwnedFd>>> + Send + '_ {
        fd.ready_mut(i)
    }
    fn async_io(fd: &Fd) -> impl Future<Output = io::Result<u8>> + '_ {
        fd.async_io(Interest::READABLE, |_: &OwnedFd| Ok(1))
    }
    fn async_io_mut(fd: &mut Fd) -> impl Future<Output = io::Result<u8>> + '_ {
        fd.async_io_mut(Interest::READABLE, |_: &mut OwnedFd| Ok(1))
    }
    let _ = (ready_guard, ready_mut_guard, async_io, async_io_mut);
    let _: fn(&Fd, Interest, fn(&OwnedFd) -> io::Result<u8>) -> io::Result<u8> = Fd::try_io;
    let _: fn(&mut Fd, Interest, fn(&mut OwnedFd) -> io::Result<u8>) -> io::Result<u8> =
        Fd::try_io_mut;
    let _: for<'a> fn(
        &'a mut Fd,
        &mut Context<'_>,
    ) -> Poll<io::Result<AsyncFdReadyMutGuard<'a, OwnedFd>>> = Fd::poll_read_ready_mut;
    let _: for<'a> fn(
        &'a mut Fd,
        &mut Context<'_>,
    ) -> Poll<io::Result<AsyncFdReadyMutGuard<'a, OwnedFd>>> = Fd::poll_write_ready_mut;
    let _: fn(&AsyncFdReadyGuard<'static, OwnedFd>) -> Ready = AsyncFdReadyGuard::ready;
    let _: fn(&mut AsyncFdReadyGuard<'static, OwnedFd>, Ready) =
        AsyncFdReadyGuard::clear_ready_matching;
    let _: fn(&AsyncFdReadyMutGuard<'static, OwnedFd>) -> Ready = AsyncFdReadyMutGuard::ready;
    let _: fn(&mut AsyncFdReadyMutGuard<'static, OwnedFd>, Ready) =
        AsyncFdReadyMutGuard::clear_ready_matching;
    // Sockets: `ready`, the poll methods (tokio's names: `poll_recv_ready`
    // and `poll_send_ready` on the datagram sockets), `try_io`, `async_io`.
    macro_rules! sockets {
        ($($ty:ty: $poll_read:ident, $poll_write:ident;)*) => {$({
            fn ready(s: &$ty) -> impl Future<Output = io::Result<Ready>> + Send + '_ {
                s.ready(Interest::READABLE)
            }
            fn async_io(s: &$ty) -> impl Future<Output = io::Result<u8>> + Send + '_ {
                s.async_io(Interest::READABLE, || Ok(1))
            }
            let _ = (ready, async_io);
            let _: fn(&$ty, &mut Context<'_>) -> Poll<io::Result<()>> = <$ty>::$poll_read;
            let _: fn(&$ty, &mut Context<'_>) -> Poll<io::Result<()>> = <$ty>::$poll_write;
            let _: fn(&$ty, Interest, fn() -> io::Result<u8>) -> io::Result<u8> = <$ty>::try_io;
        })*};
    }
    sockets! {
        TcpStream: poll_read_ready, poll_write_ready;
        UnixStream: poll_read_ready, poll_write_ready;
        UdpSocket: poll_recv_ready, poll_send_ready;
        UnixDatagram: poll_recv_ready, poll_send_ready;
    }
    // The halves: `ready`, and `readable` / `writable` as their direction.
    macro_rules! halves {
        ($($ty:ty: $wait:ident;)*) => {$({
            fn ready<'a>(h: &'a $ty) -> impl Future<Output = io::Result<Ready>> + Send + 'a {
                h.ready(Interest::READABLE)
            }
            fn wait<'a>(h: &'a $ty) -> impl Future<Output = io::Result<()>> + Send + 'a {
                h.$wait()
            }
            let _ = (ready, wait);
        })*};
    }
    halves! {
        tcp::ReadHalf<'_>: readable;
        tcp::WriteHalf<'_>: writable;
        tcp::OwnedReadHalf: readable;
        tcp::OwnedWriteHalf: writable;
        unix::ReadHalf<'_>: readable;
        unix::WriteHalf<'_>: writable;
        unix::OwnedReadHalf: readable;
        unix::OwnedWriteHalf: writable;
    }
    debug::<Ready>();
    debug::<AsyncFdTryNewError<OwnedFd>>();
    send_sync::<AsyncFdTryNewError<OwnedFd>>();
}

/// tokio habits a ported program relies on (issue: "tokio habits that fail
/// today"): these compile and behave as in tokio.
#[test]
fn tokio_habits_compile_and_work() {
    use guillotine::runtime::RuntimeFlavor;
    // No-op enables, accepted as in tokio.
    let rt = Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .enable_io()
        .enable_time()
        .thread_name("habits")
        .build()
        .unwrap();
    assert_eq!(rt.handle().runtime_flavor(), RuntimeFlavor::MultiThread);
    let name = rt.block_on(async {
        // A detached spawn is a plain statement: `JoinHandle` is not
        // `#[must_use]` (this file denies no warning, but clippy's
        // `-D warnings` run over the tests would catch one).
        guillotine::spawn(async {});
        guillotine::spawn(async { std::thread::current().name().map(str::to_owned) })
            .await
            .unwrap()
    });
    assert_eq!(
        name.as_deref(),
        Some("habits"),
        "the workers carry thread_name"
    );
    // tokio's io helpers.
    let out = rt.block_on(async {
        use guillotine::io::{AsyncBufReadExt, BufReader, BufWriter, copy, split};
        let (a, b) = guillotine::net::UnixStream::pair().unwrap();
        let (_r, mut w) = split(a);
        copy(&b"x\n"[..], &mut BufWriter::new(&mut w))
            .await
            .unwrap();
        let mut line = String::new();
        BufReader::new(b).read_line(&mut line).await.unwrap();
        line
    });
    assert_eq!(out, "x\n");
    let start = std::time::Instant::now();
    drop(rt.spawn_blocking(|| std::thread::sleep(Duration::from_secs(5))));
    rt.shutdown_background();
    assert!(start.elapsed() < Duration::from_secs(4));
    let ct = Runtime::new().unwrap();
    assert_eq!(ct.handle().runtime_flavor(), RuntimeFlavor::CurrentThread);
    let _: fn(Runtime) = Runtime::shutdown_background;
    let _: fn(&Handle) -> RuntimeFlavor = Handle::runtime_flavor;
}

/// `guillotine::process` (third round): tokio's `Command` and `Child`, with
/// the futures `Send` and `status`/`output` not borrowing the `Command`.
#[test]
fn process_matches_the_contract() {
    use std::os::fd::{AsFd, AsRawFd, OwnedFd};
    use std::process::{ExitStatus, Output, Stdio};

    use guillotine::process::{Child, ChildStderr, ChildStdin, ChildStdout, Command};

    let _: fn(&'static str) -> Command = Command::new::<&'static str>;
    let _: fn(std::process::Command) -> Command = Command::from;
    let _: fn(&Command) -> &std::process::Command = Command::as_std;
    let _: fn(&mut Command) -> &mut std::process::Command = Command::as_std_mut;
    let _: fn(Command) -> std::process::Command = Command::into_std;
    let _: for<'a> fn(&'a mut Command, &'static str) -> &'a mut Command =
        Command::arg::<&'static str>;
    let _: for<'a> fn(&'a mut Command, [&'static str; 2]) -> &'a mut Command =
        Command::args::<[&'static str; 2], &'static str>;
    let _: for<'a> fn(&'a mut Command, &'static str, &'static str) -> &'a mut Command =
        Command::env::<&'static str, &'static str>;
    let _: for<'a> fn(&'a mut Command, [(&'static str, &'static str); 1]) -> &'a mut Command =
        Command::envs::<[(&'static str, &'static str); 1], &'static str, &'static str>;
    let _: for<'a> fn(&'a mut Command, &'static str) -> &'a mut Command =
        Command::env_remove::<&'static str>;
    let _: fn(&mut Command) -> &mut Command = Command::env_clear;
    let _: for<'a> fn(&'a mut Command, &'static str) -> &'a mut Command =
        Command::current_dir::<&'static str>;
    let _: for<'a> fn(&'a mut Command, Stdio) -> &'a mut Command = Command::stdin::<Stdio>;
    let _: for<'a> fn(&'a mut Command, Stdio) -> &'a mut Command = Command::stdout::<Stdio>;
    let _: for<'a> fn(&'a mut Command, Stdio) -> &'a mut Command = Command::stderr::<Stdio>;
    let _: for<'a> fn(&'a mut Command, bool) -> &'a mut Command = Command::kill_on_drop;
    let _: fn(&Command) -> bool = Command::get_kill_on_drop;
    let _: for<'a> fn(&'a mut Command, u32) -> &'a mut Command = Command::uid;
    let _: for<'a> fn(&'a mut Command, u32) -> &'a mut Command = Command::gid;
    let _: for<'a> fn(&'a mut Command, &'static str) -> &'a mut Command =
        Command::arg0::<&'static str>;
    let _: for<'a> fn(&'a mut Command, i32) -> &'a mut Command = Command::process_group;
    let _: fn(&mut Command) -> io::Result<Child> = Command::spawn;
    fn status(c: &mut Command) -> impl Future<Output = io::Result<ExitStatus>> + Send + 'static {
        c.status()
    }
    fn output(c: &mut Command) -> impl Future<Output = io::Result<Output>> + Send + 'static {
        c.output()
    }
    let _ = (status, output);

    let _: fn(&Child) -> Option<u32> = Child::id;
    let _: fn(&mut Child) -> io::Result<()> = Child::start_kill;
    let _: fn(&mut Child) -> io::Result<Option<ExitStatus>> = Child::try_wait;
    fn wait(c: &mut Child) -> impl Future<Output = io::Result<ExitStatus>> + Send + '_ {
        c.wait()
    }
    fn kill(c: &mut Child) -> impl Future<Output = io::Result<()>> + Send + '_ {
        c.kill()
    }
    fn wait_with_output(c: Child) -> impl Future<Output = io::Result<Output>> + Send {
        c.wait_with_output()
    }
    let _ = (wait, kill, wait_with_output);
    // The streams are public fields that can be moved out, as in tokio.
    fn fields(c: Child) -> (Option<ChildStdin>, Option<ChildStdout>, Option<ChildStderr>) {
        let Child {
            stdin,
            stdout,
            stderr,
            ..
        } = c;
        (stdin, stdout, stderr)
    }
    let _ = fields;

    let _: fn(std::process::ChildStdin) -> io::Result<ChildStdin> = ChildStdin::from_std;
    let _: fn(std::process::ChildStdout) -> io::Result<ChildStdout> = ChildStdout::from_std;
    let _: fn(std::process::ChildStderr) -> io::Result<ChildStderr> = ChildStderr::from_std;
    let _: fn(ChildStdin) -> io::Result<OwnedFd> = ChildStdin::into_owned_fd;
    let _: fn(ChildStdout) -> io::Result<OwnedFd> = ChildStdout::into_owned_fd;
    let _: fn(ChildStderr) -> io::Result<OwnedFd> = ChildStderr::into_owned_fd;
    fn writer<T: guillotine::io::AsyncWrite + AsFd + AsRawFd + TryInto<Stdio>>() {}
    fn reader<T: guillotine::io::AsyncRead + AsFd + AsRawFd + TryInto<Stdio>>() {}
    writer::<ChildStdin>();
    reader::<ChildStdout>();
    reader::<ChildStderr>();
    send_sync_unpin::<Child>();
    send_sync_unpin::<ChildStdin>();
    send_sync_unpin::<ChildStdout>();
    send_sync_unpin::<ChildStderr>();
    send_sync::<Command>();
    debug::<Command>();
    debug::<Child>();
    debug::<ChildStdin>();
    debug::<ChildStdout>();
    debug::<ChildStderr>();

    let rt = Runtime::new().unwrap();
    let out = rt.block_on(async {
        let mut command = Command::new("echo");
        let output = command.arg("contract").output();
        drop(command);
        output.await.unwrap()
    });
    assert_eq!(out.stdout, b"contract\n");
}

/// `guillotine::fs` (third round): tokio's functions, `File` and
/// `OpenOptions`, plus `File::close`.
#[test]
fn fs_matches_the_contract() {
    use std::fs::{FileType, Metadata, Permissions};
    use std::future::Future;
    use std::io::SeekFrom;
    use std::path::PathBuf;

    use guillotine::fs::{self, DirEntry, File, OpenOptions, ReadDir};

    fn io<T>(_: impl Future<Output = io::Result<T>> + Send) {}
    let p = "Cargo.toml";
    io::<Vec<u8>>(fs::read(p));
    io::<String>(fs::read_to_string(p));
    io::<()>(fs::write(p, b""));
    io::<ReadDir>(fs::read_dir(p));
    io::<Metadata>(fs::metadata(p));
    io::<Metadata>(fs::symlink_metadata(p));
    io::<()>(fs::create_dir(p));
    io::<()>(fs::create_dir_all(p));
    io::<()>(fs::remove_file(p));
    io::<()>(fs::remove_dir(p));
    io::<()>(fs::remove_dir_all(p));
    io::<()>(fs::rename(p, p));
    io::<u64>(fs::copy(p, p));
    io::<PathBuf>(fs::canonicalize(p));
    io::<()>(fs::hard_link(p, p));
    io::<PathBuf>(fs::read_link(p));
    io::<()>(fs::symlink(p, p));
    io::<()>(fs::set_permissions(
        p,
        std::os::unix::fs::PermissionsExt::from_mode(0o644),
    ));
    io::<bool>(fs::try_exists(p));

    io::<File>(File::open(p));
    io::<File>(File::create(p));
    io::<File>(File::create_new(p));
    let _: fn() -> OpenOptions = File::options;
    let _: fn(std::fs::File) -> File = File::from_std;
    let _: fn(File) -> Result<std::fs::File, File> = File::try_into_std;
    let _: fn(&mut File, usize) = File::set_max_buf_size;
    fn file_methods(f: &File, g: File, h: File) {
        io::<()>(f.sync_all());
        io::<()>(f.sync_data());
        io::<()>(f.set_len(0));
        io::<Metadata>(f.metadata());
        io::<File>(f.try_clone());
        let perm: Permissions = std::os::unix::fs::PermissionsExt::from_mode(0o644);
        io::<()>(f.set_permissions(perm));
        io::<()>(g.close());
        let _: &dyn Future<Output = std::fs::File> = &h.into_std();
    }
    let _ = file_methods;
    fn stream<
        T: guillotine::io::AsyncRead + guillotine::io::AsyncWrite + guillotine::io::AsyncSeek,
    >() {
    }
    stream::<File>();
    #[cfg(feature = "tokio-io")]
    {
        fn tokio_stream<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + tokio::io::AsyncSeek>() {}
        tokio_stream::<File>();
    }
    let _: for<'a> fn(&'a mut OpenOptions, bool) -> &'a mut OpenOptions = OpenOptions::read;
    let _: for<'a> fn(&'a mut OpenOptions, bool) -> &'a mut OpenOptions = OpenOptions::write;
    let _: for<'a> fn(&'a mut OpenOptions, bool) -> &'a mut OpenOptions = OpenOptions::append;
    let _: for<'a> fn(&'a mut OpenOptions, bool) -> &'a mut OpenOptions = OpenOptions::truncate;
    let _: for<'a> fn(&'a mut OpenOptions, bool) -> &'a mut OpenOptions = OpenOptions::create;
    let _: for<'a> fn(&'a mut OpenOptions, bool) -> &'a mut OpenOptions = OpenOptions::create_new;
    let _: for<'a> fn(&'a mut OpenOptions, u32) -> &'a mut OpenOptions = OpenOptions::mode;
    let _: for<'a> fn(&'a mut OpenOptions, i32) -> &'a mut OpenOptions = OpenOptions::custom_flags;
    fn open(o: &OpenOptions) {
        io::<File>(o.open("x"));
    }
    let _ = open;
    fn entries(r: &mut ReadDir, e: &DirEntry) {
        io::<Option<DirEntry>>(r.next_entry());
        io::<Metadata>(e.metadata());
        io::<FileType>(e.file_type());
        let _: PathBuf = e.path();
        let _: std::ffi::OsString = e.file_name();
        let _: u64 = e.ino();
    }
    let _ = entries;
    let _ = SeekFrom::Start(0);
    send_sync_unpin::<File>();
    send_sync_unpin::<ReadDir>();
    send_sync_unpin::<DirEntry>();
    send_sync::<OpenOptions>();
    debug::<File>();
    debug::<ReadDir>();
    debug::<DirEntry>();
    debug::<OpenOptions>();
}

/// The datagram sockets at tokio's level (issue 16, item 2): the `poll_*`
/// methods take `&mut [u8]` where tokio's take a `ReadBuf`, and return the
/// length (and address) instead of filling it; `recv_buf*` need the `bytes`
/// feature.
#[test]
#[allow(
    clippy::type_complexity,
    reason = "the signatures are spelled out, as the contract has them"
)]
fn datagram_sockets_match_tokio() {
    use std::future::Future;
    use std::net::SocketAddr;
    use std::task::{Context, Poll};

    use guillotine::net::unix::SocketAddr as UnixAddr;
    use guillotine::net::{UdpSocket, UnixDatagram};

    type Udp = UdpSocket;
    let _: fn(&Udp, &mut Context<'_>, &[u8]) -> Poll<io::Result<usize>> = Udp::poll_send;
    let _: fn(&Udp, &mut Context<'_>, &mut [u8]) -> Poll<io::Result<usize>> = Udp::poll_recv;
    let _: fn(&Udp, &mut Context<'_>, &[u8], SocketAddr) -> Poll<io::Result<usize>> =
        Udp::poll_send_to;
    let _: fn(&Udp, &mut Context<'_>, &mut [u8]) -> Poll<io::Result<(usize, SocketAddr)>> =
        Udp::poll_recv_from;
    let _: fn(&Udp, &mut Context<'_>, &mut [u8]) -> Poll<io::Result<usize>> = Udp::poll_peek;
    let _: fn(&Udp, &mut Context<'_>, &mut [u8]) -> Poll<io::Result<(usize, SocketAddr)>> =
        Udp::poll_peek_from;
    let _: fn(&Udp, &mut Context<'_>) -> Poll<io::Result<SocketAddr>> = Udp::poll_peek_sender;
    let _: fn(&Udp, &[u8]) -> io::Result<usize> = Udp::try_send;
    let _: fn(&Udp, &mut [u8]) -> io::Result<usize> = Udp::try_recv;
    let _: fn(&Udp, &[u8], SocketAddr) -> io::Result<usize> = Udp::try_send_to;
    let _: fn(&Udp, &mut [u8]) -> io::Result<(usize, SocketAddr)> = Udp::try_recv_from;
    let _: fn(&Udp, &mut [u8]) -> io::Result<usize> = Udp::try_peek;
    let _: fn(&Udp, &mut [u8]) -> io::Result<(usize, SocketAddr)> = Udp::try_peek_from;
    let _: fn(&Udp) -> io::Result<SocketAddr> = Udp::try_peek_sender;
    fn udp_futures(s: &Udp, b: &mut [u8]) {
        fn is<T>(_: impl Future<Output = io::Result<T>> + Send) {}
        is::<usize>(s.peek(b));
        is::<SocketAddr>(s.peek_sender());
        is::<(usize, SocketAddr)>(s.peek_from(b));
        is::<()>(s.readable());
        is::<()>(s.writable());
        #[cfg(feature = "bytes")]
        {
            let mut v = Vec::new();
            is::<usize>(s.recv_buf(&mut v));
            let mut v = bytes::BytesMut::new();
            is::<(usize, SocketAddr)>(s.recv_buf_from(&mut v));
        }
    }
    let _ = udp_futures;
    #[cfg(feature = "bytes")]
    {
        let _: fn(&Udp, &mut Vec<u8>) -> io::Result<usize> = Udp::try_recv_buf;
        let _: fn(&Udp, &mut bytes::BytesMut) -> io::Result<(usize, SocketAddr)> =
            Udp::try_recv_buf_from;
    }
    let _: fn(&Udp) -> io::Result<u32> = Udp::multicast_ttl_v4;
    let _: fn(&Udp, u32) -> io::Result<()> = Udp::set_multicast_ttl_v4;
    let _: fn(&Udp) -> io::Result<bool> = Udp::multicast_loop_v4;
    let _: fn(&Udp, bool) -> io::Result<()> = Udp::set_multicast_loop_v4;
    let _: fn(&Udp) -> io::Result<bool> = Udp::multicast_loop_v6;
    let _: fn(&Udp, bool) -> io::Result<()> = Udp::set_multicast_loop_v6;
    let _: fn(&Udp) -> io::Result<u32> = Udp::tos_v4;
    let _: fn(&Udp, u32) -> io::Result<()> = Udp::set_tos_v4;
    #[allow(deprecated)]
    {
        let _: fn(&Udp) -> io::Result<u32> = Udp::tos;
        let _: fn(&Udp, u32) -> io::Result<()> = Udp::set_tos;
    }
    let _: fn(&Udp) -> io::Result<u32> = Udp::tclass_v6;
    let _: fn(&Udp, u32) -> io::Result<()> = Udp::set_tclass_v6;
    let _: fn(&Udp) -> io::Result<Option<Vec<u8>>> = Udp::device;
    let _: fn(&Udp, Option<&[u8]>) -> io::Result<()> = Udp::bind_device;
    let _: fn(&Udp) -> io::Result<u32> = Udp::ttl;
    let _: fn(&Udp, u32) -> io::Result<()> = Udp::set_ttl;
    let _: fn(&Udp) -> io::Result<bool> = Udp::broadcast;
    let _: fn(&Udp, bool) -> io::Result<()> = Udp::set_broadcast;
    let _: fn(&Udp, std::net::Ipv4Addr, std::net::Ipv4Addr) -> io::Result<()> =
        Udp::join_multicast_v4;
    let _: fn(&Udp, std::net::Ipv4Addr, std::net::Ipv4Addr) -> io::Result<()> =
        Udp::leave_multicast_v4;
    let _: fn(&Udp, &std::net::Ipv6Addr, u32) -> io::Result<()> = Udp::join_multicast_v6;
    let _: fn(&Udp, &std::net::Ipv6Addr, u32) -> io::Result<()> = Udp::leave_multicast_v6;

    type Unix = UnixDatagram;
    let _: fn(&Unix, &mut Context<'_>, &[u8]) -> Poll<io::Result<usize>> = Unix::poll_send;
    let _: fn(&Unix, &mut Context<'_>, &mut [u8]) -> Poll<io::Result<usize>> = Unix::poll_recv;
    let _: fn(&Unix, &mut Context<'_>, &[u8], &'static str) -> Poll<io::Result<usize>> =
        Unix::poll_send_to::<&'static str>;
    let _: fn(&Unix, &mut Context<'_>, &mut [u8]) -> Poll<io::Result<(usize, UnixAddr)>> =
        Unix::poll_recv_from;
    let _: fn(&Unix, &mut Context<'_>, &mut [u8]) -> Poll<io::Result<usize>> = Unix::poll_peek;
    let _: fn(&Unix, &mut Context<'_>, &mut [u8]) -> Poll<io::Result<(usize, UnixAddr)>> =
        Unix::poll_peek_from;
    let _: fn(&Unix, &mut Context<'_>) -> Poll<io::Result<UnixAddr>> = Unix::poll_peek_sender;
    let _: fn(&Unix, &[u8]) -> io::Result<usize> = Unix::try_send;
    let _: fn(&Unix, &[u8], &'static str) -> io::Result<usize> = Unix::try_send_to::<&'static str>;
    let _: fn(&Unix, &mut [u8]) -> io::Result<usize> = Unix::try_recv;
    let _: fn(&Unix, &mut [u8]) -> io::Result<(usize, UnixAddr)> = Unix::try_recv_from;
    let _: fn(&Unix, &mut [u8]) -> io::Result<usize> = Unix::try_peek;
    let _: fn(&Unix, &mut [u8]) -> io::Result<(usize, UnixAddr)> = Unix::try_peek_from;
    let _: fn(&Unix) -> io::Result<UnixAddr> = Unix::try_peek_sender;
    fn unix_futures(s: &Unix, b: &mut [u8]) {
        fn is<T>(_: impl Future<Output = io::Result<T>> + Send) {}
        is::<()>(s.readable());
        is::<()>(s.writable());
        is::<usize>(s.peek(b));
        is::<(usize, UnixAddr)>(s.peek_from(b));
        is::<UnixAddr>(s.peek_sender());
        #[cfg(feature = "bytes")]
        {
            let mut v = Vec::new();
            is::<usize>(s.recv_buf(&mut v));
            let mut v = bytes::BytesMut::new();
            is::<(usize, UnixAddr)>(s.recv_buf_from(&mut v));
        }
    }
    let _ = unix_futures;
    #[cfg(feature = "bytes")]
    {
        let _: fn(&Unix, &mut Vec<u8>) -> io::Result<usize> = Unix::try_recv_buf;
        let _: fn(&Unix, &mut bytes::BytesMut) -> io::Result<(usize, UnixAddr)> =
            Unix::try_recv_buf_from;
    }

    // And for real: a try_* is `WouldBlock` on an empty socket.
    let rt = Runtime::new().unwrap();
    rt.block_on(async {
        let (a, b) = UnixDatagram::pair().unwrap();
        let err = b.try_recv(&mut [0; 4]).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::WouldBlock);
        a.try_send(b"ok").unwrap();
        b.readable().await.unwrap();
        assert_eq!(b.try_recv(&mut [0; 4]).unwrap(), 2);
    });
}

/// The `hyper` feature's names: hyper's I/O traits on the streams, and
/// `guillotine::hyper`.
#[cfg(feature = "hyper")]
#[test]
fn hyper_names_match() {
    use guillotine::hyper::{Connecting, Connector, Executor, Listener, Server, Timer};
    use guillotine::net::{TcpListener, TcpStream, UnixListener, UnixStream, tcp, unix};

    fn hyper_io<T: hyper::rt::Read + hyper::rt::Write + Send + Unpin + 'static>() {}
    hyper_io::<TcpStream>();
    hyper_io::<UnixStream>();
    fn hyper_write<T: hyper::rt::Write>() {}
    hyper_write::<tcp::OwnedWriteHalf>();
    hyper_write::<unix::OwnedWriteHalf>();
    fn hyper_read<T: hyper::rt::Read>() {}
    hyper_read::<tcp::OwnedReadHalf>();
    hyper_read::<unix::OwnedReadHalf>();
    fn connection<T: hyper_util::client::legacy::connect::Connection>() {}
    connection::<TcpStream>();
    connection::<UnixStream>();
    fn executor<E: hyper::rt::Executor<std::future::Ready<()>> + Clone + Send + Sync>() {}
    executor::<Executor>();
    fn timer<T: hyper::rt::Timer + Clone + Send + Sync>() {}
    timer::<Timer>();
    fn sleep<T: hyper::rt::Sleep>() {}
    sleep::<guillotine::time::Sleep>();
    let _: fn() -> Executor = Executor::new;
    let _: fn(Handle) -> Executor = Executor::with_handle;
    let _: fn() -> Timer = Timer::new;
    let _: fn(Handle) -> Timer = Timer::with_handle;
    fn connector<C>()
    where
        C: tower_service::Service<
                hyper::Uri,
                Response = TcpStream,
                Error = io::Error,
                Future = Connecting,
            > + Clone
            + Send
            + Sync,
    {
    }
    connector::<Connector>();
    let _: fn() -> Connector = Connector::new;
    let _: fn(&mut Connector, bool) -> &mut Connector = Connector::enforce_http;
    let _: fn(&mut Connector, bool) -> &mut Connector = Connector::set_nodelay;
    let _: fn(&mut Connector, Option<Duration>) -> &mut Connector = Connector::set_connect_timeout;
    fn listener<L: Listener>() {}
    listener::<TcpListener>();
    listener::<UnixListener>();
    let _: fn(TcpListener) -> Server = Server::new;
    let _: fn(UnixListener) -> Server<UnixListener> = Server::new;
    let _: fn(&mut Server, Duration) -> &mut Server = Server::shutdown_timeout;
    let _: fn(&mut Server) -> &mut Server = Server::http1_only;
    let _: fn(&mut Server) -> &mut Server = Server::http2_only;
    let _: fn(&Server) -> io::Result<std::net::SocketAddr> = Server::local_addr;
    let _: for<'a> fn(
        &'a mut Server,
    ) -> hyper_util::server::conn::auto::Http1Builder<'a, Executor> = Server::http1;
    let _: for<'a> fn(
        &'a mut Server,
    ) -> hyper_util::server::conn::auto::Http2Builder<'a, Executor> = Server::http2;
    debug::<Executor>();
    debug::<Timer>();
    debug::<Connector>();
    debug::<Connecting>();
    debug::<Server>();
    send_sync::<Server>();
}

/// Issue 16's TCP and Unix stream names (`TcpSocket`, `poll_accept`,
/// `poll_peek`, the vectored and `BufMut` `try_*`, linger, abstract Unix
/// addresses, `bind_reuseport`) and the runtime's names (`Builder::name`,
/// `Handle::name`, `Handle::id`).
#[test]
#[allow(
    clippy::type_complexity,
    reason = "the signatures are spelled out, as the contract has them"
)]
#[allow(
    deprecated,
    reason = "tokio's deprecated names are part of the contract"
)]
fn streams_and_names_match_the_contract() {
    use std::io::{IoSlice, IoSliceMut};
    use std::net::SocketAddr;
    use std::os::fd::{AsFd, AsRawFd, FromRawFd, IntoRawFd};
    use std::task::{Context, Poll};

    use guillotine::net::unix::SocketAddr as UnixAddr;
    use guillotine::net::{TcpListener, TcpSocket, TcpStream, UnixListener, UnixStream, tcp, unix};
    use guillotine::runtime::Id as RuntimeId;

    // TcpSocket
    let _: fn() -> io::Result<TcpSocket> = TcpSocket::new_v4;
    let _: fn() -> io::Result<TcpSocket> = TcpSocket::new_v6;
    for set in [
        TcpSocket::set_keepalive,
        TcpSocket::set_reuseaddr,
        TcpSocket::set_reuseport,
        TcpSocket::set_nodelay,
    ] {
        let _: fn(&TcpSocket, bool) -> io::Result<()> = set;
    }
    for get in [
        TcpSocket::keepalive,
        TcpSocket::reuseaddr,
        TcpSocket::reuseport,
        TcpSocket::nodelay,
    ] {
        let _: fn(&TcpSocket) -> io::Result<bool> = get;
    }
    for set in [
        TcpSocket::set_send_buffer_size,
        TcpSocket::set_recv_buffer_size,
        TcpSocket::set_tos_v4,
        TcpSocket::set_tos,
        TcpSocket::set_tclass_v6,
    ] {
        let _: fn(&TcpSocket, u32) -> io::Result<()> = set;
    }
    for get in [
        TcpSocket::send_buffer_size,
        TcpSocket::recv_buffer_size,
        TcpSocket::tos_v4,
        TcpSocket::tos,
        TcpSocket::tclass_v6,
    ] {
        let _: fn(&TcpSocket) -> io::Result<u32> = get;
    }
    let _: fn(&TcpSocket, Option<Duration>) -> io::Result<()> = TcpSocket::set_linger;
    let _: fn(&TcpSocket) -> io::Result<()> = TcpSocket::set_zero_linger;
    let _: fn(&TcpSocket) -> io::Result<Option<Duration>> = TcpSocket::linger;
    let _: fn(&TcpSocket) -> io::Result<Option<Vec<u8>>> = TcpSocket::device;
    let _: fn(&TcpSocket, Option<&[u8]>) -> io::Result<()> = TcpSocket::bind_device;
    let _: fn(&TcpSocket) -> io::Result<SocketAddr> = TcpSocket::local_addr;
    let _: fn(&TcpSocket) -> io::Result<Option<io::Error>> = TcpSocket::take_error;
    let _: fn(&TcpSocket, SocketAddr) -> io::Result<()> = TcpSocket::bind;
    fn connect(s: TcpSocket, a: SocketAddr) -> impl Future<Output = io::Result<TcpStream>> + Send {
        s.connect(a)
    }
    let _ = connect;
    let _: fn(TcpSocket, u32) -> io::Result<TcpListener> = TcpSocket::listen;
    let _: fn(std::net::TcpStream) -> TcpSocket = TcpSocket::from_std_stream;
    fn fd_traits<T: AsRawFd + AsFd + FromRawFd + IntoRawFd>() {}
    fd_traits::<TcpSocket>();
    send_sync_unpin::<TcpSocket>();
    debug::<TcpSocket>();

    // listeners
    fn bind_reuseport(a: SocketAddr) -> impl Future<Output = io::Result<TcpListener>> + Send {
        TcpListener::bind_reuseport(a)
    }
    let _ = bind_reuseport;
    let _: fn(&TcpListener, &mut Context<'_>) -> Poll<io::Result<(TcpStream, SocketAddr)>> =
        TcpListener::poll_accept;
    let _: fn(&UnixListener, &mut Context<'_>) -> Poll<io::Result<(UnixStream, UnixAddr)>> =
        UnixListener::poll_accept;
    let _: fn(&UnixAddr) -> io::Result<UnixListener> = UnixListener::bind_addr;
    fn connect_addr(a: &UnixAddr) -> impl Future<Output = io::Result<UnixStream>> + Send + '_ {
        UnixStream::connect_addr(a)
    }
    let _ = connect_addr;
    let _: fn(TcpListener) -> io::Result<std::net::TcpListener> = TcpListener::into_std;
    let _: fn(UnixListener) -> io::Result<std::os::unix::net::UnixListener> =
        UnixListener::into_std;
    let _: fn(std::os::unix::net::UnixListener) -> io::Result<UnixListener> =
        UnixListener::from_std;
    let _: fn(UnixStream) -> io::Result<std::os::unix::net::UnixStream> = UnixStream::into_std;
    let _: fn(std::os::unix::net::UnixStream) -> io::Result<UnixStream> = UnixStream::from_std;
    let _: fn(TcpStream) -> io::Result<std::net::TcpStream> = TcpStream::into_std;

    // streams
    let _: for<'a> fn(&TcpStream, &mut Context<'_>, &'a mut [u8]) -> Poll<io::Result<usize>> =
        TcpStream::poll_peek;
    let _: fn(&TcpStream) -> io::Result<Option<Duration>> = TcpStream::linger;
    let _: fn(&TcpStream, Option<Duration>) -> io::Result<()> = TcpStream::set_linger;
    let _: fn(&TcpStream) -> io::Result<()> = TcpStream::set_zero_linger;
    let _: for<'a, 'b> fn(&TcpStream, &'a mut [IoSliceMut<'b>]) -> io::Result<usize> =
        TcpStream::try_read_vectored;
    let _: for<'a, 'b> fn(&TcpStream, &'a [IoSlice<'b>]) -> io::Result<usize> =
        TcpStream::try_write_vectored;
    let _: for<'a, 'b> fn(&UnixStream, &'a mut [IoSliceMut<'b>]) -> io::Result<usize> =
        UnixStream::try_read_vectored;
    let _: for<'a, 'b> fn(&UnixStream, &'a [IoSlice<'b>]) -> io::Result<usize> =
        UnixStream::try_write_vectored;
    #[cfg(feature = "bytes")]
    {
        let _: fn(&TcpStream, &mut Vec<u8>) -> io::Result<usize> = TcpStream::try_read_buf;
        let _: fn(&UnixStream, &mut Vec<u8>) -> io::Result<usize> = UnixStream::try_read_buf;
        let _: fn(&tcp::OwnedReadHalf, &mut Vec<u8>) -> io::Result<usize> =
            tcp::OwnedReadHalf::try_read_buf;
        let _: fn(&tcp::ReadHalf<'static>, &mut Vec<u8>) -> io::Result<usize> =
            tcp::ReadHalf::try_read_buf;
        let _: fn(&unix::OwnedReadHalf, &mut Vec<u8>) -> io::Result<usize> =
            unix::OwnedReadHalf::try_read_buf;
        let _: fn(&unix::ReadHalf<'static>, &mut Vec<u8>) -> io::Result<usize> =
            unix::ReadHalf::try_read_buf;
    }

    // halves
    fn peek<'a>(
        r: &'a mut tcp::ReadHalf<'_>,
        buf: &'a mut [u8],
    ) -> impl Future<Output = io::Result<usize>> + Send + 'a {
        r.peek(buf)
    }
    let _ = peek;
    let _: for<'a> fn(
        &mut tcp::ReadHalf<'static>,
        &mut Context<'_>,
        &'a mut [u8],
    ) -> Poll<io::Result<usize>> = tcp::ReadHalf::poll_peek;
    let _: for<'a> fn(
        &mut tcp::OwnedReadHalf,
        &mut Context<'_>,
        &'a mut [u8],
    ) -> Poll<io::Result<usize>> = tcp::OwnedReadHalf::poll_peek;
    let _: fn(&tcp::ReadHalf<'static>, &mut [u8]) -> io::Result<usize> = tcp::ReadHalf::try_read;
    let _: fn(&tcp::OwnedReadHalf, &mut [u8]) -> io::Result<usize> = tcp::OwnedReadHalf::try_read;
    let _: fn(&unix::ReadHalf<'static>, &mut [u8]) -> io::Result<usize> = unix::ReadHalf::try_read;
    let _: fn(&unix::OwnedReadHalf, &mut [u8]) -> io::Result<usize> = unix::OwnedReadHalf::try_read;
    let _: for<'a, 'b> fn(&tcp::ReadHalf<'static>, &'a mut [IoSliceMut<'b>]) -> io::Result<usize> =
        tcp::ReadHalf::try_read_vectored;
    let _: for<'a, 'b> fn(&tcp::OwnedReadHalf, &'a mut [IoSliceMut<'b>]) -> io::Result<usize> =
        tcp::OwnedReadHalf::try_read_vectored;
    let _: for<'a, 'b> fn(&unix::ReadHalf<'static>, &'a mut [IoSliceMut<'b>]) -> io::Result<usize> =
        unix::ReadHalf::try_read_vectored;
    let _: for<'a, 'b> fn(&unix::OwnedReadHalf, &'a mut [IoSliceMut<'b>]) -> io::Result<usize> =
        unix::OwnedReadHalf::try_read_vectored;
    let _: fn(&tcp::WriteHalf<'static>, &[u8]) -> io::Result<usize> = tcp::WriteHalf::try_write;
    let _: fn(&tcp::OwnedWriteHalf, &[u8]) -> io::Result<usize> = tcp::OwnedWriteHalf::try_write;
    let _: fn(&unix::WriteHalf<'static>, &[u8]) -> io::Result<usize> = unix::WriteHalf::try_write;
    let _: fn(&unix::OwnedWriteHalf, &[u8]) -> io::Result<usize> = unix::OwnedWriteHalf::try_write;
    let _: for<'a, 'b> fn(&tcp::WriteHalf<'static>, &'a [IoSlice<'b>]) -> io::Result<usize> =
        tcp::WriteHalf::try_write_vectored;
    let _: for<'a, 'b> fn(&tcp::OwnedWriteHalf, &'a [IoSlice<'b>]) -> io::Result<usize> =
        tcp::OwnedWriteHalf::try_write_vectored;
    let _: for<'a, 'b> fn(&unix::WriteHalf<'static>, &'a [IoSlice<'b>]) -> io::Result<usize> =
        unix::WriteHalf::try_write_vectored;
    let _: for<'a, 'b> fn(&unix::OwnedWriteHalf, &'a [IoSlice<'b>]) -> io::Result<usize> =
        unix::OwnedWriteHalf::try_write_vectored;
    fn readiness_futures_are_send(
        a: &tcp::OwnedReadHalf,
        b: &unix::OwnedReadHalf,
        c: &tcp::OwnedWriteHalf,
        d: &unix::OwnedWriteHalf,
    ) {
        fn send<F: Future<Output = io::Result<()>> + Send>(_: F) {}
        send(a.readable());
        send(b.readable());
        send(c.writable());
        send(d.writable());
    }
    let _ = readiness_futures_are_send;
    let _: fn(&tcp::ReadHalf<'static>) -> io::Result<SocketAddr> = tcp::ReadHalf::peer_addr;
    let _: fn(&tcp::WriteHalf<'static>) -> io::Result<SocketAddr> = tcp::WriteHalf::local_addr;
    let _: fn(&unix::ReadHalf<'static>) -> io::Result<UnixAddr> = unix::ReadHalf::local_addr;
    let _: fn(&unix::WriteHalf<'static>) -> io::Result<UnixAddr> = unix::WriteHalf::peer_addr;

    // runtime names
    let _: fn(&mut Builder, String) -> &mut Builder = Builder::name;
    let _: fn(&Handle) -> Option<&str> = Handle::name;
    let _: fn(&Handle) -> RuntimeId = Handle::id;
    fn id_traits<
        T: Copy + Eq + std::hash::Hash + std::fmt::Display + std::fmt::Debug + Send + Sync,
    >() {
    }
    id_traits::<RuntimeId>();

    let rt = Builder::new_current_thread()
        .name("contract")
        .build()
        .unwrap();
    assert_eq!(rt.handle().name(), Some("contract"));
    rt.block_on(async {
        let socket = TcpSocket::new_v4().unwrap();
        socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let listener = socket.listen(8).unwrap();
        let _client = TcpSocket::new_v4()
            .unwrap()
            .connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (stream, _) = std::future::poll_fn(|cx| listener.poll_accept(cx))
            .await
            .unwrap();
        assert_eq!(stream.linger().unwrap(), None);
    });
}
