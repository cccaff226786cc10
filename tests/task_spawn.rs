//! Spawning: many tasks, detached tasks, `spawn_local`, `Handle::spawn`,
//! tasks living between `block_on` calls, and yielding tasks interleaving.
//! On both runtime flavors.

mod support;

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

use guillotine::runtime::{Handle, Runtime};
use guillotine::task;
use support::{Flavor, both_flavors, eventually};

both_flavors! {
    ten_thousand_tasks_sum,
    num_tasks_is_zero_once_the_handle_resolved,
    detached_task_finishes,
    spawned_outside_block_on_completes,
    spawn_local_with_rc,
    yielding_tasks_interleave,
    handle_spawn_from_another_thread,
    handle_current_spawns_locally,
    join_handle_awaited_from_other_thread_and_runtime,
    is_finished_tracks_completion,
    output_of_detached_task_is_dropped,
}

fn ten_thousand_tasks_sum(rt: Runtime) {
    let sum = rt.block_on(async {
        let handles: Vec<_> = (0..10_000u64)
            .map(|i| guillotine::spawn(async move { i }))
            .collect();
        let mut sum = 0;
        for h in handles {
            sum += h.await.unwrap();
        }
        sum
    });
    assert_eq!(sum, (0..10_000u64).sum::<u64>());
    // Multi-thread: a task leaves the count just after its handle resolves
    // (num_tasks_is_zero_once_the_handle_resolved).
    rt.block_on(eventually("num_tasks 0", || rt.num_tasks() == 0));
}

/// Once a task's handle has resolved, the task no longer counts in
/// `num_tasks` (nor `num_alive_tasks`).
fn num_tasks_is_zero_once_the_handle_resolved(flavor: Flavor) {
    let rt = flavor.rt();
    // Current-thread: at once (the task left before `block_on` polled its
    // handle again). Multi-thread: a task leaves the count just after it
    // completes, on its worker, as in tokio: a moment after its handle may
    // have resolved on `block_on`'s thread.
    let settled = |what: &str| {
        if flavor.is_multi_thread() {
            rt.block_on(eventually(what, || rt.num_tasks() == 0));
        }
        assert_eq!(rt.num_tasks(), 0, "{what}");
        assert_eq!(rt.metrics().num_alive_tasks(), 0, "{what}");
    };
    for i in 0..2000u32 {
        let h = rt.spawn(async move { i });
        assert_eq!(rt.block_on(h).unwrap(), i);
        settled(&format!("after task {i} completed"));
        let h = rt.spawn(std::future::pending::<()>());
        h.abort();
        assert!(rt.block_on(h).unwrap_err().is_cancelled());
        settled(&format!("after task {i} was cancelled"));
    }
}

fn detached_task_finishes(rt: Runtime) {
    let (tx, rx) = futures::channel::oneshot::channel();
    rt.block_on(async move {
        drop(guillotine::spawn(async move {
            task::yield_now().await;
            tx.send(7).unwrap();
        }));
        assert_eq!(rx.await.unwrap(), 7);
    });
}

/// Current-thread only: tasks run only inside `block_on` (the multi-thread
/// counterpart, that they run without it, is in rt_multi.rs).
#[test]
fn tasks_live_between_block_on_calls() {
    let rt = Runtime::new().unwrap();
    let counter = Arc::new(AtomicUsize::new(0));
    let c = counter.clone();
    let handle = rt.spawn(async move {
        c.fetch_add(1, SeqCst);
        5
    });
    assert_eq!(counter.load(SeqCst), 0, "runs only inside block_on");
    assert_eq!(rt.block_on(handle).unwrap(), 5);
    assert_eq!(counter.load(SeqCst), 1);
}

/// A task spawned outside `block_on` completes (on the current-thread
/// runtime during the `block_on` that awaits it).
fn spawned_outside_block_on_completes(rt: Runtime) {
    let counter = Arc::new(AtomicUsize::new(0));
    let c = counter.clone();
    let handle = rt.spawn(async move {
        c.fetch_add(1, SeqCst);
        5
    });
    assert_eq!(rt.block_on(handle).unwrap(), 5);
    assert_eq!(counter.load(SeqCst), 1);
}

/// `spawn_local` in `block_on` runs on the calling thread on both flavors,
/// so `!Send` state works and the local tasks keep FIFO order.
fn spawn_local_with_rc(rt: Runtime) {
    let log = Rc::new(RefCell::new(Vec::new()));
    let l = log.clone();
    rt.block_on(async move {
        let a = task::spawn_local({
            let l = l.clone();
            async move {
                l.borrow_mut().push(1);
                task::yield_now().await;
                l.borrow_mut().push(3);
                Rc::new(10)
            }
        });
        let b = task::spawn_local({
            let l = l.clone();
            async move { l.borrow_mut().push(2) }
        });
        let rc = a.await.unwrap();
        b.await.unwrap();
        assert_eq!(*rc, 10);
    });
    assert_eq!(*log.borrow(), vec![1, 2, 3]);
    assert_eq!(Rc::strong_count(&log), 1);
}

fn yielding_tasks_interleave(rt: Runtime) {
    let log = Rc::new(RefCell::new(Vec::new()));
    rt.block_on(async {
        let mk = |id: u32| {
            let log = log.clone();
            task::spawn_local(async move {
                for i in 0..3 {
                    log.borrow_mut().push((id, i));
                    task::yield_now().await;
                }
            })
        };
        let (a, b) = (mk(0), mk(1));
        a.await.unwrap();
        b.await.unwrap();
    });
    assert_eq!(
        *log.borrow(),
        vec![(0, 0), (1, 0), (0, 1), (1, 1), (0, 2), (1, 2)]
    );
}

fn handle_spawn_from_another_thread(rt: Runtime) {
    let handle = rt.handle();
    let (tx, rx) = futures::channel::oneshot::channel();
    let thread = std::thread::spawn(move || {
        let joins: Vec<_> = (0..100u32)
            .map(|i| handle.spawn(async move { i * 2 }))
            .collect();
        tx.send(joins).unwrap();
    });
    let total = rt.block_on(async move {
        let mut total = 0;
        for j in rx.await.unwrap() {
            total += j.await.unwrap();
        }
        total
    });
    thread.join().unwrap();
    assert_eq!(total, (0..100u32).map(|i| i * 2).sum::<u32>());
}

fn handle_current_spawns_locally(rt: Runtime) {
    let v = rt.block_on(async {
        let h = Handle::current();
        let inner = h.clone();
        h.spawn(async move { inner.spawn(async { 3 }).await.unwrap() + 1 })
            .await
            .unwrap()
    });
    assert_eq!(v, 4);
}

fn join_handle_awaited_from_other_thread_and_runtime(flavor: Flavor) {
    let rt = flavor.rt();
    let (tx, rx) = futures::channel::oneshot::channel::<()>();
    let handle = rt.spawn(async move {
        rx.await.unwrap();
        "done"
    });
    // Another thread awaits the handle with a foreign executor, while the
    // runtime runs the task.
    let waiter = std::thread::spawn(move || futures::executor::block_on(handle).unwrap());
    rt.block_on(async move {
        tx.send(()).unwrap();
        task::yield_now().await;
    });
    // The task may need one more tick if the waiter registered late.
    rt.block_on(task::yield_now());
    assert_eq!(waiter.join().unwrap(), "done");

    // Awaited from a task of a second runtime.
    let other = flavor.rt();
    let h = rt.spawn(async { 11 });
    let joined = other.spawn(async move { h.await.unwrap() });
    rt.block_on(task::yield_now());
    assert_eq!(other.block_on(joined).unwrap(), 11);
}

fn is_finished_tracks_completion(rt: Runtime) {
    rt.block_on(async {
        let (tx, rx) = futures::channel::oneshot::channel::<()>();
        let h = guillotine::spawn(async move { rx.await.is_ok() });
        task::yield_now().await;
        assert!(!h.is_finished());
        tx.send(()).unwrap();
        // Current-thread: after two yields; multi-thread: once a worker
        // has run it.
        eventually("is_finished", || h.is_finished()).await;
        assert!(h.await.unwrap());
    });
}

fn output_of_detached_task_is_dropped(rt: Runtime) {
    struct Flag(Arc<AtomicUsize>);
    impl Drop for Flag {
        fn drop(&mut self) {
            self.0.fetch_add(1, SeqCst);
        }
    }
    let drops = Arc::new(AtomicUsize::new(0));
    let d = drops.clone();
    let h = rt.spawn(async move { Flag(d) });
    drop(h);
    rt.block_on(eventually("the output's drop", || drops.load(SeqCst) > 0));
    rt.block_on(task::yield_now());
    assert_eq!(
        drops.load(SeqCst),
        1,
        "output dropped once, when the task finished"
    );

    // Handle dropped after completion, output never read.
    let d = drops.clone();
    let h = rt.spawn(async move { Flag(d) });
    rt.block_on(eventually("is_finished", || h.is_finished()));
    assert_eq!(drops.load(SeqCst), 1);
    drop(h);
    assert_eq!(drops.load(SeqCst), 2);
}
