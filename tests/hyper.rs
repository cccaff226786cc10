//! The `hyper` feature: hyper's clients and curl against
//! `guillotine::hyper::Server` over HTTP/1 and HTTP/2, keep-alive, the
//! header-read timeout, graceful shutdown (bounded or not), the pooled
//! client on `Connector`, the `Timer`'s resets, and an axum `Router`. On
//! both runtime flavors; no tokio runtime anywhere.
//!
//! `cargo test --features hyper --test hyper`

#![cfg(feature = "hyper")]

mod support;

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Once};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures::channel::oneshot;
use guillotine::hyper::{Connector, Executor, Listener, Server, Timer};
use guillotine::io::{AsyncReadExt, AsyncWriteExt};
use guillotine::net::{TcpListener, TcpStream, UnixListener, UnixStream};
use guillotine::runtime::Runtime;
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::client::legacy::Client;
use support::{PATIENCE, both_flavors, pattern};

both_flavors! {
    http1_keep_alive_several_requests_on_one_connection,
    http2_several_streams_on_one_connection,
    large_bodies_both_ways,
    pooled_client_reuses_its_connection,
    pooled_client_over_http2,
    connector_rejects_what_it_cannot_connect,
    curl_against_the_server,
    header_read_timeout_closes_a_stalled_client_without_a_panic,
    graceful_shutdown_lets_an_in_flight_http1_request_finish,
    graceful_shutdown_lets_an_in_flight_http2_stream_finish,
    shutdown_timeout_drops_a_stuck_connection,
    timer_resets_its_own_sleeps_in_place,
    executor_with_handle_spawns_from_any_thread,
    axum_router_through_the_server,
    accept_errors_are_survived_or_returned,
}

// ------------------------------------------------------------ the service

/// What the test service shares with its test.
#[derive(Default)]
struct Shared {
    /// Requests that reached `/wait`.
    waiting: AtomicUsize,
    /// Held by `/wait` until the test sends (one sender per waiting
    /// request, taken in turn).
    gates: Mutex<Vec<oneshot::Receiver<()>>>,
    /// Told when a request reaches `/wait`.
    arrived: Mutex<Option<oneshot::Sender<()>>>,
}

/// `/hello` answers "hello", `/echo` answers the request body, `/wait`
/// answers "waited" once its gate opens, anything else 404.
async fn service(
    shared: Arc<Shared>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, hyper::Error> {
    let body = match req.uri().path() {
        "/hello" => Bytes::from_static(b"hello"),
        "/echo" => req.into_body().collect().await?.to_bytes(),
        "/wait" => {
            shared.waiting.fetch_add(1, Ordering::SeqCst);
            let gate = shared.gates.lock().unwrap().pop();
            if let Some(arrived) = shared.arrived.lock().unwrap().take() {
                let _ = arrived.send(());
            }
            if let Some(gate) = gate {
                let _ = gate.await;
            }
            Bytes::from_static(b"waited")
        }
        _ => {
            let mut response = Response::new(Full::new(Bytes::new()));
            *response.status_mut() = StatusCode::NOT_FOUND;
            return Ok(response);
        }
    };
    Ok(Response::new(Full::new(body)))
}

/// A listener that counts the connections it accepts.
struct Counting<L>(L, Arc<AtomicUsize>);

impl<L: Listener> Listener for Counting<L> {
    type Io = L::Io;
    type Addr = L::Addr;

    async fn accept(&mut self) -> io::Result<(L::Io, L::Addr)> {
        let accepted = self.0.accept().await?;
        self.1.fetch_add(1, Ordering::SeqCst);
        Ok(accepted)
    }

    fn local_addr(&self) -> io::Result<L::Addr> {
        self.0.local_addr()
    }
}

/// A running test server: its address, connection count, shared state,
/// and how to stop it.
struct Running {
    addr: std::net::SocketAddr,
    accepted: Arc<AtomicUsize>,
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
    serving: guillotine::task::JoinHandle<io::Result<()>>,
}

impl Running {
    /// Signals the shutdown and waits for `serve_with_shutdown` to return.
    async fn shut_down(mut self) {
        let _ = self.stop.take().unwrap().send(());
        let result = guillotine::time::timeout(PATIENCE, self.serving)
            .await
            .expect("the server returns after its shutdown");
        result
            .expect("the server task")
            .expect("the server's result");
    }
}

/// Starts the test service on 127.0.0.1:0; `configure` may tune the server.
async fn start(configure: impl FnOnce(&mut Server<Counting<TcpListener>>)) -> Running {
    let accepted = Arc::new(AtomicUsize::new(0));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mut server = Server::new(Counting(listener, Arc::clone(&accepted)));
    configure(&mut server);
    let addr = server.local_addr().unwrap();
    let shared = Arc::new(Shared::default());
    let (stop, stopped) = oneshot::channel::<()>();
    let svc_shared = Arc::clone(&shared);
    let serving = guillotine::spawn(server.serve_with_shutdown(
        hyper::service::service_fn(move |req| service(Arc::clone(&svc_shared), req)),
        async {
            let _ = stopped.await;
        },
    ));
    Running {
        addr,
        accepted,
        shared,
        stop: Some(stop),
        serving,
    }
}

fn get(path: &str) -> Request<Full<Bytes>> {
    Request::get(path)
        .header("host", "test")
        .body(Full::new(Bytes::new()))
        .unwrap()
}

fn post(path: &str, body: Vec<u8>) -> Request<Full<Bytes>> {
    Request::post(path)
        .header("host", "test")
        .body(Full::new(Bytes::from(body)))
        .unwrap()
}

/// The status and whole body of a response.
async fn read(response: Response<Incoming>) -> (StatusCode, Bytes) {
    let status = response.status();
    (
        status,
        response.into_body().collect().await.unwrap().to_bytes(),
    )
}

/// An HTTP/1 client connection (hyper's low-level one) on `stream`.
async fn http1(stream: TcpStream) -> hyper::client::conn::http1::SendRequest<Full<Bytes>> {
    let (send, conn) = hyper::client::conn::http1::handshake(stream).await.unwrap();
    drop(guillotine::spawn(conn));
    send
}

/// Sends `request` on an HTTP/1 connection once it is ready for one (the
/// previous response may still be finishing on the connection's task);
/// the status and body of the response.
async fn ask(
    send: &mut hyper::client::conn::http1::SendRequest<Full<Bytes>>,
    request: Request<Full<Bytes>>,
) -> (StatusCode, Bytes) {
    send.ready().await.unwrap();
    read(send.send_request(request).await.unwrap()).await
}

/// An HTTP/2 client connection (prior knowledge) on `io`.
async fn http2<I, B>(io: I) -> hyper::client::conn::http2::SendRequest<B>
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
    B: hyper::body::Body + Unpin + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let (send, conn) = hyper::client::conn::http2::Builder::new(Executor::new())
        .timer(Timer::new())
        .handshake(io)
        .await
        .unwrap();
    drop(guillotine::spawn(conn));
    send
}

// ------------------------------------------------------------ the tests

fn http1_keep_alive_several_requests_on_one_connection(rt: Runtime) {
    rt.block_on(async {
        let server = start(|_| {}).await;
        let mut send = http1(TcpStream::connect(server.addr).await.unwrap()).await;
        for i in 0..5u8 {
            let (status, body) = ask(&mut send, get("/hello")).await;
            assert_eq!((status, &body[..]), (StatusCode::OK, &b"hello"[..]));
            let data = pattern(u64::from(i), 1000 + usize::from(i));
            let (status, body) = ask(&mut send, post("/echo", data.clone())).await;
            assert_eq!(status, StatusCode::OK);
            assert!(body == data, "request {i}: echoed body differs");
        }
        let (status, _) = ask(&mut send, get("/nowhere")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(
            server.accepted.load(Ordering::SeqCst),
            1,
            "eleven requests, one connection"
        );
        drop(send);
        server.shut_down().await;
    });
}

fn http2_several_streams_on_one_connection(rt: Runtime) {
    rt.block_on(async {
        let server = start(|_| {}).await;
        let mut send =
            http2::<_, Full<Bytes>>(TcpStream::connect(server.addr).await.unwrap()).await;
        // Ten concurrent streams, then five more one after another.
        let concurrent: Vec<_> = (0..10u64)
            .map(|i| {
                let request = send.send_request(post("/echo", pattern(i, 5000)));
                async move { (i, read(request.await.unwrap()).await) }
            })
            .collect();
        for (i, (status, body)) in futures::future::join_all(concurrent).await {
            assert_eq!(status, StatusCode::OK);
            assert!(body == pattern(i, 5000), "stream {i}: echoed body differs");
        }
        for _ in 0..5 {
            let request = Request::get("http://test/hello")
                .body(Full::new(Bytes::new()))
                .unwrap();
            let response = send.send_request(request).await.unwrap();
            assert_eq!(response.version(), hyper::Version::HTTP_2);
            assert_eq!(
                read(response).await,
                (StatusCode::OK, Bytes::from_static(b"hello"))
            );
        }
        assert_eq!(
            server.accepted.load(Ordering::SeqCst),
            1,
            "all on one connection"
        );
        drop(send);
        server.shut_down().await;
    });
}

fn large_bodies_both_ways(rt: Runtime) {
    rt.block_on(async {
        let server = start(|_| {}).await;
        let data = pattern(7, 3 << 20);
        let mut h1 = http1(TcpStream::connect(server.addr).await.unwrap()).await;
        let (status, body) = ask(&mut h1, post("/echo", data.clone())).await;
        assert_eq!(status, StatusCode::OK);
        assert!(body == data, "HTTP/1: 3 MiB echoed wrong");
        let mut h2 = http2::<_, Full<Bytes>>(TcpStream::connect(server.addr).await.unwrap()).await;
        let request = Request::post("http://test/echo")
            .body(Full::new(Bytes::from(data.clone())))
            .unwrap();
        let (status, body) = read(h2.send_request(request).await.unwrap()).await;
        assert_eq!(status, StatusCode::OK);
        assert!(body == data, "HTTP/2: 3 MiB echoed wrong");
        drop((h1, h2));
        server.shut_down().await;
    });
}

fn pooled_client_reuses_its_connection(rt: Runtime) {
    rt.block_on(async {
        let server = start(|_| {}).await;
        let client = Client::builder(Executor::new())
            .timer(Timer::new())
            .pool_timer(Timer::new())
            .build::<_, Full<Bytes>>(Connector::new());
        let port = server.addr.port();
        let requests = 10;
        for i in 0..requests {
            // A host name: resolved by guillotine, not by hyper-util.
            let uri = format!("http://localhost:{port}/echo");
            let request = Request::post(uri)
                .body(Full::new(Bytes::from(pattern(i, 100))))
                .unwrap();
            let (status, body) = read(client.request(request).await.unwrap()).await;
            assert_eq!(status, StatusCode::OK);
            assert!(body == pattern(i, 100));
        }
        // The client hands a connection back to its pool from a task of
        // its own once the response is done, and a request that starts
        // before that (say, on a loaded machine) opens another connection,
        // so the count is not exact; but idle connections are reused.
        let accepted = server.accepted.load(Ordering::SeqCst);
        assert!(
            (1..requests as usize).contains(&accepted),
            "{requests} requests took {accepted} connections"
        );
        drop(client);
        server.shut_down().await;
    });
}

fn pooled_client_over_http2(rt: Runtime) {
    rt.block_on(async {
        let server = start(|_| {}).await;
        let client = Client::builder(Executor::new())
            .timer(Timer::new())
            .pool_timer(Timer::new())
            .http2_only(true)
            .build::<_, Empty<Bytes>>(Connector::new());
        let uri: hyper::Uri = format!("http://{}/hello", server.addr).parse().unwrap();
        let requests: Vec<_> = (0..6).map(|_| client.get(uri.clone())).collect();
        for response in futures::future::join_all(requests).await {
            let response = response.unwrap();
            assert_eq!(response.version(), hyper::Version::HTTP_2);
            assert_eq!(
                read(response).await,
                (StatusCode::OK, Bytes::from_static(b"hello"))
            );
        }
        assert_eq!(
            server.accepted.load(Ordering::SeqCst),
            1,
            "one HTTP/2 connection"
        );
        drop(client);
        server.shut_down().await;
    });
}

fn connector_rejects_what_it_cannot_connect(rt: Runtime) {
    use tower_service::Service;
    rt.block_on(async {
        let mut connector = Connector::new();
        let call = |c: &mut Connector, uri: &str| c.call(uri.parse().unwrap());
        let e = call(&mut connector, "https://127.0.0.1:1/")
            .await
            .unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidInput, "{e}");
        let e = call(&mut connector, "/no/host").await.unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidInput, "{e}");
        // Nothing listens on a port we bound and closed.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let e = call(&mut connector, &format!("http://127.0.0.1:{port}/"))
            .await
            .unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::ConnectionRefused, "{e}");
        // With enforce_http off, an https URI connects (to port 443 if
        // none is given); here to a listener of ours, over IPv6 if we have it.
        let listener = TcpListener::bind("[::1]:0")
            .await
            .or(TcpListener::bind("127.0.0.1:0").await)
            .unwrap();
        let addr = listener.local_addr().unwrap();
        connector.enforce_http(false);
        let stream = call(&mut connector, &format!("https://{addr}/"))
            .await
            .unwrap();
        assert_eq!(stream.peer_addr().unwrap(), addr);
        assert!(stream.nodelay().unwrap(), "TCP_NODELAY by default");
    });
}

fn curl_against_the_server(rt: Runtime) {
    let Some(curl) = Curl::find() else {
        println!("note: curl is not on PATH; skipping the curl test");
        return;
    };
    rt.block_on(async {
        let server = start(|_| {}).await;
        let base = format!("http://{}", server.addr);
        // Three URLs in one curl: one keep-alive connection.
        let out = curl
            .run(&[
                "--http1.1",
                &format!("{base}/hello"),
                &format!("{base}/hello"),
                &format!("{base}/hello"),
            ])
            .await;
        assert_eq!(out, "hellohellohello");
        assert_eq!(server.accepted.load(Ordering::SeqCst), 1);
        let out = curl
            .run(&[
                "--http1.1",
                "--data-binary",
                "sent by curl",
                &format!("{base}/echo"),
            ])
            .await;
        assert_eq!(out, "sent by curl");
        if curl.http2 {
            let out = curl
                .run(&[
                    "--http2-prior-knowledge",
                    "-w",
                    " %{http_version}",
                    &format!("{base}/hello"),
                ])
                .await;
            assert_eq!(out, "hello 2");
            let out = curl
                .run(&[
                    "--http2-prior-knowledge",
                    "--data-binary",
                    "h2 body",
                    &format!("{base}/echo"),
                ])
                .await;
            assert_eq!(out, "h2 body");
        } else {
            println!("note: this curl has no HTTP/2; skipping its HTTP/2 requests");
        }
        server.shut_down().await;
    });
}

/// The `curl` on PATH, if any.
struct Curl {
    http2: bool,
}

impl Curl {
    fn find() -> Option<Curl> {
        let out = std::process::Command::new("curl")
            .arg("--version")
            .output()
            .ok()?;
        let version = String::from_utf8_lossy(&out.stdout);
        out.status.success().then(|| Curl {
            http2: version.contains("HTTP2"),
        })
    }

    /// Runs curl with `args` (silent, failing on HTTP errors) off the
    /// runtime thread; its standard output.
    async fn run(&self, args: &[&str]) -> String {
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        let out = guillotine::spawn_blocking(move || {
            std::process::Command::new("curl")
                .args(["-sS", "--fail", "--max-time", "20"])
                .args(&args)
                .output()
                .expect("run curl")
        })
        .await
        .unwrap();
        assert!(
            out.status.success(),
            "curl failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }
}

/// Panic messages seen by this binary's panic hook (installed once).
static PANICS: Mutex<Vec<String>> = Mutex::new(Vec::new());

fn record_panics() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let message = info
                .payload()
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| info.payload().downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            PANICS
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(message);
            previous(info);
        }));
    });
}

fn header_read_timeout_closes_a_stalled_client_without_a_panic(rt: Runtime) {
    record_panics();
    rt.block_on(async {
        let timeout = Duration::from_millis(200);
        let server = start(|s| {
            s.http1().header_read_timeout(timeout);
        })
        .await;
        // Half a request head, then nothing.
        let mut stalled = TcpStream::connect(server.addr).await.unwrap();
        let start = Instant::now();
        stalled
            .write_all(b"GET /hello HTTP/1.1\r\nhost: te")
            .await
            .unwrap();
        let mut buf = [0; 64];
        let closed = guillotine::time::timeout(PATIENCE, stalled.read(&mut buf))
            .await
            .expect("the server closes the stalled connection");
        // Closed (EOF, or a reset if our bytes were still unread), no response.
        assert!(matches!(closed, Ok(0) | Err(_)), "{closed:?}");
        assert!(start.elapsed() >= timeout, "not before the timeout");

        // The server still serves, and a prompt client is not cut off.
        let mut send = http1(TcpStream::connect(server.addr).await.unwrap()).await;
        for _ in 0..3 {
            let (status, body) = ask(&mut send, get("/hello")).await;
            assert_eq!((status, &body[..]), (StatusCode::OK, &b"hello"[..]));
        }
        drop(send);
        server.shut_down().await;
        let panics = PANICS.lock().unwrap().clone();
        assert!(
            !panics.iter().any(|p| p.contains("timer")),
            "a connection panicked: {panics:?}"
        );
    });
}

fn graceful_shutdown_lets_an_in_flight_http1_request_finish(rt: Runtime) {
    rt.block_on(async {
        // Over a Unix socket: once the server has returned, connecting
        // to its path must fail, with no chance of another test's socket
        // taking its place.
        let dir = std::env::temp_dir().join(format!(
            "guillotine-hyper-{}-{}",
            std::process::id(),
            unique()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("http.sock");
        let server = Server::new(UnixListener::bind(&path).unwrap());
        let shared = Arc::new(Shared::default());
        let (open_gate, gate) = oneshot::channel();
        shared.gates.lock().unwrap().push(gate);
        let (arrived_tx, arrived) = oneshot::channel();
        *shared.arrived.lock().unwrap() = Some(arrived_tx);
        let (stop, stopped) = oneshot::channel::<()>();
        let svc_shared = Arc::clone(&shared);
        let serving = guillotine::spawn(server.serve_with_shutdown(
            hyper::service::service_fn(move |req| service(Arc::clone(&svc_shared), req)),
            async {
                let _ = stopped.await;
            },
        ));

        let (mut send, conn) = hyper::client::conn::http1::handshake::<_, Full<Bytes>>(
            UnixStream::connect(&path).await.unwrap(),
        )
        .await
        .unwrap();
        let conn = guillotine::spawn(conn);
        // An idle keep-alive connection besides: shutdown closes it at once.
        let mut idle = UnixStream::connect(&path).await.unwrap();
        let in_flight = guillotine::spawn(send.send_request(get("/wait")));
        arrived.await.unwrap();

        stop.send(()).unwrap();
        // The idle connection is closed while the request still waits.
        let n = guillotine::time::timeout(PATIENCE, idle.read(&mut [0; 16]))
            .await
            .unwrap();
        assert!(matches!(n, Ok(0) | Err(_)), "{n:?}");
        assert!(!serving.is_finished(), "a request is in flight");
        open_gate.send(()).unwrap();

        let response = in_flight.await.unwrap().unwrap();
        assert_eq!(
            read(response).await,
            (StatusCode::OK, Bytes::from_static(b"waited"))
        );
        guillotine::time::timeout(PATIENCE, serving)
            .await
            .expect("the server returns once the request is done")
            .unwrap()
            .unwrap();
        // The connection was closed after its response, and the listener too.
        conn.await.unwrap().unwrap();
        let e = UnixStream::connect(&path).await.unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::ConnectionRefused, "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    });
}

fn graceful_shutdown_lets_an_in_flight_http2_stream_finish(rt: Runtime) {
    rt.block_on(async {
        let mut server = start(|_| {}).await;
        let (open_gate, gate) = oneshot::channel();
        server.shared.gates.lock().unwrap().push(gate);
        let (arrived_tx, arrived) = oneshot::channel();
        *server.shared.arrived.lock().unwrap() = Some(arrived_tx);
        let mut send =
            http2::<_, Full<Bytes>>(TcpStream::connect(server.addr).await.unwrap()).await;
        let wait = Request::get("http://test/wait")
            .body(Full::new(Bytes::new()))
            .unwrap();
        let in_flight = guillotine::spawn(send.send_request(wait));
        arrived.await.unwrap();

        let _ = server.stop.take().unwrap().send(());
        // The stream finishes after GOAWAY.
        open_gate.send(()).unwrap();
        let response = in_flight.await.unwrap().unwrap();
        assert_eq!(
            read(response).await,
            (StatusCode::OK, Bytes::from_static(b"waited"))
        );
        guillotine::time::timeout(PATIENCE, server.serving)
            .await
            .expect("the server returns once the stream is done")
            .unwrap()
            .unwrap();
        assert_eq!(server.shared.waiting.load(Ordering::SeqCst), 1);
    });
}

fn shutdown_timeout_drops_a_stuck_connection(rt: Runtime) {
    rt.block_on(async {
        let bound = Duration::from_millis(100);
        let server = start(|s| {
            s.shutdown_timeout(bound);
        })
        .await;
        // `/wait` without a gate to open: it never answers... (a gate whose
        // sender we keep, so it stays shut).
        let (_never, gate) = oneshot::channel();
        server.shared.gates.lock().unwrap().push(gate);
        let (arrived_tx, arrived) = oneshot::channel();
        *server.shared.arrived.lock().unwrap() = Some(arrived_tx);
        let (mut send, conn) = hyper::client::conn::http1::handshake::<_, Full<Bytes>>(
            TcpStream::connect(server.addr).await.unwrap(),
        )
        .await
        .unwrap();
        let conn = guillotine::spawn(conn);
        let in_flight = guillotine::spawn(send.send_request(get("/wait")));
        arrived.await.unwrap();

        let start = Instant::now();
        server.shut_down().await;
        assert!(start.elapsed() >= bound, "not before the bound");
        // The client sees its connection closed under the request.
        assert!(in_flight.await.unwrap().is_err());
        let _ = conn.await.unwrap();
    });
}

fn timer_resets_its_own_sleeps_in_place(rt: Runtime) {
    use hyper::rt::Timer as _;

    /// A sleep of some other timer.
    struct Foreign;
    impl Future for Foreign {
        type Output = ();
        fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
            Poll::Ready(())
        }
    }
    impl hyper::rt::Sleep for Foreign {}

    let handle = rt.handle();
    rt.block_on(async {
        let timer = Timer::new();
        let mut sleep = timer.sleep(Duration::from_secs(3600));
        assert!(sleep.is::<guillotine::time::Sleep>());
        let before: *const () = (&*sleep as *const dyn hyper::rt::Sleep).cast();
        // Registered on its first poll.
        assert!(futures::poll!(sleep.as_mut()).is_pending());
        assert_eq!(handle.num_timers(), 1);
        let start = Instant::now();
        timer.reset(&mut sleep, start + Duration::from_millis(20));
        let after: *const () = (&*sleep as *const dyn hyper::rt::Sleep).cast();
        assert_eq!(before, after, "moved, not replaced");
        assert_eq!(handle.num_timers(), 1);
        sleep.as_mut().await;
        assert!(start.elapsed() >= Duration::from_millis(20));
        assert!(start.elapsed() < Duration::from_secs(3000));

        // Someone else's sleep is replaced by one of ours.
        let mut foreign: Pin<Box<dyn hyper::rt::Sleep>> = Box::pin(Foreign);
        timer.reset(&mut foreign, Instant::now() + Duration::from_millis(1));
        assert!(foreign.is::<guillotine::time::Sleep>());
        foreign.await;
        assert!(timer.now() >= start);
    });
    // With a handle, sleeps are made outside the runtime too.
    let timer = Timer::with_handle(rt.handle());
    let sleep = timer.sleep_until(Instant::now() + Duration::from_millis(1));
    rt.block_on(sleep);
    drop(timer);
    assert_eq!(rt.num_timers(), 0);
}

fn executor_with_handle_spawns_from_any_thread(rt: Runtime) {
    use hyper::rt::Executor as _;
    let exec = Executor::with_handle(rt.handle());
    let (tx, rx) = oneshot::channel();
    std::thread::spawn(move || exec.execute(async move { tx.send("spawned").unwrap() }))
        .join()
        .unwrap();
    assert_eq!(rt.block_on(rx).unwrap(), "spawned");
    // Executor::new spawns onto the current runtime, on either flavor.
    let n = rt.block_on(async {
        let (tx, rx) = oneshot::channel();
        Executor::new().execute(async move { tx.send(7).unwrap() });
        rx.await.unwrap()
    });
    assert_eq!(n, 7);
}

fn axum_router_through_the_server(rt: Runtime) {
    use axum::routing::{get as route_get, post as route_post};
    rt.block_on(async {
        let router = axum::Router::new()
            .route("/", route_get(|| async { "axum" }))
            .route(
                "/len",
                route_post(|body: Bytes| async move { body.len().to_string() }),
            );
        let server = Server::new(TcpListener::bind("127.0.0.1:0").await.unwrap());
        let addr = server.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let serving = guillotine::spawn(server.serve_with_shutdown(
            hyper_util::service::TowerToHyperService::new(router),
            async {
                let _ = stopped.await;
            },
        ));
        let mut send = http1(TcpStream::connect(addr).await.unwrap()).await;
        let request = Request::get("/")
            .header("host", "test")
            .body(Full::new(Bytes::new()))
            .unwrap();
        assert_eq!(
            ask(&mut send, request).await,
            (StatusCode::OK, Bytes::from_static(b"axum"))
        );
        let request = Request::builder()
            .method(Method::POST)
            .uri("/len")
            .header("host", "test")
            .body(Full::new(Bytes::from(vec![0; 12345])))
            .unwrap();
        assert_eq!(
            ask(&mut send, request).await,
            (StatusCode::OK, Bytes::from_static(b"12345"))
        );
        let mut h2 = http2::<_, Full<Bytes>>(TcpStream::connect(addr).await.unwrap()).await;
        let request = Request::get("http://test/")
            .body(Full::new(Bytes::new()))
            .unwrap();
        assert_eq!(
            read(h2.send_request(request).await.unwrap()).await,
            (StatusCode::OK, Bytes::from_static(b"axum"))
        );
        // And curl, as a user would try it.
        if let Some(curl) = Curl::find() {
            let root = format!("http://{addr}/");
            assert_eq!(curl.run(&[&root]).await, "axum");
            let len = format!("http://{addr}/len");
            assert_eq!(curl.run(&["--data-binary", "four", &len]).await, "4");
        } else {
            println!("note: curl is not on PATH; skipping curl against axum");
        }
        drop((send, h2));
        stop.send(()).unwrap();
        serving.await.unwrap().unwrap();
    });
}

/// A listener that fails with the OS errors in `script` (in turn) before
/// each real accept.
struct Failing {
    listener: TcpListener,
    script: Vec<i32>,
}

impl Listener for Failing {
    type Io = TcpStream;
    type Addr = std::net::SocketAddr;

    async fn accept(&mut self) -> io::Result<(TcpStream, std::net::SocketAddr)> {
        if !self.script.is_empty() {
            return Err(io::Error::from_raw_os_error(self.script.remove(0)));
        }
        Listener::accept(&mut self.listener).await
    }

    fn local_addr(&self) -> io::Result<std::net::SocketAddr> {
        self.listener.local_addr()
    }
}

fn accept_errors_are_survived_or_returned(rt: Runtime) {
    rt.block_on(async {
        let hello = || {
            hyper::service::service_fn(|_req| async {
                Ok::<_, hyper::Error>(Response::new(Full::new(Bytes::from_static(b"hello"))))
            })
        };
        // A connection aborted before it was accepted, then out of
        // descriptors (a pause), then a handshake-style failure: the
        // server serves on.
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let script = vec![libc::ECONNABORTED, libc::EMFILE, libc::EPROTO];
        let server = Server::new(Failing { listener, script });
        let addr = server.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let serving = guillotine::spawn(server.serve_with_shutdown(hello(), async {
            let _ = stopped.await;
        }));
        let mut send = http1(TcpStream::connect(addr).await.unwrap()).await;
        let answer = guillotine::time::timeout(PATIENCE, ask(&mut send, get("/")))
            .await
            .expect("served after the errors");
        assert_eq!(answer, (StatusCode::OK, Bytes::from_static(b"hello")));
        drop(send);
        stop.send(()).unwrap();
        serving.await.unwrap().unwrap();

        // A listener that is not one any more: the server returns its error.
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let server = Server::new(Failing {
            listener,
            script: vec![libc::EBADF],
        });
        let e = guillotine::time::timeout(PATIENCE, server.serve(hello()))
            .await
            .expect("the server returns")
            .unwrap_err();
        assert_eq!(e.raw_os_error(), Some(libc::EBADF));
    });
}

/// A number no other call in this process gets.
fn unique() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}
