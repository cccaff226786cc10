//! [`JoinSet`]: a collection of spawned tasks, joined in the order they
//! finish.
//!
//! Finding the next finished task costs O(1): each task's completion
//! queues its entry on the set's ready list (`ready.rs`, which documents
//! the protocol).

mod ready;

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use slab::Slab;

use self::ready::{Entries, Node, Ready};

use crate::runtime::Handle;
use crate::runtime::coop;
use crate::task::{AbortHandle, Id, JoinError, JoinHandle};

/// A collection of tasks spawned onto the runtime, awaited in the order
/// they finish.
///
/// Spawn with [`spawn`](JoinSet::spawn) (or [`spawn_local`](JoinSet::spawn_local),
/// [`spawn_blocking`](JoinSet::spawn_blocking), [`spawn_on`](JoinSet::spawn_on)),
/// then take outputs with [`join_next`](JoinSet::join_next) as the tasks
/// finish. All tasks must have the same output type `T`.
///
/// Dropping a `JoinSet` aborts every task still in it: their futures are
/// dropped on a runtime thread, as with [`JoinHandle::abort`]. Use
/// [`detach_all`](JoinSet::detach_all) to let them run on instead.
///
/// Finding the next finished task costs the same however many tasks are in
/// the set: each task's completion queues that task for the set, and
/// joining never scans the tasks still running. Like a [`JoinHandle`],
/// each successful [`join_next`](JoinSet::join_next) takes a unit of the
/// task's [cooperative budget](crate::task#the-cooperative-budget), so a
/// loop draining a large set of finished tasks still lets the runtime's
/// other tasks, I/O and timers run.
///
/// The tasks are ordinary tasks: on the multi-thread runtime they are
/// stolen by idle workers like any other, and their completions reach the
/// set from whichever thread ran them.
///
/// ```
/// use guillotine::task::JoinSet;
///
/// let rt = guillotine::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     let mut set = JoinSet::new();
///     for i in 0..10u64 {
///         set.spawn(async move { i * i });
///     }
///     let mut sum = 0;
///     while let Some(res) = set.join_next().await {
///         sum += res.unwrap();
///     }
///     assert_eq!(sum, 285);
///     assert!(set.is_empty());
/// });
/// ```
pub struct JoinSet<T> {
    /// The tasks not yet joined, detached or dropped; a slab key names one
    /// as long as it is in the set.
    entries: Slab<Entry<T>>,
    /// The ready list that the entries' wakers push onto.
    ready: Arc<Ready>,
    /// Nodes taken from the ready list (or new) and not yet polled; only the
    /// set touches it, so it needs no lock.
    batch: VecDeque<Arc<Node>>,
    /// The spawn sequence number of the next entry: spawn order, for
    /// [`join_all`](JoinSet::join_all).
    next_seq: u64,
}

/// One task of the set.
struct Entry<T> {
    handle: JoinHandle<T>,
    /// This entry's waker, also as the node it wraps (to tell a current
    /// node from a stale one).
    node: Arc<Node>,
    waker: Waker,
    /// When it was spawned, relative to the set's other tasks.
    seq: u64,
}

/// A task taken out of the set: its spawn sequence number, id and result.
struct Joined<T> {
    seq: u64,
    id: Id,
    result: Result<T, JoinError>,
}

/// The set's entries, as its ready list's joining loop sees them.
struct Slots<'a, T>(&'a mut Slab<Entry<T>>);

impl<T> Entries for Slots<'_, T> {
    type Joined = Joined<T>;

    fn is_current(&self, node: &Arc<Node>) -> bool {
        self.0
            .get(node.key())
            .is_some_and(|entry| Arc::ptr_eq(&entry.node, node))
    }

    fn poll(&mut self, key: usize) -> Option<Joined<T>> {
        let entry = &mut self.0[key];
        let mut cx = Context::from_waker(&entry.waker);
        // The set took the budget unit for the whole join.
        let polled = coop::with_unconstrained(|| Pin::new(&mut entry.handle).poll(&mut cx));
        let Poll::Ready(result) = polled else {
            return None;
        };
        let entry = self.0.remove(key);
        // Out of the set: its node ignores later wakes.
        entry.node.retire();
        Some(Joined {
            seq: entry.seq,
            id: entry.handle.id(),
            result,
        })
    }
}

impl<T> JoinSet<T> {
    /// An empty set.
    ///
    /// ```
    /// let set: guillotine::task::JoinSet<()> = guillotine::task::JoinSet::new();
    /// assert!(set.is_empty());
    /// ```
    pub fn new() -> JoinSet<T> {
        JoinSet {
            entries: Slab::new(),
            ready: Ready::new(),
            batch: VecDeque::new(),
            next_seq: 0,
        }
    }

    /// The number of tasks in the set: spawned and not yet joined, whether
    /// they are still running or not.
    ///
    /// ```
    /// let rt = guillotine::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let mut set = guillotine::task::JoinSet::new();
    ///     set.spawn(async { 1 });
    ///     set.spawn(async { 2 });
    ///     assert_eq!(set.len(), 2);
    ///     set.join_next().await;
    ///     assert_eq!(set.len(), 1);
    /// });
    /// ```
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the set has no tasks.
    ///
    /// ```
    /// let rt = guillotine::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let mut set = guillotine::task::JoinSet::new();
    ///     assert!(set.is_empty());
    ///     set.spawn(async {});
    ///     assert!(!set.is_empty());
    /// });
    /// ```
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Puts a spawned task's handle into the set.
    fn insert(&mut self, handle: JoinHandle<T>) -> AbortHandle {
        let abort = handle.abort_handle();
        let slot = self.entries.vacant_entry();
        // New entries start queued: their first poll registers the waker.
        let node = Node::new(slot.key(), &self.ready);
        self.batch.push_back(node.clone());
        slot.insert(Entry {
            handle,
            waker: Waker::from(node.clone()),
            node,
            seq: self.next_seq,
        });
        self.next_seq += 1;
        abort
    }

    /// Takes out the next finished task, polling the handles of queued
    /// entries only; with none finished, registers `waker` (if any) for the
    /// next wake and returns `None`.
    fn next_finished(&mut self, waker: Option<&Waker>) -> Option<Joined<T>> {
        self.ready
            .next_finished(&mut self.batch, waker, &mut Slots(&mut self.entries))
    }

    /// [`next_finished`](Self::next_finished) for an awaiting task: one
    /// budget unit per task taken out.
    fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<Joined<T>>> {
        if self.entries.is_empty() {
            return Poll::Ready(None);
        }
        let coop = std::task::ready!(coop::poll_proceed(cx));
        match self.next_finished(Some(cx.waker())) {
            Some(joined) => {
                coop.made_progress();
                Poll::Ready(Some(joined))
            }
            None => Poll::Pending,
        }
    }

    /// Waits for a task of the set to finish and returns its result; `None`
    /// if the set is empty.
    ///
    /// Results come in the order the tasks finish, as far as the set has
    /// seen them finish: tasks that finished before the set first looked at
    /// them (no join, `try_join_next` or poll since they were spawned) come
    /// in the order they were spawned, as in tokio. A panicked or aborted
    /// task yields its [`JoinError`].
    ///
    /// Cancel safe: if the future is dropped before it completes (in a
    /// `select!`), no task's result is lost; it stays in the set.
    ///
    /// ```
    /// let rt = guillotine::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let mut set = guillotine::task::JoinSet::new();
    ///     set.spawn(async { "done" });
    ///     assert_eq!(set.join_next().await.unwrap().unwrap(), "done");
    ///     assert!(set.join_next().await.is_none());
    /// });
    /// ```
    pub async fn join_next(&mut self) -> Option<Result<T, JoinError>> {
        std::future::poll_fn(|cx| self.poll_join_next(cx)).await
    }

    /// As [`join_next`](JoinSet::join_next), with the finished task's
    /// [`Id`] alongside its output (an error carries it as
    /// [`JoinError::id`]).
    ///
    /// ```
    /// let rt = guillotine::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let mut set = guillotine::task::JoinSet::new();
    ///     let id = set.spawn(async { 5 }).id();
    ///     assert_eq!(set.join_next_with_id().await.unwrap().unwrap(), (id, 5));
    /// });
    /// ```
    pub async fn join_next_with_id(&mut self) -> Option<Result<(Id, T), JoinError>> {
        std::future::poll_fn(|cx| self.poll_join_next_with_id(cx)).await
    }

    /// Returns the result of a task that has already finished, without
    /// waiting; `None` if no task has finished (or the set is empty).
    ///
    /// It takes no cooperative budget, since it never waits.
    ///
    /// ```
    /// let rt = guillotine::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let mut set = guillotine::task::JoinSet::new();
    ///     set.spawn(async { 3 });
    ///     // Not run yet on the current-thread runtime.
    ///     assert!(set.try_join_next().is_none());
    ///     while set.len() == 1 {
    ///         match set.try_join_next() {
    ///             Some(res) => assert_eq!(res.unwrap(), 3),
    ///             None => guillotine::task::yield_now().await,
    ///         }
    ///     }
    /// });
    /// ```
    pub fn try_join_next(&mut self) -> Option<Result<T, JoinError>> {
        self.try_join_next_with_id()
            .map(|res| res.map(|(_, output)| output))
    }

    /// As [`try_join_next`](JoinSet::try_join_next), with the task's
    /// [`Id`] alongside its output.
    ///
    /// ```
    /// let rt = guillotine::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let mut set = guillotine::task::JoinSet::new();
    ///     let id = set.spawn(async { 'x' }).id();
    ///     loop {
    ///         if let Some(res) = set.try_join_next_with_id() {
    ///             assert_eq!(res.unwrap(), (id, 'x'));
    ///             break;
    ///         }
    ///         guillotine::task::yield_now().await;
    ///     }
    /// });
    /// ```
    pub fn try_join_next_with_id(&mut self) -> Option<Result<(Id, T), JoinError>> {
        self.next_finished(None)
            .map(|j| j.result.map(|output| (j.id, output)))
    }

    /// Polls for the next finished task, as [`join_next`](JoinSet::join_next)
    /// does: `Ready(None)` when the set is empty, `Pending` (with `cx`'s
    /// waker registered) when no task has finished yet. For hand-written
    /// futures and streams.
    ///
    /// ```
    /// use std::task::Poll;
    /// let rt = guillotine::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let mut set = guillotine::task::JoinSet::new();
    ///     set.spawn(async { 1 });
    ///     let out = std::future::poll_fn(|cx| match set.poll_join_next(cx) {
    ///         Poll::Ready(Some(res)) => Poll::Ready(res.unwrap()),
    ///         Poll::Ready(None) => unreachable!(),
    ///         Poll::Pending => Poll::Pending,
    ///     })
    ///     .await;
    ///     assert_eq!(out, 1);
    /// });
    /// ```
    pub fn poll_join_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<T, JoinError>>> {
        self.poll_next(cx).map(|j| j.map(|j| j.result))
    }

    /// As [`poll_join_next`](JoinSet::poll_join_next), with the task's
    /// [`Id`] alongside its output.
    ///
    /// ```
    /// let rt = guillotine::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let mut set = guillotine::task::JoinSet::new();
    ///     let id = set.spawn(async { 1 }).id();
    ///     let res = std::future::poll_fn(|cx| set.poll_join_next_with_id(cx)).await;
    ///     assert_eq!(res.unwrap().unwrap(), (id, 1));
    /// });
    /// ```
    pub fn poll_join_next_with_id(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<(Id, T), JoinError>>> {
        self.poll_next(cx)
            .map(|j| j.map(|j| j.result.map(|output| (j.id, output))))
    }

    /// Aborts every task in the set. They stay in it: joining them then
    /// yields a cancelled [`JoinError`] for each task that had not finished
    /// (and the output of each that had).
    ///
    /// ```
    /// let rt = guillotine::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let mut set = guillotine::task::JoinSet::new();
    ///     set.spawn(std::future::pending::<()>());
    ///     set.abort_all();
    ///     assert!(set.join_next().await.unwrap().unwrap_err().is_cancelled());
    /// });
    /// ```
    pub fn abort_all(&mut self) {
        for (_, entry) in &self.entries {
            entry.handle.abort();
        }
    }

    /// Aborts every task and waits until each has finished, dropping their
    /// outputs and errors. The set is empty afterwards, and every task's
    /// future has been dropped (or its output, if it had finished).
    ///
    /// ```
    /// let rt = guillotine::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let mut set = guillotine::task::JoinSet::new();
    ///     for _ in 0..3 {
    ///         set.spawn(std::future::pending::<()>());
    ///     }
    ///     set.shutdown().await;
    ///     assert!(set.is_empty());
    /// });
    /// ```
    pub async fn shutdown(&mut self) {
        self.abort_all();
        while self.join_next().await.is_some() {}
    }

    /// Removes every task from the set without aborting it: the tasks run
    /// on, as if their `JoinHandle`s had been dropped.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
    /// let rt = guillotine::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let ran = Arc::new(AtomicBool::new(false));
    ///     let r = ran.clone();
    ///     let mut set = guillotine::task::JoinSet::new();
    ///     let task = set.spawn(async move { r.store(true, SeqCst) });
    ///     set.detach_all();
    ///     assert!(set.is_empty());
    ///     drop(set); // would have aborted the task, had it still been in the set
    ///     while !task.is_finished() {
    ///         guillotine::task::yield_now().await;
    ///     }
    ///     assert!(ran.load(SeqCst));
    /// });
    /// ```
    pub fn detach_all(&mut self) {
        for entry in self.entries.drain() {
            entry.node.retire();
        }
        self.batch.clear();
        self.ready.clear();
    }

    /// Waits for every task and returns their outputs **in the order they
    /// were spawned** (tokio returns them in the order they finish).
    ///
    /// - A task that was cancelled (by [`abort_all`](JoinSet::abort_all) or
    ///   an [`AbortHandle`], or because its runtime shut down) is skipped:
    ///   it has no place in the vector. Tokio panics here instead.
    /// - If a task panicked, `join_all` resumes its panic, as tokio does:
    ///   as soon as it sees that task finish (tasks are seen in the order
    ///   they finish), it drops the set, which aborts the tasks still in it,
    ///   and calls [`std::panic::resume_unwind`] with the task's payload.
    ///
    /// Use [`join_all_results`](JoinSet::join_all_results) for every
    /// task's `Result` instead.
    ///
    /// ```
    /// use guillotine::task::JoinSet;
    /// let rt = guillotine::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let mut set = JoinSet::new();
    ///     set.spawn(async {
    ///         guillotine::time::sleep(std::time::Duration::from_millis(5)).await;
    ///         "first"
    ///     });
    ///     set.spawn(async { "second" });
    ///     set.spawn(std::future::pending()).abort();
    ///     assert_eq!(set.join_all().await, ["first", "second"]);
    /// });
    /// ```
    pub async fn join_all(mut self) -> Vec<T> {
        let mut outputs = Vec::with_capacity(self.len());
        let panic = loop {
            match std::future::poll_fn(|cx| self.poll_next(cx)).await {
                None => break None,
                Some(Joined {
                    seq,
                    result: Ok(output),
                    ..
                }) => outputs.push((seq, output)),
                Some(Joined { result: Err(e), .. }) => match e.try_into_panic() {
                    Ok(payload) => break Some(payload),
                    Err(_cancelled) => {}
                },
            }
        };
        if let Some(payload) = panic {
            drop(self);
            std::panic::resume_unwind(payload);
        }
        outputs.sort_unstable_by_key(|&(seq, _)| seq);
        outputs.into_iter().map(|(_, output)| output).collect()
    }

    /// Waits for every task and returns each task's result **in the order
    /// the tasks were spawned**: `Ok(output)`, or the [`JoinError`] of a task
    /// that panicked or was cancelled. Never panics.
    ///
    /// ```
    /// use guillotine::task::JoinSet;
    /// let rt = guillotine::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let mut set = JoinSet::new();
    ///     set.spawn(async { 1 });
    ///     set.spawn(async { panic!("boom") });
    ///     set.spawn(std::future::pending()).abort();
    ///     let results = set.join_all_results().await;
    ///     assert_eq!(*results[0].as_ref().unwrap(), 1);
    ///     assert!(results[1].as_ref().unwrap_err().is_panic());
    ///     assert!(results[2].as_ref().unwrap_err().is_cancelled());
    /// });
    /// ```
    pub async fn join_all_results(mut self) -> Vec<Result<T, JoinError>> {
        let mut results = Vec::with_capacity(self.len());
        while let Some(joined) = std::future::poll_fn(|cx| self.poll_next(cx)).await {
            results.push((joined.seq, joined.result));
        }
        results.sort_unstable_by_key(|&(seq, _)| seq);
        results.into_iter().map(|(_, result)| result).collect()
    }
}

impl<T: 'static> JoinSet<T> {
    /// Spawns `task` onto the current runtime (as [`spawn`](crate::task::spawn))
    /// into the set, and returns an [`AbortHandle`] for it.
    ///
    /// # Panics
    /// Outside a runtime.
    ///
    /// ```
    /// let rt = guillotine::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let mut set = guillotine::task::JoinSet::new();
    ///     let abort = set.spawn(std::future::pending::<()>());
    ///     abort.abort();
    ///     let err = set.join_next().await.unwrap().unwrap_err();
    ///     assert_eq!(err.id(), abort.id());
    /// });
    /// ```
    #[track_caller]
    pub fn spawn<F>(&mut self, task: F) -> AbortHandle
    where
        F: Future<Output = T> + Send + 'static,
        T: Send,
    {
        self.insert(crate::task::spawn(task))
    }

    /// Spawns `task` onto the runtime of `handle` into the set (as
    /// [`Handle::spawn`]), from any thread.
    ///
    /// ```
    /// let rt = guillotine::runtime::Runtime::new().unwrap();
    /// let mut set = guillotine::task::JoinSet::new();
    /// set.spawn_on(async { 7 }, &rt.handle());
    /// let out = rt.block_on(set.join_next()).unwrap().unwrap();
    /// assert_eq!(out, 7);
    /// ```
    pub fn spawn_on<F>(&mut self, task: F, handle: &Handle) -> AbortHandle
    where
        F: Future<Output = T> + Send + 'static,
        T: Send,
    {
        self.insert(handle.spawn(task))
    }

    /// Spawns a `!Send` `task` to run on this thread into the set (as
    /// [`spawn_local`](crate::task::spawn_local), with no `LocalSet`
    /// needed).
    ///
    /// # Panics
    /// Where [`spawn_local`](crate::task::spawn_local) does: outside a
    /// runtime, or on a thread that does not run the runtime.
    ///
    /// ```
    /// use std::rc::Rc;
    /// let rt = guillotine::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let mut set = guillotine::task::JoinSet::new();
    ///     let shared = Rc::new(3);
    ///     let s = shared.clone();
    ///     set.spawn_local(async move { Rc::strong_count(&s) });
    ///     assert_eq!(set.join_next().await.unwrap().unwrap(), 2);
    /// });
    /// ```
    #[track_caller]
    pub fn spawn_local<F>(&mut self, task: F) -> AbortHandle
    where
        F: Future<Output = T> + 'static,
    {
        self.insert(crate::task::spawn_local(task))
    }

    /// Runs the blocking closure `f` on the current runtime's blocking pool
    /// (as [`spawn_blocking`](crate::task::spawn_blocking)) as a task of the
    /// set. Aborting it has no effect once it has started.
    ///
    /// # Panics
    /// Outside a runtime.
    ///
    /// ```
    /// let rt = guillotine::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let mut set = guillotine::task::JoinSet::new();
    ///     set.spawn_blocking(|| std::thread::current().name().map(str::to_owned));
    ///     let name = set.join_next().await.unwrap().unwrap();
    ///     assert_eq!(name.as_deref(), Some("guillotine-blocking"));
    /// });
    /// ```
    #[track_caller]
    pub fn spawn_blocking<F>(&mut self, f: F) -> AbortHandle
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send,
    {
        self.insert(crate::task::spawn_blocking(f))
    }

    /// Runs the blocking closure `f` on the blocking pool of `handle`'s
    /// runtime (as [`Handle::spawn_blocking`]) as a task of the set.
    ///
    /// ```
    /// let rt = guillotine::runtime::Runtime::new().unwrap();
    /// let mut set = guillotine::task::JoinSet::new();
    /// set.spawn_blocking_on(|| 6 * 7, &rt.handle());
    /// assert_eq!(rt.block_on(set.join_next()).unwrap().unwrap(), 42);
    /// ```
    pub fn spawn_blocking_on<F>(&mut self, f: F, handle: &Handle) -> AbortHandle
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send,
    {
        self.insert(handle.spawn_blocking(f))
    }
}

impl<T> Drop for JoinSet<T> {
    /// Aborts every task still in the set.
    fn drop(&mut self) {
        self.abort_all();
    }
}

impl<T> Default for JoinSet<T> {
    /// An empty set, as [`JoinSet::new`].
    ///
    /// ```
    /// let set: guillotine::task::JoinSet<u8> = Default::default();
    /// assert_eq!(set.len(), 0);
    /// ```
    fn default() -> JoinSet<T> {
        JoinSet::new()
    }
}

impl<T> fmt::Debug for JoinSet<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinSet").field("len", &self.len()).finish()
    }
}

/// Spawns each future into a new set, as [`JoinSet::spawn`].
///
/// # Panics
/// Outside a runtime.
///
/// ```
/// use guillotine::task::JoinSet;
/// let rt = guillotine::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     let set: JoinSet<u32> = (1..=3).map(|i| async move { i * 10 }).collect();
///     assert_eq!(set.join_all().await, [10, 20, 30]);
/// });
/// ```
impl<T, F> FromIterator<F> for JoinSet<T>
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    #[track_caller]
    fn from_iter<I: IntoIterator<Item = F>>(iter: I) -> JoinSet<T> {
        let mut set = JoinSet::new();
        set.extend(iter);
        set
    }
}

/// Spawns each future into the set, as [`JoinSet::spawn`].
///
/// # Panics
/// Outside a runtime.
///
/// ```
/// use guillotine::task::JoinSet;
/// let rt = guillotine::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     let mut set = JoinSet::new();
///     set.spawn(async { 0 });
///     set.extend((1..3).map(|i| async move { i }));
///     assert_eq!(set.len(), 3);
///     assert_eq!(set.join_all().await, [0, 1, 2]);
/// });
/// ```
impl<T, F> Extend<F> for JoinSet<T>
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    #[track_caller]
    fn extend<I: IntoIterator<Item = F>>(&mut self, iter: I) {
        for task in iter {
            self.spawn(task);
        }
    }
}
