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
    /// Text extraction and OCR in sandboxed worker processes.
    pub extract: ExtractConfig,
    /// The full-text index.
    pub index: IndexConfig,
    /// Filing: what the service accepts.
    pub filing: FilingConfig,
    /// The HTTP server (`eakte serve`).
    pub server: ServerConfig,
    /// Who sends and who receives the xdomea messages of disposition.
    pub archive: ArchiveConfig,
}

/// The parties of disposition: this office and the public archive it offers records to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ArchiveConfig {
    /// The office's code in xdomea messages (Behördenkennung).
    pub agency_code: String,
    /// The office's name.
    pub agency_name: String,
    /// The archive's code.
    pub archive_code: String,
    /// The archive's name.
    pub archive_name: String,
}

impl Default for ArchiveConfig {
    fn default() -> Self {
        Self {
            agency_code: "musterstadt-32".to_owned(),
            agency_name: "Bürgerbüro der Musterstadt".to_owned(),
            archive_code: "stadtarchiv-musterstadt".to_owned(),
            archive_name: "Stadtarchiv Musterstadt".to_owned(),
        }
    }
}

/// Settings of the full-text index.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IndexConfig {
    /// Documents added are committed (made searchable) at most this long after they were added;
    /// commits are batched, never one per document.
    pub commit_interval_ms: u64,
    /// Memory the index writer buffers before it writes a segment, over all its threads.
    pub writer_memory_bytes: u64,
    /// Indexing threads; 0 means one per CPU core.
    pub writer_threads: usize,
    /// The longest query accepted, in bytes.
    pub max_query_bytes: usize,
    /// The most hits one search returns (limit) and the deepest page it reaches (offset + limit).
    pub max_results: usize,
}

impl Default for IndexConfig {
    fn default() -> Self {
        Self {
            commit_interval_ms: 500,
            writer_memory_bytes: 128 << 20,
            writer_threads: 0,
            max_query_bytes: 4096,
            max_results: 10_000,
        }
    }
}

impl IndexConfig {
    /// Checks the index settings, naming the first bad key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if !(10..=60_000).contains(&self.commit_interval_ms) {
            return invalid("index.commit_interval_ms", "must be between 10 and 60000");
        }
        if !(15 << 20..=16 << 30).contains(&self.writer_memory_bytes) {
            return invalid(
                "index.writer_memory_bytes",
                "must be between 15 MiB and 16 GiB",
            );
        }
        if self.writer_threads > 64 {
            return invalid("index.writer_threads", "must be at most 64");
        }
        if !(16..=1 << 20).contains(&self.max_query_bytes) {
            return invalid("index.max_query_bytes", "must be between 16 and 1048576");
        }
        if !(1..=1_000_000).contains(&self.max_results) {
            return invalid("index.max_results", "must be between 1 and 1000000");
        }
        Ok(())
    }
}

/// Settings of filing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FilingConfig {
    /// The largest file accepted for filing.
    pub max_file_bytes: u64,
}

impl Default for FilingConfig {
    fn default() -> Self {
        Self {
            max_file_bytes: 2 << 30,
        }
    }
}

/// Settings of the HTTP server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// The address the server listens on; loopback by default (TLS comes from a reverse proxy).
    pub bind: String,
    /// The largest request body an upload may have; a larger one is refused with 413.
    pub max_upload_bytes: u64,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            bind: "127.0.0.1:8080".to_owned(),
            max_upload_bytes: 512 << 20,
        }
    }
}

/// Settings of text extraction and OCR. Every limit applies per document and worker; the
/// defaults are far above what a scanning station sends (300-dpi A4 colour, 500-page files).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ExtractConfig {
    /// Number of worker processes; 0 means one per CPU core.
    pub workers: usize,
    /// Tesseract languages, joined by `+`, in order of preference.
    pub languages: String,
    /// Directory of the Tesseract models; empty means the system's default.
    pub tessdata_dir: String,
    /// Address-space limit of each worker process (RLIMIT_AS).
    pub max_memory_bytes: u64,
    /// CPU time a worker may spend on one document before the kernel stops it (RLIMIT_CPU).
    pub max_cpu_seconds: u64,
    /// Wall-clock time after which a document's worker is killed and replaced.
    pub timeout_seconds: u64,
    /// Pages per document; a longer document is refused.
    pub max_pages: u32,
    /// Pixels of one page image (decoded or rendered); a larger one is refused before decoding.
    pub max_pixels_per_page: u64,
    /// Bytes one compressed PDF stream may inflate to.
    pub max_decompressed_bytes: u64,
    /// The program that renders PDF pages which cannot be OCR'd from an embedded image.
    pub pdftoppm: String,
}

impl Default for ExtractConfig {
    fn default() -> Self {
        Self {
            workers: 0,
            languages: "deu+eng".into(),
            tessdata_dir: String::new(),
            max_memory_bytes: 4 << 30,
            max_cpu_seconds: 3600,
            timeout_seconds: 3600,
            max_pages: 5000,
            max_pixels_per_page: 100_000_000,
            max_decompressed_bytes: 512 << 20,
            pdftoppm: "pdftoppm".into(),
        }
    }
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
            extract: ExtractConfig::default(),
            index: IndexConfig::default(),
            filing: FilingConfig::default(),
            server: ServerConfig::default(),
            archive: ArchiveConfig::default(),
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
        let x = &mut self.extract;
        override_from(&lookup, "EAKTE_EXTRACT_WORKERS", &mut x.workers)?;
        override_from(&lookup, "EAKTE_EXTRACT_LANGUAGES", &mut x.languages)?;
        override_from(&lookup, "EAKTE_EXTRACT_TESSDATA_DIR", &mut x.tessdata_dir)?;
        override_from(
            &lookup,
            "EAKTE_EXTRACT_MAX_MEMORY_BYTES",
            &mut x.max_memory_bytes,
        )?;
        override_from(
            &lookup,
            "EAKTE_EXTRACT_MAX_CPU_SECONDS",
            &mut x.max_cpu_seconds,
        )?;
        override_from(
            &lookup,
            "EAKTE_EXTRACT_TIMEOUT_SECONDS",
            &mut x.timeout_seconds,
        )?;
        override_from(&lookup, "EAKTE_EXTRACT_MAX_PAGES", &mut x.max_pages)?;
        override_from(
            &lookup,
            "EAKTE_EXTRACT_MAX_PIXELS_PER_PAGE",
            &mut x.max_pixels_per_page,
        )?;
        override_from(
            &lookup,
            "EAKTE_EXTRACT_MAX_DECOMPRESSED_BYTES",
            &mut x.max_decompressed_bytes,
        )?;
        override_from(&lookup, "EAKTE_EXTRACT_PDFTOPPM", &mut x.pdftoppm)?;
        let i = &mut self.index;
        override_from(
            &lookup,
            "EAKTE_INDEX_COMMIT_INTERVAL_MS",
            &mut i.commit_interval_ms,
        )?;
        override_from(
            &lookup,
            "EAKTE_INDEX_WRITER_MEMORY_BYTES",
            &mut i.writer_memory_bytes,
        )?;
        override_from(&lookup, "EAKTE_INDEX_WRITER_THREADS", &mut i.writer_threads)?;
        override_from(
            &lookup,
            "EAKTE_INDEX_MAX_QUERY_BYTES",
            &mut i.max_query_bytes,
        )?;
        override_from(&lookup, "EAKTE_INDEX_MAX_RESULTS", &mut i.max_results)?;
        override_from(
            &lookup,
            "EAKTE_FILING_MAX_FILE_BYTES",
            &mut self.filing.max_file_bytes,
        )?;
        override_from(&lookup, "EAKTE_SERVER_BIND", &mut self.server.bind)?;
        let a = &mut self.archive;
        override_from(&lookup, "EAKTE_ARCHIVE_AGENCY_CODE", &mut a.agency_code)?;
        override_from(&lookup, "EAKTE_ARCHIVE_AGENCY_NAME", &mut a.agency_name)?;
        override_from(&lookup, "EAKTE_ARCHIVE_ARCHIVE_CODE", &mut a.archive_code)?;
        override_from(&lookup, "EAKTE_ARCHIVE_ARCHIVE_NAME", &mut a.archive_name)?;
        override_from(
            &lookup,
            "EAKTE_SERVER_MAX_UPLOAD_BYTES",
            &mut self.server.max_upload_bytes,
        )?;
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
        for (key, value) in [
            ("archive.agency_code", &self.archive.agency_code),
            ("archive.agency_name", &self.archive.agency_name),
            ("archive.archive_code", &self.archive.archive_code),
            ("archive.archive_name", &self.archive.archive_name),
        ] {
            if value.trim().is_empty() || value.chars().any(char::is_control) {
                return Err(ConfigError::Invalid {
                    key,
                    message: "must be text without control characters".into(),
                });
            }
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
        self.extract.validate()?;
        self.index.validate()?;
        if self.filing.max_file_bytes == 0 {
            return invalid("filing.max_file_bytes", "must be at least 1");
        }
        if self.server.bind.parse::<std::net::SocketAddr>().is_err() {
            return invalid(
                "server.bind",
                "must be an address and port, such as 127.0.0.1:8080",
            );
        }
        if self.server.max_upload_bytes == 0 {
            return invalid("server.max_upload_bytes", "must be at least 1");
        }
        Ok(())
    }
}

/// An [`ConfigError::Invalid`] for `key`.
fn invalid(key: &'static str, message: &str) -> Result<(), ConfigError> {
    Err(ConfigError::Invalid {
        key,
        message: message.into(),
    })
}

impl ExtractConfig {
    /// Checks the extraction settings, naming the first bad key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.workers > 256 {
            return invalid("extract.workers", "must be at most 256");
        }
        let language_ok = |l: &str| {
            !l.is_empty()
                && l.len() <= 64
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        };
        if self.languages.is_empty() || !self.languages.split('+').all(language_ok) {
            return invalid(
                "extract.languages",
                "must be Tesseract language names joined by '+', such as deu+eng",
            );
        }
        if self.max_memory_bytes < 256 << 20 {
            return invalid(
                "extract.max_memory_bytes",
                "must be at least 268435456 (256 MiB)",
            );
        }
        if !(1..=86_400).contains(&self.max_cpu_seconds) {
            return invalid("extract.max_cpu_seconds", "must be between 1 and 86400");
        }
        if !(1..=86_400).contains(&self.timeout_seconds) {
            return invalid("extract.timeout_seconds", "must be between 1 and 86400");
        }
        if !(1..=1_000_000).contains(&self.max_pages) {
            return invalid("extract.max_pages", "must be between 1 and 1000000");
        }
        if !(1..=1 << 32).contains(&self.max_pixels_per_page) {
            return invalid("extract.max_pixels_per_page", "must be between 1 and 2^32");
        }
        if !(1 << 20..=1 << 40).contains(&self.max_decompressed_bytes) {
            return invalid(
                "extract.max_decompressed_bytes",
                "must be between 2^20 and 2^40",
            );
        }
        if self.pdftoppm.is_empty() {
            return invalid("extract.pdftoppm", "must name a program");
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
        config.journal.origin = String::new();
        config.extract.languages = "deu+;rm".into();
        let err = config.validate().unwrap_err();
        assert!(err.to_string().contains("extract.languages"), "{err}");
        config.extract.languages = "deu+eng".into();
        config.extract.timeout_seconds = 0;
        let err = config.validate().unwrap_err();
        assert!(err.to_string().contains("extract.timeout_seconds"), "{err}");
    }

    #[test]
    fn extract_env_overrides() {
        let mut config = Config::default();
        config
            .apply_env(|k| match k {
                "EAKTE_EXTRACT_WORKERS" => Some("3".into()),
                "EAKTE_EXTRACT_LANGUAGES" => Some("eng".into()),
                _ => None,
            })
            .unwrap();
        assert_eq!(config.extract.workers, 3);
        assert_eq!(config.extract.languages, "eng");
        config.validate().unwrap();
    }
}
