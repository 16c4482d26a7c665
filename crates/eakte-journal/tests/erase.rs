//! Erasing payloads: the personal data of entries about destroyed records leaves the disk,
//! every other payload stays, and the journal still opens, proves and verifies.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::*;
use eakte_journal::export::export;
use eakte_journal::verify::verify_export;
use eakte_journal::{NewEvent, Outcome, PayloadState, action, erase_payloads};

fn bytes_under(dir: &Path, needle: &str) -> usize {
    let mut hits = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            hits += bytes_under(&path, needle);
        } else {
            let bytes = std::fs::read(&path).unwrap();
            hits += bytes
                .windows(needle.len())
                .filter(|w| *w == needle.as_bytes())
                .count();
        }
    }
    hits
}

#[test]
fn payloads_of_named_objects_are_erased_and_the_journal_still_verifies() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("journal");
    let journal = open(&dir);
    // 250 entries over three checkpoints; every tenth names the doomed Akte with a marker in
    // its payload, every seventh a kept one with another marker.
    for i in 0..250u64 {
        let mut event = event(i);
        if i % 10 == 0 {
            event = NewEvent::new(actor("clerk"), action::AKTE_CREATED, Outcome::Ok)
                .object("akte", "akte-doomed")
                .personal("title", format!("Zitronenfalter-{i}"));
        } else if i % 7 == 0 {
            event = NewEvent::new(actor("clerk"), action::AKTE_CREATED, Outcome::Ok)
                .object("akte", "akte-kept")
                .personal("title", format!("Schwalbenschwanz-{i}"));
        }
        journal.append(event).unwrap();
    }
    let root_before = journal.checkpoint().unwrap();
    let key = journal.public_key();
    journal.close().unwrap();
    assert_eq!(bytes_under(&dir, "Zitronenfalter-"), 25);

    let report = erase_payloads(&dir, &BTreeSet::from(["akte-doomed".to_owned()])).unwrap();
    assert_eq!(report.payloads_erased, 25);
    assert!(report.segments_rewritten >= 1);
    assert!(report.bytes_rewritten < report.bytes_before);
    assert_eq!(bytes_under(&dir, "Zitronenfalter-"), 0);
    assert!(bytes_under(&dir, "Schwalbenschwanz-") > 0);

    let journal = open(&dir);
    assert_eq!(journal.size(), root_before.size);
    for seq in 0..250u64 {
        let stored = journal.read(seq).unwrap();
        let doomed = stored.entry.objects.iter().any(|o| o.id == "akte-doomed");
        match (&stored.payload, doomed) {
            (PayloadState::Erased, true) => {}
            (PayloadState::Present(_) | PayloadState::None, false) => {}
            (other, _) => panic!("entry {seq}: {other:?}"),
        }
    }
    let root_after = journal.checkpoint().unwrap();
    assert_eq!(root_after.root, root_before.root, "leaves are unchanged");
    let out = tmp.path().join("export");
    export(&journal, &out, None, None).unwrap();
    let verified = verify_export(&out, &key, &[root_before]).unwrap();
    assert_eq!(verified.erased, 25);
    journal.close().unwrap();

    // Again: nothing more to erase.
    let again = erase_payloads(&dir, &BTreeSet::from(["akte-doomed".to_owned()])).unwrap();
    assert_eq!(again.payloads_erased, 0);
}

#[test]
fn an_open_journal_cannot_be_erased() {
    let tmp = tempfile::tempdir().unwrap();
    let journal = open(tmp.path());
    journal.append(event(0)).unwrap();
    let err = erase_payloads(tmp.path(), &BTreeSet::from(["doc-0".to_owned()])).unwrap_err();
    assert!(
        err.to_string().contains("lock") || matches!(err, eakte_journal::JournalError::Locked(_)),
        "{err}"
    );
}
