//! Tests against a license server that runs on loopback and speaks the contract.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use base64::Engine as _;

use super::*;

const KEY: &str = "PENG-TEST-TEST-TEST-TEST-ABCD";

#[derive(Default)]
struct FakeServer {
    down: AtomicBool,
    hits: AtomicUsize,
    reply: Mutex<serde_json::Value>,
}

async fn validate(
    State(s): State<Arc<FakeServer>>,
    headers: HeaderMap,
    Json(body): Json<serde_json::Value>,
) -> (StatusCode, Json<serde_json::Value>) {
    s.hits.fetch_add(1, Ordering::SeqCst);
    if s.down.load(Ordering::SeqCst) {
        return (StatusCode::SERVICE_UNAVAILABLE, Json(serde_json::json!({"error": "maintenance"})));
    }
    assert_eq!(body, serde_json::json!({"product": "marchproxy"}));
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(&format!("Bearer {KEY}")) {
        return (StatusCode::UNAUTHORIZED, Json(serde_json::json!({"valid": false})));
    }
    (StatusCode::OK, Json(s.reply.lock().unwrap().clone()))
}

async fn fake_server() -> (Arc<FakeServer>, String) {
    let state = Arc::new(FakeServer::default());
    *state.reply.lock().unwrap() = serde_json::json!({
        "valid": true, "tier": "enterprise",
        "features": ["traffic_shaping", {"name": "multi_cloud_routing", "entitled": true}, {"name": "distributed_tracing", "entitled": false}],
        "limits": {"max_proxies": 50},
        "expires_at": "2099-01-01T00:00:00Z"
    });
    let app = axum::Router::new().route("/api/v2/validate", post(validate)).with_state(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (state, url)
}

#[derive(Default)]
struct MemStore(Mutex<Option<PersistedValidation>>);

impl ValidationStore for MemStore {
    fn load(&self, key_hash: &str) -> BoxFuture<'_, Option<PersistedValidation>> {
        let v = self.0.lock().unwrap().clone().filter(|v| v.key_hash == key_hash);
        Box::pin(async move { v })
    }
    fn save(&self, v: PersistedValidation) -> BoxFuture<'_, ()> {
        *self.0.lock().unwrap() = Some(v);
        Box::pin(async {})
    }
}

fn settings(url: &str, key: Option<&str>) -> LicenseSettings {
    let mut s = LicenseSettings::new(true, key.map(str::to_string), url.to_string());
    s.http_timeout = Duration::from_secs(2);
    s
}

#[tokio::test]
async fn development_mode_grants_everything_without_asking() {
    let (srv, url) = fake_server().await;
    let m = LicenseManager::new(LicenseSettings::new(false, None, url), Arc::new(NoStore)).await;
    let st = m.status();
    assert_eq!(st.tier, Tier::Development);
    assert!(ENTERPRISE_FEATURES.iter().all(|f| st.has_feature(f)));
    assert_eq!(st.limits.max_proxies, None);
    assert_eq!(srv.hits.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn release_mode_without_key_is_community_with_three_proxies() {
    let (_srv, url) = fake_server().await;
    let m = LicenseManager::new(settings(&url, None), Arc::new(NoStore)).await;
    let st = m.status();
    assert_eq!((st.tier, st.source), (Tier::Community, Source::None));
    assert!(!m.has_feature(TRAFFIC_SHAPING));
    assert_eq!(m.max_proxies(), Some(3));
    // An empty or blank LICENSE_KEY (compose passes unset variables as "") is no key.
    for blank in ["", "  "] {
        let m = LicenseManager::new(settings(&url, Some(blank)), Arc::new(NoStore)).await;
        assert_eq!((m.status().tier, m.status().source), (Tier::Community, Source::None), "{blank:?}");
    }
}

#[tokio::test]
async fn malformed_key_is_rejected_before_any_network_call() {
    let (srv, url) = fake_server().await;
    let m = LicenseManager::new(settings(&url, Some("PENG-abc")), Arc::new(NoStore)).await;
    assert_eq!((m.status().tier, m.status().source), (Tier::Community, Source::Invalid));
    assert_eq!(srv.hits.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn valid_key_is_enterprise_with_entitled_features_only() {
    let (srv, url) = fake_server().await;
    let m = LicenseManager::new(settings(&url, Some(KEY)), Arc::new(NoStore)).await;
    let st = m.status();
    assert_eq!((st.tier, st.source), (Tier::Enterprise, Source::LicenseServer));
    assert_eq!(st.features, ["traffic_shaping", "multi_cloud_routing"]);
    assert_eq!(st.limits.max_proxies, Some(50));
    assert_eq!(st.key_hint.as_deref(), Some("PENG-****-****-****-****-ABCD"));
    assert!(!serde_json::to_string(&*st).unwrap().contains("TEST-TEST"));
    assert_eq!(srv.hits.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn wrong_key_and_invalid_answer_are_community() {
    let (srv, url) = fake_server().await;
    let m = LicenseManager::new(settings(&url, Some("PENG-AAAA-BBBB-CCCC-DDDD-EEEE")), Arc::new(NoStore)).await;
    assert_eq!(m.status().tier, Tier::Community);
    *srv.reply.lock().unwrap() = serde_json::json!({"valid": false});
    let m = LicenseManager::new(settings(&url, Some(KEY)), Arc::new(NoStore)).await;
    assert_eq!(m.status().tier, Tier::Community);
}

/// A license server, a persisting store, and a manager whose key validated as Enterprise.
async fn enterprise_with_store() -> (Arc<FakeServer>, String, Arc<MemStore>, Arc<LicenseManager>) {
    let (srv, url) = fake_server().await;
    let store = Arc::new(MemStore::default());
    let m = LicenseManager::new(settings(&url, Some(KEY)), store.clone()).await;
    assert_eq!(m.status().tier, Tier::Enterprise);
    (srv, url, store, m)
}

#[tokio::test]
async fn outage_keeps_enterprise_for_the_grace_period_then_downgrades() {
    let (srv, url, store, m) = enterprise_with_store().await;

    srv.down.store(true, Ordering::SeqCst);
    let st = m.refresh().await;
    assert_eq!((st.tier, st.source), (Tier::Enterprise, Source::GraceCache));
    assert!(st.has_feature(TRAFFIC_SHAPING));

    // A restart during the outage recovers the persisted validation.
    let fresh = LicenseManager::new(settings(&url, Some(KEY)), store.clone()).await;
    assert_eq!((fresh.status().tier, fresh.status().source), (Tier::Enterprise, Source::GraceCache));

    // 73 hours later, still down: Community.
    let mut late = settings(&url, Some(KEY));
    late.clock = Arc::new(|| Utc::now() + chrono::Duration::hours(73));
    let m2 = LicenseManager::new(late, store.clone()).await;
    assert_eq!(m2.status().tier, Tier::Community);

    // Back up: live answer again.
    srv.down.store(false, Ordering::SeqCst);
    assert_eq!(m.refresh().await.source, Source::LicenseServer);
}

#[tokio::test]
async fn a_rejection_is_not_undone_by_a_later_outage() {
    let (srv, url, store, m) = enterprise_with_store().await;

    // The vendor revokes the key, then the license server goes down.
    *srv.reply.lock().unwrap() = serde_json::json!({"valid": false});
    assert_eq!(m.refresh().await.tier, Tier::Community);
    srv.down.store(true, Ordering::SeqCst);
    let st = m.refresh().await;
    assert_eq!(st.tier, Tier::Community, "{:?}", st.message);
    assert!(!st.has_feature(TRAFFIC_SHAPING));
    // Nor by a restart during the outage: the rejection was persisted.
    let fresh = LicenseManager::new(settings(&url, Some(KEY)), store.clone()).await;
    assert_eq!(fresh.status().tier, Tier::Community);
}

/// Two replicas share the validation store. One learns the key was revoked; then the
/// license server becomes unreachable for both. The other replica must not keep Enterprise
/// from its own older good answer: the newer stored rejection wins.
#[tokio::test]
async fn a_rejection_stored_by_another_replica_beats_an_older_good_answer() {
    let (srv, url, store, a) = enterprise_with_store().await;
    let b = LicenseManager::new(settings(&url, Some(KEY)), store.clone()).await;
    assert_eq!(b.status().tier, Tier::Enterprise);
    *srv.reply.lock().unwrap() = serde_json::json!({"valid": false});
    assert_eq!(a.refresh().await.tier, Tier::Community);
    srv.down.store(true, Ordering::SeqCst);
    let st = b.refresh().await;
    assert_eq!(st.tier, Tier::Community, "{:?}", st.message);
}

#[tokio::test]
async fn a_401_rejection_is_not_undone_by_a_later_outage() {
    let (srv, url, store, _m) = enterprise_with_store().await;
    // A key with a good validation on record that the server now refuses with 401 (the
    // fake server accepts only KEY): the 401 replaces the record.
    let other = "PENG-AAAA-BBBB-CCCC-DDDD-EEEE";
    let good = store.0.lock().unwrap().clone().unwrap();
    store.save(PersistedValidation { key_hash: key_hash(other), ..good }).await;
    let m2 = LicenseManager::new(settings(&url, Some(other)), store.clone()).await;
    assert_eq!(m2.status().tier, Tier::Community);
    srv.down.store(true, Ordering::SeqCst);
    assert_eq!(m2.refresh().await.tier, Tier::Community);
}

#[tokio::test]
async fn unreachable_server_without_history_is_community() {
    let m = LicenseManager::new(settings("http://127.0.0.1:9", Some(KEY)), Arc::new(NoStore)).await;
    let st = m.status();
    assert_eq!(st.tier, Tier::Community);
    assert!(st.message.clone().unwrap().contains("unreachable"));
}

#[tokio::test]
async fn a_validation_dated_in_the_future_grants_no_grace() {
    let (srv, url, store, _m) = enterprise_with_store().await;
    // Someone with write access to the database moves the last good validation a year
    // ahead to stretch the 72 h grace period; then the license server is unreachable.
    let mut v = store.0.lock().unwrap().clone().unwrap();
    v.validated_at = Utc::now() + chrono::Duration::days(365);
    store.save(v.clone()).await;
    srv.down.store(true, Ordering::SeqCst);
    let m = LicenseManager::new(settings(&url, Some(KEY)), store.clone()).await;
    let st = m.status();
    assert_eq!(st.tier, Tier::Community, "{:?}", st.message);
    assert!(st.message.clone().unwrap().contains("dated in the future"), "{:?}", st.message);
    // A few seconds of clock difference between replicas is not tampering.
    v.validated_at = Utc::now() + chrono::Duration::seconds(30);
    store.save(v).await;
    let m = LicenseManager::new(settings(&url, Some(KEY)), store.clone()).await;
    assert_eq!((m.status().tier, m.status().source), (Tier::Enterprise, Source::GraceCache));
}

#[tokio::test]
async fn only_the_enterprise_tier_is_enterprise() {
    let (srv, url) = fake_server().await;
    for tier in [serde_json::json!("professional"), serde_json::json!("ENTERPRISE+"), serde_json::Value::Null] {
        *srv.reply.lock().unwrap() = serde_json::json!({"valid": true, "tier": tier, "features": ["traffic_shaping"]});
        let m = LicenseManager::new(settings(&url, Some(KEY)), Arc::new(NoStore)).await;
        let st = m.status();
        assert_eq!(st.tier, Tier::Community, "tier {tier}");
        assert!(!st.has_feature(TRAFFIC_SHAPING), "tier {tier}");
    }
    *srv.reply.lock().unwrap() =
        serde_json::json!({"valid": true, "tier": " Enterprise ", "features": ["traffic_shaping"]});
    let m = LicenseManager::new(settings(&url, Some(KEY)), Arc::new(NoStore)).await;
    assert_eq!(m.status().tier, Tier::Enterprise);
}

#[tokio::test]
async fn subscribers_see_every_re_evaluation() {
    let (srv, _url, _store, m) = enterprise_with_store().await;
    let mut rx = m.subscribe();
    assert!(rx.borrow_and_update().has_feature(TRAFFIC_SHAPING));
    *srv.reply.lock().unwrap() = serde_json::json!({"valid": false});
    m.refresh().await;
    assert!(rx.has_changed().unwrap());
    assert!(!rx.borrow_and_update().has_feature(TRAFFIC_SHAPING));
}

#[tokio::test]
async fn expired_license_is_community() {
    let (srv, url) = fake_server().await;
    *srv.reply.lock().unwrap() = serde_json::json!({"valid": true, "tier": "enterprise", "features": ["traffic_shaping"], "expires_at": "2001-01-01T00:00:00Z"});
    let m = LicenseManager::new(settings(&url, Some(KEY)), Arc::new(NoStore)).await;
    assert_eq!(m.status().tier, Tier::Community);
    assert!(m.status().message.clone().unwrap().contains("expired"));
}

fn offline(expires_in_days: i64) -> (ed25519_dalek::SigningKey, OfflineLicense) {
    let sk = ed25519_dalek::SigningKey::from_bytes(&[7u8; 32]);
    let payload = OfflinePayload {
        product: "marchproxy".into(),
        licensee: "ACME".into(),
        tier: "enterprise".into(),
        features: ENTERPRISE_FEATURES.iter().map(|s| s.to_string()).collect(),
        max_proxies: None,
        issued_at: Utc::now(),
        expires_at: Utc::now() + chrono::Duration::days(expires_in_days),
    };
    let doc = sign_offline(&payload, &sk);
    (sk, doc)
}

async fn with_file(doc: &OfflineLicense, pk: &ed25519_dalek::VerifyingKey) -> Arc<LicenseManager> {
    let dir = std::env::temp_dir().join(format!("mp-lic-{}", rand_suffix()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("license.json");
    std::fs::write(&path, serde_json::to_string(doc).unwrap()).unwrap();
    let mut s = settings("http://127.0.0.1:9", None);
    s.license_file = Some(path);
    s.public_key_b64 = Some(base64::engine::general_purpose::STANDARD.encode(pk.as_bytes()));
    LicenseManager::new(s, Arc::new(NoStore)).await
}

fn rand_suffix() -> String {
    format!("{:?}-{}", std::thread::current().id(), Utc::now().timestamp_nanos_opt().unwrap()).replace(['(', ')'], "")
}

#[tokio::test]
async fn offline_license_verifies_signature_and_expiry() {
    let (sk, doc) = offline(30);
    let m = with_file(&doc, &sk.verifying_key()).await;
    let st = m.status();
    assert_eq!((st.tier, st.source), (Tier::Enterprise, Source::OfflineFile));
    assert!(st.has_feature(DISTRIBUTED_TRACING));

    let other = ed25519_dalek::SigningKey::from_bytes(&[9u8; 32]);
    let m = with_file(&doc, &other.verifying_key()).await;
    assert_eq!((m.status().tier, m.status().source), (Tier::Community, Source::Invalid));

    let mut tampered = doc.clone();
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut p: serde_json::Value = serde_json::from_slice(&b64.decode(&doc.payload).unwrap()).unwrap();
    p["licensee"] = "EVIL".into();
    tampered.payload = b64.encode(serde_json::to_vec(&p).unwrap());
    let m = with_file(&tampered, &sk.verifying_key()).await;
    assert!(m.status().message.clone().unwrap().contains("signature"));

    let (sk, expired) = offline(-1);
    let m = with_file(&expired, &sk.verifying_key()).await;
    assert_eq!(m.status().tier, Tier::Community);
}

#[test]
fn key_format_and_hint() {
    assert!(key_format_ok(KEY));
    assert!(!key_format_ok("PENG-XXXX-XXXX-XXXX-XXXX"));
    assert!(!key_format_ok("peng-test-test-test-test-abcd"));
    assert_eq!(key_hint(KEY), "PENG-****-****-****-****-ABCD");
}

#[test]
fn default_public_key_is_a_valid_key() {
    let b = base64::engine::general_purpose::STANDARD.decode(DEFAULT_PUBLIC_KEY_B64).unwrap();
    let arr: [u8; 32] = b.try_into().unwrap();
    ed25519_dalek::VerifyingKey::from_bytes(&arr).unwrap();
}

#[tokio::test]
async fn the_license_client_follows_no_redirect_and_obeys_the_outbound_policy() {
    // A redirect to another server: not followed, so the key goes nowhere else.
    let (srv, target) = fake_server().await;
    let app = axum::Router::new().fallback(move || {
        let to = format!("{target}/api/v2/validate");
        async move { (StatusCode::TEMPORARY_REDIRECT, [("location", to)]) }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let redirector = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let m = LicenseManager::new(settings(&redirector, Some(KEY)), Arc::new(NoStore)).await;
    assert_eq!(m.status().tier, Tier::Community);
    assert_eq!(srv.hits.load(Ordering::SeqCst), 0, "the redirect was followed");

    // A metadata address is refused at once (a connection would wait for the 2 s timeout).
    let started = std::time::Instant::now();
    let m = LicenseManager::new(settings("http://169.254.169.254", Some(KEY)), Arc::new(NoStore)).await;
    let msg = m.status().message.clone().unwrap_or_default();
    assert!(msg.contains("refused by outbound policy: 169.254.169.254 is a cloud metadata address"), "{msg}");
    assert!(started.elapsed() < Duration::from_secs(1));
}
