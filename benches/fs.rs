//! File system workloads on `guillotine::fs`, `tokio::fs`, async-fs (as
//! `smol::fs`) and plain `std::fs` inside guillotine's `spawn_blocking`
//! (one pool job per call, as a user would write it).
//!
//! ```text
//! cargo bench --bench fs                        # every workload, full size
//! FS_BENCH_SCALE=0.1 BENCH_ROUNDS=3 cargo bench --bench fs   # a quick look
//! cargo bench --bench fs -- small du            # names containing either word
//! ```
//!
//! Workloads (full size): `small_files` creates, reads and deletes 10,000
//! files of 100 bytes; `rw_4k` writes a 64 MiB file 4 KiB at a time and
//! reads it back 4 KiB at a time; `du` walks a tree of 100 directories of
//! 100 files, summing their lengths from each entry's metadata; `copy_1g`
//! copies a 1 GiB file through 128 KiB reads and writes. Every runtime is
//! current-thread with its own blocking pool, and each round runs on a
//! fresh runtime in a fresh temporary directory. The table gives the median
//! wall time per runtime over `BENCH_ROUNDS` (default 5) after one warm-up,
//! alternating runtimes, and the operations per pool job guillotine
//! counted (`fs::__pool_stats`: file reads and writes, directory entries,
//! metadata, whole-file calls).

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The sizes, scaled by `FS_BENCH_SCALE`.
#[derive(Clone, Copy)]
struct Sizes {
    small_files: usize,
    rw_bytes: usize,
    du_dirs: usize,
    du_files: usize,
    copy_bytes: usize,
}

impl Sizes {
    fn from_env() -> Sizes {
        let scale: f64 = std::env::var("FS_BENCH_SCALE")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(1.0);
        let n = |full: f64| ((full * scale) as usize).max(1);
        Sizes {
            small_files: n(10_000.0),
            rw_bytes: n(64.0 * 1024.0 * 1024.0 / 4096.0) * 4096,
            du_dirs: n(100.0),
            du_files: 100,
            copy_bytes: n(1024.0) * 1024 * 1024,
        }
    }
}

const RUNTIMES: [&str; 4] = ["guillotine", "tokio", "async-fs", "std on pool"];
const WORKLOADS: [&str; 4] = ["small_files", "rw_4k", "du", "copy_1g"];
const CHUNK: usize = 128 * 1024;

fn temp_dir(tag: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("guillotine-fs-bench-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Builds what a workload reads before it is timed.
fn prepare(workload: &str, dir: &Path, sizes: Sizes) {
    match workload {
        "du" => {
            for d in 0..sizes.du_dirs {
                let sub = dir.join(format!("d{d}"));
                std::fs::create_dir(&sub).unwrap();
                for f in 0..sizes.du_files {
                    std::fs::write(sub.join(format!("f{f}")), [0u8; 10]).unwrap();
                }
            }
        }
        "copy_1g" => {
            let mut file = std::fs::File::create(dir.join("src")).unwrap();
            let chunk = vec![7u8; CHUNK];
            let mut left = sizes.copy_bytes;
            while left > 0 {
                let n = left.min(CHUNK);
                file.write_all(&chunk[..n]).unwrap();
                left -= n;
            }
        }
        _ => {}
    }
}

/// A du result to check every runtime agrees.
fn expected_du(sizes: Sizes) -> u64 {
    (sizes.du_dirs * sizes.du_files * 10) as u64
}

mod on_guillotine {
    use super::*;
    use guillotine::fs;
    use guillotine::io::{AsyncReadExt, AsyncWriteExt};

    pub async fn run(workload: &str, dir: PathBuf, sizes: Sizes) {
        match workload {
            "small_files" => {
                for i in 0..sizes.small_files {
                    fs::write(dir.join(i.to_string()), [1u8; 100])
                        .await
                        .unwrap();
                }
                for i in 0..sizes.small_files {
                    assert_eq!(fs::read(dir.join(i.to_string())).await.unwrap().len(), 100);
                }
                for i in 0..sizes.small_files {
                    fs::remove_file(dir.join(i.to_string())).await.unwrap();
                }
            }
            "rw_4k" => {
                let path = dir.join("rw");
                let mut file = fs::File::create(&path).await.unwrap();
                let block = [3u8; 4096];
                for _ in 0..sizes.rw_bytes / 4096 {
                    file.write_all(&block).await.unwrap();
                }
                file.close().await.unwrap();
                let mut file = fs::File::open(&path).await.unwrap();
                let mut buf = [0u8; 4096];
                let mut total = 0;
                loop {
                    let n = file.read(&mut buf).await.unwrap();
                    if n == 0 {
                        break;
                    }
                    total += n;
                }
                assert_eq!(total, sizes.rw_bytes);
            }
            "du" => {
                let mut stack = vec![dir];
                let mut sum = 0;
                while let Some(d) = stack.pop() {
                    let mut entries = fs::read_dir(&d).await.unwrap();
                    while let Some(e) = entries.next_entry().await.unwrap() {
                        if e.file_type().await.unwrap().is_dir() {
                            stack.push(e.path());
                        } else {
                            sum += e.metadata().await.unwrap().len();
                        }
                    }
                }
                assert_eq!(sum, expected_du(sizes));
            }
            "copy_1g" => {
                let mut from = fs::File::open(dir.join("src")).await.unwrap();
                let mut to = fs::File::create(dir.join("dst")).await.unwrap();
                let mut buf = vec![0u8; CHUNK];
                loop {
                    let n = from.read(&mut buf).await.unwrap();
                    if n == 0 {
                        break;
                    }
                    to.write_all(&buf[..n]).await.unwrap();
                }
                to.close().await.unwrap();
            }
            _ => unreachable!(),
        }
    }
}

mod on_tokio {
    use super::*;
    use tokio::fs;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    pub async fn run(workload: &str, dir: PathBuf, sizes: Sizes) {
        match workload {
            "small_files" => {
                for i in 0..sizes.small_files {
                    fs::write(dir.join(i.to_string()), [1u8; 100])
                        .await
                        .unwrap();
                }
                for i in 0..sizes.small_files {
                    assert_eq!(fs::read(dir.join(i.to_string())).await.unwrap().len(), 100);
                }
                for i in 0..sizes.small_files {
                    fs::remove_file(dir.join(i.to_string())).await.unwrap();
                }
            }
            "rw_4k" => {
                let path = dir.join("rw");
                let mut file = fs::File::create(&path).await.unwrap();
                let block = [3u8; 4096];
                for _ in 0..sizes.rw_bytes / 4096 {
                    file.write_all(&block).await.unwrap();
                }
                file.flush().await.unwrap();
                drop(file);
                let mut file = fs::File::open(&path).await.unwrap();
                let mut buf = [0u8; 4096];
                let mut total = 0;
                loop {
                    let n = file.read(&mut buf).await.unwrap();
                    if n == 0 {
                        break;
                    }
                    total += n;
                }
                assert_eq!(total, sizes.rw_bytes);
            }
            "du" => {
                let mut stack = vec![dir];
                let mut sum = 0;
                while let Some(d) = stack.pop() {
                    let mut entries = fs::read_dir(&d).await.unwrap();
                    while let Some(e) = entries.next_entry().await.unwrap() {
                        if e.file_type().await.unwrap().is_dir() {
                            stack.push(e.path());
                        } else {
                            sum += e.metadata().await.unwrap().len();
                        }
                    }
                }
                assert_eq!(sum, expected_du(sizes));
            }
            "copy_1g" => {
                let mut from = fs::File::open(dir.join("src")).await.unwrap();
                let mut to = fs::File::create(dir.join("dst")).await.unwrap();
                let mut buf = vec![0u8; CHUNK];
                loop {
                    let n = from.read(&mut buf).await.unwrap();
                    if n == 0 {
                        break;
                    }
                    to.write_all(&buf[..n]).await.unwrap();
                }
                to.flush().await.unwrap();
            }
            _ => unreachable!(),
        }
    }
}

mod on_async_fs {
    use super::*;
    use futures_lite::{AsyncReadExt, AsyncWriteExt, StreamExt};
    use smol::fs;

    pub async fn run(workload: &str, dir: PathBuf, sizes: Sizes) {
        match workload {
            "small_files" => {
                for i in 0..sizes.small_files {
                    fs::write(dir.join(i.to_string()), [1u8; 100])
                        .await
                        .unwrap();
                }
                for i in 0..sizes.small_files {
                    assert_eq!(fs::read(dir.join(i.to_string())).await.unwrap().len(), 100);
                }
                for i in 0..sizes.small_files {
                    fs::remove_file(dir.join(i.to_string())).await.unwrap();
                }
            }
            "rw_4k" => {
                let path = dir.join("rw");
                let mut file = fs::File::create(&path).await.unwrap();
                let block = [3u8; 4096];
                for _ in 0..sizes.rw_bytes / 4096 {
                    file.write_all(&block).await.unwrap();
                }
                file.flush().await.unwrap();
                drop(file);
                let mut file = fs::File::open(&path).await.unwrap();
                let mut buf = [0u8; 4096];
                let mut total = 0;
                loop {
                    let n = file.read(&mut buf).await.unwrap();
                    if n == 0 {
                        break;
                    }
                    total += n;
                }
                assert_eq!(total, sizes.rw_bytes);
            }
            "du" => {
                let mut stack = vec![dir];
                let mut sum = 0;
                while let Some(d) = stack.pop() {
                    let mut entries = fs::read_dir(&d).await.unwrap();
                    while let Some(e) = entries.next().await {
                        let e = e.unwrap();
                        if e.file_type().await.unwrap().is_dir() {
                            stack.push(e.path());
                        } else {
                            sum += e.metadata().await.unwrap().len();
                        }
                    }
                }
                assert_eq!(sum, expected_du(sizes));
            }
            "copy_1g" => {
                let mut from = fs::File::open(dir.join("src")).await.unwrap();
                let mut to = fs::File::create(dir.join("dst")).await.unwrap();
                let mut buf = vec![0u8; CHUNK];
                loop {
                    let n = from.read(&mut buf).await.unwrap();
                    if n == 0 {
                        break;
                    }
                    to.write_all(&buf[..n]).await.unwrap();
                }
                to.flush().await.unwrap();
            }
            _ => unreachable!(),
        }
    }
}

/// `std::fs` inside `spawn_blocking`, one job per call as a user ports
/// code that does not use `guillotine::fs`.
mod std_on_pool {
    use super::*;

    async fn hop<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
        guillotine::spawn_blocking(f).await.unwrap()
    }

    pub async fn run(workload: &str, dir: PathBuf, sizes: Sizes) {
        match workload {
            "small_files" => {
                for i in 0..sizes.small_files {
                    let p = dir.join(i.to_string());
                    hop(move || std::fs::write(p, [1u8; 100])).await.unwrap();
                }
                for i in 0..sizes.small_files {
                    let p = dir.join(i.to_string());
                    assert_eq!(hop(move || std::fs::read(p)).await.unwrap().len(), 100);
                }
                for i in 0..sizes.small_files {
                    let p = dir.join(i.to_string());
                    hop(move || std::fs::remove_file(p)).await.unwrap();
                }
            }
            "rw_4k" => {
                let path = dir.join("rw");
                let p = path.clone();
                let file =
                    std::sync::Arc::new(hop(move || std::fs::File::create(p)).await.unwrap());
                for _ in 0..sizes.rw_bytes / 4096 {
                    let f = file.clone();
                    hop(move || (&*f).write_all(&[3u8; 4096])).await.unwrap();
                }
                let file =
                    std::sync::Arc::new(hop(move || std::fs::File::open(path)).await.unwrap());
                let mut total = 0;
                loop {
                    let f = file.clone();
                    let n = hop(move || (&*f).read(&mut [0u8; 4096])).await.unwrap();
                    if n == 0 {
                        break;
                    }
                    total += n;
                }
                assert_eq!(total, sizes.rw_bytes);
            }
            "du" => {
                // The whole walk in one job: what a user writes when the
                // per-entry cost shows up.
                let sum = hop(move || {
                    let mut stack = vec![dir];
                    let mut sum = 0;
                    while let Some(d) = stack.pop() {
                        for e in std::fs::read_dir(&d).unwrap() {
                            let e = e.unwrap();
                            if e.file_type().unwrap().is_dir() {
                                stack.push(e.path());
                            } else {
                                sum += e.metadata().unwrap().len();
                            }
                        }
                    }
                    sum
                })
                .await;
                assert_eq!(sum, expected_du(sizes));
            }
            "copy_1g" => {
                let (from, to) = (dir.join("src"), dir.join("dst"));
                let from =
                    std::sync::Arc::new(hop(move || std::fs::File::open(from)).await.unwrap());
                let to = std::sync::Arc::new(hop(move || std::fs::File::create(to)).await.unwrap());
                loop {
                    let (f, t) = (from.clone(), to.clone());
                    let n = hop(move || {
                        let mut buf = vec![0u8; CHUNK];
                        let n = (&*f).read(&mut buf)?;
                        (&*t).write_all(&buf[..n])?;
                        Ok::<_, std::io::Error>(n)
                    })
                    .await
                    .unwrap();
                    if n == 0 {
                        break;
                    }
                }
            }
            _ => unreachable!(),
        }
    }
}

/// One timed round of `workload` on `runtime`, in a fresh directory;
/// guillotine's rounds also add their operations and pool jobs to `hops`.
fn round(runtime: &str, workload: &str, sizes: Sizes, hops: &mut (u64, u64)) -> Duration {
    let stats_before = guillotine::fs::__pool_stats();
    let dir = temp_dir(&format!("{workload}-{}", runtime.replace(' ', "_")));
    prepare(workload, &dir, sizes);
    let d = dir.clone();
    let start;
    match runtime {
        "guillotine" | "std on pool" => {
            let rt = guillotine::runtime::Runtime::new().unwrap();
            start = Instant::now();
            if runtime == "guillotine" {
                rt.block_on(on_guillotine::run(workload, d, sizes));
            } else {
                rt.block_on(std_on_pool::run(workload, d, sizes));
            }
        }
        "tokio" => {
            let rt = tokio::runtime::Builder::new_current_thread()
                .build()
                .unwrap();
            start = Instant::now();
            rt.block_on(on_tokio::run(workload, d, sizes));
        }
        "async-fs" => {
            start = Instant::now();
            smol::block_on(on_async_fs::run(workload, d, sizes));
        }
        _ => unreachable!(),
    }
    let elapsed = start.elapsed();
    if runtime == "guillotine" {
        let after = guillotine::fs::__pool_stats();
        hops.0 += after.0 - stats_before.0;
        hops.1 += after.1 - stats_before.1;
    }
    std::fs::remove_dir_all(&dir).unwrap();
    elapsed
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let rounds: usize = std::env::var("BENCH_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let sizes = Sizes::from_env();
    println!(
        "| workload | {} | guillotine / faster of tokio, async-fs | guillotine operations per pool job |",
        RUNTIMES.join(" | ")
    );
    println!("|---|{}---|---|", "---|".repeat(RUNTIMES.len()));
    for workload in WORKLOADS {
        if !filters.is_empty() && !filters.iter().any(|f| workload.contains(f.as_str())) {
            continue;
        }
        let mut times: Vec<Vec<Duration>> = vec![Vec::new(); RUNTIMES.len()];
        let mut hops = (0, 0);
        for r in 0..=rounds {
            for (i, runtime) in RUNTIMES.iter().enumerate() {
                let t = round(runtime, workload, sizes, &mut hops);
                eprintln!("{workload} {runtime} round {r}: {t:?}");
                if r > 0 {
                    times[i].push(t);
                }
            }
        }
        let medians: Vec<Duration> = times.into_iter().map(median).collect();
        let best_other = medians[1].min(medians[2]);
        let cells: Vec<String> = medians
            .iter()
            .map(|d| format!("{:.1} ms", d.as_secs_f64() * 1e3))
            .collect();
        println!(
            "| {workload} | {} | {:.2} | {:.1} |",
            cells.join(" | "),
            medians[0].as_secs_f64() / best_other.as_secs_f64(),
            hops.0 as f64 / hops.1.max(1) as f64
        );
    }
}
