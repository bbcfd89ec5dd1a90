//! Write batching across the requests of one worker's event-loop turn.
//!
//! A worker that writes each upstream request and each response the moment it is ready
//! spreads its writes over the whole turn, and every write can wake its peer (a client or an
//! upstream) for just one message: on a busy machine that costs a wakeup and often a
//! preemption per write. HAProxy's and nginx's event loops read everything that is ready
//! first and write afterwards. [`batch_point`] gets the same effect on Tokio: when other
//! requests are in progress on this worker, the request yields once before writing, so the
//! turn's remaining requests run first and the writes leave together. A request that is
//! alone on its worker does not wait.

use std::cell::Cell;

thread_local! {
    static ACTIVE: Cell<u32> = const { Cell::new(0) };
}

/// Counts a request as in progress on this thread for its lifetime.
pub(crate) struct Active(());

impl Active {
    pub(crate) fn enter() -> Self {
        ACTIVE.with(|a| a.set(a.get() + 1));
        Active(())
    }
}

impl Drop for Active {
    fn drop(&mut self) {
        ACTIVE.with(|a| a.set(a.get().saturating_sub(1)));
    }
}

/// Requests in progress on this thread.
pub(crate) fn active() -> u32 {
    ACTIVE.with(|a| a.get())
}

/// Yield once if other requests are in progress on this worker (see the module docs).
pub(crate) async fn batch_point() {
    if active() > 1 {
        tokio::task::yield_now().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::Future;
    use std::task::{Context, Poll, Waker};

    fn poll_once(f: impl Future<Output = ()>) -> Poll<()> {
        let mut cx = Context::from_waker(Waker::noop());
        std::pin::pin!(f).poll(&mut cx)
    }

    #[test]
    fn a_request_alone_does_not_wait_and_one_among_others_yields_once() {
        let first = Active::enter();
        assert_eq!(active(), 1);
        // Alone on this thread: ready at the first poll.
        assert_eq!(poll_once(batch_point()), Poll::Ready(()));
        let second = Active::enter();
        assert_eq!(active(), 2);
        // Another request in progress: the first poll yields (outside a Tokio runtime the
        // yield wakes at once, but it is still a Pending).
        let mut cx = Context::from_waker(Waker::noop());
        let mut f = std::pin::pin!(batch_point());
        assert_eq!(f.as_mut().poll(&mut cx), Poll::Pending);
        assert_eq!(f.as_mut().poll(&mut cx), Poll::Ready(()));
        drop(second);
        drop(first);
        assert_eq!(active(), 0);
        assert_eq!(poll_once(batch_point()), Poll::Ready(()));
    }
}
