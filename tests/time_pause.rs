//! Paused time (feature `test-util`), on both runtime flavors: jumps to the
//! next timer when idle, exact `Instant` arithmetic, `advance`,
//! `advance_to_next_timer`, automatic advance turned off, and no jump while
//! real work is in flight (a blocking job, an fs operation, a child process,
//! a reply from a busy local peer, an HTTP request to a local server).
//!
//! `cargo test --features test-util --test time_pause`

#![cfg(feature = "test-util")]

mod support;

use std::future::Future;
use std::io::{Read, Write};
use std::time::{Duration, Instant};

use guillotine::io::{AsyncReadExt, AsyncWriteExt};
use guillotine::net::TcpStream;
use guillotine::runtime::{Builder, Runtime};
use guillotine::time::{self, interval, sleep, sleep_until, timeout};
use support::{Flavor, both_flavors};

both_flavors! {
    an_hour_sleep_finishes_at_once_under_start_paused,
    instant_arithmetic_is_exact,
    pause_in_a_running_runtime_then_resume,
    advance_fires_what_is_due_and_nothing_else,
    advance_to_next_timer_steps_through_the_timers,
    auto_advance_off_leaves_the_clock_alone,
    no_jump_while_a_blocking_job_runs,
    no_jump_while_an_fs_operation_runs,
    no_jump_while_a_child_is_waited_for,
    no_jump_while_a_busy_local_peer_prepares_its_reply,
    a_peer_that_never_replies_times_out_after_the_grace,
    timers_spread_over_tasks_fire_in_order,
    misuse_panics_with_a_message,
}

/// A runtime of `flavor` whose clock starts paused.
fn paused(flavor: Flavor) -> Runtime {
    let mut builder = flavor.builder();
    builder.start_paused(true);
    builder.build().unwrap()
}

/// A runtime of `flavor` whose clock starts paused and only moves by hand.
fn manual(flavor: Flavor) -> Runtime {
    let mut builder = flavor.builder();
    builder.start_paused(true).auto_advance(false);
    builder.build().unwrap()
}

/// Waits until `n` timers are armed, without a timer of its own (the
/// clock may only move by hand): yields, and lets real time pass.
async fn armed(n: usize) {
    let deadline = Instant::now() + support::PATIENCE;
    while guillotine::runtime::Handle::current().num_timers() != n {
        assert!(Instant::now() < deadline, "{n} timers were never armed");
        guillotine::task::yield_now().await;
        std::thread::sleep(Duration::from_micros(200));
    }
}

/// Far beyond what any of these tests takes in real time.
const REAL_BOUND: Duration = Duration::from_secs(60);

fn an_hour_sleep_finishes_at_once_under_start_paused(flavor: Flavor) {
    let rt = paused(flavor);
    let real = Instant::now();
    let virtual_elapsed = rt.block_on(async {
        let start = time::now();
        sleep(Duration::from_secs(3600)).await;
        time::now() - start
    });
    assert_eq!(virtual_elapsed, Duration::from_secs(3600));
    assert!(real.elapsed() < REAL_BOUND, "{:?}", real.elapsed());
    // A spawned task's sleep jumps too (the multi-thread runtime runs it on
    // a worker while `block_on`'s thread sleeps).
    let elapsed = rt.block_on(async {
        let start = time::now();
        guillotine::spawn(sleep(Duration::from_secs(7200)))
            .await
            .unwrap();
        time::now() - start
    });
    assert_eq!(elapsed, Duration::from_secs(7200));
}

fn instant_arithmetic_is_exact(flavor: Flavor) {
    let rt = paused(flavor);
    rt.block_on(async {
        let start = time::now();
        assert_eq!(time::now(), start, "a paused clock stands still");
        let s = sleep(Duration::from_millis(1500));
        assert_eq!(s.deadline(), start + Duration::from_millis(1500));
        s.await;
        assert_eq!(time::now(), start + Duration::from_millis(1500));
        // An interval's ticks are exact multiples of its period.
        let t0 = time::now();
        let mut every = interval(Duration::from_secs(10));
        for k in 0..5u32 {
            assert_eq!(every.tick().await, t0 + Duration::from_secs(10) * k);
            assert_eq!(time::now(), t0 + Duration::from_secs(10) * k);
        }
        // A timeout fires exactly at its deadline.
        let t1 = time::now();
        let cut = timeout(Duration::from_secs(30), sleep(Duration::from_secs(31))).await;
        assert!(cut.is_err());
        assert_eq!(time::now(), t1 + Duration::from_secs(30));
        // sleep_until a deadline in the paused past completes at once.
        sleep_until(start).await;
        assert_eq!(time::now(), t1 + Duration::from_secs(30));
    });
}

fn pause_in_a_running_runtime_then_resume(flavor: Flavor) {
    let rt = flavor.rt();
    rt.block_on(async {
        time::pause();
        let start = time::now();
        sleep(Duration::from_secs(600)).await;
        assert_eq!(time::now() - start, Duration::from_secs(600));
        time::advance(Duration::from_secs(60)).await;
        assert_eq!(time::now() - start, Duration::from_secs(660));
        time::resume();
        // Running again, from where it stood: ahead of the OS clock.
        let resumed = time::now();
        assert!(resumed >= start + Duration::from_secs(660));
        assert!(resumed > Instant::now() + Duration::from_secs(600));
        // Timers wait on the running clock again: a short one takes real
        // time (never less than its duration).
        let real = Instant::now();
        sleep(Duration::from_millis(20)).await;
        assert!(real.elapsed() >= Duration::from_millis(20));
        assert!(time::now() - resumed >= Duration::from_millis(20));
    });
}

fn advance_fires_what_is_due_and_nothing_else(flavor: Flavor) {
    let rt = manual(flavor);
    rt.block_on(async {
        let start = time::now();
        let short = guillotine::spawn(sleep(Duration::from_secs(10)));
        let long = guillotine::spawn(sleep(Duration::from_secs(20)));
        armed(2).await;
        time::advance(Duration::from_secs(9)).await;
        assert_eq!(time::now() - start, Duration::from_secs(9));
        assert!(!short.is_finished());
        time::advance(Duration::from_secs(1)).await;
        short.await.unwrap();
        assert!(!long.is_finished());
        time::advance(Duration::from_secs(10)).await;
        long.await.unwrap();
        assert_eq!(time::now() - start, Duration::from_secs(20));
    });
}

fn advance_to_next_timer_steps_through_the_timers(flavor: Flavor) {
    let rt = manual(flavor);
    rt.block_on(async {
        let start = time::now();
        let tasks: Vec<_> = [30u64, 10, 20]
            .into_iter()
            .map(|s| guillotine::spawn(sleep(Duration::from_secs(s))))
            .collect();
        armed(3).await;
        for s in [10u64, 20, 30] {
            let at = time::advance_to_next_timer().await;
            assert_eq!(at, Some(start + Duration::from_secs(s)));
            assert_eq!(time::now(), start + Duration::from_secs(s));
        }
        for task in tasks {
            task.await.unwrap();
        }
        assert_eq!(time::advance_to_next_timer().await, None);
        assert_eq!(time::now(), start + Duration::from_secs(30));
    });
}

fn auto_advance_off_leaves_the_clock_alone(flavor: Flavor) {
    let rt = paused(flavor);
    rt.block_on(async {
        time::set_auto_advance(false);
        let start = time::now();
        let sleeper = guillotine::spawn(sleep(Duration::from_millis(1)));
        // Real time passes and the runtime idles: nothing moves the clock.
        guillotine::spawn_blocking(|| std::thread::sleep(Duration::from_millis(50)))
            .await
            .unwrap();
        for _ in 0..10 {
            guillotine::task::yield_now().await;
        }
        assert_eq!(time::now(), start);
        assert!(!sleeper.is_finished());
        time::set_auto_advance(true);
        sleeper.await.unwrap();
        assert_eq!(time::now(), start + Duration::from_millis(1));
    });
}

/// `work` must finish within a 5 s timeout of paused time while it waits
/// for real work of about `real` (which a jump would cut short).
async fn within_paused_timeout<T>(real: Duration, work: impl Future<Output = T>) -> T {
    let started = Instant::now();
    let start = time::now();
    let out = timeout(Duration::from_secs(5), work)
        .await
        .expect("the paused clock jumped while real work was in flight");
    assert!(started.elapsed() >= real);
    // The clock stood still meanwhile.
    assert_eq!(time::now(), start);
    out
}

fn no_jump_while_a_blocking_job_runs(flavor: Flavor) {
    let rt = paused(flavor);
    rt.block_on(async {
        let n = within_paused_timeout(Duration::from_millis(100), async {
            guillotine::spawn_blocking(|| {
                std::thread::sleep(Duration::from_millis(100));
                7
            })
            .await
            .unwrap()
        })
        .await;
        assert_eq!(n, 7);
        // And a detached job holds the clock too, until it ends.
        let (tx, rx) = std::sync::mpsc::channel();
        drop(guillotine::spawn_blocking(move || {
            std::thread::sleep(Duration::from_millis(50));
            tx.send(()).unwrap();
        }));
        let start = time::now();
        sleep(Duration::from_secs(1)).await;
        rx.try_recv()
            .expect("the job ended before the clock jumped");
        assert_eq!(time::now() - start, Duration::from_secs(1));
    });
}

fn no_jump_while_an_fs_operation_runs(flavor: Flavor) {
    let rt = paused(flavor);
    let dir = std::env::temp_dir().join(format!(
        "guillotine-time-pause-{}-{}",
        std::process::id(),
        flavor.module()
    ));
    rt.block_on(async {
        guillotine::fs::create_dir_all(&dir).await.unwrap();
        let path = dir.join("data");
        let bytes = vec![5u8; 1 << 20];
        within_paused_timeout(Duration::ZERO, guillotine::fs::write(&path, &bytes))
            .await
            .unwrap();
        let back = within_paused_timeout(Duration::ZERO, guillotine::fs::read(&path))
            .await
            .unwrap();
        assert_eq!(back, bytes);
        guillotine::fs::remove_dir_all(&dir).await.unwrap();
    });
}

fn no_jump_while_a_child_is_waited_for(flavor: Flavor) {
    let rt = paused(flavor);
    rt.block_on(async {
        let mut child = guillotine::process::Command::new("sleep")
            .arg("0.2")
            .spawn()
            .unwrap();
        let status = within_paused_timeout(Duration::from_millis(200), child.wait())
            .await
            .unwrap();
        assert!(status.success());
    });
}

/// A plain thread serving one request on a loopback port: reads a line,
/// works for `busy` (real time), answers, and closes.
fn busy_peer(busy: Duration) -> (std::net::SocketAddr, std::thread::JoinHandle<()>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let thread = std::thread::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        let mut buf = [0u8; 64];
        let n = conn.read(&mut buf).unwrap();
        std::thread::sleep(busy);
        conn.write_all(&buf[..n]).unwrap();
    });
    (addr, thread)
}

fn no_jump_while_a_busy_local_peer_prepares_its_reply(flavor: Flavor) {
    let rt = paused(flavor);
    let (addr, peer) = busy_peer(Duration::from_millis(200));
    rt.block_on(async {
        let reply = within_paused_timeout(Duration::from_millis(200), async {
            let mut stream = TcpStream::connect(addr).await.unwrap();
            stream.write_all(b"ping").await.unwrap();
            let mut reply = [0u8; 4];
            stream.read_exact(&mut reply).await.unwrap();
            reply
        })
        .await;
        assert_eq!(&reply, b"ping");
    });
    peer.join().unwrap();
}

fn a_peer_that_never_replies_times_out_after_the_grace(flavor: Flavor) {
    let rt = paused(flavor);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let real = Instant::now();
    rt.block_on(async {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream.write_all(b"hello?").await.unwrap();
        let start = time::now();
        let mut buf = [0u8; 8];
        let cut = timeout(Duration::from_secs(5), stream.read(&mut buf)).await;
        assert!(cut.is_err(), "nothing was ever sent back");
        assert_eq!(time::now() - start, Duration::from_secs(5));
    });
    // The reply was awaited for about a second of real time, then the clock
    // jumped: no hang.
    assert!(
        real.elapsed() >= Duration::from_millis(900),
        "{:?}",
        real.elapsed()
    );
    assert!(real.elapsed() < REAL_BOUND);
    drop(listener);
}

fn timers_spread_over_tasks_fire_in_order(flavor: Flavor) {
    let rt = paused(flavor);
    rt.block_on(async {
        let start = time::now();
        let (tx, rx) = std::sync::mpsc::channel();
        let tasks: Vec<_> = (0..50u64)
            .rev()
            .map(|i| {
                let tx = tx.clone();
                guillotine::spawn(async move {
                    sleep(Duration::from_secs(i * 60)).await;
                    tx.send((i, time::now())).unwrap();
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        drop(tx);
        let fired: Vec<_> = rx.iter().collect();
        assert_eq!(fired.len(), 50);
        for (i, at) in fired {
            assert_eq!(at, start + Duration::from_secs(i * 60), "timer {i}");
        }
    });
}

fn misuse_panics_with_a_message(flavor: Flavor) {
    let rt = flavor.rt();
    let message = |f: fn()| -> String {
        let rt = &rt;
        let err =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| rt.block_on(async { f() })))
                .expect_err("misuse panics");
        err.downcast_ref::<String>()
            .cloned()
            .or_else(|| err.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap()
    };
    assert!(message(time::resume).contains("not frozen"));
    let err = std::panic::catch_unwind(|| {
        futures_lite::future::block_on(time::advance(Duration::from_secs(1)))
    })
    .expect_err("outside a runtime");
    let text = err.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(text.contains("context of a guillotine runtime"), "{text}");
    assert!(
        message(|| {
            time::pause();
            time::pause();
        })
        .contains("already frozen")
    );
    // The runtime stays usable, still paused from the second case.
    rt.block_on(async {
        let start = time::now();
        sleep(Duration::from_secs(100)).await;
        assert_eq!(time::now() - start, Duration::from_secs(100));
    });
}

/// A loopback HTTP request with a 5 s timeout, to a server on another
/// thread (its own runtime, clock running) that works 50 ms of real time
/// per request (short beside the 1 s reply grace, which valgrind's slowed
/// hyper must also fit in): the paused client's clock waits for the reply instead of
/// firing the timeout at once.
#[cfg(feature = "hyper")]
mod http {
    use super::*;
    use guillotine::hyper::{Connector, Executor, Server, Timer};
    use http_body_util::{BodyExt, Empty, Full};
    use hyper::body::Bytes;
    use hyper_util::client::legacy::Client;

    fn start_server() -> (std::net::SocketAddr, futures::channel::oneshot::Sender<()>) {
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let (stop, stopped) = futures::channel::oneshot::channel::<()>();
        std::thread::spawn(move || {
            let rt = Runtime::new().unwrap();
            rt.block_on(async move {
                let listener = guillotine::net::TcpListener::bind("127.0.0.1:0")
                    .await
                    .unwrap();
                addr_tx.send(listener.local_addr().unwrap()).unwrap();
                let service = hyper::service::service_fn(|_req| async {
                    sleep(Duration::from_millis(50)).await;
                    Ok::<_, std::convert::Infallible>(hyper::Response::new(Full::new(
                        Bytes::from_static(b"answered"),
                    )))
                });
                Server::new(listener)
                    .serve_with_shutdown(service, async {
                        let _ = stopped.await;
                    })
                    .await
                    .unwrap();
            });
        });
        (addr_rx.recv().unwrap(), stop)
    }

    fn request(flavor: Flavor) {
        let (addr, stop) = start_server();
        let rt = paused(flavor);
        rt.block_on(async {
            let client = Client::builder(Executor::new())
                .timer(Timer::new())
                .pool_timer(Timer::new())
                .build::<_, Empty<Bytes>>(Connector::new());
            let uri: hyper::Uri = format!("http://{addr}/").parse().unwrap();
            let body = within_paused_timeout(Duration::from_millis(50), async {
                let response = client.get(uri).await.unwrap();
                response.into_body().collect().await.unwrap().to_bytes()
            })
            .await;
            assert_eq!(&body[..], b"answered");
        });
        let _ = stop.send(());
    }

    #[test]
    fn loopback_http_request_with_a_timeout_current_thread() {
        request(Flavor::CurrentThread);
    }

    #[test]
    fn loopback_http_request_with_a_timeout_multi_thread() {
        request(Flavor::MultiThread);
    }
}

#[guillotine::test(start_paused = true)]
async fn the_attribute_starts_paused() {
    let start = time::now();
    sleep(Duration::from_secs(86_400)).await;
    assert_eq!(time::now() - start, Duration::from_secs(86_400));
}

#[guillotine::test(
    flavor = "multi_thread",
    worker_threads = 2,
    start_paused = true,
    auto_advance = false
)]
async fn the_attribute_turns_auto_advance_off() {
    let start = time::now();
    let sleeper = guillotine::spawn(sleep(Duration::from_secs(5)));
    armed(1).await;
    guillotine::spawn_blocking(|| std::thread::sleep(Duration::from_millis(20)))
        .await
        .unwrap();
    assert!(!sleeper.is_finished());
    assert_eq!(
        time::advance_to_next_timer().await,
        Some(start + Duration::from_secs(5))
    );
    sleeper.await.unwrap();
}

#[test]
fn builder_without_start_paused_runs_on_the_os_clock() {
    let rt = Builder::new_current_thread().build().unwrap();
    rt.block_on(async {
        let real = Instant::now();
        sleep(Duration::from_millis(20)).await;
        assert!(real.elapsed() >= Duration::from_millis(20));
    });
}
