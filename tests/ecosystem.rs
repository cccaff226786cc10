//! The runtime-agnostic ecosystem on guillotine, as the "Coming from tokio"
//! page recommends it: channels (`futures::channel`, `async-channel`,
//! `tokio::sync`), locks (`async-lock`, `tokio::sync`), codecs (tokio-util
//! through the `tokio-io` feature), TLS (futures-rustls with `ring`) and
//! WebSockets (async-tungstenite), each over guillotine tasks and sockets
//! with no tokio runtime anywhere. And the other side of the claim: a
//! tokio-only type (`tokio::time::sleep`, `tokio::net`) panics on
//! guillotine with tokio's "no reactor running", and runs when spawned onto
//! a tokio runtime kept beside guillotine. On both runtime flavors.
//!
//! `cargo test --all-features --test ecosystem`

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

use futures::{SinkExt, StreamExt};
use guillotine::io::{AsyncReadExt, AsyncWriteExt};
use guillotine::net::{TcpListener, TcpStream};
use guillotine::runtime::Runtime;
use guillotine::task::{self, JoinSet};
use support::{both_flavors, pattern};

both_flavors! {
    futures_channels,
    async_channel_mpmc,
    tokio_sync_channels,
    async_lock_mutex_rwlock_semaphore,
    tokio_sync_mutex_semaphore_notify,
    #[cfg(feature = "tokio-io")]
    tokio_util_lines_codec_over_tcp,
    tls_echo_over_tcp,
    websocket_echo_over_tcp,
    tokio_sleep_panics_without_a_tokio_runtime,
    tokio_net_panics_in_a_guillotine_task,
    tokio_only_work_on_a_tokio_runtime_beside,
}

/// A connected pair of guillotine TCP streams: (client, server).
async fn tcp_pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let client = TcpStream::connect(listener.local_addr().unwrap())
        .await
        .unwrap();
    let (server, _) = listener.accept().await.unwrap();
    (client, server)
}

fn futures_channels(rt: Runtime) {
    use futures::channel::{mpsc, oneshot};
    rt.block_on(async {
        // Four producers, bounded so that they wait for the consumer.
        let (tx, mut rx) = mpsc::channel::<u64>(2);
        for p in 0..4u64 {
            let mut tx = tx.clone();
            // Detached: the channel reports when the producers are done.
            drop(guillotine::spawn(async move {
                for i in 0..100 {
                    tx.send(p * 1000 + i).await.unwrap();
                }
            }));
        }
        drop(tx);
        let mut sum = 0;
        let mut count = 0;
        while let Some(v) = rx.next().await {
            sum += v;
            count += 1;
        }
        assert_eq!(count, 400);
        assert_eq!(sum, 4 * 4950 + 100 * (1000 + 2000 + 3000));

        // A oneshot answered from a blocking thread, and one whose sender
        // is dropped.
        let (tx, rx) = oneshot::channel();
        let _job = guillotine::spawn_blocking(move || tx.send(42u8).unwrap());
        assert_eq!(rx.await, Ok(42));
        let (tx, rx) = oneshot::channel::<u8>();
        drop(guillotine::spawn(async move { drop(tx) }));
        assert_eq!(rx.await, Err(oneshot::Canceled));
    });
}

fn async_channel_mpmc(rt: Runtime) {
    rt.block_on(async {
        // One producer, three consumers sharing one bounded queue: every
        // item is received exactly once.
        let (tx, rx) = async_channel::bounded::<u64>(1);
        let mut consumers = JoinSet::new();
        for _ in 0..3 {
            let rx = rx.clone();
            consumers.spawn(async move {
                let mut got = Vec::new();
                while let Ok(v) = rx.recv().await {
                    got.push(v);
                }
                got
            });
        }
        drop(rx);
        for i in 0..300 {
            tx.send(i).await.unwrap();
        }
        tx.close();
        let mut all: Vec<u64> = consumers.join_all().await.concat();
        all.sort_unstable();
        assert_eq!(all, (0..300).collect::<Vec<_>>());
        assert!(tx.send(1).await.is_err(), "closed");
    });
}

fn tokio_sync_channels(rt: Runtime) {
    use tokio::sync::{broadcast, mpsc, oneshot, watch};
    rt.block_on(async {
        // mpsc with a capacity of 1: the producer waits on the consumer.
        let (tx, mut rx) = mpsc::channel::<u32>(1);
        let producer = guillotine::spawn(async move {
            for i in 0..200 {
                tx.send(i).await.unwrap();
            }
        });
        let mut expected = 0;
        while let Some(v) = rx.recv().await {
            assert_eq!(v, expected);
            expected += 1;
        }
        assert_eq!(expected, 200);
        producer.await.unwrap();

        // oneshot
        let (tx, rx) = oneshot::channel();
        drop(guillotine::spawn(async move { tx.send("answer").unwrap() }));
        assert_eq!(rx.await.unwrap(), "answer");

        // watch: the receiver sees the latest value after each change.
        let (tx, mut rx) = watch::channel(0u32);
        let watcher = guillotine::spawn(async move {
            while rx.changed().await.is_ok() {
                if *rx.borrow_and_update() == 10 {
                    return true;
                }
            }
            false
        });
        for v in 1..=10 {
            tx.send(v).unwrap();
            task::yield_now().await;
        }
        assert!(watcher.await.unwrap(), "the watcher saw the last value");

        // broadcast: every receiver gets every message.
        let (tx, _) = broadcast::channel::<u32>(16);
        let mut listeners = JoinSet::new();
        for _ in 0..2 {
            let mut rx = tx.subscribe();
            listeners.spawn(async move {
                let mut got = Vec::new();
                while let Ok(v) = rx.recv().await {
                    got.push(v);
                }
                got
            });
        }
        for v in 0..10 {
            tx.send(v).unwrap();
        }
        drop(tx);
        let all = listeners.join_all().await;
        assert_eq!(all, vec![(0..10).collect::<Vec<_>>(); 2]);
    });
}

fn async_lock_mutex_rwlock_semaphore(rt: Runtime) {
    rt.block_on(async {
        // Mutex held across an await: no increment is lost.
        let counter = Arc::new(async_lock::Mutex::new(0u32));
        let mut set = JoinSet::new();
        for _ in 0..8 {
            let counter = counter.clone();
            set.spawn(async move {
                for _ in 0..50 {
                    let mut guard = counter.lock().await;
                    let seen = *guard;
                    task::yield_now().await;
                    *guard = seen + 1;
                }
            });
        }
        set.join_all().await;
        assert_eq!(*counter.lock().await, 400);

        // RwLock: two readers at once, a writer alone.
        let lock = Arc::new(async_lock::RwLock::new(String::from("a")));
        let r1 = lock.read().await;
        let r2 = lock.read().await;
        assert_eq!((r1.as_str(), r2.as_str()), ("a", "a"));
        assert!(lock.try_write().is_none(), "readers hold it");
        let writer = {
            let lock = lock.clone();
            guillotine::spawn(async move { lock.write().await.push('b') })
        };
        drop((r1, r2));
        writer.await.unwrap();
        assert_eq!(*lock.read().await, "ab");

        // Semaphore: never more than two permits out.
        let permits = Arc::new(async_lock::Semaphore::new(2));
        let inside = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let mut set = JoinSet::new();
        for _ in 0..8 {
            let (permits, inside, most) = (permits.clone(), inside.clone(), most.clone());
            set.spawn(async move {
                let _permit = permits.acquire().await;
                let now = inside.fetch_add(1, SeqCst) + 1;
                most.fetch_max(now, SeqCst);
                task::yield_now().await;
                inside.fetch_sub(1, SeqCst);
            });
        }
        set.join_all().await;
        assert!(most.load(SeqCst) <= 2, "{} permits out", most.load(SeqCst));
        assert_eq!(inside.load(SeqCst), 0);
    });
}

fn tokio_sync_mutex_semaphore_notify(rt: Runtime) {
    rt.block_on(async {
        let counter = Arc::new(tokio::sync::Mutex::new(0u32));
        let mut set = JoinSet::new();
        for _ in 0..8 {
            let counter = counter.clone();
            set.spawn(async move {
                for _ in 0..50 {
                    let mut guard = counter.lock().await;
                    let seen = *guard;
                    task::yield_now().await;
                    *guard = seen + 1;
                }
            });
        }
        set.join_all().await;
        assert_eq!(*counter.lock().await, 400);

        let permits = Arc::new(tokio::sync::Semaphore::new(2));
        let inside = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let mut set = JoinSet::new();
        for _ in 0..8 {
            let (permits, inside, most) = (permits.clone(), inside.clone(), most.clone());
            set.spawn(async move {
                let _permit = permits.acquire().await.unwrap();
                let now = inside.fetch_add(1, SeqCst) + 1;
                most.fetch_max(now, SeqCst);
                task::yield_now().await;
                inside.fetch_sub(1, SeqCst);
            });
        }
        set.join_all().await;
        assert!(most.load(SeqCst) <= 2, "{} permits out", most.load(SeqCst));
        assert_eq!(permits.available_permits(), 2);

        // Notify: a waiting task is woken by notify_one from another task.
        let notify = Arc::new(tokio::sync::Notify::new());
        let waiter = {
            let notify = notify.clone();
            guillotine::spawn(async move {
                notify.notified().await;
                "woken"
            })
        };
        let notifier = {
            let notify = notify.clone();
            guillotine::spawn(async move { notify.notify_one() })
        };
        notifier.await.unwrap();
        assert_eq!(waiter.await.unwrap(), "woken");
    });
}

/// tokio-util's codec over a guillotine TCP stream, through the `tokio-io`
/// feature: the server upper-cases lines until the client closes.
#[cfg(feature = "tokio-io")]
fn tokio_util_lines_codec_over_tcp(rt: Runtime) {
    use tokio_util::codec::{FramedRead, FramedWrite, LinesCodec};
    rt.block_on(async {
        let (client, server) = tcp_pair().await;
        let server = guillotine::spawn(async move {
            let (rd, wr) = server.into_split();
            let mut lines = FramedRead::new(rd, LinesCodec::new());
            let mut out = FramedWrite::new(wr, LinesCodec::new());
            let mut n = 0;
            while let Some(line) = lines.next().await {
                out.send(line.unwrap().to_uppercase()).await.unwrap();
                n += 1;
            }
            SinkExt::<String>::close(&mut out).await.unwrap();
            n
        });
        let (rd, wr) = client.into_split();
        let mut out = FramedWrite::new(wr, LinesCodec::new());
        let lines = FramedRead::new(rd, LinesCodec::new());
        for word in ["hello", "codec", "world"] {
            out.send(word).await.unwrap();
        }
        // Shuts the write half down: the server sees EOF.
        SinkExt::<&str>::close(&mut out).await.unwrap();
        let got: Vec<String> = lines.map(Result::unwrap).collect().await;
        assert_eq!(got, ["HELLO", "CODEC", "WORLD"]);
        assert_eq!(server.await.unwrap(), 3);
    });
}

/// A TLS echo over guillotine TCP: rustls (ring provider) through
/// futures-rustls, with a self-signed certificate for `localhost` that the
/// client trusts. The client half-closes (close_notify, then FIN); the
/// server echoes everything it read and closes.
fn tls_echo_over_tcp(rt: Runtime) {
    use futures_rustls::pki_types::{PrivatePkcs8KeyDer, ServerName};
    use futures_rustls::rustls::{ClientConfig, RootCertStore, ServerConfig};
    use futures_rustls::{TlsAcceptor, TlsConnector};

    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let cert = certified.cert.der().clone();
    let key = PrivatePkcs8KeyDer::from(certified.signing_key.serialize_der());
    // `builder()` takes the process's provider: ring, the only one built.
    let server_config = ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(vec![cert.clone()], key.into())
        .unwrap();
    let mut roots = RootCertStore::empty();
    roots.add(cert).unwrap();
    let client_config = ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let acceptor = TlsAcceptor::from(Arc::new(server_config));
    let connector = TlsConnector::from(Arc::new(client_config));

    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = guillotine::spawn(async move {
            let (tcp, _) = listener.accept().await.unwrap();
            let mut tls = acceptor.accept(tcp).await.unwrap();
            let mut got = Vec::new();
            tls.read_to_end(&mut got).await.unwrap();
            tls.write_all(&got).await.unwrap();
            tls.close().await.unwrap();
            got.len()
        });
        let tcp = TcpStream::connect(addr).await.unwrap();
        let domain = ServerName::try_from("localhost").unwrap();
        let mut tls = connector.connect(domain, tcp).await.unwrap();
        // Several TLS records' worth.
        let data = pattern(7, 100_000);
        tls.write_all(&data).await.unwrap();
        tls.close().await.unwrap();
        let mut echoed = Vec::new();
        tls.read_to_end(&mut echoed).await.unwrap();
        assert!(echoed == data, "echo differs ({} bytes)", echoed.len());
        assert_eq!(server.await.unwrap(), data.len());
    });
}

/// A WebSocket server and client (async-tungstenite over futures-io) on one
/// guillotine TCP connection: one text message echoed, then a clean close.
fn websocket_echo_over_tcp(rt: Runtime) {
    use async_tungstenite::tungstenite::Message;
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = guillotine::spawn(async move {
            let (tcp, _) = listener.accept().await.unwrap();
            let mut ws = async_tungstenite::accept_async(tcp).await.unwrap();
            let mut echoed = 0;
            while let Some(msg) = ws.next().await {
                let msg = msg.unwrap();
                if msg.is_text() {
                    ws.send(msg).await.unwrap();
                    echoed += 1;
                }
            }
            echoed
        });
        let tcp = TcpStream::connect(addr).await.unwrap();
        let url = format!("ws://localhost:{}/echo", addr.port());
        let (mut ws, response) = async_tungstenite::client_async(url, tcp).await.unwrap();
        assert_eq!(response.status(), 101);
        ws.send(Message::text("hello, guillotine")).await.unwrap();
        let reply = ws.next().await.unwrap().unwrap();
        assert_eq!(reply.to_text().unwrap(), "hello, guillotine");
        ws.close(None).await.unwrap();
        // The server answers the close, then its stream ends.
        while let Some(msg) = ws.next().await {
            assert!(msg.unwrap().is_close());
        }
        assert_eq!(server.await.unwrap(), 1);
    });
}

/// The panic message of a tokio type used outside a tokio runtime.
const NO_TOKIO_REACTOR: &str =
    "there is no reactor running, must be called from the context of a Tokio 1.x runtime";

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_default()
}

/// `tokio::time` needs tokio's timer driver: polled on guillotine, it
/// panics with tokio's message (guillotine keeps running).
fn tokio_sleep_panics_without_a_tokio_runtime(rt: Runtime) {
    use futures::FutureExt;
    use std::panic::AssertUnwindSafe;
    use std::time::Duration;
    rt.block_on(async {
        let polled = AssertUnwindSafe(async {
            tokio::time::sleep(Duration::from_millis(1)).await;
        })
        .catch_unwind()
        .await;
        let payload = polled.expect_err("tokio::time::sleep ran without tokio");
        assert!(
            panic_message(&*payload).contains(NO_TOKIO_REACTOR),
            "{:?}",
            panic_message(&*payload)
        );
        // The guillotine equivalent, on the same runtime.
        guillotine::time::sleep(Duration::from_millis(1)).await;
    });
}

/// `tokio::net` needs tokio's I/O driver: a guillotine task that binds a
/// tokio listener panics with tokio's message, reported through its
/// `JoinHandle`.
fn tokio_net_panics_in_a_guillotine_task(rt: Runtime) {
    rt.block_on(async {
        let task = guillotine::spawn(async {
            tokio::net::TcpListener::bind("127.0.0.1:0").await.map(drop)
        });
        let err = task.await.expect_err("tokio::net ran without tokio");
        assert!(err.is_panic());
        let message = panic_message(&*err.into_panic());
        assert!(message.contains(NO_TOKIO_REACTOR), "{message:?}");
        // The guillotine listener, on the same runtime.
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        assert_ne!(listener.local_addr().unwrap().port(), 0);
    });
}

/// The escape hatch for a tokio-only crate: its work spawned onto a tokio
/// runtime kept beside guillotine, whose `JoinHandle` a guillotine task
/// awaits like any future.
fn tokio_only_work_on_a_tokio_runtime_beside(rt: Runtime) {
    use std::time::Duration;
    let tokio_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let tokio_handle = tokio_rt.handle().clone();
    let got = rt.block_on(async move {
        let task = guillotine::spawn(async move {
            let tokio_only = tokio_handle.spawn(async {
                tokio::time::sleep(Duration::from_millis(1)).await;
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                listener.local_addr().unwrap().port()
            });
            tokio_only.await.unwrap()
        });
        task.await.unwrap()
    });
    assert_ne!(got, 0);
    drop(tokio_rt);
}
