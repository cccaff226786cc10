//! Behaviours that follow tokio's where a user might expect either: guards
//! dropped out of order, runtimes started or dropped inside others,
//! `block_in_place` outside a worker, timers and blocking jobs across
//! shutdown, `JoinError`'s `Debug`. On both runtime flavors.

mod support;

use std::panic::{AssertUnwindSafe, catch_unwind};

use guillotine::runtime::{Handle, Runtime};
use support::{Flavor, both_flavors};

both_flavors! {
    enter_guards_of_two_runtimes_dropped_out_of_order_panic,
    enter_guards_of_one_runtime_dropped_out_of_order_panic,
    block_in_place_in_handle_block_on_under_enter_runs,
    block_in_place_under_enter_without_block_on_runs,
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
