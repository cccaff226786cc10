//! Many tasks at once: 10,000 tasks that each sleep a little and report
//! back over a channel, all in flight together on one thread.
//!
//! `cargo run --example spawn`

use futures::StreamExt;
use futures::channel::mpsc;
use guillotine::runtime::Runtime;
use guillotine::time::{Duration, Instant, sleep};

const TASKS: u64 = 10_000;

fn main() {
    let runtime = Runtime::new().unwrap();
    let start = Instant::now();
    let total = runtime.block_on(async {
        let (tx, rx) = mpsc::unbounded();
        let handles: Vec<_> = (0..TASKS)
            .map(|i| {
                let tx = tx.clone();
                guillotine::spawn(async move {
                    // 0..99 ms: one after another this would take minutes;
                    // together it takes about 0.1 s.
                    sleep(Duration::from_millis(i % 100)).await;
                    tx.unbounded_send(i).unwrap();
                })
            })
            .collect();
        drop(tx);
        let total = rx.fold(0, |sum, i| async move { sum + i }).await;
        for h in handles {
            h.await.unwrap();
        }
        total
    });
    let took = start.elapsed();
    println!("{TASKS} tasks finished in {took:?}; sum of their ids {total}");
    assert_eq!(total, TASKS * (TASKS - 1) / 2);
    assert_eq!(runtime.num_tasks(), 0);

    // Spawned tasks run during any block_on, and their JoinHandles are
    // futures of their output.
    let squares = runtime.block_on(async {
        let handles: Vec<_> = (1..=5u64)
            .map(|n| guillotine::spawn(async move { n * n }))
            .collect();
        let mut v = Vec::new();
        for h in handles {
            v.push(h.await.unwrap());
        }
        v
    });
    println!("squares: {squares:?}");
    assert_eq!(squares, [1, 4, 9, 16, 25]);
}
