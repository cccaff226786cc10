//! Unix signals: [`signal`] makes a [`Signal`] listener for one
//! [`SignalKind`]. See [the module above](super) for the design.

use std::fmt;
use std::io;
use std::os::fd::OwnedFd;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::registry::Attachment;
use crate::io::Interest;
use crate::io::registration::{NO_REACTOR, Registered};
use crate::runtime::context;
use crate::runtime::driver::scheduled_io::{Direction, Ready};

/// A kind of signal: a signal number, with a constructor for the common
/// ones and [`from_raw`](SignalKind::from_raw) for any other (a real-time
/// signal, say).
///
/// ```
/// use guillotine::signal::unix::SignalKind;
///
/// assert_eq!(SignalKind::interrupt().as_raw_value(), libc::SIGINT);
/// assert_eq!(SignalKind::from_raw(libc::SIGHUP), SignalKind::hangup());
/// let raw: i32 = SignalKind::terminate().into();
/// assert_eq!(raw, libc::SIGTERM);
/// ```
#[derive(Debug, Clone, Copy, Hash, PartialEq, Eq)]
pub struct SignalKind(libc::c_int);

impl SignalKind {
    /// The kind of signal number `signum`. Any value is accepted here;
    /// [`signal`] refuses the ones it cannot listen for.
    ///
    /// ```
    /// use guillotine::signal::unix::SignalKind;
    /// let rt_min = SignalKind::from_raw(libc::SIGRTMIN());
    /// assert_eq!(rt_min.as_raw_value(), libc::SIGRTMIN());
    /// ```
    pub const fn from_raw(signum: libc::c_int) -> SignalKind {
        SignalKind(signum)
    }

    /// The signal number.
    ///
    /// ```
    /// use guillotine::signal::unix::SignalKind;
    /// assert_eq!(SignalKind::user_defined1().as_raw_value(), libc::SIGUSR1);
    /// ```
    pub const fn as_raw_value(&self) -> libc::c_int {
        self.0
    }

    /// `SIGALRM`: a real-time timer expired (default: terminate).
    ///
    /// ```
    /// # use guillotine::signal::unix::SignalKind;
    /// assert_eq!(SignalKind::alarm().as_raw_value(), libc::SIGALRM);
    /// ```
    pub const fn alarm() -> SignalKind {
        SignalKind(libc::SIGALRM)
    }

    /// `SIGCHLD`: a child process exited or stopped (default: ignore).
    ///
    /// ```
    /// # use guillotine::signal::unix::SignalKind;
    /// assert_eq!(SignalKind::child().as_raw_value(), libc::SIGCHLD);
    /// ```
    pub const fn child() -> SignalKind {
        SignalKind(libc::SIGCHLD)
    }

    /// `SIGHUP`: the terminal hung up; daemons take it as "reload"
    /// (default: terminate).
    ///
    /// ```
    /// # use guillotine::signal::unix::SignalKind;
    /// assert_eq!(SignalKind::hangup().as_raw_value(), libc::SIGHUP);
    /// ```
    pub const fn hangup() -> SignalKind {
        SignalKind(libc::SIGHUP)
    }

    /// `SIGINT`: Ctrl-C in the terminal (default: terminate).
    ///
    /// ```
    /// # use guillotine::signal::unix::SignalKind;
    /// assert_eq!(SignalKind::interrupt().as_raw_value(), libc::SIGINT);
    /// ```
    pub const fn interrupt() -> SignalKind {
        SignalKind(libc::SIGINT)
    }

    /// `SIGIO`: I/O is possible on a descriptor set up for it (default:
    /// terminate).
    ///
    /// ```
    /// # use guillotine::signal::unix::SignalKind;
    /// assert_eq!(SignalKind::io().as_raw_value(), libc::SIGIO);
    /// ```
    pub const fn io() -> SignalKind {
        SignalKind(libc::SIGIO)
    }

    /// `SIGPIPE`: a write to a pipe or socket with no reader. Rust
    /// programs ignore it from the start (writes fail with `EPIPE`
    /// instead); listening for it replaces that.
    ///
    /// ```
    /// # use guillotine::signal::unix::SignalKind;
    /// assert_eq!(SignalKind::pipe().as_raw_value(), libc::SIGPIPE);
    /// ```
    pub const fn pipe() -> SignalKind {
        SignalKind(libc::SIGPIPE)
    }

    /// `SIGQUIT`: Ctrl-\ in the terminal (default: core dump).
    ///
    /// ```
    /// # use guillotine::signal::unix::SignalKind;
    /// assert_eq!(SignalKind::quit().as_raw_value(), libc::SIGQUIT);
    /// ```
    pub const fn quit() -> SignalKind {
        SignalKind(libc::SIGQUIT)
    }

    /// `SIGTERM`: the polite request to stop, from `kill` or a service
    /// manager (default: terminate).
    ///
    /// ```
    /// # use guillotine::signal::unix::SignalKind;
    /// assert_eq!(SignalKind::terminate().as_raw_value(), libc::SIGTERM);
    /// ```
    pub const fn terminate() -> SignalKind {
        SignalKind(libc::SIGTERM)
    }

    /// `SIGUSR1`, for the application's own use (default: terminate).
    ///
    /// ```
    /// # use guillotine::signal::unix::SignalKind;
    /// assert_eq!(SignalKind::user_defined1().as_raw_value(), libc::SIGUSR1);
    /// ```
    pub const fn user_defined1() -> SignalKind {
        SignalKind(libc::SIGUSR1)
    }

    /// `SIGUSR2`, for the application's own use (default: terminate).
    ///
    /// ```
    /// # use guillotine::signal::unix::SignalKind;
    /// assert_eq!(SignalKind::user_defined2().as_raw_value(), libc::SIGUSR2);
    /// ```
    pub const fn user_defined2() -> SignalKind {
        SignalKind(libc::SIGUSR2)
    }

    /// `SIGWINCH`: the terminal's window changed size (default: ignore).
    ///
    /// ```
    /// # use guillotine::signal::unix::SignalKind;
    /// assert_eq!(SignalKind::window_change().as_raw_value(), libc::SIGWINCH);
    /// ```
    pub const fn window_change() -> SignalKind {
        SignalKind(libc::SIGWINCH)
    }
}

impl From<libc::c_int> for SignalKind {
    fn from(signum: libc::c_int) -> SignalKind {
        SignalKind::from_raw(signum)
    }
}

impl From<SignalKind> for libc::c_int {
    fn from(kind: SignalKind) -> libc::c_int {
        kind.as_raw_value()
    }
}

/// A listener for one kind of signal, made by [`signal`]: an endless
/// stream of `()`, one per delivery.
///
/// - Every listener sees every delivery that arrives while it exists; any
///   number of listeners may exist for one kind, in any runtimes.
/// - Deliveries that arrive between two [`recv`](Signal::recv)s coalesce
///   into one (the kernel coalesces pending signals too): a signal means
///   "at least once since you last looked".
/// - A listener created while no other listener of its kind is alive
///   first reports the deliveries no listener has reported yet (since the
///   kind's first listener), so a loop that re-creates its listener
///   between signals misses none of them. tokio loses those.
/// - Once the first listener of a kind is created, the kind's OS handler
///   stays installed for the life of the process: with no listener, a
///   delivery is counted and no longer takes the default action (as in
///   tokio), unless the kind was opted in with
///   [`restore_default_on_drop`](Signal::restore_default_on_drop).
///
/// It also implements [`Stream`](futures_lite::Stream) (`futures_core`'s
/// trait, which `futures` and `futures-lite` re-export), with `Item = ()`.
///
/// ```
/// use guillotine::signal::unix::{signal, SignalKind};
///
/// let rt = guillotine::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     let mut hangups = signal(SignalKind::hangup())?;
///     // SAFETY: raise only sends a signal to this thread.
///     unsafe { libc::raise(libc::SIGHUP) };
///     assert_eq!(hangups.recv().await, Some(()));
///     Ok::<_, std::io::Error>(())
/// }).unwrap();
/// ```
#[must_use = "streams do nothing unless polled"]
pub struct Signal {
    kind: SignalKind,
    /// The delivery count last reported (or started from): deliveries
    /// beyond it are news.
    seen: u64,
    /// A `dup` of the process-wide eventfd on the reactor of the runtime
    /// this listener was made in: each write by the OS handler is an edge.
    /// Never read: the dups share one counter.
    wakeup: Registered<OwnedFd>,
    /// Counts this listener among its kind's until dropped.
    attachment: Attachment,
}

/// Creates a listener for `kind` on the current runtime's reactor,
/// installing the process-wide OS handler for `kind` the first time.
///
/// The listener sees the deliveries that arrive after this call (and, if
/// no other listener of `kind` is alive, those no listener has reported
/// yet; see [`Signal`]). It uses one descriptor, a `dup` of the eventfd the
/// handler writes, until dropped; the eventfd itself is created with the
/// first listener and kept for the life of the process.
///
/// # Errors
/// As tokio: an error of kind [`Other`](io::ErrorKind::Other) for a
/// signal number that is not positive, one of `SIGKILL`, `SIGSTOP`,
/// `SIGILL`, `SIGFPE` and `SIGSEGV`, or above `SIGRTMAX`. Also the
/// system's error when a descriptor cannot be made (`EMFILE`) or the
/// handler cannot be installed.
///
/// # Panics
/// Outside a runtime.
///
/// ```
/// use guillotine::signal::unix::{signal, SignalKind};
///
/// let rt = guillotine::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     let mut terms = signal(SignalKind::terminate()).unwrap();
///     // SAFETY: raise only sends a signal to this thread.
///     unsafe { libc::raise(libc::SIGTERM) };
///     terms.recv().await;
///     assert_eq!(
///         signal(SignalKind::from_raw(libc::SIGKILL)).unwrap_err().kind(),
///         std::io::ErrorKind::Other,
///     );
/// });
/// ```
#[track_caller]
pub fn signal(kind: SignalKind) -> io::Result<Signal> {
    if context::driver().is_none() {
        panic!("{NO_REACTOR}");
    }
    let (attachment, seen, fd) = Attachment::new(kind.as_raw_value())?;
    let wakeup = Registered::with_interest(fd, Interest::READABLE, Ready::EMPTY)?;
    Ok(Signal {
        kind,
        seen,
        wakeup,
        attachment,
    })
}

impl Signal {
    /// Waits for the next delivery: `Some(())` for one or more deliveries
    /// since the last call. `None` once the runtime this listener was made
    /// in has shut down, and from then on: nothing could wake it any more.
    /// (tokio's never returns `None`.)
    ///
    /// # Cancel safety
    /// Cancel-safe: dropping the future loses no delivery; the next call
    /// reports it.
    ///
    /// ```
    /// use guillotine::signal::unix::{signal, SignalKind};
    ///
    /// let rt = guillotine::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let mut a = signal(SignalKind::user_defined2()).unwrap();
    ///     let mut b = signal(SignalKind::user_defined2()).unwrap();
    ///     // SAFETY: raise only sends a signal to this thread.
    ///     unsafe { libc::raise(libc::SIGUSR2) };
    ///     // Each listener sees the delivery.
    ///     assert_eq!(a.recv().await, Some(()));
    ///     assert_eq!(b.recv().await, Some(()));
    /// });
    /// ```
    pub async fn recv(&mut self) -> Option<()> {
        std::future::poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// Polls for the next delivery (as [`recv`](Signal::recv) waits for
    /// it): `Ready(Some(()))` for one or more deliveries since the last
    /// report, `Ready(None)` once the listener's runtime has shut down, else
    /// `Pending`, and the task is woken at the next delivery.
    ///
    /// ```
    /// use std::future::Future;
    /// use std::pin::Pin;
    /// use std::task::{Context, Poll};
    /// use guillotine::signal::unix::{signal, Signal, SignalKind};
    ///
    /// /// Completes at the first hang-up or termination request.
    /// struct Either {
    ///     hup: Signal,
    ///     term: Signal,
    /// }
    ///
    /// impl Future for Either {
    ///     type Output = &'static str;
    ///     fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<&'static str> {
    ///         if self.hup.poll_recv(cx).is_ready() {
    ///             return Poll::Ready("hup");
    ///         }
    ///         if self.term.poll_recv(cx).is_ready() {
    ///             return Poll::Ready("term");
    ///         }
    ///         Poll::Pending
    ///     }
    /// }
    ///
    /// let rt = guillotine::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let hup = signal(SignalKind::hangup()).unwrap();
    ///     let term = signal(SignalKind::terminate()).unwrap();
    ///     // SAFETY: raise only sends a signal to this thread.
    ///     unsafe { libc::raise(libc::SIGTERM) };
    ///     assert_eq!(Either { hup, term }.await, "term");
    /// });
    /// ```
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<()>> {
        loop {
            // Readiness first (it also stores the waker), deliveries second:
            // a delivery missed by the load below is an edge to come.
            let ready = self.wakeup.poll_ready(cx, Direction::Read);
            if let Poll::Ready(Err(_gone)) = ready {
                return Poll::Ready(None);
            }
            let deliveries = self.attachment.deliveries();
            if deliveries != self.seen {
                self.seen = deliveries;
                self.attachment.received(deliveries);
                return Poll::Ready(Some(()));
            }
            match ready {
                // Spent: a write for another signal, or one already counted.
                Poll::Ready(Ok(event)) => self.wakeup.clear_readiness(event),
                _ => return Poll::Pending,
            }
        }
    }

    /// Opts this listener's kind in to getting its default action back
    /// whenever no listener of the kind is alive: a delivery that finds
    /// none (this one dropped, and no other) then ends the process as if
    /// no handler had been installed. Returns the listener, for chaining.
    ///
    /// This is how a second Ctrl-C force-quits a program that is shutting
    /// down gracefully: the first one is received, the listener is dropped,
    /// and the next `SIGINT` kills the process.
    ///
    /// The opt-in belongs to the kind, for the rest of the process's life:
    /// later listeners of the kind are counted too, and while any of them
    /// is alive, deliveries are theirs. With no listener alive, the OS
    /// handler (which stays installed) resets the disposition to `SIG_DFL`
    /// and re-raises the signal, both async-signal-safe; such a delivery is
    /// not kept for a later listener. A listener created concurrently with
    /// that delivery may be too late to prevent it.
    ///
    /// # Errors
    /// [`InvalidInput`](io::ErrorKind::InvalidInput) for a kind whose
    /// default action does not end the process (`SIGCHLD`, `SIGURG`,
    /// `SIGWINCH`, `SIGCONT`, `SIGTSTP`, `SIGTTIN`, `SIGTTOU`): restoring it
    /// would only lose deliveries. The listener is dropped then.
    ///
    /// ```no_run
    /// use guillotine::signal::unix::{signal, SignalKind};
    ///
    /// let rt = guillotine::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let mut ctrl_c = signal(SignalKind::interrupt())?.restore_default_on_drop()?;
    ///     ctrl_c.recv().await;
    ///     drop(ctrl_c);
    ///     println!("shutting down; Ctrl-C again to force quit");
    ///     // ... the graceful shutdown ...
    ///     Ok::<_, std::io::Error>(())
    /// }).unwrap();
    /// ```
    pub fn restore_default_on_drop(self) -> io::Result<Signal> {
        self.attachment.restore_default_when_unwatched()?;
        Ok(self)
    }
}

impl futures_lite::Stream for Signal {
    type Item = ();

    /// [`poll_recv`](Signal::poll_recv): the stream ends (`None`) when the
    /// listener's runtime has shut down.
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<()>> {
        self.poll_recv(cx)
    }
}

impl fmt::Debug for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signal")
            .field("kind", &self.kind)
            .field("seen", &self.seen)
            .field("wakeup", &self.wakeup)
            .finish_non_exhaustive()
    }
}
