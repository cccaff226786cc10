//! Behaviours tokio users rely on: thread-local teardown, yield_now behind
//! the driver, runtime context on blocking threads, futures dropped during
//! a panic's unwind, and JoinHandle drops that never re-raise. On both
//! runtime flavors.

mod support;

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use guillotine::net::UdpSocket;
use guillotine::runtime::{Handle, Runtime};
use guillotine::task::yield_now;
use support::{Flavor, both_flavors, eventually};

both_flavors! {
    runtime_in_a_thread_local_shuts_down_at_thread_exit,
    runtime_objects_dropped_in_thread_local_destructors,
    yield_now_lets_the_driver_run,
    yield_now_lets_other_local_tasks_run,
    spawn_blocking_has_the_runtime_context,
    panicking_task_is_dropped_during_the_unwind,
    join_handle_drop_swallows_the_outputs_panic,
}

/// Counts its drops.
struct DropCount(Arc<AtomicUsize>);

impl Drop for DropCount {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

/// A future that never completes and counts its drop.
async fn pending_counted(drops: DropCount) {
    let _d = drops;
    std::future::pending::<()>().await;
}

thread_local! {
    static EARLY_RT: RefCell<Option<Runtime>> = const { RefCell::new(None) };
    static LATE_RT: RefCell<Option<Runtime>> = const { RefCell::new(None) };
}

/// A runtime kept in a thread-local is shut down at thread exit, whether its
/// slot is destroyed before or after the runtime's own thread-locals.
fn runtime_in_a_thread_local_shuts_down_at_thread_exit(flavor: Flavor) {
    for early in [true, false] {
        let drops = Arc::new(AtomicUsize::new(0));
        let d = drops.clone();
        let handle = std::thread::spawn(move || {
            let slot = if early { &EARLY_RT } else { &LATE_RT };
            // Registering the slot before the runtime touches its own
            // thread-locals makes it the last to be destroyed.
            if early {
                slot.with(|_| ());
            }
            let rt = flavor.rt();
            let handle = rt.spawn(pending_counted(DropCount(d)));
            rt.block_on(yield_now());
            if !early {
                slot.with(|_| ());
            }
            slot.with(|s| *s.borrow_mut() = Some(rt));
            handle
        })
        .join()
        .expect("the thread exits cleanly");
        assert_eq!(drops.load(SeqCst), 1, "early = {early}");
        let err = futures_lite::future::block_on(handle).unwrap_err();
        assert!(err.is_cancelled(), "early = {early}");
    }
}

/// What a thread-local may hold of a runtime that lives on another thread.
struct Leftovers {
    waker: Option<Waker>,
    join: Option<guillotine::task::JoinHandle<()>>,
    sleep: Option<guillotine::time::Sleep>,
    socket: Option<UdpSocket>,
}

impl Drop for Leftovers {
    fn drop(&mut self) {
        if let Some(w) = self.waker.take() {
            w.wake_by_ref();
            w.wake();
        }
        drop(self.join.take());
        drop(self.sleep.take());
        drop(self.socket.take());
    }
}

thread_local! {
    static LEFTOVERS: RefCell<Option<Leftovers>> = const { RefCell::new(None) };
}

/// Wakers, join handles, timers and sockets dropped or woken from a
/// thread-local destructor, after the runtime's own thread-locals are gone.
fn runtime_objects_dropped_in_thread_local_destructors(rt: Runtime) {
    let woken = Arc::new(AtomicBool::new(false));
    let (waker_tx, waker_rx) = futures::channel::oneshot::channel::<Waker>();
    let w = woken.clone();
    let waiter = rt.spawn(async move {
        let mut tx = Some(waker_tx);
        std::future::poll_fn(|cx| {
            if let Some(tx) = tx.take() {
                let _ = tx.send(cx.waker().clone());
                return Poll::Pending;
            }
            w.store(true, SeqCst);
            Poll::Ready(())
        })
        .await;
    });
    let (waker, join, sleep, socket) = rt.block_on(async {
        let waker = waker_rx.await.unwrap();
        let join = guillotine::spawn(std::future::pending::<()>());
        let mut sleep = Box::pin(guillotine::time::sleep(Duration::from_secs(60)));
        let _ = futures_lite::future::poll_once(sleep.as_mut()).await;
        let sleep = *Pin::into_inner(sleep);
        let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        (waker, join, sleep, socket)
    });
    assert_eq!(rt.num_timers(), 1);
    let handle = rt.handle();
    std::thread::spawn(move || {
        LEFTOVERS.with(|l| {
            *l.borrow_mut() = Some(Leftovers {
                waker: Some(waker),
                join: Some(join),
                sleep: Some(sleep),
                socket: Some(socket),
            })
        });
        // Enter the runtime after the slot above exists, so that the
        // runtime's thread-locals are destroyed first.
        let _guard = handle.enter();
        assert!(Handle::try_current().is_ok());
    })
    .join()
    .expect("the thread exits cleanly");
    rt.block_on(waiter).unwrap();
    assert!(woken.load(SeqCst));
    assert_eq!(rt.num_timers(), 0);
}

/// Where a driver probe runs.
#[derive(Clone, Copy, Debug)]
enum Probe {
    /// In the `block_on` future.
    Main,
    /// In a `spawn_local` task of `block_on`.
    Local,
    /// In a spawned task (multi-thread: on a worker, whose driver the
    /// socket it makes registers with).
    Spawned,
}

/// Whether a task that receives a datagram sent before its first poll sees
/// it within 4 yields.
fn sees_datagram_within_four_yields(rt: &Runtime, how: Probe) -> bool {
    let seen = rt.block_on(async move {
        let probe = async {
            let sock = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            let peer = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
            peer.send_to(b"hello", sock.local_addr().unwrap()).unwrap();
            let mut buf = [0u8; 8];
            for yields in 0..4 {
                if let Some(r) = futures_lite::future::poll_once(sock.recv(&mut buf)).await {
                    assert_eq!(r.unwrap(), 5);
                    return Some(yields);
                }
                yield_now().await;
            }
            None
        };
        match how {
            Probe::Main => probe.await,
            Probe::Local => guillotine::task::spawn_local(probe).await.unwrap(),
            Probe::Spawned => guillotine::spawn(probe).await.unwrap(),
        }
    });
    seen.is_some()
}

/// `yield_now` puts the task behind the driver: a task that yields a few
/// times sees a datagram that arrived meanwhile.
fn yield_now_lets_the_driver_run(rt: Runtime) {
    assert!(sees_datagram_within_four_yields(&rt, Probe::Spawned));
}

/// The same for the `block_on` future and its `spawn_local` tasks.
/// Current-thread only: on the multi-thread runtime the sockets made on
/// the `block_on` thread register with a worker's driver, whose events
/// reach them asynchronously (some 10-25 µs later, so maybe some yields
/// later), not behind their own yields.
#[test]
fn yield_now_in_block_on_lets_the_driver_run() {
    let rt = support::rt();
    for how in [Probe::Main, Probe::Local] {
        assert!(
            sees_datagram_within_four_yields(&rt, how),
            "{how:?}: never saw the datagram"
        );
    }
}

/// Other ready tasks still run before a yielded task resumes.
/// Current-thread only: a single FIFO run queue (the multi-thread runtime
/// may run `b` on the other worker at any time);
/// yield_now_lets_other_local_tasks_run is the form for both.
#[guillotine::test]
async fn yield_now_lets_other_tasks_run() {
    let order = Arc::new(Mutex::new(Vec::new()));
    let o = order.clone();
    let a = guillotine::spawn(async move {
        o.lock().unwrap().push("a1");
        yield_now().await;
        o.lock().unwrap().push("a2");
    });
    let o = order.clone();
    let b = guillotine::spawn(async move {
        o.lock().unwrap().push("b");
    });
    a.await.unwrap();
    b.await.unwrap();
    let order = Arc::try_unwrap(order).unwrap().into_inner().unwrap();
    assert_eq!(order, ["a1", "b", "a2"]);
}

/// The same among the `spawn_local` tasks of `block_on` (one thread's
/// queue on either flavor).
fn yield_now_lets_other_local_tasks_run(rt: Runtime) {
    let order = rt.block_on(async {
        let order = Arc::new(Mutex::new(Vec::new()));
        let o = order.clone();
        let a = guillotine::task::spawn_local(async move {
            o.lock().unwrap().push("a1");
            yield_now().await;
            o.lock().unwrap().push("a2");
        });
        let o = order.clone();
        let b = guillotine::task::spawn_local(async move {
            o.lock().unwrap().push("b");
        });
        a.await.unwrap();
        b.await.unwrap();
        Arc::try_unwrap(order).unwrap().into_inner().unwrap()
    });
    assert_eq!(order, ["a1", "b", "a2"]);
}

/// `spawn_blocking` closures run inside the runtime's context.
fn spawn_blocking_has_the_runtime_context(rt: Runtime) {
    let out = rt.block_on(async {
        let (task, sleep, socket, nested, blocking) = guillotine::spawn_blocking(|| {
            let handle = Handle::current();
            let task = guillotine::spawn(async { 6 });
            let sleep = guillotine::time::sleep(Duration::from_millis(1));
            let std_sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
            std_sock.set_nonblocking(true).unwrap();
            let socket = UdpSocket::from_std(std_sock).unwrap();
            let nested = handle.block_on(async {
                guillotine::time::sleep(Duration::from_millis(1)).await;
                guillotine::spawn(async { 7 }).await.unwrap()
            });
            let blocking = guillotine::spawn_blocking(|| 8);
            (task, sleep, socket, nested, blocking)
        })
        .await
        .unwrap();
        sleep.await;
        assert!(socket.local_addr().is_ok());
        task.await.unwrap() * nested * blocking.await.unwrap()
    });
    assert_eq!(out, 6 * 7 * 8);
}

/// Records whether a panic was unwinding when it was dropped.
struct UnwindProbe(Arc<Mutex<Option<bool>>>);

impl Drop for UnwindProbe {
    fn drop(&mut self) {
        *self.0.lock().unwrap() = Some(std::thread::panicking());
    }
}

/// A future whose poll panics while it owns a probe and a mutex guard.
struct PanicsWhilePolled {
    _probe: UnwindProbe,
    _guard: std::sync::MutexGuard<'static, ()>,
}

impl Future for PanicsWhilePolled {
    type Output = ();
    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        panic!("boom");
    }
}

/// A task whose poll panics has its future dropped during the unwind.
fn panicking_task_is_dropped_during_the_unwind(flavor: Flavor) {
    // One lock per flavor: the two tests run in parallel.
    static LOCKS: [Mutex<()>; 2] = [Mutex::new(()), Mutex::new(())];
    let lock = &LOCKS[flavor as usize];
    let rt = flavor.rt();
    let seen = Arc::new(Mutex::new(None));
    let probe = UnwindProbe(seen.clone());
    let err = rt.block_on(async move {
        // The task's future itself: a future awaited inside an `async`
        // block would be dropped by that block's own unwinding.
        guillotine::task::spawn_local(PanicsWhilePolled {
            _probe: probe,
            _guard: lock.lock().unwrap(),
        })
        .await
        .unwrap_err()
    });
    assert!(err.is_panic());
    assert_eq!(
        *seen.lock().unwrap(),
        Some(true),
        "dropped outside the unwind"
    );
    assert!(
        lock.is_poisoned(),
        "the guard was dropped outside the unwind"
    );
    lock.clear_poison();
}

/// Panics when dropped.
struct PanicOnDrop(Arc<AtomicUsize>);

impl Drop for PanicOnDrop {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
        panic!("output dropped");
    }
}

/// Dropping a JoinHandle never re-raises a panic from dropping the output.
fn join_handle_drop_swallows_the_outputs_panic(rt: Runtime) {
    let drops = Arc::new(AtomicUsize::new(0));
    let d = drops.clone();
    let handle = rt.spawn(async move { PanicOnDrop(d) });
    rt.block_on(eventually("is_finished", || handle.is_finished()));
    drop(handle);
    assert_eq!(drops.load(SeqCst), 1);
}
