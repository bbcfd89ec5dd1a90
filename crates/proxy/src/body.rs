//! Body types of the proxy path: streamed, never buffered, with byte counting for
//! traffic accounting.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use http_body_util::Full;
use hyper::body::Incoming;

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

/// The body sent upstream: the client's streamed body, or nothing (a retry).
pub enum ReqBody {
    Stream(Counting<Incoming>),
    Empty,
}

impl Body for ReqBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        match self.get_mut() {
            ReqBody::Stream(b) => Pin::new(b).poll_frame(cx),
            ReqBody::Empty => Poll::Ready(None),
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            ReqBody::Stream(b) => b.is_end_stream(),
            ReqBody::Empty => true,
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            ReqBody::Stream(b) => b.size_hint(),
            ReqBody::Empty => SizeHint::with_exact(0),
        }
    }
}

/// The body sent to the client: the upstream's streamed body, or one the proxy made.
pub enum RespBody {
    Stream(Counting<Incoming>),
    Full(Full<Bytes>),
}

impl RespBody {
    pub fn full(b: Bytes) -> Self {
        RespBody::Full(Full::new(b))
    }
}

impl Body for RespBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        match self.get_mut() {
            RespBody::Stream(b) => Pin::new(b).poll_frame(cx),
            RespBody::Full(b) => Pin::new(b).poll_frame(cx).map_err(|never| match never {}),
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            RespBody::Stream(b) => b.is_end_stream(),
            RespBody::Full(b) => b.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            RespBody::Stream(b) => b.size_hint(),
            RespBody::Full(b) => b.size_hint(),
        }
    }
}
