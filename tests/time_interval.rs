//! `interval` and `interval_at`: the first tick at once, the period kept,
//! and what each `MissedTickBehavior` does after the thread was blocked.
//!
//! The missed-tick tests assert on the instants `tick` returns (when each
//! tick was due), which the schedule fixes exactly, not on how fast ticks
//! arrive; the only timing used is a blocking `std::thread::sleep`, which
//! is never shorter than asked. On both runtime flavors (the blocked
//! thread is the one that polls the interval: the `block_on` thread).

mod support;

use guillotine::runtime::Runtime;
use guillotine::time::{Duration, Instant, MissedTickBehavior, interval, interval_at};
use support::{Flavor, both_flavors};

both_flavors! {
    the_first_tick_completes_at_once_and_the_period_is_kept,
    interval_at_starts_at_its_start,
    burst_catches_up_on_the_original_schedule,
    delay_restarts_the_schedule_from_the_late_tick,
    skip_drops_missed_ticks_and_stays_on_the_grid,
    tick_counts_differ_by_behavior,
    reset_restarts_from_now,
    intervals_run_in_spawned_tasks_and_reject_a_zero_period,
}

const PERIOD: Duration = Duration::from_millis(20);

/// Takes the first tick, blocks the runtime thread for 5.5 periods, and
/// returns the first tick's instant and the next `n` ticks' instants.
async fn after_a_stall(behavior: MissedTickBehavior, n: usize) -> (Instant, Vec<Instant>) {
    let mut every = interval(PERIOD);
    every.set_missed_tick_behavior(behavior);
    let first = every.tick().await;
    std::thread::sleep(PERIOD * 11 / 2);
    let mut ticks = Vec::new();
    for _ in 0..n {
        ticks.push(every.tick().await);
    }
    (first, ticks)
}

fn the_first_tick_completes_at_once_and_the_period_is_kept(rt: Runtime) {
    rt.block_on(async {
        let start = Instant::now();
        let mut every = interval(Duration::from_secs(3600));
        let first = every.tick().await;
        assert!(first <= Instant::now() && first >= start);
        assert!(start.elapsed() < Duration::from_secs(60));

        let mut every = interval(PERIOD);
        let first = every.tick().await;
        for k in 1..=5u32 {
            let due = every.tick().await;
            assert_eq!(due, first + PERIOD * k);
            assert!(Instant::now() >= due, "tick {k} completed early");
        }
    });
}

fn interval_at_starts_at_its_start(rt: Runtime) {
    rt.block_on(async {
        let start = Instant::now() + Duration::from_millis(15);
        let mut every = interval_at(start, PERIOD);
        assert_eq!(every.tick().await, start);
        assert!(Instant::now() >= start);
        assert_eq!(every.tick().await, start + PERIOD);
    });
}

fn burst_catches_up_on_the_original_schedule(rt: Runtime) {
    rt.block_on(async {
        let (first, ticks) = after_a_stall(MissedTickBehavior::Burst, 8).await;
        // Every tick of the schedule comes, in order: the five missed ones
        // at once, then on time.
        for (k, due) in ticks.iter().enumerate() {
            assert_eq!(*due, first + PERIOD * (k as u32 + 1));
        }
        assert!(Instant::now() >= *ticks.last().unwrap());
    });
}

fn delay_restarts_the_schedule_from_the_late_tick(rt: Runtime) {
    rt.block_on(async {
        let (first, ticks) = after_a_stall(MissedTickBehavior::Delay, 3).await;
        // The first missed tick comes (late), then the schedule restarts a
        // period after it completed, which was after the stall.
        assert_eq!(ticks[0], first + PERIOD);
        assert!(ticks[1] >= first + PERIOD * 11 / 2 + PERIOD);
        assert!(ticks[2] - ticks[1] >= PERIOD);
    });
}

fn skip_drops_missed_ticks_and_stays_on_the_grid(rt: Runtime) {
    rt.block_on(async {
        let (first, ticks) = after_a_stall(MissedTickBehavior::Skip, 3).await;
        assert_eq!(ticks[0], first + PERIOD);
        // The next tick is the first grid point after the stall (or a later
        // one on a very loaded machine): never one of the missed ones.
        let offset = ticks[1] - first;
        assert!(offset >= PERIOD * 6, "{offset:?}");
        assert_eq!(offset.as_nanos() % PERIOD.as_nanos(), 0, "{offset:?}");
        // Then the next grid point (again a later one if that tick itself
        // came more than a period late: under valgrind it did).
        let step = ticks[2] - ticks[1];
        assert!(step >= PERIOD, "{step:?}");
        assert_eq!(step.as_nanos() % PERIOD.as_nanos(), 0, "{step:?}");
    });
}

fn tick_counts_differ_by_behavior(flavor: Flavor) {
    // Ticks due before the thread resumed from a 5.5-period stall: Burst
    // delivers the backlog of five, Delay and Skip only the one late tick.
    // Long periods leave 100 ms of slack for a loaded machine.
    fn ticks_due_before_resuming(flavor: Flavor, behavior: MissedTickBehavior) -> usize {
        flavor.rt().block_on(async {
            let period = Duration::from_millis(200);
            let mut every = interval(period);
            every.set_missed_tick_behavior(behavior);
            every.tick().await;
            std::thread::sleep(period * 11 / 2);
            let resumed = Instant::now();
            let mut n = 0;
            while every.tick().await < resumed {
                n += 1;
            }
            n
        })
    }
    let counts = std::thread::scope(|s| {
        let behaviors = [
            MissedTickBehavior::Burst,
            MissedTickBehavior::Delay,
            MissedTickBehavior::Skip,
        ];
        let threads: Vec<_> = behaviors
            .map(|b| s.spawn(move || ticks_due_before_resuming(flavor, b)))
            .into_iter()
            .collect();
        threads
            .into_iter()
            .map(|t| t.join().unwrap())
            .collect::<Vec<_>>()
    });
    assert_eq!(counts, [5, 1, 1]);
}

fn reset_restarts_from_now(rt: Runtime) {
    rt.block_on(async {
        let mut every = interval(PERIOD);
        every.tick().await;
        guillotine::time::sleep(PERIOD / 2).await;
        let before = Instant::now();
        every.reset();
        let after = Instant::now();
        let due = every.tick().await;
        assert!(due >= before + PERIOD && due <= after + PERIOD, "{due:?}");
        assert!(Instant::now() >= due);
        assert_eq!(every.tick().await, due + PERIOD);
    });
}

fn intervals_run_in_spawned_tasks_and_reject_a_zero_period(rt: Runtime) {
    fn send<T: Send + std::fmt::Debug>(_: &T) {}
    rt.block_on(async {
        let every = interval(Duration::from_millis(1));
        send(&every);
        assert_eq!(every.period(), Duration::from_millis(1));
        let n = guillotine::spawn(async move {
            let mut every = every;
            for _ in 0..5 {
                every.tick().await;
            }
            5
        });
        assert_eq!(n.await.unwrap(), 5);
        let zero = std::panic::catch_unwind(|| interval(Duration::ZERO));
        assert!(zero.is_err());
    });
}
