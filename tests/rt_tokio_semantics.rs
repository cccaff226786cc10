//! Behaviours that follow tokio's where a user might expect either: guards
//! dropped out of order, runtimes started or dropped inside others,
//! `block_in_place` outside a worker, timers and blocking jobs across
//! shutdown, `JoinError`'s `Debug`. On both runtime flavors.

mod support;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::time::Duration;

use guillotine::runtime::{Handle, Runtime};
use support::{Flavor, both_flavors};

both_flavors! {
    enter_guards_of_two_runtimes_dropped_out_of_order_panic,
    enter_guards_of_one_runtime_dropped_out_of_order_panic,
    block_in_place_in_handle_block_on_under_enter_runs,
    block_in_place_under_enter_without_block_on_runs,
    dropping_a_runtime_in_block_on_panics_after_shutting_it_down,
    dropping_a_runtime_in_a_task_panics,
    shutdown_background_in_an_async_context_is_allowed,
    dropping_a_runtime_where_blocking_is_allowed_works,
    a_sleep_awaited_after_shutdown_timeout_panics,
    a_sleep_waiting_on_another_thread_when_the_runtime_drops_panics,
    a_blocking_job_handed_over_before_shutdown_runs_to_completion,
    a_blocking_job_handed_over_before_shutdown_background_still_runs,
    only_blocking_jobs_beyond_the_cap_are_cancelled_at_shutdown,
    join_error_debug_reads_as_tokio,
}

/// Inside `block_in_place` on a worker the thread is no longer one: a new
/// runtime can be built and driven there, as in tokio.
#[test]
fn block_in_place_on_a_worker_may_start_a_runtime() {
    let rt = Flavor::MultiThread.rt();
    let n = rt.block_on(rt.spawn(async {
        guillotine::task::block_in_place(|| {
            let inner = Runtime::new().unwrap();
            let n = inner.block_on(async {
                let task = guillotine::spawn(async { 20 });
                guillotine::time::sleep(std::time::Duration::from_millis(1)).await;
                task.await.unwrap() + 1
            });
            // The worker's runtime is current again once `inner` has
            // returned.
            assert_eq!(
                Handle::current().runtime_flavor(),
                guillotine::runtime::RuntimeFlavor::MultiThread
            );
            n * 2
        })
    }));
    assert_eq!(n.unwrap(), 42);
}

/// The future of a multi-thread runtime's `block_on` may call
/// `block_in_place`, and inside it start and drive a runtime of its own.
#[test]
fn block_in_place_in_multi_thread_block_on_may_start_a_runtime() {
    let rt = Flavor::MultiThread.rt();
    let n = rt.block_on(async {
        let task = guillotine::spawn(async { 1 });
        let n = guillotine::task::block_in_place(|| {
            let inner = Runtime::new().unwrap();
            inner.block_on(async { guillotine::spawn(async { 40 }).await.unwrap() })
        });
        // The outer runtime is current again.
        n + task.await.unwrap() + guillotine::spawn(async { 1 }).await.unwrap()
    });
    assert_eq!(n, 42);
}

/// `Handle::block_on` under `Runtime::enter` may call `block_in_place` in
/// its future (tokio: only a current-thread runtime's own `block_on`, and
/// its tasks, may not), and `Handle::block_on` again inside it.
fn block_in_place_in_handle_block_on_under_enter_runs(rt: Runtime) {
    let _guard = rt.enter();
    let n = Handle::current().block_on(async {
        guillotine::task::block_in_place(|| {
            Handle::current().block_on(async {
                guillotine::task::yield_now().await;
                6
            })
        }) * 7
    });
    assert_eq!(n, 42);
    // The runtime still runs its tasks afterwards.
    assert_eq!(rt.block_on(rt.spawn(async { 5 })).unwrap(), 5);
}

/// Under `Runtime::enter`, outside any `block_on`, nothing runs on this
/// thread: `block_in_place` just runs its closure.
fn block_in_place_under_enter_without_block_on_runs(rt: Runtime) {
    let _guard = rt.enter();
    assert_eq!(guillotine::task::block_in_place(|| 3), 3);
}

/// Where blocking would stall a current-thread runtime's tasks, it still
/// panics, as in tokio: in its `block_on`'s future and in its tasks.
#[test]
fn block_in_place_on_a_current_thread_runtime_panics() {
    let rt = Flavor::CurrentThread.rt();
    let msg = expect_panic(|| rt.block_on(async { guillotine::task::block_in_place(|| ()) }));
    assert!(msg.contains("block_in_place` cannot be called"), "{msg}");
    let err = rt
        .block_on(rt.spawn(async { guillotine::task::block_in_place(|| ()) }))
        .unwrap_err();
    assert!(err.is_panic());
    // A `spawn_local` task on a multi-thread runtime's `block_on` thread (a
    // tokio `LocalSet`'s) may not block that thread either.
    let rt = Flavor::MultiThread.rt();
    let err = rt
        .block_on(async {
            guillotine::task::spawn_local(async { guillotine::task::block_in_place(|| ()) }).await
        })
        .unwrap_err();
    assert!(err.is_panic());
}

/// The message of a caught panic.
fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    match payload.downcast::<String>() {
        Ok(s) => *s,
        Err(payload) => match payload.downcast::<&'static str>() {
            Ok(s) => (*s).to_owned(),
            Err(_) => "<not a string>".to_owned(),
        },
    }
}

/// Runs `f`, expecting it to panic; returns the message.
fn expect_panic(f: impl FnOnce()) -> String {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(()) => panic!("expected a panic"),
        Err(payload) => panic_message(payload),
    }
}

/// The runtime of `handle` is the one current on this thread.
fn is_current(handle: &Handle) -> bool {
    Handle::try_current().is_ok_and(|h| {
        // Two handles of one runtime spawn onto the same runtime: a task
        // spawned through one is counted by the other's metrics.
        let before = handle.metrics().num_alive_tasks();
        let task = h.spawn(std::future::pending::<()>());
        let counted = handle.metrics().num_alive_tasks() > before;
        task.abort();
        counted
    })
}

/// Dropping the guard of a runtime entered before another's, while the
/// later guard is alive, panics naming the rule; the context from before
/// the first guard is back, and the later guard then restores nothing.
fn enter_guards_of_two_runtimes_dropped_out_of_order_panic(flavor: Flavor) {
    let (a, b) = (flavor.rt(), flavor.rt());
    let first = a.enter();
    let b_handle = b.handle();
    let second = b_handle.enter();
    assert!(is_current(&b.handle()));
    let msg = expect_panic(move || drop(first));
    assert!(
        msg.contains("dropped out of order") && msg.contains("reverse order"),
        "{msg}"
    );
    assert!(Handle::try_current().is_err());
    drop(second);
    assert!(Handle::try_current().is_err());
    // The runtimes are intact.
    assert_eq!(a.block_on(async { 1 }), 1);
    assert_eq!(b.block_on(async { 2 }), 2);
}

/// One runtime entered three times: dropping the middle guard first
/// panics; the first guard's context stays current until it is dropped.
fn enter_guards_of_one_runtime_dropped_out_of_order_panic(rt: Runtime) {
    let handle = rt.handle();
    let first = rt.enter();
    let second = handle.enter();
    let third = rt.enter();
    let msg = expect_panic(move || drop(second));
    assert!(msg.contains("dropped out of order"), "{msg}");
    assert!(is_current(&handle));
    drop(third);
    assert!(is_current(&handle));
    drop(first);
    assert!(Handle::try_current().is_err());
    // Guards dropped in order never panic.
    {
        let _a = rt.enter();
        let _b = handle.enter();
        let _c = rt.enter();
    }
    assert!(Handle::try_current().is_err());
    assert_eq!(rt.block_on(async { 3 }), 3);
}

/// The words of the panic of a runtime dropped in an async context.
const DROP_IN_ASYNC: &str = "Cannot drop a runtime in a context where blocking is not allowed";

/// Counts its drops.
struct Counted(Arc<AtomicUsize>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

/// A runtime of `flavor` with a pending task that counts its drop into
/// `dropped`.
fn runtime_with_a_task(flavor: Flavor, dropped: &Arc<AtomicUsize>) -> Runtime {
    let rt = flavor.rt();
    let c = Counted(dropped.clone());
    drop(rt.spawn(async move {
        let _c = c;
        std::future::pending::<()>().await
    }));
    rt
}

/// Dropping a runtime inside another runtime's `block_on` panics, as in
/// tokio, naming the mistake; it was shut down (its task dropped) first.
/// `shutdown_timeout` with a non-zero timeout panics the same way.
fn dropping_a_runtime_in_block_on_panics_after_shutting_it_down(flavor: Flavor) {
    let outer = flavor.rt();
    outer.block_on(async {
        let dropped = Arc::new(AtomicUsize::new(0));
        let inner = runtime_with_a_task(flavor, &dropped);
        let msg = expect_panic(move || drop(inner));
        assert!(msg.contains(DROP_IN_ASYNC), "{msg}");
        assert!(msg.contains("asynchronous context"), "{msg}");
        assert_eq!(dropped.load(SeqCst), 1);

        let inner = runtime_with_a_task(flavor, &dropped);
        let msg = expect_panic(move || inner.shutdown_timeout(Duration::from_secs(1)));
        assert!(msg.contains(DROP_IN_ASYNC), "{msg}");
        assert_eq!(dropped.load(SeqCst), 2);
    });
    // The outer runtime is unharmed.
    assert_eq!(outer.block_on(outer.spawn(async { 1 })).unwrap(), 1);
}

/// The same in a task: its `JoinHandle` reports the panic.
fn dropping_a_runtime_in_a_task_panics(flavor: Flavor) {
    let outer = flavor.rt();
    let dropped = Arc::new(AtomicUsize::new(0));
    let d = dropped.clone();
    let err = outer
        .block_on(outer.spawn(async move {
            drop(runtime_with_a_task(flavor, &d));
        }))
        .unwrap_err();
    let msg = panic_message(err.into_panic());
    assert!(msg.contains(DROP_IN_ASYNC), "{msg}");
    assert_eq!(dropped.load(SeqCst), 1);
}

/// `shutdown_background` does not wait, so it is allowed anywhere, as in
/// tokio; so is `shutdown_timeout(Duration::ZERO)`.
fn shutdown_background_in_an_async_context_is_allowed(flavor: Flavor) {
    let outer = flavor.rt();
    let dropped = Arc::new(AtomicUsize::new(0));
    let d = dropped.clone();
    outer
        .block_on(outer.spawn(async move {
            runtime_with_a_task(flavor, &d).shutdown_background();
            runtime_with_a_task(flavor, &d).shutdown_timeout(Duration::ZERO);
        }))
        .unwrap();
    outer.block_on(async {
        runtime_with_a_task(flavor, &dropped).shutdown_background();
    });
    assert_eq!(dropped.load(SeqCst), 3);
}

/// Where blocking is allowed a runtime drops as usual, waiting for its
/// blocking jobs: in `spawn_blocking`, under `Runtime::enter` alone, and
/// (multi-thread) in `block_in_place`.
fn dropping_a_runtime_where_blocking_is_allowed_works(flavor: Flavor) {
    let outer = flavor.rt();
    let dropped = Arc::new(AtomicUsize::new(0));
    let d = dropped.clone();
    outer
        .block_on(outer.spawn_blocking(move || drop(runtime_with_a_task(flavor, &d))))
        .unwrap();
    {
        let _guard = outer.enter();
        drop(runtime_with_a_task(flavor, &dropped));
    }
    if flavor.is_multi_thread() {
        let d = dropped.clone();
        outer
            .block_on(outer.spawn(async move {
                guillotine::task::block_in_place(|| drop(runtime_with_a_task(flavor, &d)));
            }))
            .unwrap();
        assert_eq!(dropped.load(SeqCst), 3);
    } else {
        assert_eq!(dropped.load(SeqCst), 2);
    }
}

/// The words of the panic of a timer whose runtime is shut down.
const TIMER_SHUT_DOWN: &str = "A guillotine runtime was found, but it is shut down";

/// A `Sleep` (bare, or inside `timeout` or `interval`) created before
/// `shutdown_timeout` and awaited after it panics saying the runtime is shut
/// down, as in tokio, instead of completing as if it had fired.
fn a_sleep_awaited_after_shutdown_timeout_panics(rt: Runtime) {
    let (sleep, timeout, mut interval) = rt.block_on(async {
        let mut interval = guillotine::time::interval(Duration::from_secs(60));
        interval.tick().await;
        (
            guillotine::time::sleep(Duration::from_millis(1)),
            guillotine::time::timeout(Duration::from_secs(60), std::future::pending::<()>()),
            interval,
        )
    });
    rt.shutdown_timeout(Duration::from_secs(10));
    let msg = expect_panic(|| futures::executor::block_on(sleep));
    assert!(msg.contains(TIMER_SHUT_DOWN), "{msg}");
    let msg = expect_panic(|| {
        let _ = futures::executor::block_on(timeout);
    });
    assert!(msg.contains(TIMER_SHUT_DOWN), "{msg}");
    let msg = expect_panic(|| {
        futures::executor::block_on(interval.tick());
    });
    assert!(msg.contains(TIMER_SHUT_DOWN), "{msg}");
}

/// A thread waiting in `Handle::block_on` on a sleep when the runtime is
/// dropped is woken, and panics saying why, rather than hang.
fn a_sleep_waiting_on_another_thread_when_the_runtime_drops_panics(rt: Runtime) {
    let handle = rt.handle();
    let (started_tx, started_rx) = std::sync::mpsc::channel();
    let waiter = std::thread::spawn(move || {
        handle.block_on(async move {
            let sleep = guillotine::time::sleep(Duration::from_secs(3600));
            started_tx.send(()).unwrap();
            sleep.await;
        });
    });
    started_rx.recv().unwrap();
    drop(rt);
    let msg = panic_message(waiter.join().unwrap_err());
    assert!(msg.contains(TIMER_SHUT_DOWN), "{msg}");
}

/// A gate that blocking threads wait at, first thing (in
/// `on_thread_start`), until it opens: jobs handed to the pool then stay
/// queued, with a thread on its way to them.
#[derive(Clone, Default)]
struct Gate(Arc<(std::sync::Mutex<bool>, std::sync::Condvar)>);

impl Gate {
    fn open(&self) {
        *self.0.0.lock().unwrap() = true;
        self.0.1.notify_all();
    }

    fn wait(&self) {
        let mut open = self.0.0.lock().unwrap();
        while !*open {
            open = self.0.1.wait(open).unwrap();
        }
    }

    /// A runtime whose blocking threads wait at this gate when they start.
    fn runtime(&self, mut builder: guillotine::runtime::Builder) -> Runtime {
        let gate = self.clone();
        builder
            .on_thread_start(move || {
                if std::thread::current().name() == Some("guillotine-blocking") {
                    gate.wait();
                }
            })
            .build()
            .unwrap()
    }
}

/// Opens a gate when dropped: a task holding one opens it when the runtime
/// shuts down, just before it stops its blocking pool.
struct OpenOnDrop(Gate);

impl Drop for OpenOnDrop {
    fn drop(&mut self) {
        self.0.open();
    }
}

/// A closure handed to `spawn_blocking` before `shutdown_timeout`, while
/// the pool had room to start a thread for it, runs to completion, as in
/// tokio, and its `JoinHandle` yields the value. (The threads started for
/// the jobs reach them only once the shutdown has begun.)
fn a_blocking_job_handed_over_before_shutdown_runs_to_completion(
    builder: guillotine::runtime::Builder,
) {
    let gate = Gate::default();
    let rt = gate.runtime(builder);
    let handle = rt.handle();
    let opener = OpenOnDrop(gate.clone());
    drop(rt.spawn(async move {
        let _opener = opener;
        std::future::pending::<()>().await
    }));
    let ran = Arc::new(AtomicUsize::new(0));
    let jobs: Vec<_> = (0..4)
        .map(|i| {
            let ran = ran.clone();
            rt.spawn_blocking(move || {
                ran.fetch_add(1, SeqCst);
                i * 10
            })
        })
        .collect();
    rt.shutdown_timeout(Duration::from_secs(30));
    assert_eq!(ran.load(SeqCst), 4, "shutdown_timeout waited for them");
    for (i, job) in jobs.into_iter().enumerate() {
        assert_eq!(handle.block_on(job).unwrap(), i * 10);
    }
}

/// The same with `shutdown_background`, which does not wait: the job runs
/// afterwards.
fn a_blocking_job_handed_over_before_shutdown_background_still_runs(
    builder: guillotine::runtime::Builder,
) {
    let gate = Gate::default();
    let rt = gate.runtime(builder);
    let handle = rt.handle();
    let job = rt.spawn_blocking(|| 42);
    rt.shutdown_background();
    gate.open();
    assert_eq!(handle.block_on(job).unwrap(), 42);
}

/// Jobs that could not get a thread (the pool at its cap, every thread
/// busy) are cancelled at shutdown; the running one completes.
fn only_blocking_jobs_beyond_the_cap_are_cancelled_at_shutdown(
    mut builder: guillotine::runtime::Builder,
) {
    let rt = builder.max_blocking_threads(1).build().unwrap();
    let handle = rt.handle();
    let (started_tx, started_rx) = std::sync::mpsc::channel::<()>();
    let (go_tx, go_rx) = std::sync::mpsc::channel::<()>();
    let running = rt.spawn_blocking(move || {
        started_tx.send(()).unwrap();
        go_rx.recv().unwrap();
        1
    });
    started_rx.recv().unwrap();
    let ran = Arc::new(AtomicUsize::new(0));
    let r = ran.clone();
    let queued = rt.spawn_blocking(move || {
        r.fetch_add(1, SeqCst);
        2
    });
    rt.shutdown_background();
    go_tx.send(()).unwrap();
    assert_eq!(handle.block_on(running).unwrap(), 1);
    assert!(handle.block_on(queued).unwrap_err().is_cancelled());
    assert_eq!(ran.load(SeqCst), 0);
}

/// `JoinError`'s `Debug` reads as tokio's: the id, the message if the
/// payload is a string, and `...` for the rest.
fn join_error_debug_reads_as_tokio(rt: Runtime) {
    rt.block_on(async {
        let h = guillotine::spawn(async { panic!("boom") });
        let id = h.id();
        let err = h.await.unwrap_err();
        assert_eq!(
            format!("{err:?}"),
            format!("JoinError::Panic(Id({id}), \"boom\", ...)")
        );
        let h = guillotine::spawn(async { std::panic::panic_any(7u8) });
        let id = h.id();
        let err = h.await.unwrap_err();
        assert_eq!(
            format!("{err:?}"),
            format!("JoinError::Panic(Id({id}), ...)")
        );
        let h = guillotine::spawn(std::future::pending::<()>());
        let id = h.id();
        h.abort();
        let err = h.await.unwrap_err();
        assert_eq!(
            format!("{err:?}"),
            format!("JoinError::Cancelled(Id({id}))")
        );
    });
}
