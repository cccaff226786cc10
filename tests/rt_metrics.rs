//! `RuntimeMetrics` and the thread start/stop hooks. On both runtime
//! flavors, except what holds for the current-thread runtime's single
//! worker, the `block_on` thread.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use guillotine::runtime::{Builder, Runtime};
use support::{Flavor, WORKERS, both_flavors, eventually, wait_until};

both_flavors! {
    alive_tasks_count_at_once_until_shutdown,
    busy_time_counts_polls_not_sleeps,
    worker_index_out_of_range_panics,
    thread_hooks_run_on_every_blocking_thread,
    panicking_thread_hooks_do_not_break_the_pool,
}

/// Current-thread only: one worker (whichever thread drives), and the
/// tasks spawned while no thread drives the runtime wait in the global
/// queue, from this thread or another, until `block_on` runs them (as in
/// tokio: nobody holds the core's local queue then).
#[test]
fn alive_tasks_and_the_global_queue() {
    let rt = support::rt();
    let metrics = rt.metrics();
    assert_eq!(metrics.num_workers(), 1);
    assert_eq!(metrics.num_alive_tasks(), 0);
    let a = rt.spawn(std::future::pending::<()>());
    let b = rt.spawn(async { 2 });
    assert_eq!(metrics.num_alive_tasks(), 2);
    let handle = rt.handle();
    let c = std::thread::spawn(move || handle.spawn(std::future::pending::<()>()))
        .join()
        .unwrap();
    assert_eq!(
        metrics.num_alive_tasks(),
        3,
        "a remote spawn counts at once"
    );
    assert_eq!(metrics.global_queue_depth(), 3);
    assert_eq!(rt.block_on(b).unwrap(), 2);
    assert_eq!(metrics.global_queue_depth(), 0);
    assert_eq!(metrics.num_alive_tasks(), 2);
    a.abort();
    assert!(rt.block_on(a).unwrap_err().is_cancelled());
    assert_eq!(metrics.num_alive_tasks(), 1);
    drop(rt);
    assert_eq!(metrics.num_alive_tasks(), 0, "shutdown drops the rest");
    assert!(
        futures_lite::future::block_on(c)
            .unwrap_err()
            .is_cancelled()
    );
}

/// Spawns count at once, also remote ones; finished tasks leave the count
/// (multi-thread: just after their handles resolve, see task_spawn's
/// num_tasks_is_zero_once_the_handle_resolved); shutdown drops the rest.
fn alive_tasks_count_at_once_until_shutdown(rt: Runtime) {
    let metrics = rt.metrics();
    assert_eq!(metrics.num_alive_tasks(), 0);
    let (tx, rx) = futures::channel::oneshot::channel();
    let a = rt.spawn(std::future::pending::<()>());
    let b = rt.spawn(async { rx.await.unwrap() });
    assert_eq!(metrics.num_alive_tasks(), 2);
    let handle = rt.handle();
    let c = std::thread::spawn(move || handle.spawn(std::future::pending::<()>()))
        .join()
        .unwrap();
    assert_eq!(
        metrics.num_alive_tasks(),
        3,
        "a remote spawn counts at once"
    );
    tx.send(2).unwrap();
    assert_eq!(rt.block_on(b).unwrap(), 2);
    rt.block_on(eventually("b to leave the count", || {
        metrics.num_alive_tasks() == 2
    }));
    a.abort();
    assert!(rt.block_on(a).unwrap_err().is_cancelled());
    rt.block_on(eventually("a to leave the count", || {
        metrics.num_alive_tasks() == 1
    }));
    assert_eq!(metrics.global_queue_depth(), 0);
    drop(rt);
    assert_eq!(metrics.num_alive_tasks(), 0, "shutdown drops the rest");
    assert!(
        futures_lite::future::block_on(c)
            .unwrap_err()
            .is_cancelled()
    );
}

/// Current-thread only: worker 0 is the `block_on` thread, which has not
/// parked before its first `block_on` and whose busy time counts the
/// `block_on` future's polls.
#[test]
fn parks_and_busy_time() {
    let rt = support::rt();
    let metrics = rt.handle().metrics();
    assert_eq!(metrics.worker_park_count(0), 0);
    rt.block_on(async {
        let start = Instant::now();
        while start.elapsed() < Duration::from_millis(20) {
            std::hint::spin_loop();
        }
    });
    let busy = metrics.worker_total_busy_duration(0);
    assert!(busy >= Duration::from_millis(20), "{busy:?}");
    rt.block_on(async { guillotine::time::sleep(Duration::from_millis(300)).await });
    assert!(metrics.worker_park_count(0) >= 1);
    assert_eq!(metrics.worker_park_unpark_count(0) % 2, 0, "awake again");
    let slept_busy = metrics.worker_total_busy_duration(0) - busy;
    assert!(
        slept_busy < Duration::from_millis(200),
        "a 300 ms sleep counted {slept_busy:?} as busy"
    );
    // Between `block_on` calls the runtime is not busy either.
    std::thread::sleep(Duration::from_millis(100));
    rt.block_on(async {});
    assert!(metrics.worker_total_busy_duration(0) - busy < Duration::from_millis(200));
}

/// Summed over the workers: a task's polls count as busy time, a sleep
/// does not, and the workers park while idle.
fn busy_time_counts_polls_not_sleeps(rt: Runtime) {
    let metrics = rt.handle().metrics();
    let workers = 0..metrics.num_workers();
    let busy = || {
        workers
            .clone()
            .map(|i| metrics.worker_total_busy_duration(i))
            .sum::<Duration>()
    };
    let parks = || {
        workers
            .clone()
            .map(|i| metrics.worker_park_count(i))
            .sum::<u64>()
    };
    let before = busy();
    rt.block_on(rt.spawn(async {
        let start = Instant::now();
        while start.elapsed() < Duration::from_millis(20) {
            std::hint::spin_loop();
        }
    }))
    .unwrap();
    // A worker adds its busy time when it parks (or its `block_on` ends):
    // on the multi-thread runtime maybe only after the handle resolved.
    wait_until("the spin counted as busy", || {
        busy() - before >= Duration::from_millis(20)
    });
    let parked = parks();
    let before = busy();
    rt.block_on(rt.spawn(async {
        guillotine::time::sleep(Duration::from_millis(300)).await;
    }))
    .unwrap();
    assert!(parks() > parked, "no worker parked during the sleep");
    let slept_busy = busy() - before;
    assert!(
        slept_busy < Duration::from_millis(200),
        "a 300 ms sleep counted {slept_busy:?} as busy"
    );
}

fn worker_index_out_of_range_panics(rt: Runtime) {
    let metrics = rt.metrics();
    let n = metrics.num_workers();
    let err = std::panic::catch_unwind(|| metrics.worker_park_count(n)).unwrap_err();
    let msg = err.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(msg.contains("out of range"), "{msg}");
}

/// (And on the multi-thread runtime's workers.)
fn thread_hooks_run_on_every_blocking_thread(flavor: Flavor) {
    let workers = if flavor.is_multi_thread() { WORKERS } else { 0 };
    let started = Arc::new(AtomicUsize::new(0));
    let stopped = Arc::new(AtomicUsize::new(0));
    let (s, t) = (started.clone(), stopped.clone());
    let rt = flavor
        .builder()
        .on_thread_start(move || {
            s.fetch_add(1, SeqCst);
        })
        .on_thread_stop(move || {
            t.fetch_add(1, SeqCst);
        })
        .build()
        .unwrap();
    // Three jobs that wait for each other need three threads.
    let barrier = Arc::new(Barrier::new(3));
    let jobs: Vec<_> = (0..3)
        .map(|_| {
            let b = barrier.clone();
            rt.spawn_blocking(move || {
                b.wait();
            })
        })
        .collect();
    for job in jobs {
        rt.block_on(job).unwrap();
    }
    // The workers start on their own schedule.
    wait_until("the start hooks", || started.load(SeqCst) >= 3 + workers);
    assert_eq!(started.load(SeqCst), 3 + workers);
    drop(rt);
    assert_eq!(
        stopped.load(SeqCst),
        3 + workers,
        "shutdown waits for the stop hooks"
    );
}

fn panicking_thread_hooks_do_not_break_the_pool(mut builder: Builder) {
    let rt = builder
        .on_thread_start(|| panic!("start hook"))
        .on_thread_stop(|| panic!("stop hook"))
        .build()
        .unwrap();
    assert_eq!(rt.block_on(rt.spawn_blocking(|| 5)).unwrap(), 5);
    assert_eq!(rt.block_on(rt.spawn(async { 6 })).unwrap(), 6);
    rt.shutdown_timeout(Duration::from_secs(10));
}
