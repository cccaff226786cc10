//! `JoinSet`: completion order, ids, abort and shutdown (counting every
//! drop), detaching, `join_all` and `join_all_results` in spawn order, the
//! cooperative budget, and tasks of a set stolen by another worker. On both
//! runtime flavors.

mod support;

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Condvar, Mutex};
use std::task::{Context, Poll};

use futures::channel::oneshot;
use guillotine::runtime::Runtime;
use guillotine::task::{self, JoinSet};
use support::{Flavor, PATIENCE, both_flavors, eventually};

both_flavors! {
    join_next_in_completion_order,
    ids_match_the_abort_handles_and_the_errors,
    abort_all_yields_cancelled_errors,
    shutdown_drops_every_future_and_output,
    dropping_the_set_aborts_its_tasks,
    detach_all_keeps_the_tasks_running,
    join_all_in_spawn_order_skips_aborted_tasks,
    join_all_resumes_a_panic_and_aborts_the_rest,
    join_all_results_in_spawn_order,
    try_join_next_never_waits,
    join_next_is_cancel_safe,
    spawn_blocking_and_spawn_local_in_a_set,
    spawn_on_and_spawn_blocking_on_from_another_thread,
    len_and_is_empty,
    from_iterator_and_extend,
    join_next_takes_the_budget,
    many_tasks_finishing_concurrently,
    tasks_of_a_set_are_stolen_by_another_worker,
}

/// Counts its drops.
struct Counted(Arc<AtomicUsize>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

fn boom() -> u32 {
    panic!("task boom")
}

/// Tasks finished in the order 2, 0, 1 (after the set has seen them
/// running) are joined in that order.
fn join_next_in_completion_order(rt: Runtime) {
    rt.block_on(async {
        let mut set = JoinSet::new();
        let mut senders = Vec::new();
        let mut aborts = Vec::new();
        for i in 0..3u32 {
            let (tx, rx) = oneshot::channel::<()>();
            senders.push(Some(tx));
            aborts.push(set.spawn(async move {
                rx.await.unwrap();
                i
            }));
        }
        // The set polls each new task once, registering its waker.
        assert!(set.try_join_next().is_none());
        for i in [2, 0, 1] {
            senders[i].take().unwrap().send(()).unwrap();
            let abort = &aborts[i];
            eventually("the task to finish", || abort.is_finished()).await;
        }
        let mut order = Vec::new();
        while let Some(res) = set.join_next().await {
            order.push(res.unwrap());
        }
        assert_eq!(order, [2, 0, 1]);
    });
}

/// `join_next_with_id` and `try_join_next_with_id` return the id of the
/// spawn's `AbortHandle`; a failed task's error carries it.
fn ids_match_the_abort_handles_and_the_errors(rt: Runtime) {
    rt.block_on(async {
        let mut set = JoinSet::new();
        let mut ids = HashMap::new();
        for i in 0..10u32 {
            let abort = set.spawn(async move { i });
            assert!(ids.insert(abort.id(), i).is_none(), "ids are unique");
        }
        let failing = set.spawn(std::future::pending());
        failing.abort();
        let mut errors = Vec::new();
        while let Some(res) = set.join_next_with_id().await {
            match res {
                Ok((id, i)) => assert_eq!(ids.remove(&id), Some(i)),
                Err(e) => errors.push(e),
            }
        }
        assert!(ids.is_empty());
        assert_eq!(errors.len(), 1);
        assert!(errors[0].is_cancelled());
        assert_eq!(errors[0].id(), failing.id());

        let id = set.spawn(async { 7 }).id();
        let got = loop {
            if let Some(res) = set.try_join_next_with_id() {
                break res.unwrap();
            }
            task::yield_now().await;
        };
        assert_eq!(got, (id, 7));
    });
}

/// `abort_all` cancels every unfinished task; each yields a cancelled error
/// with its id, and its future is dropped.
fn abort_all_yields_cancelled_errors(rt: Runtime) {
    let drops = Arc::new(AtomicUsize::new(0));
    let d = drops.clone();
    rt.block_on(async move {
        let mut set = JoinSet::new();
        let mut ids = HashSet::new();
        for _ in 0..20 {
            let guard = Counted(d.clone());
            let abort = set.spawn(async move {
                let _guard = guard;
                std::future::pending::<u32>().await
            });
            ids.insert(abort.id());
        }
        set.abort_all();
        assert_eq!(set.len(), 20, "aborted tasks stay until joined");
        while let Some(res) = set.join_next().await {
            let err = res.unwrap_err();
            assert!(err.is_cancelled(), "{err:?}");
            assert!(ids.remove(&err.id()));
        }
        assert!(ids.is_empty());
        assert_eq!(d.load(SeqCst), 20);
    });
    assert_eq!(drops.load(SeqCst), 20);
}

/// `shutdown` drops every unfinished future and every output not yet
/// joined before it returns, and empties the set.
fn shutdown_drops_every_future_and_output(rt: Runtime) {
    rt.block_on(async {
        let drops = Arc::new(AtomicUsize::new(0));
        let mut set = JoinSet::new();
        let mut finished = Vec::new();
        for _ in 0..10 {
            let guard = Counted(drops.clone());
            finished.push(set.spawn(async move { Some(guard) }));
        }
        for _ in 0..10 {
            let guard = Counted(drops.clone());
            set.spawn(async move {
                let _guard = guard;
                std::future::pending().await
            });
        }
        eventually("the first tasks to finish", || {
            finished.iter().all(|a| a.is_finished())
        })
        .await;
        assert_eq!(drops.load(SeqCst), 0, "outputs are kept until joined");
        set.shutdown().await;
        assert!(set.is_empty());
        assert_eq!(drops.load(SeqCst), 20);
        assert!(set.join_next().await.is_none());
    });
}

/// Dropping the set aborts its tasks: their futures are dropped, their
/// outputs too, and they leave the runtime.
fn dropping_the_set_aborts_its_tasks(rt: Runtime) {
    let drops = Arc::new(AtomicUsize::new(0));
    let d = drops.clone();
    rt.block_on(async move {
        let mut set = JoinSet::new();
        let mut aborts = Vec::new();
        for _ in 0..16 {
            let guard = Counted(d.clone());
            aborts.push(set.spawn(async move {
                let _guard = guard;
                std::future::pending::<()>().await
            }));
        }
        let guard = Counted(d.clone());
        let done = set.spawn(async move { drop(guard) });
        eventually("the short task to finish", || done.is_finished()).await;
        assert_eq!(d.load(SeqCst), 1);
        drop(set);
        eventually("every future dropped", || d.load(SeqCst) == 17).await;
        eventually("every task finished", || {
            aborts.iter().all(|a| a.is_finished())
        })
        .await;
    });
    assert_eq!(drops.load(SeqCst), 17);
    let metrics = rt.metrics();
    support::wait_until("the tasks to leave the runtime", || {
        metrics.num_alive_tasks() == 0
    });
}

/// `detach_all` empties the set; the tasks run to completion even after
/// the set is dropped.
fn detach_all_keeps_the_tasks_running(rt: Runtime) {
    rt.block_on(async {
        let ran = Arc::new(AtomicUsize::new(0));
        let mut set = JoinSet::new();
        let mut senders = Vec::new();
        let mut aborts = Vec::new();
        for _ in 0..8 {
            let (tx, rx) = oneshot::channel::<()>();
            senders.push(tx);
            let ran = ran.clone();
            aborts.push(set.spawn(async move {
                rx.await.unwrap();
                ran.fetch_add(1, SeqCst);
            }));
        }
        // Let the set register its wakers first: their later wakes must not
        // bring the tasks back.
        assert!(set.try_join_next().is_none());
        set.detach_all();
        assert!(set.is_empty());
        assert!(set.try_join_next().is_none());
        let survivor = set.spawn(async {});
        drop(set);
        for tx in senders {
            tx.send(()).unwrap();
        }
        eventually("the detached tasks to run", || ran.load(SeqCst) == 8).await;
        eventually("the detached tasks to finish", || {
            aborts.iter().all(|a| a.is_finished())
        })
        .await;
        eventually("the task still in the set to end", || {
            survivor.is_finished()
        })
        .await;
    });
}

/// `join_all` returns outputs in spawn order, whatever the completion
/// order, and leaves out aborted tasks.
fn join_all_in_spawn_order_skips_aborted_tasks(rt: Runtime) {
    rt.block_on(async {
        let mut set = JoinSet::new();
        let mut senders = Vec::new();
        for i in 0..6u32 {
            let (tx, rx) = oneshot::channel::<()>();
            senders.push(tx);
            let abort = set.spawn(async move {
                rx.await.unwrap();
                i
            });
            if i == 3 {
                abort.abort();
            }
        }
        // Finish them in reverse order.
        let joiner = guillotine::spawn(set.join_all());
        for tx in senders.into_iter().rev() {
            let _ = tx.send(());
            task::yield_now().await;
        }
        assert_eq!(joiner.await.unwrap(), [0, 1, 2, 4, 5]);
    });
}

/// A panicking task makes `join_all` resume its panic (payload intact),
/// and the set's other tasks are aborted.
fn join_all_resumes_a_panic_and_aborts_the_rest(rt: Runtime) {
    rt.block_on(async {
        let drops = Arc::new(AtomicUsize::new(0));
        let d = drops.clone();
        let joiner = guillotine::spawn(async move {
            let mut set = JoinSet::new();
            set.spawn(async { 1 });
            for _ in 0..4 {
                let guard = Counted(d.clone());
                set.spawn(async move {
                    let _guard = guard;
                    std::future::pending::<u32>().await
                });
            }
            set.spawn(async { boom() });
            set.join_all().await
        });
        let err = joiner.await.unwrap_err();
        assert!(err.is_panic());
        assert_eq!(*err.into_panic().downcast::<&str>().unwrap(), "task boom");
        eventually("the other tasks to be aborted", || drops.load(SeqCst) == 4).await;
    });
}

/// `join_all_results` returns every result in spawn order: outputs, a
/// panic (with its payload) and a cancellation, each with its task's id.
fn join_all_results_in_spawn_order(rt: Runtime) {
    rt.block_on(async {
        let mut set = JoinSet::new();
        let (tx, rx) = oneshot::channel::<()>();
        let late = set.spawn(async move {
            rx.await.unwrap();
            10
        });
        let panicking = set.spawn(async { boom() });
        let aborted = set.spawn(std::future::pending());
        aborted.abort();
        let early = set.spawn(async { 20 });
        let joiner = guillotine::spawn(set.join_all_results());
        eventually("the early task to finish", || early.is_finished()).await;
        tx.send(()).unwrap();
        let results = joiner.await.unwrap();
        assert_eq!(results.len(), 4);
        assert_eq!(*results[0].as_ref().unwrap(), 10);
        let panic = results[1].as_ref().unwrap_err();
        assert!(panic.is_panic());
        assert_eq!(panic.id(), panicking.id());
        let cancel = results[2].as_ref().unwrap_err();
        assert!(cancel.is_cancelled());
        assert_eq!(cancel.id(), aborted.id());
        assert_eq!(*results[3].as_ref().unwrap(), 20);
        assert!(late.is_finished());
        let mut results = results;
        let payload = results.remove(1).unwrap_err().into_panic();
        assert_eq!(*payload.downcast::<&str>().unwrap(), "task boom");
    });
}

/// `try_join_next` returns `None` while nothing has finished, then the
/// finished tasks' results, and `None` again on an empty set.
fn try_join_next_never_waits(rt: Runtime) {
    rt.block_on(async {
        let mut set = JoinSet::new();
        assert!(set.try_join_next().is_none());
        let (tx, rx) = oneshot::channel::<()>();
        let waiting = set.spawn(async move {
            rx.await.unwrap();
            1
        });
        let quick = set.spawn(async { 2 });
        eventually("the quick task to finish", || quick.is_finished()).await;
        let mut got = None;
        eventually("a finished task", || {
            got = set.try_join_next();
            got.is_some()
        })
        .await;
        assert_eq!(got.take().unwrap().unwrap(), 2);
        assert!(set.try_join_next().is_none());
        assert!(!waiting.is_finished());
        tx.send(()).unwrap();
        eventually("the second task", || {
            got = set.try_join_next();
            got.is_some()
        })
        .await;
        assert_eq!(got.unwrap().unwrap(), 1);
        assert!(set.is_empty());
        assert!(set.try_join_next().is_none());
    });
}

/// A `join_next` dropped before it completes (a timeout) loses nothing:
/// the next one returns the result.
fn join_next_is_cancel_safe(rt: Runtime) {
    rt.block_on(async {
        let mut set = JoinSet::new();
        let (tx, rx) = oneshot::channel::<()>();
        set.spawn(async move {
            rx.await.unwrap();
            "late"
        });
        let waited =
            guillotine::time::timeout(std::time::Duration::from_millis(1), set.join_next()).await;
        assert!(waited.is_err());
        tx.send(()).unwrap();
        assert_eq!(set.join_next().await.unwrap().unwrap(), "late");
        assert!(set.join_next().await.is_none());
    });
}

/// Blocking closures and `!Send` local tasks join like any other.
fn spawn_blocking_and_spawn_local_in_a_set(rt: Runtime) {
    rt.block_on(async {
        let mut set = JoinSet::new();
        set.spawn_blocking(|| std::thread::current().name().map(str::to_owned));
        let caller = std::thread::current().id();
        let shared = Rc::new(());
        let s = shared.clone();
        set.spawn_local(async move {
            task::yield_now().await;
            let same = std::thread::current().id() == caller;
            drop(s);
            Some(format!("local on caller: {same}"))
        });
        let mut outputs: Vec<_> = set.join_all().await.into_iter().flatten().collect();
        outputs.sort();
        assert_eq!(outputs, ["guillotine-blocking", "local on caller: true"]);
        assert_eq!(Rc::strong_count(&shared), 1);
    });
}

/// `spawn_on` and `spawn_blocking_on` work from a thread outside the
/// runtime, and the set is joined there too.
fn spawn_on_and_spawn_blocking_on_from_another_thread(rt: Runtime) {
    let handle = rt.handle();
    let mut set = std::thread::spawn(move || {
        let mut set = JoinSet::new();
        set.spawn_on(async { 1 }, &handle);
        set.spawn_blocking_on(|| 2, &handle);
        set
    })
    .join()
    .unwrap();
    let mut sum = 0;
    while let Some(res) = rt.block_on(set.join_next()) {
        sum += res.unwrap();
    }
    assert_eq!(sum, 3);
}

/// `len` counts tasks until they are joined, finished or not.
fn len_and_is_empty(rt: Runtime) {
    rt.block_on(async {
        let mut set = JoinSet::new();
        assert_eq!((set.len(), set.is_empty()), (0, true));
        let a = set.spawn(async { 1 });
        set.spawn(async { 2 });
        assert_eq!((set.len(), set.is_empty()), (2, false));
        eventually("a task to finish", || a.is_finished()).await;
        assert_eq!(set.len(), 2, "finished is not joined");
        set.join_next().await.unwrap().unwrap();
        assert_eq!(set.len(), 1);
        set.join_next().await.unwrap().unwrap();
        assert_eq!((set.len(), set.is_empty()), (0, true));
        assert!(set.join_next().await.is_none());
        assert_eq!(format!("{set:?}"), "JoinSet { len: 0 }");
    });
}

/// A set collected from futures, then extended, spawns each.
fn from_iterator_and_extend(rt: Runtime) {
    rt.block_on(async {
        let mut set: JoinSet<usize> = (0..5).map(|i| async move { i }).collect();
        assert_eq!(set.len(), 5);
        set.extend((5..8).map(|i| async move { i }));
        assert_eq!(set.join_all().await, (0..8).collect::<Vec<_>>());
        let empty: JoinSet<()> = JoinSet::default();
        assert!(empty.is_empty());
    });
}

/// Counts the polls of a future.
struct CountPolls<F> {
    inner: Pin<Box<F>>,
    polls: Arc<AtomicUsize>,
}

impl<F: Future> Future for CountPolls<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        self.polls.fetch_add(1, SeqCst);
        self.inner.as_mut().poll(cx)
    }
}

/// Joining 300 finished tasks takes at least three polls: each join takes
/// a unit of the 128-unit budget, as awaiting a `JoinHandle` does; joining
/// them under `unconstrained` takes one.
fn join_next_takes_the_budget(rt: Runtime) {
    let (constrained, free) = rt.block_on(async {
        let mut counts = Vec::new();
        for unconstrained in [false, true] {
            let mut set = JoinSet::new();
            let aborts: Vec<_> = (0..300u64).map(|i| set.spawn(async move { i })).collect();
            eventually("every task to finish", || {
                aborts.iter().all(|a| a.is_finished())
            })
            .await;
            let polls = Arc::new(AtomicUsize::new(0));
            let join = async move {
                let mut sum = 0;
                while let Some(res) = set.join_next().await {
                    sum += res.unwrap();
                }
                sum
            };
            let sum = if unconstrained {
                let inner = Box::pin(task::unconstrained(join));
                let fut = CountPolls {
                    inner,
                    polls: polls.clone(),
                };
                guillotine::spawn(fut).await.unwrap()
            } else {
                let fut = CountPolls {
                    inner: Box::pin(join),
                    polls: polls.clone(),
                };
                guillotine::spawn(fut).await.unwrap()
            };
            assert_eq!(sum, 44_850);
            counts.push(polls.load(SeqCst));
        }
        (counts[0], counts[1])
    });
    assert!(constrained >= 3, "{constrained} polls");
    assert_eq!(free, 1);
}

/// Many tasks that yield and finish while the set is being joined, from
/// any worker: every result arrives exactly once.
fn many_tasks_finishing_concurrently(rt: Runtime) {
    rt.block_on(async {
        let mut set = JoinSet::new();
        for i in 0..2000u64 {
            set.spawn(async move {
                for _ in 0..(i % 5) {
                    task::yield_now().await;
                }
                i
            });
        }
        let mut seen = vec![false; 2020];
        let mut count = 0u64;
        while let Some(res) = set.join_next().await {
            let i = res.unwrap() as usize;
            assert!(!seen[i], "{i} joined twice");
            seen[i] = true;
            count += 1;
            if count.is_multiple_of(100) {
                // More tasks join the set while others finish.
                let extra = 2000 + count / 100 - 1;
                set.spawn(async move { extra });
            }
        }
        assert!(seen.iter().all(|s| *s));
    });
}

/// Threads seen running the set's tasks, and a signal when one is added.
type Seen = Arc<(Mutex<HashSet<std::thread::ThreadId>>, Condvar)>;

/// On the multi-thread flavor, tasks spawned into a set from one worker
/// are stolen by the other while the spawner keeps its worker busy; their
/// completions reach the set across threads, with the right ids. The
/// first stolen task blocks the thief until a task has also run on the
/// spawner's worker, so both workers run tasks of the set.
fn tasks_of_a_set_are_stolen_by_another_worker(flavor: Flavor) {
    let rt = flavor.rt();
    let metrics = rt.metrics();
    let multi = flavor.is_multi_thread();
    let seen: Seen = Arc::new((Mutex::new(HashSet::new()), Condvar::new()));
    let s = seen.clone();
    let (threads, spawner) = rt
        .block_on(rt.spawn(async move {
            let spawner = std::thread::current().id();
            let mut set = JoinSet::new();
            let mut ids = HashMap::new();
            for i in 0..64usize {
                let seen = s.clone();
                let abort = set.spawn(async move {
                    let me = std::thread::current().id();
                    let (threads, cv) = &*seen;
                    let mut threads = threads.lock().unwrap();
                    threads.insert(me);
                    cv.notify_all();
                    if multi {
                        // Hold this worker until the other one ran a task.
                        let _ = cv
                            .wait_timeout_while(threads, PATIENCE, |t| t.len() < 2)
                            .unwrap();
                    }
                    (i, me)
                });
                ids.insert(abort.id(), i);
            }
            if multi {
                // Keep this worker busy until another worker stole a task.
                let (threads, cv) = &*s;
                let threads = threads.lock().unwrap();
                let (threads, _) = cv
                    .wait_timeout_while(threads, PATIENCE, |t| !t.iter().any(|&t| t != spawner))
                    .unwrap();
                assert!(
                    threads.iter().any(|&t| t != spawner),
                    "no other worker stole a task of the set"
                );
            }
            let mut threads = Vec::new();
            while let Some(res) = set.join_next_with_id().await {
                let (id, (i, thread)) = res.unwrap();
                assert_eq!(ids.remove(&id), Some(i));
                threads.push(thread);
            }
            assert!(ids.is_empty());
            (threads, spawner)
        }))
        .unwrap();
    assert_eq!(threads.len(), 64);
    let distinct: HashSet<_> = threads.iter().copied().collect();
    if multi {
        assert_eq!(distinct.len(), 2, "both workers ran tasks of the set");
        assert!(distinct.contains(&spawner));
        let stolen: u64 = (0..support::WORKERS)
            .map(|w| metrics.worker_steal_count(w))
            .sum();
        assert!(stolen >= 1, "{stolen} tasks stolen");
    } else {
        assert_eq!(distinct.len(), 1);
    }
}
