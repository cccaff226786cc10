//! `RuntimeMetrics` and the thread start/stop hooks.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use guillotine::runtime::Builder;

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
    assert_eq!(metrics.global_queue_depth(), 1);
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

#[test]
fn worker_index_out_of_range_panics() {
    let rt = support::rt();
    let metrics = rt.metrics();
    let err = std::panic::catch_unwind(|| metrics.worker_park_count(1)).unwrap_err();
    let msg = err.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(msg.contains("out of range"), "{msg}");
}

#[test]
fn thread_hooks_run_on_every_blocking_thread() {
    let started = Arc::new(AtomicUsize::new(0));
    let stopped = Arc::new(AtomicUsize::new(0));
    let (s, t) = (started.clone(), stopped.clone());
    let rt = Builder::new()
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
    assert_eq!(started.load(SeqCst), 3);
    drop(rt);
    assert_eq!(stopped.load(SeqCst), 3, "shutdown waits for the stop hooks");
}

#[test]
fn panicking_thread_hooks_do_not_break_the_pool() {
    let rt = Builder::new()
        .on_thread_start(|| panic!("start hook"))
        .on_thread_stop(|| panic!("stop hook"))
        .build()
        .unwrap();
    assert_eq!(rt.block_on(rt.spawn_blocking(|| 5)).unwrap(), 5);
    rt.shutdown_timeout(Duration::from_secs(10));
}
