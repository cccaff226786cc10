//! `guillotine::fs` on both runtime flavors: each function's result and an
//! error case, `read_dir` chunking (pool jobs per entry), `File` round
//! trips, write-error propagation on /dev/full, and descriptors back to
//! their baseline.

mod support;

use std::io::{ErrorKind, SeekFrom};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use guillotine::fs::{self, File, OpenOptions};
use guillotine::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};
use guillotine::runtime::Runtime;
use support::{Flavor, assert_child_ok, both_flavors, is_child, open_fds, run_child};

both_flavors! {
    read_write_round_trip,
    a_write_as_the_write_job_ends_is_not_stranded,
    metadata_and_symlinks,
    directories,
    rename_copy_links_permissions,
    errors_are_the_std_errors,
    read_dir_lists_every_entry_in_few_jobs,
    file_round_trip_with_seeks,
    small_writes_share_pool_jobs,
    small_reads_share_pool_jobs,
    writing_after_read_ahead_writes_at_the_callers_position,
    write_errors_are_kept_until_a_seek,
    file_methods,
    file_errors,
    descriptors_return_to_baseline,
    du_walk_fetches_metadata_per_chunk,
    streaming_reads_keep_the_callers_position,
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

/// A write that lands just as the write job finds nothing left to write is
/// still written (it once stayed in the buffer with no job to write it,
/// and the next flush waited forever; the soak found it). The window is
/// short, so many rounds, with a varying pause between the two writes.
fn a_write_as_the_write_job_ends_is_not_stranded(rt: Runtime) {
    let dir = TempDir::new();
    let path = dir.join("stranded");
    rt.block_on(async {
        let mut file = File::create(&path).await.unwrap();
        let mut expected = Vec::new();
        for i in 0..4_000u32 {
            let bytes = i.to_le_bytes();
            file.write_all(&bytes[..2]).await.unwrap();
            let t = std::time::Instant::now();
            let pause = std::time::Duration::from_micros(u64::from(i % 40));
            while t.elapsed() < pause {
                std::hint::spin_loop();
            }
            file.write_all(&bytes[2..]).await.unwrap();
            expected.extend_from_slice(&bytes);
            let flushed = guillotine::time::timeout(support::PATIENCE, file.flush()).await;
            flushed
                .expect("flush waits for bytes no job writes")
                .unwrap();
        }
        file.close().await.unwrap();
        assert_eq!(fs::read(&path).await.unwrap(), expected);
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

fn file_round_trip_with_seeks(rt: Runtime) {
    let dir = TempDir::new();
    let path = dir.join("f");
    rt.block_on(async {
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path)
            .await
            .unwrap();
        file.write_all(b"hello world").await.unwrap();
        assert_eq!(file.seek(SeekFrom::Start(6)).await.unwrap(), 6);
        let mut word = [0; 5];
        file.read_exact(&mut word).await.unwrap();
        assert_eq!(&word, b"world");
        // End of file, then a write past it.
        assert_eq!(file.read(&mut word).await.unwrap(), 0);
        file.write_all(b"!").await.unwrap();
        assert_eq!(file.seek(SeekFrom::Current(-12)).await.unwrap(), 0);
        let mut all = String::new();
        file.read_to_string(&mut all).await.unwrap();
        assert_eq!(all, "hello world!");
        assert_eq!(file.seek(SeekFrom::End(-6)).await.unwrap(), 6);
        // Read one byte (the job reads ahead), then ask the position.
        file.read_exact(&mut word[..1]).await.unwrap();
        assert_eq!(file.seek(SeekFrom::Current(0)).await.unwrap(), 7);
        // A seek whose future is dropped after its first poll does not
        // answer the next seek.
        {
            use futures::FutureExt;
            let abandoned = file.seek(SeekFrom::Start(3)).now_or_never();
            assert!(abandoned.is_none());
        }
        assert_eq!(file.seek(SeekFrom::Start(1)).await.unwrap(), 1);
        file.read_exact(&mut word[..1]).await.unwrap();
        assert_eq!(word[0], b'e');
        file.close().await.unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"hello world!");
    });
}

fn small_writes_share_pool_jobs(rt: Runtime) {
    let dir = TempDir::new();
    let path = dir.join("f");
    rt.block_on(async {
        let mut file = File::create(&path).await.unwrap();
        let mut expected = Vec::new();
        for i in 0..2000u32 {
            let line = format!("line {i}\n");
            file.write_all(line.as_bytes()).await.unwrap();
            expected.extend_from_slice(line.as_bytes());
        }
        file.flush().await.unwrap();
        let (ops, hops) = file.__pool_stats();
        assert_eq!(ops, 2000);
        // A write made while the job writes joins its next round; a new
        // job starts only when one finds the file idle.
        assert!(hops * 4 <= ops, "{hops} pool jobs for {ops} writes");
        file.close().await.unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), expected);
    });
}

fn small_reads_share_pool_jobs(rt: Runtime) {
    let dir = TempDir::new();
    let path = dir.join("f");
    let data: Vec<u8> = (0..256 * 1024).map(|i| (i % 251) as u8).collect();
    std::fs::write(&path, &data).unwrap();
    rt.block_on(async {
        let mut file = File::open(&path).await.unwrap();
        let mut read = Vec::new();
        let mut buf = [0; 4096];
        loop {
            let n = file.read(&mut buf).await.unwrap();
            if n == 0 {
                break;
            }
            read.extend_from_slice(&buf[..n]);
        }
        assert_eq!(read, data);
        let (ops, hops) = file.__pool_stats();
        // 64 reads of 4 KiB and the end: jobs of 64, 128 and 256 KiB (the
        // read-ahead doubles while reads stay sequential; the third finds
        // the last 64 KiB) and the one that finds the end.
        assert_eq!(ops, 65);
        assert_eq!(hops, 4);
    });
}

fn writing_after_read_ahead_writes_at_the_callers_position(rt: Runtime) {
    let dir = TempDir::new();
    let path = dir.join("f");
    std::fs::write(&path, "abcdefghij").unwrap();
    rt.block_on(async {
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .await
            .unwrap();
        let mut three = [0; 3];
        file.read_exact(&mut three).await.unwrap();
        assert_eq!(&three, b"abc");
        file.write_all(b"XYZ").await.unwrap();
        file.flush().await.unwrap();
        file.read_exact(&mut three).await.unwrap();
        assert_eq!(&three, b"ghi");
        // set_len and metadata also move the position back first.
        file.set_len(10).await.unwrap();
        file.write_all(b"J").await.unwrap();
        file.close().await.unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"abcXYZghiJ");
    });
}

fn write_errors_are_kept_until_a_seek(rt: Runtime) {
    rt.block_on(async {
        let enospc = |r: std::io::Result<()>| {
            assert_eq!(r.unwrap_err().raw_os_error(), Some(libc::ENOSPC));
        };
        let mut full = OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .await
            .unwrap();
        // Buffered: the write succeeds, the flush reports.
        full.write_all(b"lost").await.unwrap();
        enospc(full.flush().await);
        // A retried flush is not Ok: the data is gone (tokio #6325).
        enospc(full.flush().await);
        enospc(full.write_all(b"more").await);
        enospc(full.sync_all().await);
        enospc(full.flush().await);
        // A seek says where to write next, and clears it.
        full.seek(SeekFrom::Start(0)).await.unwrap();
        full.flush().await.unwrap();

        // The next call of any kind reports it once, then reads go on.
        full.write_all(b"again").await.unwrap();
        let mut buf = [0; 4];
        let err = full.read(&mut buf).await.unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::ENOSPC));
        // close reports it too, even though it was reported.
        enospc(full.close().await);

        // Dropped without a flush: close still reports.
        let mut full = OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .await
            .unwrap();
        full.write_all(&[7; 100_000]).await.unwrap();
        enospc(full.close().await);
    });
}

fn file_methods(rt: Runtime) {
    let dir = TempDir::new();
    let path = dir.join("f");
    rt.block_on(async {
        let mut file = File::create_new(&path).await.unwrap();
        file.set_max_buf_size(16);
        // Larger than the buffer: written in 16-byte pieces.
        file.write_all(&[1; 100]).await.unwrap();
        assert_eq!(file.metadata().await.unwrap().len(), 100);
        file.set_len(10).await.unwrap();
        file.sync_all().await.unwrap();
        file.sync_data().await.unwrap();
        file.set_permissions(std::fs::Permissions::from_mode(0o600))
            .await
            .unwrap();
        assert_eq!(
            fs::metadata(&path).await.unwrap().permissions().mode() & 0o777,
            0o600
        );
        let mut clone = file.try_clone().await.unwrap();
        clone.seek(SeekFrom::Start(2)).await.unwrap();
        // The clone shares the position.
        let std = file.into_std().await;
        use std::io::Seek;
        assert_eq!((&std).stream_position().unwrap(), 2);
        let file = File::from_std(std);
        let std = file.try_into_std().expect("idle file");
        drop(std);
        let mut clone_buf = Vec::new();
        clone.read_to_end(&mut clone_buf).await.unwrap();
        assert_eq!(clone_buf, [1; 8]);
        let options = File::options().read(true).clone();
        let mut again = options.open(&path).await.unwrap();
        let mut all = Vec::new();
        again.read_to_end(&mut all).await.unwrap();
        assert_eq!(all, [1; 10]);
    });
}

fn file_errors(rt: Runtime) {
    let dir = TempDir::new();
    rt.block_on(async {
        let err = File::open(dir.join("missing")).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
        let err = File::create_new(dir.join("..")).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::AlreadyExists);
        // Reading a write-only file: EBADF from the read job.
        let mut write_only = File::create(dir.join("w")).await.unwrap();
        let mut buf = [0; 8];
        let err = write_only.read(&mut buf).await.unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::EBADF));
        // Writing a read-only one: EBADF from flush.
        let mut read_only = File::open(dir.join("w")).await.unwrap();
        read_only.write_all(b"x").await.unwrap();
        let err = read_only.flush().await.unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::EBADF));
        let err = read_only.seek(SeekFrom::Current(-1)).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        write_only.close().await.unwrap();
    });
}

/// In the parent: runs `name` of `flavor` alone in a child process (other
/// tests open descriptors in parallel); in the child: returns `true`.
fn in_child(flavor: Flavor, name: &str) -> bool {
    if is_child(name) {
        return true;
    }
    let out = run_child(&format!("{}::{name}", flavor.module()), name);
    assert_child_ok(&out);
    false
}

fn descriptors_return_to_baseline(flavor: Flavor) {
    if !in_child(flavor, "descriptors_return_to_baseline") {
        return;
    }
    let dir = TempDir::new();
    let before = open_fds();
    let rt = flavor.rt();
    rt.block_on(async {
        for i in 0..50 {
            let path = dir.join(&format!("f{i}"));
            let mut file = File::create(&path).await.unwrap();
            file.write_all(b"data").await.unwrap();
            if i % 2 == 0 {
                file.close().await.unwrap();
            } else {
                // Dropped with a write in flight: the job closes it.
                drop(file);
            }
            let mut entries = fs::read_dir(&dir.0).await.unwrap();
            while entries.next_entry().await.unwrap().is_some() {}
            // A listing dropped half-way.
            let mut entries = fs::read_dir(&dir.0).await.unwrap();
            let _ = entries.next_entry().await.unwrap();
        }
        let mut full = File::options().write(true).open("/dev/full").await.unwrap();
        full.write_all(b"x").await.unwrap();
        assert!(full.close().await.is_err());
    });
    drop(rt);
    assert_eq!(open_fds(), before);
    for i in 0..50 {
        assert_eq!(std::fs::read(dir.join(&format!("f{i}"))).unwrap(), b"data");
    }
}

/// tokio's traits (feature `tokio-io`): write, seek and read back.
#[cfg(feature = "tokio-io")]
#[test]
fn tokio_traits_round_trip() {
    let dir = TempDir::new();
    let path = dir.join("f");
    support::rt().block_on(async {
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path)
            .await
            .unwrap();
        tokio::io::AsyncWriteExt::write_all(&mut file, b"tokio traits")
            .await
            .unwrap();
        tokio::io::AsyncWriteExt::flush(&mut file).await.unwrap();
        assert_eq!(
            tokio::io::AsyncSeekExt::seek(&mut file, SeekFrom::Start(6))
                .await
                .unwrap(),
            6
        );
        let mut rest = String::new();
        tokio::io::AsyncReadExt::read_to_string(&mut file, &mut rest)
            .await
            .unwrap();
        assert_eq!(rest, "traits");
        assert_eq!(
            tokio::io::AsyncSeekExt::stream_position(&mut file)
                .await
                .unwrap(),
            12
        );
        tokio::io::AsyncWriteExt::shutdown(&mut file).await.unwrap();
    });
}

fn du_walk_fetches_metadata_per_chunk(flavor: Flavor) {
    if !in_child(flavor, "du_walk_fetches_metadata_per_chunk") {
        return;
    }
    let dir = TempDir::new();
    for i in 0..1000 {
        std::fs::write(dir.join(&format!("f{i}")), vec![0; i % 7]).unwrap();
    }
    flavor.rt().block_on(async {
        let (_, hops_before) = fs::__pool_stats();
        let mut entries = fs::read_dir(&dir.0).await.unwrap();
        let mut total = 0;
        let mut seen = 0;
        while let Some(entry) = entries.next_entry().await.unwrap() {
            let name = entry.file_name().into_string().unwrap();
            let i: usize = name[1..].parse().unwrap();
            let len = entry.metadata().await.unwrap().len();
            assert_eq!(len, (i % 7) as u64, "{name}");
            total += len;
            seen += 1;
        }
        assert_eq!(seen, 1000);
        assert_eq!(total, (0..1000).map(|i| (i % 7) as u64).sum::<u64>());
        let (_, hops) = fs::__pool_stats();
        // 4 chunks of entries (and the end), 4 of metadata.
        assert!(hops - hops_before <= 10, "{} pool jobs", hops - hops_before);
    });
}

fn streaming_reads_keep_the_callers_position(rt: Runtime) {
    let dir = TempDir::new();
    let path = dir.join("f");
    let pattern = |i: usize| (i % 253) as u8;
    let data: Vec<u8> = (0..3 * 1024 * 1024 + 17).map(pattern).collect();
    std::fs::write(&path, &data).unwrap();
    rt.block_on(async {
        // All of it, 4 KiB at a time, while pieces are fetched ahead.
        let mut file = File::open(&path).await.unwrap();
        let mut all = Vec::new();
        let mut buf = vec![0; 4096];
        loop {
            let n = file.read(&mut buf).await.unwrap();
            if n == 0 {
                break;
            }
            all.extend_from_slice(&buf[..n]);
        }
        assert!(all == data, "the bytes read differ from the file's");

        // Stop part-way (a piece may be in flight), then ask the position
        // and write there.
        for stop in [100, 70_000, 1_500_000 + 100] {
            let mut file = OpenOptions::new()
                .read(true)
                .write(true)
                .open(&path)
                .await
                .unwrap();
            let mut read = 0;
            while read < stop {
                let want = (stop - read).min(4096);
                let n = file.read(&mut buf[..want]).await.unwrap();
                assert_eq!(&buf[..n], &data[read..read + n]);
                read += n;
            }
            assert_eq!(file.seek(SeekFrom::Current(0)).await.unwrap(), stop as u64);
            file.write_all(b"XYZ").await.unwrap();
            let mut next = [0; 10];
            file.read_exact(&mut next).await.unwrap();
            assert_eq!(&next[..], &data[stop + 3..stop + 13]);
            file.close().await.unwrap();
            let on_disk = std::fs::read(&path).unwrap();
            assert_eq!(&on_disk[stop..stop + 3], b"XYZ");
            assert_eq!(on_disk.len(), data.len());
            std::fs::write(&path, &data).unwrap();
        }
    });
}
