//! The injection queue: tasks spawned or woken from threads that do not run
//! the runtime, waiting for the runtime to take them. Every flavor has one.
//!
//! # Protocol
//!
//! * The queues and the `closed` flag live behind one mutex. A push checks
//!   `closed` under the lock, so a push and [`Inject::close`] are ordered:
//!   either the push lands before the close (and the close hands the task
//!   back to the runtime to cancel), or it sees `closed` and gets its task
//!   back. No task is lost or taken twice, whatever the interleaving (loom:
//!   `loom/src/models.rs`, `loom_spawn_racing_shutdown`).
//! * `len` counts queued tasks. It is raised under the lock before the
//!   pusher signals the runtime (`park.rs`), and lowered by the runtime after
//!   it took them, so a runtime that sees 0 may skip the lock: a push it
//!   missed is followed by a signal that makes it look again.
//!
//! This file has no `unsafe` and is generic over the task type, so the loom
//! model checks exactly this code.

use std::collections::VecDeque;

use crate::loom::sync::Mutex;
use crate::loom::sync::atomic::{
    AtomicUsize,
    Ordering::{Acquire, Release},
};

/// Tasks queued from other threads.
#[derive(Debug)]
pub(crate) struct Inject<T> {
    queue: Mutex<Queue<T>>,
    /// Tasks queued and not yet taken.
    len: AtomicUsize,
}

#[derive(Debug)]
struct Queue<T> {
    /// New tasks, not yet in the runtime's list of owned tasks.
    spawned: VecDeque<T>,
    /// Woken tasks the runtime already owns.
    woken: VecDeque<T>,
    /// Set at shutdown: nothing more is accepted.
    closed: bool,
    /// Tasks ever queued (a metric, kept under the lock the push takes
    /// anyway rather than in a counter of its own).
    pushed: u64,
}

impl<T> Default for Inject<T> {
    fn default() -> Inject<T> {
        Inject::new()
    }
}

impl<T> Inject<T> {
    pub(crate) fn new() -> Inject<T> {
        Inject {
            queue: Mutex::new(Queue {
                spawned: VecDeque::new(),
                woken: VecDeque::new(),
                closed: false,
                pushed: 0,
            }),
            len: AtomicUsize::new(0),
        }
    }

    fn lock(&self) -> crate::loom::sync::MutexGuard<'_, Queue<T>> {
        // Nothing panics while the lock is held; ignore poisoning.
        self.queue
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Queues a new task; gives it back if the runtime has shut down.
    pub(crate) fn push_spawned(&self, task: T) -> Result<(), T> {
        self.push(task, |q| &mut q.spawned)
    }

    /// Queues a woken task; gives it back if the runtime has shut down.
    pub(crate) fn push_woken(&self, task: T) -> Result<(), T> {
        self.push(task, |q| &mut q.woken)
    }

    fn push(
        &self,
        task: T,
        which: impl FnOnce(&mut Queue<T>) -> &mut VecDeque<T>,
    ) -> Result<(), T> {
        let mut q = self.lock();
        if q.closed {
            return Err(task);
        }
        which(&mut q).push_back(task);
        q.pushed += 1;
        self.len.fetch_add(1, Release);
        Ok(())
    }

    /// How many tasks were ever queued.
    pub(crate) fn pushed(&self) -> u64 {
        self.lock().pushed
    }

    /// How many tasks are queued.
    pub(crate) fn len(&self) -> usize {
        self.len.load(Acquire)
    }

    /// Whether nothing is queued (without taking the lock).
    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Takes everything queued, new tasks first (`f(task, true)`), then
    /// woken ones (`f(task, false)`). Returns how many were taken.
    pub(crate) fn drain(&self, mut f: impl FnMut(T, bool)) -> usize {
        if self.is_empty() {
            return 0;
        }
        let mut q = self.lock();
        let n = q.spawned.len() + q.woken.len();
        let (new, old) = (std::mem::take(&mut q.spawned), std::mem::take(&mut q.woken));
        self.len.fetch_sub(n, Release);
        drop(q);
        // The callbacks run outside the lock.
        new.into_iter().for_each(|t| f(t, true));
        old.into_iter().for_each(|t| f(t, false));
        n
    }

    /// Queues woken tasks in one batch (a worker's run queue overflowing);
    /// gives them back if the runtime has shut down.
    pub(crate) fn push_woken_batch(&self, tasks: impl Iterator<Item = T>) -> Result<(), Vec<T>> {
        let mut q = self.lock();
        if q.closed {
            return Err(tasks.collect());
        }
        let before = q.woken.len();
        q.woken.extend(tasks);
        let added = q.woken.len() - before;
        q.pushed += added as u64;
        self.len.fetch_add(added, Release);
        Ok(())
    }

    /// Takes at most `max` tasks, new ones first (`f(task, true)`), then
    /// woken ones. Returns how many were taken. `f` runs under the lock (it
    /// must only queue the task: no user code, no other lock).
    pub(crate) fn pop_batch(&self, max: usize, mut f: impl FnMut(T, bool)) -> usize {
        if self.is_empty() || max == 0 {
            return 0;
        }
        let mut q = self.lock();
        let new = q.spawned.len().min(max);
        let old = q.woken.len().min(max - new);
        q.spawned.drain(..new).for_each(|t| f(t, true));
        q.woken.drain(..old).for_each(|t| f(t, false));
        self.len.fetch_sub(new + old, Release);
        new + old
    }

    /// Accepts nothing more, and hands back what was queued: the new tasks
    /// and the woken ones.
    pub(crate) fn close(&self) -> (VecDeque<T>, VecDeque<T>) {
        let mut q = self.lock();
        q.closed = true;
        let taken = (std::mem::take(&mut q.spawned), std::mem::take(&mut q.woken));
        self.len.fetch_sub(taken.0.len() + taken.1.len(), Release);
        taken
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn drains_spawned_then_woken_and_counts() {
        let inject = Inject::new();
        inject.push_woken(1).unwrap();
        inject.push_spawned(2).unwrap();
        inject.push_spawned(3).unwrap();
        assert_eq!(inject.len(), 3);
        let mut order = Vec::new();
        let n = inject.drain(|t, new| order.push((if new { "spawned" } else { "woken" }, t)));
        assert_eq!(n, 3);
        assert_eq!(order, [("spawned", 2), ("spawned", 3), ("woken", 1)]);
        assert!(inject.is_empty());
    }

    #[test]
    fn batches_in_and_out() {
        let inject = Inject::new();
        inject.push_spawned(0).unwrap();
        inject.push_woken_batch(1..=4).unwrap();
        let mut got = Vec::new();
        assert_eq!(inject.pop_batch(3, |t, _| got.push(t)), 3);
        assert_eq!(got, [0, 1, 2]);
        assert_eq!(inject.len(), 2);
        assert_eq!(inject.pop_batch(10, |t, _| got.push(t)), 2);
        assert_eq!(got, [0, 1, 2, 3, 4]);
        inject.close();
        assert_eq!(inject.push_woken_batch(5..7), Err(vec![5, 6]));
    }

    #[test]
    fn close_hands_back_the_queue_and_refuses_more() {
        let inject = Inject::new();
        inject.push_spawned(1).unwrap();
        inject.push_woken(2).unwrap();
        let (spawned, woken) = inject.close();
        assert_eq!((Vec::from(spawned), Vec::from(woken)), (vec![1], vec![2]));
        assert_eq!(inject.push_spawned(3), Err(3));
        assert_eq!(inject.push_woken(4), Err(4));
        assert!(inject.is_empty());
    }
}
