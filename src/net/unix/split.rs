//! The halves of a [`UnixStream`]: borrowed ([`ReadHalf`], [`WriteHalf`])
//! and owned ([`OwnedReadHalf`], [`OwnedWriteHalf`]), as for TCP. They need
//! no lock: a stream's reader and writer already have separate readiness
//! and wakers.

use std::io;
use std::sync::Arc;

use super::{SocketAddr, UnixStream};
use crate::io::{Interest, Ready};
use crate::net::split::{OwnedWrite, owned_halves, read_half_ops, write_half_ops};
use crate::net::{impl_async_read, impl_async_write};

/// The read half of [`UnixStream::split`].
///
/// Implements the `futures-io` traits, and tokio's with the `tokio-io`
/// feature.
///
/// ```
/// use guillotine::io::AsyncReadExt;
/// # let rt = guillotine::runtime::Runtime::new().unwrap();
/// # rt.block_on(async {
/// let (mut a, b) = guillotine::net::UnixStream::pair().unwrap();
/// b.shutdown(std::net::Shutdown::Write).unwrap();
/// let (mut rd, _wr) = a.split();
/// assert_eq!(rd.read(&mut [0; 8]).await.unwrap(), 0);
/// # });
/// ```
#[derive(Debug)]
pub struct ReadHalf<'a>(pub(super) &'a UnixStream);

/// The write half of [`UnixStream::split`].
///
/// Implements the `futures-io` traits, and tokio's with the `tokio-io`
/// feature.
///
/// ```
/// use guillotine::io::{AsyncReadExt, AsyncWriteExt};
/// # let rt = guillotine::runtime::Runtime::new().unwrap();
/// # rt.block_on(async {
/// let (mut a, mut b) = guillotine::net::UnixStream::pair().unwrap();
/// let (_rd, mut wr) = a.split();
/// wr.write_all(b"via the write half").await.unwrap();
/// let mut buf = [0; 18];
/// b.read_exact(&mut buf).await.unwrap();
/// assert_eq!(&buf, b"via the write half");
/// # });
/// ```
#[derive(Debug)]
pub struct WriteHalf<'a>(pub(super) &'a UnixStream);

impl_async_read!(impl<'a> for ReadHalf<'a>, this => this.0);
impl_async_write!(impl<'a> for WriteHalf<'a>, this => this.0);

impl ReadHalf<'_> {
    read_half_ops!(this => this.0, "use guillotine::io::AsyncWriteExt;
# let rt = guillotine::runtime::Runtime::new().unwrap();
# rt.block_on(async {
# let (mut stream, mut peer) = guillotine::net::UnixStream::pair().unwrap();
let (rd, _wr) = stream.split();
");

    /// The peer's address.
    ///
    /// # Errors
    /// That of `getpeername`.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let (mut a, _b) = guillotine::net::UnixStream::pair().unwrap();
    /// let (rd, _wr) = a.split();
    /// assert!(rd.peer_addr().unwrap().is_unnamed());
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
    /// let (mut a, _b) = guillotine::net::UnixStream::pair().unwrap();
    /// let (rd, _wr) = a.split();
    /// assert!(rd.local_addr().unwrap().is_unnamed());
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
# let (mut stream, mut peer) = guillotine::net::UnixStream::pair().unwrap();
let (_rd, wr) = stream.split();
");

    /// The peer's address.
    ///
    /// # Errors
    /// That of `getpeername`.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let (mut a, _b) = guillotine::net::UnixStream::pair().unwrap();
    /// let (_rd, wr) = a.split();
    /// assert!(wr.peer_addr().unwrap().is_unnamed());
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
    /// let (mut a, _b) = guillotine::net::UnixStream::pair().unwrap();
    /// let (_rd, wr) = a.split();
    /// assert!(wr.local_addr().unwrap().is_unnamed());
    /// # });
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.0.local_addr()
    }
}

/// The owned read half of [`UnixStream::into_split`].
///
/// Implements the `futures-io` traits, and tokio's with the `tokio-io`
/// feature.
///
/// ```
/// use guillotine::io::{AsyncReadExt, AsyncWriteExt};
/// use guillotine::net::UnixStream;
///
/// let rt = guillotine::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     let (a, mut b) = UnixStream::pair()?;
///     let (mut rd, mut wr) = a.into_split();
///     // The writer moves into another task; the reader stays here.
///     let writer = guillotine::spawn(async move {
///         wr.write_all(b"there and back").await?;
///         Ok::<_, std::io::Error>(wr)
///     });
///     let mut buf = [0; 14];
///     b.read_exact(&mut buf).await?;
///     b.write_all(&buf).await?;
///     let mut back = [0; 14];
///     rd.read_exact(&mut back).await?;
///     assert_eq!(&back, b"there and back");
///     let wr = writer.await.unwrap()?;
///     let _stream: UnixStream = rd.reunite(wr).unwrap();
///     Ok::<_, std::io::Error>(())
/// }).unwrap();
/// ```
#[derive(Debug)]
pub struct OwnedReadHalf {
    inner: Arc<UnixStream>,
}

/// The owned write half of [`UnixStream::into_split`]. Dropping it shuts
/// down the write side (the peer reads EOF), unless it is reunited or
/// [forgotten](OwnedWriteHalf::forget) first; that shutdown's errors are
/// ignored.
///
/// Implements the `futures-io` traits, and tokio's with the `tokio-io`
/// feature.
///
/// ```
/// use guillotine::io::{AsyncReadExt, AsyncWriteExt};
/// # let rt = guillotine::runtime::Runtime::new().unwrap();
/// # rt.block_on(async {
/// let (a, mut b) = guillotine::net::UnixStream::pair().unwrap();
/// let (_rd, mut wr) = a.into_split();
/// wr.write_all(b"last words").await.unwrap();
/// drop(wr);
/// let mut got = Vec::new();
/// b.read_to_end(&mut got).await.unwrap();
/// assert_eq!(got, b"last words");
/// # });
/// ```
#[derive(Debug)]
pub struct OwnedWriteHalf {
    inner: OwnedWrite<UnixStream>,
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
    /// let (a, _b) = guillotine::net::UnixStream::pair().unwrap();
    /// let (rd, wr) = a.into_split();
    /// let a = rd.reunite(wr).unwrap();
    /// assert!(a.peer_addr().is_ok());
    /// # });
    /// ```
    pub fn reunite(self, other: OwnedWriteHalf) -> Result<UnixStream, ReuniteError> {
        reunite(self, other)
    }

    /// The peer's address.
    ///
    /// # Errors
    /// That of `getpeername`.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let (a, _b) = guillotine::net::UnixStream::pair().unwrap();
    /// let (rd, _wr) = a.into_split();
    /// assert!(rd.peer_addr().unwrap().is_unnamed());
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
    /// let (a, _b) = guillotine::net::UnixStream::pair().unwrap();
    /// let (rd, _wr) = a.into_split();
    /// assert!(rd.local_addr().unwrap().is_unnamed());
    /// # });
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }

    read_half_ops!(this => this.inner, "use guillotine::io::AsyncWriteExt;
# let rt = guillotine::runtime::Runtime::new().unwrap();
# rt.block_on(async {
# let (stream, mut peer) = guillotine::net::UnixStream::pair().unwrap();
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
    /// let (a, _b) = guillotine::net::UnixStream::pair().unwrap();
    /// let (rd, wr) = a.into_split();
    /// let a = wr.reunite(rd).unwrap();
    /// assert!(a.local_addr().is_ok());
    /// # });
    /// ```
    pub fn reunite(self, other: OwnedReadHalf) -> Result<UnixStream, ReuniteError> {
        reunite(other, self)
    }

    /// Drops the half without shutting down the write side: the peer sees
    /// EOF only when the stream closes (once the read half is dropped too).
    ///
    /// ```
    /// use guillotine::io::{AsyncReadExt, AsyncWriteExt};
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let (a, mut b) = guillotine::net::UnixStream::pair().unwrap();
    /// let (rd, mut wr) = a.into_split();
    /// wr.write_all(b"more to come").await.unwrap();
    /// wr.forget();
    /// drop(rd);
    /// let mut got = Vec::new();
    /// b.read_to_end(&mut got).await.unwrap();
    /// assert_eq!(got, b"more to come");
    /// # });
    /// ```
    pub fn forget(self) {
        self.inner.forget();
    }

    write_half_ops!(this => this.inner, "use guillotine::io::AsyncReadExt;
# let rt = guillotine::runtime::Runtime::new().unwrap();
# rt.block_on(async {
# let (stream, mut peer) = guillotine::net::UnixStream::pair().unwrap();
let (_rd, wr) = stream.into_split();
");

    /// The peer's address.
    ///
    /// # Errors
    /// That of `getpeername`.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let (a, _b) = guillotine::net::UnixStream::pair().unwrap();
    /// let (_rd, wr) = a.into_split();
    /// assert!(wr.peer_addr().unwrap().is_unnamed());
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
    /// let (a, _b) = guillotine::net::UnixStream::pair().unwrap();
    /// let (_rd, wr) = a.into_split();
    /// assert!(wr.local_addr().unwrap().is_unnamed());
    /// # });
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }
}

/// The halves passed to `reunite` came from different streams; both are
/// handed back.
///
/// ```
/// # let rt = guillotine::runtime::Runtime::new().unwrap();
/// # rt.block_on(async {
/// let (a, _b) = guillotine::net::UnixStream::pair().unwrap();
/// let (c, _d) = guillotine::net::UnixStream::pair().unwrap();
/// let (a_rd, a_wr) = a.into_split();
/// let (c_rd, c_wr) = c.into_split();
/// let err = a_rd.reunite(c_wr).unwrap_err();
/// assert!(err.to_string().contains("not from the same socket"));
/// let guillotine::net::unix::ReuniteError(a_rd, c_wr) = err;
/// let _a = a_rd.reunite(a_wr).unwrap();
/// let _c = c_rd.reunite(c_wr).unwrap();
/// # });
/// ```
#[derive(Debug)]
pub struct ReuniteError(pub OwnedReadHalf, pub OwnedWriteHalf);

// `into_split`, `reunite`, the owned halves' I/O traits, and
// `ReuniteError`'s `Display` and `Error`.
owned_halves!(UnixStream);

impl ReadHalf<'_> {
    /// Waits for any readiness of `interest` and returns it, as
    /// [`UnixStream::ready`](UnixStream::ready) does.
    ///
    /// # Errors
    /// If the runtime has shut down.
    ///
    /// ```
    /// use guillotine::io::{AsyncWriteExt, Interest};
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let (stream, peer) = guillotine::net::UnixStream::pair().unwrap();
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
    /// [`UnixStream::ready`](UnixStream::ready) does.
    ///
    /// # Errors
    /// If the runtime has shut down.
    ///
    /// ```
    /// use guillotine::io::Interest;
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let (stream, peer) = guillotine::net::UnixStream::pair().unwrap();
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
    /// [`UnixStream::ready`](UnixStream::ready) does.
    ///
    /// # Errors
    /// If the runtime has shut down.
    ///
    /// ```
    /// use guillotine::io::{AsyncWriteExt, Interest};
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let (stream, peer) = guillotine::net::UnixStream::pair().unwrap();
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
    /// [`UnixStream::ready`](UnixStream::ready) does.
    ///
    /// # Errors
    /// If the runtime has shut down.
    ///
    /// ```
    /// use guillotine::io::Interest;
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let (stream, peer) = guillotine::net::UnixStream::pair().unwrap();
    /// let (_rd, wr) = stream.into_split();
    /// assert!(wr.ready(Interest::WRITABLE).await.unwrap().is_writable());
    /// # drop(peer);
    /// # });
    /// ```
    pub async fn ready(&self, interest: Interest) -> io::Result<Ready> {
        self.inner.ready(interest).await
    }
}
