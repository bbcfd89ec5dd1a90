//! gRPC through the proxy to HTTP/2 upstreams (`grpc://`, h2c): the four call types, status
//! and trailers, large and concurrent streams, GOAWAY, a backend killed mid-stream, gRPC
//! failures in passive health, deadlines, and QoS shaping of a stream. Real peers: a tonic
//! client and tonic's server machinery over hyper (test-support's `grpc`).

mod common;

use std::time::{Duration, Instant};

use common::grpc::{self, GrpcServer, Msg};
use common::*;
use serde_json::json;
use tonic::Code;

const HOST: &str = "grpc.example.com";

fn msg(n: u64, size: usize, from: &str) -> Msg {
    Msg { n, data: vec![b'q'; size], from: from.into() }
}

fn endpoint(s: &GrpcServer, region: &str) -> serde_json::Value {
    json!({"provider": "aws", "region": region, "endpoint": s.url(), "weight": 100})
}

/// A control plane with the gRPC service over `backends` (failover order as listed) and a
/// synced proxy.
async fn setup(backends: &[&GrpcServer]) -> (ControlPlane, marchproxy_proxy::Running, i64) {
    let cp = ControlPlane::start().await;
    let svc = cp.service("grpc", HOST).await;
    let regions = ["us-east-1", "us-west-2", "eu-west-1"];
    let routes = backends.iter().zip(regions).map(|(b, r)| endpoint(b, r)).collect();
    cp.route_table(svc, "failover", routes, quiet_probe()).await;
    let p = proxy(&cp, |c| c.workers = Some(1)).await;
    synced(&cp, &p).await;
    (cp, p, svc)
}

#[tokio::test]
async fn the_four_call_types_statuses_and_trailers_pass_through() {
    let a = GrpcServer::start("a").await;
    let (_cp, p, _) = setup(&[&a]).await;
    let mut c = grpc::client(p.addr, HOST).await;

    let echo = grpc::unary(&mut c, msg(7, 1024, "")).await.unwrap();
    assert_eq!((echo.n, echo.data.len(), echo.from.as_str()), (7, 1024, "a"));
    // Errors in a "trailers only" answer keep their code and message.
    let e = grpc::unary(&mut c, msg(grpc::NOT_FOUND, 0, "")).await.unwrap_err();
    assert_eq!((e.code(), e.message()), (Code::NotFound, "nothing here"));
    let e = grpc::unary(&mut c, msg(grpc::UNAVAILABLE, 0, "")).await.unwrap_err();
    assert_eq!(e.code(), Code::Unavailable);

    let (got, end) = grpc::server_stream(&mut c, msg(10, 1000, "")).await;
    end.unwrap();
    assert_eq!(got.iter().map(|m| m.n).collect::<Vec<_>>(), (0..10).collect::<Vec<_>>());
    // A status in the trailers, after the messages, reaches the client.
    let (got, end) = grpc::server_stream(&mut c, msg(3, 10, "fail")).await;
    assert_eq!(got.len(), 3);
    let e = end.unwrap_err();
    assert_eq!((e.code(), e.message()), (Code::Unavailable, "failed after the messages"));

    let sum = grpc::client_stream(&mut c, (0..20).map(|i| msg(i, 1000, "")).collect()).await.unwrap();
    assert_eq!((sum.n, String::from_utf8(sum.data).unwrap()), (20, "20000".to_string()));

    let echoes = grpc::bidi(&mut c, (0..10).map(|i| msg(i, 100, "")).collect()).await.unwrap();
    assert_eq!(echoes.iter().map(|m| m.n).collect::<Vec<_>>(), (0..10).collect::<Vec<_>>());
    assert!(echoes.iter().all(|m| m.from == "a"));

    // One multiplexed HTTP/2 connection carried all of it (the proxy runs one worker here).
    assert_eq!(a.connections.load(std::sync::atomic::Ordering::Relaxed), 1);
    assert_eq!(a.calls.load(std::sync::atomic::Ordering::Relaxed), 7);
    p.shutdown().await;
}

#[tokio::test]
async fn large_and_many_concurrent_streams() {
    let a = GrpcServer::start("a").await;
    let (_cp, p, _) = setup(&[&a]).await;
    let mut c = grpc::client(p.addr, HOST).await;
    // 200 messages of 64 KiB (12.5 MiB) in one server stream: flow control both ways.
    let (got, end) = grpc::server_stream(&mut c, msg(200, 64 * 1024, "")).await;
    end.unwrap();
    assert_eq!(got.len(), 200);
    assert!(got.iter().all(|m| m.data.len() == 64 * 1024));
    // A 4 MiB client stream.
    let sum = grpc::client_stream(&mut c, (0..64).map(|i| msg(i, 64 * 1024, "")).collect()).await.unwrap();
    assert_eq!(sum.n, 64);

    // 200 unary calls and 20 bidirectional streams at once, over 4 client connections.
    let mut tasks = Vec::new();
    for k in 0..4 {
        let c = grpc::client(p.addr, HOST).await;
        for i in 0..50u64 {
            let mut c = c.clone();
            tasks.push(tokio::spawn(async move {
                let r = grpc::unary(&mut c, msg(1000 + i, 512, "")).await.unwrap();
                assert_eq!(r.n, 1000 + i);
            }));
        }
        for _ in 0..5 {
            let mut c = c.clone();
            tasks.push(tokio::spawn(async move {
                let e = grpc::bidi(&mut c, (0..20).map(|i| msg(i + k, 2048, "")).collect()).await.unwrap();
                assert_eq!(e.len(), 20);
            }));
        }
    }
    for t in tasks {
        t.await.unwrap();
    }
    p.shutdown().await;
}

#[tokio::test]
async fn a_goaway_mid_stream_lets_the_stream_finish_and_new_calls_use_a_new_connection() {
    let a = GrpcServer::start("a").await;
    let (_cp, p, _) = setup(&[&a]).await;
    let mut c = grpc::client(p.addr, HOST).await;
    grpc::unary(&mut c, msg(1, 10, "")).await.unwrap();
    // 40 messages 50 ms apart (2 s); GOAWAY half a second in.
    let mut c2 = c.clone();
    let stream = tokio::spawn(async move { grpc::server_stream(&mut c2, msg(40, 100, "slow")).await });
    tokio::time::sleep(Duration::from_millis(500)).await;
    a.goaway();
    tokio::time::sleep(Duration::from_millis(100)).await;
    // New calls meanwhile and after: the proxy opens a new connection.
    for i in 0..5 {
        assert_eq!(grpc::unary(&mut c, msg(i, 10, "")).await.unwrap().n, i);
    }
    let (got, end) = stream.await.unwrap();
    end.unwrap();
    assert_eq!(got.len(), 40, "the stream in progress ran to its end");
    assert_eq!(a.connections.load(std::sync::atomic::Ordering::Relaxed), 2, "a new connection after the GOAWAY");
    p.shutdown().await;
}

#[tokio::test]
async fn a_backend_killed_mid_stream_ends_that_call_cleanly_and_new_calls_fail_over() {
    let mut a = GrpcServer::start("a").await;
    let b = GrpcServer::start("b").await;
    let (_cp, p, _) = setup(&[&a, &b]).await;
    let mut c = grpc::client(p.addr, HOST).await;
    assert_eq!(grpc::unary(&mut c, msg(1, 10, "")).await.unwrap().from, "a", "a is the primary");
    let mut c2 = c.clone();
    let stream = tokio::spawn(async move {
        let t = Instant::now();
        (grpc::server_stream(&mut c2, msg(100, 100, "slow")).await, t.elapsed())
    });
    tokio::time::sleep(Duration::from_millis(400)).await;
    a.kill();
    let ((got, end), took) = stream.await.unwrap();
    assert!(!got.is_empty() && got.len() < 100, "cut mid-stream: {} messages", got.len());
    let e = end.expect_err("the broken call ends with an error status");
    assert!(matches!(e.code(), Code::Unavailable | Code::Internal | Code::Unknown), "{e:?}");
    assert!(took < Duration::from_secs(3), "and promptly: {took:?}");
    // New calls (with bodies) go to b: the connection to a is refused, the unread request
    // goes to the next endpoint.
    for i in 0..10 {
        let r = grpc::unary(&mut c, msg(i, 100, "")).await.unwrap();
        assert_eq!(r.from, "b", "call {i}");
    }
    p.shutdown().await;
}

#[tokio::test]
async fn grpc_unavailable_counts_as_a_failure_for_passive_health() {
    let a = GrpcServer::start("a").await;
    let b = GrpcServer::start("b").await;
    let (_cp, p, _) = setup(&[&a, &b]).await;
    let mut c = grpc::client(p.addr, HOST).await;
    // Three UNAVAILABLE answers in the trailers (HTTP 200) eject a, like three 5xx.
    for _ in 0..3 {
        let (_, end) = grpc::server_stream(&mut c, msg(1, 10, "fail")).await;
        assert_eq!(end.unwrap_err().code(), Code::Unavailable);
    }
    assert_eq!(grpc::unary(&mut c, msg(1, 10, "")).await.unwrap().from, "b", "a was ejected");
    let m = metrics(&p).await;
    let errors = m
        .lines()
        .find(|l| l.starts_with("marchproxy_upstream_errors_total") && l.contains(&a.addr.to_string()))
        .unwrap_or_default()
        .to_string();
    assert!(errors.ends_with(" 3"), "errors counted: {errors}");
    p.shutdown().await;
}

#[tokio::test]
async fn a_grpc_deadline_bounds_the_wait_and_answers_deadline_exceeded() {
    let a = GrpcServer::start("a").await;
    let (_cp, p, _) = setup(&[&a]).await;
    // A raw HTTP/2 client: tonic's would give up at the deadline itself, before the proxy.
    let tcp = tokio::net::TcpStream::connect(p.addr).await.unwrap();
    let (mut send, conn) =
        hyper::client::conn::http2::handshake(hyper_util::rt::TokioExecutor::new(), hyper_util::rt::TokioIo::new(tcp))
            .await
            .unwrap();
    tokio::spawn(conn);
    let payload = prost::Message::encode_to_vec(&msg(grpc::SLOW, 10, "")); // answered after 3 s
    let mut framed = vec![0u8];
    framed.extend_from_slice(&(payload.len() as u32).to_be_bytes());
    framed.extend_from_slice(&payload);
    let req = hyper::Request::post(format!("http://{HOST}/test.Echo/Unary"))
        .header("content-type", "application/grpc")
        .header("te", "trailers")
        .header("grpc-timeout", "300m")
        .body(http_body_util::Full::new(bytes::Bytes::from(framed)))
        .unwrap();
    let t = Instant::now();
    let resp = send.send_request(req).await.unwrap();
    let took = t.elapsed();
    assert_eq!(resp.status(), 200, "a gRPC error is an HTTP 200 with the status in the head");
    let h = resp.headers();
    assert_eq!(h["grpc-status"], "4", "DEADLINE_EXCEEDED: {h:?}");
    assert_eq!(h["x-marchproxy-error"], "upstream_timeout");
    assert!(took >= Duration::from_millis(290) && took < Duration::from_millis(1500), "{took:?}");
    p.shutdown().await;
}

#[tokio::test]
async fn qos_shapes_a_grpc_stream() {
    let a = GrpcServer::start("a").await;
    let (cp, p, svc) = setup(&[&a]).await;
    cp.post_ok(
        "/api/v1/traffic-shaping/policies",
        json!({"name": "grpc", "service_id": svc, "cluster_id": 1,
               "bandwidth": {"egress_mbps": 8, "burst_size_kb": 16}, "priority_config": {"priority": "P2"}}),
    )
    .await;
    synced(&cp, &p).await;
    let mut c = grpc::client(p.addr, HOST).await;
    // 2 MB at 1 MB/s: about two seconds.
    let t = Instant::now();
    let (got, end) = grpc::server_stream(&mut c, msg(32, 64 * 1024, "")).await;
    end.unwrap();
    let secs = t.elapsed().as_secs_f64();
    assert_eq!(got.len(), 32);
    let rate = (32.0 * 64.0 * 1024.0 - 16.0 * 1024.0) / secs;
    assert!((rate - 1_000_000.0).abs() < 100_000.0, "shaped to {rate:.0} B/s in {secs:.2} s");
    p.shutdown().await;
}

#[tokio::test]
async fn an_http_endpoint_set_to_http2_is_spoken_to_with_h2c() {
    let a = GrpcServer::start("a").await;
    let cp = ControlPlane::start().await;
    let svc = cp.service("grpc", HOST).await;
    let route = json!({"provider": "aws", "region": "us-east-1", "endpoint": format!("http://{}", a.addr),
                       "weight": 100, "upstream_protocol": "http2"});
    cp.route_table(svc, "failover", vec![route], quiet_probe()).await;
    let p = proxy(&cp, |c| c.workers = Some(1)).await;
    synced(&cp, &p).await;
    let mut c = grpc::client(p.addr, HOST).await;
    assert_eq!(grpc::unary(&mut c, msg(3, 10, "")).await.unwrap().from, "a");
    let echoes = grpc::bidi(&mut c, (0..3).map(|i| msg(i, 10, "")).collect()).await.unwrap();
    assert_eq!(echoes.len(), 3);
    p.shutdown().await;
}
