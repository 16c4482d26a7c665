//! Running the `eakte` binary in the CLI tests.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output};

pub mod server;

/// Runs `eakte --data DATA ARGS…` as the user `pruefer`, ignoring any `EAKTE_DATA` of the caller.
pub fn eakte(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_eakte"))
        .arg("--data")
        .arg(data)
        .args(args)
        .env_remove("EAKTE_DATA")
        .env("USER", "pruefer")
        .output()
        .expect("run eakte")
}

pub fn text(out: &[u8]) -> String {
    String::from_utf8_lossy(out).into_owned()
}

/// Asserts that the command exited with `code` and said `needle` on standard error.
pub fn fails_with(out: &Output, code: i32, needle: &str) {
    assert_eq!(out.status.code(), Some(code), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains(needle),
        "expected {needle:?} in: {}",
        text(&out.stderr)
    );
}

/// Asserts that the command succeeded and returns its standard output.
pub fn succeeds(out: &Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}: {}{}",
        out.status.code(),
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stdout)
}

/// How often `needle` occurs in the files under `dir`, per file (recursively; files that
/// vanish while being read are skipped).
pub fn occurrences(dir: &Path, needle: &str) -> Vec<(String, usize)> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return found;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(occurrences(&path, needle));
        } else if let Ok(bytes) = std::fs::read(&path) {
            let hits = bytes
                .windows(needle.len())
                .filter(|w| *w == needle.as_bytes())
                .count();
            if hits > 0 {
                found.push((path.display().to_string(), hits));
            }
        }
    }
    found
}
