//! A TCP server that shuts down gracefully on Ctrl-C: it stops accepting
//! (new connections are refused), lets the open connections finish their
//! requests, and exits 0. A second Ctrl-C while it waits for them ends the
//! process at once: the Ctrl-C listener is opted in with
//! `restore_default_on_drop` and dropped when the shutdown begins.
//!
//! The protocol: a client sends one line; the server answers it in capitals
//! and closes the connection.
//!
//! The server binds an ephemeral port on 127.0.0.1 and prints the address
//! on the first line of its output, then one line per event (which
//! `tests/graceful_shutdown.rs` reads). It runs on the multi-thread runtime,
//! or on the current-thread one when given `current_thread`.
//!
//! `cargo run --example graceful_shutdown [current_thread|multi_thread]`,
//! then `nc 127.0.0.1 <port>` in another terminal, and Ctrl-C.

use std::fmt::Display;
use std::io::{self, Write};
use std::time::Duration;

use futures_lite::future;
use futures_lite::io::BufReader;
use guillotine::io::{AsyncBufReadExt, AsyncWriteExt};
use guillotine::net::TcpListener;
use guillotine::net::TcpStream;
use guillotine::runtime::Builder;
use guillotine::signal::unix::{SignalKind, signal};
use guillotine::task::JoinHandle;

fn main() -> io::Result<()> {
    let runtime = match std::env::args().nth(1).as_deref() {
        None | Some("multi_thread") => Builder::new_multi_thread().build()?,
        Some("current_thread") => Builder::new_current_thread().build()?,
        Some(other) => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("unknown flavor {other:?}: expected current_thread or multi_thread"),
            ));
        }
    };
    runtime.block_on(serve())
}

/// What the accept loop waits for.
enum Event {
    Interrupt,
    Connection(io::Result<TcpStream>),
}

async fn serve() -> io::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    // Listen before announcing the address: any Ctrl-C from then on is ours.
    let mut interrupt = signal(SignalKind::interrupt())?.restore_default_on_drop()?;
    say(listener.local_addr()?);

    let mut connections: Vec<JoinHandle<()>> = Vec::new();
    loop {
        // Both branches are cancel-safe: the one that loses keeps nothing.
        let event = future::or(
            async {
                interrupt.recv().await;
                Event::Interrupt
            },
            async { Event::Connection(listener.accept().await.map(|(stream, _)| stream)) },
        )
        .await;
        match event {
            Event::Interrupt => break,
            Event::Connection(Ok(stream)) => {
                let peer = stream.peer_addr()?;
                say(format_args!("accepted {peer}"));
                connections.retain(|c| !c.is_finished());
                connections.push(guillotine::spawn(async move {
                    if let Err(e) = answer(stream).await {
                        eprintln!("{peer}: {e}");
                    }
                }));
            }
            Event::Connection(Err(e)) => {
                // examples/accept_loop.rs shows a complete policy.
                eprintln!("accept: {e}");
                guillotine::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }

    // Stop accepting: connecting is refused from here on.
    drop(listener);
    // The last SIGINT listener is gone: the next Ctrl-C ends the process.
    drop(interrupt);
    connections.retain(|c| !c.is_finished());
    say(format_args!(
        "shutting down: waiting for {} connection(s); Ctrl-C again to quit now",
        connections.len()
    ));
    for connection in connections {
        if let Err(e) = connection.await {
            eprintln!("a connection's task failed: {e}");
        }
    }
    say("bye");
    Ok(())
}

/// Reads one line and answers it in capitals.
async fn answer(stream: TcpStream) -> io::Result<()> {
    let mut line = String::new();
    BufReader::new(&stream).read_line(&mut line).await?;
    (&stream).write_all(line.to_uppercase().as_bytes()).await?;
    Ok(())
}

/// Prints one line and flushes it: stdout may be a pipe.
fn say(line: impl Display) {
    let mut out = io::stdout().lock();
    // A closed stdout must not stop the server.
    let _ = writeln!(out, "{line}").and_then(|()| out.flush());
}
