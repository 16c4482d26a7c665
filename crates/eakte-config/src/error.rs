//! Errors of loading and validating the configuration.

use std::path::PathBuf;

/// A configuration that cannot be used, naming the file or key at fault.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file exists but cannot be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not valid TOML of the expected shape (unknown keys are refused).
    #[error("config file {path} is invalid: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// What the parser said, with line and column.
        message: String,
    },
    /// An environment override does not parse.
    #[error("environment variable {var}={value:?} is invalid: {message}")]
    Env {
        /// The variable.
        var: String,
        /// Its value.
        value: String,
        /// Why it does not parse.
        message: String,
    },
    /// A value is out of its allowed range.
    #[error("config key {key} is invalid: {message}")]
    Invalid {
        /// The dotted key, e.g. `store.segment_max_bytes`.
        key: &'static str,
        /// What is allowed.
        message: String,
    },
}
