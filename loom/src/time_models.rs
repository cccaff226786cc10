//! A model of the timer queue's shutdown (`src/runtime/driver/time/mod.rs`):
//! a `Sleep`'s first poll racing the runtime's shutdown, which fires every
//! timer. Whatever the interleaving, the sleep never hangs: its poll
//! reports the shutdown, or its waker is woken by the shutdown and its next
//! poll reports it (the `Sleep` then panics saying so, as in tokio).

use std::sync::Arc as StdArc;
use std::task::{Wake, Waker};
use std::time::{Duration, Instant};

use loom::sync::Arc;
use loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use loom::thread;

use crate::sleeper::SleeperRole;
use crate::time::{Clock, TimeHandle, TimerPoll};

/// Counts its wakes.
struct Flag(AtomicUsize);

impl Wake for Flag {
    fn wake(self: StdArc<Self>) {
        self.0.fetch_add(1, SeqCst);
    }
}

/// A sleep polled for the first time (it inserts its timer) while another
/// thread shuts the queue down. Before the fix, a poll that checked the
/// shut-down flag before the shutdown set it, then took the lock after
/// the shutdown fired everything, inserted a timer nobody would fire.
#[test]
fn loom_first_poll_racing_shutdown() {
    loom::model(|| {
        let time = Arc::new(TimeHandle::new(StdArc::new(Clock::new(false, false))));
        let deadline = Instant::now() + Duration::from_secs(3600);

        let closer = {
            let time = time.clone();
            thread::spawn(move || time.shutdown())
        };

        let flag = StdArc::new(Flag(AtomicUsize::new(0)));
        let waker = Waker::from(flag.clone());
        let mut key = None;
        let first = time.poll(&mut key, deadline, &waker);
        closer.join().unwrap();

        match first {
            TimerPoll::Ready => panic!("a timer an hour away fired"),
            TimerPoll::Shutdown => {}
            TimerPoll::Pending { .. } => {
                assert_eq!(flag.0.load(SeqCst), 1, "a pending timer was never fired");
                assert_eq!(time.poll(&mut key, deadline, &waker), TimerPoll::Shutdown);
            }
        }
        // Once shut down, every poll reports it: a new sleep's and a reset
        // one's.
        let mut fresh = None;
        assert_eq!(time.poll(&mut fresh, deadline, &waker), TimerPoll::Shutdown);
        if let Some(k) = key {
            time.reset(k, deadline);
            assert_eq!(time.poll(&mut key, deadline, &waker), TimerPoll::Shutdown);
            time.remove(k);
        }
        assert_eq!(time.len(), 0);
    });
}

/// A registered sleep re-polled (refreshing its waker) while the queue
/// shuts down: its waker is woken or the poll reports the shutdown.
#[test]
fn loom_repoll_racing_shutdown() {
    loom::model(|| {
        let time = Arc::new(TimeHandle::new(StdArc::new(Clock::new(false, false))));
        let deadline = Instant::now() + Duration::from_secs(3600);
        let flag = StdArc::new(Flag(AtomicUsize::new(0)));
        let waker = Waker::from(flag.clone());
        let mut key = None;
        assert!(matches!(
            time.poll(&mut key, deadline, &waker),
            TimerPoll::Pending { .. }
        ));

        let closer = {
            let time = time.clone();
            thread::spawn(move || time.shutdown())
        };
        let second = time.poll(&mut key, deadline, &waker);
        closer.join().unwrap();
        if second != TimerPoll::Shutdown {
            assert!(flag.0.load(SeqCst) >= 1, "a pending timer was never fired");
        }
        assert_eq!(time.poll(&mut key, deadline, &waker), TimerPoll::Shutdown);
    });
}

/// A sleep's first poll making a new earliest timer (in a worker's shard)
/// while a worker takes the shared epoll's sleeper role and reads the
/// shard for its wait (`src/runtime/driver/sleeper.rs`, as
/// `driver/mod.rs` drives it): the wait is bounded by the timer, or the
/// poll's thread sees the role taken and wakes the sleeper. Never neither.
#[test]
fn loom_new_earliest_timer_reaches_the_shared_sleeper() {
    loom::model(|| {
        let time = Arc::new(TimeHandle::new(StdArc::new(Clock::new(false, false))));
        let role = Arc::new(SleeperRole::new());
        let deadline = Instant::now() + Duration::from_secs(3600);

        let poller = {
            let (time, role) = (time.clone(), role.clone());
            thread::spawn(move || {
                let waker = Waker::from(StdArc::new(Flag(AtomicUsize::new(0))));
                let mut key = None;
                match time.poll(&mut key, deadline, &waker) {
                    TimerPoll::Pending { new_first: true } => role.is_taken(),
                    other => panic!("the only timer is not the earliest: {other:?}"),
                }
            })
        };

        assert!(role.try_take(), "nobody else sleeps");
        role.taken_now_read_timers();
        let wait = time.wait_timeout(None);
        let woken = poller.join().unwrap();
        assert!(
            wait.is_some() || woken,
            "the sleeper waits without a bound and nobody wakes it for the new timer"
        );
        role.release();
        assert!(!role.is_taken());
    });
}
