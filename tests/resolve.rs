//! Name resolution happens on the blocking pool, never on the runtime
//! thread; literal addresses never touch a thread at all. Observed through
//! the pool's thread name, one per test (the workers carry it too). On both
//! runtime flavors.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

use guillotine::net::{TcpListener, TcpStream, UdpSocket};
use support::{Flavor, both_flavors};

both_flavors! {
    literals_stay_on_the_runtime_thread_and_names_go_to_the_pool,
}

/// The number in the next test's pool name.
static NAME: AtomicUsize = AtomicUsize::new(0);

/// The threads of this process named `name` (/proc shows 15 characters).
fn threads_named(name: &str) -> usize {
    std::fs::read_dir("/proc/self/task")
        .unwrap()
        .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("comm")).ok())
        .filter(|comm| comm.trim() == name)
        .count()
}

fn literals_stay_on_the_runtime_thread_and_names_go_to_the_pool(flavor: Flavor) {
    // One pool name per flavor: both flavors' tests run in this process.
    let name = NAME.fetch_add(1, SeqCst);
    let name = &format!("dns-probe-{name}");
    let runtime = flavor.builder().thread_name(name).build().unwrap();
    // The workers carry the name too.
    let workers = if flavor.is_multi_thread() {
        support::WORKERS
    } else {
        0
    };
    support::wait_until("the workers' names", || threads_named(name) == workers);
    runtime.block_on(async {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = l.local_addr().unwrap().port();
        let _a = TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
        let _b = TcpStream::connect(format!("127.0.0.1:{port}"))
            .await
            .unwrap();
        let _c = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        let _d = TcpStream::connect(("::1", port)).await;
        let u = UdpSocket::bind("[::1]:0").await;
        if let Ok(u) = u {
            u.send_to(b"x", "[::1]:9").await.ok();
        }
        assert_eq!(
            threads_named(name),
            workers,
            "a literal address went to a thread"
        );

        // A host name is looked up on the pool, and works.
        let _e = TcpStream::connect(("localhost", port)).await.unwrap();
        assert!(
            threads_named(name) > workers,
            "the lookup did not run on the blocking pool"
        );
        let l2 = TcpListener::bind("localhost:0").await.unwrap();
        assert!(l2.local_addr().unwrap().ip().is_loopback());
    });
}
