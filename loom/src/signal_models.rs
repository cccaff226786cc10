//! A signal's delivery racing its last listener's drop and the creation of
//! the next listener (`src/signal/slot.rs`, used as `registry.rs` does:
//! listeners are counted and uncounted under the registry's lock, here a
//! loom mutex; the action and the listeners' reports take no lock).
//!
//! What `signal::unix::Signal` promises: a listener created while no other
//! is alive first reports the deliveries no listener has reported, so a
//! delivery is never lost between a listener's drop and its successor's
//! creation; and it never reports a delivery twice, nor one that did not
//! happen. With the opt-in, a delivery takes the default action only while
//! no listener is alive, and then nobody reports it.

use loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use loom::sync::{Arc, Mutex};
use loom::thread;

use crate::slot::{Delivery, Slot};

const BOUND: usize = 4;

/// The slot, the registry's lock, and tickets: a total order (all are
/// `SeqCst`, as the slot's operations) of the moments the model asks about.
struct Registry {
    slot: Slot,
    lock: Mutex<()>,
    tickets: AtomicUsize,
}

impl Registry {
    fn ticket(&self) -> usize {
        self.tickets.fetch_add(1, SeqCst)
    }

    /// `Attachment::new`: returns the start count, and tickets taken
    /// before and after it.
    fn attach(&self) -> (u64, usize, usize) {
        let before = self.ticket();
        let _lock = self.lock.lock().unwrap();
        let start = self.slot.attach();
        (start, before, self.ticket())
    }

    /// `Attachment`'s drop: returns the ticket.
    fn detach(&self) -> usize {
        let _lock = self.lock.lock().unwrap();
        self.slot.detach();
        self.ticket()
    }

    /// One look of `Signal::poll_recv` at the counter: reports (and
    /// returns true) if it moved past `seen`.
    fn recv(&self, seen: &mut u64) -> bool {
        let deliveries = self.slot.deliveries();
        if deliveries == *seen {
            return false;
        }
        *seen = deliveries;
        self.slot.received(deliveries);
        true
    }
}

/// Listener A (alive, created first) looks for deliveries once and is
/// dropped, while a signal is delivered and listener B is created. When B
/// is created after A's drop, no delivery is lost: A or B reports it; B
/// never reports one A already reported, nor one that never came.
fn delivery_racing_drop(restore_default: bool) {
    let registry = Arc::new(Registry {
        slot: Slot::new(),
        lock: Mutex::new(()),
        tickets: AtomicUsize::new(0),
    });
    if restore_default {
        registry.slot.restore_default_when_unwatched();
    }
    let (mut seen_a, _, _) = registry.attach();

    let action = {
        let registry = registry.clone();
        thread::spawn(move || {
            let before = registry.ticket();
            let delivery = registry.slot.deliver();
            (delivery, before, registry.ticket())
        })
    };
    let a = {
        let registry = registry.clone();
        thread::spawn(move || {
            let reported = registry.recv(&mut seen_a);
            (reported, registry.detach())
        })
    };
    let (mut seen_b, attaching_b, attached_b) = registry.attach();
    let (delivery, delivering, delivered) = action.join().unwrap();
    let (reported_a, dropped_a) = a.join().unwrap();
    let reported_b = registry.recv(&mut seen_b);

    let counted = delivery == Delivery::Counted;
    assert!(
        !reported_a || counted,
        "A reported a delivery that never came"
    );
    assert!(
        !reported_b || counted,
        "B reported a delivery that never came"
    );
    if attached_b > dropped_a {
        // B was created with no listener alive.
        assert!(
            !counted || reported_a || reported_b,
            "a delivery lost between listeners"
        );
        assert!(!(reported_a && reported_b), "reported twice");
    } else if delivered < attaching_b {
        // B was created beside A, after the delivery: it starts with the
        // next one.
        assert!(!reported_b, "B reported a delivery from before it");
    }
    if attached_b < delivering {
        // B existed when the signal came: it hears it.
        assert!(!counted || reported_b, "B missed a delivery");
    }
    if delivery == Delivery::DefaultAction {
        assert!(restore_default, "the default action without the opt-in");
        // With B created before A's drop, a listener was alive throughout.
        assert!(
            attached_b > dropped_a,
            "the default action with a listener alive"
        );
    }
}

/// Runs `f` under every interleaving with at most `preemptions` of them.
fn model(preemptions: usize, f: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(preemptions);
    builder.check(f);
}

#[test]
fn loom_delivery_racing_the_last_listeners_drop() {
    model(BOUND, || delivery_racing_drop(false));
}

/// The same with the opt-in: the default action, when taken, was taken
/// while no listener was alive (so no listener can report it), and a
/// counted delivery is still never lost.
#[test]
fn loom_delivery_racing_the_last_listeners_drop_with_default_restored() {
    model(BOUND, || delivery_racing_drop(true));
}
