//! Which workers of the multi-thread flavor sleep, and how many search for
//! work: so that new work wakes a sleeping worker only when no worker is
//! already searching (no thundering herd), and no work is left behind when
//! the last searcher goes to sleep (no lost wake-up).
//!
//! # Protocol
//!
//! One atomic word counts the awake workers and, among them, the searching
//! ones (stealing, or looking at the injection queue). The sleepers' ids sit
//! in a list behind a mutex, which also serialises the changes of the awake
//! count.
//!
//! * Work is queued, then [`Idle::worker_to_notify`] reads the word with a
//!   read-modify-write: a sleeper is woken (and counted as awake and
//!   searching) only if no worker searches and some sleep.
//! * A worker that finds nothing parks with [`Idle::park`], a
//!   read-modify-write that lowers its counts. If it was the last searcher,
//!   it must look at the queues once more before it sleeps and wake a worker
//!   for whatever it finds ([`Idle::worker_to_notify`] again).
//!
//! This is the store-buffering pattern, with a `SeqCst` fence on each side:
//! the queuer pushes, fences, then reads the word; the parker changes the
//! word, fences, then looks at the queues. The fences are totally ordered,
//! so at least one side sees the other's write: either the queuer sees the
//! parker gone and wakes a sleeper, or the parker's last look sees the
//! work. (The queuer reads rather than read-modify-writes, so that the
//! word's cache line stays shared between queuers instead of bouncing on
//! every push.) loom checks this (`loom/src/idle_models.rs`). This file has
//! no `unsafe`.

use crate::loom::sync::Mutex;
use crate::loom::sync::atomic::{AtomicUsize, Ordering::SeqCst, fence};

/// One searching worker, in the low bits of the word.
const SEARCH_ONE: usize = 1;
/// The searching count's bits.
const SEARCH_MASK: usize = (1 << AWAKE_SHIFT) - 1;
/// Where the awake count starts.
const AWAKE_SHIFT: u32 = 16;
/// One awake worker.
const AWAKE_ONE: usize = 1 << AWAKE_SHIFT;

/// The most workers the word can count.
pub(crate) const MAX_WORKERS: usize = SEARCH_MASK;

fn searching(word: usize) -> usize {
    word & SEARCH_MASK
}

fn awake(word: usize) -> usize {
    word >> AWAKE_SHIFT
}

/// The idle bookkeeping of one runtime.
#[derive(Debug)]
pub(crate) struct Idle {
    /// Awake workers (high bits) and searching ones among them (low bits).
    word: AtomicUsize,
    /// The ids of the sleeping workers.
    sleepers: Mutex<Vec<usize>>,
    /// How many workers there are.
    workers: usize,
}

impl Idle {
    /// All `workers` awake, none searching.
    ///
    /// # Panics
    /// If `workers` is zero or above [`MAX_WORKERS`].
    pub(crate) fn new(workers: usize) -> Idle {
        assert!(
            (1..=MAX_WORKERS).contains(&workers),
            "between 1 and {MAX_WORKERS} workers"
        );
        Idle {
            word: AtomicUsize::new(workers * AWAKE_ONE),
            sleepers: Mutex::new(Vec::with_capacity(workers)),
            workers,
        }
    }

    fn sleepers(&self) -> crate::loom::sync::MutexGuard<'_, Vec<usize>> {
        // Nothing panics while the lock is held; ignore poisoning.
        self.sleepers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Whether a sleeper should be woken for new work: none searches, some
    /// sleep. The fence pairs with the one in [`Idle::park`] (see the module
    /// docs).
    fn should_notify(&self) -> bool {
        fence(SeqCst);
        let word = self.word.load(SeqCst);
        searching(word) == 0 && awake(word) < self.workers
    }

    /// Whether [`Idle::worker_to_notify`] might wake a worker, and fewer
    /// than `cpus` workers are awake: a plain load, for hints only.
    pub(crate) fn may_notify(&self, cpus: usize) -> bool {
        let word = self.word.load(SeqCst);
        searching(word) == 0 && awake(word) < self.workers.min(cpus)
    }

    /// Called after queueing work: the sleeping worker to wake, if one
    /// should be. It is counted as awake and searching from now on.
    pub(crate) fn worker_to_notify(&self) -> Option<usize> {
        self.worker_to_notify_unless(|| false)
    }

    /// [`Idle::worker_to_notify`], but none is woken if `skip` holds: asked
    /// after the fence (see the module docs), and again under the sleepers'
    /// lock, so that what a worker publishes before it takes itself off the
    /// list (under that lock) is seen.
    pub(crate) fn worker_to_notify_unless(&self, skip: impl Fn() -> bool) -> Option<usize> {
        if !self.should_notify() || skip() {
            return None;
        }
        let mut sleepers = self.sleepers();
        // Another queuer may have woken one meanwhile.
        if !self.should_notify() || skip() {
            return None;
        }
        let worker = sleepers.pop()?;
        self.word.fetch_add(AWAKE_ONE + SEARCH_ONE, SeqCst);
        Some(worker)
    }

    /// An awake worker wants to search (steal); false if enough already do
    /// (about half of the awake workers at most: two workers deciding at
    /// once may both start, which costs a little CPU and loses nothing).
    pub(crate) fn try_start_searching(&self) -> bool {
        let word = self.word.load(SeqCst);
        if 2 * searching(word) >= awake(word) {
            return false;
        }
        self.word.fetch_add(SEARCH_ONE, SeqCst);
        true
    }

    /// A searching worker found work. Returns true if it was the last
    /// searcher: it should then wake another worker, so that the rest of
    /// the work it saw has a searcher too.
    pub(crate) fn stop_searching(&self) -> bool {
        let prev = self.word.fetch_sub(SEARCH_ONE, SeqCst);
        debug_assert!(searching(prev) > 0);
        searching(prev) == 1
    }

    /// Worker `worker` goes to sleep (`was_searching`: it had not stopped
    /// searching). Returns true if it was the last searcher: it must then
    /// look at every queue once more before it sleeps, and wake a worker for
    /// what it finds.
    pub(crate) fn park(&self, worker: usize, was_searching: bool) -> bool {
        let mut sleepers = self.sleepers();
        let down = AWAKE_ONE + if was_searching { SEARCH_ONE } else { 0 };
        let prev = self.word.fetch_sub(down, SeqCst);
        sleepers.push(worker);
        // Pairs with `should_notify`'s: the caller's last look at the
        // queues comes after it.
        fence(SeqCst);
        was_searching && searching(prev) == 1
    }

    /// Worker `worker` woke without being notified (its own driver had an
    /// event, or shutdown): takes it off the sleepers' list if it is still
    /// there. Returns true if it was (it is counted as awake again, not
    /// searching); false if a queuer already woke it.
    pub(crate) fn unpark_self(&self, worker: usize) -> bool {
        let mut sleepers = self.sleepers();
        match sleepers.iter().position(|&w| w == worker) {
            Some(i) => {
                sleepers.swap_remove(i);
                self.word.fetch_add(AWAKE_ONE, SeqCst);
                true
            }
            None => false,
        }
    }

    /// Whether `worker` is on the sleepers' list.
    #[cfg_attr(
        not(any(test, loom)),
        allow(dead_code, reason = "for the tests and loom models")
    )]
    pub(crate) fn is_sleeping(&self, worker: usize) -> bool {
        self.sleepers().contains(&worker)
    }

    /// The number of searching workers (a hint).
    #[cfg_attr(
        not(any(test, loom)),
        allow(dead_code, reason = "for the tests and loom models")
    )]
    pub(crate) fn num_searching(&self) -> usize {
        searching(self.word.load(SeqCst))
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn new_work_wakes_a_sleeper_only_without_searchers() {
        let idle = Idle::new(3);
        assert_eq!(idle.worker_to_notify(), None, "all awake");
        assert!(!idle.park(2, false));
        assert!(!idle.park(1, false));
        assert!(idle.try_start_searching(), "1 awake, 0 searching");
        assert!(!idle.try_start_searching(), "at most half search");
        assert_eq!(idle.worker_to_notify(), None, "a searcher will find it");
        assert!(idle.stop_searching(), "the last searcher");
        assert_eq!(idle.worker_to_notify(), Some(1));
        assert_eq!(idle.num_searching(), 1, "the woken worker searches");
        assert_eq!(idle.worker_to_notify(), None);
        assert!(idle.stop_searching());
        assert_eq!(idle.worker_to_notify(), Some(2));
        assert!(idle.stop_searching());
        assert_eq!(idle.worker_to_notify(), None, "nobody sleeps");
    }

    #[test]
    fn the_last_searcher_to_park_is_told_so() {
        let idle = Idle::new(2);
        assert!(idle.try_start_searching());
        assert!(!idle.park(1, false));
        assert!(idle.park(0, true), "last searcher");
        assert!(idle.is_sleeping(0) && idle.is_sleeping(1));
        assert!(idle.unpark_self(0));
        assert!(!idle.unpark_self(0), "already awake");
        assert!(!idle.is_sleeping(0));
    }

    #[test]
    #[should_panic(expected = "workers")]
    fn zero_workers_is_refused() {
        Idle::new(0);
    }
}
