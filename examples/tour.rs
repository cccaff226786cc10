//! The main example: the seed's program, then a short tour of what else
//! guillotine does — spawning (async and blocking), sleeping, a `Waker` used
//! from another thread, TCP and UDP on loopback, and the multi-thread
//! runtime's workers sharing a fan-out.
//!
//! `cargo run --example tour`

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use guillotine::io::{AsyncReadExt, AsyncWriteExt};
use guillotine::net::{TcpListener, TcpStream, UdpSocket};
use guillotine::runtime::Runtime;
use guillotine::time::{interval, sleep, timeout};

fn main() {
    // The seed's example, as it was written.
    let future = async {
        println!("In a future!");
        42
    };

    let runtime = guillotine::runtime::Runtime::new().unwrap();

    let _forty_two = runtime.block_on(future);
    assert_eq!(_forty_two, 42);

    spawning(&runtime);
    sleeping(&runtime);
    external_waker(&runtime);
    tcp_echo(&runtime);
    udp_echo(&runtime);
    multi_thread();
    println!("tour done");
}

/// Tasks run concurrently on the one runtime thread; blocking work goes to
/// the blocking pool so it never stalls them.
fn spawning(runtime: &Runtime) {
    let sum = runtime.block_on(async {
        let tasks: Vec<_> = (1..=1000u64)
            .map(|i| guillotine::spawn(async move { i * i }))
            .collect();
        let mut sum = 0;
        for t in tasks {
            sum += t.await.unwrap();
        }
        sum
    });
    println!("spawn: 1,000 tasks summed their squares to {sum}");
    assert_eq!(sum, 333_833_500);

    let hashed = runtime.block_on(runtime.spawn_blocking(|| {
        // Stands in for CPU-heavy or blocking work.
        (0..1_000_000u64).fold(0u64, |h, i| h.rotate_left(5) ^ i)
    }));
    println!(
        "spawn_blocking: computed {:#x} off the event loop",
        hashed.unwrap()
    );
}

/// Timers have sub-millisecond precision; `timeout` and `interval` build on
/// them.
fn sleeping(runtime: &Runtime) {
    runtime.block_on(async {
        let start = Instant::now();
        sleep(Duration::from_micros(300)).await;
        let late = start.elapsed() - Duration::from_micros(300);
        println!("sleep: 300 µs, woke {late:?} late");

        let slow = sleep(Duration::from_secs(10));
        assert!(timeout(Duration::from_millis(5), slow).await.is_err());
        println!("timeout: a 10 s sleep was cut off after 5 ms");

        let mut ticks = interval(Duration::from_millis(2));
        let start = Instant::now();
        for _ in 0..5 {
            ticks.tick().await;
        }
        println!("interval: 5 ticks of 2 ms in {:?}", start.elapsed());
    });
}

/// A hand-written future whose `Waker` a plain OS thread wakes; the runtime
/// sleeps in `epoll_wait` until then.
fn external_waker(runtime: &Runtime) {
    #[derive(Default)]
    struct Shared {
        value: Option<u32>,
        waker: Option<Waker>,
    }
    struct FromThread(Arc<Mutex<Shared>>);
    impl Future for FromThread {
        type Output = u32;
        fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u32> {
            let mut s = self.0.lock().unwrap();
            match s.value {
                Some(v) => Poll::Ready(v),
                None => {
                    s.waker = Some(cx.waker().clone());
                    Poll::Pending
                }
            }
        }
    }

    let shared = Arc::new(Mutex::new(Shared::default()));
    let s = shared.clone();
    let thread = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(20));
        let waker = {
            let mut s = s.lock().unwrap();
            s.value = Some(7);
            s.waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    });
    let v = runtime.block_on(FromThread(shared));
    thread.join().unwrap();
    println!("waker: a std::thread woke the runtime with {v}");
    assert_eq!(v, 7);
}

/// An echo server and a client on loopback, port 0.
fn tcp_echo(runtime: &Runtime) {
    runtime.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = guillotine::spawn(async move {
            let (mut stream, _) = listener.accept().await.unwrap();
            let mut buf = [0u8; 1024];
            loop {
                let n = stream.read(&mut buf).await.unwrap();
                if n == 0 {
                    break;
                }
                stream.write_all(&buf[..n]).await.unwrap();
            }
        });
        let mut client = TcpStream::connect(addr).await.unwrap();
        client.write_all(b"hello over tcp").await.unwrap();
        let mut reply = [0u8; 14];
        client.read_exact(&mut reply).await.unwrap();
        drop(client);
        server.await.unwrap();
        println!(
            "tcp: echoed {:?} via {addr}",
            std::str::from_utf8(&reply).unwrap()
        );
        assert_eq!(&reply, b"hello over tcp");
    });
}

/// A datagram there and back.
fn udp_echo(runtime: &Runtime) {
    runtime.block_on(async {
        let server = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let server_addr = server.local_addr().unwrap();
        let echo = guillotine::spawn(async move {
            let mut buf = [0u8; 64];
            let (n, from) = server.recv_from(&mut buf).await.unwrap();
            server.send_to(&buf[..n], from).await.unwrap();
        });
        let client = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        client.send_to(b"ping", server_addr).await.unwrap();
        let mut buf = [0u8; 64];
        let (n, _) = client.recv_from(&mut buf).await.unwrap();
        echo.await.unwrap();
        println!(
            "udp: got {:?} back",
            std::str::from_utf8(&buf[..n]).unwrap()
        );
        assert_eq!(&buf[..n], b"ping");
    });
}

/// The multi-thread runtime: one worker per CPU, each with its own epoll;
/// an idle worker steals half of a busy one's queue. 200 jobs of 1 ms of
/// CPU each, spawned from one task, end up spread over the workers.
fn multi_thread() {
    let runtime = guillotine::runtime::Builder::new_multi_thread()
        .build()
        .unwrap();
    let workers = runtime.metrics().num_workers();
    let start = Instant::now();
    let threads = runtime.block_on(async {
        let parent = guillotine::spawn(async {
            let jobs: Vec<_> = (0..200)
                .map(|_| {
                    guillotine::spawn(async {
                        let t = Instant::now();
                        while t.elapsed() < Duration::from_millis(1) {
                            std::hint::spin_loop();
                        }
                        std::thread::current().id()
                    })
                })
                .collect();
            let mut threads = Vec::new();
            for job in jobs {
                threads.push(job.await.unwrap());
            }
            threads
        });
        parent.await.unwrap()
    });
    let mut distinct = threads.clone();
    distinct.sort_by_key(|id| format!("{id:?}"));
    distinct.dedup();
    let stolen: u64 = (0..workers)
        .map(|w| runtime.metrics().worker_steal_count(w))
        .sum();
    println!(
        "multi-thread: 200 ms of jobs on {workers} worker(s) took {:?}, ran on {} thread(s), \
         {stolen} stolen",
        start.elapsed(),
        distinct.len()
    );
}
