//! The `eakte store` commands as a user runs them: output format, exit codes, messages.

mod common;

use common::*;

fn b3(bytes: &[u8]) -> String {
    blake3::hash(bytes).to_hex().to_string()
}

#[test]
fn put_prints_b3sum_lines_and_get_returns_the_original() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let a = dir.path().join("a.txt");
    let b = dir.path().join("b.bin");
    std::fs::write(&a, "Meldebescheinigung für Erika Mustermann\n").unwrap();
    let big: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(&b, &big).unwrap();
    let out = eakte(
        &data,
        &["store", "put", a.to_str().unwrap(), b.to_str().unwrap()],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let expected = format!(
        "{}  {}\n{}  {}\n",
        b3(&std::fs::read(&a).unwrap()),
        a.display(),
        b3(&big),
        b.display()
    );
    assert_eq!(text(&out.stdout), expected);

    let out = eakte(&data, &["store", "get", &b3(&big)]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(out.stdout == big, "get returned other bytes");
}

#[test]
fn data_directory_comes_from_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("f");
    std::fs::write(&file, b"Antrag").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_eakte"))
        .args(["store", "put", file.to_str().unwrap()])
        .env("EAKTE_DATA", dir.path().join("from-env"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(dir.path().join("from-env/store/segments").is_dir());
}

#[test]
fn unknown_and_malformed_ids_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let unknown = "ab".repeat(32);
    let out = eakte(dir.path(), &["store", "get", &unknown]);
    fails_with(&out, 2, &unknown);
    assert!(out.stdout.is_empty());

    let out = eakte(dir.path(), &["store", "get", "not-a-hash"]);
    fails_with(&out, 2, "not a blob id");
}

#[test]
fn a_missing_file_is_named_and_the_others_are_stored() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good");
    std::fs::write(&good, b"Wohnungsgeberbestaetigung").unwrap();
    let missing = dir.path().join("missing.pdf");
    let out = eakte(
        &dir.path().join("data"),
        &[
            "store",
            "put",
            missing.to_str().unwrap(),
            good.to_str().unwrap(),
        ],
    );
    fails_with(&out, 1, "missing.pdf");
    assert!(text(&out.stdout).contains(&b3(b"Wohnungsgeberbestaetigung")));
    let out = eakte(
        &dir.path().join("data"),
        &["store", "get", &b3(b"Wohnungsgeberbestaetigung")],
    );
    assert_eq!(out.stdout, b"Wohnungsgeberbestaetigung");
}

#[test]
fn corruption_exits_3_and_names_the_blob() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let file = dir.path().join("scan.bin");
    // Random bytes do not compress, so they lie in the segment as they are.
    let mut bytes = vec![0u8; 5000];
    blake3::Hasher::new()
        .update(b"seed")
        .finalize_xof()
        .fill(&mut bytes);
    std::fs::write(&file, &bytes).unwrap();
    assert!(
        eakte(&data, &["store", "put", file.to_str().unwrap()])
            .status
            .success()
    );
    let id = b3(&bytes);
    // Flip a byte in the middle of the stored data.
    let segment = data.join("store/segments/00000001.seg");
    let mut stored = std::fs::read(&segment).unwrap();
    let at = stored
        .windows(64)
        .position(|w| w == &bytes[1000..1064])
        .unwrap();
    stored[at + 10] ^= 0x40;
    std::fs::write(&segment, &stored).unwrap();

    let out = eakte(&data, &["store", "get", &id]);
    fails_with(&out, 3, &id);
    assert!(out.stdout.is_empty(), "no unverified byte may reach stdout");

    let out = eakte(&data, &["store", "verify"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(text(&out.stdout).starts_with(&id), "{}", text(&out.stdout));
}

#[test]
fn verify_passes_and_stats_report_dedup() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let file = dir.path().join("doc.txt");
    std::fs::write(&file, "Bürgerbüro ".repeat(2000)).unwrap();
    for _ in 0..2 {
        assert!(
            eakte(&data, &["store", "put", file.to_str().unwrap()])
                .status
                .success()
        );
    }
    let out = eakte(&data, &["store", "verify"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("1 blobs"),
        "{}",
        text(&out.stderr)
    );
    let out = eakte(&data, &["store", "stats"]);
    let stats = text(&out.stdout);
    assert!(stats.contains("blobs            1"), "{stats}");
    assert!(stats.contains("puts             2"), "{stats}");
    assert!(stats.contains("dedup ratio      2.000"), "{stats}");
}

#[test]
fn a_store_in_use_is_refused_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let store =
        eakte_store::FileStore::open(&dir.path().join("store"), &Default::default()).unwrap();
    let out = eakte(dir.path(), &["store", "stats"]);
    fails_with(&out, 1, "in use");
    drop(store);
    assert!(eakte(dir.path(), &["store", "stats"]).status.success());
}
