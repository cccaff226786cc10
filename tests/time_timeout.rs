//! `timeout` and `timeout_at`: `Ok` in time, `Err(Elapsed)` after, the
//! inner future dropped on expiry, the timer removed on drop. On both
//! runtime flavors.

mod support;

use std::future::{Future, pending, ready};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::task::{Context, Poll, Waker};

use guillotine::runtime::{Handle, Runtime};
use guillotine::time::{Duration, Elapsed, Instant, sleep, timeout, timeout_at};
use support::both_flavors;

both_flavors! {
    ok_when_the_future_finishes_in_time,
    err_when_the_deadline_passes_first_and_never_early,
    the_inner_future_is_dropped_when_the_timeout_is,
    a_dropped_timeout_leaves_the_queue,
    timeouts_work_in_spawned_tasks_and_are_send,
    into_inner_gives_the_future_back,
}

/// Counts its drops.
struct DropCount(Arc<AtomicUsize>);

impl Drop for DropCount {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

fn ok_when_the_future_finishes_in_time(rt: Runtime) {
    rt.block_on(async {
        assert_eq!(timeout(Duration::from_secs(10), ready(1)).await, Ok(1));
        let slow_enough = async {
            sleep(Duration::from_millis(5)).await;
            2
        };
        assert_eq!(timeout(Duration::from_secs(10), slow_enough).await, Ok(2));
        // A ready future wins even against a zero timeout: it is polled first.
        assert_eq!(timeout(Duration::ZERO, ready(3)).await, Ok(3));
        assert_eq!(timeout(Duration::MAX, ready(4)).await, Ok(4));
        // Its timer is gone once it has completed and been dropped.
        assert_eq!(Handle::current().num_timers(), 0);
    });
}

fn err_when_the_deadline_passes_first_and_never_early(rt: Runtime) {
    rt.block_on(async {
        for ms in [0u64, 1, 5, 20] {
            let t = timeout(Duration::from_millis(ms), pending::<()>());
            let deadline = t.deadline();
            let err: Elapsed = t.await.unwrap_err();
            assert!(Instant::now() >= deadline);
            assert_eq!(err.to_string(), "deadline has elapsed");
        }
        let at = Instant::now() + Duration::from_millis(3);
        assert!(
            timeout_at(at, sleep(Duration::from_secs(3600)))
                .await
                .is_err()
        );
        assert!(Instant::now() >= at);
        let err = timeout(Duration::ZERO, pending::<()>()).await.unwrap_err();
        let io: std::io::Error = err.into();
        assert_eq!(io.kind(), std::io::ErrorKind::TimedOut);
    });
}

fn the_inner_future_is_dropped_when_the_timeout_is(rt: Runtime) {
    let drops = Arc::new(AtomicUsize::new(0));
    rt.block_on(async {
        let guard = DropCount(drops.clone());
        let never = async move {
            let _guard = guard;
            pending::<()>().await;
        };
        assert!(timeout(Duration::from_millis(2), never).await.is_err());
    });
    assert_eq!(drops.load(SeqCst), 1);
}

fn a_dropped_timeout_leaves_the_queue(rt: Runtime) {
    rt.block_on(async {
        let handle = Handle::current();
        let mut t = timeout(Duration::from_secs(60), pending::<()>());
        let polled = Pin::new(&mut t).poll(&mut Context::from_waker(Waker::noop()));
        assert_eq!(polled, Poll::Pending);
        assert_eq!(handle.num_timers(), 1);
        drop(t);
        assert_eq!(handle.num_timers(), 0);
    });
}

fn timeouts_work_in_spawned_tasks_and_are_send(rt: Runtime) {
    fn send<T: Send + std::fmt::Debug>(_: &T) {}
    rt.block_on(async {
        let t = timeout(Duration::from_millis(1), sleep(Duration::from_secs(60)));
        send(&t);
        assert!(format!("{t:?}").contains("Timeout"));
        let tasks: Vec<_> = (0..100u64)
            .map(|i| {
                guillotine::spawn(async move {
                    let work = sleep(Duration::from_millis(i % 2 * 500));
                    timeout(Duration::from_millis(25), work).await.is_ok()
                })
            })
            .collect();
        let mut ok = 0;
        for t in tasks {
            ok += usize::from(t.await.unwrap());
        }
        // Even i: no work, in time; odd i: 500 ms of work, past 25 ms.
        assert_eq!(ok, 50);
    });
}

fn into_inner_gives_the_future_back(rt: Runtime) {
    rt.block_on(async {
        let mut t = timeout(Duration::from_millis(1), async { 9 });
        assert!(std::mem::size_of_val(t.get_mut()) < 64);
        assert_eq!(t.into_inner().await, 9);
        assert_eq!(Handle::current().num_timers(), 0);
    });
}

#[test]
fn outside_a_runtime_it_panics_with_a_clear_message() {
    let err =
        std::panic::catch_unwind(|| timeout(Duration::from_millis(1), ready(()))).unwrap_err();
    let msg = err.downcast_ref::<String>().unwrap();
    assert!(
        msg.contains("no reactor running") && msg.contains("timeout"),
        "{msg}"
    );
}
