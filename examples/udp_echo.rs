//! A UDP echo server and a client in one program, on port 0.
//!
//! `cargo run --example udp_echo`

use guillotine::net::UdpSocket;

fn main() -> std::io::Result<()> {
    let runtime = guillotine::runtime::Runtime::new()?;
    runtime.block_on(async {
        let server = UdpSocket::bind("127.0.0.1:0").await?;
        let server_addr = server.local_addr()?;
        println!("udp echo server on {server_addr}");
        let _server = guillotine::spawn(async move {
            let mut buf = [0; 1500];
            loop {
                let (n, from) = server.recv_from(&mut buf).await.expect("recv_from");
                server.send_to(&buf[..n], from).await.expect("send_to");
            }
        });

        let client = UdpSocket::bind("127.0.0.1:0").await?;
        // Connected: `send`/`recv` talk to the server only.
        client.connect(server_addr).await?;
        let mut buf = [0; 1500];
        for i in 0..100u32 {
            let msg = format!("datagram {i}");
            client.send(msg.as_bytes()).await?;
            let n = client.recv(&mut buf).await?;
            assert_eq!(&buf[..n], msg.as_bytes());
        }
        println!("100 datagrams echoed correctly");
        Ok(())
    })
}
