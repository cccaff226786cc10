//! The process-wide half of [`signal`](crate::signal): the action the OS
//! handler runs, the one eventfd it writes, and each signal number's
//! counters. Nothing here knows about runtimes; a listener
//! ([`Signal`](super::unix::Signal)) brings its own registration.
//!
//! # Who touches what, and when
//!
//! Each signal number has a [`Slot`] of atomics in a static array; its
//! module (`slot.rs`) says who touches which counter. The [`REGISTRY`]
//! lock serialises the creation and drop of listeners.
//!
//! The action runs in a signal handler, on any thread, at any moment: it
//! touches atomics and makes two kinds of async-signal-safe system call
//! (`write` on the eventfd; `sigaction` + `raise` to restore the default
//! action), never allocates, locks or panics. signal-hook-registry saves and
//! restores `errno` around it. The eventfd it writes is created before the
//! first action is registered and is never closed, so the handler can never
//! write to a closed or reused descriptor. Listeners wait on `dup`s of it,
//! which they do close.
//!
//! Order of a delivery: increment `deliveries`, then write the eventfd. A
//! listener reads `deliveries` only after its readiness was seen or its
//! waker stored, so a delivery it misses in the counter reaches it as an
//! edge.

use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::atomic::{AtomicI32, Ordering::SeqCst};
use std::sync::{Mutex, MutexGuard, PoisonError};

use super::slot::{Delivery, Slot};
use crate::sys;

/// Slots for signal numbers `0..SLOTS`: Linux numbers them 1 to `SIGRTMAX`
/// (64 on every architecture but MIPS).
const SLOTS: usize = 65;

static SLOT: [Slot; SLOTS] = [const { Slot::new() }; SLOTS];

/// The process-wide eventfd the action writes (`-1` until it exists).
/// Stored before any action is registered; the descriptor is never closed.
static EVENT_FD: AtomicI32 = AtomicI32::new(-1);

/// What creating and dropping listeners share.
#[derive(Debug)]
struct Registry {
    /// The eventfd behind [`EVENT_FD`], once created: leaked, never closed.
    event_fd: Option<&'static OwnedFd>,
    /// The signal numbers whose action is registered (it stays registered).
    installed: [bool; SLOTS],
}

static REGISTRY: Mutex<Registry> = Mutex::new(Registry {
    event_fd: None,
    installed: [false; SLOTS],
});

fn registry() -> MutexGuard<'static, Registry> {
    // Nothing under this lock panics; ignore poisoning.
    REGISTRY.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The action run by the OS handler of `sig` (in a signal handler: see the
/// module docs for what it may do).
fn on_delivery(sig: libc::c_int, slot: &'static Slot) {
    match slot.deliver() {
        Delivery::DefaultAction => sys::reraise_with_default_action_in_handler(sig),
        Delivery::Counted => {
            let fd = EVENT_FD.load(SeqCst);
            if fd >= 0 {
                sys::eventfd_notify_in_handler(fd);
            }
        }
    }
}

/// Whether `sig`'s default action ends the process (terminate, or core
/// dump), per signal(7); the others are ignore, stop and continue.
fn default_action_terminates(sig: libc::c_int) -> bool {
    !matches!(
        sig,
        libc::SIGCHLD
            | libc::SIGURG
            | libc::SIGWINCH
            | libc::SIGCONT
            | libc::SIGSTOP
            | libc::SIGTSTP
            | libc::SIGTTIN
            | libc::SIGTTOU
    )
}

/// The slot of `sig`, or tokio's error for a signal number it refuses.
fn slot(sig: libc::c_int) -> io::Result<&'static Slot> {
    if sig <= 0 || signal_hook_registry::FORBIDDEN.contains(&sig) {
        return Err(io::Error::other(format!(
            "Refusing to register signal {sig}"
        )));
    }
    match SLOT.get(sig as usize) {
        Some(slot) if sig <= libc::SIGRTMAX() => Ok(slot),
        _ => Err(io::Error::other("signal too large")),
    }
}

/// A listener's place among its signal's listeners, from creation to drop.
#[derive(Debug)]
pub(crate) struct Attachment {
    sig: libc::c_int,
    slot: &'static Slot,
}

impl Attachment {
    /// Counts a new listener of `sig`, installing the action on first use.
    /// Returns the attachment, the delivery count the listener starts from
    /// (deliveries after it are reported to it), and a `dup` of the
    /// process-wide eventfd for it to wait on.
    ///
    /// # Errors
    /// For `sig` 0, negative, forbidden (`SIGKILL`, `SIGSTOP`, `SIGILL`,
    /// `SIGFPE`, `SIGSEGV`) or above `SIGRTMAX`; when the eventfd or its
    /// `dup` cannot be made (`EMFILE`); when `sigaction` fails.
    pub(crate) fn new(sig: libc::c_int) -> io::Result<(Attachment, u64, OwnedFd)> {
        let slot = slot(sig)?;
        let mut registry = registry();
        let event_fd = match registry.event_fd {
            Some(fd) => fd,
            None => {
                let fd: &'static OwnedFd = Box::leak(Box::new(sys::eventfd()?));
                EVENT_FD.store(fd.as_raw_fd(), SeqCst);
                registry.event_fd = Some(fd);
                fd
            }
        };
        let wakeup = event_fd.try_clone()?;
        if !registry.installed[sig as usize] {
            // SAFETY: the action is async-signal-safe: it touches atomics
            // of a static slot and calls `eventfd_notify_in_handler` and
            // `reraise_with_default_action_in_handler` (write, sigaction,
            // raise); it never allocates, locks or panics. `sig` is not in
            // FORBIDDEN (checked by `slot`), so `register` does not panic.
            unsafe { signal_hook_registry::register(sig, move || on_delivery(sig, slot)) }?;
            registry.installed[sig as usize] = true;
        }
        let start = slot.attach();
        drop(registry);
        Ok((Attachment { sig, slot }, start, wakeup))
    }

    /// Deliveries counted so far.
    pub(crate) fn deliveries(&self) -> u64 {
        self.slot.deliveries()
    }

    /// A listener reported the deliveries up to `count`.
    pub(crate) fn received(&self, count: u64) {
        self.slot.received(count);
    }

    /// Opts the signal in: whenever no listener is alive, a delivery
    /// takes the default action.
    ///
    /// # Errors
    /// `InvalidInput` if that action does not end the process.
    pub(crate) fn restore_default_when_unwatched(&self) -> io::Result<()> {
        if !default_action_terminates(self.sig) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "the default action of signal {} does not end the process, \
                     so restoring it when the last listener drops would only lose deliveries",
                    self.sig
                ),
            ));
        }
        self.slot.restore_default_when_unwatched();
        Ok(())
    }
}

impl Drop for Attachment {
    fn drop(&mut self) {
        let _registry = registry();
        self.slot.detach();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_what_tokio_refuses() {
        for sig in [
            -1,
            0,
            libc::SIGKILL,
            libc::SIGSTOP,
            libc::SIGILL,
            libc::SIGFPE,
            libc::SIGSEGV,
            65,
        ] {
            assert_eq!(slot(sig).unwrap_err().kind(), io::ErrorKind::Other, "{sig}");
        }
        assert!(slot(libc::SIGRTMAX()).is_ok());
    }

    #[test]
    fn terminating_defaults() {
        assert!(default_action_terminates(libc::SIGINT));
        assert!(default_action_terminates(libc::SIGQUIT));
        assert!(default_action_terminates(libc::SIGRTMIN()));
        assert!(!default_action_terminates(libc::SIGCHLD));
        assert!(!default_action_terminates(libc::SIGWINCH));
    }
}
