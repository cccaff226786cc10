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
