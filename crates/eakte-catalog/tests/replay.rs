//! Property: random valid sequences of changes give byte-identical dumps in every catalog that
//! applies them, re-opened in between or not, and the lookup indexes agree with the records.

mod common;

use std::collections::BTreeSet;

use eakte_catalog::{Catalog, Change, Extraction};
use eakte_types::{AkteId, DokumentId, VorgangId};
use proptest::prelude::*;

use common::*;

const CODES: [&str; 5] = ["33", "33.1", "33.10", "33.2", "34"];

#[derive(Debug, Clone)]
enum Op {
    CreateAkte {
        code: usize,
        year: u16,
        bump: u32,
        day: u32,
    },
    Close {
        akte: usize,
        days: u32,
    },
    DomainDate {
        akte: usize,
        name: usize,
        day: u32,
    },
    CreateVorgang {
        akte: usize,
    },
    File {
        akte: Option<usize>,
        in_vorgang: bool,
        content: u8,
    },
    AddVersion {
        doc: usize,
        content: u8,
    },
    Record {
        doc: usize,
        version: u32,
        outcome: u8,
    },
    NotACatalogEntry,
    ReplacePlan {
        with_35: bool,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..CODES.len(), 2025u16..2028, 0u32..3, 1u32..20)
            .prop_map(|(code, year, bump, day)| Op::CreateAkte { code, year, bump, day }),
        1 => (0usize..8, 0u32..30).prop_map(|(akte, days)| Op::Close { akte, days }),
        1 => (0usize..8, 0usize..3, 1u32..28)
            .prop_map(|(akte, name, day)| Op::DomainDate { akte, name, day }),
        1 => (0usize..8).prop_map(|akte| Op::CreateVorgang { akte }),
        4 => (proptest::option::of(0usize..8), any::<bool>(), 0u8..6)
            .prop_map(|(akte, in_vorgang, content)| Op::File { akte, in_vorgang, content }),
        2 => (0usize..12, 0u8..6).prop_map(|(doc, content)| Op::AddVersion { doc, content }),
        2 => (0usize..12, 1u32..4, 0u8..3)
            .prop_map(|(doc, version, outcome)| Op::Record { doc, version, outcome }),
        1 => Just(Op::NotACatalogEntry),
        1 => any::<bool>().prop_map(|with_35| Op::ReplacePlan { with_35 }),
    ]
}

/// What the generator has created so far, to pick existing records from.
#[derive(Default)]
struct Made {
    akten: Vec<AkteId>,
    vorgaenge: Vec<(VorgangId, AkteId)>,
    dokumente: Vec<DokumentId>,
    serial: u64,
}

/// Turns an op into a change against the catalog's current state; `None` for a journal entry
/// that is not a catalog change.
fn change_of(op: &Op, catalog: &Catalog, made: &mut Made) -> Option<Change> {
    made.serial += 1;
    let n = made.serial;
    let pick = |list: &[AkteId], i: usize| list.get(i % list.len().max(1)).copied();
    Some(match *op {
        Op::CreateAkte {
            code: c,
            year,
            bump,
            day,
        } => {
            let next = catalog.next_aktenzeichen(&code(CODES[c]), year).ok()?;
            let mut akte = akte(n, CODES[c], next.number() + bump);
            akte.aktenzeichen =
                eakte_types::Aktenzeichen::new(code(CODES[c]), next.number() + bump, year).ok()?;
            akte.created = time(day);
            Change::AkteCreated { akte }
        }
        Op::Close { akte, days } => {
            let id = pick(&made.akten, akte)?;
            let created = catalog.akte(id).unwrap()?.created.date_naive();
            Change::AkteClosed {
                id,
                closed_on: created + chrono::Days::new(u64::from(days)),
            }
        }
        Op::DomainDate { akte, name, day } => Change::AkteDomainDate {
            id: pick(&made.akten, akte)?,
            name: ["person_moved_away", "died", "case_decided"][name].into(),
            date: date(day),
        },
        Op::CreateVorgang { akte } => {
            let mut vorgang = vorgang(n, 0);
            vorgang.akte_id = pick(&made.akten, akte)?;
            Change::VorgangCreated { vorgang }
        }
        Op::File {
            akte,
            in_vorgang,
            content,
        } => {
            let mut dokument = dokument(n, None, content);
            dokument.akte_id = akte.and_then(|i| pick(&made.akten, i));
            if in_vorgang {
                dokument.vorgang_id = made
                    .vorgaenge
                    .iter()
                    .find(|(_, a)| Some(*a) == dokument.akte_id)
                    .map(|(v, _)| *v);
            }
            Change::DokumentFiled { dokument }
        }
        Op::AddVersion { doc, content } => {
            let id = *made.dokumente.get(doc % made.dokumente.len().max(1))?;
            let number = catalog.dokument(id).unwrap()?.versions.len() as u32 + 1;
            Change::VersionAdded {
                id,
                version: version(number, content),
            }
        }
        Op::Record {
            doc,
            version,
            outcome,
        } => Change::ExtractionRecorded {
            id: *made.dokumente.get(doc % made.dokumente.len().max(1))?,
            version,
            extraction: match outcome {
                0 => Extraction::Pending,
                1 => done(100 + version as u8),
                _ => Extraction::Failed {
                    code: "timeout".into(),
                    message: "slow".into(),
                },
            },
        },
        Op::NotACatalogEntry => return None,
        Op::ReplacePlan { with_35 } => {
            let mut plan = small_plan();
            plan.plan_version = format!("test-{n}");
            if with_35 {
                plan.units.push(unit("35", vec![]));
            }
            plan_imported(plan)
        }
    })
}

fn remember(change: &Change, made: &mut Made) {
    match change {
        Change::AkteCreated { akte } => made.akten.push(akte.id),
        Change::VorgangCreated { vorgang } => made.vorgaenge.push((vorgang.id, vorgang.akte_id)),
        Change::DokumentFiled { dokument } => made.dokumente.push(dokument.id),
        _ => {}
    }
}

/// The indexes say what the records say.
fn indexes_agree(catalog: &Catalog) {
    let dokumente = catalog.dokumente().unwrap();
    let pending: Vec<(DokumentId, u32)> = dokumente
        .iter()
        .flat_map(|d| {
            d.versions
                .iter()
                .filter(|v| v.extraction == Extraction::Pending)
                .map(move |v| (d.id, v.number))
        })
        .collect();
    assert_eq!(catalog.pending_extractions().unwrap(), pending);
    for dokument in &dokumente {
        for version in &dokument.versions {
            let found = catalog
                .find_by_sha256(dokument.akte_id, &version.sha256)
                .unwrap();
            assert!(found.contains(&dokument.id));
            for other in found {
                let other = catalog.dokument(other).unwrap().unwrap();
                assert_eq!(other.akte_id, dokument.akte_id);
                assert!(other.versions.iter().any(|v| v.sha256 == version.sha256));
            }
        }
    }
    let places: BTreeSet<Option<AkteId>> = dokumente.iter().map(|d| d.akte_id).collect();
    let listed: usize = places
        .iter()
        .map(|p| catalog.dokumente_in(*p).unwrap().len())
        .sum();
    assert_eq!(listed, dokumente.len());
    let akten = catalog.akten().unwrap();
    assert!(
        akten
            .windows(2)
            .all(|w| w[0].aktenzeichen < w[1].aktenzeichen)
    );
    for akte in &akten {
        let next = catalog
            .next_aktenzeichen(akte.aktenzeichen.plan_code(), akte.aktenzeichen.year())
            .unwrap();
        assert!(next.number() > akte.aktenzeichen.number());
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn replays_give_identical_dumps(ops in prop::collection::vec(op(), 1..40), reopen_at in 0usize..40) {
        let dirs = [(); 3].map(|_| tempfile::tempdir().unwrap());
        let live = Catalog::open(dirs[0].path()).unwrap();
        let mut made = Made::default();
        // The journal as the service would write it: accepted changes and other entries.
        let mut journal: Vec<Option<Change>> = vec![Some(plan_imported(small_plan()))];
        live.apply(0, journal[0].as_ref().unwrap()).unwrap();
        for op in &ops {
            let seq = journal.len() as u64;
            match change_of(op, &live, &mut made) {
                None => journal.push(None),
                Some(change) => {
                    if live.check(&change).is_ok() {
                        prop_assert!(live.apply(seq, &change).unwrap());
                        remember(&change, &mut made);
                        journal.push(Some(change));
                    }
                }
            }
        }
        if let Some(last) = journal.len().checked_sub(1) {
            live.skip(last as u64).unwrap();
        }
        indexes_agree(&live);
        let expected = live.dump().unwrap();

        // A rebuild that skips every non-catalog entry, re-opened part-way.
        let mut rebuilt = Catalog::open(dirs[1].path()).unwrap();
        for (seq, entry) in journal.iter().enumerate() {
            if seq == reopen_at {
                drop(rebuilt);
                rebuilt = Catalog::open(dirs[1].path()).unwrap();
            }
            match entry {
                Some(change) => prop_assert!(rebuilt.apply(seq as u64, change).unwrap()),
                None => rebuilt.skip(seq as u64).unwrap(),
            }
        }
        prop_assert_eq!(&rebuilt.dump().unwrap(), &expected);
        // Replaying everything again changes nothing.
        for (seq, entry) in journal.iter().enumerate() {
            if let Some(change) = entry {
                prop_assert!(!rebuilt.apply(seq as u64, change).unwrap());
            }
        }
        prop_assert_eq!(&rebuilt.dump().unwrap(), &expected);

        // A replay that leaves gaps for non-catalog entries and skips only the last one.
        let sparse = Catalog::open(dirs[2].path()).unwrap();
        for (seq, entry) in journal.iter().enumerate() {
            if let Some(change) = entry {
                prop_assert!(sparse.apply(seq as u64, change).unwrap());
            }
        }
        sparse.skip(journal.len() as u64 - 1).unwrap();
        prop_assert_eq!(&sparse.dump().unwrap(), &expected);
        indexes_agree(&sparse);
    }
}
