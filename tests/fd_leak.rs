//! No descriptor leaks: 1,000 connect/accept/drop cycles (and as many of
//! every other socket kind) leave /proc/self/fd exactly as it was. On both
//! runtime flavors, each alone in a child process, so no other test opens
//! descriptors meanwhile.

mod support;

use guillotine::io::{AsyncFd, AsyncReadExt, AsyncWriteExt};
use guillotine::net::{TcpListener, TcpStream, UdpSocket, UnixDatagram, UnixStream};
use support::{
    Flavor, assert_child_ok, both_flavors, is_child, open_fds, run_child, wait_for_workers,
};

both_flavors! {
    a_thousand_cycles_leave_the_descriptor_table_unchanged,
}

fn a_thousand_cycles_leave_the_descriptor_table_unchanged(flavor: Flavor) {
    if !is_child("fd-leak") {
        let out = run_child(
            &format!(
                "{}::a_thousand_cycles_leave_the_descriptor_table_unchanged",
                flavor.module()
            ),
            "fd-leak",
        );
        assert_child_ok(&out);
        assert!(String::from_utf8_lossy(&out.stdout).contains("fds unchanged"));
        return;
    }
    let runtime = flavor.rt();
    wait_for_workers(&runtime, flavor);
    let before = open_fds();
    runtime.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        for i in 0..1000u32 {
            let mut client = TcpStream::connect(addr).await.unwrap();
            let (mut server, _) = listener.accept().await.unwrap();
            client.write_all(&i.to_le_bytes()).await.unwrap();
            let mut buf = [0; 4];
            server.read_exact(&mut buf).await.unwrap();
            assert_eq!(u32::from_le_bytes(buf), i);
            // Alternate who closes first.
            if i % 2 == 0 {
                drop(client);
                drop(server);
            } else {
                drop(server);
                drop(client);
            }
        }
        // Refused connects and failed binds must not leak either.
        let taken = listener.local_addr().unwrap();
        for _ in 0..100 {
            assert!(TcpListener::bind(taken).await.is_err());
        }
        drop(listener);
        for _ in 0..100 {
            assert!(TcpStream::connect(addr).await.is_err());
        }
        for _ in 0..200 {
            let u = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            u.send_to(b"x", u.local_addr().unwrap()).await.unwrap();
            assert_eq!(u.recv_from(&mut [0; 1]).await.unwrap().0, 1);
            let (a, b) = UnixStream::pair().unwrap();
            drop(a);
            assert_eq!((&b).read(&mut [0; 1]).await.unwrap(), 0);
            let (c, d) = UnixDatagram::pair().unwrap();
            c.send(b"y").await.unwrap();
            assert_eq!(d.recv(&mut [0; 1]).await.unwrap(), 1);
            let (e, _f) = std::os::unix::net::UnixStream::pair().unwrap();
            e.set_nonblocking(true).unwrap();
            let fd = AsyncFd::new(e).unwrap();
            let _ready = fd.writable().await.unwrap();
        }
    });
    let after = open_fds();
    assert_eq!(before, after, "descriptors leaked or closed");
    println!("fds unchanged");
}
