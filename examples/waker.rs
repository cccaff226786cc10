//! Using the `Waker` externally (the seed's example): a hand-written future
//! that hands its waker to a plain `std::thread`, which does some work and
//! wakes the task when it is done. The runtime sleeps in `epoll_wait`
//! meanwhile, and the wake from the other thread ends that wait.
//!
//! `cargo run --example waker`

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::thread;
use std::time::{Duration, Instant};

use guillotine::runtime::Runtime;

/// What the thread and the future share.
#[derive(Default)]
struct State {
    result: Option<u64>,
    waker: Option<Waker>,
    started: bool,
}

/// Completes with the thread's result.
struct ThreadResult {
    state: Arc<Mutex<State>>,
    polls: u32,
}

impl Future for ThreadResult {
    type Output = (u64, u32);

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<(u64, u32)> {
        self.polls += 1;
        let mut state = self.state.lock().unwrap();
        if let Some(result) = state.result {
            return Poll::Ready((result, self.polls));
        }
        // Store the latest waker first, so a result that lands after this
        // poll is never missed.
        state.waker = Some(cx.waker().clone());
        if !state.started {
            state.started = true;
            let shared = self.state.clone();
            thread::spawn(move || {
                thread::sleep(Duration::from_millis(200)); // the "work"
                let waker = {
                    let mut state = shared.lock().unwrap();
                    state.result = Some(42);
                    state.waker.take()
                };
                // Wake after releasing the lock.
                if let Some(waker) = waker {
                    waker.wake();
                }
            });
        }
        Poll::Pending
    }
}

fn main() {
    let runtime = Runtime::new().unwrap();
    let start = Instant::now();
    let (value, polls) = runtime.block_on(async {
        // Inside a spawned task, to show the waker of a task, not just of
        // block_on's future.
        let task = guillotine::spawn(ThreadResult {
            state: Arc::default(),
            polls: 0,
        });
        task.await.unwrap()
    });
    let took = start.elapsed();
    println!("got {value} after {took:?}, in {polls} polls: one to start, one after the wake");
    assert_eq!(value, 42);
    assert_eq!(polls, 2, "the runtime polled without a wake");
    assert!(took >= Duration::from_millis(200));
}
