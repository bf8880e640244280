//! Standard Webhooks signatures (<https://www.standardwebhooks.com>) for outbound deliveries.
//!
//! A delivery carries three headers: `webhook-id` (stable across retries, so receivers can
//! de-duplicate), `webhook-timestamp` (integer seconds since the Unix epoch) and
//! `webhook-signature`, a space-separated list of `v1,<base64 HMAC-SHA256>` over
//! `"{id}.{timestamp}.{body}"`. The HMAC key is the base64-decoded part of a `whsec_…` secret.
//! While a secret is being rotated both the old and the new secret sign, so the header holds two
//! signatures and a receiver holding either secret accepts the delivery.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::{DateTime, TimeDelta, Utc};
use hmac::digest::KeyInit;
use hmac::{Hmac, Mac as _};
use rand::CryptoRng;
use sha2::{Digest as _, Sha256};

/// The prefix of every Standard Webhooks secret.
pub const SECRET_PREFIX: &str = "whsec_";
/// How many random bytes a generated secret has.
pub const GENERATED_SECRET_BYTES: usize = 32;
/// The fewest key bytes a secret may have (the specification's lower bound).
pub const MIN_SECRET_BYTES: usize = 24;
/// The most key bytes a secret may have (the specification's upper bound).
pub const MAX_SECRET_BYTES: usize = 64;
/// The header carrying the message id.
pub const HEADER_ID: &str = "webhook-id";
/// The header carrying the signing time in seconds since the Unix epoch.
pub const HEADER_TIMESTAMP: &str = "webhook-timestamp";
/// The header carrying the signatures.
pub const HEADER_SIGNATURE: &str = "webhook-signature";
/// How far a delivery's timestamp may be from the receiver's clock, either way.
pub const DEFAULT_TOLERANCE: TimeDelta = TimeDelta::minutes(5);

/// The version tag of symmetric (HMAC-SHA256) signatures.
const VERSION: &str = "v1";

/// HMAC-SHA256, the only MAC the webhook schemes here use.
pub(crate) type HmacSha256 = Hmac<Sha256>;

/// A webhook signing secret. Its `Debug` prints `**REDACTED**` and it has no `Display`, so it
/// cannot end up in a log by accident; [`Secret::expose`] is the one way to read it.
#[derive(Clone)]
pub struct Secret {
    key: Vec<u8>,
}

/// Why a string is not a valid `whsec_` secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    /// The string does not start with `whsec_`.
    #[error("the secret must start with `whsec_`")]
    MissingPrefix,
    /// The part after the prefix is not standard base64.
    #[error("the part after `whsec_` is not valid base64")]
    InvalidBase64,
    /// The decoded key is shorter or longer than the specification allows.
    #[error("the secret must decode to between 24 and 64 bytes, not {0}")]
    InvalidLength(usize),
}

/// The three Standard Webhooks headers of a received delivery, as they arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignedHeaders<'a> {
    /// The `webhook-id` header.
    pub id: &'a str,
    /// The `webhook-timestamp` header.
    pub timestamp: &'a str,
    /// The `webhook-signature` header.
    pub signature: &'a str,
}

/// Why a delivery does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// A required header is empty or absent.
    #[error("the `{0}` header is missing")]
    MissingHeader(&'static str),
    /// `webhook-timestamp` is not an integer number of seconds.
    #[error("the `webhook-timestamp` header is not an integer number of seconds")]
    InvalidTimestamp,
    /// The timestamp is older than the tolerance allows (a replay, or a very late delivery).
    #[error("the message timestamp is too old")]
    TimestampTooOld,
    /// The timestamp is further in the future than the tolerance allows.
    #[error("the message timestamp is too new")]
    TimestampTooNew,
    /// No `v1` signature in the header matches the body.
    #[error("no signature matches")]
    NoMatchingSignature,
}

/// How a signed timestamp compares with the receiver's clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Skew {
    /// Older than `now - tolerance`.
    TooOld,
    /// Newer than `now + tolerance`.
    TooNew,
}

impl Secret {
    /// Generates a secret of 32 bytes from the thread's cryptographic random generator.
    pub fn generate() -> Self {
        Self::generate_with(&mut rand::rng())
    }

    /// Generates a secret of 32 bytes from the given cryptographic random generator.
    pub fn generate_with<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        let mut key = vec![0u8; GENERATED_SECRET_BYTES];
        rng.fill_bytes(&mut key);
        Self { key }
    }

    /// Parses a `whsec_<base64>` secret whose key has 24 to 64 bytes.
    pub fn parse(text: &str) -> Result<Self, SecretError> {
        let encoded = text
            .strip_prefix(SECRET_PREFIX)
            .ok_or(SecretError::MissingPrefix)?;
        let key = BASE64
            .decode(encoded)
            .map_err(|_| SecretError::InvalidBase64)?;
        if !(MIN_SECRET_BYTES..=MAX_SECRET_BYTES).contains(&key.len()) {
            return Err(SecretError::InvalidLength(key.len()));
        }
        Ok(Self { key })
    }

    /// The secret as `whsec_<base64>`, to show the subscriber once and to seal for storage.
    pub fn expose(&self) -> String {
        format!("{SECRET_PREFIX}{}", BASE64.encode(&self.key))
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(**REDACTED**)")
    }
}

/// Signs one delivery: `v1,<base64 HMAC-SHA256 of "{msg_id}.{timestamp_secs}.{body}">`.
pub fn sign(secret: &Secret, msg_id: &str, timestamp_secs: i64, body: &[u8]) -> String {
    let tag = signed_content_mac(&secret.key, msg_id, timestamp_secs, body).finalize();
    format!("{VERSION},{}", BASE64.encode(tag.into_bytes()))
}

/// The `webhook-signature` header value: one signature per secret, separated by a space (during
/// a rotation the old and the new secret both sign).
pub fn header_value(secrets: &[&Secret], msg_id: &str, timestamp_secs: i64, body: &[u8]) -> String {
    secrets
        .iter()
        .map(|secret| sign(secret, msg_id, timestamp_secs, body))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Verifies a delivery as a receiver would: the headers are present, the timestamp is within
/// `tolerance` of `now` either way, and one `v1` signature matches (compared in constant time).
/// Signatures of other versions are ignored, as the specification asks.
pub fn verify(
    secret: &Secret,
    headers: &SignedHeaders<'_>,
    body: &[u8],
    now: DateTime<Utc>,
    tolerance: TimeDelta,
) -> Result<(), VerifyError> {
    let id = required(headers.id, HEADER_ID)?;
    let timestamp = required(headers.timestamp, HEADER_TIMESTAMP)?;
    let signatures = required(headers.signature, HEADER_SIGNATURE)?;
    let seconds: i64 = timestamp
        .parse()
        .map_err(|_| VerifyError::InvalidTimestamp)?;
    let signed_at = DateTime::from_timestamp(seconds, 0).ok_or(VerifyError::InvalidTimestamp)?;
    check_freshness(signed_at, now, tolerance).map_err(|skew| match skew {
        Skew::TooOld => VerifyError::TimestampTooOld,
        Skew::TooNew => VerifyError::TimestampTooNew,
    })?;
    let expected = signed_content_mac(&secret.key, id, seconds, body);
    let matches = signatures
        .split_whitespace()
        .filter_map(v1_signature_bytes)
        .any(|candidate| expected.clone().verify_slice(&candidate).is_ok());
    if matches {
        Ok(())
    } else {
        Err(VerifyError::NoMatchingSignature)
    }
}

/// An HMAC-SHA256 keyed with `key`, of any length. `Hmac::new_from_slice` cannot fail for HMAC
/// but returns a `Result`; normalising the key to one block as RFC 2104 does (hash it when it
/// is longer than a block, then pad with zeros) gives the same MAC without a fallible call.
pub(crate) fn keyed_mac(key: &[u8]) -> HmacSha256 {
    let mut block = hmac::digest::Key::<HmacSha256>::default();
    if key.len() > block.len() {
        let digest = Sha256::digest(key);
        block[..digest.len()].copy_from_slice(&digest);
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    <HmacSha256 as KeyInit>::new(&block)
}

/// Checks that `signed_at` lies within `tolerance` of `now`, in either direction.
pub(crate) fn check_freshness(
    signed_at: DateTime<Utc>,
    now: DateTime<Utc>,
    tolerance: TimeDelta,
) -> Result<(), Skew> {
    if signed_at < now - tolerance {
        Err(Skew::TooOld)
    } else if signed_at > now + tolerance {
        Err(Skew::TooNew)
    } else {
        Ok(())
    }
}

/// The MAC over `"{msg_id}.{timestamp_secs}.{body}"`, not yet finalised.
fn signed_content_mac(key: &[u8], msg_id: &str, timestamp_secs: i64, body: &[u8]) -> HmacSha256 {
    let mut mac = keyed_mac(key);
    mac.update(format!("{msg_id}.{timestamp_secs}.").as_bytes());
    mac.update(body);
    mac
}

/// The decoded bytes of one `v1,<base64>` entry; `None` for other versions or bad base64.
fn v1_signature_bytes(entry: &str) -> Option<Vec<u8>> {
    let (version, encoded) = entry.split_once(',')?;
    if version != VERSION {
        return None;
    }
    BASE64.decode(encoded).ok()
}

/// The trimmed header value, or `MissingHeader` when it is empty.
fn required<'a>(value: &'a str, name: &'static str) -> Result<&'a str, VerifyError> {
    let value = value.trim();
    if value.is_empty() {
        Err(VerifyError::MissingHeader(name))
    } else {
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng as _;

    /// The bytes 0, 1, …, 31 as a secret.
    const SECRET_A: &str = "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    /// 24 bytes of 0xA5: the shortest key the specification allows.
    const SECRET_B: &str = "whsec_paWlpaWlpaWlpaWlpaWlpaWlpaWlpaWl";
    const ID: &str = "msg_2Lh9KRb0pHnP";
    const TS: i64 = 1_700_000_000;
    const BODY: &[u8] =
        br#"{"type":"record.updated","timestamp":"2023-11-14T22:13:20Z","data":{"id":1}}"#;
    /// Computed independently with Python's `hmac` and `base64` modules:
    /// `base64.b64encode(hmac.new(key, b"msg_2Lh9KRb0pHnP.1700000000." + body, sha256).digest())`.
    const SIG_A: &str = "v1,0JAHXpE+1z4RcD1LlGAbPmoksXDkAgRz8YLxNEi8J+g=";
    const SIG_B: &str = "v1,Jpu8ZOKEXriJjJ2wbs+Bx3WXAt9/5d5vvY235RUFIqY=";
    /// Same tool, key A, id `evt_1`, timestamp 0 and an empty body.
    const SIG_A_EMPTY: &str = "v1,cyKFp+kEuukceU9t6TSf6xZc3X1y5UBA2FuJCx+ktV8=";

    fn secret(text: &str) -> Secret {
        Secret::parse(text).unwrap()
    }

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(seconds, 0).unwrap()
    }

    #[test]
    fn signatures_match_vectors_computed_with_python() {
        let cases = [
            (SECRET_A, ID, TS, BODY, SIG_A),
            (SECRET_B, ID, TS, BODY, SIG_B),
            (SECRET_A, "evt_1", 0, b"".as_slice(), SIG_A_EMPTY),
        ];
        for (key, id, ts, body, expected) in cases {
            assert_eq!(sign(&secret(key), id, ts, body), expected, "{key} {id}");
        }
    }

    #[test]
    fn header_value_joins_one_signature_per_secret_with_a_space() {
        let (a, b) = (secret(SECRET_A), secret(SECRET_B));
        let cases: [(&[&Secret], String); 3] = [
            (&[], String::new()),
            (&[&a], SIG_A.to_owned()),
            (&[&a, &b], format!("{SIG_A} {SIG_B}")),
        ];
        for (secrets, expected) in cases {
            assert_eq!(header_value(secrets, ID, TS, BODY), expected);
        }
    }

    #[test]
    fn secrets_parse_only_in_the_whsec_format_with_24_to_64_bytes() {
        let b64 = |n: usize| BASE64.encode(vec![7u8; n]);
        let cases = [
            (SECRET_A.to_owned(), Ok(32)),
            (format!("whsec_{}", b64(24)), Ok(24)),
            (format!("whsec_{}", b64(64)), Ok(64)),
            (
                format!("whsec_{}", b64(23)),
                Err(SecretError::InvalidLength(23)),
            ),
            (
                format!("whsec_{}", b64(65)),
                Err(SecretError::InvalidLength(65)),
            ),
            (b64(32), Err(SecretError::MissingPrefix)),
            (
                "WHSEC_".to_owned() + &b64(32),
                Err(SecretError::MissingPrefix),
            ),
            (
                "whsec_not base64!".to_owned(),
                Err(SecretError::InvalidBase64),
            ),
            ("whsec_".to_owned(), Err(SecretError::InvalidLength(0))),
        ];
        for (text, expected) in cases {
            let parsed = Secret::parse(&text).map(|s| s.key.len());
            assert_eq!(parsed, expected, "{text}");
        }
    }

    #[test]
    fn generated_secrets_have_32_random_bytes_and_round_trip() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let first = Secret::generate_with(&mut rng);
        let second = Secret::generate_with(&mut rng);
        assert_eq!(first.key.len(), GENERATED_SECRET_BYTES);
        assert_ne!(first.key, second.key);
        assert!(first.expose().starts_with(SECRET_PREFIX));
        assert_eq!(Secret::parse(&first.expose()).unwrap().key, first.key);
        assert_eq!(Secret::generate().key.len(), GENERATED_SECRET_BYTES);
    }

    #[test]
    fn debug_never_shows_the_key() {
        let printed = format!("{:?}", secret(SECRET_A));
        assert_eq!(printed, "Secret(**REDACTED**)");
        assert!(!printed.contains("AAECAw"));
    }

    /// Headers (id, timestamp, signature), body, the clock in seconds, and the outcome.
    type VerifyCase<'a> = (
        &'a str,
        &'a str,
        &'a str,
        &'a [u8],
        i64,
        Result<(), VerifyError>,
    );

    #[test]
    fn verification_accepts_and_refuses_as_expected() {
        let two = format!("{SIG_B} {SIG_A}");
        let with_other_versions = format!("v1a,{} v2,abc {SIG_A}", &SIG_A[3..]);
        let flipped = SIG_A.replace("0JAH", "0JAI");
        let cases: Vec<VerifyCase<'_>> = vec![
            (ID, "1700000000", SIG_A, BODY, TS, Ok(())),
            (ID, "1700000000", &two, BODY, TS, Ok(())),
            (ID, " 1700000000 ", SIG_A, BODY, TS, Ok(())),
            (ID, "1700000000", &with_other_versions, BODY, TS, Ok(())),
            (ID, "1700000000", SIG_A, BODY, TS + 300, Ok(())),
            (ID, "1700000000", SIG_A, BODY, TS - 300, Ok(())),
            (
                ID,
                "1700000000",
                SIG_A,
                BODY,
                TS + 301,
                Err(VerifyError::TimestampTooOld),
            ),
            (
                ID,
                "1700000000",
                SIG_A,
                BODY,
                TS - 301,
                Err(VerifyError::TimestampTooNew),
            ),
            (
                ID,
                "1700000000",
                SIG_B,
                BODY,
                TS,
                Err(VerifyError::NoMatchingSignature),
            ),
            (
                ID,
                "1700000000",
                &flipped,
                BODY,
                TS,
                Err(VerifyError::NoMatchingSignature),
            ),
            (
                ID,
                "1700000000",
                "v1,!!!",
                BODY,
                TS,
                Err(VerifyError::NoMatchingSignature),
            ),
            (
                ID,
                "1700000000",
                &SIG_A[3..],
                BODY,
                TS,
                Err(VerifyError::NoMatchingSignature),
            ),
            (
                ID,
                "1700000000",
                SIG_A,
                b"{}",
                TS,
                Err(VerifyError::NoMatchingSignature),
            ),
            (
                "msg_other",
                "1700000000",
                SIG_A,
                BODY,
                TS,
                Err(VerifyError::NoMatchingSignature),
            ),
            (
                "",
                "1700000000",
                SIG_A,
                BODY,
                TS,
                Err(VerifyError::MissingHeader(HEADER_ID)),
            ),
            (
                ID,
                "",
                SIG_A,
                BODY,
                TS,
                Err(VerifyError::MissingHeader(HEADER_TIMESTAMP)),
            ),
            (
                ID,
                "1700000000",
                " ",
                BODY,
                TS,
                Err(VerifyError::MissingHeader(HEADER_SIGNATURE)),
            ),
            (
                ID,
                "1.7e9",
                SIG_A,
                BODY,
                TS,
                Err(VerifyError::InvalidTimestamp),
            ),
            (
                ID,
                "99999999999999999999",
                SIG_A,
                BODY,
                TS,
                Err(VerifyError::InvalidTimestamp),
            ),
        ];
        let key = secret(SECRET_A);
        for (id, timestamp, signature, body, now, expected) in cases {
            let headers = SignedHeaders {
                id,
                timestamp,
                signature,
            };
            let result = verify(&key, &headers, body, at(now), DEFAULT_TOLERANCE);
            assert_eq!(result, expected, "{id} {timestamp} {signature} now={now}");
        }
    }

    #[test]
    fn a_generated_secret_verifies_its_own_signature_and_not_another() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        let (mine, other) = (
            Secret::generate_with(&mut rng),
            Secret::generate_with(&mut rng),
        );
        let signature = header_value(&[&mine], ID, TS, BODY);
        let headers = SignedHeaders {
            id: ID,
            timestamp: "1700000000",
            signature: &signature,
        };
        assert_eq!(
            verify(&mine, &headers, BODY, at(TS), DEFAULT_TOLERANCE),
            Ok(())
        );
        assert_eq!(
            verify(&other, &headers, BODY, at(TS), DEFAULT_TOLERANCE),
            Err(VerifyError::NoMatchingSignature)
        );
    }

    #[test]
    fn keyed_mac_matches_hmac_for_keys_of_every_length() {
        use hmac::Mac as _;
        for len in [0, 1, 32, 63, 64, 65, 200] {
            let key: Vec<u8> = (0..len).map(|i| (i * 7 % 251) as u8).collect();
            let mut reference = <HmacSha256 as hmac::Mac>::new_from_slice(&key).unwrap();
            reference.update(b"content");
            let mut ours = keyed_mac(&key);
            ours.update(b"content");
            assert_eq!(
                ours.finalize().into_bytes(),
                reference.finalize().into_bytes(),
                "{len}"
            );
        }
    }
}
