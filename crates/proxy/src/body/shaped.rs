//! QoS shaping of a streamed body: each data chunk is granted by the service's policy (and
//! the link scheduler, when one is configured) before it is delivered.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};

use crate::shaping::{self, Flow, Link, Pending, PolicyShaper, ServiceSlot};

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
