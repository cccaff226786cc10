//! Memory per pending task: how much the resident set grows when 1,000,000
//! tasks are spawned that each wait on a never-ready future.
//!
//! Measured in a fresh child process per runtime and round (this bench
//! binary re-executed, see `harness::run_child`), so the allocator state
//! left behind by other workloads and runtimes does not blur the numbers.
//! The child builds the runtime, spawns and joins one task (so lazily
//! created runtime structures exist), reads its RSS, spawns the tasks
//! detached, yields until every task has been polled once, reads its RSS
//! again, and exits without dropping the runtime. The growth divided by the
//! task count includes everything the runtime keeps per task: the task
//! allocation, any registry or slab entry, and the run queue's capacity.

use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::time::{Duration, Instant};

use crate::harness::{self, Sample};
use crate::runtimes::{Rt, Workload};

/// How many tasks have been polled once (a static, so the task futures
/// capture nothing and are as small as the runtime lets them be).
static POLLED: AtomicUsize = AtomicUsize::new(0);

pub struct MemoryPerPendingTask;

impl MemoryPerPendingTask {
    const TASKS: usize = 1_000_000;
    /// Yielding until every task was polled must not take longer than this.
    const POLL_ALL_LIMIT: Duration = Duration::from_secs(60);
}

impl Workload for MemoryPerPendingTask {
    const NAME: &'static str = "memory_per_pending_task";
    const ABOUT: &'static str =
        "RSS growth per task, 1,000,000 tasks pending forever (fresh process)";
    // The result barely varies between runs; three keep the default run short.
    const MAX_ROUNDS: Option<usize> = Some(3);
    const WARMUP: bool = false;
    const HAS_CHILD: bool = true;

    fn run<R: Rt>() -> Sample {
        harness::run_child(Self::NAME, R::NAME)
    }

    fn child<R: Rt>() -> Sample {
        harness::pin_runtime_thread();
        let rt = R::build();
        let bytes_per_task = rt.block_on(async {
            R::spawn(async {}).await;
            let before = resident_bytes();
            for _ in 0..Self::TASKS {
                R::spawn_detached(async {
                    POLLED.fetch_add(1, Relaxed);
                    std::future::pending::<()>().await
                });
            }
            let start = Instant::now();
            while POLLED.load(Relaxed) < Self::TASKS {
                R::yield_now().await;
                assert!(
                    start.elapsed() < Self::POLL_ALL_LIMIT,
                    "only {} of {} tasks were polled within {:?}",
                    POLLED.load(Relaxed),
                    Self::TASKS,
                    Self::POLL_ALL_LIMIT
                );
            }
            let after = resident_bytes();
            after.saturating_sub(before) as f64 / Self::TASKS as f64
        });
        // Dropping a million tasks takes time and measures nothing: the
        // process exits right after printing the sample.
        std::mem::forget(rt);
        Sample::bytes_per_task(bytes_per_task)
    }
}

/// The resident set size of this process, from `/proc/self/statm`.
fn resident_bytes() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("read /proc/self/statm");
    let pages: usize = statm
        .split_whitespace()
        .nth(1)
        .and_then(|field| field.parse().ok())
        .expect("the resident field of /proc/self/statm");
    // SAFETY: sysconf has no preconditions.
    let page_size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    pages * usize::try_from(page_size).expect("a positive page size")
}
