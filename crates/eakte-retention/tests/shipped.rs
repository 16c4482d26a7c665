//! Every shipped rule evaluated on worked dates: year-end rounding, fixed periods, minimum and
//! maximum bounds, chained phases, "never before" events, holds, and the demo plan's mapping.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use eakte_retention::{
    Action, Blocker, Confidence, Declined, Facts, RetentionState, Status, evaluate, shipped_rules,
};

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// One worked case: the events recorded (and the close date), and what the rule must give.
struct Case {
    rule: &'static str,
    events: &'static [(&'static str, &'static str)],
    closed: Option<&'static str>,
    created: &'static str,
    restricted_from: Option<&'static str>,
    action: Action,
    if_declined: Option<Declined>,
    due_on: Option<&'static str>,
    latest_on: Option<&'static str>,
}

const fn case(rule: &'static str, events: &'static [(&'static str, &'static str)]) -> Case {
    Case {
        rule,
        events,
        closed: None,
        created: "2015-01-01",
        restricted_from: None,
        action: Action::Destroy,
        if_declined: None,
        due_on: None,
        latest_on: None,
    }
}

fn cases() -> Vec<Case> {
    use Action::*;
    let offer = |mut c: Case, declined| {
        c.action = OfferToArchive;
        c.if_declined = Some(declined);
        c
    };
    vec![
        // Moved away in March 2020: the five years run from the end of 2020; the archive
        // offer 50 years after the restriction.
        offer(
            Case {
                restricted_from: Some("2026-01-01"),
                due_on: Some("2076-01-01"),
                ..case(
                    "bmg-13-melderegister",
                    &[("person.moved_away", "2020-03-15")],
                )
            },
            Declined::Destroy,
        ),
        // Both events recorded: the later one counts for the end, the earlier for restriction.
        offer(
            Case {
                restricted_from: Some("2026-01-01"),
                due_on: Some("2078-01-01"),
                ..case(
                    "bmg-13-melderegister",
                    &[
                        ("person.moved_away", "2020-03-15"),
                        ("person.died", "2022-06-01"),
                    ],
                )
            },
            Declined::Destroy,
        ),
        // At most until the end of the following year: may go from the end of the year on.
        Case {
            due_on: Some("2020-12-31"),
            latest_on: Some("2021-12-31"),
            ..case(
                "bmg-14-2-s2-sonderdaten",
                &[("person.moved_away", "2020-03-15")],
            )
        },
        Case {
            due_on: Some("2026-03-01"),
            ..case(
                "bmg-14-2-s3-ausweisdaten",
                &[("document.validity_end", "2021-02-28")],
            )
        },
        Case {
            due_on: Some("2024-01-10"),
            latest_on: Some("2024-02-09"),
            ..case(
                "bmg-14-2-s4-sonstige-daten",
                &[("person.died", "2024-01-10")],
            )
        },
        // Immediately: on the day of the transmission, and overdue the day after.
        Case {
            due_on: Some("2024-05-06"),
            latest_on: Some("2024-05-06"),
            ..case(
                "bmg-14-2-s1-suchdienst",
                &[("data.transmitted", "2024-05-06")],
            )
        },
        // A year's logs, closed at its end: at least twelve months more.
        Case {
            closed: Some("2024-12-31"),
            due_on: Some("2026-01-01"),
            ..case("bmg-40-5-abrufprotokolle", &[])
        },
        // Never before a new passport is issued: the reissue moves the due day.
        Case {
            due_on: Some("2023-05-06"),
            latest_on: Some("2025-01-31"),
            ..case(
                "passg-21-4-passregister",
                &[
                    ("document.validity_end", "2020-01-31"),
                    ("document.reissued", "2023-05-05"),
                ],
            )
        },
        Case {
            due_on: Some("2020-01-31"),
            latest_on: Some("2025-01-31"),
            ..case(
                "pauswg-23-4-ausweisregister",
                &[
                    ("document.validity_end", "2020-01-31"),
                    ("document.reissued", "2019-12-01"),
                ],
            )
        },
        // At the latest on handover.
        Case {
            due_on: Some("2024-07-01"),
            latest_on: Some("2024-07-01"),
            ..case(
                "passg-16-fingerabdruecke",
                &[("document.handed_over", "2024-07-01")],
            )
        },
        Case {
            due_on: Some("2020-01-31"),
            latest_on: Some("2025-01-31"),
            ..case(
                "pass-ausweis-antraege",
                &[("document.validity_end", "2020-01-31")],
            )
        },
        // 3 years 6 months from 31 August 2020 ends on 29 February 2024 (a month end stays a
        // month end in a leap year).
        Case {
            due_on: Some("2024-03-01"),
            ..case(
                "stvg-61-3-entscheidung-2j6m",
                &[("decision.final", "2020-08-31")],
            )
        },
        Case {
            due_on: Some("2026-09-01"),
            ..case(
                "stvg-61-3-entscheidung-5j",
                &[("decision.final", "2020-08-31")],
            )
        },
        Case {
            due_on: Some("2031-09-01"),
            ..case(
                "stvg-61-3-entscheidung-10j",
                &[("decision.final", "2020-08-31")],
            )
        },
        Case {
            due_on: Some("2024-02-29"),
            latest_on: Some("2024-02-29"),
            ..case("stvg-61-person", &[("person.died", "2024-02-29")])
        },
        Case {
            due_on: Some("2020-08-31"),
            latest_on: Some("2030-08-31"),
            ..case(
                "stvg-2-9-eignungsunterlagen",
                &[("decision.final", "2020-08-31")],
            )
        },
        offer(
            Case {
                closed: Some("2020-06-30"),
                due_on: Some("2031-01-01"),
                ..case("fahrerlaubnisakte-10", &[])
            },
            Declined::Destroy,
        ),
        // A year from 29 February ends on 28 February.
        Case {
            due_on: Some("2024-02-29"),
            latest_on: Some("2025-02-28"),
            ..case(
                "fzv-73-fahrzeugregister",
                &[("notice.received", "2024-02-29")],
            )
        },
        offer(
            Case {
                due_on: Some("2111-01-01"),
                ..case(
                    "pstg-7-geburtenregister",
                    &[("register.certified", "2000-05-05")],
                )
            },
            Declined::Keep,
        ),
        offer(
            Case {
                due_on: Some("2081-01-01"),
                ..case(
                    "pstg-7-eheregister",
                    &[("register.certified", "2000-05-05")],
                )
            },
            Declined::Keep,
        ),
        offer(
            Case {
                due_on: Some("2031-01-01"),
                ..case(
                    "pstg-7-sterberegister",
                    &[("register.certified", "2000-05-05")],
                )
            },
            Declined::Keep,
        ),
        offer(
            Case {
                due_on: Some("2111-01-01"),
                ..case(
                    "pstg-6-sammelakten-geburt",
                    &[("register.certified", "2000-05-05")],
                )
            },
            Declined::Destroy,
        ),
        offer(
            Case {
                due_on: Some("2081-01-01"),
                ..case(
                    "pstg-6-sammelakten-ehe",
                    &[("register.certified", "2000-05-05")],
                )
            },
            Declined::Destroy,
        ),
        offer(
            Case {
                due_on: Some("2031-01-01"),
                ..case(
                    "pstg-6-sammelakten-sterbefall",
                    &[("register.certified", "2000-05-05")],
                )
            },
            Declined::Destroy,
        ),
        Case {
            action: Keep,
            ..case(
                "gemhvo-jahresabschluss",
                &[("accounts.approved", "2023-11-15")],
            )
        },
        offer(
            Case {
                due_on: Some("2034-01-01"),
                ..case("gemhvo-buecher-10", &[("accounts.approved", "2023-11-15")])
            },
            Declined::Destroy,
        ),
        offer(
            Case {
                due_on: Some("2030-01-01"),
                ..case("gemhvo-belege-6", &[("accounts.approved", "2023-11-15")])
            },
            Declined::Destroy,
        ),
        // Closed on the last day of a year: that year's end.
        Case {
            closed: Some("2024-12-31"),
            due_on: Some("2035-01-01"),
            ..case("ao-147-buecher-10", &[])
        },
        // Closed on the first day of a year: still that year's end.
        Case {
            closed: Some("2024-01-01"),
            due_on: Some("2033-01-01"),
            ..case("ao-147-belege-8", &[])
        },
        Case {
            closed: Some("2024-06-15"),
            due_on: Some("2031-01-01"),
            ..case("ao-147-briefe-6", &[])
        },
        offer(
            Case {
                closed: Some("2016-03-01"),
                due_on: Some("2027-01-01"),
                ..case("allgemein-10-anbieten", &[])
            },
            Declined::Destroy,
        ),
        Case {
            closed: Some("2016-03-01"),
            due_on: Some("2022-01-01"),
            ..case("allgemein-5-vernichten", &[])
        },
        // Thirty years after the end of the year the Akte was created.
        offer(
            Case {
                created: "1990-10-03",
                due_on: Some("2021-01-01"),
                ..case("archivg-30-anbieten", &[])
            },
            Declined::Destroy,
        ),
        Case {
            closed: Some("2016-03-01"),
            action: Keep,
            ..case("allgemein-dauernd", &[])
        },
    ]
}

fn events_of(case: &Case) -> BTreeMap<String, NaiveDate> {
    case.events
        .iter()
        .map(|(name, date)| ((*name).to_owned(), day(date)))
        .collect()
}

fn eval_case(case: &Case, holds: &[String], today: NaiveDate) -> RetentionState {
    let rules = shipped_rules().unwrap();
    let rule = rules
        .get(case.rule)
        .unwrap_or_else(|| panic!("{}", case.rule));
    let events = events_of(case);
    let facts = Facts {
        created: day(case.created),
        closed_on: case.closed.map(day),
        events: &events,
    };
    evaluate(rule, &facts, holds, today)
}

#[test]
fn every_shipped_rule_gives_its_worked_dates() {
    let rules = shipped_rules().unwrap();
    let cases = cases();
    let covered: BTreeSet<&str> = cases.iter().map(|c| c.rule).collect();
    let shipped: BTreeSet<&str> = rules.rules().map(|r| r.id.as_str()).collect();
    assert_eq!(covered, shipped, "every shipped rule needs a worked case");
    for case in &cases {
        let state = eval_case(case, &[], day("2000-01-01"));
        let context = format!("{}: {state:?}", case.rule);
        assert_eq!(state.rule, case.rule);
        assert_eq!(state.action, case.action, "{context}");
        assert_eq!(state.if_declined, case.if_declined, "{context}");
        assert_eq!(state.due_on, case.due_on.map(day), "{context}");
        assert_eq!(state.latest_on, case.latest_on.map(day), "{context}");
        assert_eq!(
            state.restricted_from,
            case.restricted_from.map(day),
            "{context}"
        );
        let Some(due) = state.due_on else {
            assert_eq!(state.status, Status::Permanent, "{context}");
            continue;
        };
        // The day before it is pending, on the day it is due, and a hold blocks it.
        let before = due.pred_opt().unwrap();
        assert_eq!(
            eval_case(case, &[], before).status,
            Status::Pending,
            "{context}"
        );
        assert_eq!(eval_case(case, &[], due).status, Status::Due, "{context}");
        let held = eval_case(case, &["h1".into(), "h2".into()], due);
        assert_eq!(held.status, Status::Blocked, "{context}");
        assert_eq!(
            held.blockers,
            vec![
                Blocker::Hold { id: "h1".into() },
                Blocker::Hold { id: "h2".into() }
            ]
        );
        // Holds do not move restriction or the due day.
        assert_eq!(held.restricted_from, state.restricted_from);
        assert_eq!(held.due_on, state.due_on);
        if let Some(latest) = state.latest_on {
            let after = latest.succ_opt().unwrap();
            assert!(eval_case(case, &[], after).overdue, "{context}");
            assert!(!eval_case(case, &[], latest).overdue, "{context}");
        }
    }
}

#[test]
fn without_its_trigger_a_rule_waits_and_says_for_what() {
    let rules = shipped_rules().unwrap();
    let rule = rules.get("bmg-13-melderegister").unwrap();
    let events = BTreeMap::new();
    let facts = Facts {
        created: day("2020-01-01"),
        closed_on: Some(day("2020-02-01")),
        events: &events,
    };
    let state = evaluate(rule, &facts, &[], day("2090-01-01"));
    assert_eq!(state.status, Status::Waiting);
    assert_eq!(state.due_on, None);
    assert_eq!(state.restricted_from, None);
    assert_eq!(
        state.blockers,
        vec![Blocker::Trigger {
            events: vec!["person.moved_away".into(), "person.died".into()]
        }]
    );
    // An open Akte under a zdA rule waits too.
    let open = Facts {
        closed_on: None,
        ..facts
    };
    let state = evaluate(
        rules.get("allgemein-5-vernichten").unwrap(),
        &open,
        &[],
        day("2090-01-01"),
    );
    assert_eq!(state.status, Status::Waiting);
}

#[test]
fn a_passport_entry_is_blocked_until_a_new_passport_is_issued() {
    let case = case(
        "passg-21-4-passregister",
        &[("document.validity_end", "2020-01-31")],
    );
    let state = eval_case(&case, &[], day("2030-01-01"));
    assert_eq!(state.status, Status::Blocked);
    assert!(state.overdue, "past the five-year maximum: {state:?}");
    assert_eq!(
        state.blockers,
        vec![Blocker::NeverBefore {
            event: "document.reissued".into()
        }]
    );
}

#[test]
fn restriction_comes_on_its_day_whatever_holds_there_are() {
    let case = case("bmg-13-melderegister", &[("person.died", "2021-07-01")]);
    let state = eval_case(&case, &["h".into()], day("2027-06-01"));
    assert_eq!(state.restricted_from, Some(day("2027-01-01")));
    assert_eq!(state.status, Status::Pending);
}

#[test]
fn shipped_rules_carry_basis_and_confidence_as_the_reference_table() {
    let rules = shipped_rules().unwrap();
    assert!(rules.len() >= 30, "{} rules", rules.len());
    let confidence = |id: &str| rules.get(id).unwrap().confidence;
    assert_eq!(confidence("bmg-13-melderegister"), Confidence::Confirmed);
    assert_eq!(
        confidence("bmg-14-2-s4-sonstige-daten"),
        Confidence::Partial
    );
    assert_eq!(confidence("pass-ausweis-antraege"), Confidence::Unconfirmed);
    assert_eq!(confidence("fahrerlaubnisakte-10"), Confidence::Unconfirmed);
    for rule in rules.rules() {
        assert!(rule.legal_basis.len() > 5, "{}", rule.id);
        assert!(rules.source_of(&rule.id).unwrap().ends_with(".toml"));
    }
}
