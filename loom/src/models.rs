//! The models: each explores every interleaving of a race that matters.

use loom::sync::Arc;
use loom::sync::atomic::{
    AtomicBool, AtomicUsize, Ordering::Acquire, Ordering::Release, Ordering::SeqCst,
};
use loom::thread;

use crate::inject::Inject;
use crate::park::{ParkState, Sleeper};
use crate::state::{State, ToIdle, ToNotified, ToRunning};

/// A task popped from its first queue entry and polled, while another
/// thread wakes it. Whatever the interleaving, the wake is never lost and
/// the task is never queued twice: `NOTIFIED` is set exactly when one new
/// queue entry exists, and the references match the entries.
#[test]
fn loom_wake_racing_poll() {
    loom::model(|| {
        let state = Arc::new(State::new());
        let waker = {
            let state = state.clone();
            thread::spawn(move || state.transition_to_notified_by_ref() == ToNotified::Submit)
        };
        assert_eq!(state.transition_to_running(), ToRunning::Poll);
        let requeued = state.transition_to_idle() == ToIdle::Notified;
        let submitted = waker.join().unwrap();
        assert!(!(requeued && submitted), "queued twice");
        let entries = usize::from(requeued || submitted);
        let s = state.load();
        assert_eq!(s.is_notified(), entries == 1, "lost or phantom wake: {s:?}");
        // Owned + join handle + the popped entry (kept for a requeue or
        // dropped by the caller) + one per submitted entry.
        assert_eq!(s.ref_count(), 3 + usize::from(submitted));
    });
}

/// A wake and an abort race on an idle task: exactly one of them queues it,
/// and the task ends up cancelled.
#[test]
fn loom_wake_racing_abort() {
    loom::model(|| {
        let state = Arc::new(State::new());
        // Bring the task to idle: popped, polled, pending.
        assert_eq!(state.transition_to_running(), ToRunning::Poll);
        assert_eq!(state.transition_to_idle(), ToIdle::Idle);
        state.ref_dec(1);
        let aborter = {
            let state = state.clone();
            thread::spawn(move || state.transition_to_notified_and_cancel() == ToNotified::Submit)
        };
        let woke = state.transition_to_notified_by_ref() == ToNotified::Submit;
        let aborted = aborter.join().unwrap();
        assert!(
            woke ^ aborted,
            "queued {} times",
            usize::from(woke) + usize::from(aborted)
        );
        let s = state.load();
        assert!(s.is_cancelled() && s.is_notified());
        assert_eq!(s.ref_count(), 3);
        // The runtime then pops it and must cancel rather than poll.
        assert_eq!(state.transition_to_running(), ToRunning::Cancel);
    });
}

/// The `JoinHandle` is dropped while the runtime completes the task: the
/// output is dropped exactly once, by one side or the other.
#[test]
fn loom_join_drop_racing_completion() {
    loom::model(|| {
        let state = Arc::new(State::new());
        let output_drops = Arc::new(AtomicUsize::new(0));
        assert_eq!(state.transition_to_running(), ToRunning::Poll);
        let handle = {
            let (state, drops) = (state.clone(), output_drops.clone());
            thread::spawn(move || {
                if state.unset_join_interested().is_err() {
                    drops.fetch_add(1, SeqCst);
                }
                state.ref_dec(1)
            })
        };
        let snapshot = state.transition_to_complete();
        if !snapshot.is_join_interested() {
            output_drops.fetch_add(1, SeqCst);
        }
        // The runtime drops the owned and queue references.
        let last_here = state.ref_dec(2);
        let last_there = handle.join().unwrap();
        assert_eq!(output_drops.load(SeqCst), 1);
        assert!(
            last_here ^ last_there,
            "freed {} times",
            usize::from(last_here) + usize::from(last_there)
        );
    });
}

/// A `JoinHandle` registers its waker while the task completes: either the
/// handle sees completion, or the completer sees the waker and wakes it.
#[test]
fn loom_join_waker_racing_completion() {
    loom::model(|| {
        let state = Arc::new(State::new());
        let woken = Arc::new(AtomicBool::new(false));
        assert_eq!(state.transition_to_running(), ToRunning::Poll);
        let runtime = {
            let (state, woken) = (state.clone(), woken.clone());
            thread::spawn(move || {
                let s = state.transition_to_complete();
                if s.is_join_interested() && s.is_join_waker_set() {
                    woken.store(true, SeqCst);
                }
            })
        };
        // The handle's poll: not complete yet, so store a waker and publish.
        let ready = state.load().is_complete() || state.set_join_waker().is_err();
        runtime.join().unwrap();
        assert!(ready || woken.load(SeqCst), "join waker lost");
    });
}

/// Other threads queue tasks while the runtime parks: either the runtime
/// sees the work and does not block, or a queuer sees it parked and writes
/// the eventfd. Several queuers cost one write.
#[test]
fn loom_cross_thread_wake_racing_park() {
    loom::model(|| {
        let park = Arc::new(ParkState::new());
        let inject = Arc::new(Inject::new());
        let signals = Arc::new(AtomicUsize::new(0));
        let wakers: Vec<_> = (0..2)
            .map(|i| {
                let (park, inject, signals) = (park.clone(), inject.clone(), signals.clone());
                thread::spawn(move || {
                    inject.push_woken(i).unwrap();
                    if park.notify().is_some() {
                        signals.fetch_add(1, SeqCst);
                    }
                })
            })
            .collect();
        let blocks = park.prepare_park();
        for w in wakers {
            w.join().unwrap();
        }
        let signals = signals.load(SeqCst);
        if blocks {
            assert_eq!(
                signals, 1,
                "a parked runtime must be signalled exactly once"
            );
        } else {
            assert!(!inject.is_empty());
            assert_eq!(signals, 0);
        }
        park.unparked();
        assert_eq!(inject.drain(|_, _| ()), 2);
    });
}

/// A multi-thread worker parks, then moves its sleep to the shared epoll
/// (`sleep_shared`), while another thread publishes work and wakes it. A
/// worker that sleeps is signalled exactly where it sleeps (its own eventfd
/// or the shared one); one that does not sleep sees the work.
#[test]
fn loom_wake_reaches_the_epoll_the_worker_sleeps_in() {
    loom::model(|| {
        let park = Arc::new(ParkState::new());
        let work = Arc::new(AtomicBool::new(false));
        let notifier = {
            let (park, work) = (park.clone(), work.clone());
            thread::spawn(move || {
                work.store(true, Release);
                park.notify()
            })
        };
        let slept_in = park.prepare_park().then(|| {
            if park.sleep_shared() {
                Sleeper::Shared
            } else {
                Sleeper::Own
            }
        });
        if slept_in.is_none() {
            assert!(
                work.load(Acquire),
                "a worker that looks again sees the work"
            );
        }
        let signal = notifier.join().unwrap();
        assert_eq!(signal, slept_in, "the signal goes where the worker sleeps");
        park.unparked();
    });
}

/// A spawn from another thread racing shutdown: the task either reaches the
/// runtime (queued before the close, and handed back by it) or is refused
/// to the spawner, never both and never neither.
#[test]
fn loom_spawn_racing_shutdown() {
    loom::model(|| {
        let inject = Arc::new(Inject::new());
        let spawner = {
            let inject = inject.clone();
            thread::spawn(move || {
                let first = inject.push_spawned(1).is_ok();
                let second = inject.push_woken(2).is_ok();
                (first, second)
            })
        };
        // The runtime takes what is queued once, then shuts down.
        let mut seen = Vec::new();
        inject.drain(|t, _| seen.push(t));
        let (spawned, woken) = inject.close();
        seen.extend(spawned);
        seen.extend(woken);
        let (first, second) = spawner.join().unwrap();
        let accepted: Vec<i32> = [(first, 1), (second, 2)]
            .into_iter()
            .filter_map(|(ok, t)| ok.then_some(t))
            .collect();
        seen.sort_unstable();
        assert_eq!(seen, accepted, "a task lost or taken twice");
        assert!(inject.is_empty());
        assert!(inject.push_woken(3).is_err(), "closed for good");
    });
}
