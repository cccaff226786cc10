//! `Runtime` is `Send + Sync`, as tokio's: kept in a `static`, shared in an
//! `Arc`, built on one thread, driven on another and dropped on a third.
//! A current-thread runtime's `block_on` calls take its core in turn (a
//! waiting one polls its own future); `spawn_local` tasks never leave the
//! thread that spawned them. On both flavors where it applies.

mod support;

use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex, OnceLock, mpsc};
use std::task::Poll;
use std::thread::{self, ThreadId};
use std::time::Duration;

use guillotine::runtime::{Handle, Runtime};
use guillotine::task::{self, JoinHandle};
use support::{Flavor, assert_child_ok, both_flavors, is_child, open_fds, run_child};

both_flavors! {
    a_static_runtime_serves_block_on_from_many_threads,
    an_arc_runtime_takes_block_on_from_many_threads_at_once,
    built_here_driven_there_dropped_elsewhere,
    a_local_task_is_never_polled_on_another_thread,
    a_dropped_runtimes_local_task_is_dropped_on_its_own_thread,
    per_thread_block_on_cores_close_with_the_runtime,
}

/// Counts its drops and records the thread of the last one.
#[derive(Clone, Default)]
struct DropProbe(Arc<(AtomicUsize, Mutex<Option<ThreadId>>)>);

impl DropProbe {
    fn guard(&self) -> DropGuard {
        DropGuard(self.clone())
    }

    fn drops(&self) -> usize {
        self.0.0.load(SeqCst)
    }

    fn dropped_on(&self) -> Option<ThreadId> {
        *self.0.1.lock().unwrap()
    }
}

struct DropGuard(DropProbe);

impl Drop for DropGuard {
    fn drop(&mut self) {
        *self.0.0.1.lock().unwrap() = Some(thread::current().id());
        self.0.0.0.fetch_add(1, SeqCst);
    }
}

/// What one thread's `block_on` does on a shared runtime: spawned tasks, a
/// timer and a local task, all joined.
async fn a_bit_of_everything(i: u64) -> u64 {
    let spawned: Vec<_> = (0..10u64)
        .map(|j| guillotine::spawn(async move { i * 100 + j }))
        .collect();
    guillotine::time::sleep(Duration::from_millis(1)).await;
    let local = task::spawn_local(async move {
        task::yield_now().await;
        std::rc::Rc::new(i)
    });
    let mut sum = *local.await.unwrap();
    for handle in spawned {
        sum += handle.await.unwrap();
    }
    sum
}

fn expected(i: u64) -> u64 {
    i + (0..10).map(|j| i * 100 + j).sum::<u64>()
}

fn a_static_runtime_serves_block_on_from_many_threads(flavor: Flavor) {
    static CURRENT: OnceLock<Runtime> = OnceLock::new();
    static MULTI: OnceLock<Runtime> = OnceLock::new();
    let cell = match flavor {
        Flavor::CurrentThread => &CURRENT,
        Flavor::MultiThread => &MULTI,
    };
    let threads: Vec<_> = (0..4u64)
        .map(|i| {
            thread::spawn(move || {
                let rt = cell.get_or_init(|| flavor.rt());
                (0..20)
                    .map(|_| rt.block_on(a_bit_of_everything(i)))
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    for (i, t) in threads.into_iter().enumerate() {
        assert_eq!(t.join().unwrap(), vec![expected(i as u64); 20]);
    }
    let rt = cell.get().unwrap();
    rt.block_on(support::eventually("num_tasks 0", || rt.num_tasks() == 0));
}

fn an_arc_runtime_takes_block_on_from_many_threads_at_once(flavor: Flavor) {
    let rt = Arc::new(flavor.rt());
    let start = Arc::new(std::sync::Barrier::new(4));
    let threads: Vec<_> = (0..4u64)
        .map(|i| {
            let (rt, start) = (rt.clone(), start.clone());
            thread::spawn(move || {
                start.wait();
                (0..50)
                    .map(|_| rt.block_on(a_bit_of_everything(i)))
                    .sum::<u64>()
            })
        })
        .collect();
    for (i, t) in threads.into_iter().enumerate() {
        assert_eq!(t.join().unwrap(), 50 * expected(i as u64));
    }
    rt.block_on(support::eventually("num_tasks 0", || rt.num_tasks() == 0));
}

/// Two threads in `block_on` at once on a current-thread runtime: B's
/// future is polled while A drives, B takes the core when A returns, and a
/// task A's `block_on` spawned goes on running on B.
#[test]
fn a_spawned_task_moves_on_with_the_core() {
    let rt = Arc::new(Runtime::new().unwrap());
    let polls = Arc::new(Mutex::new(Vec::<ThreadId>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let (counter_tx, counter_rx) = mpsc::channel::<JoinHandle<usize>>();
    let (b_waits_tx, b_waits_rx) = futures::channel::oneshot::channel::<()>();
    let (moved_tx, moved_rx) = futures::channel::oneshot::channel::<()>();

    let a = {
        let (rt, polls, stop) = (rt.clone(), polls.clone(), stop.clone());
        thread::spawn(move || {
            let a = thread::current().id();
            rt.block_on(async move {
                let mut moved_tx = Some(moved_tx);
                let counter = guillotine::spawn({
                    let polls = polls.clone();
                    async move {
                        loop {
                            let here = thread::current().id();
                            polls.lock().unwrap().push(here);
                            if here != a
                                && let Some(tx) = moved_tx.take()
                            {
                                tx.send(()).unwrap();
                            }
                            if stop.load(SeqCst) {
                                return polls.lock().unwrap().len();
                            }
                            task::yield_now().await;
                        }
                    }
                });
                counter_tx.send(counter).unwrap();
                support::eventually("three polls on A", || polls.lock().unwrap().len() >= 3).await;
                // B is in its `block_on`, waiting: A returns and hands over.
                b_waits_rx.await.unwrap();
            });
            a
        })
    };
    // A drives from before it sends the task until B says it waits.
    let counter = counter_rx.recv().unwrap();
    let b = thread::current().id();
    let b_polls = Arc::new(AtomicUsize::new(0));
    let bp = b_polls.clone();
    let mut b_waits_tx = Some(b_waits_tx);
    let mut moved_rx = moved_rx;
    let mut counter = Some(counter);
    let mut stopped = None;
    let n = rt.block_on(std::future::poll_fn(move |cx| {
        bp.fetch_add(1, SeqCst);
        if let Some(tx) = b_waits_tx.take() {
            tx.send(()).unwrap();
        }
        if stopped.is_none() {
            if std::pin::Pin::new(&mut moved_rx).poll(cx).is_pending() {
                return Poll::Pending;
            }
            stop.store(true, SeqCst);
            stopped = counter.take();
        }
        std::pin::Pin::new(stopped.as_mut().unwrap()).poll(cx)
    }));
    let a = a.join().unwrap();
    let n = n.unwrap();
    let polls = polls.lock().unwrap();
    assert_eq!(n, polls.len(), "one entry per poll");
    let first_on_b = polls.iter().position(|&t| t == b).expect("polled on B");
    assert!(first_on_b >= 3, "polled on A first: {polls:?}");
    assert!(polls[..first_on_b].iter().all(|&t| t == a));
    assert!(polls[first_on_b..].iter().all(|&t| t == b), "A returned");
    assert!(b_polls.load(SeqCst) >= 2);
}

/// B's `block_on` completes on a task A's `block_on` runs, while A keeps
/// the core all along: B is woken like any waiter, and does not spin.
#[test]
fn a_waiting_block_on_is_woken_by_the_driving_threads_tasks() {
    let rt = Arc::new(Runtime::new().unwrap());
    let (rx_tx, rx_rx) = mpsc::channel::<futures::channel::oneshot::Receiver<u32>>();
    let (b_polled_tx, b_polled_rx) = futures::channel::oneshot::channel::<()>();
    let (b_done_tx, b_done_rx) = futures::channel::oneshot::channel::<()>();
    let sender_thread = Arc::new(Mutex::new(None));
    let a = {
        let (rt, sender_thread) = (rt.clone(), sender_thread.clone());
        thread::spawn(move || {
            rt.block_on(async move {
                let (tx, rx) = futures::channel::oneshot::channel();
                rx_tx.send(rx).unwrap();
                b_polled_rx.await.unwrap();
                guillotine::spawn(async move {
                    *sender_thread.lock().unwrap() = Some(thread::current().id());
                    tx.send(42).unwrap();
                });
                // Keep the core until B is done.
                b_done_rx.await.unwrap();
            });
            thread::current().id()
        })
    };
    let mut rx = rx_rx.recv().unwrap();
    let polls = Arc::new(AtomicUsize::new(0));
    let p = polls.clone();
    let mut b_polled_tx = Some(b_polled_tx);
    let got = rt.block_on(std::future::poll_fn(move |cx| {
        p.fetch_add(1, SeqCst);
        let poll = std::pin::Pin::new(&mut rx).poll(cx);
        // Pending, with its waker left: A may send now.
        if let Some(tx) = b_polled_tx.take() {
            tx.send(()).unwrap();
        }
        poll
    }));
    assert_eq!(got, Ok(42));
    b_done_tx.send(()).unwrap();
    let a = a.join().unwrap();
    assert_eq!(*sender_thread.lock().unwrap(), Some(a), "ran on A");
    // Polled first, then once per wake: nothing woke it but the send.
    assert_eq!(polls.load(SeqCst), 2);
}

/// Built on thread A, moved to B and driven there, dropped on C: every
/// future is dropped exactly once, `Send` ones with the runtime, B's local
/// task only on B (when B exits).
fn built_here_driven_there_dropped_elsewhere(flavor: Flavor) {
    let spawned_on_a = DropProbe::default();
    let spawned_on_b = DropProbe::default();
    let main_future = DropProbe::default();
    let local = DropProbe::default();
    let finished = DropProbe::default();
    let (rt, pending_a) = {
        let probe = spawned_on_a.clone();
        thread::spawn(move || {
            let rt = flavor.rt();
            let guard = probe.guard();
            let pending = rt.spawn(async move {
                let _guard = guard;
                std::future::pending::<()>().await
            });
            (rt, pending)
        })
        .join()
        .unwrap()
    };
    let (exit_tx, exit_rx) = mpsc::channel::<()>();
    let (moved_tx, moved_rx) = mpsc::channel();
    let b = {
        let (on_b, main_future, local, finished) = (
            spawned_on_b.clone(),
            main_future.clone(),
            local.clone(),
            finished.clone(),
        );
        thread::spawn(move || {
            let main_guard = main_future.guard();
            let (pending_b, local_task) = rt.block_on(async move {
                let _main = main_guard;
                let done = finished.guard();
                guillotine::spawn(async move { drop(done) }).await.unwrap();
                let guard = on_b.guard();
                let pending = guillotine::spawn(async move {
                    let _guard = guard;
                    std::future::pending::<()>().await
                });
                let guard = local.guard();
                let rc = std::rc::Rc::new(());
                let local_task = task::spawn_local(async move {
                    let _guard = guard;
                    let _rc = rc;
                    std::future::pending::<()>().await
                });
                task::yield_now().await;
                (pending, local_task)
            });
            moved_tx.send((rt, pending_b, local_task)).unwrap();
            exit_rx.recv().unwrap();
            thread::current().id()
        })
    };
    let (rt, pending_b, local_task) = moved_rx.recv().unwrap();
    assert_eq!(main_future.drops(), 1);
    assert_eq!(finished.drops(), 1);
    assert_eq!(spawned_on_a.drops() + spawned_on_b.drops(), 0);
    thread::spawn(move || drop(rt)).join().unwrap();
    assert_eq!(spawned_on_a.drops(), 1);
    assert_eq!(spawned_on_b.drops(), 1);
    assert!(
        futures::executor::block_on(pending_a)
            .unwrap_err()
            .is_cancelled()
    );
    assert!(
        futures::executor::block_on(pending_b)
            .unwrap_err()
            .is_cancelled()
    );
    assert_eq!(local.drops(), 0, "B's local task waits for B");
    exit_tx.send(()).unwrap();
    let b = b.join().unwrap();
    assert_eq!(local.drops(), 1, "dropped when B exited");
    assert_eq!(local.dropped_on(), Some(b));
    assert!(
        futures::executor::block_on(local_task)
            .unwrap_err()
            .is_cancelled()
    );
    assert_eq!(main_future.drops(), 1);
    assert_eq!(finished.drops(), 1);
}

/// A local task spawned in A's `block_on` is not polled while B drives
/// the runtime, though B's tasks wake it; it runs again when A drives.
fn a_local_task_is_never_polled_on_another_thread(flavor: Flavor) {
    let rt = Arc::new(flavor.rt());
    let polled_on = Arc::new(Mutex::new(Vec::<ThreadId>::new()));
    let (tick_tx, mut tick_rx) = futures::channel::mpsc::unbounded::<()>();
    let (a_tx, a_rx) = mpsc::channel::<()>();
    let (a_done_tx, a_done_rx) = mpsc::channel::<()>();
    let a = {
        let (rt, polled_on) = (rt.clone(), polled_on.clone());
        thread::spawn(move || {
            let ticks = Arc::new(AtomicUsize::new(0));
            let t = ticks.clone();
            let seen = polled_on.clone();
            rt.block_on(async {
                let rc = std::rc::Rc::new(());
                drop(task::spawn_local(async move {
                    use futures::StreamExt;
                    let _not_send = rc;
                    loop {
                        polled_on.lock().unwrap().push(thread::current().id());
                        if tick_rx.next().await.is_none() {
                            return;
                        }
                        t.fetch_add(1, SeqCst);
                    }
                }));
                support::eventually("the first poll", || !seen.lock().unwrap().is_empty()).await;
            });
            a_done_tx.send(()).unwrap();
            // B drives meanwhile; then A again.
            a_rx.recv().unwrap();
            rt.block_on(support::eventually("ten ticks on A", || {
                ticks.load(SeqCst) == 10
            }));
            thread::current().id()
        })
    };
    a_done_rx.recv().unwrap();
    let before = polled_on.lock().unwrap().len();
    rt.block_on(async {
        for _ in 0..10 {
            // Woken from B's tasks and from B's `block_on` future.
            let tx = tick_tx.clone();
            guillotine::spawn(async move { tx.unbounded_send(()).unwrap() })
                .await
                .unwrap();
            for _ in 0..4 {
                task::yield_now().await;
            }
        }
        guillotine::time::sleep(Duration::from_millis(5)).await;
    });
    assert_eq!(
        polled_on.lock().unwrap().len(),
        before,
        "polled while B drove"
    );
    a_tx.send(()).unwrap();
    let a = a.join().unwrap();
    let polled_on = polled_on.lock().unwrap();
    assert_eq!(polled_on.len(), before + 10, "one poll per tick, on A");
    assert!(polled_on.iter().all(|&t| t == a), "{polled_on:?}");
    drop(tick_tx);
}

/// A runtime dropped on another thread leaves A's local task alone; A
/// drops it on its next `block_on` (of any runtime), before A exits.
fn a_dropped_runtimes_local_task_is_dropped_on_its_own_thread(flavor: Flavor) {
    let probe = DropProbe::default();
    let (rt_tx, rt_rx) = mpsc::channel();
    let (dropped_tx, dropped_rx) = mpsc::channel::<()>();
    let a = {
        let probe = probe.clone();
        thread::spawn(move || {
            let rt = flavor.rt();
            let guard = probe.guard();
            // Returning the local task's handle out of `block_on` is the
            // point here.
            #[allow(clippy::async_yields_async)]
            let local = rt.block_on(async move {
                task::spawn_local(async move {
                    let _guard = guard;
                    let _not_send = std::rc::Rc::new(());
                    std::future::pending::<()>().await
                })
            });
            rt_tx.send(rt).unwrap();
            dropped_rx.recv().unwrap();
            assert_eq!(probe.drops(), 0, "not dropped on the dropping thread");
            // Any runtime's block_on on this thread drops what is left.
            Runtime::new().unwrap().block_on(async {});
            assert_eq!(probe.drops(), 1);
            assert!(
                futures::executor::block_on(local)
                    .unwrap_err()
                    .is_cancelled()
            );
            thread::current().id()
        })
    };
    drop(rt_rx.recv().unwrap());
    dropped_tx.send(()).unwrap();
    let a = a.join().unwrap();
    assert_eq!(probe.drops(), 1);
    assert_eq!(probe.dropped_on(), Some(a));
}

/// Dropping a current-thread runtime while another thread drives it
/// (`Handle::block_on` under a `Runtime::enter` that outlived the runtime's
/// borrow): `drop` waits for that `block_on`; `shutdown_background` leaves
/// the tasks to that thread, which drops them when its `block_on` returns.
/// Either way each task is dropped once.
#[test]
fn dropping_while_another_thread_drives_waits_or_leaves_it_the_tasks() {
    for background in [false, true] {
        let probe = DropProbe::default();
        let (rt_tx, rt_rx) = mpsc::channel::<Runtime>();
        let (go_tx, go_rx) = futures::channel::oneshot::channel::<()>();
        let driver = {
            let probe = probe.clone();
            thread::spawn(move || {
                let rt = Runtime::new().unwrap();
                let _entered = rt.enter();
                let handle = Handle::current();
                let guard = probe.guard();
                drop(rt.spawn(async move {
                    let _guard = guard;
                    std::future::pending::<()>().await
                }));
                handle.block_on(async move {
                    // Driving now: the runtime goes to be dropped elsewhere.
                    rt_tx.send(rt).unwrap();
                    go_rx.await.unwrap();
                });
                probe.drops()
            })
        };
        let rt = rt_rx.recv().unwrap();
        let dropper = thread::spawn(move || {
            if background {
                rt.shutdown_background();
            } else {
                drop(rt);
            }
        });
        let dropper = if background {
            dropper.join().unwrap();
            assert_eq!(probe.drops(), 0, "the driving thread holds the tasks");
            None
        } else {
            Some(dropper)
        };
        go_tx.send(()).unwrap();
        let dropped_by_driver = driver.join().unwrap();
        if let Some(dropper) = dropper {
            dropper.join().unwrap();
        }
        assert_eq!(probe.drops(), 1, "background: {background}");
        if background {
            assert_eq!(dropped_by_driver, 1, "dropped by the driving thread");
        }
    }
}

/// The descriptors of every thread's `block_on` core (multi-thread: an
/// epoll instance and an eventfd each) close with the runtime, also those
/// of threads that outlive it. Alone in a child process.
fn per_thread_block_on_cores_close_with_the_runtime(flavor: Flavor) {
    if !is_child("send-sync-fds") {
        let test = format!(
            "{}::per_thread_block_on_cores_close_with_the_runtime",
            flavor.module()
        );
        let out = run_child(&test, "send-sync-fds");
        assert_child_ok(&out);
        assert!(String::from_utf8_lossy(&out.stdout).contains("fds unchanged"));
        return;
    }
    let before = open_fds();
    let rt = Arc::new(flavor.rt());
    let (done_tx, done_rx) = mpsc::channel::<()>();
    let (exit_tx, exit_rx) = mpsc::channel::<()>();
    let exit_rx = Arc::new(Mutex::new(exit_rx));
    let threads: Vec<_> = (0..3)
        .map(|i| {
            let (rt, done_tx, exit_rx) = (rt.clone(), done_tx.clone(), exit_rx.clone());
            thread::spawn(move || {
                assert_eq!(rt.block_on(async move { i }), i);
                drop(rt);
                done_tx.send(()).unwrap();
                exit_rx.lock().unwrap().recv().unwrap();
            })
        })
        .collect();
    for _ in 0..3 {
        done_rx.recv().unwrap();
    }
    let rt = Arc::into_inner(rt).expect("the threads let go");
    drop(rt);
    let after = open_fds();
    for _ in 0..3 {
        exit_tx.send(()).unwrap();
    }
    threads.into_iter().for_each(|t| t.join().unwrap());
    assert_eq!(before, after, "descriptors left open");
    println!("fds unchanged");
}
