//! The eakte configuration: one versioned TOML file in the data directory, `EAKTE_*` overrides.

mod config;
mod error;

pub use config::{
    ArchiveConfig, CONFIG_FILE_NAME, Config, ExtractConfig, FilingConfig, IndexConfig,
    JournalConfig, ServerConfig, StoreConfig,
};
pub use error::ConfigError;
