//! Time: [`sleep`], [`timeout`] and [`interval`], driven by the runtime's
//! timer queue.
//!
//! Timers are exact to the nanosecond where the kernel has `epoll_pwait2`
//! (Linux 5.11+; else rounded *up* to the millisecond) and never complete
//! before their deadline. They are created through the current runtime, so
//! the constructors panic outside one; the futures themselves are `Send`
//! and may be polled or dropped anywhere. A dropped timer leaves the queue
//! at once.
//!
//! ```
//! use guillotine::time::{interval, sleep, timeout, Duration, Instant};
//! let rt = guillotine::runtime::Runtime::new().unwrap();
//! rt.block_on(async {
//!     let start = Instant::now();
//!     sleep(Duration::from_millis(2)).await;
//!     assert!(timeout(Duration::from_millis(1), sleep(Duration::from_secs(60))).await.is_err());
//!     let mut every = interval(Duration::from_millis(1));
//!     every.tick().await; // at once
//!     every.tick().await;
//!     assert!(start.elapsed() >= Duration::from_millis(4));
//! });
//! ```
//!
//! # Paused time
//!
//! With the feature `test-util`, time can be paused: a clock that stands
//! still, so that a test of timeouts, retries and intervals runs at once
//! and exactly.
//!
//! What stands still is the runtime's clock: `time::now`, every deadline
//! the runtime computes (`sleep`, `timeout`, `interval`,
//! `Sleep::deadline`, the `Instant`s an `Interval` yields, hyper's timer).
//! std's `Instant::now()` (which `time::Instant` is) never stands still.
//!
//! While paused, the clock moves only:
//! - by `advance` or `advance_to_next_timer`;
//! - automatically, to the next timer, when the runtime has nothing to do:
//!   every thread of it asleep, nothing in flight (see below). Turn that off
//!   with `set_auto_advance`, `Builder::auto_advance(false)` or the
//!   attribute's `auto_advance = false`.
//!
//! Unlike tokio's, it works on both flavors, and it does not jump while real
//! work is in flight, whose end a jump would make late: a blocking-pool job
//! (`spawn_blocking`, every `fs` operation), a child process being waited
//! for, or a reply awaited on a stream whose peer is on this machine (a
//! Unix socket or a loopback address) that sent data since it last
//! received, while a task waits to read. That last hold lasts at most one
//! second of real time per write, so a peer that never answers does not
//! hang the test: the clock then jumps and its timeout fires.
//!
//! A child's exit holds the clock only where it is watched through a pidfd
//! (Linux 5.3 and later). Without pidfds the exit is polled on the
//! runtime's own timers (see [`process`](crate::process)), which paused
//! time jumps through like any other: a timeout around such a wait may
//! fire before the child exits.

mod interval;
#[cfg(feature = "test-util")]
mod pause;
mod sleep;
mod timeout;

#[cfg(feature = "test-util")]
pub use pause::{advance, advance_to_next_timer, pause, resume, set_auto_advance};

/// The current runtime's clock: what every timer's deadline is measured
/// on. It is the OS's monotonic clock ([`Instant::now`]) unless the
/// runtime's time was paused (feature `test-util`, see [`pause`](crate::time)),
/// in which case it stands still until advanced; outside a runtime it is
/// `Instant::now()`.
///
/// [`Instant`] is std's, so `Instant::now()` and `Instant::elapsed` always
/// read the OS clock, paused or not: under paused time, measure with this
/// function (`time::now() - start`), which is what tokio's own `Instant`
/// type does.
///
/// ```
/// use guillotine::time::{self, sleep, Duration};
/// let rt = guillotine::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     let start = time::now();
///     sleep(Duration::from_millis(2)).await;
///     assert!(time::now() - start >= Duration::from_millis(2));
/// });
/// ```
pub fn now() -> Instant {
    match crate::runtime::context::driver() {
        Some(driver) => driver.time.clock.now(),
        None => Instant::now(),
    }
}

pub use interval::{Interval, MissedTickBehavior, interval, interval_at};
pub use sleep::{Sleep, sleep, sleep_until};
pub use std::time::{Duration, Instant};
pub use timeout::{Elapsed, Timeout, timeout, timeout_at};

fn _assert_kinds() {
    fn send_sync<T: Send + Sync>() {}
    fn send<T: Send>() {}
    send_sync::<Sleep>();
    send_sync::<Interval>();
    send_sync::<Elapsed>();
    send::<Timeout<Sleep>>();
    send::<Timeout<std::future::Pending<()>>>();
}
