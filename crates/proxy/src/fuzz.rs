//! Property-based fuzzing of what the proxy parses from the network and from its control
//! plane (tests only): the HTTP/1 request-head parser, the chunked-body decoder and the
//! configuration snapshot, plus a differential check of the head parser against hyper's
//! HTTP/1 server on smuggling-shaped requests.
//!
//! Inputs are the committed seed corpus (`fuzz-corpus/`, one file per case) and mutations
//! of it, then generated ones. The run is bounded: `PROPTEST_CASES` cases per property
//! (256 by default here); CI runs the default. A failure prints its (shrunk) input; add it
//! to the corpus when it is fixed, and proptest also records it under `proptest-regressions/`.

use std::path::PathBuf;

use bytes::{Bytes, BytesMut};
use proptest::prelude::*;

use crate::codec::{Framing, Head, parse_head};
use crate::wire::{Chunked, Step, decode_chunked};

/// The seed files of one corpus directory, as bytes (`\n` in a seed file stands for itself;
/// seeds that need CRLF spell it out).
fn corpus(name: &str) -> Vec<Vec<u8>> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fuzz-corpus").join(name);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("corpus {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files.iter().map(|f| std::fs::read(f).unwrap()).collect()
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(256),
        ..Default::default()
    }
}

/// A mutation of a seed: bytes flipped, inserted (from the characters smuggling is made
/// of) or removed, lines doubled.
fn mutated(seeds: Vec<Vec<u8>>) -> impl Strategy<Value = Vec<u8>> {
    let alphabet =
        prop::sample::select(vec![b'\r', b'\n', b' ', b'\t', b':', b',', b'0', b'5', b'f', b'x', 0u8, 0x7f, 0xff]);
    (prop::sample::select(seeds), prop::collection::vec((any::<prop::sample::Index>(), 0u8..4, alphabet), 0..6))
        .prop_map(|(mut s, edits)| {
            for (at, op, byte) in edits {
                if s.is_empty() {
                    s.push(byte);
                    continue;
                }
                let i = at.index(s.len());
                match op {
                    0 => s[i] = byte,
                    1 => s.insert(i, byte),
                    2 => {
                        s.remove(i);
                    }
                    _ => {
                        // Double the line around `i`.
                        let start = s[..i].iter().rposition(|b| *b == b'\n').map_or(0, |p| p + 1);
                        let end = s[i..].iter().position(|b| *b == b'\n').map_or(s.len(), |p| i + p + 1);
                        let line = s[start..end].to_vec();
                        s.splice(end..end, line);
                    }
                }
            }
            s
        })
}

/// What a head parse decided, in a form both parsers can give.
#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    Refused,
    /// Method, target and how the body is delimited (Some(n): a length; None: chunked).
    Accepted(String, String, Option<u64>),
}

fn ours(raw: &[u8]) -> Option<Verdict> {
    let mut buf = BytesMut::from(raw);
    match parse_head(&mut buf) {
        Ok(Some(Head { method, uri, framing, .. })) => {
            let length = match framing {
                Framing::Length(n) => Some(n),
                Framing::Chunked => None,
                Framing::Tunnel => unreachable!("never parsed from a head"),
            };
            Some(Verdict::Accepted(method.to_string(), uri.to_string(), length))
        }
        Ok(None) => None,
        Err(_) => Some(Verdict::Refused),
    }
}

/// hyper's HTTP/1 server on the same bytes: what it answered, read back from a duplex pipe.
async fn hypers(raw: &[u8]) -> Verdict {
    use hyper::service::service_fn;
    use hyper_util::rt::TokioIo;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (mut client, server) = tokio::io::duplex(1 << 16);
    let svc = service_fn(|req: http::Request<hyper::body::Incoming>| async move {
        let length = http_body::Body::size_hint(req.body()).exact();
        let chunked = req.headers().get_all(http::header::TRANSFER_ENCODING).iter().next().is_some();
        let framing = if chunked { "chunked".to_string() } else { length.unwrap_or(0).to_string() };
        let body = format!("{}\n{}\n{}", req.method(), req.uri(), framing);
        Ok::<_, std::convert::Infallible>(http::Response::new(http_body_util::Full::new(Bytes::from(body))))
    });
    // Half-close: the request is complete once written, and the answer must still come.
    let conn = tokio::spawn(
        hyper::server::conn::http1::Builder::new().half_close(true).serve_connection(TokioIo::new(server), svc),
    );
    let _ = client.write_all(raw).await;
    let _ = client.shutdown().await;
    let mut out = Vec::new();
    let _ = tokio::time::timeout(std::time::Duration::from_secs(2), client.read_to_end(&mut out)).await;
    conn.abort();
    let text = String::from_utf8_lossy(&out);
    if !(text.starts_with("HTTP/1.1 200") || text.starts_with("HTTP/1.0 200")) {
        return Verdict::Refused;
    }
    // The first response only (a mutation can leave bytes hyper reads as a next request).
    let Some((head, rest)) = text.split_once("\r\n\r\n") else { return Verdict::Refused };
    let length = head
        .lines()
        .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length: ").and_then(|n| n.trim().parse().ok()))
        .unwrap_or(0usize);
    let body = rest.get(..length).unwrap_or(rest);
    let mut lines = body.split('\n');
    let (method, target, framing) =
        (lines.next().unwrap_or(""), lines.next().unwrap_or(""), lines.next().unwrap_or(""));
    let length = if framing == "chunked" { None } else { framing.parse().ok() };
    Verdict::Accepted(method.to_string(), target.to_string(), length)
}

proptest! {
    #![proptest_config(config())]

    /// Any bytes: the parser answers (a head, incomplete, or a refusal) and never panics;
    /// an accepted head leaves the rest of the buffer alone.
    #[test]
    fn the_head_parser_never_panics(raw in prop_oneof![mutated(corpus("http1-heads")), prop::collection::vec(any::<u8>(), 0..512)]) {
        let mut buf = BytesMut::from(&raw[..]);
        if let Ok(Some(_)) = parse_head(&mut buf) {
            prop_assert!(buf.len() < raw.len());
            prop_assert!(raw.ends_with(&buf));
        }
    }

    /// A chunked body, encoded with any chunk sizes, extensions and trailers and delivered in
    /// any split, decodes to its data; whatever follows it stays in the buffer.
    #[test]
    fn chunked_bodies_round_trip(
        data in prop::collection::vec(any::<u8>(), 0..2048),
        cuts in prop::collection::vec(1usize..300, 0..12),
        ext in any::<bool>(),
        trailer in any::<bool>(),
        step in 1usize..64,
    ) {
        let mut wire = Vec::new();
        let mut rest = &data[..];
        for c in cuts.iter().copied().chain(std::iter::repeat(usize::MAX)) {
            if rest.is_empty() {
                break;
            }
            let n = c.min(rest.len());
            wire.extend_from_slice(format!("{n:x}{}\r\n", if ext { ";a=1" } else { "" }).as_bytes());
            wire.extend_from_slice(&rest[..n]);
            wire.extend_from_slice(b"\r\n");
            rest = &rest[n..];
        }
        wire.extend_from_slice(if trailer { b"0\r\nx-sum: 1\r\n\r\n".as_slice() } else { b"0\r\n\r\n".as_slice() });
        wire.extend_from_slice(b"NEXT");
        let (mut state, mut buf, mut got, mut ended) = (Chunked::Size, BytesMut::new(), Vec::new(), false);
        for piece in wire.chunks(step) {
            buf.extend_from_slice(piece);
            loop {
                match decode_chunked(&mut state, &mut buf) {
                    Ok(Step::Data(d)) => got.extend_from_slice(&d),
                    Ok(Step::Trailers(t)) => { prop_assert!(trailer); prop_assert_eq!(&t["x-sum"], "1"); ended = true; break; }
                    Ok(Step::End) => { ended = true; break; }
                    Ok(Step::More) => break,
                    Err(e) => prop_assert!(false, "refused a valid body: {e}"),
                }
            }
            if ended {
                break;
            }
        }
        prop_assert!(ended);
        prop_assert_eq!(got, data);
        prop_assert!(b"NEXT".starts_with(&buf[..]));
    }

    /// Any bytes fed to the chunked decoder: data, an end, a wait or a refusal, no panic,
    /// and never more data than bytes fed.
    #[test]
    fn the_chunked_decoder_never_panics(raw in prop_oneof![mutated(corpus("chunked")), prop::collection::vec(any::<u8>(), 0..512)]) {
        let (mut state, mut buf, mut out) = (Chunked::Size, BytesMut::from(&raw[..]), 0usize);
        for _ in 0..raw.len() + 2 {
            match decode_chunked(&mut state, &mut buf) {
                Ok(Step::Data(d)) => out += d.len(),
                Ok(Step::More | Step::End | Step::Trailers(_)) | Err(_) => break,
            }
        }
        prop_assert!(out <= raw.len());
    }

    /// A snapshot from a confused or hostile control plane: any mutation of a real one either
    /// fails to parse, fails validation, or compiles; nothing panics.
    #[test]
    fn snapshots_are_refused_or_compiled_never_panic(raw in mutated(corpus("snapshots"))) {
        if let Ok(snap) = serde_json::from_slice::<marchproxy_model::snapshot::ClusterSnapshot>(&raw) {
            let _ = crate::runtime::Runtime::build(
                &snap,
                &crate::runtime::Registry::default(),
                &crate::shaping::Shaping::new(Some(100.0)),
                None,
                0,
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: (config().cases / 2).max(1), ..config() })]

    /// Differential: on smuggling-shaped requests (bare CR or LF, obs-fold, duplicate or
    /// conflicting framing fields, a space before the colon, Transfer-Encoding variants) we
    /// are never more lenient than hyper's HTTP/1 server, and where both accept, both see
    /// the same method, target and body framing.
    #[test]
    fn the_head_parser_is_never_more_lenient_than_hyper(raw in mutated(corpus("http1-heads"))) {
        let Some(mine) = ours(&raw) else { return Ok(()) };
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let theirs = rt.block_on(hypers(&raw));
        if let Verdict::Accepted(..) = mine {
            prop_assert_eq!(&mine, &theirs, "we accepted what hyper reads differently: {:?}", String::from_utf8_lossy(&raw));
        }
    }
}

/// Every seed of the head corpus, as is: the verdicts this suite pins (accepted with their
/// framing, or refused), so a parser change that flips one shows up here by name.
#[test]
fn the_head_corpus_verdicts() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fuzz-corpus/http1-heads");
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let raw = std::fs::read(&path).unwrap();
        let verdict = ours(&raw);
        let refused = name.starts_with("refuse-");
        assert_eq!(matches!(verdict, Some(Verdict::Refused)), refused, "{name}: {verdict:?}");
    }
}
