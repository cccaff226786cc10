//! The atomics of the cross-thread state machines (the task state word and
//! the park protocol), swapped for loom's model-checked ones under
//! `RUSTFLAGS="--cfg loom"`.

#[cfg(not(loom))]
pub(crate) mod sync {
    pub(crate) use std::sync::atomic;
}

#[cfg(loom)]
pub(crate) mod sync {
    pub(crate) use loom::sync::atomic;
}
