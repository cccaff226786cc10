//! [`OpenOptions`]: std's builder, opening on the blocking pool.

use std::io;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use super::{File, asyncify};

/// Options for opening a file, as tokio's `OpenOptions` (std's, with an
/// async [`open`](OpenOptions::open)).
///
/// ```
/// # guillotine::runtime::Runtime::new().unwrap().block_on(async {
/// let path = std::env::temp_dir().join(format!("guillotine-opts-{}", std::process::id()));
/// let file = guillotine::fs::OpenOptions::new()
///     .write(true)
///     .create(true)
///     .mode(0o600)
///     .open(&path)
///     .await?;
/// file.close().await?;
/// guillotine::fs::remove_file(&path).await?;
/// # Ok::<_, std::io::Error>(()) }).unwrap();
/// ```
#[derive(Debug, Clone)]
pub struct OpenOptions(std::fs::OpenOptions);

macro_rules! flag {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        pub fn $name(&mut self, $name: bool) -> &mut OpenOptions {
            self.0.$name($name);
            self
        }
    };
}

impl OpenOptions {
    /// Options with every flag off, as [`std::fs::OpenOptions::new`].
    ///
    /// ```
    /// let mut options = guillotine::fs::OpenOptions::new();
    /// options.read(true);
    /// ```
    pub fn new() -> OpenOptions {
        OpenOptions(std::fs::OpenOptions::new())
    }

    flag! {
        /// Opens for reading.
        ///
        /// ```
        /// guillotine::fs::OpenOptions::new().read(true);
        /// ```
        read
    }
    flag! {
        /// Opens for writing.
        ///
        /// ```
        /// guillotine::fs::OpenOptions::new().write(true);
        /// ```
        write
    }
    flag! {
        /// Every write goes to the end of the file.
        ///
        /// ```
        /// guillotine::fs::OpenOptions::new().append(true);
        /// ```
        append
    }
    flag! {
        /// Truncates the file to 0 bytes on opening (needs `write`).
        ///
        /// ```
        /// guillotine::fs::OpenOptions::new().write(true).truncate(true);
        /// ```
        truncate
    }
    flag! {
        /// Creates the file if it is missing (needs `write` or `append`).
        ///
        /// ```
        /// guillotine::fs::OpenOptions::new().write(true).create(true);
        /// ```
        create
    }
    flag! {
        /// Creates the file, failing if it exists.
        ///
        /// ```
        /// guillotine::fs::OpenOptions::new().write(true).create_new(true);
        /// ```
        create_new
    }

    /// The permission bits of a created file (before the umask).
    ///
    /// ```
    /// guillotine::fs::OpenOptions::new().write(true).create(true).mode(0o600);
    /// ```
    pub fn mode(&mut self, mode: u32) -> &mut OpenOptions {
        self.0.mode(mode);
        self
    }

    /// Extra `open(2)` flags (`O_CLOEXEC` is always set).
    ///
    /// ```
    /// guillotine::fs::OpenOptions::new().read(true).custom_flags(libc::O_NOATIME);
    /// ```
    pub fn custom_flags(&mut self, flags: i32) -> &mut OpenOptions {
        self.0.custom_flags(flags);
        self
    }

    /// Opens `path` with these options (one pool job).
    ///
    /// ```
    /// # guillotine::runtime::Runtime::new().unwrap().block_on(async {
    /// let err = guillotine::fs::OpenOptions::new().read(true).open("/no/such").await.unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
    /// # });
    /// ```
    pub async fn open(&self, path: impl AsRef<Path>) -> io::Result<File> {
        let options = self.0.clone();
        let path = path.as_ref().to_owned();
        let std = asyncify(move || options.open(path)).await?;
        Ok(File::from_std(std))
    }
}

impl Default for OpenOptions {
    fn default() -> OpenOptions {
        OpenOptions::new()
    }
}

impl From<std::fs::OpenOptions> for OpenOptions {
    fn from(options: std::fs::OpenOptions) -> OpenOptions {
        OpenOptions(options)
    }
}
