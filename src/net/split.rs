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
