//! One registered descriptor's readiness and wakers: [`ScheduledIo`].
//!
//! # The protocol
//!
//! `readiness` is one `AtomicU64`:
//!
//! | bits   | meaning                                                       |
//! |--------|---------------------------------------------------------------|
//! | 0..=4  | [`Ready`]: what the driver reported and no operation cleared  |
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
//! Wakers live behind `waiters`. A poller stores its waker, then re-reads
//! the word under that lock; the driver sets the word, then takes the lock
//! to collect wakers. So either the poller sees the readiness or the driver
//! sees the waker. Wakers are woken by the caller, after every lock is
//! released.
//!
//! This file has no `unsafe`.

use std::io;
use std::ops;
use std::sync::atomic::{AtomicU64, Ordering::AcqRel, Ordering::Acquire};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

/// A set of readiness bits.
#[derive(Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Ready(u8);

impl Ready {
    pub(crate) const EMPTY: Ready = Ready(0);
    /// `EPOLLIN` (or `EPOLLPRI`): a read may make progress.
    pub(crate) const READABLE: Ready = Ready(1 << 0);
    /// `EPOLLOUT`: a write may make progress.
    pub(crate) const WRITABLE: Ready = Ready(1 << 1);
    /// `EPOLLRDHUP` or `EPOLLHUP`: the peer will send nothing more.
    pub(crate) const READ_CLOSED: Ready = Ready(1 << 2);
    /// `EPOLLHUP`: nothing more can be sent.
    pub(crate) const WRITE_CLOSED: Ready = Ready(1 << 3);
    /// `EPOLLERR`: a pending error, reported by the next call in either direction.
    pub(crate) const ERROR: Ready = Ready(1 << 4);
    const ALL: Ready = Ready(0b1_1111);

    /// The readiness an epoll event word reports.
    pub(crate) fn from_epoll(events: u32) -> Ready {
        let has = |flag: i32| events & flag as u32 != 0;
        let mut ready = Ready::EMPTY;
        if has(libc::EPOLLIN) || has(libc::EPOLLPRI) {
            ready = ready | Ready::READABLE;
        }
        if has(libc::EPOLLOUT) {
            ready = ready | Ready::WRITABLE;
        }
        if has(libc::EPOLLRDHUP) || has(libc::EPOLLHUP) {
            ready = ready | Ready::READ_CLOSED;
        }
        if has(libc::EPOLLHUP) {
            ready = ready | Ready::WRITE_CLOSED;
        }
        if has(libc::EPOLLERR) {
            ready = ready | Ready::ERROR;
        }
        ready
    }

    pub(crate) fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub(crate) fn intersects(self, other: Ready) -> bool {
        self.0 & other.0 != 0
    }

    fn from_word(word: u64) -> Ready {
        Ready((word & u64::from(Ready::ALL.0)) as u8)
    }
}

impl ops::BitOr for Ready {
    type Output = Ready;
    fn bitor(self, rhs: Ready) -> Ready {
        Ready(self.0 | rhs.0)
    }
}

impl ops::BitAnd for Ready {
    type Output = Ready;
    fn bitand(self, rhs: Ready) -> Ready {
        Ready(self.0 & rhs.0)
    }
}

impl ops::Sub for Ready {
    type Output = Ready;
    fn sub(self, rhs: Ready) -> Ready {
        Ready(self.0 & !rhs.0)
    }
}

impl std::fmt::Debug for Ready {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names = [
            (Ready::READABLE, "READABLE"),
            (Ready::WRITABLE, "WRITABLE"),
            (Ready::READ_CLOSED, "READ_CLOSED"),
            (Ready::WRITE_CLOSED, "WRITE_CLOSED"),
            (Ready::ERROR, "ERROR"),
        ];
        let mut set = f.debug_set();
        for (bit, name) in names {
            if self.intersects(bit) {
                set.entry(&format_args!("{name}"));
            }
        }
        set.finish()
    }
}

/// Which way an operation moves data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Direction {
    Read,
    Write,
}

impl Direction {
    /// The bits that let an operation of this direction make progress.
    pub(crate) fn mask(self) -> Ready {
        match self {
            Direction::Read => Ready::READABLE | Ready::READ_CLOSED | Ready::ERROR,
            Direction::Write => Ready::WRITABLE | Ready::WRITE_CLOSED | Ready::ERROR,
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

/// A snapshot of one direction's readiness and the tick it was seen at.
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
    direction: Direction,
    waker: Waker,
}

impl ScheduledIo {
    pub(crate) fn new(initial: Ready) -> ScheduledIo {
        ScheduledIo {
            readiness: AtomicU64::new(u64::from(initial.0)),
            waiters: Mutex::new(Waiters::default()),
            #[cfg(feature = "test-util")]
            reply: Default::default(),
        }
    }

    /// Whether a task waits to read.
    #[cfg(feature = "test-util")]
    pub(crate) fn awaits_reader(&self) -> bool {
        let w = self.waiters();
        w.reader.is_some() || w.list.iter().any(|w| w.direction == Direction::Read)
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
                    | u64::from((Ready::from_word(word) | ready).0),
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
            if ready.intersects(waiter.direction.mask()) {
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

    /// The readiness of `direction` now: `Ok(None)` if there is none.
    pub(crate) fn ready(&self, direction: Direction) -> io::Result<Option<ReadyEvent>> {
        let word = self.readiness.load(Acquire);
        if word & SHUTDOWN != 0 {
            return Err(gone());
        }
        let ready = Ready::from_word(word) & direction.mask();
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
            Some(word & !u64::from(clear.0))
        });
    }

    /// `poll_read`-style readiness: the one waker slot of `direction`.
    pub(crate) fn poll_ready(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
    ) -> Poll<io::Result<ReadyEvent>> {
        if let Some(event) = self.ready(direction)? {
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
        match self.ready(direction)? {
            Some(event) => Poll::Ready(Ok(event)),
            None => Poll::Pending,
        }
    }

    /// Future-style readiness: `id` names this waiter in the list (`None`
    /// until it first waits); [`remove_waiter`](Self::remove_waiter) on drop.
    pub(crate) fn poll_waiter(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
        id: &mut Option<u64>,
    ) -> Poll<io::Result<ReadyEvent>> {
        if id.is_none()
            && let Some(event) = self.ready(direction)?
        {
            return Poll::Ready(Ok(event));
        }
        let mut w = self.waiters();
        if let Some(event) = self.ready(direction)? {
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
                direction,
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
        io.ready(direction).unwrap().expect("ready")
    }

    #[test]
    fn clear_keeps_an_event_that_arrived_meanwhile() {
        let io = ScheduledIo::new(Ready::READABLE);
        let seen = event(&io, Direction::Read);
        io.dispatch(Ready::READABLE, &mut Vec::new());
        io.clear_readiness(seen);
        assert!(
            io.ready(Direction::Read).unwrap().is_some(),
            "the new event was lost"
        );
        io.clear_readiness(event(&io, Direction::Read));
        assert!(io.ready(Direction::Read).unwrap().is_none());
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
            io.poll_waiter(&mut cx, Direction::Read, &mut r)
                .is_pending()
        );
        assert!(
            io.poll_waiter(&mut cx, Direction::Write, &mut w)
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
    fn dropped_waiters_leave_no_waker() {
        let io = ScheduledIo::new(Ready::EMPTY);
        let mut cx = Context::from_waker(Waker::noop());
        let mut id = None;
        assert!(
            io.poll_waiter(&mut cx, Direction::Read, &mut id)
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
