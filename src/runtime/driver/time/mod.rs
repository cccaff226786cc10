//! The runtime's timers: [`TimeHandle`], shared by the driver (which fires
//! them) and every `Sleep` (which inserts, moves and removes its own).
//!
//! # Wheel or heap
//!
//! Both were built with the same interface and measured (`heap.rs`, kept
//! test-only with the workloads: `cargo test --release --lib
//! timer_queue_comparison -- --ignored --nocapture`). Nanoseconds per timer
//! on the shared 2-CPU build machine (±30 % from run to run):
//!
//! | workload                                          | 4-ary heap | wheel |
//! |---------------------------------------------------|-----------:|------:|
//! | insert + cancel, 50k longer timers queued         |         53 |    18 |
//! | request timeouts: 10k in flight, oldest cancelled |         69 |    20 |
//! | 50k timers (1 ms–10 s) inserted, all fired        |        147 |   116 |
//! | 100k inserted, half cancelled, rest fired         |        166 |   149 |
//!
//! The wheel ([`TimerQueue`], `wheel.rs`) won. Insert and cancel, which
//! every `timeout` pays and which almost never end in a fire, are O(1) for
//! the wheel and O(log n) for the heap; the request-timeout pattern (same
//! duration, completed in order) is the heap's worst case, since the
//! oldest timer sits at the root. Firing is no worse. The heap's one edge,
//! an exact minimum, the wheel matches to within one 1 µs tick at level 0
//! (a higher slot wakes the driver at its start to cascade, never late).
//!
//! # Sharing
//!
//! A `Sleep` is `Send`: it may be polled or dropped on any thread, so the
//! queue sits behind a `Mutex` (uncontended in the common case: one atomic
//! swap in, one out). Wakers are collected under the lock and woken, or
//! dropped, after releasing it: a waker may run user code or drop a task
//! whose future holds another `Sleep`.
//!
//! `next` mirrors the earliest deadline outside the lock so that the
//! driver's non-blocking turns (every `event_interval` polls) cost one
//! relaxed load when no timer is due, and no clock read when there are no
//! timers at all. A stale value only delays firing to the next turn; the
//! blocking turn reads the queue itself.

pub(crate) mod clock;
#[cfg(all(test, not(loom)))]
mod heap;
mod wheel;

use std::sync::PoisonError;
use std::sync::atomic::Ordering::Relaxed;

use crate::loom::sync::atomic::AtomicU64;
use crate::loom::sync::{Mutex, MutexGuard};
use std::sync::Arc;
use std::task::Waker;
use std::time::{Duration, Instant};

pub(crate) use clock::Clock;

pub(crate) use wheel::{TimerKey, TimerQueue};

/// `next` when no timer is armed.
const NONE: u64 = u64::MAX;

/// The longest the driver blocks for a timer in one turn; it simply waits
/// again. Keeps far deadlines far from any overflow in the kernel's sums.
const MAX_WAIT: Duration = Duration::from_secs(24 * 60 * 60);

/// What a `Sleep`'s poll found.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum TimerPoll {
    /// Fired: the `Sleep` is complete.
    Ready,
    /// The runtime has shut down: nothing will ever fire the timer.
    Shutdown,
    /// Armed; the waker is stored. `new_first`: it became the earliest
    /// timer, so a runtime parked on a later deadline must be woken.
    Pending { new_first: bool },
}

/// The timer queue of one runtime and the clock it counts from.
#[derive(Debug)]
pub(crate) struct TimeHandle {
    /// The runtime's clock (shared by its drivers): deadlines are
    /// nanoseconds since its origin (the runtime's birth); earlier instants
    /// count as 0.
    pub(crate) clock: Arc<Clock>,
    origin: Instant,
    /// Every registered timer.
    queue: Mutex<TimerQueue>,
    /// The earliest armed deadline, or `NONE`; written under the lock.
    next: AtomicU64,
}

impl TimeHandle {
    pub(crate) fn new(clock: Arc<Clock>) -> TimeHandle {
        TimeHandle {
            origin: clock.origin,
            clock,
            queue: Mutex::new(TimerQueue::default()),
            next: AtomicU64::new(NONE),
        }
    }

    fn lock(&self) -> MutexGuard<'_, TimerQueue> {
        // No user code runs under the lock, so a poisoned queue is consistent.
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// `instant` as queue time, rounded down so comparisons are exact:
    /// Linux instants are whole nanoseconds.
    pub(crate) fn ticks(&self, instant: Instant) -> u64 {
        let ns = instant.saturating_duration_since(self.origin).as_nanos();
        u64::try_from(ns).unwrap_or(NONE - 1).min(NONE - 1)
    }

    /// Keeps `next` equal to the queue's earliest deadline.
    fn publish(&self, q: &TimerQueue) -> u64 {
        let next = q.next_deadline().unwrap_or(NONE);
        self.next.store(next, Relaxed);
        next
    }

    /// Polls a `Sleep`: registers it on first poll (`key` is `None`),
    /// refreshes its waker later. Completion is decided by the queue only
    /// (a timer fires once `now >= deadline`), so it is never early.
    pub(crate) fn poll(
        &self,
        key: &mut Option<TimerKey>,
        deadline: Instant,
        waker: &Waker,
    ) -> TimerPoll {
        let mut stale = None;
        let mut q = self.lock();
        let result = match *key {
            // Decided under the lock that `shutdown` holds while it closes
            // the queue and fires every timer: a poll either inserts before
            // that (and is woken by it, to see the queue closed at its next
            // poll) or sees the queue closed.
            _ if q.is_closed() => TimerPoll::Shutdown,
            Some(k) if q.is_fired(k) => TimerPoll::Ready,
            Some(k) => {
                stale = q.set_waker(k, waker);
                TimerPoll::Pending { new_first: false }
            }
            None => {
                let at = self.ticks(deadline);
                let now = self.ticks(self.clock.now());
                if at <= now {
                    TimerPoll::Ready
                } else {
                    *key = Some(q.insert(at, now, waker.clone()));
                    let before = self.next.load(Relaxed);
                    TimerPoll::Pending {
                        new_first: self.publish(&q) < before,
                    }
                }
            }
        };
        drop(q);
        drop(stale);
        result
    }

    /// Moves a registered timer to `deadline` (re-arming it if it fired).
    /// A deadline already past fires it at once, waking its waker: whoever
    /// waits on it need not wait for the driver. Returns true if it became
    /// the earliest timer.
    pub(crate) fn reset(&self, key: TimerKey, deadline: Instant) -> bool {
        let at = self.ticks(deadline);
        let now = self.ticks(self.clock.now());
        let mut q = self.lock();
        let mut due = None;
        if q.is_closed() {
            // Shut down: the timer stays fired.
            return false;
        }
        if at <= now {
            due = q.fire(key);
        } else {
            q.reset(key, at, now);
        }
        let before = self.next.load(Relaxed);
        let new_first = self.publish(&q) < before;
        drop(q);
        if let Some(waker) = due {
            waker.wake();
        }
        new_first
    }

    /// Removes a timer for good (its `Sleep` is dropped or complete).
    pub(crate) fn remove(&self, key: TimerKey) {
        let mut q = self.lock();
        let waker = q.remove(key);
        self.publish(&q);
        drop(q);
        drop(waker);
    }

    /// Armed timers.
    pub(crate) fn len(&self) -> usize {
        self.lock().len()
    }

    /// The earliest armed deadline, exactly (paused time jumps to it).
    #[cfg(feature = "test-util")]
    pub(crate) fn next_instant(&self) -> Option<Instant> {
        let next = self.lock().earliest_deadline()?;
        Some(self.origin + Duration::from_nanos(next))
    }

    /// The driver's wait: `timeout` shortened to the earliest deadline.
    /// A zero timeout (the non-blocking turn) is returned as is.
    pub(crate) fn wait_timeout(&self, timeout: Option<Duration>) -> Option<Duration> {
        if timeout == Some(Duration::ZERO) {
            return timeout;
        }
        if self.clock.is_paused() {
            // Timers wait for an advance, not for the OS clock.
            return timeout;
        }
        let next = self.lock().next_deadline().unwrap_or(NONE);
        if next == NONE {
            return timeout;
        }
        let now = self.ticks(self.clock.now());
        let until = Duration::from_nanos(next.saturating_sub(now)).min(MAX_WAIT);
        Some(timeout.map_or(until, |t| t.min(until)))
    }

    /// Fires every timer whose deadline has passed, waking after the lock
    /// is released. No clock read when no timer is armed.
    pub(crate) fn fire_expired(&self, wakers: &mut Vec<Waker>) {
        let next = self.next.load(Relaxed);
        if next == NONE {
            return;
        }
        let now = self.ticks(self.clock.now());
        if next > now {
            return;
        }
        let mut q = self.lock();
        q.fire_expired(now, wakers);
        self.publish(&q);
        drop(q);
        wake_all(wakers);
    }

    /// Fires every timer for good (runtime shutdown): their wakers are woken,
    /// and every later poll finds the queue closed. The queue is closed under
    /// the same lock hold that fires it, so no poll can insert a timer after
    /// the fire that nobody fires.
    pub(crate) fn shutdown(&self) {
        let mut wakers = Vec::new();
        let mut q = self.lock();
        q.close();
        q.fire_all(&mut wakers);
        self.publish(&q);
        drop(q);
        wake_all(&mut wakers);
    }
}

/// Wakes and drops every waker; a panicking waker must not lose the others
/// or unwind into the driver.
fn wake_all(wakers: &mut Vec<Waker>) {
    for waker in wakers.drain(..) {
        // A user's waker panicked: ignore it, the others still run.
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| waker.wake()));
    }
}

fn _assert_kinds() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<TimeHandle>();
}
