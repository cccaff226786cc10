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
use std::os::unix::ffi::OsStrExt;

use socket2::SockAddr;

/// A path argument (`bind`, `connect`, `send_to`) as an address. A leading
/// NUL byte names an abstract socket, as before; a NUL anywhere else is
/// refused (`InvalidInput`, as `std` does) instead of binding or reaching
/// the prefix before it, which is all the kernel would read.
fn path_addr(path: &std::path::Path) -> io::Result<SockAddr> {
    let bytes = path.as_os_str().as_bytes();
    if bytes.first() != Some(&0) && bytes.contains(&0) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "paths must not contain interior null bytes",
        ));
    }
    SockAddr::unix(path)
}

/// `std`'s address as socket2's: a path, an abstract name (a leading NUL
/// byte, which socket2 keeps as such), or, for an unnamed address, no name
/// at all (`bind(2)` then picks an abstract name, `connect(2)` fails).
fn to_sock_addr(addr: &SocketAddr) -> io::Result<SockAddr> {
    if let Some(path) = addr.as_pathname() {
        SockAddr::unix(path)
    } else if let Some(name) = addr.as_abstract_name() {
        let mut bytes = Vec::with_capacity(name.len() + 1);
        bytes.push(0);
        bytes.extend_from_slice(name);
        SockAddr::unix(std::ffi::OsStr::from_bytes(&bytes))
    } else {
        SockAddr::unix("")
    }
}

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

/// rustix's address of a datagram's sender as `std`'s. None at all (what
/// the kernel reports for an unnamed sender) or a bare family is unnamed:
/// rustix would read the latter as an empty abstract name.
fn from_rustix_addr(addr: Option<rustix::net::SocketAddrAny>) -> io::Result<SocketAddr> {
    let sun_path = std::mem::offset_of!(libc::sockaddr_un, sun_path);
    let Some(addr) = addr.filter(|addr| addr.addr_len() as usize > sun_path) else {
        return SocketAddr::from_pathname("");
    };
    let addr = rustix::net::SocketAddrUnix::try_from(addr)?;
    if let Some(path) = addr.path_bytes() {
        SocketAddr::from_pathname(std::ffi::OsStr::from_bytes(path))
    } else if let Some(name) = addr.abstract_name() {
        SocketAddr::from_abstract_name(name)
    } else {
        SocketAddr::from_pathname("")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rustix_addresses_convert() {
        use rustix::net::{SocketAddrAny, SocketAddrUnix};
        let path = SocketAddrUnix::new("/tmp/guillotine-addr").unwrap();
        let std_path = from_rustix_addr(Some(SocketAddrAny::from(path))).unwrap();
        assert_eq!(
            std_path.as_pathname(),
            Some(std::path::Path::new("/tmp/guillotine-addr"))
        );
        let name = SocketAddrUnix::new_abstract_name(b"guillotine\0x").unwrap();
        let std_name = from_rustix_addr(Some(SocketAddrAny::from(name))).unwrap();
        assert_eq!(std_name.as_abstract_name(), Some(&b"guillotine\0x"[..]));
        let unnamed = SocketAddrAny::from(SocketAddrUnix::new_unnamed());
        assert!(from_rustix_addr(Some(unnamed)).unwrap().is_unnamed());
        assert!(from_rustix_addr(None).unwrap().is_unnamed());
        let inet = SocketAddrAny::from(std::net::SocketAddr::from(([127, 0, 0, 1], 1)));
        assert!(from_rustix_addr(Some(inet)).is_err(), "not a Unix address");
    }

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

    #[test]
    fn std_addresses_convert_both_ways() {
        let named = SocketAddr::from_pathname("/tmp/guillotine-addr").unwrap();
        let back = to_std_addr(&to_sock_addr(&named).unwrap()).unwrap();
        assert_eq!(back.as_pathname(), named.as_pathname());
        let abstract_name = SocketAddr::from_abstract_name(b"guillotine\0x").unwrap();
        let sock = to_sock_addr(&abstract_name).unwrap();
        assert_eq!(sock.as_abstract_namespace(), Some(&b"guillotine\0x"[..]));
        let back = to_std_addr(&sock).unwrap();
        assert_eq!(back.as_abstract_name(), Some(&b"guillotine\0x"[..]));
        let unnamed = SocketAddr::from_pathname("").unwrap();
        assert!(
            to_std_addr(&to_sock_addr(&unnamed).unwrap())
                .unwrap()
                .is_unnamed()
        );
    }
}
