//! What a worker adds to the tick loop of [`Core`]: its stealable run queue,
//! taking from the injection queue in batches, stealing, and the idle
//! protocol around the shared park policy.
//!
//! # Where a task goes
//!
//! * Spawned or woken on a worker: the back of that worker's run queue. If
//!   the queue then holds more than the task about to run and no worker is
//!   searching, one sleeping worker is woken to steal. The tasks a driver
//!   turn wakes wake at most one, once the turn is over. For woken tasks
//!   (a turn's, or any other wake on this worker) "more" means enough to
//!   amount to [`WAKE_WORTH`] of work at this worker's mean poll time.
//!   None is woken while every peer measured, in the last
//!   [`SHORT_HOLDS`], that tasks typically complete within [`SHORT_TASK`]
//!   of polling (`Worker::keeps_short_tasks`), nor while this worker's
//!   own last measure did (its `runs_short`).
//! * A full run queue moves its older half to the injection queue at once;
//!   the worker then takes from there first at every other poll while it
//!   holds more than the run queue (`Worker::inject_is_behind`), so the
//!   older half is served at the newer half's pace, not behind it.
//! * Spawned or woken elsewhere: the injection queue, and one sleeping
//!   worker is woken unless one searches or an awake one runs short tasks
//!   (`Workers::notify_remote`): that worker takes it within a few polls,
//!   and out of work it waits a moment for more before it parks
//!   (`Worker::waits_for_remote_work`). Workers take a fair share from it
//!   whenever their own queue runs dry, and every [`INJECT_EVERY`] polls
//!   and `event_interval` polls even when it does not (one task while their
//!   queue is long), so busy local chains cannot starve remote work.
//!
//! A lone worker (`Worker::alone`) has no ring: its tasks go where a
//! current-thread core's go, onto its core's queue.
//!
//! A worker stuck in a long poll has its driver turned by the runtime's
//! watcher thread (`watch.rs`).

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::Ordering::{Relaxed, SeqCst};
use std::sync::atomic::fence;
use std::time::{Duration, Instant};

use super::Workers;
use super::queue::{CAPACITY, Local};
use crate::runtime::scheduler::{Core, Shared};
use crate::runtime::spin::{PAYS, SpinPolicy, spin_until};
use crate::runtime::task::{JoinHandle, RawTask, new_task};

/// The most tasks taken from the injection queue at once.
const INJECT_BATCH: usize = 64;

/// How much work the tasks woken on a worker (by a driver turn, or by
/// other tasks) must amount to before a sleeping peer is woken for them:
/// about what that wake costs before the peer runs anything (a cross-CPU
/// wake-up, the peer's return from `epoll_wait` and its steal; 25 µs for
/// the wake-up alone on a small VM). Less, and this worker is through them
/// before the peer arrives, which then only takes a CPU that others (the
/// server's clients, on a small machine) need.
const WAKE_WORTH: Duration = Duration::from_micros(50);

/// The most woken tasks a worker keeps to itself without waking a peer,
/// however short its polls.
const MAX_SURPLUS: usize = 32;

/// How many woken tasks beyond the next must be queued to be worth a
/// peer's wake-up, for polls of `mean_ns` each: [`WAKE_WORTH`] of
/// them, from 1 (tokio's rule: any) to [`MAX_SURPLUS`].
fn surplus_for(mean_ns: u64) -> usize {
    let worth = WAKE_WORTH.as_nanos() as u64 / mean_ns.max(1);
    usize::try_from(worth)
        .unwrap_or(MAX_SURPLUS)
        .clamp(1, MAX_SURPLUS)
}

/// The moving average of poll times over about 8 rounds, after a round
/// whose polls took `sample_ns` each.
fn mean_poll_ns(mean_ns: u64, sample_ns: u64) -> u64 {
    mean_ns - mean_ns / 8 + sample_ns / 8
}

/// Tasks that complete within this much polling, as measured by every
/// peer, run faster where they were queued than on a woken peer: moving a
/// task to another CPU costs both threads about 0.4 µs (its cell, its
/// owned-list shard, the allocator's chunk and whatever it shares with its
/// spawner change caches), and a 50 ns task then costs ten times its
/// work. With 10,000 empty tasks spawned from one task, two workers that
/// shared them took 3.5 times as long as one worker alone, at 7 times its
/// CPU. What counts is the work a task takes along, not one poll's: 200
/// tasks that each yield 1,000 times poll as briefly, but a task moved to
/// a peer makes its 1,000 polls there, and sharing them halves the time.
const SHORT_TASK: Duration = Duration::from_micros(1);

/// The most one poll counts for in a worker's measure of its tasks: one
/// long poll (the loop that spawns the short tasks) must not hide that the
/// tasks it spawns are short.
const POLL_CAP: Duration = Duration::from_micros(4);

/// How much polling (each poll counted up to [`POLL_CAP`]) one measure of
/// a worker's time per completed task spans: long enough to see a task
/// that yields a thousand times complete, short enough to follow a change.
const MEASURE_SPAN: Duration = Duration::from_millis(1);

/// How long a worker's measure of short tasks holds for its peers: a
/// worker that slept since runs nothing, so it cannot tell that the tasks
/// have grown long. Once this has passed, the next surplus wakes it, and
/// it measures again. Tasks that grew long wait at most this long for a
/// peer (less if a poll runs long enough for the watcher, `watch.rs`).
const SHORT_HOLDS: Duration = Duration::from_millis(5);

/// How much of a round that took `took_ns` for `polls` polls counts
/// toward a measure (each poll up to [`POLL_CAP`]).
fn counted_ns(took_ns: u64, polls: u32) -> u64 {
    took_ns.min(POLL_CAP.as_nanos() as u64 * u64::from(polls))
}

/// Whether `counted_ns` of polling that completed `tasks` tasks makes
/// them short (see [`SHORT_TASK`]).
fn tasks_are_short(counted_ns: u64, tasks: u32) -> bool {
    counted_ns / u64::from(tasks.max(1)) < SHORT_TASK.as_nanos() as u64
}

/// A worker left with at most this many tasks that yielded, and nothing
/// else to run, steals from a peer before it runs them again, as a worker
/// that ran dry does: a `yield_now` loop must not keep its worker from
/// helping a peer with a long queue. tokio steals whatever the count; with
/// many (every task yielded in turn) stealing only moved tasks back and
/// forth between balanced workers (`yield_many` 7–12 % slower).
const YIELD_LOOPS: usize = 2;

/// A worker looks at the injection queue before its own run queue once
/// every this many polls (an atomic load when it is empty), so that remote
/// spawns and wakes wait for a few polls of a busy local chain, not for the
/// whole queue or a full `event_interval`. It takes a batch only while its
/// run queue is shorter than a batch, else one task: batches on top of a
/// long queue would fill it until it overflowed back into the injection
/// queue, moving the same tasks back and forth.
const INJECT_EVERY: u32 = 8;

/// While the injection queue holds the older half of this worker's
/// overflowed run queue (see [`Worker::inject_is_behind`]), it is looked at
/// first once every this many polls: both halves are then served at the
/// same pace, so the older waits about as long as the newer. At every poll
/// (the older half strictly first) each poll meets the least recently
/// served connection, whose state has left the CPU caches: with 1,000
/// connections on one CPU, 5–15 % fewer requests per second than this
/// pace for a p99 of 9–12 ms against 13–15 ms.
const BEHIND_EVERY: u32 = 2;

/// A worker's own state, beside the [`Core`] it shares with the
/// current-thread runtime.
pub(crate) struct Worker {
    /// The runtime (its `workers` is set).
    pub(crate) mt: Arc<Shared>,
    /// This worker's index in `Workers::remotes`.
    pub(crate) index: usize,
    /// The owner's end of this worker's run queue (`Send` tasks).
    ring: RefCell<Local<CAPACITY>>,
    /// Whether this worker counts as searching in the idle bookkeeping.
    searching: Cell<bool>,
    /// The state of the random start of a steal round.
    rng: Cell<u32>,
    /// Polls since the injection queue was last looked at first.
    tick: Cell<u32>,
    /// Set when this worker's run queue overflowed into the injection
    /// queue, until that queue is no longer behind (see
    /// [`Worker::inject_is_behind`]).
    overflowed: Cell<bool>,
    /// Set while this worker turns a driver: the wakes it dispatches queue
    /// here without waking a sleeper each; one look after the turn does.
    in_turn: Cell<bool>,
    /// Set while this worker sleeps (and turns its driver in `park`): it
    /// is still on the sleepers' list then, so a wake-up for the surplus
    /// of that turn could pick this very worker; it waits until the
    /// worker has left the list.
    parked: Cell<bool>,
    /// Whether this is the runtime's only worker: nobody steals and only
    /// its thread lists, completes and drops its tasks, so they live as a
    /// current-thread core's do: in its core's run queue (the stealable
    /// ring stays empty) and its core's owned list (no lock).
    pub(crate) alone: bool,
    /// The mean time of one poll, in nanoseconds, over recent rounds of the
    /// tick loop (a moving average).
    poll_ns: Cell<u64>,
    /// How many woken tasks beyond the next must be queued to wake a peer
    /// (`surplus_for(poll_ns)`).
    surplus: Cell<usize>,
    /// The polling time counted toward the current measure of this
    /// worker's time per completed task (see [`MEASURE_SPAN`]), and the
    /// tasks completed in it.
    measured_ns: Cell<u64>,
    measured_tasks: Cell<u32>,
    /// What this worker last published as its `short_until_ns`; not 0
    /// while its last measure found its tasks short.
    short_until: Cell<u64>,
    /// When the current round of its tick loop started, in nanoseconds
    /// since `Workers::epoch`: "now" for [`Worker::keeps_short_tasks`],
    /// without a clock read per spawn.
    round_ns: Cell<u64>,
    /// What this worker last published as its `runs_short` (see
    /// `Workers::notify_remote`).
    runs_short: Cell<bool>,
    /// Whether the last round's polls took [`POLL_CAP`] or more each.
    long_round: Cell<bool>,
    /// Whether waiting a moment for remote work before parking has been
    /// paying (see [`Worker::waits_for_remote_work`]).
    pre_park: Cell<SpinPolicy>,
    /// The longest such wait: [`PAYS`], or less if `max_spin` is less;
    /// zero on one CPU, where it would only delay the producer.
    pre_park_limit: Duration,
}

impl std::fmt::Debug for Worker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Worker")
            .field("index", &self.index)
            .field("queued", &self.ring.borrow().len())
            .finish_non_exhaustive()
    }
}

impl Worker {
    pub(crate) fn new(mt: Arc<Shared>, index: usize, ring: Local<CAPACITY>) -> Worker {
        let workers = mt.workers.as_ref().expect("a worker's runtime has workers");
        let alone = workers.len() == 1;
        let pre_park_limit = if crate::sys::online_cpus() > 1 {
            PAYS.min(mt.config.max_spin)
        } else {
            Duration::ZERO
        };
        Worker {
            mt,
            index,
            ring: RefCell::new(ring),
            searching: Cell::new(false),
            // Any odd seed will do; the index spreads workers apart.
            rng: Cell::new(0x9E37_79B9 ^ (index as u32).wrapping_mul(0x85EB_CA6B) | 1),
            tick: Cell::new(0),
            overflowed: Cell::new(false),
            in_turn: Cell::new(false),
            parked: Cell::new(false),
            alone,
            // Until measured, every queued task beyond the next is worth a
            // peer, as in tokio.
            poll_ns: Cell::new(WAKE_WORTH.as_nanos() as u64),
            surplus: Cell::new(1),
            measured_ns: Cell::new(0),
            measured_tasks: Cell::new(0),
            short_until: Cell::new(0),
            round_ns: Cell::new(0),
            runs_short: Cell::new(false),
            long_round: Cell::new(false),
            pre_park: Cell::new(SpinPolicy::new()),
            pre_park_limit,
        }
    }

    pub(crate) fn workers(&self) -> &Workers {
        self.mt
            .workers
            .as_ref()
            .expect("a worker's runtime has workers")
    }

    pub(crate) fn is_shutdown(&self) -> bool {
        self.workers().is_shutdown()
    }

    /// Spawns a `Send` task onto this worker's run queue (`core`: its own).
    pub(crate) fn spawn<F>(&self, core: &Core, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let (raw, handle) = new_task(future, self.mt.clone());
        if self.bind(core, raw).is_err() {
            // Spawned during shutdown: never runs.
            raw.cancel_new();
            return handle;
        }
        self.mt.metrics.task_spawned();
        self.push(core, raw);
        handle
    }

    /// Links a new task of this runtime into its owned list (a lone
    /// worker's: its core's); fails once shutdown has closed that list.
    fn bind(&self, core: &Core, task: RawTask) -> Result<(), ()> {
        if self.alone {
            core.list(task)
        } else {
            self.workers().bind(task)
        }
    }

    /// Queues a `Send` task of this runtime on this worker (one reference
    /// handed over; `core`: its own), and wakes a sleeper to steal if there
    /// is a surplus.
    pub(crate) fn push(&self, core: &Core, task: RawTask) {
        self.push_with(core, task, 1);
    }

    /// Queues a task woken on this worker: as [`Worker::push`], but a
    /// peer is woken only for a surplus worth a wake-up, as after a driver
    /// turn.
    pub(crate) fn push_woken(&self, core: &Core, task: RawTask) {
        self.push_with(core, task, self.surplus.get());
    }

    fn push_with(&self, core: &Core, task: RawTask, worth: usize) {
        if self.alone {
            core.push_back(task);
            return;
        }
        let mut ring = self.ring.borrow_mut();
        let mut overflowed = false;
        ring.push_back(task.addr(), |overflow| {
            overflowed = true;
            let moved = self
                .mt
                .inject
                .push_woken_batch(overflow.map(RawTask::from_addr));
            if let Err(rejected) = moved {
                // Shutting down: the owned list cancels them.
                rejected.into_iter().for_each(RawTask::drop_ref);
            }
        });
        let surplus = overflowed || ring.len() > worth;
        drop(ring);
        if overflowed {
            self.overflowed.set(true);
        }
        if surplus && !self.in_turn.get() {
            self.wake_peer_for_surplus();
        }
    }

    /// Wakes a sleeping peer for this worker's surplus, unless nobody
    /// sleeps, one searches, enough are awake, or the surplus is of short
    /// tasks (`Worker::keeps_short_tasks`: its own measure here, the
    /// peers' in `Workers::notify_hint`, after that one's cheap look at
    /// the idle word).
    fn wake_peer_for_surplus(&self) {
        if self.runs_short.get() {
            return;
        }
        self.workers().notify_hint(self.index, self.round_ns.get());
    }

    /// Whether this worker keeps its surplus to itself because its tasks
    /// are short (complete within [`SHORT_TASK`] of polling, typically):
    /// by its own last measure, or by every peer's in the last
    /// [`SHORT_HOLDS`]. It runs such tasks faster than a woken peer would,
    /// and the peer's CPU stays free. Its own measure alone is not enough
    /// to wake a peer: a spawner's rounds may hold little but the task
    /// that spawns them, and measure long; the peers' then tell what its
    /// tasks cost when they ran them. A peer that is awake still steals.
    /// Should tasks here grow long, a peer is woken for them once the
    /// measures say so (two long rounds end this worker's at once, a
    /// peer's expires), or sooner by the watcher if a poll runs long with
    /// tasks queued behind it (`watch.rs`).
    fn keeps_short_tasks(&self) -> bool {
        self.runs_short.get()
            || self
                .workers()
                .peers_run_short_tasks(self.index, self.round_ns.get())
    }

    /// Runs `turn` (a turn of a driver) with the per-wake notifications
    /// held back, then wakes one sleeper if the wakes left a surplus: a
    /// burst of I/O events costs at most one wake-up of another worker, as
    /// in tokio.
    pub(crate) fn turning<R>(&self, turn: impl FnOnce() -> R) -> R {
        let outer = self.in_turn.replace(true);
        let r = turn();
        self.in_turn.set(outer);
        if !outer && !self.parked.get() && self.ring.borrow().len() > self.surplus.get() {
            self.wake_peer_for_surplus();
        }
        r
    }

    /// The next task of this worker's run queue (its core's queue is
    /// empty), or a batch from the injection queue when it is empty or its
    /// turn has come.
    pub(crate) fn pop(&self, core: &Core) -> Option<RawTask> {
        let task = if self.alone {
            // Its queue is its core's, which was empty; the core drains the
            // injection queue once per round as a current-thread core does.
            self.pop_injected(core, INJECT_BATCH)
        } else {
            let tick = self.tick.get().wrapping_add(1);
            self.tick.set(tick);
            let remote_first = if tick.is_multiple_of(INJECT_EVERY)
                || (tick.is_multiple_of(BEHIND_EVERY) && self.inject_is_behind())
            {
                self.pop_injected(core, self.fair_share())
            } else {
                None
            };
            remote_first
                .or_else(|| self.ring.borrow_mut().pop().map(RawTask::from_addr))
                .or_else(|| self.pop_injected(core, INJECT_BATCH))
        }?;
        self.found_work();
        Some(task)
    }

    /// Whether, since this worker's run queue overflowed, the injection
    /// queue holds more tasks than the (long) run queue: it then holds the
    /// older half of that queue (a driver turn that woke hundreds of
    /// connections), which must not wait [`INJECT_EVERY`] times as long as
    /// the newer half, so it is served every [`BEHIND_EVERY`] polls. Without
    /// an overflow of this worker's own, remote spawns keep their pace (one
    /// look per [`INJECT_EVERY`] polls): taking them one at a time, each
    /// through the queue's lock, would slow a busy spawner's workers.
    fn inject_is_behind(&self) -> bool {
        if !self.overflowed.get() {
            return false;
        }
        let queued = self.ring.borrow().len();
        let behind = queued >= INJECT_BATCH && self.mt.inject.len() > queued;
        if !behind {
            self.overflowed.set(false);
        }
        behind
    }

    /// How many tasks to take from the injection queue while the run queue
    /// is not empty (see [`INJECT_EVERY`]).
    fn fair_share(&self) -> usize {
        if self.ring.borrow().len() < INJECT_BATCH {
            INJECT_BATCH
        } else {
            1
        }
    }

    /// A round of the tick loop starts: its start, if this worker times
    /// its rounds (one with peers, see [`Worker::round_ended`]).
    pub(crate) fn round_started(&self) -> Option<Instant> {
        if self.alone {
            return None;
        }
        let now = Instant::now();
        self.round_ns.set(self.workers().ns_since_epoch(now));
        Some(now)
    }

    /// A round of the tick loop that started at `started` polled `polls`
    /// tasks, of which `completed` completed, leaving `queued` on its
    /// core's queue.
    ///
    /// A worker with peers updates its mean poll time, and from it how
    /// many woken tasks must be queued to wake a peer. Short polls (a
    /// request answered in a few microseconds) leave a handful to this
    /// worker, which is through them before a woken peer would run; long
    /// ones wake a peer for the first task beyond the next, as in tokio.
    /// It also measures its time per completed task (see
    /// [`Worker::keeps_short_tasks`]).
    ///
    /// A lone worker (whose rounds are not timed: no `started`), whose
    /// queue is its core's, stores its length for the metrics read from
    /// other threads.
    pub(crate) fn round_ended(
        &self,
        started: Option<Instant>,
        polls: u32,
        completed: u32,
        queued: usize,
    ) {
        let Some(started) = started else {
            self.workers().remotes[self.index]
                .solo_depth
                .store(queued, Relaxed);
            return;
        };
        if polls == 0 {
            return;
        }
        let took = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
        let per_poll = took / u64::from(polls);
        let mean = mean_poll_ns(self.poll_ns.get(), per_poll);
        self.poll_ns.set(mean);
        self.surplus.set(surplus_for(mean));
        self.measure(took, polls, completed);
        // Long polls two rounds in a row (one may only have been
        // preempted): remote work must not wait for this worker's next
        // measure to wake a peer.
        let long = per_poll >= POLL_CAP.as_nanos() as u64;
        if self.long_round.replace(long) && long {
            self.publish_runs_short(false);
        }
    }

    /// Counts a round of `polls` polls that took `took_ns` and completed
    /// `completed` tasks toward this worker's time per completed task; at
    /// the end of a [`MEASURE_SPAN`], publishes whether it was short, for
    /// [`SHORT_HOLDS`] (see [`Worker::keeps_short_tasks`]).
    fn measure(&self, took_ns: u64, polls: u32, completed: u32) {
        let counted = self.measured_ns.get() + counted_ns(took_ns, polls);
        let tasks = self.measured_tasks.get().saturating_add(completed);
        if counted < MEASURE_SPAN.as_nanos() as u64 {
            self.measured_ns.set(counted);
            self.measured_tasks.set(tasks);
            return;
        }
        self.measured_ns.set(0);
        self.measured_tasks.set(0);
        let short = tasks_are_short(counted, tasks);
        self.publish_runs_short(short);
        let until = if short {
            let end = self.round_ns.get().saturating_add(took_ns);
            end.saturating_add(SHORT_HOLDS.as_nanos() as u64)
        } else {
            0
        };
        if until != 0 || self.short_until.replace(0) != 0 {
            self.short_until.set(until);
            self.workers().set_short_until(self.index, until);
        }
    }

    /// Publishes whether this worker is awake and runs short tasks.
    fn publish_runs_short(&self, short: bool) {
        if self.runs_short.replace(short) != short {
            self.workers().set_runs_short(self.index, short);
        }
    }

    /// Takes this worker's share of the injection queue, at most `limit`:
    /// the first task to return, the rest onto the run queue, leaving room
    /// there for the first.
    fn pop_injected(&self, core: &Core, limit: usize) -> Option<RawTask> {
        let inject = &self.mt.inject;
        if inject.is_empty() {
            return None;
        }
        let mut ring = self.ring.borrow_mut();
        let share = inject.len() / self.workers().len() + 1;
        // A lone worker's go to its core's queue (unbounded: no room to
        // reserve).
        let room = if self.alone {
            INJECT_BATCH
        } else {
            ring.remaining_slots()
        };
        let max = share.min(room).min(limit);
        let workers = self.workers();
        let mut first = None;
        let mut refused = Vec::new();
        inject.pop_batch(max, |task, spawned| {
            // A new task joins the owned list here. Shutdown closes the
            // injection queue before the owned list, and this runs under the
            // queue's consumer lock (which the close takes), so this only
            // fails on a bug; the task is then cancelled below, outside the
            // lock. Another worker holding that lock makes this take none:
            // that worker takes its share, and the rest waits for the next
            // look (the last searcher looks once more before it sleeps).
            if spawned && self.bind(core, task).is_err() {
                refused.push(task);
            } else if first.is_none() {
                first = Some(task);
            } else if self.alone {
                core.push_back(task);
            } else {
                ring.push_back(task.addr(), |_| unreachable!("room was reserved"));
            }
        });
        // Nobody steals from a lone worker: no one to wake.
        let surplus = !ring.is_empty();
        drop(ring);
        for task in refused {
            task.cancel_new();
            self.mt.metrics.task_finished();
        }
        // The batch left the injection queue before it reached the run
        // queue: a worker parking in between saw neither. Its last look and
        // this check are the two sides of the idle protocol's fences. Short
        // tasks stay here (this worker runs them; see `keeps_short_tasks`).
        if surplus && !self.keeps_short_tasks() {
            workers.notify_parked();
        }
        first
    }

    /// Every `event_interval` polls: take from the injection queue even
    /// though the run queue is not empty, so that remote spawns and wakes
    /// are not starved by local chains.
    pub(crate) fn maintenance(&self, core: &Core) {
        if let Some(task) = self.pop_injected(core, self.fair_share()) {
            self.push(core, task);
        }
    }

    /// Counts a turn of this worker's own driver: the watcher tells a
    /// stuck worker by a count that stops moving.
    pub(crate) fn turned(&self) {
        let turns = &self.workers().remotes[self.index].turns;
        turns.store(turns.load(Relaxed) + 1, Relaxed);
    }

    /// This worker left a blocking wait in its driver: the watcher must
    /// watch it (see `watch.rs`).
    pub(crate) fn woke(&self) {
        self.workers().watcher.worker_woke();
    }

    /// A searching worker found work: it stops searching, and if it was the
    /// last searcher, wakes another worker for the rest of what it saw.
    fn found_work(&self) {
        if self.searching.replace(false)
            && self.workers().idle.stop_searching()
            && !self.runs_short.get()
        {
            self.workers().notify_parked();
        }
    }

    /// This worker's queues are empty: steal. Returns whether this worker
    /// has work now.
    pub(crate) fn find_work(&self, core: &Core) -> bool {
        let workers = self.workers();
        if !self.searching.get() && workers.idle.try_start_searching() {
            self.searching.set(true);
        }
        if self.searching.get()
            && let Some(task) = self
                .steal()
                .or_else(|| self.pop_injected(core, INJECT_BATCH))
        {
            self.found_work();
            core.run_task(task);
            return true;
        }
        false
    }

    /// This worker's queues hold nothing but `yielded` tasks that yielded
    /// (they run after the next driver turn): if they are at most
    /// [`YIELD_LOOPS`], steal from a peer first, as a worker that ran dry
    /// would, and run what it took. Returns whether it did.
    pub(crate) fn steals_before_yielded(&self, core: &Core, yielded: usize) -> bool {
        if self.alone || yielded > YIELD_LOOPS {
            return false;
        }
        if self.find_work(core) {
            return true;
        }
        // Nothing to steal: stop searching without waking a sleeper (which
        // running a yielded task would do, as after a find): this worker
        // stays awake, so work queued meanwhile is not left unseen, and a
        // `yield_now` loop beside a sleeping peer would wake it every round.
        if self.searching.replace(false) {
            self.workers().idle.stop_searching();
        }
        false
    }

    /// Steals half of another worker's run queue, starting at a random one.
    fn steal(&self) -> Option<RawTask> {
        let workers = self.workers();
        let n = workers.len();
        let start = self.next_random() as usize % n;
        let mut ring = self.ring.borrow_mut();
        let before = ring.len();
        let task = (0..n)
            .map(|k| (start + k) % n)
            .filter(|&i| i != self.index)
            .find_map(|i| workers.remotes[i].steal.steal_into(&mut ring))
            .map(RawTask::from_addr)?;
        let moved = ring.len() - before + 1;
        self.mt.metrics.workers[self.index].stole(moved as u64);
        Some(task)
    }

    fn next_random(&self) -> u32 {
        // xorshift32: enough to spread where steal rounds start.
        let mut x = self.rng.get();
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.rng.set(x);
        x
    }

    /// Whether this worker, the injection queue or a peer has queued tasks.
    #[cfg(feature = "test-util")]
    pub(crate) fn has_work(&self) -> bool {
        !self.ring.borrow().is_empty() || !self.mt.inject.is_empty() || self.workers().any_queued()
    }

    /// Sleeps in this worker's driver, with the idle protocol around the
    /// shared park policy.
    pub(crate) fn park(&self, core: &Core) {
        let workers = self.workers();
        let was_short = self.runs_short.get();
        if was_short && self.waits_for_remote_work() {
            return;
        }
        let was_searching = self.searching.replace(false);
        let last_searcher = workers.idle.park(self.index, was_searching);
        if was_short {
            // Asleep, it takes no remote work. Cleared once it is on the
            // sleepers' list, so that a producer that sees it cleared
            // wakes this worker, not a peer; the fence pairs with
            // `Idle::should_notify`'s (see `Workers::notify_remote`).
            self.publish_runs_short(false);
            fence(SeqCst);
        }
        // The last searcher looks once more: work queued while it searched
        // woke nobody, since it was searching. So does a worker that ran
        // short tasks: remote work queued meanwhile woke nobody for it.
        let missed =
            (last_searcher || was_short) && (!self.mt.inject.is_empty() || workers.any_queued());
        let mut slept = false;
        if !missed && !workers.is_shutdown() {
            self.parked.set(true);
            core.park(None);
            self.parked.set(false);
            slept = true;
        }
        if slept {
            // Its last measure holds until the next (a long poll ends it
            // sooner, see `round_ended`); without one, its peers' do.
            let short = self.short_until.get() != 0
                || workers
                    .peers_run_short_tasks(self.index, workers.ns_since_epoch(Instant::now()));
            self.publish_runs_short(short);
        } else if was_short {
            self.publish_runs_short(true);
        }
        if !workers.idle.unpark_self(self.index) {
            // Taken off the sleepers' list by a notifier: this worker now
            // counts as searching.
            self.searching.set(true);
        } else if self.ring.borrow().len() > self.surplus.get() {
            // The surplus of the turn that woke it (see `parked`).
            self.wake_peer_for_surplus();
        }
    }

    /// A worker that runs short tasks, out of work, first waits up to
    /// `pre_park_limit` for more, awake: remote spawns
    /// skip waking anyone while it runs short tasks, so a producer that
    /// spawns every microsecond is caught without a park, a wake-up and
    /// the idle protocol's lock on both sides. Parking clears that, and
    /// the producer's next spawn would wake the other sleeper. The wait
    /// keeps books (`SpinPolicy`) so that a producer slower than that
    /// costs at most an occasional probe. Returns whether work came.
    fn waits_for_remote_work(&self) -> bool {
        let mut policy = self.pre_park.get();
        let limit = self.pre_park_limit;
        if !policy.should_spin() || limit.is_zero() {
            policy.slept();
            self.pre_park.set(policy);
            return false;
        }
        let workers = self.workers();
        let caught = spin_until(limit, || !self.mt.inject.is_empty() || workers.any_queued());
        match caught {
            Some(waited) => policy.caught(waited),
            None => policy.missed(limit),
        }
        self.pre_park.set(policy);
        caught.is_some()
    }

    /// This worker is about to block (`task::block_in_place`): its queued
    /// tasks move to the injection queue, and a sleeping worker is woken to
    /// run them (the watcher turns this worker's driver meanwhile). A lone
    /// worker's stay in its core's queue: no other worker could run them.
    pub(crate) fn hand_off(&self) {
        if self.alone {
            return;
        }
        // Blocking, it takes no remote work.
        self.publish_runs_short(false);
        let mut ring = self.ring.borrow_mut();
        let mut moved = Vec::new();
        while let Some(task) = ring.pop() {
            moved.push(RawTask::from_addr(task));
        }
        drop(ring);
        if let Err(rejected) = self.mt.inject.push_woken_batch(moved.into_iter()) {
            // Shutting down: the owned list cancels them.
            rejected.into_iter().for_each(RawTask::drop_ref);
        }
        self.workers().notify_parked();
    }

    /// Drops the run queue's references at exit (the owned list cancels the
    /// tasks).
    pub(crate) fn drain(&self) {
        self.publish_runs_short(false);
        let mut ring = self.ring.borrow_mut();
        while let Some(task) = ring.pop() {
            RawTask::from_addr(task).drop_ref();
        }
        drop(ring);
        if self.searching.replace(false) {
            self.workers().idle.stop_searching();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_polls_wake_a_peer_for_any_surplus_short_ones_for_a_burst() {
        assert_eq!(surplus_for(1_000_000), 1, "1 ms polls: tokio's rule");
        assert_eq!(surplus_for(50_000), 1);
        assert_eq!(surplus_for(5_000), 10, "5 µs polls: 50 µs of work");
        assert_eq!(surplus_for(100), MAX_SURPLUS, "capped");
        assert_eq!(surplus_for(0), MAX_SURPLUS);
    }

    #[test]
    fn tasks_are_short_by_the_work_each_takes_to_complete() {
        // A spawning loop of 2 ms counts as one poll of 4 µs; then 10,000
        // empty tasks complete in rounds of 61 at 60 ns a poll.
        let spawned = counted_ns(2_000_000, 1) + 164 * counted_ns(61 * 60, 61);
        assert_eq!(counted_ns(2_000_000, 1), 4_000);
        assert!(tasks_are_short(spawned, 10_000));
        // 200 tasks yielding 1,000 times at 60 ns a poll: 200 complete in
        // 12 ms of polling.
        assert!(!tasks_are_short(200_000 * 60, 200));
        // A server's connections: 3 µs polls that complete nothing.
        assert!(!tasks_are_short(counted_ns(61 * 3_000, 61), 0));
        // Ping-pong pairs: two polls of 200 ns per completed task.
        assert!(tasks_are_short(2 * 200 * 1_000, 1_000));
    }

    #[test]
    fn the_mean_follows_the_rounds_within_a_few() {
        let mut mean = WAKE_WORTH.as_nanos() as u64;
        for _ in 0..40 {
            mean = mean_poll_ns(mean, 5_000);
        }
        assert!((5_000..5_500).contains(&mean), "{mean}");
        // One slow round moves it by an eighth, not to the slow value.
        let after = mean_poll_ns(mean, 1_000_000);
        assert!(after < 200_000, "{after}");
    }
}
