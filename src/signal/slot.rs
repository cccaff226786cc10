//! One signal number's counters, shared by the OS handler's action and the
//! listeners (`registry.rs` keeps one per signal number in a static
//! table). Atomics only: no system call, lock or allocation, so the action
//! may use it in a signal handler, and the loom models (`loom/`) compile
//! this file as it is.
//!
//! # Who touches what, and when
//!
//! - `deliveries` is incremented by the action only, once per delivery.
//!   Listeners compare it with the count they last reported.
//! - `listeners` counts the live listeners. It changes under the registry's
//!   lock (creation and drop of a listener); the action only reads it.
//! - `received` is the highest delivery count any listener has reported
//!   (`fetch_max` after each report). A listener created while none is alive
//!   starts from it, so deliveries nobody received are reported to it.
//! - `restore_default` is set (never cleared) by the opt-in; the action only
//!   reads it.

use crate::loom::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering::SeqCst};

/// One signal number's state; see the module docs for who touches what.
#[derive(Debug)]
pub(crate) struct Slot {
    /// Deliveries counted by the action since it was registered.
    deliveries: AtomicU64,
    /// Live listeners (changed under the registry's lock).
    listeners: AtomicUsize,
    /// The highest delivery count a listener has reported.
    received: AtomicU64,
    /// With no listener alive, a delivery takes the default action.
    restore_default: AtomicBool,
}

/// What the action does with one delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Delivery {
    /// Counted: the listeners are to be told (the eventfd written).
    Counted,
    /// Opted in and no listener alive: the signal's default action.
    DefaultAction,
}

impl Slot {
    /// A slot for the static table.
    #[cfg(not(loom))]
    pub(crate) const fn new() -> Slot {
        Slot {
            deliveries: AtomicU64::new(0),
            listeners: AtomicUsize::new(0),
            received: AtomicU64::new(0),
            restore_default: AtomicBool::new(false),
        }
    }

    /// A slot (loom's atomics are not `const`).
    #[cfg(loom)]
    pub(crate) fn new() -> Slot {
        Slot {
            deliveries: AtomicU64::new(0),
            listeners: AtomicUsize::new(0),
            received: AtomicU64::new(0),
            restore_default: AtomicBool::new(false),
        }
    }

    /// The action's part of a delivery (in a signal handler).
    pub(crate) fn deliver(&self) -> Delivery {
        if self.restore_default.load(SeqCst) && self.listeners.load(SeqCst) == 0 {
            return Delivery::DefaultAction;
        }
        self.deliveries.fetch_add(1, SeqCst);
        Delivery::Counted
    }

    /// Counts a new listener; returns the delivery count it starts from
    /// (deliveries after it are reported to it). Under the registry's lock.
    pub(crate) fn attach(&self) -> u64 {
        let start = if self.listeners.load(SeqCst) == 0 {
            // Deliveries since the last report of any listener are not lost.
            self.received.load(SeqCst)
        } else {
            self.deliveries.load(SeqCst)
        };
        self.listeners.fetch_add(1, SeqCst);
        start
    }

    /// A listener is dropped. Under the registry's lock.
    pub(crate) fn detach(&self) {
        self.listeners.fetch_sub(1, SeqCst);
    }

    /// Deliveries counted so far.
    pub(crate) fn deliveries(&self) -> u64 {
        self.deliveries.load(SeqCst)
    }

    /// A listener reported the deliveries up to `count`.
    pub(crate) fn received(&self, count: u64) {
        self.received.fetch_max(count, SeqCst);
    }

    /// The opt-in: whenever no listener is alive, a delivery takes the
    /// default action.
    pub(crate) fn restore_default_when_unwatched(&self) {
        self.restore_default.store(true, SeqCst);
    }
}
