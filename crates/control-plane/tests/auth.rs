//! Authentication, roles and brute-force protection.

mod common;

use common::*;
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn login_refresh_me_and_bearer_required() {
    let app = ControlPlane::start().await;
    let (s, body) = app.try_login("admin", "admin-password").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["expires_in"], 1800);
    let refresh = body["refresh_token"].as_str().unwrap().to_string();

    let (s, me) = app.get("/api/v1/auth/me").await;
    assert_eq!((s, me["username"].as_str(), me["role"].as_str()), (StatusCode::OK, Some("admin"), Some("admin")));
    assert!(me.get("password_hash").is_none());

    let (s, again) =
        app.call_as(None, Method::POST, "/api/v1/auth/refresh", Some(json!({"refresh_token": refresh}))).await;
    assert_eq!(s, StatusCode::OK);
    // A refresh token is not an access token and vice versa.
    let (s, _) = app.call_as(Some(&refresh), Method::GET, "/api/v1/auth/me", None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _) =
        app.call_as(None, Method::POST, "/api/v1/auth/refresh", Some(json!({"refresh_token": app.token}))).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _) = app.call_as(again["access_token"].as_str(), Method::GET, "/api/v1/auth/me", None).await;
    assert_eq!(s, StatusCode::OK);

    for path in [
        "/api/v1/auth/me",
        "/api/v1/clusters",
        "/api/v1/traffic-shaping/policies",
        "/api/v1/multi-cloud/routes",
        "/api/v1/observability/tracing",
        "/api/v1/license/status",
    ] {
        let (s, body) = app.call_as(None, Method::GET, path, None).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(body["detail"], "Not authenticated");
        let (s, _) = app.call_as(Some("not.a.jwt"), Method::GET, path, None).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{path}");
    }
    // Public endpoints.
    for path in ["/healthz", "/readyz", "/api/v1/openapi.json"] {
        let (s, _) = app.call_as(None, Method::GET, path, None).await;
        assert_eq!(s, StatusCode::OK, "{path}");
    }
    app.shutdown().await;
}

#[tokio::test]
async fn wrong_password_is_401_and_repeated_failures_lock_out() {
    let app = ControlPlane::start().await;
    for _ in 0..5 {
        let (s, b) = app.try_login("admin", "nope").await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{b}");
    }
    // Locked now, even with the right password.
    let resp = app
        .http
        .post(format!("{}/api/v1/auth/login", app.base))
        .json(&json!({"username": "admin", "password": "admin-password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = resp.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(retry > 0 && retry <= 900);
    // Unknown users fail the same way.
    let (s, _) = app.try_login("ghost", "x").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    app.shutdown().await;
}

/// A burst of parallel guesses counts every guess: the failure counter is one atomic upsert,
/// not a read-then-write that parallel requests would overwrite.
#[tokio::test]
async fn parallel_wrong_passwords_all_count_toward_the_lockout() {
    let app = ControlPlane::start().await;
    let guesses = (0..5).map(|i| {
        let app = &app;
        async move { app.try_login("admin", &format!("guess-{i}")).await }
    });
    for (s, b) in futures::future::join_all(guesses).await {
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{b}");
    }
    let (s, _) = app.try_login("admin", "admin-password").await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
    app.shutdown().await;
}

#[tokio::test]
async fn viewers_read_but_cannot_write() {
    let app = ControlPlane::start().await;
    let sid = app.service("web", "web.example.com").await;
    let (s, b) =
        app.post("/api/v1/users", json!({"username": "vera", "password": "viewer-pass", "role": "viewer"})).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let (s, _) =
        app.post("/api/v1/users", json!({"username": "vera", "password": "viewer-pass", "role": "viewer"})).await;
    assert_eq!(s, StatusCode::CONFLICT);
    let viewer = app.login("vera", "viewer-pass").await;
    let (s, _) = app.call_as(Some(&viewer), Method::GET, "/api/v1/traffic-shaping/policies", None).await;
    assert_eq!(s, StatusCode::OK);
    let writes = [
        (Method::POST, "/api/v1/traffic-shaping/policies".to_string(), Some(qos_example(sid))),
        (
            Method::POST,
            "/api/v1/services".to_string(),
            Some(json!({"name": "x", "cluster_id": 1, "hostnames": ["x.io"], "protocol": "http"})),
        ),
        (Method::DELETE, format!("/api/v1/services/{sid}"), None),
        (Method::POST, "/api/v1/clusters".to_string(), Some(json!({"name": "c2"}))),
        (Method::GET, "/api/v1/users".to_string(), None),
    ];
    for (m, p, b) in writes {
        let (s, body) = app.call_as(Some(&viewer), m.clone(), &p, b).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{m} {p}: {body}");
    }
    app.shutdown().await;
}

#[tokio::test]
async fn release_mode_refuses_to_start_without_secret_key() {
    let mut cfg = config().await;
    cfg.release_mode = true;
    cfg.secret_key = None;
    let err = marchproxy_control_plane::start(cfg).await.err().expect("must refuse");
    assert!(err.to_string().contains("SECRET_KEY"), "{err}");
}

#[tokio::test]
async fn development_secret_survives_restarts() {
    let mut cfg = config().await;
    cfg.secret_key = None;
    let app = ControlPlane::start_with(cfg.clone()).await;
    let token = app.token.clone();
    app.shutdown().await;
    let app = ControlPlane::start_with(cfg).await;
    let (s, _) = app.call_as(Some(&token), Method::GET, "/api/v1/auth/me", None).await;
    assert_eq!(s, StatusCode::OK, "a token from before the restart still works");
    app.shutdown().await;
}

#[tokio::test]
async fn cors_admits_only_configured_origins() {
    let mut cfg = config().await;
    cfg.cors_origins = vec!["http://localhost:5173".into()];
    let app = ControlPlane::start_with(cfg).await;
    let preflight = |origin: &'static str| {
        app.http
            .request(Method::OPTIONS, format!("{}/api/v1/traffic-shaping/policies", app.base))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "authorization,content-type")
            .send()
    };
    let ok = preflight("http://localhost:5173").await.unwrap();
    assert_eq!(ok.headers().get("access-control-allow-origin").unwrap(), "http://localhost:5173");
    let other = preflight("https://evil.example").await.unwrap();
    assert!(other.headers().get("access-control-allow-origin").is_none());
    app.shutdown().await;
}
