//! Tasks: one heap allocation per spawned future, holding a header (state,
//! vtable, runtime, list links, join waker), then the future and later its
//! output. See `state.rs` for the state protocol and `raw.rs` for which
//! thread may touch which field.

pub(crate) mod id;
pub(crate) mod join;
pub(crate) mod list;
pub(crate) mod raw;
pub(crate) mod state;

use std::future::Future;

pub use id::Id;
pub use join::{AbortHandle, JoinError, JoinHandle};
pub(crate) use list::OwnedTasks;
pub(crate) use raw::{RawTask, RunOutcome};

use crate::runtime::scheduler::Shared;
use std::sync::Arc;

/// Allocates a task for `future` on the runtime `shared`. The returned raw
/// task carries two references for the caller: one for the owned list and one
/// for the first queue entry (it starts `NOTIFIED`).
pub(crate) fn new_task<F>(future: F, shared: Arc<Shared>) -> (RawTask, JoinHandle<F::Output>)
where
    F: Future + 'static,
{
    let raw = RawTask::new(future, shared);
    (raw, JoinHandle::new(raw))
}
