//! The admin listener: `/metrics` (Prometheus text), `/healthz`, `/ready` (a configuration
//! is loaded).

use std::sync::Arc;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::Proxy;
use crate::listen::{accept_error, stopped};

/// Serve the admin listener until `stop` flips.
pub async fn serve(proxy: Arc<Proxy>, listener: TcpListener, mut stop: watch::Receiver<bool>) {
    loop {
        let (stream, _) = tokio::select! {
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(e) => {
                    accept_error(&e).await;
                    continue;
                }
            },
            _ = stopped(&mut stop) => break,
        };
        let proxy = proxy.clone();
        tokio::spawn(async move {
            let svc = service_fn(move |req: Request<Incoming>| {
                let proxy = proxy.clone();
                async move {
                    let (status, ctype, body) = match req.uri().path() {
                        "/metrics" => (StatusCode::OK, "text/plain; version=0.0.4", proxy.render_metrics()),
                        "/healthz" => (StatusCode::OK, "text/plain", "ok\n".to_string()),
                        "/ready" if proxy.draining.load(std::sync::atomic::Ordering::Relaxed) => {
                            (StatusCode::SERVICE_UNAVAILABLE, "text/plain", "draining\n".to_string())
                        }
                        "/ready" => match proxy.runtime.load().as_ref() {
                            Some(rt) => {
                                (StatusCode::OK, "text/plain", format!("ready: config version {}\n", rt.version))
                            }
                            None => {
                                (StatusCode::SERVICE_UNAVAILABLE, "text/plain", "no configuration yet\n".to_string())
                            }
                        },
                        _ => (StatusCode::NOT_FOUND, "text/plain", "not found\n".to_string()),
                    };
                    let mut r = Response::new(Full::new(Bytes::from(body)));
                    *r.status_mut() = status;
                    r.headers_mut().insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static(ctype));
                    Ok::<_, std::convert::Infallible>(r)
                }
            });
            let _ = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), svc).await;
        });
    }
}
