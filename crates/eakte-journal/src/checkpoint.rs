//! Signed tree heads ("checkpoints") and the Ed25519 key pair that signs them.
//!
//! The signed message is a short text, so that anyone can rebuild it from the checkpoint's fields:
//!
//! ```text
//! eakte-checkpoint/v1
//! origin <origin>
//! size <tree size>
//! root <64 hex digits>
//! time <RFC 3339 UTC with microseconds>
//! ```
//!
//! each line ending in `\n`. The private key lives in a file of mode 0600 created with the journal;
//! the public key is printed as `ed25519:<64 hex digits>`.

use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};

use crate::JournalError;
use crate::event::{parse_hash, parse_time};
use crate::merkle::Hash;

/// A signed tree head.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Checkpoint {
    /// Which journal: the same for every checkpoint of one installation.
    pub origin: String,
    /// The number of entries the tree covers.
    pub size: u64,
    /// The tree's root, hex.
    pub root: String,
    /// When it was signed (RFC 3339 UTC, microseconds).
    pub time: String,
    /// Ed25519 signature over [`Checkpoint::message`], hex.
    pub signature: String,
}

impl Checkpoint {
    /// The exact bytes that are signed.
    pub fn message(origin: &str, size: u64, root: &str, time: &str) -> String {
        format!("eakte-checkpoint/v1\norigin {origin}\nsize {size}\nroot {root}\ntime {time}\n")
    }

    /// Signs a tree head.
    pub fn sign(key: &SigningKey, origin: &str, size: u64, root: &Hash, time: &str) -> Self {
        let root = hex::encode(root);
        let signature = key.sign(Self::message(origin, size, &root, time).as_bytes());
        Self {
            origin: origin.to_owned(),
            size,
            root,
            time: time.to_owned(),
            signature: hex::encode(signature.to_bytes()),
        }
    }

    /// Checks the form of every field and the signature.
    pub fn verify(&self, key: &VerifyingKey) -> Result<Hash, String> {
        let root = parse_hash(&self.root).ok_or("root is not 64 lower-case hex digits")?;
        parse_time(&self.time)?;
        if self.origin.is_empty() || self.origin.contains('\n') {
            return Err("origin is empty or has a line break".into());
        }
        let mut signature = [0u8; 64];
        if self.signature.len() != 128
            || self.signature.bytes().any(|b| b.is_ascii_uppercase())
            || hex::decode_to_slice(&self.signature, &mut signature).is_err()
        {
            return Err("signature is not 128 lower-case hex digits".into());
        }
        let message = Self::message(&self.origin, self.size, &self.root, &self.time);
        key.verify_strict(message.as_bytes(), &Signature::from_bytes(&signature))
            .map_err(|_| "the signature does not verify with the public key".to_owned())?;
        Ok(root)
    }

    /// The checkpoint as one line of compact JSON (no line break).
    pub fn to_line(&self) -> String {
        serde_json::to_string(self).expect("a checkpoint always serialises")
    }
}

/// Formats a public key as `ed25519:<64 hex digits>`.
pub fn format_public_key(key: &VerifyingKey) -> String {
    format!("ed25519:{}", hex::encode(key.as_bytes()))
}

/// Parses a public key in the form of [`format_public_key`].
pub fn parse_public_key(text: &str) -> Result<VerifyingKey, JournalError> {
    let bad = || {
        JournalError::Invalid(format!(
            "{:?} is not a public key of the form ed25519:<64 hex digits>",
            text.trim()
        ))
    };
    let hex_part = text.trim().strip_prefix("ed25519:").ok_or_else(bad)?;
    let bytes = parse_hash(hex_part).ok_or_else(bad)?;
    VerifyingKey::from_bytes(&bytes).map_err(|_| bad())
}

const SECRET_PREFIX: &str = "eakte-ed25519-secret:";

/// Creates a new key pair: the public key into `public_path`, then the private key into
/// `secret_path` (mode 0600) by writing a temporary file and renaming it, so that a crash leaves
/// either no private key or a whole one. Refuses to replace an existing private key.
pub fn create_key_pair(secret_path: &Path, public_path: &Path) -> Result<SigningKey, JournalError> {
    use rand::TryRngCore;
    if secret_path.exists() {
        return Err(JournalError::Key(format!(
            "{} exists; a key is never replaced",
            secret_path.display()
        )));
    }
    let mut seed = [0u8; 32];
    rand::rngs::OsRng
        .try_fill_bytes(&mut seed)
        .map_err(|e| JournalError::Key(format!("no randomness from the operating system: {e}")))?;
    let key = SigningKey::from_bytes(&seed);
    eakte_segment::write_file_durably(
        public_path,
        format!("{}\n", format_public_key(&key.verifying_key())).as_bytes(),
    )?;
    let mut tmp_name = secret_path.as_os_str().to_owned();
    tmp_name.push(".tmp");
    let tmp = std::path::PathBuf::from(tmp_name);
    // A temporary file left by a crash holds no key that was ever used.
    let _ = std::fs::remove_file(&tmp);
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp)
        .map_err(|e| JournalError::io(&tmp, e))?;
    file.write_all(format!("{SECRET_PREFIX}{}\n", hex::encode(seed)).as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| JournalError::io(&tmp, e))?;
    std::fs::rename(&tmp, secret_path).map_err(|e| JournalError::io(secret_path, e))?;
    eakte_segment::fsync_dir(secret_path.parent().unwrap_or(Path::new(".")))?;
    Ok(key)
}

/// Loads the private key; refuses a key file that others than its owner may read.
pub fn load_signing_key(secret_path: &Path) -> Result<SigningKey, JournalError> {
    let meta = std::fs::metadata(secret_path).map_err(|e| JournalError::io(secret_path, e))?;
    if meta.permissions().mode() & 0o077 != 0 {
        return Err(JournalError::Key(format!(
            "{} may be read by others (mode {:o}); it must be 0600",
            secret_path.display(),
            meta.permissions().mode() & 0o777
        )));
    }
    let text =
        std::fs::read_to_string(secret_path).map_err(|e| JournalError::io(secret_path, e))?;
    let seed = text
        .trim()
        .strip_prefix(SECRET_PREFIX)
        .and_then(parse_hash)
        .ok_or_else(|| {
            JournalError::Key(format!("{} is not a checkpoint key", secret_path.display()))
        })?;
    Ok(SigningKey::from_bytes(&seed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_checkpoints_verify_and_any_field_change_fails() {
        let key = SigningKey::from_bytes(&[7u8; 32]);
        let public = key.verifying_key();
        let cp = Checkpoint::sign(
            &key,
            "eakte/test",
            12,
            &[3u8; 32],
            "2026-11-25T12:00:00.000000Z",
        );
        assert_eq!(cp.verify(&public), Ok([3u8; 32]));
        let mut changed = [cp.clone(), cp.clone(), cp.clone(), cp.clone()];
        changed[0].size = 13;
        changed[1].origin = "eakte/other".into();
        changed[2].root = hex::encode([4u8; 32]);
        changed[3].time = "2026-11-25T12:00:01.000000Z".into();
        for c in changed {
            assert!(c.verify(&public).is_err(), "{c:?}");
        }
        let other = SigningKey::from_bytes(&[8u8; 32]).verifying_key();
        assert!(cp.verify(&other).is_err());
    }

    #[test]
    fn public_keys_round_trip_and_bad_ones_are_named() {
        let key = SigningKey::from_bytes(&[9u8; 32]).verifying_key();
        let text = format_public_key(&key);
        assert_eq!(parse_public_key(&format!(" {text}\n")).unwrap(), key);
        let err = parse_public_key("ed25519:abc").unwrap_err();
        assert!(err.to_string().contains("ed25519:<64 hex digits>"), "{err}");
    }

    #[test]
    fn the_private_key_file_is_private_and_loads() {
        let dir = tempfile::tempdir().unwrap();
        let (secret, public) = (dir.path().join("k"), dir.path().join("k.pub"));
        let key = create_key_pair(&secret, &public).unwrap();
        let mode = std::fs::metadata(&secret).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(
            load_signing_key(&secret).unwrap().to_bytes(),
            key.to_bytes()
        );
        let printed = std::fs::read_to_string(&public).unwrap();
        assert_eq!(parse_public_key(&printed).unwrap(), key.verifying_key());
        assert!(
            create_key_pair(&secret, &public).is_err(),
            "never overwritten"
        );
        std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = load_signing_key(&secret).unwrap_err();
        assert!(err.to_string().contains("0600"), "{err}");
    }
}
