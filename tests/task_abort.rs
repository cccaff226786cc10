//! Aborting tasks: the future is dropped on the runtime thread and the
//! handle yields a cancelled `JoinError`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::thread::ThreadId;

use guillotine::runtime::Runtime;
use guillotine::task;

/// Records that (and on which thread) it was dropped.
struct DropFlag {
    dropped: Arc<AtomicBool>,
    on: Arc<std::sync::Mutex<Option<ThreadId>>>,
}

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.dropped.store(true, SeqCst);
        *self.on.lock().unwrap() = Some(std::thread::current().id());
    }
}

fn flag() -> (
    DropFlag,
    Arc<AtomicBool>,
    Arc<std::sync::Mutex<Option<ThreadId>>>,
) {
    let dropped = Arc::new(AtomicBool::new(false));
    let on = Arc::new(std::sync::Mutex::new(None));
    (
        DropFlag {
            dropped: dropped.clone(),
            on: on.clone(),
        },
        dropped,
        on,
    )
}

#[test]
fn abort_drops_the_future_and_cancels() {
    let rt = Runtime::new().unwrap();
    let (f, dropped, on) = flag();
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
    assert_eq!(*on.lock().unwrap(), Some(std::thread::current().id()));
    assert_eq!(rt.num_tasks(), 0);
}

#[test]
fn abort_before_first_poll() {
    let rt = Runtime::new().unwrap();
    let polled = Arc::new(AtomicBool::new(false));
    let p = polled.clone();
    let h = rt.spawn(async move { p.store(true, SeqCst) });
    h.abort();
    assert!(rt.block_on(h).unwrap_err().is_cancelled());
    assert!(!polled.load(SeqCst), "an aborted task is never polled");
}

#[test]
fn abort_from_another_thread_drops_on_runtime_thread() {
    let rt = Runtime::new().unwrap();
    let (f, dropped, on) = flag();
    let h = rt.spawn(async move {
        let _f = f;
        std::future::pending::<()>().await;
    });
    rt.block_on(task::yield_now());
    let abort = h.abort_handle();
    std::thread::spawn(move || abort.abort()).join().unwrap();
    assert!(!dropped.load(SeqCst), "the abort only schedules the drop");
    assert!(rt.block_on(h).unwrap_err().is_cancelled());
    assert_eq!(*on.lock().unwrap(), Some(std::thread::current().id()));
}

#[test]
fn abort_after_completion_keeps_output() {
    let rt = Runtime::new().unwrap();
    let h = rt.spawn(async { 5 });
    rt.block_on(task::yield_now());
    assert!(h.is_finished());
    h.abort();
    assert_eq!(rt.block_on(h).unwrap(), 5);
}

#[test]
fn task_aborting_itself_while_running() {
    let rt = Runtime::new().unwrap();
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

#[test]
fn abort_many_with_clones() {
    let rt = Runtime::new().unwrap();
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
