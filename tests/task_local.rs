//! `task_local!`: scopes (async and sync, nested, across panics), access
//! inside and outside them, the value in the inner future's `Drop`, the
//! value following a task that moves between workers, and spawned tasks
//! not inheriting it. On both runtime flavors.

mod support;

use std::cell::Cell;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::{Arc, Condvar, Mutex};
use std::task::{Context, Poll};

use guillotine::runtime::Runtime;
use guillotine::task::{self, AccessError};
use support::{Flavor, PATIENCE, both_flavors};

guillotine::task_local! {
    /// A number.
    static NUMBER: u32;
    pub(crate) static NAME: String;
    static DROPPED_WITH: u64
}

guillotine::task_local! {
    static LONE: u8;
}

guillotine::task_local! {
    static HELD: Arc<()>;
}

both_flavors! {
    scope_with_try_with_and_get,
    nested_scopes_restore_the_outer_value,
    sync_scope_sets_the_value_for_a_closure,
    a_panic_inside_a_scope_restores_the_outer_value,
    the_value_is_readable_in_the_inner_futures_drop,
    interleaved_tasks_each_see_their_own_value,
    the_value_follows_a_task_between_workers,
    spawned_tasks_do_not_inherit_the_value,
    take_value_hands_the_value_out,
}

/// Inside a scope every access form sees the value, also across awaits;
/// outside, `try_with` fails and nothing leaks.
fn scope_with_try_with_and_get(rt: Runtime) {
    assert_eq!(NUMBER.try_with(|n| *n), Err(err()));
    let out = rt.block_on(NUMBER.scope(5, async {
        assert_eq!(NUMBER.get(), 5);
        task::yield_now().await;
        assert_eq!(NUMBER.with(|n| n + 1), 6);
        assert_eq!(NUMBER.try_with(|n| n * 2), Ok(10));
        NAME.scope("x".to_string(), async {
            task::yield_now().await;
            NAME.with(|n| n.clone()) + &NUMBER.get().to_string()
        })
        .await
    }));
    assert_eq!(out, "x5");
    assert!(NUMBER.try_with(|_| ()).is_err());
    assert!(NAME.try_with(|_| ()).is_err());
    assert!(LONE.try_with(|_| ()).is_err());
    assert!(format!("{NUMBER:?}").contains("u32"));
}

fn err() -> AccessError {
    LONE.try_with(|_| ()).unwrap_err()
}

/// An inner scope of the same key shadows the outer value and restores it
/// when it completes.
fn nested_scopes_restore_the_outer_value(rt: Runtime) {
    rt.block_on(NUMBER.scope(1, async {
        assert_eq!(NUMBER.get(), 1);
        NUMBER
            .scope(2, async {
                assert_eq!(NUMBER.get(), 2);
                task::yield_now().await;
                NUMBER
                    .scope(3, async {
                        task::yield_now().await;
                        assert_eq!(NUMBER.get(), 3);
                    })
                    .await;
                assert_eq!(NUMBER.get(), 2);
            })
            .await;
        task::yield_now().await;
        assert_eq!(NUMBER.get(), 1);
    }));
    assert!(NUMBER.try_with(|_| ()).is_err());
}

/// `sync_scope` sets the value for a closure, nests, and drops the value
/// afterwards; inside an async scope it shadows and restores.
fn sync_scope_sets_the_value_for_a_closure(rt: Runtime) {
    let v = NUMBER.sync_scope(7, || {
        let inner = NUMBER.sync_scope(8, || NUMBER.get());
        (NUMBER.get(), inner)
    });
    assert_eq!(v, (7, 8));
    assert!(NUMBER.try_with(|_| ()).is_err());
    // The value is dropped when the scope ends, async or sync.
    let held = Arc::new(());
    HELD.sync_scope(held.clone(), || {
        assert_eq!(HELD.with(Arc::strong_count), 2);
    });
    assert_eq!(Arc::strong_count(&held), 1);
    rt.block_on(NUMBER.scope(1, async {
        assert_eq!(NUMBER.sync_scope(2, || NUMBER.get()), 2);
        assert_eq!(NUMBER.get(), 1);
    }));
    rt.block_on(HELD.scope(held.clone(), async {}));
    assert_eq!(Arc::strong_count(&held), 1);
}

/// A panic inside a scope, sync or async, leaves the enclosing value in
/// place (and no value at all outside every scope).
fn a_panic_inside_a_scope_restores_the_outer_value(rt: Runtime) {
    let caught = catch_unwind(|| NUMBER.sync_scope(1, || panic!("inner")));
    assert!(caught.is_err());
    assert!(NUMBER.try_with(|_| ()).is_err());
    NUMBER.sync_scope(10, || {
        let caught = catch_unwind(|| NUMBER.sync_scope(11, || panic!("inner")));
        assert!(caught.is_err());
        assert_eq!(NUMBER.get(), 10);
    });
    rt.block_on(NUMBER.scope(20, async {
        let mut inner = Box::pin(NUMBER.scope(21, async {
            assert_eq!(NUMBER.get(), 21);
            task::yield_now().await;
            panic!("in a poll");
        }));
        // First poll: Pending; second poll panics inside the scope.
        let first = std::future::poll_fn(|cx| Poll::Ready(inner.as_mut().poll(cx))).await;
        assert!(first.is_pending());
        assert_eq!(NUMBER.get(), 20);
        task::yield_now().await;
        let caught = catch_unwind(AssertUnwindSafe(|| {
            let waker = std::task::Waker::noop();
            let _ = inner.as_mut().poll(&mut Context::from_waker(waker));
        }));
        assert!(caught.is_err());
        assert_eq!(NUMBER.get(), 20);
        drop(inner);
        assert_eq!(NUMBER.get(), 20);
    }));
    // A task whose scoped future panics leaves its worker without a value.
    let err = rt
        .block_on(rt.spawn(NUMBER.scope(30, async { panic!("task") })))
        .unwrap_err();
    assert!(err.is_panic());
    let leaked = rt.block_on(rt.spawn(async { NUMBER.try_with(|n| *n) }));
    assert!(leaked.unwrap().is_err());
}

/// Reads `DROPPED_WITH` when dropped and records what it saw.
struct ReadOnDrop(Arc<Mutex<Vec<Result<u64, AccessError>>>>);

impl Drop for ReadOnDrop {
    fn drop(&mut self) {
        let seen = DROPPED_WITH.try_with(|v| *v);
        self.0.lock().unwrap().push(seen);
    }
}

/// The inner future's locals see the value when they drop: at completion,
/// when the scoped future is dropped unfinished, and when its task is
/// aborted (dropped on a runtime thread, perhaps another one).
fn the_value_is_readable_in_the_inner_futures_drop(rt: Runtime) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    rt.block_on(async move {
        // Completes: the local drops at the end of the inner future.
        let guard = ReadOnDrop(s.clone());
        DROPPED_WITH
            .scope(1, async move {
                let _guard = guard;
                task::yield_now().await;
            })
            .await;
        // Dropped before completing.
        let guard = ReadOnDrop(s.clone());
        let mut unfinished = Box::pin(DROPPED_WITH.scope(2, async move {
            let _guard = guard;
            std::future::pending::<()>().await;
        }));
        let first = std::future::poll_fn(|cx| Poll::Ready(unfinished.as_mut().poll(cx))).await;
        assert!(first.is_pending());
        drop(unfinished);
        // Never polled at all.
        let guard = ReadOnDrop(s.clone());
        drop(DROPPED_WITH.scope(3, async move {
            let _guard = guard;
        }));
        // An aborted task.
        let guard = ReadOnDrop(s.clone());
        let (started_tx, started_rx) = futures::channel::oneshot::channel();
        let task = guillotine::spawn(DROPPED_WITH.scope(4, async move {
            let _guard = guard;
            started_tx.send(()).unwrap();
            std::future::pending::<()>().await;
        }));
        started_rx.await.unwrap();
        task.abort();
        assert!(task.await.unwrap_err().is_cancelled());
    });
    assert_eq!(*seen.lock().unwrap(), [Ok(1), Ok(2), Ok(3), Ok(4)]);
}

/// Two tasks with different values of one key, interleaving their polls
/// on one thread (or on several), each see their own.
fn interleaved_tasks_each_see_their_own_value(rt: Runtime) {
    rt.block_on(async {
        let tasks: Vec<_> = (0..8u32)
            .map(|i| {
                guillotine::spawn(NUMBER.scope(i, async move {
                    for _ in 0..50 {
                        assert_eq!(NUMBER.get(), i);
                        task::yield_now().await;
                    }
                    NUMBER.get()
                }))
            })
            .collect();
        for (i, t) in tasks.into_iter().enumerate() {
            assert_eq!(t.await.unwrap(), i as u32);
        }
        assert!(NUMBER.try_with(|_| ()).is_err());
    });
}

/// Pending once, having woken itself: the task goes straight back onto its
/// worker's run queue (not behind the driver, as `yield_now` would), where
/// another worker can steal it.
struct Requeue(bool);

impl Future for Requeue {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            return Poll::Ready(());
        }
        self.0 = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

/// How far the moving task has got, and a signal when it moves on.
type Progress = Arc<(Mutex<u64>, Condvar)>;

/// A task holding a scope is polled on both workers in turn, and sees its
/// value in every poll. Before each requeue it spawns a blocker onto its
/// current worker, which holds that worker until the task has been polled
/// again: only the other worker, by stealing it, can do that.
fn the_value_follows_a_task_between_workers(flavor: Flavor) {
    const STEPS: u64 = 20;
    let rt = flavor.rt();
    let progress: Progress = Arc::new((Mutex::new(0), Condvar::new()));
    let p = progress.clone();
    let multi = flavor.is_multi_thread();
    let polls = rt
        .block_on(rt.spawn(NAME.scope("traveller".to_string(), async move {
            let mut polls = Vec::new();
            for step in 0..STEPS {
                let here = std::thread::current().id();
                polls.push((here, NAME.get()));
                {
                    let (count, cv) = &*p;
                    *count.lock().unwrap() = step + 1;
                    cv.notify_all();
                }
                if multi {
                    let p = p.clone();
                    drop(guillotine::spawn(async move {
                        // Only a blocker that runs where it was meant to
                        // block waits; one stolen by the other worker would
                        // keep the task from moving.
                        if std::thread::current().id() == here {
                            let (count, cv) = &*p;
                            let count = count.lock().unwrap();
                            let _ = cv
                                .wait_timeout_while(count, PATIENCE, |c| *c <= step + 1)
                                .unwrap();
                        }
                    }));
                }
                Requeue(false).await;
            }
            let (count, cv) = &*p;
            *count.lock().unwrap() = STEPS + 1;
            cv.notify_all();
            polls
        })))
        .unwrap();
    assert_eq!(polls.len(), STEPS as usize);
    assert!(polls.iter().all(|(_, v)| v == "traveller"), "{polls:?}");
    let threads: std::collections::HashSet<_> = polls.iter().map(|(t, _)| *t).collect();
    if multi {
        assert_eq!(threads.len(), 2, "the task never moved: {polls:?}");
    } else {
        assert_eq!(threads.len(), 1);
    }
    assert_eq!(*progress.0.lock().unwrap(), STEPS + 1);
}

/// A task spawned inside a scope starts outside it; scoping its future
/// again carries the value over.
fn spawned_tasks_do_not_inherit_the_value(rt: Runtime) {
    rt.block_on(NUMBER.scope(9, async {
        let plain = guillotine::spawn(async { NUMBER.try_with(|n| *n) });
        assert!(plain.await.unwrap().is_err());
        let local = task::spawn_local(async { NUMBER.try_with(|n| *n) });
        assert!(local.await.unwrap().is_err());
        let blocking = guillotine::spawn_blocking(|| NUMBER.try_with(|n| *n));
        assert!(blocking.await.unwrap().is_err());
        let scoped = guillotine::spawn(NUMBER.scope(NUMBER.get(), async { NUMBER.get() }));
        assert_eq!(scoped.await.unwrap(), 9);
        assert_eq!(NUMBER.get(), 9);
    }));
}

/// `take_value` gives the value back after completion, once.
fn take_value_hands_the_value_out(rt: Runtime) {
    let polls = Cell::new(0);
    let mut fut = Box::pin(NAME.scope("kept".to_string(), async {
        polls.set(polls.get() + 1);
        NAME.with(|n| n.len())
    }));
    assert_eq!(rt.block_on(fut.as_mut()), 4);
    assert_eq!(polls.get(), 1);
    assert_eq!(fut.as_mut().take_value().as_deref(), Some("kept"));
    assert_eq!(fut.as_mut().take_value(), None);
    assert!(format!("{fut:?}").contains("completed: true"));
}

#[test]
#[should_panic(expected = "cannot access a task-local value outside its scope")]
fn with_outside_a_scope_panics_with_a_clear_message() {
    NUMBER.with(|_| ());
}

#[test]
#[should_panic(expected = "cannot access a task-local value outside its scope")]
fn get_in_a_spawned_task_panics_with_a_clear_message() {
    let rt = Runtime::new().unwrap();
    let err =
        rt.block_on(NUMBER.scope(1, async { guillotine::spawn(async { NUMBER.get() }).await }));
    std::panic::resume_unwind(err.unwrap_err().into_panic());
}

#[test]
#[should_panic(expected = "while the task-local value is borrowed")]
fn entering_a_scope_inside_with_on_the_same_key_panics() {
    NUMBER.sync_scope(1, || NUMBER.with(|_| NUMBER.sync_scope(2, || ())));
}

#[test]
fn entering_another_keys_scope_inside_with_is_fine() {
    let v = NUMBER.sync_scope(1, || {
        NUMBER.with(|n| LONE.sync_scope(2, || *n + LONE.get() as u32))
    });
    assert_eq!(v, 3);
}
