//! A `JoinSet` joining tasks that complete on other threads: the set's
//! ready list and joining loop (`src/task/join_set/ready.rs`, as it is)
//! over tasks whose state word is `src/runtime/task/state.rs` and whose
//! `JoinHandle` poll and completion follow `raw.rs` (the join waker slot
//! and the output are loom `UnsafeCell`s).
//!
//! Whatever the interleaving, the joiner never sleeps through a completion
//! (loom reports a deadlock if its waker is never woken), gets each output
//! exactly once, and a wake that comes after its entry left the set queues
//! nothing.

use std::collections::VecDeque;
use std::task::{Wake, Waker};

use loom::cell::UnsafeCell;
use loom::sync::atomic::{AtomicBool, Ordering::SeqCst};
use loom::thread;
use std::sync::Arc;

use crate::ready::{Entries, Node, Ready};
use crate::state::{State, ToRunning};

/// A task: its state word, its output, and its join waker slot.
struct Task {
    state: State,
    output: UnsafeCell<Option<u32>>,
    join_waker: UnsafeCell<Option<Waker>>,
}

impl Task {
    fn new() -> Task {
        Task {
            state: State::new(),
            output: UnsafeCell::new(None),
            join_waker: UnsafeCell::new(None),
        }
    }

    /// The runtime polls it to completion (`raw::run` and `complete`):
    /// stores the output, publishes completion, wakes the join waker.
    fn run_to_completion(&self, output: u32) {
        assert_eq!(self.state.transition_to_running(), ToRunning::Poll);
        // SAFETY (of the model): RUNNING is set: the stage is ours.
        self.output.with_mut(|o| unsafe { *o = Some(output) });
        let s = self.state.transition_to_complete();
        if s.is_join_interested() && s.is_join_waker_set() {
            // SAFETY (of the model): JOIN_WAKER is set: the slot is only read.
            let waker = self.join_waker.with(|w| unsafe { (*w).clone() });
            waker.expect("a join waker").wake();
        }
    }

    /// The `JoinHandle`'s poll (`raw::can_read_output`, then the read).
    fn poll_handle(&self, waker: &Waker) -> Option<u32> {
        let s = self.state.load();
        if !s.is_complete() {
            if s.is_join_waker_set() {
                // SAFETY (of the model): while JOIN_WAKER is set nobody writes.
                let same = self
                    .join_waker
                    .with(|w| unsafe { (*w).as_ref().is_some_and(|w| w.will_wake(waker)) });
                assert!(same, "a set polls a handle with its node's waker only");
                return None;
            }
            // SAFETY (of the model): JOIN_WAKER is clear: the handle's slot.
            self.join_waker
                .with_mut(|w| unsafe { *w = Some(waker.clone()) });
            if self.state.set_join_waker().is_ok() {
                return None;
            }
        }
        // SAFETY (of the model): complete with join interest: the handle's.
        let output = self.output.with_mut(|o| unsafe { (*o).take() });
        Some(output.expect("the output, read once"))
    }
}

/// One entry of the model's set.
struct Entry {
    task: loom::sync::Arc<Task>,
    node: Arc<Node>,
    waker: Waker,
}

/// The model's entries, keyed as the set's slab.
struct Slots(Vec<Option<Entry>>);

impl Entries for Slots {
    type Joined = (usize, u32);

    fn is_current(&self, node: &Arc<Node>) -> bool {
        self.0[node.key()]
            .as_ref()
            .is_some_and(|e| Arc::ptr_eq(&e.node, node))
    }

    fn poll(&mut self, key: usize) -> Option<(usize, u32)> {
        let entry = self.0[key].as_ref().expect("a current entry");
        let output = entry.task.poll_handle(&entry.waker)?;
        let entry = self.0[key].take().unwrap();
        entry.node.retire();
        Some((key, output))
    }
}

/// The joiner's waker: a flag and an unpark (as in `handoff_models.rs`).
struct Flag {
    woken: AtomicBool,
    thread: thread::Thread,
}

impl Wake for Flag {
    fn wake(self: Arc<Self>) {
        self.woken.swap(true, SeqCst);
        self.thread.unpark();
    }
}

/// Two tasks complete on two threads while the set joins them.
#[test]
fn loom_join_set_racing_completions() {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(4);
    builder.check(|| {
        let ready = Ready::new();
        let mut batch = VecDeque::new();
        let mut slots = Slots(Vec::new());
        let mut tasks = Vec::new();
        for key in 0..2 {
            let task = loom::sync::Arc::new(Task::new());
            // A new entry starts in the private batch (`JoinSet::insert`).
            let node = Node::new(key, &ready);
            batch.push_back(node.clone());
            slots.0.push(Some(Entry {
                task: task.clone(),
                waker: Waker::from(node.clone()),
                node,
            }));
            tasks.push(task);
        }
        let late: Vec<Waker> = slots.0.iter().flatten().map(|e| e.waker.clone()).collect();
        let runtimes: Vec<_> = tasks
            .iter()
            .enumerate()
            .map(|(key, task)| {
                let task = task.clone();
                thread::spawn(move || task.run_to_completion(10 + key as u32))
            })
            .collect();

        let flag = Arc::new(Flag {
            woken: AtomicBool::new(false),
            thread: thread::current(),
        });
        let waker = Waker::from(flag.clone());
        let mut joined = Vec::new();
        while joined.len() < 2 {
            match ready.next_finished(&mut batch, Some(&waker), &mut slots) {
                Some(entry) => joined.push(entry),
                // Parked until woken: a lost wake is a deadlock to loom.
                None => {
                    while !flag.woken.swap(false, SeqCst) {
                        thread::park();
                    }
                }
            }
        }
        for runtime in runtimes {
            runtime.join().unwrap();
        }
        joined.sort_unstable();
        assert_eq!(joined, [(0, 10), (1, 11)], "each output once");

        // Late wakes of joined entries queue nothing.
        late.iter().for_each(Waker::wake_by_ref);
        assert_eq!(ready.next_finished(&mut batch, None, &mut slots), None);
        assert!(batch.is_empty());
    });
}
