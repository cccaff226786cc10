//! Fairness: a task that yields in a loop starves neither other tasks, nor
//! the `block_on` future, nor wakes from other threads.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};

use guillotine::runtime::Runtime;
use guillotine::task;

async fn spinner(stop: Arc<AtomicBool>, spins: Arc<AtomicUsize>) {
    while !stop.load(SeqCst) {
        spins.fetch_add(1, SeqCst);
        task::yield_now().await;
    }
}

#[test]
fn yielding_task_does_not_starve_others() {
    let rt = Runtime::new().unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let spins = Arc::new(AtomicUsize::new(0));
    let s = rt.spawn(spinner(stop.clone(), spins.clone()));
    rt.block_on(async {
        for i in 0..100u32 {
            assert_eq!(guillotine::spawn(async move { i }).await.unwrap(), i);
        }
    });
    stop.store(true, SeqCst);
    rt.block_on(s).unwrap();
    assert!(spins.load(SeqCst) > 0);
}

#[test]
fn yielding_task_does_not_starve_remote_wakes() {
    let rt = Runtime::new().unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let spins = Arc::new(AtomicUsize::new(0));
    let s = rt.spawn(spinner(stop.clone(), spins.clone()));
    let (tx, rx) = futures::channel::oneshot::channel();
    let h = rt.spawn(async move { rx.await.unwrap() });
    let t = std::thread::spawn(move || tx.send(8u8).unwrap());
    assert_eq!(rt.block_on(h).unwrap(), 8);
    t.join().unwrap();
    stop.store(true, SeqCst);
    rt.block_on(s).unwrap();
}

#[test]
fn main_future_yielding_does_not_starve_tasks() {
    let rt = Runtime::new().unwrap();
    let done = Arc::new(AtomicBool::new(false));
    let d = done.clone();
    let _h = rt.spawn(async move { d.store(true, SeqCst) });
    rt.block_on(async {
        while !done.load(SeqCst) {
            task::yield_now().await;
        }
    });
}

#[test]
fn event_interval_one_still_runs_everything() {
    let rt = Runtime::builder().event_interval(1).build().unwrap();
    let sum = rt.block_on(async {
        let hs: Vec<_> = (0..1000u64)
            .map(|i| guillotine::spawn(async move { i }))
            .collect();
        let mut s = 0;
        for h in hs {
            s += h.await.unwrap();
        }
        s
    });
    assert_eq!(sum, 499_500);
}
