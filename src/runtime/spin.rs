//! When the runtime spins before it sleeps, after its last sleep was ended
//! by another thread's wake (or, on the current-thread runtime, by a
//! socket's event after it sent something: the same books, kept apart).
//!
//! A spin is a bet that the next wake is microseconds away. Won, it saves
//! both threads a sleep and a wake-up (on a VM, ~25 µs of latency and several
//! µs of CPU on each side). Lost, or won only after a long wait, it burns
//! more CPU than sleeping would have: a producer that wakes the runtime
//! every 30 µs would keep it spinning all the time for nothing that a sleep
//! would not give as well.
//!
//! So the policy keeps books. A wake caught within [`PAYS`] of the start of
//! the spin (about what a sleep and a wake-up cost the runtime thread in
//! CPU) earns the difference; a later catch, or a spin that catches nothing,
//! costs what it spent beyond that. Spinning goes on while the balance is
//! positive, and the balance is capped at [`CREDIT_CAP`], so a long run of
//! quick catches can pay for an occasional slow one (a ping-pong partner
//! that was preempted) but not for a change of pace. Because spinning
//! changes the peer's behaviour too (a partner whose answer is caught at
//! once answers again at once; one that has fallen asleep answers only
//! after its own wake-up), a sleeping runtime probes now and then: after
//! [`PROBE_EVERY`] remote wakes it spins once for the whole budget, and if
//! that catches the peer late, once more to see whether the peer now
//! answers within [`PAYS`]. Against a producer with its own pace, that costs
//! at most two spins per [`PROBE_EVERY`] wakes.

use std::time::{Duration, Instant};

/// A catch within this long of the start of the spin paid for it: about
/// what a sleep and a wake-up cost the runtime thread in CPU.
pub(crate) const PAYS: Duration = Duration::from_micros(5);

/// The most that quick catches may bank to pay for later slow ones.
pub(crate) const CREDIT_CAP: Duration = Duration::from_micros(100);

/// Remote wakes slept through between two probes.
pub(crate) const PROBE_EVERY: u32 = 64;

/// The spin policy's state; owned by the runtime thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SpinPolicy {
    /// Spins have been paying: spin on every park after a remote wake.
    /// The credit (ns) is what quick catches saved beyond their cost, less
    /// what slow catches and misses wasted; spinning stops when it is gone.
    Spinning { credit: i64 },
    /// A probe caught the peer, but late: spin once more to see whether
    /// the peer now answers quickly.
    Trial,
    /// Sleeping; counts the remote wakes slept through until the next probe.
    Sleeping(u32),
}

fn nanos(d: Duration) -> i64 {
    i64::try_from(d.as_nanos()).unwrap_or(i64::MAX)
}

impl SpinPolicy {
    pub(crate) fn new() -> SpinPolicy {
        SpinPolicy::Sleeping(PROBE_EVERY)
    }

    /// Whether to spin before this park (which follows a remote wake).
    pub(crate) fn should_spin(self) -> bool {
        match self {
            SpinPolicy::Spinning { .. } | SpinPolicy::Trial => true,
            SpinPolicy::Sleeping(n) => n >= PROBE_EVERY,
        }
    }

    /// A spin caught a wake after `waited`.
    pub(crate) fn caught(&mut self, waited: Duration) {
        let gain = nanos(PAYS) - nanos(waited);
        *self = match *self {
            SpinPolicy::Spinning { credit } => {
                SpinPolicy::spinning(credit.saturating_add(gain).min(nanos(CREDIT_CAP)))
            }
            _ if gain >= 0 => SpinPolicy::Spinning { credit: gain },
            // A probe that catches a slow peer: it may be awake now.
            SpinPolicy::Sleeping(_) => SpinPolicy::Trial,
            // Slow twice: the peer answers slower than a sleep costs.
            SpinPolicy::Trial => SpinPolicy::Sleeping(0),
        };
    }

    /// A spin of at most `limit` ended: caught after the time given, or not.
    pub(crate) fn settle(&mut self, caught: Option<Duration>, limit: Duration) {
        match caught {
            Some(waited) => self.caught(waited),
            None => self.missed(limit),
        }
    }

    /// A spin ran for `waited` without a wake.
    pub(crate) fn missed(&mut self, waited: Duration) {
        *self = match *self {
            SpinPolicy::Spinning { credit } => {
                SpinPolicy::spinning(credit.saturating_sub(nanos(waited)))
            }
            _ => SpinPolicy::Sleeping(0),
        };
    }

    /// Keeps spinning while credit remains.
    fn spinning(credit: i64) -> SpinPolicy {
        if credit > 0 {
            SpinPolicy::Spinning { credit }
        } else {
            SpinPolicy::Sleeping(0)
        }
    }

    /// A park that did not spin was ended by a remote wake.
    pub(crate) fn slept(&mut self) {
        if let SpinPolicy::Sleeping(n) = self {
            *n = n.saturating_add(1);
        }
    }
}

/// Spins until `done` or for `limit`, whichever is first; the time it took
/// if `done`.
pub(crate) fn spin_until(limit: Duration, done: impl Fn() -> bool) -> Option<Duration> {
    let start = Instant::now();
    loop {
        for _ in 0..32 {
            if done() {
                return Some(start.elapsed());
            }
            std::hint::spin_loop();
        }
        let elapsed = start.elapsed();
        if elapsed >= limit {
            return None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FAST: Duration = Duration::from_micros(1);
    const SLOW: Duration = Duration::from_micros(29);

    /// Runs a peer that answers every spin after `gap` (or never, for
    /// `None`) over `parks` parks; returns how many of them spun.
    fn spins_over(parks: u32, gap: Option<Duration>) -> u32 {
        let mut policy = SpinPolicy::new();
        let mut spun = 0;
        for _ in 0..parks {
            if policy.should_spin() {
                spun += 1;
                match gap {
                    Some(g) => policy.caught(g),
                    None => policy.missed(Duration::from_micros(50)),
                }
            } else {
                policy.slept();
            }
        }
        spun
    }

    #[test]
    fn a_quick_peer_keeps_it_spinning() {
        assert_eq!(spins_over(1000, Some(FAST)), 1000);
    }

    #[test]
    fn a_paced_producer_gets_at_most_two_spins_per_probe() {
        let spun = spins_over(6400, Some(SLOW));
        assert!(spun <= 2 * 6400 / PROBE_EVERY + 2, "{spun}");
        let spun = spins_over(6400, None);
        assert!(spun <= 6400 / PROBE_EVERY + 1, "{spun}");
    }

    #[test]
    fn a_peer_that_wakes_up_is_spun_for_again() {
        let mut policy = SpinPolicy::new();
        // A probe catches a sleeping peer late; the trial finds it quick.
        assert!(policy.should_spin());
        policy.caught(SLOW);
        assert_eq!(policy, SpinPolicy::Trial);
        policy.caught(FAST);
        assert!(matches!(policy, SpinPolicy::Spinning { .. }));
    }

    #[test]
    fn quick_catches_pay_for_an_occasional_slow_one_but_not_a_change_of_pace() {
        let mut policy = SpinPolicy::new();
        policy.caught(FAST);
        for _ in 0..100 {
            policy.caught(FAST);
        }
        // A preempted partner: one slow answer, and a miss, are absorbed.
        policy.caught(SLOW);
        policy.missed(Duration::from_micros(50));
        for _ in 0..100 {
            policy.caught(FAST);
        }
        assert!(policy.should_spin());
        // A producer that now waits 29 µs between wakes: spinning stops
        // after a few.
        let mut slow = 0;
        while policy.should_spin() {
            policy.caught(SLOW);
            slow += 1;
        }
        assert!(slow <= 5, "{slow}");
    }
}
