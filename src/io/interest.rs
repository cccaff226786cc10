//! [`Interest`]: the directions a registration asks epoll to report.

use std::fmt;
use std::ops;

/// The readiness an [`AsyncFd`](super::AsyncFd) is registered for: readable,
/// writable, or both (combine them with `|`).
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

    /// Both directions: every socket's, and [`AsyncFd::new`](super::AsyncFd::new)'s.
    pub(crate) const BOTH: Interest = Interest::READABLE.add(Interest::WRITABLE);

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

    /// The epoll flags of these directions (without the trigger mode).
    pub(crate) fn epoll_events(self) -> i32 {
        let mut events = 0;
        if self.is_readable() {
            events |= libc::EPOLLIN | libc::EPOLLRDHUP;
        }
        if self.is_writable() {
            events |= libc::EPOLLOUT;
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
        match (self.is_readable(), self.is_writable()) {
            (true, true) => f.write_str("READABLE | WRITABLE"),
            (true, false) => f.write_str("READABLE"),
            (false, true) => f.write_str("WRITABLE"),
            // No constructor makes one, but Debug must not lie.
            (false, false) => f.write_str("(none)"),
        }
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
    }
}
