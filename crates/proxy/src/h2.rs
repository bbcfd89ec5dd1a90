//! HTTP/2 client connections (h2c by prior knowledge, or `h2` by ALPN over TLS), served by
//! hyper. The proxy keeps them in check the way `h1.rs` does its own: keep-alive PINGs
//! (`--h2-keepalive-seconds`) find peers that went away without closing, and a connection
//! that carries no request for `--h2-idle-timeout-seconds` is closed gracefully (GOAWAY,
//! then the close once its streams are done); so is every connection when the proxy stops.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::Request;
use http_body::{Body, Frame, SizeHint};
use hyper::body::Incoming;
use hyper::server::conn::http2::Builder;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::watch;

use crate::Proxy;
use crate::codec::ClientBody;
use crate::conn::ConnInfo;
use crate::exec::LocalExec;
use crate::listen::stopped;

/// The HTTP/2 server settings of one worker's connections.
pub(crate) fn builder(keepalive: Option<Duration>) -> Builder<LocalExec> {
    let mut b = Builder::new(LocalExec);
    b.timer(TokioTimer::new());
    if let Some(every) = keepalive {
        // A peer gets one interval to answer a PING.
        b.keep_alive_interval(every).keep_alive_timeout(every);
    }
    b
}

/// Requests of one connection: started so far, and in progress (until the response body
/// ends or is dropped).
#[derive(Default)]
struct Activity {
    started: AtomicU64,
    open: AtomicU64,
}

/// Counts a request as open while it lives.
struct Open(Arc<Activity>);

impl Open {
    fn new(a: &Arc<Activity>) -> Self {
        a.started.fetch_add(1, Ordering::Relaxed);
        a.open.fetch_add(1, Ordering::Relaxed);
        Open(a.clone())
    }
}

impl Drop for Open {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A response body that keeps its request counted as open until it ends or is dropped.
struct Tracked<B> {
    inner: B,
    _open: Open,
}

impl<B: Body<Data = Bytes> + Unpin> Body for Tracked<B> {
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, B::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// Serve one HTTP/2 connection until it closes, idles out or `stop` flips.
pub(crate) async fn serve<I>(
    proxy: Arc<Proxy>,
    info: Arc<ConnInfo>,
    h2: &Builder<LocalExec>,
    io: I,
    mut stop: watch::Receiver<bool>,
) where
    I: AsyncRead + AsyncWrite + Unpin + 'static,
{
    let idle = proxy.h2_idle_timeout;
    let activity = Arc::new(Activity::default());
    let counted = activity.clone();
    let svc = service_fn(move |req: Request<Incoming>| {
        let open = Open::new(&counted);
        // Boxed: hyper moves each request's future into a task of its own and moves the task's
        // stage on completion; inline, the whole request path (a few KiB) would be copied each
        // time (the largest memcpy in `PERF=1 bench/grpc.sh`).
        let resp = Box::pin(proxy.clone().handle(req.map(ClientBody::H2), info.clone()));
        async move {
            let Ok(resp) = resp.await;
            Ok::<_, std::convert::Infallible>(resp.map(|inner| Tracked { inner, _open: open }))
        }
    });
    let mut conn = std::pin::pin!(h2.serve_connection(TokioIo::new(io), svc));
    let mut timer = std::pin::pin!(tokio::time::sleep(idle));
    let mut seen = 0;
    let mut closing = false;
    loop {
        tokio::select! {
            _ = conn.as_mut() => return,
            _ = stopped(&mut stop), if !closing => {
                conn.as_mut().graceful_shutdown();
                closing = true;
            }
            _ = &mut timer, if !closing => {
                let started = activity.started.load(Ordering::Relaxed);
                if started == seen && activity.open.load(Ordering::Relaxed) == 0 {
                    // No request for a whole period: GOAWAY.
                    conn.as_mut().graceful_shutdown();
                    closing = true;
                }
                seen = started;
                timer.as_mut().reset(tokio::time::Instant::now() + idle);
            }
        }
    }
}
