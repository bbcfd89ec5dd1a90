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
    let (ws_addr, mut seen) = ws_upstream().await;
    let endpoint = format!("http://{ws_addr}");
    let (_ctl, p) = behind_proxy(ws_addr, "chat.example.com", |_| {}).await;

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
    // Close handshake: the server's close comes back, then the proxy closes the connection.
    ws.close(None).await.unwrap();
    let mut closed_by_server = false;
    loop {
        match tokio::time::timeout(Duration::from_secs(5), ws.next()).await.expect("the end in time") {
            Some(Ok(Message::Close(_))) => closed_by_server = true,
            Some(Ok(_)) => {}
            None => break,
            Some(Err(e)) => panic!("closing: {e}"),
        }
    }
    assert!(closed_by_server);

    // Both directions went through the endpoint's counters: at least the payloads plus
    // the frame headers (client frames carry a 6-byte header with the mask).
    let received = "hello from upstream".len() + sent;
    eventually(Duration::from_secs(5), || async {
        let m = metrics(&p).await;
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
    // Nor can an HTTP/1.0 request, or one offering h2c (it would bypass the proxy).
    let (code, body) = exchange(
        &mut s,
        "GET /echo HTTP/1.0\r\nHost: web.example.com\r\nConnection: upgrade, keep-alive\r\nUpgrade: websocket\r\n\r\n",
    )
    .await;
    assert_eq!(code, 200);
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert!(v["headers"].get("upgrade").is_none(), "{v}");
    let (code, body) = exchange(
        &mut s,
        "GET /echo HTTP/1.1\r\nHost: web.example.com\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n\
         HTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n",
    )
    .await;
    assert_eq!(code, 200);
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert!(v["headers"].get("upgrade").is_none(), "{v}");
    assert!(v["headers"].get("http2-settings").is_none(), "{v}");
    // Nor can one without `Connection: upgrade`.
    let (code, body) =
        exchange(&mut s, "GET /echo HTTP/1.1\r\nHost: web.example.com\r\nUpgrade: websocket\r\n\r\n").await;
    assert_eq!(code, 200);
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert!(v["headers"].get("upgrade").is_none(), "{v}");
}

/// A raw upstream: reads one request head (sent on the channel), then `answer(head)` is
/// written in one piece; then it echoes what it reads until EOF and closes.
async fn raw_upstream(answer: fn(&str) -> Vec<u8>) -> (SocketAddr, tokio::sync::mpsc::UnboundedReceiver<String>) {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        loop {
            let Ok((mut s, _)) = l.accept().await else { continue };
            let tx = tx.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                let end = loop {
                    if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        break i + 4;
                    }
                    match s.read(&mut chunk).await {
                        Ok(n) if n > 0 => buf.extend_from_slice(&chunk[..n]),
                        _ => return,
                    }
                };
                let head = String::from_utf8_lossy(&buf[..end]).to_string();
                let _ = tx.send(head.clone());
                // The answer, then the echo of what came after the head, then of the rest.
                if s.write_all(&answer(&head)).await.is_err() || s.write_all(&buf[end..]).await.is_err() {
                    return;
                }
                while let Ok(n) = s.read(&mut chunk).await {
                    if n == 0 || s.write_all(&chunk[..n]).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (addr, rx)
}

/// A proxy of a fake controller whose service `host` routes to `addr`.
async fn behind_proxy(
    addr: SocketAddr,
    host: &str,
    tweak: impl FnOnce(&mut marchproxy_proxy::ProxyConfig),
) -> (FakeController, marchproxy_proxy::Running) {
    let ctl = FakeController::start().await;
    ctl.service("raw", host, &[format!("http://{addr}")]);
    let p = proxy(&ctl, tweak).await;
    synced(&ctl, &p).await;
    (ctl, p)
}

/// Read from `s` until `want` bytes have arrived after the response head; returns the
/// head and those bytes.
async fn read_switch(s: &mut TcpStream, want: usize) -> (String, Vec<u8>) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n")
            && buf.len() >= i + 4 + want
        {
            return (String::from_utf8_lossy(&buf[..i + 4]).to_string(), buf[i + 4..].to_vec());
        }
        let n = tokio::time::timeout(Duration::from_secs(5), s.read(&mut chunk)).await.expect("bytes in time").unwrap();
        assert!(n > 0, "closed early; got {:?}", String::from_utf8_lossy(&buf));
        buf.extend_from_slice(&chunk[..n]);
    }
}

const SWITCH_RAW: &[u8] = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: raw\r\nConnection: upgrade\r\n\r\n";
const ASK_RAW: &[u8] = b"GET /t HTTP/1.1\r\nHost: raw.example.com\r\nConnection: upgrade\r\nUpgrade: raw\r\n\r\n";

#[tokio::test]
async fn bytes_that_arrive_with_either_head_cross_the_switch_and_silent_tunnels_are_closed() {
    let (addr, mut heads) = raw_upstream(|_| [SWITCH_RAW, b"FIRST"].concat()).await;
    let (_cp, p) = behind_proxy(addr, "raw.example.com", |c| c.tunnel_idle_timeout_seconds = 1).await;
    let mut s = TcpStream::connect(p.addr).await.unwrap();
    // The client's first tunnel bytes leave in the same write as its request head.
    s.write_all(&[ASK_RAW, b"EARLY"].concat()).await.unwrap();
    let (head, data) = read_switch(&mut s, "FIRSTEARLY".len()).await;
    let head = head.to_ascii_lowercase();
    assert!(head.starts_with("http/1.1 101 "), "{head}");
    assert!(head.contains("upgrade: raw") && head.contains("connection: upgrade"), "{head}");
    // FIRST came with the upstream's 101 head; EARLY is the echo of what came with ours.
    assert_eq!(data, b"FIRSTEARLY");
    let up_head = heads.recv().await.unwrap().to_ascii_lowercase();
    assert!(up_head.contains("upgrade: raw") && up_head.contains("connection: upgrade"), "{up_head}");
    // An interactive exchange, then silence: the proxy closes the tunnel after 1-2 s.
    s.write_all(b"ping").await.unwrap();
    let mut got = [0u8; 4];
    tokio::time::timeout(Duration::from_secs(5), s.read_exact(&mut got)).await.unwrap().unwrap();
    assert_eq!(&got, b"ping");
    let mut rest = Vec::new();
    let n = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut rest))
        .await
        .expect("the silent tunnel is closed")
        .unwrap_or(0);
    assert_eq!(n, 0);
}

#[tokio::test]
async fn shutting_the_proxy_down_closes_open_tunnels() {
    let (addr, _heads) = raw_upstream(|_| SWITCH_RAW.to_vec()).await;
    let (_cp, p) = behind_proxy(addr, "raw.example.com", |_| {}).await;
    let mut s = TcpStream::connect(p.addr).await.unwrap();
    s.write_all(&[ASK_RAW, b"hi"].concat()).await.unwrap();
    let (_, data) = read_switch(&mut s, 2).await;
    assert_eq!(data, b"hi");
    // Without closing tunnels, the drain would wait its full 30 s for this connection.
    let stopped = tokio::time::timeout(Duration::from_secs(10), p.shutdown()).await;
    assert!(stopped.is_ok(), "shutdown waited on an open tunnel");
    let mut rest = Vec::new();
    let n = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut rest)).await.unwrap().unwrap_or(0);
    assert_eq!(n, 0);
}

#[tokio::test]
async fn a_101_that_was_not_asked_for_or_names_no_protocol_gets_a_502() {
    // 101 to everything; it names a protocol only for requests that asked for none.
    let (addr, _heads) = raw_upstream(|head| {
        if head.to_ascii_lowercase().contains("upgrade:") {
            b"HTTP/1.1 101 Switching Protocols\r\nConnection: upgrade\r\n\r\n".to_vec()
        } else {
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: upgrade\r\n\r\n".to_vec()
        }
    })
    .await;
    let (_cp, p) = behind_proxy(addr, "odd.example.com", |_| {}).await;
    let mut s = TcpStream::connect(p.addr).await.unwrap();
    let (code, _) = exchange(&mut s, "GET / HTTP/1.1\r\nHost: odd.example.com\r\n\r\n").await;
    assert_eq!(code, 502);
    let mut s = TcpStream::connect(p.addr).await.unwrap();
    let (code, _) = exchange(
        &mut s,
        "GET / HTTP/1.1\r\nHost: odd.example.com\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n",
    )
    .await;
    assert_eq!(code, 502);
}
