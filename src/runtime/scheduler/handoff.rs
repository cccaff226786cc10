//! The hand-off of a current-thread runtime's core between the threads that
//! call `block_on` on it (the runtime is `Send + Sync`, as tokio's).
//!
//! # Protocol
//!
//! One mutex holds the parked core, the wakers of the threads waiting for
//! it and two flags. Whoever takes the core out drives the runtime; nobody
//! else touches the core until it is back in the slot, and the mutex orders
//! the last touch of one driver before the first touch of the next.
//!
//! * [`Handoff::take`] takes the parked core, or, if a thread drives it,
//!   registers the caller's waker under the same lock, so a core given back
//!   after the failed take always wakes the caller: no missed hand-off.
//! * [`Handoff::put_back`] parks the core and wakes every waiter (outside
//!   the lock); each tries again, one wins, the others register again.
//! * [`Handoff::close`] (shutdown) takes the parked core for good; if a
//!   thread drives it, the driver gets its core back from `put_back` and
//!   shuts it down itself. Either way exactly one thread ends up with it
//!   (loom: `loom/src/handoff_models.rs`).
//! * A core that could not be parked (see [`Handoff::lose`]) is lost: later
//!   takes report it rather than wait for ever.
//!
//! This file has no `unsafe` and is generic over the core, so the loom model
//! checks exactly this code.

use std::task::Waker;

use crate::loom::sync::Mutex;

/// The slot a current-thread runtime's core waits in between two drivers.
pub(crate) struct Handoff<T> {
    state: Mutex<State<T>>,
}

struct State<T> {
    /// The core, while no thread drives it.
    core: Option<T>,
    /// Threads waiting for the core: all woken when it comes back.
    waiters: Vec<Waker>,
    /// Set at shutdown: the core is never parked again.
    closed: bool,
    /// Set when a driver could not park the core (see [`Handoff::lose`]).
    lost: bool,
}

/// What [`Handoff::take`] found.
#[derive(Debug)]
pub(crate) enum Take<T> {
    /// The core: the caller drives it, then gives it back.
    Core(T),
    /// Another thread drives it; the waker (if any) is woken when it comes
    /// back.
    Busy,
    /// The runtime has shut down: nobody will drive it again.
    Closed,
    /// The core was lost by a driver that could not park it.
    Lost,
}

impl<T> Default for Handoff<T> {
    fn default() -> Handoff<T> {
        Handoff::new()
    }
}

impl<T> Handoff<T> {
    /// An empty slot: the core is parked later with [`Handoff::put_back`].
    pub(crate) fn new() -> Handoff<T> {
        Handoff {
            state: Mutex::new(State {
                core: None,
                waiters: Vec::new(),
                closed: false,
                lost: false,
            }),
        }
    }

    fn lock(&self) -> crate::loom::sync::MutexGuard<'_, State<T>> {
        // Nothing panics while the lock is held; ignore poisoning.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Takes the core if it is parked. If a thread drives it, `waiter` (if
    /// given) is woken once it comes back (or the runtime shuts down).
    pub(crate) fn take(&self, waiter: Option<&Waker>) -> Take<T> {
        let mut state = self.lock();
        if let Some(core) = state.core.take() {
            return Take::Core(core);
        }
        if state.lost {
            return Take::Lost;
        }
        if state.closed {
            return Take::Closed;
        }
        if let Some(waker) = waiter
            && !state.waiters.iter().any(|w| w.will_wake(waker))
        {
            state.waiters.push(waker.clone());
        }
        Take::Busy
    }

    /// Withdraws a waiter that no longer waits (its future completed).
    pub(crate) fn forget(&self, waiter: &Waker) {
        self.lock().waiters.retain(|w| !w.will_wake(waiter));
    }

    /// Parks the core after driving it and wakes the waiters. If the runtime
    /// shut down meanwhile, the core is handed back: the caller shuts it down.
    pub(crate) fn put_back(&self, core: T) -> Result<(), T> {
        let waiters = {
            let mut state = self.lock();
            if state.closed {
                return Err(core);
            }
            debug_assert!(state.core.is_none(), "two cores in one runtime");
            state.core = Some(core);
            if state.waiters.is_empty() {
                return Ok(());
            }
            std::mem::take(&mut state.waiters)
        };
        // Wake after releasing the lock: a waiter takes it at once.
        waiters.into_iter().for_each(Waker::wake);
        Ok(())
    }

    /// A driver could not park the core; it stays where it is, and takes
    /// from now on report [`Take::Lost`] instead of waiting.
    pub(crate) fn lose(&self) {
        let waiters = {
            let mut state = self.lock();
            state.lost = true;
            std::mem::take(&mut state.waiters)
        };
        waiters.into_iter().for_each(Waker::wake);
    }

    /// Shutdown: the core is never parked again. Returns it if it was
    /// parked; if a thread drives it, that thread's `put_back` hands it back
    /// to that thread instead. Waiters are woken (they find the runtime
    /// closed).
    pub(crate) fn close(&self) -> Option<T> {
        let (core, waiters) = {
            let mut state = self.lock();
            state.closed = true;
            (state.core.take(), std::mem::take(&mut state.waiters))
        };
        waiters.into_iter().for_each(Waker::wake);
        core
    }
}

impl<T> std::fmt::Debug for Handoff<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Handoff").finish_non_exhaustive()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    use std::task::Wake;

    #[derive(Default)]
    struct Count(AtomicUsize);

    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, SeqCst);
        }
    }

    #[test]
    fn a_waiter_is_woken_once_when_the_core_comes_back() {
        let handoff = Handoff::new();
        handoff.put_back(7).unwrap();
        let Take::Core(core) = handoff.take(None) else {
            panic!("parked")
        };
        let count = Arc::new(Count::default());
        let waker = Waker::from(count.clone());
        assert!(matches!(handoff.take(Some(&waker)), Take::Busy));
        // Registered once however often it asks.
        assert!(matches!(handoff.take(Some(&waker)), Take::Busy));
        handoff.put_back(core).unwrap();
        assert_eq!(count.0.load(SeqCst), 1);
        assert!(matches!(handoff.take(Some(&waker)), Take::Core(7)));
    }

    #[test]
    fn a_forgotten_waiter_is_not_woken() {
        let handoff = Handoff::new();
        let count = Arc::new(Count::default());
        let waker = Waker::from(count.clone());
        assert!(matches!(handoff.take(Some(&waker)), Take::Busy));
        handoff.forget(&waker);
        handoff.put_back(1).unwrap();
        assert_eq!(count.0.load(SeqCst), 0);
    }

    #[test]
    fn close_takes_a_parked_core_or_leaves_it_to_its_driver() {
        let handoff = Handoff::new();
        handoff.put_back(1).unwrap();
        assert_eq!(handoff.close(), Some(1));
        assert!(matches!(handoff.take(None), Take::Closed));

        let handoff = Handoff::<u8>::new();
        let count = Arc::new(Count::default());
        let waker = Waker::from(count.clone());
        assert!(matches!(handoff.take(Some(&waker)), Take::Busy));
        assert_eq!(handoff.close(), None);
        assert_eq!(count.0.load(SeqCst), 1, "waiters learn it closed");
        assert_eq!(handoff.put_back(2), Err(2), "the driver shuts it down");
    }

    #[test]
    fn a_lost_core_is_reported() {
        let handoff = Handoff::<u8>::new();
        handoff.lose();
        assert!(matches!(handoff.take(None), Take::Lost));
    }
}
