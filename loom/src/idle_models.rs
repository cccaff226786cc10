//! Models of the multi-thread flavor's idle bookkeeping
//! (`src/runtime/scheduler/multi_thread/idle.rs`) with the injection queue.

use loom::sync::Arc;
use loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use loom::thread;

use crate::idle::Idle;
use crate::inject::Inject;

/// Worker 1 sleeps; worker 0, the only searcher, finds nothing and parks,
/// while another thread queues a task. Whatever the interleaving the task
/// is not stranded: worker 0 takes it, or someone is woken for it.
#[test]
fn loom_last_searcher_parks_while_another_thread_injects() {
    loom::model(|| {
        let idle = Arc::new(Idle::new(2));
        let inject = Arc::new(Inject::new());
        // Notified worker + 1 (0: nobody).
        let notified = Arc::new(AtomicUsize::new(0));
        assert!(!idle.park(1, false));
        assert!(idle.try_start_searching());

        let queuer = {
            let (idle, inject, notified) = (idle.clone(), inject.clone(), notified.clone());
            thread::spawn(move || {
                inject.push_woken(7).unwrap();
                if let Some(w) = idle.worker_to_notify() {
                    notified.store(w + 1, SeqCst);
                }
            })
        };

        // Worker 0's search: the injection queue, then parking.
        let mut took = inject.drain(|_, _| ());
        if took == 0 && idle.park(0, true) {
            // The last searcher's last look.
            if !inject.is_empty() {
                if let Some(w) = idle.worker_to_notify() {
                    notified.store(w + 1, SeqCst);
                }
            }
        }
        queuer.join().unwrap();
        took += usize::from(notified.load(SeqCst) != 0) * inject.len();
        assert_eq!(took, 1, "the task was stranded");
    });
}

/// Two queuers race to wake the only sleeper: it is woken once, and the
/// counts stay consistent (one awake searcher more).
#[test]
fn loom_two_queuers_wake_one_sleeper_once() {
    loom::model(|| {
        let idle = Arc::new(Idle::new(2));
        assert!(!idle.park(1, false));
        let woken = Arc::new(AtomicUsize::new(0));
        let queuers: Vec<_> = (0..2)
            .map(|_| {
                let (idle, woken) = (idle.clone(), woken.clone());
                thread::spawn(move || {
                    if idle.worker_to_notify().is_some() {
                        woken.fetch_add(1, SeqCst);
                    }
                })
            })
            .collect();
        for q in queuers {
            q.join().unwrap();
        }
        assert_eq!(woken.load(SeqCst), 1);
        assert!(!idle.is_sleeping(1));
        assert_eq!(idle.num_searching(), 1);
    });
}

/// Worker 1 sleeps; worker 0 ran short tasks (its `runs_short` set, so a
/// remote producer wakes nobody for it) and runs dry while another thread
/// queues a task (`Workers::notify_remote`). The task is not stranded:
/// worker 0's last look takes it, or a worker is woken. And the one woken
/// is never worker 1: worker 0 clears its flag only once it is on the
/// sleepers' list, and sets it again before it leaves the list.
#[test]
fn loom_a_worker_running_short_tasks_parks_while_another_thread_injects() {
    use loom::sync::atomic::{AtomicBool, Ordering::Relaxed, fence};
    loom::model(|| {
        let idle = Arc::new(Idle::new(2));
        let inject = Arc::new(Inject::new());
        let runs_short = Arc::new(AtomicBool::new(true));
        // Notified worker + 1 (0: nobody).
        let notified = Arc::new(AtomicUsize::new(0));
        assert!(!idle.park(1, false));

        let queuer = {
            let (idle, inject) = (idle.clone(), inject.clone());
            let (runs_short, notified) = (runs_short.clone(), notified.clone());
            thread::spawn(move || {
                inject.push_woken(7).unwrap();
                if let Some(w) = idle.worker_to_notify_unless(|| runs_short.load(Relaxed)) {
                    notified.store(w + 1, SeqCst);
                }
            })
        };

        // Worker 0 runs dry: the injection queue, then parking.
        let mut took = inject.drain(|_, _| ());
        let mut awake = took != 0;
        if took == 0 {
            idle.park(0, false);
            runs_short.store(false, Relaxed);
            fence(SeqCst);
            // Its last look: work queued, it stays awake (and takes it
            // once the push is complete).
            if !inject.is_empty() {
                runs_short.store(true, Relaxed);
                idle.unpark_self(0);
                awake = true;
            }
        }
        queuer.join().unwrap();
        let notified = notified.load(SeqCst);
        assert_ne!(notified, 2, "the producer woke the sleeping peer");
        took += usize::from(awake || notified != 0) * inject.len();
        assert_eq!(took, 1, "the task was stranded");
    });
}
