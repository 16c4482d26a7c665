//! Helpers shared by the store's integration tests.
#![allow(dead_code, unused_imports)]

use std::path::Path;

use eakte_config::StoreConfig;
use eakte_store::{BlobId, BlobStore, FileStore};
pub use eakte_testkit::{noise, rng, text};

/// A config with small segments, so that tests cross segment boundaries often.
pub fn small_segments() -> StoreConfig {
    StoreConfig {
        segment_max_bytes: 64 * 1024,
        ..StoreConfig::default()
    }
}

pub fn open(dir: &Path) -> FileStore {
    FileStore::open(dir, &small_segments()).expect("open store")
}

pub fn put(store: &FileStore, bytes: &[u8]) -> BlobId {
    store.put(&mut &bytes[..]).expect("put").id
}

pub fn blake3_id(bytes: &[u8]) -> BlobId {
    BlobId::from_bytes(*blake3::hash(bytes).as_bytes())
}

/// The store's segment files, oldest first.
pub fn segment_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(dir.join("segments"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "seg"))
        .collect();
    files.sort();
    files
}
