//! Asynchronous I/O: the runtime-agnostic traits, their extension methods,
//! and [`AsyncFd`], which puts any non-blocking descriptor on the reactor.
//!
//! The traits are the `futures-io` ones, so guillotine's streams work with
//! every crate written against them; the extension traits (`read_exact`,
//! `write_all`, `read_line`, ...) and tokio's helpers ([`BufReader`],
//! [`BufWriter`], [`copy`], [`split`], [`empty`], [`sink`], [`repeat`]) come
//! from `futures-lite`. With the `tokio-io` feature the streams also
//! implement tokio's `AsyncRead`/`AsyncWrite`, for crates written against
//! those (tokio-util's codecs, hyper-util's adapters).
//!
//! ```
//! use guillotine::io::{AsyncReadExt, AsyncWriteExt};
//! use guillotine::net::UnixStream;
//!
//! let rt = guillotine::runtime::Runtime::new().unwrap();
//! rt.block_on(async {
//!     let (mut a, mut b) = UnixStream::pair()?;
//!     a.write_all(b"ping").await?;
//!     let mut buf = [0; 4];
//!     b.read_exact(&mut buf).await?;
//!     assert_eq!(&buf, b"ping");
//!     Ok::<_, std::io::Error>(())
//! }).unwrap();
//! ```
//!
//! Buffered lines, a split stream and `copy`, as with tokio's `io`:
//!
//! ```
//! use guillotine::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, BufWriter, copy, split};
//! use guillotine::net::UnixStream;
//!
//! let rt = guillotine::runtime::Runtime::new().unwrap();
//! rt.block_on(async {
//!     let (a, b) = UnixStream::pair()?;
//!     let (read_half, mut write_half) = split(a);
//!     let mut out = BufWriter::new(b);
//!     out.write_all(b"one\ntwo\n").await?;
//!     out.flush().await?;
//!     let mut lines = BufReader::new(read_half).lines();
//!     let mut first = String::new();
//!     if let Some(line) = futures_lite::StreamExt::next(&mut lines).await {
//!         first = line?;
//!     }
//!     assert_eq!(first, "one");
//!     // `copy` drains a reader into a writer.
//!     let copied = copy(&b"hello"[..], &mut write_half).await?;
//!     assert_eq!(copied, 5);
//!     Ok::<_, std::io::Error>(())
//! }).unwrap();
//! ```

mod async_fd;
mod async_fd_io;
mod interest;
mod ready;
mod ready_guard;
pub(crate) mod registration;
mod try_new_error;

pub use async_fd::AsyncFd;
pub use futures_io::{AsyncBufRead, AsyncRead, AsyncSeek, AsyncWrite};
pub use futures_lite::io::{AsyncBufReadExt, AsyncReadExt, AsyncSeekExt, AsyncWriteExt};
// tokio's `io` helpers, the runtime-agnostic ones of futures-lite.
pub use futures_lite::io::{
    BufReader, BufWriter, Empty, ReadHalf, Repeat, Sink, WriteHalf, copy, empty, repeat, sink,
    split,
};
pub use interest::Interest;
pub use ready::Ready;
pub use ready_guard::{AsyncFdReadyGuard, AsyncFdReadyMutGuard, TryIoError};
pub use try_new_error::AsyncFdTryNewError;
