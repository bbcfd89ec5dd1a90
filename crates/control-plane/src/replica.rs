//! This replica's identity: who holds a lease (the health monitor's) and who published a
//! configuration change (so a replica ignores its own Redis publications).
//!
//! It sits below everything else in the crate (no `crate::` imports), so [`crate::events`]
//! and [`crate::health`] can both name the replica without depending on each other.

/// A new identity for this replica: host name, process id and start time (milliseconds).
/// Two control planes in one process (tests) get different identities.
pub fn holder_id() -> String {
    format!("{}-{}-{}", hostname(), std::process::id(), chrono::Utc::now().timestamp_millis())
}

fn hostname() -> String {
    std::fs::read_to_string("/etc/hostname").map(|s| s.trim().to_string()).unwrap_or_else(|_| "host".into())
}
