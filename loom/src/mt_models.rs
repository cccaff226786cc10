//! A model of the multi-thread flavor's parts together: a task's state word
//! (`task/state.rs`), the stealable run queue and the injection queue.

use std::num::NonZeroUsize;

use loom::sync::Arc;
use loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use loom::thread;

use crate::inject::Inject;
use crate::queue::{self, Local};
use crate::state::{State, ToIdle, ToNotified, ToRunning};

const TASK: NonZeroUsize = NonZeroUsize::MIN;

/// Polls the task once, as a worker does, requeueing it locally if it was
/// woken while it ran.
fn run(state: &State, local: &mut Local<4>, polls: &AtomicUsize) {
    assert_eq!(
        state.transition_to_running(),
        ToRunning::Poll,
        "polled twice at once"
    );
    polls.fetch_add(1, SeqCst);
    match state.transition_to_idle() {
        ToIdle::Idle => {}
        ToIdle::Notified => local.push_back(TASK, |_| unreachable!("room for one")),
        ToIdle::Cancelled => unreachable!("nobody aborts"),
    }
}

/// Empties a queue, counting its entries.
fn drain(local: &mut Local<4>) -> usize {
    std::iter::from_fn(|| local.pop()).count()
}

/// A task queued on worker A races A's own pop, worker B's steal (and its
/// poll), and a wake from a third thread. The task is polled by one worker
/// at a time, at least once, and ends with exactly one queue entry if (and
/// only if) it is notified: no wake is lost and none is queued twice.
#[test]
fn loom_wake_racing_steal_and_poll() {
    let mut builder = loom::model::Builder::new();
    // A bound makes loom explore more here, not less (see `queue_models.rs`
    // on interleavings loom skips when unbounded); 8 runs in half a second.
    builder.preemption_bound = Some(8);
    builder.check(|| {
        let state = Arc::new(State::new());
        let inject = Arc::new(Inject::new());
        let polls = Arc::new(AtomicUsize::new(0));
        let (mut a, a_steal) = queue::local::<4>();
        // A new task starts notified, with its first queue entry on A.
        a.push_back(TASK, |_| unreachable!());

        let thief = {
            let (state, polls) = (state.clone(), polls.clone());
            thread::spawn(move || {
                let (mut b, _b_steal) = queue::local::<4>();
                if let Some(task) = a_steal.steal_into(&mut b) {
                    assert_eq!(task, TASK);
                    run(&state, &mut b, &polls);
                }
                drain(&mut b)
            })
        };
        let waker = {
            let (state, inject) = (state.clone(), inject.clone());
            thread::spawn(move || {
                if state.transition_to_notified_by_ref() == ToNotified::Submit {
                    inject.push_woken(TASK).unwrap();
                }
            })
        };
        if a.pop().is_some() {
            run(&state, &mut a, &polls);
        }
        let on_b = thief.join().unwrap();
        waker.join().unwrap();
        let entries = drain(&mut a) + on_b + inject.drain(|_, _| ());
        assert!(polls.load(SeqCst) >= 1, "never polled");
        let notified = state.load().is_notified();
        assert_eq!(
            entries,
            usize::from(notified),
            "lost or doubled wake: {:?}",
            state.load()
        );
    });
}
