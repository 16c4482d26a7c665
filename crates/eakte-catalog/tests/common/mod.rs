//! Builders of plans, records and changes shared by the catalog's integration tests.

#![allow(dead_code)]

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use eakte_catalog::{
    Akte, Catalog, Change, Dokument, Extraction, FilePlan, PLAN_FORMAT, PlanUnit, RecordClass,
    Version, Vorgang,
};
use eakte_types::{
    AkteId, AkteStatus, Aktenzeichen, ArchivalValue, BlobId, Confidentiality, DokumentId, PlanCode,
    Sha256Digest, VorgangId,
};

/// A UUID-shaped id text from a small number, so that tests can name ids.
fn id_text(kind: u8, n: u64) -> String {
    format!("00000000-0000-4000-80{kind:02x}-{n:012x}")
}

pub fn akte_id(n: u64) -> AkteId {
    id_text(1, n).parse().unwrap()
}

pub fn vorgang_id(n: u64) -> VorgangId {
    id_text(2, n).parse().unwrap()
}

pub fn dokument_id(n: u64) -> DokumentId {
    id_text(3, n).parse().unwrap()
}

pub fn code(s: &str) -> PlanCode {
    s.parse().unwrap()
}

pub fn blob(n: u8) -> BlobId {
    BlobId::from_bytes([n; 32])
}

pub fn sha(n: u8) -> Sha256Digest {
    Sha256Digest::from_bytes([n; 32])
}

pub fn time(day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, day, 9, 30, 0).unwrap()
}

pub fn date(day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, day).unwrap()
}

pub fn unit(c: &str, children: Vec<PlanUnit>) -> PlanUnit {
    PlanUnit {
        code: code(c),
        title: format!("Einheit {c}"),
        record_class: RecordClass::Fallakte,
        unit: "33 Bürgeramt".into(),
        archival_value: ArchivalValue::V,
        retention_rule: Some("bmg-13-melderegister".into()),
        children,
    }
}

/// A small plan: 33 with 33.1 and 33.10 below it, and 34.
pub fn small_plan() -> FilePlan {
    FilePlan {
        format: PLAN_FORMAT,
        plan_version: "test-1".into(),
        title: "Testplan".into(),
        valid_from: None,
        units: vec![
            unit(
                "33",
                vec![
                    unit("33.1", vec![unit("33.10", vec![])]),
                    unit("33.2", vec![]),
                ],
            ),
            unit("34", vec![]),
        ],
    }
}

pub fn plan_imported(plan: FilePlan) -> Change {
    Change::PlanImported {
        blob: blob(200),
        plan,
    }
}

pub fn akte(n: u64, c: &str, number: u32) -> Akte {
    Akte {
        id: akte_id(n),
        aktenzeichen: Aktenzeichen::new(code(c), number, 2026).unwrap(),
        plan_code: code(c),
        title: format!("Akte {n}"),
        unit: "33 Bürgeramt".into(),
        confidentiality: Confidentiality::Offen,
        status: AkteStatus::Open,
        created: time(2),
        closed_on: None,
        domain_dates: BTreeMap::new(),
    }
}

pub fn akte_created(n: u64, c: &str, number: u32) -> Change {
    Change::AkteCreated {
        akte: akte(n, c, number),
    }
}

pub fn vorgang(n: u64, akte: u64) -> Vorgang {
    Vorgang {
        id: vorgang_id(n),
        akte_id: akte_id(akte),
        title: format!("Vorgang {n}"),
        created: time(3),
    }
}

pub fn version(number: u32, content: u8) -> Version {
    Version {
        number,
        blob: blob(content),
        sha256: sha(content),
        size: 1000 + u64::from(content),
        media_type: Some("application/pdf".into()),
        filed: time(4),
        extraction: Extraction::Pending,
    }
}

pub fn dokument(n: u64, akte: Option<u64>, content: u8) -> Dokument {
    Dokument {
        id: dokument_id(n),
        akte_id: akte.map(akte_id),
        vorgang_id: None,
        unit: None,
        title: format!("Dokument {n}"),
        doc_type: Some("Antrag".into()),
        received: Some(date(4)),
        sender: None,
        capture: None,
        original_name: Some(format!("scan-{n}.pdf")),
        filed: time(4),
        versions: vec![version(1, content)],
    }
}

pub fn filed(n: u64, akte: Option<u64>, content: u8) -> Change {
    Change::DokumentFiled {
        dokument: dokument(n, akte, content),
    }
}

pub fn done(rendition: u8) -> Extraction {
    Extraction::Done {
        rendition: blob(rendition),
        pages: 2,
        language: Some("deu".into()),
    }
}

/// A catalog with the small plan, Akte 1 (33.10-0001/2026) and Akte 2 (34-0001/2026) open.
pub fn catalog_with_akten(dir: &std::path::Path) -> Catalog {
    let catalog = Catalog::open(dir).unwrap();
    let changes = [
        plan_imported(small_plan()),
        akte_created(1, "33.10", 1),
        akte_created(2, "34", 1),
    ];
    for (seq, change) in changes.iter().enumerate() {
        assert!(catalog.apply(seq as u64, change).unwrap());
    }
    catalog
}
