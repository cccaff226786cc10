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

use crate::io::{Interest, Ready};
use crate::runtime::driver::scheduled_io::{Direction, ReadyEvent, ScheduledIo};
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
    /// Registers the socket `io` with the current runtime for both
    /// directions and urgent data, assuming `initial` readiness.
    ///
    /// # Panics
    /// Outside a runtime.
    #[track_caller]
    pub(crate) fn new(io: T, initial: Ready) -> io::Result<Registered<T>> {
        Registered::with_interest(io, Interest::SOCKET, initial)
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
        Registered::try_with_interest(io, interest, initial).map_err(|(_, e)| e)
    }

    /// [`with_interest`](Self::with_interest), handing `io` back with the
    /// error.
    ///
    /// # Panics
    /// Outside a runtime.
    #[track_caller]
    pub(crate) fn try_with_interest(
        io: T,
        interest: Interest,
        initial: Ready,
    ) -> Result<Registered<T>, (T, io::Error)> {
        let Some(driver) = context::driver() else {
            panic!("{NO_REACTOR}");
        };
        match driver.io.register(io.as_fd(), interest, initial) {
            Ok((token, scheduled)) => Ok(Registered {
                io: Some(io),
                driver,
                token,
                scheduled,
            }),
            Err(e) => Err((io, e)),
        }
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

    /// A future for `direction`'s readiness; any number may wait at once.
    pub(crate) fn readiness(&self, direction: Direction) -> Readiness<'_> {
        self.readiness_mask(direction.mask())
    }

    /// A future for `interest`'s readiness (its raw bits; see
    /// [`ready`](Self::ready) for what a caller is shown).
    pub(crate) fn readiness_for(&self, interest: Interest) -> Readiness<'_> {
        self.readiness_mask(interest.mask())
    }

    fn readiness_mask(&self, mask: Ready) -> Readiness<'_> {
        Readiness {
            scheduled: &self.scheduled,
            mask,
            id: None,
        }
    }

    /// Waits for any of `interest`, and reports it as
    /// [`Ready::seen_by`] has it; clears nothing.
    pub(crate) async fn ready(&self, interest: Interest) -> io::Result<Ready> {
        let event = self.readiness_for(interest).await?;
        Ok(event.ready.seen_by(interest))
    }

    /// `poll_read_ready`-style readiness without the event: the stream
    /// types' `poll_read_ready` / `poll_write_ready`.
    pub(crate) fn poll_ready_unit(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
    ) -> Poll<io::Result<()>> {
        self.poll_ready(cx, direction).map_ok(drop)
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
                    #[cfg(feature = "test-util")]
                    self.watch_reply(direction, n);
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
    /// Paused time: a write to a local peer awaits its reply; a read got it.
    #[cfg(feature = "test-util")]
    fn watch_reply(&self, direction: Direction, n: usize) {
        if !self.driver.time.clock.is_paused() {
            return;
        }
        match direction {
            Direction::Write if n > 0 => self.scheduled.reply.sent(self.get_ref().as_fd()),
            Direction::Write => {}
            Direction::Read => self.scheduled.reply.received(),
        }
    }

    pub(crate) async fn async_io<R>(
        &self,
        direction: Direction,
        f: impl FnMut(&T) -> io::Result<R>,
    ) -> io::Result<R> {
        self.async_io_mask(direction.mask(), f).await
    }

    /// [`async_io`](Self::async_io) for any `interest` (tokio's `async_io`).
    pub(crate) async fn async_io_for<R>(
        &self,
        interest: Interest,
        f: impl FnMut(&T) -> io::Result<R>,
    ) -> io::Result<R> {
        self.async_io_mask(interest.mask(), f).await
    }

    async fn async_io_mask<R>(
        &self,
        mask: Ready,
        mut f: impl FnMut(&T) -> io::Result<R>,
    ) -> io::Result<R> {
        loop {
            let event = self.readiness_mask(mask).await?;
            if let Some(result) = self.attempt(event, &mut f) {
                return result;
            }
        }
    }

    /// [`async_io_for`](Self::async_io_for) with `&mut T`.
    pub(crate) async fn async_io_mut<R>(
        &mut self,
        interest: Interest,
        mut f: impl FnMut(&mut T) -> io::Result<R>,
    ) -> io::Result<R> {
        loop {
            let event = self.readiness_for(interest).await?;
            loop {
                match f(self.get_mut()) {
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                        self.clear_readiness(event);
                        break;
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    result => return result,
                }
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
                result => {
                    if result.is_ok() && event.ready.is_writable() {
                        // Something went out: its answer may come within
                        // microseconds (`Core::spin_for_io`).
                        self.driver.note_sent();
                    }
                    return Some(result);
                }
            }
        }
    }

    /// Whether `direction` is ready now (no waiting); for `try_*` methods.
    pub(crate) fn try_io<R>(
        &self,
        direction: Direction,
        mut f: impl FnMut(&T) -> io::Result<R>,
    ) -> io::Result<R> {
        match self.scheduled.ready(direction.mask())? {
            Some(event) => self
                .attempt(event, &mut f)
                .unwrap_or_else(|| Err(io::ErrorKind::WouldBlock.into())),
            None => Err(io::ErrorKind::WouldBlock.into()),
        }
    }

    /// Runs `f` once if `interest` is ready now, clearing that readiness if
    /// `f` fails with `WouldBlock` (tokio's `try_io`).
    pub(crate) fn try_io_for<R>(
        &self,
        interest: Interest,
        f: impl FnOnce(&T) -> io::Result<R>,
    ) -> io::Result<R> {
        let Some(event) = self.scheduled.ready(interest.mask())? else {
            return Err(io::ErrorKind::WouldBlock.into());
        };
        match f(self.get_ref()) {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                self.clear_readiness(event);
                Err(e)
            }
            result => result,
        }
    }

    /// [`try_io_for`](Self::try_io_for) with `&mut T`.
    pub(crate) fn try_io_mut<R>(
        &mut self,
        interest: Interest,
        f: impl FnOnce(&mut T) -> io::Result<R>,
    ) -> io::Result<R> {
        let Some(event) = self.scheduled.ready(interest.mask())? else {
            return Err(io::ErrorKind::WouldBlock.into());
        };
        match f(self.get_mut()) {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                self.clear_readiness(event);
                Err(e)
            }
            result => result,
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

/// Waits for readiness; see [`Registered::readiness`].
#[must_use = "futures do nothing unless you .await or poll them"]
#[derive(Debug)]
pub(crate) struct Readiness<'a> {
    scheduled: &'a ScheduledIo,
    /// The bits that end the wait.
    mask: Ready,
    /// Our entry among the waiters, once we wait.
    id: Option<u64>,
}

impl Future for Readiness<'_> {
    type Output = io::Result<ReadyEvent>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        coop::poll_budgeted(cx, |cx| {
            this.scheduled.poll_waiter(cx, this.mask, &mut this.id)
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
