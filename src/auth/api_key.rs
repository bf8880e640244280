//! The API key format: `pb_live_` (or `pb_test_`) + 32 base62 characters + a 6-character
//! base62 CRC32 checksum, like GitHub's tokens. A mistyped key fails the checksum without a
//! database read, and secret scanners can recognise the shape. Keys are stored as SHA-256.

use rand::{Rng, distr::Alphanumeric};
use secrecy::SecretString;
use sha2::{Digest, Sha256};

const LIVE: &str = "pb_live_";
const TEST: &str = "pb_test_";
const RANDOM_LEN: usize = 32;
const CHECKSUM_LEN: usize = 6;
const KEY_LEN: usize = LIVE.len() + RANDOM_LEN + CHECKSUM_LEN;
/// How many characters of the key are kept in clear to identify it in listings.
const DISPLAY_LEN: usize = LIVE.len() + 8;
const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Whether a key is for production use or for tests; only the prefix differs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyKind {
    /// `pb_live_…`
    Live,
    /// `pb_test_…`
    Test,
}

/// A freshly generated key: the secret (shown once), its display prefix and its hash.
pub struct GeneratedKey {
    /// The whole key; shown to the user once and never stored.
    pub secret: SecretString,
    /// The visible start, e.g. `pb_live_AbCdEfGh`.
    pub prefix: String,
    /// Hex SHA-256 of the whole key: what the database stores.
    pub hash: String,
}

/// Why a presented string is not a well-formed key.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum MalformedKey {
    /// Neither `pb_live_` nor `pb_test_`.
    #[error("it must start with `pb_live_` or `pb_test_`")]
    Prefix,
    /// Too short or too long.
    #[error("it must be {KEY_LEN} characters long")]
    Length,
    /// A character outside `[0-9A-Za-z]` after the prefix.
    #[error("it contains characters outside [0-9A-Za-z]")]
    Alphabet,
    /// The checksum does not match: a typo or a truncated copy.
    #[error("its checksum does not match (mistyped or truncated?)")]
    Checksum,
}

/// Generates a new random key of the given kind.
pub fn generate(kind: KeyKind) -> GeneratedKey {
    let prefix = match kind {
        KeyKind::Live => LIVE,
        KeyKind::Test => TEST,
    };
    let random: String = rand::rng()
        .sample_iter(&Alphanumeric)
        .take(RANDOM_LEN)
        .map(char::from)
        .collect();
    let body = format!("{prefix}{random}");
    let key = format!("{body}{}", checksum(&body));
    GeneratedKey {
        prefix: key[..DISPLAY_LEN].to_owned(),
        hash: hash(&key),
        secret: SecretString::from(key),
    }
}

/// Checks the shape and checksum of a presented key and returns its hash for lookup.
pub fn parse(candidate: &str) -> Result<String, MalformedKey> {
    if !(candidate.starts_with(LIVE) || candidate.starts_with(TEST)) {
        return Err(MalformedKey::Prefix);
    }
    if candidate.len() != KEY_LEN {
        return Err(MalformedKey::Length);
    }
    let (body, sum) = candidate.split_at(KEY_LEN - CHECKSUM_LEN);
    if !candidate[LIVE.len()..]
        .bytes()
        .all(|b| b.is_ascii_alphanumeric())
    {
        return Err(MalformedKey::Alphabet);
    }
    if checksum(body) != sum {
        return Err(MalformedKey::Checksum);
    }
    Ok(hash(candidate))
}

/// Hex SHA-256: enough for keys with 190 bits of entropy (no slow hash needed).
pub fn hash(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// CRC32 of the key body in base62, left-padded to six characters.
fn checksum(body: &str) -> String {
    let mut value = u64::from(crc32fast::hash(body.as_bytes()));
    let mut digits = [b'0'; CHECKSUM_LEN];
    for slot in digits.iter_mut().rev() {
        *slot = BASE62[(value % 62) as usize];
        value /= 62;
    }
    digits.iter().map(|&b| char::from(b)).collect()
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;

    #[test]
    fn generated_keys_parse_and_hash_to_their_stored_hash() {
        for kind in [KeyKind::Live, KeyKind::Test] {
            let key = generate(kind);
            let secret = key.secret.expose_secret();
            assert_eq!(secret.len(), KEY_LEN);
            assert!(secret.starts_with(&key.prefix));
            assert_eq!(parse(secret), Ok(key.hash.clone()));
        }
    }

    #[test]
    fn malformed_keys_are_rejected_with_their_reason() {
        let good = generate(KeyKind::Live).secret.expose_secret().to_owned();
        let mut typo = good.clone().into_bytes();
        typo[12] = if typo[12] == b'a' { b'b' } else { b'a' };
        let typo = String::from_utf8(typo).unwrap();
        let cases = [
            ("sk_live_abc", MalformedKey::Prefix),
            ("pb_live_abc", MalformedKey::Length),
            (&good[..KEY_LEN - 1], MalformedKey::Length),
            (
                &format!("pb_live_{}", "-".repeat(38)),
                MalformedKey::Alphabet,
            ),
            (&typo, MalformedKey::Checksum),
        ];
        for (input, expected) in cases {
            assert_eq!(parse(input), Err(expected), "{input}");
        }
    }

    #[test]
    fn checksum_is_six_base62_characters() {
        assert_eq!(checksum(""), "000000");
        let sum = checksum("pb_live_x");
        assert_eq!(sum.len(), 6);
        assert!(sum.bytes().all(|b| b.is_ascii_alphanumeric()));
    }
}
