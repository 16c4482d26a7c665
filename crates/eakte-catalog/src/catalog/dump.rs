//! The canonical dump: the catalog's content as sorted JSON lines, equal for equal content.

use eakte_types::{BlobId, PlanCode};
use serde::Serialize;

use super::store::{self, T};
use super::{Catalog, StoredPlan};
use crate::disposition::{Batch, Hold, Tombstone};
use crate::error::CatalogError;
use crate::plan::FilePlan;
use crate::records::{Akte, Dokument, Vorgang};

/// One line of the dump, tagged by its kind (`{"akte":{…}}`).
#[derive(Serialize)]
#[serde(rename_all = "snake_case")]
enum Line<'a> {
    Plan {
        seq: u64,
        blob: BlobId,
        plan: &'a FilePlan,
    },
    Akte(&'a Akte),
    Vorgang(&'a Vorgang),
    Dokument(&'a Dokument),
    Counter {
        plan_code: PlanCode,
        year: u16,
        highest: u32,
    },
    RuleSet {
        seq: u64,
        blob: BlobId,
    },
    Hold(&'a Hold),
    Batch(&'a Batch),
    Tombstone(&'a Tombstone),
}

impl Catalog {
    /// The catalog's content as JSON lines: every imported plan by journal seq, the Akten by
    /// Aktenzeichen, the Vorgänge and Dokumente by id, and the Aktenzeichen counters (not the
    /// journal position, which is no content). Values are decoded and encoded again, so the text depends only on the
    /// content, not on how sled stores it; a rebuilt catalog dumps the same bytes.
    pub fn dump(&self) -> Result<String, CatalogError> {
        let mut out = String::new();
        let mut line = |line: Line<'_>| -> Result<(), CatalogError> {
            let text = serde_json::to_string(&line).map_err(|e| CatalogError::Encode {
                what: "dump line",
                message: e.to_string(),
            })?;
            out.push_str(&text);
            out.push('\n');
            Ok(())
        };
        for entry in self.tree(T::Plans).iter() {
            let (key, value) = entry?;
            let seq: [u8; 8] = key
                .as_ref()
                .try_into()
                .map_err(|_| CatalogError::corrupt(format!("plan key {key:?}")))?;
            let stored: StoredPlan = store::decode(&value, || format!("plan at key {key:?}"))?;
            line(Line::Plan {
                seq: u64::from_be_bytes(seq),
                blob: stored.blob,
                plan: &stored.plan,
            })?;
        }
        for akte in self.akten()? {
            line(Line::Akte(&akte))?;
        }
        for entry in self.tree(T::Vorgaenge).iter() {
            let (key, value) = entry?;
            let vorgang: Vorgang = store::decode(&value, || format!("Vorgang at key {key:?}"))?;
            line(Line::Vorgang(&vorgang))?;
        }
        for dokument in self.dokumente()? {
            line(Line::Dokument(&dokument))?;
        }
        for entry in self.tree(T::RuleSets).iter() {
            let (key, value) = entry?;
            let seq: [u8; 8] = key
                .as_ref()
                .try_into()
                .map_err(|_| CatalogError::corrupt(format!("rule set key {key:?}")))?;
            let blob: BlobId = store::decode(&value, || format!("rule set at key {key:?}"))?;
            line(Line::RuleSet {
                seq: u64::from_be_bytes(seq),
                blob,
            })?;
        }
        for hold in self.holds()? {
            line(Line::Hold(&hold))?;
        }
        for batch in self.batches()? {
            line(Line::Batch(&batch))?;
        }
        for tombstone in self.tombstones()? {
            line(Line::Tombstone(&tombstone))?;
        }
        for entry in self.tree(T::Counters).iter() {
            let (key, value) = entry?;
            let (plan_code, year) = store::decode_counter_key(&key)?;
            let highest: u32 = store::decode(&value, || format!("counter {plan_code} {year}"))?;
            line(Line::Counter {
                plan_code,
                year,
                highest,
            })?;
        }
        // The journal position (`next_seq`) is not content: reads and searches move it, and a
        // dump before and after a rebuild must be equal.
        Ok(out)
    }
}
