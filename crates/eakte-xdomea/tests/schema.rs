//! Every message the crate builds validates against the official xdomea 3.0.0 schema.
//!
//! Runs only where `xmllint` is on PATH and the schemas are checked out beside the workspace
//! (`/work/shared/reference/xdomea-3.0.0`); elsewhere it reports that it skipped. When it runs,
//! any xmllint complaint fails it.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use eakte_xdomea::samples::Sample;

fn schema() -> Option<PathBuf> {
    common::shared("reference/xdomea-3.0.0/xdomea.xsd")
}

fn xmllint_available() -> bool {
    Command::new("xmllint")
        .arg("--version")
        .output()
        .is_ok_and(|output| output.status.success())
}

/// Runs `xmllint --noout --schema SCHEMA FILES…` and returns (success, stderr).
fn xmllint(schema: &Path, files: &[PathBuf]) -> (bool, String) {
    let output = Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(schema)
        .args(files)
        .output()
        .expect("run xmllint");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn validator() -> Option<PathBuf> {
    let Some(schema) = schema() else {
        eprintln!("skipped: xdomea 3.0.0 schema not found beside the workspace");
        return None;
    };
    if !xmllint_available() {
        eprintln!("skipped: xmllint is not on PATH");
        return None;
    }
    Some(schema)
}

#[test]
fn built_messages_validate_against_the_official_schema() {
    let Some(schema) = validator() else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let files: Vec<PathBuf> = common::sample_packages(&Sample::new())
        .iter()
        .map(|package| {
            let path = dir.path().join(package.file_name.replace(".zip", ".xml"));
            std::fs::write(&path, &package.xml).expect("write xml");
            path
        })
        .collect();
    assert_eq!(files.len(), 4);
    let (ok, report) = xmllint(&schema, &files);
    assert!(ok, "xmllint refused a built message:\n{report}");
}

/// Guards the test above against passing vacuously: xmllint must refuse a message that lacks
/// the mandatory ProzessID.
#[test]
fn the_schema_check_catches_an_invalid_message() {
    let Some(schema) = validator() else {
        return;
    };
    let sample = Sample::new();
    let [_, appraisal, _, _] = common::sample_packages(&sample);
    let xml = String::from_utf8(appraisal.xml).expect("utf-8");
    let start = xml.find("<xdomea:ProzessID>").expect("ProzessID");
    let end = xml.find("</xdomea:ProzessID>").expect("end") + "</xdomea:ProzessID>".len();
    let broken = format!("{}{}", &xml[..start], &xml[end..]);
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("broken.xml");
    std::fs::write(&path, broken).expect("write");
    let (ok, _) = xmllint(&schema, &[path]);
    assert!(!ok, "xmllint accepted a message without ProzessID");
}
