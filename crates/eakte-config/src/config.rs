//! The configuration structure, its defaults, the file loader and the environment overrides.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::ConfigError;

/// The configuration file's name inside the data directory.
pub const CONFIG_FILE_NAME: &str = "eakte.toml";

/// The configuration format version this build reads.
const CONFIG_VERSION: u32 = 1;

/// The whole configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Format version of the file; only 1 exists.
    pub version: u32,
    /// The content-addressed blob store.
    pub store: StoreConfig,
    /// The journal of every change and access.
    pub journal: JournalConfig,
}

/// Settings of the journal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct JournalConfig {
    /// A journal segment is sealed and a new one started once it reaches this size.
    pub segment_max_bytes: u64,
    /// A checkpoint (signed tree head) is made once this many entries are not yet covered by one.
    pub checkpoint_every_entries: u64,
    /// …and every this many seconds while there are entries not yet covered.
    pub checkpoint_every_seconds: u64,
    /// The name in every checkpoint that says which journal it belongs to; empty means
    /// `eakte/` and the first 16 hex digits of the checkpoint public key.
    pub origin: String,
}

impl Default for JournalConfig {
    fn default() -> Self {
        Self {
            segment_max_bytes: 64 * 1024 * 1024,
            checkpoint_every_entries: 1000,
            checkpoint_every_seconds: 60,
            origin: String::new(),
        }
    }
}

/// Settings of the content-addressed blob store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StoreConfig {
    /// A segment file is sealed and a new one started once it reaches this size. A single blob
    /// is never split across segments, so one segment may exceed it by the size of that blob.
    pub segment_max_bytes: u64,
    /// The zstd compression level of stored pieces (1 to 19).
    pub zstd_level: i32,
    /// A piece is stored raw when its compressed size is more than this fraction of its original
    /// size (compression would not pay, as for JPEG scans).
    pub max_compressed_ratio: f64,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            version: CONFIG_VERSION,
            store: StoreConfig::default(),
            journal: JournalConfig::default(),
        }
    }
}

impl Default for StoreConfig {
    fn default() -> Self {
        Self {
            segment_max_bytes: 256 * 1024 * 1024,
            zstd_level: 3,
            max_compressed_ratio: 0.97,
        }
    }
}

impl Config {
    /// Loads `eakte.toml` from the data directory (defaults where it is absent), applies the
    /// `EAKTE_*` environment overrides, and validates the result.
    pub fn load(data_dir: &Path) -> Result<Self, ConfigError> {
        let path = data_dir.join(CONFIG_FILE_NAME);
        let mut config = match std::fs::read_to_string(&path) {
            Ok(text) => Self::from_toml(&text).map_err(|message| ConfigError::Parse {
                path: path.clone(),
                message,
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Self::default(),
            Err(source) => return Err(ConfigError::Read { path, source }),
        };
        config.apply_env(|name| std::env::var(name).ok())?;
        config.validate()?;
        Ok(config)
    }

    /// Parses a configuration file's text; unknown keys are an error.
    pub fn from_toml(text: &str) -> Result<Self, String> {
        toml::from_str(text).map_err(|e| e.to_string())
    }

    /// Applies overrides from environment variables named `EAKTE_<SECTION>_<KEY>` in upper case.
    pub fn apply_env(
        &mut self,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<(), ConfigError> {
        override_from(
            &lookup,
            "EAKTE_STORE_SEGMENT_MAX_BYTES",
            &mut self.store.segment_max_bytes,
        )?;
        override_from(
            &lookup,
            "EAKTE_STORE_ZSTD_LEVEL",
            &mut self.store.zstd_level,
        )?;
        override_from(
            &lookup,
            "EAKTE_STORE_MAX_COMPRESSED_RATIO",
            &mut self.store.max_compressed_ratio,
        )?;
        override_from(
            &lookup,
            "EAKTE_JOURNAL_SEGMENT_MAX_BYTES",
            &mut self.journal.segment_max_bytes,
        )?;
        override_from(
            &lookup,
            "EAKTE_JOURNAL_CHECKPOINT_EVERY_ENTRIES",
            &mut self.journal.checkpoint_every_entries,
        )?;
        override_from(
            &lookup,
            "EAKTE_JOURNAL_CHECKPOINT_EVERY_SECONDS",
            &mut self.journal.checkpoint_every_seconds,
        )?;
        override_from(&lookup, "EAKTE_JOURNAL_ORIGIN", &mut self.journal.origin)?;
        Ok(())
    }

    /// Checks every value against its allowed range, naming the first bad key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.version != CONFIG_VERSION {
            return Err(ConfigError::Invalid {
                key: "version",
                message: format!(
                    "this build reads version {CONFIG_VERSION}, not {}",
                    self.version
                ),
            });
        }
        let store = &self.store;
        if !(64 * 1024..=1 << 40).contains(&store.segment_max_bytes) {
            return Err(ConfigError::Invalid {
                key: "store.segment_max_bytes",
                message: "must be between 65536 and 2^40".into(),
            });
        }
        if !(1..=19).contains(&store.zstd_level) {
            return Err(ConfigError::Invalid {
                key: "store.zstd_level",
                message: "must be between 1 and 19".into(),
            });
        }
        if !(store.max_compressed_ratio > 0.0 && store.max_compressed_ratio <= 1.0) {
            return Err(ConfigError::Invalid {
                key: "store.max_compressed_ratio",
                message: "must be greater than 0 and at most 1".into(),
            });
        }
        let journal = &self.journal;
        if !(64 * 1024..=1 << 40).contains(&journal.segment_max_bytes) {
            return Err(ConfigError::Invalid {
                key: "journal.segment_max_bytes",
                message: "must be between 65536 and 2^40".into(),
            });
        }
        if journal.checkpoint_every_entries == 0 {
            return Err(ConfigError::Invalid {
                key: "journal.checkpoint_every_entries",
                message: "must be at least 1".into(),
            });
        }
        if !(1..=86_400).contains(&journal.checkpoint_every_seconds) {
            return Err(ConfigError::Invalid {
                key: "journal.checkpoint_every_seconds",
                message: "must be between 1 and 86400".into(),
            });
        }
        if journal.origin.len() > 200
            || journal
                .origin
                .chars()
                .any(|c| c.is_control() || c.is_whitespace())
        {
            return Err(ConfigError::Invalid {
                key: "journal.origin",
                message: "must be at most 200 characters without spaces or control characters"
                    .into(),
            });
        }
        Ok(())
    }
}

fn override_from<T: std::str::FromStr>(
    lookup: &impl Fn(&str) -> Option<String>,
    var: &str,
    target: &mut T,
) -> Result<(), ConfigError>
where
    T::Err: std::fmt::Display,
{
    if let Some(value) = lookup(var) {
        *target = value.trim().parse().map_err(|e: T::Err| ConfigError::Env {
            var: var.to_owned(),
            value: value.clone(),
            message: e.to_string(),
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_file_gives_valid_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let config = Config::load(dir.path()).unwrap();
        assert_eq!(config, Config::default());
    }

    #[test]
    fn file_values_are_read() {
        let config = Config::from_toml("version = 1\n[store]\nzstd_level = 7\n").unwrap();
        assert_eq!(config.store.zstd_level, 7);
        assert_eq!(
            config.store.segment_max_bytes,
            StoreConfig::default().segment_max_bytes
        );
    }

    #[test]
    fn unknown_keys_are_refused() {
        let err = Config::from_toml("[store]\nsegment_size = 5\n").unwrap_err();
        assert!(err.contains("segment_size"), "{err}");
    }

    #[test]
    fn env_overrides_and_names_bad_values() {
        let mut config = Config::default();
        config
            .apply_env(|k| (k == "EAKTE_STORE_ZSTD_LEVEL").then(|| "5".to_owned()))
            .unwrap();
        assert_eq!(config.store.zstd_level, 5);
        let err = config
            .apply_env(|k| (k == "EAKTE_STORE_SEGMENT_MAX_BYTES").then(|| "big".to_owned()))
            .unwrap_err();
        assert!(
            err.to_string().contains("EAKTE_STORE_SEGMENT_MAX_BYTES"),
            "{err}"
        );
    }

    #[test]
    fn validate_names_the_bad_key() {
        let mut config = Config::default();
        config.store.zstd_level = 40;
        let err = config.validate().unwrap_err();
        assert!(err.to_string().contains("store.zstd_level"), "{err}");
        config.store.zstd_level = 3;
        config.store.segment_max_bytes = 10;
        let err = config.validate().unwrap_err();
        assert!(err.to_string().contains("store.segment_max_bytes"), "{err}");
        config.store.segment_max_bytes = 1 << 20;
        config.journal.checkpoint_every_entries = 0;
        let err = config.validate().unwrap_err();
        assert!(
            err.to_string().contains("journal.checkpoint_every_entries"),
            "{err}"
        );
        config.journal.checkpoint_every_entries = 10;
        config.journal.origin = "two words".into();
        let err = config.validate().unwrap_err();
        assert!(err.to_string().contains("journal.origin"), "{err}");
    }
}
