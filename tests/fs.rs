//! `guillotine::fs` on both runtime flavors: each function's result and an
//! error case, `read_dir` chunking (pool jobs per entry), `File` round
//! trips, write-error propagation on /dev/full, and descriptors back to
//! their baseline.

mod support;

use std::io::ErrorKind;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use guillotine::fs;
use guillotine::runtime::Runtime;
use support::both_flavors;

both_flavors! {
    read_write_round_trip,
    metadata_and_symlinks,
    directories,
    rename_copy_links_permissions,
    errors_are_the_std_errors,
    read_dir_lists_every_entry_in_few_jobs,
}

/// A fresh directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "guillotine-fs-test-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }

    fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn read_write_round_trip(rt: Runtime) {
    let dir = TempDir::new();
    rt.block_on(async {
        let path = dir.join("a");
        fs::write(&path, b"hello\xff").await.unwrap();
        assert_eq!(fs::read(&path).await.unwrap(), b"hello\xff");
        let err = fs::read_to_string(&path).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidData);
        fs::write(&path, "text").await.unwrap();
        assert_eq!(fs::read_to_string(&path).await.unwrap(), "text");
        assert!(fs::try_exists(&path).await.unwrap());
        fs::remove_file(&path).await.unwrap();
        assert!(!fs::try_exists(&path).await.unwrap());
    });
}

fn metadata_and_symlinks(rt: Runtime) {
    let dir = TempDir::new();
    rt.block_on(async {
        let file = dir.join("f");
        let link = dir.join("l");
        fs::write(&file, [0u8; 1234]).await.unwrap();
        fs::symlink(&file, &link).await.unwrap();
        let meta = fs::metadata(&link).await.unwrap();
        assert!(meta.is_file());
        assert_eq!(meta.len(), 1234);
        assert!(
            fs::symlink_metadata(&link)
                .await
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(fs::read_link(&link).await.unwrap(), file);
        let canonical = fs::canonicalize(&link).await.unwrap();
        assert_eq!(canonical, std::fs::canonicalize(&file).unwrap());
        // A broken link does not exist.
        fs::remove_file(&file).await.unwrap();
        assert!(!fs::try_exists(&link).await.unwrap());
        let err = fs::metadata(&link).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
    });
}

fn directories(rt: Runtime) {
    let dir = TempDir::new();
    rt.block_on(async {
        let one = dir.join("one");
        fs::create_dir(&one).await.unwrap();
        let err = fs::create_dir(&one).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::AlreadyExists);
        let deep = dir.join("x/y/z");
        fs::create_dir_all(&deep).await.unwrap();
        assert!(fs::metadata(&deep).await.unwrap().is_dir());
        fs::write(deep.join("f"), "f").await.unwrap();
        let err = fs::remove_dir(dir.join("x")).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::DirectoryNotEmpty);
        fs::remove_dir_all(dir.join("x")).await.unwrap();
        assert!(!fs::try_exists(dir.join("x")).await.unwrap());
        fs::remove_dir(&one).await.unwrap();
        assert!(!fs::try_exists(&one).await.unwrap());
    });
}

fn rename_copy_links_permissions(rt: Runtime) {
    let dir = TempDir::new();
    rt.block_on(async {
        let a = dir.join("a");
        let b = dir.join("b");
        let c = dir.join("c");
        let d = dir.join("d");
        fs::write(&a, "contents").await.unwrap();
        fs::rename(&a, &b).await.unwrap();
        assert!(!fs::try_exists(&a).await.unwrap());
        assert_eq!(fs::copy(&b, &c).await.unwrap(), 8);
        assert_eq!(fs::read(&c).await.unwrap(), b"contents");
        fs::hard_link(&c, &d).await.unwrap();
        assert_eq!(fs::metadata(&c).await.unwrap().nlink(), 2);
        assert_eq!(
            fs::metadata(&c).await.unwrap().ino(),
            fs::metadata(&d).await.unwrap().ino()
        );
        fs::set_permissions(&d, std::fs::Permissions::from_mode(0o640))
            .await
            .unwrap();
        let mode = fs::metadata(&c).await.unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o640);
    });
}

fn errors_are_the_std_errors(rt: Runtime) {
    let dir = TempDir::new();
    let missing = dir.join("missing");
    let other = dir.join("other");
    rt.block_on(async {
        for err in [
            fs::read(&missing).await.unwrap_err(),
            fs::read_to_string(&missing).await.unwrap_err(),
            fs::write(missing.join("x"), "x").await.unwrap_err(),
            fs::metadata(&missing).await.unwrap_err(),
            fs::symlink_metadata(&missing).await.unwrap_err(),
            fs::create_dir(missing.join("x")).await.unwrap_err(),
            fs::remove_file(&missing).await.unwrap_err(),
            fs::remove_dir(&missing).await.unwrap_err(),
            fs::remove_dir_all(&missing).await.unwrap_err(),
            fs::rename(&missing, &other).await.unwrap_err(),
            fs::copy(&missing, &other).await.unwrap_err(),
            fs::canonicalize(&missing).await.unwrap_err(),
            fs::hard_link(&missing, &other).await.unwrap_err(),
            fs::read_link(&missing).await.unwrap_err(),
            fs::set_permissions(&missing, std::fs::Permissions::from_mode(0o600))
                .await
                .unwrap_err(),
            fs::read_dir(&missing).await.unwrap_err(),
        ] {
            assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
        }
        let err = fs::read_link(dir.join(".")).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
    });
}

fn read_dir_lists_every_entry_in_few_jobs(rt: Runtime) {
    let dir = TempDir::new();
    for i in 0..1000 {
        std::fs::write(dir.join(&format!("f{i}")), "").unwrap();
    }
    std::fs::create_dir(dir.join("sub")).unwrap();
    rt.block_on(async {
        let mut entries = fs::read_dir(&dir.0).await.unwrap();
        let mut names = Vec::new();
        let mut dirs = 0;
        while let Some(entry) = entries.next_entry().await.unwrap() {
            assert_eq!(entry.path(), dir.0.join(entry.file_name()));
            assert_eq!(
                entry.ino(),
                std::fs::symlink_metadata(entry.path()).unwrap().ino()
            );
            if entry.file_type().await.unwrap().is_dir() {
                dirs += 1;
                assert!(entry.metadata().await.unwrap().is_dir());
            }
            names.push(entry.file_name().into_string().unwrap());
        }
        // The end is sticky.
        assert!(entries.next_entry().await.unwrap().is_none());
        names.sort();
        let mut expected: Vec<String> = (0..1000).map(|i| format!("f{i}")).collect();
        expected.push("sub".into());
        expected.sort();
        assert_eq!(names, expected);
        assert_eq!(dirs, 1);
        let (returned, jobs) = entries.__pool_stats();
        assert_eq!(returned, 1001);
        // 256 entries a job: 4 jobs, and the one that finds the end.
        assert!(jobs <= 5, "{jobs} pool jobs for 1,001 entries");
    });
}
