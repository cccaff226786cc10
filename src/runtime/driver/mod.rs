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
use std::sync::atomic::{AtomicBool, Ordering::SeqCst, fence};
use std::sync::{Arc, Mutex, PoisonError};
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
    /// The shared epoll, for non-blocking looks; closed when the drivers
    /// and [`SharedIo::close`] have let it go, at shutdown.
    ep: Arc<OwnedFd>,
}

/// The one epoll instance that holds every descriptor of a multi-thread
/// runtime, as tokio's I/O driver: at most one worker sleeps in it at a
/// time (the one that took `poll`), the others in their own epolls, which
/// hold only their eventfds; a busy worker (or the watcher) takes its
/// events without blocking and without `poll`, into its own buffer. A
/// sleeping holder is woken through
/// `unparker`, registered here (see `park.rs`'s `SHARED`).
///
/// So a socket's events go to whichever worker is free, and a worker stuck
/// in a long poll holds none of them: it never holds `poll` while it runs
/// a task.
#[derive(Debug)]
pub(crate) struct SharedIo {
    registry: Arc<io::Registry>,
    unparker: Unparker,
    /// Taken with `try_lock` only, by the one worker that sleeps in the
    /// epoll.
    poll: Mutex<SharedPoll>,
    /// Set while that worker sleeps there: a non-blocking look that takes
    /// the eventfd's edge meant for it hands the edge back.
    holding: AtomicBool,
}

#[derive(Debug)]
struct SharedPoll {
    /// `None` once the runtime has shut down.
    ep: Option<Arc<OwnedFd>>,
    events: crate::sys::EpollEvents,
    pwait2: AtomicBool,
}

impl SharedIo {
    /// Creates the epoll instance and its eventfd.
    pub(crate) fn new() -> std::io::Result<SharedIo> {
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
        Ok(SharedIo {
            registry: Arc::new(io::Registry::new(ep.clone())),
            unparker,
            holding: AtomicBool::new(false),
            poll: Mutex::new(SharedPoll {
                ep: Some(ep),
                events: crate::sys::EpollEvents::with_capacity(epoll::EVENTS_CAPACITY),
                pwait2: AtomicBool::new(true),
            }),
        })
    }

    /// Fails every registration and closes the eventfd, and the epoll with
    /// the drivers (shutdown, once no worker can turn a driver), not with
    /// the last handle that holds this.
    pub(crate) fn close(&self) {
        self.registry.shutdown();
        self.poll
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .ep
            .take();
        self.unparker.close();
    }

    /// Whether no worker sleeps in the epoll right now.
    fn unwatched(&self) -> bool {
        self.poll.try_lock().is_ok()
    }

    /// For a thread that took the epoll's events without being about to
    /// sleep in it (the watcher): a worker may have parked in its own epoll
    /// meanwhile, finding `poll` taken. If nobody sleeps in the epoll now,
    /// wake such a worker to take that place; else a quiet runtime would
    /// leave the descriptors unwatched.
    pub(crate) fn keep_watched<'a>(&self, drivers: impl Iterator<Item = &'a Handle>) {
        fence(SeqCst);
        if !self.unwatched() {
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
        clock: Arc<time::Clock>,
    ) -> std::io::Result<Driver> {
        let ep = io
            .poll
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .ep
            .clone()
            .ok_or_else(scheduled_io::gone)?;
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
        match &self.shared {
            None => {
                self.selector.select(wait)?;
                // The unpark token's only job was to end the wait.
                let events = self
                    .selector
                    .events()
                    .filter(|&(token, _)| token != UNPARK_TOKEN);
                handle.io.dispatch(events, &mut self.io_wakers);
            }
            Some(WorkerIo { io: shared, ep }) if wait == Some(Duration::ZERO) => {
                // A non-blocking look takes what the shared epoll has, into
                // the own buffer: epoll hands each event to one caller, so
                // this needs no lock, and a sleeping holder woken for the
                // same events finds none and sleeps on.
                self.selector.take_from(ep.as_fd())?;
                let mut unpark = false;
                let events = self.selector.events().filter(|&(token, _)| {
                    unpark |= token == UNPARK_TOKEN;
                    token != UNPARK_TOKEN
                });
                handle.io.dispatch(events, &mut self.io_wakers);
                if unpark && shared.holding.load(SeqCst) {
                    // The wake of the worker asleep in the shared epoll:
                    // it is still asleep, so write it again.
                    shared.unparker.unpark();
                }
            }
            Some(WorkerIo { io: shared, .. }) => {
                // Parked (announced) before looking at `poll`: pairs with
                // the fence in `SharedIo::keep_watched`, so that the watcher
                // sees this worker parked or this worker sees `poll` free.
                fence(SeqCst);
                // Sleep in the shared epoll if no other worker does and no
                // wake has come since this one parked; else in the own
                // epoll, which holds only the eventfd.
                let took = match shared.poll.try_lock() {
                    Ok(mut poll) => match &mut *poll {
                        SharedPoll {
                            ep: Some(ep),
                            events,
                            pwait2,
                        } if {
                            // Before a wake can be written for it.
                            shared.holding.store(true, SeqCst);
                            handle.park.sleep_shared()
                        } =>
                        {
                            let waited = crate::sys::epoll_wait(ep.as_fd(), events, wait, pwait2);
                            shared.holding.store(false, SeqCst);
                            waited?;
                            let events = events.iter().filter(|&(token, _)| token != UNPARK_TOKEN);
                            handle.io.dispatch(events, &mut self.io_wakers);
                            true
                        }
                        _ => {
                            shared.holding.store(false, SeqCst);
                            false
                        }
                    },
                    Err(_) => false,
                };
                if !took {
                    self.selector.select(wait)?;
                }
            }
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
