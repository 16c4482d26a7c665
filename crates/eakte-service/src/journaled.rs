//! How catalog changes are written to the journal and read back: the action name, the objects,
//! the non-personal fields as `details.change`, and the personal fields (titles, senders,
//! capture notes, file names) in the erasable payload.

use eakte_catalog::{Change, FilePlan, HoldScope};
use eakte_journal::{Actor, Entry, NewEvent, Outcome, PayloadState, StoredEvent, action};
use eakte_store::FileStore;
use serde_json::{Map, Value};

use crate::ServiceError;

/// What stands for a personal field whose payload was erased (disposition), when its entry is
/// replayed.
#[derive(Clone, Copy)]
enum Blank {
    /// A required text: empty.
    Text,
    /// An optional field: absent.
    Absent,
}

/// The fields of a change that are personal data, as JSON pointers into the serialised change,
/// with their blank. They go to the payload, so that disposition can erase them while the
/// journal still verifies.
const PERSONAL_FIELDS: &[(&str, Blank)] = &[
    ("/akte/title", Blank::Text),
    ("/vorgang/title", Blank::Text),
    ("/dokument/title", Blank::Text),
    ("/dokument/sender", Blank::Absent),
    ("/dokument/capture", Blank::Absent),
    ("/dokument/original_name", Blank::Absent),
    // A failure message may quote the document (a parser's complaint, a worker's last words).
    ("/extraction/message", Blank::Text),
];

fn action_of(change: &Change) -> &'static str {
    match change {
        Change::PlanImported { .. } => action::PLAN_IMPORTED,
        Change::AkteCreated { .. } => action::AKTE_CREATED,
        Change::AkteClosed { .. } => action::AKTE_CLOSED,
        Change::AkteDomainDate { .. } => action::AKTE_DATED,
        Change::VorgangCreated { .. } => action::VORGANG_CREATED,
        Change::DokumentFiled { .. } => action::DOCUMENT_FILED,
        Change::DokumentAssigned { .. } => action::DOCUMENT_ASSIGNED,
        Change::VersionAdded { .. } => action::DOCUMENT_VERSIONED,
        Change::ExtractionRecorded { .. } => action::DOCUMENT_EXTRACTED,
        Change::RulesAdopted { .. } => action::RULES_ADOPTED,
        Change::HoldSet { .. } => action::HOLD_SET,
        Change::HoldReleased { .. } => action::HOLD_RELEASED,
        Change::DispositionProposed { .. } => action::DISPOSITION_PROPOSED,
        Change::DispositionApproved { .. } => action::DISPOSITION_APPROVED,
        Change::AppraisalRecorded { .. } => action::APPRAISAL_IMPORTED,
        Change::TransferRecorded { .. } => action::TRANSFER_EXPORTED,
        Change::ReceiptRecorded { .. } => action::RECEIPT_IMPORTED,
        Change::AkteDestroyed { .. } => action::AKTE_DESTROYED,
    }
}

/// Whether an action name is a catalog change: every entry with one is replayed into the
/// catalog.
pub fn is_catalog_action(name: &str) -> bool {
    matches!(
        name,
        action::PLAN_IMPORTED
            | action::AKTE_CREATED
            | action::AKTE_CLOSED
            | action::AKTE_DATED
            | action::VORGANG_CREATED
            | action::DOCUMENT_FILED
            | action::DOCUMENT_ASSIGNED
            | action::DOCUMENT_VERSIONED
            | action::DOCUMENT_EXTRACTED
            | action::RULES_ADOPTED
            | action::HOLD_SET
            | action::HOLD_RELEASED
            | action::DISPOSITION_PROPOSED
            | action::DISPOSITION_APPROVED
            | action::APPRAISAL_IMPORTED
            | action::TRANSFER_EXPORTED
            | action::RECEIPT_IMPORTED
            | action::AKTE_DESTROYED
    )
}

fn objects_of(change: &Change) -> Vec<(&'static str, String)> {
    match change {
        Change::PlanImported { blob, .. } => vec![("blob", blob.to_string())],
        Change::AkteCreated { akte } => vec![("akte", akte.id.to_string())],
        Change::AkteClosed { id, .. } | Change::AkteDomainDate { id, .. } => {
            vec![("akte", id.to_string())]
        }
        Change::VorgangCreated { vorgang } => vec![
            ("vorgang", vorgang.id.to_string()),
            ("akte", vorgang.akte_id.to_string()),
        ],
        Change::DokumentFiled { dokument } => {
            let mut objects = vec![("document", dokument.id.to_string())];
            if let Some(akte) = dokument.akte_id {
                objects.push(("akte", akte.to_string()));
            }
            objects.extend(
                dokument
                    .versions
                    .iter()
                    .map(|v| ("blob", v.blob.to_string())),
            );
            objects
        }
        Change::DokumentAssigned {
            id,
            akte_id,
            vorgang_id,
        } => {
            let mut objects = vec![("document", id.to_string()), ("akte", akte_id.to_string())];
            if let Some(vorgang) = vorgang_id {
                objects.push(("vorgang", vorgang.to_string()));
            }
            objects
        }
        Change::VersionAdded { id, version } => vec![
            ("document", id.to_string()),
            ("blob", version.blob.to_string()),
        ],
        Change::ExtractionRecorded { id, .. } => vec![("document", id.to_string())],
        Change::RulesAdopted { blob } => vec![("blob", blob.to_string())],
        Change::HoldSet { hold } => {
            let mut objects = vec![("hold", hold.id.to_string())];
            match &hold.scope {
                HoldScope::Akte { id } => objects.push(("akte", id.to_string())),
                HoldScope::Vorgang { id } => objects.push(("vorgang", id.to_string())),
                HoldScope::Dokument { id } => objects.push(("document", id.to_string())),
                HoldScope::Query { documents, .. } => {
                    objects.extend(documents.iter().map(|d| ("document", d.to_string())));
                }
            }
            objects
        }
        Change::HoldReleased { id, .. } => vec![("hold", id.to_string())],
        Change::DispositionProposed { batch } => {
            let mut objects = vec![("batch", batch.id.to_string())];
            objects.extend(batch.items.iter().map(|i| ("akte", i.akte.to_string())));
            objects
        }
        Change::DispositionApproved { id, .. } | Change::TransferRecorded { id, .. } => {
            vec![("batch", id.to_string())]
        }
        Change::AppraisalRecorded { id, blob, .. } | Change::ReceiptRecorded { id, blob, .. } => {
            vec![("batch", id.to_string()), ("blob", blob.to_string())]
        }
        Change::AkteDestroyed { tombstone } => vec![
            ("akte", tombstone.akte.to_string()),
            ("batch", tombstone.batch.to_string()),
        ],
    }
}

/// The journal event of a change made by `actor`.
pub fn event_of(actor: Actor, change: &Change) -> Result<NewEvent, ServiceError> {
    let mut event = NewEvent::new(actor, action_of(change), Outcome::Ok);
    for (kind, id) in objects_of(change) {
        event = event.object(kind, id);
    }
    let mut value = serde_json::to_value(change)
        .map_err(|e| ServiceError::Corruption(format!("a change cannot be serialised: {e}")))?;
    // The plan itself is stored as a blob (it can be larger than an entry may be); the entry
    // names the blob, and replay reads the plan back from the store.
    if let Change::PlanImported { .. } = change
        && let Some(object) = value.as_object_mut()
    {
        object.remove("plan");
    }
    let mut personal = Map::new();
    for (pointer, _) in PERSONAL_FIELDS {
        if let Some((parent, key)) = pointer.rsplit_once('/')
            && let Some(Value::Object(holder)) = value.pointer_mut(parent)
            && let Some(field) = holder.remove(key)
        {
            personal.insert((*pointer).to_owned(), field);
        }
    }
    event = event.detail("change", value);
    if !personal.is_empty() {
        event.personal = Some(personal);
    }
    Ok(event)
}

/// The change a journal entry records, or `None` when the entry is not a catalog change.
pub fn change_of(stored: &StoredEvent, store: &FileStore) -> Result<Option<Change>, ServiceError> {
    let entry: &Entry = &stored.entry;
    if !is_catalog_action(&entry.action) || entry.outcome != Outcome::Ok {
        return Ok(None);
    }
    let bad = |what: &str| {
        ServiceError::Corruption(format!(
            "journal entry {} ({}): {what}",
            entry.seq, entry.action
        ))
    };
    let mut value = entry
        .details
        .get("change")
        .cloned()
        .ok_or_else(|| bad("no change in its details"))?;
    match &stored.payload {
        PayloadState::Present(payload) => {
            for (pointer, field) in &payload.data {
                let Some((parent, key)) = pointer.rsplit_once('/') else {
                    continue;
                };
                if let Some(Value::Object(holder)) = value.pointer_mut(parent) {
                    holder.insert(key.to_owned(), field.clone());
                }
            }
        }
        // Disposition erased it: the record was destroyed later in the journal, so replay
        // only needs a value of the right type until the destruction removes it.
        PayloadState::Erased => {
            for (pointer, blank) in PERSONAL_FIELDS {
                let Some((parent, key)) = pointer.rsplit_once('/') else {
                    continue;
                };
                if let Some(Value::Object(holder)) = value.pointer_mut(parent) {
                    let value = match blank {
                        Blank::Text => Value::String(String::new()),
                        Blank::Absent => Value::Null,
                    };
                    holder.insert((*key).to_owned(), value);
                }
            }
        }
        PayloadState::None => {}
    }
    if entry.action == action::PLAN_IMPORTED {
        let blob = value
            .get("blob")
            .and_then(Value::as_str)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| bad("no plan blob"))?;
        let bytes = store.get_bytes(&blob)?;
        let plan = FilePlan::from_json(&bytes)
            .map_err(|e| bad(&format!("the stored plan does not parse: {e}")))?;
        let plan = serde_json::to_value(plan).map_err(|e| bad(&e.to_string()))?;
        if let Some(object) = value.as_object_mut() {
            object.insert("plan".into(), plan);
        }
    }
    serde_json::from_value(value)
        .map(Some)
        .map_err(|e| bad(&format!("the change does not decode: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use eakte_catalog::{Capture, Dokument, Extraction, Version};
    use eakte_config::Config;
    use eakte_journal::Journal;
    use eakte_types::{BlobId, DokumentId, Sha256Digest};

    fn actor() -> Actor {
        Actor {
            user: "test".into(),
            role: "operator".into(),
            unit: None,
            client: None,
        }
    }

    #[test]
    fn personal_fields_go_to_the_payload_and_come_back() {
        let dir = tempfile::tempdir().unwrap();
        let config = Config::default();
        let journal = Journal::open(&dir.path().join("journal"), &config.journal).unwrap();
        let store = FileStore::open(&dir.path().join("store"), &config.store).unwrap();
        let now = chrono::Utc::now();
        let change = Change::DokumentFiled {
            dokument: Dokument {
                id: DokumentId::new_random(),
                akte_id: None,
                vorgang_id: None,
                unit: None,
                title: "Meldebescheinigung Jürgen Müller".into(),
                doc_type: Some("Meldebescheinigung".into()),
                received: None,
                sender: Some("Jürgen Müller".into()),
                capture: Some(Capture {
                    station: "scan-3".into(),
                    operator: Some("Käthe Schäfer".into()),
                    scanned_at: Some(now),
                    resolution_dpi: Some(300),
                    quality_check: Some("ok".into()),
                    colour_mode: None,
                    page_count: None,
                }),
                original_name: Some("mueller-juergen.pdf".into()),
                filed: now,
                versions: vec![Version {
                    number: 1,
                    blob: BlobId::from_bytes([7; 32]),
                    sha256: Sha256Digest::from_bytes([8; 32]),
                    size: 10,
                    media_type: None,
                    filed: now,
                    extraction: Extraction::Pending,
                }],
            },
        };
        let receipt = journal.append(event_of(actor(), &change).unwrap()).unwrap();
        let stored = journal.read(receipt.seq).unwrap();
        let entry_text = serde_json::to_string(&stored.entry).unwrap();
        for personal in ["Müller", "Schäfer", "mueller-juergen", "scan-3"] {
            assert!(!entry_text.contains(personal), "{personal} in {entry_text}");
        }
        assert!(entry_text.contains("Meldebescheinigung\""), "{entry_text}");
        assert_eq!(stored.entry.action, action::DOCUMENT_FILED);
        let back = change_of(&stored, &store)
            .unwrap()
            .expect("a catalog change");
        assert_eq!(
            serde_json::to_value(&back).unwrap(),
            serde_json::to_value(&change).unwrap()
        );
    }

    #[test]
    fn other_entries_are_not_changes() {
        let dir = tempfile::tempdir().unwrap();
        let config = Config::default();
        let journal = Journal::open(&dir.path().join("journal"), &config.journal).unwrap();
        let store = FileStore::open(&dir.path().join("store"), &config.store).unwrap();
        let receipt = journal
            .append(NewEvent::new(actor(), "search.executed", Outcome::Ok))
            .unwrap();
        let stored = journal.read(receipt.seq).unwrap();
        assert!(change_of(&stored, &store).unwrap().is_none());
        // A catalog action without its change is corruption, not silently skipped.
        let receipt = journal
            .append(NewEvent::new(actor(), action::AKTE_CREATED, Outcome::Ok))
            .unwrap();
        let stored = journal.read(receipt.seq).unwrap();
        assert!(matches!(
            change_of(&stored, &store),
            Err(ServiceError::Corruption(_))
        ));
    }
}
