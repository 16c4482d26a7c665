//! The catalog's own checks of disposition, whoever wrote the journal entry: two distinct
//! sign-offs, no destruction under a hold, while an extraction runs or with a tombstone that
//! does not list what is removed; nothing filed into an Akte in a batch; the tombstone stays.

mod common;

use eakte_catalog::{
    Approval, Batch, BatchItem, Catalog, Change, Hold, HoldScope, Refusal, Release, Tombstone,
    TombstoneDocument, TombstoneVersion,
};
use eakte_types::{BatchId, HoldId};

use common::*;

fn sign(by: &str) -> Approval {
    Approval {
        by: by.into(),
        at: time(10),
    }
}

fn tombstone(batch: BatchId, documents: Vec<TombstoneDocument>) -> Tombstone {
    let akte = akte(1, "33.10", 1);
    Tombstone {
        akte: akte.id,
        aktenzeichen: akte.aktenzeichen,
        plan_code: akte.plan_code,
        batch,
        rule: "probe-rule".into(),
        outcome: "destroyed".into(),
        proposed_by: "alice".into(),
        approved_by: "bob".into(),
        destroyed_at: time(20),
        vorgaenge: Vec::new(),
        documents,
    }
}

fn listed(content: u8) -> TombstoneDocument {
    TombstoneDocument {
        id: dokument_id(1),
        versions: vec![TombstoneVersion {
            blob: blob(content),
            sha256: sha(content),
            len: 1000 + u64::from(content),
            rendition: None,
        }],
    }
}

fn refusal(catalog: &Catalog, seq: u64, change: &Change) -> Refusal {
    let refusal = catalog.check(change).unwrap_err();
    assert!(catalog.apply(seq, change).is_err(), "apply took {change:?}");
    refusal
}

#[test]
fn destruction_needs_two_sign_offs_no_hold_no_running_extraction_and_an_exact_tombstone() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = catalog_with_akten(dir.path());
    let seq = std::cell::Cell::new(catalog.next_seq());
    let apply = |change: &Change| {
        assert!(catalog.apply(seq.get(), change).unwrap(), "{change:?}");
        seq.set(seq.get() + 1);
    };
    apply(&filed(1, Some(1), 7));
    let hold = Hold {
        id: HoldId::new_random(),
        scope: HoldScope::Dokument { id: dokument_id(1) },
        reason: "Klage".into(),
        set_by: "alice".into(),
        set_at: time(5),
        released: None,
    };
    apply(&Change::HoldSet { hold: hold.clone() });
    let id = BatchId::new_random();
    let batch = Batch {
        id,
        as_of: date(9),
        proposed: sign("alice"),
        approved: None,
        items: vec![BatchItem {
            akte: akte_id(1),
            aktenzeichen: akte(1, "33.10", 1).aktenzeichen,
            rule: "probe-rule".into(),
            action: "destroy".into(),
            if_declined: None,
            due_on: date(9),
            appraisal: None,
            archived: None,
            destroyed_at: None,
        }],
        appraisal_blob: None,
        transfer_sha256: None,
        receipt_blob: None,
    };
    apply(&Change::DispositionProposed { batch });

    // Nothing more goes into an Akte that is in a batch.
    assert!(matches!(
        refusal(&catalog, seq.get(), &filed(2, Some(1), 8)),
        Refusal::AkteInBatch { .. }
    ));
    // Not approved: no destruction. The proposer cannot approve.
    let destroy = |documents| Change::AkteDestroyed {
        tombstone: tombstone(id, documents),
    };
    assert!(matches!(
        refusal(&catalog, seq.get(), &destroy(vec![listed(7)])),
        Refusal::BatchState { .. }
    ));
    assert!(matches!(
        refusal(
            &catalog,
            seq.get(),
            &Change::DispositionApproved {
                id,
                approval: sign("alice")
            }
        ),
        Refusal::SameApprover { .. }
    ));
    apply(&Change::DispositionApproved {
        id,
        approval: sign("bob"),
    });
    // The hold on its document covers the Akte.
    let why = |r: Refusal| match r {
        Refusal::NotDestroyable { why, .. } => why,
        other => panic!("{other:?}"),
    };
    assert!(why(refusal(&catalog, seq.get(), &destroy(vec![listed(7)]))).contains("hold"));
    apply(&Change::HoldReleased {
        id: hold.id,
        release: Release {
            by: "bob".into(),
            at: time(11),
        },
    });
    // The extraction of its only version is still pending.
    assert!(why(refusal(&catalog, seq.get(), &destroy(vec![listed(7)]))).contains("extraction"));
    apply(&Change::ExtractionRecorded {
        id: dokument_id(1),
        version: 1,
        extraction: done(9),
    });
    // A tombstone that names another original, or leaves the document out, is refused.
    for wrong in [vec![listed(8)], Vec::new()] {
        assert!(why(refusal(&catalog, seq.get(), &destroy(wrong))).contains("tombstone"));
    }
    apply(&destroy(vec![listed(7)]));
    assert!(catalog.akte(akte_id(1)).unwrap().is_none());
    assert!(catalog.dokument(dokument_id(1)).unwrap().is_none());
    assert_eq!(
        catalog.tombstone(akte_id(1)).unwrap().unwrap().approved_by,
        "bob"
    );
    assert_eq!(catalog.batch_of(akte_id(1)).unwrap(), None);
    // The other Akte is still listed; the destroyed one is not, and takes nothing any more.
    let listed_akten: Vec<_> = catalog.akten().unwrap().iter().map(|a| a.id).collect();
    assert_eq!(listed_akten, vec![akte_id(2)]);
    assert!(matches!(
        refusal(&catalog, seq.get(), &filed(3, Some(1), 9)),
        Refusal::AkteDestroyed { .. }
    ));
}
