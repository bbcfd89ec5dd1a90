//! The body sent upstream ([`ReqBody`]): the client's body, shaped, counted and tapped for
//! trace capture, or nothing.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};

use crate::body::counting::Counting;
use crate::body::shaped::Shaped;
use crate::codec::ClientBody;
use crate::trace::Tap;

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
