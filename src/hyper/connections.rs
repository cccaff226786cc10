//! [`Connections`]: the [`Server`](super::Server)'s live connections and
//! its phase, for graceful shutdown.
//!
//! The protocol. The phase is one atomic byte that only moves forward
//! (`SERVING` → `DRAINING` → `CLOSING`), written by the server. Each
//! connection task holds a [`Member`]: a slot in `live`, where it leaves
//! its waker once, on its first poll. Every poll of a connection reads the
//! phase (one atomic load, no lock: a connection is polled for every
//! request, and a shared lock there would be contended across workers).
//! The server stores a new phase *before* it locks `live` to wake every
//! member; a member stores its waker under that lock and reads the phase
//! *after*, so either its waker is woken or it sees the new phase. A
//! member leaves `live` when dropped; the last one out after the server
//! stopped serving wakes the server, which waits for `live` to empty.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use slab::Slab;

/// Accepting and serving.
pub(super) const SERVING: u8 = 0;
/// Not accepting; each connection finishes what it has started.
pub(super) const DRAINING: u8 = 1;
/// The shutdown's bound passed: each connection is dropped.
pub(super) const CLOSING: u8 = 2;

/// The live connections of one server and its phase.
#[derive(Debug)]
pub(super) struct Connections {
    /// `SERVING`, `DRAINING` or `CLOSING`; only moves forward.
    phase: AtomicU8,
    /// Who waits, under one lock.
    waiters: Mutex<Waiters>,
}

#[derive(Debug, Default)]
struct Waiters {
    /// One slot per live connection: its task's waker, once it was polled.
    live: Slab<Option<Waker>>,
    /// The server, waiting for `live` to empty.
    server: Option<Waker>,
}

impl Connections {
    pub(super) fn new() -> Arc<Connections> {
        Arc::new(Connections {
            phase: AtomicU8::new(SERVING),
            waiters: Mutex::new(Waiters::default()),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Waiters> {
        // Nothing here panics while holding the lock; a user's waker could,
        // but wakers are woken after it is released.
        self.waiters.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds a connection.
    pub(super) fn join(self: &Arc<Self>) -> Member {
        let key = self.lock().live.insert(None);
        Member {
            connections: Arc::clone(self),
            key,
            registered: None,
            registered_in: SERVING,
        }
    }

    /// Moves to `phase` and wakes every connection to see it.
    pub(super) fn advance(&self, phase: u8) {
        self.phase.fetch_max(phase, Ordering::Release);
        let wakers: Vec<Waker> = self
            .lock()
            .live
            .iter_mut()
            .filter_map(|(_, w)| w.take())
            .collect();
        // Woken after the lock is released (a woken member re-registers).
        for waker in wakers {
            waker.wake();
        }
    }

    /// Waits until every connection is gone.
    pub(super) fn all_closed(&self) -> impl Future<Output = ()> + '_ {
        std::future::poll_fn(|cx| {
            let mut waiters = self.lock();
            if waiters.live.is_empty() {
                waiters.server = None;
                Poll::Ready(())
            } else {
                waiters.server = Some(cx.waker().clone());
                Poll::Pending
            }
        })
    }

    /// How many connections are live.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.lock().live.len()
    }
}

/// One connection's place among its server's [`Connections`]; dropping it
/// removes the connection.
#[derive(Debug)]
pub(super) struct Member {
    connections: Arc<Connections>,
    /// The slot in `live`.
    key: usize,
    /// The waker left in the slot, to see without the lock whether a later
    /// poll's waker differs.
    registered: Option<Waker>,
    /// The phase read before that waker was left: an advance since then
    /// took it out of the slot.
    registered_in: u8,
}

impl Member {
    /// The server's phase, read after this task's waker is in place for
    /// the next change. One atomic load unless the waker must be left
    /// (first poll, a new waker, or after an advance).
    pub(super) fn poll_phase(&mut self, cx: &mut Context<'_>) -> u8 {
        let before = self.connections.phase.load(Ordering::Acquire);
        let stale = match &self.registered {
            Some(waker) => before != self.registered_in || !waker.will_wake(cx.waker()),
            None => true,
        };
        if stale {
            let waker = cx.waker().clone();
            self.connections.lock().live[self.key] = Some(waker.clone());
            self.registered = Some(waker);
            self.registered_in = before;
        }
        // After the registration (see the module docs).
        self.connections.phase.load(Ordering::Acquire)
    }
}

impl Drop for Member {
    fn drop(&mut self) {
        let server = {
            let mut waiters = self.connections.lock();
            waiters.live.remove(self.key);
            if waiters.live.is_empty() {
                waiters.server.take()
            } else {
                None
            }
        };
        if let Some(server) = server {
            server.wake();
        }
    }
}

/// A connection future under its [`Member`]: runs `conn`; when the server
/// starts draining, calls `on_drain` on it (once); when it closes, stops.
pub(super) struct Watched<'a, C, D> {
    pub(super) member: Member,
    pub(super) conn: Pin<&'a mut C>,
    /// Called once, when the server starts draining.
    pub(super) on_drain: Option<D>,
}

// Nothing in it is pinned but through `conn`, which is a `Pin` already.
impl<C, D> Unpin for Watched<'_, C, D> {}

impl<C: Future, D: FnOnce(Pin<&mut C>)> Future for Watched<'_, C, D> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        match this.member.poll_phase(cx) {
            SERVING => {}
            DRAINING => {
                if let Some(drain) = this.on_drain.take() {
                    drain(this.conn.as_mut());
                }
            }
            _ => return Poll::Ready(()),
        }
        // Errors are the client's business (gone mid-request, garbage,
        // too slow): the connection just ends.
        this.conn.as_mut().poll(cx).map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;
    use std::task::Wake;

    struct Count(AtomicUsize);
    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn a_registered_member_is_woken_once_per_advance_and_sees_the_phase() {
        let connections = Connections::new();
        let count = Arc::new(Count(AtomicUsize::new(0)));
        let waker = Waker::from(Arc::clone(&count));
        let mut cx = Context::from_waker(&waker);
        let mut member = connections.join();
        assert_eq!(member.poll_phase(&mut cx), SERVING);
        assert_eq!(member.poll_phase(&mut cx), SERVING);
        connections.advance(DRAINING);
        assert_eq!(count.0.load(Ordering::SeqCst), 1);
        assert_eq!(member.poll_phase(&mut cx), DRAINING);
        connections.advance(CLOSING);
        assert_eq!(count.0.load(Ordering::SeqCst), 2);
        assert_eq!(member.poll_phase(&mut cx), CLOSING);
        // Phases never go back.
        connections.advance(DRAINING);
        assert_eq!(member.poll_phase(&mut cx), CLOSING);
    }

    #[test]
    fn the_last_member_out_wakes_the_server() {
        let connections = Connections::new();
        let (a, b) = (connections.join(), connections.join());
        assert_eq!(connections.len(), 2);
        let count = Arc::new(Count(AtomicUsize::new(0)));
        let waker = Waker::from(Arc::clone(&count));
        let mut cx = Context::from_waker(&waker);
        let mut closed = std::pin::pin!(connections.all_closed());
        assert!(closed.as_mut().poll(&mut cx).is_pending());
        drop(a);
        assert_eq!(count.0.load(Ordering::SeqCst), 0);
        drop(b);
        assert_eq!(count.0.load(Ordering::SeqCst), 1);
        assert!(closed.as_mut().poll(&mut cx).is_ready());
    }
}
