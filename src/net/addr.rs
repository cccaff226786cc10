//! [`ToSocketAddrs`]: what `bind`, `connect` and `send_to` accept. Literal
//! addresses are parsed on the spot; only host names go to the blocking
//! pool for `getaddrinfo`, so the event loop never blocks on DNS.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

use crate::io::registration::NO_REACTOR;
use crate::runtime::context;
use crate::task::JoinHandle;

/// Anything that names one or more socket addresses: the same things as
/// [`std::net::ToSocketAddrs`] (`SocketAddr`, `"127.0.0.1:80"`,
/// `("localhost", 80)`, `(ip, port)`, `&[SocketAddr]`, ...).
///
/// Literal addresses are parsed without leaving the runtime thread; host
/// names are resolved on the blocking pool. This trait is sealed.
///
/// ```
/// let rt = guillotine::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     let a = guillotine::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
///     let b = guillotine::net::TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
///     let c = guillotine::net::TcpListener::bind(("localhost", 0)).await.unwrap();
///     assert!(c.local_addr().unwrap().ip().is_loopback());
///     # drop((a, b));
/// });
/// ```
pub trait ToSocketAddrs: sealed::ToSocketAddrsPriv {}

pub(crate) mod sealed {
    use super::Addrs;

    /// The hidden half of [`ToSocketAddrs`](super::ToSocketAddrs).
    pub trait ToSocketAddrsPriv {
        /// Parses what can be parsed now.
        #[doc(hidden)]
        fn to_addrs(&self) -> Addrs;
    }
}

/// Addresses parsed now, or a name to look up.
#[doc(hidden)]
#[derive(Debug)]
pub enum Addrs {
    /// Ready without a lookup.
    Ready(io::Result<Vec<SocketAddr>>),
    /// A host name and port for `getaddrinfo`.
    Lookup(String, u16),
}

fn one(addr: SocketAddr) -> Addrs {
    Addrs::Ready(Ok(vec![addr]))
}

fn invalid(msg: &'static str) -> Addrs {
    Addrs::Ready(Err(io::Error::new(io::ErrorKind::InvalidInput, msg)))
}

/// Resolves `addr`, off the runtime thread if it names a host.
pub(crate) async fn resolve(addr: &(impl ToSocketAddrs + ?Sized)) -> io::Result<Vec<SocketAddr>> {
    let addrs = match addr.to_addrs() {
        Addrs::Ready(result) => result?,
        Addrs::Lookup(host, port) => lookup(host, port)
            .await
            .map_err(|e| io::Error::other(format!("address lookup failed: {e}")))??,
    };
    if addrs.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "could not resolve to any addresses",
        ));
    }
    Ok(addrs)
}

/// Starts `getaddrinfo` on the blocking pool. (Not `async`: the lookup is
/// started, and a missing runtime reported, when the caller asks.)
fn lookup(host: String, port: u16) -> JoinHandle<io::Result<Vec<SocketAddr>>> {
    let Some(shared) = context::handle() else {
        panic!("{NO_REACTOR}");
    };
    shared.spawn_blocking(move || {
        Ok(std::net::ToSocketAddrs::to_socket_addrs(&(host.as_str(), port))?.collect())
    })
}

/// Runs `f` on each address in turn; the first success wins, else the
/// last error.
pub(crate) async fn each_addr<A, T, F, Fut>(addr: &A, mut f: F) -> io::Result<T>
where
    A: ToSocketAddrs + ?Sized,
    F: FnMut(SocketAddr) -> Fut,
    Fut: Future<Output = io::Result<T>>,
{
    let mut last = None;
    for addr in resolve(addr).await? {
        match f(addr).await {
            Ok(t) => return Ok(t),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "could not resolve to any addresses",
        )
    }))
}

macro_rules! literal {
    ($($t:ty),*) => {$(
        impl ToSocketAddrs for $t {}
        impl sealed::ToSocketAddrsPriv for $t {
            fn to_addrs(&self) -> Addrs {
                one(SocketAddr::from(*self))
            }
        }
    )*};
}

literal!(
    SocketAddr,
    SocketAddrV4,
    SocketAddrV6,
    (IpAddr, u16),
    (Ipv4Addr, u16),
    (Ipv6Addr, u16)
);

impl ToSocketAddrs for str {}
impl sealed::ToSocketAddrsPriv for str {
    fn to_addrs(&self) -> Addrs {
        // The fast path: a literal never goes to a thread.
        if let Ok(addr) = self.parse::<SocketAddr>() {
            return one(addr);
        }
        let Some((host, port)) = self.rsplit_once(':') else {
            return invalid("invalid socket address");
        };
        let Ok(port) = port.parse::<u16>() else {
            return invalid("invalid port value");
        };
        if host.is_empty() || host.starts_with('[') {
            // An empty host or a bracketed IPv6 literal that did not parse.
            return invalid("invalid socket address");
        }
        Addrs::Lookup(host.to_owned(), port)
    }
}

impl ToSocketAddrs for String {}
impl sealed::ToSocketAddrsPriv for String {
    fn to_addrs(&self) -> Addrs {
        self.as_str().to_addrs()
    }
}

impl ToSocketAddrs for (&str, u16) {}
impl sealed::ToSocketAddrsPriv for (&str, u16) {
    fn to_addrs(&self) -> Addrs {
        let (host, port) = *self;
        match host.parse::<IpAddr>() {
            Ok(ip) => one(SocketAddr::new(ip, port)),
            Err(_) if host.is_empty() => invalid("invalid socket address"),
            Err(_) => Addrs::Lookup(host.to_owned(), port),
        }
    }
}

impl ToSocketAddrs for (String, u16) {}
impl sealed::ToSocketAddrsPriv for (String, u16) {
    fn to_addrs(&self) -> Addrs {
        (self.0.as_str(), self.1).to_addrs()
    }
}

impl ToSocketAddrs for &[SocketAddr] {}
impl sealed::ToSocketAddrsPriv for &[SocketAddr] {
    fn to_addrs(&self) -> Addrs {
        Addrs::Ready(Ok(self.to_vec()))
    }
}

impl<T: ToSocketAddrs + ?Sized> ToSocketAddrs for &T {}
impl<T: ToSocketAddrs + ?Sized> sealed::ToSocketAddrsPriv for &T {
    fn to_addrs(&self) -> Addrs {
        (**self).to_addrs()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(a: &(impl ToSocketAddrs + ?Sized)) -> &'static str {
        match a.to_addrs() {
            Addrs::Ready(Ok(_)) => "ready",
            Addrs::Ready(Err(e)) if e.kind() == io::ErrorKind::InvalidInput => "invalid",
            Addrs::Ready(Err(_)) => "error",
            Addrs::Lookup(..) => "lookup",
        }
    }

    #[test]
    fn literals_never_need_a_lookup() {
        assert_eq!(kind("127.0.0.1:80"), "ready");
        assert_eq!(kind("[::1]:80"), "ready");
        assert_eq!(kind(&("10.0.0.1", 1)), "ready");
        assert_eq!(kind(&("::1", 1)), "ready");
        assert_eq!(kind(&SocketAddr::from(([127, 0, 0, 1], 1))), "ready");
        assert_eq!(kind(&"127.0.0.1:1".to_owned()), "ready");
    }

    #[test]
    fn garbage_is_invalid_input_at_once() {
        for bad in [
            "not an address",
            "127.0.0.1",
            "127.0.0.1:99999",
            ":80",
            "[::1:80",
            "host:port",
        ] {
            assert_eq!(kind(bad), "invalid", "{bad}");
        }
        assert_eq!(kind(&("", 1)), "invalid");
    }

    #[test]
    fn names_are_looked_up() {
        assert_eq!(kind("localhost:80"), "lookup");
        assert_eq!(kind(&("example.invalid", 1)), "lookup");
    }
}
