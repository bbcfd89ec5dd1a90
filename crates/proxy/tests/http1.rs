//! The proxy's HTTP/1.x server side on raw sockets: pipelining, HTTP/1.0, malformed and
//! oversized heads, `Expect: 100-continue`, clients that go away, slow heads and idle
//! connections.

mod common;

use std::time::{Duration, Instant};

use common::*;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// One response read off a raw connection.
#[derive(Debug)]
struct Resp {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Resp {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// Read one response (Content-Length or chunked body) from `s`; `buf` keeps what follows it.
async fn read_response(s: &mut TcpStream, buf: &mut Vec<u8>) -> Option<Resp> {
    let deadline = Instant::now() + Duration::from_secs(10);
    let fill = async |buf: &mut Vec<u8>, s: &mut TcpStream| -> bool {
        let mut chunk = [0u8; 4096];
        match tokio::time::timeout_at(deadline.into(), s.read(&mut chunk)).await {
            Ok(Ok(n)) if n > 0 => {
                buf.extend_from_slice(&chunk[..n]);
                true
            }
            _ => false,
        }
    };
    let (status, headers, n) = loop {
        let mut slots = [httparse::EMPTY_HEADER; 64];
        let mut r = httparse::Response::new(&mut slots);
        if let Ok(httparse::Status::Complete(n)) = r.parse(buf) {
            let h = r.headers.iter().map(|h| (h.name.to_string(), String::from_utf8_lossy(h.value).into())).collect();
            break (r.code.unwrap(), h, n);
        }
        if !fill(buf, s).await {
            return None;
        }
    };
    buf.drain(..n);
    let mut resp = Resp { status, headers, body: Vec::new() };
    if (100..200).contains(&status) {
        return Some(resp);
    }
    if let Some(len) = resp.header("content-length").map(|v| v.parse::<usize>().unwrap()) {
        while buf.len() < len {
            assert!(fill(buf, s).await, "body cut short");
        }
        resp.body = buf.drain(..len).collect();
    } else if resp.header("transfer-encoding") == Some("chunked") {
        loop {
            while !buf.windows(2).any(|w| w == b"\r\n") {
                assert!(fill(buf, s).await, "chunk cut short");
            }
            let end = buf.windows(2).position(|w| w == b"\r\n").unwrap();
            let size = usize::from_str_radix(std::str::from_utf8(&buf[..end]).unwrap(), 16).unwrap();
            while buf.len() < end + 2 + size + 2 {
                assert!(fill(buf, s).await, "chunk cut short");
            }
            resp.body.extend_from_slice(&buf[end + 2..end + 2 + size]);
            buf.drain(..end + 2 + size + 2);
            if size == 0 {
                break;
            }
        }
    }
    Some(resp)
}

/// After the responses, the proxy closes the connection (EOF within a few seconds).
async fn closed(s: &mut TcpStream) -> bool {
    let mut b = [0u8; 64];
    matches!(tokio::time::timeout(Duration::from_secs(5), s.read(&mut b)).await, Ok(Ok(0)) | Ok(Err(_)))
}

#[tokio::test]
async fn pipelined_requests_are_answered_in_order_on_one_connection() {
    let (_cp, _up, p) = web_behind_proxy(|_| {}).await;
    let mut s = TcpStream::connect(p.addr).await.unwrap();
    // Three requests in one write; the last one closes.
    s.write_all(
        b"GET /bytes/3 HTTP/1.1\r\nhost: web.example.com\r\n\r\n\
          GET /status/201 HTTP/1.1\r\nhost: web.example.com\r\n\r\n\
          HEAD /bytes/1000 HTTP/1.1\r\nhost: web.example.com\r\nconnection: close\r\n\r\n",
    )
    .await
    .unwrap();
    let mut buf = Vec::new();
    let first = read_response(&mut s, &mut buf).await.unwrap();
    assert_eq!((first.status, first.body.as_slice()), (200, &b"xxx"[..]));
    let second = read_response(&mut s, &mut buf).await.unwrap();
    assert_eq!((second.status, second.body.as_slice()), (201, &b"a"[..]));
    // HEAD: the length of the body it would have, and no body.
    let mut slots = [httparse::EMPTY_HEADER; 64];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        let mut chunk = [0u8; 1024];
        let n = s.read(&mut chunk).await.unwrap();
        assert!(n > 0, "the HEAD response");
        buf.extend_from_slice(&chunk[..n]);
    }
    let mut r = httparse::Response::new(&mut slots);
    let httparse::Status::Complete(n) = r.parse(&buf).unwrap() else { panic!("partial") };
    assert_eq!(r.code, Some(200));
    let cl = r.headers.iter().find(|h| h.name.eq_ignore_ascii_case("content-length")).unwrap();
    assert_eq!(cl.value, b"1000");
    assert_eq!(buf.len(), n, "no body after a HEAD response");
    assert!(closed(&mut s).await, "connection: close is honoured");
    p.shutdown().await;
}

#[tokio::test]
async fn http10_clients_get_keep_alive_only_when_they_ask() {
    let (_cp, _up, p) = web_behind_proxy(|_| {}).await;
    let mut s = TcpStream::connect(p.addr).await.unwrap();
    let mut buf = Vec::new();
    for _ in 0..2 {
        s.write_all(b"GET / HTTP/1.0\r\nhost: web.example.com\r\nconnection: keep-alive\r\n\r\n").await.unwrap();
        let r = read_response(&mut s, &mut buf).await.expect("a response on the kept-alive connection");
        assert_eq!((r.status, r.body.as_slice(), r.header("connection")), (200, &b"a"[..], Some("keep-alive")));
    }
    s.write_all(b"GET / HTTP/1.0\r\nhost: web.example.com\r\n\r\n").await.unwrap();
    let r = read_response(&mut s, &mut buf).await.unwrap();
    assert_eq!((r.status, r.header("connection")), (200, Some("close")));
    assert!(closed(&mut s).await);
    p.shutdown().await;
}

#[tokio::test]
async fn malformed_ambiguous_and_oversized_heads_are_refused_and_the_connection_closed() {
    let (_cp, up, p) = web_behind_proxy(|_| {}).await;
    let mut huge = b"GET / HTTP/1.1\r\nhost: web.example.com\r\n".to_vec();
    for i in 0..2000 {
        huge.extend_from_slice(format!("x-pad-{i}: 0123456789012345678901234567890123456789\r\n").as_bytes());
    }
    huge.extend_from_slice(b"\r\n");
    let cases: [(&[u8], u16, &str); 4] = [
        (b"GARBAGE\r\n\r\n", 400, "bad_request"),
        (b"GET / HTTP/1.1\r\nhost: web.example.com\r\nbad header: x\r\n\r\n", 400, "bad_request"),
        // Request smuggling: both framings.
        (
            b"POST / HTTP/1.1\r\nhost: web.example.com\r\ncontent-length: 4\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n",
            400,
            "bad_request",
        ),
        (&huge, 431, "request_header_too_large"),
    ];
    for (raw, status, code) in cases {
        let mut s = TcpStream::connect(p.addr).await.unwrap();
        s.write_all(raw).await.unwrap();
        let r = read_response(&mut s, &mut Vec::new()).await.expect("an error response");
        assert_eq!((r.status, r.header("x-marchproxy-error")), (status, Some(code)));
        assert_eq!(r.header("connection"), Some("close"));
        assert!(closed(&mut s).await);
    }
    assert_eq!(up.hits(), 0, "nothing reached the upstream");
    p.shutdown().await;
}

#[tokio::test]
async fn expect_100_continue_is_answered_by_the_proxy_and_not_forwarded() {
    let (_cp, _up, p) = web_behind_proxy(|_| {}).await;
    let mut s = TcpStream::connect(p.addr).await.unwrap();
    s.write_all(b"POST /echo HTTP/1.1\r\nhost: web.example.com\r\ncontent-length: 5\r\nexpect: 100-continue\r\n\r\n")
        .await
        .unwrap();
    let mut buf = Vec::new();
    let interim = read_response(&mut s, &mut buf).await.expect("100 Continue before the body is sent");
    assert_eq!(interim.status, 100);
    s.write_all(b"hello").await.unwrap();
    let r = read_response(&mut s, &mut buf).await.unwrap();
    assert_eq!(r.status, 200);
    let echo: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(echo["body_len"], 5);
    assert!(echo["headers"].get("expect").is_none(), "{echo}");
    p.shutdown().await;
}

async fn inflight(p: &marchproxy_proxy::Running) -> u64 {
    let m = metrics(p).await;
    m.lines()
        .filter(|l| l.starts_with("marchproxy_endpoint_inflight{"))
        .map(|l| l.rsplit(' ').next().unwrap().parse::<u64>().unwrap())
        .sum()
}

/// A proxy of the web service whose upstream answers after `delay_ms`, and a raw client
/// connection with a GET in flight through it (the upstream holds it).
async fn a_request_in_flight(delay_ms: u64) -> (FakeController, Upstream, marchproxy_proxy::Running, TcpStream) {
    let (cp, up, p) = web_behind_proxy(|_| {}).await;
    up.delay_ms.store(delay_ms, std::sync::atomic::Ordering::Relaxed);
    let mut s = TcpStream::connect(p.addr).await.unwrap();
    s.write_all(b"GET / HTTP/1.1\r\nhost: web.example.com\r\n\r\n").await.unwrap();
    eventually(Duration::from_secs(3), || async { inflight(&p).await == 1 }).await;
    (cp, up, p, s)
}

#[tokio::test]
async fn a_client_that_goes_away_cancels_its_request() {
    let (_cp, _up, p, s) = a_request_in_flight(5_000).await;
    let gone = Instant::now();
    drop(s);
    eventually(Duration::from_secs(2), || async { inflight(&p).await == 0 }).await;
    assert!(
        gone.elapsed() < Duration::from_secs(2),
        "released after {:?}, not when the upstream answered",
        gone.elapsed()
    );
    p.shutdown().await;
}

/// A proxy told to stop while a request is in flight still answers it, with
/// `Connection: close`, and then closes the connection.
#[tokio::test]
async fn a_response_in_flight_at_shutdown_closes_its_connection() {
    let (_cp, _up, p, mut s) = a_request_in_flight(500).await;
    let stopping = tokio::spawn(p.shutdown());
    let mut buf = Vec::new();
    let resp = read_response(&mut s, &mut buf).await.expect("the request in flight is answered");
    assert_eq!((resp.status, resp.body.as_slice()), (200, &b"a"[..]));
    assert_eq!(resp.header("connection"), Some("close"), "{resp:?}");
    assert!(closed(&mut s).await, "the connection stays open after its last response");
    tokio::time::timeout(Duration::from_secs(5), stopping).await.expect("the proxy stops").unwrap();
}

#[tokio::test]
async fn slow_heads_and_idle_connections_are_cut_busy_ones_are_not() {
    let (_cp, _up, p) = web_behind_proxy(|c| c.header_timeout_ms = 300).await;

    // A head dribbled one byte every 50 ms never completes: cut within two periods.
    let mut slow = TcpStream::connect(p.addr).await.unwrap();
    let started = Instant::now();
    slow.write_all(b"GET / HTTP/1.1\r\n").await.unwrap();
    let cut = loop {
        tokio::time::sleep(Duration::from_millis(50)).await;
        if slow.write_all(b"x").await.is_err() || started.elapsed() > Duration::from_secs(3) {
            break started.elapsed();
        }
        let mut b = [0u8; 16];
        if let Ok(Ok(0)) = tokio::time::timeout(Duration::from_millis(1), slow.read(&mut b)).await {
            break started.elapsed();
        }
    };
    assert!(cut >= Duration::from_millis(300) && cut < Duration::from_millis(1200), "slow head cut after {cut:?}");

    // An idle keep-alive connection is closed too.
    let mut idle = TcpStream::connect(p.addr).await.unwrap();
    idle.write_all(b"GET / HTTP/1.1\r\nhost: web.example.com\r\n\r\n").await.unwrap();
    assert_eq!(read_response(&mut idle, &mut Vec::new()).await.unwrap().status, 200);
    let t = Instant::now();
    assert!(closed(&mut idle).await);
    assert!(t.elapsed() < Duration::from_millis(1200), "idle connection closed after {:?}", t.elapsed());

    // A connection that keeps sending requests, for four periods, is not.
    let mut busy = TcpStream::connect(p.addr).await.unwrap();
    let mut buf = Vec::new();
    let t = Instant::now();
    while t.elapsed() < Duration::from_millis(1200) {
        busy.write_all(b"GET / HTTP/1.1\r\nhost: web.example.com\r\n\r\n").await.unwrap();
        assert_eq!(read_response(&mut busy, &mut buf).await.expect("still open").status, 200);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    p.shutdown().await;
}

/// The proxy answers an upload before reading all of it (here the upstream refuses it at
/// once) and closes the connection; a client that is still sending and reads the answer
/// only later gets it (the proxy half-closes and drains what the client sends meanwhile).
#[tokio::test]
async fn an_early_answer_survives_a_client_still_sending() {
    let (_cp, _up, p) = web_behind_proxy(|_| {}).await;
    let mut s = TcpStream::connect(p.addr).await.unwrap();
    s.write_all(b"POST /status/413 HTTP/1.1\r\nhost: web.example.com\r\ncontent-length: 67108864\r\n\r\n")
        .await
        .unwrap();
    // Keep sending for a while after the answer came, without reading it.
    let chunk = vec![b'x'; 64 * 1024];
    let t = Instant::now();
    while t.elapsed() < Duration::from_millis(500) {
        if tokio::time::timeout(Duration::from_millis(50), s.write_all(&chunk)).await.is_ok_and(|r| r.is_err()) {
            break;
        }
    }
    let r = read_response(&mut s, &mut Vec::new()).await.expect("the answer, not a reset");
    assert_eq!((r.status, r.header("connection")), (413, Some("close")));
    drop(s);
    p.shutdown().await;
}

/// A client that stops reading a response is dropped after `--send-timeout-ms`, and the
/// upstream connection its response was streaming from is closed with it.
#[tokio::test]
async fn a_client_that_stops_reading_is_dropped_and_its_upstream_freed() {
    // An upstream that streams an endless body and reports when its connection is closed.
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    let (freed_tx, mut freed) = tokio::sync::mpsc::unbounded_channel::<Instant>();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            let freed_tx = freed_tx.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut b = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match s.read(&mut b).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&b[..n]),
                    }
                }
                s.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 1000000000\r\n\r\n").await.unwrap();
                let chunk = vec![b'x'; 64 * 1024];
                while s.write_all(&chunk).await.is_ok() {}
                let _ = freed_tx.send(Instant::now());
            });
        }
    });
    let ctl = FakeController::start().await;
    ctl.service("big", "big.example.com", &[format!("http://{addr}")]);
    let p = proxy(&ctl, |c| c.send_timeout_ms = 500).await;
    synced(&ctl, &p).await;

    // A client with a small receive buffer that sends one request and never reads.
    let sock = tokio::net::TcpSocket::new_v4().unwrap();
    sock.set_recv_buffer_size(16 * 1024).unwrap();
    let mut c = sock.connect(p.addr).await.unwrap();
    c.write_all(b"GET /big HTTP/1.1\r\nhost: big.example.com\r\n\r\n").await.unwrap();
    let freed_at = tokio::time::timeout(Duration::from_secs(10), freed.recv())
        .await
        .expect("the upstream connection is freed while the client still holds its socket")
        .unwrap();
    // The proxy closed the client's connection too: what is left to read ends.
    let drained = tokio::time::timeout(Duration::from_secs(5), async {
        let mut b = vec![0u8; 64 * 1024];
        loop {
            match c.read(&mut b).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await;
    assert!(drained.is_ok(), "the proxy closed the client connection");
    assert!(freed_at.elapsed() < Duration::from_secs(10));
    p.shutdown().await;
}

/// The sum of a per-endpoint metric's values.
async fn endpoint_metric(p: &marchproxy_proxy::Running, name: &str) -> u64 {
    metrics(p)
        .await
        .lines()
        .filter(|l| l.starts_with(&format!("{name}{{")))
        .map(|l| l.rsplit(' ').next().unwrap().parse::<u64>().unwrap())
        .sum()
}

/// The upstream timeout covers the upstream's steps, not a slow client's upload: a body that
/// takes longer than the upstream timeout to arrive still goes through, and a client that
/// pauses beyond `--client-body-timeout-ms` gets a 408 without the endpoint being blamed.
#[tokio::test]
async fn a_slow_upload_is_not_an_upstream_timeout_and_never_blames_the_endpoint() {
    let (_ctl, _up, p) = web_behind_proxy(|c| {
        c.upstream_timeout_seconds = 1;
        c.client_body_timeout_ms = 2_500;
    })
    .await;
    let head = b"POST /echo HTTP/1.1\r\nhost: web.example.com\r\ncontent-length: 10\r\n\r\n12345";

    // Half the body, a pause longer than the upstream timeout, the rest: answered.
    let mut s = TcpStream::connect(p.addr).await.unwrap();
    s.write_all(head).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    s.write_all(b"67890").await.unwrap();
    let r = read_response(&mut s, &mut Vec::new()).await.expect("an answer");
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let echo: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(echo["body_len"], 10);

    // Half the body and silence: the client's timeout, a 408, and no error for the endpoint.
    let mut s = TcpStream::connect(p.addr).await.unwrap();
    s.write_all(head).await.unwrap();
    let t = Instant::now();
    let r = read_response(&mut s, &mut Vec::new()).await.expect("an answer");
    assert_eq!(r.status, 408);
    assert!(r.headers.iter().any(|(k, v)| k == "x-marchproxy-error" && v == "client_timeout"), "{:?}", r.headers);
    assert!(t.elapsed() >= Duration::from_millis(2_400) && t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
    assert_eq!(endpoint_metric(&p, "marchproxy_upstream_errors_total").await, 0, "the endpoint is not blamed");
    assert_eq!(endpoint_metric(&p, "marchproxy_endpoint_healthy").await, 1);
    p.shutdown().await;
}

/// An upstream that answers every request on a connection with `answers[i]` for its i-th
/// request (cycling), whatever was asked.
async fn scripted_upstream(answers: &'static [&'static str]) -> String {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            tokio::spawn(async move {
                let mut buf = Vec::new();
                for i in 0.. {
                    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                        let mut b = [0u8; 1024];
                        match s.read(&mut b).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&b[..n]),
                        }
                    }
                    let end = buf.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
                    buf.drain(..end);
                    if s.write_all(answers[i % answers.len()].as_bytes()).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    url
}

/// The upstream's response head reaches an HTTP/1.1 client (whose untraced requests the proxy
/// answers from the head's lines, without a header map) with its end-to-end fields only, in
/// the upstream's order and spelling; the framing is the proxy's, and a HEAD answer keeps the
/// declared length.
#[tokio::test]
async fn response_heads_keep_end_to_end_fields_and_get_this_hops_framing() {
    let up = scripted_upstream(&[
        // Hop-by-hop fields, a name Connection lists, a repeated length and the upstream's Date.
        "HTTP/1.1 200 OK\r\nServer: raw\r\nConnection: keep-alive, X-Secret\r\nKeep-Alive: timeout=5\r\n\
         X-Secret: s\r\nX-Kept: Yes\r\nContent-Length: 5, 5\r\nDate: Thu, 01 Jan 2026 00:00:00 GMT\r\n\r\nhello",
        // Transfer-Encoding overrides Content-Length: chunked to the client, no length.
        "HTTP/1.1 200 OK\r\nContent-Length: 99\r\nTransfer-Encoding: chunked\r\nX-Kept: 2\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        // A HEAD answer declares the length of the body it does not send.
        "HTTP/1.1 200 OK\r\nContent-Length: 1234\r\nX-Kept: 3\r\n\r\n",
    ])
    .await;
    let ctl = FakeController::start().await;
    ctl.service("raw", "raw.example.com", &[up]);
    let p = proxy(&ctl, |_| {}).await;
    synced(&ctl, &p).await;
    let mut s = TcpStream::connect(p.addr).await.unwrap();
    let mut buf = Vec::new();
    let names = |r: &Resp| r.headers.iter().map(|(n, _)| n.to_ascii_lowercase()).collect::<Vec<_>>();

    s.write_all(b"GET /a HTTP/1.1\r\nhost: raw.example.com\r\n\r\n").await.unwrap();
    let r = read_response(&mut s, &mut buf).await.unwrap();
    assert_eq!((r.status, r.body.as_slice()), (200, &b"hello"[..]));
    assert_eq!(names(&r), ["server", "x-kept", "date", "content-length"], "{r:?}");
    assert_eq!((r.header("X-Kept"), r.header("content-length")), (Some("Yes"), Some("5")));
    assert_eq!(r.header("date"), Some("Thu, 01 Jan 2026 00:00:00 GMT"), "the upstream's Date, once");
    assert!(r.headers.iter().any(|(n, _)| n == "X-Kept"), "the upstream's spelling: {r:?}");

    s.write_all(b"GET /b HTTP/1.1\r\nhost: raw.example.com\r\n\r\n").await.unwrap();
    let r = read_response(&mut s, &mut buf).await.unwrap();
    assert_eq!((r.status, r.body.as_slice()), (200, &b"hello"[..]));
    assert_eq!(names(&r), ["x-kept", "transfer-encoding", "date"], "{r:?}");

    s.write_all(b"HEAD /c HTTP/1.1\r\nhost: raw.example.com\r\n\r\n").await.unwrap();
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        let mut chunk = [0u8; 1024];
        let n = s.read(&mut chunk).await.unwrap();
        assert!(n > 0, "the HEAD response");
        buf.extend_from_slice(&chunk[..n]);
    }
    let text = String::from_utf8_lossy(&buf).to_ascii_lowercase();
    assert!(text.starts_with("http/1.1 200 ok\r\nx-kept: 3\r\ncontent-length: 1234\r\n"), "{text}");
    assert!(text.ends_with("\r\n\r\n") && text.matches("content-length").count() == 1, "{text}");
    p.shutdown().await;
}
