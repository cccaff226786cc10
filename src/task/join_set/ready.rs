//! A [`JoinSet`](super::JoinSet)'s ready list: how a finished task is found
//! in O(1). Nothing here knows about tasks or handles ([`Entries`] stands
//! for them), so the loom models (`loom/`) compile this file as it is.
//!
//! Each entry's `JoinHandle` is polled with the entry's own waker, a
//! [`Node`]. When the task finishes, its join waker (that node) pushes the
//! node onto the set's shared ready list and wakes the waker of whoever
//! awaits the set. Joining pops nodes from that list and polls only their
//! handles: the cost of a join does not grow with the number of tasks still
//! running.
//!
//! The protocol, field by field:
//!
//! - `Node::queued` is true while the node sits in a ready list (the
//!   shared one, or the set's private batch), so a node is queued at most
//!   once however often it is woken; and it stays true forever once its
//!   entry has left the set, so late wakes of a joined or detached task are
//!   ignored. A new entry starts queued (in the private batch), which is how
//!   its handle gets polled once and learns its waker.
//! - The joiner clears `queued` with a swap *before* it polls the handle.
//!   A wake that found `queued` still set, and so did not queue the node
//!   again, comes from a task that had already finished (a task wakes its
//!   join waker after completing); the joiner's swap reads that wake's
//!   write, so the poll that follows sees the output.
//! - `Ready::inner` (a mutex) holds the shared list and the joiner's waker.
//!   The joiner moves the whole shared list into its private batch under one
//!   lock, and registers its waker in the same critical section in which it
//!   finds the list empty, so no wake falls between the two.
//! - A node may still be in a list after its entry left the set (it was
//!   woken between being popped and its entry's removal), and the entry's
//!   slab key may since have been reused: a popped node is used only if the
//!   entry under its key holds that very node.
//! - Nodes point to the ready list weakly: a task that outlives its set
//!   wakes nothing, and no reference cycle keeps either alive.

use std::collections::VecDeque;
use std::sync::{Arc, PoisonError, Weak};
use std::task::{Wake, Waker};

use crate::loom::sync::atomic::{AtomicBool, Ordering::AcqRel, Ordering::Release};
use crate::loom::sync::{Mutex, MutexGuard};

/// The entries of a set, as the joiner's loop ([`Ready::next_finished`])
/// sees them.
pub(crate) trait Entries {
    /// A finished entry, taken out of the set.
    type Joined;

    /// Whether `node` is the node of the entry under its key (not a stale
    /// one: see the module docs).
    fn is_current(&self, node: &Arc<Node>) -> bool;

    /// Polls the handle of the entry under `key` with its node's waker; if
    /// it has finished, takes the entry out of the set (retiring its node)
    /// and returns it.
    fn poll(&mut self, key: usize) -> Option<Self::Joined>;
}

/// The list of entries whose tasks woke their join waker, shared by the set
/// and the entries' wakers.
pub(crate) struct Ready {
    inner: Mutex<ReadyInner>,
}

struct ReadyInner {
    /// Woken nodes, in wake order.
    nodes: VecDeque<Arc<Node>>,
    /// The waker of the task awaiting the set, registered when it found the
    /// list empty; taken by the first wake after that.
    waker: Option<Waker>,
}

/// An entry's waker: queues the entry for the set.
pub(crate) struct Node {
    /// The entry's slab key.
    key: usize,
    /// In a ready list, or out of the set for good (see the module docs).
    queued: AtomicBool,
    /// The set's ready list, if the set still exists.
    ready: Weak<Ready>,
}

impl Ready {
    pub(crate) fn new() -> Arc<Ready> {
        Arc::new(Ready {
            inner: Mutex::new(ReadyInner {
                nodes: VecDeque::new(),
                waker: None,
            }),
        })
    }

    fn lock(&self) -> MutexGuard<'_, ReadyInner> {
        // Nothing panics under this lock; tolerate poisoning anyway.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Takes out the next finished entry, polling the handles of queued
    /// entries only (from `batch`, the set's private list, then from the
    /// shared one); with none finished, registers `waker` (if any) for the
    /// next wake and returns `None`.
    pub(crate) fn next_finished<E: Entries>(
        &self,
        batch: &mut VecDeque<Arc<Node>>,
        waker: Option<&Waker>,
        entries: &mut E,
    ) -> Option<E::Joined> {
        loop {
            let node = match batch.pop_front() {
                Some(node) => node,
                None => {
                    let mut inner = self.lock();
                    if inner.nodes.is_empty() {
                        if let Some(waker) = waker {
                            match &inner.waker {
                                Some(w) if w.will_wake(waker) => {}
                                _ => inner.waker = Some(waker.clone()),
                            }
                        }
                        return None;
                    }
                    std::mem::swap(batch, &mut inner.nodes);
                    continue;
                }
            };
            if !entries.is_current(&node) {
                // Stale: its entry left the set, and `queued` stays set.
                continue;
            }
            // Before the poll: see the module docs.
            node.queued.swap(false, AcqRel);
            if let Some(joined) = entries.poll(node.key) {
                return Some(joined);
            }
        }
    }

    /// Forgets the woken nodes (their entries left the set).
    pub(crate) fn clear(&self) {
        self.lock().nodes.clear();
    }
}

impl Node {
    /// The node of a new entry under `key`: queued, as it starts in the
    /// set's private batch.
    pub(crate) fn new(key: usize, ready: &Arc<Ready>) -> Arc<Node> {
        Arc::new(Node {
            key,
            queued: AtomicBool::new(true),
            ready: Arc::downgrade(ready),
        })
    }

    /// The key of its entry.
    pub(crate) fn key(&self) -> usize {
        self.key
    }

    /// Its entry left the set: later wakes are ignored.
    pub(crate) fn retire(&self) {
        self.queued.store(true, Release);
    }
}

impl Wake for Node {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if self.queued.swap(true, AcqRel) {
            return;
        }
        let Some(ready) = self.ready.upgrade() else {
            return;
        };
        let waker = {
            let mut inner = ready.lock();
            inner.nodes.push_back(self.clone());
            inner.waker.take()
        };
        // Woken after releasing the lock.
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}
