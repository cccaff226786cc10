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

/// The hyper hello server as tokio-mt's: the accept loop in `block_on`,
/// each connection a task on the workers (spawned through
/// `guillotine::hyper::Executor`), streams handed to hyper as they are
/// (`hyper` feature: no `TokioIo`).
#[cfg(feature = "hyper")]
pub fn serve_hyper(listener: std::net::TcpListener) -> std::io::Result<()> {
    use hyper::rt::Executor as _;
    use std::sync::atomic::Ordering::Relaxed;

    use crate::hyper_hello::{ACCEPTED, connection};

    let rt = guillotine::runtime::Builder::new_multi_thread()
        .worker_threads(crate::sched::workers())
        .build()?;
    rt.block_on(async {
        let listener = guillotine::net::TcpListener::from_std(listener)?;
        let exec = guillotine::hyper::Executor::new();
        loop {
            let (stream, _) = listener.accept().await?;
            stream.set_nodelay(true)?;
            ACCEPTED[0].fetch_add(1, Relaxed);
            exec.execute(connection(stream));
        }
    })
}
