//! The HTTP API end to end: a real `eakte serve` on 127.0.0.1, every route against every kind of
//! caller and object, uploads, content, search, audit, tokens and bad input.

mod common;

use std::path::Path;

use chrono::{SecondsFormat, Utc};
use common::server::{Server, UNIT_A, UNIT_B, akte, import_plan, ingest, json, token};
use eakte_journal::merkle::{Blake3Hasher, verify_consistency, verify_inclusion};
use reqwest::blocking::multipart::{Form, Part};
use serde_json::json;

/// Who calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    NoToken,
    BadToken,
    Scanner,
    /// A clerk of unit A cleared for `nfd`.
    ClerkA,
    /// A clerk of unit A cleared for `offen` only.
    ClerkAOffen,
    /// A clerk of unit B.
    ClerkB,
    RecordsManager,
    Auditor,
    Admin,
}

const EVERYONE: [Who; 9] = [
    Who::NoToken,
    Who::BadToken,
    Who::Scanner,
    Who::ClerkA,
    Who::ClerkAOffen,
    Who::ClerkB,
    Who::RecordsManager,
    Who::Auditor,
    Who::Admin,
];
const CLERKS: [Who; 3] = [Who::ClerkA, Who::ClerkAOffen, Who::ClerkB];

/// Which object a request names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Obj {
    /// In unit A, `offen`.
    Own,
    /// In unit A, `nfd`.
    Nfd,
    /// In unit B.
    Foreign,
    /// A UUID nobody filed.
    Random,
}

/// The server is stopped before its data directory is removed (fields drop in order).
struct World {
    server: Server,
    _dir: tempfile::TempDir,
    tokens: Vec<(Who, String)>,
    /// (own, nfd, foreign) documents and Akten.
    docs: [String; 3],
    akten: [String; 3],
}

impl World {
    fn token(&self, who: Who) -> Option<String> {
        match who {
            Who::NoToken => None,
            Who::BadToken => Some(format!("eakte_0123456789abcdef_{}", "0".repeat(64))),
            _ => self
                .tokens
                .iter()
                .find(|(w, _)| *w == who)
                .map(|(_, t)| t.clone()),
        }
    }

    fn auditor(&self) -> String {
        self.token(Who::Auditor).unwrap()
    }

    /// Journal events of `action` since `since` (RFC 3339), read by the auditor.
    fn events_since(&self, action: &str, since: &str) -> usize {
        let (status, events) = json(
            self.server
                .request("GET", "/audit/events", Some(&self.auditor()))
                .query(&[("action", action), ("from", since)])
                .send()
                .unwrap(),
        );
        assert_eq!(status, 200, "{events}");
        events.as_array().unwrap().len()
    }
}

fn world_with(env: &[(&str, &str)]) -> World {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    import_plan(&data);
    let (own_az, own_id) = akte(&data, UNIT_A, "offen", "Abmeldungen A");
    let (nfd_az, nfd_id) = akte(&data, UNIT_A, "nfd", "Auskunftssperren A");
    let (foreign_az, foreign_id) = akte(&data, UNIT_B, "offen", "Abmeldungen B");
    let docs = [
        ingest(&data, &own_az, "own.txt", "Wegzug Zitronenfalter offen"),
        ingest(&data, &nfd_az, "nfd.txt", "Wegzug Zitronenfalter gesperrt"),
        ingest(
            &data,
            &foreign_az,
            "foreign.txt",
            "Wegzug Zitronenfalter fremd",
        ),
    ];
    let tokens = vec![
        (
            Who::Scanner,
            token(&data, "scan-1", "scanner", &[UNIT_A], "offen"),
        ),
        (
            Who::ClerkA,
            token(&data, "clerk-a", "clerk", &[UNIT_A], "nfd"),
        ),
        (
            Who::ClerkAOffen,
            token(&data, "clerk-a-offen", "clerk", &[UNIT_A], "offen"),
        ),
        (
            Who::ClerkB,
            token(&data, "clerk-b", "clerk", &[UNIT_B], "offen"),
        ),
        (
            Who::RecordsManager,
            token(&data, "rm", "records_manager", &[], "vertraulich"),
        ),
        (
            Who::Auditor,
            token(&data, "auditor", "auditor", &[], "vertraulich"),
        ),
        (Who::Admin, token(&data, "admin-1", "admin", &[], "offen")),
    ];
    let server = Server::start(&data, env);
    World {
        _dir: dir,
        server,
        tokens,
        docs,
        akten: [own_id, nfd_id, foreign_id],
    }
}

fn world() -> World {
    world_with(&[])
}

/// Whether a caller's units and clearance reach an object (roles of every unit reach all).
fn reaches(who: Who, obj: Obj) -> bool {
    match (who, obj) {
        (_, Obj::Random) => false,
        (Who::ClerkA, Obj::Own | Obj::Nfd) => true,
        (Who::ClerkAOffen, Obj::Own) => true,
        (Who::ClerkB, Obj::Foreign) => true,
        (Who::ClerkA | Who::ClerkAOffen | Who::ClerkB | Who::Scanner, _) => false,
        _ => true,
    }
}

fn now() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Micros, true)
}

fn transfer_note(form: Form) -> Form {
    form.text("station", "scan-3")
        .text("operator", "Käthe Schäfer")
        .text("scanned_at", "2026-11-30T09:15:00+01:00")
        .text("resolution_dpi", "300")
        .text("colour_mode", "gray")
        .text("page_count", "1")
        .text("quality_check", "passed")
}

fn file_part(bytes: &[u8], name: &str) -> Part {
    Part::bytes(bytes.to_vec()).file_name(name.to_owned())
}

/// Sends one request of a route, fresh bodies each time.
fn send(
    w: &World,
    method: &str,
    path: &str,
    token: Option<&str>,
    n: usize,
) -> reqwest::blocking::Response {
    let request = w.server.request(method, path, token);
    let request = if path.ends_with("/documents") {
        request.multipart(
            Form::new().part("file", file_part(format!("Upload {n}").as_bytes(), "u.txt")),
        )
    } else if path == "/inbox" && method == "POST" {
        request.multipart(transfer_note(
            Form::new().part("file", file_part(format!("Scan {n}").as_bytes(), "s.txt")),
        ))
    } else if path.ends_with("/vorgaenge") {
        request.json(&json!({"title": "Wegzug"}))
    } else if path == "/akten" && method == "POST" {
        request.json(&json!({"plan_code": "33.12", "title": "Neue Akte"}))
    } else if path.ends_with("/events") {
        request.json(&json!({"type": "person.moved_away", "date": "2020-03-15"}))
    } else if path == "/holds" && method == "POST" {
        request.json(&json!({"akte": w.akten[0], "reason": "Widerspruch"}))
    } else {
        request
    };
    request.send().unwrap()
}

/// Checks one request: the status the caller must get, the error body of a refusal, and one
/// journal event per refusal (none for a success).
fn check(w: &World, who: Who, method: &str, path: &str, expected: u16, n: usize) {
    let since = now();
    let token = w.token(who);
    let response = send(w, method, path, token.as_deref(), n);
    let status = response.status().as_u16();
    let body = response.text().unwrap();
    let context = format!("{who:?} {method} {path}: {status} {body}");
    if expected == 200 {
        assert!(
            (200..300).contains(&status),
            "unexpected refusal: {context}"
        );
    } else {
        assert_eq!(status, expected, "{context}");
        let value: serde_json::Value = serde_json::from_str(&body).unwrap();
        let code = value["error"]["code"].as_str().unwrap_or_default();
        let wanted = match expected {
            401 => "unauthenticated",
            403 => "forbidden",
            _ => "not_found",
        };
        assert_eq!(code, wanted, "{context}");
    }
    let failed = w.events_since("auth.failed", &since);
    let denied = w.events_since("access.denied", &since);
    match expected {
        200 => assert_eq!((failed, denied), (0, 0), "{context}"),
        401 => assert_eq!((failed, denied), (1, 0), "{context}"),
        _ => assert_eq!((failed, denied), (0, 1), "{context}"),
    }
}

/// What a caller must get: 401 without a valid token, 403 when the role never may, 404 when
/// the object is unknown or out of the caller's reach, else success.
fn expected(who: Who, allowed: &[Who], obj: Option<Obj>) -> u16 {
    match who {
        Who::NoToken | Who::BadToken => 401,
        _ if !allowed.contains(&who) => 403,
        _ => match obj {
            Some(obj) if !reaches(who, obj) => 404,
            _ => 200,
        },
    }
}

#[test]
fn every_route_every_caller_every_object_no_unauthorised_success_and_refusals_journaled() {
    let w = world();
    let meta_roles = [
        Who::ClerkA,
        Who::ClerkAOffen,
        Who::ClerkB,
        Who::RecordsManager,
        Who::Auditor,
    ];
    let mut n = 0;
    // Routes without an object.
    let plain: Vec<(&str, &str, Vec<Who>)> = vec![
        (
            "GET",
            "/plan",
            vec![
                Who::ClerkA,
                Who::ClerkAOffen,
                Who::ClerkB,
                Who::RecordsManager,
                Who::Auditor,
                Who::Admin,
            ],
        ),
        (
            "GET",
            "/inbox",
            vec![
                Who::ClerkA,
                Who::ClerkAOffen,
                Who::ClerkB,
                Who::RecordsManager,
            ],
        ),
        (
            "POST",
            "/inbox",
            vec![Who::Scanner, Who::ClerkA, Who::ClerkAOffen, Who::ClerkB],
        ),
        ("GET", "/akten", meta_roles.to_vec()),
        ("POST", "/akten", CLERKS.to_vec()),
        ("GET", "/search?q=Zitronenfalter", CLERKS.to_vec()),
        ("GET", "/audit/events?limit=1", vec![Who::Auditor]),
        ("GET", "/audit/checkpoint", vec![Who::Auditor]),
        (
            "GET",
            "/audit/proof/inclusion?index=0&size=1",
            vec![Who::Auditor],
        ),
        (
            "GET",
            "/audit/proof/consistency?from=1&to=2",
            vec![Who::Auditor],
        ),
        ("GET", "/audit/export", vec![Who::Auditor]),
        ("GET", "/tokens", vec![Who::Admin]),
        ("GET", "/retention/rules", meta_roles.to_vec()),
        ("GET", "/retention/due", meta_roles.to_vec()),
        ("GET", "/holds", vec![Who::RecordsManager, Who::Auditor]),
        ("POST", "/holds", vec![Who::RecordsManager]),
        (
            "GET",
            "/dispositions",
            vec![Who::RecordsManager, Who::Auditor],
        ),
    ];
    for (method, path, allowed) in &plain {
        for who in EVERYONE {
            n += 1;
            check(&w, who, method, path, expected(who, allowed, None), n);
        }
    }
    // Routes on one object; closing comes last, since it ends filing into the Akte.
    let random = uuid::Uuid::new_v4().to_string();
    let object_routes: Vec<(&str, &str, bool, Vec<Who>)> = vec![
        ("GET", "/documents/{}", true, meta_roles.to_vec()),
        ("GET", "/documents/{}/content", true, CLERKS.to_vec()),
        ("GET", "/documents/{}/text", true, CLERKS.to_vec()),
        ("GET", "/akten/{}", false, meta_roles.to_vec()),
        ("GET", "/akten/{}/retention", false, meta_roles.to_vec()),
        (
            "POST",
            "/akten/{}/events",
            false,
            vec![
                Who::ClerkA,
                Who::ClerkAOffen,
                Who::ClerkB,
                Who::RecordsManager,
            ],
        ),
        ("POST", "/akten/{}/vorgaenge", false, CLERKS.to_vec()),
        ("POST", "/akten/{}/documents", false, CLERKS.to_vec()),
        ("POST", "/akten/{}/close", false, vec![Who::RecordsManager]),
    ];
    for (method, pattern, document, allowed) in &object_routes {
        for (obj, index) in [
            (Obj::Own, 0),
            (Obj::Nfd, 1),
            (Obj::Foreign, 2),
            (Obj::Random, 3),
        ] {
            let id = match (obj, document) {
                (Obj::Random, _) => random.clone(),
                (_, true) => w.docs[index].clone(),
                (_, false) => w.akten[index].clone(),
            };
            let path = pattern.replace("{}", &id);
            for who in EVERYONE {
                n += 1;
                check(&w, who, method, &path, expected(who, allowed, Some(obj)), n);
            }
        }
    }
    assert!(w.server.stop(), "the server did not stop cleanly");
}

#[test]
fn search_answers_each_caller_with_honest_totals_of_what_it_may_read() {
    let w = world();
    let total = |who: Who| {
        let (status, body) = json(
            w.server
                .get("/search?q=Zitronenfalter&limit=10", &w.token(who).unwrap()),
        );
        assert_eq!(status, 200, "{body}");
        let hits = body["hits"].as_array().unwrap();
        for hit in hits {
            assert!(hit["snippet"].as_str().unwrap().contains("<b>"), "{hit}");
        }
        (body["total"].as_u64().unwrap(), hits.len())
    };
    assert_eq!(total(Who::ClerkA), (2, 2));
    assert_eq!(total(Who::ClerkAOffen), (1, 1));
    assert_eq!(total(Who::ClerkB), (1, 1));
    // A clerk asking for another unit's records gets none of them.
    let (status, body) = json(w.server.get(
        &format!(
            "/search?q=Zitronenfalter&unit={}",
            UNIT_B.replace(' ', "%20")
        ),
        &w.token(Who::ClerkA).unwrap(),
    ));
    assert_eq!(status, 200);
    assert_eq!(body["total"], 0, "{body}");
}

#[test]
fn scanning_station_uploads_with_transfer_note_and_a_clerk_files_from_the_inbox() {
    let w = world();
    let scanner = w.token(Who::Scanner).unwrap();
    let clerk = w.token(Who::ClerkA).unwrap();
    // A PNG named .pdf: the media type comes from the bytes.
    let png = {
        let mut bytes = Vec::new();
        image::DynamicImage::new_luma8(8, 8)
            .write_to(
                &mut std::io::Cursor::new(&mut bytes),
                image::ImageFormat::Png,
            )
            .unwrap();
        bytes
    };
    let sha = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(&png))
    };
    let upload = |form: Form| {
        json(
            w.server
                .request("POST", "/inbox", Some(&scanner))
                .multipart(form)
                .send()
                .unwrap(),
        )
    };
    let inbox_len = || {
        let (status, body) = json(w.server.get("/inbox", &clerk));
        assert_eq!(status, 200);
        body.as_array().unwrap().len()
    };
    // An incomplete note, a bad value, a wrong SHA-256, an unknown field: 422, nothing stored.
    for (form, code) in [
        (
            Form::new()
                .part("file", file_part(&png, "scan.pdf"))
                .text("station", "scan-3"),
            "transfer_note_invalid",
        ),
        (
            transfer_note(Form::new().part("file", file_part(&png, "scan.pdf")))
                .text("colour_mode_", "x"),
            "unknown_field",
        ),
        (
            transfer_note(Form::new().part("file", file_part(&png, "scan.pdf")))
                .text("sha256", "0".repeat(64)),
            "sha256_mismatch",
        ),
        (transfer_note(Form::new()), "file_missing"),
    ] {
        let (status, body) = upload(form);
        assert_eq!(status, 422, "{body}");
        assert_eq!(body["error"]["code"], code, "{body}");
    }
    let bad_mode = Form::new()
        .part("file", file_part(&png, "scan.pdf"))
        .text("station", "scan-3")
        .text("operator", "K")
        .text("scanned_at", "2026-11-30T09:15:00Z")
        .text("resolution_dpi", "300")
        .text("colour_mode", "sepia")
        .text("page_count", "1")
        .text("quality_check", "passed");
    let (status, body) = upload(bad_mode);
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (422, Some("transfer_note_invalid"))
    );
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("colour_mode"),
        "{body}"
    );
    assert_eq!(inbox_len(), 0);

    let (status, filed) = upload(
        transfer_note(Form::new().part("file", file_part(&png, "scan.pdf")))
            .text("sha256", sha.clone()),
    );
    assert_eq!(status, 201, "{filed}");
    assert_eq!(filed["sha256"], sha);
    assert_eq!(filed["blake3"], blake3::hash(&png).to_hex().as_str());
    assert_eq!(filed["size"], png.len());
    assert_eq!(filed["media_type"], "image/png");
    assert_eq!(filed["already_filed"], false);
    let id = filed["id"].as_str().unwrap().to_owned();
    // The same bytes again: the document already there.
    let (status, again) = upload(transfer_note(
        Form::new().part("file", file_part(&png, "scan.pdf")),
    ));
    assert_eq!((status, again["id"].as_str()), (200, Some(id.as_str())));
    assert_eq!(again["already_filed"], true);

    // The clerk of the unit sees it in the inbox with its transfer note; the other unit not.
    let (_, inbox) = json(w.server.get("/inbox", &clerk));
    assert_eq!(inbox.as_array().unwrap().len(), 1);
    let note = &inbox[0]["transfer_note"];
    assert_eq!(note["station"], "scan-3");
    assert_eq!(note["colour_mode"], "gray");
    assert_eq!(note["quality_check"], "passed");
    assert_eq!(note["scanned_at"], "2026-11-30T08:15:00Z");
    let (_, other) = json(w.server.get("/inbox", &w.token(Who::ClerkB).unwrap()));
    assert_eq!(other.as_array().unwrap().len(), 0);
    // The scanner reads nothing, not even what it uploaded.
    let (status, _) = json(w.server.get(&format!("/documents/{id}"), &scanner));
    assert_eq!(status, 403);

    // Filing it: into a foreign Akte is not found; into its own Akte works, once.
    let assign = |akte: &str, token: &str| {
        json(
            w.server
                .request("POST", &format!("/documents/{id}/assign"), Some(token))
                .json(&json!({"akte": akte}))
                .send()
                .unwrap(),
        )
    };
    let (status, body) = assign(&w.akten[2], &clerk);
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("not_found"))
    );
    let (status, body) = assign(&w.akten[0], &clerk);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["akte_id"], w.akten[0].as_str());
    assert_eq!(inbox_len(), 0);
    let (status, body) = assign(&w.akten[0], &clerk);
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("not_in_inbox"))
    );
    // The original bytes come back exactly, typed by what they are.
    let response = w.server.get(&format!("/documents/{id}/content"), &clerk);
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.headers()["content-type"], "image/png");
    assert_eq!(response.bytes().unwrap().as_ref(), png.as_slice());
}

#[test]
fn an_upload_over_the_limit_is_refused_with_413_and_nothing_stored() {
    let w = world_with(&[("EAKTE_SERVER_MAX_UPLOAD_BYTES", "1000")]);
    let clerk = w.token(Who::ClerkA).unwrap();
    let (status, body) = json(
        w.server
            .request(
                "POST",
                &format!("/akten/{}/documents", w.akten[0]),
                Some(&clerk),
            )
            .multipart(Form::new().part("file", file_part(&vec![b'x'; 5000], "big.txt")))
            .send()
            .unwrap(),
    );
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (413, Some("file_too_large")),
        "{body}"
    );
    let (_, akte) = json(w.server.get(&format!("/akten/{}", w.akten[0]), &clerk));
    assert_eq!(akte["documents"].as_array().unwrap().len(), 1, "{akte}");
    // Just under the limit is filed.
    let (status, body) = json(
        w.server
            .request(
                "POST",
                &format!("/akten/{}/documents", w.akten[0]),
                Some(&clerk),
            )
            .multipart(Form::new().part("file", file_part(&vec![b'y'; 900], "ok.txt")))
            .send()
            .unwrap(),
    );
    assert_eq!(status, 201, "{body}");
    // No spool file is left behind.
    let left = std::fs::read_dir(w.server.data.join("uploads"))
        .unwrap()
        .count();
    assert_eq!(left, 0);
}

#[test]
fn content_has_etag_ranges_and_the_text_endpoint_the_extracted_text() {
    let w = world();
    let clerk = w.token(Who::ClerkA).unwrap();
    let doc = &w.docs[0];
    let original = b"Wegzug Zitronenfalter offen";
    let response = w.server.get(&format!("/documents/{doc}/content"), &clerk);
    assert_eq!(response.status().as_u16(), 200);
    let etag = response.headers()["etag"].to_str().unwrap().to_owned();
    assert_eq!(etag, format!("\"{}\"", blake3::hash(original).to_hex()));
    assert_eq!(response.headers()["content-type"], "text/plain");
    assert_eq!(response.bytes().unwrap().as_ref(), original);
    let ranged = |range: &str| {
        w.server
            .request("GET", &format!("/documents/{doc}/content"), Some(&clerk))
            .header("Range", range)
            .send()
            .unwrap()
    };
    let part = ranged("bytes=7-20");
    assert_eq!(part.status().as_u16(), 206);
    assert_eq!(
        part.headers()["content-range"],
        format!("bytes 7-20/{}", original.len())
    );
    assert_eq!(part.bytes().unwrap().as_ref(), &original[7..=20]);
    let tail = ranged("bytes=-5");
    assert_eq!(
        tail.bytes().unwrap().as_ref(),
        &original[original.len() - 5..]
    );
    let unsatisfiable = ranged("bytes=500-600");
    assert_eq!(unsatisfiable.status().as_u16(), 416);
    assert_eq!(
        unsatisfiable.headers()["content-range"],
        format!("bytes */{}", original.len())
    );
    // A suffix longer than the content is all of it; another unit is ignored.
    let longer = ranged("bytes=-5000");
    assert_eq!(longer.status().as_u16(), 206);
    assert_eq!(longer.bytes().unwrap().as_ref(), original);
    let other_unit = ranged("items=0-1");
    assert_eq!(other_unit.status().as_u16(), 200);
    assert_eq!(other_unit.bytes().unwrap().as_ref(), original);
    let cached = w
        .server
        .request("GET", &format!("/documents/{doc}/content"), Some(&clerk))
        .header("If-None-Match", &etag)
        .send()
        .unwrap();
    assert_eq!(cached.status().as_u16(), 304);
    let listed = w
        .server
        .request("GET", &format!("/documents/{doc}/content"), Some(&clerk))
        .header("If-None-Match", format!("\"other\", W/{etag}"))
        .send()
        .unwrap();
    assert_eq!(listed.status().as_u16(), 304);
    // Metadata with versions and per-page information, and the text.
    let (status, meta) = json(w.server.get(&format!("/documents/{doc}"), &clerk));
    assert_eq!(status, 200, "{meta}");
    assert_eq!(meta["versions"][0]["extraction"]["state"], "done");
    assert_eq!(meta["versions"][0]["sha256"].as_str().unwrap().len(), 64);
    assert_eq!(meta["pages"][0]["source"], "plain-text");
    let (status, text) = json(w.server.get(&format!("/documents/{doc}/text"), &clerk));
    assert_eq!(status, 200, "{text}");
    assert_eq!(text["pages"][0]["text"], "Wegzug Zitronenfalter offen");
    // Every download and read is in the journal, for the auditor.
    let (_, events) = json(
        w.server
            .request("GET", "/audit/events", Some(&w.auditor()))
            .query(&[("object", doc.as_str()), ("actor", "clerk-a")])
            .send()
            .unwrap(),
    );
    let actions: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions
            .iter()
            .filter(|a| **a == "document.downloaded")
            .count(),
        8,
        "{actions:?}"
    );
    assert_eq!(
        actions.iter().filter(|a| **a == "document.read").count(),
        2,
        "{actions:?}"
    );
}

#[test]
fn the_audit_export_verifies_offline_and_proofs_check_against_the_checkpoint() {
    let w = world();
    let auditor = w.auditor();
    let (status, checkpoint) = json(w.server.get("/audit/checkpoint", &auditor));
    assert_eq!(status, 200, "{checkpoint}");
    let size = checkpoint["size"].as_u64().unwrap();
    assert!(size > 5);
    let hashes = |proof: &serde_json::Value| -> Vec<[u8; 32]> {
        proof["hashes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| {
                hex::decode(h.as_str().unwrap())
                    .unwrap()
                    .try_into()
                    .unwrap()
            })
            .collect()
    };
    let root = |checkpoint: &serde_json::Value| -> [u8; 32] {
        hex::decode(checkpoint["root"].as_str().unwrap())
            .unwrap()
            .try_into()
            .unwrap()
    };
    let (status, inclusion) = json(w.server.get(
        &format!("/audit/proof/inclusion?index=0&size={size}"),
        &auditor,
    ));
    assert_eq!(status, 200);
    // The reads above added entries: a newer checkpoint, and the proof that the older tree is
    // its prefix, checked against both signed roots (and refused once a hash is changed).
    let (_, newer) = json(w.server.get("/audit/checkpoint", &auditor));
    let newer_size = newer["size"].as_u64().unwrap();
    assert!(newer_size > size);
    let (status, consistency) = json(w.server.get(
        &format!("/audit/proof/consistency?from={size}&to={newer_size}"),
        &auditor,
    ));
    assert_eq!(status, 200, "{consistency}");
    let mut proof = hashes(&consistency);
    verify_consistency(
        &Blake3Hasher,
        size,
        newer_size,
        &root(&checkpoint),
        &root(&newer),
        &proof,
    )
    .unwrap();
    proof[0][0] ^= 1;
    assert!(
        verify_consistency(
            &Blake3Hasher,
            size,
            newer_size,
            &root(&checkpoint),
            &root(&newer),
            &proof
        )
        .is_err()
    );
    let (status, body) = json(w.server.get(
        &format!("/audit/proof/consistency?from=1&to={}", size + 1000),
        &auditor,
    ));
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (422, Some("bad_tree_size"))
    );

    let response = w.server.get("/audit/export", &auditor);
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.headers()["content-type"], "application/x-tar");
    let bytes = response.bytes().unwrap();
    let out = tempfile::tempdir().unwrap();
    tar::Archive::new(bytes.as_ref())
        .unpack(out.path())
        .unwrap();
    let export = out.path().join("journal-export");
    // Entry 1 names the leaf hash of entry 0 (`prev`): the inclusion proof of entry 0 leads
    // from it to the signed root.
    let entries = std::fs::read_to_string(export.join("entries.jsonl")).unwrap();
    let second: serde_json::Value = serde_json::from_str(entries.lines().nth(1).unwrap()).unwrap();
    let leaf: [u8; 32] = hex::decode(second["prev"].as_str().unwrap())
        .unwrap()
        .try_into()
        .unwrap();
    verify_inclusion(
        &Blake3Hasher,
        0,
        size,
        &leaf,
        &hashes(&inclusion),
        &root(&checkpoint),
    )
    .unwrap();
    let key = std::fs::read_to_string(out.path().join("public-key.txt")).unwrap();
    assert_eq!(key.trim(), checkpoint["public_key"].as_str().unwrap());
    let verified = common::eakte(
        Path::new("/nonexistent-eakte-data"),
        &[
            "audit",
            "verify",
            export.to_str().unwrap(),
            "--key",
            key.trim(),
        ],
    );
    assert!(
        verified.status.success(),
        "{}{}",
        common::text(&verified.stdout),
        common::text(&verified.stderr)
    );
    // A changed entry in the export is found.
    let entries = export.join("entries.jsonl");
    let original = std::fs::read_to_string(&entries).unwrap();
    assert!(original.contains("\"pruefer\""));
    std::fs::write(&entries, original.replacen("\"pruefer\"", "\"pruefex\"", 1)).unwrap();
    let broken = common::eakte(
        Path::new("/nonexistent-eakte-data"),
        &[
            "audit",
            "verify",
            export.to_str().unwrap(),
            "--key",
            key.trim(),
        ],
    );
    assert!(!broken.status.success(), "a changed export verified");
    // Nothing of the export is left on the server's disk.
    assert_eq!(
        std::fs::read_dir(w.server.data.join("uploads"))
            .unwrap()
            .count(),
        0
    );
}

#[test]
fn bad_input_is_answered_with_a_4xx_and_a_stable_code_never_a_5xx() {
    let w = world();
    let clerk = w.token(Who::ClerkA).unwrap();
    let cases: Vec<(reqwest::blocking::RequestBuilder, u16, &str)> = vec![
        (
            w.server
                .request("GET", "/documents/not-a-uuid", Some(&clerk)),
            400,
            "bad_id",
        ),
        (
            w.server.request("GET", "/akten/33.12-x", Some(&clerk)),
            400,
            "bad_id",
        ),
        (
            w.server
                .request("GET", "/search?q=a&from=2026-13-01", Some(&clerk)),
            400,
            "bad_parameter",
        ),
        (
            w.server
                .request("GET", "/search?q=a&limit=abc", Some(&clerk)),
            400,
            "bad_parameter",
        ),
        (
            w.server
                .request("GET", "/search?q=a&colour=red", Some(&clerk)),
            400,
            "bad_parameter",
        ),
        (
            w.server
                .request("GET", "/search?q=a&sort=random", Some(&clerk)),
            400,
            "bad_parameter",
        ),
        (
            w.server
                .request("GET", "/search?q=a&limit=100000000", Some(&clerk)),
            400,
            "limit",
        ),
        (
            w.server
                .request("GET", "/search?q=%22unclosed", Some(&clerk)),
            400,
            "bad_query",
        ),
        (
            w.server
                .request("POST", "/akten", Some(&clerk))
                .header("content-type", "application/json")
                .body("{\"plan_code\":"),
            400,
            "bad_json",
        ),
        (
            w.server
                .request("POST", "/akten", Some(&clerk))
                .json(&json!({"plan_code": "33.12", "title": "x", "colour": 1})),
            422,
            "invalid_body",
        ),
        (
            w.server
                .request("POST", "/akten", Some(&clerk))
                .json(&json!({"plan_code": "99.99", "title": "x"})),
            422,
            "unknown_plan_code",
        ),
        (
            w.server
                .request("POST", "/akten", Some(&clerk))
                .body("plan_code=33"),
            415,
            "unsupported_media_type",
        ),
        (
            w.server
                .request(
                    "POST",
                    &format!("/akten/{}/close", w.akten[0]),
                    Some(&w.token(Who::RecordsManager).unwrap()),
                )
                .json(&json!({"date": "gestern"})),
            422,
            "invalid_body",
        ),
        (
            w.server
                .request(
                    "POST",
                    &format!("/akten/{}/documents", w.akten[0]),
                    Some(&clerk),
                )
                .body("no multipart"),
            400,
            "bad_multipart",
        ),
        (
            w.server.request("GET", "/nowhere", Some(&clerk)),
            404,
            "no_route",
        ),
        (
            w.server.request("GET", "/documents/%FF%FE", Some(&clerk)),
            400,
            "bad_id",
        ),
        (
            w.server
                .request("GET", "/search?q=a&limit=201", Some(&clerk)),
            400,
            "limit",
        ),
        (
            w.server.request("DELETE", "/plan", Some(&clerk)),
            405,
            "method_not_allowed",
        ),
        (
            w.server
                .request("GET", "/audit/events?from=yesterday", Some(&w.auditor())),
            400,
            "bad_parameter",
        ),
    ];
    for (request, status, code) in cases {
        let (got, body) = json(request.send().unwrap());
        assert_eq!(
            (got, body["error"]["code"].as_str()),
            (status, Some(code)),
            "{body}"
        );
        assert!(
            body["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
    }
    // A received date from the fifth century (the fuzzer found it) is filed and indexed, and
    // the Akte can still be closed.
    let (status, body) = json(
        w.server
            .request(
                "POST",
                &format!("/akten/{}/documents", w.akten[0]),
                Some(&clerk),
            )
            .multipart(
                Form::new()
                    .part("file", file_part(b"Kirchenbuch", "k.txt"))
                    .text("received", "0416-04-30"),
            )
            .send()
            .unwrap(),
    );
    assert_eq!(status, 201, "{body}");
    let records_manager = w.token(Who::RecordsManager).unwrap();
    let (status, body) = json(
        w.server
            .request(
                "POST",
                &format!("/akten/{}/close", w.akten[0]),
                Some(&records_manager),
            )
            .send()
            .unwrap(),
    );
    assert_eq!(status, 200, "{body}");
}

#[test]
fn admin_manages_tokens_while_the_server_runs_and_operations_endpoints_answer() {
    let w = world();
    let admin = w.token(Who::Admin).unwrap();
    let (status, created) = json(
        w.server
            .request("POST", "/tokens", Some(&admin))
            .json(&json!({"user": "clerk-new", "role": "clerk", "units": [UNIT_A]}))
            .send()
            .unwrap(),
    );
    assert_eq!(status, 201, "{created}");
    let new_token = created["token"].as_str().unwrap().to_owned();
    let (status, _) = json(w.server.get("/search?q=Zitronenfalter", &new_token));
    assert_eq!(status, 200);
    let (_, list) = json(w.server.get("/tokens", &admin));
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .all(|t| t.get("sha256").is_none() && t.get("token").is_none())
    );
    assert_eq!(list.as_array().unwrap().len(), 8);
    // The admin reads no records.
    let (status, _) = json(w.server.get("/search?q=Zitronenfalter", &admin));
    assert_eq!(status, 403);
    let (status, revoked) = json(
        w.server
            .request(
                "DELETE",
                &format!("/tokens/{}", created["id"].as_str().unwrap()),
                Some(&admin),
            )
            .send()
            .unwrap(),
    );
    assert_eq!(status, 200);
    assert!(revoked["revoked"].is_string());
    let (status, _) = json(w.server.get("/search?q=Zitronenfalter", &new_token));
    assert_eq!(status, 401);
    // A made-up method adds no series of its own to the metrics.
    let odd = w
        .server
        .request("FROBNICATE", "/healthz", None)
        .send()
        .unwrap();
    assert_eq!(odd.status().as_u16(), 405);
    // Health, metrics and the OpenAPI document need no token.
    let (status, health) = json(w.server.request("GET", "/healthz", None).send().unwrap());
    assert_eq!((status, health["status"].as_str()), (200, Some("ok")));
    assert!(health["journal_entries"].as_u64().unwrap() > 0);
    let metrics = w
        .server
        .request("GET", "/metrics", None)
        .send()
        .unwrap()
        .text()
        .unwrap();
    for name in [
        "eakte_http_requests_total{",
        "eakte_http_request_duration_seconds_bucket{",
        "eakte_extraction_queue ",
        "eakte_filing_queue ",
        "eakte_journal_entries ",
        "eakte_ocr_pages_total ",
    ] {
        assert!(metrics.contains(name), "{name} missing in {metrics}");
    }
    assert!(metrics.contains("route=\"/api/v1/search\""), "{metrics}");
    assert!(!metrics.contains("FROBNICATE"), "{metrics}");
    assert!(metrics.contains("method=\"OTHER\""), "{metrics}");
    let (status, doc) = json(
        w.server
            .request("GET", "/openapi.json", None)
            .send()
            .unwrap(),
    );
    assert_eq!(status, 200);
    assert_eq!(doc["openapi"], "3.1.0");
    assert!(doc["paths"]["/documents/{id}/content"]["get"].is_object());
}

#[test]
fn the_first_start_creates_an_admin_token_file_that_works() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = Server::start(&data, &[]);
    let file = data.join("auth/admin.token");
    let admin = std::fs::read_to_string(&file).unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "the admin token is readable by others");
    }
    let (status, list) = json(server.get("/tokens", admin.trim()));
    assert_eq!(status, 200);
    assert_eq!(list[0]["role"], "admin");
    assert!(server.stop());
    // A second start keeps the token and makes no new one.
    let server = Server::start(&data, &[]);
    let (_, list) = json(server.get("/tokens", admin.trim()));
    assert_eq!(list.as_array().unwrap().len(), 1);
}

#[test]
fn records_managers_run_holds_and_disposition_over_the_api_with_four_eyes() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    import_plan(&data);
    // A passport Akte (33.22) whose end action is due: validity ended, a new passport issued.
    let out = common::eakte(
        &data,
        &[
            "akte",
            "create",
            "--plan",
            "33.22",
            "--title",
            "Reisepass",
            "--unit",
            UNIT_A,
        ],
    );
    let printed = common::succeeds(&out);
    let id = printed.split_whitespace().next().unwrap().to_owned();
    let first = token(&data, "rm-1", "records_manager", &[], "vertraulich");
    let second = token(&data, "rm-2", "records_manager", &[], "vertraulich");
    let clerk = token(&data, "clerk-a", "clerk", &[UNIT_A], "nfd");
    let auditor = token(&data, "auditor", "auditor", &[], "vertraulich");
    let server = Server::start(&data, &[]);
    let post = |path: &str, token: &str, body: serde_json::Value| {
        json(
            server
                .request("POST", path, Some(token))
                .json(&body)
                .send()
                .unwrap(),
        )
    };
    let post_empty =
        |path: &str, token: &str| json(server.request("POST", path, Some(token)).send().unwrap());
    // The clerk of the unit records the events; the rule then makes the Akte due.
    for (kind, date) in [
        ("document.validity_end", "2015-01-31"),
        ("document.reissued", "2016-03-01"),
    ] {
        let (status, body) = post(
            &format!("/akten/{id}/events"),
            &clerk,
            json!({"type": kind, "date": date}),
        );
        assert_eq!(status, 200, "{body}");
    }
    let (status, body) = post(
        &format!("/akten/{id}/events"),
        &clerk,
        json!({"type": "document.reissued", "date": "2016-01-01"}),
    );
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("would_shorten_retention"))
    );
    let (status, state) = json(server.get(&format!("/akten/{id}/retention"), &clerk));
    assert_eq!(status, 200, "{state}");
    assert_eq!(state["rule"], "passg-21-4-passregister");
    assert_eq!(
        (state["status"].as_str(), state["due_on"].as_str()),
        (Some("due"), Some("2016-03-02"))
    );
    // A preview of an earlier day.
    let (_, preview) = json(server.get(&format!("/akten/{id}/retention?at=2016-03-01"), &clerk));
    assert_eq!(preview["status"], "pending", "{preview}");

    // A hold blocks the disposition; the clerk may not set one.
    let (status, _) = post("/holds", &clerk, json!({"akte": id, "reason": "Klage"}));
    assert_eq!(status, 403);
    let (status, hold) = post("/holds", &first, json!({"akte": id, "reason": "Klage"}));
    assert_eq!(status, 201, "{hold}");
    let (_, due) = json(server.get("/retention/due", &first));
    assert_eq!(due[0]["status"], "blocked", "{due}");
    assert_eq!(due[0]["blockers"][0]["hold"], hold["id"]);
    let (status, body) = post_empty("/dispositions", &first);
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (422, Some("nothing_due"))
    );
    let (status, released) = post_empty(
        &format!("/holds/{}/release", hold["id"].as_str().unwrap()),
        &second,
    );
    assert_eq!(
        (status, released["active"].as_bool()),
        (200, Some(false)),
        "{released}"
    );

    // Proposed by one records manager, approved by another.
    let (status, batch) = post_empty("/dispositions", &first);
    assert_eq!(status, 201, "{batch}");
    assert_eq!(batch["items"][0]["akte"], id.as_str());
    let batch_id = batch["id"].as_str().unwrap().to_owned();
    let (status, body) = post_empty(&format!("/dispositions/{batch_id}/approve"), &first);
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("four_eyes")),
        "{body}"
    );
    let (status, body) = post_empty(&format!("/dispositions/{batch_id}/approve"), &clerk);
    assert_eq!(status, 403, "{body}");
    let (status, approved) = post_empty(&format!("/dispositions/{batch_id}/approve"), &second);
    assert_eq!(
        (status, approved["approved_by"].as_str()),
        (200, Some("rm-2")),
        "{approved}"
    );
    // Auditors read batches and holds; clerks do not.
    assert_eq!(json(server.get("/dispositions", &auditor)).0, 200);
    assert_eq!(
        json(server.get(&format!("/dispositions/{batch_id}"), &auditor)).0,
        200
    );
    assert_eq!(json(server.get("/dispositions", &clerk)).0, 403);
    assert_eq!(json(server.get("/holds", &clerk)).0, 403);
    let (_, rules) = json(server.get("/retention/rules", &auditor));
    assert!(rules.as_array().unwrap().len() >= 30);
    // The xdomea exchange: this batch only destroys, so there is nothing to offer; what comes
    // back must be an xdomea message of this batch.
    let xdomea = |step: &str| format!("/dispositions/{batch_id}/xdomea/{step}");
    let (status, body) = post_empty(&xdomea("offer"), &second);
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("batch_state")),
        "{body}"
    );
    let (status, body) = post_empty(&xdomea("transfer"), &second);
    assert_eq!(status, 409, "{body}");
    let (status, body) = json(
        server
            .request("POST", &xdomea("appraisal"), Some(&second))
            .body("<nicht xdomea/>")
            .send()
            .unwrap(),
    );
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (422, Some("xdomea_invalid")),
        "{body}"
    );
    assert_eq!(
        json(
            server
                .request("POST", &xdomea("offer"), Some(&auditor))
                .send()
                .unwrap()
        )
        .0,
        403
    );
    assert!(server.stop(), "the server did not stop cleanly");
}
