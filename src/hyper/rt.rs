//! [`Executor`] and [`Timer`]: hyper's runtime hooks on guillotine.
//!
//! Both either follow the runtime of the thread that uses them (the
//! default) or hold a [`Handle`] to one runtime, so that they work from any
//! thread.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant};

use crate::runtime::Handle;

/// hyper's executor (`hyper::rt::Executor`): spawns the background tasks
/// of HTTP/2 connections and of hyper-util's pooled client as guillotine
/// tasks, detached.
///
/// [`Executor::new`] spawns onto the runtime of the thread that calls
/// `execute` (the thread hyper polls the connection on: a task of the
/// runtime, so this is the usual choice); [`Executor::with_handle`] onto one
/// runtime from anywhere. The futures must be `Send`: on the multi-thread
/// flavor any worker may run them.
///
/// ```
/// use hyper::rt::Executor as _;
/// use guillotine::hyper::Executor;
///
/// let rt = guillotine::runtime::Runtime::new().unwrap();
/// let (tx, rx) = std::sync::mpsc::channel();
/// rt.block_on(async {
///     Executor::new().execute(async move { tx.send(42).unwrap() });
///     guillotine::task::yield_now().await;
/// });
/// assert_eq!(rx.recv().unwrap(), 42);
/// ```
#[derive(Clone, Default)]
pub struct Executor {
    /// The runtime to spawn onto; `None`: the current one.
    handle: Option<Handle>,
}

impl Executor {
    /// An executor that spawns onto the runtime of the thread it is used
    /// on; `execute` panics on a thread outside any runtime.
    ///
    /// ```
    /// let client_builder = hyper_util::client::legacy::Client::builder(guillotine::hyper::Executor::new());
    /// # drop(client_builder);
    /// ```
    pub fn new() -> Executor {
        Executor { handle: None }
    }

    /// An executor that spawns onto `handle`'s runtime, from any thread.
    ///
    /// ```
    /// use hyper::rt::Executor as _;
    ///
    /// let rt = guillotine::runtime::Runtime::new().unwrap();
    /// let exec = guillotine::hyper::Executor::with_handle(rt.handle());
    /// let (tx, rx) = std::sync::mpsc::channel();
    /// // Not inside the runtime: the handle says where the task goes.
    /// exec.execute(async move { tx.send("ran").unwrap() });
    /// rt.block_on(guillotine::task::yield_now());
    /// assert_eq!(rx.recv().unwrap(), "ran");
    /// ```
    pub fn with_handle(handle: Handle) -> Executor {
        Executor {
            handle: Some(handle),
        }
    }

    /// Spawns `future`, detached.
    #[track_caller]
    pub(crate) fn spawn<F>(&self, future: F)
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        // Dropping the JoinHandle detaches the task.
        match &self.handle {
            Some(handle) => drop(handle.spawn(future)),
            None => drop(crate::spawn(future)),
        }
    }
}

impl<F> ::hyper::rt::Executor<F> for Executor
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    #[track_caller]
    fn execute(&self, future: F) {
        self.spawn(future);
    }
}

impl fmt::Debug for Executor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Executor")
            .field("handle", &self.handle)
            .finish()
    }
}

/// hyper's timer (`hyper::rt::Timer`): [`guillotine::time::Sleep`](crate::time::Sleep)s
/// for hyper's timeouts (`header_read_timeout`, HTTP/2 keep-alive pings,
/// the pooled client's idle expiry).
///
/// hyper resets its sleeps often (each request moves the header-read
/// deadline); [`reset`](::hyper::rt::Timer::reset) moves a sleep of this
/// timer in the runtime's timer queue instead of allocating a new one.
///
/// [`Timer::new`] makes its sleeps on the runtime of the thread that asks
/// for one (hyper asks from the connection's task); [`Timer::with_handle`]
/// on one runtime from anywhere.
///
/// ```
/// use hyper::rt::Timer as _;
/// use guillotine::time::{Duration, Instant};
///
/// let rt = guillotine::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     let timer = guillotine::hyper::Timer::new();
///     let start = Instant::now();
///     let mut sleep = timer.sleep(Duration::from_secs(3600));
///     timer.reset(&mut sleep, start + Duration::from_millis(2));
///     sleep.await;
///     assert!(start.elapsed() >= Duration::from_millis(2));
/// });
/// ```
#[derive(Clone, Default)]
pub struct Timer {
    /// The runtime whose timer queue the sleeps join; `None`: the current one.
    handle: Option<Handle>,
}

impl Timer {
    /// A timer whose sleeps belong to the runtime of the thread that asks
    /// for them; asking on a thread outside any runtime panics.
    ///
    /// ```
    /// let mut http1 = hyper::server::conn::http1::Builder::new();
    /// http1.timer(guillotine::hyper::Timer::new());
    /// ```
    pub fn new() -> Timer {
        Timer { handle: None }
    }

    /// A timer whose sleeps belong to `handle`'s runtime, made on any
    /// thread.
    ///
    /// ```
    /// use hyper::rt::Timer as _;
    /// use guillotine::time::Duration;
    ///
    /// let rt = guillotine::runtime::Runtime::new().unwrap();
    /// let timer = guillotine::hyper::Timer::with_handle(rt.handle());
    /// let sleep = timer.sleep(Duration::from_millis(1)); // outside the runtime
    /// rt.block_on(sleep);
    /// ```
    pub fn with_handle(handle: Handle) -> Timer {
        Timer {
            handle: Some(handle),
        }
    }

    /// Runs `f` (which makes a sleep) in this timer's runtime.
    #[track_caller]
    fn make(&self, f: impl FnOnce() -> crate::time::Sleep) -> Pin<Box<dyn ::hyper::rt::Sleep>> {
        let _entered = self.handle.as_ref().map(Handle::enter);
        Box::pin(f())
    }
}

impl ::hyper::rt::Timer for Timer {
    #[track_caller]
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn ::hyper::rt::Sleep>> {
        self.make(|| crate::time::sleep(duration))
    }

    #[track_caller]
    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn ::hyper::rt::Sleep>> {
        self.make(|| crate::time::sleep_until(deadline))
    }

    fn now(&self) -> Instant {
        // The runtime's clock: paused time (`test-util`) included.
        crate::time::now()
    }

    #[track_caller]
    fn reset(&self, sleep: &mut Pin<Box<dyn ::hyper::rt::Sleep>>, new_deadline: Instant) {
        match sleep.as_mut().downcast_mut_pin::<crate::time::Sleep>() {
            // Ours: move it in its timer queue.
            Some(ours) => ours.reset(new_deadline),
            // Another timer's: replace it.
            None => *sleep = self.sleep_until(new_deadline),
        }
    }
}

impl fmt::Debug for Timer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Timer")
            .field("handle", &self.handle)
            .finish()
    }
}

/// Lets a [`Sleep`](crate::time::Sleep) be hyper's `Sleep`, so that
/// [`Timer::reset`](::hyper::rt::Timer::reset) can find its own sleeps.
impl ::hyper::rt::Sleep for crate::time::Sleep {}

fn _assert_kinds() {
    fn send_sync<T: Send + Sync + 'static>() {}
    send_sync::<Executor>();
    send_sync::<Timer>();
}
