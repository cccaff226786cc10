//! Shutdown racing other threads: timers registered while the runtime
//! shuts down, and `shutdown_timeout` with a worker stuck in a poll.

mod support;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use guillotine::runtime::{Builder, Runtime};
use guillotine::time::sleep;

fn mt(workers: usize) -> Runtime {
    Builder::new_multi_thread()
        .worker_threads(workers)
        .build()
        .unwrap()
}

/// How many rounds the two sleeper races run: `SHUTDOWN_RACE_ROUNDS` if
/// set (scripts/valgrind.sh runs a few, where a round costs ~100 times
/// more), else `default`.
fn rounds(default: u32) -> u32 {
    std::env::var("SHUTDOWN_RACE_ROUNDS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(default)
}

/// A pseudo-random sleep of 0–300 µs, different per thread and round.
fn jitter(seed: &mut u32) -> Duration {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 17;
    *seed ^= *seed << 5;
    Duration::from_micros(u64::from(*seed % 300))
}

/// Runs `f` on a thread and fails the test if it has not returned within
/// `limit`: a hang is a failure here, not a stuck CI run.
fn within<T: Send + 'static>(
    limit: Duration,
    what: &str,
    f: impl FnOnce() -> T + Send + 'static,
) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(limit) {
        Ok(out) => out,
        Err(_) => panic!("hung: {what} did not return within {limit:?}"),
    }
}

/// The message of a caught panic.
fn panic_message(payload: &(dyn std::any::Any + Send)) -> &str {
    payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("<not a string>")
}

/// Whether `payload` is the panic of a timer whose runtime is shut down.
fn is_shutdown_panic(payload: &(dyn std::any::Any + Send)) -> bool {
    panic_message(payload).contains("it is shut down")
}

/// 16 foreign threads loop `Handle::block_on(sleep(..))` while the runtime is
/// dropped: a sleep polled during or after the shutdown must not park its
/// thread forever. As in tokio, it panics saying the runtime is shut down
/// (a sleep the runtime fired first completes); never before the drop.
#[test]
fn foreign_sleepers_racing_runtime_drop_never_hang() {
    within(Duration::from_secs(120), "a foreign sleeper", || {
        for round in 0..rounds(1000) {
            let rt = mt(2);
            let dropping = Arc::new(AtomicBool::new(false));
            let slept = Arc::new(AtomicUsize::new(0));
            let threads: Vec<_> = (0..16u32)
                .map(|t| {
                    let (handle, dropping, slept) = (rt.handle(), dropping.clone(), slept.clone());
                    std::thread::spawn(move || {
                        let mut seed = (round * 16 + t) | 1;
                        loop {
                            let d = jitter(&mut seed);
                            let slept_once = std::panic::catch_unwind(|| {
                                handle.block_on(async move { sleep(d).await });
                            });
                            if let Err(payload) = slept_once {
                                assert!(dropping.load(SeqCst), "a panic before the drop");
                                assert!(
                                    is_shutdown_panic(&*payload),
                                    "{}",
                                    panic_message(&*payload)
                                );
                                // Every later sleep panics the same way.
                                return;
                            }
                            slept.fetch_add(1, SeqCst);
                        }
                    })
                })
                .collect();
            // Let them get going, then drop the runtime under them.
            while slept.load(SeqCst) < 16 {
                std::thread::yield_now();
            }
            dropping.store(true, SeqCst);
            drop(rt);
            for t in threads {
                t.join().unwrap();
            }
        }
    });
}

/// The same loop inside blocking jobs: dropping the runtime waits for them,
/// so a sleep nobody fires would hang the drop itself. Each job ends with
/// all its sleeps done, or with the shutdown's panic, or is cancelled (if
/// it had not started).
#[test]
fn blocking_sleepers_racing_runtime_drop_never_hang() {
    within(Duration::from_secs(120), "dropping the runtime", || {
        for round in 0..rounds(500) {
            let rt = mt(2);
            let started = Arc::new(AtomicUsize::new(0));
            let jobs: Vec<_> = (0..16u32)
                .map(|t| {
                    let started = started.clone();
                    rt.spawn_blocking(move || {
                        let handle = guillotine::runtime::Handle::current();
                        let mut seed = (round * 16 + t) | 1;
                        started.fetch_add(1, SeqCst);
                        for _ in 0..40 {
                            let d = jitter(&mut seed);
                            handle.block_on(async move { sleep(d).await });
                        }
                    })
                })
                .collect();
            while started.load(SeqCst) < 16 {
                std::thread::yield_now();
            }
            drop(rt);
            for job in jobs {
                match futures::executor::block_on(job) {
                    Ok(()) => {}
                    Err(e) if e.is_cancelled() => {}
                    Err(e) => {
                        let payload = e.into_panic();
                        assert!(is_shutdown_panic(&*payload), "{}", panic_message(&*payload));
                    }
                }
            }
        }
    });
}

/// Counts its drops and where they happen.
struct DropCount(Arc<AtomicUsize>);

impl Drop for DropCount {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

/// `shutdown_timeout` returns after about its timeout even when a worker is
/// stuck in a 3-second poll, as in tokio; the other tasks are dropped
/// before it returns, the stuck one when its poll returns.
#[test]
fn shutdown_timeout_bounds_a_stuck_poll() {
    let rt = mt(2);
    let dropped = Arc::new(AtomicUsize::new(0));
    let (stuck_tx, stuck_rx) = mpsc::channel();
    let guard = DropCount(dropped.clone());
    drop(rt.spawn(async move {
        let _guard = guard;
        stuck_tx.send(()).unwrap();
        std::thread::sleep(Duration::from_secs(3));
    }));
    let others = Arc::new(AtomicUsize::new(0));
    for _ in 0..4 {
        let guard = DropCount(others.clone());
        drop(rt.spawn(async move {
            let _guard = guard;
            std::future::pending::<()>().await;
        }));
    }
    stuck_rx.recv().unwrap();
    let start = Instant::now();
    rt.shutdown_timeout(Duration::from_millis(50));
    let took = start.elapsed();
    assert!(
        took < Duration::from_millis(1500),
        "shutdown_timeout(50 ms) took {took:?} with a worker stuck in a 3 s poll"
    );
    assert_eq!(others.load(SeqCst), 4, "the idle tasks were dropped");
    assert_eq!(
        dropped.load(SeqCst),
        0,
        "the stuck task is still in its poll"
    );
    // Once its poll returns, the stuck worker drops it on its own thread.
    support::wait_until("the stuck task's drop", || dropped.load(SeqCst) == 1);
}

/// The same with the worker inside `block_in_place`.
#[test]
fn shutdown_timeout_bounds_a_stuck_block_in_place() {
    let rt = mt(2);
    let (stuck_tx, stuck_rx) = mpsc::channel();
    let done = Arc::new(AtomicBool::new(false));
    let d = done.clone();
    drop(rt.spawn(async move {
        guillotine::task::block_in_place(|| {
            stuck_tx.send(()).unwrap();
            std::thread::sleep(Duration::from_secs(3));
        });
        d.store(true, SeqCst);
    }));
    stuck_rx.recv().unwrap();
    let start = Instant::now();
    rt.shutdown_timeout(Duration::from_millis(50));
    let took = start.elapsed();
    assert!(
        took < Duration::from_millis(1500),
        "shutdown_timeout(50 ms) took {took:?} with a worker in a 3 s block_in_place"
    );
    assert!(!done.load(SeqCst));
}

/// Without a stuck worker, `shutdown_timeout` still waits for everything
/// that finishes in time: a blocking job shorter than the timeout runs to
/// its end.
#[test]
fn shutdown_timeout_waits_for_what_finishes_in_time() {
    let rt = mt(2);
    let finished = Arc::new(AtomicBool::new(false));
    let (started_tx, started_rx) = mpsc::channel();
    let f = finished.clone();
    drop(rt.spawn_blocking(move || {
        started_tx.send(()).unwrap();
        std::thread::sleep(Duration::from_millis(100));
        f.store(true, SeqCst);
    }));
    started_rx.recv().unwrap();
    rt.shutdown_timeout(Duration::from_secs(30));
    assert!(finished.load(SeqCst));
}

/// `shutdown_background` (a zero timeout) stops waiting for the workers at
/// once, while they may still be waking for the shutdown: it must neither
/// block on a worker's driver nor close the eventfd a worker still waits
/// on. Every worker exits on its own soon after.
#[test]
fn shutdown_background_racing_parked_workers_never_hangs() {
    within(Duration::from_secs(120), "shutdown_background", || {
        for round in 0..300u32 {
            let rt = mt(1 + (round % 3) as usize);
            let done = Arc::new(AtomicUsize::new(0));
            for _ in 0..4 {
                let done = done.clone();
                drop(rt.spawn(async move {
                    sleep(Duration::from_micros(50)).await;
                    done.fetch_add(1, SeqCst);
                }));
            }
            if round % 2 == 0 {
                // Let the workers go to sleep first.
                support::wait_until("the tasks", || done.load(SeqCst) == 4);
            }
            rt.shutdown_background();
        }
    });
}
