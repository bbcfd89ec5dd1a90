//! Client-supplied text reaches the logs escaped: a user name or a proxy name with a
//! newline and a fake log line after it stays on its own log line.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use common::*;
use reqwest::StatusCode;
use serde_json::json;

/// Log output captured in memory (the text format `marchproxy serve` writes).
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

const FORGED: &str = "2026-01-01T00:00:00.000000Z  INFO api::auth: login succeeded user=admin";

/// The test's runtime is single-threaded, so the server's tasks log to this thread's
/// subscriber.
#[tokio::test]
async fn a_newline_in_client_text_cannot_forge_a_log_line() {
    let logs = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(logs.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::INFO)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let app = ControlPlane::start().await;

    let (s, _) = app.try_login(&format!("mallory\n{FORGED}"), "wrong").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let r = app
        .http
        .post(format!("{}/api/v1/proxy/register", app.base))
        .bearer_auth(&app.key)
        .json(&json!({"name": format!("edge-1\n{FORGED}"), "version": "1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    app.shutdown().await;

    let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    let failed: Vec<&str> = text.lines().filter(|l| l.contains("failed login")).collect();
    let registered: Vec<&str> = text.lines().filter(|l| l.contains("proxy registered")).collect();
    assert_eq!((failed.len(), registered.len()), (1, 1), "{text}");
    assert!(failed[0].contains(r"mallory\n2026-01-01T00:00:00"), "the name is logged escaped: {}", failed[0]);
    assert!(registered[0].contains(r"edge-1\n2026-01-01T00:00:00"), "{}", registered[0]);
    assert!(!text.lines().any(|l| l.starts_with("2026-01-01T00:00:00")), "a forged log line:\n{text}");
}
