//! Files and directories, as tokio's `fs`: every function runs its blocking
//! `std::fs` call on the runtime's blocking pool (one pool job per call),
//! and [`File`] is an async reader, writer and seeker whose operations run
//! there too.
//!
//! ```
//! let rt = guillotine::runtime::Runtime::new().unwrap();
//! rt.block_on(async {
//!     let dir = std::env::temp_dir().join(format!("guillotine-fs-doc-{}", std::process::id()));
//!     guillotine::fs::create_dir_all(&dir).await?;
//!     let path = dir.join("hello.txt");
//!     guillotine::fs::write(&path, "hello").await?;
//!     assert_eq!(guillotine::fs::read_to_string(&path).await?, "hello");
//!     let mut names = Vec::new();
//!     let mut entries = guillotine::fs::read_dir(&dir).await?;
//!     while let Some(entry) = entries.next_entry().await? {
//!         names.push(entry.file_name());
//!     }
//!     assert_eq!(names, ["hello.txt"]);
//!     guillotine::fs::remove_dir_all(&dir).await?;
//!     Ok::<_, std::io::Error>(())
//! }).unwrap();
//! ```
//!
//! # Fewer hops than tokio
//!
//! A pool job (a *hop*) costs a thread handoff each way, much more than a
//! small `read(2)`. Where tokio pays one per call, guillotine shares them:
//!
//! - [`ReadDir`] fetches up to 256 entries per job (with their file types,
//!   which need no further call), so a directory of 1,000 entries costs 4
//!   jobs, not 1,000.
//! - [`File`] writes return once the bytes are buffered; writes made while a
//!   job is writing join a second buffer that the same job drains before it
//!   ends, so a stream of small writes costs about one job, not one each.
//! - [`DirEntry::metadata`] fetches, in the same job, the metadata of the
//!   entries after it in its chunk: a `du`-style walk costs a job per
//!   chunk, not one per entry.
//! - [`File`] reads ahead (64 KiB, doubling to 1 MiB while reads stay
//!   sequential, bounded by [`set_max_buf_size`](File::set_max_buf_size)),
//!   so 4 KiB reads cost one job per 16 or more of them.
//!
//! # Errors are never lost
//!
//! See [`File`]: a failed background write is reported by the next call,
//! and by every later write, `flush` and [`close`](File::close) until the
//! file is repositioned (tokio reports it once, then a retried `flush`
//! returns `Ok` although the data is gone).

mod file;
mod open_options;
mod read_dir;

use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

pub use file::File;
pub use open_options::OpenOptions;
pub use read_dir::{DirEntry, ReadDir};

use crate::runtime::context;
use crate::task::JoinHandle;

const NO_RUNTIME: &str = "must be called from the context of a guillotine runtime (inside \
                          `Runtime::block_on` or a task running on one): it runs on the \
                          runtime's blocking pool";

/// Pool jobs started by this module, process-wide.
static HOPS: AtomicU64 = AtomicU64::new(0);
/// Operations those jobs carried out for callers (a `File` write, a
/// directory entry, a whole `fs::read`, ...).
static OPS: AtomicU64 = AtomicU64::new(0);

/// `(operations, pool jobs)` counted by this module since the process
/// started, for tests and benchmarks: their ratio is the operations per hop.
#[doc(hidden)]
pub fn __pool_stats() -> (u64, u64) {
    (OPS.load(Ordering::Relaxed), HOPS.load(Ordering::Relaxed))
}

pub(crate) fn count_ops(n: u64) {
    OPS.fetch_add(n, Ordering::Relaxed);
}

/// Starts `f` on the current runtime's blocking pool (one hop).
#[track_caller]
pub(crate) fn spawn_blocking<F, R>(f: F) -> JoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    let Some(shared) = context::handle() else {
        panic!("`guillotine::fs` {NO_RUNTIME}");
    };
    HOPS.fetch_add(1, Ordering::Relaxed);
    shared.spawn_blocking(f)
}

/// The error of a pool job that never ran (the runtime shut down) or
/// panicked.
pub(crate) fn job_failed(e: crate::task::JoinError) -> io::Error {
    if e.is_panic() {
        io::Error::other("a blocking fs operation panicked")
    } else {
        io::Error::other("the runtime shut down before a blocking fs operation ran")
    }
}

/// Runs one `std::fs` call on the blocking pool.
async fn asyncify<F, T>(f: F) -> io::Result<T>
where
    F: FnOnce() -> io::Result<T> + Send + 'static,
    T: Send + 'static,
{
    count_ops(1);
    spawn_blocking(f).await.map_err(job_failed)?
}

macro_rules! path_fn {
    ($(#[$doc:meta])* $name:ident($($arg:ident),*) -> $ret:ty = $std:path) => {
        $(#[$doc])*
        pub async fn $name($($arg: impl AsRef<Path>),*) -> io::Result<$ret> {
            $(let $arg = $arg.as_ref().to_owned();)*
            asyncify(move || $std($(&$arg),*)).await
        }
    };
}

path_fn! {
    /// Reads a whole file into a vector, as [`std::fs::read`].
    ///
    /// ```
    /// # guillotine::runtime::Runtime::new().unwrap().block_on(async {
    /// let bytes = guillotine::fs::read("Cargo.toml").await?;
    /// assert!(bytes.starts_with(b"[package]"));
    /// # Ok::<_, std::io::Error>(()) }).unwrap();
    /// ```
    read(path) -> Vec<u8> = std::fs::read
}

path_fn! {
    /// Reads a whole file into a string, as [`std::fs::read_to_string`].
    ///
    /// ```
    /// # guillotine::runtime::Runtime::new().unwrap().block_on(async {
    /// let text = guillotine::fs::read_to_string("Cargo.toml").await?;
    /// assert!(text.contains("guillotine"));
    /// # Ok::<_, std::io::Error>(()) }).unwrap();
    /// ```
    read_to_string(path) -> String = std::fs::read_to_string
}

/// Writes `contents` as the whole of a file, creating or truncating it, as
/// [`std::fs::write`].
///
/// ```
/// # guillotine::runtime::Runtime::new().unwrap().block_on(async {
/// let path = std::env::temp_dir().join(format!("guillotine-write-{}", std::process::id()));
/// guillotine::fs::write(&path, b"abc").await?;
/// assert_eq!(guillotine::fs::read(&path).await?, b"abc");
/// guillotine::fs::remove_file(&path).await?;
/// # Ok::<_, std::io::Error>(()) }).unwrap();
/// ```
pub async fn write(path: impl AsRef<Path>, contents: impl AsRef<[u8]>) -> io::Result<()> {
    let path = path.as_ref().to_owned();
    let contents = contents.as_ref().to_owned();
    asyncify(move || std::fs::write(path, contents)).await
}

path_fn! {
    /// A path's metadata, following symlinks, as [`std::fs::metadata`].
    ///
    /// ```
    /// # guillotine::runtime::Runtime::new().unwrap().block_on(async {
    /// assert!(guillotine::fs::metadata("src").await?.is_dir());
    /// # Ok::<_, std::io::Error>(()) }).unwrap();
    /// ```
    metadata(path) -> std::fs::Metadata = std::fs::metadata
}

path_fn! {
    /// A path's metadata, not following a final symlink, as
    /// [`std::fs::symlink_metadata`].
    ///
    /// ```
    /// # guillotine::runtime::Runtime::new().unwrap().block_on(async {
    /// assert!(guillotine::fs::symlink_metadata("Cargo.toml").await?.is_file());
    /// # Ok::<_, std::io::Error>(()) }).unwrap();
    /// ```
    symlink_metadata(path) -> std::fs::Metadata = std::fs::symlink_metadata
}

path_fn! {
    /// Creates a directory, as [`std::fs::create_dir`].
    ///
    /// ```
    /// # guillotine::runtime::Runtime::new().unwrap().block_on(async {
    /// let dir = std::env::temp_dir().join(format!("guillotine-mkdir-{}", std::process::id()));
    /// guillotine::fs::create_dir(&dir).await?;
    /// guillotine::fs::remove_dir(&dir).await?;
    /// # Ok::<_, std::io::Error>(()) }).unwrap();
    /// ```
    create_dir(path) -> () = std::fs::create_dir
}

path_fn! {
    /// Creates a directory and its missing parents, as
    /// [`std::fs::create_dir_all`].
    ///
    /// ```
    /// # guillotine::runtime::Runtime::new().unwrap().block_on(async {
    /// let top = std::env::temp_dir().join(format!("guillotine-mkdirs-{}", std::process::id()));
    /// guillotine::fs::create_dir_all(top.join("a/b")).await?;
    /// guillotine::fs::remove_dir_all(&top).await?;
    /// # Ok::<_, std::io::Error>(()) }).unwrap();
    /// ```
    create_dir_all(path) -> () = std::fs::create_dir_all
}

path_fn! {
    /// Removes a file, as [`std::fs::remove_file`].
    ///
    /// ```
    /// # guillotine::runtime::Runtime::new().unwrap().block_on(async {
    /// let err = guillotine::fs::remove_file("/no/such/file").await.unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
    /// # });
    /// ```
    remove_file(path) -> () = std::fs::remove_file
}

path_fn! {
    /// Removes an empty directory, as [`std::fs::remove_dir`].
    ///
    /// ```
    /// # guillotine::runtime::Runtime::new().unwrap().block_on(async {
    /// let err = guillotine::fs::remove_dir("/no/such/dir").await.unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
    /// # });
    /// ```
    remove_dir(path) -> () = std::fs::remove_dir
}

path_fn! {
    /// Removes a directory and everything in it, as
    /// [`std::fs::remove_dir_all`] (one pool job for the whole tree).
    ///
    /// ```
    /// # guillotine::runtime::Runtime::new().unwrap().block_on(async {
    /// let top = std::env::temp_dir().join(format!("guillotine-rmtree-{}", std::process::id()));
    /// guillotine::fs::create_dir_all(top.join("x")).await?;
    /// guillotine::fs::write(top.join("x/f"), "f").await?;
    /// guillotine::fs::remove_dir_all(&top).await?;
    /// assert!(!guillotine::fs::try_exists(&top).await?);
    /// # Ok::<_, std::io::Error>(()) }).unwrap();
    /// ```
    remove_dir_all(path) -> () = std::fs::remove_dir_all
}

path_fn! {
    /// Renames a file or directory, replacing `to` if it is a file, as
    /// [`std::fs::rename`].
    ///
    /// ```
    /// # guillotine::runtime::Runtime::new().unwrap().block_on(async {
    /// let from = std::env::temp_dir().join(format!("guillotine-mv-a-{}", std::process::id()));
    /// let to = from.with_extension("b");
    /// guillotine::fs::write(&from, "x").await?;
    /// guillotine::fs::rename(&from, &to).await?;
    /// guillotine::fs::remove_file(&to).await?;
    /// # Ok::<_, std::io::Error>(()) }).unwrap();
    /// ```
    rename(from, to) -> () = std::fs::rename
}

path_fn! {
    /// Copies a file's contents and permissions, returning the bytes
    /// copied, as [`std::fs::copy`] (which uses `copy_file_range`, so the
    /// data need not pass through this process).
    ///
    /// ```
    /// # guillotine::runtime::Runtime::new().unwrap().block_on(async {
    /// let to = std::env::temp_dir().join(format!("guillotine-cp-{}", std::process::id()));
    /// let n = guillotine::fs::copy("Cargo.toml", &to).await?;
    /// assert_eq!(n, std::fs::metadata("Cargo.toml")?.len());
    /// guillotine::fs::remove_file(&to).await?;
    /// # Ok::<_, std::io::Error>(()) }).unwrap();
    /// ```
    copy(from, to) -> u64 = std::fs::copy
}

path_fn! {
    /// The absolute path with every symlink resolved, as
    /// [`std::fs::canonicalize`].
    ///
    /// ```
    /// # guillotine::runtime::Runtime::new().unwrap().block_on(async {
    /// assert!(guillotine::fs::canonicalize(".").await?.is_absolute());
    /// # Ok::<_, std::io::Error>(()) }).unwrap();
    /// ```
    canonicalize(path) -> PathBuf = std::fs::canonicalize
}

path_fn! {
    /// Makes `link` a new name for the file `original`, as
    /// [`std::fs::hard_link`].
    ///
    /// ```
    /// # guillotine::runtime::Runtime::new().unwrap().block_on(async {
    /// let a = std::env::temp_dir().join(format!("guillotine-ln-{}", std::process::id()));
    /// let b = a.with_extension("link");
    /// guillotine::fs::write(&a, "x").await?;
    /// guillotine::fs::hard_link(&a, &b).await?;
    /// assert_eq!(guillotine::fs::read(&b).await?, b"x");
    /// guillotine::fs::remove_file(&a).await?;
    /// guillotine::fs::remove_file(&b).await?;
    /// # Ok::<_, std::io::Error>(()) }).unwrap();
    /// ```
    hard_link(original, link) -> () = std::fs::hard_link
}

path_fn! {
    /// What a symbolic link points to, as [`std::fs::read_link`].
    ///
    /// ```
    /// # guillotine::runtime::Runtime::new().unwrap().block_on(async {
    /// let link = std::env::temp_dir().join(format!("guillotine-readlink-{}", std::process::id()));
    /// guillotine::fs::symlink("/tmp", &link).await?;
    /// assert_eq!(guillotine::fs::read_link(&link).await?, std::path::Path::new("/tmp"));
    /// guillotine::fs::remove_file(&link).await?;
    /// # Ok::<_, std::io::Error>(()) }).unwrap();
    /// ```
    read_link(path) -> PathBuf = std::fs::read_link
}

path_fn! {
    /// Creates a symbolic link `link` pointing at `original`, as
    /// [`std::os::unix::fs::symlink`].
    ///
    /// ```
    /// # guillotine::runtime::Runtime::new().unwrap().block_on(async {
    /// let link = std::env::temp_dir().join(format!("guillotine-symlink-{}", std::process::id()));
    /// guillotine::fs::symlink("Cargo.toml", &link).await?;
    /// assert!(guillotine::fs::symlink_metadata(&link).await?.file_type().is_symlink());
    /// guillotine::fs::remove_file(&link).await?;
    /// # Ok::<_, std::io::Error>(()) }).unwrap();
    /// ```
    symlink(original, link) -> () = std::os::unix::fs::symlink
}

/// Sets a path's permissions, as [`std::fs::set_permissions`].
///
/// ```
/// use std::os::unix::fs::PermissionsExt;
/// # guillotine::runtime::Runtime::new().unwrap().block_on(async {
/// let path = std::env::temp_dir().join(format!("guillotine-chmod-{}", std::process::id()));
/// guillotine::fs::write(&path, "x").await?;
/// guillotine::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).await?;
/// let mode = guillotine::fs::metadata(&path).await?.permissions().mode();
/// assert_eq!(mode & 0o777, 0o600);
/// guillotine::fs::remove_file(&path).await?;
/// # Ok::<_, std::io::Error>(()) }).unwrap();
/// ```
pub async fn set_permissions(path: impl AsRef<Path>, perm: std::fs::Permissions) -> io::Result<()> {
    let path = path.as_ref().to_owned();
    asyncify(move || std::fs::set_permissions(path, perm)).await
}

path_fn! {
    /// Whether a path exists: `Ok(false)` for a missing path or a broken
    /// symlink, an error when that cannot be known (permission denied), as
    /// [`std::fs::exists`].
    ///
    /// ```
    /// # guillotine::runtime::Runtime::new().unwrap().block_on(async {
    /// assert!(guillotine::fs::try_exists("Cargo.toml").await?);
    /// assert!(!guillotine::fs::try_exists("/no/such/file").await?);
    /// # Ok::<_, std::io::Error>(()) }).unwrap();
    /// ```
    try_exists(path) -> bool = std::fs::exists
}

/// A directory's entries, fetched in chunks (see [`ReadDir`]); as
/// [`std::fs::read_dir`].
///
/// ```
/// # guillotine::runtime::Runtime::new().unwrap().block_on(async {
/// let mut entries = guillotine::fs::read_dir("src").await?;
/// let mut found = false;
/// while let Some(entry) = entries.next_entry().await? {
///     found |= entry.file_name() == "lib.rs";
/// }
/// assert!(found);
/// # Ok::<_, std::io::Error>(()) }).unwrap();
/// ```
pub async fn read_dir(path: impl AsRef<Path>) -> io::Result<ReadDir> {
    let path = path.as_ref().to_owned();
    // Opening and the first chunk share one job.
    asyncify(move || ReadDir::open(&path)).await
}
