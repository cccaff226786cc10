//! The tasks a runtime owns: an intrusive doubly linked list threaded through
//! each task's header, so tracking a task costs no allocation. It holds one
//! reference per task; shutdown walks it to drop every unfinished future.
//! Only the thread holding it touches it: a core's list is its thread's,
//! the multi-thread flavor's shards sit behind mutexes.

use std::ptr::NonNull;

use super::raw::{Header, RawTask};

/// The links stored in each header. A task is linked iff it has a `prev`
/// or is the list's head (no flag: every byte of the header counts, a
/// million pending tasks make a megabyte of each byte).
#[derive(Debug)]
pub(crate) struct Pointers {
    prev: Option<NonNull<Header>>,
    next: Option<NonNull<Header>>,
}

impl Pointers {
    pub(crate) const fn new() -> Pointers {
        Pointers {
            prev: None,
            next: None,
        }
    }
}

/// The list; it holds the "owned" reference of every linked task.
#[derive(Debug, Default)]
pub(crate) struct OwnedTasks {
    head: Option<NonNull<Header>>,
    len: usize,
}

// SAFETY: the list holds task pointers (as `RawTask`, which is `Send`) and
// touches their links only through `&mut self`. A list holding `!Send`
// futures lives in a worker's `Core` or in a thread's home of local tasks
// (`scheduler/local.rs`), which are only ever reached through an `Rc<Core>`
// (`!Send`) and never leave their thread. The one `Core` that moves, a
// current-thread runtime's (as a `ParkedCore`, `current_thread.rs`), holds
// only `Send` tasks: `spawn_local` never lists a task there. The
// multi-thread flavor's shards, behind mutexes, hold only `Send` tasks.
unsafe impl Send for OwnedTasks {}

/// # Safety
/// `ptr` is a live task whose links only the holder of its list touches, and the
/// caller is that thread with no other borrow of the links outstanding.
unsafe fn links<'a>(ptr: NonNull<Header>) -> &'a mut Pointers {
    // SAFETY: forwarded from the caller.
    unsafe { &mut *ptr.as_ref().owned.get() }
}

impl OwnedTasks {
    /// Links a task, taking over its owned reference.
    pub(crate) fn push(&mut self, task: RawTask) {
        let ptr = task.header_ptr();
        // SAFETY: we hold the list (`&mut self`); the task is alive (we hold its
        // owned reference) and not yet linked.
        unsafe {
            let l = links(ptr);
            debug_assert!(l.prev.is_none() && self.head != Some(ptr));
            l.prev = None;
            l.next = self.head;
            if let Some(head) = self.head {
                links(head).prev = Some(ptr);
            }
        }
        self.head = Some(ptr);
        self.len += 1;
    }

    /// Unlinks a task and returns whether it was linked. The caller then
    /// drops the owned reference.
    pub(crate) fn remove(&mut self, task: RawTask) -> bool {
        let ptr = task.header_ptr();
        // SAFETY: we hold the list; every linked task is alive because the list
        // holds a reference to it.
        unsafe {
            let l = links(ptr);
            if l.prev.is_none() && self.head != Some(ptr) {
                return false;
            }
            let (prev, next) = (l.prev.take(), l.next.take());
            match prev {
                Some(p) => links(p).next = next,
                None => self.head = next,
            }
            if let Some(n) = next {
                links(n).prev = prev;
            }
        }
        self.len -= 1;
        true
    }

    /// Unlinks and returns the first task, with its owned reference.
    pub(crate) fn pop(&mut self) -> Option<RawTask> {
        let task = RawTask::from_raw(self.head?);
        self.remove(task);
        Some(task)
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }
}
