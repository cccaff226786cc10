//! `spawn_blocking` and its pool: another thread, jobs in parallel, the
//! `max_blocking_threads` cap, panics, and a bounded `shutdown_timeout`. On
//! both runtime flavors.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::mpsc;
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use guillotine::runtime::{Builder, Runtime};
use support::both_flavors;

both_flavors! {
    jobs_run_on_another_thread,
    the_event_loop_keeps_running_while_a_job_blocks,
    sixteen_jobs_of_100ms_run_in_parallel,
    max_blocking_threads_caps_concurrency,
    a_panicking_job_is_captured_and_the_pool_goes_on,
    shutdown_timeout_returns_within_its_bound_while_a_job_is_stuck,
    dropping_the_runtime_waits_for_running_jobs,
    builder_options_apply,
}

fn jobs_run_on_another_thread(rt: Runtime) {
    let runtime_thread = thread::current().id();
    let (id, name) = rt.block_on(async {
        guillotine::spawn_blocking(|| {
            let t = thread::current();
            (t.id(), t.name().map(str::to_owned))
        })
        .await
        .unwrap()
    });
    assert_ne!(id, runtime_thread);
    assert_eq!(name.as_deref(), Some("guillotine-blocking"));
}

fn the_event_loop_keeps_running_while_a_job_blocks(rt: Runtime) {
    rt.block_on(async {
        let (release, wait) = mpsc::channel::<()>();
        let job = guillotine::spawn_blocking(move || wait.recv().unwrap());
        // Timers and tasks still run while the job is stuck...
        guillotine::time::sleep(Duration::from_millis(5)).await;
        assert_eq!(guillotine::spawn(async { 1 }).await.unwrap(), 1);
        assert!(!job.is_finished());
        // ...and its completion wakes the runtime.
        release.send(()).unwrap();
        job.await.unwrap();
    });
}

fn sixteen_jobs_of_100ms_run_in_parallel(rt: Runtime) {
    let start = Instant::now();
    rt.block_on(async {
        let jobs: Vec<_> = (0..16)
            .map(|i| {
                guillotine::spawn_blocking(move || {
                    thread::sleep(Duration::from_millis(100));
                    i
                })
            })
            .collect();
        let mut sum = 0;
        for j in jobs {
            sum += j.await.unwrap();
        }
        assert_eq!(sum, (0..16).sum());
    });
    // One after another would be 1.6 s.
    let took = start.elapsed();
    assert!(took < Duration::from_millis(1200), "{took:?}");
}

fn max_blocking_threads_caps_concurrency(mut builder: Builder) {
    let rt = builder.max_blocking_threads(2).build().unwrap();
    let running = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));
    let threads = Arc::new(std::sync::Mutex::new(std::collections::HashSet::new()));
    rt.block_on(async {
        let jobs: Vec<_> = (0..12)
            .map(|_| {
                let (running, most, threads) = (running.clone(), most.clone(), threads.clone());
                guillotine::spawn_blocking(move || {
                    let now = running.fetch_add(1, SeqCst) + 1;
                    most.fetch_max(now, SeqCst);
                    threads.lock().unwrap().insert(thread::current().id());
                    thread::sleep(Duration::from_millis(10));
                    running.fetch_sub(1, SeqCst);
                })
            })
            .collect();
        for j in jobs {
            j.await.unwrap();
        }
    });
    assert!(most.load(SeqCst) <= 2, "{} at once", most.load(SeqCst));
    assert!(threads.lock().unwrap().len() <= 2);
}

fn a_panicking_job_is_captured_and_the_pool_goes_on(rt: Runtime) {
    rt.block_on(async {
        let err = guillotine::spawn_blocking(|| -> u32 { panic!("boom in a job") })
            .await
            .unwrap_err();
        assert!(err.is_panic());
        assert_eq!(
            *err.into_panic().downcast::<&str>().unwrap(),
            "boom in a job"
        );
        assert_eq!(guillotine::spawn_blocking(|| 3).await.unwrap(), 3);
    });
}

fn shutdown_timeout_returns_within_its_bound_while_a_job_is_stuck(rt: Runtime) {
    let (release, wait) = mpsc::channel::<()>();
    let started = Arc::new(Barrier::new(2));
    let s = started.clone();
    let _job = rt.spawn_blocking(move || {
        s.wait();
        wait.recv().unwrap()
    });
    started.wait();
    let start = Instant::now();
    rt.shutdown_timeout(Duration::from_millis(100));
    let took = start.elapsed();
    assert!(
        took >= Duration::from_millis(100),
        "{took:?}: returned before its bound"
    );
    assert!(took < Duration::from_secs(1), "{took:?}");
    // Let the stuck thread finish.
    release.send(()).unwrap();
}

fn dropping_the_runtime_waits_for_running_jobs(rt: Runtime) {
    let done = Arc::new(AtomicUsize::new(0));
    let d = done.clone();
    let started = Arc::new(Barrier::new(2));
    let s = started.clone();
    let _job = rt.spawn_blocking(move || {
        s.wait();
        thread::sleep(Duration::from_millis(20));
        d.fetch_add(1, SeqCst);
    });
    started.wait();
    drop(rt);
    assert_eq!(done.load(SeqCst), 1);
}

fn builder_options_apply(mut builder: Builder) {
    let rt = builder
        .thread_name("crunch")
        .thread_keep_alive(Duration::from_millis(10))
        .max_blocking_threads(1)
        .build()
        .unwrap();
    let handle = rt.handle();
    // From another thread, through a Handle.
    let job = thread::spawn(move || {
        handle.spawn_blocking(|| thread::current().name().map(str::to_owned))
    })
    .join()
    .unwrap();
    assert_eq!(rt.block_on(job).unwrap().as_deref(), Some("crunch"));
    // After the keep-alive the worker is gone; a new job starts another.
    thread::sleep(Duration::from_millis(50));
    assert_eq!(rt.block_on(rt.spawn_blocking(|| 7)).unwrap(), 7);
}
