//! [`Interval`]: a timer that ticks every period, and what it does about
//! ticks it missed ([`MissedTickBehavior`]).

use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use super::sleep::{Sleep, deadline_after};

/// How late a tick may be before it counts as missed. Ordinary scheduling
/// jitter must not shift a `Delay` or `Skip` schedule; tokio uses the same.
const MISSED_AFTER: Duration = Duration::from_millis(5);

/// An interval whose first tick completes at once, then every `period`.
///
/// # Panics
/// If `period` is zero, and outside a runtime.
///
/// ```
/// use guillotine::time::{interval, Duration, Instant};
/// let rt = guillotine::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     let start = Instant::now();
///     let mut every = interval(Duration::from_millis(2));
///     for _ in 0..3 {
///         every.tick().await;
///     }
///     // Ticks at 0, 2 and 4 ms.
///     assert!(start.elapsed() >= Duration::from_millis(4));
/// });
/// ```
#[track_caller]
pub fn interval(period: Duration) -> Interval {
    Interval::new(super::now(), period, "guillotine::time::interval")
}

/// An interval whose first tick completes at `start`, then every `period`.
///
/// # Panics
/// If `period` is zero, and outside a runtime.
///
/// ```
/// use guillotine::time::{interval_at, Duration, Instant};
/// let rt = guillotine::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     let start = Instant::now() + Duration::from_millis(3);
///     let mut every = interval_at(start, Duration::from_millis(1));
///     assert!(every.tick().await >= start);
/// });
/// ```
#[track_caller]
pub fn interval_at(start: Instant, period: Duration) -> Interval {
    Interval::new(start, period, "guillotine::time::interval_at")
}

/// What an [`Interval`] does after ticks were missed (the task was busy,
/// or the thread blocked, for longer than a period).
///
/// ```
/// use guillotine::time::MissedTickBehavior;
/// assert_eq!(MissedTickBehavior::default(), MissedTickBehavior::Burst);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MissedTickBehavior {
    /// Catch up: the missed ticks complete at once, one after another, and
    /// the schedule stays on `start + n * period`.
    #[default]
    Burst,
    /// Start over: the next tick is one period after the late one
    /// completed; the schedule shifts.
    Delay,
    /// Drop the missed ticks: the next tick is the next one of the original
    /// schedule that is still ahead.
    Skip,
}

impl MissedTickBehavior {
    /// The tick after one due at `due`, completed late at `now`.
    fn next_tick(self, due: Instant, now: Instant, period: Duration) -> Instant {
        match self {
            MissedTickBehavior::Burst => add(due, period),
            MissedTickBehavior::Delay => add(now, period),
            MissedTickBehavior::Skip => {
                let late = (now - due).as_nanos() % period.as_nanos();
                // `late < period`, so it fits the nanoseconds of a Duration.
                add(now, period - Duration::from_nanos(late as u64))
            }
        }
    }
}

/// `at + d`, or about 30 years from now if that overflows.
fn add(at: Instant, d: Duration) -> Instant {
    at.checked_add(d)
        .unwrap_or_else(|| deadline_after(at, Duration::MAX))
}

/// Ticks every period; see [`interval`]. `Send`, and driven by the runtime
/// it was created in.
///
/// ```
/// use guillotine::time::{interval, Duration, MissedTickBehavior};
/// let rt = guillotine::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     let mut every = interval(Duration::from_millis(1));
///     every.set_missed_tick_behavior(MissedTickBehavior::Skip);
///     let first = every.tick().await;
///     let second = every.tick().await;
///     assert!(second >= first + Duration::from_millis(1));
/// });
/// ```
#[derive(Debug)]
pub struct Interval {
    /// Due at the next tick.
    delay: Sleep,
    period: Duration,
    missed: MissedTickBehavior,
}

impl Interval {
    #[track_caller]
    fn new(start: Instant, period: Duration, what: &str) -> Interval {
        assert!(!period.is_zero(), "`{what}`: the period must be non-zero");
        Interval {
            delay: Sleep::new(start, what),
            period,
            missed: MissedTickBehavior::default(),
        }
    }

    /// Waits for the next tick and returns the instant it was due (not the
    /// one it completed at).
    ///
    /// ```
    /// use guillotine::time::{interval, Duration, Instant};
    /// let rt = guillotine::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let mut every = interval(Duration::from_millis(1));
    ///     let due = every.tick().await;
    ///     assert!(due <= Instant::now());
    /// });
    /// ```
    pub async fn tick(&mut self) -> Instant {
        poll_fn(|cx| self.poll_tick(cx)).await
    }

    /// Polls for the next tick; for hand-written futures and streams.
    ///
    /// ```
    /// use guillotine::time::{interval, Duration};
    /// let rt = guillotine::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let mut every = interval(Duration::from_millis(1));
    ///     let first = std::future::poll_fn(|cx| every.poll_tick(cx)).await;
    ///     assert!(every.tick().await > first);
    /// });
    /// ```
    pub fn poll_tick(&mut self, cx: &mut Context<'_>) -> Poll<Instant> {
        if Pin::new(&mut self.delay).poll(cx).is_pending() {
            return Poll::Pending;
        }
        let due = self.delay.deadline();
        let now = self.delay.now();
        let next = if now > add(due, MISSED_AFTER) {
            self.missed.next_tick(due, now, self.period)
        } else {
            add(due, self.period)
        };
        Pin::new(&mut self.delay).reset(next);
        Poll::Ready(due)
    }

    /// Restarts the schedule: the next tick is one period from now.
    ///
    /// ```
    /// use guillotine::time::{interval, Duration, Instant};
    /// let rt = guillotine::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let mut every = interval(Duration::from_millis(1));
    ///     every.reset();
    ///     let before = Instant::now();
    ///     assert!(every.tick().await >= before);
    /// });
    /// ```
    pub fn reset(&mut self) {
        let now = self.delay.now();
        Pin::new(&mut self.delay).reset(add(now, self.period));
    }

    /// What the interval does about missed ticks.
    ///
    /// ```
    /// use guillotine::time::{interval, Duration, MissedTickBehavior};
    /// let rt = guillotine::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let every = interval(Duration::from_millis(1));
    ///     assert_eq!(every.missed_tick_behavior(), MissedTickBehavior::Burst);
    /// });
    /// ```
    pub fn missed_tick_behavior(&self) -> MissedTickBehavior {
        self.missed
    }

    /// Sets what the interval does about missed ticks (default
    /// [`Burst`](MissedTickBehavior::Burst)).
    ///
    /// ```
    /// use guillotine::time::{interval, Duration, MissedTickBehavior};
    /// let rt = guillotine::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let mut every = interval(Duration::from_millis(1));
    ///     every.set_missed_tick_behavior(MissedTickBehavior::Delay);
    ///     assert_eq!(every.missed_tick_behavior(), MissedTickBehavior::Delay);
    /// });
    /// ```
    pub fn set_missed_tick_behavior(&mut self, behavior: MissedTickBehavior) {
        self.missed = behavior;
    }

    /// The period between ticks.
    ///
    /// ```
    /// use guillotine::time::{interval, Duration};
    /// let rt = guillotine::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     assert_eq!(interval(Duration::from_millis(7)).period(), Duration::from_millis(7));
    /// });
    /// ```
    pub fn period(&self) -> Duration {
        self.period
    }
}
