//! Timers: `sleep`, `interval` and `timeout`, with how late each sleep woke.
//!
//! `cargo run --example sleep`

use guillotine::runtime::Runtime;
use guillotine::time::{Duration, Instant, MissedTickBehavior, interval, sleep, timeout};

fn main() {
    let runtime = Runtime::new().unwrap();
    runtime.block_on(async {
        // Sleeps are exact to the nanosecond where the kernel has
        // epoll_pwait2, and never wake early.
        for d in [
            Duration::from_micros(100),
            Duration::from_millis(1),
            Duration::from_millis(10),
        ] {
            let s = sleep(d);
            let deadline = s.deadline();
            s.await;
            let late = Instant::now() - deadline;
            println!("sleep({d:?}) woke {late:?} after its deadline");
        }

        // An interval: the first tick is at once, then every period.
        let start = Instant::now();
        let mut every = interval(Duration::from_millis(50));
        every.set_missed_tick_behavior(MissedTickBehavior::Skip);
        for n in 0..5 {
            let due = every.tick().await;
            println!("tick {n} due at +{:?}", due - start);
        }
        assert!(start.elapsed() >= Duration::from_millis(200));

        // A timeout: the future's output in time, `Elapsed` after.
        let quick = timeout(Duration::from_millis(100), async { "done" }).await;
        let slow = timeout(Duration::from_millis(100), sleep(Duration::from_secs(60))).await;
        println!("quick: {quick:?}, slow: {slow:?}");
        assert_eq!(quick, Ok("done"));
        assert!(slow.is_err());
    });
}
