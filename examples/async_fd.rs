//! A pipe driven by the reactor through `AsyncFd`: one task writes 1 MiB
//! (sixteen pipe-fulls, so it waits for writability again and again),
//! another reads it back and checks it.
//!
//! `cargo run --example async_fd`

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{FromRawFd, OwnedFd};

use guillotine::io::AsyncFd;

/// A non-blocking, close-on-exec pipe: (read end, write end).
fn pipe() -> std::io::Result<(File, File)> {
    let mut fds = [0; 2];
    // SAFETY: pipe2 writes two descriptors into the live array.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_NONBLOCK | libc::O_CLOEXEC) } == -1 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: both descriptors were just created and belong to no one else.
    let (r, w) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    Ok((File::from(r), File::from(w)))
}

fn main() -> std::io::Result<()> {
    const LEN: usize = 1 << 20;
    let data: Vec<u8> = (0..LEN).map(|i| (i % 251) as u8).collect();
    let expected = data.clone();
    let runtime = guillotine::runtime::Runtime::new()?;
    runtime.block_on(async move {
        let (r, w) = pipe()?;
        let (r, w) = (AsyncFd::new(r)?, AsyncFd::new(w)?);

        let writer = guillotine::spawn(async move {
            let mut off = 0;
            let mut waits = 0;
            while off < LEN {
                let mut guard = w.writable().await?;
                match guard.try_io(|fd| fd.get_ref().write(&data[off..])) {
                    Ok(n) => off += n?,
                    // The pipe is full: the readiness is cleared, wait again.
                    Err(_would_block) => waits += 1,
                }
            }
            // Dropping `w` closes the write end: the reader sees EOF.
            Ok::<_, std::io::Error>(waits)
        });

        let mut got = Vec::with_capacity(LEN);
        let mut buf = vec![0; 16 * 1024];
        loop {
            let mut guard = r.readable().await?;
            match guard.try_io(|fd| fd.get_ref().read(&mut buf)) {
                Ok(Ok(0)) => break,
                Ok(n) => got.extend_from_slice(&buf[..n?]),
                Err(_would_block) => continue,
            }
        }
        let waits = writer.await.expect("writer task")?;
        assert!(got == expected, "the bytes differ");
        println!("1 MiB through a pipe, checked; the writer waited for room {waits} times");
        Ok(())
    })
}
