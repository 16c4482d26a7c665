//! The journal end to end: appends, reopen, checkpoints, proofs, queries, export and verification.

mod common;

use common::*;
use eakte_journal::export::export;
use eakte_journal::merkle::{Blake3Hasher, verify_consistency, verify_inclusion};
use eakte_journal::verify::verify_export;
use eakte_journal::{JournalError, NewEvent, Outcome, PayloadState, Query, action};

#[test]
fn entries_survive_reopen_and_chain_and_prove() {
    let dir = tempfile::tempdir().unwrap();
    let mut receipts = Vec::new();
    {
        let journal = open(dir.path());
        for i in 0..250 {
            receipts.push(journal.append(event(i)).unwrap());
        }
        assert_eq!(journal.size(), 250);
        // Checkpoints every 100 entries were made as appends went.
        let sizes: Vec<u64> = journal.checkpoints().iter().map(|c| c.size).collect();
        assert_eq!(sizes, vec![100, 200]);
        journal.close().unwrap();
    }
    let journal = open(dir.path());
    assert_eq!(journal.size(), 250);
    let checkpoints = journal.checkpoints();
    assert_eq!(
        checkpoints.last().unwrap().size,
        250,
        "closing made a final checkpoint"
    );
    for (seq, receipt) in receipts.iter().enumerate() {
        assert_eq!(receipt.seq, seq as u64);
        assert_eq!(journal.leaf(seq as u64).unwrap(), receipt.leaf);
        let stored = journal.read(seq as u64).unwrap();
        assert_eq!(stored.entry.seq, seq as u64);
        assert_eq!(stored.entry.time, receipt.time);
        if seq > 0 {
            assert_eq!(stored.entry.prev, hex::encode(receipts[seq - 1].leaf));
        }
    }
    let public = journal.public_key();
    for c in &checkpoints {
        let root = c.verify(&public).unwrap();
        assert_eq!(journal.root_at(c.size).unwrap(), root);
        for index in [0, c.size / 2, c.size - 1] {
            let proof = journal.inclusion_proof(index, c.size).unwrap();
            let leaf = journal.leaf(index).unwrap();
            verify_inclusion(&Blake3Hasher, index, c.size, &leaf, &proof, &root).unwrap();
        }
    }
    for pair in checkpoints.windows(2) {
        let (old, new) = (&pair[0], &pair[1]);
        let proof = journal.consistency_proof(old.size, new.size).unwrap();
        let (old_root, new_root) = (old.verify(&public).unwrap(), new.verify(&public).unwrap());
        verify_consistency(
            &Blake3Hasher,
            old.size,
            new.size,
            &old_root,
            &new_root,
            &proof,
        )
        .unwrap();
    }
    assert!(journal.inclusion_proof(250, 250).is_err());
    assert!(journal.consistency_proof(10, 251).is_err());
}

#[test]
fn personal_data_sits_in_the_payload_not_the_entry() {
    let dir = tempfile::tempdir().unwrap();
    let journal = open(dir.path());
    let receipt = journal
        .append(
            NewEvent::new(actor("mmeier"), action::SEARCH_EXECUTED, Outcome::Ok)
                .detail("hits", 3)
                .personal("query", "Schmidt Meldebescheinigung"),
        )
        .unwrap();
    let (entry_bytes, payload) = journal.read_raw(receipt.seq).unwrap();
    let entry_text = String::from_utf8(entry_bytes).unwrap();
    assert!(!entry_text.contains("Schmidt"), "{entry_text}");
    let payload = payload.expect("a payload");
    assert!(String::from_utf8_lossy(&payload).contains("Schmidt Meldebescheinigung"));
    let stored = journal.read(receipt.seq).unwrap();
    let commit = stored.entry.payload.clone().unwrap();
    assert_eq!(commit.blake3, blake3::hash(&payload).to_hex().as_str());
    match stored.payload {
        PayloadState::Present(p) => {
            assert_eq!(p.data["query"], "Schmidt Meldebescheinigung");
            assert_eq!(p.salt.len(), 32);
        }
        other => panic!("expected the payload, got {other:?}"),
    }
}

#[test]
fn bad_events_are_refused_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let journal = open(dir.path());
    journal.append(event(0)).unwrap();
    let bad = [
        NewEvent::new(actor("a"), "Document.Read", Outcome::Ok),
        NewEvent::new(actor(""), action::DOCUMENT_READ, Outcome::Ok),
        NewEvent::new(actor("a"), action::DOCUMENT_READ, Outcome::Ok).object("Doc", "1"),
        NewEvent::new(actor("a"), action::DOCUMENT_READ, Outcome::Ok)
            .detail("big", "x".repeat(70_000)),
        NewEvent::new(actor("a"), action::DOCUMENT_READ, Outcome::Ok)
            .personal("big", "x".repeat(1_100_000)),
    ];
    for event in bad {
        let err = journal.append(event).unwrap_err();
        assert!(matches!(err, JournalError::Invalid(_)), "{err}");
    }
    assert_eq!(journal.size(), 1);
    assert_eq!(journal.append(event(1)).unwrap().seq, 1);
}

#[test]
fn queries_filter_by_actor_object_action_and_time() {
    let dir = tempfile::tempdir().unwrap();
    let journal = open(dir.path());
    let mut receipts = Vec::new();
    for i in 0..60 {
        receipts.push(journal.append(event(i)).unwrap());
    }
    let all: Vec<_> = (0..60u64).collect();
    let expect =
        |keep: &dyn Fn(u64) -> bool| all.iter().copied().filter(|i| keep(*i)).collect::<Vec<_>>();
    let q = |query: Query| journal.query_seqs(&query);
    assert_eq!(
        q(Query {
            actor: Some("user2".into()),
            ..Query::default()
        }),
        expect(&|i| i % 5 == 2)
    );
    assert_eq!(
        q(Query {
            object: Some("doc-3".into()),
            ..Query::default()
        }),
        expect(&|i| i % 7 == 3)
    );
    assert_eq!(
        q(Query {
            action: Some(action::SEARCH_EXECUTED.into()),
            actor: Some("user1".into()),
            ..Query::default()
        }),
        expect(&|i| i % 4 == 2 && i % 5 == 1)
    );
    let from = eakte_journal::event::parse_time(&receipts[20].time).unwrap();
    let to = eakte_journal::event::parse_time(&receipts[40].time).unwrap();
    let in_range = q(Query {
        from: Some(from),
        to: Some(to),
        ..Query::default()
    });
    assert!(
        in_range.contains(&20) && in_range.contains(&40),
        "{in_range:?}"
    );
    assert!(in_range.iter().all(|seq| {
        let t = eakte_journal::event::parse_time(&receipts[*seq as usize].time).unwrap();
        t >= from && t <= to
    }));
    assert_eq!(
        q(Query {
            actor: Some("nobody".into()),
            ..Query::default()
        }),
        Vec::<u64>::new()
    );
    assert_eq!(
        q(Query {
            limit: Some(3),
            ..Query::default()
        }),
        vec![0, 1, 2]
    );
    let events = journal
        .query(&Query {
            object: Some("doc-0".into()),
            ..Query::default()
        })
        .unwrap();
    assert!(
        events
            .iter()
            .all(|e| e.entry.objects.iter().any(|o| o.id == "doc-0"))
    );
    assert_eq!(events.len(), expect(&|i| i % 7 == 0).len());
}

#[test]
fn an_export_verifies_and_a_partial_export_too() {
    let dir = tempfile::tempdir().unwrap();
    let journal = open(dir.path());
    let mut times = Vec::new();
    for i in 0..330 {
        times.push(journal.append(event(i)).unwrap().time);
    }
    let out = dir.path().join("export");
    let summary = export(&journal, &out, None, None).unwrap();
    assert_eq!((summary.first, summary.end), (0, 330));
    let report = verify_export(&out, &journal.public_key(), &[]).unwrap();
    assert_eq!((report.first, report.end, report.payloads), (0, 330, 110));
    assert_eq!(report.checkpoints, 4, "sizes 100, 200, 300 and 330");

    let from = eakte_journal::event::parse_time(&times[150]).unwrap();
    let to = eakte_journal::event::parse_time(&times[210]).unwrap();
    let part = dir.path().join("part");
    let summary = export(&journal, &part, Some(from), Some(to)).unwrap();
    assert_eq!((summary.first, summary.end), (100, 300));
    let kept = journal.checkpoints();
    let report = verify_export(&part, &journal.public_key(), &kept[..3]).unwrap();
    assert_eq!((report.first, report.end), (100, 300));
    assert_eq!(report.kept_checked, 3);
    // The newest checkpoint covers more than the partial export: taken as a kept checkpoint, it
    // shows the export does not reach it.
    let err = verify_export(&part, &journal.public_key(), &kept).unwrap_err();
    assert_eq!(err.entry, Some(300), "{err}");

    let again = export(&journal, &out, None, None).unwrap_err();
    assert!(again.to_string().contains("not empty"), "{again}");
    let other_key = ed25519_dalek::SigningKey::from_bytes(&[1; 32]).verifying_key();
    assert!(verify_export(&out, &other_key, &[]).is_err());
}

#[test]
fn a_second_process_cannot_open_the_journal() {
    let dir = tempfile::tempdir().unwrap();
    let _journal = open(dir.path());
    let err = eakte_journal::Journal::open(dir.path(), &config())
        .err()
        .unwrap();
    assert!(matches!(err, JournalError::Locked(_)), "{err}");
}

#[test]
fn a_torn_tail_is_cut_at_every_byte_and_earlier_entries_stay() {
    let dir = tempfile::tempdir().unwrap();
    let original = dir.path().join("journal");
    let mut leaves = Vec::new();
    {
        let journal = open(&original);
        for i in 0..20 {
            leaves.push(journal.append(event(i)).unwrap().leaf);
        }
        journal.close().unwrap();
    }
    let segment = original.join("segments/00000001.jnl");
    let full = std::fs::read(&segment).unwrap();
    // The last entry frame and the checkpoint frame after it are the last ~1 KiB.
    let tail = 1200.min(full.len() - 40);
    for cut in full.len() - tail..full.len() {
        let copy = dir.path().join(format!("cut-{cut}"));
        std::fs::create_dir_all(copy.join("segments")).unwrap();
        for name in ["checkpoint.key", "checkpoint.pub", "origin"] {
            std::fs::copy(original.join(name), copy.join(name)).unwrap();
        }
        std::fs::write(copy.join("segments/00000001.jnl"), &full[..cut]).unwrap();
        let journal = open(&copy);
        let size = journal.size();
        assert!((14..=20).contains(&size), "cut at {cut}: {size} entries");
        for (seq, leaf) in leaves.iter().enumerate().take(size as usize) {
            assert_eq!(journal.leaf(seq as u64).unwrap(), *leaf, "cut at {cut}");
        }
        assert!(journal.checkpoints().iter().all(|c| c.size <= size));
        let kept = copy.join("quarantine");
        let cut_off = std::fs::metadata(copy.join("segments/00000001.jnl"))
            .unwrap()
            .len();
        if cut_off < cut as u64 {
            assert!(
                kept.read_dir().unwrap().count() == 1,
                "cut at {cut}: nothing quarantined"
            );
        }
        // It takes new entries after the cut.
        assert_eq!(journal.append(event(99)).unwrap().seq, size);
        drop(journal);
        std::fs::remove_dir_all(&copy).unwrap();
    }
}

#[test]
fn the_published_schema_names_exactly_the_fields_an_entry_has() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../schemas/journal-event.v1.json"
    );
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let journal = open(dir.path());
    let seq = journal.append(event(0)).unwrap().seq;
    let (bytes, _) = journal.read_raw(seq).unwrap();
    let entry: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(&bytes).unwrap();
    let keys = |v: &serde_json::Value| {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    let mut required: Vec<String> = schema["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    required.sort();
    let mut fields: Vec<String> = entry.keys().cloned().collect();
    fields.sort();
    assert_eq!(required, fields);
    assert_eq!(keys(&schema["properties"]), fields);
    assert_eq!(
        keys(&schema["properties"]["actor"]["properties"]),
        keys(&entry["actor"])
    );
}

#[test]
fn segment_summaries_are_rebuilt_when_missing_or_damaged_and_give_the_same_journal() {
    let dir = tempfile::tempdir().unwrap();
    let small = eakte_config::JournalConfig {
        segment_max_bytes: 64 * 1024,
        checkpoint_every_entries: 100,
        ..eakte_config::JournalConfig::default()
    };
    let reopen = || eakte_journal::Journal::open(dir.path(), &small).unwrap();
    {
        let journal = reopen();
        for i in 0..800 {
            journal.append(event(i)).unwrap();
        }
        journal.close().unwrap();
    }
    let snapshot = |journal: &eakte_journal::Journal| {
        let queries = [
            Query {
                actor: Some("user3".into()),
                ..Query::default()
            },
            Query {
                object: Some("doc-5".into()),
                ..Query::default()
            },
            Query {
                action: Some(action::ACCESS_DENIED.into()),
                ..Query::default()
            },
        ];
        let hits: Vec<Vec<u64>> = queries.iter().map(|q| journal.query_seqs(q)).collect();
        let leaves: Vec<_> = (0..journal.size())
            .map(|s| journal.leaf(s).unwrap())
            .collect();
        (
            journal.size(),
            journal.checkpoints(),
            hits,
            leaves,
            journal.root_at(journal.size()).unwrap(),
        )
    };
    // The first reopen reads the sealed segments in full and writes their summaries.
    let first = snapshot(&reopen());
    let summaries: Vec<_> = std::fs::read_dir(dir.path().join("segments"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "jdx"))
        .collect();
    let segments = std::fs::read_dir(dir.path().join("segments"))
        .unwrap()
        .count()
        - summaries.len();
    assert!(segments >= 4, "{segments} segments");
    assert_eq!(
        summaries.len(),
        segments - 1,
        "one summary per sealed segment"
    );
    assert_eq!(snapshot(&reopen()), first, "from the summaries");
    // Missing and damaged summaries are rebuilt from their segments.
    std::fs::remove_file(&summaries[0]).unwrap();
    let mut bytes = std::fs::read(&summaries[1]).unwrap();
    bytes[100] ^= 1;
    std::fs::write(&summaries[1], &bytes).unwrap();
    assert_eq!(snapshot(&reopen()), first, "rebuilt");
    assert!(summaries[0].exists());
    assert_ne!(
        std::fs::read(&summaries[1]).unwrap(),
        bytes,
        "the damaged summary was rewritten"
    );
    // Reads still check every entry against its leaf.
    let journal = reopen();
    for seq in (0..journal.size()).step_by(37) {
        journal.read(seq).unwrap();
    }
}

#[test]
fn an_interrupted_segment_creation_is_replaced_and_appends_go_on() {
    let dir = tempfile::tempdir().unwrap();
    {
        let journal = open(dir.path());
        for i in 0..5 {
            journal.append(event(i)).unwrap();
        }
        journal.close().unwrap();
    }
    // A crash while segment 2 was being created left 10 bytes of its header.
    std::fs::write(dir.path().join("segments/00000002.jnl"), [0xAB; 10]).unwrap();
    let journal = open(dir.path());
    assert_eq!(journal.size(), 5);
    assert_eq!(journal.append(event(5)).unwrap().seq, 5);
    journal.close().unwrap();
    let journal = open(dir.path());
    assert_eq!(journal.size(), 6);
    assert!(dir.path().join("quarantine").read_dir().unwrap().count() == 1);
}

#[test]
fn an_empty_journal_and_a_size_zero_checkpoint_export_and_verify_strictly() {
    let dir = tempfile::tempdir().unwrap();
    let journal = open(&dir.path().join("journal"));
    let empty = dir.path().join("empty");
    export(&journal, &empty, None, None).unwrap();
    let report = verify_export(&empty, &journal.public_key(), &[]).unwrap();
    assert_eq!((report.end, report.checkpoints), (0, 1));
    for i in 0..10 {
        journal.append(event(i)).unwrap();
    }
    let out = dir.path().join("ten");
    export(&journal, &out, None, None).unwrap();
    verify_export(&out, &journal.public_key(), &[]).unwrap();
    // The last entry is covered only by the final checkpoint's root: a change must be named even
    // though the export starts with the checkpoint of size 0.
    let path = out.join("entries.jsonl");
    let text = std::fs::read_to_string(&path).unwrap();
    let changed = text.replace(r#""n":9"#, r#""n":8"#);
    assert_ne!(changed, text);
    std::fs::write(&path, changed).unwrap();
    let failure = verify_export(&out, &journal.public_key(), &[]).unwrap_err();
    assert_eq!(failure.entry, Some(9), "{failure}");
}

#[test]
fn a_last_frame_with_a_bad_checksum_is_cut_but_one_in_the_middle_refuses_the_open() {
    let dir = tempfile::tempdir().unwrap();
    let original = dir.path().join("journal");
    {
        let journal = open(&original);
        for i in 0..5 {
            journal.append(event(i)).unwrap();
        }
        journal.close().unwrap();
    }
    let segment = std::fs::read(original.join("segments/00000001.jnl")).unwrap();
    let copy_with = |name: &str, bytes: &[u8]| {
        let copy = dir.path().join(name);
        std::fs::create_dir_all(copy.join("segments")).unwrap();
        for file in ["checkpoint.key", "checkpoint.pub", "origin"] {
            std::fs::copy(original.join(file), copy.join(file)).unwrap();
        }
        std::fs::write(copy.join("segments/00000001.jnl"), bytes).unwrap();
        copy
    };
    // The last frame is the closing checkpoint: a flipped byte in its payload, as a power loss
    // can leave an unacknowledged append.
    let mut last = segment.clone();
    let at = last.len() - 10;
    last[at] ^= 0x01;
    let copy = copy_with("last", &last);
    let journal = open(&copy);
    assert_eq!(journal.size(), 5);
    assert!(copy.join("quarantine").read_dir().unwrap().count() == 1);
    drop(journal);
    // The same damage in the first entry's payload refuses the open.
    let mut middle = segment.clone();
    middle[32 + 16 + 30] ^= 0x01;
    let copy = copy_with("middle", &middle);
    let err = eakte_journal::Journal::open(&copy, &config())
        .err()
        .unwrap();
    assert!(matches!(err, JournalError::Damaged(_)), "{err}");
}

#[test]
fn damage_in_a_sealed_segment_refuses_the_open_even_with_its_summary() {
    let dir = tempfile::tempdir().unwrap();
    let small = eakte_config::JournalConfig {
        segment_max_bytes: 64 * 1024,
        ..config()
    };
    {
        let journal = eakte_journal::Journal::open(dir.path(), &small).unwrap();
        for i in 0..400 {
            journal.append(event(i)).unwrap();
        }
        journal.close().unwrap();
    }
    // The reopen writes the summaries; then one byte of an entry in segment 1 changes.
    drop(eakte_journal::Journal::open(dir.path(), &small).unwrap());
    assert!(dir.path().join("segments/00000001.jdx").exists());
    let path = dir.path().join("segments/00000001.jnl");
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[1000] ^= 0x01;
    std::fs::write(&path, &bytes).unwrap();
    let err = eakte_journal::Journal::open(dir.path(), &small)
        .err()
        .unwrap();
    assert!(matches!(err, JournalError::Damaged(_)), "{err}");
}

#[test]
fn an_erased_payload_leaves_the_export_verifiable() {
    use ed25519_dalek::Signer;
    let dir = tempfile::tempdir().unwrap();
    let journal_path = dir.path().join("journal");
    let journal = open(&journal_path);
    for i in 0..30 {
        journal.append(event(i)).unwrap();
    }
    let out = dir.path().join("export");
    export(&journal, &out, None, None).unwrap();
    let key = journal.public_key();
    // What an export after disposition holds: the payload of entry 9 replaced by the erasure mark,
    // the entry itself (and its commitment) untouched, the manifest signed anew by the journal.
    let payloads = std::fs::read_to_string(out.join("payloads.jsonl")).unwrap();
    let erased: String = payloads
        .lines()
        .map(|line| {
            if line.starts_with(r#"{"seq":9,"#) {
                r#"{"seq":9,"erased":true}"#.to_owned()
            } else {
                line.to_owned()
            }
        })
        .map(|line| line + "\n")
        .collect();
    assert_ne!(erased, payloads);
    std::fs::write(out.join("payloads.jsonl"), &erased).unwrap();
    let mut manifest: eakte_journal::export::Manifest =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    for file in &mut manifest.files {
        let bytes = std::fs::read(out.join(&file.name)).unwrap();
        file.len = bytes.len() as u64;
        file.blake3 = blake3::hash(&bytes).to_hex().to_string();
    }
    let mut manifest_bytes = serde_json::to_vec(&manifest).unwrap();
    manifest_bytes.push(b'\n');
    std::fs::write(out.join("manifest.json"), &manifest_bytes).unwrap();
    let signing =
        eakte_journal::checkpoint::load_signing_key(&journal_path.join("checkpoint.key")).unwrap();
    let signature = hex::encode(signing.sign(&manifest_bytes).to_bytes());
    std::fs::write(out.join("manifest.sig"), format!("{signature}\n")).unwrap();

    let report = verify_export(&out, &key, &journal.checkpoints()).unwrap();
    assert_eq!((report.payloads, report.erased), (9, 1));
    // Claiming an erasure for an entry that commits to no payload is caught.
    std::fs::write(
        out.join("payloads.jsonl"),
        erased.replace(r#"{"seq":9,"erased":true}"#, r#"{"seq":10,"erased":true}"#),
    )
    .unwrap();
    let failure = verify_export(&out, &key, &[]).unwrap_err();
    assert_eq!(failure.entry, Some(9), "{failure}");
}
