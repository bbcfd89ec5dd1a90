//! The MarchProxy control plane: REST API, storage, authentication, license gate,
//! health monitor and configuration distribution to proxies.
//!
//! Layout, lower layers first (a module uses only modules listed before it; `api` and this
//! file use them all):
//! - [`config`]: `serve` settings (flags and environment).
//! - [`replica`]: this replica's identity (lease holder, origin of published changes).
//! - [`events`]: wakes proxies' config long-polls (in-process, and across replicas through
//!   Redis) when a configuration change commits.
//! - [`db`]: the `sqlx::Any` pool (SQLite or PostgreSQL) and migrations; the [`db::Db`]
//!   handle carries the [`events::ConfigEvents`].
//! - [`auth`]: password hashes, JWTs, the login brute-force policy.
//! - [`qos_share`]: how a cluster-wide bandwidth limit is shared among proxies (pure).
//! - [`store`]: every SQL statement, one module per resource; a write transaction that
//!   bumps a `config_version` wakes the long-polls when it commits; the snapshot is read in
//!   one read transaction. Nothing else knows SQL.
//! - [`snapshot_cache`]: one encoded snapshot per cluster version, built once for all the
//!   cluster's waiting proxies.
//! - [`span_ingest`]: the bounded queue and single writer in front of the span store.
//! - [`metrics`]: the counters behind `GET /metrics` (served, with the request layer that
//!   feeds them, by `api::metrics`).
//! - [`state`]: [`state::AppState`], shared by the handlers and the background tasks, and
//!   the license gate.
//! - [`license_store`]: the license crate's validation store, on the database, and the
//!   served entitlement kept in step with the license.
//! - [`bootstrap`]: first-start work (secret, admin, default cluster). [`admin_cli`]: the
//!   `marchproxy admin` commands, on the database.
//! - [`health`]: the health monitor (probes, thresholds, the probing lease);
//!   [`grpc_probe`]: its `grpc.health.v1` probe.
//! - [`housekeeping`]: pruning of expired login attempts, revoked tokens and QoS leases.
//! - [`drill`]: live failover drills. [`tracing_test`]: test spans. [`query_backends`]: span
//!   search in Jaeger and Zipkin.
//! - [`api`]: the HTTP layer, one router per resource, the OpenAPI document, `ApiError` (the
//!   one error → status map) and the extractors. Only `api` (and [`web`], [`http_server`],
//!   and the app assembly here) knows HTTP.
//! - [`web`]: the embedded web UI.
//! - [`http_server`]: the HTTP server (hyper) with its timeouts and connection cap.
#![forbid(unsafe_code)]

pub mod admin_cli;
pub mod api;
pub mod auth;
pub mod bootstrap;
pub mod config;
pub mod db;
pub mod drill;
pub mod events;
pub mod grpc_probe;
pub mod health;
pub mod housekeeping;
pub mod http_server;
pub mod license_store;
pub mod metrics;
pub mod qos_share;
pub mod query_backends;
pub mod replica;
pub mod snapshot_cache;
pub mod span_ingest;
pub mod state;
pub mod store;
pub mod tracing_test;
pub mod web;

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use axum::Router;
use axum::routing::get;
use marchproxy_license::{LicenseManager, LicenseSettings};
use tokio::net::TcpListener;
use utoipa_swagger_ui::SwaggerUi;

pub use config::ServeConfig;
use state::{AppState, Inner};

/// A running control plane.
pub struct Running {
    pub addr: SocketAddr,
    pub state: AppState,
    pub bootstrapped: bootstrap::Bootstrapped,
    shutdown: tokio::sync::watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
    /// Background work stopped at shutdown (health monitor, ...).
    background: Vec<tokio::task::JoinHandle<()>>,
}

impl Running {
    /// Stop accepting, finish in-flight requests, and return.
    pub async fn shutdown(self) {
        for b in &self.background {
            b.abort();
        }
        let _ = self.state.closing.send(true);
        let _ = self.shutdown.send(true);
        let _ = self.task.await;
    }

    /// Shut down gracefully, as on SIGTERM: `/readyz` turns 503 at once; after `delay`
    /// (time for load balancers to notice) long-polls answer 304, the listener closes and
    /// requests in progress finish; after `grace` more, whatever is left is cut. Returns
    /// whether everything finished within `grace`.
    pub async fn drain(self, delay: std::time::Duration, grace: std::time::Duration) -> bool {
        self.state.draining.store(true, std::sync::atomic::Ordering::Relaxed);
        tracing::info!(
            delay_s = delay.as_secs_f64(),
            grace_s = grace.as_secs_f64(),
            "draining: readiness is now false"
        );
        tokio::time::sleep(delay).await;
        for b in &self.background {
            b.abort();
        }
        let _ = self.state.closing.send(true);
        let _ = self.shutdown.send(true);
        let mut task = self.task;
        match tokio::time::timeout(grace, &mut task).await {
            Ok(_) => true,
            Err(_) => {
                tracing::warn!("connections still open after the shutdown grace period; closing them");
                task.abort();
                false
            }
        }
    }

    /// Wait until the server stops (after a signal handled by the caller).
    pub fn trigger_shutdown(&self) {
        let _ = self.shutdown.send(true);
    }

    pub async fn wait(self) {
        let _ = self.task.await;
    }
}

/// How to validate the license, from `serve`'s settings.
pub fn license_settings(cfg: &ServeConfig) -> LicenseSettings {
    let mut ls = LicenseSettings::new(cfg.release_mode, cfg.license_key.clone(), cfg.license_server_url.clone());
    ls.outbound = cfg.outbound.policy();
    ls.license_file = cfg.license_file.clone();
    ls.public_key_b64 = cfg.license_public_key.clone();
    ls
}

/// Build the state: connect and migrate the database, validate the license, bootstrap, and
/// record the entitlement the snapshots carry. Background tasks start in [`start`].
pub async fn build_state(cfg: ServeConfig) -> anyhow::Result<(AppState, bootstrap::Bootstrapped)> {
    let secret = bootstrap::secret_key(&cfg)?;
    let events = match cfg.redis_url.as_deref().filter(|u| !u.trim().is_empty()) {
        Some(url) => events::ConfigEvents::with_redis(url).await,
        None => events::ConfigEvents::new(),
    };
    let db = db::Db::connect(&cfg.database_url(), events).await?;
    let outbound = cfg.outbound.policy();
    tracing::info!(policy = %outbound, "outbound policy");
    let license =
        LicenseManager::new(license_settings(&cfg), Arc::new(license_store::DbValidationStore(db.clone()))).await;
    let boot = bootstrap::run(&db, &cfg, &license).await?;
    license_store::sync_entitlement(&db, &license).await?;
    let http = outbound
        .http_client(reqwest::Client::builder().timeout(std::time::Duration::from_secs(10)))
        .context("building HTTP client")?;
    let ingest = span_ingest::SpanIngest::start(
        db.clone(),
        store::spans::SpanStoreLimits { max_rows: cfg.ingest.store_max_rows, max_bytes: cfg.ingest.store_max_bytes },
        cfg.ingest.queue_bytes,
    );
    let probe_slots = cfg.health_max_concurrent_probes.max(1);
    let state = AppState::new(Inner {
        db,
        auth: auth::AuthKeys::new(secret.as_bytes()),
        login_policy: auth::LoginPolicy::default(),
        license,
        config: cfg,
        outbound,
        http,
        closing: tokio::sync::watch::channel(false).0,
        draining: std::sync::atomic::AtomicBool::new(false),
        ingest,
        metrics: metrics::Metrics::default(),
        snapshots: snapshot_cache::SnapshotCache::default(),
        probe_slots: tokio::sync::Semaphore::new(probe_slots),
    });
    Ok((state, boot))
}

/// Apply the database migrations to `database_url` (`marchproxy migrate`: a separate step
/// for a Kubernetes Job or init container; `serve` also migrates on start). Safe to run
/// concurrently and more than once.
pub async fn migrate(database_url: &str) -> anyhow::Result<()> {
    let db = db::Db::connect(database_url, events::ConfigEvents::new()).await?;
    db.pool.close().await;
    Ok(())
}

/// CORS for the web UI running standalone on another origin (only the configured origins).
fn cors(origins: &[String]) -> tower_http::cors::CorsLayer {
    use axum::http::{HeaderValue, Method, header};
    let allowed: Vec<HeaderValue> =
        origins.iter().filter_map(|o| HeaderValue::from_str(o.trim().trim_end_matches('/')).ok()).collect();
    tower_http::cors::CorsLayer::new()
        .allow_origin(allowed)
        .allow_methods([Method::GET, Method::POST, Method::PUT, Method::PATCH, Method::DELETE, Method::OPTIONS])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
        .expose_headers([header::HeaderName::from_static("x-total-count"), header::RETRY_AFTER])
}

/// The whole HTTP application.
pub fn app(state: AppState) -> Router {
    let (api, _) = api::router();
    let web_dir = state.config.web_dir.clone();
    let cors = cors(&state.config.cors_origins);
    let request_timeout =
        http_server::RequestTimeout(std::time::Duration::from_secs(state.config.http.request_timeout_seconds.max(1)));
    Router::new()
        .merge(api)
        .merge(
            SwaggerUi::new("/api/v1/docs")
                .external_url_unchecked("/api/v1/openapi.json", api::openapi::document().clone()),
        )
        .route("/api", get(api::api_not_found))
        .route("/api/{*rest}", axum::routing::any(api::api_not_found))
        .fallback(move |uri| web::serve(web_dir.clone(), uri))
        .method_not_allowed_fallback(api::method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(request_timeout, http_server::request_deadline))
        .layer(axum::middleware::from_fn_with_state(state.clone(), api::metrics::track))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .layer(cors)
        .layer(axum::extract::DefaultBodyLimit::max(4 * 1024 * 1024))
        .with_state(state)
}

/// Start the control plane on `cfg.listen` (the bound address, port 0 resolved, is then
/// `state.config.listen`).
pub async fn start(mut cfg: ServeConfig) -> anyhow::Result<Running> {
    let listen = cfg.listen;
    let listener = TcpListener::bind(listen).await.with_context(|| format!("binding {listen}"))?;
    let addr = listener.local_addr()?;
    cfg.listen = addr;
    let limits = http_server::ServerLimits::from_config(&cfg.http);
    let (state, bootstrapped) = build_state(cfg).await?;
    let app = app(state.clone());
    let (tx, rx) = tokio::sync::watch::channel(false);
    let task = tokio::spawn(http_server::serve(listener, app, limits, rx));
    let background = vec![
        health::spawn(state.clone(), replica::holder_id()),
        state.license.spawn_refresher(),
        license_store::spawn_entitlement_sync(state.db.clone(), state.license.clone()),
        housekeeping::spawn(state.clone()),
    ];
    Ok(Running { addr, state, bootstrapped, shutdown: tx, task, background })
}
