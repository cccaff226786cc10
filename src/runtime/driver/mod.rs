//! What the scheduler parks on: the epoll [`Selector`](epoll::Selector),
//! the runtime's eventfd (`unpark.rs`), the I/O registrations (`io.rs`) and
//! the timer queue (`time/`), whose earliest deadline bounds every wait. The
//! driver knows nothing of tasks: it only hands out wakes.

pub(crate) mod epoll;
pub(crate) mod io;
pub(crate) mod park;
pub(crate) mod scheduled_io;
pub(crate) mod time;
pub(crate) mod unpark;

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
    /// The I/O registrations; `Shared` and every I/O object hold it too.
    io: Arc<io::Registry>,
    /// Ready I/O's wakers, woken after the registry's lock is released;
    /// kept to reuse its allocation.
    io_wakers: Vec<Waker>,
}

impl Driver {
    /// Creates the epoll instance and registers the unparker's eventfd.
    pub(crate) fn new(unparker: &Unparker) -> std::io::Result<Driver> {
        let selector = Selector::new()?;
        if let Some(fd) = unparker.raw_fd() {
            // Edge-triggered: every write is an edge, so the counter never
            // needs draining on the wake path.
            selector.add(fd, (libc::EPOLLIN | libc::EPOLLET) as u32, UNPARK_TOKEN)?;
        }
        let io = Arc::new(io::Registry::new(selector.raw_fd()));
        Ok(Driver {
            selector,
            io,
            io_wakers: Vec::new(),
            time: Arc::new(TimeHandle::new()),
            expired: Vec::new(),
        })
    }

    /// The I/O registrations, for `Shared` (and through it, every I/O object).
    pub(crate) fn io(&self) -> &Arc<io::Registry> {
        &self.io
    }

    /// The timer queue, for `Shared` (and through it, every `Sleep`).
    pub(crate) fn time(&self) -> &Arc<TimeHandle> {
        &self.time
    }

    /// Waits for events up to `timeout` (`None`: until an event or unpark),
    /// never past the earliest timer, then dispatches I/O events and fires
    /// expired timers.
    pub(crate) fn turn(&mut self, timeout: Option<Duration>) -> std::io::Result<()> {
        if timeout == Some(Duration::ZERO) && !self.io.has_registrations() {
            // A non-blocking look with no descriptors registered could only
            // see the eventfd, whose wakes the scheduler already finds in its
            // injection queue: spare the system call.
            self.time.fire_expired(&mut self.expired);
            return Ok(());
        }
        self.selector.select(self.time.wait_timeout(timeout))?;
        // The unpark token's only job was to end the wait.
        let events = self
            .selector
            .events()
            .filter(|&(token, _)| token != UNPARK_TOKEN);
        self.io.dispatch(events, &mut self.io_wakers);
        self.time.fire_expired(&mut self.expired);
        Ok(())
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // Withdraw the epoll descriptor from the registry before the
        // selector closes it (fields drop after this).
        self.io.shutdown();
    }
}
