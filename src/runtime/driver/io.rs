//! The I/O registrations: [`Registry`], the shared half of the I/O driver.
//!
//! Each descriptor is registered once, edge-triggered, for the readiness
//! of its [`Interest`] (for every socket both directions and urgent data,
//! `EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLPRI | EPOLLET`); operations never
//! call `epoll_ctl` again. Its
//! [`ScheduledIo`] sits in a slab, and its epoll token is
//! `generation << 32 | slab index`: when a descriptor is closed and its slot
//! reused, an event still in flight for the old one carries the old
//! generation and is dropped instead of waking the successor.
//!
//! # Who touches what
//!
//! - Any thread registers and deregisters (I/O objects are `Send`), under
//!   the `slots` lock for the slab and the `epoll` read lock for `epoll_ctl`.
//! - The runtime thread dispatches a whole `epoll_wait` batch under one
//!   `slots` lock, then wakes the collected wakers with no lock held.
//! - `epoll` shares the selector's descriptor until [`Registry::shutdown`]
//!   withdraws it under the write lock, before the selector drops: the
//!   descriptor then closes with the selector, not with the last holder
//!   of the registry, and a late `epoll_ctl` finds `None`.

use std::io;
use std::os::fd::{BorrowedFd, OwnedFd};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};
use std::task::Waker;

use slab::Slab;

use super::scheduled_io::{Ready, ScheduledIo, gone};
use crate::io::Interest;
use crate::sys;

/// Slab indices from here up are never handed out: tokens such as
/// `UNPARK_TOKEN` (`u64::MAX`) live there.
const MAX_INDEX: usize = (u32::MAX - 0xff) as usize;

/// The shared half of the I/O driver: what `Shared` and every registered
/// I/O object hold.
#[derive(Debug)]
pub(crate) struct Registry {
    /// The selector's epoll descriptor; `None` once shut down. Read-locked
    /// around every `epoll_ctl`.
    epoll: RwLock<Option<Arc<OwnedFd>>>,
    /// The live registrations.
    slots: Mutex<Slots>,
    /// How many there are, mirrored outside the lock (written under it) so
    /// the driver can skip the non-blocking `epoll_wait` when none exist.
    live: AtomicUsize,
}

#[derive(Debug)]
struct Slots {
    entries: Slab<Slot>,
    /// The generation the next registration gets (wrapping).
    next_generation: u32,
    /// Set by shutdown: nothing can register any more.
    shut_down: bool,
}

#[derive(Debug)]
struct Slot {
    generation: u32,
    io: Arc<ScheduledIo>,
}

/// A registration's place in the registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Token(u64);

impl Token {
    fn new(index: usize, generation: u32) -> Token {
        Token((u64::from(generation) << 32) | index as u64)
    }

    fn index(self) -> usize {
        (self.0 & u64::from(u32::MAX)) as usize
    }

    fn generation(self) -> u32 {
        (self.0 >> 32) as u32
    }
}

impl Registry {
    /// A registry for the epoll instance `epoll`.
    pub(crate) fn new(epoll: Arc<OwnedFd>) -> Registry {
        Registry {
            epoll: RwLock::new(Some(epoll)),
            slots: Mutex::new(Slots {
                entries: Slab::with_capacity(64),
                next_generation: 0,
                shut_down: false,
            }),
            live: AtomicUsize::new(0),
        }
    }

    fn slots(&self) -> MutexGuard<'_, Slots> {
        // Nothing under this lock panics (wakers are woken after it).
        self.slots.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Registers `fd`, edge-triggered, for `interest`, with `initial`
    /// readiness already assumed.
    pub(crate) fn register(
        &self,
        fd: BorrowedFd<'_>,
        interest: Interest,
        initial: Ready,
    ) -> io::Result<(Token, Arc<ScheduledIo>)> {
        let io = Arc::new(ScheduledIo::new(initial));
        let token = {
            let mut slots = self.slots();
            if slots.shut_down {
                return Err(gone());
            }
            let index = slots.entries.vacant_key();
            if index >= MAX_INDEX {
                return Err(io::Error::other("too many registered I/O objects"));
            }
            let generation = slots.next_generation;
            slots.next_generation = generation.wrapping_add(1);
            slots.entries.insert(Slot {
                generation,
                io: io.clone(),
            });
            self.live.store(slots.entries.len(), Relaxed);
            Token::new(index, generation)
        };
        let added = match &*self.epoll.read().unwrap_or_else(PoisonError::into_inner) {
            Some(ep) => sys::epoll_add(
                &**ep,
                fd,
                (interest.epoll_events() | libc::EPOLLET) as u32,
                token.0,
            ),
            None => Err(gone()),
        };
        match added {
            Ok(()) => Ok((token, io)),
            Err(e) => {
                self.remove(token);
                Err(e)
            }
        }
    }

    /// Removes `fd` from epoll and its slot from the slab. The caller closes
    /// `fd` only afterwards, so the descriptor number is still ours here.
    pub(crate) fn deregister(&self, token: Token, fd: BorrowedFd<'_>) {
        if let Some(ep) = &*self.epoll.read().unwrap_or_else(PoisonError::into_inner) {
            // Fails only if the descriptor was never added (a bug); there is
            // nothing left to undo then.
            let _ = sys::epoll_delete(&**ep, fd);
        }
        self.remove(token);
    }

    fn remove(&self, token: Token) {
        let mut slots = self.slots();
        let index = token.index();
        if slots
            .entries
            .get(index)
            .is_some_and(|s| s.generation == token.generation())
        {
            slots.entries.remove(index);
            self.live.store(slots.entries.len(), Relaxed);
        }
    }

    /// Sets the readiness of every event's registration, then wakes their
    /// waiters after the lock is released. Events whose generation is stale
    /// are dropped. `wakers` is a buffer kept by the caller (empty on return).
    pub(crate) fn dispatch(
        &self,
        events: impl Iterator<Item = (u64, u32)>,
        wakers: &mut Vec<Waker>,
    ) {
        {
            let slots = self.slots();
            for (token, events) in events {
                let token = Token(token);
                if let Some(slot) = slots.entries.get(token.index())
                    && slot.generation == token.generation()
                {
                    slot.io.dispatch(Ready::from_epoll(events), wakers);
                }
            }
        }
        wake_all(wakers);
    }

    /// The runtime is shutting down: withdraw the epoll descriptor, fail
    /// every registration's waits and wake their waiters. Idempotent.
    pub(crate) fn shutdown(&self) {
        self.epoll
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        let entries = {
            let mut slots = self.slots();
            slots.shut_down = true;
            self.live.store(0, Relaxed);
            std::mem::take(&mut slots.entries)
        };
        let mut wakers = Vec::new();
        for (_, slot) in entries {
            slot.io.shutdown(&mut wakers);
        }
        wake_all(&mut wakers);
    }

    /// How many descriptors are registered.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.slots().entries.len()
    }

    /// Whether the epoll instance has events no thread has taken yet (the
    /// paused clock's quiet check).
    #[cfg(feature = "test-util")]
    pub(crate) fn has_events_waiting(&self) -> bool {
        let epoll = self.epoll.read().unwrap_or_else(PoisonError::into_inner);
        epoll.as_ref().is_some_and(|fd| {
            use std::os::fd::AsFd;
            sys::poll_readable(fd.as_fd(), std::time::Duration::ZERO).unwrap_or(true)
        })
    }

    /// How much longer the paused clock is held by a stream awaiting a
    /// reply from a local peer, with a reader waiting for it (the first
    /// such hold to end, each at most `grace`), if any is.
    #[cfg(feature = "test-util")]
    pub(crate) fn awaited_reply(&self, grace: std::time::Duration) -> Option<std::time::Duration> {
        let slots = self.slots();
        slots
            .entries
            .iter()
            .filter(|(_, slot)| slot.io.awaits_reader())
            .filter_map(|(_, slot)| slot.io.reply.holds(grace))
            .min()
    }

    /// Whether any descriptor is registered (a hint: exact on the runtime
    /// thread, which is where registrations are made).
    pub(crate) fn has_registrations(&self) -> bool {
        self.live.load(Relaxed) != 0
    }
}

/// Wakes and empties `wakers`, with no lock held.
fn wake_all(wakers: &mut Vec<Waker>) {
    for waker in wakers.drain(..) {
        // Don't let a panicking waker blow everything up: the other wakes
        // must still happen.
        let _ = catch_unwind(AssertUnwindSafe(|| waker.wake()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::driver::scheduled_io::Direction;
    use std::os::fd::{AsFd, OwnedFd};
    use std::os::unix::net::UnixStream;

    fn registry() -> (Arc<OwnedFd>, Registry) {
        let ep = Arc::new(sys::epoll_create().unwrap());
        let registry = Registry::new(ep.clone());
        (ep, registry)
    }

    #[test]
    fn a_stale_event_never_wakes_the_successor() {
        let (_ep, registry) = registry();
        let (a, _peer) = UnixStream::pair().unwrap();
        let (old, _) = registry
            .register(a.as_fd(), Interest::BOTH, Ready::EMPTY)
            .unwrap();
        registry.deregister(old, a.as_fd());
        let (new, io) = registry
            .register(a.as_fd(), Interest::BOTH, Ready::EMPTY)
            .unwrap();
        assert_eq!(old.index(), new.index(), "the slot is reused");
        assert_ne!(old, new);
        registry.dispatch([(old.0, libc::EPOLLIN as u32)].into_iter(), &mut Vec::new());
        assert!(io.ready(Direction::Read.mask()).unwrap().is_none());
        registry.dispatch([(new.0, libc::EPOLLIN as u32)].into_iter(), &mut Vec::new());
        assert!(io.ready(Direction::Read.mask()).unwrap().is_some());
    }

    #[test]
    fn shutdown_fails_registrations_and_empties_the_slab() {
        let (_ep, registry) = registry();
        let (a, _peer) = UnixStream::pair().unwrap();
        let (token, io) = registry
            .register(a.as_fd(), Interest::BOTH, Ready::READABLE)
            .unwrap();
        assert_eq!(registry.len(), 1);
        registry.shutdown();
        assert_eq!(registry.len(), 0);
        assert!(io.ready(Direction::Read.mask()).is_err());
        assert!(
            registry
                .register(a.as_fd(), Interest::BOTH, Ready::EMPTY)
                .is_err()
        );
        // Deregistering after shutdown is harmless: no epoll_ctl at all.
        registry.deregister(token, a.as_fd());
    }

    #[test]
    fn a_failed_add_leaves_no_slot() {
        let (_ep, registry) = registry();
        let file = std::fs::File::open("/proc/self/status").unwrap();
        // Regular files cannot be polled: EPERM.
        let err = registry
            .register(file.as_fd(), Interest::BOTH, Ready::EMPTY)
            .unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::EPERM));
        assert_eq!(registry.len(), 0);
    }
}
