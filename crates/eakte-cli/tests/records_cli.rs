//! The records commands end to end with the real binary: plan, akte, ingest, search, rebuild,
//! verify, demo, and a crash between the acknowledgement of a filing and its indexing.

mod common;

use std::path::{Path, PathBuf};

use common::{eakte, fails_with, succeeds, text};
use serde_json::Value;

/// A small file plan of the test's own.
const PLAN: &str = r#"{
  "format": 1,
  "plan_version": "2026-1",
  "title": "Testplan Bürgerbüro",
  "units": [
    {"code": "33", "title": "Einwohnerwesen", "record_class": "sachakte", "unit": "Bürgerbüro",
     "archival_value": "B", "retention_rule": null, "children": [
      {"code": "33.10", "title": "Meldewesen", "record_class": "fallakte", "unit": "Bürgerbüro",
       "archival_value": "V", "retention_rule": "bmg-13-melderegister", "children": []},
      {"code": "33.20", "title": "Pass- und Ausweiswesen", "record_class": "fallakte",
       "unit": "Bürgerbüro", "archival_value": "V", "retention_rule": "pauswg-23-4-ausweisregister", "children": []}
    ]},
    {"code": "34", "title": "Standesamt", "record_class": "sachakte", "unit": "Standesamt",
     "archival_value": "A", "retention_rule": null, "children": []}
  ]
}"#;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn ok(out: &std::process::Output) -> String {
    succeeds(out)
}

fn with_plan(dir: &Path) -> PathBuf {
    let data = dir.join("data");
    let plan = dir.join("plan.json");
    std::fs::write(&plan, PLAN).unwrap();
    ok(&eakte(&data, &["plan", "import", plan.to_str().unwrap()]));
    data
}

/// Creates an Akte and returns its Aktenzeichen.
fn create_akte(data: &Path, plan: &str, title: &str) -> String {
    let out = ok(&eakte(
        data,
        &[
            "akte",
            "create",
            "--plan",
            plan,
            "--title",
            title,
            "--unit",
            "Bürgerbüro",
        ],
    ));
    let mut words = out.split_whitespace();
    let id = words.next().expect("a UUID");
    assert_eq!(id.len(), 36, "{out}");
    words.next().expect("an Aktenzeichen").to_owned()
}

fn search_json(data: &Path, query: &str) -> Value {
    let out = ok(&eakte(data, &["search", "--json", "--limit", "50", query]));
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

fn hit_titles(result: &Value) -> Vec<String> {
    result["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["title"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn plan_import_show_and_refusal_of_a_bad_plan() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    fails_with(&eakte(&data, &["plan", "show"]), 2, "no file plan");
    let data = with_plan(dir.path());
    let shown = ok(&eakte(&data, &["plan", "show"]));
    for needle in [
        "33.10",
        "Meldewesen",
        "bmg-13-melderegister",
        "fallakte",
        "Standesamt",
    ] {
        assert!(shown.contains(needle), "{needle} missing in {shown}");
    }
    let json: Value =
        serde_json::from_str(&ok(&eakte(&data, &["plan", "show", "--json"]))).unwrap();
    let original: Value = serde_json::from_str(PLAN).unwrap();
    assert_eq!(
        json["units"][0]["children"][1]["code"],
        original["units"][0]["children"][1]["code"]
    );
    assert_eq!(json["title"], original["title"]);

    // A plan with a child whose code does not extend its parent's is refused, and the plan
    // imported before stays in force.
    let bad = PLAN.replace("\"33.20\"", "\"35.20\"");
    let bad_path = dir.path().join("bad.json");
    std::fs::write(&bad_path, bad).unwrap();
    let out = eakte(&data, &["plan", "import", bad_path.to_str().unwrap()]);
    fails_with(&out, 4, "plan_invalid");
    assert!(ok(&eakte(&data, &["plan", "show"])).contains("33.20"));
    std::fs::write(&bad_path, "{not json").unwrap();
    fails_with(
        &eakte(&data, &["plan", "import", bad_path.to_str().unwrap()]),
        4,
        "plan_invalid",
    );
}

#[test]
fn akten_get_running_numbers_and_close() {
    let dir = tempfile::tempdir().unwrap();
    let data = with_plan(dir.path());
    let year = chrono::Utc::now().format("%Y").to_string();
    let first = create_akte(&data, "33.10", "Meldeakte Mustermann");
    let second = create_akte(&data, "33.10", "Meldeakte Müller");
    let other = create_akte(&data, "33.20", "Passakte Schröder");
    assert_eq!(first, format!("33.10-0001/{year}"));
    assert_eq!(second, format!("33.10-0002/{year}"));
    assert_eq!(other, format!("33.20-0001/{year}"));

    fails_with(
        &eakte(
            &data,
            &[
                "akte", "create", "--plan", "99.1", "--title", "x", "--unit", "u",
            ],
        ),
        4,
        "99.1",
    );
    fails_with(
        &eakte(
            &data,
            &[
                "akte",
                "create",
                "--plan",
                "33.10",
                "--title",
                "x",
                "--unit",
                "u",
                "--confidentiality",
                "geheim",
            ],
        ),
        4,
        "confidentiality",
    );

    let shown = ok(&eakte(&data, &["akte", "show", &second]));
    assert!(
        shown.contains("Meldeakte Müller") && shown.contains("open"),
        "{shown}"
    );
    let today = chrono::Utc::now().date_naive().to_string();
    // A close date before the Akte was created is refused.
    fails_with(
        &eakte(&data, &["akte", "close", &second, "--date", "2000-01-01"]),
        4,
        "close_before_creation",
    );
    ok(&eakte(&data, &["akte", "close", &second, "--date", &today]));
    let json: Value =
        serde_json::from_str(&ok(&eakte(&data, &["akte", "show", "--json", &second]))).unwrap();
    assert_eq!(json["akte"]["status"], "closed");
    assert_eq!(json["akte"]["closed_on"], today.as_str());
    // Closing twice and filing into a closed Akte are refused.
    fails_with(&eakte(&data, &["akte", "close", &second]), 4, "akte_closed");
    let file = dir.path().join("brief.txt");
    std::fs::write(&file, "Ein Schreiben an die Meldebehörde.").unwrap();
    let blobs_before = ok(&eakte(&data, &["store", "stats"]));
    let out = eakte(
        &data,
        &["ingest", "--akte", &second, file.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("akte_closed"),
        "{}",
        text(&out.stderr)
    );
    assert!(text(&out.stdout).is_empty());
    // Refused before anything was stored.
    let blobs_after = ok(&eakte(&data, &["store", "stats"]));
    let blob_line = |stats: &str| {
        stats
            .lines()
            .find(|l| l.starts_with("blobs"))
            .map(str::to_owned)
    };
    assert!(blob_line(&blobs_after).is_some(), "{blobs_after}");
    assert_eq!(blob_line(&blobs_before), blob_line(&blobs_after));
    fails_with(
        &eakte(&data, &["akte", "show", "33.10-0099/2026"]),
        2,
        "not found",
    );
    fails_with(
        &eakte(&data, &["akte", "show", "33.10-42/2026"]),
        4,
        "Aktenzeichen",
    );
    // Numbers are never reused: the next Akte of 33.10 is the third.
    assert_eq!(
        create_akte(&data, "33.10", "Meldeakte Weiß"),
        format!("33.10-0003/{year}")
    );
}

/// Writes German text files with known content into `dir`.
fn write_documents(dir: &Path) -> Vec<PathBuf> {
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    let docs = [
        (
            "meldung.txt",
            "Anmeldung einer Wohnung für Herrn Jürgen Müller in der Heidestraße.",
        ),
        (
            "sub/bescheinigung.txt",
            "Meldebescheinigung für Frau Erika Groß, ausgestellt vom Bürgerbüro.",
        ),
        (
            "sub/pass.txt",
            "Antrag auf einen Reisepass. Die Gebühr wurde bezahlt.",
        ),
    ];
    docs.iter()
        .map(|(name, body)| {
            let path = dir.join(name);
            std::fs::write(&path, body).unwrap();
            path
        })
        .collect()
}

#[test]
fn ingest_search_rebuild_and_verify() {
    let dir = tempfile::tempdir().unwrap();
    let data = with_plan(dir.path());
    let az = create_akte(&data, "33.10", "Meldeakte Müller");
    let docs = dir.path().join("docs");
    write_documents(&docs);
    let scan = repo_root().join("fixtures/extract/german-300dpi.png");
    let out = eakte(
        &data,
        &[
            "ingest",
            "--akte",
            &az,
            "--type",
            "Meldesache",
            docs.to_str().unwrap(),
            scan.to_str().unwrap(),
        ],
    );
    let printed = ok(&out);
    assert_eq!(printed.lines().count(), 4, "{printed}");
    for line in printed.lines() {
        let (id, path) = line.split_once("  ").unwrap();
        assert_eq!(id.len(), 36, "{line}");
        assert!(Path::new(path).exists(), "{line}");
    }

    // Filing again is resumable: every file is skipped and reported, nothing new is filed.
    let again = eakte(&data, &["ingest", "--akte", &az, docs.to_str().unwrap()]);
    assert_eq!(ok(&again).lines().count(), 3);
    assert!(
        text(&again.stderr).contains("0 filed, 3 already filed"),
        "{}",
        text(&again.stderr)
    );

    // Umlaut folding, stemming and the OCR'd scan are all searchable.
    let result = search_json(&data, "Heidestrasse");
    assert_eq!(hit_titles(&result), vec!["meldung.txt"]);
    assert_eq!(result["total"], 1);
    assert_eq!(result["hits"][0]["aktenzeichen"], az.as_str());
    // Müller is in meldung.txt and in the scan's text.
    let mut muellers = hit_titles(&search_json(&data, "MUELLER"));
    muellers.sort();
    assert_eq!(muellers, vec!["german-300dpi.png", "meldung.txt"]);
    assert!(
        result["hits"][0]["snippet"]
            .as_str()
            .unwrap()
            .contains("<b>")
    );
    let scanned = search_json(&data, "Großbeerenstraße");
    assert_eq!(hit_titles(&scanned), vec!["german-300dpi.png"], "{scanned}");
    let by_az = search_json(&data, &format!("az:{az}"));
    assert_eq!(by_az["total"], 4);
    let none = search_json(&data, "Gewerbeanmeldung");
    assert_eq!(none["total"], 0);

    // A bad query is a clear refusal.
    fails_with(&eakte(&data, &["search", "(Anmeldung"]), 4, "bad_query");

    let dump_before = ok(&eakte(&data, &["dump-catalog"]));
    assert!(dump_before.contains("Meldeakte Müller"));
    ok(&eakte(&data, &["rebuild"]));
    let dump_after = ok(&eakte(&data, &["dump-catalog"]));
    assert_eq!(dump_before, dump_after);
    assert_eq!(
        hit_titles(&search_json(&data, "Heidestraße")),
        vec!["meldung.txt"]
    );
    assert_eq!(search_json(&data, "Großbeerenstraße")["total"], 1);
    let verified = ok(&eakte(&data, &["verify"]));
    assert!(
        verified.contains("ok: store, journal and catalog agree"),
        "{verified}"
    );

    // Every search was journaled, with the query in the erasable payload.
    let log = ok(&eakte(
        &data,
        &["audit", "log", "--action", "search.executed", "--json"],
    ));
    assert!(log.lines().count() >= 6, "{log}");
    // The documents a search showed are named in its entry.
    let shown_id = result["hits"][0]["document_id"].as_str().unwrap();
    assert!(log.lines().any(|l| l.contains(shown_id)), "{log}");
}

#[test]
fn bad_files_are_reported_and_the_rest_filed() {
    let dir = tempfile::tempdir().unwrap();
    let data = with_plan(dir.path());
    let docs = dir.path().join("docs");
    write_documents(&docs);
    let missing = dir.path().join("missing.pdf");
    let garbage = docs.join("garbage.pdf");
    std::fs::write(&garbage, b"%PDF-1.7\n\x00\x01 broken beyond repair").unwrap();
    let out = eakte(
        &data,
        &["ingest", docs.to_str().unwrap(), missing.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("missing.pdf") && stderr.contains("unreadable"),
        "{stderr}"
    );
    assert!(
        stderr.contains("garbage.pdf: filed, but no text"),
        "{stderr}"
    );
    assert!(stderr.contains("4 filed"), "{stderr}");
    // The unreadable PDF's original is kept and filed (into the inbox), the others searchable.
    assert_eq!(text(&out.stdout).lines().count(), 4);
    assert_eq!(search_json(&data, "Reisepass")["total"], 1);
    assert_eq!(search_json(&data, "garbage")["total"], 1);
    fails_with(
        &eakte(
            &data,
            &[
                "ingest",
                "--akte",
                "33.10-0001/2026",
                docs.to_str().unwrap(),
            ],
        ),
        2,
        "not found",
    );
}

#[test]
fn a_crash_after_the_acknowledgement_is_indexed_on_restart() {
    let dir = tempfile::tempdir().unwrap();
    let data = with_plan(dir.path());
    let file = dir.path().join("wegzug.txt");
    std::fs::write(
        &file,
        "Abmeldung wegen Wegzug nach Österreich, Familie Köhler.",
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_eakte"))
        .args([
            "--data",
            data.to_str().unwrap(),
            "ingest",
            file.to_str().unwrap(),
        ])
        .env("EAKTE_CRASH_AT", "after-filing-ack")
        .env_remove("EAKTE_DATA")
        .output()
        .unwrap();
    assert!(
        !out.status.success(),
        "the crash point did not stop the process"
    );
    // The filing was durable before the crash: the restart extracts and indexes it.
    let result = search_json(&data, "Oesterreich");
    assert_eq!(hit_titles(&result), vec!["wegzug.txt"], "{result}");
    let dump = ok(&eakte(&data, &["dump-catalog"]));
    assert!(dump.contains("\"done\""), "{dump}");
    assert!(ok(&eakte(&data, &["verify"])).contains("ok:"));
}

#[test]
fn the_demo_is_searchable_and_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let demo = repo_root().join("fixtures/demo");
    let first = ok(&eakte(&data, &["demo", "--dir", demo.to_str().unwrap()]));
    assert!(first.contains("file plan imported"), "{first}");
    let second = ok(&eakte(&data, &["demo", "--dir", demo.to_str().unwrap()]));
    assert!(
        second.contains("0 Akte(n) created, 0 document(s) filed"),
        "{second}"
    );
    // A compound part finds the Meldebescheinigung; the stem finds forms of Anmeldung.
    let titles = hit_titles(&search_json(&data, "Bescheinigung"));
    assert!(
        titles.iter().any(|t| t.contains("Meldebescheinigung")),
        "{titles:?}"
    );
    assert!(search_json(&data, "Mueller")["total"].as_u64().unwrap() >= 1);
    assert!(search_json(&data, "certificate")["total"].as_u64().unwrap() >= 1);
}
