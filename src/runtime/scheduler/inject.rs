//! The injection queue: tasks spawned or woken from threads that do not run
//! the runtime, waiting for the runtime to take them. Every flavor has one.
//!
//! Pushers never take a lock: a push is one compare-exchange on `tail` and
//! a store into a slot. Consumers take one (`consumer`), held only to take
//! tasks out: the workers of a multi-thread runtime take batches
//! concurrently, and shutdown must know that nobody holds a task it has not
//! seen.
//!
//! # Protocol
//!
//! The queue is a list of blocks of `BLOCK_CAP` slots, in the manner of
//! crossbeam's `SegQueue`. Tasks are opaque addresses ([`Entry`]); a slot
//! holds `addr << 1 | SPAWNED`, or 0 until its pusher has written it.
//!
//! * `tail.index` — the next position to reserve, `<< SHIFT`, with the
//!   `CLOSED` bit. Position `p` is slot `p % LAP` of its block; offset
//!   `BLOCK_CAP` is no slot but the moment the next block is installed.
//!   Changed only by read-modify-writes: a pusher reserves slots by moving
//!   it with a compare-exchange that fails once `CLOSED` is set, so a push
//!   and [`Inject::close`] are ordered: either the push reserved its slot
//!   before the close (and the close waits for the slot and hands the task
//!   back to the runtime to cancel), or it sees `CLOSED` and gets its task
//!   back. No task is lost or taken twice, whatever the interleaving (loom:
//!   `loom/src/inject_models.rs`, and `loom_spawn_racing_shutdown`).
//! * `tail.block` — the block positions at `tail.index` fall in. The pusher
//!   that reserves a block's last slot moves `tail.index` to offset
//!   `BLOCK_CAP` (other pushers wait for it), installs the next block it
//!   allocated beforehand (`tail.block`, then `tail.index` to the next
//!   block's first slot, then the old block's `next`), and then writes its
//!   slot; so a consumer that read a block's last slot finds `next` set.
//! * `head` — the next position to take (never at offset `BLOCK_CAP`), and
//!   its block. Written only under `consumer`, which the taking methods and
//!   [`Inject::close`] hold. A consumer takes slots in order and stops at
//!   one not yet written (its pusher signals the runtime after writing); it
//!   frees a block once it took its last slot (every pusher of that block
//!   has then written, and no pusher reaches a block behind `tail`).
//! * Counts: position `p` has `p - p / LAP` slots before it. `len` is the
//!   count at `tail` minus the count at `head`; a push raises it before the
//!   pusher signals the runtime (`park.rs`), and the consumer lowers it after
//!   it took the tasks, so a runtime that sees 0 may skip the lock: a push it
//!   missed is followed by a signal that makes it look again. `pushed` is the
//!   count at `tail`.
//!
//! The queue is one FIFO: new and woken tasks come out in the order they
//! were queued (the mutex-based queue this replaces took new ones first; no
//! caller relies on that, and tokio's injection queue is one FIFO too).

use std::marker::PhantomData;
use std::num::NonZeroUsize;
use std::ptr;

use crate::loom::hint::spin_loop;
use crate::loom::sync::atomic::{
    AtomicPtr, AtomicUsize,
    Ordering::{AcqRel, Acquire, Relaxed, Release},
};
use crate::loom::sync::{Mutex, MutexGuard, TryLockError};
use crate::loom::thread::yield_now;

/// Positions per block, the last of which is no slot. Small under loom so
/// that a few pushes cross a block.
#[cfg(not(loom))]
const LAP: usize = 64;
#[cfg(loom)]
const LAP: usize = 4;
/// Slots per block.
const BLOCK_CAP: usize = LAP - 1;
/// `tail.index` and `head.index` keep positions above this many flag bits.
const SHIFT: usize = 1;
/// In `tail.index`: nothing more is accepted.
const CLOSED: usize = 1;
/// In a slot: the task is new (not yet in the runtime's owned list).
const SPAWNED: usize = 1;

/// What the queue holds: a value that is a non-zero address (its top bit
/// clear: the queue keeps a flag beside it).
pub(crate) trait Entry: Copy {
    fn into_addr(self) -> NonZeroUsize;
    fn from_addr(addr: NonZeroUsize) -> Self;
}

/// A run of `BLOCK_CAP` slots, and the block after it.
struct Block {
    /// Set by the pusher that reserves this block's last slot, before it
    /// writes that slot.
    next: AtomicPtr<Block>,
    /// `addr << 1 | SPAWNED`, or 0 until written. Each written once.
    slots: [AtomicUsize; BLOCK_CAP],
}

impl Block {
    fn alloc() -> *mut Block {
        Box::into_raw(Box::new(Block {
            next: AtomicPtr::new(ptr::null_mut()),
            slots: std::array::from_fn(|_| AtomicUsize::new(0)),
        }))
    }
}

/// Keeps the pushers' and the consumers' words on cache lines of their own.
#[repr(align(128))]
struct End {
    /// A position `<< SHIFT` (with `CLOSED` in `tail`'s).
    index: AtomicUsize,
    /// The block `index` falls in.
    block: AtomicPtr<Block>,
}

/// Tasks queued from other threads.
pub(crate) struct Inject<T> {
    /// Where pushers reserve slots.
    tail: End,
    /// Where consumers take them; written only under `consumer`.
    head: End,
    /// The right to take: held to move `head` and read the slots behind it.
    consumer: Mutex<()>,
    _entries: PhantomData<T>,
}

impl<T: Entry> std::fmt::Debug for Inject<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inject")
            .field("len", &self.len())
            .field("closed", &(self.tail.index.load(Relaxed) & CLOSED != 0))
            .finish_non_exhaustive()
    }
}

impl<T: Entry> Default for Inject<T> {
    fn default() -> Inject<T> {
        Inject::new()
    }
}

/// How many slots come before the position in `index`.
fn count(index: usize) -> usize {
    let pos = index >> SHIFT;
    pos - pos / LAP
}

/// Waits for another thread's step: a few spins, then yields the CPU (the
/// other thread may be preempted on this one).
struct Backoff(u32);

impl Backoff {
    fn snooze(&mut self) {
        if cfg!(loom) || self.0 > 6 {
            yield_now();
        } else {
            (0..1 << self.0).for_each(|_| spin_loop());
            self.0 += 1;
        }
    }
}

/// Slots a pusher reserved: write them all.
struct Reserved {
    block: *mut Block,
    /// The first reserved slot's offset in `block`.
    offset: usize,
    /// How many (at most to the end of the block).
    n: usize,
}

impl<T: Entry> Inject<T> {
    pub(crate) fn new() -> Inject<T> {
        let block = Block::alloc();
        Inject {
            tail: End {
                index: AtomicUsize::new(0),
                block: AtomicPtr::new(block),
            },
            head: End {
                index: AtomicUsize::new(0),
                block: AtomicPtr::new(block),
            },
            consumer: Mutex::new(()),
            _entries: PhantomData,
        }
    }

    fn lock(&self) -> MutexGuard<'_, ()> {
        // A consumer's callback does not panic between its steps (and the
        // head is stored after each task taken); ignore poisoning.
        self.consumer
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Queues a new task; gives it back if the runtime has shut down.
    pub(crate) fn push_spawned(&self, task: T) -> Result<(), T> {
        self.push_one(task, SPAWNED)
    }

    /// Queues a woken task; gives it back if the runtime has shut down.
    pub(crate) fn push_woken(&self, task: T) -> Result<(), T> {
        self.push_one(task, 0)
    }

    fn push_one(&self, task: T, flag: usize) -> Result<(), T> {
        let Some(r) = self.reserve(1) else {
            return Err(task);
        };
        self.write(&r, 0, task, flag);
        Ok(())
    }

    /// Queues woken tasks (a worker's run queue overflowing, or handed off);
    /// gives back those it could not queue because the runtime has shut
    /// down (a close in the middle of the batch queues the ones before it).
    pub(crate) fn push_woken_batch(&self, tasks: impl Iterator<Item = T>) -> Result<(), Vec<T>> {
        let mut tasks = tasks.peekable();
        let mut chunk = [None; BLOCK_CAP];
        while tasks.peek().is_some() {
            let mut n = 0;
            for (slot, task) in chunk.iter_mut().zip(tasks.by_ref()) {
                *slot = Some(task);
                n += 1;
            }
            let mut written = 0;
            while written < n {
                let Some(r) = self.reserve(n - written) else {
                    let refused = chunk[written..n].iter().flatten().copied();
                    return Err(refused.chain(tasks).collect());
                };
                for i in 0..r.n {
                    let task = chunk[written + i].expect("filled above");
                    self.write(&r, i, task, 0);
                }
                written += r.n;
            }
        }
        Ok(())
    }

    /// Reserves up to `max` slots (at least 1) at the tail, all in one
    /// block; `None` once the queue is closed.
    fn reserve(&self, max: usize) -> Option<Reserved> {
        let mut backoff = Backoff(0);
        // Allocated before the reservation that needs it, so that the
        // others wait for two stores rather than for the allocator.
        let mut next: *mut Block = ptr::null_mut();
        let reserved = loop {
            let tail = self.tail.index.load(Acquire);
            if tail & CLOSED != 0 {
                break None;
            }
            let offset = (tail >> SHIFT) % LAP;
            if offset == BLOCK_CAP {
                // Another pusher is installing the next block.
                backoff.snooze();
                continue;
            }
            let block = self.tail.block.load(Acquire);
            let n = max.min(BLOCK_CAP - offset);
            let last = offset + n == BLOCK_CAP;
            if last && next.is_null() {
                next = Block::alloc();
            }
            let new = tail + (n << SHIFT);
            let exchanged = self
                .tail
                .index
                .compare_exchange_weak(tail, new, AcqRel, Relaxed);
            if exchanged.is_err() {
                spin_loop();
                continue;
            }
            if last {
                // Other pushers wait at offset `BLOCK_CAP` until the next
                // block is there.
                self.tail.block.store(next, Release);
                self.tail.index.fetch_add(1 << SHIFT, Release);
                // SAFETY: `block` is the block of the positions just reserved
                // (`tail.block` moves only after `tail.index` left them, and
                // then the exchange fails), and a block is freed only after
                // its last slot was taken, which this pusher writes below.
                unsafe { (*block).next.store(next, Release) };
                next = ptr::null_mut();
            }
            break Some(Reserved { block, offset, n });
        };
        if !next.is_null() {
            // SAFETY: allocated above by `Block::alloc` and never shared.
            drop(unsafe { Box::from_raw(next) });
        }
        reserved
    }

    /// Writes the `i`-th slot of a reservation.
    fn write(&self, r: &Reserved, i: usize, task: T, flag: usize) {
        let addr = task.into_addr().get();
        debug_assert!(addr >> (usize::BITS - 1) == 0, "no room for the flag");
        // SAFETY: the slot is reserved to this pusher, so its block is alive
        // until a consumer took the slot, which it does only once written.
        let slot = unsafe { &(*r.block).slots[r.offset + i] };
        slot.store(addr << 1 | flag, Release);
    }

    /// How many tasks were ever queued.
    pub(crate) fn pushed(&self) -> u64 {
        count(self.tail.index.load(Acquire)) as u64
    }

    /// How many tasks are queued (a slot reserved by a push still writing it
    /// counts).
    pub(crate) fn len(&self) -> usize {
        // `head` first: the consumer that moved it had seen `tail` beyond
        // it, and so does this load (positions only grow).
        let head = self.head.index.load(Acquire);
        let tail = self.tail.index.load(Acquire);
        count(tail) - count(head)
    }

    /// Whether nothing is queued (without taking the lock).
    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Takes the task at `head`, if it is queued and written. The caller
    /// holds `consumer`.
    fn pop(&self, _consumer: &MutexGuard<'_, ()>, end: usize) -> Option<(T, bool)> {
        let head = self.head.index.load(Relaxed);
        if count(head) >= end {
            return None;
        }
        let block = self.head.block.load(Relaxed);
        let offset = (head >> SHIFT) % LAP;
        // SAFETY: `head.block` is the block of `head`, alive until this
        // consumer frees it below; `head` is queued (below `end`, a count
        // at `tail`), so its slot is reserved and will be written.
        let word = unsafe { (*block).slots[offset].load(Acquire) };
        if word == 0 {
            // Its pusher is still writing it, and signals afterwards.
            return None;
        }
        if offset + 1 == BLOCK_CAP {
            // SAFETY: as above; its pusher set `next` before writing this
            // slot (release/acquire through the slot).
            let next = unsafe { (*block).next.load(Acquire) };
            assert!(
                !next.is_null(),
                "a block's last slot written before its next"
            );
            self.head.block.store(next, Relaxed);
            self.head.index.store(head + (2 << SHIFT), Release);
            // SAFETY: every slot of the block has been taken, so each of its
            // pushers has written; later pushers reserve in later blocks.
            drop(unsafe { Box::from_raw(block) });
        } else {
            self.head.index.store(head + (1 << SHIFT), Release);
        }
        let addr = NonZeroUsize::new(word >> 1).expect("a written slot");
        Some((T::from_addr(addr), word & SPAWNED != 0))
    }

    /// Takes everything queued (up to what was queued when it started),
    /// in order; `f(task, true)` for a new task, `f(task, false)` for a
    /// woken one. Returns how many were taken. `f` runs under the lock (it
    /// must only queue the task: no user code, no other use of this queue).
    pub(crate) fn drain(&self, mut f: impl FnMut(T, bool)) -> usize {
        if self.is_empty() {
            return 0;
        }
        let consumer = self.lock();
        let end = count(self.tail.index.load(Acquire));
        let mut n = 0;
        while let Some((task, spawned)) = self.pop(&consumer, end) {
            f(task, spawned);
            n += 1;
        }
        n
    }

    /// Takes at most `max` tasks, in order, as [`Inject::drain`]. Another
    /// thread taking from the queue at the same time makes it take none
    /// (that thread takes its share). `f` runs under the lock.
    pub(crate) fn pop_batch(&self, max: usize, mut f: impl FnMut(T, bool)) -> usize {
        if self.is_empty() || max == 0 {
            return 0;
        }
        let consumer = match self.consumer.try_lock() {
            Ok(guard) => guard,
            Err(TryLockError::Poisoned(e)) => e.into_inner(),
            Err(TryLockError::WouldBlock) => return 0,
        };
        let end = count(self.tail.index.load(Acquire));
        let mut n = 0;
        while n < max
            && let Some((task, spawned)) = self.pop(&consumer, end)
        {
            f(task, spawned);
            n += 1;
        }
        n
    }

    /// Accepts nothing more, and hands back what was queued: the new tasks
    /// and the woken ones. Waits for pushes that reserved a slot before it.
    pub(crate) fn close(&self) -> (Vec<T>, Vec<T>) {
        let consumer = self.lock();
        let end = count(self.tail.index.fetch_or(CLOSED, AcqRel));
        let (mut spawned, mut woken) = (Vec::new(), Vec::new());
        let mut backoff = Backoff(0);
        while count(self.head.index.load(Relaxed)) < end {
            match self.pop(&consumer, end) {
                Some((task, true)) => spawned.push(task),
                Some((task, false)) => woken.push(task),
                None => backoff.snooze(),
            }
        }
        (spawned, woken)
    }
}

impl<T> Drop for Inject<T> {
    fn drop(&mut self) {
        // Tasks still queued are forgotten: the runtime closes the queue
        // and takes them first.
        let mut block = self.head.block.load(Relaxed);
        while !block.is_null() {
            // SAFETY: `&mut self`: no pusher or consumer is left, and every
            // block from `head` on is alive and linked through `next`
            // (the last one's is null).
            let b = unsafe { Box::from_raw(block) };
            block = b.next.load(Relaxed);
        }
    }
}

#[cfg(any(test, loom))]
impl Entry for i32 {
    fn into_addr(self) -> NonZeroUsize {
        NonZeroUsize::new(self as u32 as usize + 1).expect("not zero")
    }
    fn from_addr(addr: NonZeroUsize) -> i32 {
        (addr.get() - 1) as u32 as i32
    }
}

#[cfg(any(test, loom))]
impl Entry for NonZeroUsize {
    fn into_addr(self) -> NonZeroUsize {
        self
    }
    fn from_addr(addr: NonZeroUsize) -> NonZeroUsize {
        addr
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn drains_in_order_and_counts() {
        let inject = Inject::new();
        inject.push_woken(1).unwrap();
        inject.push_spawned(2).unwrap();
        inject.push_spawned(3).unwrap();
        assert_eq!(inject.len(), 3);
        let mut order = Vec::new();
        let n = inject.drain(|t, new| order.push((if new { "spawned" } else { "woken" }, t)));
        assert_eq!(n, 3);
        assert_eq!(order, [("woken", 1), ("spawned", 2), ("spawned", 3)]);
        assert!(inject.is_empty());
        assert_eq!(inject.pushed(), 3);
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
        assert_eq!((spawned, woken), (vec![1], vec![2]));
        assert_eq!(inject.push_spawned(3), Err(3));
        assert_eq!(inject.push_woken(4), Err(4));
        assert!(inject.is_empty());
        assert_eq!(inject.close(), (vec![], vec![]), "closed once");
    }

    /// Across many blocks, in single pushes and batches that straddle
    /// blocks, taken in odd-sized batches: every task once, in order, and
    /// the counts right at each step.
    #[test]
    fn crosses_blocks_in_order() {
        let inject = Inject::new();
        let mut next = 0;
        let mut expected = Vec::new();
        let mut got = Vec::new();
        for round in 0..50_usize {
            let batch = (round as i32 * 7) % 150;
            inject.push_woken_batch(next..next + batch).unwrap();
            expected.extend((next..next + batch).map(|t| (t, false)));
            next += batch;
            inject.push_spawned(next).unwrap();
            expected.push((next, true));
            next += 1;
            let queued = expected.len() - got.len();
            let n = inject.pop_batch(round % 40 + 1, |t, s| got.push((t, s)));
            assert_eq!(n, (round % 40 + 1).min(queued));
            assert_eq!(inject.len(), expected.len() - got.len());
            assert_eq!(inject.pushed(), expected.len() as u64);
        }
        inject.drain(|t, s| got.push((t, s)));
        assert_eq!(got, expected);
        assert!(inject.is_empty());
        // The queue drops the blocks it still holds.
        inject.push_woken_batch(0..200).unwrap();
    }

    /// `n`, divided by `STRESS_DIVISOR` if set: scripts/valgrind.sh runs the
    /// stress tests smaller, where each step costs ~100 times more.
    fn stress_size(n: usize) -> usize {
        let divisor = std::env::var("STRESS_DIVISOR")
            .ok()
            .and_then(|d| d.parse().ok());
        (n / divisor.unwrap_or(1).max(1)).max(1)
    }

    /// Threads pushing while others take and one closes: every accepted
    /// task comes out exactly once, every refused one goes back.
    #[test]
    fn concurrent_pushes_takes_and_close() {
        use std::sync::Arc;
        use std::sync::atomic::AtomicBool;
        let per = if cfg!(miri) {
            300
        } else {
            stress_size(20_000) as i32
        };
        let inject = Arc::new(Inject::new());
        let stop = Arc::new(AtomicBool::new(false));
        let pushers: Vec<_> = (0..3)
            .map(|p| {
                let inject = inject.clone();
                std::thread::spawn(move || {
                    let mut refused = Vec::new();
                    for i in 0..per {
                        let t = p * per + i;
                        let r = match i % 3 {
                            0 => inject.push_spawned(t).map_err(|t| vec![t]),
                            1 => inject.push_woken(t).map_err(|t| vec![t]),
                            _ => inject.push_woken_batch(std::iter::once(t)),
                        };
                        refused.extend(r.err().unwrap_or_default());
                    }
                    refused
                })
            })
            .collect();
        let takers: Vec<_> = (0..2)
            .map(|_| {
                let (inject, stop) = (inject.clone(), stop.clone());
                std::thread::spawn(move || {
                    let mut got = Vec::new();
                    while !stop.load(Relaxed) {
                        inject.pop_batch(17, |t, s| got.push((t, s)));
                    }
                    got
                })
            })
            .collect();
        while inject.pushed() < per as u64 {
            std::thread::yield_now();
        }
        let (spawned, woken) = inject.close();
        let mut seen: Vec<i32> = spawned.iter().chain(&woken).copied().collect();
        assert!(spawned.iter().all(|t| t % per % 3 == 0));
        assert!(woken.iter().all(|t| t % per % 3 != 0));
        let mut refused = Vec::new();
        for p in pushers {
            refused.extend(p.join().unwrap());
        }
        stop.store(true, Relaxed);
        for t in takers {
            let got = t.join().unwrap();
            assert!(got.iter().all(|&(t, s)| s == (t % per % 3 == 0)));
            seen.extend(got.into_iter().map(|(t, _)| t));
        }
        assert_eq!(seen.len() as u64, inject.pushed());
        seen.extend(refused);
        seen.sort_unstable();
        assert_eq!(seen, (0..3 * per).collect::<Vec<_>>());
    }
}
