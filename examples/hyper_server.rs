//! A hello-world HTTP server with hyper on guillotine: `guillotine::hyper::Server`
//! serves HTTP/1 and HTTP/2 on one port, with a header-read timeout and
//! graceful shutdown, and no tokio runtime anywhere.
//!
//! ```text
//! cargo run --example hyper_server --features hyper            # self-test, then exit
//! cargo run --example hyper_server --features hyper -- --multi-thread
//! cargo run --example hyper_server --features hyper -- 127.0.0.1:3000
//!     # serve on that address until standard input closes (Ctrl-D)
//! ```
//!
//! Without an address it serves on a free port, sends itself a few
//! requests on one keep-alive connection, checks the answers, shuts down
//! gracefully and exits: a smoke test CI can run.

use std::convert::Infallible;
use std::time::Duration;

use guillotine::hyper::Server;
use guillotine::io::{AsyncReadExt, AsyncWriteExt};
use guillotine::net::{TcpListener, TcpStream};
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};

async fn hello(_: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    Ok(Response::new(Full::new(Bytes::from_static(
        b"Hello, World!",
    ))))
}

fn main() -> std::io::Result<()> {
    let mut multi_thread = false;
    let mut addr = None;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--multi-thread" => multi_thread = true,
            _ => addr = Some(arg),
        }
    }
    let runtime = if multi_thread {
        guillotine::runtime::Builder::new_multi_thread().build()?
    } else {
        guillotine::runtime::Runtime::new()?
    };
    runtime.block_on(async {
        match addr {
            Some(addr) => serve_until_stdin_closes(&addr).await,
            None => self_test().await,
        }
    })
}

/// Serves on `addr` until standard input reaches its end.
async fn serve_until_stdin_closes(addr: &str) -> std::io::Result<()> {
    let mut server = Server::new(TcpListener::bind(addr).await?);
    server.shutdown_timeout(Duration::from_secs(5));
    println!("listening on http://{}", server.local_addr()?);
    let stdin_closed = async {
        let _ = guillotine::spawn_blocking(|| {
            std::io::copy(&mut std::io::stdin(), &mut std::io::sink())
        })
        .await;
    };
    server
        .serve_with_shutdown(hyper::service::service_fn(hello), stdin_closed)
        .await?;
    println!("shut down");
    Ok(())
}

/// Serves on a free port, requests three answers on one connection, and
/// shuts down.
async fn self_test() -> std::io::Result<()> {
    let server = Server::new(TcpListener::bind("127.0.0.1:0").await?);
    let addr = server.local_addr()?;
    println!("listening on http://{addr}");
    let (stop, stopped) = futures::channel::oneshot::channel::<()>();
    let serving = guillotine::spawn(server.serve_with_shutdown(
        hyper::service::service_fn(hello),
        async {
            let _ = stopped.await;
        },
    ));

    // A plain HTTP/1.1 client: three requests on one keep-alive connection.
    let mut stream = TcpStream::connect(addr).await?;
    let request = b"GET / HTTP/1.1\r\nhost: localhost\r\n\r\n";
    for i in 1..=3 {
        stream.write_all(request).await?;
        let response = read_response(&mut stream).await?;
        assert!(response.starts_with("HTTP/1.1 200 OK"), "{response:?}");
        assert!(response.ends_with("\r\n\r\nHello, World!"), "{response:?}");
        println!("request {i}: {}", response.lines().next().unwrap_or(""));
    }

    // Shut down while the connection is idle: the server closes it.
    stop.send(()).expect("the server is running");
    serving.await.expect("the server task")?;
    assert_eq!(stream.read(&mut [0; 16]).await?, 0, "closed by the server");
    println!("shut down gracefully");
    Ok(())
}

/// Reads one response with a `content-length` body.
async fn read_response(stream: &mut TcpStream) -> std::io::Result<String> {
    let mut bytes = Vec::new();
    let mut buf = [0; 1024];
    loop {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        bytes.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&bytes);
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length: "))
                .and_then(|n| n.trim().parse::<usize>().ok());
            if length.is_some_and(|length| body.len() >= length) {
                return Ok(text.into_owned());
            }
        }
    }
}
