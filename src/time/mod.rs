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
mod sleep;
mod timeout;

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
