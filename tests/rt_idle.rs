//! An idle runtime wakes no thread: once its work is done, its workers sleep
//! in their drivers and the multi-thread runtime's watcher sleeps without a
//! timeout. One test per binary, so that no other test's runtime shares the
//! process's thread list.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use guillotine::runtime::{Builder, Runtime};

/// Every thread of this process but the caller: its name and its context
/// switches so far (voluntary + involuntary), by thread id.
fn switches_of_other_threads() -> HashMap<String, (String, u64)> {
    let own = std::fs::read_link("/proc/thread-self").unwrap();
    let own = own.file_name().unwrap().to_string_lossy().into_owned();
    let mut threads = HashMap::new();
    for task in std::fs::read_dir("/proc/self/task").unwrap() {
        let task = task.unwrap();
        let tid = task.file_name().to_string_lossy().into_owned();
        if tid == own {
            continue;
        }
        // A thread may exit between the listing and the read.
        let Ok(status) = std::fs::read_to_string(task.path().join("status")) else {
            continue;
        };
        let name = status
            .lines()
            .find_map(|l| l.strip_prefix("Name:"))
            .unwrap_or("")
            .trim()
            .to_owned();
        let switches = status
            .lines()
            .filter(|l| l.contains("ctxt_switches:"))
            .filter_map(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
            .sum();
        threads.insert(tid, (name, switches));
    }
    threads
}

/// Waits until, over a whole `window`, no other thread of the process
/// switched more than `allowed` times in all; panics with the threads that
/// kept waking if that never happens within `limit`.
fn wait_until_quiet(window: Duration, allowed: u64, limit: Duration) {
    let deadline = Instant::now() + limit;
    let mut before = switches_of_other_threads();
    loop {
        // The measured window, not synchronisation.
        std::thread::sleep(window);
        let after = switches_of_other_threads();
        let woke: Vec<(String, u64)> = after
            .iter()
            .filter_map(|(tid, (name, n))| {
                let was = before.get(tid).map_or(0, |(_, was)| *was);
                (*n > was).then(|| (name.clone(), n - was))
            })
            .collect();
        let total: u64 = woke.iter().map(|(_, n)| n).sum();
        if total <= allowed {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "threads still waking {limit:?} after the work ended, per {window:?}: {woke:?}"
        );
        before = after;
    }
}

/// Some work on every kind of driver: tasks, a timer, a socket.
fn work(rt: &Runtime) {
    rt.block_on(async {
        let listener = guillotine::net::TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap();
        let addr = listener.local_addr().unwrap();
        let server = guillotine::spawn(async move {
            use guillotine::io::{AsyncReadExt, AsyncWriteExt};
            let (mut stream, _) = listener.accept().await.unwrap();
            let mut buf = [0; 4];
            stream.read_exact(&mut buf).await.unwrap();
            stream.write_all(&buf).await.unwrap();
        });
        use guillotine::io::{AsyncReadExt, AsyncWriteExt};
        let mut client = guillotine::net::TcpStream::connect(addr).await.unwrap();
        client.write_all(b"ping").await.unwrap();
        let mut buf = [0; 4];
        client.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"ping");
        server.await.unwrap();
        let tasks: Vec<_> = (0..100u64)
            .map(|i| guillotine::spawn(async move { i * 2 }))
            .collect();
        let mut sum = 0;
        for task in tasks {
            sum += task.await.unwrap();
        }
        assert_eq!(sum, 9900);
        guillotine::time::sleep(Duration::from_millis(5)).await;
    });
}

#[test]
fn idle_runtimes_wake_no_thread() {
    let multi = Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let current = Runtime::new().unwrap();
    for _ in 0..3 {
        work(&multi);
        work(&current);
        // A watcher that kept its cadence while idle would switch about
        // 100 times per 200 ms; the workers and the watcher may switch a
        // few times on their way to sleep.
        wait_until_quiet(Duration::from_millis(200), 2, Duration::from_secs(20));
    }
}
