//! The multi-thread flavor, being built: so far its per-worker run queue
//! ([`queue`]), a bounded ring that idle workers steal half of. The
//! scheduler that uses it comes with the flavor itself.

pub(crate) mod queue;
