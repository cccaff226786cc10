//! Fairness: a task that yields in a loop starves neither other tasks, nor
//! the `block_on` future, nor wakes from other threads. On both runtime
//! flavors, with as many yielding tasks as the multi-thread one has workers.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};

use guillotine::runtime::{Builder, Runtime};
use guillotine::task;
use support::{WORKERS, both_flavors};

both_flavors! {
    yielding_tasks_do_not_starve_others,
    yielding_tasks_do_not_starve_remote_wakes,
    main_future_yielding_does_not_starve_tasks,
    event_interval_one_still_runs_everything,
}

async fn spinner(stop: Arc<AtomicBool>, spins: Arc<AtomicUsize>) {
    while !stop.load(SeqCst) {
        spins.fetch_add(1, SeqCst);
        task::yield_now().await;
    }
}

/// One spinner per worker (multi-thread), so that every worker has one.
fn spinners(
    rt: &Runtime,
    stop: &Arc<AtomicBool>,
    spins: &Arc<AtomicUsize>,
) -> Vec<task::JoinHandle<()>> {
    (0..WORKERS)
        .map(|_| rt.spawn(spinner(stop.clone(), spins.clone())))
        .collect()
}

fn yielding_tasks_do_not_starve_others(rt: Runtime) {
    let stop = Arc::new(AtomicBool::new(false));
    let spins = Arc::new(AtomicUsize::new(0));
    let s = spinners(&rt, &stop, &spins);
    rt.block_on(async {
        for i in 0..100u32 {
            assert_eq!(guillotine::spawn(async move { i }).await.unwrap(), i);
        }
    });
    stop.store(true, SeqCst);
    for s in s {
        rt.block_on(s).unwrap();
    }
    assert!(spins.load(SeqCst) > 0);
}

fn yielding_tasks_do_not_starve_remote_wakes(rt: Runtime) {
    let stop = Arc::new(AtomicBool::new(false));
    let spins = Arc::new(AtomicUsize::new(0));
    let s = spinners(&rt, &stop, &spins);
    let (tx, rx) = futures::channel::oneshot::channel();
    let h = rt.spawn(async move { rx.await.unwrap() });
    let t = std::thread::spawn(move || tx.send(8u8).unwrap());
    assert_eq!(rt.block_on(h).unwrap(), 8);
    t.join().unwrap();
    stop.store(true, SeqCst);
    for s in s {
        rt.block_on(s).unwrap();
    }
}

fn main_future_yielding_does_not_starve_tasks(rt: Runtime) {
    let done = Arc::new(AtomicBool::new(false));
    let d = done.clone();
    let _h = rt.spawn(async move { d.store(true, SeqCst) });
    rt.block_on(async {
        while !done.load(SeqCst) {
            task::yield_now().await;
        }
    });
}

fn event_interval_one_still_runs_everything(mut builder: Builder) {
    let rt = builder.event_interval(1).build().unwrap();
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
