//! The atomics and locks of the cross-thread state machines (the task state
//! word, the park protocol, the injection queue and the multi-thread run
//! queue). The loom models in `loom/` compile those files against their own
//! `crate::loom` that names loom's model-checked atomics, locks and yields.

pub(crate) mod sync {
    pub(crate) use std::sync::atomic;
    pub(crate) use std::sync::{Mutex, MutexGuard, TryLockError};
}

pub(crate) mod hint {
    pub(crate) use std::hint::spin_loop;
}

pub(crate) mod thread {
    pub(crate) use std::thread::yield_now;
}
