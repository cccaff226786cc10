//! Paused time (feature `test-util`); its user docs are the time module's
//! "Paused time" section.

use std::time::{Duration, Instant};

use crate::runtime::context;
use crate::runtime::driver::time::Clock;

#[track_caller]
fn with_clock<R>(what: &str, f: impl FnOnce(&Clock) -> R) -> R {
    match context::driver() {
        Some(driver) => f(&driver.time.clock),
        None => panic!(
            "`{what}` must be called from the context of a guillotine runtime (inside \
             `Runtime::block_on` or a task running on one)"
        ),
    }
}

/// Pauses the current runtime's clock. Timers then complete only when the
/// clock is advanced: by hand, or to the next timer when the runtime is
/// idle (see the [time module's docs](crate::time#paused-time)).
///
/// # Panics
/// Outside a runtime, and if time is already paused.
///
/// ```
/// use guillotine::time::{self, sleep, Duration};
/// let rt = guillotine::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     time::pause();
///     let start = time::now();
///     sleep(Duration::from_secs(24 * 3600)).await; // returns at once
///     assert_eq!(time::now() - start, Duration::from_secs(24 * 3600));
/// });
/// ```
#[track_caller]
pub fn pause() {
    with_clock("guillotine::time::pause", Clock::pause);
}

/// Lets the current runtime's clock run again, at the OS clock's rate,
/// from where it stood.
///
/// # Panics
/// Outside a runtime, and if time is not paused.
///
/// ```
/// use guillotine::time::{self, Duration};
/// let rt = guillotine::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     time::pause();
///     time::advance(Duration::from_secs(60)).await;
///     time::resume();
///     // Still a minute ahead of the OS clock, and running.
///     assert!(time::now() >= std::time::Instant::now() + Duration::from_secs(59));
/// });
/// ```
#[track_caller]
pub fn resume() {
    with_clock("guillotine::time::resume", Clock::resume);
}

/// Moves the paused clock forward by `duration`, completes every timer
/// due by then, and yields once, so that the tasks they woke run before
/// the caller goes on.
///
/// A sleep of `Duration::MAX` (or a deadline that overflows `Instant`)
/// waits about 30 years, as in tokio: advancing further completes it.
///
/// # Panics
/// Outside a runtime, if time is not paused, and if the clock would move
/// more than 500 years past the runtime's start (the timer queue's range;
/// `Duration::MAX` is far beyond it).
///
/// ```
/// use guillotine::time::{self, sleep, Duration};
/// let rt = guillotine::runtime::Builder::new_current_thread()
///     .start_paused(true)
///     .auto_advance(false)
///     .build()
///     .unwrap();
/// rt.block_on(async {
///     let timer = guillotine::spawn(sleep(Duration::from_secs(10)));
///     guillotine::task::yield_now().await; // the timer is armed
///     time::advance(Duration::from_secs(9)).await;
///     assert!(!timer.is_finished());
///     time::advance(Duration::from_secs(1)).await;
///     timer.await.unwrap();
/// });
/// ```
pub async fn advance(duration: Duration) {
    with_clock("guillotine::time::advance", |clock| clock.advance(duration));
    crate::task::yield_now().await;
}

/// Moves the paused clock to the earliest armed timer of the runtime and
/// completes it (and every other timer due then), then yields once.
/// Returns that timer's deadline, or `None` (the clock unmoved) if no
/// timer is armed. With automatic advance off, this steps a test through
/// its timers one at a time.
///
/// # Panics
/// Outside a runtime, and if time is not paused.
///
/// ```
/// use guillotine::time::{self, sleep, Duration};
/// let rt = guillotine::runtime::Builder::new_current_thread()
///     .start_paused(true)
///     .auto_advance(false)
///     .build()
///     .unwrap();
/// rt.block_on(async {
///     let start = time::now();
///     let timer = guillotine::spawn(sleep(Duration::from_secs(5)));
///     guillotine::task::yield_now().await;
///     let at = time::advance_to_next_timer().await;
///     assert_eq!(at, Some(start + Duration::from_secs(5)));
///     timer.await.unwrap();
///     assert_eq!(time::advance_to_next_timer().await, None);
/// });
/// ```
pub async fn advance_to_next_timer() -> Option<Instant> {
    let at = with_clock(
        "guillotine::time::advance_to_next_timer",
        Clock::advance_to_next_timer,
    );
    crate::task::yield_now().await;
    at
}

/// Turns the automatic advance of the current runtime's paused clock on or
/// off (on by default; see the [time module's docs](crate::time#paused-time)). Off, a paused clock
/// moves only through [`advance`] and [`advance_to_next_timer`].
///
/// # Panics
/// Outside a runtime.
///
/// ```
/// use guillotine::time::{self, sleep, timeout, Duration};
/// let rt = guillotine::runtime::Builder::new_current_thread()
///     .start_paused(true)
///     .build()
///     .unwrap();
/// rt.block_on(async {
///     time::set_auto_advance(false);
///     let slow = guillotine::spawn(timeout(Duration::from_secs(1), sleep(Duration::from_secs(2))));
///     guillotine::task::yield_now().await;
///     time::advance(Duration::from_secs(1)).await;
///     assert!(slow.await.unwrap().is_err(), "the timeout fired first");
///     time::set_auto_advance(true);
///     sleep(Duration::from_secs(60)).await; // jumps again
/// });
/// ```
#[track_caller]
pub fn set_auto_advance(on: bool) {
    with_clock("guillotine::time::set_auto_advance", |clock| {
        clock.set_auto_advance(on)
    });
}
