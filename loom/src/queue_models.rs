//! Models of the multi-thread scheduler's run queue at capacity 4: the
//! owner's pushes, pops and overflows racing one or two stealers. Each
//! model collects every task from wherever it came out (a pop, a steal, the
//! overflow sink) and checks that each came out exactly once.
//!
//! Each runs with a preemption bound, which is also what makes loom reach
//! every interleaving here: without one, loom 0.7 misses a thread's load
//! and compare-exchange of an atomic both running before another thread's
//! load of it (in the last model, every steal by the second thief before
//! the first reads `head`). Bounded runs add backtracking points that
//! cover these; the first, second and last models are explored to
//! saturation (a higher bound adds no interleavings).
//!
//! loom never lets a load read a store that comes later in the
//! interleaving, so the orderings that keep a stealer's read of a slot
//! before the owner's rewrite of it (the `Release` that ends a steal, the
//! `Acquire` before a push) are argued in `queue.rs`, not checked here.

use std::num::NonZeroUsize;

use loom::thread;

use crate::queue::{Local, Steal, local};

const N: usize = 4;

/// Runs `f` under every interleaving with at most `preemptions` of them.
fn model(preemptions: usize, f: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(preemptions);
    builder.check(f);
}

fn task(n: usize) -> NonZeroUsize {
    NonZeroUsize::new(n).unwrap()
}

/// Pushes task `n`, collecting any overflow in `seen`.
fn push(q: &mut Local<N>, n: usize, seen: &mut Vec<usize>) {
    q.push_back(task(n), |batch| {
        let len = batch.len();
        // The oldest half and the new task, or during a steal the new task
        // alone.
        assert!(len == N / 2 + 1 || len == 1, "overflow of {len}");
        seen.extend(batch.map(NonZeroUsize::get));
    });
}

fn drain(q: &mut Local<N>, seen: &mut Vec<usize>) {
    seen.extend(std::iter::from_fn(|| q.pop()).map(NonZeroUsize::get));
}

/// A worker that steals once from `victim` into a queue of its own. The
/// caller drains that queue after the join: nobody else touches it, and
/// its pops would only multiply the interleavings.
fn stealer(victim: Steal<N>) -> thread::JoinHandle<(Option<NonZeroUsize>, Local<N>)> {
    thread::spawn(move || {
        let (mut mine, _) = local::<N>();
        (victim.steal_into(&mut mine), mine)
    })
}

/// Collects the task a worker returned and the ones left in its queue.
fn collect(worker: (Option<NonZeroUsize>, Local<N>), seen: &mut Vec<usize>) {
    let (task, mut queue) = worker;
    seen.extend(task.map(NonZeroUsize::get));
    drain(&mut queue, seen);
}

fn assert_once(mut seen: Vec<usize>, tasks: usize) {
    seen.sort_unstable();
    assert_eq!(seen, (1..=tasks).collect::<Vec<_>>(), "lost or duplicated");
}

/// The owner pushes and pops while a stealer takes half. The owner pops
/// past the tasks queued before the stealer started: a stealer that saw the
/// new `real` with an old `tail` would claim slots that hold nothing.
#[test]
fn loom_queue_push_pop_racing_steal() {
    model(12, || {
        let (mut q, steal) = local::<N>();
        let mut seen = Vec::new();
        push(&mut q, 1, &mut seen);
        let thief = stealer(steal);
        push(&mut q, 2, &mut seen);
        seen.extend(q.pop().map(NonZeroUsize::get));
        seen.extend(q.pop().map(NonZeroUsize::get));
        push(&mut q, 3, &mut seen);
        collect(thief.join().unwrap(), &mut seen);
        drain(&mut q, &mut seen);
        assert_once(seen, 3);
    });
}

/// The owner fills the queue and overflows to the injection sink while a
/// stealer takes half: the slots the overflow claims and the ones the steal
/// copies never overlap, and a push during the steal overflows alone.
#[test]
fn loom_queue_overflow_racing_steal() {
    model(12, || {
        let (mut q, steal) = local::<N>();
        let mut seen = Vec::new();
        push(&mut q, 1, &mut seen);
        let thief = stealer(steal);
        for n in 2..=N + 2 {
            push(&mut q, n, &mut seen);
        }
        collect(thief.join().unwrap(), &mut seen);
        drain(&mut q, &mut seen);
        assert_once(seen, N + 2);
    });
}

/// Two stealers race each other and the owner's push (an overflow if no
/// steal has freed a slot) and pop: one steal at a time, and the owner
/// never writes a slot a stealer is still reading.
#[test]
fn loom_queue_two_stealers_racing_owner() {
    model(10, || {
        let (mut q, steal) = local::<N>();
        let mut seen = Vec::new();
        for n in 1..=N {
            push(&mut q, n, &mut seen);
        }
        let thieves = [stealer(steal.clone()), stealer(steal)];
        push(&mut q, N + 1, &mut seen);
        seen.extend(q.pop().map(NonZeroUsize::get));
        for thief in thieves {
            collect(thief.join().unwrap(), &mut seen);
        }
        drain(&mut q, &mut seen);
        assert_once(seen, N + 1);
    });
}

/// A worker steals into its own full queue while another steals from that
/// queue: its copies never land in the slots still being read.
#[test]
fn loom_queue_steal_into_a_queue_being_stolen_from() {
    model(12, || {
        let (mut q, steal) = local::<N>();
        let (mut middle, middle_steal) = local::<N>();
        let mut seen = Vec::new();
        for n in 1..=N {
            push(&mut q, n, &mut seen);
            push(&mut middle, N + n, &mut seen);
        }
        let worker = thread::spawn(move || (steal.steal_into(&mut middle), middle));
        let thief = stealer(middle_steal);
        // Both joined before draining: the pops would race the thief.
        let (worker, thief) = (worker.join().unwrap(), thief.join().unwrap());
        collect(worker, &mut seen);
        collect(thief, &mut seen);
        drain(&mut q, &mut seen);
        assert_once(seen, 2 * N);
    });
}

/// The watcher takes half of a queue for the injection queue while the
/// owner pushes (overflowing if no steal has freed a slot) and pops, and a
/// worker steals: one steal at a time, every task out exactly once.
#[test]
fn loom_queue_steal_half_racing_owner_and_stealer() {
    model(10, || {
        let (mut q, steal) = local::<N>();
        let mut seen = Vec::new();
        for n in 1..=N {
            push(&mut q, n, &mut seen);
        }
        let watcher = {
            let steal = steal.clone();
            thread::spawn(move || steal.steal_half())
        };
        let thief = stealer(steal);
        push(&mut q, N + 1, &mut seen);
        seen.extend(q.pop().map(NonZeroUsize::get));
        seen.extend(watcher.join().unwrap().into_iter().map(NonZeroUsize::get));
        collect(thief.join().unwrap(), &mut seen);
        drain(&mut q, &mut seen);
        assert_once(seen, N + 1);
    });
}
