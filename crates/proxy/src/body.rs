//! Body types of the proxy path: streamed, never buffered, with byte counting for
//! traffic accounting.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use http_body_util::Full;

use crate::balancer::EndpointState;
use crate::h1::ClientBody;
use crate::shaping::{self, Flow, Link, Pending, PolicyShaper, ServiceSlot};
use crate::trace::{RequestTrace, Tap};
use crate::tunnel::Tunnel;
use crate::upstream::{UpBody, UpError};

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

/// A body whose data frames are granted by the service's QoS policy before delivery:
/// the inner body is not polled again until the current chunk is granted (backpressure).
pub struct Shaped<B> {
    inner: B,
    slot: Option<Arc<ServiceSlot>>,
    link: Option<Arc<Link>>,
    flow: Flow,
    /// Bytes of the current frame not yet delivered (split into chunks of MAX_CHUNK).
    rest: Bytes,
    /// The chunk being granted, and its grant.
    waiting: Option<(Bytes, Arc<PolicyShaper>, Pending)>,
    /// Where to add the delay shaping caused (the request's trace), if anywhere.
    delay_sink: Option<Arc<std::sync::atomic::AtomicU64>>,
}

impl<B> Shaped<B> {
    pub fn new(
        inner: B,
        slot: Option<Arc<ServiceSlot>>,
        link: Option<Arc<Link>>,
        flow: Flow,
        delay_sink: Option<Arc<std::sync::atomic::AtomicU64>>,
    ) -> Self {
        Self { inner, slot, link, flow, rest: Bytes::new(), waiting: None, delay_sink }
    }
}

impl<B: Body<Data = Bytes> + Unpin> Body for Shaped<B> {
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, B::Error>>> {
        let this = &mut *self;
        loop {
            if let Some((_, _, fut)) = &mut this.waiting {
                let delay = std::task::ready!(fut.as_mut().poll(cx));
                let (chunk, shaper, _) = this.waiting.take().expect("set");
                shaper.record(chunk.len(), delay, shaper.params().sla_ms);
                if let Some(sink) = &this.delay_sink {
                    sink.fetch_add(delay.as_nanos() as u64, Ordering::Relaxed);
                }
                return Poll::Ready(Some(Ok(Frame::data(chunk))));
            }
            if !this.rest.is_empty() {
                let Some(shaper) = this.slot.as_ref().and_then(|s| s.active()) else {
                    return Poll::Ready(Some(Ok(Frame::data(std::mem::take(&mut this.rest)))));
                };
                let n = this.rest.len().min(shaper.chunk_size());
                let chunk = this.rest.split_to(n);
                if shaping::try_acquire_now(&shaper, this.link.as_deref(), this.flow, n) {
                    shaper.record(n, std::time::Duration::ZERO, None);
                    return Poll::Ready(Some(Ok(Frame::data(chunk))));
                }
                let shaper = Arc::clone(&shaper);
                let (s2, link, flow) = (shaper.clone(), this.link.clone(), this.flow);
                let fut: Pending = Box::pin(async move { shaping::acquire(&s2, link.as_deref(), flow, n).await });
                this.waiting = Some((chunk, shaper, fut));
                continue;
            }
            match std::task::ready!(Pin::new(&mut this.inner).poll_frame(cx)) {
                Some(Ok(frame)) => match frame.into_data() {
                    Ok(data) => {
                        if this.slot.as_ref().is_none_or(|s| s.active().is_none()) {
                            return Poll::Ready(Some(Ok(Frame::data(data))));
                        }
                        this.rest = data;
                    }
                    Err(frame) => return Poll::Ready(Some(Ok(frame))),
                },
                other => return Poll::Ready(other),
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.rest.is_empty() && self.waiting.is_none() && self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        let mut h = self.inner.size_hint();
        let extra = self.rest.len() as u64 + self.waiting.as_ref().map_or(0, |w| w.0.len() as u64);
        // Upper first: set_lower panics when the new lower bound exceeds the old upper.
        if let Some(u) = h.upper() {
            h.set_upper(u + extra);
        }
        h.set_lower(h.lower() + extra);
        h
    }
}

/// The body sent upstream: the client's streamed body (with an optional capture tap for
/// tracing), or nothing (a retry).
pub enum ReqBody {
    /// Boxed: the request rides in the upstream connection's dispatch queue, whose blocks
    /// hold 32 slots each, so a small enum keeps every pooled connection small.
    Stream(Box<StreamedRequest>),
    Empty,
}

/// The client's body, shaped and counted, with its capture tap.
pub type StreamedRequest = (Counting<Shaped<ClientBody>>, Option<Arc<Tap>>);

impl Body for ReqBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        match self.get_mut() {
            ReqBody::Stream(s) => {
                let (b, tap) = &mut **s;
                let r = Pin::new(b).poll_frame(cx);
                if let (Poll::Ready(Some(Ok(f))), Some(tap)) = (&r, tap.as_ref())
                    && let Some(d) = f.data_ref()
                {
                    tap.feed(d);
                }
                r
            }
            ReqBody::Empty => Poll::Ready(None),
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            ReqBody::Stream(s) => s.0.is_end_stream(),
            ReqBody::Empty => true,
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            ReqBody::Stream(s) => s.0.size_hint(),
            ReqBody::Empty => SizeHint::with_exact(0),
        }
    }
}

/// The body sent to the client: the upstream's streamed body, or one the proxy made,
/// carrying the request's trace, which ends when the body does (or is dropped).
pub struct RespBody {
    inner: RespInner,
    tap: Option<Arc<Tap>>,
    trace: Option<Box<RequestTrace>>,
    /// The client-to-upstream half of an upgraded connection (a `101` response).
    tunnel: Option<Box<Tunnel>>,
}

// The large variant is the common one (every proxied response); boxing it would cost an
// allocation per response to save bytes on the rare proxy-made error page.
#[allow(clippy::large_enum_variant)]
enum RespInner {
    Stream(Counting<Shaped<UpBody>>),
    Full(Full<Bytes>),
}

impl RespBody {
    pub fn full(b: Bytes) -> Self {
        RespBody { inner: RespInner::Full(Full::new(b)), tap: None, trace: None, tunnel: None }
    }

    pub fn stream(b: Counting<Shaped<UpBody>>) -> Self {
        RespBody { inner: RespInner::Stream(b), tap: None, trace: None, tunnel: None }
    }

    /// Attach the request's trace and its response-body tap (in place: a response is large
    /// to move).
    pub fn set_trace(&mut self, trace: Option<Box<RequestTrace>>) {
        self.tap = trace.as_ref().and_then(|t| t.resp_tap.clone());
        self.trace = trace;
    }

    pub fn set_tunnel(&mut self, tunnel: Tunnel) {
        self.tunnel = Some(Box::new(tunnel));
    }

    /// The tunnel of a `101` response to an upgrade request (tunnel.rs). The request's
    /// trace ends here: a tunnel is not a response body.
    pub fn take_tunnel(&mut self) -> Option<Box<Tunnel>> {
        let tunnel = self.tunnel.take()?;
        self.tap = None;
        if let Some(mut t) = self.trace.take() {
            t.finish();
        }
        Some(tunnel)
    }
}

impl Body for RespBody {
    type Data = Bytes;
    type Error = UpError;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, UpError>>> {
        let this = self.get_mut();
        let r = match &mut this.inner {
            RespInner::Stream(b) => Pin::new(b).poll_frame(cx),
            RespInner::Full(b) => Pin::new(b).poll_frame(cx).map_err(|never| match never {}),
        };
        match &r {
            Poll::Ready(Some(Ok(f))) => {
                if let (Some(tap), Some(d)) = (&this.tap, f.data_ref()) {
                    tap.feed(d);
                }
            }
            Poll::Ready(None) | Poll::Ready(Some(Err(_))) => {
                if let Some(t) = this.trace.as_mut() {
                    t.finish();
                }
            }
            Poll::Pending => {}
        }
        r
    }

    fn is_end_stream(&self) -> bool {
        match &self.inner {
            RespInner::Stream(b) => b.is_end_stream(),
            RespInner::Full(b) => b.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.inner {
            RespInner::Stream(b) => b.size_hint(),
            RespInner::Full(b) => b.size_hint(),
        }
    }
}
