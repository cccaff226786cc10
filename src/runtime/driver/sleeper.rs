//! The shared epoll's sleeper role (see `SharedIo`): which worker may wait
//! there, bounded by every worker's timers, and the handshakes with the
//! threads that must reach that worker. This file has no `unsafe` and no
//! I/O, so that the loom model (`loom/`) checks exactly this code.
//!
//! Two handshakes, each the store-buffering pattern with a `SeqCst` fence
//! on both sides, so that at least one side sees the other's write:
//!
//! - A worker announces its park (its park word), fences, then tries to
//!   take the role; the watcher, after it took the shared epoll's events,
//!   fences and reads the role ([`SleeperRole::is_taken`]): it sees the
//!   role taken, or the worker sees it free.
//! - A thread that made a new earliest timer (under its shard's lock)
//!   fences and reads the role: if taken, it wakes the sleeper. The sleeper
//!   takes the role, fences ([`SleeperRole::taken_now_read_timers`]), then
//!   reads the shards under their locks: it sees the timer, or the timer's
//!   thread sees the role taken.

use crate::loom::sync::atomic::{
    AtomicBool,
    Ordering::{Relaxed, SeqCst},
    fence,
};

/// Whether a worker sleeps (or is about to) in the shared epoll.
#[derive(Debug)]
pub(crate) struct SleeperRole {
    taken: AtomicBool,
}

impl SleeperRole {
    pub(crate) fn new() -> SleeperRole {
        SleeperRole {
            taken: AtomicBool::new(false),
        }
    }

    /// A parked worker takes the role if nobody holds it; never waits.
    pub(crate) fn try_take(&self) -> bool {
        fence(SeqCst);
        self.taken
            .compare_exchange(false, true, SeqCst, Relaxed)
            .is_ok()
    }

    /// The holder is about to read the timer shards for its wait.
    pub(crate) fn taken_now_read_timers(&self) {
        fence(SeqCst);
    }

    /// The holder stopped waiting in the shared epoll (or will not).
    pub(crate) fn release(&self) {
        self.taken.store(false, SeqCst);
    }

    /// After the caller's own write (a timer, taken events): whether a
    /// worker holds the role.
    pub(crate) fn is_taken(&self) -> bool {
        fence(SeqCst);
        self.taken.load(Relaxed)
    }

    /// Whether a worker holds the role, without the handshake (a hint).
    pub(crate) fn is_taken_now(&self) -> bool {
        self.taken.load(SeqCst)
    }
}
