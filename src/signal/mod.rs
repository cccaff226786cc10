//! Asynchronous signal handling: [`ctrl_c`] and, for any signal,
//! [`unix::signal`], with tokio's names and semantics.
//!
//! ```
//! use guillotine::signal::unix::{signal, SignalKind};
//!
//! let rt = guillotine::runtime::Runtime::new().unwrap();
//! rt.block_on(async {
//!     let mut reloads = signal(SignalKind::hangup())?;
//!     // SAFETY: raise only sends a signal to this thread.
//!     unsafe { libc::raise(libc::SIGHUP) };
//!     reloads.recv().await;
//!     println!("reloading the configuration");
//!     Ok::<_, std::io::Error>(())
//! }).unwrap();
//! ```
//!
//! # How it works
//!
//! **The handler.** The first listener of a signal installs, through
//! `signal-hook-registry`, an OS handler for it that stays installed for the
//! life of the process (it chains to any handler installed before it). The
//! handler does only async-signal-safe work: it adds one to the signal's
//! delivery counter (an atomic in a static table indexed by signal number)
//! and writes to one process-wide eventfd. That eventfd is created with the
//! first listener and never closed, so the handler never writes to a
//! descriptor that could have been closed or reused.
//!
//! **The listeners.** A [`Signal`](unix::Signal) owns a `dup` of that
//! eventfd, registered edge-triggered (readable only) with the reactor of
//! the runtime it is made in, like any [`AsyncFd`](crate::io::AsyncFd).
//! Every write to an eventfd wakes its pollers, so every delivery is an
//! edge for every listener, on whichever runtime and worker, without the
//! eventfd ever being read (the dups share one counter, which will not fill
//! in 2⁶⁴ deliveries). A listener compares the signal's counter with the
//! count it last reported: more means `Some(())`; equal means the edge was
//! for another signal, and it waits again. It loads the counter only after
//! its waker is in place, and the handler counts before it writes, so no
//! delivery falls between the two. Several listeners of one signal each see
//! every delivery, and deliveries between two `recv`s coalesce, as in
//! tokio. No signal mask is changed on any thread: the handler runs on
//! whichever thread the kernel picks.
//!
//! **Runtimes.** Both flavors. A listener belongs to the runtime it is made
//! in, whose reactor delivers its edges, and works while that runtime lives,
//! also when another runtime polls it (provided the first one's reactor
//! turns: a current-thread runtime's turns only inside its `block_on`, as
//! for its sockets). Once that runtime has shut down, `recv` returns
//! `None`, for good, instead of waiting forever, and [`ctrl_c`] fails.
//!
//! # Better than tokio
//!
//! - **No delivery is lost between listeners.** tokio's listener sees only
//!   deliveries after its creation, so a loop that re-creates `ctrl_c()`
//!   misses a Ctrl-C that arrives between two iterations, even though the
//!   handler caught it. Here, once a signal's first listener has existed,
//!   a listener created while none is alive first reports the deliveries
//!   that no listener has reported yet (coalesced into one). A listener
//!   created while others are alive starts, as in tokio, with the next
//!   delivery.
//! - **The default action can come back.**
//!   [`Signal::restore_default_on_drop`](unix::Signal::restore_default_on_drop)
//!   opts a signal in: whenever none of its listeners is alive, a delivery
//!   takes the signal's default action. A server that drops its Ctrl-C
//!   listener when shutdown begins is then killed by a second Ctrl-C. With
//!   tokio, the handler swallows every later Ctrl-C. The handler does it
//!   itself (resets the disposition to `SIG_DFL` and re-raises, both
//!   async-signal-safe), so it is only offered for signals whose default
//!   action ends the process.
//!
//! Also: [`Signal`](unix::Signal) implements `Stream` directly (tokio needs
//! tokio-stream's `SignalStream` wrapper), and `recv` returns `None` once
//! the runtime is gone instead of hanging.

mod registry;
mod slot;
pub mod unix;

use std::io;

/// Waits for the next Ctrl-C (`SIGINT`).
///
/// As in tokio, the listener is made when the future is first polled, so
/// the future completes at a delivery after that poll; in addition (see
/// [the module docs](self)), if no other `SIGINT` listener is alive, a
/// delivery that no listener has reported yet completes it at once. The
/// first poll installs the process-wide handler, which replaces the default
/// action (ending the process) for good, unless
/// [`restore_default_on_drop`](unix::Signal::restore_default_on_drop) was
/// used for `SIGINT`.
///
/// # Errors
/// Those of [`unix::signal`]; and, where tokio would claim a Ctrl-C, an
/// error if the runtime the listener was made in shuts down first.
///
/// # Panics
/// When first polled outside a runtime.
///
/// ```no_run
/// let rt = guillotine::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     println!("press Ctrl-C to stop");
///     guillotine::signal::ctrl_c().await.expect("listening for Ctrl-C");
///     println!("stopping");
/// });
/// ```
pub async fn ctrl_c() -> io::Result<()> {
    let mut interrupts = unix::signal(unix::SignalKind::interrupt())?;
    match interrupts.recv().await {
        Some(()) => Ok(()),
        None => Err(io::Error::other(
            "the guillotine runtime this Ctrl-C listener was made in has shut down",
        )),
    }
}
