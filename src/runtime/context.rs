//! The thread-local context: which runtime this thread has entered, whether
//! it owns and is running that runtime, and the task being polled.
//!
//! Two slots, because they die differently at thread exit:
//! * `CONTEXT` holds reference-counted runtime parts, so it has a destructor
//!   and is gone during the rest of thread teardown. Every access goes
//!   through `try_with`; a runtime dropped from another thread-local's
//!   destructor then shuts down without a context instead of aborting.
//! * `TASK` holds only `Copy` data (the cooperative budget, the current
//!   task's id, the driver this thread turns), has no destructor, and is
//!   always reachable.
//!
//! The slots are set by RAII guards that restore the previous values on drop,
//! also when a poll panics:
//! * `block_on` sets the handle, the core and `running` (a nested `block_on`
//!   panics while `running` is set); a thread waiting for a current-thread
//!   runtime's core meanwhile has its home of local tasks as its core;
//! * `Runtime::enter` sets the handle and this thread's home of local tasks
//!   (or keeps the core if this thread drives that runtime already);
//!   shutdown sets the handle and the core it shuts down;
//! * `Handle::enter` and blocking threads set the handle only: spawns go
//!   through the injection queue, timers and sockets register remotely.
//!
//! Guards nest, and each records its depth: a user's `EnterGuard` dropped
//! before one entered after it panics, as in tokio (see [`SetGuard`]).

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::Arc;

use crate::runtime::coop::Budget;
use crate::runtime::driver;
use crate::runtime::scheduler::{Core, Shared};
use crate::runtime::task::Id;

/// The runtime parts this thread has entered.
struct Context {
    /// The runtime spawns, timers and sockets go to.
    handle: RefCell<Option<Arc<Shared>>>,
    /// The core this thread runs or holds for that runtime: the one it
    /// drives (`Runtime::block_on`, a worker), this thread's home of local
    /// tasks (`Runtime::enter`, waiting for a current-thread runtime's
    /// core), or the one being shut down.
    core: RefCell<Option<Rc<Core>>>,
    /// A `block_on` is running on this thread.
    running: Cell<bool>,
    /// That `block_on`'s future may block the thread in
    /// `task::block_in_place`: false only for a current-thread runtime's
    /// `Runtime::block_on`, whose thread runs every task.
    may_block: Cell<bool>,
    /// How many context guards are alive on this thread: each guard
    /// records the depth it set, which tells a guard dropped out of order.
    depth: Cell<usize>,
}

thread_local! {
    static CONTEXT: Context = const {
        Context {
            handle: RefCell::new(None),
            core: RefCell::new(None),
            running: Cell::new(false),
            may_block: Cell::new(true),
            depth: Cell::new(0),
        }
    };
}

/// Per-poll state, without a destructor: reachable for the whole life of the
/// thread, including other thread-locals' destructors.
pub(crate) struct TaskScope {
    /// The cooperative budget of the poll in progress.
    pub(crate) budget: Cell<Budget>,
    /// The id of the task being polled.
    pub(crate) id: Cell<Option<Id>>,
    /// The address of the driver this thread turns (0: none). Compared, never
    /// dereferenced: a wake on that thread needs no unpark.
    driver: Cell<usize>,
}

thread_local! {
    pub(crate) static TASK: TaskScope = const {
        TaskScope {
            budget: Cell::new(Budget::unconstrained()),
            id: Cell::new(None),
            driver: Cell::new(0),
        }
    };
}

/// Restores the previous context on drop.
///
/// Guards nest: each restores what the one before it set, so they must be
/// dropped in the reverse order of their creation. The runtime's own guards
/// are scoped and always are; a user's `EnterGuard`s may not be. A guard
/// dropped while guards entered after it are still alive restores the
/// context from before it anyway (the later guards' saved contexts are
/// stale by then, and they restore nothing), then, if it is an
/// `EnterGuard` and the thread is not already panicking, panics naming the
/// mistake, as tokio does.
#[derive(Debug)]
pub(crate) struct SetGuard {
    /// `None` when the context could not be entered (thread teardown): then
    /// there is nothing to restore.
    prev: Option<Saved>,
    /// The depth this guard set (see [`Context::depth`]).
    depth: usize,
    /// An `EnterGuard`'s: dropping it out of order is the user's mistake.
    user: bool,
}

#[derive(Debug)]
struct Saved {
    handle: Option<Arc<Shared>>,
    core: Option<Rc<Core>>,
    running: bool,
    may_block: bool,
    driver: usize,
}

impl SetGuard {
    /// Marks this guard as an `EnterGuard`'s (see [`SetGuard`]).
    pub(crate) fn for_user(mut self) -> SetGuard {
        self.user = true;
        self
    }
}

impl Drop for SetGuard {
    fn drop(&mut self) {
        let Some(prev) = self.prev.take() else {
            return;
        };
        // The values are dropped outside the borrow: dropping the last
        // reference to a core may run user code.
        let restored = CONTEXT.try_with(|c| {
            let depth = c.depth.get();
            if depth < self.depth {
                // A guard entered before this one was dropped first and
                // restored the context from before both.
                return None;
            }
            c.depth.set(self.depth - 1);
            c.running.set(prev.running);
            c.may_block.set(prev.may_block);
            TASK.with(|t| t.driver.set(prev.driver));
            let old = (c.handle.replace(prev.handle), c.core.replace(prev.core));
            Some((old, depth == self.depth))
        });
        let in_order = match restored {
            Ok(Some((old, in_order))) => {
                drop(old);
                in_order
            }
            _ => true,
        };
        if !in_order && self.user && !std::thread::panicking() {
            panic!(
                "`EnterGuard`s dropped out of order: the guards of `Runtime::enter` and \
                 `Handle::enter` restore the context that was current when they were made, so \
                 they must be dropped in the reverse order of their creation (drop the last one \
                 entered first)"
            );
        }
    }
}

/// Replaces the context; `None` when the slot is gone (thread teardown).
/// `running` and `may_block`: `None` keeps the current values.
fn set(
    handle: Arc<Shared>,
    core: Option<Rc<Core>>,
    running: Option<bool>,
    may_block: Option<bool>,
) -> SetGuard {
    // The thread that holds a core is the one that turns its driver; a home
    // of a current-thread runtime's local tasks turns none (the runtime's
    // core may be driven by another thread meanwhile).
    let driver = core
        .as_ref()
        .filter(|c| !c.is_passive())
        .map_or(0, |c| driver_addr(&c.shared.driver));
    let entered = CONTEXT
        .try_with(|c| {
            let depth = c.depth.get() + 1;
            c.depth.set(depth);
            let saved = Saved {
                running: c.running.replace(running.unwrap_or(c.running.get())),
                may_block: c.may_block.replace(may_block.unwrap_or(c.may_block.get())),
                handle: c.handle.replace(Some(handle)),
                core: c.core.replace(core),
                driver: TASK.with(|t| t.driver.replace(driver)),
            };
            (saved, depth)
        })
        .ok();
    match entered {
        Some((saved, depth)) => SetGuard {
            prev: Some(saved),
            depth,
            user: false,
        },
        None => SetGuard {
            prev: None,
            depth: 0,
            user: false,
        },
    }
}

fn driver_addr(driver: &driver::Handle) -> usize {
    std::ptr::from_ref(driver).addr()
}

/// Whether this thread turns `driver` (it owns the core the driver belongs
/// to), so the driver cannot be parked while this thread is here.
pub(crate) fn turns_driver(driver: &driver::Handle) -> bool {
    TASK.with(|t| t.driver.get() == driver_addr(driver))
}

/// Whether this thread runs async code: a `block_on` (also
/// `Handle::block_on`), or a worker's loop; not inside `block_in_place`.
/// Blocking such a thread stalls the tasks it runs.
pub(crate) fn in_async_context() -> bool {
    CONTEXT.try_with(|c| c.running.get()).unwrap_or(false)
}

/// Panics if this thread is running a `block_on`.
#[track_caller]
pub(crate) fn assert_not_running() {
    if in_async_context() {
        panic!(
            "Cannot start a runtime from within a runtime: `block_on` was called on a thread \
             that is already running a guillotine runtime. This would block the thread that \
             drives the outer runtime's tasks; `.await` the future instead, or spawn it."
        );
    }
}

/// Enters `core` for `block_on` on the runtime `handle` (the core's own,
/// or a multi-thread runtime whose `block_on` thread runs only its local
/// tasks on `core`). `may_block`: the future may call
/// `task::block_in_place` (see [`Context::may_block`]).
///
/// # Panics
/// If this thread is already running a runtime: blocking it would deadlock
/// the tasks that runtime is driving.
#[track_caller]
pub(crate) fn enter_block_on(core: &Rc<Core>, handle: &Arc<Shared>, may_block: bool) -> SetGuard {
    assert_not_running();
    set(
        handle.clone(),
        Some(core.clone()),
        Some(true),
        Some(may_block),
    )
}

/// Enters `home` (this thread's home of local tasks) for a `block_on` on
/// the current-thread runtime `handle` that waits while another thread
/// drives it.
///
/// # Panics
/// As [`enter_block_on`].
#[track_caller]
pub(crate) fn enter_block_on_waiting(
    home: &Rc<Core>,
    handle: &Arc<Shared>,
    may_block: bool,
) -> SetGuard {
    assert_not_running();
    set(
        handle.clone(),
        Some(home.clone()),
        Some(true),
        Some(may_block),
    )
}

/// Enters a worker's core for the worker thread's life.
pub(crate) fn enter_worker(core: &Rc<Core>, runtime: &Arc<Shared>) -> SetGuard {
    set(runtime.clone(), Some(core.clone()), Some(true), Some(true))
}

/// Enters `shared` for `Handle::block_on` on a thread that does not own the
/// runtime (it waits for the future without driving the runtime).
///
/// # Panics
/// As [`enter_block_on`].
#[track_caller]
pub(crate) fn enter_block_on_remote(shared: &Arc<Shared>) -> SetGuard {
    assert_not_running();
    set(shared.clone(), None, Some(true), Some(true))
}

/// Makes `core` current without running it, with `handle` as the runtime
/// (`Runtime::enter`: `core` is this thread's home of local tasks, or the
/// core it drives; shutdown: the core shut down).
pub(crate) fn enter_core_in(core: &Rc<Core>, handle: &Arc<Shared>) -> SetGuard {
    set(handle.clone(), Some(core.clone()), None, None)
}

/// Leaves the core for `task::block_in_place`: the runtime stays current,
/// but this thread neither runs it nor counts as running a `block_on`, so
/// the closure may call `Handle::block_on` or start another runtime.
pub(crate) fn enter_blocking(handle: &Arc<Shared>) -> SetGuard {
    set(handle.clone(), None, Some(false), Some(true))
}

/// What `task::block_in_place` finds on a thread that is not a worker.
#[derive(Debug)]
pub(crate) enum BlockingPlace {
    /// No `block_on` runs here: the closure just runs.
    Free,
    /// The future of a `block_on` that may block its thread (a multi-thread
    /// runtime's, or `Handle::block_on`'s): the closure runs outside it,
    /// with this runtime still current.
    Leave(Arc<Shared>),
    /// This thread runs a current-thread runtime's tasks (a task, or the
    /// future of that runtime's `Runtime::block_on`), or local tasks
    /// (`spawn_local` on a multi-thread runtime's `block_on` thread):
    /// blocking it would stall them.
    Forbidden,
}

/// Where `task::block_in_place` is called from, off a worker.
pub(crate) fn blocking_place() -> BlockingPlace {
    let in_task = task_id().is_some();
    CONTEXT
        .try_with(|c| {
            if !c.running.get() {
                return BlockingPlace::Free;
            }
            let drives_tasks = c.core.borrow().is_some() && in_task;
            match c.handle.borrow().as_ref() {
                Some(handle) if c.may_block.get() && !drives_tasks => {
                    BlockingPlace::Leave(handle.clone())
                }
                _ => BlockingPlace::Forbidden,
            }
        })
        .unwrap_or(BlockingPlace::Free)
}

/// Makes the runtime of `shared` current without its core (`Handle::enter`,
/// blocking threads). The core stays if it is this runtime's.
pub(crate) fn enter_handle(shared: &Arc<Shared>) -> SetGuard {
    let core = CONTEXT
        .try_with(|c| c.core.borrow().clone())
        .ok()
        .flatten()
        .filter(|core| core.belongs_to(shared));
    set(shared.clone(), core, None, None)
}

/// Runs `f` with the core this thread owns, if any. `f` must not run user
/// code (no polls, no drops of futures): the slot is borrowed meanwhile.
pub(crate) fn with_core<R>(f: impl FnOnce(Option<&Core>) -> R) -> R {
    core_with(false, f)
}

/// Runs `f` with the core this thread is running (inside its `block_on`).
pub(crate) fn with_running_core<R>(f: impl FnOnce(Option<&Core>) -> R) -> R {
    core_with(true, f)
}

/// Runs `f` with this thread's core (only while running it, if
/// `running_only`); `None` also during thread teardown.
fn core_with<R>(running_only: bool, f: impl FnOnce(Option<&Core>) -> R) -> R {
    let mut f = Some(f);
    let res = CONTEXT.try_with(|c| {
        let core = c.core.borrow();
        let core = core.as_deref().filter(|_| !running_only || c.running.get());
        (f.take().expect("called once"))(core)
    });
    match res {
        Ok(r) => r,
        Err(_) => (f.take().expect("not called"))(None),
    }
}

/// The core this thread owns, if any.
pub(crate) fn core() -> Option<Rc<Core>> {
    CONTEXT.try_with(|c| c.core.borrow().clone()).ok().flatten()
}

/// Runs `f` with the runtime this thread has entered, without cloning its
/// handle (one contended reference-count change less per spawn). `f` must
/// not enter or leave a runtime.
pub(crate) fn with_handle<R>(f: impl FnOnce(Option<&Arc<Shared>>) -> R) -> R {
    let mut f = Some(f);
    let res = CONTEXT.try_with(|c| (f.take().expect("called once"))(c.handle.borrow().as_ref()));
    match res {
        Ok(r) => r,
        Err(_) => (f.take().expect("not called"))(None),
    }
}

/// The runtime this thread has entered, if any.
pub(crate) fn handle() -> Option<Arc<Shared>> {
    CONTEXT
        .try_with(|c| c.handle.borrow().clone())
        .ok()
        .flatten()
}

/// Restores the task scope's previous values on drop (also on panic).
struct ScopeReset<'a> {
    scope: &'a TaskScope,
    budget: Budget,
    id: Option<Id>,
}

impl Drop for ScopeReset<'_> {
    fn drop(&mut self) {
        self.scope.budget.set(self.budget);
        self.scope.id.set(self.id);
    }
}

/// Runs `f` after `set` changed the task scope, then restores it.
fn scope<R>(set: impl FnOnce(&TaskScope), f: impl FnOnce() -> R) -> R {
    TASK.with(|scope| {
        let _reset = ScopeReset {
            scope,
            budget: scope.budget.get(),
            id: scope.id.get(),
        };
        set(scope);
        f()
    })
}

/// Runs one poll of a task (`id`) or of a `block_on` future (`None`): the
/// id is current and the cooperative budget is full.
#[inline]
pub(crate) fn poll_scope<R>(id: Option<Id>, f: impl FnOnce() -> R) -> R {
    scope(
        |s| {
            s.budget.set(Budget::initial());
            s.id.set(id);
        },
        f,
    )
}

/// Runs `f` (a task's drop) with its id current.
pub(crate) fn id_scope<R>(id: Option<Id>, f: impl FnOnce() -> R) -> R {
    scope(|s| s.id.set(id), f)
}

/// Runs `f` with `budget` (the task id stays).
pub(crate) fn budget_scope<R>(budget: Budget, f: impl FnOnce() -> R) -> R {
    scope(|s| s.budget.set(budget), f)
}

/// The id of the task being polled on this thread.
pub(crate) fn task_id() -> Option<Id> {
    TASK.with(|t| t.id.get())
}

/// The driver new timers and I/O objects register with: this thread's own
/// if it runs the runtime it has entered (a worker: its driver), else one
/// the runtime picks.
pub(crate) fn driver() -> Option<Arc<driver::Handle>> {
    CONTEXT
        .try_with(|c| {
            let handle = c.handle.borrow();
            let handle = handle.as_ref()?;
            let core = c.core.borrow();
            Some(match core.as_deref() {
                Some(core) if core.runs(handle) => core.driver_handle().clone(),
                _ => handle.registration_driver(),
            })
        })
        .ok()
        .flatten()
}
