//! The cooperative budget: a task looping over always-ready resources
//! yields to other tasks, timers and timeouts; `consume_budget` and
//! `unconstrained` adjust it. On both runtime flavors; the tasks that
//! must get a turn beside a busy `block_on` future are its `spawn_local`
//! tasks, which run on its thread on either flavor (a spawned task would run
//! on a worker regardless of the budget).

mod support;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::task::{Context, Poll};
use std::time::Duration;

use futures_lite::{AsyncReadExt, AsyncWriteExt};
use guillotine::net::{TcpListener, TcpStream, UdpSocket};
use guillotine::runtime::Runtime;
use guillotine::task::{consume_budget, spawn_local, unconstrained};
use support::{Flavor, both_flavors};

both_flavors! {
    timeout_fires_around_an_always_ready_stream,
    other_tasks_run_beside_an_always_ready_stream,
    flooded_socket_lets_a_timer_fire,
    join_handles_and_sleeps_count_against_the_budget,
    consume_budget_yields_and_unconstrained_does_not,
    block_on_future_has_a_budget,
}

/// Runs `f` on a fresh thread and fails the test if it does not finish
/// within a minute: these loops hang for good without a budget.
fn within_a_minute<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(Duration::from_secs(60))
        .expect("hung: the loop never gave the runtime back")
}

/// A connected pair whose `a` side reads EOF at once, forever.
async fn stream_at_eof() -> TcpStream {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (a, b) = futures_lite::future::zip(TcpStream::connect(addr), listener.accept()).await;
    let (mut b, _) = b.unwrap();
    b.close().await.unwrap();
    drop(b);
    let mut a = a.unwrap();
    let mut buf = [0u8; 16];
    assert_eq!(a.read(&mut buf).await.unwrap(), 0);
    a
}

/// A timeout around a loop of reads at EOF fires.
fn timeout_fires_around_an_always_ready_stream(flavor: Flavor) {
    let reads = within_a_minute(move || {
        flavor.rt().block_on(async {
            let mut a = stream_at_eof().await;
            let mut reads = 0u64;
            let res = guillotine::time::timeout(Duration::from_millis(20), async {
                let mut buf = [0u8; 16];
                loop {
                    assert_eq!(a.read(&mut buf).await.unwrap(), 0);
                    reads += 1;
                }
            })
            .await;
            assert!(res.is_err());
            reads
        })
    });
    assert!(reads > 0);
}

/// Other tasks run while one loops over an always-ready stream.
fn other_tasks_run_beside_an_always_ready_stream(flavor: Flavor) {
    let seen_at = within_a_minute(move || {
        flavor.rt().block_on(async {
            let flag = Arc::new(AtomicBool::new(false));
            let f = flag.clone();
            let _task = spawn_local(async move { f.store(true, SeqCst) });
            let mut a = stream_at_eof().await;
            let mut buf = [0u8; 16];
            for i in 0..100_000u64 {
                assert_eq!(a.read(&mut buf).await.unwrap(), 0);
                if flag.load(SeqCst) {
                    return i;
                }
            }
            panic!("the other task never ran");
        })
    });
    assert!(seen_at <= 128, "ran only after {seen_at} reads");
}

/// A flooded UDP socket: the receiver's loop still lets a timer fire.
fn flooded_socket_lets_a_timer_fire(flavor: Flavor) {
    within_a_minute(move || {
        flavor.rt().block_on(async {
            let sock = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            let peer = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
            let addr = sock.local_addr().unwrap();
            for _ in 0..1000 {
                peer.send_to(b"x", addr).unwrap();
            }
            let fired = Arc::new(AtomicBool::new(false));
            let f = fired.clone();
            let _task = spawn_local(async move {
                guillotine::time::sleep(Duration::ZERO).await;
                f.store(true, SeqCst);
            });
            let mut buf = [0u8; 4];
            let mut got = 0;
            while !fired.load(SeqCst) {
                sock.recv(&mut buf).await.unwrap();
                got += 1;
                assert!(got < 1000, "the timer task never ran");
            }
        })
    });
}

/// Counts the polls of the future it wraps.
struct CountPolls<F> {
    inner: Pin<Box<F>>,
    polls: Arc<AtomicUsize>,
}

impl<F: Future> Future for CountPolls<F> {
    type Output = F::Output;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        self.polls.fetch_add(1, SeqCst);
        self.inner.as_mut().poll(cx)
    }
}

fn count_polls<F: Future>(inner: F) -> (CountPolls<F>, Arc<AtomicUsize>) {
    let polls = Arc::new(AtomicUsize::new(0));
    let fut = CountPolls {
        inner: Box::pin(inner),
        polls: polls.clone(),
    };
    (fut, polls)
}

/// Awaiting 300 finished JoinHandles and 300 elapsed sleeps takes several
/// polls: each counts against the budget.
fn join_handles_and_sleeps_count_against_the_budget(rt: Runtime) {
    let (joins, sleeps) = rt.block_on(async {
        let handles: Vec<_> = (0..300)
            .map(|i| guillotine::spawn(async move { i }))
            .collect();
        while !handles.iter().all(|h| h.is_finished()) {
            guillotine::task::yield_now().await;
        }
        let (fut, joins) = count_polls(async move {
            let mut sum = 0;
            for h in handles {
                sum += h.await.unwrap();
            }
            sum
        });
        assert_eq!(guillotine::spawn(fut).await.unwrap(), 44_850);
        let (fut, sleeps) = count_polls(async {
            for _ in 0..300 {
                guillotine::time::sleep(Duration::ZERO).await;
            }
        });
        guillotine::spawn(fut).await.unwrap();
        (joins.load(SeqCst), sleeps.load(SeqCst))
    });
    assert!(joins >= 3, "{joins} polls");
    assert!(sleeps >= 3, "{sleeps} polls");
}

/// `consume_budget` makes a CPU loop yield; `unconstrained` lifts the
/// budget.
fn consume_budget_yields_and_unconstrained_does_not(rt: Runtime) {
    let (constrained, free) = rt.block_on(async {
        let (fut, constrained) = count_polls(async {
            for _ in 0..1000 {
                consume_budget().await;
            }
        });
        guillotine::spawn(fut).await.unwrap();
        let (fut, free) = count_polls(unconstrained(async {
            for _ in 0..1000 {
                consume_budget().await;
            }
        }));
        guillotine::spawn(fut).await.unwrap();
        (constrained.load(SeqCst), free.load(SeqCst))
    });
    assert!(constrained >= 1000 / 128, "{constrained} polls");
    assert_eq!(free, 1);
}

/// The `block_on` future has a budget too, and yielding on it lets
/// spawned tasks run.
fn block_on_future_has_a_budget(rt: Runtime) {
    rt.block_on(async {
        let flag = Arc::new(AtomicBool::new(false));
        let f = flag.clone();
        let _task = spawn_local(async move { f.store(true, SeqCst) });
        for _ in 0..129 {
            consume_budget().await;
        }
        assert!(
            flag.load(SeqCst),
            "the task did not run when the budget ran out"
        );
    });
}

/// Outside a runtime nothing is budgeted: a plain executor can poll
/// guillotine resources in a loop.
#[test]
fn no_budget_outside_a_runtime() {
    let (fut, polls) = count_polls(async {
        for _ in 0..1000 {
            consume_budget().await;
        }
    });
    futures_lite::future::block_on(fut);
    assert_eq!(polls.load(SeqCst), 1);
}
