//! Aborting tasks: the future is dropped on a runtime thread and the
//! handle yields a cancelled `JoinError`. On both runtime flavors.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};

use guillotine::runtime::Runtime;
use guillotine::task;
use support::{Flavor, both_flavors, eventually, hold_workers, on_runtime_thread};

both_flavors! {
    abort_drops_the_future_and_cancels,
    abort_before_first_poll,
    abort_local_before_first_poll,
    abort_from_another_thread_drops_on_runtime_thread,
    abort_after_completion_keeps_output,
    task_aborting_itself_while_running,
    abort_many_with_clones,
}

/// Records that (and whether on a runtime thread) it was dropped.
struct DropFlag {
    dropped: Arc<AtomicBool>,
    on_runtime: Arc<AtomicBool>,
    flavor: Flavor,
    caller: std::thread::ThreadId,
}

impl Drop for DropFlag {
    fn drop(&mut self) {
        let on_runtime = on_runtime_thread(self.flavor, self.caller);
        self.on_runtime.store(on_runtime, SeqCst);
        self.dropped.store(true, SeqCst);
    }
}

/// A flag whose drop records whether it ran on a thread of the `flavor`
/// runtime driven from this thread; and its two records.
fn flag(flavor: Flavor) -> (DropFlag, Arc<AtomicBool>, Arc<AtomicBool>) {
    let dropped = Arc::new(AtomicBool::new(false));
    let on_runtime = Arc::new(AtomicBool::new(false));
    (
        DropFlag {
            dropped: dropped.clone(),
            on_runtime: on_runtime.clone(),
            flavor,
            caller: std::thread::current().id(),
        },
        dropped,
        on_runtime,
    )
}

fn abort_drops_the_future_and_cancels(flavor: Flavor) {
    let rt = flavor.rt();
    let (f, dropped, on_runtime) = flag(flavor);
    rt.block_on(async move {
        let h = guillotine::spawn(async move {
            let _f = f;
            std::future::pending::<()>().await;
        });
        task::yield_now().await; // let it start and park
        assert!(!dropped.load(SeqCst));
        h.abort();
        let err = h.await.unwrap_err();
        assert!(err.is_cancelled());
        assert!(!err.is_panic());
        assert!(dropped.load(SeqCst));
    });
    assert!(on_runtime.load(SeqCst), "dropped on a runtime thread");
    // Multi-thread: a task leaves the count just after its handle resolves
    // (task_spawn's num_tasks_is_zero_once_the_handle_resolved).
    rt.block_on(eventually("num_tasks 0", || rt.num_tasks() == 0));
}

fn abort_before_first_poll(flavor: Flavor) {
    let rt = flavor.rt();
    // Multi-thread: no worker is free to poll the task before the abort.
    let held = hold_workers(&rt, flavor);
    let polled = Arc::new(AtomicBool::new(false));
    let p = polled.clone();
    let h = rt.spawn(async move { p.store(true, SeqCst) });
    h.abort();
    held.release();
    assert!(rt.block_on(h).unwrap_err().is_cancelled());
    assert!(!polled.load(SeqCst), "an aborted task is never polled");
}

/// The same with a `spawn_local` task of `block_on`, which is not polled
/// before the `block_on` future yields.
fn abort_local_before_first_poll(rt: Runtime) {
    let polled = Arc::new(AtomicBool::new(false));
    let p = polled.clone();
    rt.block_on(async move {
        let h = task::spawn_local(async move { p.store(true, SeqCst) });
        h.abort();
        assert!(h.await.unwrap_err().is_cancelled());
    });
    assert!(!polled.load(SeqCst), "an aborted task is never polled");
}

fn abort_from_another_thread_drops_on_runtime_thread(flavor: Flavor) {
    let rt = flavor.rt();
    let (f, dropped, on_runtime) = flag(flavor);
    let (started_tx, started_rx) = futures::channel::oneshot::channel();
    let h = rt.spawn(async move {
        let _f = f;
        started_tx.send(()).unwrap();
        std::future::pending::<()>().await;
    });
    rt.block_on(started_rx).unwrap();
    // Multi-thread: no worker is free to drop it before the assertion.
    let held = hold_workers(&rt, flavor);
    let abort = h.abort_handle();
    std::thread::spawn(move || abort.abort()).join().unwrap();
    assert!(!dropped.load(SeqCst), "the abort only schedules the drop");
    held.release();
    assert!(rt.block_on(h).unwrap_err().is_cancelled());
    assert!(dropped.load(SeqCst));
    assert!(on_runtime.load(SeqCst), "dropped on a runtime thread");
}

fn abort_after_completion_keeps_output(rt: Runtime) {
    let h = rt.spawn(async { 5 });
    rt.block_on(eventually("is_finished", || h.is_finished()));
    h.abort();
    assert_eq!(rt.block_on(h).unwrap(), 5);
}

fn task_aborting_itself_while_running(rt: Runtime) {
    let (tx, rx) = futures::channel::oneshot::channel::<guillotine::task::AbortHandle>();
    let reached = Arc::new(AtomicBool::new(false));
    let r = reached.clone();
    let h = rt.spawn(async move {
        let me = rx.await.unwrap();
        me.abort();
        // Aborting oneself takes effect at the next yield point.
        task::yield_now().await;
        r.store(true, SeqCst);
    });
    tx.send(h.abort_handle()).unwrap();
    assert!(rt.block_on(h).unwrap_err().is_cancelled());
    assert!(!reached.load(SeqCst));
}

fn abort_many_with_clones(rt: Runtime) {
    let drops = Arc::new(AtomicUsize::new(0));
    struct D(Arc<AtomicUsize>);
    impl Drop for D {
        fn drop(&mut self) {
            self.0.fetch_add(1, SeqCst);
        }
    }
    let handles: Vec<_> = (0..1000)
        .map(|_| {
            let d = D(drops.clone());
            rt.spawn(async move {
                let _d = d;
                std::future::pending::<()>().await
            })
        })
        .collect();
    rt.block_on(task::yield_now());
    let aborts: Vec<_> = handles.iter().map(|h| h.abort_handle()).collect();
    for a in aborts.iter().chain(aborts.iter()) {
        a.clone().abort();
    }
    rt.block_on(async {
        for h in handles {
            assert!(h.await.unwrap_err().is_cancelled());
        }
    });
    assert_eq!(drops.load(SeqCst), 1000);
    assert!(aborts.iter().all(|a| a.is_finished()));
}
