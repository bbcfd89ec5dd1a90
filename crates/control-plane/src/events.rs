//! Configuration-change notifications.
//!
//! The database's per-cluster `config_version` is the source of truth. This module only
//! wakes waiters early: a write on this replica calls [`ConfigEvents::changed`]; writes on
//! other replicas arrive through Redis pub/sub when `REDIS_URL` is set, and otherwise are
//! noticed by the waiters' periodic re-check of the database version.

use tokio::sync::watch;

#[derive(Clone)]
pub struct ConfigEvents {
    tx: watch::Sender<u64>,
}

impl Default for ConfigEvents {
    fn default() -> Self {
        Self::new()
    }
}

impl ConfigEvents {
    pub fn new() -> Self {
        Self { tx: watch::channel(0).0 }
    }

    /// Something changed (any cluster).
    pub fn changed(&self) {
        self.tx.send_modify(|v| *v += 1);
    }

    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.tx.subscribe()
    }
}
