//! The homes of `spawn_local` tasks: one [`Core`] per (runtime, thread),
//! kept in a thread-local registry of the thread it belongs to. A `Runtime`
//! is `Send + Sync`; its `!Send` tasks are not, so they live here, with the
//! thread that spawned them, and never in anything that moves.
//!
//! # The rule
//!
//! A `spawn_local` task is polled and dropped only on the thread that
//! spawned it:
//!
//! * on a current-thread runtime it runs while its thread drives the
//!   runtime (a `block_on` holding the runtime's core, which then runs this
//!   thread's home beside the runtime's tasks); while another thread drives,
//!   it waits, its wakes kept in its home;
//! * on a multi-thread runtime its home is its thread's `block_on` core
//!   (workers pin theirs to the worker, outside this registry);
//! * when the runtime shuts down, the dropping thread's own local tasks are
//!   dropped with it; another thread's are dropped on that thread, the next
//!   time it looks here (a `block_on` or `Runtime::enter` on any runtime)
//!   or when it exits, whichever comes first. Their `JoinHandle`s resolve
//!   as cancelled then.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

use crate::runtime::scheduler::{Core, Shared};

/// This thread's homes. Dropped at thread exit: the local tasks of runtimes
/// still alive then can never run again, and are dropped here, on their
/// thread.
struct Homes(RefCell<Vec<Rc<Core>>>);

impl Drop for Homes {
    fn drop(&mut self) {
        for home in std::mem::take(self.0.get_mut()) {
            home.shutdown_home();
        }
    }
}

thread_local! {
    static HOMES: Homes = const { Homes(RefCell::new(Vec::new())) };
}

/// Runs `f` on this thread's homes, after dropping (on this thread) the
/// homes of runtimes that have shut down. `None` during thread teardown.
fn with_homes<R>(f: impl FnOnce(&mut Vec<Rc<Core>>) -> R) -> Option<R> {
    let (stale, out) = HOMES
        .try_with(|homes| {
            let mut homes = homes.0.borrow_mut();
            // Every `block_on` looks here: no allocation unless one is stale.
            let stale: Vec<_> = if homes.iter().any(|h| h.home_is_stale()) {
                homes.extract_if(.., |h| h.home_is_stale()).collect()
            } else {
                Vec::new()
            };
            (stale, f(&mut homes))
        })
        .ok()?;
    // Outside the borrow: dropping a task runs user code, which may spawn.
    if !stale.is_empty() {
        stale.into_iter().for_each(|home| home.shutdown_home());
    }
    Some(out)
}

/// This thread's home for `runtime`'s local tasks, if it has one.
pub(crate) fn find(runtime: &Arc<Shared>) -> Option<Rc<Core>> {
    with_homes(|homes| homes.iter().find(|h| h.is_home_of(runtime)).cloned()).flatten()
}

/// This thread's home for `runtime`, made by `make` if it has none yet.
/// During thread teardown (another thread-local's destructor) the home is
/// made but cannot be kept: tasks spawned into it are leaked, never dropped
/// on another thread.
pub(crate) fn get_or_make<E>(
    runtime: &Arc<Shared>,
    make: impl FnOnce() -> Result<Rc<Core>, E>,
) -> Result<Rc<Core>, E> {
    if let Some(home) = find(runtime) {
        return Ok(home);
    }
    let home = make()?;
    with_homes(|homes| homes.push(home.clone()));
    Ok(home)
}

/// Takes this thread's home for `runtime` out of the registry (the runtime
/// shuts down on this thread).
pub(crate) fn take(runtime: &Arc<Shared>) -> Option<Rc<Core>> {
    with_homes(|homes| {
        let i = homes.iter().position(|h| h.is_home_of(runtime))?;
        Some(homes.swap_remove(i))
    })
    .flatten()
}
