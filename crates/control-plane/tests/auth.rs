//! Authentication, roles and brute-force protection.

mod common;

use common::*;
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn login_refresh_me_and_bearer_required() {
    let app = ControlPlane::start().await;
    let (s, body) = app.try_login("admin", "Correct-Horse-42").await;
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
        .json(&json!({"username": "admin", "password": "Correct-Horse-42"}))
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
    let (s, _) = app.try_login("admin", "Correct-Horse-42").await;
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

/// Logs in `user` and returns (access, refresh).
async fn session(app: &ControlPlane, user: &str, password: &str) -> (String, String) {
    let (s, b) = app.try_login(user, password).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    (b["access_token"].as_str().unwrap().into(), b["refresh_token"].as_str().unwrap().into())
}

async fn refresh(app: &ControlPlane, token: &str) -> StatusCode {
    app.call_as(None, Method::POST, "/api/v1/auth/refresh", Some(json!({"refresh_token": token}))).await.0
}

/// A demotion or a deletion takes effect on the user's next request, not when their
/// 30-minute access token expires.
#[tokio::test]
async fn demoted_and_deleted_users_lose_access_at_once() {
    let app = ControlPlane::start().await;
    let ada =
        app.post_ok("/api/v1/users", json!({"username": "ada", "password": "ada-strong-pw", "role": "admin"})).await;
    let ada_id = ada["id"].as_i64().unwrap();
    let (access, refresh_token) = session(&app, "ada", "ada-strong-pw").await;
    let write = || app.call_as(Some(&access), Method::POST, "/api/v1/clusters", Some(json!({"name": "ada-c"})));
    assert_eq!(write().await.0, StatusCode::CREATED);

    let (s, b) = app.call(Method::PATCH, &format!("/api/v1/users/{ada_id}"), Some(json!({"role": "viewer"}))).await;
    assert_eq!((s, b["role"].as_str()), (StatusCode::OK, Some("viewer")), "{b}");
    // The role change revoked ada's tokens (token version); a new login carries the new role.
    let (s, _) = app.call_as(Some(&access), Method::GET, "/api/v1/auth/me", None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(refresh(&app, &refresh_token).await, StatusCode::UNAUTHORIZED);
    let (viewer, viewer_refresh) = session(&app, "ada", "ada-strong-pw").await;
    let (s, _) = app.call_as(Some(&viewer), Method::POST, "/api/v1/clusters", Some(json!({"name": "ada-d"}))).await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    let (s, _) = app.delete(&format!("/api/v1/users/{ada_id}")).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = app.call_as(Some(&viewer), Method::GET, "/api/v1/clusters", None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "a deleted user's token stops at once");
    assert_eq!(refresh(&app, &viewer_refresh).await, StatusCode::UNAUTHORIZED);
    app.shutdown().await;
}

/// The last admin can be neither deleted nor demoted, also when two admins demote or
/// delete each other at the same moment.
#[tokio::test]
async fn the_last_admin_stays_an_admin() {
    let app = ControlPlane::start().await;
    let db = &app.running().state.db;
    let admins = || async {
        let all = marchproxy_control_plane::store::users::list_users(db).await.unwrap();
        all.into_iter().filter(|u| u.role == marchproxy_control_plane::auth::Role::Admin).collect::<Vec<_>>()
    };
    let me = app.get_ok("/api/v1/auth/me").await["id"].as_i64().unwrap();
    let (s, b) = app.call(Method::PATCH, &format!("/api/v1/users/{me}"), Some(json!({"role": "viewer"}))).await;
    assert_eq!(s, StatusCode::CONFLICT, "{b}");
    assert!(b["detail"].as_str().unwrap().contains("last admin"), "{b}");

    // Race 1: two admins demote each other. Race 2: two admins delete each other.
    for (round, method, body) in [(0, Method::PATCH, Some(json!({"role": "viewer"}))), (1, Method::DELETE, None)] {
        let survivor = admins().await.pop().unwrap();
        let survivor_token =
            app.login(&survivor.username, if survivor.id == me { "Correct-Horse-42" } else { "rival-strong-pw" }).await;
        let name = format!("rival{round}");
        let (s, rival) = app
            .call_as(
                Some(&survivor_token),
                Method::POST,
                "/api/v1/users",
                Some(json!({"username": name, "password": "rival-strong-pw", "role": "admin"})),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{rival}");
        let rival_id = rival["id"].as_i64().unwrap();
        let (rival_token, _) = session(&app, &name, "rival-strong-pw").await;
        let (rival_path, survivor_path) =
            (format!("/api/v1/users/{rival_id}"), format!("/api/v1/users/{}", survivor.id));
        let (s1, s2) = tokio::join!(
            app.call_as(Some(&survivor_token), method.clone(), &rival_path, body.clone()),
            app.call_as(Some(&rival_token), method.clone(), &survivor_path, body.clone()),
        );
        let wins = [s1.0, s2.0].iter().filter(|s| s.is_success()).count();
        assert_eq!(wins, 1, "exactly one wins: {s1:?} / {s2:?}");
        // The loser was refused (409), or its own token was revoked first (401).
        for (s, _) in [&s1, &s2].into_iter().filter(|(s, _)| !s.is_success()) {
            assert!(*s == StatusCode::CONFLICT || *s == StatusCode::UNAUTHORIZED, "{s}");
        }
        assert_eq!(admins().await.len(), 1, "round {round}");
    }
    app.shutdown().await;
}

#[tokio::test]
async fn password_change_and_logout_revoke_tokens() {
    let app = ControlPlane::start().await;
    app.post_ok("/api/v1/users", json!({"username": "cy", "password": "cy-first-pw", "role": "viewer"})).await;
    let (laptop, laptop_refresh) = session(&app, "cy", "cy-first-pw").await;
    let (phone, phone_refresh) = session(&app, "cy", "cy-first-pw").await;
    let change = |current: &str, new: &str| {
        app.call_as(
            Some(&laptop),
            Method::POST,
            "/api/v1/auth/password",
            Some(json!({"current_password": current, "new_password": new})),
        )
    };
    let (s, b) = change("wrong", "cy-second-pw").await;
    assert_eq!(
        (s, b["detail"][0]["loc"][1].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("current_password")),
        "{b}"
    );
    let (s, b) = change("cy-first-pw", "short").await;
    assert_eq!((s, b["detail"][0]["loc"][1].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("new_password")), "{b}");
    let (s, fresh) = change("cy-first-pw", "cy-second-pw").await;
    assert_eq!(s, StatusCode::OK, "{fresh}");
    // Every earlier token, on every device, is revoked; the answer's tokens work.
    for t in [&laptop, &phone] {
        assert_eq!(app.call_as(Some(t), Method::GET, "/api/v1/auth/me", None).await.0, StatusCode::UNAUTHORIZED);
    }
    for r in [&laptop_refresh, &phone_refresh] {
        assert_eq!(refresh(&app, r).await, StatusCode::UNAUTHORIZED);
    }
    let access = fresh["access_token"].as_str().unwrap();
    assert_eq!(app.call_as(Some(access), Method::GET, "/api/v1/auth/me", None).await.0, StatusCode::OK);
    assert_eq!(app.try_login("cy", "cy-first-pw").await.0, StatusCode::UNAUTHORIZED);

    // A refresh token works once.
    let (access, refresh_token) = session(&app, "cy", "cy-second-pw").await;
    assert_eq!(refresh(&app, &refresh_token).await, StatusCode::OK);
    assert_eq!(refresh(&app, &refresh_token).await, StatusCode::UNAUTHORIZED, "a spent refresh token");

    // Logout revokes the calling access token and the session's refresh token, and nothing else.
    let (other, _) = session(&app, "cy", "cy-second-pw").await;
    let (access2, refresh2) = session(&app, "cy", "cy-second-pw").await;
    let (s, _) = app
        .call_as(Some(&access2), Method::POST, "/api/v1/auth/logout", Some(json!({"refresh_token": refresh2})))
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(app.call_as(Some(&access2), Method::GET, "/api/v1/auth/me", None).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(refresh(&app, &refresh2).await, StatusCode::UNAUTHORIZED);
    assert_eq!(app.call_as(Some(&other), Method::GET, "/api/v1/auth/me", None).await.0, StatusCode::OK);
    let _ = access;
    // An admin can reset the password; that revokes the user's tokens too.
    let cy =
        app.get_ok("/api/v1/users").await.as_array().unwrap().iter().find(|u| u["username"] == "cy").unwrap().clone();
    let (s, b) = app.call(Method::PATCH, &format!("/api/v1/users/{}", cy["id"]), Some(json!({"password": "x"}))).await;
    assert_eq!((s, b["detail"][0]["loc"][1].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("password")), "{b}");
    app.ok(Method::PATCH, &format!("/api/v1/users/{}", cy["id"]), Some(json!({"password": "cy-reset-pw"}))).await;
    assert_eq!(app.call_as(Some(&other), Method::GET, "/api/v1/auth/me", None).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(app.try_login("cy", "cy-reset-pw").await.0, StatusCode::OK);
    app.shutdown().await;
}

/// Release mode refuses weak passwords: the bootstrap admin's (the server does not start)
/// and new users'.
#[tokio::test]
async fn release_mode_enforces_the_password_policy() {
    let mut cfg = config().await;
    cfg.release_mode = true;
    cfg.admin_password = Some("admin12345".into());
    let err = marchproxy_control_plane::start(cfg.clone()).await.err().expect("a weak bootstrap password is refused");
    assert!(err.to_string().contains("MARCHPROXY_ADMIN_PASSWORD"), "{err}");

    cfg.admin_password = Some("Correct-Horse-42".into());
    let app = ControlPlane::start_with(cfg).await;
    for weak in ["viewer-pass", "Password-1234", "Abcdefgh1"] {
        let (s, b) = app.post("/api/v1/users", json!({"username": "wes", "password": weak, "role": "viewer"})).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{weak}: {b}");
        assert_eq!(b["detail"][0]["loc"][1], "password");
    }
    let (s, b) =
        app.post("/api/v1/users", json!({"username": "wes", "password": "Wes-Strong-2026", "role": "viewer"})).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    app.shutdown().await;
}

/// Forty guesses in parallel: each is counted before its password is checked, so no more
/// than the five allowed are ever verified; the rest are refused with 429.
#[tokio::test]
async fn parallel_guesses_cannot_slip_past_the_lockout() {
    let app = ControlPlane::start().await;
    let guesses = (0..40).map(|i| {
        let app = &app;
        async move { app.try_login("admin", &format!("guess-{i}")).await.0 }
    });
    let statuses = futures::future::join_all(guesses).await;
    let verified = statuses.iter().filter(|s| **s == StatusCode::UNAUTHORIZED).count();
    let refused = statuses.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count();
    assert_eq!((verified, refused), (5, 35), "{statuses:?}");
    assert_eq!(app.try_login("admin", "Correct-Horse-42").await.0, StatusCode::TOO_MANY_REQUESTS);
    app.shutdown().await;
}

async fn login_from(app: &ControlPlane, forwarded_for: &str, user: &str, password: &str) -> StatusCode {
    app.http
        .post(format!("{}/api/v1/auth/login", app.base))
        .header("x-forwarded-for", forwarded_for)
        .json(&json!({"username": user, "password": password}))
        .send()
        .await
        .unwrap()
        .status()
}

/// `X-Forwarded-For` decides the client only from a trusted proxy: otherwise a client could
/// pick the address its failures count against (or dodge its own lockout).
#[tokio::test]
async fn forwarded_for_counts_only_from_trusted_proxies() {
    // Untrusted peer: the header is ignored, so changing it does not escape the lockout.
    let app = ControlPlane::start().await;
    for _ in 0..5 {
        assert_eq!(login_from(&app, "198.51.100.1", "admin", "nope").await, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(login_from(&app, "198.51.100.2", "admin", "Correct-Horse-42").await, StatusCode::TOO_MANY_REQUESTS);
    app.shutdown().await;

    // Behind a trusted ingress (here: loopback), each client has its own count: one attacker
    // locks out only themself, and cannot lock out every user by guessing at all of them.
    let mut cfg = config().await;
    cfg.trusted_proxies = "127.0.0.1/32".parse().unwrap();
    let app = ControlPlane::start_with(cfg).await;
    for i in 0..25 {
        let s = login_from(&app, "203.0.113.66", &format!("user{i}"), "nope").await;
        assert!(s == StatusCode::UNAUTHORIZED || s == StatusCode::TOO_MANY_REQUESTS, "{s}");
    }
    assert_eq!(login_from(&app, "203.0.113.66", "admin", "Correct-Horse-42").await, StatusCode::TOO_MANY_REQUESTS);
    // The client prepends a victim's address: the right-most untrusted hop still counts.
    assert_eq!(
        login_from(&app, "198.51.100.9, 203.0.113.66", "admin", "Correct-Horse-42").await,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(login_from(&app, "198.51.100.9", "admin", "Correct-Horse-42").await, StatusCode::OK);

    // A proxy that appends its own X-Forwarded-For line after the client's: the client's
    // forged first line must not pick the address (the right-most line counts).
    let two_lines = |forged: &str| {
        app.http
            .post(format!("{}/api/v1/auth/login", app.base))
            .header("x-forwarded-for", forged.to_string())
            .header("x-forwarded-for", "203.0.113.77")
            .json(&json!({"username": "nobody", "password": "nope"}))
            .send()
    };
    for i in 0..25 {
        let s = two_lines(&format!("192.0.2.{i}")).await.unwrap().status();
        assert!(s == StatusCode::UNAUTHORIZED || s == StatusCode::TOO_MANY_REQUESTS, "{s}");
    }
    assert_eq!(
        two_lines("192.0.2.200").await.unwrap().status(),
        StatusCode::TOO_MANY_REQUESTS,
        "the attacker's own address was locked, whatever the forged line said"
    );
    app.shutdown().await;
}

/// Old login-attempt rows and revocations of expired tokens are pruned; live locks stay.
#[tokio::test]
async fn expired_login_attempts_are_pruned() {
    let app = ControlPlane::start().await;
    let db = &app.running().state.db;
    for i in 0..3 {
        app.try_login(&format!("ghost{i}"), "nope").await;
    }
    for _ in 0..6 {
        app.try_login("admin", "nope").await;
    }
    // With a zero window every unlocked row is stale; the admin's lock is still running.
    let removed = marchproxy_control_plane::store::users::prune(db, 0).await.unwrap();
    assert!(removed >= 3, "removed {removed}");
    assert_eq!(app.try_login("admin", "Correct-Horse-42").await.0, StatusCode::TOO_MANY_REQUESTS, "the lock survives");
    app.shutdown().await;
}

/// A stolen access token is no way to brute-force the password behind it: wrong current
/// passwords on POST /auth/password count like failed logins and lock out.
#[tokio::test]
async fn guessing_the_current_password_is_limited() {
    let app = ControlPlane::start().await;
    app.post_ok("/api/v1/users", json!({"username": "dee", "password": "dee-first-pw", "role": "viewer"})).await;
    let (token, _) = session(&app, "dee", "dee-first-pw").await;
    let change = |current: String| {
        app.call_as(
            Some(&token),
            Method::POST,
            "/api/v1/auth/password",
            Some(json!({"current_password": current, "new_password": "dee-second-pw"})),
        )
    };
    for i in 0..5 {
        assert_eq!(change(format!("guess-{i}")).await.0, StatusCode::UNPROCESSABLE_ENTITY);
    }
    assert_eq!(change("guess-5".into()).await.0, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(change("dee-first-pw".into()).await.0, StatusCode::TOO_MANY_REQUESTS, "locked, even with the right one");
    app.shutdown().await;
}
