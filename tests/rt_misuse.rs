//! Misuse panics with a message that names the mistake, located at the
//! caller's line. The nested `block_on` checks on both runtime flavors.

mod support;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex};

use guillotine::runtime::{Builder, Handle};
use support::{Flavor, both_flavors};

both_flavors! {
    nested_block_on_panics_at_the_callers_line,
}

/// Held while a test swaps the process-wide panic hook, so that tests of
/// this file running in parallel do not restore each other's hooks.
static HOOK: Mutex<()> = Mutex::new(());

/// Runs `f`, expecting a panic; returns its message and the file:line the
/// panic was reported at.
fn panic_of(f: impl FnOnce()) -> (String, String) {
    let _hook = HOOK
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let seen = Arc::new(Mutex::new(None));
    let s = seen.clone();
    let me = std::thread::current().id();
    let prev = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if std::thread::current().id() == me {
            let loc = info
                .location()
                .map(|l| format!("{}:{}", l.file(), l.line()));
            *s.lock().unwrap() = loc;
        }
    }));
    let res = catch_unwind(AssertUnwindSafe(f));
    std::panic::set_hook(prev);
    let payload = res.expect_err("expected a panic");
    let msg = payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap();
    let loc = seen.lock().unwrap().clone().unwrap();
    (msg, loc)
}

#[test]
fn misuse_outside_a_runtime_panics_at_the_callers_line() {
    // spawn outside a runtime
    let (msg, loc) = panic_of(|| {
        drop(guillotine::spawn(async {}));
    });
    assert!(msg.contains("guillotine::spawn"), "{msg}");
    assert!(msg.contains("no runtime is running"), "{msg}");
    assert!(loc.starts_with("tests/rt_misuse.rs:"), "reported at {loc}");

    let (msg, loc) = panic_of(|| {
        drop(guillotine::task::spawn_local(async {}));
    });
    assert!(msg.contains("spawn_local"), "{msg}");
    assert!(loc.starts_with("tests/rt_misuse.rs:"), "reported at {loc}");

    let (msg, loc) = panic_of(|| {
        drop(guillotine::spawn_blocking(|| {}));
    });
    assert!(msg.contains("spawn_blocking"), "{msg}");
    assert!(loc.starts_with("tests/rt_misuse.rs:"), "reported at {loc}");

    // Handle::current outside a runtime
    let (msg, loc) = panic_of(|| {
        let _ = Handle::current();
    });
    assert!(msg.contains("no guillotine runtime"), "{msg}");
    assert!(loc.starts_with("tests/rt_misuse.rs:"), "reported at {loc}");
}

fn nested_block_on_panics_at_the_callers_line(flavor: Flavor) {
    // nested block_on, in the main future and in a task
    let rt = flavor.rt();
    let (msg, loc) = panic_of(|| {
        rt.block_on(async {
            let inner = flavor.rt();
            inner.block_on(async {});
        })
    });
    assert!(
        msg.contains("Cannot start a runtime from within a runtime"),
        "{msg}"
    );
    assert!(loc.starts_with("tests/rt_misuse.rs:"), "reported at {loc}");

    let (msg, _) = panic_of(|| {
        rt.block_on(async {
            rt.block_on(async {});
        })
    });
    assert!(msg.contains("from within a runtime"), "{msg}");

    // In a task, the panic is caught and reported through the handle.
    let err = rt
        .block_on(rt.spawn(async move {
            let inner = flavor.rt();
            inner.block_on(async {});
        }))
        .unwrap_err();
    let payload = err.into_panic();
    let msg = payload.downcast_ref::<&str>().copied().unwrap_or_default();
    assert!(msg.contains("from within a runtime"), "{msg}");

    // The runtime is fine after all that.
    assert_eq!(rt.block_on(async { 1 }), 1);
    assert_eq!(rt.block_on(rt.spawn(async { 2 })).unwrap(), 2);
}

#[test]
fn invalid_builder_settings_panic_at_the_callers_line() {
    // Invalid Builder settings name the setting, at the caller's line.
    let (msg, loc) = panic_of(|| {
        Builder::new().max_blocking_threads(0);
    });
    assert!(msg.contains("max_blocking_threads"), "{msg}");
    assert!(loc.starts_with("tests/rt_misuse.rs:"), "reported at {loc}");
    let (msg, loc) = panic_of(|| {
        Builder::new().event_interval(0);
    });
    assert!(msg.contains("event_interval"), "{msg}");
    assert!(loc.starts_with("tests/rt_misuse.rs:"), "reported at {loc}");
    let (msg, loc) = panic_of(|| {
        Builder::new_multi_thread().worker_threads(0);
    });
    assert!(msg.contains("worker_threads"), "{msg}");
    assert!(loc.starts_with("tests/rt_misuse.rs:"), "reported at {loc}");
}
