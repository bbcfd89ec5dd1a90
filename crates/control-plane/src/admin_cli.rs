//! `marchproxy admin …`: the operator's tasks that otherwise need curl and a token, run
//! against the database directly (a running server is not needed, and a second replica or
//! a running `serve` sees the change at once): create a user, reset a password, change a
//! role, rotate a cluster's API key, print the license status.

use std::io::BufRead;

use anyhow::Context;
use marchproxy_license::LicenseManager;

use crate::auth::{Role, hash_password, password_problem, random_secret, username_problem};
use crate::config::ServeConfig;
use crate::db::Db;
use crate::events::ConfigEvents;
use crate::store::users::{self, UserChange};
use crate::{license_store, store};

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum RoleArg {
    Admin,
    Viewer,
}

impl From<RoleArg> for Role {
    fn from(r: RoleArg) -> Role {
        match r {
            RoleArg::Admin => Role::Admin,
            RoleArg::Viewer => Role::Viewer,
        }
    }
}

#[derive(Debug, clap::Subcommand)]
pub enum AdminCommand {
    /// List the users.
    ListUsers,
    /// Create a user. The password is read from stdin with --password-stdin, else generated
    /// and printed once.
    CreateUser {
        username: String,
        #[arg(long, value_enum, default_value = "viewer")]
        role: RoleArg,
        #[arg(long)]
        password_stdin: bool,
    },
    /// Set a user's password (read from stdin with --password-stdin, else generated and
    /// printed once). The user's tokens stop working.
    ResetPassword {
        username: String,
        #[arg(long)]
        password_stdin: bool,
    },
    /// Change a user's role (not the last admin's). The user's tokens stop working.
    SetRole {
        username: String,
        #[arg(value_enum)]
        role: RoleArg,
    },
    /// Issue a new API key for a cluster and print it once; the old key stops working, so
    /// update the cluster's proxies (MARCHPROXY_CLUSTER_API_KEY).
    RotateClusterKey { cluster_id: i64 },
    /// Validate the license as `serve` would and print its status as JSON.
    License,
}

fn read_password(from_stdin: bool) -> anyhow::Result<(String, bool)> {
    if !from_stdin {
        return Ok((random_secret(15), true));
    }
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).context("reading the password from stdin")?;
    Ok((line.trim_end_matches(['\r', '\n']).to_string(), false))
}

/// Run one admin command; what it prints is the command's answer.
pub async fn run(cfg: ServeConfig, cmd: AdminCommand) -> anyhow::Result<()> {
    let db = Db::connect(&cfg.database_url(), ConfigEvents::new()).await?;
    let err = |e: store::StoreError| anyhow::anyhow!("{e}");
    match cmd {
        AdminCommand::ListUsers => {
            for u in users::list_users(&db).await.map_err(err)? {
                println!("{}\t{}\t{}", u.id, u.username, u.role.as_str());
            }
        }
        AdminCommand::CreateUser { username, role, password_stdin } => {
            let username = username.trim().to_string();
            if let Some(p) = username_problem(&username) {
                anyhow::bail!("the user name {p}");
            }
            let (password, generated) = read_password(password_stdin)?;
            if let Some(p) = password_problem(&password, &username, cfg.release_mode) {
                anyhow::bail!("the password {p}");
            }
            let user = users::create_user(&db, username.trim(), &hash_password(password.clone()).await?, role.into())
                .await
                .map_err(err)?;
            println!("created user `{}` (id {}, {})", user.username, user.id, user.role.as_str());
            if generated {
                println!("password: {password}");
            }
        }
        AdminCommand::ResetPassword { username, password_stdin } => {
            let (user, _) = users::user_by_name(&db, &username).await.map_err(err)?.context("no such user")?;
            let (password, generated) = read_password(password_stdin)?;
            if let Some(p) = password_problem(&password, &user.username, cfg.release_mode) {
                anyhow::bail!("the password {p}");
            }
            let hash = hash_password(password.clone()).await?;
            users::update_user(&db, user.id, &UserChange { role: None, password_hash: Some(&hash) })
                .await
                .map_err(err)?;
            println!("password of `{}` reset; their tokens are revoked", user.username);
            if generated {
                println!("password: {password}");
            }
        }
        AdminCommand::SetRole { username, role } => {
            let (user, _) = users::user_by_name(&db, &username).await.map_err(err)?.context("no such user")?;
            let user = users::update_user(&db, user.id, &UserChange { role: Some(role.into()), password_hash: None })
                .await
                .map_err(err)?;
            println!("`{}` is now {}", user.username, user.role.as_str());
        }
        AdminCommand::RotateClusterKey { cluster_id } => {
            let key = store::clusters::rotate_cluster_key(&db, cluster_id).await.map_err(err)?;
            println!("{key}");
        }
        AdminCommand::License => {
            let license = LicenseManager::new(
                crate::license_settings(&cfg),
                std::sync::Arc::new(license_store::DbValidationStore(db.clone())),
            )
            .await;
            println!("{}", serde_json::to_string_pretty(&*license.status())?);
        }
    }
    db.pool.close().await;
    Ok(())
}
