//! What the scheduler parks on: the epoll [`Selector`](epoll::Selector),
//! the runtime's eventfd (`unpark.rs`) and the timer queue (`time/`), whose
//! earliest deadline bounds every wait. The driver knows nothing of tasks:
//! it only hands out wakes.

pub(crate) mod epoll;
pub(crate) mod park;
pub(crate) mod time;
pub(crate) mod unpark;

use std::io;
use std::sync::Arc;
use std::task::Waker;
use std::time::Duration;

use epoll::Selector;
use time::TimeHandle;
use unpark::Unparker;

/// The token of the runtime's eventfd; no registration ever gets it.
pub(crate) const UNPARK_TOKEN: u64 = u64::MAX;

/// The owned half of the driver, turned by the runtime thread only.
#[derive(Debug)]
pub(crate) struct Driver {
    selector: Selector,
    /// The timers; `Shared` and every `Sleep` hold it too.
    time: Arc<TimeHandle>,
    /// Expired timers' wakers, woken after the queue's lock is released;
    /// kept to reuse its allocation.
    expired: Vec<Waker>,
}

impl Driver {
    /// Creates the epoll instance and registers the unparker's eventfd.
    pub(crate) fn new(unparker: &Unparker) -> io::Result<Driver> {
        let selector = Selector::new()?;
        if let Some(fd) = unparker.raw_fd() {
            // Edge-triggered: every write is an edge, so the counter never
            // needs draining on the wake path.
            selector.add(fd, (libc::EPOLLIN | libc::EPOLLET) as u32, UNPARK_TOKEN)?;
        }
        Ok(Driver {
            selector,
            time: Arc::new(TimeHandle::new()),
            expired: Vec::new(),
        })
    }

    /// The timer queue, for `Shared` (and through it, every `Sleep`).
    pub(crate) fn time(&self) -> &Arc<TimeHandle> {
        &self.time
    }

    /// Waits for events up to `timeout` (`None`: until an event or unpark),
    /// never past the earliest timer, then dispatches events and fires
    /// expired timers.
    pub(crate) fn turn(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        self.selector.select(self.time.wait_timeout(timeout))?;
        for (token, _events) in self.selector.events() {
            if token == UNPARK_TOKEN {
                // Its only job was to end the wait.
                continue;
            }
        }
        self.time.fire_expired(&mut self.expired);
        Ok(())
    }
}
