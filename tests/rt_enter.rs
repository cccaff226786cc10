//! `Runtime::enter`, `Handle::enter` and `Handle::block_on`, and task ids.
//! On both runtime flavors.

mod support;

use std::collections::HashSet;
use std::time::Duration;

use guillotine::net::UdpSocket;
use guillotine::runtime::{Handle, Runtime};
use guillotine::task;
use support::{Flavor, both_flavors};

both_flavors! {
    runtime_enter_allows_spawn_timers_and_sockets,
    enter_guards_nest,
    handle_enter_and_block_on_from_another_thread,
    handle_block_on_drives_an_entered_runtime,
    handle_block_on_inside_a_task_panics,
    task_ids,
    spawn_under_enter_after_shutdown_is_cancelled,
}

/// Spawning, timers and sockets work under `Runtime::enter`, outside
/// `block_on`, and run at the next `block_on` (the spawned task on the
/// multi-thread runtime at once, up to its wait for `block_on`).
fn runtime_enter_allows_spawn_timers_and_sockets(rt: Runtime) {
    assert!(Handle::try_current().is_err());
    let (go_tx, go_rx) = futures::channel::oneshot::channel::<()>();
    let (task, local, sleep, socket) = {
        let _guard = rt.enter();
        assert!(Handle::try_current().is_ok());
        let task = guillotine::spawn(async {
            go_rx.await.unwrap();
            1
        });
        let local = task::spawn_local(async { std::rc::Rc::new(2) });
        let sleep = guillotine::time::sleep(Duration::from_millis(1));
        let std_sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        std_sock.set_nonblocking(true).unwrap();
        let socket = UdpSocket::from_std(std_sock).unwrap();
        (task, local, sleep, socket)
    };
    assert!(Handle::try_current().is_err(), "the guard restores");
    assert_eq!(rt.num_tasks(), 2);
    let out = rt.block_on(async move {
        go_tx.send(()).unwrap();
        sleep.await;
        let peer = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        peer.send_to(b"hi", socket.local_addr().unwrap())
            .await
            .unwrap();
        let mut buf = [0u8; 4];
        let n = socket.recv(&mut buf).await.unwrap();
        task.await.unwrap() + *local.await.unwrap() + n
    });
    assert_eq!(out, 5);
}

/// Guards nest and restore what was current before them.
fn enter_guards_nest(flavor: Flavor) {
    let a = flavor.rt();
    let b = flavor.rt();
    let ga = a.enter();
    let id_a = guillotine::spawn(std::future::pending::<()>());
    {
        let _gb = b.handle().enter();
        drop(guillotine::spawn(std::future::pending::<()>()));
        // Queued remotely until b runs, but counted at once (as tokio
        // counts a task from its spawn): `num_tasks` is readable from any
        // thread, whichever thread drives b.
        assert_eq!(b.num_tasks(), 1);
    }
    drop(guillotine::spawn(std::future::pending::<()>()));
    drop(ga);
    assert_eq!(a.num_tasks(), 2);
    b.block_on(task::yield_now());
    assert_eq!(b.num_tasks(), 1);
    id_a.abort();
}

/// `Handle::enter` on another thread: spawns go through the injection
/// queue, and `Handle::block_on` there waits for work the runtime's own
/// thread drives.
fn handle_enter_and_block_on_from_another_thread(rt: Runtime) {
    let handle = rt.handle();
    let (tx, rx) = futures::channel::oneshot::channel();
    let thread = std::thread::spawn(move || {
        let _guard = handle.enter();
        let task = guillotine::spawn(async { 20 });
        let n = handle.block_on(async move {
            guillotine::time::sleep(Duration::from_millis(1)).await;
            task.await.unwrap() + 1
        });
        tx.send(()).unwrap();
        n
    });
    rt.block_on(async { rx.await.unwrap() });
    assert_eq!(thread.join().unwrap(), 21);
}

/// `Handle::block_on` on the runtime's own thread, under `Runtime::enter`,
/// drives the runtime.
fn handle_block_on_drives_an_entered_runtime(rt: Runtime) {
    let _guard = rt.enter();
    let handle = Handle::current();
    let n = handle.block_on(async {
        guillotine::time::sleep(Duration::from_millis(1)).await;
        guillotine::spawn(async { 3 }).await.unwrap()
    });
    assert_eq!(n, 3);
}

/// `Handle::block_on` inside a task is a nested `block_on`.
fn handle_block_on_inside_a_task_panics(rt: Runtime) {
    let err = rt
        .block_on(rt.spawn(async {
            Handle::current().block_on(async {});
        }))
        .unwrap_err();
    let payload = err.into_panic();
    let msg = payload.downcast_ref::<&str>().copied().unwrap_or_default();
    assert!(msg.contains("from within a runtime"), "{msg}");
}

/// Every task has its own id; it is current while the task runs and its
/// future is dropped, and it names the task in a `JoinError`.
fn task_ids(rt: Runtime) {
    assert_eq!(task::try_id(), None);
    rt.block_on(async {
        assert_eq!(task::try_id(), None, "block_on's future is not a task");
        let handles: Vec<_> = (0..100)
            .map(|_| guillotine::spawn(async { task::id() }))
            .collect();
        let ids: Vec<task::Id> = handles.iter().map(|h| h.id()).collect();
        assert_eq!(ids.iter().collect::<HashSet<_>>().len(), 100);
        for (h, id) in handles.into_iter().zip(&ids) {
            assert_eq!(h.await.unwrap(), *id);
        }

        let h = guillotine::spawn(async { panic!("boom") });
        let id = h.id();
        assert_eq!(h.abort_handle().id(), id);
        let err = h.await.unwrap_err();
        assert_eq!(err.id(), id);
        assert_eq!(
            format!("{err:?}"),
            format!("JoinError::Panic(Id({id}), \"boom\", ...)")
        );
        assert_eq!(
            err.to_string(),
            format!("task {id} panicked with message \"boom\"")
        );

        /// Reports the task id current at its drop.
        struct IdOnDrop(Option<futures::channel::oneshot::Sender<Option<task::Id>>>);
        impl Drop for IdOnDrop {
            fn drop(&mut self) {
                let _ = self.0.take().unwrap().send(task::try_id());
            }
        }
        let (tx, rx) = futures::channel::oneshot::channel();
        let guard = IdOnDrop(Some(tx));
        let h = guillotine::spawn(async move {
            let _guard = guard;
            std::future::pending::<()>().await
        });
        let id = h.id();
        task::yield_now().await;
        h.abort();
        assert_eq!(rx.await.unwrap(), Some(id), "the drop sees its task's id");
        let err = h.await.unwrap_err();
        assert_eq!(
            format!("{err:?}"),
            format!("JoinError::Cancelled(Id({id}))")
        );
        assert_eq!(err.to_string(), format!("task {id} was cancelled"));
    });
}

/// `task::id()` outside a task panics with a message that says so.
#[test]
fn task_id_outside_a_task_panics() {
    let err = std::panic::catch_unwind(task::id).unwrap_err();
    let msg = err.downcast_ref::<&str>().copied().unwrap_or_default();
    assert!(msg.contains("outside a task"), "{msg}");
}

/// A `Runtime` entered and then shut down: later spawns are cancelled.
fn spawn_under_enter_after_shutdown_is_cancelled(rt: Runtime) {
    let _guard = rt.enter();
    rt.shutdown_timeout(Duration::from_secs(1));
    let h = guillotine::spawn(async { 1 });
    assert!(
        futures_lite::future::block_on(h)
            .unwrap_err()
            .is_cancelled()
    );
}
