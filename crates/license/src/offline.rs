//! Offline licenses for air-gapped installs: an Ed25519-signed JSON payload, verified
//! against a public key with no network call.

use base64::Engine as _;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// An offline license document: base64 of the JSON payload, and its Ed25519 signature.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OfflineLicense {
    pub payload: String,
    pub signature: String,
}

/// What an offline license grants.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OfflinePayload {
    pub product: String,
    pub licensee: String,
    pub tier: String,
    pub features: Vec<String>,
    #[serde(default)]
    pub max_proxies: Option<u32>,
    pub issued_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// Sign an offline license (used by the `marchproxy license sign` tool and tests).
pub fn sign_offline(payload: &OfflinePayload, signing_key: &ed25519_dalek::SigningKey) -> OfflineLicense {
    use ed25519_dalek::Signer;
    let json = serde_json::to_vec(payload).expect("payload serializes");
    let sig = signing_key.sign(&json);
    let b64 = base64::engine::general_purpose::STANDARD;
    OfflineLicense { payload: b64.encode(&json), signature: b64.encode(sig.to_bytes()) }
}

pub(crate) fn verify_offline(doc: &OfflineLicense, public_key_b64: &str) -> Result<OfflinePayload, String> {
    let b64 = base64::engine::general_purpose::STANDARD;
    let pk_bytes: [u8; 32] = b64
        .decode(public_key_b64.trim())
        .ok()
        .and_then(|v| v.try_into().ok())
        .ok_or("the license public key is not 32 bytes of base64")?;
    let pk = ed25519_dalek::VerifyingKey::from_bytes(&pk_bytes).map_err(|_| "the license public key is invalid")?;
    let payload = b64.decode(doc.payload.trim()).map_err(|_| "license payload is not base64")?;
    let sig_bytes: [u8; 64] = b64
        .decode(doc.signature.trim())
        .ok()
        .and_then(|v| v.try_into().ok())
        .ok_or("license signature is not 64 bytes of base64")?;
    let sig = ed25519_dalek::Signature::from_bytes(&sig_bytes);
    pk.verify_strict(&payload, &sig).map_err(|_| "license signature does not verify")?;
    let p: OfflinePayload =
        serde_json::from_slice(&payload).map_err(|e| format!("license payload is malformed: {e}"))?;
    if p.product != "marchproxy" {
        return Err(format!("license is for product `{}`, not marchproxy", p.product));
    }
    Ok(p)
}
