//! `guillotine::signal` on both runtime flavors. Signal handlers are per
//! process, so every test that installs one runs its body in a child
//! process (a re-run of itself, see `support::run_child`). `raise` delivers
//! to the calling thread before it returns, so it is used where a test
//! needs the handler to have run; `kill(getpid(), ..)` is delivered to any
//! thread, whenever the kernel chooses.

mod support;

use std::future::Future;
use std::io;
use std::os::unix::process::ExitStatusExt;

use futures::{FutureExt, StreamExt};
use guillotine::runtime::Runtime;
use guillotine::signal::ctrl_c;
use guillotine::signal::unix::{Signal, SignalKind, signal};
use support::{
    Flavor, PATIENCE, assert_child_ok, both_flavors, is_child, open_fds, run_child,
    wait_for_workers,
};

both_flavors! {
    each_listener_sees_each_delivery,
    deliveries_before_a_recv_coalesce,
    a_delivery_with_no_listener_reaches_the_next_one,
    restore_default_on_drop_lets_the_next_delivery_kill,
    restore_default_on_drop_refuses_signals_that_do_not_kill,
    dropped_listeners_leave_no_descriptor,
    recv_returns_none_once_the_runtime_is_gone,
    refuses_forbidden_signals,
    #[should_panic(expected = "there is no reactor running")]
    signal_outside_a_runtime_panics,
}

/// In the parent: runs the test `name` of `flavor` in a child process and
/// asserts it passed; returns `false`. In the child: returns `true`, and
/// the caller runs the body.
fn in_child(flavor: Flavor, name: &str) -> bool {
    if is_child(name) {
        return true;
    }
    let out = run_child(&format!("{}::{name}", flavor.module()), name);
    assert_child_ok(&out);
    false
}

/// Awaits `fut`, failing the test if it takes longer than
/// `support::PATIENCE` (a hang, not a slow machine).
async fn within<F: Future>(what: &str, fut: F) -> F::Output {
    match guillotine::time::timeout(PATIENCE, fut).await {
        Ok(out) => out,
        Err(_) => panic!("timed out waiting for {what}"),
    }
}

/// Sends `sig` to this process (any thread may take it).
fn kill_self(sig: i32) {
    // SAFETY: kill and getpid take no pointers.
    assert_eq!(unsafe { libc::kill(libc::getpid(), sig) }, 0);
}

/// Sends `sig` to this thread: the handler has run when this returns.
fn raise(sig: i32) {
    // SAFETY: raise takes no pointer.
    assert_eq!(unsafe { libc::raise(sig) }, 0);
}

/// Whether `signal` reports a delivery right now, without waiting.
fn ready_now(signal: &mut Signal) -> bool {
    match signal.recv().now_or_never() {
        Some(Some(())) => true,
        Some(None) => panic!("recv returned None on a live runtime"),
        None => false,
    }
}

const KINDS: [SignalKind; 3] = [
    SignalKind::interrupt(),
    SignalKind::terminate(),
    SignalKind::user_defined1(),
];

fn each_listener_sees_each_delivery(flavor: Flavor) {
    if !in_child(flavor, "each_listener_sees_each_delivery") {
        return;
    }
    let rt = flavor.rt();
    rt.block_on(async {
        for kind in KINDS {
            let mut here = signal(kind).unwrap();
            let mut there = signal(kind).unwrap();
            // One listener waits here, the other in a task (on a worker,
            // in the multi-thread flavor), which acknowledges each delivery.
            let (ack, mut acks) = futures::channel::mpsc::unbounded();
            let task = guillotine::spawn(async move {
                for _ in 0..2 {
                    assert_eq!(there.recv().await, Some(()));
                    ack.unbounded_send(()).unwrap();
                }
                there
            });
            for _ in 0..2 {
                kill_self(kind.as_raw_value());
                assert_eq!(within("the first listener", here.recv()).await, Some(()));
                assert_eq!(within("the second listener", acks.next()).await, Some(()));
            }
            let mut there = task.await.unwrap();
            // Two deliveries, two reports each, nothing more.
            assert!(!ready_now(&mut here));
            assert!(!ready_now(&mut there));
        }
    });
}

fn deliveries_before_a_recv_coalesce(flavor: Flavor) {
    if !in_child(flavor, "deliveries_before_a_recv_coalesce") {
        return;
    }
    let rt = flavor.rt();
    rt.block_on(async {
        let mut usr1 = signal(SignalKind::user_defined1()).unwrap();
        for _ in 0..3 {
            raise(libc::SIGUSR1);
        }
        assert!(ready_now(&mut usr1));
        assert!(!ready_now(&mut usr1));
        // The Stream reports the same way.
        raise(libc::SIGUSR1);
        raise(libc::SIGUSR1);
        assert_eq!(within("the stream", usr1.next()).await, Some(()));
        assert_eq!(usr1.next().now_or_never(), None);
    });
}

fn a_delivery_with_no_listener_reaches_the_next_one(flavor: Flavor) {
    if !in_child(flavor, "a_delivery_with_no_listener_reaches_the_next_one") {
        return;
    }
    let rt = flavor.rt();
    rt.block_on(async {
        // The kind's first listener installs the handler; then none is alive.
        drop(signal(SignalKind::user_defined1()).unwrap());
        raise(libc::SIGUSR1);
        raise(libc::SIGUSR1);
        let mut next = signal(SignalKind::user_defined1()).unwrap();
        assert!(
            ready_now(&mut next),
            "the next listener missed the delivery"
        );
        assert!(!ready_now(&mut next), "two deliveries, coalesced");
        // Reported once: the listener after it has nothing to report.
        drop(next);
        let mut after = signal(SignalKind::user_defined1()).unwrap();
        assert!(!ready_now(&mut after));

        // While a listener is alive, a new one starts with the next
        // delivery, as in tokio.
        raise(libc::SIGUSR1);
        let mut late = signal(SignalKind::user_defined1()).unwrap();
        assert!(!ready_now(&mut late));
        assert!(ready_now(&mut after));
        // A listener dropped without reporting leaves it to the next one.
        drop((after, late));
        raise(libc::SIGUSR1);
        let unpolled = signal(SignalKind::user_defined1()).unwrap();
        drop(unpolled);
        let mut next = signal(SignalKind::user_defined1()).unwrap();
        assert!(ready_now(&mut next));
        drop(next);

        // The loop that re-creates `ctrl_c()` sees a Ctrl-C that arrives
        // between two of its listeners.
        drop(signal(SignalKind::interrupt()).unwrap());
        for _ in 0..3 {
            raise(libc::SIGINT);
            let got = within("ctrl_c", ctrl_c()).await;
            got.unwrap();
        }
    });
}

fn restore_default_on_drop_lets_the_next_delivery_kill(flavor: Flavor) {
    const NAME: &str = "restore_default_on_drop_lets_the_next_delivery_kill";
    if !is_child(NAME) {
        let out = run_child(&format!("{}::{NAME}", flavor.module()), NAME);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            out.status.signal(),
            Some(libc::SIGINT),
            "the child was not killed by SIGINT: {:?}\n--- stdout\n{stdout}\n--- stderr\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            stdout.contains("survived while a listener was alive"),
            "{stdout}"
        );
        assert!(!stdout.contains("survived with no listener"), "{stdout}");
        return;
    }
    let rt = flavor.rt();
    rt.block_on(async {
        let mut opted = signal(SignalKind::interrupt())
            .unwrap()
            .restore_default_on_drop()
            .unwrap();
        let mut other = signal(SignalKind::interrupt()).unwrap();
        raise(libc::SIGINT);
        assert!(ready_now(&mut opted));
        assert!(ready_now(&mut other));
        // The opt-in belongs to the kind; a listener is still alive.
        drop(opted);
        raise(libc::SIGINT);
        assert!(ready_now(&mut other));
        println!("survived while a listener was alive");
        drop(other);
        io::Write::flush(&mut io::stdout()).unwrap();
        raise(libc::SIGINT);
        println!("survived with no listener");
    });
}

fn restore_default_on_drop_refuses_signals_that_do_not_kill(flavor: Flavor) {
    if !in_child(
        flavor,
        "restore_default_on_drop_refuses_signals_that_do_not_kill",
    ) {
        return;
    }
    let rt = flavor.rt();
    rt.block_on(async {
        for kind in [SignalKind::child(), SignalKind::window_change()] {
            let err = signal(kind).unwrap().restore_default_on_drop().unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        }
        // Still delivered to listeners, not reset.
        let mut winch = signal(SignalKind::window_change()).unwrap();
        drop(signal(SignalKind::window_change()).unwrap());
        raise(libc::SIGWINCH);
        assert!(ready_now(&mut winch));
    });
}

fn dropped_listeners_leave_no_descriptor(flavor: Flavor) {
    if !in_child(flavor, "dropped_listeners_leave_no_descriptor") {
        return;
    }
    let rt = flavor.rt();
    wait_for_workers(&rt, flavor);
    rt.block_on(async {
        // The first listener creates the process-wide eventfd, kept for good.
        drop(signal(SignalKind::user_defined1()).unwrap());
        let before = open_fds();
        let mut listeners = Vec::new();
        for kind in KINDS {
            listeners.push(signal(kind).unwrap());
            listeners.push(signal(kind).unwrap());
        }
        // One descriptor per listener, a dup of the eventfd.
        assert_eq!(open_fds().len(), before.len() + listeners.len());
        for kind in KINDS {
            kill_self(kind.as_raw_value());
        }
        for listener in &mut listeners {
            assert_eq!(within("a delivery", listener.recv()).await, Some(()));
        }
        drop(listeners);
        assert_eq!(open_fds(), before);
    });
}

fn recv_returns_none_once_the_runtime_is_gone(flavor: Flavor) {
    if !in_child(flavor, "recv_returns_none_once_the_runtime_is_gone") {
        return;
    }
    let made_in = flavor.rt();
    let mut usr2 = made_in.block_on(async { signal(SignalKind::user_defined2()).unwrap() });
    let mut interrupted = Box::pin(ctrl_c());
    made_in.block_on(async {
        assert!(futures::poll!(interrupted.as_mut()).is_pending());
    });
    // While its runtime lives, another runtime may wait on it: the
    // multi-thread runtime's workers turn its reactor meanwhile.
    if flavor.is_multi_thread() {
        let other = Runtime::new().unwrap();
        let got = other.block_on(async {
            kill_self(libc::SIGUSR2);
            within("a delivery from another runtime", usr2.recv()).await
        });
        assert_eq!(got, Some(()));
    }
    drop(made_in);
    let other = Runtime::new().unwrap();
    other.block_on(async {
        assert_eq!(within("recv", usr2.recv()).await, None);
        // For good, even with a delivery counted.
        raise(libc::SIGUSR2);
        assert_eq!(within("recv", usr2.recv()).await, None);
        assert_eq!(within("next", usr2.next()).await, None);
        let err = within("ctrl_c", interrupted).await.unwrap_err();
        assert!(err.to_string().contains("shut down"), "{err}");
    });
}

fn refuses_forbidden_signals(rt: Runtime) {
    rt.block_on(async {
        // Refused before anything is installed: safe in this process.
        for sig in [
            libc::SIGKILL,
            libc::SIGSTOP,
            libc::SIGSEGV,
            libc::SIGILL,
            libc::SIGFPE,
            0,
            -1,
            libc::SIGRTMAX() + 1,
        ] {
            let err = signal(SignalKind::from_raw(sig)).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::Other, "signal {sig}: {err}");
        }
    });
}

fn signal_outside_a_runtime_panics(_: Flavor) {
    let _ = signal(SignalKind::interrupt());
}
