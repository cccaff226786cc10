//! `sleep`, `sleep_until` and `Sleep`: never early, all fire, reset, ZERO
//! and MAX, removal on drop, other threads, a runtime that is gone. On
//! both runtime flavors.

mod support;

use std::future::Future;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::task::{Context, Poll, Waker};

use guillotine::runtime::{Builder, Handle, Runtime};
use guillotine::time::{Duration, Instant, Sleep, sleep, sleep_until, timeout};
use support::{WORKERS, both_flavors};

both_flavors! {
    never_completes_early_over_many_samples,
    fifty_thousand_concurrent_timers_all_fire,
    zero_and_past_deadlines_complete_at_once,
    max_and_far_deadlines_never_fire_nor_overflow,
    reset_earlier_and_later,
    dropped_timers_leave_the_queue_at_once,
    dropped_on_another_thread_leaves_the_queue,
    polled_on_another_thread_wakes_the_parked_runtime,
    non_blocking_turns_fire_timers_while_tasks_stay_busy,
    sleep_is_send_debug_and_usable_in_spawned_tasks,
    a_timer_whose_runtime_is_gone_panics_when_polled,
}

fn rt() -> Runtime {
    Runtime::new().unwrap()
}

/// Polls once with a waker that does nothing.
fn poll_once<F: Future + Unpin>(f: &mut F) -> Poll<F::Output> {
    Pin::new(f).poll(&mut Context::from_waker(Waker::noop()))
}

fn never_completes_early_over_many_samples(rt: Runtime) {
    rt.block_on(async {
        // Sequential: each sleep is measured against its own deadline.
        for i in 0..300u64 {
            let d = Duration::from_micros(i * 37 % 2000);
            let s = sleep(d);
            let deadline = s.deadline();
            s.await;
            assert!(Instant::now() >= deadline, "sample {i} of {d:?} woke early");
        }
        // Concurrent: 2,000 tasks of varied deadlines, all checked.
        let early = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..2000u64)
            .map(|i| {
                let early = early.clone();
                guillotine::spawn(async move {
                    let deadline = Instant::now() + Duration::from_nanos(i * 7919 % 20_000_000);
                    sleep_until(deadline).await;
                    if Instant::now() < deadline {
                        early.fetch_add(1, SeqCst);
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(early.load(SeqCst), 0);
    });
}

/// `n`, divided by `STRESS_DIVISOR` if set: scripts/valgrind.sh runs the
/// timer churns smaller, where each step costs ~100 times more.
fn stress_size(n: u64) -> u64 {
    let divisor = std::env::var("STRESS_DIVISOR")
        .ok()
        .and_then(|d| d.parse().ok());
    (n / divisor.unwrap_or(1).max(1)).max(1)
}

fn fifty_thousand_concurrent_timers_all_fire(rt: Runtime) {
    let timers = stress_size(50_000);
    let fired = Arc::new(AtomicUsize::new(0));
    let early = Arc::new(AtomicUsize::new(0));
    rt.block_on(async {
        let tasks: Vec<_> = (0..timers)
            .map(|i| {
                let (fired, early) = (fired.clone(), early.clone());
                guillotine::spawn(async move {
                    // 1 µs .. 300 ms, spread over every level of the wheel.
                    let d = Duration::from_micros(1 + i * 104_729 % 300_000);
                    let s = sleep(d);
                    let deadline = s.deadline();
                    s.await;
                    if Instant::now() < deadline {
                        early.fetch_add(1, SeqCst);
                    }
                    fired.fetch_add(1, SeqCst);
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
    });
    assert_eq!(fired.load(SeqCst), timers as usize);
    assert_eq!(early.load(SeqCst), 0);
    assert_eq!(rt.num_timers(), 0);
}

fn zero_and_past_deadlines_complete_at_once(rt: Runtime) {
    rt.block_on(async {
        let mut zero = sleep(Duration::ZERO);
        assert_eq!(poll_once(&mut zero), Poll::Ready(()));
        let mut past = sleep_until(Instant::now() - Duration::from_secs(1));
        assert_eq!(poll_once(&mut past), Poll::Ready(()));
        assert!(zero.is_elapsed() && past.is_elapsed());
        // Neither ever entered the queue.
        assert_eq!(Handle::current().num_timers(), 0);
    });
}

fn max_and_far_deadlines_never_fire_nor_overflow(rt: Runtime) {
    rt.block_on(async {
        let mut max = sleep(Duration::MAX);
        assert!(max.deadline() > Instant::now() + Duration::from_secs(20 * 365 * 86_400));
        assert!(poll_once(&mut max).is_pending());
        let mut far = sleep_until(Instant::now() + Duration::from_secs(1 << 40));
        assert!(poll_once(&mut far).is_pending());
        assert_eq!(Handle::current().num_timers(), 2);
        // The runtime waits on them without spinning or overflowing, and
        // still fires a short timer among them.
        let start = Instant::now();
        sleep(Duration::from_millis(20)).await;
        assert!(start.elapsed() >= Duration::from_millis(20));
        assert!(timeout(Duration::from_millis(20), &mut max).await.is_err());
        assert!(!max.is_elapsed() && !far.is_elapsed());
    });
    assert_eq!(rt.num_timers(), 0);
}

fn reset_earlier_and_later(rt: Runtime) {
    rt.block_on(async {
        // Earlier: an hour becomes 5 ms.
        let start = Instant::now();
        let mut s = pin!(sleep(Duration::from_secs(3600)));
        assert!(poll_once(&mut s).is_pending());
        let earlier = Instant::now() + Duration::from_millis(5);
        s.as_mut().reset(earlier);
        assert_eq!(s.deadline(), earlier);
        s.as_mut().await;
        assert!(Instant::now() >= earlier);
        assert!(start.elapsed() < Duration::from_secs(60));

        // Later: 1 ms becomes 30 ms, after the first poll registered it.
        let mut s = pin!(sleep(Duration::from_millis(1)));
        assert!(poll_once(&mut s).is_pending());
        let later = Instant::now() + Duration::from_millis(30);
        s.as_mut().reset(later);
        s.as_mut().await;
        assert!(Instant::now() >= later);

        // After completion: it waits again, and reports so. (A far deadline
        // for the report: on a loaded machine a worker can fire a near
        // one before the next line runs.)
        s.as_mut().reset(Instant::now() + Duration::from_secs(3600));
        assert!(!s.is_elapsed());
        let again = Instant::now() + Duration::from_millis(3);
        s.as_mut().reset(again);
        s.as_mut().await;
        assert!(Instant::now() >= again && s.is_elapsed());

        // Into the past: completes without waiting for a timer.
        s.as_mut().reset(Instant::now() + Duration::from_secs(3600));
        assert!(poll_once(&mut s).is_pending());
        s.as_mut().reset(Instant::now() - Duration::from_millis(1));
        assert_eq!(poll_once(&mut s), Poll::Ready(()));
    });
}

fn dropped_timers_leave_the_queue_at_once(rt: Runtime) {
    rt.block_on(async {
        let handle = Handle::current();
        let mut s = sleep(Duration::from_secs(60));
        assert!(poll_once(&mut s).is_pending());
        assert_eq!(handle.num_timers(), 1);
        drop(s);
        assert_eq!(handle.num_timers(), 0);
        // A million registered-then-dropped timeouts: the queue never holds
        // more than the one in flight (its slots are reused; the unit tests
        // of the wheel check the slab stays at one slot).
        let mut max = 0;
        for _ in 0..stress_size(1_000_000) {
            let mut t = timeout(Duration::from_secs(60), std::future::pending::<()>());
            assert!(
                Pin::new(&mut t)
                    .poll(&mut Context::from_waker(Waker::noop()))
                    .is_pending()
            );
            max = max.max(handle.num_timers());
        }
        assert_eq!(max, 1);
        assert_eq!(handle.num_timers(), 0);
    });
}

fn dropped_on_another_thread_leaves_the_queue(rt: Runtime) {
    // Returning the registered, unfinished Sleep out of the runtime is the
    // point here.
    #[allow(clippy::async_yields_async)]
    let s: Sleep = rt.block_on(async {
        let mut s = sleep(Duration::from_secs(60));
        assert!(poll_once(&mut s).is_pending());
        s
    });
    assert_eq!(rt.num_timers(), 1);
    std::thread::spawn(move || drop(s)).join().unwrap();
    assert_eq!(rt.num_timers(), 0);
}

fn polled_on_another_thread_wakes_the_parked_runtime(rt: Runtime) {
    rt.block_on(async {
        let s = sleep(Duration::from_millis(20));
        let deadline = s.deadline();
        let (tx, rx) = futures::channel::oneshot::channel();
        // The runtime parks with no timer of its own; the other thread's
        // first poll inserts the earliest deadline and must wake it.
        std::thread::spawn(move || {
            futures::executor::block_on(s);
            tx.send(Instant::now()).unwrap();
        });
        let woke = rx.await.unwrap();
        assert!(woke >= deadline);
    });
}

fn non_blocking_turns_fire_timers_while_tasks_stay_busy(mut builder: Builder) {
    let rt = builder.event_interval(8).build().unwrap();
    rt.block_on(async {
        let done = Arc::new(AtomicBool::new(false));
        let d = done.clone();
        let sleeper = guillotine::spawn(async move {
            sleep(Duration::from_millis(5)).await;
            d.store(true, SeqCst);
        });
        // Never let the runtime (any worker) park: only the every-8-polls
        // turns can fire the timer. Bounded by the clock so a failure
        // cannot hang.
        let busy: Vec<_> = (0..WORKERS)
            .map(|_| {
                let done = done.clone();
                guillotine::spawn(async move {
                    let start = Instant::now();
                    while !done.load(SeqCst) && start.elapsed() < Duration::from_secs(20) {
                        guillotine::task::yield_now().await;
                    }
                    done.load(SeqCst)
                })
            })
            .collect();
        for busy in busy {
            assert!(
                busy.await.unwrap(),
                "the timer did not fire while tasks were busy"
            );
        }
        sleeper.await.unwrap();
    });
}

fn sleep_is_send_debug_and_usable_in_spawned_tasks(rt: Runtime) {
    fn send_sync<T: Send + Sync + Unpin + std::fmt::Debug>(_: &T) {}
    rt.block_on(async {
        let s = sleep(Duration::from_millis(1));
        send_sync(&s);
        assert!(format!("{s:?}").contains("deadline"));
        guillotine::spawn(s).await.unwrap();
    });
}

#[test]
fn outside_a_runtime_it_panics_with_a_clear_message() {
    let err = std::panic::catch_unwind(|| sleep(Duration::from_millis(1))).unwrap_err();
    let msg = err.downcast_ref::<String>().unwrap();
    assert!(msg.contains("no reactor running"), "{msg}");
    assert!(msg.contains("guillotine::time::sleep"), "{msg}");
}

/// As in tokio, a timer polled after its runtime is gone panics with a
/// message saying so (it never hangs, nor completes as if it had fired),
/// whether it was polled before the shutdown or not; one that completed
/// before stays complete.
fn a_timer_whose_runtime_is_gone_panics_when_polled(rt: Runtime) {
    let (polled, unpolled, mut done) = rt.block_on(async {
        let mut polled = sleep(Duration::from_secs(3600));
        assert!(poll_once(&mut polled).is_pending());
        let mut done = sleep(Duration::ZERO);
        (&mut done).await;
        (polled, sleep(Duration::from_secs(3600)), done)
    });
    drop(rt);
    for timer in [polled, unpolled] {
        let err = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            futures::executor::block_on(timer)
        }))
        .unwrap_err();
        let msg = err.downcast_ref::<&str>().copied().unwrap_or_default();
        assert!(msg.contains("shut down"), "{msg}");
    }
    assert!(poll_once(&mut done).is_ready());
}

/// p50, p99 and max of `late`.
fn percentiles(mut late: Vec<Duration>) -> String {
    late.sort();
    let n = late.len();
    format!(
        "p50 {:>10.1?}  p99 {:>10.1?}  max {:>10.1?}",
        late[n / 2],
        late[n * 99 / 100],
        late[n - 1]
    )
}

/// Lateness of `sleep` (completion minus deadline), p50 and p99 over 1,000
/// samples each, with tokio's and smol's for comparison. A measurement, not
/// a check: `cargo test --release --test time_sleep -- --ignored --nocapture`.
#[test]
#[ignore = "a measurement: run with --release --ignored --nocapture"]
fn precision_report() {
    const SAMPLES: usize = 1000;
    let rt = rt();
    let tokio = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    for d in [
        Duration::from_micros(100),
        Duration::from_millis(1),
        Duration::from_millis(10),
    ] {
        let ours = rt.block_on(async {
            let mut v = Vec::with_capacity(SAMPLES);
            for _ in 0..SAMPLES {
                let s = sleep(d);
                let deadline = s.deadline();
                s.await;
                v.push(Instant::now() - deadline);
            }
            v
        });
        let theirs = tokio.block_on(async {
            let mut v = Vec::with_capacity(SAMPLES);
            for _ in 0..SAMPLES {
                let deadline = Instant::now() + d;
                tokio::time::sleep_until(deadline.into()).await;
                v.push(Instant::now() - deadline);
            }
            v
        });
        let smol = smol::block_on(async {
            let mut v = Vec::with_capacity(SAMPLES);
            for _ in 0..SAMPLES {
                let deadline = Instant::now() + d;
                smol::Timer::at(deadline).await;
                v.push(Instant::now() - deadline);
            }
            v
        });
        println!("sleep({d:?}) lateness over {SAMPLES} samples");
        println!("  guillotine  {}", percentiles(ours));
        println!("  tokio       {}", percentiles(theirs));
        println!("  smol        {}", percentiles(smol));
    }
}
