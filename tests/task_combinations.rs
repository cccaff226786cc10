//! Drop accounting over every combination of a task's fate, after tokio's
//! `task_combinations` test: each future and each output is dropped exactly
//! once, the process never aborts, and the task's result is the one its
//! fate calls for.
//!
//! The dimensions, all crossed with each other:
//!
//! | dimension                        | values                                    |
//! |----------------------------------|-------------------------------------------|
//! | the future panics on poll        | yes, no                                   |
//! | the future panics on drop        | yes, no                                   |
//! | the output panics on drop        | yes, no                                   |
//! | the `JoinHandle`                 | dropped before completion, after, awaited |
//! | abort                            | before the first poll, after it, never    |
//! | the runtime is dropped           | early (task unfinished), late             |
//! | the flavor                       | current-thread, multi-thread (2 workers)  |
//! | spawned with                     | `spawn`, `spawn_local`, `JoinSet::spawn`  |
//!
//! 2 × 2 × 2 × 3 × 3 × 2 = 144 combinations per (flavor, spawner) test, six
//! tests: 864 combinations, each on a runtime of its own (a quarter of a
//! second in all on a debug build; 5 s under valgrind).
//!
//! No combination is skipped. tokio's test skips the ones where a panic
//! would unwind through another panic's unwind (which aborts any Rust
//! process, not just a runtime); here the future's `Drop` panics only when
//! the thread is not already unwinding, which is the only case a runtime
//! can catch. So a future that panics in its poll is dropped during that
//! unwind, quietly, and its task reports the poll's panic.
//!
//! For a `JoinSet`, "dropping the handle before completion" is
//! `detach_all`, "after" is dropping the set, "awaiting" is `join_next`, and
//! the abort goes through the `AbortHandle` that `JoinSet::spawn` returns.
//! `spawn_local` tasks (no `LocalSet` needed) run on the test's thread
//! during its `block_on` calls, on both flavors. On the multi-thread
//! runtime, an abort before the first poll holds the workers first
//! (`support::hold_workers`), so that the task is never polled there
//! either.

mod support;

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Once};
use std::task::{Context, Poll};

use futures::FutureExt;
use futures::channel::oneshot;
use guillotine::runtime::Runtime;
use guillotine::task::{self, AbortHandle, JoinError, JoinHandle, JoinSet};
use support::{Flavor, PATIENCE, both_flavors, hold_workers, wait_until};

both_flavors! {
    spawn_drops_everything_once,
    spawn_local_drops_everything_once,
    join_set_drops_everything_once,
}

fn spawn_drops_everything_once(flavor: Flavor) {
    run_all(flavor, Spawner::Spawn);
}

fn spawn_local_drops_everything_once(flavor: Flavor) {
    run_all(flavor, Spawner::SpawnLocal);
}

fn join_set_drops_everything_once(flavor: Flavor) {
    run_all(flavor, Spawner::JoinSet);
}

/// The panic payloads of the futures and outputs (silenced in the panic
/// hook: hundreds of them are expected).
const POLL_PANIC: &str = "combination: the future panics in its poll";
const FUTURE_DROP_PANIC: &str = "combination: the future panics in its drop";
const OUTPUT_DROP_PANIC: &str = "combination: the output panics in its drop";

/// The value a task returns when nothing stops it.
const VALUE: u64 = 42;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Spawner {
    Spawn,
    SpawnLocal,
    JoinSet,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum HandleFate {
    DropBeforeCompletion,
    DropAfterCompletion,
    Await,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Abort {
    BeforeFirstPoll,
    AfterFirstPoll,
    Never,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RuntimeDrop {
    /// While the task is unfinished (pending after its first poll, or
    /// aborted and perhaps not yet cancelled).
    Early,
    /// After the task finished and its handle met its fate.
    Late,
}

/// One task's fate.
#[derive(Clone, Copy, Debug)]
struct Combination {
    flavor: Flavor,
    spawner: Spawner,
    panic_on_poll: bool,
    future_panics_on_drop: bool,
    output_panics_on_drop: bool,
    handle: HandleFate,
    abort: Abort,
    runtime_drop: RuntimeDrop,
}

/// Runs every combination for one flavor and spawner.
fn run_all(flavor: Flavor, spawner: Spawner) {
    quiet_expected_panics();
    let mut count = 0;
    for panic_on_poll in [false, true] {
        for future_panics_on_drop in [false, true] {
            for output_panics_on_drop in [false, true] {
                for handle in [
                    HandleFate::DropBeforeCompletion,
                    HandleFate::DropAfterCompletion,
                    HandleFate::Await,
                ] {
                    for abort in [Abort::BeforeFirstPoll, Abort::AfterFirstPoll, Abort::Never] {
                        for runtime_drop in [RuntimeDrop::Early, RuntimeDrop::Late] {
                            Combination {
                                flavor,
                                spawner,
                                panic_on_poll,
                                future_panics_on_drop,
                                output_panics_on_drop,
                                handle,
                                abort,
                                runtime_drop,
                            }
                            .run();
                            count += 1;
                        }
                    }
                }
            }
        }
    }
    assert_eq!(count, 144);
}

/// Silences the panics the combinations cause on purpose (in tasks, on
/// workers, in drops); any other panic is reported as usual.
fn quiet_expected_panics() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let expected = info
                .payload()
                .downcast_ref::<&str>()
                .is_some_and(|m| m.starts_with("combination: "));
            if !expected {
                default(info);
            }
        }));
    });
}

/// What a combination counts.
#[derive(Default)]
struct Counts {
    future_drops: AtomicUsize,
    output_drops: AtomicUsize,
}

/// The spawned future: counts its drop and signals it, and panics there
/// if asked to (unless it is dropped during its own poll's panic).
struct Tracked {
    inner: Pin<Box<dyn Future<Output = Output> + Send>>,
    panic_on_drop: bool,
    counts: Arc<Counts>,
    dropped: Option<oneshot::Sender<()>>,
}

impl Future for Tracked {
    type Output = Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Output> {
        self.inner.as_mut().poll(cx)
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.counts.future_drops.fetch_add(1, SeqCst);
        let _ = self.dropped.take().unwrap().send(());
        if self.panic_on_drop && !std::thread::panicking() {
            std::panic::panic_any(FUTURE_DROP_PANIC);
        }
    }
}

/// The task's output: counts its drop, and panics there if asked to.
struct Output {
    value: u64,
    panic_on_drop: bool,
    counts: Arc<Counts>,
}

impl Drop for Output {
    fn drop(&mut self) {
        self.counts.output_drops.fetch_add(1, SeqCst);
        if self.panic_on_drop && !std::thread::panicking() {
            std::panic::panic_any(OUTPUT_DROP_PANIC);
        }
    }
}

/// The spawned task, as its spawner returned it.
enum Task {
    Handle(JoinHandle<Output>),
    Set(JoinSet<Output>, AbortHandle),
}

impl Task {
    fn abort(&self) {
        match self {
            Task::Handle(handle) => handle.abort(),
            Task::Set(_, abort) => abort.abort(),
        }
    }

    fn is_finished(&self) -> bool {
        match self {
            Task::Handle(handle) => handle.is_finished(),
            Task::Set(_, abort) => abort.is_finished(),
        }
    }

    /// Lets go of the task without aborting it.
    fn detach(self) {
        match self {
            Task::Handle(handle) => drop(handle),
            Task::Set(mut set, _abort) => {
                set.detach_all();
                assert!(set.is_empty());
            }
        }
    }

    /// Waits for the task's result.
    async fn join(self) -> Result<Output, JoinError> {
        match self {
            Task::Handle(handle) => handle.await,
            Task::Set(mut set, _abort) => {
                let result = set.join_next().await.expect("the task is in the set");
                assert!(set.join_next().await.is_none());
                result
            }
        }
    }
}

fn payload_is(err: JoinError, expected: &str) -> bool {
    err.into_panic().downcast_ref::<&str>() == Some(&expected)
}

impl Combination {
    fn run(self) {
        let rt = self.flavor.rt();
        let counts = Arc::new(Counts::default());
        let (first_poll_tx, first_poll_rx) = oneshot::channel::<()>();
        let (release_tx, release_rx) = oneshot::channel::<()>();
        // Kept until the end when not sent: a dropped sender would let the
        // task finish.
        let mut release = Some(release_tx);
        let (dropped_tx, dropped_rx) = oneshot::channel::<()>();
        let inner = {
            let counts = counts.clone();
            let (panic_on_poll, panic_on_drop) = (self.panic_on_poll, self.output_panics_on_drop);
            async move {
                let _ = first_poll_tx.send(());
                // Held by the test until it lets the task finish.
                release_rx.await.expect("released, not abandoned");
                // An abort that lands while the first poll still runs
                // cannot stop that poll: were the release already there,
                // the task would finish in it. A yield gives the abort a
                // place to act (tokio's test yields here too).
                task::yield_now().await;
                if panic_on_poll {
                    std::panic::panic_any(POLL_PANIC);
                }
                Output {
                    value: VALUE,
                    panic_on_drop,
                    counts,
                }
            }
        };
        let future = Tracked {
            inner: Box::pin(inner),
            panic_on_drop: self.future_panics_on_drop,
            counts: counts.clone(),
            dropped: Some(dropped_tx),
        };

        // An abort before the first poll must come before any worker can
        // take the task: hold them (the current-thread runtime, and
        // `spawn_local` tasks, only run in `block_on` anyway).
        let held = (self.abort == Abort::BeforeFirstPoll && self.spawner != Spawner::SpawnLocal)
            .then(|| hold_workers(&rt, self.flavor));
        let task = {
            let _enter = rt.enter();
            match self.spawner {
                Spawner::Spawn => Task::Handle(guillotine::spawn(future)),
                Spawner::SpawnLocal => Task::Handle(task::spawn_local(future)),
                Spawner::JoinSet => {
                    let mut set = JoinSet::new();
                    let abort = set.spawn(future);
                    Task::Set(set, abort)
                }
            }
        };
        if self.abort == Abort::BeforeFirstPoll {
            task.abort();
        }
        drop(held);
        let polled = self.wait(&rt, "the first poll", first_poll_rx).is_ok();
        assert_eq!(polled, self.abort != Abort::BeforeFirstPoll, "{self:?}");
        if self.abort == Abort::AfterFirstPoll {
            task.abort();
        }
        let aborted = self.abort != Abort::Never;
        let mut task = Some(task);
        if self.handle == HandleFate::DropBeforeCompletion {
            task.take().unwrap().detach();
        }

        let rt = match self.runtime_drop {
            RuntimeDrop::Early => {
                drop(rt);
                assert_eq!(
                    counts.future_drops.load(SeqCst),
                    1,
                    "dropping the runtime drops the future: {self:?}"
                );
                None
            }
            RuntimeDrop::Late => {
                // Not sent (the receiver is gone) if the task was aborted.
                let _ = release.take().unwrap().send(());
                assert!(self.wait(&rt, "the future's drop", dropped_rx).is_ok());
                Some(rt)
            }
        };
        let cancelled = aborted || self.runtime_drop == RuntimeDrop::Early;
        let output_made = !cancelled && !self.panic_on_poll;

        match self.handle {
            HandleFate::DropBeforeCompletion => {}
            HandleFate::DropAfterCompletion => {
                let task = task.take().unwrap();
                // The future's drop signal comes just before the task is
                // marked complete (on a worker, perhaps not yet).
                wait_until("the task completes", || task.is_finished());
                let unwound = catch_unwind(AssertUnwindSafe(|| drop(task)));
                assert!(unwound.is_ok(), "a handle's drop never panics: {self:?}");
            }
            HandleFate::Await => {
                let join = task.take().unwrap().join();
                let result = match &rt {
                    Some(rt) => self.wait(rt, "the result", join),
                    // The runtime's drop has settled every task.
                    None => join
                        .now_or_never()
                        .expect("resolved with the runtime's drop"),
                };
                self.check(result, cancelled);
            }
        }
        if let Some(rt) = &rt {
            // Finished tasks leave the runtime's books (on a worker, a
            // moment after their handle may resolve).
            let metrics = rt.metrics();
            wait_until("no task alive", || metrics.num_alive_tasks() == 0);
        }
        drop(rt);
        drop(release);

        assert_eq!(
            counts.future_drops.load(SeqCst),
            1,
            "future drops: {self:?}"
        );
        assert_eq!(
            counts.output_drops.load(SeqCst),
            usize::from(output_made),
            "output drops: {self:?}"
        );
    }

    /// Runs `future` on `rt`, failing rather than hanging if the runtime
    /// loses a wake or a drop.
    fn wait<F: Future>(&self, rt: &Runtime, what: &str, future: F) -> F::Output {
        match rt.block_on(async { guillotine::time::timeout(PATIENCE, future).await }) {
            Ok(out) => out,
            Err(_) => panic!("timed out waiting for {what}: {self:?}"),
        }
    }

    /// Checks an awaited result, then drops the output (if any) as its owner.
    fn check(self, result: Result<Output, JoinError>, cancelled: bool) {
        match result {
            Ok(output) => {
                assert!(!cancelled && !self.panic_on_poll, "{self:?}: got an output");
                assert_eq!(output.value, VALUE);
                let unwound = catch_unwind(AssertUnwindSafe(|| drop(output)));
                assert_eq!(unwound.is_err(), self.output_panics_on_drop, "{self:?}");
            }
            Err(err) if cancelled && self.future_panics_on_drop => {
                assert!(err.is_panic(), "{self:?}: {err:?}");
                assert!(payload_is(err, FUTURE_DROP_PANIC), "{self:?}");
            }
            Err(err) if cancelled => assert!(err.is_cancelled(), "{self:?}: {err:?}"),
            Err(err) => {
                assert!(self.panic_on_poll, "{self:?}: {err:?}");
                assert!(err.is_panic(), "{self:?}: {err:?}");
                assert!(payload_is(err, POLL_PANIC), "{self:?}");
            }
        }
    }
}
