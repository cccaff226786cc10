//! [`Sleep`], [`sleep`] and [`sleep_until`].
//!
//! A `Sleep` holds a slot of its runtime's timer queue from its first poll
//! until it is dropped: it is inserted then (not at creation, so a future
//! built and never polled costs nothing), moved by `reset`, and removed by
//! `Drop`, on whatever thread that happens.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use crate::runtime::driver;
use crate::runtime::driver::time::{TimerKey, TimerPoll};
use crate::runtime::{context, coop};

/// How far "never" is: deadlines that would overflow `Instant` (such as
/// `sleep(Duration::MAX)`) become this far from now, about 30 years.
const FAR_FUTURE: Duration = Duration::from_secs(86_400 * 365 * 30);

/// `now + duration`, or a deadline about 30 years away if that overflows.
pub(crate) fn deadline_after(now: Instant, duration: Duration) -> Instant {
    now.checked_add(duration)
        .unwrap_or_else(|| now + FAR_FUTURE)
}

/// Waits until `duration` has elapsed.
///
/// The timer is exact to the nanosecond where the kernel has `epoll_pwait2`
/// (Linux 5.11+), else rounded up to the millisecond; either way it never
/// completes early. `Duration::ZERO` completes at once, `Duration::MAX`
/// never (its deadline is about 30 years away, which only paused time's
/// `advance` reaches).
///
/// # Panics
/// Outside a runtime: the timer needs a runtime to drive it.
///
/// ```
/// use guillotine::time::{sleep, Duration, Instant};
/// let rt = guillotine::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     let start = Instant::now();
///     sleep(Duration::from_millis(10)).await;
///     assert!(start.elapsed() >= Duration::from_millis(10));
/// });
/// ```
#[track_caller]
pub fn sleep(duration: Duration) -> Sleep {
    Sleep::after(duration, "guillotine::time::sleep")
}

/// Waits until `deadline`; a deadline in the past completes at once.
///
/// # Panics
/// Outside a runtime.
///
/// ```
/// use guillotine::time::{sleep_until, Duration, Instant};
/// let rt = guillotine::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     let deadline = Instant::now() + Duration::from_millis(5);
///     sleep_until(deadline).await;
///     assert!(Instant::now() >= deadline);
/// });
/// ```
#[track_caller]
pub fn sleep_until(deadline: Instant) -> Sleep {
    Sleep::new(deadline, "guillotine::time::sleep_until")
}

/// The future of [`sleep`] and [`sleep_until`]: completes once its deadline
/// has passed.
///
/// It is `Send` and `Unpin`, and may be polled or dropped on any thread; it
/// is driven by the runtime it was created in.
///
/// # Panics
/// When polled after that runtime has shut down (dropped, or
/// `shutdown_timeout`), as in tokio: nothing could ever fire it, and a
/// sleep that completed at once would let retry loops spin. A sleep being
/// awaited when its runtime shuts down is woken for that poll, so it
/// panics rather than hang. A sleep that has completed stays complete.
///
/// ```should_panic
/// use guillotine::time::{sleep, Duration};
/// let rt = guillotine::runtime::Runtime::new().unwrap();
/// let timer = rt.block_on(async { sleep(Duration::from_millis(1)) });
/// drop(rt);
/// futures_lite::future::block_on(timer); // panics: its runtime is shut down
/// ```
///
/// ```
/// use guillotine::time::{sleep, Duration, Instant};
/// let rt = guillotine::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     let mut s = std::pin::pin!(sleep(Duration::from_secs(3600)));
///     s.as_mut().reset(Instant::now() + Duration::from_millis(1));
///     s.await;
/// });
/// ```
#[must_use = "futures do nothing unless you .await or poll them"]
pub struct Sleep {
    /// The driver whose timer queue holds this timer.
    driver: Arc<driver::Handle>,
    deadline: Instant,
    /// The queue slot, from the first pending poll until drop.
    key: Option<TimerKey>,
    /// Set when a poll returned `Ready`, cleared by `reset`.
    done: bool,
}

impl Sleep {
    #[track_caller]
    pub(crate) fn new(deadline: Instant, what: &str) -> Sleep {
        match context::driver() {
            Some(driver) => Sleep {
                driver,
                deadline,
                key: None,
                done: false,
            },
            None => panic!(
                "there is no reactor running: `{what}` must be called from the context of a \
                 guillotine runtime (inside `Runtime::block_on` or a task running on one)"
            ),
        }
    }

    /// A sleep until `duration` from now on the runtime's clock.
    #[track_caller]
    pub(crate) fn after(duration: Duration, what: &str) -> Sleep {
        let mut sleep = Sleep::new(Instant::now(), what);
        sleep.deadline = deadline_after(sleep.now(), duration);
        sleep
    }

    /// The reading of its runtime's clock (see [`time::now`](super::now)).
    pub(crate) fn now(&self) -> Instant {
        self.driver.time.clock.now()
    }

    /// The instant at which this sleep completes.
    ///
    /// ```
    /// use guillotine::time::{sleep_until, Duration, Instant};
    /// let rt = guillotine::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let at = Instant::now() + Duration::from_millis(1);
    ///     assert_eq!(sleep_until(at).deadline(), at);
    /// });
    /// ```
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// Whether the deadline has passed (or the sleep has completed).
    ///
    /// ```
    /// use guillotine::time::{sleep, Duration};
    /// let rt = guillotine::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let mut s = sleep(Duration::from_millis(1));
    ///     assert!(!s.is_elapsed());
    ///     (&mut s).await;
    ///     assert!(s.is_elapsed());
    /// });
    /// ```
    pub fn is_elapsed(&self) -> bool {
        self.done || self.now() >= self.deadline
    }

    /// Moves the deadline, earlier or later, also after completion: the
    /// sleep then waits again. The task waiting on it keeps waiting (and is
    /// woken if the new deadline has already passed).
    ///
    /// ```
    /// use guillotine::time::{sleep, Duration, Instant};
    /// let rt = guillotine::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let mut s = sleep(Duration::from_millis(1));
    ///     (&mut s).await;
    ///     let again = Instant::now() + Duration::from_millis(2);
    ///     std::pin::Pin::new(&mut s).reset(again);
    ///     assert!(!s.is_elapsed());
    ///     s.await;
    ///     assert!(Instant::now() >= again);
    /// });
    /// ```
    pub fn reset(self: Pin<&mut Self>, deadline: Instant) {
        let this = self.get_mut();
        this.deadline = deadline;
        this.done = false;
        if let Some(key) = this.key
            && this.driver.time.reset(key, deadline)
        {
            this.driver.unpark_for_timer();
        }
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        if this.done {
            return Poll::Ready(());
        }
        coop::poll_budgeted(cx, |cx| match this.poll_timer(cx) {
            Poll::Ready(Err(RuntimeGone)) => panic!(
                "A guillotine runtime was found, but it is shut down: a timer (`sleep`, \
                 `sleep_until`, or one inside `timeout` or `interval`) was polled after the \
                 runtime it was created in was dropped or shut down, so nothing can ever fire \
                 it. Await timers only while their runtime runs."
            ),
            Poll::Ready(Ok(())) => Poll::Ready(()),
            Poll::Pending => Poll::Pending,
        })
    }
}

/// A timer's runtime has shut down.
struct RuntimeGone;

impl Sleep {
    /// [`Future::poll`] for I/O objects that wait on a timer inside the
    /// crate: a runtime that has shut down is their error (they fail with
    /// an `io::Error`), not a panic.
    pub(crate) fn poll_or_gone(&mut self, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        if self.done {
            return Poll::Ready(Ok(()));
        }
        coop::poll_budgeted(cx, |cx| {
            self.poll_timer(cx)
                .map_err(|RuntimeGone| crate::runtime::driver::scheduled_io::gone())
        })
    }

    fn poll_timer(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), RuntimeGone>> {
        let this = self;
        match this
            .driver
            .time
            .poll(&mut this.key, this.deadline, cx.waker())
        {
            TimerPoll::Ready => {
                this.done = true;
                Poll::Ready(Ok(()))
            }
            TimerPoll::Shutdown => Poll::Ready(Err(RuntimeGone)),
            TimerPoll::Pending { new_first } => {
                if new_first {
                    // Polled off the runtime thread while it is parked on a
                    // later deadline: wake it to wait for ours. (On the
                    // runtime thread this is one atomic load.)
                    this.driver.unpark_for_timer();
                }
                Poll::Pending
            }
        }
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            self.driver.time.remove(key);
        }
    }
}

impl fmt::Debug for Sleep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sleep")
            .field("deadline", &self.deadline)
            .field("registered", &self.key.is_some())
            .field("done", &self.done)
            .finish()
    }
}
