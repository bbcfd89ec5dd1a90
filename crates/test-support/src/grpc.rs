//! A gRPC server for tests, built from tonic's server machinery over hyper's HTTP/2 server
//! (no code generation: the messages are hand-written prost types), and client helpers.
//!
//! `test.Echo`:
//! - `Unary(Msg) -> Msg`: echoes `n` and `data`, `from` = the server's name; `n ==`
//!   [`UNAVAILABLE`] or [`NOT_FOUND`] fails with that status ("trailers only"); [`SLOW`]
//!   answers after 3 s.
//! - `ServerStream(Msg) -> stream Msg`: `n` messages of `data.len()` bytes; `from == "slow"`
//!   waits 50 ms between messages; `from == "fail"` ends with UNAVAILABLE in the trailers
//!   after the messages.
//! - `ClientStream(stream Msg) -> Msg`: `n` = messages received, `data` = their bytes' count
//!   as decimal text.
//! - `Bidi(stream Msg) -> stream Msg`: each message echoed as it arrives.
//!
//! `grpc.health.v1.Health/Check`: SERVING or NOT_SERVING as [`GrpcServer::serving`] says.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use futures::{Stream, StreamExt};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tokio::task::JoinSet;
use tonic::codegen::http;
use tonic::server::Grpc;
use tonic::{Request, Response, Status, Streaming};
use tonic_prost::ProstCodec;

#[derive(Clone, PartialEq, prost::Message)]
pub struct Msg {
    #[prost(uint64, tag = "1")]
    pub n: u64,
    #[prost(bytes = "vec", tag = "2")]
    pub data: Vec<u8>,
    #[prost(string, tag = "3")]
    pub from: String,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct HealthCheckRequest {
    #[prost(string, tag = "1")]
    pub service: String,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct HealthCheckResponse {
    /// 1 SERVING, 2 NOT_SERVING.
    #[prost(int32, tag = "1")]
    pub status: i32,
}

/// `Unary` with this `n` fails with UNAVAILABLE.
pub const UNAVAILABLE: u64 = 1_000_014;
/// `Unary` with this `n` fails with NOT_FOUND.
pub const NOT_FOUND: u64 = 1_000_005;
/// `Unary` with this `n` answers after 3 s.
pub const SLOW: u64 = 1_000_099;

type MsgStream = Pin<Box<dyn Stream<Item = Result<Msg, Status>> + Send>>;
type BoxFut<T> = Pin<Box<dyn std::future::Future<Output = Result<Response<T>, Status>> + Send>>;

struct State {
    name: String,
    serving: Arc<AtomicBool>,
    calls: Arc<AtomicU64>,
}

/// A gRPC server on a loopback port.
pub struct GrpcServer {
    pub name: String,
    pub addr: SocketAddr,
    /// What `grpc.health.v1.Health/Check` answers.
    pub serving: Arc<AtomicBool>,
    /// Calls received.
    pub calls: Arc<AtomicU64>,
    /// Connections accepted.
    pub connections: Arc<AtomicU64>,
    goaway: Arc<Notify>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl GrpcServer {
    pub async fn start(name: &str) -> Self {
        Self::start_on(name, "127.0.0.1:0").await
    }

    /// On a given address (benchmarks).
    pub async fn start_on(name: &str, addr: &str) -> Self {
        let l = TcpListener::bind(addr).await.unwrap();
        Self::serve(name, l, Arc::new(AtomicBool::new(true)), Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)))
    }

    /// `grpc://addr`, as a route-table endpoint.
    pub fn url(&self) -> String {
        format!("grpc://{}", self.addr)
    }

    fn serve(
        name: &str,
        l: TcpListener,
        serving: Arc<AtomicBool>,
        calls: Arc<AtomicU64>,
        connections: Arc<AtomicU64>,
    ) -> Self {
        let addr = l.local_addr().unwrap();
        let goaway = Arc::new(Notify::new());
        let st = Arc::new(State { name: name.to_string(), serving: serving.clone(), calls: calls.clone() });
        let (g, accepted) = (goaway.clone(), connections.clone());
        let task = tokio::spawn(async move {
            let mut conns = JoinSet::new();
            loop {
                let Ok((s, _)) = l.accept().await else { continue };
                // As gRPC servers do: without it, small answers wait for delayed ACKs (40 ms).
                let _ = s.set_nodelay(true);
                accepted.fetch_add(1, Ordering::Relaxed);
                let (st, g) = (st.clone(), g.clone());
                conns.spawn(async move {
                    let svc = service_fn(move |req: http::Request<Incoming>| {
                        let st = st.clone();
                        async move { Ok::<_, Infallible>(dispatch(req, st).await) }
                    });
                    let conn = hyper::server::conn::http2::Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(s), svc);
                    let mut conn = std::pin::pin!(conn);
                    tokio::select! {
                        _ = conn.as_mut() => {}
                        _ = g.notified() => {
                            // GOAWAY: streams in progress run to their end, new ones are refused.
                            conn.as_mut().graceful_shutdown();
                            let _ = conn.await;
                        }
                    }
                });
            }
        });
        GrpcServer { name: name.to_string(), addr, serving, calls, connections, goaway, task: Some(task) }
    }

    /// Send GOAWAY on every open connection (graceful shutdown of those connections; the
    /// server keeps accepting new ones).
    pub fn goaway(&self) {
        self.goaway.notify_waiters();
    }

    /// Kill the server and every open connection.
    pub fn kill(&mut self) {
        if let Some(t) = self.task.take() {
            t.abort();
        }
    }

    /// Serve again on the same port.
    pub async fn revive(&mut self) {
        let l = TcpListener::bind(self.addr).await.unwrap();
        let mut fresh = Self::serve(&self.name, l, self.serving.clone(), self.calls.clone(), self.connections.clone());
        self.task = fresh.task.take();
        self.goaway = fresh.goaway.clone();
    }
}

impl Drop for GrpcServer {
    fn drop(&mut self) {
        self.kill();
    }
}

async fn dispatch(req: http::Request<Incoming>, st: Arc<State>) -> http::Response<tonic::body::Body> {
    st.calls.fetch_add(1, Ordering::Relaxed);
    match req.uri().path() {
        "/test.Echo/Unary" => Grpc::new(ProstCodec::<Msg, Msg>::default()).unary(Unary(st), req).await,
        "/test.Echo/ServerStream" => {
            Grpc::new(ProstCodec::<Msg, Msg>::default()).server_streaming(ServerStream(st), req).await
        }
        "/test.Echo/ClientStream" => {
            Grpc::new(ProstCodec::<Msg, Msg>::default()).client_streaming(ClientStream(st), req).await
        }
        "/test.Echo/Bidi" => Grpc::new(ProstCodec::<Msg, Msg>::default()).streaming(Bidi(st), req).await,
        "/grpc.health.v1.Health/Check" => {
            Grpc::new(ProstCodec::<HealthCheckResponse, HealthCheckRequest>::default()).unary(Health(st), req).await
        }
        _ => Status::unimplemented("no such method").into_http(),
    }
}

struct Unary(Arc<State>);
impl tonic::server::UnaryService<Msg> for Unary {
    type Response = Msg;
    type Future = BoxFut<Msg>;
    fn call(&mut self, req: Request<Msg>) -> Self::Future {
        let name = self.0.name.clone();
        Box::pin(async move {
            let m = req.into_inner();
            match m.n {
                SLOW => {
                    tokio::time::sleep(Duration::from_secs(3)).await;
                    Ok(Response::new(Msg { n: m.n, data: m.data, from: name }))
                }
                UNAVAILABLE => Err(Status::unavailable("asked to fail")),
                NOT_FOUND => Err(Status::not_found("nothing here")),
                _ => Ok(Response::new(Msg { n: m.n, data: m.data, from: name })),
            }
        })
    }
}

struct ServerStream(Arc<State>);
impl tonic::server::ServerStreamingService<Msg> for ServerStream {
    type Response = Msg;
    type ResponseStream = MsgStream;
    type Future = BoxFut<MsgStream>;
    fn call(&mut self, req: Request<Msg>) -> Self::Future {
        let name = self.0.name.clone();
        Box::pin(async move {
            let m = req.into_inner();
            let (slow, fail) = (m.from == "slow", m.from == "fail");
            let size = m.data.len();
            let items = futures::stream::iter(0..m.n).then(move |i| {
                let name = name.clone();
                async move {
                    if slow {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                    Ok(Msg { n: i, data: vec![b'g'; size], from: name })
                }
            });
            let tail = futures::stream::iter(fail.then(|| Err(Status::unavailable("failed after the messages"))));
            Ok(Response::new(Box::pin(items.chain(tail)) as MsgStream))
        })
    }
}

struct ClientStream(Arc<State>);
impl tonic::server::ClientStreamingService<Msg> for ClientStream {
    type Response = Msg;
    type Future = BoxFut<Msg>;
    fn call(&mut self, req: Request<Streaming<Msg>>) -> Self::Future {
        let name = self.0.name.clone();
        Box::pin(async move {
            let mut s = req.into_inner();
            let (mut n, mut bytes) = (0u64, 0usize);
            while let Some(m) = s.message().await? {
                n += 1;
                bytes += m.data.len();
            }
            Ok(Response::new(Msg { n, data: bytes.to_string().into_bytes(), from: name }))
        })
    }
}

struct Bidi(Arc<State>);
impl tonic::server::StreamingService<Msg> for Bidi {
    type Response = Msg;
    type ResponseStream = MsgStream;
    type Future = BoxFut<MsgStream>;
    fn call(&mut self, req: Request<Streaming<Msg>>) -> Self::Future {
        let name = self.0.name.clone();
        Box::pin(async move {
            let s = req.into_inner();
            let out = s.map(move |m| m.map(|m| Msg { n: m.n, data: m.data, from: name.clone() }));
            Ok(Response::new(Box::pin(out) as MsgStream))
        })
    }
}

struct Health(Arc<State>);
impl tonic::server::UnaryService<HealthCheckRequest> for Health {
    type Response = HealthCheckResponse;
    type Future = BoxFut<HealthCheckResponse>;
    fn call(&mut self, _: Request<HealthCheckRequest>) -> Self::Future {
        let serving = self.0.serving.load(Ordering::Relaxed);
        Box::pin(async move { Ok(Response::new(HealthCheckResponse { status: if serving { 1 } else { 2 } })) })
    }
}

/// A gRPC client through `proxy` (an address) for the service answering `authority`.
pub async fn client(proxy: SocketAddr, authority: &str) -> tonic::client::Grpc<tonic::transport::Channel> {
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{proxy}"))
        .unwrap()
        .origin(format!("http://{authority}").parse().unwrap())
        .connect()
        .await
        .unwrap();
    tonic::client::Grpc::new(channel)
}

fn path(method: &str) -> http::uri::PathAndQuery {
    http::uri::PathAndQuery::try_from(format!("/test.Echo/{method}")).unwrap()
}

pub async fn unary(c: &mut tonic::client::Grpc<tonic::transport::Channel>, m: Msg) -> Result<Msg, Status> {
    c.ready().await.map_err(|e| Status::unavailable(e.to_string()))?;
    c.unary(Request::new(m), path("Unary"), ProstCodec::<Msg, Msg>::default()).await.map(Response::into_inner)
}

/// A server stream: the messages received, then how it ended (Ok, or the error status).
pub async fn server_stream(
    c: &mut tonic::client::Grpc<tonic::transport::Channel>,
    m: Msg,
) -> (Vec<Msg>, Result<(), Status>) {
    if let Err(e) = c.ready().await {
        return (vec![], Err(Status::unavailable(e.to_string())));
    }
    let mut s = match c.server_streaming(Request::new(m), path("ServerStream"), ProstCodec::<Msg, Msg>::default()).await
    {
        Ok(r) => r.into_inner(),
        Err(e) => return (vec![], Err(e)),
    };
    let mut got = vec![];
    loop {
        match s.message().await {
            Ok(Some(m)) => got.push(m),
            Ok(None) => return (got, Ok(())),
            Err(e) => return (got, Err(e)),
        }
    }
}

pub async fn client_stream(
    c: &mut tonic::client::Grpc<tonic::transport::Channel>,
    msgs: Vec<Msg>,
) -> Result<Msg, Status> {
    c.ready().await.map_err(|e| Status::unavailable(e.to_string()))?;
    let req = Request::new(futures::stream::iter(msgs));
    c.client_streaming(req, path("ClientStream"), ProstCodec::<Msg, Msg>::default()).await.map(Response::into_inner)
}

/// A bidirectional stream: sends `msgs` one at a time, each after the previous echo came
/// back (so both directions are open at once), and returns the echoes.
pub async fn bidi(c: &mut tonic::client::Grpc<tonic::transport::Channel>, msgs: Vec<Msg>) -> Result<Vec<Msg>, Status> {
    c.ready().await.map_err(|e| Status::unavailable(e.to_string()))?;
    let (tx, rx) = tokio::sync::mpsc::channel::<Msg>(1);
    let outbound = futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|m| (m, rx)) });
    let mut first = msgs.clone().into_iter();
    if let Some(m) = first.next() {
        tx.send(m).await.unwrap();
    }
    let mut s =
        c.streaming(Request::new(outbound), path("Bidi"), ProstCodec::<Msg, Msg>::default()).await?.into_inner();
    let mut got = vec![];
    while let Some(m) = s.message().await? {
        got.push(m);
        match first.next() {
            Some(next) => tx.send(next).await.map_err(|_| Status::internal("send"))?,
            None => break,
        }
    }
    drop(tx);
    while let Some(m) = s.message().await? {
        got.push(m);
    }
    Ok(got)
}
