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
