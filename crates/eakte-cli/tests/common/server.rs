//! A real `eakte serve` on 127.0.0.1 for the HTTP tests, with records set up beforehand through
//! the command line.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use reqwest::blocking::{Client, RequestBuilder, Response};

use super::{eakte, text};

pub const UNIT_A: &str = "33 Bürgerbüro – Melde-, Pass- und Ausweiswesen";
pub const UNIT_B: &str = "34 Standesamt";

/// A running server; stopped with SIGTERM (a clean close) when dropped.
pub struct Server {
    child: Child,
    pub base: String,
    pub data: PathBuf,
    pub client: Client,
}

impl Server {
    /// Starts `eakte serve` on a free loopback port of `data`, with extra environment.
    pub fn start(data: &Path, env: &[(&str, &str)]) -> Server {
        let mut command = Command::new(env!("CARGO_BIN_EXE_eakte"));
        command
            .arg("--data")
            .arg(data)
            .args(["serve", "--bind", "127.0.0.1:0"])
            .env_remove("EAKTE_DATA")
            .env("USER", "pruefer")
            .env("OMP_THREAD_LIMIT", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        for (key, value) in env {
            command.env(key, value);
        }
        let mut child = command.spawn().expect("start eakte serve");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read the address");
        let base = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_owned();
        Server {
            child,
            base,
            data: data.to_owned(),
            client: Client::builder()
                .timeout(std::time::Duration::from_secs(120))
                .build()
                .unwrap(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A request with a bearer token (none for `None`).
    pub fn request(&self, method: &str, path: &str, token: Option<&str>) -> RequestBuilder {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let builder = self.client.request(method, self.url(path));
        match token {
            Some(token) => builder.bearer_auth(token),
            None => builder,
        }
    }

    pub fn get(&self, path: &str, token: &str) -> Response {
        self.request("GET", path, Some(token)).send().unwrap()
    }

    /// Stops the server with SIGTERM and waits for it; returns whether it exited cleanly.
    pub fn stop(mut self) -> bool {
        self.terminate()
    }

    fn terminate(&mut self) -> bool {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        self.child.wait().map(|s| s.success()).unwrap_or(false)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            self.terminate();
        }
    }
}

/// The JSON body of a response, with its status.
pub fn json(response: Response) -> (u16, serde_json::Value) {
    let status = response.status().as_u16();
    let body = response.text().unwrap();
    let value = serde_json::from_str(&body)
        .unwrap_or_else(|e| panic!("status {status}: not JSON ({e}): {body}"));
    (status, value)
}

/// Creates a token with the command line (before the server starts) and returns it.
pub fn token(data: &Path, user: &str, role: &str, units: &[&str], clearance: &str) -> String {
    let mut args = vec!["token", "create", "--user", user, "--role", role];
    for unit in units {
        args.extend(["--unit", unit]);
    }
    args.extend(["--clearance", clearance]);
    let out = eakte(data, &args);
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stdout).trim().to_owned()
}

/// Imports the test file plan and creates an Akte; returns its Aktenzeichen and UUID.
pub fn akte(data: &Path, unit: &str, confidentiality: &str, title: &str) -> (String, String) {
    let out = eakte(
        data,
        &[
            "akte",
            "create",
            "--plan",
            "33.12",
            "--title",
            title,
            "--unit",
            unit,
            "--confidentiality",
            confidentiality,
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    // `<uuid>  <Aktenzeichen>`
    let printed = text(&out.stdout);
    let mut words = printed.split_whitespace();
    let id = words.next().expect("an id").to_owned();
    let az = words.next().expect("an Aktenzeichen").to_owned();
    (az, id)
}

/// Imports the file plan of the fixtures.
pub fn import_plan(data: &Path) {
    let plan = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/plan/buergerbuero.json"
    );
    let out = eakte(data, &["plan", "import", plan]);
    assert!(out.status.success(), "{}", text(&out.stderr));
}

/// Files a text file into an Akte with the command line; returns the document id.
pub fn ingest(data: &Path, aktenzeichen: &str, name: &str, content: &str) -> String {
    let path = data.parent().unwrap().join(name);
    std::fs::write(&path, content).unwrap();
    let out = eakte(
        data,
        &["ingest", "--akte", aktenzeichen, path.to_str().unwrap()],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stdout)
        .split_whitespace()
        .next()
        .expect("a document id")
        .to_owned()
}
