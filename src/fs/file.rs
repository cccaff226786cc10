//! [`File`]: a `std::fs::File` whose reads, writes and seeks run on the
//! blocking pool, behind an internal buffer.
//!
//! # Protocol
//!
//! The file's state ([`Inner`]) sits behind one mutex shared by the
//! `File` and the pool job working for it. At most one job runs at a time
//! (`busy` says which kind); the async side starts one only when `busy` is
//! `None`, and the job clears `busy` when it ends, then wakes every waiter
//! (collected under the lock, woken after it). A write job drains
//! `pending` in a loop, so writes made while it runs join its work rather
//! than wait for a job of their own. A job's captured `Arc<StdFile>` may
//! outlive `busy` by a moment; code that needs the file alone waits for
//! that with [`unwrap_file`] on the pool.

use std::fs::{Metadata, Permissions};
use std::future::poll_fn;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::path::Path;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

use super::{OpenOptions, count_ops, job_failed, spawn_blocking};

type StdFile = std::fs::File;

/// The largest buffer a read or a run of writes uses by default, as tokio.
const DEFAULT_MAX_BUF_SIZE: usize = 2 * 1024 * 1024;
/// The least a read job asks the kernel for: later small reads are served
/// from what it returned, without a job.
const READ_AHEAD: usize = 64 * 1024;
/// Sequential reads double the read-ahead up to this (or `max_buf_size`).
const MAX_READ_AHEAD: usize = 1024 * 1024;

/// An open file on the blocking pool, as tokio's `fs::File`; implements
/// [`AsyncRead`](crate::io::AsyncRead), [`AsyncWrite`](crate::io::AsyncWrite)
/// and [`AsyncSeek`](crate::io::AsyncSeek) (and tokio's traits with the
/// `tokio-io` feature).
///
/// ```
/// use guillotine::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};
/// use std::io::SeekFrom;
///
/// # guillotine::runtime::Runtime::new().unwrap().block_on(async {
/// let path = std::env::temp_dir().join(format!("guillotine-file-{}", std::process::id()));
/// let mut file = guillotine::fs::File::options()
///     .read(true)
///     .write(true)
///     .create(true)
///     .truncate(true)
///     .open(&path)
///     .await?;
/// file.write_all(b"hello, ").await?;
/// file.write_all(b"world").await?;
/// file.seek(SeekFrom::Start(7)).await?;
/// let mut word = String::new();
/// file.read_to_string(&mut word).await?;
/// assert_eq!(word, "world");
/// file.close().await?; // flushes, closes, and reports any error
/// guillotine::fs::remove_file(&path).await?;
/// # Ok::<_, std::io::Error>(()) }).unwrap();
/// ```
///
/// # Buffering, and hops
///
/// As with tokio, a write returns once its bytes are copied into the
/// file's buffer, and a pool job writes them; [`flush`] waits for that.
/// Unlike tokio, writes made while that job runs are added to a second
/// buffer (up to [`set_max_buf_size`](File::set_max_buf_size), 2 MiB by
/// default) which the same job writes before it ends: a stream of small
/// writes costs about one job, not one each. Reads ask the kernel for at
/// least 64 KiB, doubling up to 1 MiB while reads stay sequential (a seek
/// starts again at 64 KiB), and serve later reads from what came back;
/// while reads stream, the next piece is fetched as the caller reads the
/// last one.
///
/// # Errors are never lost
///
/// When a background write fails, the bytes it held (and any buffered
/// after them) are dropped and the error is kept:
///
/// - the next call of any kind (read, write, seek, flush) returns it;
/// - every later write, [`flush`], [`sync_all`](File::sync_all),
///   [`sync_data`](File::sync_data) and [`close`](File::close) returns it
///   again: a retried flush never returns `Ok` for data that was dropped
///   (it does in tokio, #6325);
/// - it is cleared by a successful seek or [`set_len`](File::set_len),
///   which say where the caller writes next.
///
/// Dropping a `File` lets its buffered writes finish in the background,
/// and an error they meet is lost, as with std; call
/// [`close`](File::close) to learn it.
///
/// [`flush`]: crate::io::AsyncWriteExt::flush
#[derive(Debug)]
pub struct File {
    std: Arc<StdFile>,
    shared: Arc<Shared>,
    /// The most bytes buffered for writing, or read in one job.
    max_buf_size: usize,
    /// A seek asked for through tokio's `start_seek`.
    #[cfg(feature = "tokio-io")]
    seek_request: Option<SeekFrom>,
}

/// What the `File` and its pool job share.
#[derive(Debug)]
struct Shared {
    inner: Mutex<Inner>,
}

/// The kind of job running for a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Job {
    Read,
    Write,
    Seek,
    /// `sync_all`, `set_len` and the other one-off calls.
    Other,
}

#[derive(Debug, Default)]
struct Inner {
    /// The job running for this file, if any; only its kind's fields below
    /// change under it.
    busy: Option<Job>,
    /// Written bytes not yet taken by a write job (at most `max_buf_size`).
    pending: Vec<u8>,
    /// How far to move the OS position before the next write: back over
    /// read-ahead that the caller never read.
    seek_before_write: i64,
    /// Read-ahead: `read_buf[read_pos..]` is not yet returned.
    read_buf: Vec<u8>,
    read_pos: usize,
    /// What the next read job asks for at least (0: [`READ_AHEAD`]);
    /// doubled by each read job that fills it, reset by a seek.
    read_ahead: usize,
    /// Prefetched bytes that follow `read_buf`'s (empty when none).
    next_buf: Vec<u8>,
    /// A free read buffer: a read job fills it while the caller reads
    /// `read_buf`.
    spare: Vec<u8>,
    /// The last read job found end-of-file; reported once.
    read_eof: bool,
    /// The last read job's error, not yet returned.
    read_err: Option<io::Error>,
    /// The finished seek job's result, not yet returned, with the
    /// position it was asked for (a later seek elsewhere discards it).
    seek_result: Option<(SeekFrom, io::Result<u64>)>,
    /// A background write's error (see the type's docs), kept until a
    /// seek or `set_len` succeeds.
    write_err: Option<StoredError>,
    /// Whether `write_err` has been returned by some call.
    write_err_reported: bool,
    /// Tasks waiting for the job to end (or for room in `pending`).
    waiters: Vec<Waker>,
    /// Operations served, and pool jobs started, for [`File::__pool_stats`].
    ops: u64,
    hops: u64,
}

/// An `io::Error` that can be returned more than once.
#[derive(Debug)]
struct StoredError {
    kind: io::ErrorKind,
    os: Option<i32>,
    message: String,
}

impl StoredError {
    fn new(e: &io::Error) -> StoredError {
        StoredError {
            kind: e.kind(),
            os: e.raw_os_error(),
            message: e.to_string(),
        }
    }

    fn error(&self) -> io::Error {
        match self.os {
            Some(code) => io::Error::from_raw_os_error(code),
            None => io::Error::new(self.kind, self.message.clone()),
        }
    }
}

fn shut_down() -> io::Error {
    io::Error::other("the runtime shut down before a blocking fs operation ran")
}

impl Inner {
    fn register(&mut self, cx: &Context<'_>) {
        if !self.waiters.iter().any(|w| w.will_wake(cx.waker())) {
            self.waiters.push(cx.waker().clone());
        }
    }

    fn op(&mut self) {
        self.ops += 1;
        count_ops(1);
    }

    /// The write error, if no call has returned it yet.
    fn unreported_write_err(&mut self) -> Option<io::Error> {
        if self.write_err_reported {
            return None;
        }
        self.write_err_reported = true;
        self.write_err.as_ref().map(StoredError::error)
    }

    /// The write error, every time.
    fn write_err(&mut self) -> Option<io::Error> {
        self.write_err_reported = true;
        self.write_err.as_ref().map(StoredError::error)
    }

    /// No job runs and no write waits for one.
    fn is_idle(&self) -> bool {
        self.busy.is_none() && self.pending.is_empty()
    }

    /// Bytes read ahead and not yet returned.
    fn unread(&self) -> usize {
        self.read_buf.len() - self.read_pos + self.next_buf.len()
    }

    /// Drops the read-ahead; the OS position must move back over the
    /// bytes returned, by the seek this returns.
    fn discard_read_ahead(&mut self) -> i64 {
        let unread = self.unread();
        self.read_buf.clear();
        if self.spare.capacity() < self.next_buf.capacity() {
            self.spare = std::mem::take(&mut self.next_buf);
        }
        self.next_buf.clear();
        self.read_pos = 0;
        self.read_eof = false;
        -(unread as i64)
    }

    /// Drops the read-ahead; the seek that brings the OS position back to
    /// the caller's before the next operation.
    fn take_seek_back(&mut self) -> i64 {
        self.discard_read_ahead() + std::mem::take(&mut self.seek_before_write)
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        // No code panics while holding it; a poisoned lock is consistent.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Ends a job: clears `busy` and wakes the waiters, also when the job is
/// dropped without running (the runtime shut down) or panicked.
struct JobGuard {
    shared: Arc<Shared>,
    job: Job,
    armed: bool,
}

impl JobGuard {
    fn finish(mut self, f: impl FnOnce(&mut Inner)) {
        self.armed = false;
        let mut inner = self.shared.lock();
        f(&mut inner);
        inner.busy = None;
        let waiters = std::mem::take(&mut inner.waiters);
        drop(inner);
        waiters.into_iter().for_each(Waker::wake);
    }
}

impl JobGuard {
    /// [`finish`](JobGuard::finish) under a lock already held.
    fn finish_locked(mut self, mut inner: MutexGuard<'_, Inner>) {
        self.armed = false;
        inner.busy = None;
        let waiters = std::mem::take(&mut inner.waiters);
        drop(inner);
        waiters.into_iter().for_each(Waker::wake);
    }
}

impl Drop for JobGuard {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        let mut inner = self.shared.lock();
        match self.job {
            Job::Read => inner.read_err = Some(shut_down()),
            Job::Seek => {
                if let Some((_, result)) = &mut inner.seek_result {
                    *result = Err(shut_down());
                }
            }
            Job::Write => {
                inner.pending.clear();
                inner.write_err = Some(StoredError::new(&shut_down()));
                inner.write_err_reported = false;
            }
            Job::Other => {}
        }
        inner.busy = None;
        let waiters = std::mem::take(&mut inner.waiters);
        drop(inner);
        waiters.into_iter().for_each(Waker::wake);
    }
}

/// Takes the file out of its `Arc` (blocking: run on the pool). A job
/// that has ended may still hold a clone for a moment.
fn unwrap_file(mut std: Arc<StdFile>) -> StdFile {
    let mut tries = 0u32;
    loop {
        match Arc::try_unwrap(std) {
            Ok(file) => return file,
            Err(shared) => {
                std = shared;
                tries += 1;
                if tries < 100 {
                    std::thread::yield_now();
                } else {
                    std::thread::sleep(std::time::Duration::from_millis(1));
                }
            }
        }
    }
}

impl File {
    /// Opens a file for reading, as [`std::fs::File::open`].
    ///
    /// ```
    /// # guillotine::runtime::Runtime::new().unwrap().block_on(async {
    /// let file = guillotine::fs::File::open("Cargo.toml").await?;
    /// assert!(file.metadata().await?.is_file());
    /// # Ok::<_, std::io::Error>(()) }).unwrap();
    /// ```
    pub async fn open(path: impl AsRef<Path>) -> io::Result<File> {
        OpenOptions::new().read(true).open(path).await
    }

    /// Opens a file for writing, creating or truncating it, as
    /// [`std::fs::File::create`].
    ///
    /// ```
    /// # guillotine::runtime::Runtime::new().unwrap().block_on(async {
    /// let path = std::env::temp_dir().join(format!("guillotine-create-{}", std::process::id()));
    /// let file = guillotine::fs::File::create(&path).await?;
    /// file.close().await?;
    /// guillotine::fs::remove_file(&path).await?;
    /// # Ok::<_, std::io::Error>(()) }).unwrap();
    /// ```
    pub async fn create(path: impl AsRef<Path>) -> io::Result<File> {
        OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)
            .await
    }

    /// Creates a new file for reading and writing; fails if it exists, as
    /// [`std::fs::File::create_new`].
    ///
    /// ```
    /// # guillotine::runtime::Runtime::new().unwrap().block_on(async {
    /// let err = guillotine::fs::File::create_new("Cargo.toml").await.unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::AlreadyExists);
    /// # });
    /// ```
    pub async fn create_new(path: impl AsRef<Path>) -> io::Result<File> {
        OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(path)
            .await
    }

    /// A new [`OpenOptions`], as [`OpenOptions::new`].
    ///
    /// ```
    /// # guillotine::runtime::Runtime::new().unwrap().block_on(async {
    /// let file = guillotine::fs::File::options().read(true).open("Cargo.toml").await?;
    /// # drop(file);
    /// # Ok::<_, std::io::Error>(()) }).unwrap();
    /// ```
    pub fn options() -> OpenOptions {
        OpenOptions::new()
    }

    /// Wraps a `std::fs::File` (no pool job).
    ///
    /// ```
    /// # guillotine::runtime::Runtime::new().unwrap().block_on(async {
    /// let file = guillotine::fs::File::from_std(std::fs::File::open("Cargo.toml")?);
    /// assert!(file.metadata().await?.len() > 0);
    /// # Ok::<_, std::io::Error>(()) }).unwrap();
    /// ```
    pub fn from_std(std: StdFile) -> File {
        File {
            std: Arc::new(std),
            shared: Arc::new(Shared {
                inner: Mutex::new(Inner::default()),
            }),
            max_buf_size: DEFAULT_MAX_BUF_SIZE,
            #[cfg(feature = "tokio-io")]
            seek_request: None,
        }
    }

    /// Sets the most bytes buffered for writing, or read by one job
    /// (2 MiB by default, as tokio).
    ///
    /// ```
    /// # guillotine::runtime::Runtime::new().unwrap().block_on(async {
    /// let mut file = guillotine::fs::File::open("Cargo.toml").await?;
    /// file.set_max_buf_size(4096);
    /// # Ok::<_, std::io::Error>(()) }).unwrap();
    /// ```
    pub fn set_max_buf_size(&mut self, max_buf_size: usize) {
        self.max_buf_size = max_buf_size.max(1);
    }

    /// Waits for the running job and the buffered writes, then runs `f` on
    /// the pool with the file to itself (one job). With `after_write`, a
    /// kept write error is returned instead.
    async fn run<R, F>(&self, after_write: bool, f: F) -> io::Result<R>
    where
        F: FnOnce(&StdFile, i64) -> io::Result<R> + Send + 'static,
        R: Send + 'static,
    {
        let seek_back = poll_fn(|cx| {
            let mut inner = self.shared.lock();
            if !inner.is_idle() {
                inner.register(cx);
                return Poll::Pending;
            }
            if after_write && let Some(e) = inner.write_err() {
                return Poll::Ready(Err(e));
            }
            inner.op();
            inner.hops += 1;
            inner.busy = Some(Job::Other);
            Poll::Ready(Ok(inner.take_seek_back()))
        })
        .await?;
        let guard = JobGuard {
            shared: Arc::clone(&self.shared),
            job: Job::Other,
            armed: true,
        };
        let std = Arc::clone(&self.std);
        spawn_blocking(move || {
            let result = f(&std, seek_back);
            drop(std);
            guard.finish(|_| {});
            result
        })
        .await
        .map_err(job_failed)?
    }

    /// Flushes buffered writes, then `fsync`s data and metadata, as
    /// [`std::fs::File::sync_all`]. Returns a kept write error instead.
    ///
    /// ```
    /// use guillotine::io::AsyncWriteExt;
    /// # guillotine::runtime::Runtime::new().unwrap().block_on(async {
    /// let path = std::env::temp_dir().join(format!("guillotine-sync-{}", std::process::id()));
    /// let mut file = guillotine::fs::File::create(&path).await?;
    /// file.write_all(b"durable").await?;
    /// file.sync_all().await?;
    /// guillotine::fs::remove_file(&path).await?;
    /// # Ok::<_, std::io::Error>(()) }).unwrap();
    /// ```
    pub async fn sync_all(&self) -> io::Result<()> {
        self.run(true, |f, back| {
            seek_by(f, back)?;
            f.sync_all()
        })
        .await
    }

    /// Flushes buffered writes, then `fdatasync`s, as
    /// [`std::fs::File::sync_data`]. Returns a kept write error instead.
    ///
    /// ```
    /// use guillotine::io::AsyncWriteExt;
    /// # guillotine::runtime::Runtime::new().unwrap().block_on(async {
    /// let path = std::env::temp_dir().join(format!("guillotine-syncd-{}", std::process::id()));
    /// let mut file = guillotine::fs::File::create(&path).await?;
    /// file.write_all(b"data").await?;
    /// file.sync_data().await?;
    /// guillotine::fs::remove_file(&path).await?;
    /// # Ok::<_, std::io::Error>(()) }).unwrap();
    /// ```
    pub async fn sync_data(&self) -> io::Result<()> {
        self.run(true, |f, back| {
            seek_by(f, back)?;
            f.sync_data()
        })
        .await
    }

    /// Truncates or extends the file to `size` bytes after the buffered
    /// writes, as [`std::fs::File::set_len`]; the position is unchanged.
    /// Clears a kept write error.
    ///
    /// ```
    /// # guillotine::runtime::Runtime::new().unwrap().block_on(async {
    /// let path = std::env::temp_dir().join(format!("guillotine-setlen-{}", std::process::id()));
    /// let file = guillotine::fs::File::create(&path).await?;
    /// file.set_len(100).await?;
    /// assert_eq!(file.metadata().await?.len(), 100);
    /// guillotine::fs::remove_file(&path).await?;
    /// # Ok::<_, std::io::Error>(()) }).unwrap();
    /// ```
    pub async fn set_len(&self, size: u64) -> io::Result<()> {
        let result = self
            .run(false, move |f, back| {
                seek_by(f, back)?;
                f.set_len(size)
            })
            .await;
        if result.is_ok() {
            self.shared.lock().write_err = None;
        }
        result
    }

    /// The file's metadata, as [`std::fs::File::metadata`] (after the
    /// buffered writes, so the length counts them).
    ///
    /// ```
    /// # guillotine::runtime::Runtime::new().unwrap().block_on(async {
    /// let file = guillotine::fs::File::open("Cargo.toml").await?;
    /// assert!(file.metadata().await?.len() > 0);
    /// # Ok::<_, std::io::Error>(()) }).unwrap();
    /// ```
    pub async fn metadata(&self) -> io::Result<Metadata> {
        self.run(false, |f, back| {
            seek_by(f, back)?;
            f.metadata()
        })
        .await
    }

    /// A new `File` for the same open file (a `dup`), as
    /// [`std::fs::File::try_clone`]; it shares the position.
    ///
    /// ```
    /// # guillotine::runtime::Runtime::new().unwrap().block_on(async {
    /// let file = guillotine::fs::File::open("Cargo.toml").await?;
    /// let other = file.try_clone().await?;
    /// assert_eq!(other.metadata().await?.len(), file.metadata().await?.len());
    /// # Ok::<_, std::io::Error>(()) }).unwrap();
    /// ```
    pub async fn try_clone(&self) -> io::Result<File> {
        let std = self
            .run(false, |f, back| {
                seek_by(f, back)?;
                f.try_clone()
            })
            .await?;
        Ok(File::from_std(std))
    }

    /// Sets the file's permissions, as
    /// [`std::fs::File::set_permissions`].
    ///
    /// ```
    /// use std::os::unix::fs::PermissionsExt;
    /// # guillotine::runtime::Runtime::new().unwrap().block_on(async {
    /// let path = std::env::temp_dir().join(format!("guillotine-fchmod-{}", std::process::id()));
    /// let file = guillotine::fs::File::create(&path).await?;
    /// file.set_permissions(std::fs::Permissions::from_mode(0o600)).await?;
    /// assert_eq!(file.metadata().await?.permissions().mode() & 0o777, 0o600);
    /// guillotine::fs::remove_file(&path).await?;
    /// # Ok::<_, std::io::Error>(()) }).unwrap();
    /// ```
    pub async fn set_permissions(&self, perm: Permissions) -> io::Result<()> {
        self.run(false, move |f, back| {
            seek_by(f, back)?;
            f.set_permissions(perm)
        })
        .await
    }

    /// Waits for the buffered writes, then returns the `std::fs::File`
    /// positioned where this file's reads and writes left off, as tokio's.
    /// A kept write error is lost; use [`close`](Self::close) to see it.
    ///
    /// ```
    /// # guillotine::runtime::Runtime::new().unwrap().block_on(async {
    /// let file = guillotine::fs::File::open("Cargo.toml").await?;
    /// let std: std::fs::File = file.into_std().await;
    /// assert!(std.metadata()?.is_file());
    /// # Ok::<_, std::io::Error>(()) }).unwrap();
    /// ```
    pub async fn into_std(self) -> StdFile {
        let seek_back = self.wait_idle().await;
        let std = self.std;
        let job = spawn_blocking(move || {
            let file = unwrap_file(std);
            // As tokio: a failed repositioning leaves the position as is.
            let _ = seek_by(&file, seek_back);
            file
        });
        job.await
            .expect("the runtime shut down while `File::into_std` waited")
    }

    /// The `std::fs::File`, if no operation is in flight and nothing is
    /// buffered; else the `File` back, as tokio's.
    ///
    /// ```
    /// # guillotine::runtime::Runtime::new().unwrap().block_on(async {
    /// let file = guillotine::fs::File::open("Cargo.toml").await?;
    /// let std = file.try_into_std().expect("idle");
    /// # drop(std);
    /// # Ok::<_, std::io::Error>(()) }).unwrap();
    /// ```
    #[allow(clippy::result_large_err, reason = "tokio's signature")]
    pub fn try_into_std(mut self) -> Result<StdFile, File> {
        {
            let inner = self.shared.lock();
            if !inner.is_idle() || inner.unread() > 0 || inner.seek_before_write != 0 {
                drop(inner);
                return Err(self);
            }
        }
        match Arc::try_unwrap(self.std) {
            Ok(std) => Ok(std),
            Err(std) => {
                self.std = std;
                Err(self)
            }
        }
    }

    /// Waits until no job runs and nothing is buffered; drops the
    /// read-ahead and returns the seek that undoes it.
    async fn wait_idle(&self) -> i64 {
        poll_fn(|cx| {
            let mut inner = self.shared.lock();
            if !inner.is_idle() {
                inner.register(cx);
                return Poll::Pending;
            }
            Poll::Ready(inner.take_seek_back())
        })
        .await
    }

    /// Flushes, then closes the file on the pool, reporting what went
    /// wrong: a kept write error (see [`File`]), else the error of
    /// `close(2)` itself (on NFS, a failed write-back). Dropping a `File`
    /// loses both, as with std.
    ///
    /// ```
    /// use guillotine::io::AsyncWriteExt;
    /// # guillotine::runtime::Runtime::new().unwrap().block_on(async {
    /// let mut full = guillotine::fs::OpenOptions::new().write(true).open("/dev/full").await?;
    /// full.write_all(b"lost?").await?; // buffered: Ok
    /// let err = full.close().await.unwrap_err();
    /// assert_eq!(err.raw_os_error(), Some(libc::ENOSPC));
    /// # Ok::<_, std::io::Error>(()) }).unwrap();
    /// ```
    pub async fn close(self) -> io::Result<()> {
        self.wait_idle().await;
        let write_err = {
            let mut inner = self.shared.lock();
            inner.op();
            inner.hops += 1;
            inner.write_err()
        };
        let std = self.std;
        let closed = spawn_blocking(move || crate::sys::close(OwnedFd::from(unwrap_file(std))))
            .await
            .map_err(job_failed);
        match write_err {
            Some(e) => Err(e),
            None => closed?,
        }
    }

    /// `(operations, pool jobs)` of this file so far, for tests and
    /// benchmarks.
    #[doc(hidden)]
    pub fn __pool_stats(&self) -> (u64, u64) {
        let inner = self.shared.lock();
        (inner.ops, inner.hops)
    }

    /// Starts a job of kind `job` running `f` (the lock is held: `busy` is
    /// set before anyone else looks).
    fn start(
        &self,
        inner: &mut Inner,
        job: Job,
        f: impl FnOnce(&StdFile, JobGuard) + Send + 'static,
    ) {
        inner.busy = Some(job);
        inner.hops += 1;
        let guard = JobGuard {
            shared: Arc::clone(&self.shared),
            job,
            armed: true,
        };
        let std = Arc::clone(&self.std);
        // The handle is dropped: the job reports through `Inner`.
        drop(spawn_blocking(move || f(&std, guard)));
    }

    fn poll_read_priv(&self, cx: &mut Context<'_>, dst: &mut [u8]) -> Poll<io::Result<usize>> {
        let mut inner = self.shared.lock();
        if inner.busy != Some(Job::Seek) {
            // A seek result nobody claimed: its caller gave up.
            inner.seek_result = None;
        }
        if let Some(e) = inner.unreported_write_err() {
            return Poll::Ready(Err(e));
        }
        if inner.read_pos == inner.read_buf.len() && !inner.next_buf.is_empty() {
            // Move on to the prefetched piece.
            let next = std::mem::take(&mut inner.next_buf);
            inner.spare = std::mem::replace(&mut inner.read_buf, next);
            inner.read_pos = 0;
        }
        if inner.read_pos < inner.read_buf.len() {
            let start = inner.read_pos;
            let n = dst.len().min(inner.read_buf.len() - start);
            dst[..n].copy_from_slice(&inner.read_buf[start..start + n]);
            inner.read_pos += n;
            inner.op();
            // Streaming (the last job filled its buffer): fetch the next
            // piece while the caller reads this one.
            let unread = inner.unread();
            if inner.read_ahead > 0
                && unread < inner.read_ahead / 2
                && inner.is_idle()
                && inner.next_buf.is_empty()
                && inner.seek_before_write == 0
                && !inner.read_eof
                && inner.read_err.is_none()
            {
                self.start_read(&mut inner, 0);
            }
            return Poll::Ready(Ok(n));
        }
        if let Some(e) = inner.read_err.take() {
            return Poll::Ready(Err(e));
        }
        if inner.read_eof {
            inner.read_eof = false;
            inner.op();
            return Poll::Ready(Ok(0));
        }
        if !inner.is_idle() {
            inner.register(cx);
            return Poll::Pending;
        }
        if dst.is_empty() {
            return Poll::Ready(Ok(0));
        }
        self.start_read(&mut inner, dst.len());
        inner.register(cx);
        Poll::Pending
    }

    /// Starts a read job for at least `want` bytes (and the read-ahead),
    /// whose bytes join the unread ones in `read_buf`.
    fn start_read(&self, inner: &mut Inner, want: usize) {
        let ahead = inner.read_ahead.max(READ_AHEAD);
        let len = want.max(ahead).min(self.max_buf_size);
        let back = std::mem::take(&mut inner.seek_before_write);
        // Not cleared between jobs: only growth is zero-filled.
        let mut buf = std::mem::take(&mut inner.spare);
        self.start(inner, Job::Read, move |mut file, guard| {
            buf.resize(len, 0);
            let result = seek_by(file, back).and_then(|()| {
                loop {
                    match file.read(&mut buf[..len]) {
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        other => break other,
                    }
                }
            });
            guard.finish(|inner| match result {
                Ok(n) => {
                    if n == len {
                        inner.read_ahead = (ahead * 2).min(MAX_READ_AHEAD);
                    }
                    inner.read_eof = n == 0;
                    buf.truncate(n);
                    if inner.next_buf.is_empty() && inner.read_pos >= inner.read_buf.len() {
                        inner.spare = std::mem::replace(&mut inner.read_buf, buf);
                        inner.read_pos = 0;
                    } else if inner.next_buf.is_empty() {
                        // Behind the bytes the caller has yet to read.
                        inner.next_buf = buf;
                    } else {
                        inner.next_buf.extend_from_slice(&buf);
                        inner.spare = buf;
                    }
                }
                Err(e) => {
                    inner.read_err = Some(e);
                    inner.spare = buf;
                }
            });
        });
    }

    fn poll_write_priv(&self, cx: &mut Context<'_>, src: &[u8]) -> Poll<io::Result<usize>> {
        let mut inner = self.shared.lock();
        if inner.busy != Some(Job::Seek) {
            inner.seek_result = None;
        }
        if let Some(e) = inner.write_err() {
            return Poll::Ready(Err(e));
        }
        if inner.unread() > 0 || inner.read_eof {
            // Read-ahead: the OS position is past the caller's. Write
            // where the caller is, once the read job (if any) is done.
            if inner.busy.is_some() {
                inner.register(cx);
                return Poll::Pending;
            }
            inner.seek_before_write = inner.take_seek_back();
            inner.read_ahead = 0;
        }
        if src.is_empty() {
            return Poll::Ready(Ok(0));
        }
        let room = self.max_buf_size.saturating_sub(inner.pending.len());
        match inner.busy {
            // The running write job takes these bytes before it ends.
            Some(Job::Write) if room > 0 => {}
            None => {}
            Some(_) => {
                inner.register(cx);
                return Poll::Pending;
            }
        }
        if room == 0 {
            inner.register(cx);
            return Poll::Pending;
        }
        let n = src.len().min(room);
        inner.pending.extend_from_slice(&src[..n]);
        inner.op();
        if inner.busy.is_none() {
            let seek_back = std::mem::take(&mut inner.seek_before_write);
            let shared = Arc::clone(&self.shared);
            self.start(&mut inner, Job::Write, move |file, guard| {
                drain(file, &shared, guard, seek_back);
            });
        }
        Poll::Ready(Ok(n))
    }

    fn poll_flush_priv(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut inner = self.shared.lock();
        if !inner.is_idle() {
            inner.register(cx);
            return Poll::Pending;
        }
        match inner.write_err() {
            Some(e) => Poll::Ready(Err(e)),
            None => Poll::Ready(Ok(())),
        }
    }

    fn poll_seek_priv(&self, cx: &mut Context<'_>, pos: SeekFrom) -> Poll<io::Result<u64>> {
        let mut inner = self.shared.lock();
        if inner.busy == Some(Job::Seek) {
            inner.register(cx);
            return Poll::Pending;
        }
        match inner.seek_result.take() {
            Some((asked, result)) if asked == pos => return Poll::Ready(result),
            // A seek whose caller gave up (the future was dropped).
            Some(_) | None => {}
        }
        if let Some(e) = inner.unreported_write_err() {
            return Poll::Ready(Err(e));
        }
        if !inner.is_idle() {
            inner.register(cx);
            return Poll::Pending;
        }
        let back = inner.take_seek_back();
        inner.read_ahead = 0;
        let asked = pos;
        let pos = match pos {
            SeekFrom::Current(n) => SeekFrom::Current(n + back),
            other => other,
        };
        inner.op();
        // Reported as a shutdown error if the job never runs.
        inner.seek_result = Some((asked, Err(shut_down())));
        self.start(&mut inner, Job::Seek, move |mut file, guard| {
            let result = file.seek(pos);
            guard.finish(|inner| {
                if result.is_ok() {
                    inner.write_err = None;
                }
                inner.seek_result = Some((asked, result));
            });
        });
        inner.register(cx);
        Poll::Pending
    }
}

/// Moves the OS position by `by` bytes, if any.
fn seek_by(mut file: &StdFile, by: i64) -> io::Result<()> {
    if by != 0 {
        file.seek(SeekFrom::Current(by))?;
    }
    Ok(())
}

/// The write job: writes `pending` until it stays empty (blocking).
fn drain(mut file: &StdFile, shared: &Shared, guard: JobGuard, seek_back: i64) {
    let mut buf = Vec::new();
    let mut result = seek_by(file, seek_back);
    while result.is_ok() {
        let mut inner = shared.lock();
        if inner.pending.is_empty() {
            // Keep the larger allocation for the next writes.
            if inner.pending.capacity() < buf.capacity() {
                buf.clear();
                inner.pending = buf;
            }
            // `busy` is cleared under this lock: a write that sees the job
            // running leaves its bytes to it, so none may come in between.
            guard.finish_locked(inner);
            return;
        }
        std::mem::swap(&mut buf, &mut inner.pending);
        // Writers waiting for room may go on.
        let waiters = std::mem::take(&mut inner.waiters);
        drop(inner);
        waiters.into_iter().for_each(Waker::wake);
        result = file.write_all(&buf);
        buf.clear();
    }
    let e = result.expect_err("the loop ends on an error");
    guard.finish(|inner| {
        inner.pending.clear();
        inner.write_err = Some(StoredError::new(&e));
        inner.write_err_reported = false;
    });
}

impl futures_io::AsyncRead for File {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.poll_read_priv(cx, buf)
    }
}

impl futures_io::AsyncWrite for File {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.poll_write_priv(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_flush_priv(cx)
    }

    /// Flushes; the file stays open until dropped or
    /// [`close`](File::close)d.
    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_flush_priv(cx)
    }
}

impl futures_io::AsyncSeek for File {
    fn poll_seek(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        pos: SeekFrom,
    ) -> Poll<io::Result<u64>> {
        self.poll_seek_priv(cx, pos)
    }
}

#[cfg(feature = "tokio-io")]
impl tokio::io::AsyncRead for File {
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

#[cfg(feature = "tokio-io")]
impl tokio::io::AsyncWrite for File {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.poll_write_priv(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_flush_priv(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_flush_priv(cx)
    }
}

#[cfg(feature = "tokio-io")]
impl tokio::io::AsyncSeek for File {
    fn start_seek(mut self: Pin<&mut Self>, position: SeekFrom) -> io::Result<()> {
        if self.seek_request.is_some() {
            return Err(io::Error::other(
                "other file operation is pending, call poll_complete before start_seek",
            ));
        }
        self.seek_request = Some(position);
        Ok(())
    }

    fn poll_complete(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<u64>> {
        let pos = self.seek_request.unwrap_or(SeekFrom::Current(0));
        let result = std::task::ready!(self.poll_seek_priv(cx, pos));
        self.seek_request = None;
        Poll::Ready(result)
    }
}

impl From<StdFile> for File {
    fn from(std: StdFile) -> File {
        File::from_std(std)
    }
}

impl AsFd for File {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.std.as_fd()
    }
}

impl AsRawFd for File {
    fn as_raw_fd(&self) -> RawFd {
        self.std.as_raw_fd()
    }
}

impl std::os::fd::FromRawFd for File {
    /// # Safety
    /// `fd` is an open descriptor that nothing else owns, as for
    /// [`FromRawFd::from_raw_fd`](std::os::fd::FromRawFd::from_raw_fd) on `std::fs::File`.
    unsafe fn from_raw_fd(fd: RawFd) -> File {
        // SAFETY: the caller promises what std's `from_raw_fd` requires.
        File::from_std(unsafe { StdFile::from_raw_fd(fd) })
    }
}
