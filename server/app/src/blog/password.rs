//! Password hashing: Argon2id with OWASP's parameters (19 MiB, two passes, one lane), as PHC
//! strings that carry their own parameters, so stronger settings later still verify old hashes.

use std::sync::LazyLock;

use password_hash::rand_core::OsRng;

use argon2::{
    Algorithm, Argon2, Params, Version,
    password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
};

/// OWASP's minimum for Argon2id: m = 19 MiB, t = 2, p = 1.
fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("OWASP's parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// The PHC string of `password` with a fresh salt.
pub fn hash(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    argon2().hash_password(password.as_bytes(), &salt).expect("hashing with valid parameters succeeds").to_string()
}

/// Whether `password` matches `phc`. A malformed stored hash matches nothing.
pub fn verify(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|parsed| argon2().verify_password(password.as_bytes(), &parsed).is_ok())
}

/// Verifies against a hash of nothing in particular, so that a sign-in with an unknown email
/// costs what one with a known email does, and the answer's timing tells nothing. Always false.
pub fn verify_dummy(password: &str) -> bool {
    let _ = verify(password, &DUMMY);
    false
}

static DUMMY: LazyLock<String> = LazyLock::new(|| hash("not anybody's password"));

/// Computes the dummy hash ahead of the first sign-in, which would otherwise pay it twice.
pub fn prepare_dummy() {
    LazyLock::force(&DUMMY);
}

#[cfg(test)]
mod tests {
    #[test]
    fn hashes_verify_their_password_only() {
        let phc = super::hash("correct horse");
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(super::verify("correct horse", &phc));
        assert!(!super::verify("battery staple", &phc));
        assert!(!super::verify("correct horse", "not a hash"));
        assert_ne!(super::hash("correct horse"), phc, "salted");
    }
}
