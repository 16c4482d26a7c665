//! Retention, holds and disposition on the command line, ending in the proof of destruction:
//! after a disposition no byte of the destroyed records' markers is left anywhere under the
//! data directory — not after the purge, not after a rebuild — while the records that were not
//! disposed of stay intact, searchable and verifiable.

mod common;

use std::path::{Path, PathBuf};

use common::*;

const PLAN: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../fixtures/plan/buergerbuero.json"
);

/// Creates an Akte under `code` and returns its Aktenzeichen.
fn akte(data: &Path, code: &str, title: &str) -> String {
    let out = succeeds(&eakte(
        data,
        &[
            "akte",
            "create",
            "--plan",
            code,
            "--title",
            title,
            "--unit",
            "33 Bürgerbüro – Pass- und Ausweiswesen",
        ],
    ));
    out.split_whitespace().nth(1).unwrap().to_owned()
}

/// Files a text document with `content` into `az` under a file name; returns the file's path.
fn file(data: &Path, dir: &Path, az: &str, name: &str, content: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    succeeds(&eakte(
        data,
        &[
            "ingest",
            "--akte",
            az,
            "--type",
            "Passantrag",
            path.to_str().unwrap(),
        ],
    ));
    path
}

fn event(data: &Path, az: &str, kind: &str, date: &str) {
    succeeds(&eakte(
        data,
        &["akte", "event", az, "--type", kind, "--date", date],
    ));
}

fn hits(data: &Path, needle: &str) -> usize {
    occurrences(data, needle).iter().map(|(_, n)| n).sum()
}

/// How many indexed units have the word `term`, and how many deleted units the index still
/// keeps on disk.
fn index_state(data: &Path, term: &str) -> (usize, u64) {
    let index =
        eakte_index::SearchIndex::open(&data.join("index"), &eakte_config::IndexConfig::default())
            .unwrap();
    let found = index
        .search(&eakte_index::SearchRequest::new(term, 10))
        .unwrap()
        .total;
    let deleted = index.num_deleted_docs();
    index.close().unwrap();
    (found, deleted)
}

/// A marker made of letters only, so that the search analyser keeps it as one word.
fn marker(name: &str) -> String {
    format!("Zq{name}Xvmarkerwort")
}

#[test]
fn a_disposed_akte_leaves_no_byte_behind_and_the_rest_stays_intact() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let files = tmp.path().join("files");
    std::fs::create_dir_all(&files).unwrap();
    succeeds(&eakte(&data, &["plan", "import", PLAN]));

    // Three passport Akten (33.22, rule passg-21-4-passregister: destroy at most 5 years after
    // the validity end, never before a new passport is issued).
    let (doomed_title, doomed_text, doomed_name) =
        (marker("Titel"), marker("Inhalt"), marker("Dateiname"));
    let doomed = akte(&data, "33.22", &format!("Reisepass {doomed_title}"));
    file(
        &data,
        &files,
        &doomed,
        &format!("{doomed_name}.txt"),
        &format!("Antrag auf Reisepass {doomed_text} Seite eins"),
    );
    event(&data, &doomed, "document.validity_end", "2015-01-31");
    event(&data, &doomed, "document.reissued", "2016-03-01");

    let kept_text = marker("Bleibt");
    let kept = akte(&data, "33.22", "Reisepass ohne Neuausstellung");
    file(
        &data,
        &files,
        &kept,
        "bleibt.txt",
        &format!("Antrag {kept_text}"),
    );
    event(&data, &kept, "document.validity_end", "2015-01-31");

    let held_text = marker("Gesperrt");
    let held = akte(&data, "33.22", "Reisepass unter Sperre");
    file(
        &data,
        &files,
        &held,
        "sperre.txt",
        &format!("Antrag {held_text}"),
    );
    event(&data, &held, "document.validity_end", "2015-01-31");
    event(&data, &held, "document.reissued", "2016-03-01");
    let hold = succeeds(&eakte(
        &data,
        &[
            "hold",
            "set",
            "--akte",
            &held,
            "--reason",
            "Widerspruchsverfahren",
            "--by",
            "alice",
        ],
    ));
    let hold = hold.trim().to_owned();

    // An event cannot move earlier: that could shorten retention.
    fails_with(
        &eakte(
            &data,
            &[
                "akte",
                "event",
                &doomed,
                "--type",
                "document.reissued",
                "--date",
                "2016-01-01",
            ],
        ),
        4,
        "would_shorten_retention",
    );
    fails_with(
        &eakte(
            &data,
            &[
                "akte",
                "event",
                &doomed,
                "--type",
                "file.closed",
                "--date",
                "2016-01-01",
            ],
        ),
        4,
        "unknown_event",
    );

    // The due list: the doomed Akte is due; the kept one waits for the reissue; the held one
    // is blocked by its hold.
    let due = succeeds(&eakte(&data, &["retention", "due"]));
    let line = |az: &str| {
        due.lines()
            .find(|l| l.starts_with(az))
            .unwrap_or_default()
            .to_owned()
    };
    assert!(line(&doomed).contains("due 2016-03-02  due"), "{due}");
    assert!(
        line(&kept).contains("blocked (never before document.reissued)"),
        "{due}"
    );
    assert!(
        line(&held).contains(&format!("blocked (hold {hold})")),
        "{due}"
    );
    let shown = succeeds(&eakte(&data, &["retention", "show", &doomed]));
    assert!(
        shown.contains("rule             passg-21-4-passregister"),
        "{shown}"
    );
    assert!(
        shown.contains("latest by        2020-01-31 (overdue)"),
        "{shown}"
    );
    // A preview of a day before the reissue: not due then.
    let before = succeeds(&eakte(&data, &["retention", "due", "--at", "2016-03-01"]));
    assert!(!before.contains(&doomed), "{before}");

    // Before: the markers are in the catalog, the journal's payloads and the store, and the
    // text is searchable.
    for needle in [&doomed_title, &doomed_text, &doomed_name] {
        assert!(hits(&data, needle) > 0, "{needle} should be on disk before");
    }
    assert!(hits(&data.join("catalog"), &doomed_title) > 0);
    assert!(hits(&data.join("journal"), &doomed_title) > 0);
    assert!(hits(&data.join("store"), &doomed_text) > 0);
    // The index keeps words folded and compressed, where a byte scan cannot see them; it is
    // asked instead: the marker is a term of it now.
    assert_eq!(index_state(&data, &doomed_text), (1, 0));
    assert!(succeeds(&eakte(&data, &["search", &doomed_text])).contains(&doomed));

    // Two phases, four eyes.
    let proposed = succeeds(&eakte(&data, &["disposition", "propose", "--by", "alice"]));
    let batch = proposed.lines().next().unwrap().trim().to_owned();
    assert!(proposed.contains(&doomed), "{proposed}");
    assert!(
        !proposed.contains(&kept) && !proposed.contains(&held),
        "{proposed}"
    );
    fails_with(
        &eakte(&data, &["disposition", "execute", &batch]),
        4,
        "not approved",
    );
    fails_with(
        &eakte(&data, &["disposition", "approve", &batch, "--by", "alice"]),
        4,
        "four_eyes",
    );
    succeeds(&eakte(
        &data,
        &["disposition", "approve", &batch, "--by", "bob"],
    ));
    // Nothing happened yet.
    assert!(hits(&data, &doomed_text) > 0);
    let executed = succeeds(&eakte(&data, &["disposition", "execute", &batch]));
    assert!(
        executed.contains(&format!("{doomed}  destroyed")),
        "{executed}"
    );

    // After: not a byte of the markers, anywhere; and the index has neither the term nor any
    // deleted document still on disk (merging rewrote its term dictionary and stored text).
    for needle in [&doomed_title, &doomed_text, &doomed_name] {
        assert_eq!(
            occurrences(&data, needle),
            Vec::new(),
            "{needle} left after the purge"
        );
    }
    assert_eq!(index_state(&data, &doomed_text), (0, 0));
    // The Akte is a tombstone now; the others are intact and searchable.
    fails_with(&eakte(&data, &["akte", "show", &doomed]), 2, "not found");
    let tombstone = succeeds(&eakte(&data, &["retention", "show", &doomed]));
    assert!(tombstone.contains(&format!("batch {batch}")), "{tombstone}");
    assert!(
        tombstone.contains("proposed by alice, approved by bob"),
        "{tombstone}"
    );
    assert!(succeeds(&eakte(&data, &["search", &kept_text])).contains(&kept));
    assert!(succeeds(&eakte(&data, &["search", &held_text])).contains(&held));
    succeeds(&eakte(&data, &["verify"]));
    let export = tmp.path().join("export");
    succeeds(&eakte(
        &data,
        &["audit", "export", export.to_str().unwrap()],
    ));
    let verified = succeeds(&eakte(
        &data,
        &[
            "audit",
            "verify",
            export.to_str().unwrap(),
            "--key",
            data.join("journal/checkpoint.pub").to_str().unwrap(),
        ],
    ));
    assert!(verified.contains("erased"), "{verified}");

    // A rebuild from the journal and the store brings nothing back.
    succeeds(&eakte(&data, &["rebuild"]));
    for needle in [&doomed_title, &doomed_text, &doomed_name] {
        assert_eq!(
            occurrences(&data, needle),
            Vec::new(),
            "{needle} back after rebuild"
        );
    }
    assert!(succeeds(&eakte(&data, &["search", &kept_text])).contains(&kept));
    succeeds(&eakte(&data, &["verify"]));
    // Searching for the destroyed text finds nothing (the query itself is journaled now, as
    // every search is, which is why this comes after the scans).
    assert!(!succeeds(&eakte(&data, &["search", &doomed_text])).contains(&doomed));

    // The held Akte, once released, can be disposed of in a new batch.
    succeeds(&eakte(&data, &["hold", "release", &hold, "--by", "alice"]));
    let second = succeeds(&eakte(&data, &["disposition", "propose", "--by", "carol"]));
    assert!(second.contains(&held), "{second}");
}

/// The entries of a zip file, by name.
fn unzip(path: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    use std::io::Read;
    let mut archive = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut entries = std::collections::BTreeMap::new();
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).unwrap();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).unwrap();
        entries.insert(entry.name().unwrap().into_owned(), bytes);
    }
    entries
}

/// The archive's side: its header for answers to batch `process`.
fn archive_header(process: uuid::Uuid) -> eakte_xdomea::Header {
    eakte_xdomea::Header {
        process_id: process,
        created: chrono::Utc::now(),
        sender: eakte_xdomea::Party {
            agency_code: "stadtarchiv-musterstadt".into(),
            name: "Stadtarchiv Musterstadt".into(),
            unit: None,
        },
        recipient: eakte_xdomea::Party {
            agency_code: "musterstadt-32".into(),
            name: "Bürgerbüro der Musterstadt".into(),
            unit: None,
        },
        product: "Archivsimulator".into(),
        product_version: "1".into(),
    }
}

/// Keeps the XML of exported messages where `EAKTE_XDOMEA_OUT` says, for the schema check
/// that `.ci/run` makes with xmllint.
fn keep_for_schema_check(entries: &std::collections::BTreeMap<String, Vec<u8>>) {
    let Some(dir) = std::env::var_os("EAKTE_XDOMEA_OUT") else {
        return;
    };
    std::fs::create_dir_all(&dir).unwrap();
    for (name, bytes) in entries {
        if name.ends_with(".xml") {
            std::fs::write(Path::new(&dir).join(name), bytes).unwrap();
        }
    }
}

#[test]
fn offered_akten_go_to_the_archive_in_xdomea_and_are_destroyed_only_once_it_confirms() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let files = tmp.path().join("files");
    std::fs::create_dir_all(&files).unwrap();
    succeeds(&eakte(&data, &["plan", "import", PLAN]));
    // Two Sammelakten of the birth register (34.10, rule pstg-6-sammelakten-geburt: offer to
    // the archive 110 years after the end of the year of certification, destroy if declined).
    let (wanted_text, declined_text) = (marker("Archivgut"), marker("Abgelehnt"));
    let wanted = akte(
        &data,
        "34.10",
        &format!("Sammelakte Geburt {}", marker("ArchivTitel")),
    );
    let original = format!("Geburtsurkunde {wanted_text} Standesamt");
    file(&data, &files, &wanted, "urkunde.txt", &original);
    event(&data, &wanted, "register.certified", "1900-05-05");
    let declined = akte(&data, "34.10", "Sammelakte Geburt zweite");
    file(
        &data,
        &files,
        &declined,
        "zweite.txt",
        &format!("Geburtsurkunde {declined_text}"),
    );
    event(&data, &declined, "register.certified", "1900-05-05");

    let proposed = succeeds(&eakte(
        &data,
        &["disposition", "propose", "--by", "alice", "--json"],
    ));
    let batch: serde_json::Value = serde_json::from_str(&proposed).unwrap();
    let batch_id = batch["id"].as_str().unwrap().to_owned();
    let ids: std::collections::BTreeMap<String, uuid::Uuid> = batch["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["aktenzeichen"].as_str().unwrap().to_owned(),
                i["akte"].as_str().unwrap().parse().unwrap(),
            )
        })
        .collect();
    assert_eq!(ids.len(), 2, "{proposed}");
    // Nothing goes out before the second sign-off.
    let offer = tmp.path().join("offer.zip");
    fails_with(
        &eakte(
            &data,
            &["xdomea", "offer", &batch_id, offer.to_str().unwrap()],
        ),
        4,
        "not approved",
    );
    assert!(!offer.exists());
    succeeds(&eakte(
        &data,
        &["disposition", "approve", &batch_id, "--by", "bob"],
    ));

    // 0501: metadata only.
    succeeds(&eakte(
        &data,
        &["xdomea", "offer", &batch_id, offer.to_str().unwrap()],
    ));
    let entries = unzip(&offer);
    assert_eq!(entries.len(), 1, "{:?}", entries.keys());
    let xml = String::from_utf8(entries.values().next().unwrap().clone()).unwrap();
    assert!(xml.contains(&wanted) && xml.contains(&declined) && xml.contains(&batch_id));
    assert!(!xml.contains(&wanted_text), "the offer carries no content");
    keep_for_schema_check(&entries);

    // Until the archive has answered, nothing is destroyed.
    let early = succeeds(&eakte(&data, &["disposition", "execute", &batch_id]));
    assert!(
        early.contains("waiting for the archive's appraisal"),
        "{early}"
    );
    assert!(hits(&data, &wanted_text) > 0 && hits(&data, &declined_text) > 0);

    // 0502 from the archive: the first Akte is wanted, the second declined. One for another
    // process is refused.
    let process: uuid::Uuid = batch_id.parse().unwrap();
    let decisions = [
        (ids[&wanted], eakte_xdomea::Decision::Archive),
        (ids[&declined], eakte_xdomea::Decision::Destroy),
    ];
    let other =
        eakte_xdomea::appraisal_0502(&archive_header(uuid::Uuid::new_v4()), &decisions).unwrap();
    let deliver = |step: &str, name: &str, bytes: &[u8]| {
        let path = tmp.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        eakte(&data, &["xdomea", step, &batch_id, path.to_str().unwrap()])
    };
    fails_with(
        &deliver("appraisal", "other.zip", &other.zip),
        4,
        "xdomea_invalid",
    );
    fails_with(
        &deliver("appraisal", "garbage.zip", b"PK\x03\x04 not a zip at all"),
        4,
        "xdomea_invalid",
    );
    let appraisal = eakte_xdomea::appraisal_0502(&archive_header(process), &decisions).unwrap();
    succeeds(&deliver("appraisal", &appraisal.file_name, &appraisal.zip));

    // The declined Akte goes now; the wanted one waits for the archive's receipt.
    let executed = succeeds(&eakte(&data, &["disposition", "execute", &batch_id]));
    assert!(
        executed.contains(&format!("{declined}  destroyed")),
        "{executed}"
    );
    assert!(
        executed.contains("waiting for the archive's receipt"),
        "{executed}"
    );
    assert_eq!(occurrences(&data, &declined_text), Vec::new());
    assert!(hits(&data, &wanted_text) > 0);

    // 0503: the wanted Akte with its original and the original's SHA-256.
    let transfer = tmp.path().join("transfer.zip");
    succeeds(&eakte(
        &data,
        &["xdomea", "transfer", &batch_id, transfer.to_str().unwrap()],
    ));
    let entries = unzip(&transfer);
    let primary = entries
        .iter()
        .find(|(name, _)| name.ends_with("urkunde.txt"))
        .map(|(name, bytes)| (name.clone(), bytes.clone()))
        .expect("the original is in the transfer");
    assert_eq!(primary.1, original.as_bytes());
    let sums = entries
        .iter()
        .find(|(name, _)| name.ends_with("_sha256.txt"))
        .map(|(_, bytes)| String::from_utf8(bytes.clone()).unwrap())
        .expect("the checksums are in the transfer");
    let sha = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(original.as_bytes()))
    };
    assert!(sums.contains(&format!("{sha}  {}", primary.0)), "{sums}");
    keep_for_schema_check(&entries);

    // 0506: the archive confirms; only then does the wanted Akte go.
    let receipt = eakte_xdomea::receipt_0506(
        &archive_header(process),
        &[eakte_xdomea::ImportResult {
            id: ids[&wanted],
            success: true,
            archive_id: Some("StA-1900-17".into()),
            messages: Vec::new(),
        }],
    )
    .unwrap();
    succeeds(&deliver("receipt", &receipt.file_name, &receipt.zip));
    let executed = succeeds(&eakte(&data, &["disposition", "execute", &batch_id]));
    assert!(
        executed.contains(&format!("{wanted}  transferred")),
        "{executed}"
    );
    for needle in [&wanted_text, &declined_text, &marker("ArchivTitel")] {
        assert_eq!(occurrences(&data, needle), Vec::new(), "{needle}");
    }
    let shown = succeeds(&eakte(&data, &["disposition", "show", &batch_id, "--json"]));
    let shown: serde_json::Value = serde_json::from_str(&shown).unwrap();
    assert!(
        shown["receipt_blob"].is_string() && shown["appraisal_blob"].is_string(),
        "{shown}"
    );
    assert!(
        shown["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["destroyed_at"].is_string())
    );
    succeeds(&eakte(&data, &["verify"]));
}

#[test]
fn other_rule_files_are_adopted_when_they_extend_and_refused_when_they_shorten() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    succeeds(&eakte(&data, &["plan", "import", PLAN]));
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../retention-rules");
    let rules_with = |name: &str, from: &str, to: &str| {
        let dir = tmp.path().join(name);
        std::fs::create_dir_all(&dir).unwrap();
        for entry in std::fs::read_dir(&shipped).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "toml") {
                let text = std::fs::read_to_string(&path).unwrap();
                assert!(
                    path.file_name().unwrap() != "kommunal.toml" || text.contains(from),
                    "{from}"
                );
                let text = if path.file_name().unwrap() == "kommunal.toml" {
                    text.replacen(from, to, 1)
                } else {
                    text
                };
                std::fs::write(dir.join(path.file_name().unwrap()), text).unwrap();
            }
        }
        dir
    };
    // The office papers' rule: five years, destroy.
    let five = "period = { years = 5 }\n\n[[rule]]\nid = \"archivg-30-anbieten\"";
    let shorter = rules_with("shorter", five, &five.replace("years = 5", "years = 4"));
    fails_with(
        &eakte(&data, &["retention", "adopt", shorter.to_str().unwrap()]),
        4,
        "rules_would_shorten",
    );
    let longer = rules_with("longer", five, &five.replace("years = 5", "years = 7"));
    let adopted = succeeds(&eakte(
        &data,
        &["retention", "adopt", longer.to_str().unwrap()],
    ));
    assert!(
        adopted.starts_with("adopted 33 retention rules"),
        "{adopted}"
    );
    // Now the longer rule is in force, and going back to five years is shortening too.
    fails_with(
        &eakte(&data, &["retention", "adopt", shipped.to_str().unwrap()]),
        4,
        "rules_would_shorten",
    );
    let empty = tmp.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    fails_with(
        &eakte(&data, &["retention", "adopt", empty.to_str().unwrap()]),
        4,
        "holds no rule files",
    );
}
