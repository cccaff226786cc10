//! Shutdown: dropping the runtime drops pending futures in its context,
//! cancels their handles, and leaves lingering wakers and handles harmless.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::task::Waker;

use guillotine::runtime::{Handle, Runtime};
use guillotine::task;

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

#[test]
fn drop_runtime_drops_pending_futures_and_cancels_handles() {
    let drops = Arc::new(AtomicUsize::new(0));
    let in_context = Arc::new(AtomicUsize::new(0));
    let rt = Runtime::new().unwrap();
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

#[test]
fn waking_after_runtime_dropped_is_harmless() {
    let slot = Arc::new(Mutex::new(None));
    let rt = Runtime::new().unwrap();
    let h = rt.spawn(park_forever(slot.clone()));
    rt.block_on(task::yield_now());
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

#[test]
fn spawn_through_handle_of_dropped_runtime_is_cancelled() {
    let rt = Runtime::new().unwrap();
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

#[test]
fn remote_spawns_not_yet_run_are_dropped_at_shutdown() {
    let rt = Runtime::new().unwrap();
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

#[test]
fn wake_and_spawn_from_drop_during_shutdown() {
    // Task A's drop wakes task B and spawns a new task; neither may crash or
    // deadlock, and the spawned task is cancelled.
    let slot = Arc::new(Mutex::new(None::<Waker>));
    let spawned = Arc::new(Mutex::new(None));
    let rt = Runtime::new().unwrap();
    let _b = rt.spawn(park_forever(slot.clone()));
    rt.block_on(task::yield_now());
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

#[test]
fn strong_counts_return_after_shutdown() {
    let shared = Arc::new(());
    let rt = Runtime::new().unwrap();
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
