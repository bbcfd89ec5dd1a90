//! Configuration-change notifications.
//!
//! The database's per-cluster `config_version` is the source of truth. This module only
//! wakes long-polls early: a write transaction on this replica that bumped a version calls
//! [`ConfigEvents::changed`] when it commits (`store::WriteTx::commit`; nothing else calls
//! it); with `REDIS_URL`, the change is also published on a Redis channel so every other
//! replica wakes its long-polls at once. Without Redis (or while it is down), long-polls
//! still see other replicas' writes by re-checking the version every `config_recheck_ms`.
//!
//! It sits below the store (the `Db` handle carries a `ConfigEvents`) and knows nothing of
//! the API or the application state.

use std::time::Duration;

use tokio::sync::watch;

/// The Redis channel replicas publish changes on.
pub const CHANNEL: &str = "marchproxy:config-changed";

#[derive(Clone)]
pub struct ConfigEvents {
    tx: watch::Sender<u64>,
    /// Publisher connection (reconnects by itself), when Redis is configured.
    redis: Option<redis::aio::ConnectionManager>,
    /// This replica's id, so it ignores its own publications.
    origin: String,
}

impl std::fmt::Debug for ConfigEvents {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConfigEvents").field("origin", &self.origin).field("redis", &self.redis.is_some()).finish()
    }
}

impl Default for ConfigEvents {
    fn default() -> Self {
        Self::new()
    }
}

impl ConfigEvents {
    pub fn new() -> Self {
        Self { tx: watch::channel(0).0, redis: None, origin: crate::replica::holder_id() }
    }

    /// Publish and subscribe through Redis. Failing to connect is logged, not fatal: the
    /// database re-check keeps replicas correct, only slower.
    pub async fn with_redis(url: &str) -> Self {
        let mut me = Self::new();
        match redis::Client::open(url) {
            Ok(client) => {
                match tokio::time::timeout(Duration::from_secs(5), redis::aio::ConnectionManager::new(client.clone()))
                    .await
                {
                    Ok(Ok(conn)) => me.redis = Some(conn),
                    Ok(Err(e)) => {
                        tracing::warn!(error = %e, "Redis unavailable; replicas fall back to polling the database")
                    }
                    Err(_) => tracing::warn!("Redis connection timed out; replicas fall back to polling the database"),
                }
                tokio::spawn(listen(client, me.tx.clone(), me.origin.clone()));
            }
            Err(e) => tracing::warn!(error = %e, "invalid REDIS_URL; replicas fall back to polling the database"),
        }
        me
    }

    /// Something changed (any cluster).
    pub fn changed(&self) {
        self.tx.send_modify(|v| *v += 1);
        if let Some(conn) = &self.redis {
            let mut conn = conn.clone();
            let origin = self.origin.clone();
            tokio::spawn(async move {
                let r: redis::RedisResult<i64> =
                    redis::cmd("PUBLISH").arg(CHANNEL).arg(origin).query_async(&mut conn).await;
                if let Err(e) = r {
                    tracing::debug!(error = %e, "could not publish a config change");
                }
            });
        }
    }

    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.tx.subscribe()
    }

    pub fn uses_redis(&self) -> bool {
        self.redis.is_some()
    }
}

/// Wake local long-polls on other replicas' publications; reconnect with backoff.
async fn listen(client: redis::Client, tx: watch::Sender<u64>, origin: String) {
    use futures::StreamExt;
    let mut backoff = Duration::from_millis(200);
    loop {
        match client.get_async_pubsub().await {
            Ok(mut ps) => {
                if ps.subscribe(CHANNEL).await.is_ok() {
                    backoff = Duration::from_millis(200);
                    let mut stream = ps.on_message();
                    while let Some(msg) = stream.next().await {
                        let from: String = msg.get_payload().unwrap_or_default();
                        if from != origin {
                            tx.send_modify(|v| *v += 1);
                        }
                    }
                }
            }
            Err(e) => tracing::debug!(error = %e, "Redis subscription failed; retrying"),
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(10));
    }
}
