//! An axum `Router` served on guillotine.
//!
//! axum's own `axum::serve` hard-codes tokio (its listener, executor and
//! I/O types need a tokio runtime), so on guillotine a `Router` goes to
//! `guillotine::hyper::Server` instead, through hyper-util's
//! `TowerToHyperService` (a `Router` is a tower service). Routing,
//! extractors, state and middleware work as usual; axum's default features
//! stay off (they pull in tokio's runtime for `serve`).
//!
//! ```text
//! cargo run --example axum --features hyper
//! cargo run --example axum --features hyper -- --multi-thread
//! ```
//!
//! It serves on a free port, calls its own routes with hyper-util's client,
//! checks the answers, shuts down gracefully and exits.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::extract::{Path, State};
use axum::routing::{get, post};
use guillotine::hyper::{Connector, Executor, Server, Timer};
use guillotine::net::TcpListener;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::{Method, Request, StatusCode};
use hyper_util::client::legacy::Client;
use hyper_util::service::TowerToHyperService;

/// The app: a greeting, a path parameter, and a shared counter.
fn app() -> Router {
    let hits = Arc::new(AtomicU64::new(0));
    Router::new()
        .route("/", get(|| async { "Hello from axum on guillotine" }))
        .route(
            "/hello/{name}",
            get(|Path(name): Path<String>| async move { format!("Hello, {name}!") }),
        )
        .route(
            "/count",
            post(
                |State(hits): State<Arc<AtomicU64>>, body: String| async move {
                    let n =
                        hits.fetch_add(body.len() as u64, Ordering::Relaxed) + body.len() as u64;
                    n.to_string()
                },
            ),
        )
        .with_state(hits)
}

fn main() -> std::io::Result<()> {
    let runtime = if std::env::args().any(|a| a == "--multi-thread") {
        guillotine::runtime::Builder::new_multi_thread().build()?
    } else {
        guillotine::runtime::Runtime::new()?
    };
    runtime.block_on(run())
}

async fn run() -> std::io::Result<()> {
    let server = Server::new(TcpListener::bind("127.0.0.1:0").await?);
    let addr = server.local_addr()?;
    println!("axum on http://{addr}");
    let (stop, stopped) = futures::channel::oneshot::channel::<()>();
    let serving = guillotine::spawn(server.serve_with_shutdown(
        TowerToHyperService::new(app()),
        async {
            let _ = stopped.await;
        },
    ));

    let client = Client::builder(Executor::new())
        .timer(Timer::new())
        .pool_timer(Timer::new())
        .build::<_, Full<Bytes>>(Connector::new());
    let call = |method: Method, path: &str, body: &'static str| {
        let request = Request::builder()
            .method(method)
            .uri(format!("http://{addr}{path}"))
            .body(Full::new(Bytes::from_static(body.as_bytes())))
            .expect("a request");
        let client = client.clone();
        async move {
            let response = client
                .request(request)
                .await
                .map_err(std::io::Error::other)?;
            let status = response.status();
            let body = response
                .into_body()
                .collect()
                .await
                .map_err(std::io::Error::other)?;
            Ok::<_, std::io::Error>((
                status,
                String::from_utf8_lossy(&body.to_bytes()).into_owned(),
            ))
        }
    };

    let checks = [
        (
            Method::GET,
            "/",
            "",
            StatusCode::OK,
            "Hello from axum on guillotine",
        ),
        (
            Method::GET,
            "/hello/ferris",
            "",
            StatusCode::OK,
            "Hello, ferris!",
        ),
        (Method::POST, "/count", "abc", StatusCode::OK, "3"),
        (Method::POST, "/count", "de", StatusCode::OK, "5"),
        (Method::GET, "/nowhere", "", StatusCode::NOT_FOUND, ""),
    ];
    for (method, path, body, want_status, want_body) in checks {
        let (status, got) = call(method.clone(), path, body).await?;
        println!("{method} {path}: {status} {got:?}");
        assert_eq!((status, got.as_str()), (want_status, want_body));
    }

    drop(client);
    stop.send(()).expect("the server is running");
    serving.await.expect("the server task")?;
    println!("done");
    Ok(())
}
