//! TCP, UDP and Unix-domain sockets on the reactor.
//!
//! Every socket is created non-blocking and close-on-exec in the one
//! `socket(2)` / `accept4(2)` / `socketpair(2)` call, registered once with
//! the runtime that created it, and deregistered and closed when dropped.
//! Sends pass `MSG_NOSIGNAL`: writing to a closed peer is a `BrokenPipe`
//! error, never a `SIGPIPE`. All types are `Send + Sync + Unpin`.
//!
//! ```
//! use guillotine::io::{AsyncReadExt, AsyncWriteExt};
//! use guillotine::net::{TcpListener, TcpStream};
//!
//! let rt = guillotine::runtime::Runtime::new().unwrap();
//! rt.block_on(async {
//!     let listener = TcpListener::bind("127.0.0.1:0").await?;
//!     let addr = listener.local_addr()?;
//!     guillotine::spawn(async move {
//!         let (mut stream, _) = listener.accept().await.unwrap();
//!         let mut buf = [0; 5];
//!         stream.read_exact(&mut buf).await.unwrap();
//!         stream.write_all(&buf).await.unwrap();
//!     });
//!     let mut stream = TcpStream::connect(addr).await?;
//!     stream.write_all(b"hello").await?;
//!     let mut buf = [0; 5];
//!     stream.read_exact(&mut buf).await?;
//!     assert_eq!(&buf, b"hello");
//!     Ok::<_, std::io::Error>(())
//! }).unwrap();
//! ```

mod addr;
mod split;
pub mod tcp;
mod udp;
pub mod unix;

pub use addr::ToSocketAddrs;
pub use tcp::{TcpListener, TcpSocket, TcpStream};
pub use udp::UdpSocket;
pub use unix::{UnixDatagram, UnixListener, UnixStream};

use std::io::{self, IoSlice};
#[cfg(feature = "bytes")]
use std::mem::MaybeUninit;
use std::net::Shutdown;
use std::os::fd::AsFd;

use socket2::{Domain, SockAddr, SockRef, Socket, Type};

use crate::io::registration::Registered;
use crate::runtime::driver::scheduled_io::{Direction, Ready};

/// `socket(2)` with `SOCK_NONBLOCK | SOCK_CLOEXEC` (socket2 adds the latter).
fn new_socket(domain: Domain, ty: Type) -> io::Result<Socket> {
    Socket::new(domain, ty.nonblocking(), None)
}

/// `socketpair(2)` with `SOCK_NONBLOCK | SOCK_CLOEXEC`.
fn new_pair(ty: Type) -> io::Result<(Socket, Socket)> {
    Socket::pair(Domain::UNIX, ty.nonblocking(), None)
}

/// `accept4(2)` with `SOCK_NONBLOCK | SOCK_CLOEXEC`.
fn accept(listener: &impl AsFd) -> io::Result<(Socket, SockAddr)> {
    SockRef::from(listener).accept4(libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC)
}

/// `send(2)` with `MSG_NOSIGNAL`.
fn send(socket: &impl AsFd, buf: &[u8]) -> io::Result<usize> {
    SockRef::from(socket).send_with_flags(buf, libc::MSG_NOSIGNAL)
}

/// Vectored writes of at most this many bytes in all are gathered into one
/// buffer and go out through `send(2)`: copying them costs less than
/// `sendmsg(2)`'s copies of its header and iovec array (40–80 ns a write
/// from 100 B to 1 KiB on loopback TCP; an HTTP response's head and small
/// body are such a write).
const GATHER_MAX: usize = 512;

/// The slices of a vectored write, as `send(2)` of the one non-empty
/// slice, `send(2)` of all of them gathered (at most [`GATHER_MAX`]
/// bytes), or `sendmsg(2)`; all with `MSG_NOSIGNAL` (plain `writev` could
/// raise `SIGPIPE`). Written bytes are the slices' first bytes in order
/// whichever call sends them.
fn send_vectored(socket: &impl AsFd, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
    let mut filled = bufs.iter().filter(|b| !b.is_empty());
    if let (Some(only), None) = (filled.next(), filled.next()) {
        return send(socket, only);
    }
    let len: usize = bufs.iter().map(|b| b.len()).sum();
    if len > 0 && len <= GATHER_MAX {
        let mut gathered = [0; GATHER_MAX];
        let mut at = 0;
        for buf in bufs {
            gathered[at..at + buf.len()].copy_from_slice(buf);
            at += buf.len();
        }
        return send(socket, &gathered[..len]);
    }
    SockRef::from(socket).send_vectored_with_flags(bufs, libc::MSG_NOSIGNAL)
}

/// `sendto(2)` with `MSG_NOSIGNAL`.
fn send_to(socket: &impl AsFd, buf: &[u8], addr: &SockAddr) -> io::Result<usize> {
    SockRef::from(socket).send_to_with_flags(buf, addr, libc::MSG_NOSIGNAL)
}

/// `recv(2)` with `MSG_PEEK` (`std` has no stable `peek` for Unix
/// datagrams). rustix takes the initialised slice as it is; socket2 would
/// need it cast to `MaybeUninit`.
fn peek(socket: &impl AsFd, buf: &mut [u8]) -> io::Result<usize> {
    let (n, _) = rustix::net::recv(socket, buf, rustix::net::RecvFlags::PEEK)?;
    Ok(n)
}

/// One datagram received by `recv` into `buf`'s spare capacity (nothing is
/// zeroed first), advancing `buf` by its length. `recv` is `recv(2)` or
/// `recvfrom(2)`, which write only initialised bytes.
#[cfg(feature = "bytes")]
fn recv_into_buf<B: bytes::BufMut + ?Sized, A>(
    buf: &mut B,
    recv: impl FnOnce(&mut [MaybeUninit<u8>]) -> io::Result<(usize, A)>,
) -> io::Result<(usize, A)> {
    // SAFETY: the slice goes only to `recv`, which writes no uninitialised
    // byte into it.
    let spare = unsafe { buf.chunk_mut().as_uninit_slice_mut() };
    let (n, from) = recv(spare)?;
    // SAFETY: the system call initialised the first `n` bytes of the chunk
    // (`n` is at most its length: a longer datagram is truncated).
    unsafe { buf.advance_mut(n) };
    Ok((n, from))
}

/// Connects `socket` to `addr` and registers it, as tokio does: an error of
/// the non-blocking `connect(2)` (`EAGAIN` for a Unix listener's full
/// backlog among them) comes back at once; otherwise it waits for the
/// reactor to report writability, then for a clear `SO_ERROR`. A Unix
/// connect completes at once, but waits too: a listener that goes away
/// before accepting leaves `ECONNRESET` there.
async fn connect<T: AsFd + From<Socket>>(
    socket: Socket,
    addr: &SockAddr,
) -> io::Result<Registered<T>> {
    match socket.connect(addr) {
        Ok(()) => {}
        Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => {}
        Err(e) => return Err(e),
    }
    // Nothing is ready until the reactor says so.
    let io = Registered::new(T::from(socket), Ready::EMPTY)?;
    io.async_io(Direction::Write, |s| {
        let socket = SockRef::from(s);
        if let Some(e) = socket.take_error()? {
            return Err(e);
        }
        match socket.peer_addr() {
            Ok(_) => Ok(()),
            // Not connected yet after all: wait for the next edge.
            Err(e) if e.raw_os_error() == Some(libc::ENOTCONN) => {
                Err(io::ErrorKind::WouldBlock.into())
            }
            Err(e) => Err(e),
        }
    })
    .await?;
    Ok(io)
}

/// `shutdown(SHUT_WR)` for closing through the I/O traits and for dropping
/// an owned write half. `NotConnected` counts as done, as in tokio: after a
/// peer's reset the connection is closed already.
fn shutdown_write(socket: &impl AsFd) -> io::Result<()> {
    match SockRef::from(socket).shutdown(Shutdown::Write) {
        Err(e) if e.kind() == io::ErrorKind::NotConnected => Ok(()),
        result => result,
    }
}

/// `futures_io::AsyncRead` (and, with `tokio-io`, tokio's) for `$ty`, whose
/// `$this => $stream` expression names a stream with `poll_read_priv`.
macro_rules! impl_async_read {
    (impl $(<$lt:lifetime>)? for $ty:ty, $this:ident => $stream:expr) => {
        impl$(<$lt>)? futures_io::AsyncRead for $ty {
            fn poll_read(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &mut [u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                let $this = self.get_mut();
                $stream.poll_read_priv(cx, buf)
            }
        }

        #[cfg(feature = "tokio-io")]
        impl$(<$lt>)? tokio::io::AsyncRead for $ty {
            fn poll_read(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &mut tokio::io::ReadBuf<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                let $this = self.get_mut();
                let n = std::task::ready!($stream.poll_read_priv(cx, buf.initialize_unfilled()))?;
                buf.advance(n);
                std::task::Poll::Ready(Ok(()))
            }
        }

        #[cfg(feature = "hyper")]
        impl$(<$lt>)? ::hyper::rt::Read for $ty {
            fn poll_read(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: ::hyper::rt::ReadBufCursor<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                let $this = self.get_mut();
                $stream.poll_read_hyper_priv(cx, buf)
            }
        }
    };
}

/// `futures_io::AsyncWrite` (and, with `tokio-io`, tokio's) for `$ty`;
/// closing shuts down the write side (`shutdown_write`).
macro_rules! impl_async_write {
    (impl $(<$lt:lifetime>)? for $ty:ty, $this:ident => $stream:expr) => {
        impl$(<$lt>)? futures_io::AsyncWrite for $ty {
            fn poll_write(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &[u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                let $this = self.get_mut();
                $stream.poll_write_priv(cx, buf)
            }

            fn poll_write_vectored(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                bufs: &[std::io::IoSlice<'_>],
            ) -> std::task::Poll<std::io::Result<usize>> {
                let $this = self.get_mut();
                $stream.poll_write_vectored_priv(cx, bufs)
            }

            fn poll_flush(
                self: std::pin::Pin<&mut Self>,
                _cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                // Nothing is buffered in user space.
                std::task::Poll::Ready(Ok(()))
            }

            fn poll_close(
                self: std::pin::Pin<&mut Self>,
                _cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                let $this = self.get_mut();
                std::task::Poll::Ready($crate::net::shutdown_write(&*$stream))
            }
        }

        #[cfg(feature = "tokio-io")]
        impl$(<$lt>)? tokio::io::AsyncWrite for $ty {
            fn poll_write(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &[u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                let $this = self.get_mut();
                $stream.poll_write_priv(cx, buf)
            }

            fn poll_write_vectored(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                bufs: &[std::io::IoSlice<'_>],
            ) -> std::task::Poll<std::io::Result<usize>> {
                let $this = self.get_mut();
                $stream.poll_write_vectored_priv(cx, bufs)
            }

            fn is_write_vectored(&self) -> bool {
                true
            }

            fn poll_flush(
                self: std::pin::Pin<&mut Self>,
                _cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::task::Poll::Ready(Ok(()))
            }

            fn poll_shutdown(
                self: std::pin::Pin<&mut Self>,
                _cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                let $this = self.get_mut();
                std::task::Poll::Ready($crate::net::shutdown_write(&*$stream))
            }
        }

        // hyper's: the same, with `shutdown(SHUT_WR)` for `poll_shutdown`
        // (a peer that already reset the connection is not an error, so
        // hyper reports no "error shutting down connection" for it).
        #[cfg(feature = "hyper")]
        impl$(<$lt>)? ::hyper::rt::Write for $ty {
            fn poll_write(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &[u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                let $this = self.get_mut();
                $stream.poll_write_priv(cx, buf)
            }

            fn poll_write_vectored(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                bufs: &[std::io::IoSlice<'_>],
            ) -> std::task::Poll<std::io::Result<usize>> {
                let $this = self.get_mut();
                $stream.poll_write_vectored_priv(cx, bufs)
            }

            fn is_write_vectored(&self) -> bool {
                // One system call writes every slice (`send_vectored`).
                true
            }

            fn poll_flush(
                self: std::pin::Pin<&mut Self>,
                _cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::task::Poll::Ready(Ok(()))
            }

            fn poll_shutdown(
                self: std::pin::Pin<&mut Self>,
                _cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                let $this = self.get_mut();
                std::task::Poll::Ready($crate::net::shutdown_write(&*$stream))
            }
        }
    };
}

/// The byte-stream operations `TcpStream` and `UnixStream` share, on their
/// `io: Registered<_>` field.
macro_rules! stream_ops {
    () => {
        pub(crate) fn poll_read_priv(
            &self,
            cx: &mut std::task::Context<'_>,
            buf: &mut [u8],
        ) -> std::task::Poll<std::io::Result<usize>> {
            if buf.is_empty() {
                return std::task::Poll::Ready(Ok(0));
            }
            let len = buf.len();
            self.io.poll_stream(
                cx,
                crate::runtime::driver::scheduled_io::Direction::Read,
                len,
                |s| std::io::Read::read(&mut &*s, buf),
            )
        }

        /// hyper's read: `recv(2)` straight into the unfilled, possibly
        /// uninitialised part of hyper's buffer (nothing is zeroed first).
        #[cfg(feature = "hyper")]
        pub(crate) fn poll_read_hyper_priv(
            &self,
            cx: &mut std::task::Context<'_>,
            mut buf: ::hyper::rt::ReadBufCursor<'_>,
        ) -> std::task::Poll<std::io::Result<()>> {
            // SAFETY: `recv` only writes into the slice (socket2 takes it
            // as `MaybeUninit` for that reason); nothing de-initialises it.
            let unfilled = unsafe { buf.as_mut() };
            let len = unfilled.len();
            if len == 0 {
                return std::task::Poll::Ready(Ok(()));
            }
            let n = std::task::ready!(self.io.poll_stream(
                cx,
                crate::runtime::driver::scheduled_io::Direction::Read,
                len,
                |s| socket2::SockRef::from(s).recv(&mut *unfilled),
            ))?;
            // SAFETY: `recv` returned `n`: it initialised the first `n`
            // bytes of the unfilled part.
            unsafe { buf.advance(n) };
            std::task::Poll::Ready(Ok(()))
        }

        /// One `recv(2)` into `buf`'s spare capacity, if the stream is
        /// readable now; for the `try_read_buf`s.
        #[cfg(feature = "bytes")]
        pub(crate) fn try_read_buf_priv<B: bytes::BufMut>(
            &self,
            buf: &mut B,
        ) -> std::io::Result<usize> {
            self.io
                .try_io(crate::runtime::driver::scheduled_io::Direction::Read, |s| {
                    // SAFETY: the slice goes only to `recv`, which writes no
                    // uninitialised byte into it.
                    let spare = unsafe { buf.chunk_mut().as_uninit_slice_mut() };
                    let n = socket2::SockRef::from(s).recv(spare)?;
                    // SAFETY: `recv` initialised the first `n` bytes of the
                    // chunk (`n` is at most its length).
                    unsafe { buf.advance_mut(n) };
                    Ok(n)
                })
        }

        pub(crate) fn poll_write_priv(
            &self,
            cx: &mut std::task::Context<'_>,
            buf: &[u8],
        ) -> std::task::Poll<std::io::Result<usize>> {
            if buf.is_empty() {
                return std::task::Poll::Ready(Ok(0));
            }
            self.io.poll_stream(
                cx,
                crate::runtime::driver::scheduled_io::Direction::Write,
                buf.len(),
                |s| crate::net::send(s, buf),
            )
        }

        pub(crate) fn poll_write_vectored_priv(
            &self,
            cx: &mut std::task::Context<'_>,
            bufs: &[std::io::IoSlice<'_>],
        ) -> std::task::Poll<std::io::Result<usize>> {
            let len: usize = bufs.iter().map(|b| b.len()).sum();
            if len == 0 {
                return std::task::Poll::Ready(Ok(0));
            }
            self.io.poll_stream(
                cx,
                crate::runtime::driver::scheduled_io::Direction::Write,
                len,
                |s| crate::net::send_vectored(s, bufs),
            )
        }
    };
}

pub(crate) use {impl_async_read, impl_async_write, stream_ops};

fn _assert_kinds() {
    fn io_type<T: Send + Sync + Unpin + std::fmt::Debug>() {}
    io_type::<TcpListener>();
    io_type::<TcpStream>();
    io_type::<TcpSocket>();
    io_type::<UdpSocket>();
    io_type::<UnixListener>();
    io_type::<UnixStream>();
    io_type::<UnixDatagram>();
    io_type::<tcp::OwnedReadHalf>();
    io_type::<tcp::OwnedWriteHalf>();
    io_type::<unix::OwnedReadHalf>();
    io_type::<unix::OwnedWriteHalf>();
    io_type::<crate::io::AsyncFd<std::os::fd::OwnedFd>>();
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;
    use std::os::unix::net::UnixStream;

    /// Each of `send_vectored`'s ways (one slice, gathered, `sendmsg`)
    /// delivers the slices' bytes in order and counts them all.
    #[test]
    fn vectored_sends_deliver_the_slices_in_order() {
        let (a, b) = UnixStream::pair().unwrap();
        for len in [
            0,
            1,
            3,
            GATHER_MAX - 1,
            GATHER_MAX,
            GATHER_MAX + 1,
            4 * GATHER_MAX,
        ] {
            let data: Vec<u8> = (0..len).map(|i| (i * 7 % 251) as u8).collect();
            let (head, tail) = data.split_at(len / 3);
            let bufs = [IoSlice::new(head), IoSlice::new(&[]), IoSlice::new(tail)];
            assert_eq!(send_vectored(&a, &bufs).unwrap(), len, "{len} bytes");
            let mut got = vec![0; len];
            (&b).read_exact(&mut got).unwrap();
            assert_eq!(got, data, "{len} bytes");
        }
    }
}
