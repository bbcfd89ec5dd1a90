//! The API's HTTP server against slow and idle clients (raw sockets): half-sent heads,
//! idle keep-alive connections, slow bodies, many idle sockets; and the long-poll, which
//! legitimately waits longer than the request timeout.

mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use common::*;
use reqwest::StatusCode;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Wait (at most `within`) for the server to close `s`; how long it took, or `None`.
async fn closed_within(s: &mut TcpStream, within: Duration) -> Option<Duration> {
    let t = Instant::now();
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout(within.saturating_sub(t.elapsed()), s.read(&mut buf)).await {
            Err(_) => return None,
            Ok(Ok(0)) | Ok(Err(_)) => return Some(t.elapsed()),
            // A response (e.g. 408) before the close: keep reading.
            Ok(Ok(_)) => {}
        }
    }
}

/// Read one HTTP/1.1 response with a Content-Length body; its status and body.
async fn read_response(s: &mut TcpStream) -> (u16, String) {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = tokio::time::timeout(Duration::from_secs(10), s.read(&mut buf)).await.expect("a response").unwrap();
        assert!(n > 0, "closed before a whole response: {}", String::from_utf8_lossy(&out));
        out.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&out).to_string();
        if let Some(end) = text.find("\r\n\r\n") {
            let len = text[..end]
                .lines()
                .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse().unwrap()))
                .unwrap_or(0usize);
            if out.len() >= end + 4 + len {
                let status = text[9..12].parse().unwrap();
                return (status, text[end + 4..end + 4 + len].to_string());
            }
        }
    }
}

async fn limits(f: impl FnOnce(&mut marchproxy_control_plane::config::HttpLimits)) -> ControlPlane {
    let mut cfg = config().await;
    f(&mut cfg.http);
    ControlPlane::start_with(cfg).await
}

fn addr(app: &ControlPlane) -> SocketAddr {
    app.running().addr
}

/// A client that sends half a request head (or trickles it byte by byte, or sends nothing)
/// is closed within the header timeout, not held open.
#[tokio::test]
async fn a_half_sent_request_head_is_closed_within_the_header_timeout() {
    let app = limits(|l| l.header_timeout_seconds = 1).await;
    let mut half = TcpStream::connect(addr(&app)).await.unwrap();
    half.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ").await.unwrap();
    let mut silent = TcpStream::connect(addr(&app)).await.unwrap();
    let mut trickle = TcpStream::connect(addr(&app)).await.unwrap();
    let dripping = tokio::spawn(async move {
        for b in b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".iter() {
            if trickle.write_all(&[*b]).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        closed_within(&mut trickle, Duration::from_secs(5)).await
    });
    for (what, s) in [("half a head", &mut half), ("nothing", &mut silent)] {
        let took = closed_within(s, Duration::from_secs(5)).await;
        assert!(took.is_some_and(|t| t < Duration::from_secs(3)), "{what}: still open after 5 s ({took:?})");
    }
    let took = dripping.await.unwrap();
    assert!(took.is_some(), "a head trickled byte by byte is still open");
    // A complete request on a fresh connection is unaffected; on that kept-alive connection
    // (idle timeout 60 s), half of a second head is closed within the header timeout too.
    let mut ok = TcpStream::connect(addr(&app)).await.unwrap();
    ok.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
    assert_eq!(read_response(&mut ok).await.0, 200);
    ok.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n").await.unwrap();
    let took = closed_within(&mut ok, Duration::from_secs(5)).await;
    assert!(took.is_some_and(|t| t < Duration::from_secs(3)), "a second half head: open after 5 s ({took:?})");
    app.shutdown().await;
}

/// Between requests a kept-alive connection may idle for the idle timeout (longer than the
/// header timeout here), then it is closed.
#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_after_the_idle_timeout() {
    let app = limits(|l| {
        l.header_timeout_seconds = 1;
        l.idle_timeout_seconds = 3;
    })
    .await;
    let mut s = TcpStream::connect(addr(&app)).await.unwrap();
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
    assert_eq!(read_response(&mut s).await.0, 200);
    let took = closed_within(&mut s, Duration::from_secs(8)).await.expect("the idle connection is closed");
    assert!(took >= Duration::from_millis(2500), "closed after {took:?}: the idle timeout is 3 s");
    assert!(took < Duration::from_secs(5), "closed after {took:?}");
    app.shutdown().await;
}

/// A request whose body never arrives whole is answered 408 (the API's error shape) at
/// the request timeout, and its connection closed.
#[tokio::test]
async fn a_slow_request_body_is_answered_408_at_the_request_timeout() {
    let app = limits(|l| l.request_timeout_seconds = 1).await;
    let mut s = TcpStream::connect(addr(&app)).await.unwrap();
    let t = Instant::now();
    s.write_all(b"POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"user")
        .await
        .unwrap();
    let (status, body) = read_response(&mut s).await;
    assert_eq!(status, 408, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert!(v["detail"].as_str().unwrap().contains("longer than 1 s"), "{v}");
    assert!(t.elapsed() < Duration::from_secs(3), "answered after {:?}", t.elapsed());
    assert!(closed_within(&mut s, Duration::from_secs(3)).await.is_some());
    app.shutdown().await;
}

/// The proxies' configuration long-poll waits as long as it was asked (up to 60 s), longer
/// than the request timeout.
#[tokio::test]
async fn the_config_long_poll_outlives_the_request_timeout() {
    let app = limits(|l| l.request_timeout_seconds = 1).await;
    let v = app.version().await;
    let t = Instant::now();
    let r = app
        .http
        .get(format!("{}/api/v1/proxy/config?version={v}&wait_seconds=3", app.base))
        .bearer_auth(&app.key)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
    assert!(t.elapsed() >= Duration::from_millis(2900), "the long-poll was cut after {:?}", t.elapsed());
    app.shutdown().await;
}

/// Open `n` connections that send nothing.
async fn idle_sockets(addr: SocketAddr, n: usize) -> Vec<TcpStream> {
    let mut v = Vec::with_capacity(n);
    for _ in 0..n {
        v.push(TcpStream::connect(addr).await.unwrap());
    }
    v
}

/// How many of `socks` the server has closed (each read waits at most `wait`).
async fn count_closed(socks: &mut [TcpStream], wait: Duration) -> usize {
    let reads = socks.iter_mut().map(|s| async move { closed_within(s, wait).await.is_some() });
    futures::future::join_all(reads).await.into_iter().filter(|c| *c).count()
}

/// At most `max_connections` are open: beyond it, the oldest idle ones make room (a
/// request in progress, such as a long-poll, is never cut), so the API keeps answering.
#[tokio::test]
async fn the_connection_cap_holds_and_idle_connections_make_room() {
    let app = limits(|l| l.max_connections = 16).await;
    let v = app.version().await;
    let long_poll = {
        let (http, url, key) =
            (app.http.clone(), format!("{}/api/v1/proxy/config?version={v}&wait_seconds=3", app.base), app.key.clone());
        tokio::spawn(async move { http.get(url).bearer_auth(key).send().await.map(|r| r.status()) })
    };
    // The long-poll is in progress before the flood of idle connections.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut socks = idle_sockets(addr(&app), 40).await;
    let t = Instant::now();
    let (s, _) = app.get("/api/v1/auth/me").await;
    assert_eq!(s, StatusCode::OK);
    assert!(t.elapsed() < Duration::from_secs(2), "the API answered after {:?}", t.elapsed());
    let closed = count_closed(&mut socks, Duration::from_secs(1)).await;
    // 16 slots: the long-poll's, the admin client's, and at most 14 idle sockets.
    assert!(closed >= 40 - 14, "only {closed} of 40 idle connections were closed with a cap of 16");
    assert_eq!(long_poll.await.unwrap().unwrap(), StatusCode::NOT_MODIFIED, "the long-poll was not cut");
    app.shutdown().await;
}

/// A thousand idle sockets stop neither the API (with a cap below that) nor a proxy running
/// in the same process on its own listener, as under `serve`.
#[tokio::test]
async fn the_api_and_a_local_proxy_answer_while_a_thousand_idle_sockets_are_open() {
    let app = limits(|l| l.max_connections = 256).await;
    let up = Upstream::start("origin").await;
    let svc = app.service("web", "web.example.com").await;
    app.route_table(svc, "failover", vec![route(&up, "aws", "us-east-1")], quiet_probe()).await;
    let p = proxy(&app, |_| {}).await;
    synced(&app, &p).await;
    let _socks = idle_sockets(addr(&app), 1000).await;
    let t = Instant::now();
    let (s, r) = app
        .post(
            "/api/v1/services",
            json!({"name": "api", "cluster_id": 1, "hostnames": ["api.example.com"], "protocol": "http"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    assert_eq!(app.get("/api/v1/services").await.0, StatusCode::OK);
    assert!(t.elapsed() < Duration::from_secs(3), "the API answered after {:?}", t.elapsed());
    // The proxy serves traffic and still follows the configuration.
    let c = client();
    assert_eq!(get(&c, &p, "web.example.com", "/").await.0, 200);
    synced(&app, &p).await;
    p.shutdown().await;
    app.shutdown().await;
}
