//! The service layer's access checks, for every role against own, foreign and unknown objects:
//! no unauthorised success, and one journal entry per refusal.

use std::path::Path;

use eakte_config::Config;
use eakte_extract::pool::WorkerCommand;
use eakte_index::SearchRequest;
use eakte_journal::{Actor, Query};
use eakte_service::tokens::{AuthFailure, NewToken};
use eakte_service::{
    AkteKey, FileRequest, NewAkte, Options, Principal, Role, Service, ServiceError,
};
use eakte_types::{Confidentiality, DokumentId};

const UNIT_A: &str = "33 Bürgerbüro – Melde-, Pass- und Ausweiswesen";
const UNIT_B: &str = "34 Standesamt";

fn open(data: &Path) -> Service {
    let options = Options {
        worker: WorkerCommand {
            program: env!("CARGO_BIN_EXE_eakte").into(),
            args: vec!["extract-worker".into()],
        },
    };
    Service::open(data, Config::default(), options).unwrap()
}

fn operator() -> Principal {
    Principal::operator(Actor {
        user: "setup".into(),
        role: "operator".into(),
        unit: None,
        client: None,
    })
}

fn who(user: &str, role: Role, units: &[&str], clearance: Confidentiality) -> Principal {
    Principal {
        user: user.into(),
        role,
        units: units.iter().map(|u| u.to_string()).collect(),
        clearance,
        client: Some("127.0.0.1".into()),
    }
}

fn denials(service: &Service) -> usize {
    service
        .journal()
        .query(&Query {
            action: Some("access.denied".into()),
            ..Query::default()
        })
        .unwrap()
        .len()
}

struct World {
    _dir: tempfile::TempDir,
    service: Service,
    open_doc: DokumentId,
    nfd_doc: DokumentId,
    foreign_doc: DokumentId,
}

fn file(service: &Service, data: &Path, name: &str, text: &str, akte: &AkteKey) -> DokumentId {
    let path = data.join(name);
    std::fs::write(&path, text).unwrap();
    let request = FileRequest {
        akte: Some(akte.clone()),
        ..FileRequest::default()
    };
    service
        .file_document(&operator(), &path, &request)
        .unwrap()
        .id()
}

fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let service = open(&data);
    let plan = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/plan/buergerbuero.json"
    ))
    .unwrap();
    service.import_plan(&operator(), &plan).unwrap();
    let akte = |unit: &str, confidentiality| {
        let akte = service
            .create_akte(
                &operator(),
                NewAkte {
                    plan_code: "33.12".parse().unwrap(),
                    title: "Abmeldungen".into(),
                    unit: unit.into(),
                    confidentiality,
                },
            )
            .unwrap();
        AkteKey::Id(akte.id)
    };
    let a_open = akte(UNIT_A, Confidentiality::Offen);
    let a_nfd = akte(UNIT_A, Confidentiality::Nfd);
    let b_open = akte(UNIT_B, Confidentiality::Offen);
    let open_doc = file(
        &service,
        dir.path(),
        "a.txt",
        "Wegzug Zitronenfalter",
        &a_open,
    );
    let nfd_doc = file(
        &service,
        dir.path(),
        "n.txt",
        "Wegzug Zitronenfalter",
        &a_nfd,
    );
    let foreign_doc = file(
        &service,
        dir.path(),
        "b.txt",
        "Wegzug Zitronenfalter",
        &b_open,
    );
    service.wait_idle().unwrap();
    World {
        _dir: dir,
        service,
        open_doc,
        nfd_doc,
        foreign_doc,
    }
}

/// What each role may do with a document's metadata and content: `Some(true)` allowed,
/// `Some(false)` hidden (not found), `None` forbidden by role.
#[test]
fn every_role_reaches_exactly_its_documents_and_every_refusal_is_journaled() {
    let w = world();
    let s = &w.service;
    let unknown = DokumentId::new_random();
    let principals = [
        who("scan", Role::Scanner, &[UNIT_A], Confidentiality::Offen),
        who("clerk-a", Role::Clerk, &[UNIT_A], Confidentiality::Offen),
        who("clerk-a-nfd", Role::Clerk, &[UNIT_A], Confidentiality::Nfd),
        who("clerk-b", Role::Clerk, &[UNIT_B], Confidentiality::Offen),
        who("rm", Role::RecordsManager, &[], Confidentiality::Offen),
        who("auditor", Role::Auditor, &[], Confidentiality::Offen),
        who("admin", Role::Admin, &[], Confidentiality::Offen),
    ];
    for p in &principals {
        for (doc, name) in [
            (w.open_doc, "own"),
            (w.nfd_doc, "nfd"),
            (w.foreign_doc, "foreign"),
            (unknown, "unknown"),
        ] {
            let may_meta = p.role.has(eakte_service::Right::ReadMetadata);
            let may_content = p.role.has(eakte_service::Right::ReadContent);
            let reaches = match name {
                "own" => p.role != Role::Clerk || p.units == [UNIT_A],
                "nfd" => {
                    (p.role != Role::Clerk || p.units == [UNIT_A])
                        && p.clearance >= Confidentiality::Nfd
                }
                "foreign" => p.role != Role::Clerk || p.units == [UNIT_B],
                _ => false,
            };
            for (with_content, may) in [(false, may_meta), (true, may_content)] {
                let before = denials(s);
                let result = if with_content {
                    s.document_content(p, doc, None).map(|c| c.dokument.id)
                } else {
                    s.read_document(p, doc, false).map(|v| v.dokument.id)
                };
                let context = format!("{} {name} content={with_content}", p.user);
                match result {
                    Ok(id) => {
                        assert!(may && reaches, "unauthorised success: {context}");
                        assert_eq!(id, doc);
                        assert_eq!(denials(s), before, "{context}");
                    }
                    Err(ServiceError::Forbidden { .. }) => {
                        assert!(!may, "{context}");
                        assert_eq!(denials(s), before + 1, "{context}");
                    }
                    Err(ServiceError::NotFound { .. }) => {
                        assert!(may && !reaches, "{context}");
                        assert_eq!(denials(s), before + 1, "{context}");
                    }
                    Err(e) => panic!("{context}: {e}"),
                }
            }
        }
    }
}

#[test]
fn a_search_counts_and_shows_only_what_the_caller_reaches() {
    let w = world();
    let s = &w.service;
    let hits = |p: &Principal| {
        let results = s
            .search(p, &SearchRequest::new("Zitronenfalter", 10))
            .unwrap();
        let mut ids: Vec<DokumentId> = results.hits.iter().map(|h| h.document_id).collect();
        ids.sort();
        (results.total, ids)
    };
    let sorted = |mut v: Vec<DokumentId>| {
        v.sort();
        v
    };
    assert_eq!(
        hits(&who("a", Role::Clerk, &[UNIT_A], Confidentiality::Offen)),
        (1, vec![w.open_doc])
    );
    assert_eq!(
        hits(&who("a", Role::Clerk, &[UNIT_A], Confidentiality::Nfd)),
        (2, sorted(vec![w.open_doc, w.nfd_doc]))
    );
    assert_eq!(
        hits(&who(
            "b",
            Role::Clerk,
            &[UNIT_B],
            Confidentiality::Vertraulich
        )),
        (1, vec![w.foreign_doc])
    );
    assert_eq!(hits(&operator()).0, 3);
    // Asking for a foreign unit gives nothing of it.
    let mut request = SearchRequest::new("Zitronenfalter", 10);
    request.filter.units = Some(vec![UNIT_B.into()]);
    let clerk_a = who("a", Role::Clerk, &[UNIT_A], Confidentiality::Offen);
    assert_eq!(s.search(&clerk_a, &request).unwrap().total, 0);
    for role in [
        Role::Scanner,
        Role::Auditor,
        Role::Admin,
        Role::RecordsManager,
    ] {
        let p = who("x", role, &[UNIT_A], Confidentiality::Vertraulich);
        assert!(matches!(
            s.search(&p, &SearchRequest::new("Zitronenfalter", 10)),
            Err(ServiceError::Forbidden { .. })
        ));
    }
}

#[test]
fn scanners_upload_to_their_own_inbox_and_clerks_of_that_unit_file_from_it() {
    let w = world();
    let s = &w.service;
    let dir = tempfile::tempdir().unwrap();
    let scan = dir.path().join("scan.txt");
    std::fs::write(&scan, "Posteingang Kirschblüte").unwrap();
    let scanner = who("scan", Role::Scanner, &[UNIT_A], Confidentiality::Offen);
    let before = denials(s);
    let foreign = FileRequest {
        unit: Some(UNIT_B.into()),
        ..FileRequest::default()
    };
    assert!(matches!(
        s.file_document(&scanner, &scan, &foreign),
        Err(ServiceError::Forbidden { .. })
    ));
    assert_eq!(denials(s), before + 1);
    let id = s
        .file_document(&scanner, &scan, &FileRequest::default())
        .unwrap()
        .id();
    // The scanner reads nothing, not even its own upload.
    assert!(matches!(
        s.read_document(&scanner, id, false),
        Err(ServiceError::Forbidden { .. })
    ));
    let clerk_a = who("a", Role::Clerk, &[UNIT_A], Confidentiality::Offen);
    let clerk_b = who("b", Role::Clerk, &[UNIT_B], Confidentiality::Offen);
    assert_eq!(
        s.inbox(&clerk_a)
            .unwrap()
            .iter()
            .map(|d| d.id)
            .collect::<Vec<_>>(),
        vec![id]
    );
    assert!(s.inbox(&clerk_b).unwrap().is_empty());
    // A clerk of another unit cannot assign it, even into an Akte of its own.
    let b_akte = s
        .create_akte(
            &clerk_b,
            NewAkte {
                plan_code: "33.12".parse().unwrap(),
                title: "Akte B".into(),
                unit: UNIT_B.into(),
                confidentiality: Confidentiality::Offen,
            },
        )
        .unwrap();
    assert!(matches!(
        s.assign_document(&clerk_b, id, &AkteKey::Id(b_akte.id), None),
        Err(ServiceError::NotFound { .. })
    ));
    let a_akte = s
        .create_akte(
            &clerk_a,
            NewAkte {
                plan_code: "33.12".parse().unwrap(),
                title: "Akte A".into(),
                unit: UNIT_A.into(),
                confidentiality: Confidentiality::Offen,
            },
        )
        .unwrap();
    let vorgang = s
        .create_vorgang(&clerk_a, &AkteKey::Id(a_akte.id), "Wegzug")
        .unwrap();
    let assigned = s
        .assign_document(&clerk_a, id, &AkteKey::Id(a_akte.id), Some(vorgang.id))
        .unwrap();
    assert_eq!(assigned.akte_id, Some(a_akte.id));
    assert_eq!(assigned.vorgang_id, Some(vorgang.id));
    assert!(s.inbox(&clerk_a).unwrap().is_empty());
    // Assigned once; a second time is refused.
    assert!(matches!(
        s.assign_document(&clerk_a, id, &AkteKey::Id(a_akte.id), None),
        Err(ServiceError::Refused(_))
    ));
    // A clerk cannot create an Akte above its clearance or in a foreign unit.
    for (unit, confidentiality) in [
        (UNIT_B, Confidentiality::Offen),
        (UNIT_A, Confidentiality::Nfd),
    ] {
        let new = NewAkte {
            plan_code: "33.12".parse().unwrap(),
            title: "x".into(),
            unit: unit.into(),
            confidentiality,
        };
        assert!(matches!(
            s.create_akte(&clerk_a, new),
            Err(ServiceError::Forbidden { .. })
        ));
    }
}

#[test]
fn tokens_authenticate_until_revoked_and_failures_are_journaled() {
    let w = world();
    let s = &w.service;
    let admin = who("admin", Role::Admin, &[], Confidentiality::Offen);
    let (record, token) = s
        .create_token(
            &admin,
            NewToken {
                user: "erika".into(),
                role: Role::Clerk,
                units: vec![UNIT_A.into()],
                clearance: Confidentiality::Nfd,
            },
        )
        .unwrap();
    let principal = s.authenticate(Some(&token), None).unwrap();
    assert_eq!(principal.user, "erika");
    assert_eq!(principal.role, Role::Clerk);
    assert_eq!(principal.units, vec![UNIT_A.to_string()]);
    assert_eq!(principal.clearance, Confidentiality::Nfd);
    // Only the hash is stored.
    let file = std::fs::read_to_string(w._dir.path().join("data/auth/tokens.json")).unwrap();
    assert!(!file.contains(&token[token.len() - 64..]));
    let failures = |s: &Service| {
        s.journal()
            .query(&Query {
                action: Some("auth.failed".into()),
                ..Query::default()
            })
            .unwrap()
            .len()
    };
    let mut wrong = token.clone();
    wrong.pop();
    wrong.push(if token.ends_with('0') { '1' } else { '0' });
    for (bad, why) in [
        (None, AuthFailure::Missing),
        (Some("Bearer nonsense"), AuthFailure::Malformed),
        (Some(wrong.as_str()), AuthFailure::Unknown),
    ] {
        let before = failures(s);
        assert!(matches!(
            s.authenticate(bad, None),
            Err(ServiceError::Unauthenticated(f)) if f == why
        ));
        assert_eq!(failures(s), before + 1);
    }
    // A clerk cannot manage tokens.
    assert!(matches!(
        s.list_tokens(&principal),
        Err(ServiceError::Forbidden { .. })
    ));
    s.revoke_token(&admin, &record.id).unwrap();
    assert!(matches!(
        s.authenticate(Some(&token), None),
        Err(ServiceError::Unauthenticated(AuthFailure::Revoked))
    ));
    // Tokens survive a restart.
    let World { _dir, service, .. } = w;
    service.close().unwrap();
    let reopened = open(&_dir.path().join("data"));
    let listed = reopened.list_tokens(&admin).unwrap();
    assert_eq!(listed.len(), 1);
    assert!(listed[0].revoked.is_some());
    reopened.close().unwrap();
}
