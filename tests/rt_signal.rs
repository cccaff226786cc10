//! A signal delivered to the runtime thread while it sleeps in `epoll_wait`
//! (which then fails with EINTR) changes nothing. On both runtime flavors
//! (on the multi-thread one, to the `block_on` thread), each in a child
//! process: the handler and its count are per process.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::time::Duration;

use support::{Flavor, assert_child_ok, both_flavors, is_child, run_child};

both_flavors! {
    signal_during_block_on_is_survived,
}

static HANDLED: AtomicUsize = AtomicUsize::new(0);

extern "C" fn on_signal(_: libc::c_int) {
    HANDLED.fetch_add(1, SeqCst);
}

fn signal_during_block_on_is_survived(flavor: Flavor) {
    if !is_child("signal") {
        let out = run_child(
            &format!("{}::signal_during_block_on_is_survived", flavor.module()),
            "signal",
        );
        assert_child_ok(&out);
        assert!(String::from_utf8_lossy(&out.stdout).contains("survived"));
        return;
    }
    // SAFETY: installs a handler that only touches an atomic; no SA_RESTART,
    // so the interrupted epoll_wait really returns EINTR.
    unsafe {
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = on_signal as *const () as libc::sighandler_t;
        sa.sa_flags = 0;
        libc::sigemptyset(&mut sa.sa_mask);
        assert_eq!(libc::sigaction(libc::SIGUSR1, &sa, std::ptr::null_mut()), 0);
    }
    // SAFETY: pthread_self has no preconditions.
    let me = unsafe { libc::pthread_self() };
    let rt = flavor.rt();
    let (tx, rx) = futures::channel::oneshot::channel::<u32>();
    let (ready_tx, ready_rx) = std::sync::mpsc::channel::<()>();
    let killer = std::thread::spawn(move || {
        ready_rx.recv().unwrap();
        for _ in 0..5 {
            // Let the runtime fall asleep again between signals.
            std::thread::sleep(Duration::from_millis(20));
            // SAFETY: `me` is alive: it is blocked in block_on until we send.
            assert_eq!(unsafe { libc::pthread_kill(me, libc::SIGUSR1) }, 0);
        }
        std::thread::sleep(Duration::from_millis(20));
        tx.send(99).unwrap();
    });
    let v = rt.block_on(async move {
        ready_tx.send(()).unwrap();
        rx.await.unwrap()
    });
    killer.join().unwrap();
    assert_eq!(v, 99);
    assert_eq!(HANDLED.load(SeqCst), 5);
    // And the runtime still works.
    assert_eq!(rt.block_on(rt.spawn(async { 1 })).unwrap(), 1);
    println!("survived");
}
