//! What the scheduler parks on: the epoll [`Selector`](epoll::Selector) and
//! the runtime's eventfd (`unpark.rs`). The driver knows nothing of tasks: it
//! only hands out wakes.

pub(crate) mod epoll;
pub(crate) mod park;
pub(crate) mod unpark;

use std::io;
use std::time::Duration;

use epoll::Selector;
use unpark::Unparker;

/// The token of the runtime's eventfd; no registration ever gets it.
pub(crate) const UNPARK_TOKEN: u64 = u64::MAX;

/// The owned half of the driver, turned by the runtime thread only.
#[derive(Debug)]
pub(crate) struct Driver {
    selector: Selector,
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
        Ok(Driver { selector })
    }

    /// Waits for events up to `timeout` (`None`: until an event or unpark)
    /// and dispatches them.
    pub(crate) fn turn(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        self.selector.select(timeout)?;
        for (token, _events) in self.selector.events() {
            if token == UNPARK_TOKEN {
                // Its only job was to end the wait.
                continue;
            }
        }
        Ok(())
    }
}
