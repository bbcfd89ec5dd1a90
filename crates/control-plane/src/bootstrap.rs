//! First-start work: the secret key, the admin user and the default cluster.

use std::path::Path;

use anyhow::Context;
use marchproxy_license::{DISTRIBUTED_TRACING, LicenseManager};
use marchproxy_model::cluster::ClusterSpec;

use crate::auth::{Role, hash_password, password_problem, random_secret};
use crate::config::ServeConfig;
use crate::db::Db;
use crate::store::{self, StoreError};

/// The JWT secret: `SECRET_KEY`, or in development mode a generated one kept in the data
/// directory so tokens survive restarts. Release mode refuses to start without it.
pub fn secret_key(cfg: &ServeConfig) -> anyhow::Result<String> {
    if let Some(k) = cfg.secret_key.as_ref().filter(|k| !k.trim().is_empty()) {
        if cfg.release_mode && k.len() < 32 {
            anyhow::bail!("SECRET_KEY must be at least 32 characters in release mode");
        }
        return Ok(k.clone());
    }
    if cfg.release_mode {
        anyhow::bail!(
            "RELEASE_MODE=true requires SECRET_KEY (at least 32 random characters, e.g. `openssl rand -base64 48`); refusing to start"
        );
    }
    let path = cfg.data_dir.join("secret_key");
    load_or_create_secret(&path)
}

fn read_secret(path: &Path) -> Option<String> {
    std::fs::read_to_string(path).ok().map(|s| s.trim().to_string()).filter(|s| s.len() >= 32)
}

/// The development secret in `path`, created if there is none. Replicas (or processes)
/// starting together on one data directory agree on one secret: the new secret is written
/// whole to a temporary file and linked into place only if no secret exists yet (a link
/// either creates the complete file or fails), and a loser reads the winner's.
fn load_or_create_secret(path: &Path) -> anyhow::Result<String> {
    if let Some(s) = read_secret(path) {
        return Ok(s);
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let secret = random_secret(48);
    let tmp = path.with_extension(format!("tmp-{}-{:x}", std::process::id(), rand::random::<u32>()));
    write_private(&tmp, &secret).with_context(|| format!("writing {}", tmp.display()))?;
    let result = match std::fs::hard_link(&tmp, path) {
        Ok(()) => {
            tracing::info!(path = %path.display(), "generated a development SECRET_KEY");
            Ok(secret)
        }
        // Another process created it first: its secret, complete by construction. A file
        // too short to be a secret (edited by hand) is replaced.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => match read_secret(path) {
            Some(s) => Ok(s),
            None => std::fs::rename(&tmp, path).map(|()| secret).with_context(|| format!("writing {}", path.display())),
        },
        // A filesystem without hard links: move the file into place.
        Err(_) => std::fs::rename(&tmp, path).map(|()| secret).with_context(|| format!("writing {}", path.display())),
    };
    let _ = std::fs::remove_file(&tmp);
    result
}

#[cfg(unix)]
fn write_private(path: &Path, content: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(path)?;
    f.write_all(content.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, content: &str) -> std::io::Result<()> {
    std::fs::write(path, content)
}

/// What first start created, for the banner.
#[derive(Debug, Default)]
pub struct Bootstrapped {
    /// Set when a random admin password was generated (printed once).
    pub generated_admin_password: Option<String>,
    pub admin_created: bool,
    /// The default cluster's API key, when the cluster was created now.
    pub default_cluster_key: Option<String>,
}

/// Create what a first start needs. The starter tracing config is an enterprise object: it
/// is created only when the license includes distributed tracing.
pub async fn run(db: &Db, cfg: &ServeConfig, license: &LicenseManager) -> anyhow::Result<Bootstrapped> {
    let mut out = Bootstrapped::default();
    if store::users::user_count(db).await.map_err(|e| anyhow::anyhow!("{e}"))? == 0 {
        let password = match cfg.admin_password.as_ref().filter(|p| !p.is_empty()) {
            Some(p) => {
                if let Some(problem) = password_problem(p, &cfg.admin_user, cfg.release_mode) {
                    anyhow::bail!("MARCHPROXY_ADMIN_PASSWORD {problem}; refusing to create the admin user");
                }
                p.clone()
            }
            None => {
                let p = random_secret(15);
                out.generated_admin_password = Some(p.clone());
                p
            }
        };
        let hash = hash_password(password).await?;
        match store::users::create_user(db, &cfg.admin_user, &hash, Role::Admin).await {
            Ok(_) => out.admin_created = true,
            // Replicas started together on an empty database: another one was first.
            Err(StoreError::Conflict(_)) => {
                out.generated_admin_password = None;
                tracing::info!("the admin user was created by another replica");
            }
            Err(e) => anyhow::bail!("creating the admin user: {e}"),
        }
    }
    if store::clusters::list_clusters(db, &store::ListFilter { limit: 1, ..Default::default() })
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .1
        == 0
    {
        let created = store::clusters::create_cluster(
            db,
            &ClusterSpec { name: "default".into(), description: Some("Created on first start".into()) },
        )
        .await;
        let key = match created {
            Ok((_, key)) => key,
            Err(StoreError::Conflict(_)) => {
                tracing::info!("the default cluster was created by another replica");
                return Ok(out);
            }
            Err(e) => anyhow::bail!("creating the default cluster: {e}"),
        };
        out.default_cluster_key = Some(key);
        if cfg.starter_tracing && license.has_feature(DISTRIBUTED_TRACING) {
            starter_tracing(db, cfg).await?;
        }
    }
    Ok(out)
}

/// The starter tracing config: the default cluster's proxies export to this control
/// plane's own OTLP receiver, so traces are searchable with no Jaeger at all.
async fn starter_tracing(db: &Db, cfg: &ServeConfig) -> anyhow::Result<()> {
    let spec = marchproxy_model::tracing_config::TracingConfigSpec {
        name: "Built-in span store".into(),
        description: Some(
            "Created on first start: spans go to this control plane's OTLP receiver (/v1/traces).".into(),
        ),
        cluster_id: 1,
        backend: marchproxy_model::tracing_config::TracingBackend::Otlp,
        endpoint: format!("http://127.0.0.1:{}", cfg.listen.port()),
        exporter: marchproxy_model::tracing_config::SpanExporter::Http,
        sampling_strategy: marchproxy_model::tracing_config::SamplingStrategy::Adaptive,
        sampling_rate: 1.0,
        max_traces_per_second: Some(10),
        include_request_headers: false,
        include_response_headers: false,
        include_request_body: false,
        include_response_body: false,
        max_attribute_length: 512,
        service_name: "marchproxy".into(),
        custom_tags: None,
        query_url: None,
        enabled: true,
    };
    store::tracing_configs::create_tracing(db, &spec)
        .await
        .map_err(|e| anyhow::anyhow!("creating the starter tracing config: {e}"))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Processes racing to create the development secret all end up with the same one.
    #[test]
    fn racing_processes_agree_on_one_secret() {
        let dir = std::env::temp_dir().join(format!("mp-secret-{}-{:x}", std::process::id(), rand::random::<u32>()));
        let path = dir.join("secret_key");
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let path = path.clone();
                std::thread::spawn(move || load_or_create_secret(&path).unwrap())
            })
            .collect();
        let secrets: Vec<String> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        assert!(secrets.iter().all(|s| s == &secrets[0] && s.len() >= 32), "{secrets:?}");
        assert_eq!(read_secret(&path).as_deref(), Some(secrets[0].as_str()));
        // No temporary files left behind.
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
        // A file too short to be a secret is replaced.
        std::fs::write(&path, "short").unwrap();
        let fresh = load_or_create_secret(&path).unwrap();
        assert!(fresh.len() >= 32 && read_secret(&path) == Some(fresh));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
