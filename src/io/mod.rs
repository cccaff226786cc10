//! Asynchronous I/O: the runtime-agnostic traits, their extension methods,
//! and [`AsyncFd`], which puts any non-blocking descriptor on the reactor.
//!
//! The traits are the `futures-io` ones, so guillotine's streams work with
//! every crate written against them; the extension traits (`read_exact`,
//! `write_all`, `read_line`, ...) come from `futures-lite`.
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

mod async_fd;
mod interest;
mod ready_guard;
pub(crate) mod registration;

pub use async_fd::AsyncFd;
pub use futures_io::{AsyncBufRead, AsyncRead, AsyncSeek, AsyncWrite};
pub use futures_lite::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};
pub use interest::Interest;
pub use ready_guard::{AsyncFdReadyGuard, AsyncFdReadyMutGuard, TryIoError};
