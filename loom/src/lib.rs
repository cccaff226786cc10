//! loom models of guillotine's task state word (`src/runtime/task/state.rs`),
//! park protocol (`src/runtime/driver/park.rs`) and injection queue
//! (`src/runtime/scheduler/inject.rs`). The files are compiled
//! here as they are, against loom's atomics:
//!
//! ```sh
//! cd loom && RUSTFLAGS="--cfg loom" cargo test --release
//! ```
#![allow(dead_code)]

/// What the files under test import as `crate::loom::sync::atomic`.
mod loom {
    pub(crate) mod sync {
        pub(crate) use ::loom::sync::atomic;
        pub(crate) use ::loom::sync::{Mutex, MutexGuard};
    }
}

#[path = "../../src/runtime/scheduler/inject.rs"]
mod inject;
#[path = "../../src/runtime/driver/park.rs"]
mod park;
#[path = "../../src/runtime/task/state.rs"]
mod state;

#[cfg(all(test, loom))]
mod models;
