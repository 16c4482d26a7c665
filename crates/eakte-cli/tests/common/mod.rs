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
