//! A Unix-domain echo server and clients in one program, on a socket file
//! in a temporary directory; then the same over a `UnixStream::pair`.
//!
//! `cargo run --example unix_echo`

use guillotine::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};
use guillotine::net::{UnixListener, UnixStream};

fn main() -> std::io::Result<()> {
    let dir = std::env::temp_dir().join(format!("guillotine-unix-echo-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("echo.sock");
    let runtime = guillotine::runtime::Runtime::new()?;
    let result = runtime.block_on(async {
        let listener = UnixListener::bind(&path)?;
        println!("unix echo server on {}", path.display());
        let _server = guillotine::spawn(async move {
            loop {
                let (stream, _) = listener.accept().await.expect("accept");
                let _conn = guillotine::spawn(async move {
                    // Line by line: read a line, write it back.
                    let mut lines = futures_lite::io::BufReader::new(&stream).lines();
                    let mut out = &stream;
                    while let Some(line) = futures_lite::StreamExt::next(&mut lines).await {
                        let line = line.expect("read line");
                        out.write_all(format!("{line}\n").as_bytes())
                            .await
                            .expect("write");
                    }
                });
            }
        });

        let clients: Vec<_> = (0..5)
            .map(|id| {
                let path = path.clone();
                guillotine::spawn(async move {
                    let stream = UnixStream::connect(&path).await?;
                    let mut reader = futures_lite::io::BufReader::new(&stream);
                    let mut out = &stream;
                    for i in 0..20 {
                        let msg = format!("client {id} line {i}");
                        out.write_all(format!("{msg}\n").as_bytes()).await?;
                        let mut back = String::new();
                        reader.read_line(&mut back).await?;
                        assert_eq!(back.trim_end(), msg);
                    }
                    Ok::<_, std::io::Error>(())
                })
            })
            .collect();
        for c in clients {
            c.await.expect("client task")?;
        }
        println!("5 clients x 20 lines echoed correctly");

        // A connected pair needs no file at all.
        let (mut a, mut b) = UnixStream::pair()?;
        a.write_all(b"over a socketpair").await?;
        a.shutdown(std::net::Shutdown::Write)?;
        let mut got = String::new();
        b.read_to_string(&mut got).await?;
        assert_eq!(got, "over a socketpair");
        println!("socketpair: ok");
        Ok(())
    });
    std::fs::remove_dir_all(&dir)?;
    result
}
