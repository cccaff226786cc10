//! Cross-thread races on real threads (the loom models check the same state
//! machine exhaustively in miniature): handles dropped, aborts and wakes
//! from another thread while the runtime completes and polls the tasks.
//! Every output and every future is dropped exactly once. On both runtime
//! flavors; the multi-thread one with more workers than CPUs, for more
//! preemption between the racing threads.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

use guillotine::runtime::{Builder, Runtime};
use guillotine::task;
use support::{both_flavors, eventually};

both_flavors! {
    join_handles_dropped_on_another_thread_while_tasks_complete,
    aborts_from_another_thread_race_completion,
    wakes_from_another_thread_race_polls,
}

/// `builder`'s runtime, with 4 workers if multi-thread.
fn rt(mut builder: Builder) -> Runtime {
    builder.worker_threads(4).build().unwrap()
}

/// Counts its drops.
struct Counted(Arc<AtomicUsize>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

const N: usize = 2000;

fn join_handles_dropped_on_another_thread_while_tasks_complete(builder: Builder) {
    let rt = rt(builder);
    let outputs = Arc::new(AtomicUsize::new(0));
    let handles: Vec<_> = (0..N)
        .map(|_| {
            let o = outputs.clone();
            rt.spawn(async move {
                task::yield_now().await;
                Counted(o)
            })
        })
        .collect();
    let dropper = std::thread::spawn(move || drop(handles));
    rt.block_on(async {
        // Keep running until every task is done and the handles are gone.
        while !dropper.is_finished() || rt.num_tasks() > 0 {
            task::yield_now().await;
        }
        dropper.join().unwrap();
    });
    assert_eq!(outputs.load(SeqCst), N);
}

fn aborts_from_another_thread_race_completion(builder: Builder) {
    let rt = rt(builder);
    let futures_dropped = Arc::new(AtomicUsize::new(0));
    let outputs = Arc::new(AtomicUsize::new(0));
    let handles: Vec<_> = (0..N)
        .map(|i| {
            let (f, o) = (Counted(futures_dropped.clone()), outputs.clone());
            rt.spawn(async move {
                let _f = f;
                for _ in 0..(i % 4) {
                    task::yield_now().await;
                }
                Counted(o)
            })
        })
        .collect();
    let aborts: Vec<_> = handles.iter().map(|h| h.abort_handle()).collect();
    let aborter = std::thread::spawn(move || {
        for a in aborts {
            a.abort();
        }
    });
    let (mut done, mut cancelled) = (0, 0);
    rt.block_on(async {
        for h in handles {
            match h.await {
                Ok(_output) => done += 1,
                Err(e) => {
                    assert!(e.is_cancelled());
                    cancelled += 1;
                }
            }
        }
    });
    aborter.join().unwrap();
    assert_eq!(done + cancelled, N);
    assert_eq!(futures_dropped.load(SeqCst), N, "every future dropped once");
    assert_eq!(outputs.load(SeqCst), done, "every output dropped once");
    // Multi-thread: a task leaves the count just after its handle resolves
    // (task_spawn's num_tasks_is_zero_once_the_handle_resolved).
    rt.block_on(eventually("num_tasks 0", || rt.num_tasks() == 0));
}

fn wakes_from_another_thread_race_polls(builder: Builder) {
    let rt = rt(builder);
    let (tx, rx) = std::sync::mpsc::channel::<std::task::Waker>();
    let polls = Arc::new(AtomicUsize::new(0));
    let p = polls.clone();
    let mut remaining = 5000usize;
    let h = rt.spawn(std::future::poll_fn(move |cx| {
        p.fetch_add(1, SeqCst);
        remaining -= 1;
        if remaining == 0 {
            return std::task::Poll::Ready(());
        }
        tx.send(cx.waker().clone()).unwrap();
        std::task::Poll::Pending
    }));
    let waker_thread = std::thread::spawn(move || {
        // Wake each waker twice: the second wake races the poll the first
        // one caused, and must be absorbed or cause exactly one more poll.
        while let Ok(w) = rx.recv() {
            w.wake_by_ref();
            w.wake();
        }
    });
    rt.block_on(h).unwrap();
    waker_thread.join().unwrap();
    assert_eq!(polls.load(SeqCst), 5000);
}
