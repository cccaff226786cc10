//! [`ReadDir`] and [`DirEntry`]: a directory listing read on the blocking
//! pool in chunks of [`CHUNK`] entries, each with its file type.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::fs::{FileType, Metadata};
use std::future::{Future, poll_fn};
use std::io;
use std::os::unix::fs::DirEntryExt;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, ready};

use super::{asyncify, count_ops, job_failed, spawn_blocking};
use crate::task::JoinHandle;

/// Entries fetched per pool job (tokio fetches 32).
const CHUNK: usize = 256;

/// The entries of a directory, from [`read_dir`](super::read_dir).
///
/// Each pool job reads up to 256 entries, with their file types (the
/// kernel returns those with the names, so [`DirEntry::file_type`] needs no
/// further job): a directory of 1,000 entries costs 4 jobs where tokio
/// pays 32.
///
/// ```
/// # guillotine::runtime::Runtime::new().unwrap().block_on(async {
/// let mut entries = guillotine::fs::read_dir("src").await?;
/// while let Some(entry) = entries.next_entry().await? {
///     if entry.file_type().await?.is_dir() {
///         assert!(entry.path().starts_with("src"));
///     }
/// }
/// # Ok::<_, std::io::Error>(()) }).unwrap();
/// ```
#[derive(Debug)]
#[must_use = "a ReadDir does nothing unless its entries are read"]
pub struct ReadDir {
    state: State,
    /// Pool jobs this listing has used, and entries it has returned.
    hops: u64,
    entries: u64,
}

#[derive(Debug)]
enum State {
    Idle(Chunk),
    Fetching(JoinHandle<Chunk>),
}

/// Fetched entries not yet returned, and the listing to fetch more from
/// (`None` once it ended or failed).
#[derive(Debug)]
struct Chunk {
    ready: VecDeque<io::Result<DirEntry>>,
    std: Option<std::fs::ReadDir>,
}

impl Chunk {
    /// Reads up to [`CHUNK`] more entries (blocking).
    fn fill(mut self) -> Chunk {
        if let Some(std) = &mut self.std {
            let mut entries = Vec::with_capacity(CHUNK);
            let mut error = None;
            for _ in 0..CHUNK {
                match std.next() {
                    Some(Ok(entry)) => entries.push(entry),
                    Some(Err(e)) => {
                        error = Some(e);
                        break;
                    }
                    None => break,
                }
            }
            if entries.len() < CHUNK {
                self.std = None;
            }
            count_ops(entries.len() as u64);
            let batch = Arc::new(Batch {
                metadata: Mutex::new(Vec::new()),
                entries: entries.into_iter().map(Arc::new).collect(),
            });
            for (index, entry) in batch.entries.iter().enumerate() {
                self.ready.push_back(Ok(DirEntry {
                    file_type: entry.file_type().ok(),
                    std: Arc::clone(entry),
                    batch: Arc::clone(&batch),
                    index,
                }));
            }
            if let Some(e) = error {
                self.ready.push_back(Err(e));
            }
        }
        self
    }
}

/// The entries of one chunk, so that the first [`DirEntry::metadata`]
/// call fetches the metadata of the entries after it in the same job.
#[derive(Debug)]
struct Batch {
    entries: Vec<Arc<std::fs::DirEntry>>,
    /// Metadata fetched ahead, by index; each is taken by one call.
    metadata: Mutex<Vec<Option<Metadata>>>,
}

impl Batch {
    /// The metadata of entry `index`, and of the later entries not yet
    /// fetched, stored for their own calls (blocking).
    fn fetch_from(&self, index: usize) -> io::Result<Metadata> {
        let own = self.entries[index].metadata();
        let mut ahead = Vec::with_capacity(self.entries.len());
        ahead.resize(index + 1, None);
        ahead.extend(self.entries[index + 1..].iter().map(|e| e.metadata().ok()));
        count_ops(ahead.len().saturating_sub(index + 1) as u64);
        let mut metadata = self.metadata.lock().unwrap_or_else(PoisonError::into_inner);
        if metadata.len() < ahead.len() {
            metadata.resize(ahead.len(), None);
        }
        for (slot, m) in metadata.iter_mut().zip(ahead).skip(index + 1) {
            if slot.is_none() {
                *slot = m;
            }
        }
        own
    }

    /// Takes entry `index`'s metadata if it was fetched ahead.
    fn take(&self, index: usize) -> Option<Metadata> {
        let mut metadata = self.metadata.lock().unwrap_or_else(PoisonError::into_inner);
        metadata.get_mut(index)?.take()
    }
}

impl ReadDir {
    /// Opens `path` and reads its first chunk (blocking: runs in the job of
    /// [`read_dir`](super::read_dir)).
    pub(super) fn open(path: &Path) -> io::Result<ReadDir> {
        let std = std::fs::read_dir(path)?;
        let chunk = Chunk {
            ready: VecDeque::with_capacity(CHUNK),
            std: Some(std),
        }
        .fill();
        Ok(ReadDir {
            state: State::Idle(chunk),
            hops: 1,
            entries: 0,
        })
    }

    /// The next entry; `None` at the end of the directory. Cancel safe.
    ///
    /// ```
    /// # guillotine::runtime::Runtime::new().unwrap().block_on(async {
    /// let mut entries = guillotine::fs::read_dir("src").await?;
    /// assert!(entries.next_entry().await?.is_some());
    /// # Ok::<_, std::io::Error>(()) }).unwrap();
    /// ```
    pub async fn next_entry(&mut self) -> io::Result<Option<DirEntry>> {
        poll_fn(|cx| self.poll_next_entry(cx)).await
    }

    /// Polls for the next entry, as [`next_entry`](Self::next_entry);
    /// `cx`'s waker is woken when a chunk arrives.
    ///
    /// ```
    /// # guillotine::runtime::Runtime::new().unwrap().block_on(async {
    /// let mut entries = guillotine::fs::read_dir("src").await?;
    /// let first = std::future::poll_fn(|cx| entries.poll_next_entry(cx)).await?;
    /// assert!(first.is_some());
    /// # Ok::<_, std::io::Error>(()) }).unwrap();
    /// ```
    pub fn poll_next_entry(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<Option<DirEntry>>> {
        loop {
            match &mut self.state {
                State::Idle(chunk) => {
                    if let Some(entry) = chunk.ready.pop_front() {
                        self.entries += 1;
                        return Poll::Ready(entry.map(Some));
                    }
                    if chunk.std.is_none() {
                        return Poll::Ready(Ok(None));
                    }
                    let chunk = std::mem::replace(
                        chunk,
                        Chunk {
                            ready: VecDeque::new(),
                            std: None,
                        },
                    );
                    self.hops += 1;
                    self.state = State::Fetching(spawn_blocking(move || chunk.fill()));
                }
                State::Fetching(job) => {
                    let result = ready!(Pin::new(job).poll(cx));
                    match result {
                        Ok(chunk) => self.state = State::Idle(chunk),
                        Err(e) => {
                            // The listing went with the job; it has ended.
                            self.state = State::Idle(Chunk {
                                ready: VecDeque::new(),
                                std: None,
                            });
                            return Poll::Ready(Err(job_failed(e)));
                        }
                    }
                }
            }
        }
    }

    /// `(entries returned, pool jobs used)` by this listing, for tests and
    /// benchmarks.
    #[doc(hidden)]
    pub fn __pool_stats(&self) -> (u64, u64) {
        (self.entries, self.hops)
    }
}

/// An entry of a [`ReadDir`], as tokio's `DirEntry`.
///
/// ```
/// # guillotine::runtime::Runtime::new().unwrap().block_on(async {
/// let mut entries = guillotine::fs::read_dir("src").await?;
/// let entry = entries.next_entry().await?.unwrap();
/// assert_eq!(entry.path(), std::path::Path::new("src").join(entry.file_name()));
/// assert_eq!(entry.metadata().await?.is_dir(), entry.file_type().await?.is_dir());
/// # Ok::<_, std::io::Error>(()) }).unwrap();
/// ```
#[derive(Debug)]
pub struct DirEntry {
    std: Arc<std::fs::DirEntry>,
    /// The chunk this entry came in, and its place there.
    batch: Arc<Batch>,
    index: usize,
    /// Read with the entry; `None` if that failed (then asked again).
    file_type: Option<FileType>,
}

impl DirEntry {
    /// The entry's full path: the directory given to `read_dir` joined
    /// with [`file_name`](Self::file_name).
    ///
    /// ```
    /// # guillotine::runtime::Runtime::new().unwrap().block_on(async {
    /// let entry = guillotine::fs::read_dir("src").await?.next_entry().await?.unwrap();
    /// assert!(entry.path().starts_with("src"));
    /// # Ok::<_, std::io::Error>(()) }).unwrap();
    /// ```
    pub fn path(&self) -> PathBuf {
        self.std.path()
    }

    /// The entry's name within its directory.
    ///
    /// ```
    /// # guillotine::runtime::Runtime::new().unwrap().block_on(async {
    /// let entry = guillotine::fs::read_dir("src").await?.next_entry().await?.unwrap();
    /// assert!(!entry.file_name().is_empty());
    /// # Ok::<_, std::io::Error>(()) }).unwrap();
    /// ```
    pub fn file_name(&self) -> OsString {
        self.std.file_name()
    }

    /// The entry's inode number, as the directory reported it.
    ///
    /// ```
    /// use std::os::unix::fs::MetadataExt;
    /// # guillotine::runtime::Runtime::new().unwrap().block_on(async {
    /// let entry = guillotine::fs::read_dir("src").await?.next_entry().await?.unwrap();
    /// assert_eq!(entry.ino(), guillotine::fs::symlink_metadata(entry.path()).await?.ino());
    /// # Ok::<_, std::io::Error>(()) }).unwrap();
    /// ```
    pub fn ino(&self) -> u64 {
        self.std.ino()
    }

    /// The entry's metadata, not following a symlink.
    ///
    /// The job that fetches it also fetches the metadata of the entries
    /// that came after this one in the same chunk, for their own calls: a
    /// `du`-style walk pays one job per chunk, not one per entry (tokio).
    /// Each fetched-ahead value serves one call (a second call asks again),
    /// and is as old as that job.
    ///
    /// ```
    /// # guillotine::runtime::Runtime::new().unwrap().block_on(async {
    /// let entry = guillotine::fs::read_dir("src").await?.next_entry().await?.unwrap();
    /// let _len = entry.metadata().await?.len();
    /// # Ok::<_, std::io::Error>(()) }).unwrap();
    /// ```
    pub async fn metadata(&self) -> io::Result<Metadata> {
        if let Some(metadata) = self.batch.take(self.index) {
            return Ok(metadata);
        }
        let batch = Arc::clone(&self.batch);
        let index = self.index;
        asyncify(move || batch.fetch_from(index)).await
    }

    /// The entry's file type, not following a symlink: known from the
    /// listing, so usually without a pool job.
    ///
    /// ```
    /// # guillotine::runtime::Runtime::new().unwrap().block_on(async {
    /// let mut entries = guillotine::fs::read_dir(".").await?;
    /// while let Some(entry) = entries.next_entry().await? {
    ///     if entry.file_name() == "src" {
    ///         assert!(entry.file_type().await?.is_dir());
    ///     }
    /// }
    /// # Ok::<_, std::io::Error>(()) }).unwrap();
    /// ```
    pub async fn file_type(&self) -> io::Result<FileType> {
        if let Some(file_type) = self.file_type {
            return Ok(file_type);
        }
        let std = Arc::clone(&self.std);
        asyncify(move || std.file_type()).await
    }
}
