//! The `eakte audit` commands, and the journal entries the store commands leave.

mod common;

use common::*;

fn ok(out: std::process::Output) -> String {
    succeeds(&out)
}

/// `eakte audit verify DIR ARGS…`
fn verify(data: &std::path::Path, dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    let mut all = vec!["audit", "verify", dir.to_str().unwrap()];
    all.extend_from_slice(args);
    eakte(data, &all)
}

/// A data directory with two stored files, one read, one failed read and one verify run.
fn populated() -> (tempfile::TempDir, std::path::PathBuf, String) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let file = dir.path().join("Meldebescheinigung Schmidt.txt");
    std::fs::write(&file, "Meldebescheinigung\n").unwrap();
    let other = dir.path().join("b.txt");
    std::fs::write(&other, "Antrag\n").unwrap();
    let out = ok(eakte(
        &data,
        &[
            "store",
            "put",
            file.to_str().unwrap(),
            other.to_str().unwrap(),
        ],
    ));
    let id = out.split_whitespace().next().unwrap().to_owned();
    ok(eakte(&data, &["store", "get", &id]));
    let missing = "ab".repeat(32);
    assert_eq!(
        eakte(&data, &["store", "get", &missing]).status.code(),
        Some(2)
    );
    ok(eakte(&data, &["store", "verify"]));
    (dir, data, id)
}

#[test]
fn store_commands_are_journaled_and_listed() {
    let (_dir, data, id) = populated();
    let log = ok(eakte(&data, &["audit", "log", "--json"]));
    let events: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let actions: Vec<&str> = events
        .iter()
        .map(|e| e["entry"]["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "blob.stored",
            "blob.stored",
            "blob.read",
            "blob.read",
            "store.verified"
        ]
    );
    assert!(
        events
            .iter()
            .all(|e| e["entry"]["actor"]["user"] == "pruefer")
    );
    assert_eq!(events[3]["entry"]["outcome"], "error");
    // The file name is personal data: in the payload, not in the entry.
    let source = events[0]["personal"]["source"].as_str().unwrap();
    assert!(source.contains("Schmidt"), "{source}");
    assert!(!events[0]["entry"].to_string().contains("Schmidt"));

    let reads = ok(eakte(
        &data,
        &["audit", "log", "--object", &id, "--action", "blob.read"],
    ));
    assert_eq!(reads.lines().count(), 1, "{reads}");
    assert!(reads.contains(&id) && reads.contains("pruefer"), "{reads}");
    let none = ok(eakte(&data, &["audit", "log", "--actor", "someone-else"]));
    assert_eq!(none, "");
    let future = ok(eakte(&data, &["audit", "log", "--from", "2999-01-01"]));
    assert_eq!(future, "");
    let bad = eakte(&data, &["audit", "log", "--from", "yesterday"]);
    fails_with(&bad, 2, "not a time");
}

#[test]
fn export_verifies_offline_and_a_change_names_the_entry() {
    let (dir, data, _) = populated();
    let key = ok(eakte(&data, &["audit", "public-key"]));
    assert!(
        key.starts_with("ed25519:") && key.trim().len() == 72,
        "{key}"
    );
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(data.join("journal/checkpoint.key"))
            .unwrap()
            .permissions(),
    );
    assert_eq!(mode & 0o777, 0o600);
    let kept = dir.path().join("kept.jsonl");
    std::fs::write(&kept, ok(eakte(&data, &["audit", "checkpoint"]))).unwrap();

    let out = dir.path().join("export");
    ok(eakte(&data, &["audit", "export", out.to_str().unwrap()]));
    let verified = ok(verify(
        &data,
        &out,
        &["--key", key.trim(), "--checkpoint", kept.to_str().unwrap()],
    ));
    assert!(verified.starts_with("ok: "), "{verified}");
    assert!(
        verified.contains("kept checkpoints: 1 confirmed"),
        "{verified}"
    );
    // The key may also be given as a file.
    let key_file = data.join("journal/checkpoint.pub");
    ok(verify(&data, &out, &["--key", key_file.to_str().unwrap()]));

    // Change entry 2 (the successful read): the verifier fails and names it.
    let entries_path = out.join("entries.jsonl");
    let entries = std::fs::read_to_string(&entries_path).unwrap();
    let lines: Vec<&str> = entries.lines().collect();
    let changed = entries.replacen(lines[2], &lines[2].replace("pruefer", "pruefex"), 1);
    std::fs::write(&entries_path, changed).unwrap();
    let failed = verify(&data, &out, &["--key", key.trim()]);
    assert_eq!(failed.status.code(), Some(1));
    assert!(
        text(&failed.stdout).contains("first bad entry 2"),
        "{}",
        text(&failed.stdout)
    );

    let no_key = verify(&data, &out, &[]);
    fails_with(&no_key, 2, "--key");
    let bad_key = verify(&data, &out, &["--key", "ed25519:00"]);
    assert_ne!(bad_key.status.code(), Some(0));
    assert!(
        text(&bad_key.stderr).contains("ed25519:<64 hex digits>"),
        "{}",
        text(&bad_key.stderr)
    );
}

#[test]
fn the_live_journal_verifies_and_damage_refuses_to_open() {
    let (_dir, data, _) = populated();
    let out = ok(eakte(&data, &["audit", "verify"]));
    assert!(out.starts_with("ok: "), "{out}");
    // Damage in the middle of the journal's only segment: every command refuses, nothing runs.
    let segment = data.join("journal/segments/00000001.jnl");
    let mut bytes = std::fs::read(&segment).unwrap();
    bytes[200] ^= 0x40;
    std::fs::write(&segment, &bytes).unwrap();
    for args in [&["audit", "verify"][..], &["store", "stats"][..]] {
        let out = eakte(&data, args);
        fails_with(&out, 1, "journal is damaged");
    }
}
