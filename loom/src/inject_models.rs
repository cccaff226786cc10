//! Models of the injection queue (`src/runtime/scheduler/inject.rs`) with
//! blocks of 3 slots (`LAP` is 4 under loom), so that a few pushes cross
//! into a new block: pushers racing each other, a consumer, two consumers,
//! and the close. Each model collects every task from wherever it came out
//! (a take, the close, a refused push) and checks that each came out
//! exactly once, with the flag it was pushed with.
//!
//! Each runs with a preemption bound, which (as in `queue_models.rs`) also
//! makes loom 0.7 reach interleavings it skips when unbounded. The bounds
//! are where the interleavings stop growing (16), but for the push racing
//! a consumer and the close, whose waits multiply them (4: 70,000 runs in
//! 5 s; 5 takes 20 s).

use loom::sync::Arc;
use loom::thread;

use crate::inject::Inject;

/// Runs `f` under every interleaving with at most `preemptions` of them.
fn model(preemptions: usize, f: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(preemptions);
    builder.check(f);
}

/// Task `t` is pushed as new when even, as woken when odd.
fn push(inject: &Inject<i32>, t: i32) -> Result<(), i32> {
    if t % 2 == 0 {
        inject.push_spawned(t)
    } else {
        inject.push_woken(t)
    }
}

/// Checks the flag a task came out with.
fn taken(seen: &mut Vec<i32>) -> impl FnMut(i32, bool) + '_ {
    |t, spawned| {
        assert_eq!(spawned, t % 2 == 0, "task {t} lost its flag");
        seen.push(t);
    }
}

/// Asserts every task in `expected` is in `seen` exactly once.
fn exactly_once(mut seen: Vec<i32>, expected: impl IntoIterator<Item = i32>) {
    seen.sort_unstable();
    let expected: Vec<i32> = expected.into_iter().collect();
    assert_eq!(seen, expected, "a task lost or taken twice");
}

/// Two pushers of three and two tasks (the fourth push opens a second
/// block) race a consumer that takes twice: every task is taken once, and
/// the counts end right.
#[test]
fn loom_inject_two_pushers_one_consumer() {
    model(16, || {
        let inject = Arc::new(Inject::new());
        let pushers: Vec<_> = [&[0, 2, 4][..], &[1, 3]]
            .into_iter()
            .map(|tasks| {
                let inject = inject.clone();
                thread::spawn(move || {
                    for &t in tasks {
                        push(&inject, t).unwrap();
                    }
                })
            })
            .collect();
        let mut seen = Vec::new();
        inject.drain(taken(&mut seen));
        inject.pop_batch(4, taken(&mut seen));
        for p in pushers {
            p.join().unwrap();
        }
        assert_eq!(inject.len(), 5 - seen.len());
        inject.drain(taken(&mut seen));
        assert!(inject.is_empty());
        assert_eq!(inject.pushed(), 5);
        exactly_once(seen, 0..5);
    });
}

/// Pushes racing a consumer and the close, across a block: each task is
/// taken by the consumer, handed back by the close or refused to its
/// pusher, exactly one of the three; and the close does not return before
/// the pushes it let in are written.
#[test]
fn loom_inject_push_racing_close() {
    model(4, || {
        let inject = Arc::new(Inject::new());
        // One task queued before: the pusher's second push takes the
        // block's last slot and installs the next block.
        push(&inject, 0).unwrap();
        let pusher = {
            let inject = inject.clone();
            thread::spawn(move || {
                (1..4)
                    .filter(|&t| push(&inject, t).is_err())
                    .collect::<Vec<_>>()
            })
        };
        let consumer = {
            let inject = inject.clone();
            thread::spawn(move || {
                let mut seen = Vec::new();
                inject.pop_batch(2, taken(&mut seen));
                seen
            })
        };
        let (spawned, woken) = inject.close();
        assert!(spawned.iter().all(|t| t % 2 == 0));
        assert!(woken.iter().all(|t| t % 2 == 1));
        let refused = pusher.join().unwrap();
        // Once refused, always refused.
        assert!(refused.windows(2).all(|w| w[1] == w[0] + 1));
        assert_eq!(refused.last().is_some(), refused.last() == Some(&3));
        let mut seen: Vec<i32> = spawned.into_iter().chain(woken).collect();
        seen.extend(consumer.join().unwrap());
        assert_eq!(inject.pushed() as usize, seen.len());
        assert!(inject.is_empty());
        seen.extend(refused);
        exactly_once(seen, 0..4);
    });
}

/// A batch push (crossing a block) racing the close: the close hands back
/// a prefix of the batch, the push the rest.
#[test]
fn loom_inject_batch_racing_close() {
    model(16, || {
        let inject = Arc::new(Inject::new());
        let pusher = {
            let inject = inject.clone();
            thread::spawn(move || {
                inject
                    .push_woken_batch([1, 3, 5, 7].into_iter())
                    .err()
                    .unwrap_or_default()
            })
        };
        let (spawned, woken) = inject.close();
        assert!(spawned.is_empty());
        let refused = pusher.join().unwrap();
        let mut all = woken.clone();
        all.extend(&refused);
        assert_eq!(all, [1, 3, 5, 7], "the close takes a prefix in order");
        assert_eq!(inject.pushed() as usize, woken.len());
    });
}

/// Two consumers take batches while a pusher queues three tasks (the third
/// fills the first block and installs the second): each task is taken
/// once, by one of them or by the last look after the joins.
#[test]
fn loom_inject_two_consumers_racing_a_pusher() {
    model(16, || {
        let inject = Arc::new(Inject::new());
        let pusher = {
            let inject = inject.clone();
            thread::spawn(move || {
                for t in 0..3 {
                    push(&inject, t).unwrap();
                }
            })
        };
        let other = {
            let inject = inject.clone();
            thread::spawn(move || {
                let mut seen = Vec::new();
                inject.pop_batch(2, taken(&mut seen));
                seen
            })
        };
        let mut seen = Vec::new();
        inject.pop_batch(2, taken(&mut seen));
        pusher.join().unwrap();
        seen.extend(other.join().unwrap());
        inject.drain(taken(&mut seen));
        assert!(inject.is_empty());
        exactly_once(seen, 0..3);
    });
}

/// A push racing the one that fills a block and installs the next: the
/// second lands in the new block (never in the full one, whose block
/// pointer it may have read before the install) or before the first.
#[test]
fn loom_inject_push_racing_block_install() {
    model(16, || {
        let inject = Arc::new(Inject::new());
        push(&inject, 0).unwrap();
        push(&inject, 1).unwrap();
        let pushers: Vec<_> = [2, 3]
            .into_iter()
            .map(|t| {
                let inject = inject.clone();
                thread::spawn(move || push(&inject, t).unwrap())
            })
            .collect();
        let mut seen = Vec::new();
        inject.pop_batch(4, taken(&mut seen));
        for p in pushers {
            p.join().unwrap();
        }
        inject.drain(taken(&mut seen));
        exactly_once(seen, 0..4);
    });
}
