//! Helpers shared by the store's integration tests.
#![allow(dead_code)]

use std::path::Path;

use eakte_config::StoreConfig;
use eakte_store::{BlobId, BlobStore, FileStore};
use rand::{Rng, SeedableRng};

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

/// Bytes that compress well: words of a small German vocabulary.
pub fn text(rng: &mut impl Rng, len: usize) -> Vec<u8> {
    const WORDS: &[&str] = &[
        "Meldebescheinigung",
        "Aktenzeichen",
        "Bürgerbüro",
        "Antrag",
        "Personalausweis",
        "Straße",
        "Wohnung",
        "Gemeinde",
        "und",
        "der",
        "für",
    ];
    let mut out = Vec::with_capacity(len + 32);
    while out.len() < len {
        out.extend_from_slice(WORDS[rng.random_range(0..WORDS.len())].as_bytes());
        out.push(b' ');
    }
    out.truncate(len);
    out
}

/// Bytes that do not compress.
pub fn noise(rng: &mut impl Rng, len: usize) -> Vec<u8> {
    let mut out = vec![0u8; len];
    rng.fill_bytes(&mut out);
    out
}

pub fn rng(seed: u64) -> rand::rngs::StdRng {
    rand::rngs::StdRng::seed_from_u64(seed)
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
