//! # guillotine
//!
//! An async runtime for Linux, built directly on epoll, with tokio's API and
//! semantics: a current-thread runtime, and a multi-thread one whose workers
//! share one epoll and steal work from each other. Small enough
//! to read in an afternoon (see [How it works](#how-it-works)).
//!
//! # Quick start
//!
//! ```toml
//! [dependencies]
//! guillotine = "0.1"
//! ```
//!
//! ```
//! use guillotine::io::{AsyncReadExt, AsyncWriteExt};
//! use guillotine::net::{TcpListener, TcpStream};
//!
//! #[guillotine::main]
//! async fn main() -> std::io::Result<()> {
//!     let listener = TcpListener::bind("127.0.0.1:0").await?;
//!     let addr = listener.local_addr()?;
//!     // An echo server: one task per connection.
//!     guillotine::spawn(async move {
//!         loop {
//!             let (mut stream, _) = listener.accept().await?;
//!             guillotine::spawn(async move {
//!                 let mut buf = [0; 1024];
//!                 while let Ok(n @ 1..) = stream.read(&mut buf).await {
//!                     if stream.write_all(&buf[..n]).await.is_err() {
//!                         break;
//!                     }
//!                 }
//!             });
//!         }
//!         #[allow(unreachable_code)]
//!         Ok::<_, std::io::Error>(())
//!     });
//!     let mut client = TcpStream::connect(addr).await?;
//!     client.write_all(b"hello").await?;
//!     let mut back = [0; 5];
//!     client.read_exact(&mut back).await?;
//!     assert_eq!(&back, b"hello");
//!     Ok(())
//! }
//! ```
//!
//! Tests use [`#[guillotine::test]`](test), which can also fail a test that
//! hangs: `#[guillotine::test(timeout = "5s")]`. Without the attributes, a
//! runtime is two lines (the seed's first lines of use):
//!
//! ```
//! let runtime = guillotine::runtime::Runtime::new().unwrap();
//! let forty_two = runtime.block_on(async {
//!     let task = guillotine::spawn(async { 40 });
//!     task.await.unwrap() + 2
//! });
//! assert_eq!(forty_two, 42);
//! ```
//!
//! # Two flavors, and when to pick each
//!
//! - **Current-thread** ([`Runtime::new`](runtime::Runtime::new),
//!   [`Builder::new_current_thread`](runtime::Builder::new_current_thread),
//!   `#[guillotine::test]`'s default): every task runs on the thread that
//!   calls `block_on`. No locks between tasks and the fastest single-core
//!   throughput; pick it for tests, CLI tools, one-connection clients, or one
//!   runtime per core behind `SO_REUSEPORT`.
//! - **Multi-thread** ([`Builder::new_multi_thread`](runtime::Builder::new_multi_thread),
//!   `#[guillotine::main]`'s default, like tokio's `Runtime::new()`): one
//!   worker per CPU, sharing one epoll, stealing work from the others;
//!   tasks run while `block_on` is not running, and a task that blocks its
//!   thread does not stop the others. Pick it for servers and for work that
//!   needs more than one core.
//!
//! ```
//! let runtime = guillotine::runtime::Builder::new_multi_thread().worker_threads(2).build().unwrap();
//! let sum = runtime.block_on(async {
//!     let tasks: Vec<_> = (0..8u64).map(|i| guillotine::spawn(async move { i })).collect();
//!     let mut sum = 0;
//!     for t in tasks {
//!         sum += t.await.unwrap();
//!     }
//!     sum
//! });
//! assert_eq!(sum, 28);
//! ```
//!
//! # Feature flags
//!
//! | feature | default | what it adds |
//! |---|---|---|
//! | `macros` | on | [`#[guillotine::main]`](main) and [`#[guillotine::test]`](test) |
//! | `tokio-io` | off | tokio's `AsyncRead`/`AsyncWrite` on the stream types, for crates written against them (tokio-util's codecs, hyper-util's adapters); no tokio runtime |
//! | `hyper` | off | hyper's I/O traits on the streams and the `hyper` module: executor, timer, an HTTP/1 + HTTP/2 server with graceful shutdown, a connector for hyper-util's pooled client (hyper and axum with no glue) |
//! | `test-util` | off | paused time for tests: `time::{pause, resume, advance, advance_to_next_timer, set_auto_advance}`, `Builder::start_paused`/`auto_advance`, the attributes' `start_paused`/`auto_advance` keys; on both flavors, and no jump while blocking jobs, fs operations, waited-for children or replies from local peers are in flight |
//! | `bytes` | off | `recv_buf`, `recv_buf_from`, `try_recv_buf` and `try_recv_buf_from` on `UdpSocket` and `UnixDatagram`: one datagram into a `bytes::BufMut`'s spare capacity, as in tokio |
//!
//! # Coming from tokio
//!
//! The names, signatures and semantics are tokio's; the few deliberate
//! differences (first of them: `Runtime::new()` here is the current-thread
//! runtime), which runtime-agnostic crates to use for channels, locks,
//! codecs, TLS and WebSockets, and which tokio-only crates to avoid are on
//! their own page: [`coming_from_tokio`].
//!
//! # History
//!
//! guillotine began as a learning executor that sat in `epoll_wait` when
//! idle, woke through an eventfd, and gave every future an eventfd of its
//! own; its author called it "not for production". This crate keeps its
//! first lines of use (`Runtime::new()`, `block_on`) and its examples, and
//! builds the production form of that design around them.
//!
//! # How it works
//!
//! **Tasks.** `spawn` makes one heap allocation per task: a header (an
//! atomic state word with a reference count, a vtable, the runtime it
//! belongs to, links into the runtime's list of owned tasks, the
//! `JoinHandle`'s waker, the task's id) followed by the future and, later,
//! its output. The
//! state word's bits (`NOTIFIED`, `RUNNING`, `COMPLETE`, `CANCELLED`, join
//! interest, join waker) change only through named transitions, which is
//! what guarantees that a task is never queued twice and that its future is
//! dropped exactly once, by the thread that runs it. A task leaves its
//! runtime's list of owned tasks (and `num_tasks`) once complete, with an
//! output nobody will read already dropped.
//!
//! **The context.** A thread-local says which runtime this thread has
//! entered (the handle that spawns, timers and sockets use), whether the
//! thread owns that runtime's core, and whether it is running a `block_on`.
//! `block_on`, [`Runtime::enter`](runtime::Runtime::enter),
//! [`Handle::enter`](runtime::Handle::enter) and the blocking pool's threads
//! set it through guards that restore the previous value, also on panic.
//! Every access tolerates a thread in teardown: a runtime dropped from
//! another thread-local's destructor shuts down without it. A second,
//! destructor-free thread-local holds the id of the task being polled and
//! its cooperative budget.
//!
//! **The poll path.** `block_on` enters the runtime's context, then loops:
//! poll the main future if it was woken; move anything other threads queued
//! into the local run queue; poll up to `event_interval` tasks; then turn the
//! driver, without blocking if work remains, or blocking in `epoll_wait`
//! until an event, a timer or an unpark when there is none. An idle runtime
//! burns no CPU. Each poll (of a task or of the main future) starts with a
//! budget of 128 operations on the runtime's resources; when it is spent,
//! they return `Pending` and the task is *deferred*: like a task that calls
//! `yield_now`, it is woken only after the next turn of the driver, so I/O
//! and timers always get a look between two polls of a busy task. A task
//! whose poll panics has its future dropped during the unwind, as a
//! panicking function drops its locals.
//!
//! **The wake path.** A task's `Waker` is its pointer. Waking it moves the
//! state to `NOTIFIED`; a task already notified, running or complete is not
//! queued again. On the runtime's own thread the task goes onto the local
//! run queue — no lock, no system call. From another thread it goes onto the
//! injection queue, and the runtime's single eventfd is written only if the
//! runtime is parked, once per park. (The seed gave every future its own
//! eventfd; one per runtime keeps the idea without a descriptor per task.)
//! When its last sleep was ended by another thread, the runtime may spin
//! (up to [`max_spin`](runtime::Builder::max_spin), 50 µs by default)
//! before it sleeps again: a peer thread that answers within microseconds
//! then costs neither side a wake-up. The spin is a bet, and the runtime
//! stops betting when it stops winning: it keeps spinning only while wakes
//! are caught within 5 µs (about what sleeping and waking cost the runtime
//! thread), and once asleep it probes with one spin every 64 remote wakes.
//! A producer that wakes the runtime at its own pace, every 10 µs or every
//! millisecond, thus costs about the CPU a runtime that never spins would
//! use, while a ping-pong partner keeps both threads awake. The
//! current-thread runtime bets the same way on sockets, with books of their
//! own: when a socket's event ended its last sleep and a socket has sent
//! something since (an answer or a request went out), it spins looking at
//! epoll without blocking, since a peer that answers within microseconds
//! (a client in lock-step) then finds it awake. Input alone never starts
//! that spin: a streaming sender runs at its own pace, and catching its
//! next segment saved neither side anything. No spin runs past a timer's
//! deadline or on a one-CPU machine. When no descriptor is registered, the
//! periodic non-blocking look at epoll is skipped.
//!
//! **I/O.** Every socket (and every [`AsyncFd`](io::AsyncFd)) is registered
//! once with `epoll`, edge-triggered for both directions and, for sockets,
//! urgent data (an `AsyncFd` asks for what it needs,
//! [`Interest`](io::Interest)); reads and writes never call
//! `epoll_ctl` again, and a drop deregisters before it closes.
//! A registration's readiness is one atomic word: the bits the driver last
//! reported plus a tick it bumps on every event. An operation tries its
//! system call while the bit is set; on `WouldBlock` (or a short read or
//! write) it clears the bit only if the tick has not moved, so an event that
//! raced with the failure is never lost. Then it leaves its waker: one slot
//! per direction for `poll_read`-style calls, a list for futures such as
//! `accept` or `recv`, so a reader and a writer (and any number of waiting
//! futures) wait independently. Registrations live in a slab and their
//! epoll token is index plus generation: an event for a closed descriptor
//! never wakes the one that reused its slot. `epoll_wait` returns up to 1024
//! events at a time; the driver sets their readiness under one lock and wakes
//! the tasks after releasing it. A TCP echo server thus costs three system
//! calls per round trip (`epoll_wait`, `recv`, `send`). Host names are
//! resolved on the blocking pool; literal addresses are parsed in place.
//!
//! **Timers.** Each runtime has one timer queue, a hierarchical timing
//! wheel (ten levels of 64 slots over 1 µs ticks, so any `u64` nanosecond
//! deadline fits), chosen over a heap because insert and cancel are O(1):
//! about 20 ns, three times less than a 4-ary heap with 50k timers queued. A
//! `Sleep` takes a slot on its first poll and gives it back when dropped, so
//! created-and-dropped timeouts leave memory flat. Deadlines are kept to the
//! nanosecond: the driver's `epoll_pwait2` timeout is the earliest deadline
//! (rounded *up* to the millisecond on kernels without it), every turn of
//! the driver, blocking or not, fires what has expired, and a timer never
//! fires before its deadline. While `block_on` runs, the thread's timer
//! slack is lowered from the kernel's 50 µs to 1 µs (and restored after),
//! so a sleep wakes within tens of microseconds of its deadline.
//!
//! **The clock.** Deadlines are read on the runtime's clock, one per
//! runtime and shared by its drivers ([`time::now`]): the OS's monotonic
//! clock, unless paused (feature `test-util`). A paused clock stands still,
//! and the drivers' waits stop counting timers. Every runtime thread counts
//! itself awake or asleep on the clock; the last one to go to sleep first
//! takes what its own driver has, then jumps the clock to the earliest
//! deadline of all drivers and fires it, if the runtime is idle: no peer
//! unparked or with epoll events waiting, no blocking job (so no `fs`
//! operation), no child waited for through its pidfd, and no stream to a
//! local peer awaiting a reply (at most 1 s of real time per write). A
//! thread that woke and slept again during the check bumps an epoch, which
//! voids the jump.
//!
//! **Shutdown.** Dropping the `Runtime` closes the injection queue, drops
//! every unfinished future inside the runtime's context, resolves their
//! `JoinHandle`s to a cancelled [`JoinError`](task::JoinError), and waits
//! for the blocking jobs (those queued beyond the pool's cap are
//! cancelled). A waker that outlives the runtime finds its
//! task complete and does nothing; a socket fails, and a timer polled
//! after the shutdown panics saying so, as in tokio.
//!
//! **The multi-thread flavor.** [`Builder::new_multi_thread`](runtime::Builder::new_multi_thread)
//! starts one worker thread per CPU (or
//! [`worker_threads`](runtime::Builder::worker_threads)). Each worker is the
//! current-thread runtime's core — its own eventfd and run queue, the same
//! tick loop, budget, deferred yields and park policy — plus what joins the
//! workers:
//!
//! - *A stealable run queue.* A `Send` task spawned or woken on a worker goes
//!   to the back of that worker's bounded ring (256 slots; when full, the
//!   older half moves to the injection queue in one batch). When the ring
//!   holds more than the next task and no worker searches, one sleeper is
//!   woken to steal; the wakes of one driver turn wake at most one. For
//!   woken tasks (not spawned ones) "more" means worth a wake-up: more
//!   than about 50 µs of work at the worker's mean poll time (timed once
//!   per round of its tick loop), so 1 task beyond the next for long polls
//!   (tokio's rule) up to 32 for polls of a microsecond or two. A burst of
//!   short requests is answered by the worker that saw it before a woken
//!   peer could start. The owner pops
//!   from the front; a worker with nothing to do (or nothing but a task or
//!   two that yielded: a `yield_now` loop) claims half of another's
//!   ring with one compare-exchange and copies it into its own. The ring has
//!   no `unsafe` and is model-checked with loom (push, pop, steal, overflow,
//!   two stealers). A lone worker (`worker_threads(1)`) has nobody to steal
//!   from it and nobody to share with: its `Send` tasks live as a
//!   current-thread core's, in its core's run queue and owned list beside
//!   its pinned tasks, without a lock (only its thread lists, completes and
//!   drops them); it drains the injection queue once per round of its tick
//!   loop, as that core does.
//!   A surplus wakes no sleeper while as many workers are awake as the
//!   process may use CPUs (they would only time-slice), nor while the
//!   worker's own last measure, or every peer's in the last 5 ms, found
//!   short tasks: tasks that complete
//!   within 1 µs of polling, on average over a millisecond of its polls
//!   (each poll counted up to 4 µs, so that the one long poll of a
//!   spawning loop does not hide the short tasks it spawns; per completed
//!   task, so that a task that yields a thousand times counts as long).
//!   Moving a task to another CPU costs both threads about 0.4 µs: 10,000
//!   empty tasks spawned from one task took two sharing workers 3.5 times
//!   as long as one worker, at 7 times its CPU. A peer that is awake
//!   still steals; once its measure is 5 ms old the next surplus wakes
//!   it again, and the watcher wakes one sooner if a poll runs long with
//!   tasks queued behind it.
//! - *The injection queue.* Spawns and wakes from threads that are not
//!   workers (the `block_on` thread, blocking threads, other runtimes) go to
//!   one lock-free queue (blocks of 63 slots; a push is one compare-exchange
//!   and one store); a new task joins the owned list when a worker takes it
//!   from there, under a lock only the takers use. A worker takes a fair share (queued ÷
//!   workers, at most 64) whenever its ring runs dry, and looks there first
//!   every 8 polls even when it does not, so a busy local chain delays a
//!   remote spawn by a few polls, never a whole queue; then it takes a
//!   share only while its ring holds fewer than 64 tasks, else one task (a
//!   share on top of a long ring filled it until its overflow carried the
//!   same tasks back to the injection queue). After its ring overflowed,
//!   and while the injection queue holds more than its (long) ring, it
//!   takes from there first at every other poll: the older half of a
//!   driver turn's wakes (hundreds of connections) runs at the newer
//!   half's pace, where a look every 8 polls left it to wait 8 times as
//!   long (with 1,000 connections on one CPU, p99 12–15 ms against
//!   28–85 ms before and tokio-mt's 47–57 ms). Every poll, the older half
//!   strictly first, cut p99 to 9–12 ms but cost 5–15 % of the requests
//!   per second: each poll then met the connection served longest ago,
//!   whose state had left the CPU caches. A share that leaves a
//!   surplus on the ring goes through the idle protocol below, so a worker
//!   parking meanwhile is woken for it (unless its tasks are short, as
//!   above: the worker that took them runs them). A remote spawn or wake
//!   wakes no sleeper while an awake worker's own measure is short: that
//!   worker takes it within a few polls, and one sleeper woken per spawn
//!   only made two workers share 50 ns tasks at both threads' expense.
//!   Out of work, that worker first waits up to 5 µs for more, awake (while
//!   such waits pay, as the runtime thread's spin above): parking would
//!   clear its flag and the producer's next spawn would wake a peer. It
//!   clears the flag only once it is on the sleepers' list, and a
//!   producer checks the flags again under the list's lock, so a producer
//!   that sees it cleared wakes that worker, not the peer (loom-checked).
//!   If it gets stuck in a long poll instead, the watcher wakes a sleeper
//!   for the injection queue.
//! - *Idle workers.* One atomic word counts awake and searching workers;
//!   the sleepers' ids sit behind a mutex. New work wakes a sleeper only if
//!   none searches (no thundering herd), the woken worker searches, and a
//!   searcher that finds work wakes the next one only if it was the last
//!   searcher. The last searcher to go to sleep looks at every queue once
//!   more, so no work is left without a worker: the queuer and the parker
//!   each fence before reading the other's side (loom-checked).
//! - *One epoll for every socket*, as tokio's I/O driver. At most one
//!   sleeping worker waits in it at a time: the one that takes that role
//!   (a compare-exchange on a flag, never waited for). The other sleepers
//!   wait in their own epoll, which holds just their eventfd, and a busy
//!   worker takes the shared epoll's events without blocking every
//!   `event_interval` polls (epoll hands each event to one caller; a look
//!   that takes the sleeper's wake-up writes it again). The events of one
//!   wait wake their tasks on that worker; once it has left the sleepers'
//!   list, a surplus wakes one sleeper to steal (so the wake never picks
//!   the waking worker itself).
//!   Whether a wake must write the worker's own eventfd or the shared one
//!   is decided by the same atomic word that decides whether to write at
//!   all (`park.rs`, loom-checked).
//! - *One set of timers, sharded.* A timer registers in the wheel of the
//!   worker it is first polled on (from other threads, each worker's in
//!   turn), so inserts and cancels seldom meet another thread's lock; every
//!   driver turn of any worker fires what is due in every shard. Only the
//!   worker asleep in the shared epoll bounds its wait by the timers, so a
//!   quiet runtime wakes one thread per deadline, not one per worker that
//!   holds timers; the others sleep until woken. A new earliest timer
//!   wakes that worker through the shared eventfd (a handshake with the
//!   role's flag, `sleeper.rs`, loom-checked); if nobody sleeps there, a
//!   worker is awake and fires it at its next turn.
//!   Per-worker epolls were tried first and measured (BENCHMARKS.md):
//!   a worker slept while its busy peer's sockets were ready, and the
//!   remedies (turning peers' epolls before sleeping, a watch set of nested
//!   epolls) cost about twice the `epoll_wait` calls per request.
//! - *No stranded driver.* A worker holds its driver's lock while it turns
//!   it or sleeps in it, and never holds the shared epoll while it runs a
//!   task, so a worker stuck in a long poll strands no socket: another
//!   worker sleeps in the shared epoll, or a busy one looks at it. A
//!   watcher thread looks at the awake workers every 2 ms, and turns the
//!   driver of one that has not turned it itself for 2 ms, non-blocking,
//!   under a try-lock (its timers and the shared epoll's events; if a
//!   worker sleeps in its own epoll with nobody in the shared one, the
//!   watcher wakes it to take that place); the wakes go to the
//!   injection queue, where an idle worker (woken for them) or a busy one
//!   (at its next look, every 8 polls) runs them. The tasks queued behind
//!   the stuck poll are stolen: the watcher wakes a sleeping worker for
//!   them, and if nothing has left the stuck worker's queue for 2 ms either
//!   (busy workers steal only once their own queue runs dry), it moves half
//!   of that queue to the injection queue per look. So a timer, socket or
//!   queued task of a worker stuck in a long poll or in `block_in_place` is
//!   served within about 2–4 ms, whatever woke that
//!   worker and whatever the others do (with every CPU busy spinning, plus
//!   up to a scheduler time slice: the watcher runs at the lowest priority,
//!   so that its wake-ups never preempt a worker); only tasks pinned to it
//!   (`spawn_local`) wait for it. With every worker
//!   asleep for 10 ms (five looks) the watcher sleeps too, without a
//!   timeout; the first worker to leave its `epoll_wait` wakes it (a fence
//!   on each side, as in the idle protocol). The cost is one wake-up of the
//!   watcher per 2 ms while some worker is awake, and five after the last
//!   one fell asleep.
//! - *Pinned tasks.* [`task::spawn_local`] on a worker pins the task there:
//!   it lives on the worker's own queue, which is never stolen from, and its
//!   header points to that worker, so its wakes can only queue it there.
//! - *A `block_on` thread* is not a worker: it runs the main future and
//!   the `spawn_local` tasks of that thread (like a `LocalSet`), and sleeps
//!   in its own epoll meanwhile (one per thread, opened at its first
//!   `block_on`, closed with the runtime); `spawn` from there goes to the
//!   injection queue. Several threads may be in `block_on` at once. It
//!   spins before it sleeps under the same policy as a current-thread
//!   runtime, also when the workers have every CPU: a thread joining their
//!   tasks one by one then catches most completions without a sleep (and
//!   spares the worker an eventfd write per join).
//! - *Owned tasks* are sharded by task id behind mutexes, since any worker
//!   may complete any `Send` task. Shutdown closes the injection queue and
//!   then the shards (later spawns are cancelled at once), stops the
//!   workers, which drop their pinned tasks on their own threads, drops
//!   every other unfinished future inside the runtime's context, closes
//!   the epolls, and then waits for blocking jobs.
//! - [`task::block_in_place`] moves the worker's queued and yielded tasks to the
//!   injection queue and wakes an idle worker to run them; the watcher looks
//!   after the blocked worker's driver.
//!
//! **Blocking work.** `spawn_blocking` hands a closure to a pool of OS
//! threads started on demand (up to `max_blocking_threads`) that exit after
//! `thread_keep_alive` idle. A job is a task whose future runs the closure in
//! one poll, so its completion wakes the joiner like any cross-thread wake.
//! The closure runs inside its runtime's context: `Handle::current()`,
//! `spawn`, `sleep` and sockets work there, and tasks it spawns reach the
//! runtime through the injection queue.
//!
//! **Signals.** The process's handler for a signal (installed through
//! signal-hook-registry, once, for the life of the process) only bumps that
//! signal's delivery counter and writes one process-wide eventfd, which is
//! never closed. Each listener owns a `dup` of it, registered edge-triggered
//! with its runtime like any socket, and compares counters when woken; no
//! signal mask is touched (see [`signal`]).
//!
//! **Child processes.** [`process::Command`] spawns with std's builder, then
//! opens the child's pidfd (`pidfd_open`) and registers it with the reactor
//! like a socket: it becomes readable when the child exits, and `wait`
//! reaps it with `waitpid(pid, WNOHANG)`. No SIGCHLD handler is installed
//! and no thread waits in `waitpid`. A `Child` dropped before it was reaped
//! leaves its pidfd to a small detached task, which reaps the child when it
//! exits; `kill` signals through the pidfd, so a recycled pid is never
//! hit. The piped stdin, stdout and stderr are non-blocking pipes on the
//! reactor. Without pidfd (Linux before 5.3), waiters poll `waitpid` on a
//! timer instead.
//!
//! **Files.** [`fs`] runs `std::fs` calls on the blocking pool, as tokio
//! does, but shares pool jobs: a [`fs::File`]'s write job keeps writing
//! what was written while it ran, reads fetch at least 64 KiB, and
//! [`fs::read_dir`] fetches 256 entries a job. A failed background write
//! is kept and returned until a seek; [`fs::File::close`] reports it.
//!
//! **hyper and axum.** With the `hyper` feature, the streams implement hyper's I/O traits and
//! the `guillotine::hyper` module has hyper's executor and timer, an HTTP/1
//! and HTTP/2 server with graceful shutdown, and a connector for
//! hyper-util's pooled client: hyper, and axum's `Router`, run on
//! guillotine without a tokio runtime (see that module for which hyper-util
//! pieces to use).

#![deny(
    unsafe_op_in_unsafe_fn,
    unused_must_use,
    missing_docs,
    missing_debug_implementations,
    rust_2018_idioms,
    clippy::undocumented_unsafe_blocks
)]
#![warn(clippy::missing_safety_doc)]

#[cfg(not(target_os = "linux"))]
compile_error!("guillotine runs on Linux only: it is built directly on epoll and eventfd.");

pub(crate) mod loom;
pub(crate) mod sys;

#[cfg(feature = "hyper")]
pub mod hyper;
#[doc = include_str!("coming_from_tokio.md")]
pub mod coming_from_tokio {}
pub mod fs;
pub mod io;
pub mod net;
pub mod process;
pub mod runtime;
pub mod signal;
pub mod task;
pub mod time;

pub use task::{spawn, spawn_blocking};

#[cfg(feature = "macros")]
pub use guillotine_macros::{main, test};

#[doc(hidden)]
#[path = "macro_support.rs"]
pub mod __private;
