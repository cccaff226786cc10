//! loom models of guillotine's task state word (`src/runtime/task/state.rs`,
//! with abort racing completion), park protocol
//! (`src/runtime/driver/park.rs`), injection queue
//! (`src/runtime/scheduler/inject.rs`), and the multi-thread scheduler's run
//! queue and idle bookkeeping (`src/runtime/scheduler/multi_thread/`), the
//! timer queue's shutdown (`src/runtime/driver/time/`) and its handshake
//! with the shared epoll's sleeper (`src/runtime/driver/sleeper.rs`), the
//! hand-off of a
//! current-thread runtime's core between `block_on` threads
//! (`src/runtime/scheduler/handoff.rs`), a `JoinSet`'s ready list
//! (`src/task/join_set/ready.rs`), the blocking pool's bookkeeping
//! (`src/runtime/blocking/state.rs`, driven as `blocking.rs` drives it) and
//! a signal's counters (`src/signal/slot.rs`). The files are compiled here
//! as they are, against loom's atomics and locks (about a minute in all):
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
        pub(crate) use std::sync::TryLockError;
    }
    pub(crate) mod hint {
        pub(crate) use ::loom::hint::spin_loop;
    }
    pub(crate) mod thread {
        pub(crate) use ::loom::thread::yield_now;
    }
}

#[path = "../../src/runtime/blocking/state.rs"]
mod blocking_state;
// Only under `--cfg loom` (as `queue` below): its unit tests run on std
// locks, in the main crate.
#[cfg(loom)]
#[path = "../../src/runtime/scheduler/handoff.rs"]
mod handoff;
#[cfg(loom)]
#[path = "../../src/runtime/scheduler/inject.rs"]
mod inject;
#[path = "../../src/runtime/driver/park.rs"]
mod park;
#[path = "../../src/task/join_set/ready.rs"]
mod ready;
#[path = "../../src/runtime/driver/sleeper.rs"]
mod sleeper;
// Only under `--cfg loom`: its `const` constructor is for std's atomics.
#[cfg(loom)]
#[path = "../../src/signal/slot.rs"]
mod slot;
#[path = "../../src/runtime/task/state.rs"]
mod state;
// Only under `--cfg loom`: the timer wheel's unit tests run in the main
// crate.
#[cfg(loom)]
#[path = "../../src/runtime/driver/time/mod.rs"]
mod time;
// Only under `--cfg loom`: its unit tests run on std atomics, in the main
// crate.
#[cfg(loom)]
#[path = "../../src/runtime/scheduler/multi_thread/idle.rs"]
mod idle;
#[cfg(loom)]
#[path = "../../src/runtime/scheduler/multi_thread/queue.rs"]
mod queue;

#[cfg(all(test, loom))]
mod abort_models;
#[cfg(all(test, loom))]
mod blocking_models;
#[cfg(all(test, loom))]
mod handoff_models;
#[cfg(all(test, loom))]
mod idle_models;
#[cfg(all(test, loom))]
mod inject_models;
#[cfg(all(test, loom))]
mod join_set_models;
#[cfg(all(test, loom))]
mod models;
#[cfg(all(test, loom))]
mod mt_models;
#[cfg(all(test, loom))]
mod queue_models;
#[cfg(all(test, loom))]
mod signal_models;
#[cfg(all(test, loom))]
mod time_models;
