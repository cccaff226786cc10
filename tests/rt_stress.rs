//! 100,000 tasks on 8 workers (on however few CPUs): they spawn, wake each
//! other across workers, get aborted and panic. Every future and every
//! output is dropped exactly once, and every `JoinHandle` resolves.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

use futures::channel::oneshot;
use guillotine::runtime::Builder;

#[derive(Default)]
struct Counts {
    futures: AtomicUsize,
    futures_dropped: AtomicUsize,
    outputs: AtomicUsize,
    outputs_dropped: AtomicUsize,
    /// Detached tasks that made their output (the rest were cancelled at
    /// shutdown).
    detached_done: AtomicUsize,
}

/// Held by every task's future: counts its drop.
struct FutureToken(Arc<Counts>);

impl FutureToken {
    fn new(c: &Arc<Counts>) -> FutureToken {
        c.futures.fetch_add(1, SeqCst);
        FutureToken(c.clone())
    }
}

impl Drop for FutureToken {
    fn drop(&mut self) {
        self.0.futures_dropped.fetch_add(1, SeqCst);
    }
}

/// Every task's output: counts its drop.
struct Output(Arc<Counts>, usize);

impl Output {
    fn new(c: &Arc<Counts>, n: usize) -> Output {
        c.outputs.fetch_add(1, SeqCst);
        Output(c.clone(), n)
    }
}

impl Drop for Output {
    fn drop(&mut self) {
        self.0.outputs_dropped.fetch_add(1, SeqCst);
    }
}

/// 100 groups, divided by `STRESS_DIVISOR` if set (scripts/valgrind.sh
/// runs fewer, where each step costs ~100 times more).
fn groups() -> usize {
    let divisor = std::env::var("STRESS_DIVISOR")
        .ok()
        .and_then(|d| d.parse().ok());
    (100 / divisor.unwrap_or(1).max(1)).max(1)
}
const PER_GROUP: usize = 1_000;
const PANIC: &str = "stress-test panic";

/// One group: 1,000 tasks of five kinds, joined by the group's task.
async fn group(c: Arc<Counts>, g: usize) -> usize {
    let mut handles = Vec::with_capacity(PER_GROUP);
    let mut aborts = Vec::new();
    for i in 0..PER_GROUP {
        let token = FutureToken::new(&c);
        let c2 = c.clone();
        let n = g * PER_GROUP + i;
        let handle = match i % 5 {
            0 => guillotine::spawn(async move {
                let _t = token;
                Output::new(&c2, n)
            }),
            1 => {
                let (tx2, rx2) = oneshot::channel::<usize>();
                // Woken by a task it spawns, which runs on whichever worker
                // steals it.
                guillotine::spawn(async move {
                    let _t = token;
                    drop(guillotine::spawn(async move {
                        guillotine::task::yield_now().await;
                        let _ = tx2.send(n);
                    }));
                    let got = rx2.await.unwrap();
                    Output::new(&c2, got)
                })
            }
            2 => guillotine::spawn(async move {
                let _t = token;
                guillotine::task::yield_now().await;
                if n < usize::MAX {
                    std::panic::panic_any(PANIC);
                }
                Output::new(&c2, n)
            }),
            3 => {
                let h = guillotine::spawn(async move {
                    let _t = token;
                    std::future::pending::<()>().await;
                    Output::new(&c2, n)
                });
                aborts.push(h.abort_handle());
                h
            }
            _ => {
                // Detached: its output is dropped by the runtime.
                drop(guillotine::spawn(async move {
                    let _t = token;
                    for _ in 0..3 {
                        guillotine::task::yield_now().await;
                    }
                    c2.detached_done.fetch_add(1, SeqCst);
                    Output::new(&c2, n)
                }));
                continue;
            }
        };
        handles.push((i % 5, n, handle));
    }
    for a in aborts {
        a.abort();
    }
    let mut resolved = 0;
    for (kind, n, h) in handles {
        match (kind, h.await) {
            (0 | 1, Ok(out)) => assert_eq!(out.1, n),
            (2, Err(e)) => {
                assert!(e.is_panic());
                assert_eq!(*e.into_panic().downcast::<&str>().unwrap(), PANIC);
            }
            (3, Err(e)) => assert!(e.is_cancelled()),
            (kind, other) => panic!("task {n} of kind {kind}: {:?}", other.map(|o| o.1)),
        }
        resolved += 1;
    }
    resolved
}

#[test]
fn a_hundred_thousand_tasks_on_eight_workers() {
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if info.payload().downcast_ref::<&str>() != Some(&PANIC) {
            default_hook(info);
        }
    }));
    let groups_n = groups();
    let counts = Arc::new(Counts::default());
    let rt = Builder::new_multi_thread()
        .worker_threads(8)
        .build()
        .unwrap();
    let c = counts.clone();
    let resolved = rt.block_on(async move {
        let groups: Vec<_> = (0..groups_n)
            .map(|g| guillotine::spawn(group(c.clone(), g)))
            .collect();
        let mut resolved = 0;
        for g in groups {
            resolved += g.await.unwrap();
        }
        resolved
    });
    // Kind 4 is detached: 4 of every 5 tasks have a handle.
    assert_eq!(resolved, groups_n * PER_GROUP * 4 / 5);
    drop(rt);
    let c = &counts;
    assert_eq!(c.futures.load(SeqCst), groups_n * PER_GROUP);
    assert_eq!(c.futures_dropped.load(SeqCst), groups_n * PER_GROUP);
    assert_eq!(c.outputs.load(SeqCst), c.outputs_dropped.load(SeqCst));
    // Kinds 0 and 1 produce an output, and kind 4 unless cancelled by the
    // shutdown.
    let detached = c.detached_done.load(SeqCst);
    assert_eq!(
        c.outputs.load(SeqCst),
        groups_n * PER_GROUP * 2 / 5 + detached
    );
}
