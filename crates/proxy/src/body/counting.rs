//! Byte counting for traffic accounting: every data frame's length goes to the endpoint's
//! counter for its direction (what the control plane prices and the reports carry). A
//! response's trailers with a failing `grpc-status` count as the endpoint's error.

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
        if let (Poll::Ready(Some(Ok(frame))), Some(st)) = (&r, &this.state) {
            if let Some(d) = frame.data_ref() {
                let c = match this.dir {
                    Direction::In => &st.counters.bytes_in,
                    Direction::Out => &st.counters.bytes_out,
                };
                c.fetch_add(d.len() as u64, Ordering::Relaxed);
            } else if let Some(code) = frame.trailers_ref().and_then(crate::grpc::grpc_status)
                && matches!(this.dir, Direction::Out)
            {
                // A gRPC call's outcome (its head said 200): a server-side failure is an
                // error of the endpoint, for the counters and passive health, as a 5xx is.
                let failed = crate::grpc::grpc_failure(code);
                if failed {
                    st.counters.errors.fetch_add(1, Ordering::Relaxed);
                }
                if st.record_result(failed, crate::now_ms()) {
                    tracing::warn!(grpc_status = code, "endpoint ejected after consecutive gRPC failures");
                }
            }
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
