//! [`AsyncFdTryNewError`]: a failed registration, with the descriptor
//! handed back.

use std::error::Error;
use std::fmt;
use std::io;

/// The error of [`AsyncFd::try_new`](super::AsyncFd::try_new) and
/// [`AsyncFd::try_with_interest`](super::AsyncFd::try_with_interest): the
/// registration's error, and the value that was to be registered, still
/// open.
///
/// ```
/// use guillotine::io::AsyncFd;
///
/// let rt = guillotine::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     // epoll cannot watch a regular file: EPERM.
///     let file = std::fs::File::open(std::env::current_exe()?)?;
///     let err = AsyncFd::try_new(file).unwrap_err();
///     let (file, cause) = err.into_parts();
///     assert_eq!(cause.raw_os_error(), Some(libc::EPERM));
///     assert!(file.metadata()?.is_file(), "handed back, still open");
///     Ok::<_, std::io::Error>(())
/// }).unwrap();
/// ```
pub struct AsyncFdTryNewError<T> {
    inner: T,
    cause: io::Error,
}

impl<T> AsyncFdTryNewError<T> {
    pub(super) fn new(inner: T, cause: io::Error) -> Self {
        AsyncFdTryNewError { inner, cause }
    }

    /// The value passed to `try_new` or `try_with_interest`, and the error
    /// that failed its registration.
    ///
    /// ```
    /// # let rt = guillotine::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let file = std::fs::File::open(std::env::current_exe().unwrap()).unwrap();
    /// let (_file, cause) = guillotine::io::AsyncFd::try_new(file).unwrap_err().into_parts();
    /// assert_eq!(cause.kind(), std::io::ErrorKind::PermissionDenied);
    /// # });
    /// ```
    pub fn into_parts(self) -> (T, io::Error) {
        (self.inner, self.cause)
    }
}

impl<T> fmt::Display for AsyncFdTryNewError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.cause, f)
    }
}

// `T` need not be `Debug`: the cause is what matters.
impl<T> fmt::Debug for AsyncFdTryNewError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncFdTryNewError")
            .field("cause", &self.cause)
            .finish_non_exhaustive()
    }
}

impl<T> Error for AsyncFdTryNewError<T> {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        Some(&self.cause)
    }
}

/// The registration's error; the value is dropped (closed).
///
/// ```
/// # let rt = guillotine::runtime::Runtime::new().unwrap();
/// # rt.block_on(async {
/// let file = std::fs::File::open(std::env::current_exe().unwrap()).unwrap();
/// let err: std::io::Error = guillotine::io::AsyncFd::try_new(file).unwrap_err().into();
/// assert_eq!(err.raw_os_error(), Some(libc::EPERM));
/// # });
/// ```
impl<T> From<AsyncFdTryNewError<T>> for io::Error {
    fn from(err: AsyncFdTryNewError<T>) -> io::Error {
        err.cause
    }
}
