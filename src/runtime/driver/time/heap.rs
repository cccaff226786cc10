//! Test-only: the indexed 4-ary min-heap that was measured against the
//! wheel, and the measurement itself (`cargo test --release --lib
//! timer_queue_comparison -- --ignored --nocapture`; the numbers and the
//! choice are in the parent module).
//!
//! Each timer owns a slab slot holding its deadline, waker and heap
//! position, so it is removed in place in O(log n); the heap holds
//! `(deadline, key)` pairs, four children to a node (one cache line).

use std::task::Waker;
use std::time::Instant;

use super::wheel::TimerQueue;

/// Children per heap node.
const ARITY: usize = 4;

/// `Slot::pos` of a timer that is not in the heap: fired, or never armed.
const NOT_QUEUED: u32 = u32::MAX;

/// `Slot::pos` of a free slot.
const FREE: u32 = u32::MAX - 1;

type TimerKey = u32;

#[derive(Debug)]
struct Slot {
    /// Woken (taken) when the timer fires.
    waker: Option<Waker>,
    /// Index in `heap`, or `NOT_QUEUED` once fired, or `FREE`.
    pos: u32,
}

/// One heap element; `deadline` is copied so sifting never touches the slab.
#[derive(Debug, Clone, Copy)]
struct Item {
    deadline: u64,
    key: TimerKey,
}

/// The runtime's timers, ordered by deadline.
#[derive(Debug, Default)]
pub(crate) struct Heap {
    /// Every timer handed out and not yet freed; free slots are `FREE`.
    slots: Vec<Slot>,
    /// Indices of free slots, reused before the slab grows.
    free: Vec<TimerKey>,
    /// Armed timers; `heap[0]` has the earliest deadline. Invariant:
    /// `slots[heap[i].key].pos == i`.
    heap: Vec<Item>,
}

impl Heap {
    /// Arms a new timer; it fires (its waker is taken) once `deadline` has
    /// passed.
    pub(crate) fn insert(&mut self, deadline: u64, waker: Waker) -> TimerKey {
        let slot = Slot {
            waker: Some(waker),
            pos: NOT_QUEUED,
        };
        let key = match self.free.pop() {
            Some(key) => {
                self.slots[key as usize] = slot;
                key
            }
            None => {
                let key = u32::try_from(self.slots.len()).expect("more than 4 billion timers");
                self.slots.push(slot);
                key
            }
        };
        self.push(key, deadline);
        key
    }

    /// Frees `key` (dequeuing it if armed) and returns its waker, which the
    /// caller drops after releasing any lock.
    pub(crate) fn remove(&mut self, key: TimerKey) -> Option<Waker> {
        self.dequeue(key);
        let slot = &mut self.slots[key as usize];
        debug_assert_ne!(slot.pos, FREE, "timer freed twice");
        slot.pos = FREE;
        self.free.push(key);
        slot.waker.take()
    }

    /// The earliest armed deadline.
    pub(crate) fn next_deadline(&self) -> Option<u64> {
        self.heap.first().map(|item| item.deadline)
    }

    /// Fires every timer whose deadline is `<= now`, pushing its waker to
    /// `out`.
    pub(crate) fn fire_expired(&mut self, now: u64, out: &mut Vec<Waker>) {
        while let Some(top) = self.heap.first().copied() {
            if top.deadline > now {
                break;
            }
            self.dequeue(top.key);
            out.extend(self.slots[top.key as usize].waker.take());
        }
    }

    /// Armed timers.
    pub(crate) fn len(&self) -> usize {
        self.heap.len()
    }

    fn push(&mut self, key: TimerKey, deadline: u64) {
        let pos = self.heap.len();
        self.heap.push(Item { deadline, key });
        self.slots[key as usize].pos = pos as u32;
        self.sift_up(pos);
    }

    /// Takes an armed timer out of the heap; a no-op if it is not armed.
    fn dequeue(&mut self, key: TimerKey) {
        let pos = self.slots[key as usize].pos;
        if pos >= FREE {
            return;
        }
        self.slots[key as usize].pos = NOT_QUEUED;
        let pos = pos as usize;
        let last = self.heap.pop().expect("an armed timer is in the heap");
        if pos < self.heap.len() {
            // Fill the hole with the last item and restore the order around it.
            let old = self.heap[pos].deadline;
            self.heap[pos] = last;
            self.slots[last.key as usize].pos = pos as u32;
            if last.deadline < old {
                self.sift_up(pos);
            } else {
                self.sift_down(pos);
            }
        }
    }

    fn sift_up(&mut self, mut pos: usize) {
        let item = self.heap[pos];
        while pos > 0 {
            let parent = (pos - 1) / ARITY;
            if self.heap[parent].deadline <= item.deadline {
                break;
            }
            self.place(pos, self.heap[parent]);
            pos = parent;
        }
        self.place(pos, item);
    }

    fn sift_down(&mut self, mut pos: usize) {
        let item = self.heap[pos];
        let len = self.heap.len();
        loop {
            let first = pos * ARITY + 1;
            if first >= len {
                break;
            }
            let end = (first + ARITY).min(len);
            let mut min = first;
            for child in first + 1..end {
                if self.heap[child].deadline < self.heap[min].deadline {
                    min = child;
                }
            }
            if self.heap[min].deadline >= item.deadline {
                break;
            }
            self.place(pos, self.heap[min]);
            pos = min;
        }
        self.place(pos, item);
    }

    fn place(&mut self, pos: usize, item: Item) {
        self.heap[pos] = item;
        self.slots[item.key as usize].pos = pos as u32;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(q: &Heap) {
        for (i, item) in q.heap.iter().enumerate() {
            assert_eq!(q.slots[item.key as usize].pos as usize, i);
            if i > 0 {
                assert!(q.heap[(i - 1) / ARITY].deadline <= item.deadline);
            }
        }
    }

    #[test]
    fn fires_in_deadline_order_and_removes_in_place() {
        let mut q = Heap::default();
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut keys = Vec::new();
        for _ in 0..1000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            keys.push((q.insert(x % 10_000, Waker::noop().clone()), x % 10_000));
        }
        check(&q);
        for &(key, _) in keys.iter().step_by(3) {
            q.remove(key);
        }
        check(&q);
        let mut out = Vec::new();
        let mut last = 0;
        while let Some(d) = q.next_deadline() {
            assert!(d >= last);
            last = d;
            q.fire_expired(d, &mut out);
            check(&q);
        }
        assert_eq!(out.len(), 1000 - keys.iter().step_by(3).count());
        assert_eq!(q.len(), 0);
    }
}

/// A xorshift generator: deterministic workloads without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self, bound: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % bound
    }
}

/// The operations the comparison drives.
trait Queue {
    fn ins(&mut self, deadline: u64, now: u64) -> u32;
    fn rem(&mut self, key: u32);
    fn next(&self) -> Option<u64>;
    fn fire(&mut self, now: u64, out: &mut Vec<Waker>);
    fn count(&self) -> usize;
}

impl Queue for Heap {
    fn ins(&mut self, d: u64, _now: u64) -> u32 {
        self.insert(d, Waker::noop().clone())
    }
    fn rem(&mut self, k: u32) {
        self.remove(k);
    }
    fn next(&self) -> Option<u64> {
        self.next_deadline()
    }
    fn fire(&mut self, now: u64, out: &mut Vec<Waker>) {
        self.fire_expired(now, out);
    }
    fn count(&self) -> usize {
        self.len()
    }
}

impl Queue for TimerQueue {
    fn ins(&mut self, d: u64, now: u64) -> u32 {
        self.insert(d, now, Waker::noop().clone())
    }
    fn rem(&mut self, k: u32) {
        self.remove(k);
    }
    fn next(&self) -> Option<u64> {
        self.next_deadline()
    }
    fn fire(&mut self, now: u64, out: &mut Vec<Waker>) {
        self.fire_expired(now, out);
    }
    fn count(&self) -> usize {
        self.len()
    }
}

const MS: u64 = 1_000_000;

/// ns per timer for: (a) 1M timeouts inserted and cancelled among 50k
/// background timers, (b) 50k timers of 1 ms..10 s inserted then all fired
/// by advancing to each next deadline, (c) 100k inserted, half cancelled at
/// random, the rest fired, (d) 1M request timeouts of one duration, 10k in
/// flight, cancelled oldest first.
fn workloads<Q: Queue>(q: &mut Q) -> [f64; 4] {
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let mut out = Vec::new();
    let mut now = 0;
    let background: Vec<u32> = (0..50_000)
        .map(|_| q.ins(20_000 * MS + rng.next(10_000 * MS), 0))
        .collect();
    let t = Instant::now();
    for i in 0..1_000_000u64 {
        let k = q.ins(now + 5_000 * MS + rng.next(1000 * MS), now);
        q.rem(k);
        now = i * 1000;
    }
    let churn = t.elapsed().as_nanos() as f64 / 1e6;
    background.into_iter().for_each(|k| q.rem(k));

    let t = Instant::now();
    for _ in 0..50_000 {
        q.ins(now + MS + rng.next(10_000 * MS), now);
    }
    while let Some(d) = q.next() {
        now = now.max(d);
        q.fire(now, &mut out);
    }
    let fire = t.elapsed().as_nanos() as f64 / 5e4;
    assert_eq!(out.len(), 50_000);
    out.clear();

    let t = Instant::now();
    let mut keys: Vec<u32> = (0..100_000)
        .map(|_| q.ins(now + MS + rng.next(1000 * MS), now))
        .collect();
    for i in (1..keys.len()).rev() {
        keys.swap(i, rng.next(i as u64 + 1) as usize);
    }
    keys.drain(..50_000).for_each(|k| q.rem(k));
    while let Some(d) = q.next() {
        now = now.max(d);
        q.fire(now, &mut out);
    }
    let mixed = t.elapsed().as_nanos() as f64 / 1e5;
    assert_eq!(out.len(), 50_000);
    assert_eq!(q.count(), 0);

    // Request timeouts: 10k in flight, all 5 s, each cancelled (done) in
    // arrival order as a new one starts.
    let mut window: std::collections::VecDeque<u32> = (0..10_000u64)
        .map(|i| q.ins(now + 5_000 * MS + i * 1000, now))
        .collect();
    let t = Instant::now();
    for i in 10_000..1_010_000u64 {
        q.rem(window.pop_front().expect("full window"));
        window.push_back(q.ins(now + 5_000 * MS + i * 1000, now));
    }
    let fifo = t.elapsed().as_nanos() as f64 / 1e6;
    window.into_iter().for_each(|k| q.rem(k));
    [churn, fire, mixed, fifo]
}

#[test]
#[ignore = "a measurement: run with --release --ignored --nocapture"]
fn timer_queue_comparison() {
    let heap = workloads(&mut Heap::default());
    let wheel = workloads(&mut TimerQueue::default());
    println!("ns per timer        churn  fire-50k  mixed-100k  fifo-10k");
    for (name, r) in [("heap (4-ary)", heap), ("wheel (10x64, 1 µs)", wheel)] {
        println!(
            "{name:<19} {:>6.1} {:>9.1} {:>11.1} {:>9.1}",
            r[0], r[1], r[2], r[3]
        );
    }
}
