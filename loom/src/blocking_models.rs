//! The blocking pool's spawns racing its shutdown.
//!
//! `src/runtime/blocking.rs` cannot be compiled here as it is: it starts
//! OS threads, runs tasks and waits with timeouts on std's locks. Its
//! bookkeeping can: every decision (queue or refuse a job, start a thread
//! or wake an idle one, leave the loop, which jobs a shutdown cancels,
//! whether it must still wait) is a transition of `PoolState`
//! (`src/runtime/blocking/state.rs`), compiled here as it is. This file
//! drives those transitions with the pool's choreography, step for step
//! as `BlockingPool::push`, `work` and `shutdown` do: one mutex over the
//! state, a condition variable for jobs and one for exits, threads started
//! for jobs (loom's). Two things are left out: keep-alive timeouts (loom's
//! `wait_timeout` never times out, so threads leave only at shutdown) and
//! failures to start a thread.
//!
//! Whatever the interleaving: every job runs or is cancelled, exactly
//! once; a job that a thread was started or woken for runs (tokio's
//! rule: only jobs waiting beyond the cap are cancelled); a job pushed
//! after the shutdown is refused; and the shutdown returns only once every
//! thread has run its last job and finished its stop hook (loom reports a
//! deadlock if it waits for a thread that never comes).

use loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use loom::sync::{Arc, Condvar, Mutex};
use loom::thread::{self, JoinHandle};

use crate::blocking_state::{Idle, PoolState, Push};

/// A pool whose jobs are numbers.
struct Pool {
    state: Mutex<PoolState<u32>>,
    job_ready: Condvar,
    worker_exited: Condvar,
    max_threads: usize,
    /// Jobs run, and jobs cancelled (refused ones included).
    ran: Mutex<Vec<u32>>,
    cancelled: Mutex<Vec<u32>>,
    /// Pushes that started or woke a thread.
    claims: AtomicUsize,
    /// Jobs running, and threads in their stop hook, right now.
    running: AtomicUsize,
    stopping: AtomicUsize,
    threads: Mutex<Vec<JoinHandle<()>>>,
}

impl Pool {
    fn new(max_threads: usize) -> Arc<Pool> {
        Arc::new(Pool {
            state: Mutex::new(PoolState::default()),
            job_ready: Condvar::new(),
            worker_exited: Condvar::new(),
            max_threads,
            ran: Mutex::new(Vec::new()),
            cancelled: Mutex::new(Vec::new()),
            claims: AtomicUsize::new(0),
            running: AtomicUsize::new(0),
            stopping: AtomicUsize::new(0),
            threads: Mutex::new(Vec::new()),
        })
    }

    /// `BlockingPool::push` (loom's `Arc` is no `self` type).
    fn push(pool: &Arc<Pool>, job: u32) {
        let push = pool.state.lock().unwrap().push(job, pool.max_threads);
        match push {
            Push::Refused(job) => pool.cancelled.lock().unwrap().push(job),
            Push::NotifyIdle => {
                pool.claims.fetch_add(1, SeqCst);
                pool.job_ready.notify_one();
            }
            Push::Queued => {}
            Push::StartThread => {
                pool.claims.fetch_add(1, SeqCst);
                let started = pool.clone();
                let thread = thread::spawn(move || started.work());
                pool.threads.lock().unwrap().push(thread);
            }
        }
    }

    /// `BlockingPool::work`, a pool thread's loop.
    fn work(&self) {
        let mut st = self.state.lock().unwrap();
        st.thread_started();
        loop {
            while let Some(job) = st.next_job() {
                drop(st);
                self.running.fetch_add(1, SeqCst);
                self.ran.lock().unwrap().push(job);
                self.running.fetch_sub(1, SeqCst);
                st = self.state.lock().unwrap();
            }
            if st.idle() == Idle::Exit {
                break;
            }
            st = self.job_ready.wait(st).unwrap();
            if st.woke(false) {
                break;
            }
        }
        st.leave();
        drop(st);
        // The stop hook.
        self.stopping.fetch_add(1, SeqCst);
        self.stopping.fetch_sub(1, SeqCst);
        self.state.lock().unwrap().exited();
        self.worker_exited.notify_all();
    }

    /// `BlockingPool::shutdown` without a deadline.
    fn shutdown(&self) {
        let queued = self.state.lock().unwrap().shut_down();
        self.job_ready.notify_all();
        self.cancelled.lock().unwrap().extend(queued);
        let mut st = self.state.lock().unwrap();
        while st.has_threads() {
            st = self.worker_exited.wait(st).unwrap();
        }
    }
}

/// Another thread pushes `jobs` jobs while the pool (of at most
/// `max_threads` threads) shuts down.
fn spawns_racing_shutdown(max_threads: usize, jobs: u32) {
    let pool = Pool::new(max_threads);
    let spawner = {
        let pool = pool.clone();
        thread::spawn(move || (1..=jobs).for_each(|job| Pool::push(&pool, job)))
    };
    pool.shutdown();
    assert_eq!(pool.running.load(SeqCst), 0, "a job still running");
    assert_eq!(pool.stopping.load(SeqCst), 0, "a stop hook still running");
    spawner.join().unwrap();
    // Threads the spawner started before the shutdown's end are done;
    // none starts after it.
    let threads = std::mem::take(&mut *pool.threads.lock().unwrap());
    threads.into_iter().for_each(|t| t.join().unwrap());

    let ran = pool.ran.lock().unwrap().clone();
    let mut all = ran.clone();
    all.extend(pool.cancelled.lock().unwrap().iter());
    all.sort_unstable();
    assert_eq!(
        all,
        (1..=jobs).collect::<Vec<_>>(),
        "a job lost or done twice"
    );
    assert!(
        ran.len() >= pool.claims.load(SeqCst),
        "a job a thread was started or woken for was cancelled"
    );
    assert!(
        !pool.state.lock().unwrap().has_threads(),
        "the shutdown returned with threads left"
    );
}

/// Runs `f` under every interleaving with at most `preemptions` of them.
fn model(preemptions: usize, f: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(preemptions);
    builder.check(f);
}

/// One thread at most: the second job waits for the busy one (or is
/// handed to it while it is idle), and the shutdown cancels it only if
/// no thread was claimed for it.
#[test]
fn loom_blocking_spawns_racing_shutdown_at_the_cap() {
    model(8, || spawns_racing_shutdown(1, 2));
}

/// Room for both jobs: each push starts a thread (or wakes an idle one),
/// so both run unless refused after the shutdown.
#[test]
fn loom_blocking_spawns_racing_shutdown_below_the_cap() {
    model(3, || spawns_racing_shutdown(2, 2));
}
