//! `accept` with the process out of descriptors: the error (EMFILE) comes
//! back at once, the pending connection stays queued, and the listener
//! serves it as soon as a descriptor is freed. Runs in a child process,
//! because RLIMIT_NOFILE is per process. On both runtime flavors.

mod support;

use std::fs::File;
use std::io::{Read, Write};

use guillotine::io::{AsyncReadExt, AsyncWriteExt};
use guillotine::net::TcpListener;
use support::{
    Flavor, assert_child_ok, both_flavors, is_child, open_fds, run_child, set_nofile_soft,
    wait_for_workers,
};

both_flavors! {
    accept_recovers_from_descriptor_exhaustion,
}

fn accept_recovers_from_descriptor_exhaustion(flavor: Flavor) {
    if !is_child("emfile") {
        let out = run_child(
            &format!(
                "{}::accept_recovers_from_descriptor_exhaustion",
                flavor.module()
            ),
            "emfile",
        );
        assert_child_ok(&out);
        assert!(String::from_utf8_lossy(&out.stdout).contains("recovered"));
        return;
    }
    let rt = flavor.rt();
    wait_for_workers(&rt, flavor);
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        // A limit just above what is open, then fill every slot left.
        let highest = *open_fds().iter().max().unwrap() as u64;
        set_nofile_soft(highest + 8);
        let mut filler = Vec::new();
        let exhausted = loop {
            match File::open("/dev/null") {
                Ok(f) => filler.push(f),
                Err(e) => break e,
            }
        };
        assert_eq!(exhausted.raw_os_error(), Some(libc::EMFILE));

        // One free slot: the client's socket takes it, and its connection
        // waits in the listen queue.
        drop(filler.pop());
        let mut client = std::net::TcpStream::connect(addr).unwrap();

        for _ in 0..3 {
            let err = listener.accept().await.unwrap_err();
            assert_eq!(err.raw_os_error(), Some(libc::EMFILE), "{err}");
        }

        // A descriptor comes free: the queued connection is served.
        drop(filler.pop());
        let (mut server, peer) = listener.accept().await.unwrap();
        assert_eq!(peer, client.local_addr().unwrap());
        client.write_all(b"ping").unwrap();
        let mut buf = [0; 4];
        server.read_exact(&mut buf).await.unwrap();
        server.write_all(b"pong").await.unwrap();
        client.read_exact(&mut buf).unwrap();
        assert_eq!(&buf, b"pong");

        // And the listener keeps serving after the squeeze.
        drop((server, client));
        let mut again = std::net::TcpStream::connect(addr).unwrap();
        let (mut s, _) = listener.accept().await.unwrap();
        s.write_all(b"ok").await.unwrap();
        let mut b = [0; 2];
        again.read_exact(&mut b).unwrap();
        assert_eq!(&b, b"ok");
    });
    println!("recovered");
}
