//! Every socket is created close-on-exec and non-blocking (checked in
//! /proc/self/fdinfo), and a program we exec really inherits none of them.
//! On both runtime flavors.

mod support;

use std::os::fd::AsRawFd;
use std::process::Command;

use guillotine::net::{TcpListener, TcpStream, UdpSocket, UnixDatagram, UnixListener, UnixStream};
use support::{Flavor, assert_cloexec_nonblocking, both_flavors};

both_flavors! {
    every_socket_is_cloexec_and_nonblocking,
}

fn every_socket_is_cloexec_and_nonblocking(flavor: Flavor) {
    let dir = std::env::temp_dir().join(format!(
        "guillotine-cloexec-{}-{}",
        flavor.module(),
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    flavor.rt().block_on(async {
        let tcp_listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let tcp_client = TcpStream::connect(tcp_listener.local_addr().unwrap())
            .await
            .unwrap();
        let (tcp_server, _) = tcp_listener.accept().await.unwrap();
        let udp = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let unix_listener = UnixListener::bind(dir.join("l")).unwrap();
        let unix_client = UnixStream::connect(dir.join("l")).await.unwrap();
        let (unix_server, _) = unix_listener.accept().await.unwrap();
        let (pair_a, pair_b) = UnixStream::pair().unwrap();
        let dgram = UnixDatagram::bind(dir.join("d")).unwrap();
        let unbound = UnixDatagram::unbound().unwrap();
        let (dpair_a, dpair_b) = UnixDatagram::pair().unwrap();

        let fds = [
            ("TcpListener", tcp_listener.as_raw_fd()),
            ("TcpStream (connected)", tcp_client.as_raw_fd()),
            ("TcpStream (accepted)", tcp_server.as_raw_fd()),
            ("UdpSocket", udp.as_raw_fd()),
            ("UnixListener", unix_listener.as_raw_fd()),
            ("UnixStream (connected)", unix_client.as_raw_fd()),
            ("UnixStream (accepted)", unix_server.as_raw_fd()),
            ("UnixStream::pair a", pair_a.as_raw_fd()),
            ("UnixStream::pair b", pair_b.as_raw_fd()),
            ("UnixDatagram (bound)", dgram.as_raw_fd()),
            ("UnixDatagram (unbound)", unbound.as_raw_fd()),
            ("UnixDatagram::pair a", dpair_a.as_raw_fd()),
            ("UnixDatagram::pair b", dpair_b.as_raw_fd()),
        ];
        for (what, fd) in fds {
            assert_cloexec_nonblocking(fd, what);
        }

        // The proof: a child shell lists its descriptors; none of ours is there.
        let out = Command::new("sh")
            .args(["-c", "ls /proc/$$/fd"])
            .output()
            .unwrap();
        assert!(out.status.success());
        let inherited: Vec<i32> = String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .filter_map(|s| s.parse().ok())
            .collect();
        for (what, fd) in fds {
            assert!(
                !inherited.contains(&fd),
                "{what} (fd {fd}) leaked into a child: {inherited:?}"
            );
        }
    });
    std::fs::remove_dir_all(&dir).unwrap();
}
