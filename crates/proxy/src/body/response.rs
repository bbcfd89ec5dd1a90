//! The body sent to the client ([`RespBody`]): the upstream's response body, shaped and
//! counted, or one the proxy made (an error page); it carries the request's trace, which
//! ends with the body, and the tunnel of a `101` answer.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use http_body_util::Full;

use crate::body::counting::Counting;
use crate::body::shaped::Shaped;
use crate::trace::{RequestTrace, Tap};
use crate::tunnel::Tunnel;
use crate::upstream::error::UpError;
use crate::upstream::head::WireHead;
use crate::upstream::response::UpBody;

/// The body sent to the client: the upstream's streamed body, or one the proxy made,
/// carrying the request's trace, which ends when the body does (or is dropped).
///
/// Boxed: a response is moved a dozen times on its way from the attempt to the client's
/// writer (results, matches, the request future's output), and inline its body made each
/// move a 384-byte copy; one small allocation per response costs less than those copies.
pub struct RespBody(Box<State>);

struct State {
    inner: RespInner,
    tap: Option<Arc<Tap>>,
    trace: Option<Box<RequestTrace>>,
    /// The client-to-upstream half of an upgraded connection (a `101` response).
    tunnel: Option<Box<Tunnel>>,
    /// The upstream head's fields as HTTP/1.1 lines (for an HTTP/1.x client), written after
    /// the response's header map (then empty).
    wire: Option<Box<WireHead>>,
}

// The large variant is the common one (every proxied response); the whole state is boxed.
#[allow(clippy::large_enum_variant)]
enum RespInner {
    Stream(Counting<Shaped<UpBody>>),
    Full(Full<Bytes>),
}

impl RespBody {
    pub fn full(b: Bytes) -> Self {
        RespBody(Box::new(State {
            inner: RespInner::Full(Full::new(b)),
            tap: None,
            trace: None,
            tunnel: None,
            wire: None,
        }))
    }

    /// `wire`: the upstream head's fields as HTTP/1.1 lines, when they were kept so.
    pub fn stream(b: Counting<Shaped<UpBody>>, wire: Option<Box<WireHead>>) -> Self {
        RespBody(Box::new(State { inner: RespInner::Stream(b), tap: None, trace: None, tunnel: None, wire }))
    }

    /// The upstream head's fields as HTTP/1.1 lines, when they were kept so (h1.rs).
    pub(crate) fn wire_head(&self) -> Option<&WireHead> {
        self.0.wire.as_deref()
    }

    /// Attach the request's trace and its response-body tap.
    pub fn set_trace(&mut self, trace: Option<Box<RequestTrace>>) {
        self.0.tap = trace.as_ref().and_then(|t| t.resp_tap.clone());
        self.0.trace = trace;
    }

    pub fn set_tunnel(&mut self, tunnel: Tunnel) {
        self.0.tunnel = Some(Box::new(tunnel));
    }

    /// The tunnel of a `101` response to an upgrade request (tunnel.rs). The request's
    /// trace ends here: a tunnel is not a response body.
    pub fn take_tunnel(&mut self) -> Option<Box<Tunnel>> {
        let tunnel = self.0.tunnel.take()?;
        self.0.tap = None;
        if let Some(mut t) = self.0.trace.take() {
            t.finish();
        }
        Some(tunnel)
    }
}

/// A body the proxy made (an error page, [`crate::error::ProxyError::response`]).
impl From<Bytes> for RespBody {
    fn from(b: Bytes) -> Self {
        RespBody::full(b)
    }
}

impl Body for RespBody {
    type Data = Bytes;
    type Error = UpError;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, UpError>>> {
        let this = &mut *self.get_mut().0;
        let r = match &mut this.inner {
            RespInner::Stream(b) => Pin::new(b).poll_frame(cx),
            RespInner::Full(b) => Pin::new(b).poll_frame(cx).map_err(|never| match never {}),
        };
        match &r {
            Poll::Ready(Some(Ok(f))) => {
                if let (Some(tap), Some(d)) = (&this.tap, f.data_ref()) {
                    tap.feed(d);
                }
                if let (Some(t), Some(code)) =
                    (this.trace.as_mut(), f.trailers_ref().and_then(crate::grpc::grpc_status))
                {
                    t.grpc_status(code);
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
        match &self.0.inner {
            RespInner::Stream(b) => b.is_end_stream(),
            RespInner::Full(b) => b.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.0.inner {
            RespInner::Stream(b) => b.size_hint(),
            RespInner::Full(b) => b.size_hint(),
        }
    }
}
