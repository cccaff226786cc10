//! hyper-util's pooled client on guillotine: `guillotine::hyper::Connector`
//! makes the connections (names resolved off the runtime thread), and
//! guillotine's `Executor` and `Timer` run the pool, with no tokio runtime
//! anywhere.
//!
//! ```text
//! cargo run --example hyper_client --features hyper
//! cargo run --example hyper_client --features hyper -- --multi-thread
//! ```
//!
//! It starts a server of its own on a free port, fetches a few pages from
//! it through one client (whose pool keeps its connections for the next
//! request: the server counts how many it accepted), shuts the server
//! down and exits.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use guillotine::hyper::{Connector, Executor, Server, Timer};
use guillotine::net::TcpListener;
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};
use hyper_util::client::legacy::Client;

/// Answers with the path it was asked for.
async fn echo_path(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let body = format!("you asked for {}", req.uri().path());
    Ok(Response::new(Full::new(Bytes::from(body))))
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
    // The server, counting the connections it accepts.
    let connections = Arc::new(AtomicUsize::new(0));
    let listener = Counting(
        TcpListener::bind("127.0.0.1:0").await?,
        Arc::clone(&connections),
    );
    let server = Server::new(listener);
    let port = server.local_addr()?.port();
    let (stop, stopped) = futures::channel::oneshot::channel::<()>();
    let serving = guillotine::spawn(server.serve_with_shutdown(
        hyper::service::service_fn(echo_path),
        async {
            let _ = stopped.await;
        },
    ));

    // The client: a name to resolve ("localhost"), a pool with idle expiry.
    let client = Client::builder(Executor::new())
        .timer(Timer::new())
        .pool_timer(Timer::new())
        .build::<_, Empty<Bytes>>(Connector::new());
    for page in ["/", "/a", "/b/c"] {
        let uri = format!("http://localhost:{port}{page}")
            .parse()
            .expect("a URI");
        let response = client.get(uri).await.map_err(std::io::Error::other)?;
        let status = response.status();
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(std::io::Error::other)?
            .to_bytes();
        println!("GET {page}: {status} {:?}", String::from_utf8_lossy(&body));
        assert_eq!(body, format!("you asked for {page}"));
    }
    // The pool takes a connection back once its response is done, from a
    // task of its own; a request that starts before that opens another.
    let accepted = connections.load(Ordering::Relaxed);
    println!("the server accepted {accepted} connection(s) for 3 requests");

    // Dropping the client closes its pooled connection; the server then
    // has nothing to wait for.
    drop(client);
    stop.send(()).expect("the server is running");
    serving.await.expect("the server task")?;
    println!("done");
    Ok(())
}

/// A listener that counts what it accepts.
struct Counting(TcpListener, Arc<AtomicUsize>);

impl guillotine::hyper::Listener for Counting {
    type Io = guillotine::net::TcpStream;
    type Addr = std::net::SocketAddr;

    async fn accept(&mut self) -> std::io::Result<(Self::Io, Self::Addr)> {
        let accepted = guillotine::hyper::Listener::accept(&mut self.0).await?;
        self.1.fetch_add(1, Ordering::Relaxed);
        Ok(accepted)
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.0.local_addr()
    }
}
