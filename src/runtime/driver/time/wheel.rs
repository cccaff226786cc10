//! [`TimerQueue`]: the runtime's timers in a hierarchical timing wheel.
//!
//! Ten levels of 64 slots over 1 µs ticks: level `L` slots span `64^L` µs,
//! and ten levels (60 bits) hold every deadline a `u64` of nanoseconds can
//! name, so there is no horizon and nothing is clamped: `Duration::MAX`
//! simply sits in a high level forever. A timer lives in the level of the
//! highest 6-bit group in which its tick differs from `elapsed` (the last
//! tick processed), so level `L` only holds ticks in the current
//! `64^(L+1)` block but not the current `64^L` one: lower levels always
//! expire first. When a higher slot comes due, its timers cascade down.
//!
//! Each slot is a doubly linked list threaded through a slab, and a 64-bit
//! mask per level says which slots are occupied: insert and cancel are
//! O(1) whatever the number of timers. A timer owns its slab slot (its
//! [`TimerKey`]) from first poll to drop; freed slots are reused, so memory
//! stays flat.
//!
//! Deadlines stay exact (nanoseconds): a timer fires only once `now >=
//! deadline`. The earliest deadline reported to the driver is the end of the
//! earliest 1 µs tick at level 0 (at most 1 µs late, never early), or the
//! start of a higher slot, where the driver wakes to cascade.

use std::task::Waker;

const LEVELS: usize = 10;
const SLOTS: usize = 64;
const TICK_NS: u64 = 1_000;

/// `Node::at` of a timer not in the wheel: fired (or never armed).
const NOT_QUEUED: u32 = u32::MAX;
/// `Node::at` of a free slab slot.
const FREE: u32 = u32::MAX - 1;
/// The end of a slot list.
const NIL: u32 = u32::MAX;

/// A timer's slab slot; only the `Sleep` that got it may use or free it.
pub(crate) type TimerKey = u32;

#[derive(Debug)]
struct Node {
    /// Nanoseconds since the runtime's origin.
    deadline: u64,
    /// Taken when the timer fires.
    waker: Option<Waker>,
    /// Neighbours in the slot list (`NIL` at the ends).
    prev: u32,
    next: u32,
    /// `level * SLOTS + slot` while armed, else `NOT_QUEUED` or `FREE`.
    at: u32,
}

/// The runtime's timers.
#[derive(Debug)]
pub(crate) struct TimerQueue {
    nodes: Vec<Node>,
    /// Free slab slots, reused before the slab grows.
    free: Vec<TimerKey>,
    /// The first node of each slot's list, `level * SLOTS + slot`.
    heads: [u32; LEVELS * SLOTS],
    /// Bit `s` of `occupied[l]`: slot `s` of level `l` is not empty.
    occupied: [u64; LEVELS],
    /// The last tick processed; every armed timer's tick is `>=` it.
    elapsed: u64,
    /// Armed timers.
    len: usize,
    /// Set at the runtime's shutdown, with every timer fired: polls then
    /// complete at once instead of arming a timer nobody would fire.
    closed: bool,
}

impl Default for TimerQueue {
    fn default() -> TimerQueue {
        TimerQueue {
            nodes: Vec::new(),
            free: Vec::new(),
            heads: [NIL; LEVELS * SLOTS],
            occupied: [0; LEVELS],
            elapsed: 0,
            len: 0,
            closed: false,
        }
    }
}

impl TimerQueue {
    /// Arms a new timer; it fires once `deadline` has passed. `now` lets an
    /// empty wheel catch up, so a timer set after a long idle is not placed
    /// (and woken for) relative to a stale tick.
    pub(crate) fn insert(&mut self, deadline: u64, now: u64, waker: Waker) -> TimerKey {
        self.catch_up(now);
        let node = Node {
            deadline,
            waker: Some(waker),
            prev: NIL,
            next: NIL,
            at: NOT_QUEUED,
        };
        let key = match self.free.pop() {
            Some(key) => {
                self.nodes[key as usize] = node;
                key
            }
            None => {
                let key = u32::try_from(self.nodes.len()).expect("fewer than 4 billion timers");
                self.nodes.push(node);
                key
            }
        };
        self.link(key);
        key
    }

    /// Frees `key` (disarming it) and returns its waker, which the caller
    /// drops after releasing any lock.
    pub(crate) fn remove(&mut self, key: TimerKey) -> Option<Waker> {
        let waker = self.fire(key);
        let node = &mut self.nodes[key as usize];
        debug_assert_ne!(node.at, FREE, "timer freed twice");
        node.at = FREE;
        self.free.push(key);
        waker
    }

    /// Fires one timer now (it is disarmed) and returns its waker.
    pub(crate) fn fire(&mut self, key: TimerKey) -> Option<Waker> {
        if self.nodes[key as usize].at < FREE {
            self.unlink(key);
        }
        self.nodes[key as usize].waker.take()
    }

    /// Whether the timer has fired (it is no longer armed).
    pub(crate) fn is_fired(&self, key: TimerKey) -> bool {
        self.nodes[key as usize].at == NOT_QUEUED
    }

    /// Replaces the waker unless it would wake the same task; returns the old
    /// one for the caller to drop after releasing any lock.
    pub(crate) fn set_waker(&mut self, key: TimerKey, waker: &Waker) -> Option<Waker> {
        let node = &mut self.nodes[key as usize];
        match &node.waker {
            Some(w) if w.will_wake(waker) => None,
            _ => node.waker.replace(waker.clone()),
        }
    }

    /// Moves the timer to `deadline`, re-arming it if it had fired; `now` as
    /// for `insert`.
    pub(crate) fn reset(&mut self, key: TimerKey, deadline: u64, now: u64) {
        if self.nodes[key as usize].at < FREE {
            self.unlink(key);
        }
        self.catch_up(now);
        self.nodes[key as usize].deadline = deadline;
        self.link(key);
    }

    /// With nothing armed, nothing can be behind: move `elapsed` to `now`.
    fn catch_up(&mut self, now: u64) {
        if self.len == 0 {
            self.elapsed = self.elapsed.max(now / TICK_NS);
        }
    }

    /// When the driver must wake next: the end of the earliest tick if it is
    /// in level 0 (every deadline in it has passed by then), else the start
    /// of the earliest slot, to cascade it. Never later than any deadline
    /// by more than one tick.
    pub(crate) fn next_deadline(&self) -> Option<u64> {
        let (level, _, tick) = self.next_slot()?;
        Some(if level == 0 {
            tick.saturating_mul(TICK_NS).saturating_add(TICK_NS - 1)
        } else {
            tick.saturating_mul(TICK_NS)
        })
    }

    /// The earliest deadline itself, to the nanosecond (paused time jumps
    /// to it): the smallest in the earliest slot, since every other slot
    /// and level holds later ticks.
    #[cfg(feature = "test-util")]
    pub(crate) fn earliest_deadline(&self) -> Option<u64> {
        let (level, slot, _) = self.next_slot()?;
        let mut key = self.heads[level * SLOTS + slot];
        let mut min = u64::MAX;
        while key != NIL {
            let node = &self.nodes[key as usize];
            min = min.min(node.deadline);
            key = node.next;
        }
        Some(min)
    }

    /// Fires every timer whose deadline is `<= now`, pushing its waker to
    /// `out` (the caller wakes them after releasing any lock), and cascades
    /// the slots that came due.
    pub(crate) fn fire_expired(&mut self, now: u64, out: &mut Vec<Waker>) {
        let now_tick = now / TICK_NS;
        while let Some((level, slot, tick)) = self.next_slot() {
            if tick > now_tick {
                break;
            }
            self.elapsed = tick;
            let at = level * SLOTS + slot;
            let mut key = std::mem::replace(&mut self.heads[at], NIL);
            self.occupied[level] &= !(1 << slot);
            while key != NIL {
                let node = &mut self.nodes[key as usize];
                let next = node.next;
                node.at = NOT_QUEUED;
                self.len -= 1;
                if node.deadline <= now {
                    out.extend(node.waker.take());
                } else {
                    // Down a level (or, within this very tick, back into it).
                    self.link(key);
                }
                key = next;
            }
            if level == 0 && tick == now_tick {
                // What is left in this tick is due later in it.
                break;
            }
        }
        self.elapsed = self.elapsed.max(now_tick);
    }

    /// Fires every timer, whatever its deadline (shutdown).
    pub(crate) fn fire_all(&mut self, out: &mut Vec<Waker>) {
        for at in 0..LEVELS * SLOTS {
            let mut key = std::mem::replace(&mut self.heads[at], NIL);
            while key != NIL {
                let node = &mut self.nodes[key as usize];
                node.at = NOT_QUEUED;
                out.extend(node.waker.take());
                key = node.next;
            }
        }
        self.occupied = [0; LEVELS];
        self.len = 0;
    }

    /// Closes the queue for good (shutdown); see [`TimerQueue::is_closed`].
    pub(crate) fn close(&mut self) {
        self.closed = true;
    }

    /// Whether the queue was closed: every timer counts as fired.
    pub(crate) fn is_closed(&self) -> bool {
        self.closed
    }

    /// Armed timers.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Slab slots ever allocated: the memory the queue holds.
    #[cfg(test)]
    pub(crate) fn slab_len(&self) -> usize {
        self.nodes.len()
    }

    /// The level, slot and first tick of the earliest occupied slot.
    fn next_slot(&self) -> Option<(usize, usize, u64)> {
        let level = self.occupied.iter().position(|&occ| occ != 0)?;
        let shift = 6 * level as u32;
        let pos = ((self.elapsed >> shift) % SLOTS as u64) as u32;
        // Slots at or after `pos`: a level only holds ticks of the current
        // block (see the module doc), so none is behind.
        let slot = pos + (self.occupied[level] >> pos).trailing_zeros();
        debug_assert!(slot < SLOTS as u32, "a timer behind the wheel");
        let block = self.elapsed & !((1u64 << shift << 6) - 1);
        let tick = block + (u64::from(slot) << shift);
        Some((level, slot as usize, tick.max(self.elapsed)))
    }

    fn link(&mut self, key: TimerKey) {
        let tick = (self.nodes[key as usize].deadline / TICK_NS).max(self.elapsed);
        let significant = 63 - ((tick ^ self.elapsed) | (SLOTS as u64 - 1)).leading_zeros();
        let level = significant as usize / 6;
        let slot = ((tick >> (6 * level)) % SLOTS as u64) as usize;
        let at = level * SLOTS + slot;
        let head = self.heads[at];
        let node = &mut self.nodes[key as usize];
        node.at = at as u32;
        node.prev = NIL;
        node.next = head;
        if head != NIL {
            self.nodes[head as usize].prev = key;
        }
        self.heads[at] = key;
        self.occupied[level] |= 1 << slot;
        self.len += 1;
    }

    fn unlink(&mut self, key: TimerKey) {
        let Node { prev, next, at, .. } = self.nodes[key as usize];
        let at = at as usize;
        if prev == NIL {
            self.heads[at] = next;
        } else {
            self.nodes[prev as usize].next = next;
        }
        if next != NIL {
            self.nodes[next as usize].prev = prev;
        }
        if self.heads[at] == NIL {
            self.occupied[at / SLOTS] &= !(1 << (at % SLOTS));
        }
        self.nodes[key as usize].at = NOT_QUEUED;
        self.len -= 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn noop() -> Waker {
        Waker::noop().clone()
    }

    /// Fires everything by jumping to each reported deadline; checks that no
    /// timer fires early or more than a tick late, and returns how many fired.
    fn drain(q: &mut TimerQueue, deadlines: &[Option<u64>], keys: &[TimerKey]) -> usize {
        let mut out = Vec::new();
        let mut now = 0;
        let mut fired = 0;
        while let Some(d) = q.next_deadline() {
            now = now.max(d);
            q.fire_expired(now, &mut out);
            fired += out.len();
            out.clear();
            for (k, d) in keys.iter().zip(deadlines) {
                if let Some(d) = d {
                    // Fired exactly when due: not before, not a tick after.
                    assert_eq!(q.is_fired(*k), *d <= now, "deadline {d} at {now}");
                }
            }
        }
        fired
    }

    #[test]
    fn fires_everything_on_time_and_cancels_in_place() {
        let mut q = TimerQueue::default();
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut deadlines = Vec::new();
        let mut keys = Vec::new();
        for i in 0..3000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            // Spread over ns, µs, ms and minutes, to use many levels.
            let d = x % [1_000, 100_000, 10_000_000, 100_000_000_000][i % 4];
            keys.push(q.insert(d, 0, noop()));
            deadlines.push(Some(d));
        }
        for i in (0..3000).step_by(3) {
            q.remove(keys[i]);
            deadlines[i] = None;
        }
        for i in (1..3000).step_by(3) {
            let d = deadlines[i].expect("armed") / 2 + 7;
            q.reset(keys[i], d, 0);
            deadlines[i] = Some(d);
        }
        assert_eq!(q.len(), 2000);
        // Only the armed ones are checked; removed keys are free slots.
        let (k, d): (Vec<_>, Vec<_>) = keys
            .iter()
            .zip(&deadlines)
            .filter(|(_, d)| d.is_some())
            .unzip();
        assert_eq!(drain(&mut q, &d, &k), 2000);
        assert_eq!(q.len(), 0);
    }

    #[test]
    fn matches_a_model_under_random_operations() {
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        let mut rand = |bound: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % bound
        };
        let mut q = TimerQueue::default();
        // key -> deadline of the armed timers (the model).
        let mut armed = std::collections::HashMap::new();
        let mut held: Vec<TimerKey> = Vec::new();
        let mut out = Vec::new();
        let mut now: u64 = 0;
        let spans = [
            500,
            70_000,
            5_000_000,
            400_000_000,
            30_000_000_000,
            u64::MAX / 4,
        ];
        for _ in 0..30_000 {
            let span = spans[rand(spans.len() as u64) as usize];
            match rand(10) {
                0..=3 => {
                    let d = now.saturating_add(rand(span));
                    let k = q.insert(d, now, noop());
                    armed.insert(k, d);
                    held.push(k);
                }
                4 if !held.is_empty() => {
                    let k = held.swap_remove(rand(held.len() as u64) as usize);
                    q.remove(k);
                    armed.remove(&k);
                }
                5 if !held.is_empty() => {
                    let k = held[rand(held.len() as u64) as usize];
                    let d = now + 1 + rand(span);
                    q.reset(k, d, now);
                    armed.insert(k, d);
                }
                _ => {
                    // Advance like the driver would (to the reported next
                    // deadline) or by a random step.
                    now = match (rand(2), q.next_deadline()) {
                        (0, Some(next)) => now.max(next),
                        _ => now + rand(span.min(1 << 40)),
                    };
                    q.fire_expired(now, &mut out);
                    armed.retain(|k, d| {
                        assert_eq!(q.is_fired(*k), *d <= now, "deadline {d}, now {now}");
                        *d > now
                    });
                }
            }
            assert_eq!(q.len(), armed.len());
            if let Some(min) = armed.values().min() {
                // Never later than the end of the earliest deadline's tick.
                let next = q.next_deadline().expect("timers are armed");
                assert!(next < min / TICK_NS * TICK_NS + TICK_NS, "{next} > {min}");
            }
        }
    }

    #[test]
    fn far_deadlines_never_overflow() {
        let mut q = TimerQueue::default();
        let far = q.insert(u64::MAX - 1, 0, noop());
        let soon = q.insert(5_000, 0, noop());
        assert_eq!(q.next_deadline(), Some(5_999));
        let mut out = Vec::new();
        q.fire_expired(u64::MAX / 2, &mut out);
        assert_eq!(out.len(), 1);
        assert!(q.is_fired(soon) && !q.is_fired(far));
        assert!(q.next_deadline().expect("far is armed") > u64::MAX / 2);
        q.fire_expired(u64::MAX - 1, &mut out);
        assert_eq!(out.len(), 2);
    }

    #[test]
    fn freed_slots_are_reused() {
        let mut q = TimerQueue::default();
        let _long = q.insert(u64::MAX - 1, 0, noop());
        for i in 0..1_000_000 {
            let key = q.insert(i + 10, i, noop());
            q.remove(key);
        }
        assert_eq!(q.len(), 1);
        assert_eq!(q.slab_len(), 2);
    }

    #[test]
    fn reset_rearms_a_fired_timer_and_fire_disarms() {
        let mut q = TimerQueue::default();
        let key = q.insert(5, 0, noop());
        let mut out = Vec::new();
        q.fire_expired(5, &mut out);
        assert!(q.is_fired(key));
        q.reset(key, 10_000, 5);
        assert!(!q.is_fired(key));
        assert!(q.set_waker(key, Waker::noop()).is_none());
        q.fire_expired(9_999, &mut out);
        assert_eq!(out.len(), 1);
        q.fire_expired(10_000, &mut out);
        assert_eq!(out.len(), 2);
        q.reset(key, 50_000, 10_000);
        assert!(q.fire(key).is_none());
        assert!(q.is_fired(key) && q.len() == 0);
    }

    #[test]
    fn a_late_insert_after_idle_is_placed_from_now() {
        let mut q = TimerQueue::default();
        let now = 3_600_000_000_000; // an hour of idling
        q.insert(now + 1_000_000, now, noop());
        // In level 2 from the current tick, not level 5 from tick 0.
        let next = q.next_deadline().expect("armed");
        assert!(next > now && next <= now + 1_000_000);
    }
}
