//! hyper on guillotine, with no glue (the `hyper` feature).
//!
//! guillotine's streams ([`TcpStream`](crate::net::TcpStream),
//! [`UnixStream`](crate::net::UnixStream) and their halves) implement
//! hyper's `rt::Read` and `rt::Write` themselves, so they go to hyper as
//! they are: no `TokioIo` wrapper, and reads land in hyper's buffer without
//! zeroing it first. This module adds what else hyper asks of a runtime,
//! and what a tokio user would otherwise take from hyper-util's `tokio`
//! feature:
//!
//! - [`Executor`]: `hyper::rt::Executor`, spawning guillotine tasks (for
//!   HTTP/2 streams and the pooled client's connection tasks).
//! - [`Timer`]: `hyper::rt::Timer`, guillotine sleeps (for header-read
//!   timeouts, keep-alive pings, pool expiry).
//! - [`Server`]: an accept loop over any [`Listener`] that serves HTTP/1
//!   and HTTP/2 on one port, always with a timer, and shuts down
//!   gracefully.
//! - [`Connector`]: the pooled client's connector, on guillotine's
//!   [`TcpStream`](crate::net::TcpStream) and name resolution.
//!
//! Everything works on both runtime flavors; on the multi-thread one the
//! connections and requests run on any worker.
//!
//! # Which hyper-util pieces to use
//!
//! hyper-util's runtime-agnostic parts work on guillotine as they are:
//!
//! - `server::conn::auto::Builder` (HTTP/1 and HTTP/2 on one port; what
//!   [`Server`] uses): `Builder::new(Executor::new())`, then
//!   `.http1().timer(Timer::new())` and `.http2().timer(Timer::new())`.
//! - `server::graceful::GracefulShutdown`, for an accept loop of your own
//!   (it needs only `tokio::sync`, no tokio runtime).
//! - `client::legacy::Client`: `Client::builder(Executor::new())
//!   .timer(Timer::new()).pool_timer(Timer::new()).build(Connector::new())`.
//! - `service::TowerToHyperService`, to serve a tower service (an axum
//!   `Router`) with hyper or [`Server`].
//!
//! Avoid the pieces behind hyper-util's `tokio` feature: `rt::TokioExecutor`,
//! `rt::TokioTimer`, `rt::TokioIo`, and the client's `HttpConnector` with
//! its `GaiResolver`. They spawn, sleep, register sockets and resolve
//! names on *tokio's* runtime, which a guillotine program does not run, and
//! panic with "there is no reactor running, must be called from the
//! context of a Tokio 1.x runtime" when used. (`TokioIo` around a
//! guillotine stream would work with the `tokio-io` feature, but costs a
//! wrapper and zeroes each read buffer for nothing.) For the same reason,
//! axum's own `axum::serve` cannot run here; serve a `Router` with
//! [`Server`] instead (see the `axum` example).
//!
//! ```
//! use std::convert::Infallible;
//! use http_body_util::{BodyExt, Empty, Full};
//! use hyper::body::{Bytes, Incoming};
//! use hyper::{Request, Response};
//! use hyper_util::client::legacy::Client;
//! use guillotine::hyper::{Connector, Executor, Server, Timer};
//!
//! async fn hello(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
//!     Ok(Response::new(Full::new(Bytes::from(format!("hello, {}", req.uri().path())))))
//! }
//!
//! let rt = guillotine::runtime::Builder::new_multi_thread().worker_threads(2).build().unwrap();
//! rt.block_on(async {
//!     let server = Server::new(guillotine::net::TcpListener::bind("127.0.0.1:0").await?);
//!     let addr = server.local_addr()?;
//!     let (stop, stopped) = futures::channel::oneshot::channel::<()>();
//!     let serving = guillotine::spawn(server.serve_with_shutdown(
//!         hyper::service::service_fn(hello),
//!         async { stopped.await.ok(); },
//!     ));
//!
//!     let client = Client::builder(Executor::new())
//!         .timer(Timer::new())
//!         .pool_timer(Timer::new())
//!         .build::<_, Empty<Bytes>>(Connector::new());
//!     let response = client.get(format!("http://{addr}/world").parse().unwrap()).await.unwrap();
//!     let body = response.into_body().collect().await.unwrap().to_bytes();
//!     assert_eq!(body, "hello, /world");
//!
//!     drop(client); // closes its pooled connection
//!     stop.send(()).unwrap();
//!     serving.await.unwrap()
//! }).unwrap();
//! ```

mod client;
mod connections;
mod rt;
mod server;

pub use client::{Connecting, Connector};
pub use rt::{Executor, Timer};
pub use server::{Listener, Server};
