//! Blocking work kept off the event loop: while four blocking jobs each
//! hog a pool thread for 300 ms, a timer on the runtime thread keeps
//! ticking on time.
//!
//! `cargo run --example spawn_blocking`

use guillotine::runtime::Runtime;
use guillotine::time::{Duration, Instant, interval};

/// Something that blocks its thread: a sleep standing in for file I/O, a
/// hash, a compression.
fn expensive(n: u64) -> u64 {
    std::thread::sleep(Duration::from_millis(300));
    (1..=n).product()
}

fn main() {
    let runtime = Runtime::new().unwrap();
    runtime.block_on(async {
        let start = Instant::now();
        let jobs: Vec<_> = (5..9)
            .map(|n| guillotine::spawn_blocking(move || expensive(n)))
            .collect();

        // Meanwhile the event loop is free: a 50 ms interval keeps its pace.
        let mut every = interval(Duration::from_millis(50));
        let mut worst = Duration::ZERO;
        for _ in 0..6 {
            let due = every.tick().await;
            worst = worst.max(Instant::now() - due);
        }
        println!("6 ticks while the jobs ran; the latest was {worst:?} late");
        assert!(
            worst < Duration::from_millis(100),
            "the event loop was blocked"
        );

        let mut results = Vec::new();
        for j in jobs {
            results.push(j.await.unwrap());
        }
        let took = start.elapsed();
        println!("4 jobs of 300 ms in {took:?} (in parallel): {results:?}");
        assert_eq!(results, [120, 720, 5040, 40320]);
        assert!(took < Duration::from_millis(1000));
    });
}
