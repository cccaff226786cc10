//! [`Connector`]: TCP connections for hyper-util's pooled client, host
//! names resolved the way [`TcpStream::connect`] does (literals in place,
//! names on the blocking pool).

use std::fmt;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use ::hyper::Uri;
use hyper_util::client::legacy::connect::{Connected, Connection};

use crate::net::{TcpStream, UnixStream};

/// The connector of hyper-util's pooled client
/// (`hyper_util::client::legacy::Client`) on guillotine: a
/// `tower_service::Service<Uri>` whose connections are
/// [`TcpStream`]s.
///
/// It connects to the URI's host and port (80 for `http`, 443 for
/// `https`), resolving a host name off the runtime thread and trying each
/// address in turn. By default it accepts only `http` URIs
/// ([`enforce_http`](Connector::enforce_http) lifts that for a TLS
/// connector that wraps this one) and sets `TCP_NODELAY`.
///
/// ```
/// use http_body_util::{BodyExt, Empty, Full};
/// use hyper::body::Bytes;
/// use hyper_util::client::legacy::Client;
/// use guillotine::hyper::{Connector, Executor, Server, Timer};
///
/// let rt = guillotine::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     // A server to talk to.
///     let server = Server::new(guillotine::net::TcpListener::bind("127.0.0.1:0").await.unwrap());
///     let port = server.local_addr().unwrap().port();
///     guillotine::spawn(server.serve(hyper::service::service_fn(|_req| async {
///         Ok::<_, std::convert::Infallible>(hyper::Response::new(Full::new(Bytes::from("pong"))))
///     })));
///
///     let client = Client::builder(Executor::new())
///         .timer(Timer::new())
///         .pool_timer(Timer::new())
///         .build::<_, Empty<Bytes>>(Connector::new());
///     let uri = format!("http://localhost:{port}/").parse().unwrap();
///     let response = client.get(uri).await.unwrap();
///     let body = response.into_body().collect().await.unwrap().to_bytes();
///     assert_eq!(body, "pong");
/// });
/// ```
#[derive(Clone)]
pub struct Connector {
    /// Refuse URIs whose scheme is not `http`.
    enforce_http: bool,
    /// `TCP_NODELAY` on each new connection.
    nodelay: bool,
    /// Bound on resolving and connecting, all addresses together.
    connect_timeout: Option<Duration>,
}

impl Connector {
    /// A connector for `http` URIs, with `TCP_NODELAY` and no connect
    /// timeout.
    ///
    /// ```
    /// let connector = guillotine::hyper::Connector::new();
    /// # drop(connector);
    /// ```
    pub fn new() -> Connector {
        Connector {
            enforce_http: true,
            nodelay: true,
            connect_timeout: None,
        }
    }

    /// Whether to refuse URIs whose scheme is not `http` (on by default).
    /// Turn it off when a TLS connector wraps this one and hands it
    /// `https` URIs.
    ///
    /// ```
    /// let mut connector = guillotine::hyper::Connector::new();
    /// connector.enforce_http(false);
    /// ```
    pub fn enforce_http(&mut self, enforce: bool) -> &mut Self {
        self.enforce_http = enforce;
        self
    }

    /// Whether to set `TCP_NODELAY` on new connections (on by default).
    ///
    /// ```
    /// let mut connector = guillotine::hyper::Connector::new();
    /// connector.set_nodelay(false);
    /// ```
    pub fn set_nodelay(&mut self, nodelay: bool) -> &mut Self {
        self.nodelay = nodelay;
        self
    }

    /// Bounds each connect (name resolution and every address tried);
    /// `None`, the default, waits as long as the system does. A connect
    /// that takes longer fails with `TimedOut`.
    ///
    /// ```
    /// let mut connector = guillotine::hyper::Connector::new();
    /// connector.set_connect_timeout(Some(std::time::Duration::from_secs(5)));
    /// ```
    pub fn set_connect_timeout(&mut self, timeout: Option<Duration>) -> &mut Self {
        self.connect_timeout = timeout;
        self
    }

    /// The host (brackets off an IPv6 literal) and port to connect to.
    fn destination(&self, uri: &Uri) -> io::Result<(String, u16)> {
        let invalid = |msg: &str| io::Error::new(io::ErrorKind::InvalidInput, msg.to_owned());
        let scheme = uri.scheme_str();
        if self.enforce_http && scheme != Some("http") {
            return Err(invalid("the URI's scheme is not http"));
        }
        let host = uri
            .host()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| invalid("the URI has no host"))?;
        let host = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host);
        let port = match (uri.port_u16(), scheme) {
            (Some(port), _) => port,
            (None, Some("https")) => 443,
            (None, _) => 80,
        };
        Ok((host.to_owned(), port))
    }
}

impl Default for Connector {
    fn default() -> Connector {
        Connector::new()
    }
}

impl tower_service::Service<Uri> for Connector {
    type Response = TcpStream;
    type Error = io::Error;
    type Future = Connecting;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, uri: Uri) -> Connecting {
        let destination = self.destination(&uri);
        let (nodelay, connect_timeout) = (self.nodelay, self.connect_timeout);
        Connecting(Box::pin(async move {
            let (host, port) = destination?;
            let connect = TcpStream::connect((host, port));
            let stream = match connect_timeout {
                None => connect.await?,
                Some(bound) => crate::time::timeout(bound, connect)
                    .await
                    .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "connect timed out"))??,
            };
            if nodelay {
                stream.set_nodelay(true)?;
            }
            Ok(stream)
        }))
    }
}

impl fmt::Debug for Connector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connector")
            .field("enforce_http", &self.enforce_http)
            .field("nodelay", &self.nodelay)
            .field("connect_timeout", &self.connect_timeout)
            .finish()
    }
}

/// The future of [`Connector`]'s `call`: a connected [`TcpStream`].
///
/// ```
/// use tower_service::Service;
///
/// let rt = guillotine::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     let listener = guillotine::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
///     let uri = format!("http://{}/", listener.local_addr().unwrap()).parse().unwrap();
///     let connecting: guillotine::hyper::Connecting = guillotine::hyper::Connector::new().call(uri);
///     let stream = connecting.await.unwrap();
///     assert_eq!(stream.peer_addr().unwrap(), listener.local_addr().unwrap());
/// });
/// ```
#[must_use = "futures do nothing unless you .await or poll them"]
pub struct Connecting(Pin<Box<dyn Future<Output = io::Result<TcpStream>> + Send>>);

impl Future for Connecting {
    type Output = io::Result<TcpStream>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<TcpStream>> {
        self.0.as_mut().poll(cx)
    }
}

impl fmt::Debug for Connecting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connecting").finish_non_exhaustive()
    }
}

/// What hyper-util's client learns of a new connection: nothing beyond
/// plain HTTP (no proxy, no ALPN).
impl Connection for TcpStream {
    fn connected(&self) -> Connected {
        Connected::new()
    }
}

/// Lets a connector of the user's own make Unix-socket connections.
impl Connection for UnixStream {
    fn connected(&self) -> Connected {
        Connected::new()
    }
}

fn _assert_kinds() {
    fn send_sync<T: Send + Sync + 'static>() {}
    fn send_unpin<T: Send + Unpin + 'static>() {}
    send_sync::<Connector>();
    send_unpin::<Connecting>();
}
