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

use std::os::fd::{AsFd, BorrowedFd, OwnedFd, RawFd};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
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
    /// A multi-thread worker's: where it sleeps while a peer is busy.
    watch: Option<Watch>,
}

/// A second epoll instance a multi-thread worker sleeps in while a peer is
/// busy: it holds the worker's own epoll (level-triggered: readable while
/// that has events) and every peer's epoll, each armed for one event at a
/// time (`EPOLLONESHOT`). A busy peer's sockets that become ready then wake
/// this sleeper, which takes them over (`Worker::help_peers`) instead of
/// leaving them until the peer looks. The peers' epolls are in no other
/// set, so the nesting has no cycle.
#[derive(Debug)]
struct Watch {
    ep: OwnedFd,
    events: crate::sys::EpollEvents,
    pwait2: AtomicBool,
}

/// The token of the driver's own epoll in its watch set.
const OWN_TOKEN: u64 = u64::MAX;

impl Driver {
    /// Creates the epoll instance and the eventfd, and registers the latter.
    pub(crate) fn new(clock: Arc<time::Clock>) -> std::io::Result<Driver> {
        Driver::with_claims(None, clock)
    }

    /// A driver that shares `claims` with the other drivers of its runtime.
    pub(crate) fn with_claims(
        claims: Option<Arc<io::Claims>>,
        clock: Arc<time::Clock>,
    ) -> std::io::Result<Driver> {
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
            io: io::Registry::new(selector.shared_fd(), claims),
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
            watch: None,
        })
    }

    /// This driver's epoll descriptor's number, for its peers' `arm_peer`.
    pub(crate) fn epoll_fd(&self) -> RawFd {
        self.selector.raw_fd()
    }

    /// This driver's epoll descriptor, for the watch sets of its peers
    /// (shared: a peer's `watch_peers` needs it while holding itself
    /// mutably).
    pub(crate) fn shared_epoll(&self) -> Arc<OwnedFd> {
        self.selector.shared_fd()
    }

    /// Gives this driver a watch set holding its own epoll and `peers`'
    /// (disarmed until [`arm_peer`](Self::arm_peer)), each under its
    /// descriptor's number as the token. The peers' epolls must outlive
    /// this driver's use of them.
    pub(crate) fn watch_peers(&mut self, peers: &[BorrowedFd<'_>]) -> std::io::Result<()> {
        let ep = crate::sys::epoll_create()?;
        crate::sys::epoll_add(&ep, self.selector.fd(), libc::EPOLLIN as u32, OWN_TOKEN)?;
        for &peer in peers {
            let token = std::os::fd::AsRawFd::as_raw_fd(&peer) as u64;
            crate::sys::epoll_add(&ep, peer, libc::EPOLLONESHOT as u32, token)?;
        }
        self.watch = Some(Watch {
            ep,
            events: crate::sys::EpollEvents::with_capacity(peers.len() + 1),
            pwait2: AtomicBool::new(true),
        });
        Ok(())
    }

    /// Lets the next event of `peer`'s epoll (a descriptor given to
    /// [`watch_peers`](Self::watch_peers)) end this driver's next watching
    /// turn. Returns whether it could.
    pub(crate) fn arm_peer(&self, peer: RawFd) -> bool {
        let Some(watch) = &self.watch else {
            return false;
        };
        // SAFETY: `peer` is the epoll of a driver of this runtime, and only
        // its workers arm peers: the drivers' epolls close only once every
        // worker has exited (`Workers::close_drivers`), so it is open here.
        let peer_fd = unsafe { BorrowedFd::borrow_raw(peer) };
        crate::sys::epoll_modify(
            &watch.ep,
            peer_fd,
            (libc::EPOLLIN | libc::EPOLLONESHOT) as u32,
            peer as u64,
        )
        .is_ok()
    }

    /// Like [`turn`](Self::turn), but sleeps in the watch set, so that an
    /// armed peer's event ends the wait too.
    pub(crate) fn turn_watching(&mut self, timeout: Option<Duration>) -> std::io::Result<()> {
        let Some(watch) = &mut self.watch else {
            return self.turn(timeout);
        };
        let timeout = self.handle.time.wait_timeout(timeout);
        crate::sys::epoll_wait(watch.ep.as_fd(), &mut watch.events, timeout, &watch.pwait2)?;
        // The own epoll is in the watch set level-triggered: if it was not
        // reported, it had nothing (no socket event, no unpark edge), so
        // only the timers need a look. If it was, it must be taken, even
        // with no descriptors registered, or the watch set would stay
        // readable and the next wait return at once.
        if watch.events.iter().any(|(token, _)| token == OWN_TOKEN) {
            self.dispatch(Some(Duration::ZERO))
        } else {
            self.handle.time.fire_expired(&mut self.expired);
            Ok(())
        }
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

    /// Waits on the own epoll up to `timeout` (never past the earliest
    /// timer), then dispatches I/O events and fires expired timers.
    fn dispatch(&mut self, timeout: Option<Duration>) -> std::io::Result<()> {
        let handle = &*self.handle;
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
