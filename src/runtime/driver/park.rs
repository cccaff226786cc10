//! The park protocol: whether a wake from another thread must write the
//! runtime's eventfd — only when the runtime is parked, and then only once
//! per park. This file has no `unsafe` and no I/O, so that the loom model
//! (`loom/`) checks exactly this code.
//!
//! One atomic word holds `PARKED` and `NOTIFIED`. A waker publishes its work
//! (a queue push, a woken flag), then sets `NOTIFIED` with a read-modify-write;
//! it writes the eventfd only if the word was exactly `PARKED` before (parked,
//! and nobody has signalled yet). The runtime parks with a compare-exchange
//! from 0 to `PARKED`, which fails if any wake arrived since it last looked:
//! then it clears the word and goes round its loop instead of blocking.
//! Because both sides use read-modify-writes of the same word, they are
//! totally ordered: either the waker sees `PARKED` and signals, or the
//! runtime sees `NOTIFIED` (and, through acquire/release, the work behind it).
//! No `SeqCst` store-load reasoning is needed.

use crate::loom::sync::atomic::{
    AtomicUsize,
    Ordering::{AcqRel, Acquire},
};

/// The runtime is in (or committed to) a blocking `epoll_wait`.
const PARKED: usize = 1 << 0;
/// Work was published since the runtime last cleared the word.
const NOTIFIED: usize = 1 << 1;
/// With `PARKED`: the thread sleeps in the multi-thread runtime's shared
/// epoll, not in its own, so a wake writes the shared eventfd.
const SHARED: usize = 1 << 2;

/// Which eventfd a wake must write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sleeper {
    /// The thread sleeps in its own epoll.
    Own,
    /// The thread sleeps in the runtime's shared epoll.
    Shared,
}

/// The shared flags of the park protocol.
#[derive(Debug, Default)]
pub(crate) struct ParkState {
    /// `PARKED | NOTIFIED`.
    word: AtomicUsize,
}

impl ParkState {
    pub(crate) fn new() -> ParkState {
        ParkState {
            word: AtomicUsize::new(0),
        }
    }

    /// Another thread published work (its own release store came first);
    /// returns where the thread sleeps if it must write that eventfd.
    pub(crate) fn notify(&self) -> Option<Sleeper> {
        match self.word.fetch_or(NOTIFIED, AcqRel) {
            PARKED => Some(Sleeper::Own),
            w if w == PARKED | SHARED => Some(Sleeper::Shared),
            _ => None,
        }
    }

    /// Parked, the thread is about to sleep in the shared epoll instead of
    /// its own. Returns false if a wake came since it parked (that wake
    /// wrote its own eventfd): it must not sleep in the shared epoll then.
    pub(crate) fn sleep_shared(&self) -> bool {
        self.word
            .compare_exchange(PARKED, PARKED | SHARED, AcqRel, Acquire)
            .is_ok()
    }

    /// The runtime is about to block. Returns false (and clears the word) if
    /// work was published since it last cleared it: look again instead.
    /// While the word is 0 (running, or spinning before a park), wakers set
    /// `NOTIFIED` and write nothing.
    pub(crate) fn prepare_park(&self) -> bool {
        match self.word.compare_exchange(0, PARKED, AcqRel, Acquire) {
            Ok(_) => true,
            Err(_) => {
                self.word.swap(0, AcqRel);
                false
            }
        }
    }

    /// The runtime is awake again; wakes that came meanwhile are seen by its
    /// next look at its queues. Returns whether a wake from another thread
    /// came while it was parked.
    pub(crate) fn unparked(&self) -> bool {
        self.word.swap(0, AcqRel) & NOTIFIED != 0
    }

    /// Whether the thread is parked (or committed to park) in its own
    /// epoll, not the shared one.
    pub(crate) fn is_parked_own(&self) -> bool {
        self.word.load(Acquire) & (PARKED | SHARED) == PARKED
    }

    /// Whether the driver's thread is parked (or committed to park).
    pub(crate) fn is_parked(&self) -> bool {
        self.word.load(Acquire) & PARKED != 0
    }

    /// Whether a wake came from another thread since the word was cleared.
    pub(crate) fn is_notified(&self) -> bool {
        self.word.load(Acquire) & NOTIFIED != 0
    }
}
