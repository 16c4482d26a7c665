//! The catalog: idempotent apply, Aktenzeichen counters, lookups, extraction
//! bookkeeping, dumps across re-opening, and undecodable stored values.

mod common;

use eakte_catalog::{Catalog, CatalogError, Change, Extraction, Refusal};

use common::*;

#[test]
fn apply_is_idempotent_by_seq() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = Catalog::open(dir.path()).unwrap();
    assert_eq!(catalog.next_seq(), 0);
    assert!(catalog.apply(0, &plan_imported(small_plan())).unwrap());
    assert!(catalog.apply(5, &akte_created(1, "33", 1)).unwrap());
    assert_eq!(catalog.next_seq(), 6);
    let dump = catalog.dump().unwrap();
    // Seen seqs are skipped without a check: the same change again would otherwise be refused.
    assert!(!catalog.apply(5, &akte_created(1, "33", 1)).unwrap());
    assert!(!catalog.apply(3, &akte_created(2, "33", 2)).unwrap());
    assert_eq!(catalog.dump().unwrap(), dump);
    assert!(catalog.akte(akte_id(2)).unwrap().is_none());
    catalog.skip(9).unwrap();
    catalog.skip(7).unwrap();
    assert_eq!(catalog.next_seq(), 10);
    assert!(!catalog.apply(8, &akte_created(2, "33", 2)).unwrap());
    drop(catalog);
    let catalog = Catalog::open(dir.path()).unwrap();
    assert_eq!(catalog.next_seq(), 10);
    assert!(!catalog.apply(9, &akte_created(2, "33", 2)).unwrap());
    assert!(catalog.apply(10, &akte_created(2, "33", 2)).unwrap());
}

#[test]
fn aktenzeichen_counter_never_reuses() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = catalog_with_akten(dir.path());
    let next = catalog.next_aktenzeichen(&code("33.10"), 2026).unwrap();
    assert_eq!(next.to_string(), "33.10-0002/2026");
    // Asking again without using it gives the same number: only applying uses it up.
    assert_eq!(
        catalog.next_aktenzeichen(&code("33.10"), 2026).unwrap(),
        next
    );
    // Counters are per plan code and year.
    assert_eq!(
        catalog
            .next_aktenzeichen(&code("33.10"), 2027)
            .unwrap()
            .to_string(),
        "33.10-0001/2027"
    );
    assert_eq!(
        catalog
            .next_aktenzeichen(&code("33.1"), 2026)
            .unwrap()
            .to_string(),
        "33.1-0001/2026"
    );
    // A higher number applied directly moves the counter past it.
    assert!(catalog.apply(3, &akte_created(3, "33.10", 41)).unwrap());
    assert_eq!(
        catalog
            .next_aktenzeichen(&code("33.10"), 2026)
            .unwrap()
            .to_string(),
        "33.10-0042/2026"
    );
    // A lower, unused number does not move it back.
    assert!(catalog.apply(4, &akte_created(4, "33.10", 7)).unwrap());
    assert_eq!(
        catalog
            .next_aktenzeichen(&code("33.10"), 2026)
            .unwrap()
            .number(),
        42
    );
    drop(catalog);
    let catalog = Catalog::open(dir.path()).unwrap();
    assert_eq!(
        catalog
            .next_aktenzeichen(&code("33.10"), 2026)
            .unwrap()
            .number(),
        42
    );
    assert!(matches!(
        catalog.next_aktenzeichen(&code("99"), 2026),
        Err(CatalogError::Refused(Refusal::UnknownPlanCode { .. }))
    ));
    assert!(matches!(
        catalog.next_aktenzeichen(&code("33"), 999),
        Err(CatalogError::Refused(Refusal::InvalidAktenzeichen { .. }))
    ));
    let az: Vec<String> = catalog
        .akten()
        .unwrap()
        .iter()
        .map(|a| a.aktenzeichen.to_string())
        .collect();
    assert_eq!(
        az,
        [
            "33.10-0001/2026",
            "33.10-0007/2026",
            "33.10-0041/2026",
            "34-0001/2026"
        ]
    );
    let by_az = catalog
        .akte_by_aktenzeichen(&"33.10-0041/2026".parse().unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(by_az.id, akte_id(3));
    assert!(
        catalog
            .akte_by_aktenzeichen(&"33.10-0042/2026".parse().unwrap())
            .unwrap()
            .is_none()
    );
}

#[test]
fn lookups_by_place_and_sha256() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = catalog_with_akten(dir.path());
    let changes = [
        filed(1, Some(1), 10),
        filed(2, None, 10),
        filed(3, Some(2), 30),
        Change::VersionAdded {
            id: dokument_id(3),
            version: version(2, 31),
        },
        Change::VorgangCreated {
            vorgang: vorgang(1, 1),
        },
    ];
    for (i, change) in changes.iter().enumerate() {
        assert!(catalog.apply(3 + i as u64, change).unwrap());
    }
    assert_eq!(
        catalog.find_by_sha256(Some(akte_id(1)), &sha(10)).unwrap(),
        vec![dokument_id(1)]
    );
    assert_eq!(
        catalog.find_by_sha256(None, &sha(10)).unwrap(),
        vec![dokument_id(2)]
    );
    assert_eq!(
        catalog.find_by_sha256(Some(akte_id(2)), &sha(10)).unwrap(),
        vec![]
    );
    // Every version counts, not only the first.
    assert_eq!(
        catalog.find_by_sha256(Some(akte_id(2)), &sha(31)).unwrap(),
        vec![dokument_id(3)]
    );
    let ids = |docs: Vec<eakte_catalog::Dokument>| docs.iter().map(|d| d.id).collect::<Vec<_>>();
    assert_eq!(
        ids(catalog.dokumente_in(Some(akte_id(1))).unwrap()),
        [dokument_id(1)]
    );
    assert_eq!(ids(catalog.dokumente_in(None).unwrap()), [dokument_id(2)]);
    assert_eq!(
        ids(catalog.dokumente().unwrap()),
        [dokument_id(1), dokument_id(2), dokument_id(3)]
    );
    assert_eq!(catalog.vorgaenge(akte_id(1)).unwrap(), [vorgang(1, 1)]);
    assert!(catalog.vorgaenge(akte_id(2)).unwrap().is_empty());
    let doc = catalog.dokument(dokument_id(3)).unwrap().unwrap();
    assert_eq!(doc.versions, [version(1, 30), version(2, 31)]);
    let blobs = catalog.referenced_blobs().unwrap();
    assert_eq!(blobs, [blob(10), blob(30), blob(31), blob(200)]);
}

#[test]
fn pending_extractions_come_and_go() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = catalog_with_akten(dir.path());
    catalog.apply(3, &filed(1, Some(1), 10)).unwrap();
    catalog.apply(4, &filed(2, None, 20)).unwrap();
    let mut expected = vec![(dokument_id(1), 1), (dokument_id(2), 1)];
    assert_eq!(catalog.pending_extractions().unwrap(), expected);
    let record = |doc, extraction| Change::ExtractionRecorded {
        id: dokument_id(doc),
        version: 1,
        extraction,
    };
    catalog.apply(5, &record(1, done(11))).unwrap();
    expected.remove(0);
    assert_eq!(catalog.pending_extractions().unwrap(), expected);
    let failed = Extraction::Failed {
        code: "timeout".into(),
        message: "took too long".into(),
    };
    catalog.apply(6, &record(2, failed.clone())).unwrap();
    assert!(catalog.pending_extractions().unwrap().is_empty());
    assert_eq!(
        catalog.dokument(dokument_id(2)).unwrap().unwrap().versions[0].extraction,
        failed
    );
    catalog
        .apply(
            7,
            &Change::VersionAdded {
                id: dokument_id(1),
                version: version(2, 12),
            },
        )
        .unwrap();
    assert_eq!(
        catalog.pending_extractions().unwrap(),
        [(dokument_id(1), 2)]
    );
    // Recording `Pending` again queues a version once more.
    catalog.apply(8, &record(2, Extraction::Pending)).unwrap();
    assert_eq!(
        catalog.pending_extractions().unwrap(),
        [(dokument_id(1), 2), (dokument_id(2), 1)]
    );
    assert!(catalog.referenced_blobs().unwrap().contains(&blob(11)));
}

#[test]
fn dump_is_equal_for_equal_changes_across_reopen() {
    let changes = [
        plan_imported(small_plan()),
        akte_created(1, "33.10", 1),
        akte_created(2, "34", 3),
        Change::VorgangCreated {
            vorgang: vorgang(1, 1),
        },
        filed(1, Some(1), 10),
        filed(2, None, 20),
        Change::ExtractionRecorded {
            id: dokument_id(1),
            version: 1,
            extraction: done(11),
        },
        Change::AkteClosed {
            id: akte_id(2),
            closed_on: date(5),
        },
    ];
    let one = tempfile::tempdir().unwrap();
    let two = tempfile::tempdir().unwrap();
    let first = Catalog::open(one.path()).unwrap();
    for (seq, change) in changes.iter().enumerate() {
        first.apply(seq as u64 * 2, change).unwrap();
    }
    first.skip(99).unwrap();
    let mut second = Catalog::open(two.path()).unwrap();
    for (seq, change) in changes.iter().enumerate() {
        if seq == 4 {
            second.flush().unwrap();
            drop(second);
            second = Catalog::open(two.path()).unwrap();
        }
        second.apply(seq as u64 * 2, change).unwrap();
    }
    second.skip(99).unwrap();
    let dump = first.dump().unwrap();
    assert_eq!(dump, second.dump().unwrap());
    let lines: Vec<&str> = dump.lines().collect();
    assert!(lines[0].starts_with("{\"plan\":{\"seq\":0,"));
    assert!(lines[1].starts_with("{\"akte\":"));
    assert!(lines.last().unwrap().starts_with("{\"counter\":"), "{dump}");
    assert!(!dump.contains("last_seq"), "{dump}");
    assert_eq!(
        lines
            .iter()
            .filter(|l| l.starts_with("{\"counter\":"))
            .count(),
        2
    );
    // A different change gives a different dump.
    second
        .apply(
            100,
            &Change::AkteDomainDate {
                id: akte_id(1),
                name: "died".into(),
                date: date(6),
            },
        )
        .unwrap();
    assert_ne!(dump, second.dump().unwrap());
}

#[test]
fn undecodable_values_are_corruption() {
    let dir = tempfile::tempdir().unwrap();
    drop(catalog_with_akten(dir.path()));
    {
        let db = sled::open(dir.path()).unwrap();
        let akten = db.open_tree("akten").unwrap();
        let key = akte_id(1).to_string();
        akten
            .insert(key.as_bytes(), b"{not json".as_slice())
            .unwrap();
        db.open_tree("pending")
            .unwrap()
            .insert(b"short".as_slice(), b"".as_slice())
            .unwrap();
        db.flush().unwrap();
    }
    let catalog = Catalog::open(dir.path()).unwrap();
    assert!(matches!(
        catalog.akte(akte_id(1)),
        Err(CatalogError::Corruption { .. })
    ));
    assert!(matches!(
        catalog.akten(),
        Err(CatalogError::Corruption { .. })
    ));
    assert!(matches!(
        catalog.dump(),
        Err(CatalogError::Corruption { .. })
    ));
    assert!(matches!(
        catalog.pending_extractions(),
        Err(CatalogError::Corruption { .. })
    ));
    assert!(catalog.akte(akte_id(2)).unwrap().is_some());
    // A check that cannot read the catalog says so rather than giving a refusal it cannot know.
    let close = Change::AkteClosed {
        id: akte_id(1),
        closed_on: date(9),
    };
    assert!(matches!(
        catalog.try_check(&close),
        Err(CatalogError::Corruption { .. })
    ));
    assert!(matches!(
        catalog.check(&close),
        Err(Refusal::CatalogUnavailable { .. })
    ));
    drop(catalog);
    {
        let db = sled::open(dir.path()).unwrap();
        db.open_tree("meta")
            .unwrap()
            .insert(b"last_seq".as_slice(), b"-1".as_slice())
            .unwrap();
        db.flush().unwrap();
    }
    assert!(matches!(
        Catalog::open(dir.path()),
        Err(CatalogError::Corruption { .. })
    ));
}

#[test]
fn catalog_is_shared_between_threads() {
    fn send_sync<C: Send + Sync>() {}
    send_sync::<Catalog>();
    let dir = tempfile::tempdir().unwrap();
    let catalog = catalog_with_akten(dir.path());
    // Concurrent applies of the same seqs: each change is applied exactly once.
    let applied: usize = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..2)
            .map(|_| {
                scope.spawn(|| {
                    (3..8u64)
                        .filter(|&seq| catalog.apply(seq, &filed(seq, None, seq as u8)).unwrap())
                        .count()
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).sum()
    });
    assert_eq!(applied, 5);
    assert_eq!(catalog.dokumente().unwrap().len(), 5);
}

#[test]
fn opening_waits_for_a_lock_that_is_let_go_and_not_for_one_that_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let first = Catalog::open(dir.path()).unwrap();
    first.apply(0, &plan_imported(small_plan())).unwrap();
    // Another handle keeps the lock: opening gives up with the lock error.
    let refused = Catalog::open(dir.path()).unwrap_err();
    assert!(
        refused.to_string().contains("could not acquire lock"),
        "{refused}"
    );
    // A handle let go of while the open waits: the open succeeds and sees its data.
    let holder = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(300));
        drop(first);
    });
    let second = Catalog::open(dir.path()).unwrap();
    holder.join().unwrap();
    assert_eq!(second.next_seq(), 1);
}

#[test]
fn compaction_keeps_the_content_drops_old_values_and_survives_a_crash_at_each_step() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("catalog");
    let catalog = Catalog::open(&dir).unwrap();
    catalog.apply(0, &plan_imported(small_plan())).unwrap();
    catalog.apply(1, &akte_created(1, "33", 1)).unwrap();
    let dump = catalog.dump().unwrap();
    drop(catalog);
    let report = Catalog::compact(&dir).unwrap();
    assert!(report.bytes_after > 0);
    assert_eq!(Catalog::open(&dir).unwrap().dump().unwrap(), dump);
    let sibling = |suffix: &str| tmp.path().join(format!("catalog{suffix}"));
    assert!(!sibling(".compact").exists() && !sibling(".retired").exists());

    // A crash after the old catalog was moved away, before the new one was moved in: the
    // complete new one is taken.
    std::fs::rename(&dir, sibling(".retired")).unwrap();
    let copy = |from: &std::path::Path, to: &std::path::Path| {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            if entry.path().is_file() {
                std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
            }
        }
    };
    copy(&sibling(".retired"), &sibling(".compact"));
    std::fs::write(sibling(".compact").join("compacted"), b"").unwrap();
    assert_eq!(Catalog::open(&dir).unwrap().dump().unwrap(), dump);
    assert!(!sibling(".compact").exists() && !sibling(".retired").exists());

    // A crash with an unfinished new catalog and the old one moved away: the old one comes back.
    std::fs::rename(&dir, sibling(".retired")).unwrap();
    std::fs::create_dir_all(sibling(".compact")).unwrap();
    assert_eq!(Catalog::open(&dir).unwrap().dump().unwrap(), dump);
    assert!(!sibling(".compact").exists() && !sibling(".retired").exists());
}
