//! The accept loop a server should run. `accept` returns every error at
//! once and never spins on its own; what to do next is the server's call:
//!
//! - transient errors (a connection aborted before it was accepted, ...):
//!   accept again at once;
//! - out of descriptors or memory (`EMFILE`, `ENFILE`, `ENOBUFS`, `ENOMEM`):
//!   retrying at once would spin, since the pending connection keeps the
//!   listener readable. Back off until one of our own connections closes,
//!   or a short, growing delay passes (descriptors may be freed elsewhere);
//!   the pending connections wait in the listen queue meanwhile;
//! - anything else: give up.
//!
//! The demo lowers this process's descriptor limit so the server runs out
//! with clients still queued, and shows it serving every one of them.
//!
//! `cargo run --example accept_loop`

use std::io::{self, BufRead, BufReader, Write};
use std::pin::pin;
use std::time::Duration;

use futures::StreamExt;
use futures::channel::mpsc;
use futures::future::select;
use guillotine::io::{AsyncBufReadExt, AsyncWriteExt};
use guillotine::net::{TcpListener, TcpStream};

const CLIENTS: usize = 12;
/// Descriptors left free: the clients take 12, so the server gets 4.
const FREE: u64 = 16;
const MIN_BACKOFF: Duration = Duration::from_millis(5);
const MAX_BACKOFF: Duration = Duration::from_secs(1);

enum AcceptError {
    /// Retry at once.
    Transient,
    /// Out of descriptors or memory: back off.
    Exhausted,
    /// Stop serving.
    Fatal,
}

fn classify(e: &io::Error) -> AcceptError {
    match e.raw_os_error() {
        Some(libc::EMFILE | libc::ENFILE | libc::ENOBUFS | libc::ENOMEM) => AcceptError::Exhausted,
        // accept(2): Linux passes pending network errors of the new
        // connection to accept; they concern that connection only.
        Some(
            libc::ECONNABORTED
            | libc::EINTR
            | libc::EPROTO
            | libc::EPERM
            | libc::ENETDOWN
            | libc::ENOPROTOOPT
            | libc::EHOSTDOWN
            | libc::ENONET
            | libc::EHOSTUNREACH
            | libc::EOPNOTSUPP
            | libc::ENETUNREACH,
        ) => AcceptError::Transient,
        _ => AcceptError::Fatal,
    }
}

/// Echoes one line, then closes.
async fn handle(stream: TcpStream) -> io::Result<()> {
    let mut line = String::new();
    futures_lite::io::BufReader::new(&stream)
        .read_line(&mut line)
        .await?;
    (&stream).write_all(line.as_bytes()).await
}

/// Serves `clients` connections; returns how often it ran out of descriptors.
async fn serve(listener: TcpListener, clients: usize) -> io::Result<usize> {
    // Each connection task says when it is done: its descriptor is free.
    let (closed_tx, mut closed_rx) = mpsc::unbounded::<()>();
    let mut backoff = MIN_BACKOFF;
    let mut exhausted = 0;
    let mut tasks = Vec::new();
    while tasks.len() < clients {
        match listener.accept().await {
            Ok((stream, _)) => {
                backoff = MIN_BACKOFF;
                let closed = closed_tx.clone();
                tasks.push(guillotine::spawn(async move {
                    let result = handle(stream).await;
                    let _ = closed.unbounded_send(());
                    result
                }));
            }
            Err(e) => match classify(&e) {
                AcceptError::Transient => continue,
                AcceptError::Exhausted => {
                    exhausted += 1;
                    println!("accept: {e}; backing off (a connection closing, or {backoff:?})");
                    let _ = select(closed_rx.next(), pin!(guillotine::time::sleep(backoff))).await;
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
                AcceptError::Fatal => return Err(e),
            },
        }
    }
    for task in tasks {
        task.await.expect("connection task")?;
    }
    Ok(exhausted)
}

/// Sets the soft RLIMIT_NOFILE so that only `free` more descriptors fit.
/// (New descriptors take the lowest free numbers below the limit, and
/// inherited ones may leave gaps: count the gaps.)
fn leave_free_descriptors(free: u64) -> io::Result<()> {
    let open: Vec<u64> = std::fs::read_dir("/proc/self/fd")?
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .collect();
    let mut limit = 0;
    let mut gaps = 0;
    while gaps < free {
        if !open.contains(&limit) {
            gaps += 1;
        }
        limit += 1;
    }
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes one rlimit into a live struct.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
        return Err(io::Error::last_os_error());
    }
    lim.rlim_cur = limit.min(lim.rlim_max);
    // SAFETY: setrlimit reads one live rlimit.
    if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lim) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

fn main() -> io::Result<()> {
    let runtime = guillotine::runtime::Runtime::new()?;
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let addr = std_listener.local_addr()?;
    leave_free_descriptors(FREE)?;

    // The clients connect first: their connections wait in the listen queue.
    let clients: Vec<std::net::TcpStream> = (0..CLIENTS)
        .map(|_| std::net::TcpStream::connect(addr))
        .collect::<io::Result<_>>()?;
    let client_thread = std::thread::spawn(move || -> io::Result<()> {
        for (i, mut c) in clients.into_iter().enumerate() {
            writeln!(c, "hello from client {i}")?;
            let mut back = String::new();
            BufReader::new(&c).read_line(&mut back)?;
            assert_eq!(back.trim_end(), format!("hello from client {i}"));
        }
        Ok(())
    });

    let exhausted = runtime.block_on(async {
        let listener = TcpListener::from_std(std_listener)?;
        serve(listener, CLIENTS).await
    })?;
    client_thread.join().expect("client thread")?;
    println!(
        "served {CLIENTS} clients; ran out of descriptors {exhausted} times and recovered each time"
    );
    Ok(())
}
