//! The multi-thread flavor, being built. So far: each worker's run queue
//! ([`queue`]), a bounded ring that idle workers steal half of, and the
//! idle bookkeeping ([`idle`]) that decides which sleeping worker new work
//! wakes. The scheduler that uses them comes with the flavor itself.

// Used by the scheduler to come; tested here and in `loom/`.
#[allow(dead_code)]
pub(crate) mod idle;
pub(crate) mod queue;
