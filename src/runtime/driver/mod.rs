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
use park::ParkState;
use time::TimeHandle;
use unpark::Unparker;

/// The token of the runtime's eventfd; no registration ever gets it.
pub(crate) const UNPARK_TOKEN: u64 = u64::MAX;

/// The owned half of the driver, turned by the runtime thread only.
/// The shared half of a driver: what timers, I/O objects and other threads
/// reach (register, deregister, wake the thread that turns it).
#[derive(Debug)]
pub(crate) struct Handle {
    /// The timers.
    pub(crate) time: TimeHandle,
    /// The I/O registrations.
    pub(crate) io: io::Registry,
    /// Whether the driver's thread is parked (see `park.rs`).
    pub(crate) park: ParkState,
    /// The eventfd that ends a parked `epoll_wait`.
    pub(crate) unparker: Unparker,
}

impl Handle {
    /// Wakes the thread that turns this driver, if it is parked, after the
    /// caller published work for it (a new earliest timer, a queued task).
    /// Nothing is needed on that thread itself: it looks at its timers and
    /// queues before it parks.
    pub(crate) fn unpark(&self) {
        if crate::runtime::context::turns_driver(self) {
            return;
        }
        if self.park.notify() {
            self.unparker.unpark();
        }
    }
}

/// The owned half of a driver: the epoll instance, turned by one thread.
#[derive(Debug)]
pub(crate) struct Driver {
    selector: Selector,
    handle: Arc<Handle>,
    /// Expired timers' wakers, woken after the queue's lock is released;
    /// kept to reuse its allocation.
    expired: Vec<Waker>,
    /// Ready I/O's wakers, woken after the registry's lock is released;
    /// kept to reuse its allocation.
    io_wakers: Vec<Waker>,
}

impl Driver {
    /// Creates the epoll instance and the eventfd, and registers the latter.
    pub(crate) fn new() -> std::io::Result<Driver> {
        Driver::with_claims(None)
    }

    /// A driver that shares `claims` with the other drivers of its runtime.
    pub(crate) fn with_claims(claims: Option<Arc<io::Claims>>) -> std::io::Result<Driver> {
        let unparker = Unparker::new()?;
        let selector = Selector::new()?;
        if let Some(fd) = unparker.raw_fd() {
            // Edge-triggered: every write is an edge, so the counter never
            // needs draining on the wake path.
            selector.add(fd, (libc::EPOLLIN | libc::EPOLLET) as u32, UNPARK_TOKEN)?;
        }
        let handle = Arc::new(Handle {
            time: TimeHandle::new(),
            io: io::Registry::new(selector.raw_fd(), claims),
            park: ParkState::new(),
            unparker,
        });
        Ok(Driver {
            selector,
            handle,
            io_wakers: Vec::new(),
            expired: Vec::new(),
        })
    }

    /// The shared half.
    pub(crate) fn handle(&self) -> &Arc<Handle> {
        &self.handle
    }

    /// Waits for events up to `timeout` (`None`: until an event or unpark),
    /// never past the earliest timer, then dispatches I/O events and fires
    /// expired timers.
    pub(crate) fn turn(&mut self, timeout: Option<Duration>) -> std::io::Result<()> {
        let handle = &*self.handle;
        if timeout == Some(Duration::ZERO) && !handle.io.has_registrations() {
            // A non-blocking look with no descriptors registered could only
            // see the eventfd, whose wakes the scheduler already finds in its
            // injection queue: spare the system call.
            handle.time.fire_expired(&mut self.expired);
            return Ok(());
        }
        self.selector.select(handle.time.wait_timeout(timeout))?;
        // The unpark token's only job was to end the wait.
        let events = self
            .selector
            .events()
            .filter(|&(token, _)| token != UNPARK_TOKEN);
        handle.io.dispatch(events, &mut self.io_wakers);
        handle.time.fire_expired(&mut self.expired);
        Ok(())
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // Withdraw the epoll descriptor from the registry before the
        // selector closes it (fields drop after this).
        self.handle.io.shutdown();
    }
}
