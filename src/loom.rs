//! The atomics and locks of the cross-thread state machines (the task state
//! word, the park protocol, the injection queue). The loom model in `loom/` compiles those two files
//! against its own `crate::loom` that names loom's model-checked atomics.

pub(crate) mod sync {
    pub(crate) use std::sync::atomic;
    pub(crate) use std::sync::{Mutex, MutexGuard};
}
