//! Shutdown: dropping the runtime drops pending futures in its context,
//! cancels their handles, and leaves lingering wakers and handles harmless.
//! On both runtime flavors.

mod support;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::task::Waker;

use guillotine::runtime::{Handle, Runtime};
use guillotine::task;
use support::{both_flavors, eventually};

both_flavors! {
    drop_runtime_drops_pending_futures_and_cancels_handles,
    never_polled_local_tasks_are_dropped_too,
    waking_after_runtime_dropped_is_harmless,
    spawn_through_handle_of_dropped_runtime_is_cancelled,
    unfinished_remote_spawns_are_dropped_at_shutdown,
    wake_and_spawn_from_drop_during_shutdown,
    strong_counts_return_after_shutdown,
}

struct OnDrop<F: FnMut()>(F);
impl<F: FnMut()> Drop for OnDrop<F> {
    fn drop(&mut self) {
        (self.0)()
    }
}

/// A future that stores its waker and never completes.
fn park_forever(slot: Arc<Mutex<Option<Waker>>>) -> impl std::future::Future<Output = ()> + Send {
    std::future::poll_fn(move |cx| {
        *slot.lock().unwrap() = Some(cx.waker().clone());
        std::task::Poll::Pending
    })
}

fn drop_runtime_drops_pending_futures_and_cancels_handles(rt: Runtime) {
    let drops = Arc::new(AtomicUsize::new(0));
    let in_context = Arc::new(AtomicUsize::new(0));
    let handles: Vec<_> = (0..100)
        .map(|i| {
            let (d, c) = (drops.clone(), in_context.clone());
            let guard = OnDrop(move || {
                d.fetch_add(1, SeqCst);
                if Handle::try_current().is_ok() {
                    c.fetch_add(1, SeqCst);
                }
            });
            rt.spawn(async move {
                let _g = guard;
                if i % 2 == 0 {
                    task::yield_now().await;
                }
                std::future::pending::<()>().await
            })
        })
        .collect();
    rt.block_on(task::yield_now());
    assert_eq!(drops.load(SeqCst), 0);
    drop(rt);
    assert_eq!(
        drops.load(SeqCst),
        100,
        "every future dropped before drop returned"
    );
    assert_eq!(
        in_context.load(SeqCst),
        100,
        "dropped inside the runtime's context"
    );
    for h in handles {
        assert!(h.is_finished());
        assert!(futures::executor::block_on(h).unwrap_err().is_cancelled());
    }
}

/// Current-thread only: a task spawned outside `block_on` is not polled
/// before the runtime is dropped (the multi-thread workers run it at once;
/// never_polled_local_tasks_are_dropped_too is the form for both).
#[test]
fn never_polled_tasks_are_dropped_too() {
    let dropped = Arc::new(AtomicBool::new(false));
    let d = dropped.clone();
    let rt = Runtime::new().unwrap();
    let g = OnDrop(move || d.store(true, SeqCst));
    let h = rt.spawn(async move {
        let _g = g;
    });
    drop(rt);
    assert!(dropped.load(SeqCst));
    assert!(futures::executor::block_on(h).unwrap_err().is_cancelled());
}

/// A `spawn_local` task of `block_on` that was never polled (`block_on`
/// returned first) is dropped with the runtime, its handle cancelled.
fn never_polled_local_tasks_are_dropped_too(rt: Runtime) {
    let dropped = Arc::new(AtomicBool::new(false));
    let polled = Arc::new(AtomicBool::new(false));
    let (d, p) = (dropped.clone(), polled.clone());
    let g = OnDrop(move || d.store(true, SeqCst));
    // Returning the never-polled task's handle out of `block_on` is the
    // point here.
    #[allow(clippy::async_yields_async)]
    let h = rt.block_on(async move {
        task::spawn_local(async move {
            let _g = g;
            p.store(true, SeqCst);
        })
    });
    assert!(!dropped.load(SeqCst));
    drop(rt);
    assert!(dropped.load(SeqCst));
    assert!(!polled.load(SeqCst));
    assert!(futures::executor::block_on(h).unwrap_err().is_cancelled());
}

fn waking_after_runtime_dropped_is_harmless(rt: Runtime) {
    let slot = Arc::new(Mutex::new(None));
    let h = rt.spawn(park_forever(slot.clone()));
    rt.block_on(eventually("the first poll", || {
        slot.lock().unwrap().is_some()
    }));
    let waker = slot.lock().unwrap().take().expect("task polled");
    drop(rt);
    // From this thread and from another, by ref and by value, many times.
    waker.wake_by_ref();
    let w2 = waker.clone();
    std::thread::spawn(move || {
        for _ in 0..100 {
            w2.wake_by_ref();
        }
        w2.wake();
    })
    .join()
    .unwrap();
    waker.wake();
    assert!(futures::executor::block_on(h).unwrap_err().is_cancelled());
}

fn spawn_through_handle_of_dropped_runtime_is_cancelled(rt: Runtime) {
    let handle = rt.handle();
    drop(rt);
    let dropped = Arc::new(AtomicBool::new(false));
    let d = dropped.clone();
    let g = OnDrop(move || d.store(true, SeqCst));
    let h = handle.spawn(async move {
        let _g = g;
        1
    });
    assert!(dropped.load(SeqCst), "the future is dropped at once");
    assert!(futures::executor::block_on(h).unwrap_err().is_cancelled());
    let b = handle.spawn_blocking(|| 1);
    assert!(futures::executor::block_on(b).unwrap_err().is_cancelled());
}

/// Tasks spawned from another thread that have not finished (never run,
/// on the current-thread runtime) are dropped at shutdown.
fn unfinished_remote_spawns_are_dropped_at_shutdown(rt: Runtime) {
    let handle = rt.handle();
    let dropped = Arc::new(AtomicUsize::new(0));
    let d = dropped.clone();
    let joins = std::thread::spawn(move || {
        (0..10)
            .map(|_| {
                let d = d.clone();
                let g = OnDrop(move || {
                    d.fetch_add(1, SeqCst);
                });
                handle.spawn(async move {
                    let _g = g;
                    std::future::pending::<()>().await
                })
            })
            .collect::<Vec<_>>()
    })
    .join()
    .unwrap();
    drop(rt);
    assert_eq!(dropped.load(SeqCst), 10);
    for j in joins {
        assert!(futures::executor::block_on(j).unwrap_err().is_cancelled());
    }
}

fn wake_and_spawn_from_drop_during_shutdown(rt: Runtime) {
    // Task A's drop wakes task B and spawns a new task; neither may crash or
    // deadlock, and the spawned task is cancelled.
    let slot = Arc::new(Mutex::new(None::<Waker>));
    let spawned = Arc::new(Mutex::new(None));
    let _b = rt.spawn(park_forever(slot.clone()));
    rt.block_on(eventually("B's first poll", || {
        slot.lock().unwrap().is_some()
    }));
    let (s, sp) = (slot.clone(), spawned.clone());
    let g = OnDrop(move || {
        if let Some(w) = s.lock().unwrap().take() {
            w.wake_by_ref();
            // From another thread too, while the runtime shuts down.
            std::thread::spawn(move || w.wake()).join().unwrap();
        }
        *sp.lock().unwrap() = Some(guillotine::spawn(async { 1 }));
    });
    let _a = rt.spawn(async move {
        let _g = g;
        std::future::pending::<()>().await
    });
    rt.block_on(task::yield_now());
    drop(rt);
    let h = spawned
        .lock()
        .unwrap()
        .take()
        .expect("drop ran inside the context");
    assert!(futures::executor::block_on(h).unwrap_err().is_cancelled());
}

fn strong_counts_return_after_shutdown(rt: Runtime) {
    let shared = Arc::new(());
    for _ in 0..50 {
        let s = shared.clone();
        drop(rt.spawn(async move {
            let _s = s;
            std::future::pending::<()>().await
        }));
    }
    rt.block_on(task::yield_now());
    assert_eq!(Arc::strong_count(&shared), 51);
    drop(rt);
    assert_eq!(Arc::strong_count(&shared), 1);
}
