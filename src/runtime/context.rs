//! The thread-local context: which runtime (if any) this thread is running.
//! It is set by an RAII guard for the whole of `block_on` and of shutdown, and
//! the guard restores the previous value on drop, also when a poll panics.
//! Spawning, `Handle::current` and same-thread wakes read it.

use std::cell::RefCell;
use std::rc::Rc;

use crate::runtime::scheduler::Core;

thread_local! {
    /// The runtime whose `block_on` (or shutdown) is running on this thread.
    static CURRENT: RefCell<Option<Rc<Core>>> = const { RefCell::new(None) };
}

/// Restores the previous context on drop.
#[derive(Debug)]
pub(crate) struct EnterGuard {
    prev: Option<Rc<Core>>,
}

impl Drop for EnterGuard {
    fn drop(&mut self) {
        let prev = self.prev.take();
        // During thread teardown the slot may be gone; then there is nothing
        // to restore.
        let _ = CURRENT.try_with(|c| *c.borrow_mut() = prev);
    }
}

/// Enters `core` for `block_on`.
///
/// # Panics
/// If this thread is already inside a runtime: blocking it would deadlock the
/// tasks that runtime is driving.
#[track_caller]
pub(crate) fn enter_block_on(core: &Rc<Core>) -> EnterGuard {
    let prev = CURRENT.with(|c| {
        let mut c = c.borrow_mut();
        if c.is_some() {
            None
        } else {
            Some(c.replace(core.clone()))
        }
    });
    match prev {
        Some(prev) => EnterGuard { prev },
        None => panic!(
            "Cannot start a runtime from within a runtime: `block_on` was called on a thread \
             that is already running a guillotine runtime. This would block the thread that \
             drives the outer runtime's tasks; `.await` the future instead, or spawn it."
        ),
    }
}

/// Enters `core` for shutdown, whatever was entered before.
pub(crate) fn enter_any(core: &Rc<Core>) -> EnterGuard {
    let prev = CURRENT.with(|c| c.borrow_mut().replace(core.clone()));
    EnterGuard { prev }
}

/// Runs `f` with the current runtime's core, if any. `f` must not run user
/// code (no polls, no drops of futures): the slot is borrowed meanwhile.
pub(crate) fn with_core<R>(f: impl FnOnce(Option<&Core>) -> R) -> R {
    let mut f = Some(f);
    match CURRENT.try_with(|c| (f.take().expect("called once"))(c.borrow().as_deref())) {
        Ok(r) => r,
        Err(_) => (f.take().expect("not called"))(None),
    }
}

/// A clone of the current runtime's core, if any.
pub(crate) fn current() -> Option<Rc<Core>> {
    CURRENT.try_with(|c| c.borrow().clone()).ok().flatten()
}
