//! The auditor's use cases over the live journal: events, signed checkpoints, proofs and
//! exports. Each needs the right to read the journal, and each read is itself journaled.

use std::path::Path;

use chrono::{DateTime, Utc};
use eakte_journal::export::{ExportSummary, export};
use eakte_journal::{Checkpoint, NewEvent, Outcome, Query, StoredEvent, action};

use crate::access::{Principal, Right};
use crate::{Service, ServiceError};

/// Events listed at most in one answer.
pub const MAX_EVENTS: usize = 1000;

impl Service {
    /// The journal events matching `query` (at most [`MAX_EVENTS`], the oldest first).
    pub fn audit_events(
        &self,
        who: &Principal,
        query: &Query,
    ) -> Result<Vec<StoredEvent>, ServiceError> {
        self.require(who, Right::ReadJournal)?;
        let mut query = query.clone();
        query.limit = Some(query.limit.unwrap_or(MAX_EVENTS).min(MAX_EVENTS));
        self.journal_read(who, "events")?;
        Ok(self.parts.journal.query(&query)?)
    }

    /// A freshly signed checkpoint of the whole journal.
    pub fn audit_checkpoint(&self, who: &Principal) -> Result<Checkpoint, ServiceError> {
        self.require(who, Right::ReadJournal)?;
        self.journal_read(who, "checkpoint")?;
        Ok(self.parts.journal.checkpoint()?)
    }

    /// The inclusion proof of entry `index` in the tree of the first `size` entries.
    pub fn audit_inclusion_proof(
        &self,
        who: &Principal,
        index: u64,
        size: u64,
    ) -> Result<Vec<[u8; 32]>, ServiceError> {
        self.require(who, Right::ReadJournal)?;
        self.check_tree_sizes(index.checked_add(1), size)?;
        self.journal_read(who, "inclusion_proof")?;
        Ok(self.parts.journal.inclusion_proof(index, size)?)
    }

    /// The consistency proof between the trees of the first `from` and `to` entries.
    pub fn audit_consistency_proof(
        &self,
        who: &Principal,
        from: u64,
        to: u64,
    ) -> Result<Vec<[u8; 32]>, ServiceError> {
        self.require(who, Right::ReadJournal)?;
        self.check_tree_sizes(Some(from), to)?;
        if from == 0 {
            return Err(ServiceError::input(
                "bad_tree_size",
                "a consistency proof starts from a tree of at least one entry",
            ));
        }
        self.journal_read(who, "consistency_proof")?;
        Ok(self.parts.journal.consistency_proof(from, to)?)
    }

    /// Writes an export of the journal (between `from` and `to`, widened to checkpoints) into
    /// `out`, a directory that must not exist yet; journaled as `journal.exported`.
    pub fn audit_export(
        &self,
        who: &Principal,
        out: &Path,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
    ) -> Result<ExportSummary, ServiceError> {
        self.require(who, Right::ReadJournal)?;
        self.parts.journal.append(
            NewEvent::new(who.actor(), action::JOURNAL_EXPORTED, Outcome::Ok)
                .detail("from", from.map(|t| t.to_rfc3339()))
                .detail("to", to.map(|t| t.to_rfc3339())),
        )?;
        Ok(export(&self.parts.journal, out, from, to)?)
    }

    /// The journal's public checkpoint key, as `eakte audit verify --key` takes it.
    pub fn audit_public_key(&self, who: &Principal) -> Result<String, ServiceError> {
        self.require(who, Right::ReadJournal)?;
        Ok(self.parts.journal.public_key_text())
    }

    /// `first` ≤ `size` ≤ the journal's size, or a refusal naming the sizes.
    fn check_tree_sizes(&self, first: Option<u64>, size: u64) -> Result<(), ServiceError> {
        let have = self.parts.journal.size();
        match first {
            Some(first) if first <= size && size <= have => Ok(()),
            _ => Err(ServiceError::input(
                "bad_tree_size",
                format!("sizes out of range: the journal has {have} entries"),
            )),
        }
    }

    fn journal_read(&self, who: &Principal, what: &str) -> Result<(), ServiceError> {
        self.parts.journal.append(
            NewEvent::new(who.actor(), action::JOURNAL_READ, Outcome::Ok).detail("what", what),
        )?;
        Ok(())
    }
}
