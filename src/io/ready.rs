//! [`Ready`]: a set of readiness states, as the reactor reports them, and
//! how a wait for an [`Interest`] sees them.
//!
//! This file has no `unsafe`.

use std::fmt;
use std::ops;

use super::Interest;

const READABLE: u8 = 1 << 0;
const WRITABLE: u8 = 1 << 1;
const READ_CLOSED: u8 = 1 << 2;
const WRITE_CLOSED: u8 = 1 << 3;
const PRIORITY: u8 = 1 << 4;
const ERROR: u8 = 1 << 5;

/// What an I/O resource is ready for: the value of
/// [`TcpStream::ready`](crate::net::TcpStream::ready) and the other sockets'
/// `ready`, and of an [`AsyncFd`](super::AsyncFd) guard's
/// [`ready`](super::AsyncFdReadyGuard::ready). Combine with `|`, `&` and `-`.
///
/// Readiness is a hint: an operation it announces may still fail with
/// `WouldBlock`.
///
/// ```
/// use guillotine::io::Ready;
///
/// let ready = Ready::READABLE | Ready::READ_CLOSED;
/// assert!(ready.is_readable() && ready.is_read_closed());
/// assert!(!ready.is_writable());
/// assert_eq!(ready - Ready::READ_CLOSED, Ready::READABLE);
/// assert_eq!(ready & Ready::WRITABLE, Ready::EMPTY);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Ready(u8);

impl Ready {
    /// No readiness.
    ///
    /// ```
    /// assert!(guillotine::io::Ready::EMPTY.is_empty());
    /// ```
    pub const EMPTY: Ready = Ready(0);

    /// A read may make progress (`EPOLLIN`, or `EPOLLPRI` as mio has it).
    ///
    /// ```
    /// assert!(guillotine::io::Ready::READABLE.is_readable());
    /// ```
    pub const READABLE: Ready = Ready(READABLE);

    /// A write may make progress (`EPOLLOUT`).
    ///
    /// ```
    /// assert!(guillotine::io::Ready::WRITABLE.is_writable());
    /// ```
    pub const WRITABLE: Ready = Ready(WRITABLE);

    /// The peer will send nothing more (`EPOLLRDHUP` or `EPOLLHUP`): reads
    /// return 0 or an error. Counts as readable.
    ///
    /// ```
    /// use guillotine::io::Ready;
    ///
    /// assert!(Ready::READ_CLOSED.is_read_closed() && Ready::READ_CLOSED.is_readable());
    /// ```
    pub const READ_CLOSED: Ready = Ready(READ_CLOSED);

    /// Nothing more can be sent (`EPOLLHUP`): writes fail. Counts as
    /// writable.
    ///
    /// ```
    /// use guillotine::io::Ready;
    ///
    /// assert!(Ready::WRITE_CLOSED.is_write_closed() && Ready::WRITE_CLOSED.is_writable());
    /// ```
    pub const WRITE_CLOSED: Ready = Ready(WRITE_CLOSED);

    /// Urgent data (`EPOLLPRI`): TCP out-of-band data, a change of a
    /// sysfs or `/proc/self/mounts` file.
    ///
    /// ```
    /// assert!(guillotine::io::Ready::PRIORITY.is_priority());
    /// ```
    pub const PRIORITY: Ready = Ready(PRIORITY);

    /// A pending error (`EPOLLERR`), such as a UDP socket's
    /// `ECONNREFUSED`: the next call in either direction, or `take_error`,
    /// returns it.
    ///
    /// ```
    /// assert!(guillotine::io::Ready::ERROR.is_error());
    /// ```
    pub const ERROR: Ready = Ready(ERROR);

    /// Every readiness state.
    ///
    /// ```
    /// use guillotine::io::Ready;
    ///
    /// let all = Ready::ALL;
    /// assert!(all.is_readable() && all.is_writable() && all.is_priority() && all.is_error());
    /// assert!(all.is_read_closed() && all.is_write_closed());
    /// ```
    pub const ALL: Ready =
        Ready(READABLE | WRITABLE | READ_CLOSED | WRITE_CLOSED | PRIORITY | ERROR);

    /// Whether no state is set.
    ///
    /// ```
    /// use guillotine::io::Ready;
    ///
    /// assert!(Ready::EMPTY.is_empty());
    /// assert!(!Ready::READABLE.is_empty());
    /// ```
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Whether [`READABLE`](Self::READABLE) or
    /// [`READ_CLOSED`](Self::READ_CLOSED) is set.
    ///
    /// ```
    /// use guillotine::io::Ready;
    ///
    /// assert!(Ready::READABLE.is_readable());
    /// assert!(Ready::READ_CLOSED.is_readable());
    /// assert!(!Ready::WRITABLE.is_readable());
    /// ```
    pub const fn is_readable(self) -> bool {
        self.0 & (READABLE | READ_CLOSED) != 0
    }

    /// Whether [`WRITABLE`](Self::WRITABLE) or
    /// [`WRITE_CLOSED`](Self::WRITE_CLOSED) is set.
    ///
    /// ```
    /// use guillotine::io::Ready;
    ///
    /// assert!(Ready::WRITABLE.is_writable());
    /// assert!(Ready::WRITE_CLOSED.is_writable());
    /// assert!(!Ready::READABLE.is_writable());
    /// ```
    pub const fn is_writable(self) -> bool {
        self.0 & (WRITABLE | WRITE_CLOSED) != 0
    }

    /// Whether [`READ_CLOSED`](Self::READ_CLOSED) is set.
    ///
    /// ```
    /// use guillotine::io::Ready;
    ///
    /// assert!(Ready::READ_CLOSED.is_read_closed());
    /// assert!(!Ready::READABLE.is_read_closed());
    /// ```
    pub const fn is_read_closed(self) -> bool {
        self.0 & READ_CLOSED != 0
    }

    /// Whether [`WRITE_CLOSED`](Self::WRITE_CLOSED) is set.
    ///
    /// ```
    /// use guillotine::io::Ready;
    ///
    /// assert!(Ready::WRITE_CLOSED.is_write_closed());
    /// assert!(!Ready::WRITABLE.is_write_closed());
    /// ```
    pub const fn is_write_closed(self) -> bool {
        self.0 & WRITE_CLOSED != 0
    }

    /// Whether [`PRIORITY`](Self::PRIORITY) is set.
    ///
    /// ```
    /// use guillotine::io::Ready;
    ///
    /// assert!(Ready::PRIORITY.is_priority());
    /// assert!(!Ready::READABLE.is_priority());
    /// ```
    pub const fn is_priority(self) -> bool {
        self.0 & PRIORITY != 0
    }

    /// Whether [`ERROR`](Self::ERROR) is set.
    ///
    /// ```
    /// use guillotine::io::Ready;
    ///
    /// assert!(Ready::ERROR.is_error());
    /// assert!(!Ready::READ_CLOSED.is_error());
    /// ```
    pub const fn is_error(self) -> bool {
        self.0 & ERROR != 0
    }

    /// The readiness an epoll event word reports.
    pub(crate) fn from_epoll(events: u32) -> Ready {
        let has = |flag: i32| events & flag as u32 != 0;
        let mut ready = Ready::EMPTY;
        // As mio: urgent data is something to read too.
        if has(libc::EPOLLIN) || has(libc::EPOLLPRI) {
            ready |= Ready::READABLE;
        }
        if has(libc::EPOLLOUT) {
            ready |= Ready::WRITABLE;
        }
        if has(libc::EPOLLRDHUP) || has(libc::EPOLLHUP) {
            ready |= Ready::READ_CLOSED;
        }
        if has(libc::EPOLLHUP) {
            ready |= Ready::WRITE_CLOSED;
        }
        if has(libc::EPOLLPRI) {
            ready |= Ready::PRIORITY;
        }
        if has(libc::EPOLLERR) {
            ready |= Ready::ERROR;
        }
        ready
    }

    pub(crate) const fn intersects(self, other: Ready) -> bool {
        self.0 & other.0 != 0
    }

    pub(crate) const fn bits(self) -> u8 {
        self.0
    }

    /// The set of `bits`, ignoring the ones no state has.
    pub(crate) const fn from_bits(bits: u8) -> Ready {
        Ready(bits & Ready::ALL.0)
    }

    /// The states a wait for `interest` reports, as tokio has them.
    fn of_interest(interest: Interest) -> Ready {
        let mut ready = Ready::EMPTY;
        if interest.is_readable() {
            ready |= Ready::READABLE | Ready::READ_CLOSED;
        }
        if interest.is_writable() {
            ready |= Ready::WRITABLE | Ready::WRITE_CLOSED;
        }
        if interest.is_priority() {
            ready |= Ready::PRIORITY | Ready::READ_CLOSED;
        }
        if interest.is_error() {
            ready |= Ready::ERROR;
        }
        ready
    }

    /// The states that end a wait for `interest`: those it reports, and a
    /// pending error for a read or a write (which that call would return).
    pub(crate) fn waking(interest: Interest) -> Ready {
        let mut ready = Ready::of_interest(interest);
        if interest.is_readable() || interest.is_writable() {
            ready |= Ready::ERROR;
        }
        ready
    }

    /// How a wait for `interest` reports these states: tokio's
    /// intersection, except that without [`Interest::ERROR`] a pending error
    /// shows as readable and writable, so that the read or write that
    /// returns it is made (tokio would keep waiting).
    pub(crate) fn seen_by(self, interest: Interest) -> Ready {
        let mut shown = self & Ready::of_interest(interest);
        if self.is_error() && !interest.is_error() {
            if interest.is_readable() {
                shown |= Ready::READABLE;
            }
            if interest.is_writable() {
                shown |= Ready::WRITABLE;
            }
        }
        shown
    }

    /// The raw states to forget when a wait for `interest` is told to
    /// forget `shown`: those, and the error that showed as readable or
    /// writable.
    pub(crate) fn behind(shown: Ready, interest: Interest) -> Ready {
        if !interest.is_error() && shown.intersects(Ready::READABLE | Ready::WRITABLE) {
            shown | Ready::ERROR
        } else {
            shown
        }
    }
}

impl ops::BitOr for Ready {
    type Output = Ready;

    fn bitor(self, rhs: Ready) -> Ready {
        Ready(self.0 | rhs.0)
    }
}

impl ops::BitOrAssign for Ready {
    fn bitor_assign(&mut self, rhs: Ready) {
        self.0 |= rhs.0;
    }
}

impl ops::BitAnd for Ready {
    type Output = Ready;

    fn bitand(self, rhs: Ready) -> Ready {
        Ready(self.0 & rhs.0)
    }
}

impl ops::Sub for Ready {
    type Output = Ready;

    fn sub(self, rhs: Ready) -> Ready {
        Ready(self.0 & !rhs.0)
    }
}

impl fmt::Debug for Ready {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names = [
            (Ready::READABLE, "READABLE"),
            (Ready::WRITABLE, "WRITABLE"),
            (Ready::READ_CLOSED, "READ_CLOSED"),
            (Ready::WRITE_CLOSED, "WRITE_CLOSED"),
            (Ready::PRIORITY, "PRIORITY"),
            (Ready::ERROR, "ERROR"),
        ];
        let mut set = f.debug_set();
        for (bit, name) in names {
            if self.intersects(bit) {
                set.entry(&format_args!("{name}"));
            }
        }
        set.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoll_words_map_as_mio_maps_them() {
        let pri = Ready::from_epoll(libc::EPOLLPRI as u32);
        assert_eq!(pri, Ready::READABLE | Ready::PRIORITY);
        let hup = Ready::from_epoll(libc::EPOLLHUP as u32);
        assert_eq!(hup, Ready::READ_CLOSED | Ready::WRITE_CLOSED);
        let err = Ready::from_epoll((libc::EPOLLERR | libc::EPOLLOUT) as u32);
        assert_eq!(err, Ready::ERROR | Ready::WRITABLE);
    }

    #[test]
    fn an_error_shows_as_readable_unless_asked_for() {
        let read = Interest::READABLE;
        assert_eq!(Ready::ERROR.seen_by(read), Ready::READABLE);
        assert_eq!(
            Ready::ERROR.seen_by(read | Interest::ERROR),
            Ready::ERROR,
            "asked for: seen as it is"
        );
        assert_eq!(Ready::ERROR.seen_by(Interest::PRIORITY), Ready::EMPTY);
        assert!(Ready::waking(Interest::WRITABLE).is_error());
        assert!(!Ready::waking(Interest::PRIORITY).is_error());
        assert_eq!(
            Ready::behind(Ready::READABLE, read),
            Ready::READABLE | Ready::ERROR
        );
        assert_eq!(
            Ready::behind(Ready::READABLE, read | Interest::ERROR),
            Ready::READABLE
        );
    }

    #[test]
    fn debug_names_the_states() {
        let ready = Ready::PRIORITY | Ready::ERROR;
        assert_eq!(format!("{ready:?}"), "{PRIORITY, ERROR}");
    }
}
