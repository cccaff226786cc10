//! Unix-domain sockets: [`UnixListener`], [`UnixStream`] and its split
//! halves, [`UnixDatagram`].
//! Paths and abstract names (Linux) both work; addresses are `std`'s
//! [`SocketAddr`].
//!
//! ```
//! use guillotine::net::unix::SocketAddr;
//!
//! let rt = guillotine::runtime::Runtime::new().unwrap();
//! rt.block_on(async {
//!     let (a, _b) = guillotine::net::UnixStream::pair()?;
//!     let addr: SocketAddr = a.local_addr()?;
//!     assert!(addr.is_unnamed());
//!     Ok::<_, std::io::Error>(())
//! }).unwrap();
//! ```

mod datagram;
mod listener;
mod split;
mod stream;

pub use datagram::UnixDatagram;
pub use listener::UnixListener;
pub use split::{OwnedReadHalf, OwnedWriteHalf, ReadHalf, ReuniteError, WriteHalf};
pub use std::os::unix::net::SocketAddr;
pub use stream::UnixStream;

use std::io;
use std::os::linux::net::SocketAddrExt;

use socket2::SockAddr;

/// socket2's address as `std`'s, without asking the kernel again.
fn to_std_addr(addr: &SockAddr) -> io::Result<SocketAddr> {
    if let Some(path) = addr.as_pathname() {
        SocketAddr::from_pathname(path)
    } else if let Some(name) = addr.as_abstract_namespace() {
        SocketAddr::from_abstract_name(name)
    } else {
        // An empty path makes `std` an unnamed address.
        SocketAddr::from_pathname("")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_convert_without_a_syscall() {
        let path = SockAddr::unix("/tmp/guillotine-addr").unwrap();
        assert_eq!(
            to_std_addr(&path).unwrap().as_pathname(),
            Some(std::path::Path::new("/tmp/guillotine-addr"))
        );
        let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
        let unnamed = socket2::SockRef::from(&a).local_addr().unwrap();
        assert!(to_std_addr(&unnamed).unwrap().is_unnamed());
    }
}
