//! The halves of a [`TcpStream`]: borrowed ([`ReadHalf`], [`WriteHalf`])
//! and owned ([`OwnedReadHalf`], [`OwnedWriteHalf`]). They need no lock:
//! a stream's reader and writer already have separate readiness and wakers.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::task::{Context, Poll};

use super::TcpStream;
use crate::io::{Interest, Ready};
use crate::net::split::{OwnedWrite, owned_halves, read_half_ops, write_half_ops};
use crate::net::{impl_async_read, impl_async_write};

/// The read half of [`TcpStream::split`].
///
/// Implements the `futures-io` traits, and tokio's with the `tokio-io`
/// feature.
///
/// ```
/// use guillotine::io::AsyncReadExt;
/// # let rt = guillotine::runtime::Runtime::new().unwrap();
/// # rt.block_on(async {
/// # let listener = guillotine::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
/// # let stream = guillotine::net::TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
/// # let (server, _) = listener.accept().await.unwrap();
/// # server.shutdown(std::net::Shutdown::Write).unwrap();
/// let mut stream = stream;
/// let (mut rd, _wr) = stream.split();
/// assert_eq!(rd.read(&mut [0; 8]).await.unwrap(), 0);
/// # });
/// ```
#[derive(Debug)]
pub struct ReadHalf<'a>(pub(super) &'a TcpStream);

/// The write half of [`TcpStream::split`].
///
/// Implements the `futures-io` traits, and tokio's with the `tokio-io`
/// feature.
///
/// ```
/// use guillotine::io::AsyncWriteExt;
/// # let rt = guillotine::runtime::Runtime::new().unwrap();
/// # rt.block_on(async {
/// # let listener = guillotine::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
/// # let stream = guillotine::net::TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
/// let mut stream = stream;
/// let (_rd, mut wr) = stream.split();
/// wr.write_all(b"via the write half").await.unwrap();
/// # });
/// ```
#[derive(Debug)]
pub struct WriteHalf<'a>(pub(super) &'a TcpStream);

impl_async_read!(impl<'a> for ReadHalf<'a>, this => this.0);
impl_async_write!(impl<'a> for WriteHalf<'a>, this => this.0);

impl ReadHalf<'_> {
    /// Receives data without removing it from the queue; waits for some.
    ///
    /// # Errors
    /// That of `recv(MSG_PEEK)`.
    ///
    /// ```
    /// use guillotine::io::{AsyncReadExt, AsyncWriteExt};
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// # let listener = guillotine::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// # let mut peer = guillotine::net::TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    /// # let (mut stream, _) = listener.accept().await.unwrap();
    /// let (mut rd, _wr) = stream.split();
    /// peer.write_all(b"abc").await.unwrap();
    /// let mut buf = [0; 3];
    /// assert_eq!(rd.peek(&mut buf).await.unwrap(), 3);
    /// rd.read_exact(&mut buf).await.unwrap();
    /// assert_eq!(&buf, b"abc", "peeked bytes are read again");
    /// # });
    /// ```
    pub async fn peek(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.peek(buf).await
    }

    /// Polls for data to [`peek`](ReadHalf::peek) at; see
    /// [`TcpStream::poll_peek`].
    ///
    /// # Errors
    /// That of `recv(MSG_PEEK)`.
    ///
    /// ```
    /// use std::future::poll_fn;
    /// use guillotine::io::AsyncWriteExt;
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// # let listener = guillotine::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// # let mut peer = guillotine::net::TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    /// # let (mut stream, _) = listener.accept().await.unwrap();
    /// let (mut rd, _wr) = stream.split();
    /// peer.write_all(b"abc").await.unwrap();
    /// let mut buf = [0; 8];
    /// let n = poll_fn(|cx| rd.poll_peek(cx, &mut buf)).await.unwrap();
    /// assert_eq!(&buf[..n], b"abc");
    /// # });
    /// ```
    pub fn poll_peek(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.0.poll_peek(cx, buf)
    }

    read_half_ops!(this => this.0, "use guillotine::io::AsyncWriteExt;
# let rt = guillotine::runtime::Runtime::new().unwrap();
# rt.block_on(async {
# let listener = guillotine::net::TcpListener::bind(\"127.0.0.1:0\").await.unwrap();
# let mut peer = guillotine::net::TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
# let (mut stream, _) = listener.accept().await.unwrap();
let (rd, _wr) = stream.split();
");

    /// The remote address.
    ///
    /// # Errors
    /// That of `getpeername`.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// # let listener = guillotine::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// let mut stream = guillotine::net::TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    /// let (rd, _wr) = stream.split();
    /// assert_eq!(rd.peer_addr().unwrap(), listener.local_addr().unwrap());
    /// # });
    /// ```
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.0.peer_addr()
    }

    /// The local address.
    ///
    /// # Errors
    /// That of `getsockname`.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// # let listener = guillotine::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// let mut stream = guillotine::net::TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    /// let local = stream.local_addr().unwrap();
    /// let (rd, _wr) = stream.split();
    /// assert_eq!(rd.local_addr().unwrap(), local);
    /// # });
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.0.local_addr()
    }
}

impl WriteHalf<'_> {
    write_half_ops!(this => this.0, "use guillotine::io::AsyncReadExt;
# let rt = guillotine::runtime::Runtime::new().unwrap();
# rt.block_on(async {
# let listener = guillotine::net::TcpListener::bind(\"127.0.0.1:0\").await.unwrap();
# let mut peer = guillotine::net::TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
# let (mut stream, _) = listener.accept().await.unwrap();
let (_rd, wr) = stream.split();
");

    /// The remote address.
    ///
    /// # Errors
    /// That of `getpeername`.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// # let listener = guillotine::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// let mut stream = guillotine::net::TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    /// let (_rd, wr) = stream.split();
    /// assert_eq!(wr.peer_addr().unwrap(), listener.local_addr().unwrap());
    /// # });
    /// ```
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.0.peer_addr()
    }

    /// The local address.
    ///
    /// # Errors
    /// That of `getsockname`.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// # let listener = guillotine::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// let mut stream = guillotine::net::TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    /// let local = stream.local_addr().unwrap();
    /// let (_rd, wr) = stream.split();
    /// assert_eq!(wr.local_addr().unwrap(), local);
    /// # });
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.0.local_addr()
    }
}

/// The owned read half of [`TcpStream::into_split`].
///
/// Implements the `futures-io` traits, and tokio's with the `tokio-io`
/// feature.
///
/// ```
/// use guillotine::io::{AsyncReadExt, AsyncWriteExt};
/// use guillotine::net::{TcpListener, TcpStream};
///
/// let rt = guillotine::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     let listener = TcpListener::bind("127.0.0.1:0").await?;
///     let client = TcpStream::connect(listener.local_addr()?).await?;
///     let (server, _) = listener.accept().await?;
///     let (mut rd, mut wr) = client.into_split();
///     // The writer moves into another task; the reader stays here.
///     let writer = guillotine::spawn(async move {
///         wr.write_all(b"there and back").await?;
///         Ok::<_, std::io::Error>(wr)
///     });
///     let (mut srd, mut swr) = server.into_split();
///     let mut buf = [0; 14];
///     srd.read_exact(&mut buf).await?;
///     swr.write_all(&buf).await?;
///     let mut back = [0; 14];
///     rd.read_exact(&mut back).await?;
///     assert_eq!(&back, b"there and back");
///     let wr = writer.await.unwrap()?;
///     let _stream: TcpStream = rd.reunite(wr).unwrap();
///     Ok::<_, std::io::Error>(())
/// }).unwrap();
/// ```
#[derive(Debug)]
pub struct OwnedReadHalf {
    inner: Arc<TcpStream>,
}

/// The owned write half of [`TcpStream::into_split`]. Dropping it shuts
/// down the write side (the peer reads EOF), unless it is reunited first;
/// that shutdown's errors (such as after a peer's reset) are ignored.
///
/// Implements the `futures-io` traits, and tokio's with the `tokio-io`
/// feature.
///
/// ```
/// use guillotine::io::{AsyncReadExt, AsyncWriteExt};
/// # let rt = guillotine::runtime::Runtime::new().unwrap();
/// # rt.block_on(async {
/// # let listener = guillotine::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
/// # let stream = guillotine::net::TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
/// # let (mut server, _) = listener.accept().await.unwrap();
/// let (_rd, mut wr) = stream.into_split();
/// wr.write_all(b"last words").await.unwrap();
/// drop(wr);
/// let mut got = Vec::new();
/// server.read_to_end(&mut got).await.unwrap();
/// assert_eq!(got, b"last words");
/// # });
/// ```
#[derive(Debug)]
pub struct OwnedWriteHalf {
    inner: OwnedWrite<TcpStream>,
}

impl OwnedReadHalf {
    /// Puts the halves back together.
    ///
    /// # Errors
    /// [`ReuniteError`] (holding both halves) if they come from different
    /// streams.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// # let listener = guillotine::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// # let stream = guillotine::net::TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    /// let (rd, wr) = stream.into_split();
    /// let stream = rd.reunite(wr).unwrap();
    /// assert!(stream.peer_addr().is_ok());
    /// # });
    /// ```
    pub fn reunite(self, other: OwnedWriteHalf) -> Result<TcpStream, ReuniteError> {
        reunite(self, other)
    }

    /// The remote address.
    ///
    /// # Errors
    /// That of `getpeername`.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// # let listener = guillotine::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// # let stream = guillotine::net::TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    /// let (rd, wr) = stream.into_split();
    /// assert_eq!(rd.peer_addr().unwrap(), listener.local_addr().unwrap());
    /// # drop(wr);
    /// # });
    /// ```
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.inner.peer_addr()
    }

    /// The local address.
    ///
    /// # Errors
    /// That of `getsockname`.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// # let listener = guillotine::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// # let stream = guillotine::net::TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    /// let (rd, wr) = stream.into_split();
    /// assert_eq!(rd.local_addr().unwrap(), wr.local_addr().unwrap());
    /// # });
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }

    /// Receives data without removing it from the queue.
    ///
    /// # Errors
    /// That of `recv(MSG_PEEK)`.
    ///
    /// ```
    /// use guillotine::io::AsyncWriteExt;
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// # let listener = guillotine::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// # let stream = guillotine::net::TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    /// # let (mut server, _) = listener.accept().await.unwrap();
    /// let (mut rd, _wr) = stream.into_split();
    /// server.write_all(b"abc").await.unwrap();
    /// let mut buf = [0; 3];
    /// assert_eq!(rd.peek(&mut buf).await.unwrap(), 3);
    /// # });
    /// ```
    pub async fn peek(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.peek(buf).await
    }

    /// Polls for data to [`peek`](OwnedReadHalf::peek) at; see
    /// [`TcpStream::poll_peek`].
    ///
    /// # Errors
    /// That of `recv(MSG_PEEK)`.
    ///
    /// ```
    /// use std::future::poll_fn;
    /// use guillotine::io::AsyncWriteExt;
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// # let listener = guillotine::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// # let stream = guillotine::net::TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    /// # let (mut peer, _) = listener.accept().await.unwrap();
    /// let (mut rd, _wr) = stream.into_split();
    /// peer.write_all(b"abc").await.unwrap();
    /// let mut buf = [0; 8];
    /// let n = poll_fn(|cx| rd.poll_peek(cx, &mut buf)).await.unwrap();
    /// assert_eq!(&buf[..n], b"abc");
    /// # });
    /// ```
    pub fn poll_peek(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.inner.poll_peek(cx, buf)
    }

    read_half_ops!(this => this.inner, "use guillotine::io::AsyncWriteExt;
# let rt = guillotine::runtime::Runtime::new().unwrap();
# rt.block_on(async {
# let listener = guillotine::net::TcpListener::bind(\"127.0.0.1:0\").await.unwrap();
# let stream = guillotine::net::TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
# let (mut peer, _) = listener.accept().await.unwrap();
let (rd, _wr) = stream.into_split();
");
}

impl OwnedWriteHalf {
    /// Puts the halves back together.
    ///
    /// # Errors
    /// [`ReuniteError`] if they come from different streams.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// # let listener = guillotine::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// # let stream = guillotine::net::TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    /// let (rd, wr) = stream.into_split();
    /// let stream = wr.reunite(rd).unwrap();
    /// assert!(stream.local_addr().is_ok());
    /// # });
    /// ```
    pub fn reunite(self, other: OwnedReadHalf) -> Result<TcpStream, ReuniteError> {
        reunite(other, self)
    }

    /// Drops the half without shutting down the write side.
    ///
    /// ```
    /// use guillotine::io::AsyncWriteExt;
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// # let listener = guillotine::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// # let stream = guillotine::net::TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    /// let (_rd, mut wr) = stream.into_split();
    /// wr.write_all(b"more to come").await.unwrap();
    /// // The write side stays open.
    /// wr.forget();
    /// # });
    /// ```
    pub fn forget(self) {
        self.inner.forget();
    }

    write_half_ops!(this => this.inner, "use guillotine::io::AsyncReadExt;
# let rt = guillotine::runtime::Runtime::new().unwrap();
# rt.block_on(async {
# let listener = guillotine::net::TcpListener::bind(\"127.0.0.1:0\").await.unwrap();
# let stream = guillotine::net::TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
# let (mut peer, _) = listener.accept().await.unwrap();
let (_rd, wr) = stream.into_split();
");

    /// The remote address.
    ///
    /// # Errors
    /// That of `getpeername`.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// # let listener = guillotine::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// # let stream = guillotine::net::TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    /// let (rd, wr) = stream.into_split();
    /// assert_eq!(wr.peer_addr().unwrap(), listener.local_addr().unwrap());
    /// # drop(rd);
    /// # });
    /// ```
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.inner.peer_addr()
    }

    /// The local address.
    ///
    /// # Errors
    /// That of `getsockname`.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// # let listener = guillotine::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// # let stream = guillotine::net::TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    /// let (rd, wr) = stream.into_split();
    /// assert!(wr.local_addr().unwrap().ip().is_loopback());
    /// # drop(rd);
    /// # });
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }
}

/// The halves passed to `reunite` came from different streams.
///
/// ```
/// # let rt = guillotine::runtime::Runtime::new().unwrap();
/// # rt.block_on(async {
/// # let listener = guillotine::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
/// # let stream = guillotine::net::TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
/// # let other = guillotine::net::TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
/// let (rd, _wr) = stream.into_split();
/// let (_other_rd, other_wr) = other.into_split();
/// let err = rd.reunite(other_wr).unwrap_err();
/// let (_rd, _other_wr) = (err.0, err.1);
/// # });
/// ```
#[derive(Debug)]
pub struct ReuniteError(pub OwnedReadHalf, pub OwnedWriteHalf);

// `into_split`, `reunite`, the owned halves' I/O traits, and
// `ReuniteError`'s `Display` and `Error`.
owned_halves!(TcpStream);

impl ReadHalf<'_> {
    /// Waits for any readiness of `interest` and returns it, as
    /// [`TcpStream::ready`](TcpStream::ready) does.
    ///
    /// # Errors
    /// If the runtime has shut down.
    ///
    /// ```
    /// use guillotine::io::{AsyncWriteExt, Interest};
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// # let listener = guillotine::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// # let stream = guillotine::net::TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    /// # let (peer, _) = listener.accept().await.unwrap();
    /// let (mut stream, mut peer) = (stream, peer);
    /// let (rd, _wr) = stream.split();
    /// peer.write_all(b"x").await.unwrap();
    /// assert!(rd.ready(Interest::READABLE).await.unwrap().is_readable());
    /// # });
    /// ```
    pub async fn ready(&self, interest: Interest) -> io::Result<Ready> {
        self.0.ready(interest).await
    }
}

impl WriteHalf<'_> {
    /// Waits for any readiness of `interest` and returns it, as
    /// [`TcpStream::ready`](TcpStream::ready) does.
    ///
    /// # Errors
    /// If the runtime has shut down.
    ///
    /// ```
    /// use guillotine::io::Interest;
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// # let listener = guillotine::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// # let stream = guillotine::net::TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    /// # let (peer, _) = listener.accept().await.unwrap();
    /// let mut stream = stream;
    /// let (_rd, wr) = stream.split();
    /// assert!(wr.ready(Interest::WRITABLE).await.unwrap().is_writable());
    /// # drop(peer);
    /// # });
    /// ```
    pub async fn ready(&self, interest: Interest) -> io::Result<Ready> {
        self.0.ready(interest).await
    }
}

impl OwnedReadHalf {
    /// Waits for any readiness of `interest` and returns it, as
    /// [`TcpStream::ready`](TcpStream::ready) does.
    ///
    /// # Errors
    /// If the runtime has shut down.
    ///
    /// ```
    /// use guillotine::io::{AsyncWriteExt, Interest};
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// # let listener = guillotine::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// # let stream = guillotine::net::TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    /// # let (peer, _) = listener.accept().await.unwrap();
    /// let mut peer = peer;
    /// let (rd, _wr) = stream.into_split();
    /// peer.write_all(b"x").await.unwrap();
    /// assert!(rd.ready(Interest::READABLE).await.unwrap().is_readable());
    /// # });
    /// ```
    pub async fn ready(&self, interest: Interest) -> io::Result<Ready> {
        self.inner.ready(interest).await
    }
}

impl OwnedWriteHalf {
    /// Waits for any readiness of `interest` and returns it, as
    /// [`TcpStream::ready`](TcpStream::ready) does.
    ///
    /// # Errors
    /// If the runtime has shut down.
    ///
    /// ```
    /// use guillotine::io::Interest;
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// # let listener = guillotine::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// # let stream = guillotine::net::TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    /// # let (peer, _) = listener.accept().await.unwrap();
    /// let (_rd, wr) = stream.into_split();
    /// assert!(wr.ready(Interest::WRITABLE).await.unwrap().is_writable());
    /// # drop(peer);
    /// # });
    /// ```
    pub async fn ready(&self, interest: Interest) -> io::Result<Ready> {
        self.inner.ready(interest).await
    }
}
