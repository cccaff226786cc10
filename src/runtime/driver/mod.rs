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

use std::os::fd::{AsFd, OwnedFd};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed, Ordering::SeqCst, fence};
use std::task::Waker;
use std::time::Duration;

use epoll::Selector;
use park::ParkState;
use time::TimeHandle;
use unpark::Unparker;

/// The token of the runtime's eventfd; no registration ever gets it.
pub(crate) const UNPARK_TOKEN: u64 = u64::MAX;

/// The shared half of a driver: what timers, I/O objects and other threads
/// reach (register, deregister, wake the thread that turns it).
#[derive(Debug)]
pub(crate) struct Handle {
    /// The timers.
    pub(crate) time: TimeHandle,
    /// The I/O registrations.
    pub(crate) io: Arc<io::Registry>,
    /// Whether the driver's thread is parked (see `park.rs`).
    pub(crate) park: ParkState,
    /// The eventfd that ends a parked `epoll_wait`.
    pub(crate) unparker: Unparker,
    /// A multi-thread worker's: the runtime's shared epoll, whose eventfd
    /// wakes this worker while it sleeps there.
    shared_io: Option<Arc<SharedIo>>,
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
        match self.park.notify() {
            Some(park::Sleeper::Own) => self.unparker.unpark(),
            Some(park::Sleeper::Shared) => {
                if let Some(shared) = &self.shared_io {
                    shared.unparker.unpark();
                }
            }
            None => {}
        }
    }
}

/// The owned half of a driver: the epoll instance, turned by one thread.
#[derive(Debug)]
pub(crate) struct Driver {
    /// The own epoll: the eventfd, and the descriptors unless they live in
    /// `shared`.
    selector: Selector,
    handle: Arc<Handle>,
    /// Expired timers' wakers, woken after the queue's lock is released;
    /// kept to reuse its allocation.
    expired: Vec<Waker>,
    /// Ready I/O's wakers, woken after the registry's lock is released;
    /// kept to reuse its allocation.
    io_wakers: Vec<Waker>,
    /// A multi-thread worker's: the runtime's epoll of descriptors.
    shared: Option<WorkerIo>,
}

/// A worker driver's hold on the runtime's [`SharedIo`].
#[derive(Debug)]
struct WorkerIo {
    io: Arc<SharedIo>,
    /// The shared epoll. Only the drivers hold it (beside the registry,
    /// until its shutdown), so it closes with them, at shutdown.
    ep: Arc<OwnedFd>,
}

/// What the workers of a multi-thread runtime share of the one epoll
/// instance that holds every descriptor, as tokio's I/O driver: at most one
/// worker sleeps in it at a time (the one that set `sleeper`), the others
/// in their own epolls, which hold only their eventfds; a busy worker (or
/// the watcher) takes its events without blocking, into its own buffer
/// (epoll hands each event to one caller). A sleeping worker is woken
/// through `unparker`, registered in the epoll (see `park.rs`'s `SHARED`).
///
/// So a socket's events go to whichever worker is free, and a worker stuck
/// in a long poll holds none of them: it never sleeps while it runs a task.
#[derive(Debug)]
pub(crate) struct SharedIo {
    registry: Arc<io::Registry>,
    unparker: Unparker,
    /// Set by the worker that sleeps (or is about to) in the epoll, with a
    /// compare-exchange: the role is taken, never waited for.
    sleeper: AtomicBool,
}

impl SharedIo {
    /// Creates the epoll instance and its eventfd; returns the epoll for
    /// the workers' drivers ([`Driver::with_shared_io`]).
    pub(crate) fn new() -> std::io::Result<(Arc<SharedIo>, Arc<OwnedFd>)> {
        let ep = Arc::new(crate::sys::epoll_create()?);
        let unparker = Unparker::new()?;
        if let Some(fd) = &*unparker.fd() {
            // Edge-triggered, as a driver's own: a stale edge costs one
            // early return, never a busy loop.
            crate::sys::epoll_add(
                &*ep,
                fd.as_fd(),
                (libc::EPOLLIN | libc::EPOLLET) as u32,
                UNPARK_TOKEN,
            )?;
        }
        let io = SharedIo {
            registry: Arc::new(io::Registry::new(ep.clone())),
            unparker,
            sleeper: AtomicBool::new(false),
        };
        Ok((Arc::new(io), ep))
    }

    /// Fails every registration and closes the eventfd (shutdown, once no
    /// worker can turn a driver), not with the last handle that holds
    /// this; the epoll closes with the drivers.
    pub(crate) fn close(&self) {
        self.registry.shutdown();
        self.unparker.close();
    }

    /// For a thread that took the epoll's events without being about to
    /// sleep in it (the watcher): a worker may have parked in its own epoll
    /// while another one was about to sleep in the shared one and then did
    /// not. If nobody sleeps in the shared epoll now, wake such a worker to
    /// take that place; else a quiet runtime would leave the descriptors
    /// unwatched.
    pub(crate) fn keep_watched<'a>(&self, drivers: impl Iterator<Item = &'a Handle>) {
        fence(SeqCst);
        if self.sleeper.load(SeqCst) {
            return;
        }
        if let Some(sleeper) = drivers.into_iter().find(|h| h.park.is_parked_own()) {
            sleeper.unpark();
        }
    }
}

impl Driver {
    /// Creates the epoll instance and the eventfd, and registers the latter.
    pub(crate) fn new(clock: Arc<time::Clock>) -> std::io::Result<Driver> {
        Driver::build(None, clock)
    }

    /// A multi-thread worker's driver: its descriptors live in `io`, its
    /// own epoll holds only its eventfd.
    pub(crate) fn with_shared_io(
        io: &Arc<SharedIo>,
        ep: Arc<OwnedFd>,
        clock: Arc<time::Clock>,
    ) -> std::io::Result<Driver> {
        let mut driver = Driver::build(Some(io.clone()), clock)?;
        driver.shared = Some(WorkerIo { io: io.clone(), ep });
        Ok(driver)
    }

    fn build(shared: Option<Arc<SharedIo>>, clock: Arc<time::Clock>) -> std::io::Result<Driver> {
        let unparker = Unparker::new()?;
        let selector = Selector::new()?;
        if let Some(fd) = &*unparker.fd() {
            // Edge-triggered: every write is an edge, so the counter never
            // needs draining on the wake path.
            selector.add(
                fd.as_fd(),
                (libc::EPOLLIN | libc::EPOLLET) as u32,
                UNPARK_TOKEN,
            )?;
        }
        let handle = Arc::new(Handle {
            time: TimeHandle::new(clock),
            io: match &shared {
                Some(shared) => shared.registry.clone(),
                None => Arc::new(io::Registry::new(selector.shared_fd())),
            },
            shared_io: shared,
            park: ParkState::new(),
            unparker,
        });
        #[cfg(feature = "test-util")]
        handle.time.clock.add_driver(&handle);
        Ok(Driver {
            selector,
            handle,
            io_wakers: Vec::new(),
            expired: Vec::new(),
            shared: None,
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
        if timeout == Some(Duration::ZERO) && !self.handle.io.has_registrations() {
            // A non-blocking look with no descriptors registered could only
            // see the eventfd, whose wakes the scheduler already finds in its
            // injection queue: spare the system call.
            self.handle.time.fire_expired(&mut self.expired);
            return Ok(());
        }
        self.dispatch(timeout)
    }

    /// Waits up to `timeout` (never past the earliest timer), in the own
    /// epoll or, for a worker, the shared one, then dispatches I/O events
    /// and fires expired timers.
    fn dispatch(&mut self, timeout: Option<Duration>) -> std::io::Result<()> {
        let handle = &*self.handle;
        let wait = handle.time.wait_timeout(timeout);
        // Whether a look took the events of the shared epoll without
        // sleeping in it.
        let mut looked = None;
        match &self.shared {
            None => self.selector.select(wait)?,
            Some(WorkerIo { io, ep }) if wait == Some(Duration::ZERO) => {
                self.selector.select_on(ep.as_fd(), wait)?;
                looked = Some(io);
            }
            Some(WorkerIo { io, ep }) => {
                // Parked (announced) before looking at `sleeper`: pairs with
                // the fence in `SharedIo::keep_watched`, so that the watcher
                // sees this worker parked or this worker sees the role free.
                fence(SeqCst);
                // Sleep in the shared epoll if no other worker does and no
                // wake has come since this one parked; else in the own
                // epoll, which holds only the eventfd.
                let shared = io
                    .sleeper
                    .compare_exchange(false, true, SeqCst, Relaxed)
                    .is_ok();
                if shared && handle.park.sleep_shared() {
                    let waited = self.selector.select_on(ep.as_fd(), wait);
                    io.sleeper.store(false, SeqCst);
                    waited?;
                } else {
                    if shared {
                        io.sleeper.store(false, SeqCst);
                    }
                    self.selector.select(wait)?;
                }
            }
        }
        let mut unpark = false;
        let events = self.selector.events().filter(|&(token, _)| {
            // The unpark token's only job was to end the wait.
            unpark |= token == UNPARK_TOKEN;
            token != UNPARK_TOKEN
        });
        handle.io.dispatch(events, &mut self.io_wakers);
        if let Some(io) = looked
            && unpark
            && io.sleeper.load(SeqCst)
        {
            // The look took the edge that wakes the worker asleep in the
            // shared epoll: write it again.
            io.unparker.unpark();
        }
        handle.time.fire_expired(&mut self.expired);
        Ok(())
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // Withdraw the epoll descriptor from the registry before the
        // selector closes it (fields drop after this). A shared registry is
        // the runtime's to shut down.
        if self.shared.is_none() {
            self.handle.io.shutdown();
        }
    }
}
