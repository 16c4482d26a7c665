//! The catalog's sled trees, their key encodings, JSON values, and the atomic write of one change's effects.

use std::convert::Infallible;

use eakte_types::{AkteId, Aktenzeichen, DokumentId, PlanCode, Sha256Digest, VorgangId};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sled::transaction::{ConflictableTransactionError, TransactionError};
use sled::{Batch, Transactional, Tree};

use crate::error::CatalogError;

/// The trees of the catalog database. Primary records hold JSON values; the lookup indexes
/// hold their information in the key and an empty value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum T {
    /// `format`, `last_seq` → JSON number.
    Meta,
    /// Journal seq of the import (u64 BE) → JSON `StoredPlan`.
    Plans,
    /// Akte id → JSON `Akte`.
    Akten,
    /// Aktenzeichen sort key → JSON Akte id. Never removed from: an Aktenzeichen stays used.
    Aktenzeichen,
    /// Plan code, 0, year (u16 BE) → JSON number, the highest running number ever used.
    Counters,
    /// Vorgang id → JSON `Vorgang`.
    Vorgaenge,
    /// Akte id ++ Vorgang id → empty.
    AkteVorgaenge,
    /// Dokument id → JSON `Dokument`.
    Dokumente,
    /// Location ++ Dokument id → empty.
    LocationDocs,
    /// Location ++ SHA-256 ++ Dokument id → empty.
    Sha256Docs,
    /// Dokument id ++ version (u32 BE) → empty, for versions whose extraction is pending.
    Pending,
    /// Journal seq of the adoption (u64 BE) → JSON blob id of the rule files.
    RuleSets,
    /// Hold id → JSON `Hold`.
    Holds,
    /// Batch id → JSON `Batch`.
    Batches,
    /// Akte id → JSON batch id, while the Akte is in a batch that has not disposed of it.
    BatchAkten,
    /// Akte id → JSON `Tombstone`.
    Tombstones,
}

pub(crate) const TREES: [(T, &str); 16] = [
    (T::Meta, "meta"),
    (T::Plans, "plans"),
    (T::Akten, "akten"),
    (T::Aktenzeichen, "aktenzeichen"),
    (T::Counters, "counters"),
    (T::Vorgaenge, "vorgaenge"),
    (T::AkteVorgaenge, "akte_vorgaenge"),
    (T::Dokumente, "dokumente"),
    (T::LocationDocs, "location_docs"),
    (T::Sha256Docs, "sha256_docs"),
    (T::Pending, "pending"),
    (T::RuleSets, "rule_sets"),
    (T::Holds, "holds"),
    (T::Batches, "batches"),
    (T::BatchAkten, "batch_akten"),
    (T::Tombstones, "tombstones"),
];

pub(crate) const META_FORMAT: &[u8] = b"format";
pub(crate) const META_LAST_SEQ: &[u8] = b"last_seq";

/// Ids are keyed by their hyphenated text: fixed length (36 bytes), and ordered as the UUIDs are.
pub(crate) const ID_LEN: usize = 36;
/// A location is one tag byte and an Akte id, or the inbox tag and filler of the same length.
pub(crate) const LOCATION_LEN: usize = 1 + ID_LEN;

pub(crate) fn id_key(id: impl ToString) -> Vec<u8> {
    id.to_string().into_bytes()
}

/// Where a document lies: in an Akte, or in the inbox (`None`).
pub(crate) fn location_key(akte: Option<AkteId>) -> Vec<u8> {
    match akte {
        Some(id) => {
            let mut key = vec![b'a'];
            key.extend(id_key(id));
            key
        }
        None => {
            let mut key = vec![b'i'];
            key.extend([b'-'; ID_LEN]);
            key
        }
    }
}

pub(crate) fn sha256_prefix(akte: Option<AkteId>, sha256: &Sha256Digest) -> Vec<u8> {
    let mut key = location_key(akte);
    key.extend(sha256.as_bytes());
    key
}

pub(crate) fn pending_key(id: DokumentId, version: u32) -> Vec<u8> {
    let mut key = id_key(id);
    key.extend(version.to_be_bytes());
    key
}

/// Sorts as `Aktenzeichen`'s `Ord` does: plan code text (the 0 byte ends it before any longer
/// code with the same start), then running number, then year.
pub(crate) fn aktenzeichen_key(az: &Aktenzeichen) -> Vec<u8> {
    let mut key = az.plan_code().as_str().as_bytes().to_vec();
    key.push(0);
    key.extend(az.number().to_be_bytes());
    key.extend(az.year().to_be_bytes());
    key
}

pub(crate) fn counter_key(code: &PlanCode, year: u16) -> Vec<u8> {
    let mut key = code.as_str().as_bytes().to_vec();
    key.push(0);
    key.extend(year.to_be_bytes());
    key
}

pub(crate) fn decode_counter_key(key: &[u8]) -> Result<(PlanCode, u16), CatalogError> {
    let bad = || CatalogError::corrupt(format!("counter key {key:?}"));
    let split = key.iter().position(|&b| b == 0).ok_or_else(bad)?;
    let (code, rest) = key.split_at(split);
    let code = std::str::from_utf8(code)
        .ok()
        .and_then(|c| c.parse().ok())
        .ok_or_else(bad)?;
    let year: [u8; 2] = rest[1..].try_into().map_err(|_| bad())?;
    Ok((code, u16::from_be_bytes(year)))
}

/// Parses the id that `key[start..start + ID_LEN]` holds.
pub(crate) fn id_at<I: std::str::FromStr>(
    key: &[u8],
    start: usize,
    tree: &str,
) -> Result<I, CatalogError> {
    key.get(start..start + ID_LEN)
        .and_then(|b| std::str::from_utf8(b).ok())
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| CatalogError::corrupt(format!("key {key:?} in tree {tree}")))
}

pub(crate) fn pending_of_key(key: &[u8]) -> Result<(DokumentId, u32), CatalogError> {
    let id = id_at(key, 0, "pending")?;
    let version: [u8; 4] = key
        .get(ID_LEN..)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| CatalogError::corrupt(format!("key {key:?} in tree pending")))?;
    Ok((id, u32::from_be_bytes(version)))
}

pub(crate) fn vorgang_of_key(key: &[u8]) -> Result<VorgangId, CatalogError> {
    id_at(key, ID_LEN, "akte_vorgaenge")
}

pub(crate) fn encode<V: Serialize>(value: &V, what: &'static str) -> Result<Vec<u8>, CatalogError> {
    serde_json::to_vec(value).map_err(|e| CatalogError::Encode {
        what,
        message: e.to_string(),
    })
}

pub(crate) fn decode<V: DeserializeOwned>(
    bytes: &[u8],
    what: impl FnOnce() -> String,
) -> Result<V, CatalogError> {
    serde_json::from_slice(bytes).map_err(|e| CatalogError::corrupt(format!("{}: {e}", what())))
}

/// All effects of one change, per tree, written in one transaction.
pub(crate) struct Writes {
    batches: Vec<Batch>,
}

impl Writes {
    pub(crate) fn new() -> Self {
        Self {
            batches: TREES.iter().map(|_| Batch::default()).collect(),
        }
    }

    pub(crate) fn put(&mut self, tree: T, key: impl AsRef<[u8]>, value: impl AsRef<[u8]>) {
        self.batches[tree as usize].insert(key.as_ref(), value.as_ref());
    }

    pub(crate) fn remove(&mut self, tree: T, key: impl AsRef<[u8]>) {
        self.batches[tree as usize].remove(key.as_ref());
    }

    /// Writes everything atomically: after a crash, either all of it is there or none.
    pub(crate) fn commit(&self, trees: &[Tree]) -> Result<(), CatalogError> {
        let result = trees.transaction(|views| {
            for (view, batch) in views.iter().zip(&self.batches) {
                view.apply_batch(batch)?;
            }
            Ok::<(), ConflictableTransactionError<Infallible>>(())
        });
        match result {
            Ok(()) => Ok(()),
            Err(TransactionError::Storage(e)) => Err(CatalogError::Sled(e)),
            Err(TransactionError::Abort(never)) => match never {},
        }
    }
}
