//! A worker's run queue in the multi-thread scheduler: a bounded ring that
//! its owner pushes to and pops from (oldest first), and that idle workers
//! steal half of. Tasks are opaque addresses (`NonZeroUsize`): the queue
//! moves them and never dereferences them, so this file has no `unsafe` and
//! the loom models (`loom/`) check exactly this code.
//!
//! # The protocol
//!
//! Positions are `u32` counters that only grow (wrapping); position `p` lives
//! in slot `p % N`. `N` is at most half the counter range, so
//! `tail - steal` tells a full ring from an empty one.
//!
//! * `tail` — one past the newest task. Only the owner writes it, with a
//!   `Release` store after writing the slot.
//! * `head` — two positions in one word, changed only by compare-exchange:
//!   `real` (low half) is the oldest queued task, `steal` (high half) the
//!   first task a stealer has claimed but not finished copying out. They are
//!   equal when no steal is in progress. Slots `[steal, real)` are being
//!   read by that stealer, `[real, tail)` are queued, the rest are free.
//! * `slots` — the addresses. Only the owner writes them (also when its own
//!   thread steals into them); every slot access is `Relaxed`, ordered by
//!   the accesses to `head` and `tail` below. A slot keeps a stale address
//!   after its task is taken; it is never read again before being rewritten.
//!
//! The owner pushes at `tail` while `tail - steal < N`, so a slot a stealer
//! is still reading counts as taken. A full ring overflows: with no steal in
//! progress, the owner claims the oldest `N / 2` tasks by moving `steal` and
//! `real` together, and hands them and the new task to the injection queue
//! in one batch; during a steal, which is about to free slots, only the new
//! task goes there. The owner pops at `real`, moving `steal` along when no
//! steal is in progress.
//!
//! A stealer reads `head` and gives up if a steal is in progress (one steal
//! at a time keeps `[steal, real)` one range), reads `tail`, claims half of
//! `[real, tail)` by moving `real` alone, copies the tasks into its own
//! queue, then sets `steal = real` to free the slots (retrying while the
//! owner pops), and last publishes the copies with its own `tail`. The owner
//! and the stealers race only through compare-exchanges on `head`, so each
//! task is claimed by exactly one of them.
//!
//! Orderings:
//! * A stealer's `Acquire` load of `tail` pairs with the owner's `Release`
//!   store: the slots below `tail` hold the tasks written before it.
//! * Every write of `head` is a `Release` read-modify-write, and a stealer
//!   reads `head` with `Acquire` before it reads `tail`, so it finds
//!   `tail >= real`: the writer of that `head` had seen such a `tail`
//!   (release sequences carry this through later exchanges). With an older
//!   `tail`, `tail - real` would wrap and the stealer claim empty slots.
//! * The `Release` exchange that ends a steal pairs with the owner's
//!   `Acquire` load of `head` before a push: the stealer's reads of the
//!   slots happen before the owner overwrites them. The same holds for a
//!   worker stealing into its own queue while someone steals from it.
//! * The owner's own reads of `tail`, and of `head` in `pop` and the length
//!   queries, are `Relaxed`: it is the only writer of `tail`, a stale `head`
//!   makes `pop`'s exchange fail and retry, and a stale one understates the
//!   room left (positions only grow).

// Until the multi-thread scheduler uses this queue, only the tests do.
#![cfg_attr(not(test), allow(dead_code))]

use std::fmt;
use std::num::NonZeroUsize;
use std::sync::Arc;

use crate::loom::sync::atomic::{
    AtomicU32, AtomicU64, AtomicUsize,
    Ordering::{Acquire, Relaxed, Release},
};

/// The capacity of a worker's run queue.
pub(crate) const CAPACITY: usize = 256;

/// The owner's half of a run queue: push and pop. One per worker, used by
/// one thread at a time (`&mut self` keeps the overflow sink from pushing
/// back into the queue while it drains it).
pub(crate) struct Local<const N: usize> {
    inner: Arc<Inner<N>>,
}

/// The shared half of a run queue: other workers steal from it.
pub(crate) struct Steal<const N: usize>(Arc<Inner<N>>);

/// The words shared by the two halves; see the module docs.
struct Inner<const N: usize> {
    /// `steal << 32 | real`. Changed only by compare-exchange, always
    /// `Release`.
    head: AtomicU64,
    /// One past the newest task. Written only by the owner.
    tail: AtomicU32,
    /// Task addresses; 0 in a slot that was never written.
    slots: [AtomicUsize; N],
}

/// The tasks a full queue hands to the injection queue: the oldest half of
/// the queue, oldest first, then the task being pushed. The sink must take
/// them all; tasks left in it are lost to the scheduler.
pub(crate) struct Overflow<'a, const N: usize> {
    inner: &'a Inner<N>,
    /// The next claimed position to hand out.
    next: u32,
    /// One past the last claimed position.
    end: u32,
    /// The task being pushed, handed out last.
    pushed: Option<NonZeroUsize>,
}

/// A new, empty run queue of capacity `N`: a power of two, at least 2.
pub(crate) fn local<const N: usize>() -> (Local<N>, Steal<N>) {
    local_from(0)
}

/// A new, empty run queue whose positions start at `start`, so that tests
/// can cross the wrap of the `u32` counters.
fn local_from<const N: usize>(start: u32) -> (Local<N>, Steal<N>) {
    const {
        assert!(N.is_power_of_two() && N >= 2 && N <= 1 << 31);
    }
    let inner = Arc::new(Inner {
        head: AtomicU64::new(pack(start, start)),
        tail: AtomicU32::new(start),
        slots: std::array::from_fn(|_| AtomicUsize::new(0)),
    });
    (
        Local {
            inner: inner.clone(),
        },
        Steal(inner),
    )
}

/// Joins the two positions of `head`.
fn pack(steal: u32, real: u32) -> u64 {
    u64::from(steal) << 32 | u64::from(real)
}

/// Splits `head` into `(steal, real)`.
fn unpack(head: u64) -> (u32, u32) {
    ((head >> 32) as u32, head as u32)
}

/// `N` as a position difference (the constructor bounds it).
fn cap<const N: usize>() -> u32 {
    N as u32
}

impl<const N: usize> Inner<N> {
    fn slot(&self, pos: u32) -> &AtomicUsize {
        &self.slots[pos as usize & (N - 1)]
    }

    /// The task at a position the caller has claimed.
    fn read(&self, pos: u32) -> NonZeroUsize {
        NonZeroUsize::new(self.slot(pos).load(Relaxed)).expect("claimed an empty run queue slot")
    }
}

impl<const N: usize> Local<N> {
    /// Queues `task` at the back. If the queue is full, `task` and (unless a
    /// steal is about to make room) the oldest `N / 2` tasks go to
    /// `overflow`, in one batch.
    pub(crate) fn push_back(&mut self, task: NonZeroUsize, overflow: impl FnOnce(Overflow<'_, N>)) {
        let inner = &*self.inner;
        let tail = inner.tail.load(Relaxed);
        loop {
            // Acquire: a stealer's reads of the slot we may overwrite came
            // before it moved `steal` past it.
            let head = inner.head.load(Acquire);
            let (steal, real) = unpack(head);
            if tail.wrapping_sub(steal) < cap::<N>() {
                inner.slot(tail).store(task.get(), Relaxed);
                inner.tail.store(tail.wrapping_add(1), Release);
                return;
            }
            if steal != real {
                overflow(Overflow {
                    inner,
                    next: 0,
                    end: 0,
                    pushed: Some(task),
                });
                return;
            }
            // Full and no steal: claim the oldest half. Failure means a
            // stealer claimed tasks meanwhile, so there may be room now.
            let end = real.wrapping_add(cap::<N>() / 2);
            if inner
                .head
                .compare_exchange(head, pack(end, end), Release, Relaxed)
                .is_ok()
            {
                overflow(Overflow {
                    inner,
                    next: real,
                    end,
                    pushed: Some(task),
                });
                return;
            }
        }
    }

    /// Takes the oldest task.
    pub(crate) fn pop(&mut self) -> Option<NonZeroUsize> {
        let inner = &*self.inner;
        let tail = inner.tail.load(Relaxed);
        let mut head = inner.head.load(Relaxed);
        loop {
            let (steal, real) = unpack(head);
            if real == tail {
                return None;
            }
            let next = real.wrapping_add(1);
            let steal = if steal == real { next } else { steal };
            match inner
                .head
                .compare_exchange(head, pack(steal, next), Release, Relaxed)
            {
                Ok(_) => return Some(inner.read(real)),
                // A stealer claimed or finished; look again.
                Err(actual) => head = actual,
            }
        }
    }

    /// How many tasks are queued.
    pub(crate) fn len(&self) -> usize {
        let (_, real) = unpack(self.inner.head.load(Relaxed));
        self.inner.tail.load(Relaxed).wrapping_sub(real) as usize
    }

    /// Whether no task is queued.
    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many tasks can be pushed before the queue overflows (at least;
    /// a steal in progress may free more).
    pub(crate) fn remaining_slots(&self) -> usize {
        let (steal, _) = unpack(self.inner.head.load(Relaxed));
        N - self.inner.tail.load(Relaxed).wrapping_sub(steal) as usize
    }
}

impl<const N: usize> Steal<N> {
    /// Moves about half of this queue's tasks into `dst` (the stealing
    /// worker's own queue) and returns the oldest of them to run at once.
    /// `None` if this queue is empty, another steal from it is in progress,
    /// or `dst` is this same queue.
    pub(crate) fn steal_into(&self, dst: &mut Local<N>) -> Option<NonZeroUsize> {
        let (src, dst) = (&*self.0, &*dst.inner);
        if std::ptr::eq(src, dst) {
            return None;
        }
        let dst_tail = dst.tail.load(Relaxed);
        // Acquire: as in `push_back`, for the slots we are about to write.
        let (dst_steal, _) = unpack(dst.head.load(Acquire));
        let room = cap::<N>() - dst_tail.wrapping_sub(dst_steal);

        let (first, n) = self.claim(room + 1)?;
        let task = src.read(first);
        for i in 1..n {
            let moved = src.slot(first.wrapping_add(i)).load(Relaxed);
            dst.slot(dst_tail.wrapping_add(i - 1)).store(moved, Relaxed);
        }
        self.finish_steal(first, n);
        if n > 1 {
            dst.tail.store(dst_tail.wrapping_add(n - 1), Release);
        }
        Some(task)
    }

    /// Takes about half of this queue's tasks, oldest first, for a thread
    /// that runs no tasks (the watcher hands a stuck worker's queue to the
    /// injection queue). Empty if this queue is, or another steal from it
    /// is in progress.
    pub(crate) fn steal_half(&self) -> Vec<NonZeroUsize> {
        let Some((first, n)) = self.claim(cap::<N>() / 2) else {
            return Vec::new();
        };
        let tasks = (0..n).map(|i| self.0.read(first.wrapping_add(i))).collect();
        self.finish_steal(first, n);
        tasks
    }

    /// How many tasks have left this queue (popped or stolen), modulo
    /// 2^32: a count that stands still while the owner pops nothing.
    pub(crate) fn taken(&self) -> u32 {
        unpack(self.0.head.load(Acquire)).1
    }

    /// Claims half the queued tasks (rounded up, at most `max`) by moving
    /// `real`; returns the first claimed position and the count.
    fn claim(&self, max: u32) -> Option<(u32, u32)> {
        let inner = &*self.0;
        let mut head = inner.head.load(Acquire);
        loop {
            let (steal, real) = unpack(head);
            if steal != real {
                return None;
            }
            // Acquire: the slots below `tail` hold their tasks.
            let queued = inner.tail.load(Acquire).wrapping_sub(real);
            let n = (queued - queued / 2).min(max);
            if n == 0 {
                return None;
            }
            // Release: whoever reads this `head` then `tail` (only `len`
            // does, mid-steal) sees the `tail` we saw. Acquire on failure:
            // the next round reads `tail` too.
            match inner.head.compare_exchange(
                head,
                pack(real, real.wrapping_add(n)),
                Release,
                Acquire,
            ) {
                Ok(_) => {
                    // A stale `head` cannot get here: the exchange would fail.
                    assert!(n as usize <= N / 2, "stole {n}");
                    return Some((real, n));
                }
                Err(actual) => head = actual,
            }
        }
    }

    /// Ends the steal of `[first, first + n)`: sets `steal = real`, freeing
    /// the slots for the owner. Only the owner's pops change `head`
    /// meanwhile (other stealers back off), so this retries only for them.
    fn finish_steal(&self, first: u32, n: u32) {
        let mut head = pack(first, first.wrapping_add(n));
        loop {
            let (_, real) = unpack(head);
            // Release: our reads of the slots happen before the owner
            // rewrites them.
            match self
                .0
                .head
                .compare_exchange(head, pack(real, real), Release, Relaxed)
            {
                Ok(_) => return,
                Err(actual) => head = actual,
            }
        }
    }

    /// How many tasks are queued, as seen from another thread: a hint.
    pub(crate) fn len(&self) -> usize {
        let (_, real) = unpack(self.0.head.load(Acquire));
        // `tail >= real` (see the orderings), but a stale `head` can put
        // `real` more than `N` behind.
        (self.0.tail.load(Acquire).wrapping_sub(real) as usize).min(N)
    }

    /// Whether the queue looks empty: a hint.
    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<const N: usize> Clone for Steal<N> {
    fn clone(&self) -> Steal<N> {
        Steal(self.0.clone())
    }
}

impl<const N: usize> Drop for Local<N> {
    fn drop(&mut self) {
        // Each queued address stands for a task reference that would leak.
        if !std::thread::panicking() {
            assert!(self.is_empty(), "run queue dropped with tasks in it");
        }
    }
}

impl<const N: usize> Iterator for Overflow<'_, N> {
    type Item = NonZeroUsize;

    fn next(&mut self) -> Option<NonZeroUsize> {
        if self.next == self.end {
            return self.pushed.take();
        }
        let task = self.inner.read(self.next);
        self.next = self.next.wrapping_add(1);
        Some(task)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.end.wrapping_sub(self.next) as usize + usize::from(self.pushed.is_some());
        (n, Some(n))
    }
}

impl<const N: usize> ExactSizeIterator for Overflow<'_, N> {}

impl<const N: usize> fmt::Debug for Local<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Local").field("len", &self.len()).finish()
    }
}

impl<const N: usize> fmt::Debug for Steal<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Steal").field("len", &self.len()).finish()
    }
}

impl<const N: usize> fmt::Debug for Overflow<'_, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Overflow")
            .field("len", &self.len())
            .finish()
    }
}

fn _assert_kinds() {
    fn send<T: Send>() {}
    fn send_sync<T: Send + Sync>() {}
    send::<Local<CAPACITY>>();
    send_sync::<Steal<CAPACITY>>();
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, AtomicUsize as StdAtomicUsize, Ordering::SeqCst};
    use std::thread;

    fn task(n: usize) -> NonZeroUsize {
        NonZeroUsize::new(n).unwrap()
    }

    fn no_overflow<const N: usize>(batch: Overflow<'_, N>) {
        panic!("unexpected overflow of {} tasks", batch.len());
    }

    fn drain<const N: usize>(q: &mut Local<N>) -> Vec<usize> {
        std::iter::from_fn(|| q.pop())
            .map(NonZeroUsize::get)
            .collect()
    }

    #[test]
    fn pops_in_push_order_across_laps_and_counter_wrap() {
        // Starting just below the wrap, seven laps of an 8-slot ring cross it.
        let (mut q, _steal) = local_from::<8>(u32::MAX - 20);
        let mut next = 1;
        for _ in 0..10 {
            let first = next;
            for _ in 0..6 {
                q.push_back(task(next), no_overflow);
                next += 1;
            }
            assert_eq!(q.len(), 6);
            assert_eq!(q.remaining_slots(), 2);
            assert_eq!(drain(&mut q), (first..next).collect::<Vec<_>>());
            assert!(q.is_empty());
            assert_eq!(q.pop(), None);
        }
    }

    #[test]
    fn overflow_hands_out_the_oldest_half_and_the_new_task() {
        let (mut q, _steal) = local::<8>();
        for n in 1..=8 {
            q.push_back(task(n), no_overflow);
        }
        assert_eq!(q.remaining_slots(), 0);
        let mut batches = Vec::new();
        q.push_back(task(9), |batch| {
            assert_eq!(batch.len(), 5);
            batches.push(batch.map(NonZeroUsize::get).collect::<Vec<_>>());
        });
        assert_eq!(batches, [vec![1, 2, 3, 4, 9]]);
        assert_eq!(q.len(), 4);
        // The freed half takes new pushes without another overflow.
        for n in 10..=13 {
            q.push_back(task(n), no_overflow);
        }
        assert_eq!(drain(&mut q), [5, 6, 7, 8, 10, 11, 12, 13]);
    }

    #[test]
    fn steal_takes_half_rounded_up_and_returns_the_oldest() {
        let (mut src, steal) = local::<8>();
        let (mut dst, _) = local::<8>();
        assert_eq!(steal.steal_into(&mut dst), None);
        for n in 1..=6 {
            src.push_back(task(n), no_overflow);
        }
        // A pop with no steal in progress leaves the queue stealable and
        // its slot free.
        assert_eq!(src.pop(), Some(task(1)));
        assert_eq!(src.remaining_slots(), 3);
        assert_eq!(steal.len(), 5);
        assert_eq!(steal.steal_into(&mut dst), Some(task(2)));
        assert_eq!(drain(&mut dst), [3, 4]);
        assert_eq!(steal.len(), 2);
        assert_eq!(src.remaining_slots(), 6);
        // One left after this: a single task is stolen too.
        assert_eq!(steal.steal_into(&mut dst), Some(task(5)));
        assert!(dst.is_empty());
        assert_eq!(steal.steal_into(&mut dst), Some(task(6)));
        assert!(steal.is_empty());
        assert_eq!(steal.steal_into(&mut dst), None);
    }

    #[test]
    fn steal_fits_what_the_destination_has_room_for() {
        let (mut src, steal) = local::<8>();
        let (mut dst, _) = local::<8>();
        for n in 1..=8 {
            src.push_back(task(n), no_overflow);
            dst.push_back(task(100 + n), no_overflow);
        }
        assert_eq!(dst.pop(), Some(task(101)));
        // Room for one in `dst`, plus the one returned.
        assert_eq!(steal.steal_into(&mut dst), Some(task(1)));
        assert_eq!(src.len(), 6);
        assert_eq!(drain(&mut dst), [102, 103, 104, 105, 106, 107, 108, 2]);
        assert_eq!(drain(&mut src), [3, 4, 5, 6, 7, 8]);
    }

    #[test]
    fn stealing_from_oneself_takes_nothing() {
        let (mut q, steal) = local::<8>();
        q.push_back(task(1), no_overflow);
        assert_eq!(steal.steal_into(&mut q), None);
        assert_eq!(drain(&mut q), [1]);
    }

    /// `n`, divided by `STRESS_DIVISOR` if set: scripts/valgrind.sh runs the
    /// stress tests smaller, where each step costs ~100 times more.
    fn stress_size(n: usize) -> usize {
        let divisor = std::env::var("STRESS_DIVISOR")
            .ok()
            .and_then(|d| d.parse().ok());
        (n / divisor.unwrap_or(1).max(1)).max(1)
    }

    /// One owner pushes and pops 100k tasks, overflowing into a sink, while
    /// two workers steal from it and from each other. Every task comes out
    /// exactly once.
    #[test]
    fn every_task_comes_out_once_under_concurrent_steals() {
        let tasks = stress_size(100_000);
        let seen: Arc<Vec<AtomicBool>> =
            Arc::new((0..=tasks).map(|_| AtomicBool::new(false)).collect());
        let counts: Arc<[StdAtomicUsize; 3]> = Arc::default(); // popped, stolen, overflowed
        let done = Arc::new(AtomicBool::new(false));
        let see = |seen: &[AtomicBool], t: NonZeroUsize| {
            assert!(!seen[t.get()].swap(true, SeqCst), "task {t} came out twice");
        };

        let (mut owner, owner_steal) = local::<CAPACITY>();
        let workers: Vec<_> = (0..2).map(|_| local::<CAPACITY>()).collect();
        let stealers: Vec<_> = workers.iter().map(|(_, s)| s.clone()).collect();
        let threads: Vec<_> = workers
            .into_iter()
            .enumerate()
            .map(|(i, (mut mine, _))| {
                let victims = [owner_steal.clone(), stealers[1 - i].clone()];
                let (seen, counts, done) = (seen.clone(), counts.clone(), done.clone());
                thread::spawn(move || {
                    loop {
                        // Finished only when the owner is done and a last
                        // round of steals found nothing.
                        let finished = done.load(SeqCst);
                        let mut found = false;
                        for victim in &victims {
                            if let Some(t) = victim.steal_into(&mut mine) {
                                see(&seen, t);
                                counts[1].fetch_add(1, SeqCst);
                                found = true;
                            }
                        }
                        // Run a few, leaving the rest to be stolen back.
                        for _ in 0..3 {
                            if let Some(t) = mine.pop() {
                                see(&seen, t);
                                counts[0].fetch_add(1, SeqCst);
                                found = true;
                            }
                        }
                        if finished && !found && mine.is_empty() {
                            return;
                        }
                    }
                })
            })
            .collect();

        for n in 1..=tasks {
            owner.push_back(task(n), |batch| {
                for t in batch {
                    see(&seen, t);
                    counts[2].fetch_add(1, SeqCst);
                }
            });
            if n % 3 == 0
                && let Some(t) = owner.pop()
            {
                see(&seen, t);
                counts[0].fetch_add(1, SeqCst);
            }
        }
        while let Some(t) = owner.pop() {
            see(&seen, t);
            counts[0].fetch_add(1, SeqCst);
        }
        done.store(true, SeqCst);
        for t in threads {
            t.join().unwrap();
        }

        let missing: Vec<_> = (1..=tasks).filter(|&n| !seen[n].load(SeqCst)).collect();
        assert!(missing.is_empty(), "lost tasks: {missing:?}");
        let [popped, stolen, overflowed] = counts.each_ref().map(|c| c.load(SeqCst));
        assert_eq!(popped + stolen + overflowed, tasks);
        eprintln!("popped {popped}, stolen {stolen}, overflowed {overflowed}");
    }
}
