//! HTTP/2 to upstreams (`grpc://`: h2c with prior knowledge; `grpcs://`: TLS with ALPN h2;
//! `https://` when ALPN chose h2, pool.rs): one multiplexed connection per upstream, per
//! worker thread and DSCP mark.
//!
//! hyper's HTTP/2 client does the protocol: streams up to the server's
//! `SETTINGS_MAX_CONCURRENT_STREAMS` (further requests wait for a free stream), flow control
//! (a window is released as the response body is consumed, so a shaped body holds at most one
//! window per stream), keep-alive PINGs, and GOAWAY (streams the server accepted run to their
//! end; new requests see the connection closed and open another). A request the server
//! refused without processing it (`REFUSED_STREAM`, or above a GOAWAY's last stream id) is
//! sent again on a new connection when its body allows (none, or not yet read).

use std::sync::Mutex;
use std::time::Duration;

use http::uri::{Authority, Scheme};
use http::{Request, Response};
use hyper::body::Incoming;
use hyper::client::conn::http2::SendRequest;
use hyper_util::rt::TokioTimer;

use crate::body::request::ReqBody;
use crate::dscp::DscpConnector;
use crate::upstream::connect::{HttpsConnector, Io, alpn_chose_h2, open};
use crate::upstream::error::UpError;
use crate::upstream::limits::Timeouts;

/// Which upstream a connection goes to (TLS or not, and where).
#[derive(Clone, PartialEq, Eq)]
struct Key {
    https: bool,
    authority: Authority,
}

/// Keep-alive PING interval on upstream HTTP/2 connections (a dead peer is noticed within
/// this plus [`KEEPALIVE_TIMEOUT`]).
const KEEPALIVE_INTERVAL: Duration = Duration::from_secs(30);
const KEEPALIVE_TIMEOUT: Duration = Duration::from_secs(10);
/// Flow-control windows: a stream may have this much unconsumed data in flight, the
/// connection four times as much.
const STREAM_WINDOW: u32 = 1 << 20;
const CONNECTION_WINDOW: u32 = 4 << 20;

/// The HTTP/2 connections of one pool (worker thread and DSCP mark).
pub(crate) struct H2Pool {
    connector: HttpsConnector,
    conns: Mutex<Vec<(Key, SendRequest<ReqBody>)>>,
    timeouts: Timeouts,
}

impl H2Pool {
    pub(crate) fn new(tls: &rustls::ClientConfig, connector: DscpConnector, timeouts: Timeouts) -> Self {
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls.clone())
            .https_or_http()
            .enable_http2()
            .wrap_connector(connector);
        H2Pool { connector, conns: Mutex::new(Vec::new()), timeouts }
    }

    /// Open connections (metrics, tests).
    pub(crate) fn connection_count(&self) -> usize {
        self.conns.lock().expect("h2 pool lock").iter().filter(|(_, s)| !s.is_closed()).count()
    }

    /// A live connection to `key`, or a new one.
    async fn sender(&self, key: &Key, fresh: bool) -> Result<SendRequest<ReqBody>, UpError> {
        if !fresh {
            let mut conns = self.conns.lock().expect("h2 pool lock");
            conns.retain(|(_, s)| !s.is_closed());
            if let Some((_, s)) = conns.iter().find(|(k, _)| k == key) {
                return Ok(s.clone());
            }
        }
        // Boxed: connecting (TLS and the HTTP/2 handshake) is rare and its future large; inline,
        // every call's exchange future would be as large, and is copied when it is boxed.
        let sender = Box::pin(self.connect(key)).await?;
        self.keep(key.clone(), sender.clone());
        Ok(sender)
    }

    /// `sender` becomes the connection to `key` (replacing one there was) and closed
    /// connections are forgotten.
    fn keep(&self, key: Key, sender: SendRequest<ReqBody>) {
        let mut conns = self.conns.lock().expect("h2 pool lock");
        conns.retain(|(k, s)| *k != key && !s.is_closed());
        conns.push((key, sender));
    }

    async fn connect(&self, key: &Key) -> Result<SendRequest<ReqBody>, UpError> {
        let scheme = if key.https { Scheme::HTTPS } else { Scheme::HTTP };
        let io = open(&self.connector, scheme, &key.authority, self.timeouts.response).await?;
        if key.https && !alpn_chose_h2(&io) {
            return Err(UpError::Connect("the endpoint did not offer HTTP/2 (ALPN h2)".into()));
        }
        self.handshake(io).await
    }

    /// Take a TLS connection on which ALPN chose h2 (opened by the HTTP/1.1 pool's
    /// negotiation, pool.rs) as the connection to `authority`.
    pub(crate) async fn adopt(&self, authority: &Authority, io: Io) -> Result<(), UpError> {
        let sender = self.handshake(io).await?;
        self.keep(Key { https: true, authority: authority.clone() }, sender);
        Ok(())
    }

    /// The HTTP/2 handshake on a new connection, whose driver task then runs beside it.
    async fn handshake(&self, io: Io) -> Result<SendRequest<ReqBody>, UpError> {
        let handshake = hyper::client::conn::http2::Builder::new(crate::exec::LocalExec)
            .timer(TokioTimer::new())
            .keep_alive_interval(KEEPALIVE_INTERVAL)
            .keep_alive_timeout(KEEPALIVE_TIMEOUT)
            .keep_alive_while_idle(true)
            .initial_stream_window_size(STREAM_WINDOW)
            .initial_connection_window_size(CONNECTION_WINDOW)
            .handshake(io);
        let (sender, conn) = match tokio::time::timeout(self.timeouts.response, handshake).await {
            Ok(r) => r.map_err(|e| UpError::Connect(format!("HTTP/2 handshake: {e}")))?,
            Err(_) => return Err(UpError::Connect("HTTP/2 handshake timed out".into())),
        };
        // The connection and hyper's per-request tasks are local tasks of this worker, like
        // the client connections (no cross-thread scheduling on the request path).
        tokio::task::spawn_local(async move {
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, "upstream HTTP/2 connection ended");
            }
        });
        Ok(sender)
    }

    /// Send one request on a multiplexed connection and return the response with its body
    /// still streaming. `deadline` bounds the wait for the response head (the upstream
    /// timeout, or a shorter gRPC deadline). When no connection could be made, the body
    /// comes back unread with the error, so the request can go to another endpoint.
    pub(crate) async fn send(
        &self,
        https: bool,
        authority: &Authority,
        mut req: Request<ReqBody>,
        deadline: Duration,
    ) -> Result<Response<Incoming>, (UpError, Option<ReqBody>)> {
        let key = Key { https, authority: authority.clone() };
        let replayable = http_body::Body::is_end_stream(req.body());
        // A copy of the head for sending a refused bodiless request again; a request with a
        // body is never sent twice, and its head is not copied (one HeaderMap per call less).
        let mut replay = replayable.then(|| (req.method().clone(), req.uri().clone(), req.headers().clone()));
        *req.version_mut() = http::Version::HTTP_2;
        let mut fresh = false;
        loop {
            let mut sender = match self.sender(&key, fresh).await {
                Ok(s) => s,
                Err(e) => return Err((e, Some(req.into_body()))),
            };
            if sender.ready().await.is_err() {
                // Closed meanwhile (GOAWAY, or the peer went away): a new connection.
                if fresh {
                    return Err((UpError::Connect("HTTP/2 connection closed at once".into()), Some(req.into_body())));
                }
                fresh = true;
                continue;
            }
            match tokio::time::timeout(deadline, sender.try_send_request(req)).await {
                Err(_) => return Err((UpError::Timeout, None)),
                Ok(Ok(resp)) => return Ok(resp),
                Ok(Err(mut e)) => {
                    // Not sent at all (the connection closed or went away before the stream
                    // opened): the request comes back whole, body unread.
                    if let Some(back) = e.take_message() {
                        if fresh {
                            return Err((UpError::Connect(e.into_error().to_string()), Some(back.into_body())));
                        }
                        fresh = true;
                        req = back;
                        continue;
                    }
                    let e = e.into_error();
                    // Refused without being processed: once more on a new connection, if the
                    // body can be sent again.
                    if !fresh
                        && unprocessed(&e)
                        && let Some((method, uri, headers)) = replay.take()
                    {
                        fresh = true;
                        req = Request::new(ReqBody::Empty);
                        *req.method_mut() = method;
                        *req.uri_mut() = uri;
                        *req.version_mut() = http::Version::HTTP_2;
                        *req.headers_mut() = headers;
                        continue;
                    }
                    return Err((h2_error(e), None));
                }
            }
        }
    }
}

/// The server did not process the request (RFC 9113 §8.7): refused stream, or a GOAWAY
/// below its id.
fn unprocessed(e: &hyper::Error) -> bool {
    let mut src: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = src {
        if let Some(h2) = s.downcast_ref::<h2::Error>() {
            return h2.reason() == Some(h2::Reason::REFUSED_STREAM) || (h2.is_go_away() && h2.is_remote());
        }
        src = s.source();
    }
    e.is_canceled()
}

/// A failed exchange: the client's own body (hyper calls a body error a user error), or the
/// upstream.
fn h2_error(e: hyper::Error) -> UpError {
    if e.is_user() { UpError::Body(e.to_string()) } else { UpError::Io(std::io::Error::other(e)) }
}
