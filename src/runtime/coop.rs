//! The cooperative budget: how many operations on runtime resources (I/O
//! readiness, timers, join handles) one poll of a task may complete before
//! they start returning `Pending`.
//!
//! Without it a task looping over an always-ready resource (a stream at EOF,
//! a flooded socket, a deep accept backlog) never returns `Pending`, and
//! other tasks, timers and the driver starve. Each task poll (and each poll
//! of the `block_on` future) starts with [`INITIAL`] units; an operation
//! takes one with [`poll_proceed`] and gives it back if it ends up `Pending`
//! after all. When none are left, the operation defers the task behind the
//! next driver turn (as `yield_now` does) and returns `Pending`.
//!
//! The budget lives in a thread-local without a destructor, so reading it
//! costs a TLS access and never fails. Outside a runtime's poll it is
//! unconstrained.

use std::cell::Cell;
use std::task::{Context, Poll};

use crate::runtime::context::TASK;

/// Units per poll; tokio's figure, which tokio code is tuned for.
pub(crate) const INITIAL: u8 = 128;

/// What is left of the current poll's budget; `None` is unconstrained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Budget(Option<u8>);

impl Budget {
    pub(crate) const fn unconstrained() -> Budget {
        Budget(None)
    }

    pub(crate) const fn initial() -> Budget {
        Budget(Some(INITIAL))
    }
}

/// Runs `f` without a budget.
#[inline]
pub(crate) fn with_unconstrained<R>(f: impl FnOnce() -> R) -> R {
    crate::runtime::context::budget_scope(Budget::unconstrained(), f)
}

/// Whether the current poll has budget left.
pub(crate) fn has_budget_remaining() -> bool {
    TASK.with(|t| t.budget.get().0 != Some(0))
}

/// A unit taken from the budget; given back on drop unless the operation
/// [made progress](RestoreOnPending::made_progress).
#[derive(Debug)]
#[must_use = "dropping it at once gives the unit back"]
pub(crate) struct RestoreOnPending(Cell<Budget>);

impl RestoreOnPending {
    /// The operation completed: the unit stays spent.
    #[inline]
    pub(crate) fn made_progress(&self) {
        self.0.set(Budget::unconstrained());
    }
}

impl Drop for RestoreOnPending {
    fn drop(&mut self) {
        let saved = self.0.get();
        if saved.0.is_some() {
            TASK.with(|t| t.budget.set(saved));
        }
    }
}

/// Takes one unit of the budget, or, with none left, defers the task behind
/// the driver and returns `Pending`.
#[inline]
pub(crate) fn poll_proceed(cx: &mut Context<'_>) -> Poll<RestoreOnPending> {
    TASK.with(|t| {
        let before = t.budget.get();
        match before.0 {
            None => Poll::Ready(RestoreOnPending(Cell::new(Budget::unconstrained()))),
            Some(0) => {
                crate::runtime::scheduler::defer(cx.waker());
                Poll::Pending
            }
            Some(n) => {
                t.budget.set(Budget(Some(n - 1)));
                Poll::Ready(RestoreOnPending(Cell::new(before)))
            }
        }
    })
}

/// Polls `fut` through a [`poll_proceed`] unit: the unit stays spent only if
/// `fut` completes.
pub(crate) fn poll_budgeted<T>(
    cx: &mut Context<'_>,
    poll: impl FnOnce(&mut Context<'_>) -> Poll<T>,
) -> Poll<T> {
    let coop = std::task::ready!(poll_proceed(cx));
    let res = poll(cx);
    if res.is_ready() {
        coop.made_progress();
    }
    res
}
