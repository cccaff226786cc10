//! The task state word: one `AtomicUsize` holding lifecycle bits and the
//! reference count. Every change goes through a named `transition_*` function;
//! this file has no `unsafe`.
//!
//! # The protocol
//!
//! * `RUNNING` — the runtime thread is polling (or cancelling) the future. Only
//!   the runtime thread sets or clears it, so the future and its output are
//!   touched by one thread at a time.
//! * `NOTIFIED` — the task has been woken and a queue entry exists for it (or
//!   will be pushed by whoever set the bit). A task is never queued twice: a
//!   wake that finds `NOTIFIED` (or `COMPLETE`) does nothing, and a wake while
//!   `RUNNING` only sets the bit; the poller queues the task when it finishes.
//! * `COMPLETE` — the future is gone and the output (or the cancellation
//!   error) is stored. From then on the stage belongs to the `JoinHandle` if
//!   `JOIN_INTEREST` was set at that moment, otherwise to the runtime, which
//!   drops the output at once.
//! * `CANCELLED` — `abort` was called; the next time the runtime thread picks
//!   the task up it drops the future instead of polling it.
//! * `JOIN_INTEREST` — a `JoinHandle` exists. Cleared by the handle's drop,
//!   which only succeeds before `COMPLETE`; after it, the handle drops the
//!   output itself.
//! * `JOIN_WAKER` — the join waker slot holds the `JoinHandle`'s waker. While
//!   it is clear the handle owns the slot; while it is set nobody writes it:
//!   the handle may read it (`will_wake`) and the completer reads it to wake
//!   the handle. A set bit is only cleared by the handle, and only before
//!   `COMPLETE`. The waker is dropped with the allocation.
//! * The bits from `REF_ONE` up count references: the owned-task list, the
//!   `JoinHandle`, every `Waker` and every queue entry each hold one. The last
//!   one out frees the allocation.

use crate::loom::sync::atomic::{AtomicUsize, Ordering::AcqRel, Ordering::Acquire};

/// The runtime thread is polling or cancelling the future.
pub(crate) const RUNNING: usize = 1 << 0;
/// The future is gone; the stage holds the output or has been consumed.
pub(crate) const COMPLETE: usize = 1 << 1;
/// A queue entry for the task exists, or is about to be pushed.
pub(crate) const NOTIFIED: usize = 1 << 2;
/// `abort` was requested.
pub(crate) const CANCELLED: usize = 1 << 3;
/// A `JoinHandle` is alive.
pub(crate) const JOIN_INTEREST: usize = 1 << 4;
/// The join waker slot is filled (see the module docs for who owns it).
pub(crate) const JOIN_WAKER: usize = 1 << 5;
/// One reference.
pub(crate) const REF_ONE: usize = 1 << 6;
const REF_MASK: usize = !(REF_ONE - 1);

/// A copy of the state word.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Snapshot(pub(crate) usize);

impl Snapshot {
    pub(crate) fn is_running(self) -> bool {
        self.0 & RUNNING != 0
    }
    pub(crate) fn is_complete(self) -> bool {
        self.0 & COMPLETE != 0
    }
    pub(crate) fn is_notified(self) -> bool {
        self.0 & NOTIFIED != 0
    }
    pub(crate) fn is_cancelled(self) -> bool {
        self.0 & CANCELLED != 0
    }
    pub(crate) fn is_join_interested(self) -> bool {
        self.0 & JOIN_INTEREST != 0
    }
    pub(crate) fn is_join_waker_set(self) -> bool {
        self.0 & JOIN_WAKER != 0
    }
    pub(crate) fn ref_count(self) -> usize {
        (self.0 & REF_MASK) / REF_ONE
    }
}

impl std::fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Snapshot")
            .field("running", &self.is_running())
            .field("complete", &self.is_complete())
            .field("notified", &self.is_notified())
            .field("cancelled", &self.is_cancelled())
            .field("join_interest", &self.is_join_interested())
            .field("join_waker", &self.is_join_waker_set())
            .field("refs", &self.ref_count())
            .finish()
    }
}

/// What the runtime should do with a task it popped from a queue.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ToRunning {
    /// Poll the future.
    Poll,
    /// Drop the future: `abort` was called.
    Cancel,
    /// Already complete (cancelled by shutdown while queued): drop the entry.
    Done,
}

/// What follows a poll that returned `Pending`.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ToIdle {
    /// Nothing: the task waits for a wake.
    Idle,
    /// Woken during the poll: queue the task again.
    Notified,
    /// Aborted during the poll: cancel it now.
    Cancelled,
}

/// What a wake must do.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ToNotified {
    /// Push a queue entry (a reference was added for it).
    Submit,
    /// Nothing to push.
    DoNothing,
}

/// The atomic state word of one task.
pub(crate) struct State {
    val: AtomicUsize,
}

impl State {
    /// A new task: notified (it is about to be queued), with a join handle,
    /// and three references: the owned list, the `JoinHandle`, the queue entry.
    pub(crate) fn new() -> State {
        State {
            val: AtomicUsize::new(NOTIFIED | JOIN_INTEREST | (3 * REF_ONE)),
        }
    }

    pub(crate) fn load(&self) -> Snapshot {
        Snapshot(self.val.load(Acquire))
    }

    /// Applies `f` until the compare-exchange succeeds; `f` returns the new
    /// value and a result, or `None` to leave the word unchanged.
    fn fetch_update<T>(&self, mut f: impl FnMut(Snapshot) -> (Option<usize>, T)) -> (Snapshot, T) {
        let mut cur = self.val.load(Acquire);
        loop {
            let (next, out) = f(Snapshot(cur));
            let Some(next) = next else {
                return (Snapshot(cur), out);
            };
            match self.val.compare_exchange_weak(cur, next, AcqRel, Acquire) {
                Ok(_) => return (Snapshot(next), out),
                Err(actual) => cur = actual,
            }
        }
    }

    /// The runtime thread takes a task off a queue. The queue entry's
    /// reference is kept by the caller for the duration of the poll.
    /// `Done` if the task is complete, or being cancelled by a shutdown
    /// that stopped waiting for this worker (it holds `RUNNING` for that):
    /// the caller only drops the entry's reference.
    pub(crate) fn transition_to_running(&self) -> ToRunning {
        self.fetch_update(|s| {
            if s.is_complete() || s.is_running() {
                debug_assert!(s.is_complete() || s.is_cancelled(), "bad state {s:?}");
                return (None, ToRunning::Done);
            }
            debug_assert!(s.is_notified(), "bad state {s:?}");
            let next = (s.0 & !NOTIFIED) | RUNNING;
            if s.is_cancelled() {
                (Some(next), ToRunning::Cancel)
            } else {
                (Some(next), ToRunning::Poll)
            }
        })
        .1
    }

    /// After a `Pending` poll. If the task was woken meanwhile, `NOTIFIED`
    /// stays set and the caller re-queues the task, reusing the reference of
    /// the entry it popped.
    pub(crate) fn transition_to_idle(&self) -> ToIdle {
        self.fetch_update(|s| {
            debug_assert!(s.is_running());
            if s.is_cancelled() {
                // Stay RUNNING: the caller cancels right away.
                return (None, ToIdle::Cancelled);
            }
            let next = s.0 & !RUNNING;
            if s.is_notified() {
                (Some(next), ToIdle::Notified)
            } else {
                (Some(next), ToIdle::Idle)
            }
        })
        .1
    }

    /// The future finished or was dropped and the stage now holds its
    /// output. Returns the snapshot after the change: the caller drops the
    /// output if `JOIN_INTEREST` is clear, and wakes the join waker if
    /// `JOIN_WAKER` is set.
    pub(crate) fn transition_to_complete(&self) -> Snapshot {
        let prev = Snapshot(self.val.fetch_xor(RUNNING | COMPLETE, AcqRel));
        debug_assert!(prev.is_running() && !prev.is_complete());
        Snapshot(prev.0 ^ (RUNNING | COMPLETE))
    }

    /// Shutdown (or a spawn onto a closed runtime) takes the task to cancel
    /// it. Returns `false` if it is already complete, or if it is being
    /// polled (by a worker that a `shutdown_timeout` gave up waiting for):
    /// then it is only marked cancelled, and its poller cancels it when the
    /// poll returns, as after an `abort`.
    pub(crate) fn transition_to_shutdown(&self) -> bool {
        self.fetch_update(|s| {
            if s.is_complete() {
                (None, false)
            } else if s.is_running() {
                (Some(s.0 | CANCELLED), false)
            } else {
                (Some(s.0 | RUNNING | CANCELLED), true)
            }
        })
        .1
    }

    /// A wake that consumes the waker's reference. The reference is handed
    /// to the queue entry when one is needed and dropped otherwise; returns
    /// whether the caller must still drop it (`DoNothing`) or push (`Submit`).
    pub(crate) fn transition_to_notified_by_val(&self) -> ToNotified {
        self.fetch_update(|s| {
            if s.is_complete() || s.is_notified() {
                (None, ToNotified::DoNothing)
            } else if s.is_running() {
                (Some(s.0 | NOTIFIED), ToNotified::DoNothing)
            } else {
                (Some(s.0 | NOTIFIED), ToNotified::Submit)
            }
        })
        .1
    }

    /// A wake that keeps the waker's reference: adds one for the queue entry
    /// when the task must be pushed.
    pub(crate) fn transition_to_notified_by_ref(&self) -> ToNotified {
        self.fetch_update(|s| {
            if s.is_complete() || s.is_notified() {
                (None, ToNotified::DoNothing)
            } else if s.is_running() {
                (Some(s.0 | NOTIFIED), ToNotified::DoNothing)
            } else {
                (Some((s.0 | NOTIFIED) + REF_ONE), ToNotified::Submit)
            }
        })
        .1
    }

    /// `abort`: marks the task cancelled; if it is idle it must be queued so
    /// the runtime thread drops the future (a reference is added for that).
    pub(crate) fn transition_to_notified_and_cancel(&self) -> ToNotified {
        self.fetch_update(|s| {
            if s.is_complete() || s.is_cancelled() {
                (None, ToNotified::DoNothing)
            } else if s.is_running() || s.is_notified() {
                (Some(s.0 | CANCELLED | NOTIFIED), ToNotified::DoNothing)
            } else {
                (
                    Some((s.0 | CANCELLED | NOTIFIED) + REF_ONE),
                    ToNotified::Submit,
                )
            }
        })
        .1
    }

    /// The `JoinHandle` is dropped. Fails (returns `Err`) if the task is
    /// already complete: then the handle must drop the output itself.
    pub(crate) fn unset_join_interested(&self) -> Result<(), Snapshot> {
        let (s, ok) = self.fetch_update(|s| {
            if s.is_complete() {
                (None, false)
            } else {
                (Some(s.0 & !JOIN_INTEREST), true)
            }
        });
        if ok { Ok(()) } else { Err(s) }
    }

    /// The `JoinHandle` has written its waker into the slot and publishes it.
    /// Fails if the task completed first: the handle keeps the slot.
    pub(crate) fn set_join_waker(&self) -> Result<(), Snapshot> {
        let (s, ok) = self.fetch_update(|s| {
            debug_assert!(s.is_join_interested() && !s.is_join_waker_set());
            if s.is_complete() {
                (None, false)
            } else {
                (Some(s.0 | JOIN_WAKER), true)
            }
        });
        if ok { Ok(()) } else { Err(s) }
    }

    /// The `JoinHandle` takes the slot back to store a different waker.
    /// Fails if the task completed meanwhile (the runtime owns the slot).
    pub(crate) fn unset_join_waker(&self) -> Result<(), Snapshot> {
        let (s, ok) = self.fetch_update(|s| {
            if s.is_complete() {
                (None, false)
            } else {
                (Some(s.0 & !JOIN_WAKER), true)
            }
        });
        if ok { Ok(()) } else { Err(s) }
    }

    pub(crate) fn ref_inc(&self) {
        let prev = self
            .val
            .fetch_add(REF_ONE, std::sync::atomic::Ordering::Relaxed);
        if prev > usize::MAX / 2 {
            std::process::abort();
        }
    }

    /// Drops `n` references; returns true if they were the last ones.
    pub(crate) fn ref_dec(&self, n: usize) -> bool {
        let prev = Snapshot(self.val.fetch_sub(n * REF_ONE, AcqRel));
        debug_assert!(prev.ref_count() >= n, "refcount underflow");
        prev.ref_count() == n
    }
}
