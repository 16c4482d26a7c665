//! Every refusal of `check`, and that `apply` refuses the same changes without writing.

mod common;

use eakte_catalog::{Catalog, CatalogError, Change, Refusal};
use eakte_types::{AkteStatus, Aktenzeichen};

use common::*;

fn refused(catalog: &Catalog, change: &Change) -> Refusal {
    let refusal = catalog.check(change).unwrap_err();
    // `apply` refuses the same change in the same way, and writes nothing.
    let before = catalog.dump().unwrap();
    match catalog.apply(catalog.next_seq(), change) {
        Err(CatalogError::Refused(again)) => assert_eq!(again, refusal),
        other => panic!("apply gave {other:?}"),
    }
    assert_eq!(catalog.dump().unwrap(), before);
    refusal
}

#[test]
fn refusals_before_a_plan() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = Catalog::open(dir.path()).unwrap();
    assert_eq!(
        refused(&catalog, &akte_created(1, "33", 1)),
        Refusal::NoPlan
    );
    let mut invalid = small_plan();
    invalid.format = 7;
    assert!(matches!(
        refused(&catalog, &plan_imported(invalid)),
        Refusal::InvalidPlan(_)
    ));
    assert!(matches!(
        catalog.next_aktenzeichen(&code("33"), 2026),
        Err(CatalogError::Refused(Refusal::NoPlan))
    ));
}

#[test]
fn refusals_of_akten() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = catalog_with_akten(dir.path());
    assert_eq!(
        refused(&catalog, &akte_created(3, "35", 1)),
        Refusal::UnknownPlanCode { code: code("35") }
    );
    assert_eq!(
        refused(&catalog, &akte_created(3, "33.10", 1)),
        Refusal::AktenzeichenUsed {
            aktenzeichen: "33.10-0001/2026".into()
        }
    );
    assert_eq!(
        refused(&catalog, &akte_created(1, "33.10", 2)),
        Refusal::AkteExists { id: akte_id(1) }
    );
    let mut mismatch = akte(3, "33.10", 2);
    mismatch.plan_code = code("33.1");
    assert!(matches!(
        refused(&catalog, &Change::AkteCreated { akte: mismatch }),
        Refusal::AktenzeichenMismatch { .. }
    ));
    // An Aktenzeichen that would not print back (running number 0, a five-digit year) cannot
    // be made at all, so no change can carry one.
    assert!(Aktenzeichen::new(code("33.10"), 2, 20260).is_err());
    assert!(Aktenzeichen::new(code("33.10"), 0, 2026).is_err());
    let mut closed = akte(3, "33.10", 2);
    closed.status = AkteStatus::Closed;
    assert_eq!(
        refused(&catalog, &Change::AkteCreated { akte: closed }),
        Refusal::AkteNotNew { id: akte_id(3) }
    );
    let mut dated = akte(3, "33.10", 2);
    dated.domain_dates.insert("Moved Away".into(), date(1));
    assert!(matches!(
        refused(&catalog, &Change::AkteCreated { akte: dated }),
        Refusal::BadDomainDateName { .. }
    ));
    // A new plan may not drop a code that Akten use.
    let mut smaller = small_plan();
    smaller.units.pop();
    assert_eq!(
        refused(&catalog, &plan_imported(smaller)),
        Refusal::PlanDropsCodeInUse { code: code("34") }
    );
}

#[test]
fn refusals_of_closing_and_dates() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = catalog_with_akten(dir.path());
    let close = |id, day| Change::AkteClosed {
        id: akte_id(id),
        closed_on: date(day),
    };
    assert_eq!(
        refused(&catalog, &close(9, 10)),
        Refusal::UnknownAkte { id: akte_id(9) }
    );
    assert_eq!(
        refused(&catalog, &close(1, 1)),
        Refusal::CloseBeforeCreation {
            id: akte_id(1),
            closed_on: date(1),
            created: date(2)
        }
    );
    assert!(catalog.apply(10, &close(1, 2)).unwrap());
    let akte = catalog.akte(akte_id(1)).unwrap().unwrap();
    assert_eq!(
        (akte.status, akte.closed_on),
        (AkteStatus::Closed, Some(date(2)))
    );
    assert_eq!(
        refused(&catalog, &close(1, 20)),
        Refusal::AkteClosed { id: akte_id(1) }
    );
    let moved = Change::AkteDomainDate {
        id: akte_id(1),
        name: "person_moved_away".into(),
        date: date(25),
    };
    // A closed Akte still takes domain dates; retention runs from them.
    assert!(catalog.check(&moved).is_ok());
    assert!(catalog.apply(11, &moved).unwrap());
    let akte = catalog.akte(akte_id(1)).unwrap().unwrap();
    assert_eq!(akte.domain_dates.get("person_moved_away"), Some(&date(25)));
    let bad = Change::AkteDomainDate {
        id: akte_id(1),
        name: "".into(),
        date: date(25),
    };
    assert!(matches!(
        refused(&catalog, &bad),
        Refusal::BadDomainDateName { .. }
    ));
    assert_eq!(
        refused(
            &catalog,
            &Change::AkteDomainDate {
                id: akte_id(8),
                name: "died".into(),
                date: date(25)
            }
        ),
        Refusal::UnknownAkte { id: akte_id(8) }
    );
    // Nothing more is filed into the closed Akte.
    assert_eq!(
        refused(&catalog, &filed(1, Some(1), 1)),
        Refusal::AkteClosed { id: akte_id(1) }
    );
    assert_eq!(
        refused(
            &catalog,
            &Change::VorgangCreated {
                vorgang: vorgang(1, 1)
            }
        ),
        Refusal::AkteClosed { id: akte_id(1) }
    );
}

#[test]
fn refusals_of_vorgaenge_and_documents() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = catalog_with_akten(dir.path());
    let vorgang_in_2 = Change::VorgangCreated {
        vorgang: vorgang(1, 2),
    };
    assert!(catalog.apply(3, &vorgang_in_2).unwrap());
    assert_eq!(
        refused(&catalog, &vorgang_in_2),
        Refusal::VorgangExists { id: vorgang_id(1) }
    );
    assert_eq!(
        refused(
            &catalog,
            &Change::VorgangCreated {
                vorgang: vorgang(2, 7)
            }
        ),
        Refusal::UnknownAkte { id: akte_id(7) }
    );
    let mut wrong_akte = dokument(1, Some(1), 1);
    wrong_akte.vorgang_id = Some(vorgang_id(1));
    assert_eq!(
        refused(
            &catalog,
            &Change::DokumentFiled {
                dokument: wrong_akte
            }
        ),
        Refusal::VorgangNotInAkte {
            vorgang: vorgang_id(1)
        }
    );
    let mut unknown_vorgang = dokument(1, Some(2), 1);
    unknown_vorgang.vorgang_id = Some(vorgang_id(5));
    assert_eq!(
        refused(
            &catalog,
            &Change::DokumentFiled {
                dokument: unknown_vorgang
            }
        ),
        Refusal::UnknownVorgang { id: vorgang_id(5) }
    );
    assert_eq!(
        refused(&catalog, &filed(1, Some(6), 1)),
        Refusal::UnknownAkte { id: akte_id(6) }
    );
    for bad in [
        {
            let mut d = dokument(1, None, 1);
            d.versions.clear();
            d
        },
        {
            let mut d = dokument(1, None, 1);
            d.versions[0].number = 2;
            d
        },
        {
            let mut d = dokument(1, None, 1);
            d.versions[0].extraction = done(9);
            d
        },
        {
            let mut d = dokument(1, None, 1);
            d.versions.push(version(2, 2));
            d
        },
    ] {
        assert_eq!(
            refused(&catalog, &Change::DokumentFiled { dokument: bad }),
            Refusal::NotFirstVersion { id: dokument_id(1) }
        );
    }
    let mut in_vorgang = dokument(1, Some(2), 1);
    in_vorgang.vorgang_id = Some(vorgang_id(1));
    assert!(
        catalog
            .apply(
                4,
                &Change::DokumentFiled {
                    dokument: in_vorgang
                }
            )
            .unwrap()
    );
    assert_eq!(
        refused(&catalog, &filed(1, None, 3)),
        Refusal::DokumentExists { id: dokument_id(1) }
    );
    let add = |doc, number| Change::VersionAdded {
        id: dokument_id(doc),
        version: version(number, 40),
    };
    assert_eq!(
        refused(&catalog, &add(2, 2)),
        Refusal::UnknownDokument { id: dokument_id(2) }
    );
    for number in [1, 3] {
        assert_eq!(
            refused(&catalog, &add(1, number)),
            Refusal::VersionNotNext {
                id: dokument_id(1),
                expected: 2,
                found: number
            }
        );
    }
    assert!(catalog.apply(5, &add(1, 2)).unwrap());
    let record = |doc, number| Change::ExtractionRecorded {
        id: dokument_id(doc),
        version: number,
        extraction: done(50),
    };
    assert_eq!(
        refused(&catalog, &record(1, 3)),
        Refusal::UnknownVersion {
            id: dokument_id(1),
            version: 3
        }
    );
    assert_eq!(
        refused(&catalog, &record(3, 1)),
        Refusal::UnknownDokument { id: dokument_id(3) }
    );
    assert!(catalog.apply(6, &record(1, 2)).unwrap());
    // Closing the Akte stops new versions, not extraction results.
    let close = Change::AkteClosed {
        id: akte_id(2),
        closed_on: date(9),
    };
    assert!(catalog.apply(7, &close).unwrap());
    assert_eq!(
        refused(&catalog, &add(1, 3)),
        Refusal::AkteClosed { id: akte_id(2) }
    );
    assert!(catalog.apply(8, &record(1, 1)).unwrap());
}
