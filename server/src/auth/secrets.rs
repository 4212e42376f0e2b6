//! Generating and checking secrets: argon2id passwords, random tokens and session ids.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine;
use rand::rngs::OsRng;
use rand::{Rng, RngCore};
use sha2::{Digest, Sha256};

/// Characters of generated passwords: letters and digits without look-alikes.
const PASSWORD_ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/// Hashes `password` with argon2id and a random salt, as a PHC string.
pub fn hash_password(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default().hash_password(password.as_bytes(), &salt).expect("argon2 with default parameters accepts any password").to_string()
}

/// Whether `password` matches the PHC string `stored` (constant time inside argon2).
pub fn verify_password(password: &str, stored: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(parsed) => Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    }
}

/// A random 20-character password (about 116 bits).
pub fn generate_password() -> String {
    let mut rng = OsRng;
    (0..20).map(|_| PASSWORD_ALPHABET[rng.gen_range(0..PASSWORD_ALPHABET.len())] as char).collect()
}

/// A random secret with a readable prefix, e.g. `wfs_…` for API tokens: 32 random bytes,
/// URL-safe base64, so it fits in headers, cookies and URL paths.
pub fn generate_secret(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    format!("{prefix}{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

/// SHA-256 of a random secret: the only form in which tokens and sessions are stored.
pub fn secret_hash(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

/// Checks a password chosen by an operator; generated ones always pass.
pub fn check_password_strength(password: &str) -> Result<(), String> {
    if password.chars().count() < 8 {
        return Err("password must be at least 8 characters".to_owned());
    }
    if password.len() > 1024 {
        return Err("password must be at most 1024 bytes".to_owned());
    }
    Ok(())
}

/// A hash of a random password: checking a password against it costs what checking a real
/// one does, so an unknown name (user or sensor) answers in the same time as a wrong password.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password(&generate_password()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_round_trip_and_rejection() {
        let stored = hash_password("correct horse");
        assert!(stored.starts_with("$argon2id$"), "argon2id PHC string: {stored}");
        assert!(verify_password("correct horse", &stored));
        assert!(!verify_password("correct horsf", &stored));
        assert!(!verify_password("correct horse", "not a phc string"));
        assert_ne!(hash_password("correct horse"), stored, "salted");
    }

    #[test]
    fn generated_secrets_are_random_and_well_formed() {
        let first = generate_password();
        assert_eq!(first.len(), 20);
        assert!(first.bytes().all(|byte| PASSWORD_ALPHABET.contains(&byte)));
        assert_ne!(first, generate_password());
        let token = generate_secret("wfs_");
        assert!(token.starts_with("wfs_") && token.len() == 4 + 43, "{token}");
        assert!(token[4..].bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        assert_eq!(secret_hash(&token), secret_hash(&token.clone()));
        assert_ne!(secret_hash(&token), secret_hash(&generate_secret("wfs_")));
    }

    #[test]
    fn weak_passwords_are_refused() {
        assert!(check_password_strength("short").is_err());
        assert!(check_password_strength("long enough").is_ok());
    }
}
