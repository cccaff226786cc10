//! The atomics of the cross-thread state machines (the task state word, the
//! park protocol and the multi-thread run queue). The loom models in `loom/`
//! compile those files against their own `crate::loom` that names loom's
//! model-checked atomics.

pub(crate) mod sync {
    pub(crate) use std::sync::atomic;
}
