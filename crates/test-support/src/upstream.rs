//! HTTP servers posing as regions: each answers its name; `/bytes/N` sends N bytes, `/echo`
//! returns the request's target (path and query), headers, body length, trailers and the
//! body's arrival rate after its first [`RATE_FROM`] bytes ([`Arrival`]) as JSON, `/status/N` answers N;
//! a delay and a failing mode can be switched on; a server can be killed and revived on
//! its port.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::task::JoinSet;

/// An HTTP server posing as one region. Answers its name; `/bytes/N` sends N bytes;
/// `/echo` returns the request headers as JSON; `/status/N` answers N.
pub struct Upstream {
    pub name: String,
    pub addr: SocketAddr,
    pub hits: Arc<AtomicU64>,
    pub delay_ms: Arc<AtomicU64>,
    /// When set, every request gets a 500 at once.
    pub fail: Arc<std::sync::atomic::AtomicBool>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Upstream {
    pub async fn start(name: &str) -> Self {
        Self::start_on(name, "127.0.0.1:0").await
    }

    /// On a given local address (e.g. `127.0.0.2:0`, another loopback address).
    pub async fn start_on(name: &str, addr: &str) -> Self {
        let l = TcpListener::bind(addr).await.unwrap();
        Self::serve(name, l)
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn serve(name: &str, l: TcpListener) -> Self {
        let addr = l.local_addr().unwrap();
        let hits = Arc::new(AtomicU64::new(0));
        let delay_ms = Arc::new(AtomicU64::new(0));
        let fail = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (n, h, d, f) = (name.to_string(), hits.clone(), delay_ms.clone(), fail.clone());
        let task = tokio::spawn(async move {
            // Connection tasks live in this set: aborting the server kills them too.
            let mut conns = JoinSet::new();
            loop {
                let Ok((s, _)) = l.accept().await else { continue };
                let (n, h, d, f) = (n.clone(), h.clone(), d.clone(), f.clone());
                conns.spawn(async move {
                    let svc = service_fn(move |req: Request<Incoming>| {
                        let (n, h, d, f) = (n.clone(), h.clone(), d.clone(), f.clone());
                        async move {
                            if f.load(Ordering::Relaxed) {
                                h.fetch_add(1, Ordering::Relaxed);
                                let mut r = Response::new(Full::new(Bytes::from_static(b"failing")));
                                *r.status_mut() = hyper::StatusCode::INTERNAL_SERVER_ERROR;
                                return Ok::<_, Infallible>(r);
                            }
                            Ok::<_, Infallible>(answer(req, &n, &h, &d).await)
                        }
                    });
                    let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(s), svc)
                        .await;
                });
            }
        });
        Upstream { name: name.to_string(), addr, hits, delay_ms, fail, task: Some(task) }
    }

    /// Kill the server and every open connection (connections are then refused).
    pub fn kill(&mut self) {
        if let Some(t) = self.task.take() {
            t.abort();
        }
    }

    /// Serve again on the same port.
    pub async fn revive(&mut self) {
        let l = TcpListener::bind(self.addr).await.unwrap();
        let mut fresh = Self::serve(&self.name, l);
        self.task = fresh.task.take();
        self.hits = fresh.hits.clone();
        self.delay_ms = fresh.delay_ms.clone();
        self.fail = fresh.fail.clone();
    }

    pub fn hits(&self) -> u64 {
        self.hits.load(Ordering::Relaxed)
    }
}

impl Drop for Upstream {
    fn drop(&mut self) {
        self.kill();
    }
}

/// `/echo`'s `body_rate` (and [`Arrival::rate`]) counts bytes after this many.
pub const RATE_FROM: usize = 64 * 1024;

/// Bytes arriving over time, and their rate after the first [`RATE_FROM`] (a burst, and the
/// request's own setup, are not part of it).
#[derive(Debug, Default)]
pub struct Arrival {
    bytes: usize,
    /// When the count passed RATE_FROM, and the count then.
    from: Option<(std::time::Instant, usize)>,
    last: Option<std::time::Instant>,
}

impl Arrival {
    /// `n` more bytes arrived now.
    pub fn add(&mut self, n: usize) {
        let now = std::time::Instant::now();
        self.bytes += n;
        self.last = Some(now);
        if self.from.is_none() && self.bytes >= RATE_FROM {
            self.from = Some((now, self.bytes));
        }
    }

    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Bytes per second from RATE_FROM to the last byte, when more arrived after it.
    pub fn rate(&self) -> Option<f64> {
        let ((t, n), last) = (self.from?, self.last?);
        (self.bytes > n && last > t).then(|| (self.bytes - n) as f64 / last.duration_since(t).as_secs_f64())
    }
}

async fn answer(req: Request<Incoming>, name: &str, hits: &AtomicU64, delay: &AtomicU64) -> Response<Full<Bytes>> {
    hits.fetch_add(1, Ordering::Relaxed);
    let d = delay.load(Ordering::Relaxed);
    if d > 0 {
        tokio::time::sleep(Duration::from_millis(d)).await;
    }
    let path = req.uri().path().to_string();
    let target = req.uri().path_and_query().map_or_else(|| path.clone(), |pq| pq.to_string());
    if let Some(n) = path.strip_prefix("/bytes/") {
        let n: usize = n.parse().unwrap_or(0);
        return Response::new(Full::new(Bytes::from(vec![b'x'; n])));
    }
    if let Some(code) = path.strip_prefix("/status/") {
        let mut r = Response::new(Full::new(Bytes::from(name.to_string())));
        *r.status_mut() = hyper::StatusCode::from_u16(code.parse().unwrap_or(500)).unwrap();
        return r;
    }
    if path.ends_with("/echo") {
        let headers: serde_json::Map<String, Value> =
            req.headers().iter().map(|(k, v)| (k.to_string(), Value::from(v.to_str().unwrap_or("")))).collect();
        let mut body = req.into_body();
        let (mut arrival, mut trailers) = (Arrival::default(), serde_json::Map::new());
        while let Some(Ok(frame)) = body.frame().await {
            match frame.into_data() {
                Ok(d) => arrival.add(d.len()),
                Err(f) => {
                    if let Ok(t) = f.into_trailers() {
                        trailers =
                            t.iter().map(|(k, v)| (k.to_string(), Value::from(v.to_str().unwrap_or("")))).collect();
                    }
                }
            }
        }
        let (len, rate) = (arrival.bytes(), arrival.rate());
        let v = json!({"name": name, "target": target, "headers": headers, "body_len": len, "trailers": trailers, "body_rate": rate});
        return Response::new(Full::new(Bytes::from(v.to_string())));
    }
    Response::new(Full::new(Bytes::from(name.to_string())))
}
