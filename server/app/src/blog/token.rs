//! Random tokens that are shown once and stored hashed (session cookies, confirmation links):
//! reading the database reveals none.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use password_hash::rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};

/// A new random 256-bit token, URL-safe base64 (43 characters).
pub fn random() -> String {
    let mut bytes = [0_u8; 32];
    OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// What is stored of `token`: its SHA-256, hex.
pub fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes()).iter().map(|byte| format!("{byte:02x}")).collect()
}
