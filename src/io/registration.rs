//! [`Registered<T>`]: a descriptor on the reactor, and the loop every I/O
//! operation runs: check readiness, try the system call, and on
//! `WouldBlock` clear that readiness (tick-checked) and wait for the next
//! edge. Every socket type and `AsyncFd` is built on it.

use std::future::Future;
use std::io;
use std::os::fd::{AsFd, AsRawFd, RawFd};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use crate::io::Interest;
use crate::runtime::driver::scheduled_io::{Direction, Ready, ReadyEvent, ScheduledIo};
use crate::runtime::driver::{self, io::Token};
use crate::runtime::{context, coop};

/// The panic message for I/O created outside a runtime.
pub(crate) const NO_REACTOR: &str = "there is no reactor running, must be called from the \
                                     context of a guillotine runtime (inside `Runtime::block_on` \
                                     or a task running on one)";

/// A descriptor `T` registered with the current runtime's reactor. It is
/// deregistered, then closed, on drop (or handed back by `into_inner`).
pub(crate) struct Registered<T: AsFd> {
    /// `Some` until `into_inner` or drop.
    io: Option<T>,
    driver: Arc<driver::Handle>,
    token: Token,
    scheduled: Arc<ScheduledIo>,
}

impl<T: AsFd> Registered<T> {
    /// Registers `io` with the current runtime for both directions,
    /// assuming `initial` readiness.
    ///
    /// # Panics
    /// Outside a runtime.
    #[track_caller]
    pub(crate) fn new(io: T, initial: Ready) -> io::Result<Registered<T>> {
        Registered::with_interest(io, Interest::BOTH, initial)
    }

    /// Registers `io` with the current runtime for `interest` only.
    ///
    /// # Panics
    /// Outside a runtime.
    #[track_caller]
    pub(crate) fn with_interest(
        io: T,
        interest: Interest,
        initial: Ready,
    ) -> io::Result<Registered<T>> {
        let Some(driver) = context::driver() else {
            panic!("{NO_REACTOR}");
        };
        let (token, scheduled) = driver.io.register(io.as_fd(), interest, initial)?;
        Ok(Registered {
            io: Some(io),
            driver,
            token,
            scheduled,
        })
    }

    pub(crate) fn get_ref(&self) -> &T {
        self.io.as_ref().expect("present until drop")
    }

    pub(crate) fn get_mut(&mut self) -> &mut T {
        self.io.as_mut().expect("present until drop")
    }

    /// Deregisters and returns the descriptor (still non-blocking).
    pub(crate) fn into_inner(mut self) -> T {
        let io = self.io.take().expect("present until drop");
        self.driver.io.deregister(self.token, io.as_fd());
        io
    }

    /// `poll_read`-style readiness (one waker slot per direction).
    pub(crate) fn poll_ready(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
    ) -> Poll<io::Result<ReadyEvent>> {
        // Each readiness taken counts against the task's budget, so a
        // resource that is always ready cannot starve the runtime.
        coop::poll_budgeted(cx, |cx| self.scheduled.poll_ready(cx, direction))
    }

    /// A future for readiness; any number may wait at once.
    pub(crate) fn readiness(&self, direction: Direction) -> Readiness<'_> {
        Readiness {
            scheduled: &self.scheduled,
            direction,
            id: None,
        }
    }

    /// Forgets `event`'s readiness unless a newer event arrived.
    pub(crate) fn clear_readiness(&self, event: ReadyEvent) {
        self.scheduled.clear_readiness(event);
    }

    /// Runs `f` when `direction` is ready, until it stops failing with
    /// `WouldBlock`, for a byte stream moving `len` bytes: a short transfer
    /// means the kernel buffer is drained (or full), so the readiness is
    /// cleared at once and the next call waits for an edge instead of
    /// spending a system call on `EAGAIN`.
    pub(crate) fn poll_stream(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
        len: usize,
        mut f: impl FnMut(&T) -> io::Result<usize>,
    ) -> Poll<io::Result<usize>> {
        loop {
            let event = ready!(self.poll_ready(cx, direction))?;
            match self.attempt(event, &mut f) {
                Some(Ok(n)) => {
                    if n > 0 && n < len {
                        self.clear_readiness(ReadyEvent {
                            tick: event.tick,
                            ready: event.ready & direction.progress_bit(),
                        });
                    }
                    return Poll::Ready(Ok(n));
                }
                Some(result) => return Poll::Ready(result),
                None => continue,
            }
        }
    }

    /// Runs `f` when `direction` is ready, until it stops failing with
    /// `WouldBlock`; for the `poll_*` methods of datagram sockets, where a
    /// short transfer says nothing about what is left (one datagram per
    /// call), so readiness is cleared only by `WouldBlock`.
    pub(crate) fn poll_io<R>(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
        mut f: impl FnMut(&T) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        loop {
            let event = ready!(self.poll_ready(cx, direction))?;
            if let Some(result) = self.attempt(event, &mut f) {
                return Poll::Ready(result);
            }
        }
    }

    /// Runs `f` when `direction` is ready, until it stops failing with
    /// `WouldBlock`; for `async fn`s (cancel-safe: dropping it leaves no
    /// waker behind).
    pub(crate) async fn async_io<R>(
        &self,
        direction: Direction,
        mut f: impl FnMut(&T) -> io::Result<R>,
    ) -> io::Result<R> {
        loop {
            let event = self.readiness(direction).await?;
            if let Some(result) = self.attempt(event, &mut f) {
                return result;
            }
        }
    }

    /// One try: `None` means `WouldBlock` (readiness cleared, wait again).
    fn attempt<R>(
        &self,
        event: ReadyEvent,
        f: &mut impl FnMut(&T) -> io::Result<R>,
    ) -> Option<io::Result<R>> {
        loop {
            match f(self.get_ref()) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.clear_readiness(event);
                    return None;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                result => return Some(result),
            }
        }
    }

    /// Whether `direction` is ready now (no waiting); for `try_*` methods.
    pub(crate) fn try_io<R>(
        &self,
        direction: Direction,
        mut f: impl FnMut(&T) -> io::Result<R>,
    ) -> io::Result<R> {
        match self.scheduled.ready(direction)? {
            Some(event) => self
                .attempt(event, &mut f)
                .unwrap_or_else(|| Err(io::ErrorKind::WouldBlock.into())),
            None => Err(io::ErrorKind::WouldBlock.into()),
        }
    }
}

impl<T: AsFd> Drop for Registered<T> {
    fn drop(&mut self) {
        if let Some(io) = self.io.take() {
            // Deregister while the descriptor is still open, then close it.
            self.driver.io.deregister(self.token, io.as_fd());
            drop(io);
        }
    }
}

impl<T: AsFd> AsRawFd for Registered<T> {
    fn as_raw_fd(&self) -> RawFd {
        self.get_ref().as_fd().as_raw_fd()
    }
}

impl<T: AsFd + std::fmt::Debug> std::fmt::Debug for Registered<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registered")
            .field("io", &self.io)
            .field("token", &self.token)
            .finish()
    }
}

/// Waits for one direction's readiness; see [`Registered::readiness`].
#[must_use = "futures do nothing unless you .await or poll them"]
#[derive(Debug)]
pub(crate) struct Readiness<'a> {
    scheduled: &'a ScheduledIo,
    direction: Direction,
    /// Our entry among the waiters, once we wait.
    id: Option<u64>,
}

impl Future for Readiness<'_> {
    type Output = io::Result<ReadyEvent>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        coop::poll_budgeted(cx, |cx| {
            this.scheduled.poll_waiter(cx, this.direction, &mut this.id)
        })
    }
}

impl Drop for Readiness<'_> {
    fn drop(&mut self) {
        if let Some(id) = self.id {
            self.scheduled.remove_waiter(id);
        }
    }
}
