//! Abort racing completion (`src/runtime/task/state.rs`): a task that the
//! runtime polls to completion on one thread while another thread wakes it
//! and a third aborts it and then reads its result through its
//! `JoinHandle`, as `raw.rs` and `join.rs` do.
//!
//! The stage (future, then output) is a loom `UnsafeCell`, written by the
//! runtime thread under `RUNNING` and read by the handle after `COMPLETE`:
//! loom fails the model if the state word's orderings do not order the
//! two. The queue is a mutex-guarded count of entries, so a task queued
//! twice is seen at the push.

use loom::cell::UnsafeCell;
use loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use loom::sync::{Arc, Mutex};
use loom::thread;

use crate::state::{State, ToIdle, ToNotified, ToRunning};

/// The task's future and output, as `raw::Stage` (the future completes in
/// its second poll).
#[derive(Debug, PartialEq)]
enum Stage {
    Running { polls: u32 },
    Finished(Result<u32, Cancelled>),
    Consumed,
}

#[derive(Debug, PartialEq)]
struct Cancelled;

/// What the task completes with when not cancelled.
const OUTPUT: u32 = 7;

/// One task: its state word, its stage, and its queue entries.
struct Task {
    state: State,
    stage: UnsafeCell<Stage>,
    /// Queue entries; each holds a reference.
    queued: Mutex<usize>,
    /// How often the last reference was dropped.
    freed: AtomicUsize,
}

impl Task {
    fn push(&self) {
        let mut queued = self.queued.lock().unwrap();
        *queued += 1;
        assert_eq!(*queued, 1, "queued twice");
    }

    fn pop(&self) -> bool {
        let mut queued = self.queued.lock().unwrap();
        let had = *queued > 0;
        *queued = queued.saturating_sub(1);
        had
    }

    fn drop_refs(&self, n: usize) {
        if self.state.ref_dec(n) {
            self.freed.fetch_add(1, SeqCst);
        }
    }

    /// Stores the output and publishes completion (`raw::complete`), then
    /// releases the owned list's and the queue entry's references.
    fn complete(&self, output: Result<u32, Cancelled>) {
        // SAFETY (of the model): RUNNING is set, the stage is ours.
        self.stage
            .with_mut(|s| unsafe { *s = Stage::Finished(output) });
        let s = self.state.transition_to_complete();
        assert!(s.is_join_interested(), "the handle is alive");
        self.drop_refs(2);
    }

    /// Takes one entry off the queue and runs it as `raw::run` does;
    /// returns whether the task is complete afterwards.
    fn run_one(&self) -> bool {
        match self.state.transition_to_running() {
            ToRunning::Done => {
                self.drop_refs(1);
                return true;
            }
            ToRunning::Cancel => {
                self.complete(Err(Cancelled));
                return true;
            }
            ToRunning::Poll => {}
        }
        // SAFETY (of the model): RUNNING is set.
        let ready = self.stage.with_mut(|s| unsafe {
            let Stage::Running { polls } = &mut *s else {
                panic!("polled after completion: {:?}", &*s)
            };
            *polls += 1;
            *polls == 2
        });
        if ready {
            self.complete(Ok(OUTPUT));
            return true;
        }
        match self.state.transition_to_idle() {
            ToIdle::Idle => self.drop_refs(1),
            ToIdle::Notified => self.push(),
            ToIdle::Cancelled => {
                self.complete(Err(Cancelled));
                return true;
            }
        }
        false
    }

    /// The `JoinHandle`'s read of a complete task's output.
    fn read_output(&self) -> Result<u32, Cancelled> {
        assert!(self.state.load().is_complete());
        // SAFETY (of the model): complete with join interest: the handle's.
        self.stage.with_mut(|s| unsafe {
            match std::mem::replace(&mut *s, Stage::Consumed) {
                Stage::Finished(out) => out,
                other => panic!("no output to read: {other:?}"),
            }
        })
    }
}

/// The runtime polled the task once (it registered a waker with a
/// reference of its own, and went idle). Then, at once: another thread
/// wakes it (consuming the waker's reference); a third aborts it and, if
/// it sees it complete, reads its result; the runtime runs whatever is
/// queued until the task completes.
///
/// Whatever the interleaving: the task is never queued twice nor polled
/// after completion; the abort is never lost (the task ends complete); its
/// result is the output exactly when the poll that completes it began
/// before the abort, and cancelled otherwise; the output is read once; and
/// the allocation is freed exactly once, after the last reference.
#[test]
fn loom_abort_racing_completion() {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(4);
    builder.check(|| {
        let task = Arc::new(Task {
            state: State::new(),
            stage: UnsafeCell::new(Stage::Running { polls: 0 }),
            queued: Mutex::new(1),
            freed: AtomicUsize::new(0),
        });
        // The first poll: pending, with a waker clone (a reference).
        assert!(task.pop());
        assert_eq!(task.state.transition_to_running(), ToRunning::Poll);
        // SAFETY (of the model): RUNNING is set.
        task.stage
            .with_mut(|s| unsafe { *s = Stage::Running { polls: 1 } });
        task.state.ref_inc();
        assert_eq!(task.state.transition_to_idle(), ToIdle::Idle);
        task.drop_refs(1);

        let waker = {
            let task = task.clone();
            thread::spawn(move || match task.state.transition_to_notified_by_val() {
                ToNotified::Submit => task.push(),
                ToNotified::DoNothing => task.drop_refs(1),
            })
        };
        let aborter = {
            let task = task.clone();
            thread::spawn(move || {
                let submit = task.state.transition_to_notified_and_cancel();
                if submit == ToNotified::Submit {
                    task.push();
                }
                // The handle looks once; if not complete, it reads later.
                task.state.load().is_complete().then(|| task.read_output())
            })
        };

        // The runtime: runs entries until the task completes; an entry
        // still to come (pushed after) is drained below.
        let mut complete = false;
        while !complete {
            if task.pop() {
                complete = task.run_one();
            } else {
                thread::yield_now();
            }
        }
        waker.join().unwrap();
        let early = aborter.join().unwrap();
        while task.pop() {
            assert!(task.run_one(), "complete for good");
        }

        let result = early.unwrap_or_else(|| task.read_output());
        let s = task.state.load();
        assert!(s.is_complete(), "abort lost: {s:?}");
        match result {
            // The poll that completed it began before the abort, which
            // then only marked it (running, or queued for that poll) or
            // came after completion and did nothing.
            Ok(out) => assert_eq!(out, OUTPUT),
            Err(Cancelled) => assert!(s.is_cancelled(), "cancelled unasked"),
        }
        // The JoinHandle's drop: complete, so it owns the (consumed) stage.
        assert!(task.state.unset_join_interested().is_err());
        task.drop_refs(1);
        assert_eq!(task.freed.load(SeqCst), 1, "freed once");
        assert_eq!(task.state.load().ref_count(), 0);
    });
}

/// The runtime polls a task to completion while another thread aborts it:
/// the abort finds it notified (queued), running, or complete, and in
/// none of those does it queue the task again; the result is the output
/// unless the abort came before the poll began.
#[test]
fn loom_abort_racing_the_completing_poll() {
    loom::model(|| {
        let task = Arc::new(Task {
            state: State::new(),
            // Its next poll completes it.
            stage: UnsafeCell::new(Stage::Running { polls: 1 }),
            queued: Mutex::new(1),
            freed: AtomicUsize::new(0),
        });
        let aborter = {
            let task = task.clone();
            thread::spawn(move || {
                assert_eq!(
                    task.state.transition_to_notified_and_cancel(),
                    ToNotified::DoNothing,
                    "a queued, running or complete task is not queued again"
                );
                task.state.load().is_complete().then(|| task.read_output())
            })
        };
        assert!(task.pop());
        let began = task.state.load();
        assert!(task.run_one());
        let early = aborter.join().unwrap();
        let result = early.unwrap_or_else(|| task.read_output());
        if began.is_cancelled() {
            assert_eq!(result, Err(Cancelled), "aborted before the poll");
        }
        assert!(task.state.unset_join_interested().is_err());
        task.drop_refs(1);
        assert_eq!(task.freed.load(SeqCst), 1);
    });
}
