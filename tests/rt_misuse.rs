//! Misuse panics with a message that names the mistake, located at the
//! caller's line.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex};

use guillotine::runtime::{Handle, Runtime};

/// Runs `f`, expecting a panic; returns its message and the file:line the
/// panic was reported at.
fn panic_of(f: impl FnOnce()) -> (String, String) {
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

// One test: the panic hook is process-wide, so these must not run in
// parallel with each other.
#[test]
fn misuse_panics_name_the_mistake_at_the_callers_line() {
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

    // nested block_on, in the main future and in a task
    let rt = Runtime::new().unwrap();
    let (msg, loc) = panic_of(|| {
        rt.block_on(async {
            let inner = Runtime::new().unwrap();
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
        .block_on(rt.spawn(async {
            let inner = Runtime::new().unwrap();
            inner.block_on(async {});
        }))
        .unwrap_err();
    let payload = err.into_panic();
    let msg = payload.downcast_ref::<&str>().copied().unwrap_or_default();
    assert!(msg.contains("from within a runtime"), "{msg}");

    // The runtime is fine after all that.
    assert_eq!(rt.block_on(async { 1 }), 1);

    // Invalid Builder settings name the setting, at the caller's line.
    let (msg, loc) = panic_of(|| {
        guillotine::runtime::Builder::new().max_blocking_threads(0);
    });
    assert!(msg.contains("max_blocking_threads"), "{msg}");
    assert!(loc.starts_with("tests/rt_misuse.rs:"), "reported at {loc}");
    let (msg, loc) = panic_of(|| {
        guillotine::runtime::Builder::new().event_interval(0);
    });
    assert!(msg.contains("event_interval"), "{msg}");
    assert!(loc.starts_with("tests/rt_misuse.rs:"), "reported at {loc}");
}
