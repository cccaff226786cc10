//! The task allocation: a [`Header`] followed by the future's [`Stage`], in
//! one `Box`. Everything that needs the concrete future type goes through the
//! header's [`Vtable`], so queues, wakers and join handles carry one pointer.
//!
//! # Who may touch what
//!
//! * `Header::state` — any thread, atomically (see `state.rs`).
//! * `Cell::stage` — the runtime thread while `RUNNING` is set (polling,
//!   cancelling); after `COMPLETE`, the `JoinHandle` if it still had join
//!   interest at that moment, else the runtime thread that completed it; the
//!   last reference when deallocating.
//! * `Header::join_waker` — as documented on `JOIN_WAKER` in `state.rs`.
//! * `Header::owned` — whoever holds the owned list the task is in
//!   (`list.rs`): a core's thread, or a multi-thread shard's mutex.
//!
//! "The runtime thread" below is the thread that took the task off a
//! queue: the current-thread runtime's, or any worker of a multi-thread
//! runtime (the `RUNNING` bit makes it the only one at a time).

use std::any::Any;
use std::cell::UnsafeCell;
use std::future::Future;
use std::mem::ManuallyDrop;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::ptr::NonNull;
use std::task::{Context, Poll, Waker};

use super::id::Id;
use super::join::JoinError;
use super::list::Pointers;
use super::state::{State, ToIdle, ToRunning};
use crate::runtime::context;
use crate::runtime::scheduler::{self, Shared};
use std::sync::Arc;

/// The type-independent head of every task.
#[repr(C)]
pub(crate) struct Header {
    /// Lifecycle bits and reference count.
    pub(crate) state: State,
    /// The functions that know the future's type.
    vtable: &'static Vtable,
    /// The runtime the task belongs to; wakes from other threads reach it
    /// through this.
    pub(crate) shared: Arc<Shared>,
    /// Links of the owned-task list; whoever holds that list.
    pub(crate) owned: UnsafeCell<Pointers>,
    /// The `JoinHandle`'s waker (see `JOIN_WAKER`).
    join_waker: UnsafeCell<Option<Waker>>,
    /// The task's id; never changes.
    pub(crate) id: Id,
}

/// The future, then its output.
pub(crate) enum Stage<F: Future> {
    Running(F),
    Finished(Result<F::Output, JoinError>),
    Consumed,
}

#[repr(C)]
struct Cell<F: Future> {
    header: Header,
    stage: UnsafeCell<Stage<F>>,
}

/// What became of a task the runtime took off a queue.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum RunOutcome {
    /// Waiting for a wake: drop the queue entry's reference.
    Idle,
    /// Woken while polled: push it again with the same reference.
    Reschedule,
    /// Finished (or cancelled), then taken off its owned list (see
    /// `scheduler::release`): drop the queue's reference, and the list's if
    /// it was `listed`.
    Complete { listed: bool },
    /// It was already complete: drop the queue entry's reference.
    Stale,
}

struct Vtable {
    /// Polls or cancels; runtime thread only.
    run: unsafe fn(NonNull<Header>) -> RunOutcome,
    /// Cancels an unfinished task at shutdown; returns false if it was done.
    shutdown: unsafe fn(NonNull<Header>) -> bool,
    /// Moves the output into `dst` (a `*mut Poll<Result<T, JoinError>>`) if
    /// the task is complete, else registers the waker.
    try_read_output: unsafe fn(NonNull<Header>, *mut (), &Waker),
    /// The `JoinHandle` was dropped after completion: drop the output.
    drop_output: unsafe fn(NonNull<Header>),
    /// Frees the allocation.
    dealloc: unsafe fn(NonNull<Header>),
}

/// A pointer to a task that holds no reference by itself; the wrappers that
/// own one (`Notified`, `OwnedTask`, `JoinHandle`, `Waker`) decide.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct RawTask {
    ptr: NonNull<Header>,
}

// SAFETY: a RawTask only gives access to the header's atomics and to the
// vtable, whose functions uphold the ownership rules above on any thread.
unsafe impl Send for RawTask {}
// SAFETY: as above.
unsafe impl Sync for RawTask {}

impl RawTask {
    /// Allocates a task. Its state starts with three references: the owned
    /// list's, the `JoinHandle`'s and the first queue entry's.
    pub(crate) fn new<F: Future + 'static>(future: F, shared: Arc<Shared>) -> RawTask {
        let cell = Box::new(Cell {
            header: Header {
                state: State::new(),
                vtable: vtable::<F>(),
                shared,
                owned: UnsafeCell::new(Pointers::new()),
                join_waker: UnsafeCell::new(None),
                id: Id::next(),
            },
            stage: UnsafeCell::new(Stage::Running(future)),
        });
        let ptr = NonNull::from(Box::leak(cell)).cast::<Header>();
        RawTask { ptr }
    }

    pub(crate) fn from_raw(ptr: NonNull<Header>) -> RawTask {
        RawTask { ptr }
    }

    /// The task as a word, for the stealable run queue (which stores
    /// addresses). The provenance is exposed for [`RawTask::from_addr`].
    pub(crate) fn addr(self) -> std::num::NonZeroUsize {
        std::num::NonZeroUsize::new(self.ptr.as_ptr().expose_provenance())
            .expect("a task pointer is never null")
    }

    /// The task whose [`addr`](RawTask::addr) this is.
    pub(crate) fn from_addr(addr: std::num::NonZeroUsize) -> RawTask {
        let ptr = std::ptr::with_exposed_provenance_mut::<Header>(addr.get());
        RawTask {
            ptr: NonNull::new(ptr).expect("a task address is never zero"),
        }
    }

    pub(crate) fn header_ptr(self) -> NonNull<Header> {
        self.ptr
    }

    pub(crate) fn header(&self) -> &Header {
        // SAFETY: whoever holds a RawTask also holds (or borrows) a reference,
        // so the allocation is alive.
        unsafe { self.ptr.as_ref() }
    }

    /// Polls or cancels the task. Caller: the runtime thread of the task's
    /// runtime, holding the reference of the queue entry it popped.
    pub(crate) fn run(self) -> RunOutcome {
        // SAFETY: the vtable matches the allocation; the caller is the
        // runtime thread, as `run` requires.
        unsafe { (self.header().vtable.run)(self.ptr) }
    }

    /// Cancels the task if unfinished; runtime thread (or, for a task that
    /// was never bound to a runtime, the thread that owns it).
    pub(crate) fn shutdown(self) -> bool {
        // SAFETY: as for `run`.
        unsafe { (self.header().vtable.shutdown)(self.ptr) }
    }

    /// Cancels a new task that will never be queued (its runtime is closed,
    /// or shutting down) and drops the two references its spawner held for
    /// the owned list and the first queue entry.
    pub(crate) fn cancel_new(self) {
        self.shutdown();
        self.drop_refs(2);
    }

    /// # Safety
    /// `dst` must point to a `Poll<Result<T, JoinError>>` where `T` is the
    /// task's output type, and the caller must be its `JoinHandle`.
    pub(crate) unsafe fn try_read_output(self, dst: *mut (), waker: &Waker) {
        // SAFETY: forwarded from the caller.
        unsafe { (self.header().vtable.try_read_output)(self.ptr, dst, waker) }
    }

    /// Called by the `JoinHandle`'s drop after losing the race to completion.
    pub(crate) fn drop_output(self) {
        // SAFETY: the task is complete and the handle had join interest, so
        // the stage is the handle's.
        unsafe { (self.header().vtable.drop_output)(self.ptr) }
    }

    /// Drops `n` references, freeing the task with the last one.
    pub(crate) fn drop_refs(self, n: usize) {
        if self.header().state.ref_dec(n) {
            // SAFETY: that was the last reference: nobody else can reach it.
            unsafe { (self.header().vtable.dealloc)(self.ptr) }
        }
    }

    pub(crate) fn drop_ref(self) {
        self.drop_refs(1);
    }

    /// Registers `waker` as the join waker unless the task is complete;
    /// returns true if the output can be read. Caller: the `JoinHandle`.
    fn can_read_output(self, waker: &Waker) -> bool {
        let header = self.header();
        let snapshot = header.state.load();
        if snapshot.is_complete() {
            return true;
        }
        if snapshot.is_join_waker_set() {
            // SAFETY: while JOIN_WAKER is set nobody writes the slot.
            let same = unsafe { &*header.join_waker.get() }
                .as_ref()
                .is_some_and(|w| w.will_wake(waker));
            if same {
                return false;
            }
            if header.state.unset_join_waker().is_err() {
                return true;
            }
        }
        let new = waker.clone();
        // SAFETY: JOIN_WAKER is clear, so the slot is the handle's alone.
        unsafe { *header.join_waker.get() = Some(new) };
        header.state.set_join_waker().is_err()
    }
}

fn vtable<F: Future + 'static>() -> &'static Vtable {
    &Vtable {
        run: run::<F>,
        shutdown: shutdown::<F>,
        try_read_output: try_read_output::<F>,
        drop_output: drop_output::<F>,
        dealloc: dealloc::<F>,
    }
}

/// # Safety
/// `ptr` must be the header of a live `Cell<F>`.
unsafe fn stage_of<'a, F: Future>(ptr: NonNull<Header>) -> &'a mut Stage<F> {
    // SAFETY: `Cell` is `repr(C)` with the header first, so the cast is
    // exact; the caller has exclusive access to the stage per the module docs.
    unsafe { &mut *ptr.cast::<Cell<F>>().as_ref().stage.get() }
}

/// # Safety
/// Runtime thread, holding a queue entry's reference to a `Cell<F>`.
unsafe fn run<F: Future + 'static>(ptr: NonNull<Header>) -> RunOutcome {
    let task = RawTask { ptr };
    match task.header().state.transition_to_running() {
        ToRunning::Done => return RunOutcome::Stale,
        ToRunning::Cancel => {
            // SAFETY: RUNNING is set and we are the runtime thread.
            unsafe { cancel::<F>(ptr) };
            return RunOutcome::Complete {
                listed: scheduler::release(task),
            };
        }
        ToRunning::Poll => {}
    }
    // The waker borrows the queue entry's reference: it is never dropped.
    let waker = ManuallyDrop::new(crate::runtime::waker::borrowed(ptr));
    let mut cx = Context::from_waker(&waker);
    // SAFETY: RUNNING is set, so the stage is ours.
    let stage = unsafe { stage_of::<F>(ptr) };
    let id = task.header().id;
    let res = catch_unwind(AssertUnwindSafe(|| {
        context::poll_scope(Some(id), || {
            // A panicking poll drops the future during its unwind, as a
            // panicking function drops its locals: `thread::panicking()` is
            // then true in its `Drop`, and a guard it holds poisons its lock.
            let guard = DropOnUnwind(stage);
            let Stage::Running(fut) = &mut *guard.0 else {
                unreachable!("a running task has its future")
            };
            // SAFETY: the future lives in a heap allocation that does not
            // move until it is dropped in place.
            let res = unsafe { Pin::new_unchecked(fut) }.poll(&mut cx);
            std::mem::forget(guard);
            res
        })
    }));
    let output = match res {
        Ok(Poll::Pending) => match task.header().state.transition_to_idle() {
            ToIdle::Idle => return RunOutcome::Idle,
            ToIdle::Notified => return RunOutcome::Reschedule,
            ToIdle::Cancelled => {
                // SAFETY: RUNNING is still set.
                unsafe { cancel::<F>(ptr) };
                return RunOutcome::Complete {
                    listed: scheduler::release(task),
                };
            }
        },
        Ok(Poll::Ready(out)) => Ok(out),
        Err(payload) => Err(JoinError::panic(id, payload)),
    };
    // SAFETY: RUNNING is still set.
    unsafe { complete::<F>(ptr, output) };
    // Off the runtime's books once complete, an unwanted output dropped
    // included: a runtime that counts no task holds no task's output.
    RunOutcome::Complete {
        listed: scheduler::release(task),
    }
}

/// Drops the future it guards unless forgotten: armed only while a poll runs.
struct DropOnUnwind<'a, F: Future>(&'a mut Stage<F>);

impl<F: Future> Drop for DropOnUnwind<'_, F> {
    fn drop(&mut self) {
        *self.0 = Stage::Consumed;
    }
}

/// Drops the future and stores why.
///
/// # Safety
/// Caller has set RUNNING on a `Cell<F>` and is its runtime thread (or owns a
/// task never bound to a runtime).
unsafe fn cancel<F: Future>(ptr: NonNull<Header>) {
    // SAFETY: RUNNING is set.
    let stage = unsafe { stage_of::<F>(ptr) };
    let id = RawTask { ptr }.header().id;
    // The future's `Drop` sees its own task id, as in a poll.
    let res = catch_unwind(AssertUnwindSafe(|| {
        context::id_scope(Some(id), || *stage = Stage::Consumed)
    }));
    let err = match res {
        Ok(()) => JoinError::cancelled(id),
        Err(payload) => JoinError::panic(id, payload),
    };
    // SAFETY: forwarded.
    unsafe { complete::<F>(ptr, Err(err)) };
}

/// Stores the output and publishes completion.
///
/// # Safety
/// RUNNING is set by the caller on a `Cell<F>`.
unsafe fn complete<F: Future>(ptr: NonNull<Header>, output: Result<F::Output, JoinError>) {
    // SAFETY: RUNNING is set. Dropping the future may panic, as may a user's
    // output type; neither may unwind through the runtime.
    let stage = unsafe { stage_of::<F>(ptr) };
    if let Err(payload) = catch_unwind(AssertUnwindSafe(|| *stage = Stage::Finished(output))) {
        drop_payload(payload);
    }
    let header = RawTask { ptr };
    let header = header.header();
    let snapshot = header.state.transition_to_complete();
    if !snapshot.is_join_interested() {
        // Nobody will read it: the output is ours to drop.
        // SAFETY: COMPLETE without join interest: the stage is ours.
        let stage = unsafe { stage_of::<F>(ptr) };
        if let Err(payload) = catch_unwind(AssertUnwindSafe(|| *stage = Stage::Consumed)) {
            drop_payload(payload);
        }
    } else if snapshot.is_join_waker_set() {
        // SAFETY: JOIN_WAKER is set: the slot is only read now.
        let waker = unsafe { &*header.join_waker.get() };
        if let Some(w) = waker
            && let Err(payload) = catch_unwind(AssertUnwindSafe(|| w.wake_by_ref()))
        {
            drop_payload(payload);
        }
    }
}

/// Drops a panic payload whose own destructor might panic.
pub(crate) fn drop_payload(payload: Box<dyn Any + Send>) {
    if catch_unwind(AssertUnwindSafe(move || drop(payload))).is_err() {
        // A payload that panics while dropping its panic: nothing sane remains.
        std::process::abort();
    }
}

/// # Safety
/// Runtime thread (or owner of an unbound task), holding a reference.
unsafe fn shutdown<F: Future>(ptr: NonNull<Header>) -> bool {
    let task = RawTask { ptr };
    if !task.header().state.transition_to_shutdown() {
        return false;
    }
    // SAFETY: RUNNING was set by the transition.
    unsafe { cancel::<F>(ptr) };
    true
}

/// # Safety
/// Caller is the task's `JoinHandle`; `dst` is a `*mut Poll<Result<F::Output, JoinError>>`.
unsafe fn try_read_output<F: Future>(ptr: NonNull<Header>, dst: *mut (), waker: &Waker) {
    let task = RawTask { ptr };
    if task.can_read_output(waker) {
        // SAFETY: complete with join interest: the stage is the handle's.
        let stage = unsafe { stage_of::<F>(ptr) };
        let out = match std::mem::replace(stage, Stage::Consumed) {
            Stage::Finished(out) => out,
            _ => panic!("JoinHandle polled after it returned Ready"),
        };
        // SAFETY: the caller promises the type of `dst`.
        unsafe { *dst.cast::<Poll<Result<F::Output, JoinError>>>() = Poll::Ready(out) };
    }
}

/// # Safety
/// Complete task, caller is its `JoinHandle`.
unsafe fn drop_output<F: Future>(ptr: NonNull<Header>) {
    // SAFETY: as the caller promises.
    let stage = unsafe { stage_of::<F>(ptr) };
    *stage = Stage::Consumed;
}

/// # Safety
/// The last reference to a `Cell<F>`.
unsafe fn dealloc<F: Future>(ptr: NonNull<Header>) {
    // SAFETY: the allocation came from `Box<Cell<F>>` in `RawTask::new`.
    let cell = unsafe { Box::from_raw(ptr.cast::<Cell<F>>().as_ptr()) };
    // The stage is empty or holds an output; either way it may be dropped
    // here. Don't let a panicking destructor unwind into a waker's drop.
    if catch_unwind(AssertUnwindSafe(move || drop(cell))).is_err() {
        std::process::abort();
    }
}
#[cfg(test)]
mod tests {
    /// A task pending on a small future must fit glibc's 96-byte size class
    /// (88 bytes + the allocator's 8): memory per task is a benchmark row.
    /// The task id, in the header and in a stored `JoinError`, took it from
    /// 72 bytes.
    #[test]
    fn small_task_fits_in_88_bytes() {
        fn cell_size<F: std::future::Future>(_: &F) -> usize {
            std::mem::size_of::<super::Cell<F>>()
        }
        let f = async { std::future::pending::<()>().await };
        assert!(cell_size(&f) <= 88, "task grew to {} bytes", cell_size(&f));
    }
}
