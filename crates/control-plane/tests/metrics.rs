//! `GET /metrics`: what an SRE scrapes, fed by real requests, long-polls and exports.

mod common;

use std::time::Duration;

use common::*;
use reqwest::StatusCode;
use serde_json::json;

async fn scrape(app: &ControlPlane) -> String {
    let r = app.http.get(format!("{}/metrics", app.base)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
    r.text().await.unwrap()
}

/// The value of the sample whose name and labels are exactly `series`.
fn value(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_show_the_systems_state() {
    let app = ControlPlane::start().await;
    let sid = app.service("web", "web.example.com").await;
    for _ in 0..3 {
        app.get_ok(&format!("/api/v1/services/{sid}")).await;
    }
    assert_eq!(app.get("/api/v1/services/999999").await.0, StatusCode::NOT_FOUND);
    let text = scrape(&app).await;
    // Route templates, never raw paths: an id does not make a new series.
    let ok =
        r#"marchproxy_api_request_duration_seconds_count{method="GET",route="/api/v1/services/{id}",status="200"}"#;
    assert_eq!(value(&text, ok), Some(3.0), "{text}");
    let missing =
        r#"marchproxy_api_request_duration_seconds_count{method="GET",route="/api/v1/services/{id}",status="404"}"#;
    assert_eq!(value(&text, missing), Some(1.0));
    assert!(!text.contains("/api/v1/services/999999"));
    let inf = r#"marchproxy_api_request_duration_seconds_bucket{method="GET",route="/api/v1/services/{id}",status="200",le="+Inf"}"#;
    assert_eq!(value(&text, inf), Some(3.0));

    // State read at scrape time: configuration version, license, database.
    let version = app.version().await;
    assert_eq!(value(&text, r#"marchproxy_cluster_config_version{cluster_id="1"}"#), Some(version as f64));
    assert_eq!(
        value(&text, r#"marchproxy_license_info{tier="development",source="development",valid="true"}"#),
        Some(1.0)
    );
    assert_eq!(value(&text, r#"marchproxy_license_feature{feature="traffic_shaping"}"#), Some(1.0));
    assert_eq!(value(&text, "marchproxy_db_up"), Some(1.0));
    assert!(value(&text, r#"marchproxy_db_pool_connections{state="idle"}"#).is_some());

    // A waiting long-poll is counted while it waits.
    let poll = app
        .http
        .get(format!("{}/api/v1/proxy/config?version={version}&wait_seconds=3", app.base))
        .bearer_auth(&app.key)
        .send();
    let watch = async {
        tokio::time::sleep(Duration::from_millis(500)).await;
        value(&scrape(&app).await, "marchproxy_config_long_polls")
    };
    let (resp, during) = tokio::join!(poll, watch);
    assert_eq!(resp.unwrap().status(), StatusCode::NOT_MODIFIED);
    assert_eq!(during, Some(1.0));
    assert_eq!(value(&scrape(&app).await, "marchproxy_config_long_polls"), Some(0.0));

    // Exported spans are counted once stored.
    let start = chrono::Utc::now().timestamp_nanos_opt().unwrap();
    let body = json!({"resourceSpans": [{"resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "m"}}]},
        "scopeSpans": [{"spans": [{"traceId": "0af7651916cd43dd8448eb211c80319c", "spanId": "b7ad6b7169203331", "name": "GET /", "kind": 2,
            "startTimeUnixNano": start.to_string(), "endTimeUnixNano": (start + 1000).to_string()}]}]}]});
    assert_eq!(app.export_spans(&body).await.status(), StatusCode::OK);
    assert_eq!(value(&scrape(&app).await, "marchproxy_ingest_spans_stored_total"), Some(1.0));
    app.shutdown().await;
}
