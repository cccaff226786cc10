//! [`Server`]: the accept loop, HTTP/1 and HTTP/2 on one port, and
//! graceful shutdown; [`Listener`]: what it accepts from.
//!
//! The accept loop spawns one task per connection, which drives
//! hyper-util's `auto` connection (it tells HTTP/2 from HTTP/1 by the first
//! bytes) and follows the server's phase (`connections.rs`): *serving*,
//! then *draining* (each connection is asked to shut down gracefully:
//! HTTP/1 finishes the response in flight and closes, HTTP/2 sends
//! `GOAWAY` and finishes its open streams), then, past the optional bound,
//! *closing* (each connection is dropped). The server returns once every
//! connection task is gone.

use std::error::Error as StdError;
use std::fmt;
use std::future::Future;
use std::io;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::time::Duration;

use ::hyper::body::{Body, Incoming};
use ::hyper::service::Service;
use ::hyper::{Request, Response};
use futures_lite::future;
use hyper_util::server::conn::auto::{self, HttpServerConnExec};

use super::connections::{CLOSING, Connections, DRAINING, Member, Watched};
use super::{Executor, Timer};
use crate::net::{TcpListener, TcpStream, UnixListener, UnixStream, unix};

/// How long the accept loop pauses after running out of descriptors or
/// memory (`EMFILE`, `ENFILE`, `ENOBUFS`, `ENOMEM`): retrying at once
/// would spin, and a pause lets connections close.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// A source of connections for [`Server`]: [`TcpListener`] and
/// [`UnixListener`] are ones; implement it for others (a TLS acceptor
/// wrapping a `TcpListener`, say).
///
/// ```
/// use guillotine::hyper::Listener;
/// use guillotine::net::{TcpListener, TcpStream};
/// use std::net::SocketAddr;
///
/// /// Accepts only from loopback addresses.
/// struct LoopbackOnly(TcpListener);
///
/// impl Listener for LoopbackOnly {
///     type Io = TcpStream;
///     type Addr = SocketAddr;
///
///     async fn accept(&mut self) -> std::io::Result<(TcpStream, SocketAddr)> {
///         loop {
///             let (stream, peer) = self.0.accept().await?;
///             if peer.ip().is_loopback() {
///                 return Ok((stream, peer));
///             }
///         }
///     }
///
///     fn local_addr(&self) -> std::io::Result<SocketAddr> {
///         self.0.local_addr()
///     }
/// }
///
/// let rt = guillotine::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     let listener = LoopbackOnly(TcpListener::bind("127.0.0.1:0").await.unwrap());
///     let server = guillotine::hyper::Server::new(listener);
///     assert!(server.local_addr().unwrap().ip().is_loopback());
/// });
/// ```
pub trait Listener: Send + 'static {
    /// The connection's byte stream.
    type Io: ::hyper::rt::Read + ::hyper::rt::Write + Unpin + Send + 'static;
    /// The peer's address.
    type Addr: Send + 'static;

    /// Waits for the next connection.
    ///
    /// An error does not stop the [`Server`] unless it says the listener
    /// itself is unusable (`EBADF`, `EINVAL`, `ENOTSOCK`, `EFAULT`): after
    /// running out of descriptors or memory it pauses briefly, after any
    /// other error (a connection that failed before it was accepted, a
    /// failed handshake) it accepts the next one at once.
    fn accept(&mut self) -> impl Future<Output = io::Result<(Self::Io, Self::Addr)>> + Send;

    /// The address the listener is bound to.
    ///
    /// # Errors
    /// That of `getsockname`, for the socket listeners.
    fn local_addr(&self) -> io::Result<Self::Addr>;
}

/// Accepted streams get `TCP_NODELAY`: hyper writes each response in one
/// go, so Nagle's algorithm could only delay the last segment of one.
impl Listener for TcpListener {
    type Io = TcpStream;
    type Addr = std::net::SocketAddr;

    async fn accept(&mut self) -> io::Result<(TcpStream, std::net::SocketAddr)> {
        let (stream, peer) = TcpListener::accept(self).await?;
        // Best effort: a connection reset already fails its first read.
        let _ = stream.set_nodelay(true);
        Ok((stream, peer))
    }

    fn local_addr(&self) -> io::Result<std::net::SocketAddr> {
        TcpListener::local_addr(self)
    }
}

impl Listener for UnixListener {
    type Io = UnixStream;
    type Addr = unix::SocketAddr;

    async fn accept(&mut self) -> io::Result<(UnixStream, unix::SocketAddr)> {
        UnixListener::accept(self).await
    }

    fn local_addr(&self) -> io::Result<unix::SocketAddr> {
        UnixListener::local_addr(self)
    }
}

/// An HTTP server on a [`Listener`]: HTTP/1 and HTTP/2 on the same port
/// (told apart by the first bytes of each connection), a task per
/// connection, and graceful shutdown.
///
/// It sets [`Executor`] and [`Timer`] on hyper's connection builder, so
/// everything that needs a timer works out of the box: hyper's HTTP/1
/// header-read timeout (30 s by default, [`http1`](Server::http1)`().header_read_timeout(..)`
/// to change it), HTTP/2 keep-alive pings. Accepted TCP streams get
/// `TCP_NODELAY`.
///
/// The service is any hyper `Service` that can be cloned (one clone per
/// connection): `hyper::service::service_fn(f)` with an `async fn` `f`, or
/// a tower service (an axum `Router`) through hyper-util's
/// `service::TowerToHyperService`. Its futures, like the connections, must
/// be `Send`: on the multi-thread flavor any worker may run them.
///
/// A connection that fails (the client went away mid-request, sent
/// garbage, or stalled past the header-read timeout) is closed; nothing is
/// logged. (The header-read timeout starts once the first bytes have told
/// HTTP/1 from HTTP/2: hyper-util's detection waits for them with no timer,
/// so a client that connects and sends nothing stays connected until it
/// leaves or the server shuts down.)
///
/// ```
/// use std::convert::Infallible;
/// use http_body_util::Full;
/// use hyper::body::{Bytes, Incoming};
/// use hyper::{Request, Response};
/// use guillotine::hyper::Server;
/// use guillotine::net::TcpListener;
///
/// async fn hello(_: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
///     Ok(Response::new(Full::new(Bytes::from("hello"))))
/// }
///
/// let rt = guillotine::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     let server = Server::new(TcpListener::bind("127.0.0.1:0").await?);
///     let addr = server.local_addr()?;
///     let (stop, stopped) = futures::channel::oneshot::channel::<()>();
///     let serving = guillotine::spawn(server.serve_with_shutdown(
///         hyper::service::service_fn(hello),
///         async { stopped.await.ok(); },
///     ));
///
///     // A raw HTTP/1.1 request.
///     use guillotine::io::{AsyncReadExt, AsyncWriteExt};
///     let mut stream = guillotine::net::TcpStream::connect(addr).await?;
///     stream.write_all(b"GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n").await?;
///     let mut response = String::new();
///     stream.read_to_string(&mut response).await?;
///     assert!(response.starts_with("HTTP/1.1 200 OK") && response.ends_with("hello"));
///
///     stop.send(()).unwrap();
///     serving.await.unwrap()
/// }).unwrap();
/// ```
pub struct Server<L = TcpListener> {
    listener: L,
    /// The connections' builder: our executor and timer, the user's
    /// HTTP/1 and HTTP/2 settings.
    builder: auto::Builder<Executor>,
    /// How long a graceful shutdown waits for connections before dropping
    /// them; `None`: as long as they take.
    shutdown_timeout: Option<Duration>,
}

impl<L: Listener> Server<L> {
    /// A server on `listener`, with hyper's default settings, guillotine's
    /// [`Executor`] and [`Timer`], and no bound on graceful shutdown.
    ///
    /// ```
    /// let rt = guillotine::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let listener = guillotine::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    ///     let server = guillotine::hyper::Server::new(listener);
    ///     # drop(server);
    /// });
    /// ```
    pub fn new(listener: L) -> Server<L> {
        let mut builder = auto::Builder::new(Executor::new());
        builder.http1().timer(Timer::new());
        builder.http2().timer(Timer::new());
        Server {
            listener,
            builder,
            shutdown_timeout: None,
        }
    }

    /// HTTP/1 settings (hyper-util's `Http1Builder`), e.g.
    /// `header_read_timeout`, `keep_alive`, `max_buf_size`.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// # let listener = guillotine::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// let mut server = guillotine::hyper::Server::new(listener);
    /// server.http1().header_read_timeout(std::time::Duration::from_secs(5));
    /// # });
    /// ```
    pub fn http1(&mut self) -> auto::Http1Builder<'_, Executor> {
        self.builder.http1()
    }

    /// HTTP/2 settings (hyper-util's `Http2Builder`), e.g.
    /// `max_concurrent_streams`, `keep_alive_interval`.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// # let listener = guillotine::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// let mut server = guillotine::hyper::Server::new(listener);
    /// server.http2().max_concurrent_streams(64);
    /// # });
    /// ```
    pub fn http2(&mut self) -> auto::Http2Builder<'_, Executor> {
        self.builder.http2()
    }

    /// Serves HTTP/1 only (no detection of HTTP/2's preface).
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// # let listener = guillotine::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// let mut server = guillotine::hyper::Server::new(listener);
    /// server.http1_only();
    /// # });
    /// ```
    pub fn http1_only(&mut self) -> &mut Self {
        self.builder = std::mem::take(&mut self.builder).http1_only();
        self
    }

    /// Serves HTTP/2 only ("prior knowledge": no HTTP/1, no upgrade).
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// # let listener = guillotine::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// let mut server = guillotine::hyper::Server::new(listener);
    /// server.http2_only();
    /// # });
    /// ```
    pub fn http2_only(&mut self) -> &mut Self {
        self.builder = std::mem::take(&mut self.builder).http2_only();
        self
    }

    /// Bounds a graceful shutdown: connections still open `timeout` after
    /// the shutdown signal are dropped (their clients see the connection
    /// close), and [`serve_with_shutdown`](Server::serve_with_shutdown)
    /// returns. Unbounded by default.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// # let listener = guillotine::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// let mut server = guillotine::hyper::Server::new(listener);
    /// server.shutdown_timeout(std::time::Duration::from_secs(10));
    /// # });
    /// ```
    pub fn shutdown_timeout(&mut self, timeout: Duration) -> &mut Self {
        self.shutdown_timeout = Some(timeout);
        self
    }

    /// The listener's address (to learn the port of one bound to port 0).
    ///
    /// # Errors
    /// That of the listener's `local_addr`.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let listener = guillotine::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// let server = guillotine::hyper::Server::new(listener);
    /// assert_ne!(server.local_addr().unwrap().port(), 0);
    /// # });
    /// ```
    pub fn local_addr(&self) -> io::Result<L::Addr> {
        self.listener.local_addr()
    }

    /// Serves `service` until the listener fails beyond repair (see
    /// [`Listener::accept`]); in practice, forever.
    ///
    /// # Errors
    /// The listener's fatal error, once the connections open then have
    /// ended.
    ///
    /// ```no_run
    /// use std::convert::Infallible;
    /// use http_body_util::Full;
    /// use hyper::body::Bytes;
    ///
    /// let rt = guillotine::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let listener = guillotine::net::TcpListener::bind("127.0.0.1:8080").await?;
    ///     guillotine::hyper::Server::new(listener)
    ///         .serve(hyper::service::service_fn(|_req| async {
    ///             Ok::<_, Infallible>(hyper::Response::new(Full::new(Bytes::from("hi"))))
    ///         }))
    ///         .await
    /// }).unwrap();
    /// ```
    pub async fn serve<S, B>(self, service: S) -> io::Result<()>
    where
        S: Service<Request<Incoming>, Response = Response<B>> + Clone + Send + 'static,
        S::Future: Send + 'static,
        S::Error: Into<Box<dyn StdError + Send + Sync>>,
        B: Body + Send + 'static,
        B::Data: Send,
        B::Error: Into<Box<dyn StdError + Send + Sync>>,
        Executor: HttpServerConnExec<S::Future, B>,
    {
        self.serve_with_shutdown(service, std::future::pending())
            .await
    }

    /// Serves `service` until `signal` completes, then shuts down
    /// gracefully: stops accepting (the listener is closed), lets every
    /// open connection finish the requests it has started (idle ones close
    /// at once), and returns when all have closed, or when the
    /// [`shutdown_timeout`](Server::shutdown_timeout) has passed and the
    /// rest were dropped.
    ///
    /// Dropping this future instead stops accepting at once and leaves the
    /// open connections running until they end (or the runtime shuts
    /// down).
    ///
    /// # Errors
    /// As [`serve`](Server::serve); a listener's fatal error also starts a
    /// graceful shutdown.
    ///
    /// ```
    /// use std::convert::Infallible;
    /// use http_body_util::Full;
    /// use hyper::body::Bytes;
    ///
    /// let rt = guillotine::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let listener = guillotine::net::TcpListener::bind("127.0.0.1:0").await?;
    ///     let service = hyper::service::service_fn(|_req| async {
    ///         Ok::<_, Infallible>(hyper::Response::new(Full::new(Bytes::from("hi"))))
    ///     });
    ///     // Serve for 10 ms, then shut down.
    ///     let signal = guillotine::time::sleep(std::time::Duration::from_millis(10));
    ///     guillotine::hyper::Server::new(listener)
    ///         .serve_with_shutdown(service, signal)
    ///         .await
    /// }).unwrap();
    /// ```
    pub async fn serve_with_shutdown<S, B, F>(self, service: S, signal: F) -> io::Result<()>
    where
        S: Service<Request<Incoming>, Response = Response<B>> + Clone + Send + 'static,
        S::Future: Send + 'static,
        S::Error: Into<Box<dyn StdError + Send + Sync>>,
        B: Body + Send + 'static,
        B::Data: Send,
        B::Error: Into<Box<dyn StdError + Send + Sync>>,
        Executor: HttpServerConnExec<S::Future, B>,
        F: Future<Output = ()>,
    {
        let Server {
            mut listener,
            builder,
            shutdown_timeout,
        } = self;
        let builder = Arc::new(builder);
        let spawner = Executor::new();
        let connections = Connections::new();
        let mut signal = pin!(signal);

        let result = loop {
            // The signal first: under a flood of connections `accept` is
            // always ready, and the signal must still be seen.
            let next = future::or(
                async {
                    signal.as_mut().await;
                    None
                },
                async { Some(listener.accept().await) },
            )
            .await;
            let error = match next {
                None => break Ok(()),
                Some(Ok((io, _peer))) => {
                    let conn = connection(
                        Arc::clone(&builder),
                        io,
                        service.clone(),
                        connections.join(),
                    );
                    spawner.spawn(conn);
                    continue;
                }
                Some(Err(e)) => e,
            };
            match error.raw_os_error() {
                Some(libc::EBADF | libc::EINVAL | libc::ENOTSOCK | libc::EFAULT) => {
                    break Err(error);
                }
                Some(libc::EMFILE | libc::ENFILE | libc::ENOBUFS | libc::ENOMEM) => {
                    let stopped = future::or(
                        async {
                            signal.as_mut().await;
                            true
                        },
                        async {
                            crate::time::sleep(ACCEPT_BACKOFF).await;
                            false
                        },
                    )
                    .await;
                    if stopped {
                        break Ok(());
                    }
                }
                // One connection's failure: on to the next.
                _ => {}
            }
        };

        // Stop accepting: connecting clients are refused from now on.
        drop(listener);
        connections.advance(DRAINING);
        let drained = match shutdown_timeout {
            None => {
                connections.all_closed().await;
                true
            }
            Some(bound) => crate::time::timeout(bound, connections.all_closed())
                .await
                .is_ok(),
        };
        if !drained {
            connections.advance(CLOSING);
            connections.all_closed().await;
        }
        result
    }
}

/// Serves one connection, following the server's phase through `member`.
async fn connection<I, S, B>(
    builder: Arc<auto::Builder<Executor>>,
    io: I,
    service: S,
    member: Member,
) where
    I: ::hyper::rt::Read + ::hyper::rt::Write + Unpin + Send + 'static,
    S: Service<Request<Incoming>, Response = Response<B>> + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<Box<dyn StdError + Send + Sync>>,
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn StdError + Send + Sync>>,
    Executor: HttpServerConnExec<S::Future, B>,
{
    let conn = pin!(builder.serve_connection_with_upgrades(io, service));
    Watched {
        member,
        conn,
        on_drain: Some(
            |conn: Pin<&mut auto::UpgradeableConnection<'_, I, S, Executor>>| {
                conn.graceful_shutdown()
            },
        ),
    }
    .await;
}

impl<L: fmt::Debug> fmt::Debug for Server<L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Server")
            .field("listener", &self.listener)
            .field("http1", &self.builder.is_http1_available())
            .field("http2", &self.builder.is_http2_available())
            .field("shutdown_timeout", &self.shutdown_timeout)
            .finish()
    }
}
