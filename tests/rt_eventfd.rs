//! The wake path's cost: wakes on the runtime's own thread never touch the
//! eventfd (no syscall), and a burst of wakes from another thread while the
//! runtime is busy costs at most one eventfd write per park. The eventfd is
//! never read (it is edge-triggered), so its count in /proc/self/fdinfo is
//! the number of writes. One test: it inspects this process's descriptors.

use guillotine::runtime::Runtime;
use guillotine::task;

/// The counts of every eventfd of this process.
fn eventfd_counts() -> Vec<u64> {
    std::fs::read_dir("/proc/self/fdinfo")
        .unwrap()
        .filter_map(|e| std::fs::read_to_string(e.unwrap().path()).ok())
        .filter_map(|info| {
            info.lines()
                .find_map(|l| l.strip_prefix("eventfd-count:"))
                .map(|c| u64::from_str_radix(c.trim(), 16).unwrap())
        })
        .collect()
}

#[test]
fn same_thread_wakes_make_no_eventfd_write() {
    let rt = Runtime::new().unwrap();
    assert_eq!(eventfd_counts(), vec![0]);
    rt.block_on(async {
        // 100 tasks × 100 yields: 10,000 same-thread wakes, plus spawns,
        // joins and wakes of the main future from tasks.
        let hs: Vec<_> = (0..100)
            .map(|_| {
                guillotine::spawn(async {
                    for _ in 0..100 {
                        task::yield_now().await;
                    }
                })
            })
            .collect();
        for h in hs {
            h.await.unwrap();
        }
    });
    assert_eq!(
        eventfd_counts(),
        vec![0],
        "a same-thread wake wrote the eventfd"
    );

    // Wakes from another thread while the runtime is busy (never parked):
    // no writes either.
    let (tx, rx) = std::sync::mpsc::channel::<std::task::Waker>();
    let t = std::thread::spawn(move || {
        let w = rx.recv().unwrap();
        for _ in 0..1000 {
            w.wake_by_ref();
        }
    });
    rt.block_on(async {
        let mut sent = false;
        let h = guillotine::spawn(std::future::poll_fn(move |cx| {
            if !sent {
                tx.send(cx.waker().clone()).unwrap();
                sent = true;
            }
            std::task::Poll::Ready(())
        }));
        h.await.unwrap();
        // Stay busy until the other thread is done.
        while !t.is_finished() {
            task::yield_now().await;
        }
    });
    assert_eq!(eventfd_counts(), vec![0], "a busy runtime was signalled");
}
