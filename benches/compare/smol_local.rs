//! The `smol::LocalExecutor` a smol contender's `block_on` is running, kept
//! in a thread-local so that its `spawn` can reach it (smol has no ambient
//! executor). Shared by the compare and net benches.

use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;

thread_local! {
    static EXECUTOR: RefCell<Option<Rc<smol::LocalExecutor<'static>>>> =
        const { RefCell::new(None) };
}

/// Makes `ex` this thread's executor until the guard drops, which puts the
/// previous one back.
pub fn enter(ex: &Rc<smol::LocalExecutor<'static>>) -> Entered {
    Entered(EXECUTOR.replace(Some(Rc::clone(ex))))
}

pub struct Entered(Option<Rc<smol::LocalExecutor<'static>>>);

impl Drop for Entered {
    fn drop(&mut self) {
        EXECUTOR.set(self.0.take());
    }
}

/// Spawns onto the executor of the `block_on` running on this thread.
pub fn spawn<F>(fut: F) -> smol::Task<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    EXECUTOR.with_borrow(|ex| {
        ex.as_ref()
            .expect("Smol::spawn outside Smol::block_on")
            .spawn(fut)
    })
}
