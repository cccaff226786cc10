//! [`timeout`], [`timeout_at`], the [`Timeout`] future and its [`Elapsed`]
//! error.

use std::fmt;
use std::future::{Future, IntoFuture};
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use pin_project_lite::pin_project;

use super::sleep::Sleep;
use crate::runtime::coop;

/// Runs `future` for at most `duration`: `Ok(output)` if it finishes in
/// time, `Err(Elapsed)` if not (the future is then dropped with the
/// `Timeout`).
///
/// The future is polled before the timer, so one that is ready at once
/// wins even against `Duration::ZERO`.
///
/// # Panics
/// Outside a runtime.
///
/// ```
/// use guillotine::time::{sleep, timeout, Duration};
/// let rt = guillotine::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     assert_eq!(timeout(Duration::from_secs(1), async { 5 }).await, Ok(5));
///     let slow = sleep(Duration::from_secs(3600));
///     assert!(timeout(Duration::from_millis(1), slow).await.is_err());
/// });
/// ```
#[track_caller]
pub fn timeout<F: IntoFuture>(duration: Duration, future: F) -> Timeout<F::IntoFuture> {
    Timeout {
        value: future.into_future(),
        delay: Sleep::after(duration, "guillotine::time::timeout"),
    }
}

/// Like [`timeout`], with a deadline instead of a duration.
///
/// # Panics
/// Outside a runtime.
///
/// ```
/// use guillotine::time::{timeout_at, Duration, Instant};
/// let rt = guillotine::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     let res = timeout_at(Instant::now() + Duration::from_millis(1), std::future::pending::<()>()).await;
///     assert!(res.is_err());
/// });
/// ```
#[track_caller]
pub fn timeout_at<F: IntoFuture>(deadline: Instant, future: F) -> Timeout<F::IntoFuture> {
    Timeout {
        value: future.into_future(),
        delay: Sleep::new(deadline, "guillotine::time::timeout_at"),
    }
}

pin_project! {
    /// The future of [`timeout`]: the inner future's output, or [`Elapsed`].
    ///
    /// `Send` when the inner future is.
    ///
    /// ```
    /// use guillotine::time::{timeout, Duration};
    /// let rt = guillotine::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let t = timeout(Duration::from_secs(1), async { "hi" });
    ///     assert_eq!(t.await, Ok("hi"));
    /// });
    /// ```
    #[must_use = "futures do nothing unless you .await or poll them"]
    pub struct Timeout<F> {
        #[pin]
        value: F,
        delay: Sleep,
    }
}

impl<F> Timeout<F> {
    /// The inner future.
    ///
    /// ```
    /// use guillotine::time::{timeout, Duration};
    /// let rt = guillotine::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let t = timeout(Duration::from_secs(1), std::future::ready(3));
    ///     assert!(std::mem::size_of_val(t.get_ref()) > 0);
    /// });
    /// ```
    pub fn get_ref(&self) -> &F {
        &self.value
    }

    /// The inner future, mutably.
    ///
    /// ```
    /// use guillotine::time::{timeout, Duration};
    /// let rt = guillotine::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let mut t = timeout(Duration::from_secs(1), std::future::ready(3));
    ///     assert_eq!(t.get_mut().await, 3);
    /// });
    /// ```
    pub fn get_mut(&mut self) -> &mut F {
        &mut self.value
    }

    /// Gives the inner future back, dropping the timer.
    ///
    /// ```
    /// use guillotine::time::{timeout, Duration};
    /// let rt = guillotine::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let t = timeout(Duration::from_millis(1), async { 7 });
    ///     assert_eq!(t.into_inner().await, 7);
    /// });
    /// ```
    pub fn into_inner(self) -> F {
        self.value
    }

    /// When the timeout expires.
    ///
    /// ```
    /// use guillotine::time::{timeout_at, Duration, Instant};
    /// let rt = guillotine::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let at = Instant::now() + Duration::from_secs(1);
    ///     assert_eq!(timeout_at(at, async {}).deadline(), at);
    /// });
    /// ```
    pub fn deadline(&self) -> Instant {
        self.delay.deadline()
    }
}

impl<F: Future> Future for Timeout<F> {
    type Output = Result<F::Output, Elapsed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let had_budget = coop::has_budget_remaining();
        if let Poll::Ready(out) = this.value.poll(cx) {
            return Poll::Ready(Ok(out));
        }
        let mut poll_delay = || {
            Pin::new(&mut *this.delay)
                .poll(cx)
                .map(|()| Err(Elapsed(())))
        };
        if had_budget && !coop::has_budget_remaining() {
            // The inner future spent the last of the budget: the deadline
            // must still be checked, or a busy future would never time out.
            coop::with_unconstrained(poll_delay)
        } else {
            poll_delay()
        }
    }
}

impl<F> fmt::Debug for Timeout<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Timeout")
            .field("delay", &self.delay)
            .finish_non_exhaustive()
    }
}

/// The error of a [`timeout`] whose deadline passed first.
///
/// ```
/// use guillotine::time::{timeout, Duration, Elapsed};
/// let rt = guillotine::runtime::Runtime::new().unwrap();
/// let err: Elapsed = rt
///     .block_on(async { timeout(Duration::ZERO, std::future::pending::<()>()).await })
///     .unwrap_err();
/// assert_eq!(err.to_string(), "deadline has elapsed");
/// let io: std::io::Error = err.into();
/// assert_eq!(io.kind(), std::io::ErrorKind::TimedOut);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Elapsed(());

impl fmt::Display for Elapsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("deadline has elapsed")
    }
}

impl std::error::Error for Elapsed {}

impl From<Elapsed> for io::Error {
    fn from(e: Elapsed) -> io::Error {
        io::Error::new(io::ErrorKind::TimedOut, e)
    }
}
