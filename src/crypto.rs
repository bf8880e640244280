//! The master key. It seals stored credentials (AES-256-GCM) and signs OAuth state; it comes
//! from `PATCHBAY_MASTER_KEY`, or from `<data dir>/master.key`, generated on first start.

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
