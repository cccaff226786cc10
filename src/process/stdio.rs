//! [`ChildStdin`], [`ChildStdout`] and [`ChildStderr`]: our ends of a
//! child's pipes, switched to non-blocking mode and registered with the
//! reactor for their one direction.
//!
//! Only our end becomes non-blocking: the child's end is another open file
//! description, which it gets in the usual blocking mode.

use std::fmt;
use std::io::{self, IoSlice, PipeReader, PipeWriter, Read, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::pin::Pin;
use std::process::Stdio;
use std::task::{Context, Poll};

use crate::io::Interest;
use crate::io::registration::Registered;
use crate::runtime::driver::scheduled_io::{Direction, Ready};
use crate::sys;

/// Makes `fd` non-blocking and registers it for `interest`.
#[track_caller]
fn register<T: AsFd + From<OwnedFd>>(
    fd: OwnedFd,
    interest: Interest,
    initial: Ready,
) -> io::Result<Registered<T>> {
    sys::set_nonblocking(&fd, true)?;
    Registered::with_interest(T::from(fd), interest, initial)
}

/// Deregisters the pipe and hands it back in blocking mode, the mode
/// programs expect of an inherited or borrowed descriptor.
fn into_blocking_fd<T: AsFd + Into<OwnedFd>>(io: Registered<T>) -> io::Result<OwnedFd> {
    let fd: OwnedFd = io.into_inner().into();
    sys::set_nonblocking(&fd, false)?;
    Ok(fd)
}

/// Our end of the child's standard input: [`AsyncWrite`](crate::io::AsyncWrite)
/// (and tokio's with the `tokio-io` feature).
///
/// Dropping it closes the pipe: the child reads end-of-file. As in tokio,
/// `close` (tokio's `shutdown`) does not close it, and `flush` has nothing
/// to do (nothing is buffered here). A write after the child closed its
/// end fails with `BrokenPipe` (Rust programs ignore `SIGPIPE`, which the
/// kernel raises first; a program that does not would be killed by it, as
/// with any pipe).
///
/// ```
/// use std::process::Stdio;
/// use guillotine::io::AsyncWriteExt;
/// use guillotine::process::Command;
///
/// let rt = guillotine::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     let mut child = Command::new("cat")
///         .stdin(Stdio::piped())
///         .stdout(Stdio::piped())
///         .spawn()?;
///     let mut stdin = child.stdin.take().unwrap();
///     stdin.write_all(b"fed through a pipe").await?;
///     drop(stdin); // end-of-file for cat
///     let out = child.wait_with_output().await?;
///     assert_eq!(out.stdout, b"fed through a pipe");
///     Ok::<_, std::io::Error>(())
/// }).unwrap();
/// ```
pub struct ChildStdin {
    io: Registered<PipeWriter>,
}

/// Our end of the child's standard output: [`AsyncRead`](crate::io::AsyncRead)
/// (and tokio's with the `tokio-io` feature); end-of-file once every
/// writer (the child and whatever it passed the pipe on to) has closed it.
///
/// ```
/// use std::process::Stdio;
/// use guillotine::io::AsyncReadExt;
/// use guillotine::process::Command;
///
/// let rt = guillotine::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     let mut child = Command::new("echo").arg("hi").stdout(Stdio::piped()).spawn()?;
///     let mut text = String::new();
///     child.stdout.take().unwrap().read_to_string(&mut text).await?;
///     assert_eq!(text, "hi\n");
///     assert!(child.wait().await?.success());
///     Ok::<_, std::io::Error>(())
/// }).unwrap();
/// ```
pub struct ChildStdout {
    io: Registered<PipeReader>,
}

/// Our end of the child's standard error; as [`ChildStdout`].
///
/// ```
/// use std::process::Stdio;
/// use guillotine::io::AsyncReadExt;
/// use guillotine::process::Command;
///
/// let rt = guillotine::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     let mut child = Command::new("sh")
///         .args(["-c", "echo oops >&2"])
///         .stderr(Stdio::piped())
///         .spawn()?;
///     let mut text = String::new();
///     child.stderr.take().unwrap().read_to_string(&mut text).await?;
///     assert_eq!(text, "oops\n");
///     child.wait().await?;
///     Ok::<_, std::io::Error>(())
/// }).unwrap();
/// ```
pub struct ChildStderr {
    io: Registered<PipeReader>,
}

impl ChildStdin {
    /// Wraps a `std` child's stdin: switched to non-blocking mode and
    /// registered with the current runtime.
    ///
    /// # Errors
    /// Those of `fcntl` and `epoll_ctl`.
    ///
    /// # Panics
    /// Outside a runtime.
    ///
    /// ```
    /// use std::process::Stdio;
    /// use guillotine::io::AsyncWriteExt;
    ///
    /// let rt = guillotine::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let mut child = std::process::Command::new("cat")
    ///         .stdin(Stdio::piped())
    ///         .stdout(Stdio::null())
    ///         .spawn()?;
    ///     let mut stdin = guillotine::process::ChildStdin::from_std(child.stdin.take().unwrap())?;
    ///     stdin.write_all(b"x").await?;
    ///     drop(stdin);
    ///     // A std child: its wait blocks, so it goes to the blocking pool.
    ///     guillotine::spawn_blocking(move || child.wait()).await.unwrap()?;
    ///     Ok::<_, std::io::Error>(())
    /// }).unwrap();
    /// ```
    #[track_caller]
    pub fn from_std(inner: std::process::ChildStdin) -> io::Result<ChildStdin> {
        // A fresh pipe has room: writable until a write says otherwise.
        Ok(ChildStdin {
            io: register(inner.into(), Interest::WRITABLE, Ready::WRITABLE)?,
        })
    }

    /// Deregisters the pipe and returns it, in blocking mode.
    ///
    /// # Errors
    /// That of `fcntl`.
    ///
    /// ```
    /// use std::process::Stdio;
    ///
    /// let rt = guillotine::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let mut child = guillotine::process::Command::new("cat")
    ///         .stdin(Stdio::piped())
    ///         .stdout(Stdio::null())
    ///         .spawn()?;
    ///     let fd = child.stdin.take().unwrap().into_owned_fd()?;
    ///     std::io::Write::write_all(&mut std::fs::File::from(fd), b"blocking write")?;
    ///     assert!(child.wait().await?.success());
    ///     Ok::<_, std::io::Error>(())
    /// }).unwrap();
    /// ```
    pub fn into_owned_fd(self) -> io::Result<OwnedFd> {
        into_blocking_fd(self.io)
    }

    fn poll_write_priv(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        self.io
            .poll_stream(cx, Direction::Write, buf.len(), |p| (&*p).write(buf))
    }

    fn poll_write_vectored_priv(
        &self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let len: usize = bufs.iter().map(|b| b.len()).sum();
        if len == 0 {
            return Poll::Ready(Ok(0));
        }
        self.io
            .poll_stream(cx, Direction::Write, len, |p| (&*p).write_vectored(bufs))
    }
}

impl futures_io::AsyncWrite for ChildStdin {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.poll_write_priv(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.poll_write_vectored_priv(cx, bufs)
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // As tokio's `poll_shutdown`: a pipe has no half-close; dropping
        // the `ChildStdin` closes it.
        Poll::Ready(Ok(()))
    }
}

#[cfg(feature = "tokio-io")]
impl tokio::io::AsyncWrite for ChildStdin {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.poll_write_priv(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.poll_write_vectored_priv(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// What `ChildStdout` and `ChildStderr` share: `from_std`, `into_owned_fd`
/// and the read traits.
macro_rules! reader {
    ($ty:ident, $std:ident, $name:literal) => {
        impl $ty {
            #[doc = concat!("Wraps a `std` child's ", $name, ": switched to non-blocking mode and")]
            /// registered with the current runtime.
            ///
            /// # Errors
            /// Those of `fcntl` and `epoll_ctl`.
            ///
            /// # Panics
            /// Outside a runtime.
            ///
            /// ```
            /// use std::process::Stdio;
            /// use guillotine::io::AsyncReadExt;
            ///
            /// let rt = guillotine::runtime::Runtime::new().unwrap();
            /// rt.block_on(async {
            ///     let mut child = std::process::Command::new("sh")
            ///         .args(["-c", "echo hi; echo hi >&2"])
            ///         .stdout(Stdio::null())
            ///         .stderr(Stdio::null())
            #[doc = concat!("        .", $name, "(Stdio::piped())")]
            ///         .spawn()?;
            #[doc = concat!("    let pipe = child.", $name, ".take().unwrap();")]
            #[doc = concat!("    let mut pipe = guillotine::process::", stringify!($ty), "::from_std(pipe)?;")]
            ///     let mut text = String::new();
            ///     pipe.read_to_string(&mut text).await?;
            ///     assert_eq!(text, "hi\n");
            ///     guillotine::spawn_blocking(move || child.wait()).await.unwrap()?;
            ///     Ok::<_, std::io::Error>(())
            /// }).unwrap();
            /// ```
            #[track_caller]
            pub fn from_std(inner: std::process::$std) -> io::Result<$ty> {
                // Nothing is assumed: the registration reports what is there.
                Ok($ty {
                    io: register(inner.into(), Interest::READABLE, Ready::EMPTY)?,
                })
            }

            /// Deregisters the pipe and returns it, in blocking mode.
            ///
            /// # Errors
            /// That of `fcntl`.
            ///
            /// ```
            /// use std::process::Stdio;
            ///
            /// let rt = guillotine::runtime::Runtime::new().unwrap();
            /// rt.block_on(async {
            ///     let mut child = guillotine::process::Command::new("sh")
            ///         .args(["-c", "echo hi; echo hi >&2"])
            ///         .stdout(Stdio::null())
            ///         .stderr(Stdio::null())
            #[doc = concat!("        .", $name, "(Stdio::piped())")]
            ///         .spawn()?;
            #[doc = concat!("    let fd = child.", $name, ".take().unwrap().into_owned_fd()?;")]
            ///     let text = std::io::read_to_string(std::fs::File::from(fd))?;
            ///     assert_eq!(text, "hi\n");
            ///     child.wait().await?;
            ///     Ok::<_, std::io::Error>(())
            /// }).unwrap();
            /// ```
            pub fn into_owned_fd(self) -> io::Result<OwnedFd> {
                into_blocking_fd(self.io)
            }

            fn poll_read_priv(
                &self,
                cx: &mut Context<'_>,
                buf: &mut [u8],
            ) -> Poll<io::Result<usize>> {
                if buf.is_empty() {
                    return Poll::Ready(Ok(0));
                }
                let len = buf.len();
                self.io
                    .poll_stream(cx, Direction::Read, len, |p| (&*p).read(buf))
            }
        }

        impl futures_io::AsyncRead for $ty {
            fn poll_read(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &mut [u8],
            ) -> Poll<io::Result<usize>> {
                self.poll_read_priv(cx, buf)
            }
        }

        #[cfg(feature = "tokio-io")]
        impl tokio::io::AsyncRead for $ty {
            fn poll_read(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &mut tokio::io::ReadBuf<'_>,
            ) -> Poll<io::Result<()>> {
                let n = std::task::ready!(self.poll_read_priv(cx, buf.initialize_unfilled()))?;
                buf.advance(n);
                Poll::Ready(Ok(()))
            }
        }
    };
}

reader!(ChildStdout, ChildStdout, "stdout");
reader!(ChildStderr, ChildStderr, "stderr");

/// What every pipe type shares: descriptors, `Stdio` for the next child,
/// `Debug`.
macro_rules! pipe_traits {
    ($ty:ident) => {
        impl AsFd for $ty {
            fn as_fd(&self) -> BorrowedFd<'_> {
                self.io.get_ref().as_fd()
            }
        }

        impl AsRawFd for $ty {
            fn as_raw_fd(&self) -> RawFd {
                self.io.as_raw_fd()
            }
        }

        /// The pipe, deregistered and in blocking mode, as another child's
        /// standard stream: how one child's output becomes the next one's
        /// input (tokio's `TryInto<Stdio>`).
        impl TryFrom<$ty> for Stdio {
            type Error = io::Error;

            fn try_from(pipe: $ty) -> io::Result<Stdio> {
                pipe.into_owned_fd().map(Stdio::from)
            }
        }

        impl fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($ty))
                    .field("fd", &self.as_raw_fd())
                    .finish()
            }
        }
    };
}

pipe_traits!(ChildStdin);
pipe_traits!(ChildStdout);
pipe_traits!(ChildStderr);
