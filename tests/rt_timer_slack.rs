//! `block_on` tightens the thread's timer slack (so timed waits are not up
//! to 50 µs late) and gives the thread its own slack back afterwards, also
//! when the future panics. On both runtime flavors (on the multi-thread
//! one, the `block_on` thread's slack).

mod support;

use std::panic::{AssertUnwindSafe, catch_unwind};

use guillotine::runtime::Runtime;
use support::both_flavors;

both_flavors! {
    block_on_tightens_and_restores_timer_slack,
}

fn slack() -> u64 {
    // SAFETY: PR_GET_TIMERSLACK takes no pointer.
    let s = unsafe { libc::prctl(libc::PR_GET_TIMERSLACK, 0, 0, 0, 0) };
    assert!(s >= 0);
    s as u64
}

fn block_on_tightens_and_restores_timer_slack(rt: Runtime) {
    // Start from the kernel's usual default, whatever this thread had.
    // SAFETY: PR_SET_TIMERSLACK takes the value, no pointer.
    assert_eq!(
        unsafe { libc::prctl(libc::PR_SET_TIMERSLACK, 50_000u64, 0, 0, 0) },
        0
    );
    let before = slack();
    assert_eq!(before, 50_000);
    let during = rt.block_on(async { slack() });
    assert!(during <= 1_000, "slack inside block_on: {during} ns");
    assert_eq!(slack(), before);
    let res = catch_unwind(AssertUnwindSafe(|| rt.block_on(async { panic!("boom") })));
    assert!(res.is_err());
    assert_eq!(slack(), before, "restored after a panic too");
}
