//! What the owned halves of `TcpStream` and `UnixStream` share: the stream
//! behind an `Arc`, and [`OwnedWrite`], the write half's hold on it, which
//! shuts the write side down on drop unless it is forgotten or reunited.

use std::ops::Deref;
use std::os::fd::AsFd;
use std::sync::Arc;

/// The write half's share of a stream whose read half holds the other
/// `Arc`. Derefs to the stream.
#[derive(Debug)]
pub(crate) struct OwnedWrite<S: AsFd> {
    stream: Arc<S>,
    /// Whether drop shuts down the write side.
    shutdown_on_drop: bool,
}

impl<S: AsFd> OwnedWrite<S> {
    /// Splits `stream`: the read half's `Arc` and the write half's share.
    pub(crate) fn split(stream: S) -> (Arc<S>, OwnedWrite<S>) {
        let stream = Arc::new(stream);
        let write = OwnedWrite {
            stream: stream.clone(),
            shutdown_on_drop: true,
        };
        (stream, write)
    }

    /// Drops the share without shutting down the write side.
    pub(crate) fn forget(mut self) {
        self.shutdown_on_drop = false;
    }

    /// The stream back, if `read` is the other half of it; otherwise both,
    /// untouched.
    pub(crate) fn reunite(mut self, read: Arc<S>) -> Result<S, (Arc<S>, OwnedWrite<S>)> {
        if !Arc::ptr_eq(&read, &self.stream) {
            return Err((read, self));
        }
        self.shutdown_on_drop = false;
        let stream = self.stream.clone();
        drop((read, self));
        Ok(Arc::into_inner(stream).expect("both halves were dropped"))
    }
}

impl<S: AsFd> Deref for OwnedWrite<S> {
    type Target = S;

    fn deref(&self) -> &S {
        &self.stream
    }
}

impl<S: AsFd> Drop for OwnedWrite<S> {
    fn drop(&mut self) {
        if self.shutdown_on_drop {
            // Drop cannot report an error, and a reset peer is no error.
            let _ = crate::net::shutdown_write(&*self.stream);
        }
    }
}

/// What a module's owned halves share besides [`OwnedWrite`]: its
/// `into_split`, the `reunite` both halves call, the halves' I/O traits, and
/// `ReuniteError`'s `Display` and `Error`. The module defines
/// `OwnedReadHalf { inner: Arc<$stream> }`,
/// `OwnedWriteHalf { inner: OwnedWrite<$stream> }` and
/// `ReuniteError(pub OwnedReadHalf, pub OwnedWriteHalf)`, with their docs.
macro_rules! owned_halves {
    ($stream:ty) => {
        /// The halves of `stream`, for its `into_split`.
        pub(super) fn into_split(stream: $stream) -> (OwnedReadHalf, OwnedWriteHalf) {
            let (read, write) = $crate::net::split::OwnedWrite::split(stream);
            (
                OwnedReadHalf { inner: read },
                OwnedWriteHalf { inner: write },
            )
        }

        fn reunite(read: OwnedReadHalf, write: OwnedWriteHalf) -> Result<$stream, ReuniteError> {
            write.inner.reunite(read.inner).map_err(|(read, write)| {
                ReuniteError(OwnedReadHalf { inner: read }, OwnedWriteHalf { inner: write })
            })
        }

        $crate::net::impl_async_read!(impl for OwnedReadHalf, this => this.inner);
        $crate::net::impl_async_write!(impl for OwnedWriteHalf, this => this.inner);

        impl std::fmt::Display for ReuniteError {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("tried to reunite halves that are not from the same socket")
            }
        }

        impl std::error::Error for ReuniteError {}
    };
}

pub(crate) use owned_halves;

/// The non-waiting reads of a read half (as on the stream): `readable`,
/// `try_read`, `try_read_vectored` and `try_read_buf`. `$this => $stream`
/// names the stream; `$setup` is a doc example's start that ends with a
/// read half `rd` and its peer stream `peer` (`AsyncWriteExt` in scope).
macro_rules! read_half_ops {
    ($this:ident => $stream:expr, $setup:literal) => {
        /// Waits until the stream may be readable (data, EOF or an error).
        ///
        /// # Errors
        /// If the runtime has shut down.
        ///
        #[doc = concat!(
            "```\n", $setup,
            "peer.write_all(b\"x\").await.unwrap();\n",
            "rd.readable().await.unwrap();\n",
            "assert_eq!(rd.try_read(&mut [0; 4]).unwrap(), 1);\n",
            "# });\n```"
        )]
        pub async fn readable(&self) -> std::io::Result<()> {
            let $this = self;
            $stream.readable().await
        }

        /// Reads what is there now, without waiting: `WouldBlock` if
        /// nothing. `Ok(0)` is EOF.
        ///
        /// # Errors
        /// `WouldBlock`, or that of `recv`.
        ///
        #[doc = concat!(
            "```\n", $setup,
            "let err = rd.try_read(&mut [0; 4]).unwrap_err();\n",
            "assert_eq!(err.kind(), std::io::ErrorKind::WouldBlock);\n",
            "peer.write_all(b\"hi\").await.unwrap();\n",
            "rd.readable().await.unwrap();\n",
            "let mut buf = [0; 4];\n",
            "assert_eq!(rd.try_read(&mut buf).unwrap(), 2);\n",
            "assert_eq!(&buf[..2], b\"hi\");\n",
            "# });\n```"
        )]
        pub fn try_read(&self, buf: &mut [u8]) -> std::io::Result<usize> {
            let $this = self;
            $stream.try_read(buf)
        }

        /// Reads what is there now into several buffers, in order, with one
        /// `readv(2)`, without waiting: `WouldBlock` if nothing.
        ///
        /// # Errors
        /// `WouldBlock`, or that of `readv`.
        ///
        #[doc = concat!(
            "```\n", $setup,
            "use std::io::IoSliceMut;\n",
            "peer.write_all(b\"headbody\").await.unwrap();\n",
            "rd.readable().await.unwrap();\n",
            "let (mut head, mut body) = ([0; 4], [0; 4]);\n",
            "let n = rd\n",
            "    .try_read_vectored(&mut [IoSliceMut::new(&mut head), IoSliceMut::new(&mut body)])\n",
            "    .unwrap();\n",
            "assert_eq!((n, &head, &body), (8, b\"head\", b\"body\"));\n",
            "# });\n```"
        )]
        pub fn try_read_vectored(
            &self,
            bufs: &mut [std::io::IoSliceMut<'_>],
        ) -> std::io::Result<usize> {
            let $this = self;
            $stream.try_read_vectored(bufs)
        }

        /// Reads what is there now into `buf`'s spare capacity, advancing
        /// it, without waiting: `WouldBlock` if nothing. `Ok(0)` is EOF, or
        /// a `buf` with no room left. Needs the **`bytes`** feature.
        ///
        /// # Errors
        /// `WouldBlock`, or that of `recv`.
        ///
        #[doc = concat!(
            "```\n", $setup,
            "peer.write_all(b\"hello\").await.unwrap();\n",
            "rd.readable().await.unwrap();\n",
            "let mut buf = Vec::with_capacity(64);\n",
            "assert_eq!(rd.try_read_buf(&mut buf).unwrap(), 5);\n",
            "assert_eq!(buf, b\"hello\");\n",
            "# });\n```"
        )]
        #[cfg(feature = "bytes")]
        pub fn try_read_buf<B: bytes::BufMut>(&self, buf: &mut B) -> std::io::Result<usize> {
            let $this = self;
            $stream.try_read_buf(buf)
        }
    };
}

/// The non-waiting writes of a write half (as on the stream): `writable`,
/// `try_write` and `try_write_vectored`. `$this => $stream` names the
/// stream; `$setup` is a doc example's start that ends with a write half
/// `wr` and its peer stream `peer` (`AsyncReadExt` in scope).
macro_rules! write_half_ops {
    ($this:ident => $stream:expr, $setup:literal) => {
        /// Waits until the stream may be writable.
        ///
        /// # Errors
        /// If the runtime has shut down.
        ///
        #[doc = concat!(
            "```\n", $setup,
            "wr.writable().await.unwrap();\n",
            "assert_eq!(wr.try_write(b\"x\").unwrap(), 1);\n",
            "# });\n```"
        )]
        pub async fn writable(&self) -> std::io::Result<()> {
            let $this = self;
            $stream.writable().await
        }

        /// Writes what fits now, without waiting: `WouldBlock` if nothing
        /// does.
        ///
        /// # Errors
        /// `WouldBlock`, or that of `send`.
        ///
        #[doc = concat!(
            "```\n", $setup,
            "assert_eq!(wr.try_write(b\"hi\").unwrap(), 2);\n",
            "let mut buf = [0; 2];\n",
            "peer.read_exact(&mut buf).await.unwrap();\n",
            "assert_eq!(&buf, b\"hi\");\n",
            "# });\n```"
        )]
        pub fn try_write(&self, buf: &[u8]) -> std::io::Result<usize> {
            let $this = self;
            $stream.try_write(buf)
        }

        /// Writes what fits now from several buffers, in order, with one
        /// system call (`send(2)` of one buffer or of the slices gathered when
        /// they are small, otherwise `sendmsg(2)`), without waiting: `WouldBlock`
        /// if nothing fits.
        ///
        /// # Errors
        /// `WouldBlock`, or that of the system call.
        ///
        #[doc = concat!(
            "```\n", $setup,
            "use std::io::IoSlice;\n",
            "let n = wr.try_write_vectored(&[IoSlice::new(b\"head\"), IoSlice::new(b\"body\")]).unwrap();\n",
            "assert_eq!(n, 8);\n",
            "let mut buf = [0; 8];\n",
            "peer.read_exact(&mut buf).await.unwrap();\n",
            "assert_eq!(&buf, b\"headbody\");\n",
            "# });\n```"
        )]
        pub fn try_write_vectored(&self, bufs: &[std::io::IoSlice<'_>]) -> std::io::Result<usize> {
            let $this = self;
            $stream.try_write_vectored(bufs)
        }
    };
}

pub(crate) use {read_half_ops, write_half_ops};
