//! [`Interest`]: the readiness a registration asks epoll to report, and a
//! wait waits for.

use std::fmt;
use std::ops;

use super::Ready;

/// The readiness an [`AsyncFd`](super::AsyncFd) is registered for, or a
/// `ready` call waits for: readable, writable, urgent data, errors (combine
/// them with `|`).
///
/// Hang-ups and errors are reported whatever the interest (epoll always
/// reports them).
///
/// ```
/// use guillotine::io::Interest;
///
/// let both = Interest::READABLE | Interest::WRITABLE;
/// assert!(both.is_readable() && both.is_writable());
/// assert!(!Interest::READABLE.is_writable());
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Interest(u8);

impl Interest {
    /// Readability, including the peer's hang-up (`EPOLLIN | EPOLLRDHUP`).
    ///
    /// ```
    /// assert!(guillotine::io::Interest::READABLE.is_readable());
    /// ```
    pub const READABLE: Interest = Interest(1 << 0);

    /// Writability (`EPOLLOUT`).
    ///
    /// ```
    /// assert!(guillotine::io::Interest::WRITABLE.is_writable());
    /// ```
    pub const WRITABLE: Interest = Interest(1 << 1);

    /// Urgent data (`EPOLLPRI`): TCP out-of-band data, or a change of a
    /// file such as `/proc/self/mounts` or a sysfs attribute. Sockets are
    /// registered for it; an [`AsyncFd`](super::AsyncFd) must ask for it
    /// (see [`AsyncFd::with_interest`](super::AsyncFd::with_interest)).
    ///
    /// ```
    /// use guillotine::io::Interest;
    ///
    /// assert!(Interest::PRIORITY.is_priority());
    /// assert!(!Interest::PRIORITY.is_readable());
    /// ```
    pub const PRIORITY: Interest = Interest(1 << 2);

    /// Errors (`EPOLLERR`), which epoll always reports: registering for
    /// `ERROR` alone asks epoll for nothing else. A wait for it sees
    /// [`Ready::ERROR`]; without it, a pending error shows as readable and
    /// writable (the next read or write returns it).
    ///
    /// ```
    /// use guillotine::io::Interest;
    ///
    /// assert!(Interest::ERROR.is_error());
    /// assert!(!(Interest::READABLE | Interest::WRITABLE).is_error());
    /// ```
    pub const ERROR: Interest = Interest(1 << 3);

    /// Both directions: [`AsyncFd::new`](super::AsyncFd::new)'s.
    pub(crate) const BOTH: Interest = Interest::READABLE.add(Interest::WRITABLE);

    /// Every socket's: both directions and urgent data. `EPOLLPRI` costs
    /// nothing until urgent data arrives.
    pub(crate) const SOCKET: Interest = Interest::BOTH.add(Interest::PRIORITY);

    /// Both interests; `|` in a `const` context.
    ///
    /// ```
    /// use guillotine::io::Interest;
    ///
    /// const BOTH: Interest = Interest::READABLE.add(Interest::WRITABLE);
    /// assert_eq!(BOTH, Interest::READABLE | Interest::WRITABLE);
    /// ```
    #[must_use]
    pub const fn add(self, other: Interest) -> Interest {
        Interest(self.0 | other.0)
    }

    /// Whether readability is included.
    ///
    /// ```
    /// use guillotine::io::Interest;
    ///
    /// assert!(Interest::READABLE.is_readable());
    /// assert!(!Interest::WRITABLE.is_readable());
    /// ```
    pub const fn is_readable(self) -> bool {
        self.0 & Interest::READABLE.0 != 0
    }

    /// Whether writability is included.
    ///
    /// ```
    /// use guillotine::io::Interest;
    ///
    /// assert!(Interest::WRITABLE.is_writable());
    /// assert!(!Interest::READABLE.is_writable());
    /// ```
    pub const fn is_writable(self) -> bool {
        self.0 & Interest::WRITABLE.0 != 0
    }

    /// Whether urgent data is included.
    ///
    /// ```
    /// use guillotine::io::Interest;
    ///
    /// assert!((Interest::READABLE | Interest::PRIORITY).is_priority());
    /// assert!(!Interest::READABLE.is_priority());
    /// ```
    pub const fn is_priority(self) -> bool {
        self.0 & Interest::PRIORITY.0 != 0
    }

    /// Whether errors are included.
    ///
    /// ```
    /// use guillotine::io::Interest;
    ///
    /// assert!((Interest::READABLE | Interest::ERROR).is_error());
    /// assert!(!Interest::READABLE.is_error());
    /// ```
    pub const fn is_error(self) -> bool {
        self.0 & Interest::ERROR.0 != 0
    }

    /// These interests without `other`'s; `None` if none is left.
    ///
    /// ```
    /// use guillotine::io::Interest;
    ///
    /// let both = Interest::READABLE | Interest::WRITABLE;
    /// assert_eq!(both.remove(Interest::READABLE), Some(Interest::WRITABLE));
    /// assert_eq!(both.remove(both), None);
    /// ```
    #[must_use = "this returns the result of the operation, without modifying the original"]
    pub const fn remove(self, other: Interest) -> Option<Interest> {
        match self.0 & !other.0 {
            0 => None,
            left => Some(Interest(left)),
        }
    }

    /// Whether every interest of `other` is included.
    pub(crate) const fn contains(self, other: Interest) -> bool {
        self.0 & other.0 == other.0
    }

    /// The readiness states that end a wait for these interests.
    pub(crate) fn mask(self) -> Ready {
        Ready::waking(self)
    }

    /// The epoll flags of these interests (without the trigger mode);
    /// `EPOLLERR` and `EPOLLHUP` need none.
    pub(crate) fn epoll_events(self) -> i32 {
        let mut events = 0;
        if self.is_readable() {
            events |= libc::EPOLLIN | libc::EPOLLRDHUP;
        }
        if self.is_writable() {
            events |= libc::EPOLLOUT;
        }
        if self.is_priority() {
            events |= libc::EPOLLPRI;
        }
        events
    }
}

impl ops::BitOr for Interest {
    type Output = Interest;

    fn bitor(self, rhs: Interest) -> Interest {
        self.add(rhs)
    }
}

impl ops::BitOrAssign for Interest {
    fn bitor_assign(&mut self, rhs: Interest) {
        *self = self.add(rhs);
    }
}

impl fmt::Debug for Interest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names = [
            (Interest::READABLE, "READABLE"),
            (Interest::WRITABLE, "WRITABLE"),
            (Interest::PRIORITY, "PRIORITY"),
            (Interest::ERROR, "ERROR"),
        ];
        let mut first = true;
        for (interest, name) in names {
            if self.contains(interest) {
                if !first {
                    f.write_str(" | ")?;
                }
                f.write_str(name)?;
                first = false;
            }
        }
        if first {
            // No constructor makes one, but Debug must not lie.
            f.write_str("(none)")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoll_events_follow_the_directions() {
        let read = libc::EPOLLIN | libc::EPOLLRDHUP;
        assert_eq!(Interest::READABLE.epoll_events(), read);
        assert_eq!(Interest::WRITABLE.epoll_events(), libc::EPOLLOUT);
        let both = Interest::READABLE | Interest::WRITABLE;
        assert_eq!(both.epoll_events(), read | libc::EPOLLOUT);
        assert_eq!(format!("{both:?}"), "READABLE | WRITABLE");
        assert_eq!(Interest::PRIORITY.epoll_events(), libc::EPOLLPRI);
        assert_eq!(
            Interest::ERROR.epoll_events(),
            0,
            "epoll reports errors anyway"
        );
        let odd = Interest::PRIORITY | Interest::ERROR;
        assert_eq!(format!("{odd:?}"), "PRIORITY | ERROR");
    }
}
