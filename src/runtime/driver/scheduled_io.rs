//! One registered descriptor's readiness and wakers: [`ScheduledIo`].
//!
//! # The protocol
//!
//! `readiness` is one `AtomicU64`:
//!
//! | bits   | meaning                                                       |
//! |--------|---------------------------------------------------------------|
//! | 0..=5  | [`Ready`]: what the driver reported and no operation cleared  |
//! | 8      | [`SHUTDOWN`]: the runtime is gone, every wait fails           |
//! | 32..64 | tick: bumped by every event the driver dispatches here        |
//!
//! Only the driver *sets* readiness ([`ScheduledIo::dispatch`]), bumping the
//! tick in the same read-modify-write. An operation snapshots the word as a
//! [`ReadyEvent`], tries its system call, and on `WouldBlock` calls
//! [`ScheduledIo::clear_readiness`], which clears the bits only if the tick
//! has not moved: an event that arrived between the failed call and the
//! clear is never lost. The closed bits are never cleared (after a FIN or a
//! hang-up no new edge would come), `ERROR` is (a UDP socket's ICMP error is
//! consumed by one `recv`).
//!
//! A waiting future names the bits that end its wait (a [`Direction`]'s
//! mask, or an `Interest`'s for `ready(interest)`), so a wait for urgent
//! data or for errors is one more waiter, and the hot path (one direction's
//! bits) is unchanged: the same one read-modify-write per event.
//!
//! Wakers live behind `waiters`. A poller stores its waker, then re-reads
//! the word under that lock; the driver sets the word, then takes the lock
//! to collect wakers. So either the poller sees the readiness or the driver
//! sees the waker. Wakers are woken by the caller, after every lock is
//! released.
//!
//! This file has no `unsafe`.

use std::io;
use std::sync::atomic::{AtomicU64, Ordering::AcqRel, Ordering::Acquire};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

use crate::io::Interest;
/// The readiness bits are the public [`Ready`] set.
pub(crate) use crate::io::Ready;

/// Which way an operation moves data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Direction {
    Read,
    Write,
}

impl Direction {
    /// The bits that let an operation of this direction make progress
    /// (those of [`interest`](Self::interest): `Interest::mask`).
    pub(crate) fn mask(self) -> Ready {
        match self {
            Direction::Read => Ready::READABLE | Ready::READ_CLOSED | Ready::ERROR,
            Direction::Write => Ready::WRITABLE | Ready::WRITE_CLOSED | Ready::ERROR,
        }
    }

    /// The interest a wait for this direction is.
    pub(crate) fn interest(self) -> Interest {
        match self {
            Direction::Read => Interest::READABLE,
            Direction::Write => Interest::WRITABLE,
        }
    }

    /// The bit a short read or write shows to be used up.
    pub(crate) fn progress_bit(self) -> Ready {
        match self {
            Direction::Read => Ready::READABLE,
            Direction::Write => Ready::WRITABLE,
        }
    }
}

/// The runtime shut down: nothing will ever be dispatched again.
pub(crate) const SHUTDOWN: u64 = 1 << 8;
const TICK_SHIFT: u32 = 32;

/// A snapshot of a wait's readiness bits and the tick they were seen at.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ReadyEvent {
    pub(crate) tick: u32,
    pub(crate) ready: Ready,
}

/// The error of an operation whose runtime has shut down.
pub(crate) fn gone() -> io::Error {
    io::Error::other("the guillotine runtime this I/O object was registered with has shut down")
}

/// One registered descriptor's readiness and its waiting tasks.
#[derive(Debug)]
pub(crate) struct ScheduledIo {
    /// Readiness, `SHUTDOWN` and tick; see the module docs.
    readiness: AtomicU64,
    /// Wakers; taken by the driver when readiness arrives.
    waiters: Mutex<Waiters>,
    /// Paused time: whether a reply from a local peer is awaited.
    #[cfg(feature = "test-util")]
    pub(crate) reply: super::time::clock::ReplyWatch,
}

/// Who waits on a registration.
#[derive(Debug, Default)]
struct Waiters {
    /// The last `poll_read`-style poller (`AsyncRead`), one per direction; a
    /// new poll replaces it, as in tokio.
    reader: Option<Waker>,
    writer: Option<Waker>,
    /// Futures waiting for readiness (`accept`, `recv`, `readable()`, ...),
    /// any number of them, each under its own id; removed when woken or
    /// dropped.
    list: Vec<Waiter>,
    next_id: u64,
}

#[derive(Debug)]
struct Waiter {
    id: u64,
    /// The bits that end this wait.
    mask: Ready,
    waker: Waker,
}

impl ScheduledIo {
    pub(crate) fn new(initial: Ready) -> ScheduledIo {
        ScheduledIo {
            readiness: AtomicU64::new(u64::from(initial.bits())),
            waiters: Mutex::new(Waiters::default()),
            #[cfg(feature = "test-util")]
            reply: Default::default(),
        }
    }

    /// Whether a task waits to read.
    #[cfg(feature = "test-util")]
    pub(crate) fn awaits_reader(&self) -> bool {
        let w = self.waiters();
        w.reader.is_some() || w.list.iter().any(|w| w.mask.intersects(Ready::READABLE))
    }

    fn waiters(&self) -> MutexGuard<'_, Waiters> {
        // No code that can panic runs under this lock; ignore poisoning.
        self.waiters.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The driver saw `ready`: set it, bump the tick, and move the wakers of
    /// every direction it concerns into `wakers`.
    pub(crate) fn dispatch(&self, ready: Ready, wakers: &mut Vec<Waker>) {
        let _ = self.readiness.fetch_update(AcqRel, Acquire, |word| {
            let tick = (word >> TICK_SHIFT).wrapping_add(1) & u64::from(u32::MAX);
            Some(
                (tick << TICK_SHIFT)
                    | (word & SHUTDOWN)
                    | u64::from((from_word(word) | ready).bits()),
            )
        });
        let mut w = self.waiters();
        if ready.intersects(Direction::Read.mask()) {
            wakers.extend(w.reader.take());
        }
        if ready.intersects(Direction::Write.mask()) {
            wakers.extend(w.writer.take());
        }
        w.list.retain_mut(|waiter| {
            if ready.intersects(waiter.mask) {
                wakers.push(waiter.waker.clone());
                false
            } else {
                true
            }
        });
    }

    /// The runtime is gone: fail every wait from now on and move every
    /// waker into `wakers`.
    pub(crate) fn shutdown(&self, wakers: &mut Vec<Waker>) {
        self.readiness.fetch_or(SHUTDOWN, AcqRel);
        let mut w = self.waiters();
        wakers.extend(w.reader.take());
        wakers.extend(w.writer.take());
        wakers.extend(w.list.drain(..).map(|waiter| waiter.waker));
    }

    /// The readiness among `mask`'s bits now: `Ok(None)` if there is none.
    pub(crate) fn ready(&self, mask: Ready) -> io::Result<Option<ReadyEvent>> {
        let word = self.readiness.load(Acquire);
        if word & SHUTDOWN != 0 {
            return Err(gone());
        }
        let ready = from_word(word) & mask;
        Ok((!ready.is_empty()).then_some(ReadyEvent {
            tick: (word >> TICK_SHIFT) as u32,
            ready,
        }))
    }

    /// An operation found `event` used up (`WouldBlock`, or a short read or
    /// write): clear its bits, unless an event arrived since it was seen.
    pub(crate) fn clear_readiness(&self, event: ReadyEvent) {
        let clear = event.ready - (Ready::READ_CLOSED | Ready::WRITE_CLOSED);
        let _ = self.readiness.fetch_update(AcqRel, Acquire, |word| {
            if (word >> TICK_SHIFT) as u32 != event.tick {
                return None;
            }
            Some(word & !u64::from(clear.bits()))
        });
    }

    /// `poll_read`-style readiness: the one waker slot of `direction`.
    pub(crate) fn poll_ready(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
    ) -> Poll<io::Result<ReadyEvent>> {
        if let Some(event) = self.ready(direction.mask())? {
            return Poll::Ready(Ok(event));
        }
        let mut w = self.waiters();
        let slot = match direction {
            Direction::Read => &mut w.reader,
            Direction::Write => &mut w.writer,
        };
        match slot {
            Some(waker) if waker.will_wake(cx.waker()) => {}
            _ => *slot = Some(cx.waker().clone()),
        }
        // Re-check under the lock: the driver may have dispatched meanwhile.
        match self.ready(direction.mask())? {
            Some(event) => Poll::Ready(Ok(event)),
            None => Poll::Pending,
        }
    }

    /// Future-style readiness, until one of `mask`'s bits is set: `id`
    /// names this waiter in the list (`None` until it first waits);
    /// [`remove_waiter`](Self::remove_waiter) on drop.
    pub(crate) fn poll_waiter(
        &self,
        cx: &mut Context<'_>,
        mask: Ready,
        id: &mut Option<u64>,
    ) -> Poll<io::Result<ReadyEvent>> {
        if id.is_none()
            && let Some(event) = self.ready(mask)?
        {
            return Poll::Ready(Ok(event));
        }
        let mut w = self.waiters();
        if let Some(event) = self.ready(mask)? {
            if let Some(id) = id.take() {
                w.remove(id);
            }
            return Poll::Ready(Ok(event));
        }
        let my_id = *id.get_or_insert_with(|| {
            w.next_id += 1;
            w.next_id
        });
        match w.list.iter_mut().find(|waiter| waiter.id == my_id) {
            Some(waiter) if waiter.waker.will_wake(cx.waker()) => {}
            Some(waiter) => waiter.waker = cx.waker().clone(),
            None => w.list.push(Waiter {
                id: my_id,
                mask,
                waker: cx.waker().clone(),
            }),
        }
        Poll::Pending
    }

    /// A waiting future went away before its readiness came.
    pub(crate) fn remove_waiter(&self, id: u64) {
        self.waiters().remove(id);
    }
}

/// The readiness bits of a readiness word.
fn from_word(word: u64) -> Ready {
    Ready::from_bits((word & u64::from(Ready::ALL.bits())) as u8)
}

impl Waiters {
    fn remove(&mut self, id: u64) {
        if let Some(i) = self.list.iter().position(|waiter| waiter.id == id) {
            self.list.swap_remove(i);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::task::Waker;

    fn event(io: &ScheduledIo, direction: Direction) -> ReadyEvent {
        io.ready(direction.mask()).unwrap().expect("ready")
    }

    #[test]
    fn clear_keeps_an_event_that_arrived_meanwhile() {
        let io = ScheduledIo::new(Ready::READABLE);
        let seen = event(&io, Direction::Read);
        io.dispatch(Ready::READABLE, &mut Vec::new());
        io.clear_readiness(seen);
        assert!(
            io.ready(Direction::Read.mask()).unwrap().is_some(),
            "the new event was lost"
        );
        io.clear_readiness(event(&io, Direction::Read));
        assert!(io.ready(Direction::Read.mask()).unwrap().is_none());
    }

    #[test]
    fn closed_bits_survive_a_clear() {
        let io = ScheduledIo::new(Ready::EMPTY);
        io.dispatch(
            Ready::from_epoll((libc::EPOLLIN | libc::EPOLLRDHUP) as u32),
            &mut Vec::new(),
        );
        io.clear_readiness(event(&io, Direction::Read));
        let left = event(&io, Direction::Read).ready;
        assert_eq!(left, Ready::READ_CLOSED);
    }

    #[test]
    fn dispatch_wakes_only_the_matching_direction() {
        let io = ScheduledIo::new(Ready::EMPTY);
        let mut cx = Context::from_waker(Waker::noop());
        let (mut r, mut w) = (None, None);
        assert!(
            io.poll_waiter(&mut cx, Direction::Read.mask(), &mut r)
                .is_pending()
        );
        assert!(
            io.poll_waiter(&mut cx, Direction::Write.mask(), &mut w)
                .is_pending()
        );
        assert!(io.poll_ready(&mut cx, Direction::Read).is_pending());
        let mut wakers = Vec::new();
        io.dispatch(Ready::WRITABLE, &mut wakers);
        assert_eq!(wakers.len(), 1);
        wakers.clear();
        io.dispatch(Ready::ERROR, &mut wakers);
        assert_eq!(
            wakers.len(),
            2,
            "an error wakes the reader slot and the read waiter"
        );
    }

    #[test]
    fn directions_wait_as_their_interests() {
        for direction in [Direction::Read, Direction::Write] {
            assert_eq!(direction.mask(), direction.interest().mask());
        }
    }

    #[test]
    fn a_priority_waiter_wakes_for_urgent_data_only() {
        let io = ScheduledIo::new(Ready::EMPTY);
        let mut cx = Context::from_waker(Waker::noop());
        let mut id = None;
        let mask = Interest::PRIORITY.mask();
        assert!(io.poll_waiter(&mut cx, mask, &mut id).is_pending());
        let mut wakers = Vec::new();
        io.dispatch(Ready::READABLE | Ready::ERROR, &mut wakers);
        assert!(wakers.is_empty(), "data and errors are not urgent data");
        io.dispatch(Ready::from_epoll(libc::EPOLLPRI as u32), &mut wakers);
        assert_eq!(wakers.len(), 1);
        let event = io.ready(mask).unwrap().expect("ready");
        assert_eq!(event.ready, Ready::PRIORITY);
    }

    #[test]
    fn dropped_waiters_leave_no_waker() {
        let io = ScheduledIo::new(Ready::EMPTY);
        let mut cx = Context::from_waker(Waker::noop());
        let mut id = None;
        assert!(
            io.poll_waiter(&mut cx, Direction::Read.mask(), &mut id)
                .is_pending()
        );
        io.remove_waiter(id.unwrap());
        let mut wakers = Vec::new();
        io.dispatch(Ready::READABLE, &mut wakers);
        assert!(wakers.is_empty());
    }

    #[test]
    fn shutdown_fails_waits_and_wakes_everyone() {
        let io = ScheduledIo::new(Ready::EMPTY);
        let mut cx = Context::from_waker(Waker::noop());
        assert!(io.poll_ready(&mut cx, Direction::Write).is_pending());
        let mut wakers = Vec::new();
        io.shutdown(&mut wakers);
        assert_eq!(wakers.len(), 1);
        assert!(matches!(
            io.poll_ready(&mut cx, Direction::Write),
            Poll::Ready(Err(_))
        ));
    }
}
