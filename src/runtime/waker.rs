//! The `RawWakerVTable` of a task. A task's `Waker` is the task pointer: clone
//! adds a reference, drop removes one, and wake moves the task to `NOTIFIED`
//! and queues it (see `scheduler::schedule`) unless it is already queued,
//! running or complete.

use std::ptr::NonNull;
use std::task::{RawWaker, RawWakerVTable, Waker};

use crate::runtime::scheduler;
use crate::runtime::task::RawTask;
use crate::runtime::task::raw::Header;
use crate::runtime::task::state::ToNotified;

static VTABLE: RawWakerVTable = RawWakerVTable::new(clone, wake, wake_by_ref, drop_waker);

fn task(ptr: *const ()) -> RawTask {
    // Wakers are only built from task headers, which are never null.
    RawTask::from_raw(NonNull::new(ptr.cast_mut().cast::<Header>()).expect("null task waker"))
}

/// A waker for the task that does not own a reference. Wrap it in
/// `ManuallyDrop`: it borrows the caller's reference for as long as the caller
/// keeps it, and dropping it would release a reference it does not hold.
pub(crate) fn borrowed(ptr: NonNull<Header>) -> Waker {
    let raw = RawWaker::new(ptr.as_ptr().cast_const().cast(), &VTABLE);
    // SAFETY: the vtable's functions follow the RawWaker contract for a task
    // pointer: clone adds a reference, drop releases one, and every function is
    // thread-safe because they only touch the header's atomics or go through
    // `scheduler::schedule`, which is.
    unsafe { Waker::from_raw(raw) }
}

unsafe fn clone(ptr: *const ()) -> RawWaker {
    task(ptr).header().state.ref_inc();
    RawWaker::new(ptr, &VTABLE)
}

unsafe fn wake(ptr: *const ()) {
    let task = task(ptr);
    match task.header().state.transition_to_notified_by_val() {
        // The waker's reference moves to the queue entry.
        ToNotified::Submit => scheduler::schedule(task),
        ToNotified::DoNothing => task.drop_ref(),
    }
}

unsafe fn wake_by_ref(ptr: *const ()) {
    let task = task(ptr);
    if task.header().state.transition_to_notified_by_ref() == ToNotified::Submit {
        scheduler::schedule(task);
    }
}

unsafe fn drop_waker(ptr: *const ()) {
    task(ptr).drop_ref();
}
