//! Protocol upgrades through the proxy (tunnel.rs): a real WebSocket client and server
//! (tokio-tungstenite) talk through it, bytes are counted both ways, and requests whose
//! upgrade does not happen stay ordinary HTTP on a connection that keeps serving.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::*;
use futures::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};

/// A WebSocket server: greets each client first, then answers every text message in upper
/// case. Sends the request's headers (as the server saw them) on the channel.
async fn ws_upstream() -> (SocketAddr, tokio::sync::mpsc::UnboundedReceiver<Vec<(String, String)>>) {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        loop {
            let Ok((s, _)) = l.accept().await else { continue };
            let tx = tx.clone();
            tokio::spawn(async move {
                // The callback's error type is tungstenite's (a whole HTTP response).
                #[allow(clippy::result_large_err)]
                let record = |req: &Request, resp: Response| {
                    let h = req
                        .headers()
                        .iter()
                        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
                        .collect();
                    let _ = tx.send(h);
                    Ok(resp)
                };
                let Ok(mut ws) = tokio_tungstenite::accept_hdr_async(s, record).await else { return };
                // Sent right after the 101: it may reach the proxy with the head.
                if ws.send(Message::text("hello from upstream")).await.is_err() {
                    return;
                }
                // Reading on after a Close sends the reply and ends the stream.
                while let Some(Ok(m)) = ws.next().await {
                    if let Message::Text(t) = m
                        && ws.send(Message::text(t.to_uppercase())).await.is_err()
                    {
                        return;
                    }
                }
            });
        }
    });
    (addr, rx)
}

fn bytes_counted(metrics: &str, endpoint: &str, direction: &str) -> u64 {
    metrics
        .lines()
        .filter(|l| l.starts_with("marchproxy_upstream_bytes_total{"))
        .filter(|l| {
            l.contains(&format!("endpoint=\"{endpoint}\"")) && l.contains(&format!("direction=\"{direction}\""))
        })
        .map(|l| l.rsplit(' ').next().unwrap().parse::<u64>().unwrap())
        .sum()
}

#[tokio::test]
async fn a_websocket_session_runs_through_the_proxy_and_its_bytes_are_counted() {
    let cp = ControlPlane::start().await;
    let (ws_addr, mut seen) = ws_upstream().await;
    let svc = cp.service("chat", "chat.example.com").await;
    let endpoint = format!("http://{ws_addr}");
    let route = serde_json::json!({"provider": "aws", "region": "us-east-1", "endpoint": endpoint, "weight": 100,
                                   "cost_per_gb": 0.05, "is_active": true});
    cp.route_table(svc, "failover", vec![route], quiet_probe()).await;
    let p = proxy(&cp, |_| {}).await;
    synced(&cp, &p).await;

    let tcp = TcpStream::connect(p.addr).await.unwrap();
    let req = "ws://chat.example.com/chat?room=1".into_client_request().unwrap();
    let (mut ws, resp) = tokio::time::timeout(Duration::from_secs(10), tokio_tungstenite::client_async(req, tcp))
        .await
        .expect("handshake in time")
        .expect("handshake through the proxy");
    assert_eq!(resp.status(), 101);
    // The upstream saw the upgrade (hop-by-hop fields the proxy otherwise removes) and the
    // usual forwarding fields.
    let h = seen.recv().await.unwrap();
    let get = |n: &str| h.iter().find(|(k, _)| k.eq_ignore_ascii_case(n)).map(|(_, v)| v.to_ascii_lowercase());
    assert_eq!(get("upgrade").as_deref(), Some("websocket"));
    assert_eq!(get("connection").as_deref(), Some("upgrade"));
    assert!(get("sec-websocket-key").is_some());
    assert_eq!(get("x-forwarded-proto").as_deref(), Some("http"));

    // Server first, then a conversation in both directions.
    let next = async |ws: &mut tokio_tungstenite::WebSocketStream<TcpStream>| {
        tokio::time::timeout(Duration::from_secs(5), ws.next()).await.expect("a message in time").unwrap().unwrap()
    };
    assert_eq!(next(&mut ws).await, Message::text("hello from upstream"));
    let mut sent = 0;
    for m in ["one", "two", "a longer third message"] {
        ws.send(Message::text(m)).await.unwrap();
        sent += m.len();
        assert_eq!(next(&mut ws).await, Message::text(m.to_uppercase()));
    }
    // Close handshake: the server's close comes back, then the connection ends.
    ws.close(None).await.unwrap();
    loop {
        match tokio::time::timeout(Duration::from_secs(5), ws.next()).await.expect("the close in time") {
            Some(Ok(Message::Close(_))) | None => break,
            Some(Ok(_)) => {}
            Some(Err(e)) => panic!("closing: {e}"),
        }
    }

    // Both directions went through the endpoint's counters: at least the payloads plus
    // the frame headers (client frames carry a 6-byte header with the mask).
    let received = "hello from upstream".len() + sent;
    eventually(Duration::from_secs(5), || async {
        let m = reqwest::get(format!("http://{}/metrics", p.admin_addr)).await.unwrap().text().await.unwrap();
        bytes_counted(&m, &endpoint, "in") >= (sent + 3 * 6) as u64
            && bytes_counted(&m, &endpoint, "out") >= (received + 4 * 2) as u64
    })
    .await;
}

/// Send a raw request and read the response head and a Content-Length body.
async fn exchange(s: &mut TcpStream, req: &str) -> (u16, Vec<u8>) {
    s.write_all(req.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let mut slots = [httparse::EMPTY_HEADER; 32];
        let mut r = httparse::Response::new(&mut slots);
        if let Ok(httparse::Status::Complete(n)) = r.parse(&buf) {
            let len: usize = r
                .headers
                .iter()
                .find(|h| h.name.eq_ignore_ascii_case("content-length"))
                .map(|h| std::str::from_utf8(h.value).unwrap().parse().unwrap())
                .expect("a Content-Length");
            let code = r.code.unwrap();
            while buf.len() < n + len {
                let k = tokio::time::timeout(Duration::from_secs(5), s.read(&mut chunk)).await.unwrap().unwrap();
                assert!(k > 0, "body cut short");
                buf.extend_from_slice(&chunk[..k]);
            }
            return (code, buf[n..n + len].to_vec());
        }
        let k = tokio::time::timeout(Duration::from_secs(5), s.read(&mut chunk)).await.unwrap().unwrap();
        assert!(k > 0, "connection closed before a response");
        buf.extend_from_slice(&chunk[..k]);
    }
}

#[tokio::test]
async fn an_upgrade_the_upstream_declines_or_that_cannot_happen_stays_http() {
    let (_cp, _up, p) = web_behind_proxy(|_| {}).await;
    let mut s = TcpStream::connect(p.addr).await.unwrap();
    // The upstream (a plain HTTP server) ignores the upgrade and answers 200: the client
    // gets that answer, and the connection carries the next request.
    let (code, body) = exchange(
        &mut s,
        "GET /echo HTTP/1.1\r\nHost: web.example.com\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
    )
    .await;
    assert_eq!(code, 200);
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["headers"]["upgrade"], "websocket", "the upgrade was forwarded: {v}");
    assert_eq!(v["headers"]["connection"], "upgrade");
    // A request with a body cannot switch protocols: the fields are hop-by-hop and removed.
    let (code, body) = exchange(
        &mut s,
        "POST /echo HTTP/1.1\r\nHost: web.example.com\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\
         Content-Length: 3\r\n\r\nabc",
    )
    .await;
    assert_eq!(code, 200);
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert!(v["headers"].get("upgrade").is_none(), "{v}");
    assert_eq!(v["body_len"], 3);
    // Nor can one without `Connection: upgrade`.
    let (code, body) =
        exchange(&mut s, "GET /echo HTTP/1.1\r\nHost: web.example.com\r\nUpgrade: websocket\r\n\r\n").await;
    assert_eq!(code, 200);
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert!(v["headers"].get("upgrade").is_none(), "{v}");
}

#[tokio::test]
async fn an_upstream_that_switches_protocols_unasked_gets_a_502() {
    // A server that answers every request with a 101.
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut s, _)) = l.accept().await else { continue };
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                if s.read(&mut buf).await.unwrap_or(0) > 0 {
                    let _ = s
                        .write_all(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: upgrade\r\n\r\n")
                        .await;
                    tokio::time::sleep(Duration::from_secs(5)).await;
                }
            });
        }
    });
    let cp = ControlPlane::start().await;
    let svc = cp.service("odd", "odd.example.com").await;
    let route = serde_json::json!({"provider": "aws", "region": "us-east-1", "endpoint": format!("http://{addr}"),
                                   "weight": 100, "cost_per_gb": 0.05, "is_active": true});
    cp.route_table(svc, "failover", vec![route], quiet_probe()).await;
    let p = proxy(&cp, |_| {}).await;
    synced(&cp, &p).await;
    let mut s = TcpStream::connect(p.addr).await.unwrap();
    let (code, _) = exchange(&mut s, "GET / HTTP/1.1\r\nHost: odd.example.com\r\n\r\n").await;
    assert_eq!(code, 502);
}
