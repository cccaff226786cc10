//! The contender this bench exists for: guillotine's multi-thread flavor,
//! `Builder::new_multi_thread().worker_threads(n).build()`, a `Runtime`
//! with the current-thread one's `block_on` / `spawn` / `handle` (tasks run
//! on the workers; `block_on`'s thread is not one).

use std::future::Future;

use crate::runtimes::{MtRt, guillotine_mt_rt};

pub struct GuillotineMt(guillotine::runtime::Runtime);

guillotine_mt_rt!(GuillotineMt, |workers| {
    guillotine::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .build()
        .expect("build a guillotine multi-thread runtime")
});

/// The hyper server as tokio-mt's, on this flavor: the accept loop in
/// `block_on`, each connection a task on the workers (see
/// `hyper_hello::serve_guillotine`).
#[cfg(feature = "hyper")]
pub fn serve_hyper(listener: std::net::TcpListener) -> std::io::Result<()> {
    let rt = guillotine::runtime::Builder::new_multi_thread()
        .worker_threads(crate::sched::workers())
        .build()?;
    crate::hyper_hello::serve_guillotine(&rt, listener)
}

/// guillotine-mt-reuseport's server: the same runtime, with one listener
/// per worker and an accept loop on each (see
/// `hyper_hello::serve_guillotine_reuseport`).
#[cfg(feature = "hyper")]
pub fn serve_hyper_reuseport(listeners: Vec<std::net::TcpListener>) -> std::io::Result<()> {
    let rt = guillotine::runtime::Builder::new_multi_thread()
        .worker_threads(crate::sched::workers())
        .build()?;
    crate::hyper_hello::serve_guillotine_reuseport(&rt, listeners)
}
