//! The schedulers, and what every flavor shares: how a woken task is
//! queued ([`schedule`]), deferring a task behind the driver ([`defer`]),
//! waiting for a future on a thread that does not drive the runtime
//! ([`park_on`]), and the timer slack of a running runtime.
//!
//! `current_thread.rs` is the single-threaded flavor: [`Core`] (run queue,
//! owned tasks, driver; one thread) and [`Shared`] (injection queue, driver
//! handle, blocking pool; any thread).

pub(crate) mod current_thread;
pub(crate) mod inject;
pub(crate) mod multi_thread;

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering::{Acquire, Release};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

pub(crate) use current_thread::{Core, Shared};

use crate::runtime::blocking::PoolConfig;
use crate::runtime::context;
use crate::runtime::task::RawTask;

/// Settings the scheduler reads on every tick.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    /// Task polls between two non-blocking turns of the driver.
    pub(crate) event_interval: u32,
    /// The longest spin before sleeping (zero: never spin).
    pub(crate) max_spin: Duration,
    /// The blocking pool's settings.
    pub(crate) pool: PoolConfig,
}

/// Queues a woken task (the caller hands over one reference): on the local
/// run queue when called on this task's runtime thread, else remotely.
pub(crate) fn schedule(task: RawTask) {
    let shared = &task.header().shared;
    let local = context::with_core(|core| match core {
        Some(core) if Arc::ptr_eq(&core.shared, shared) => {
            core.push_local(task);
            true
        }
        _ => false,
    });
    if !local && let Some(rejected) = shared.push_remote(task) {
        // The runtime is gone; this was the queue's reference.
        rejected.drop_ref();
    }
}

/// Puts `waker` behind the next turn of the driver: on a thread running a
/// runtime's `block_on`, it is woken after the driver has been looked at;
/// anywhere else, at once.
pub(crate) fn defer(waker: &Waker) {
    let deferred = context::with_running_core(|core| match core {
        Some(core) => {
            core.defer(waker);
            true
        }
        None => false,
    });
    if !deferred {
        waker.wake_by_ref();
    }
}

/// Lowers the thread's timer slack for the duration of a `block_on`, and
/// restores it after. The kernel's default 50 µs slack would make every
/// timed `epoll_pwait2` up to 50 µs late; timers are the only timed waits the
/// runtime makes, and a timer's lateness is what users measure.
pub(crate) struct TightTimerSlack {
    /// The slack to restore; `None` if it could not be read (then nothing
    /// was changed).
    saved: Option<libc::c_ulong>,
}

/// The slack while a runtime runs.
const TIMER_SLACK_NS: libc::c_ulong = 1_000;

impl TightTimerSlack {
    pub(crate) fn new() -> TightTimerSlack {
        let saved = match crate::sys::timer_slack() {
            Ok(s) if s > TIMER_SLACK_NS => {
                crate::sys::set_timer_slack(TIMER_SLACK_NS).ok().map(|()| s)
            }
            _ => None,
        };
        TightTimerSlack { saved }
    }
}

impl Drop for TightTimerSlack {
    fn drop(&mut self) {
        if let Some(s) = self.saved {
            // It was settable a moment ago; nothing useful to do on failure.
            let _ = crate::sys::set_timer_slack(s);
        }
    }
}

/// Wakes a thread parked in [`park_on`].
struct ThreadWake {
    thread: std::thread::Thread,
    woken: AtomicBool,
}

impl Wake for ThreadWake {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Release);
        self.thread.unpark();
    }
}

/// Runs `future` on this thread, which does not own the runtime, parking
/// the thread between wakes (`Handle::block_on` off the runtime's thread).
pub(crate) fn park_on<F: Future>(future: F) -> F::Output {
    let wake = Arc::new(ThreadWake {
        thread: std::thread::current(),
        woken: AtomicBool::new(false),
    });
    let waker = Waker::from(wake.clone());
    let mut cx = Context::from_waker(&waker);
    let mut future = pin!(future);
    loop {
        if let Poll::Ready(out) = context::poll_scope(None, || future.as_mut().poll(&mut cx)) {
            return out;
        }
        while !wake.woken.swap(false, Acquire) {
            std::thread::park();
        }
    }
}
