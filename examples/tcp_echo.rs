//! A TCP echo server and its clients in one program, on port 0: each client
//! sends messages, reads each echo back, and checks it.
//!
//! `cargo run --example tcp_echo [ROUND_TRIPS]` (default 1000, on one
//! connection, plus 10 concurrent clients). With a count, it is also the
//! workload for counting syscalls per round trip:
//! `strace -c -f target/debug/examples/tcp_echo 10000`.

use guillotine::io::{AsyncReadExt, AsyncWriteExt};
use guillotine::net::{TcpListener, TcpStream};

/// Echoes one connection until the client closes it.
async fn echo(stream: TcpStream) -> std::io::Result<u64> {
    let (mut rd, mut wr) = (&stream, &stream);
    let mut buf = [0; 4096];
    let mut total = 0;
    loop {
        let n = rd.read(&mut buf).await?;
        if n == 0 {
            return Ok(total);
        }
        wr.write_all(&buf[..n]).await?;
        total += n as u64;
    }
}

/// Sends `rounds` numbered 64-byte messages and checks every echo.
async fn client(addr: std::net::SocketAddr, id: u32, rounds: u32) -> std::io::Result<()> {
    let mut stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let mut msg = [0u8; 64];
    let mut back = [0u8; 64];
    for round in 0..rounds {
        msg[..4].copy_from_slice(&id.to_le_bytes());
        msg[4..8].copy_from_slice(&round.to_le_bytes());
        stream.write_all(&msg).await?;
        stream.read_exact(&mut back).await?;
        assert_eq!(msg, back, "client {id}, round {round}: wrong echo");
    }
    Ok(())
}

fn main() -> std::io::Result<()> {
    let rounds: u32 = std::env::args()
        .nth(1)
        .map_or(1000, |s| s.parse().expect("a number of round trips"));
    let runtime = guillotine::runtime::Runtime::new()?;
    runtime.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        println!("echo server on {addr}");
        let _server = guillotine::spawn(async move {
            loop {
                let (stream, _) = listener.accept().await.expect("accept");
                stream.set_nodelay(true).expect("nodelay");
                let _conn = guillotine::spawn(echo(stream));
            }
        });

        // One client doing `rounds` round trips...
        client(addr, 0, rounds).await?;
        println!("1 client: {rounds} round trips echoed correctly");

        // ... then ten at once.
        let clients: Vec<_> = (1..=10)
            .map(|id| guillotine::spawn(client(addr, id, 100)))
            .collect();
        for c in clients {
            c.await.expect("client task")?;
        }
        println!("10 concurrent clients: 100 round trips each echoed correctly");
        Ok(())
    })
}
