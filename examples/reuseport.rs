//! One `SO_REUSEPORT` listener per worker of a multi-thread runtime, each
//! with its own accept loop, all on one port: the kernel spreads the
//! connections over the listeners, so no single accept loop is the
//! bottleneck. The server speaks just enough HTTP/1.1 for curl and
//! wrk ("Hello, World!" on keep-alive connections).
//!
//! ```text
//! cargo run --example reuseport               # serve, run 64 clients, print the spread
//! cargo run --example reuseport -- 1000       # 1000 clients
//! cargo run --example reuseport -- serve 8080 # serve until killed: curl localhost:8080
//! ```

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use guillotine::io::{AsyncReadExt, AsyncWriteExt};
use guillotine::net::{TcpListener, TcpStream};

const RESPONSE: &[u8] = b"HTTP/1.1 200 OK\r\ncontent-length: 13\r\n\r\nHello, World!";
const REQUEST: &[u8] = b"GET / HTTP/1.1\r\nhost: localhost\r\n\r\n";

/// Accepts on `listener` forever, one task per connection; counts each
/// connection in `accepted`.
async fn accept_loop(listener: TcpListener, accepted: Arc<AtomicUsize>) -> io::Result<()> {
    loop {
        let (stream, _) = listener.accept().await?;
        accepted.fetch_add(1, Relaxed);
        stream.set_nodelay(true)?;
        guillotine::spawn(async move {
            // A client that goes away mid-request is no error of ours.
            let _ = serve(stream).await;
        });
    }
}

/// Answers every request on `stream` (a request ends with an empty line)
/// until the client closes it.
async fn serve(mut stream: TcpStream) -> io::Result<()> {
    let mut buf = vec![0; 4096];
    let mut filled = 0;
    loop {
        let n = stream.read(&mut buf[filled..]).await?;
        if n == 0 {
            return Ok(());
        }
        filled += n;
        while let Some(end) = find(&buf[..filled], b"\r\n\r\n") {
            stream.write_all(RESPONSE).await?;
            buf.copy_within(end + 4..filled, 0);
            filled -= end + 4;
        }
        if filled == buf.len() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "request too long",
            ));
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Binds one listener per worker on `addr` (port 0: a free port) and
/// starts their accept loops; returns the address and the counters.
async fn start(
    addr: SocketAddr,
    workers: usize,
) -> io::Result<(SocketAddr, Vec<Arc<AtomicUsize>>)> {
    // The first listener picks the port the others share.
    let first = TcpListener::bind_reuseport(addr).await?;
    let addr = first.local_addr()?;
    let mut listeners = vec![first];
    for _ in 1..workers {
        // One listener per worker: this line.
        listeners.push(TcpListener::bind_reuseport(addr).await?);
    }
    let mut counts = Vec::new();
    for listener in listeners {
        let accepted = Arc::new(AtomicUsize::new(0));
        counts.push(accepted.clone());
        guillotine::spawn(accept_loop(listener, accepted));
    }
    Ok((addr, counts))
}

/// One client: a few keep-alive requests, each answer checked.
async fn client(addr: SocketAddr) -> io::Result<()> {
    let mut stream = TcpStream::connect(addr).await?;
    let mut answer = vec![0; RESPONSE.len()];
    for _ in 0..3 {
        stream.write_all(REQUEST).await?;
        stream.read_exact(&mut answer).await?;
        assert_eq!(answer, RESPONSE);
    }
    Ok(())
}

fn main() -> io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let workers = std::thread::available_parallelism().map_or(2, usize::from);
    let rt = guillotine::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .build()?;
    rt.block_on(async {
        if args.first().map(String::as_str) == Some("serve") {
            let port: u16 = args.get(1).map_or(Ok(8080), |p| p.parse()).expect("a port");
            let (addr, _) = start(SocketAddr::from(([127, 0, 0, 1], port)), workers).await?;
            println!("{workers} listeners on http://{addr}/");
            std::future::pending::<()>().await;
        }
        let clients: usize = args
            .first()
            .map_or(64, |n| n.parse().expect("a number of clients"));
        let (addr, counts) = start("127.0.0.1:0".parse().unwrap(), workers).await?;
        let tasks: Vec<_> = (0..clients)
            .map(|_| guillotine::spawn(client(addr)))
            .collect();
        for task in tasks {
            task.await.expect("client task")?;
        }
        let spread: Vec<usize> = counts.iter().map(|c| c.load(Relaxed)).collect();
        println!("{clients} clients on {workers} listeners at {addr}: {spread:?} connections each");
        assert_eq!(spread.iter().sum::<usize>(), clients);
        Ok(())
    })
}
