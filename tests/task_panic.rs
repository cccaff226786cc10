//! Panics: a panicking task becomes `JoinError::is_panic` and the runtime
//! goes on; a panicking `block_on` future leaves the runtime usable.

mod support;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

use guillotine::runtime::Runtime;
use guillotine::task;
use support::{both_flavors, eventually};

both_flavors! {
    panic_payload_comes_back,
    runtime_goes_on_after_a_panic,
    block_on_panic_propagates_and_runtime_stays_usable,
    into_panic_on_cancelled_panics,
    panic_in_drop_during_abort_is_reported,
    panicking_waker_does_not_break_the_runtime,
}

fn panic_payload_comes_back(rt: Runtime) {
    rt.block_on(async {
        let n = std::hint::black_box(3);
        let err = guillotine::spawn(async move { panic!("task {n} failed") })
            .await
            .unwrap_err();
        assert!(err.is_panic());
        assert!(!err.is_cancelled());
        assert_eq!(
            err.to_string(),
            format!("task {} panicked with message \"task 3 failed\"", err.id())
        );
        let payload = err.into_panic();
        assert_eq!(payload.downcast_ref::<String>().unwrap(), "task 3 failed");

        let err = guillotine::spawn(async { std::panic::panic_any(42u32) })
            .await
            .unwrap_err();
        assert_eq!(*err.into_panic().downcast::<u32>().unwrap(), 42);
    });
}

fn runtime_goes_on_after_a_panic(rt: Runtime) {
    let v = rt.block_on(async {
        let bad = guillotine::spawn(async { panic!("boom") });
        let good = guillotine::spawn(async {
            task::yield_now().await;
            1
        });
        assert!(bad.await.unwrap_err().is_panic());
        good.await.unwrap() + guillotine::spawn(async { 1 }).await.unwrap()
    });
    assert_eq!(v, 2);
}

fn block_on_panic_propagates_and_runtime_stays_usable(rt: Runtime) {
    let pending = rt.spawn(async { 9 });
    let res = catch_unwind(AssertUnwindSafe(|| rt.block_on(async { panic!("main") })));
    assert!(res.is_err());
    // The context was restored: this is not a nested block_on.
    assert_eq!(rt.block_on(pending).unwrap(), 9);
    assert!(guillotine::runtime::Handle::try_current().is_err());
}

fn into_panic_on_cancelled_panics(rt: Runtime) {
    let h = rt.spawn(std::future::pending::<()>());
    h.abort();
    let err = rt.block_on(h).unwrap_err();
    let res = catch_unwind(AssertUnwindSafe(|| err.into_panic()));
    let msg = res.unwrap_err();
    assert!(msg.downcast_ref::<&str>().unwrap().contains("not a panic"));
}

fn panic_in_drop_during_abort_is_reported(rt: Runtime) {
    struct Bomb(Arc<AtomicUsize>);
    impl Drop for Bomb {
        fn drop(&mut self) {
            self.0.fetch_add(1, SeqCst);
            panic!("drop bomb");
        }
    }
    let n = Arc::new(AtomicUsize::new(0));
    let b = Bomb(n.clone());
    let h = rt.spawn(async move {
        let _b = b;
        std::future::pending::<()>().await
    });
    rt.block_on(task::yield_now());
    h.abort();
    let err = rt.block_on(h).unwrap_err();
    assert!(err.is_panic(), "a panicking drop is reported as a panic");
    assert_eq!(n.load(SeqCst), 1);
    // Still running fine.
    assert_eq!(rt.block_on(rt.spawn(async { 1 })).unwrap(), 1);
}

fn panicking_waker_does_not_break_the_runtime(rt: Runtime) {
    use std::task::{Context, Wake, Waker};
    struct Angry(AtomicUsize);
    impl Wake for Angry {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, SeqCst);
            panic!("angry waker");
        }
    }
    let (tx, rx) = futures::channel::oneshot::channel::<()>();
    let h = rt.spawn(async move {
        rx.await.unwrap();
        3
    });
    // Poll the JoinHandle once with a waker that panics when woken.
    let mut h = Box::pin(h);
    let angry = Arc::new(Angry(AtomicUsize::new(0)));
    let waker = Waker::from(angry.clone());
    assert!(
        h.as_mut()
            .poll(&mut Context::from_waker(&waker))
            .is_pending()
    );
    // The task completes and wakes the angry waker; the runtime survives.
    tx.send(()).unwrap();
    rt.block_on(eventually("the angry wake", || angry.0.load(SeqCst) == 1));
    assert_eq!(rt.block_on(h).unwrap(), 3);
    assert_eq!(rt.block_on(async { 4 }), 4);
    assert_eq!(rt.block_on(rt.spawn(async { 5 })).unwrap(), 5);
}

use std::future::Future;
