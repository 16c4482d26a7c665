//! `eakte watch`: a scanning station's share uploaded into the inbox of a running server.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::server::{Server, UNIT_A, import_plan, json, token};

fn note(colour_mode: &str) -> String {
    serde_json::json!({
        "station": "scan-7",
        "operator": "Käthe Schäfer",
        "scanned_at": "2026-11-30T09:15:00+01:00",
        "resolution_dpi": 300,
        "colour_mode": colour_mode,
        "page_count": 1,
        "quality_check": "sampled",
        "type": "Abmeldung"
    })
    .to_string()
}

fn watch(server: &Server, dir: &Path, token_file: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_eakte"))
        .arg("watch")
        .arg(dir)
        .args([
            "--unit",
            UNIT_A,
            "--server",
            &server.base,
            "--once",
            "--interval-ms",
            "300",
        ])
        .args(["--note-timeout-seconds", "0"])
        .arg("--token-file")
        .arg(token_file)
        .env_remove("EAKTE_TOKEN")
        .output()
        .expect("run eakte watch")
}

#[test]
fn complete_files_with_notes_go_to_the_inbox_and_refused_ones_to_failed_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    import_plan(&data);
    let scanner = token(&data, "scan-7", "scanner", &[UNIT_A], "offen");
    let clerk = token(&data, "clerk-a", "clerk", &[UNIT_A], "offen");
    let server = Server::start(&data, &[]);
    let token_file = dir.path().join("scanner.token");
    std::fs::write(&token_file, &scanner).unwrap();

    let share = dir.path().join("share");
    std::fs::create_dir(&share).unwrap();
    std::fs::write(share.join("abmeldung-1.txt"), "Abmeldung Zitronenfalter").unwrap();
    std::fs::write(share.join("abmeldung-1.txt.json"), note("gray")).unwrap();
    std::fs::write(share.join("sepia.txt"), "Abmeldung Sepia").unwrap();
    std::fs::write(share.join("sepia.txt.json"), note("sepia")).unwrap();
    std::fs::write(share.join("ohne-notiz.txt"), "Abmeldung ohne Notiz").unwrap();
    // Still being written under a temporary name: never taken.
    std::fs::write(share.join(".abmeldung-2.txt"), "Abmeld").unwrap();
    std::fs::write(share.join("abmeldung-3.txt.part"), "Abmeld").unwrap();

    let out = watch(&server, &share, &token_file);
    assert_eq!(out.status.code(), Some(1), "{}", common::text(&out.stderr));

    let receipt: serde_json::Value = serde_json::from_slice(
        &std::fs::read(share.join("done/abmeldung-1.txt.receipt.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        std::fs::read(share.join("done/abmeldung-1.txt")).unwrap(),
        b"Abmeldung Zitronenfalter"
    );
    assert!(share.join("done/abmeldung-1.txt.json").exists());
    let id = receipt["id"].as_str().unwrap().to_owned();
    let error = std::fs::read_to_string(share.join("failed/sepia.txt.error.txt")).unwrap();
    assert!(
        error.contains("transfer_note_invalid") && error.contains("colour_mode"),
        "{error}"
    );
    assert!(share.join("failed/sepia.txt").exists());
    let error = std::fs::read_to_string(share.join("failed/ohne-notiz.txt.error.txt")).unwrap();
    assert!(error.contains("no transfer note"), "{error}");
    assert!(share.join(".abmeldung-2.txt").exists());
    assert!(share.join("abmeldung-3.txt.part").exists());

    // A note that comes after its file failed for want of one is not left for the next scan
    // of that name: alone past the note timeout, it goes to failed/ too.
    std::fs::write(share.join("ohne-notiz.txt.json"), note("gray")).unwrap();
    let out = watch(&server, &share, &token_file);
    assert_eq!(out.status.code(), Some(1), "{}", common::text(&out.stderr));
    assert!(!share.join("ohne-notiz.txt.json").exists());
    let orphan = std::fs::read_dir(share.join("failed"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .find(|n| n.ends_with("-ohne-notiz.txt.json.error.txt"))
        .expect("the orphan note's reason");
    let reason = std::fs::read_to_string(share.join("failed").join(orphan)).unwrap();
    assert!(reason.contains("without its document"), "{reason}");

    let (status, inbox) = json(server.get("/inbox", &clerk));
    assert_eq!(status, 200);
    let inbox = inbox.as_array().unwrap();
    assert_eq!(inbox.len(), 1, "{inbox:?}");
    assert_eq!(inbox[0]["id"], id.as_str());
    assert_eq!(inbox[0]["transfer_note"]["station"], "scan-7");
    assert_eq!(inbox[0]["transfer_note"]["quality_check"], "sampled");
    assert_eq!(inbox[0]["type"], "Abmeldung");

    // A watcher that died after the upload, before the move, leaves the file in the share:
    // taken again, it is recognised and not filed twice.
    std::fs::copy(
        share.join("done/abmeldung-1.txt"),
        share.join("abmeldung-1.txt"),
    )
    .unwrap();
    std::fs::write(share.join("abmeldung-1.txt.json"), note("gray")).unwrap();
    let out = watch(&server, &share, &token_file);
    assert!(out.status.success(), "{}", common::text(&out.stderr));
    let again = std::fs::read_dir(share.join("done"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .find(|n| n.ends_with("-abmeldung-1.txt.receipt.json"))
        .expect("a second receipt");
    let receipt: serde_json::Value =
        serde_json::from_slice(&std::fs::read(share.join("done").join(again)).unwrap()).unwrap();
    assert_eq!(receipt["id"], id.as_str());
    assert_eq!(receipt["already_filed"], true);
    let (_, inbox) = json(server.get("/inbox", &clerk));
    assert_eq!(inbox.as_array().unwrap().len(), 1);

    // A server that cannot be reached loses nothing: the file waits in the share.
    let stopped_base = server.base.clone();
    assert!(server.stop());
    std::fs::write(share.join("spaeter.txt"), "Abmeldung später").unwrap();
    std::fs::write(share.join("spaeter.txt.json"), note("bw")).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_eakte"))
        .arg("watch")
        .arg(&share)
        .args([
            "--unit",
            UNIT_A,
            "--server",
            &stopped_base,
            "--once",
            "--interval-ms",
            "100",
        ])
        .arg("--token-file")
        .arg(&token_file)
        .output()
        .unwrap();
    assert!(
        common::text(&out.stderr).contains("trying again"),
        "{}",
        common::text(&out.stderr)
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "files still waiting must not exit 0"
    );
    assert!(share.join("spaeter.txt").exists());
    assert!(share.join("spaeter.txt.json").exists());
}

#[test]
fn watch_without_a_token_or_folder_says_what_is_missing() {
    let out = Command::new(env!("CARGO_BIN_EXE_eakte"))
        .args(["watch", "/nonexistent-share", "--unit", UNIT_A])
        .env_remove("EAKTE_TOKEN")
        .output()
        .unwrap();
    common::fails_with(&out, 4, "token");
    let out = Command::new(env!("CARGO_BIN_EXE_eakte"))
        .args(["watch", "/nonexistent-share", "--unit", UNIT_A])
        .env("EAKTE_TOKEN", "eakte_x")
        .output()
        .unwrap();
    common::fails_with(&out, 2, "not a directory");
}
