//! `eakte extract` end to end: real worker processes, real Tesseract, the project's fixtures,
//! and workers that run out of CPU time, memory or wall-clock time while the pool carries on.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{fails_with, text};

fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/extract")
        .join(name)
        .display()
        .to_string()
}

/// Runs `eakte extract ARGS…` with extra environment settings.
fn extract(data: &Path, env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_eakte"));
    command.arg("--data").arg(data).arg("extract").args(args);
    command.env_remove("EAKTE_DATA");
    for (k, v) in env {
        command.env(k, v);
    }
    command.output().expect("run eakte")
}

/// The JSON lines `extract --json` printed for several files.
fn json_lines(out: &Output) -> Vec<serde_json::Value> {
    text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// A TIFF of `pages` copies of the German fixture page, uncompressed 8-bit grey: a document
/// that takes several seconds of OCR.
fn long_tiff(dir: &Path, pages: usize) -> PathBuf {
    let page = image::open(fixture("german-300dpi.png"))
        .unwrap()
        .into_luma8();
    let path = dir.join("long.tif");
    let file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    let mut tiff = tiff::encoder::TiffEncoder::new(file).unwrap();
    for _ in 0..pages {
        tiff.write_image::<tiff::encoder::colortype::Gray8>(
            page.width(),
            page.height(),
            page.as_raw(),
        )
        .unwrap();
    }
    path
}

#[test]
fn pages_are_printed_with_source_and_confidence() {
    let data = tempfile::tempdir().unwrap();
    let out = extract(data.path(), &[], &[&fixture("german-300dpi-g4.tif")]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.starts_with("# image/tiff, 2 pages, language deu"),
        "{stdout}"
    );
    assert!(stdout.contains("--- page 1: ocr, confidence "), "{stdout}");
    assert!(stdout.contains("--- page 2: ocr, confidence "), "{stdout}");
    assert!(stdout.contains("Jürgen Müller"), "{stdout}");
    assert!(stdout.contains("Seite 2 - Hinweise"), "{stdout}");
}

#[test]
fn json_is_the_versioned_result() {
    let data = tempfile::tempdir().unwrap();
    let out = extract(
        data.path(),
        &[],
        &["--json", &fixture("german-born-digital.pdf")],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(value["format"], "eakte-extraction");
    assert_eq!(value["version"], 1);
    assert_eq!(value["media_type"], "application/pdf");
    assert_eq!(value["language"], "deu");
    assert_eq!(value["pages"][0]["source"], "text-layer");
    assert!(
        value["pages"][0]["text"]
            .as_str()
            .unwrap()
            .contains("Großbeerenstraße 17")
    );
}

#[test]
fn several_files_give_one_line_each_and_failures_their_reason() {
    let data = tempfile::tempdir().unwrap();
    let out = extract(
        data.path(),
        &[],
        &[
            "--json",
            &fixture("german-utf8.txt"),
            &fixture("encrypted-user-password.pdf"),
            &fixture("malformed-truncated.pdf"),
            &fixture("german-cp1252.txt"),
        ],
    );
    fails_with(&out, 1, "encrypted");
    fails_with(&out, 1, "malformed PDF");
    fails_with(&out, 1, "extracted 2 of 4 files; 2 failed");
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 4);
    assert!(
        lines[0]["file"]
            .as_str()
            .unwrap()
            .ends_with("german-utf8.txt")
    );
    assert_eq!(lines[0]["extraction"]["pages"][0]["source"], "plain-text");
    assert_eq!(lines[1]["error"]["code"], "encrypted");
    assert_eq!(lines[2]["error"]["code"], "malformed_pdf");
    assert_eq!(
        lines[3]["extraction"]["pages"][0]["text"],
        lines[0]["extraction"]["pages"][0]["text"]
    );
}

#[test]
fn a_bad_language_list_is_refused() {
    let data = tempfile::tempdir().unwrap();
    let out = extract(
        data.path(),
        &[],
        &["--lang", "deu;rm -rf", &fixture("german-utf8.txt")],
    );
    fails_with(&out, 1, "--lang");
}

#[test]
fn a_worker_out_of_cpu_time_is_replaced_and_the_next_file_is_read() {
    let data = tempfile::tempdir().unwrap();
    let long = long_tiff(data.path(), 8);
    let out = extract(
        data.path(),
        &[
            ("EAKTE_EXTRACT_MAX_CPU_SECONDS", "1"),
            ("EAKTE_EXTRACT_WORKERS", "1"),
        ],
        &[
            "--json",
            long.to_str().unwrap(),
            &fixture("german-300dpi.png"),
        ],
    );
    fails_with(&out, 1, "CPU limit");
    fails_with(&out, 1, "1 workers replaced");
    let lines = json_lines(&out);
    assert_eq!(lines[0]["error"]["code"], "cpu_limit");
    assert_eq!(lines[1]["extraction"]["pages"][0]["source"], "ocr");
}

#[test]
fn a_document_over_its_time_fails_with_timeout_and_the_pool_carries_on() {
    let data = tempfile::tempdir().unwrap();
    let long = long_tiff(data.path(), 8);
    let out = extract(
        data.path(),
        &[
            ("EAKTE_EXTRACT_TIMEOUT_SECONDS", "1"),
            ("EAKTE_EXTRACT_WORKERS", "1"),
        ],
        &[
            "--json",
            long.to_str().unwrap(),
            &fixture("german-utf8.txt"),
        ],
    );
    fails_with(&out, 1, "timeout");
    let lines = json_lines(&out);
    assert_eq!(lines[0]["error"]["code"], "timeout");
    assert_eq!(lines[1]["extraction"]["pages"][0]["source"], "plain-text");
}

#[test]
fn a_worker_out_of_memory_fails_that_document_only() {
    // A white page of 9000 × 9000 pixels is within the pixel limit, but OCR of it needs more
    // than the 256 MiB address space allowed here.
    let data = tempfile::tempdir().unwrap();
    let big = data.path().join("big.png");
    image::GrayImage::from_pixel(9000, 9000, image::Luma([255u8]))
        .save(&big)
        .unwrap();
    let out = extract(
        data.path(),
        &[
            ("EAKTE_EXTRACT_MAX_MEMORY_BYTES", "268435456"),
            ("EAKTE_EXTRACT_WORKERS", "1"),
        ],
        &["--json", big.to_str().unwrap(), &fixture("german-utf8.txt")],
    );
    fails_with(&out, 1, "memory limit");
    let lines = json_lines(&out);
    assert_eq!(lines[0]["error"]["code"], "memory_limit");
    assert_eq!(lines[1]["extraction"]["pages"][0]["source"], "plain-text");
}
