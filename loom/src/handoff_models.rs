//! Models of a current-thread runtime's core hand-off between the threads
//! that call `block_on` (`src/runtime/scheduler/handoff.rs`): the core is
//! never held twice, a thread that found it taken is always woken when it
//! comes back, and a shutdown and a driver giving it back agree on who
//! shuts it down.

use std::task::{Wake, Waker};

use loom::sync::Arc;
use loom::sync::atomic::{AtomicBool, Ordering::SeqCst};
use loom::thread;

use crate::handoff::{Handoff, Take};

/// A waiting thread's wake, as `scheduler::ThreadWake`: a flag and an
/// unpark (in std's `Arc`, as `Waker::from` wants; the flag and the thread
/// are loom's). The flag is set with a swap: loom lets a plain store that
/// precedes an unpark go unseen by the woken thread's swap.
struct Flag {
    woken: AtomicBool,
    thread: thread::Thread,
}

impl Wake for Flag {
    fn wake(self: std::sync::Arc<Self>) {
        self.woken.swap(true, SeqCst);
        self.thread.unpark();
    }
}

impl Flag {
    /// Parks until woken.
    fn wait(&self) {
        while !self.woken.swap(false, SeqCst) {
            thread::park();
        }
    }
}

fn flag() -> (std::sync::Arc<Flag>, Waker) {
    let flag = std::sync::Arc::new(Flag {
        woken: AtomicBool::new(false),
        thread: thread::current(),
    });
    (flag.clone(), Waker::from(flag))
}

/// A driver gives the core back while another thread asks for it: that
/// thread gets it, or was registered and is woken, and then gets it.
#[test]
fn loom_a_waiter_never_misses_the_core() {
    loom::model(|| {
        let handoff = Arc::new(Handoff::new());
        // The driver holds the core (taken out of a fresh handoff).
        let core = 7u8;
        let waiter = {
            let handoff = handoff.clone();
            thread::spawn(move || {
                let (woken, waker) = flag();
                match handoff.take(Some(&waker)) {
                    Take::Core(core) => Some(core),
                    Take::Busy => {
                        // Parked until woken: the wake must come (loom
                        // reports a deadlock otherwise).
                        woken.wait();
                        match handoff.take(Some(&waker)) {
                            Take::Core(core) => Some(core),
                            other => panic!("woken for nothing: {other:?}"),
                        }
                    }
                    other => panic!("{other:?}"),
                }
            })
        };
        assert!(handoff.put_back(core).is_ok());
        assert_eq!(waiter.join().unwrap(), Some(7), "the waiter got the core");
        assert!(matches!(handoff.take(None), Take::Busy), "held once");
    });
}

/// Two threads race for a parked core: one drives it and gives it back,
/// the other gets it then; it is never held by both.
#[test]
fn loom_two_block_ons_take_the_core_in_turn() {
    loom::model(|| {
        let handoff = Arc::new(Handoff::new());
        assert!(handoff.put_back(1u8).is_ok());
        let held = Arc::new(AtomicBool::new(false));
        let threads: Vec<_> = (0..2)
            .map(|_| {
                let (handoff, held) = (handoff.clone(), held.clone());
                thread::spawn(move || {
                    let (woken, waker) = flag();
                    loop {
                        match handoff.take(Some(&waker)) {
                            Take::Core(core) => {
                                assert!(!held.swap(true, SeqCst), "held twice");
                                held.store(false, SeqCst);
                                handoff.forget(&waker);
                                assert!(handoff.put_back(core).is_ok());
                                return;
                            }
                            Take::Busy => woken.wait(),
                            other => panic!("{other:?}"),
                        }
                    }
                })
            })
            .collect();
        threads.into_iter().for_each(|t| t.join().unwrap());
        assert!(matches!(handoff.take(None), Take::Core(1)));
    });
}

/// A shutdown closes the handoff while a driver gives the core back:
/// exactly one of them ends up with the core (and shuts it down).
#[test]
fn loom_shutdown_racing_a_driver_shuts_the_core_down_once() {
    loom::model(|| {
        let handoff = Arc::new(Handoff::new());
        let closer = {
            let handoff = handoff.clone();
            thread::spawn(move || handoff.close())
        };
        let returned = handoff.put_back(3u8);
        let closed = closer.join().unwrap();
        match (returned, closed) {
            (Ok(()), Some(3)) => {}
            (Err(3), None) => {}
            other => panic!("held by both or neither: {other:?}"),
        }
        assert!(matches!(handoff.take(None), Take::Closed));
    });
}
