//! The blocking pool's bookkeeping: the queued jobs and the counts of its
//! threads, changed only by the named transitions below, each of which
//! says what the caller must then do (start a thread, signal a condition
//! variable, cancel jobs). `blocking.rs` holds it under the pool's mutex;
//! there are no locks, threads or clocks here, so the loom models
//! (`loom/`) drive this file as it is. Generic over the job (a task in
//! the pool, a number in the models).
//!
//! # The counts
//!
//! - `threads`: live pool threads that jobs may wait for (started, and not
//!   yet leaving their loop).
//! - `starting`: threads started for a job that have not yet taken the
//!   lock in their loop; `notified`: wake-ups sent to idle threads and not
//!   yet consumed. Together, the queued jobs a thread is on its way to: a
//!   push only notifies an idle thread that nobody has claimed yet.
//! - `idle`: threads waiting for a job.
//! - `exiting`: threads that left the loop and run the stop hook; shutdown
//!   waits for them too.
//!
//! Shutdown, as in tokio: a job handed to the pool while it had room for
//! it (a thread was started or an idle one woken for it) still runs; only
//! the jobs waiting for a busy thread (beyond the cap) are cancelled. The
//! claims are counted, not tied to jobs: threads take jobs in FIFO order,
//! so the oldest `claimed` jobs are the ones kept.

use std::collections::VecDeque;

/// The pool's state (under the pool's mutex).
#[derive(Debug)]
pub(crate) struct PoolState<J> {
    /// Jobs not yet started.
    queue: VecDeque<J>,
    threads: usize,
    exiting: usize,
    idle: usize,
    notified: usize,
    starting: usize,
    shutdown: bool,
}

/// What to do after [`PoolState::push`].
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Push<J> {
    /// The pool is shut down: the job was not queued; cancel it.
    Refused(J),
    /// Queued for an idle thread: signal one waiter.
    NotifyIdle,
    /// Queued, and counted as a thread about to start: start it (and call
    /// [`PoolState::start_failed`] if that fails).
    StartThread,
    /// Queued for a busy thread (the cap is reached): nothing to do.
    Queued,
}

/// What a thread out of jobs does.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Idle {
    /// Wait for a job (with the keep-alive timeout).
    Wait,
    /// Leave the loop ([`PoolState::leave`]): the pool is shut down.
    Exit,
}

impl<J> Default for PoolState<J> {
    fn default() -> PoolState<J> {
        PoolState {
            queue: VecDeque::new(),
            threads: 0,
            exiting: 0,
            idle: 0,
            notified: 0,
            starting: 0,
            shutdown: false,
        }
    }
}

impl<J> PoolState<J> {
    /// Queued jobs that a thread was started or woken for (see the module
    /// docs); at most the queue's length.
    fn claimed(&self) -> usize {
        (self.notified + self.starting).min(self.queue.len())
    }

    /// A new job, with at most `max_threads` threads.
    pub(crate) fn push(&mut self, job: J, max_threads: usize) -> Push<J> {
        if self.shutdown {
            return Push::Refused(job);
        }
        self.queue.push_back(job);
        if self.idle > self.notified {
            self.notified += 1;
            return Push::NotifyIdle;
        }
        if self.threads >= max_threads {
            return Push::Queued;
        }
        self.threads += 1;
        self.starting += 1;
        Push::StartThread
    }

    /// The thread [`Push::StartThread`] asked for could not be started:
    /// returns the queued jobs if no thread is left to take them (cancel
    /// them).
    pub(crate) fn start_failed(&mut self) -> Vec<J> {
        self.threads -= 1;
        self.starting -= 1;
        if self.threads == 0 {
            self.queue.drain(..).collect()
        } else {
            Vec::new()
        }
    }

    /// A started thread's first look at the state.
    pub(crate) fn thread_started(&mut self) {
        self.starting -= 1;
    }

    /// The next job for a thread, oldest first.
    pub(crate) fn next_job(&mut self) -> Option<J> {
        self.queue.pop_front()
    }

    /// A thread found no job (after [`next_job`](Self::next_job) returned
    /// `None`).
    pub(crate) fn idle(&mut self) -> Idle {
        if self.shutdown {
            return Idle::Exit;
        }
        self.idle += 1;
        Idle::Wait
    }

    /// A waiting thread woke (`timed_out`: its keep-alive ran out). Returns
    /// whether it leaves the loop ([`leave`](Self::leave)); otherwise it
    /// looks for jobs again.
    pub(crate) fn woke(&mut self, timed_out: bool) -> bool {
        self.idle -= 1;
        if self.notified > 0 {
            self.notified -= 1;
            return false;
        }
        timed_out && self.queue.is_empty()
    }

    /// A thread leaves its loop: no longer one that jobs may wait for, but
    /// shutdown still waits for it until [`exited`](Self::exited).
    pub(crate) fn leave(&mut self) {
        self.threads -= 1;
        self.exiting += 1;
    }

    /// A thread that left its loop is done (its stop hook returned): signal
    /// the shutdown's waiter.
    pub(crate) fn exited(&mut self) {
        self.exiting -= 1;
    }

    /// Stops accepting jobs; returns the queued ones no thread was started
    /// or woken for (cancel them), then wake every idle thread.
    pub(crate) fn shut_down(&mut self) -> Vec<J> {
        self.shutdown = true;
        let keep = self.claimed();
        self.queue.drain(keep..).collect()
    }

    /// Whether a shutdown must still wait for threads.
    pub(crate) fn has_threads(&self) -> bool {
        self.threads > 0 || self.exiting > 0
    }
}
