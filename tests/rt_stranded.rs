//! A worker stuck in a long poll never strands the timers and sockets
//! registered on its driver, whatever woke that worker (a spawn, its own
//! timer, its own socket, a wake from another thread) and whatever the
//! other workers do (sleep, or run an always-runnable task).
//!
//! Each scenario registers a timer and an echo socket on every worker's
//! driver, lets the runtime go idle, wakes one worker the chosen way and
//! blocks it for [`BLOCK`]. The timer must fire, and the echo be served,
//! long before the block ends: typically within a few milliseconds; the
//! bound is loose because the machine may be loaded.

mod support;

use std::io::{Read, Write};
use std::net::{TcpListener as StdListener, TcpStream as StdStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex, mpsc};
use std::thread::ThreadId;
use std::time::{Duration, Instant};

use futures::{AsyncReadExt, AsyncWriteExt};
use guillotine::runtime::Builder;
use guillotine::time::sleep_until;

/// How long the woken worker blocks its thread.
const BLOCK: Duration = Duration::from_millis(1000);
/// The most a stranded timer or echo may be late (typically 2–5 ms).
const BOUND: Duration = Duration::from_millis(300);
/// How long the runtime stays idle before the chosen wake.
const IDLE: Duration = Duration::from_millis(20);
/// When the blocked worker's timer is due, after the wake.
const TIMER_AFTER_WAKE: Duration = Duration::from_millis(10);

#[derive(Clone, Copy, Debug, PartialEq)]
enum WokenBy {
    /// A task spawned from another thread.
    Spawn,
    /// The worker's own timer.
    OwnTimer,
    /// The worker's own socket.
    OwnIo,
    /// A wake of a task pinned to it, from another thread.
    Unpark,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Peers {
    Idle,
    Busy,
}

/// A connected pair: the runtime's end registered on the calling
/// worker's driver, and the plain end.
fn pair() -> (guillotine::net::TcpStream, StdStream) {
    let listener = StdListener::bind("127.0.0.1:0").unwrap();
    let client = StdStream::connect(listener.local_addr().unwrap()).unwrap();
    let (server, _) = listener.accept().unwrap();
    server.set_nonblocking(true).unwrap();
    (
        guillotine::net::TcpStream::from_std(server).unwrap(),
        client,
    )
}

/// Registers a timer due in [`TIMER_AFTER_WAKE`] and an echo socket on
/// this worker's driver, lets the task that waits on them have its first
/// poll here, then blocks this thread for [`BLOCK`]. Nothing else here has
/// a timer due or a socket ready meanwhile, so no other worker has a reason
/// to wake.
async fn register_then_block(report: mpsc::Sender<Blocked>) {
    let deadline = Instant::now() + TIMER_AFTER_WAKE;
    let (mut server, echo) = pair();
    let (fired_tx, fired) = mpsc::channel();
    // One task (a second would make a surplus that wakes a peer to steal).
    drop(guillotine::spawn(async move {
        let timer = async {
            sleep_until(deadline).await;
            let _ = fired_tx.send(Instant::now());
        };
        let echo = async {
            let mut buf = [0; 4];
            server.read_exact(&mut buf).await.unwrap();
            server.write_all(&buf).await.unwrap();
        };
        futures::join!(timer, echo);
    }));
    // Behind the driver turn: the task above has its first poll here.
    guillotine::task::yield_now().await;
    report
        .send(Blocked {
            thread: std::thread::current().id(),
            at: Instant::now(),
            deadline,
            fired,
            echo,
        })
        .unwrap();
    std::thread::sleep(BLOCK);
}

/// What the blocked worker registered.
struct Blocked {
    thread: ThreadId,
    at: Instant,
    deadline: Instant,
    fired: mpsc::Receiver<Instant>,
    echo: StdStream,
}

fn scenario(workers: usize, woken_by: WokenBy, peers: Peers) {
    let rt = Builder::new_multi_thread()
        .worker_threads(workers)
        .build()
        .unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let threads = Arc::new(Mutex::new(vec![None::<ThreadId>; workers]));
    let (blocked_tx, blocked_rx) = mpsc::channel::<Blocked>();
    // For `OwnIo` and `Unpark`: what wakes worker 0's blocker.
    let (trigger_tx, trigger_rx) = mpsc::channel::<StdStream>();
    let (unpark_tx, unpark_rx) = futures::channel::oneshot::channel::<()>();
    let unpark_rx = Arc::new(Mutex::new(Some(unpark_rx)));
    let (placed_tx, placed_rx) = mpsc::channel::<()>();

    // One setup task per worker: the barrier holds each until all run, so
    // they run on distinct workers. Worker 0 gets the blocker (but for a
    // spawn), the others a busy loop if asked.
    // A counting barrier with a deadline, not `std::sync::Barrier`: if the
    // setup tasks never reach distinct workers, the test fails below
    // instead of leaving a worker blocked for ever (which would hang the
    // runtime's drop).
    let barrier = Arc::new(AtomicUsize::new(0));
    let next = Arc::new(AtomicUsize::new(0));
    let wake_at = Arc::new(Mutex::new(None::<Instant>));
    for _ in 0..workers {
        let (barrier, next, threads, stop, wake_at) = (
            barrier.clone(),
            next.clone(),
            threads.clone(),
            stop.clone(),
            wake_at.clone(),
        );
        let (blocked_tx, trigger_tx, placed_tx) =
            (blocked_tx.clone(), trigger_tx.clone(), placed_tx.clone());
        let unpark_rx = unpark_rx.clone();
        drop(rt.spawn(async move {
            barrier.fetch_add(1, SeqCst);
            let give_up = Instant::now() + Duration::from_secs(10);
            while barrier.load(SeqCst) < workers && Instant::now() < give_up {
                std::thread::yield_now();
            }
            let i = next.fetch_add(1, SeqCst);
            threads.lock().unwrap()[i] = Some(std::thread::current().id());
            drop(guillotine::task::spawn_local(async move {
                if i == 0 && woken_by != WokenBy::Spawn {
                    // Sleeps with the runtime, is woken the chosen way on
                    // worker 0, then blocks it.
                    match woken_by {
                        WokenBy::OwnTimer => {
                            let at = Instant::now() + IDLE;
                            *wake_at.lock().unwrap() = Some(at);
                            placed_tx.send(()).unwrap();
                            sleep_until(at).await;
                        }
                        WokenBy::OwnIo => {
                            let (mut stream, peer) = pair();
                            trigger_tx.send(peer).unwrap();
                            placed_tx.send(()).unwrap();
                            stream.read_exact(&mut [0; 1]).await.unwrap();
                        }
                        WokenBy::Unpark => {
                            let rx = unpark_rx.lock().unwrap().take().unwrap();
                            placed_tx.send(()).unwrap();
                            rx.await.unwrap();
                        }
                        WokenBy::Spawn => unreachable!(),
                    }
                    register_then_block(blocked_tx).await;
                } else {
                    placed_tx.send(()).unwrap();
                    if peers == Peers::Busy && i != 0 {
                        // An always-runnable task: spins 100 µs, yields.
                        while !stop.load(SeqCst) {
                            let until = Instant::now() + Duration::from_micros(100);
                            while Instant::now() < until {
                                std::hint::spin_loop();
                            }
                            guillotine::task::yield_now().await;
                        }
                    }
                }
            }));
        }));
    }
    drop((trigger_tx, placed_tx));
    for _ in 0..workers {
        placed_rx.recv_timeout(Duration::from_secs(10)).unwrap();
    }

    // The chosen wake, once the runtime is idle (but for busy peers).
    let trigger = (woken_by == WokenBy::OwnIo)
        .then(|| trigger_rx.recv_timeout(Duration::from_secs(10)).unwrap());
    std::thread::sleep(IDLE);
    match woken_by {
        WokenBy::OwnTimer => {}
        WokenBy::OwnIo => trigger.unwrap().write_all(b"!").unwrap(),
        WokenBy::Unpark => unpark_tx.send(()).unwrap(),
        WokenBy::Spawn => drop(rt.spawn(register_then_block(blocked_tx.clone()))),
    }
    drop(blocked_tx);
    let Blocked {
        thread,
        at: blocked_at,
        deadline,
        fired,
        mut echo,
    } = blocked_rx.recv_timeout(Duration::from_secs(10)).unwrap();
    let k = threads
        .lock()
        .unwrap()
        .iter()
        .position(|t| *t == Some(thread))
        .expect("the blocker runs on a worker");

    let fired_at = fired.recv_timeout(BLOCK * 10).unwrap();
    let late = fired_at.saturating_duration_since(deadline);
    let start = Instant::now();
    echo.write_all(b"ping").unwrap();
    let mut buf = [0; 4];
    echo.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"ping");
    let served = start.elapsed();
    let during_block = start < blocked_at + BLOCK;
    stop.store(true, SeqCst);
    let msg = format!(
        "{workers} workers, woken by {woken_by:?}, peers {peers:?}, worker {k} blocked: \
         timer {late:?} late, echo served in {served:?}"
    );
    eprintln!("{msg}");
    assert!(late < BOUND, "the timer was stranded: {msg}");
    assert!(served < BOUND, "the socket was stranded: {msg}");
    assert!(
        during_block,
        "the block ended before the checks ran (a very slow machine): {msg}"
    );
    drop(rt);
}

fn run(workers: usize, woken_by: WokenBy, peers: Peers) {
    scenario(workers, woken_by, peers);
}

macro_rules! scenarios {
    ($($name:ident: $workers:expr, $woken_by:ident, $peers:ident;)*) => {$(
        #[test]
        fn $name() {
            run($workers, WokenBy::$woken_by, Peers::$peers);
        }
    )*};
}

scenarios! {
    woken_by_spawn_peers_idle: 2, Spawn, Idle;
    woken_by_spawn_peers_busy: 2, Spawn, Busy;
    woken_by_own_timer_peers_idle: 2, OwnTimer, Idle;
    woken_by_own_timer_peers_busy: 2, OwnTimer, Busy;
    woken_by_own_io_peers_idle: 2, OwnIo, Idle;
    woken_by_own_io_peers_busy: 2, OwnIo, Busy;
    woken_by_unpark_peers_idle: 2, Unpark, Idle;
    woken_by_unpark_peers_busy: 2, Unpark, Busy;
    three_workers_woken_by_own_timer_peers_idle: 3, OwnTimer, Idle;
    three_workers_woken_by_own_io_peers_busy: 3, OwnIo, Busy;
}

/// A task queued on a worker that then blocks runs on another worker while
/// that one is busy (an always-runnable task keeps its own queue from
/// running dry, so it does not steal): the watcher hands the stuck worker's
/// queue to the injection queue, which busy workers look at every few
/// polls.
#[test]
fn a_task_queued_behind_a_stuck_worker_runs_while_the_peer_is_busy() {
    let rt = Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let started = Arc::new(AtomicUsize::new(0));
    let (ran_tx, ran) = mpsc::channel::<(Instant, ThreadId)>();
    let (blocked_tx, blocked) = mpsc::channel::<(Instant, ThreadId)>();
    for i in 0..2 {
        let (stop, started, ran_tx, blocked_tx) = (
            stop.clone(),
            started.clone(),
            ran_tx.clone(),
            blocked_tx.clone(),
        );
        drop(rt.spawn(async move {
            // Both setup tasks hold their workers until both run: one each.
            started.fetch_add(1, SeqCst);
            let give_up = Instant::now() + Duration::from_secs(10);
            while started.load(SeqCst) < 2 && Instant::now() < give_up {
                std::thread::yield_now();
            }
            if i == 0 {
                // The busy peer: spins 100 µs, yields, for ever.
                while !stop.load(SeqCst) {
                    let until = Instant::now() + Duration::from_micros(100);
                    while Instant::now() < until {
                        std::hint::spin_loop();
                    }
                    guillotine::task::yield_now().await;
                }
            } else {
                // Queued here (on this worker's run queue), behind a block.
                drop(guillotine::spawn(async move {
                    let _ = ran_tx.send((Instant::now(), std::thread::current().id()));
                }));
                blocked_tx
                    .send((Instant::now(), std::thread::current().id()))
                    .unwrap();
                std::thread::sleep(BLOCK);
            }
        }));
    }
    let (blocked_at, blocker) = blocked.recv_timeout(Duration::from_secs(10)).unwrap();
    let (ran_at, runner) = ran.recv_timeout(BLOCK * 10).unwrap();
    stop.store(true, SeqCst);
    let waited = ran_at.saturating_duration_since(blocked_at);
    eprintln!("the queued task ran {waited:?} into the block");
    assert_ne!(runner, blocker, "the queued task ran on the stuck worker");
    assert!(
        waited < BOUND,
        "the queued task waited {waited:?} behind the stuck worker"
    );
}
