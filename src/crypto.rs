//! The master key and what it protects. It seals stored credentials (AES-256-GCM, see
//! [`Cipher`]) and signs OAuth state; it comes from `PATCHBAY_MASTER_KEY`, or from
//! `<data dir>/master.key`, generated on first start.

use std::{
    io::Write,
    path::{Path, PathBuf},
};

use anyhow::{Context, bail};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretBox, SecretString};

/// 32 secret bytes; `Debug` never shows them.
pub struct MasterKey(SecretBox<[u8; 32]>);

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(**REDACTED**)")
    }
}

/// Where the master key came from.
#[derive(Debug, PartialEq, Eq)]
pub enum MasterKeySource {
    /// `PATCHBAY_MASTER_KEY` or `--master-key`.
    Configured,
    /// An existing `master.key` in the data directory.
    File(PathBuf),
    /// Generated just now into the data directory.
    Generated(PathBuf),
}

impl MasterKey {
    /// The raw key bytes, for the cipher.
    pub fn bytes(&self) -> &[u8; 32] {
        self.0.expose_secret()
    }

    /// Uses the configured key, else the data directory's, else generates and stores one.
    pub fn load_or_generate(
        configured: Option<&SecretString>,
        data_dir: &Path,
    ) -> anyhow::Result<(Self, MasterKeySource)> {
        if let Some(hex_key) = configured {
            let key = decode(hex_key.expose_secret())
                .context("PATCHBAY_MASTER_KEY must be 64 hex characters (32 bytes)")?;
            return Ok((key, MasterKeySource::Configured));
        }
        let path = data_dir.join("master.key");
        match std::fs::read_to_string(&path) {
            Ok(contents) => {
                let key = decode(contents.trim())
                    .with_context(|| format!("{} is not 64 hex characters", path.display()))?;
                Ok((key, MasterKeySource::File(path)))
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                let mut bytes = [0u8; 32];
                rand::rng().fill_bytes(&mut bytes);
                write_private(&path, hex::encode(bytes).as_bytes())
                    .with_context(|| format!("cannot write {}", path.display()))?;
                Ok((
                    Self(SecretBox::new(Box::new(bytes))),
                    MasterKeySource::Generated(path),
                ))
            }
            Err(error) => Err(error).with_context(|| format!("cannot read {}", path.display())),
        }
    }
}

/// Why a sealed value could not be opened.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum OpenError {
    /// Not in the `v1:<key id>:<base64>` form.
    #[error("not a sealed value")]
    Malformed,
    /// Sealed with a master key this process does not have.
    #[error("sealed with another master key (id {0})")]
    UnknownKey(String),
    /// Wrong associated data (moved to another row) or tampered with.
    #[error("the sealed value does not match its owner or was altered")]
    Rejected,
}

/// Seals and opens secrets with AES-256-GCM: a random 96-bit nonce per seal, the owner's id
/// (e.g. the connection id) as associated data, and the sealing key's id in the output so the
/// master key can be rotated (`previous` still opens what it sealed).
pub struct Cipher {
    current: MasterKey,
    previous: Option<MasterKey>,
}

impl std::fmt::Debug for Cipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Cipher(**REDACTED**)")
    }
}

impl Cipher {
    /// A cipher sealing with `current` and also opening what `previous` sealed.
    pub fn new(current: MasterKey, previous: Option<MasterKey>) -> Self {
        Self { current, previous }
    }

    /// Seals `plaintext` for `owner`: `v1:<key id>:<base64 of nonce and ciphertext>`.
    pub fn seal(&self, plaintext: &[u8], owner: &str) -> String {
        use aes_gcm::{
            Aes256Gcm, KeyInit, Nonce,
            aead::{Aead, Payload},
        };
        use base64::Engine;
        let cipher = Aes256Gcm::new(self.current.bytes().into());
        let mut nonce = [0u8; 12];
        rand::rng().fill_bytes(&mut nonce);
        // Encryption with a valid key and nonce cannot fail for inputs under 64 GiB.
        let sealed = cipher
            .encrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: plaintext,
                    aad: owner.as_bytes(),
                },
            )
            .unwrap_or_default();
        let mut blob = nonce.to_vec();
        blob.extend(sealed);
        format!(
            "v1:{}:{}",
            self.current.id(),
            base64::engine::general_purpose::STANDARD.encode(blob)
        )
    }

    /// Opens a value sealed for `owner`.
    pub fn open(&self, sealed: &str, owner: &str) -> Result<Vec<u8>, OpenError> {
        use aes_gcm::{
            Aes256Gcm, KeyInit, Nonce,
            aead::{Aead, Payload},
        };
        use base64::Engine;
        let mut parts = sealed.splitn(3, ':');
        let (Some("v1"), Some(key_id), Some(data)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(OpenError::Malformed);
        };
        let key = [Some(&self.current), self.previous.as_ref()]
            .into_iter()
            .flatten()
            .find(|k| k.id() == key_id)
            .ok_or_else(|| OpenError::UnknownKey(key_id.to_owned()))?;
        let blob = base64::engine::general_purpose::STANDARD
            .decode(data)
            .map_err(|_| OpenError::Malformed)?;
        if blob.len() < 12 + 16 {
            return Err(OpenError::Malformed);
        }
        let (nonce, ciphertext) = blob.split_at(12);
        let nonce: [u8; 12] = nonce.try_into().map_err(|_| OpenError::Malformed)?;
        Aes256Gcm::new(key.bytes().into())
            .decrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: ciphertext,
                    aad: owner.as_bytes(),
                },
            )
            .map_err(|_| OpenError::Rejected)
    }

    /// A key for another purpose (e.g. signing OAuth states), derived from the current master
    /// key with HMAC-SHA256, so every process sharing the master key derives the same one.
    pub fn derive_key(&self, purpose: &str) -> [u8; 32] {
        use hmac::{Hmac, Mac};
        let Ok(mut mac) = Hmac::<sha2::Sha256>::new_from_slice(self.current.bytes()) else {
            unreachable!("HMAC accepts keys of any length")
        };
        mac.update(purpose.as_bytes());
        mac.finalize().into_bytes().into()
    }

    /// `sealed` sealed again with the current key, or `None` when it already is (master key
    /// rotation).
    pub fn reseal(&self, sealed: &str, owner: &str) -> Result<Option<String>, OpenError> {
        if self.is_current(sealed) {
            return Ok(None);
        }
        Ok(Some(self.seal(&self.open(sealed, owner)?, owner)))
    }

    /// Whether `sealed` was sealed with the current key (else it needs re-sealing).
    pub fn is_current(&self, sealed: &str) -> bool {
        sealed.split(':').nth(1) == Some(self.current.id().as_str())
    }
}

impl MasterKey {
    /// A short public identifier of the key: the first 8 hex digits of its SHA-256.
    pub fn id(&self) -> String {
        use sha2::{Digest, Sha256};
        hex::encode(&Sha256::digest(self.bytes())[..4])
    }

    /// A new random key.
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        Self(SecretBox::new(Box::new(bytes)))
    }

    /// The key as 64 hex characters, to store or show once.
    pub fn to_hex(&self) -> SecretString {
        SecretString::from(hex::encode(self.bytes()))
    }

    /// Replaces the key file in `data_dir` (written aside, then renamed over the old one).
    pub fn write_to(&self, data_dir: &Path) -> anyhow::Result<PathBuf> {
        let path = data_dir.join("master.key");
        let staged = data_dir.join("master.key.new");
        let _ = std::fs::remove_file(&staged);
        write_private(&staged, self.to_hex().expose_secret().as_bytes())?;
        std::fs::rename(&staged, &path)?;
        Ok(path)
    }

    /// Reads a key given as 64 hex characters (e.g. the previous key during rotation).
    pub fn from_hex(hex_key: &SecretString) -> anyhow::Result<Self> {
        decode(hex_key.expose_secret())
    }
}

fn decode(hex_key: &str) -> anyhow::Result<MasterKey> {
    let mut bytes = [0u8; 32];
    if hex_key.len() != 64 {
        bail!("expected 64 hex characters, got {}", hex_key.len());
    }
    hex::decode_to_slice(hex_key, &mut bytes).context("not hexadecimal")?;
    Ok(MasterKey(SecretBox::new(Box::new(bytes))))
}

/// Creates the file readable by its owner only; never overwrites an existing key.
fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(contents)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> MasterKey {
        MasterKey(SecretBox::new(Box::new([byte; 32])))
    }

    #[test]
    fn a_sealed_value_opens_only_for_its_owner_and_unaltered() {
        let cipher = Cipher::new(key(1), None);
        let sealed = cipher.seal(b"sk_live_secret", "conn-1");
        assert!(!sealed.contains("sk_live"), "{sealed}");
        assert_ne!(
            sealed,
            cipher.seal(b"sk_live_secret", "conn-1"),
            "a fresh nonce per seal"
        );
        assert_eq!(cipher.open(&sealed, "conn-1").unwrap(), b"sk_live_secret");
        assert_eq!(
            cipher.open(&sealed, "conn-2"),
            Err(OpenError::Rejected),
            "moved to another row"
        );
        let mut tampered = sealed.clone().into_bytes();
        let last = tampered.len() - 3;
        tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
        assert_eq!(
            cipher.open(&String::from_utf8(tampered).unwrap(), "conn-1"),
            Err(OpenError::Rejected)
        );
        assert_eq!(cipher.open("plain", "conn-1"), Err(OpenError::Malformed));
    }

    #[test]
    fn a_rotated_master_key_still_opens_old_values_which_can_be_resealed() {
        let old = Cipher::new(key(1), None);
        let sealed = old.seal(b"token", "conn-1");
        let rotated = Cipher::new(key(2), Some(key(1)));
        assert!(!rotated.is_current(&sealed));
        let plain = rotated.open(&sealed, "conn-1").unwrap();
        let resealed = rotated.seal(&plain, "conn-1");
        assert!(rotated.is_current(&resealed));
        let only_new = Cipher::new(key(2), None);
        assert!(matches!(
            only_new.open(&sealed, "conn-1"),
            Err(OpenError::UnknownKey(_))
        ));
        assert_eq!(only_new.open(&resealed, "conn-1").unwrap(), b"token");
        assert_eq!(format!("{only_new:?}"), "Cipher(**REDACTED**)");
    }

    #[test]
    fn a_generated_key_is_stored_privately_and_reloaded() {
        let dir = tempfile::tempdir().unwrap();
        let (first, source) = MasterKey::load_or_generate(None, dir.path()).unwrap();
        assert!(matches!(source, MasterKeySource::Generated(_)));
        let (second, source) = MasterKey::load_or_generate(None, dir.path()).unwrap();
        assert!(matches!(source, MasterKeySource::File(_)));
        assert_eq!(first.bytes(), second.bytes());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("master.key"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn a_configured_key_must_be_32_hex_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let good = SecretString::from("ab".repeat(32));
        let (key, source) = MasterKey::load_or_generate(Some(&good), dir.path()).unwrap();
        assert_eq!(source, MasterKeySource::Configured);
        assert_eq!(key.bytes(), &[0xab; 32]);
        for bad in ["ab", &"zz".repeat(32)] {
            let bad = SecretString::from(bad.to_owned());
            let error = MasterKey::load_or_generate(Some(&bad), dir.path()).unwrap_err();
            assert!(
                !format!("{error:#}").contains("zzzz"),
                "the value must not be echoed"
            );
        }
        assert_eq!(format!("{key:?}"), "MasterKey(**REDACTED**)");
    }
}
