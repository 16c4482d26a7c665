//! `eakte token`: create prints the token once, list shows it without its secret, revoke ends it.

mod common;

use common::{eakte, fails_with, text};

#[test]
fn tokens_are_created_listed_and_revoked() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let out = eakte(
        &data,
        &[
            "token",
            "create",
            "--user",
            "erika",
            "--role",
            "clerk",
            "--unit",
            "33 Bürgerbüro",
            "--clearance",
            "nfd",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let token = text(&out.stdout).trim().to_owned();
    assert!(token.starts_with("eakte_"), "{token}");
    let id = token.split('_').nth(1).unwrap().to_owned();
    let listed = eakte(&data, &["token", "list"]);
    let listing = text(&listed.stdout);
    assert!(listing.contains(&id) && listing.contains("clerk") && listing.contains("live"));
    assert!(!listing.contains(&token[token.len() - 64..]));
    assert!(eakte(&data, &["token", "revoke", &id]).status.success());
    assert!(text(&eakte(&data, &["token", "list"]).stdout).contains("revoked"));
    // The journal names both.
    let log = text(&eakte(&data, &["audit", "log"]).stdout);
    assert!(
        log.contains("token.created") && log.contains("token.revoked"),
        "{log}"
    );
    // Bad input: exit 4 with a reason.
    fails_with(
        &eakte(
            &data,
            &["token", "create", "--user", "x", "--role", "operator"],
        ),
        4,
        "--role",
    );
    fails_with(
        &eakte(
            &data,
            &["token", "create", "--user", "x", "--role", "clerk"],
        ),
        4,
        "needs at least one unit",
    );
    fails_with(
        &eakte(&data, &["token", "revoke", "0000000000000000"]),
        2,
        "not found",
    );
}
