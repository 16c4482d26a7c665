//! Bulk loads: no timed commits until the load is committed, adding units known to be new,
//! and merging everything into one segment afterwards.

mod common;

use std::time::Duration;

use common::{config, doc, ids};
use eakte_index::SearchIndex;

fn numbered(n: usize) -> Vec<eakte_index::IndexDoc> {
    (0..n)
        .map(|i| doc(&format!("Vorgang {i}"), &format!("Meldewesen Nummer{i}")))
        .collect()
}

#[test]
fn bulk_load_is_invisible_until_committed() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config();
    cfg.commit_interval_ms = 10;
    let index = SearchIndex::open_bulk(dir.path(), &cfg).unwrap();
    for d in numbered(20) {
        index.add_new(&d).unwrap();
    }
    // Many commit intervals pass; a timed commit would make the units visible.
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(index.num_docs(), 0);
    index.commit().unwrap();
    assert_eq!(index.num_docs(), 20);
    // After the commit the index behaves as usual again: timed commits are back.
    let late = doc("Nachtrag", "Spaeter hinzugefuegt");
    index.upsert(&late).unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while index.num_docs() == 20 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(index.num_docs(), 21);
    index.close().unwrap();
}

// Regression: `force_merge` after a bulk load failed with tantivy's "The segments that were
// merged could not be found in the SegmentManager", because the merge policy was still
// merging some of the same segments.
#[test]
fn force_merge_after_many_commits_gives_one_segment() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config();
    cfg.commit_interval_ms = 60_000;
    let index = SearchIndex::open(dir.path(), &cfg).unwrap();
    let docs = numbered(400);
    for (i, d) in docs.iter().enumerate() {
        index.upsert(d).unwrap();
        if i % 5 == 4 {
            index.commit().unwrap();
        }
    }
    index.delete_document(docs[0].document_id).unwrap();
    index.force_merge().unwrap();
    assert_eq!(index.segment_count(), 1);
    assert_eq!(index.num_docs(), 399);
    assert_eq!(index.num_deleted_docs(), 0);
    assert_eq!(ids(&index, "Nummer7"), vec![docs[7].document_id]);
    // The writer is usable after the merge.
    let late = doc("Nachtrag", "Nummer9999");
    index.upsert(&late).unwrap();
    index.commit().unwrap();
    assert_eq!(ids(&index, "Nummer9999"), vec![late.document_id]);
    index.close().unwrap();
    let index = SearchIndex::open(dir.path(), &cfg).unwrap();
    assert_eq!(index.num_docs(), 400);
    index.close().unwrap();
}

#[test]
fn bulk_load_then_force_merge() {
    let dir = tempfile::tempdir().unwrap();
    let index = SearchIndex::open_bulk(dir.path(), &config()).unwrap();
    let docs = numbered(300);
    for d in &docs {
        index.add_new(d).unwrap();
    }
    index.force_merge().unwrap();
    assert_eq!(index.num_docs(), 300);
    assert_eq!(index.segment_count(), 1);
    assert_eq!(ids(&index, "Nummer42"), vec![docs[42].document_id]);
    // Upsert still replaces a unit added with `add_new`.
    index.upsert(&docs[42]).unwrap();
    index.commit().unwrap();
    assert_eq!(ids(&index, "Nummer42"), vec![docs[42].document_id]);
    assert_eq!(index.num_docs(), 300);
    index.close().unwrap();
}
