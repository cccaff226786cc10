//! TCP: [`TcpListener`], [`TcpStream`] and the stream's split halves, and
//! [`TcpSocket`] to set options before connecting or listening.
//!
//! ```
//! use guillotine::io::{AsyncReadExt, AsyncWriteExt};
//! use guillotine::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
//!
//! let rt = guillotine::runtime::Runtime::new().unwrap();
//! rt.block_on(async {
//!     let listener = guillotine::net::TcpListener::bind("127.0.0.1:0").await?;
//!     let client = guillotine::net::TcpStream::connect(listener.local_addr()?).await?;
//!     let (server, _) = listener.accept().await?;
//!     let (mut rd, _wr): (OwnedReadHalf, OwnedWriteHalf) = server.into_split();
//!     (&client).write_all(b"hi").await?;
//!     let mut buf = [0; 2];
//!     rd.read_exact(&mut buf).await?;
//!     assert_eq!(&buf, b"hi");
//!     Ok::<_, std::io::Error>(())
//! }).unwrap();
//! ```

mod listener;
mod socket;
mod split;
mod stream;

pub use listener::TcpListener;
pub use socket::TcpSocket;
pub use split::{OwnedReadHalf, OwnedWriteHalf, ReadHalf, ReuniteError, WriteHalf};
pub use stream::TcpStream;
