//! Paused time (feature `test-util`): a clock that stands still, so that a
//! test of timeouts, retries and intervals runs at once and exactly.
//!
//! What stands still is the runtime's clock: [`time::now`](super::now),
//! every deadline the runtime computes (`sleep`, `timeout`, `interval`,
//! `Sleep::deadline`, the `Instant`s an `Interval` yields, hyper's timer).
//! std's `Instant::now()` (which `time::Instant` is) never stands still.
//!
//! While paused, the clock moves only:
//! - by [`advance`] or [`advance_to_next_timer`];
//! - automatically, to the next timer, when the runtime has nothing to do:
//!   every thread of it asleep, nothing in flight (see below). Turn that off
//!   with [`set_auto_advance`], `Builder::auto_advance(false)` or the
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
/// idle (see the [module docs](self)).
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
/// off (on by default; see the [module docs](self)). Off, a paused clock
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
