//! Protocols: HTTP/2 cleartext (prior knowledge), TLS with ALPN h2 on the listener,
//! https upstreams verified against a custom CA (and refused without it), and WebSockets
//! over TLS on both sides. The proxies here run a fake controller's snapshot (no database).

mod common;

use std::convert::Infallible;
use std::sync::Arc;

use bytes::Bytes;
use common::*;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};

struct Pki {
    ca_pem: String,
    cert_pem: String,
    key_pem: String,
}

/// A CA and a `localhost` certificate it signed.
fn pki() -> Pki {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params.distinguished_name.push(rcgen::DnType::CommonName, "MarchProxy test CA");
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let leaf_key = rcgen::KeyPair::generate().unwrap();
    let leaf =
        rcgen::CertificateParams::new(vec!["localhost".to_string()]).unwrap().signed_by(&leaf_key, &issuer).unwrap();
    Pki { ca_pem: ca_cert.pem(), cert_pem: leaf.pem(), key_pem: leaf_key.serialize_pem() }
}

fn write(dir: &std::path::Path, name: &str, content: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, content).unwrap();
    p
}

/// A TLS server with `p`'s certificate on a free loopback port; `serve` runs for each
/// accepted (and handshaken) connection. Returns the port.
async fn tls_server<F, Fut>(p: &Pki, serve: F) -> u16
where
    F: Fn(tokio_rustls::server::TlsStream<tokio::net::TcpStream>) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    tls_server_alpn(p, &[], serve).await
}

/// As [`tls_server`], choosing from the client's ALPN offer the first of `alpn` it contains
/// (none: no ALPN).
async fn tls_server_alpn<F, Fut>(p: &Pki, alpn: &[&[u8]], serve: F) -> u16
where
    F: Fn(tokio_rustls::server::TlsStream<tokio::net::TcpStream>) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    use rustls_pki_types::pem::PemObject;
    let certs = vec![rustls_pki_types::CertificateDer::from_pem_slice(p.cert_pem.as_bytes()).unwrap()];
    let key = rustls_pki_types::PrivateKeyDer::from_pem_slice(p.key_pem.as_bytes()).unwrap();
    let mut cfg = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
    cfg.alpn_protocols = alpn.iter().map(|a| a.to_vec()).collect();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(cfg));
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    let serve = Arc::new(serve);
    tokio::spawn(async move {
        loop {
            let (s, _) = l.accept().await.unwrap();
            let acceptor = acceptor.clone();
            let serve = serve.clone();
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(s).await else { return };
                serve(tls).await;
            });
        }
    });
    port
}

#[tokio::test]
async fn h2c_and_tls_with_alpn_h2_are_served() {
    let cp = FakeController::start().await;
    let up = Upstream::start("origin").await;
    cp.service("local", "localhost", &[up.url()]);
    let plain = proxy(&cp, |_| {}).await;
    let dir = temp_dir();
    let pki = pki();
    let (cert, key) = (write(&dir, "cert.pem", &pki.cert_pem), write(&dir, "key.pem", &pki.key_pem));
    let tls = proxy(&cp, |c| {
        c.tls_cert = Some(cert.clone());
        c.tls_key = Some(key.clone());
    })
    .await;
    synced(&cp, &plain).await;
    synced(&cp, &tls).await;

    // h2c by prior knowledge.
    let h2c = reqwest::Client::builder().http2_prior_knowledge().build().unwrap();
    let r = h2c.get(format!("http://localhost:{}/", plain.addr.port())).send().await.unwrap();
    assert_eq!(r.version(), reqwest::Version::HTTP_2);
    assert_eq!(r.text().await.unwrap(), "origin");

    // TLS: ALPN picks h2; HTTP/1.1 clients still work.
    let ca = reqwest::Certificate::from_pem(pki.ca_pem.as_bytes()).unwrap();
    let https = reqwest::Client::builder().add_root_certificate(ca.clone()).build().unwrap();
    let r = https.get(format!("https://localhost:{}/echo", tls.addr.port())).send().await.unwrap();
    assert_eq!(r.version(), reqwest::Version::HTTP_2);
    let echo: serde_json::Value = r.json().await.unwrap();
    assert_eq!(echo["headers"]["x-forwarded-proto"], "https");
    let h1 = reqwest::Client::builder().add_root_certificate(ca).http1_only().build().unwrap();
    let r = h1.get(format!("https://localhost:{}/", tls.addr.port())).send().await.unwrap();
    assert_eq!((r.version(), r.status().as_u16()), (reqwest::Version::HTTP_11, 200));
    plain.shutdown().await;
    tls.shutdown().await;
}

#[tokio::test]
async fn https_upstreams_are_verified_against_the_configured_ca() {
    let cp = FakeController::start().await;
    let pki = pki();
    let port = tls_upstream(&pki).await;
    cp.service("secure", "secure.example.com", &[format!("https://localhost:{port}")]);
    let dir = temp_dir();
    let ca = write(&dir, "ca.pem", &pki.ca_pem);
    let trusting = proxy(&cp, |c| c.upstream_ca = Some(ca.clone())).await;
    let default_roots = proxy(&cp, |_| {}).await;
    synced(&cp, &trusting).await;
    synced(&cp, &default_roots).await;
    let c = client();
    assert_eq!(get(&c, &trusting, "secure.example.com", "/").await.1, "secure");
    let (s, _, e) = get(&c, &default_roots, "secure.example.com", "/").await;
    assert_eq!((s, e.as_deref()), (502, Some("connect_failed")), "an unknown CA is refused");
    trusting.shutdown().await;
    default_roots.shutdown().await;
}

/// An https upstream that chooses from `alpn` and answers each request with its HTTP
/// version ("HTTP/2.0", "HTTP/1.1"); it counts the connections it accepted.
async fn version_upstream(p: &Pki, alpn: &[&[u8]]) -> (u16, Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    let port = tls_server_alpn(p, alpn, move |tls| {
        count.fetch_add(1, Ordering::SeqCst);
        async move {
            let svc = service_fn(|req: Request<Incoming>| async move {
                let v = format!("{:?}", req.version());
                Ok::<_, Infallible>(Response::new(Full::new(Bytes::from(v))))
            });
            let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                .serve_connection(TokioIo::new(tls), svc)
                .await;
        }
    })
    .await;
    (port, accepted)
}

#[tokio::test]
async fn https_endpoints_speak_http2_when_alpn_chooses_it() {
    use std::sync::atomic::Ordering;
    let pki = pki();
    let (both, both_conns) = version_upstream(&pki, &[b"h2", b"http/1.1"]).await;
    let (h1_only, h1_conns) = version_upstream(&pki, &[b"http/1.1"]).await;
    let (pinned, pinned_conns) = version_upstream(&pki, &[b"h2", b"http/1.1"]).await;
    let (burst, burst_conns) = version_upstream(&pki, &[b"h2", b"http/1.1"]).await;
    let cp = FakeController::start().await;
    cp.service("both", "both.example.com", &[format!("https://localhost:{both}")]);
    cp.service("h1", "h1.example.com", &[format!("https://localhost:{h1_only}")]);
    cp.service("pinned", "pinned.example.com", &[format!("https://localhost:{pinned}")]);
    cp.service("burst", "burst.example.com", &[format!("https://localhost:{burst}")]);
    // `upstream_protocol: http1` keeps HTTP/1.1 even where h2 is offered.
    cp.update(|s| {
        for t in s["route_tables"].as_array_mut().unwrap() {
            if t["routes"][0]["endpoint"].as_str().unwrap().ends_with(&format!(":{pinned}")) {
                t["routes"][0]["upstream_protocol"] = serde_json::json!("http1");
            }
        }
    });
    let dir = temp_dir();
    let ca = write(&dir, "ca.pem", &pki.ca_pem);
    let p = proxy(&cp, |c| {
        c.upstream_ca = Some(ca.clone());
        c.workers = Some(1);
    })
    .await;
    synced(&cp, &p).await;
    let c = client();
    // The first request negotiates; the rest reuse what it opened: concurrent requests on
    // the one multiplexed HTTP/2 connection, sequential ones on the pooled HTTP/1.1 one.
    for (host, want, conns) in [
        ("both.example.com", "HTTP/2.0", &both_conns),
        ("h1.example.com", "HTTP/1.1", &h1_conns),
        ("pinned.example.com", "HTTP/1.1", &pinned_conns),
    ] {
        assert_eq!(get(&c, &p, host, "/").await, (200, want.to_string(), None), "{host}");
        if want == "HTTP/2.0" {
            let all = futures::future::join_all((0..8).map(|_| get(&c, &p, host, "/"))).await;
            assert!(all.iter().all(|r| r.0 == 200 && r.1 == want), "{host}: {all:?}");
        } else {
            for _ in 0..3 {
                assert_eq!(get(&c, &p, host, "/").await.1, want, "{host}");
            }
        }
        assert_eq!(conns.load(Ordering::SeqCst), 1, "{host}: connections opened");
    }
    // A burst of first requests: one negotiates, the rest wait for it and then share the
    // connection it opened (each used to open and handshake its own).
    let all = futures::future::join_all((0..8).map(|_| get(&c, &p, "burst.example.com", "/"))).await;
    assert!(all.iter().all(|r| r.0 == 200 && r.1 == "HTTP/2.0"), "{all:?}");
    assert_eq!(burst_conns.load(Ordering::SeqCst), 1, "connections opened by a burst of first requests");
    p.shutdown().await;
}

/// An https upstream answering "secure".
async fn tls_upstream(p: &Pki) -> u16 {
    tls_server(p, |tls| async move {
        let svc = service_fn(|_req: Request<Incoming>| async {
            Ok::<_, Infallible>(Response::new(Full::new(Bytes::from_static(b"secure"))))
        });
        let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
            .serve_connection(TokioIo::new(tls), svc)
            .await;
    })
    .await
}

/// A WebSocket server over TLS that answers each text message in upper case. It offers h2
/// by ALPN as well (as nginx does): an upgrade request must still reach it over HTTP/1.1.
async fn wss_upstream(p: &Pki) -> u16 {
    use futures::{SinkExt, StreamExt};
    tls_server_alpn(p, &[b"h2", b"http/1.1"], |tls| async move {
        let Ok(mut ws) = tokio_tungstenite::accept_async(tls).await else { return };
        while let Some(Ok(m)) = ws.next().await {
            if let tokio_tungstenite::tungstenite::Message::Text(t) = m
                && ws.send(t.to_uppercase().into()).await.is_err()
            {
                return;
            }
        }
    })
    .await
}

#[tokio::test]
async fn websockets_run_over_a_tls_listener_to_a_tls_endpoint() {
    use futures::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    let cp = FakeController::start().await;
    let pki = pki();
    let port = wss_upstream(&pki).await;
    cp.service("live", "localhost", &[format!("https://localhost:{port}")]);
    let dir = temp_dir();
    let (ca, cert, key) = (
        write(&dir, "ca.pem", &pki.ca_pem),
        write(&dir, "cert.pem", &pki.cert_pem),
        write(&dir, "key.pem", &pki.key_pem),
    );
    let p = proxy(&cp, |c| {
        c.upstream_ca = Some(ca.clone());
        c.tls_cert = Some(cert.clone());
        c.tls_key = Some(key.clone());
    })
    .await;
    synced(&cp, &p).await;

    // TLS to the proxy (no ALPN: HTTP/1.1), then the WebSocket handshake over it.
    use rustls_pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    roots.add(rustls_pki_types::CertificateDer::from_pem_slice(pki.ca_pem.as_bytes()).unwrap()).unwrap();
    let cfg = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let tcp = tokio::net::TcpStream::connect(p.addr).await.unwrap();
    let tls = tokio_rustls::TlsConnector::from(Arc::new(cfg))
        .connect(rustls_pki_types::ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .unwrap();
    let (mut ws, resp) = tokio_tungstenite::client_async("wss://localhost/live", tls).await.unwrap();
    assert_eq!(resp.status(), 101);
    for m in ["over", "tls both ways"] {
        ws.send(Message::text(m)).await.unwrap();
        let got = tokio::time::timeout(std::time::Duration::from_secs(5), ws.next()).await.unwrap().unwrap().unwrap();
        assert_eq!(got, Message::text(m.to_uppercase()));
    }
    ws.close(None).await.unwrap();
    p.shutdown().await;
}

/// HTTP/2 connections carry keep-alive PINGs, a peer that never answers them is
/// disconnected, and a connection without requests for `--h2-idle-timeout-seconds` is
/// closed while a busy one is not.
#[tokio::test]
async fn http2_connections_are_pinged_and_closed_when_idle_or_dead() {
    use std::time::{Duration, Instant};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let cp = FakeController::start().await;
    let up = Upstream::start("origin").await;
    cp.service("local", "localhost", &[up.url()]);
    let p = proxy(&cp, |c| {
        c.h2_idle_timeout_seconds = 1;
        c.h2_keepalive_seconds = 1;
    })
    .await;
    synced(&cp, &p).await;

    // A raw peer that says hello and then never answers: PINGed, then dropped.
    let mut raw = tokio::net::TcpStream::connect(p.addr).await.unwrap();
    raw.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\0\x04\0\0\0\0\0").await.unwrap();
    let started = Instant::now();
    let (mut pinged, mut buf) = (false, Vec::new());
    let closed = loop {
        let mut chunk = [0u8; 4096];
        match tokio::time::timeout(Duration::from_secs(6), raw.read(&mut chunk)).await {
            Ok(Ok(0)) | Ok(Err(_)) => break true,
            Ok(Ok(n)) => buf.extend_from_slice(&chunk[..n]),
            Err(_) => break false,
        }
        // Frames: 3 bytes of length, type, flags, 4 bytes of stream id.
        while buf.len() >= 9 {
            let len = u32::from_be_bytes([0, buf[0], buf[1], buf[2]]) as usize;
            if buf.len() < 9 + len {
                break;
            }
            pinged |= buf[3] == 0x6 && buf[4] & 0x1 == 0;
            buf.drain(..9 + len);
        }
    };
    assert!(pinged, "the proxy sent a keep-alive PING");
    assert!(closed && started.elapsed() < Duration::from_secs(5), "a peer that never answers is dropped");

    // Through hyper's client (which answers PINGs): one request, then silence, is closed;
    // a connection with a request every 300 ms is not.
    let open = || async {
        let tcp = tokio::net::TcpStream::connect(p.addr).await.unwrap();
        let (sender, conn) =
            hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(tcp)).await.unwrap();
        (sender, tokio::spawn(conn))
    };
    let get = |sender: &mut hyper::client::conn::http2::SendRequest<Full<Bytes>>| {
        let req = Request::get(format!("http://localhost:{}/", p.addr.port())).body(Full::new(Bytes::new())).unwrap();
        sender.send_request(req)
    };
    let (mut quiet, quiet_conn) = open().await;
    assert_eq!(get(&mut quiet).await.unwrap().status(), 200);
    let (mut busy, busy_conn) = open().await;
    let t = Instant::now();
    while t.elapsed() < Duration::from_millis(2_500) {
        assert_eq!(get(&mut busy).await.expect("the busy connection stays open").status(), 200);
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    assert!(quiet_conn.is_finished(), "the idle connection was closed");
    assert!(!busy_conn.is_finished());
    p.shutdown().await;
}

/// An h2c server that resets with REFUSED_STREAM (RFC 9113 §8.7: not processed) the first
/// request for `/refused-once` and every request for `/refused-always`, and answers the rest
/// "ok". Returns its port, the connections it accepted and the streams it saw per path.
async fn refusing_h2_server() -> (u16, Arc<std::sync::atomic::AtomicUsize>, Arc<std::sync::Mutex<Vec<String>>>) {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    let (conns, seen) = (Arc::new(AtomicUsize::new(0)), Arc::new(std::sync::Mutex::new(Vec::new())));
    let (c, s, refused_once) = (conns.clone(), seen.clone(), Arc::new(AtomicBool::new(false)));
    tokio::spawn(async move {
        while let Ok((sock, _)) = l.accept().await {
            c.fetch_add(1, Ordering::SeqCst);
            let (s, refused_once) = (s.clone(), refused_once.clone());
            tokio::spawn(async move {
                let Ok(mut conn) = h2::server::handshake(sock).await else { return };
                while let Some(Ok((req, mut respond))) = conn.accept().await {
                    let path = req.uri().path().to_string();
                    s.lock().unwrap().push(path.clone());
                    if path == "/refused-always"
                        || (path == "/refused-once" && !refused_once.swap(true, Ordering::SeqCst))
                    {
                        respond.send_reset(h2::Reason::REFUSED_STREAM);
                        continue;
                    }
                    if let Ok(mut body) = respond.send_response(Response::new(()), false) {
                        let _ = body.send_data(Bytes::from_static(b"ok"), true);
                    }
                }
            });
        }
    });
    (port, conns, seen)
}

#[tokio::test]
async fn an_http2_request_refused_unprocessed_is_sent_again_only_without_a_body() {
    use std::sync::atomic::Ordering;
    let (port, conns, seen) = refusing_h2_server().await;
    let cp = FakeController::start().await;
    cp.service("h2", "h2.example.com", &[format!("http://127.0.0.1:{port}")]);
    cp.update(|s| s["route_tables"][0]["routes"][0]["upstream_protocol"] = serde_json::json!("http2"));
    let p = proxy(&cp, |c| c.workers = Some(1)).await;
    synced(&cp, &p).await;
    let c = client();
    // Bodiless: refused on the first connection, sent again on a new one.
    assert_eq!(get(&c, &p, "h2.example.com", "/refused-once").await, (200, "ok".to_string(), None));
    assert_eq!(conns.load(Ordering::SeqCst), 2, "the replay went on a new connection");
    // With a body: not sent twice (a body is not replayed), the client gets a 502.
    let r = c
        .post(format!("http://{}/refused-always", p.addr))
        .header("host", "h2.example.com")
        .body("payload")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 502);
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.iter().filter(|p| *p == "/refused-once").count(), 2, "{seen:?}");
    assert_eq!(seen.iter().filter(|p| *p == "/refused-always").count(), 1, "{seen:?}");
    p.shutdown().await;
}
