//! Byte counting for traffic accounting: every data frame's length goes to the endpoint's
//! counter for its direction (what the control plane prices and the reports carry).

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};

use crate::balancer::EndpointState;

/// Which counter a body feeds.
#[derive(Clone, Copy, Debug)]
pub enum Direction {
    /// Client → upstream.
    In,
    /// Upstream → client.
    Out,
}

/// A body that adds every data frame's length to an endpoint counter.
pub struct Counting<B> {
    inner: B,
    state: Option<Arc<EndpointState>>,
    dir: Direction,
}

impl<B> Counting<B> {
    pub fn new(inner: B, state: Option<Arc<EndpointState>>, dir: Direction) -> Self {
        Self { inner, state, dir }
    }
}

impl<B: Body<Data = Bytes> + Unpin> Body for Counting<B> {
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, B::Error>>> {
        let this = &mut *self;
        let r = Pin::new(&mut this.inner).poll_frame(cx);
        if let (Poll::Ready(Some(Ok(frame))), Some(st)) = (&r, &this.state)
            && let Some(d) = frame.data_ref()
        {
            let c = match this.dir {
                Direction::In => &st.counters.bytes_in,
                Direction::Out => &st.counters.bytes_out,
            };
            c.fetch_add(d.len() as u64, Ordering::Relaxed);
        }
        r
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
