//! A state-machine property test of retention and disposition: random filing, closing,
//! events, holds and releases, rule changes, clock jumps and disposition attempts by two
//! records managers, against a real service. Whatever the sequence: no Akte is destroyed before
//! its retention ends or while a hold covers it, no due day ever moves earlier, no rule change
//! that would keep records shorter is adopted, and every destruction has two distinct sign-offs
//! and a tombstone.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{Days, NaiveDate};
use eakte_config::Config;
use eakte_extract::pool::WorkerCommand;
use eakte_journal::Actor;
use eakte_retention::Status;
use eakte_service::{
    AkteKey, FileRequest, HoldTarget, NewAkte, Options, Principal, Role, Service, ServiceError,
};
use eakte_types::{AkteId, BatchId, Confidentiality, HoldId};
use proptest::prelude::*;

const UNIT: &str = "33 Bürgerbüro – Pass- und Ausweiswesen";
const PLAN: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../fixtures/plan/buergerbuero.json"
);
/// The plan units the model files into: passports (validity end, never before a reissue, at
/// most five years) and short-lived office papers (five years after the end of the closing
/// year, destroy).
const CODES: [&str; 2] = ["33.22", "32.2"];

#[derive(Debug, Clone)]
enum Op {
    Create {
        kind: usize,
    },
    File {
        akte: usize,
    },
    Close {
        akte: usize,
    },
    Event {
        akte: usize,
        reissue: bool,
        day: u16,
    },
    Hold {
        akte: usize,
    },
    Release {
        hold: usize,
    },
    Jump {
        days: u16,
    },
    Propose {
        by: usize,
    },
    Approve {
        batch: usize,
        by: usize,
    },
    Execute {
        batch: usize,
        by: usize,
    },
    Rules {
        shorten: bool,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        2 => (0..2usize).prop_map(|kind| Op::Create { kind }),
        2 => (0..8usize).prop_map(|akte| Op::File { akte }),
        2 => (0..8usize).prop_map(|akte| Op::Close { akte }),
        3 => (0..8usize, any::<bool>(), 0..4000u16)
            .prop_map(|(akte, reissue, day)| Op::Event { akte, reissue, day }),
        1 => (0..8usize).prop_map(|akte| Op::Hold { akte }),
        1 => (0..4usize).prop_map(|hold| Op::Release { hold }),
        3 => (0..4000u16).prop_map(|days| Op::Jump { days }),
        3 => (0..2usize).prop_map(|by| Op::Propose { by }),
        4 => (0..3usize, 0..2usize).prop_map(|(batch, by)| Op::Approve { batch, by }),
        4 => (0..3usize, 0..2usize).prop_map(|(batch, by)| Op::Execute { batch, by }),
        1 => any::<bool>().prop_map(|shorten| Op::Rules { shorten }),
    ]
}

fn manager(i: usize) -> Principal {
    Principal {
        user: ["alice", "bob"][i % 2].into(),
        role: Role::RecordsManager,
        units: Vec::new(),
        clearance: Confidentiality::Vertraulich,
        client: None,
    }
}

fn operator() -> Principal {
    Principal::operator(Actor {
        user: "clerk".into(),
        role: "operator".into(),
        unit: None,
        client: None,
    })
}

/// The simulation starts on the real today: Akten are created with the real clock, and none
/// can be closed before it was created.
fn base() -> NaiveDate {
    eakte_service::office_today()
}

/// The shipped rules with one period changed: the passport maximum cut to four years
/// (shorter) or the office papers kept six years instead of five (longer).
fn changed_rules(shorten: bool) -> Vec<(String, String)> {
    eakte_retention::SHIPPED_RULE_FILES
        .iter()
        .map(|(name, text)| {
            let text = match (*name, shorten) {
                ("pass-ausweis.toml", true) => text.replacen(
                    "[[rule.phases]]\naction = \"destroy\"\nat_most = { years = 5 }",
                    "[[rule.phases]]\naction = \"destroy\"\nat_most = { years = 4 }",
                    1,
                ),
                ("kommunal.toml", false) => {
                    let at = text.find("id = \"allgemein-5-vernichten\"").unwrap();
                    let (head, tail) = text.split_at(at);
                    format!(
                        "{head}{}",
                        tail.replacen("period = { years = 5 }", "period = { years = 6 }", 1)
                    )
                }
                _ => (*text).to_owned(),
            };
            ((*name).to_owned(), text)
        })
        .collect()
}

struct Model {
    service: Service,
    clock: Arc<AtomicI64>,
    akten: Vec<AkteId>,
    holds: Vec<HoldId>,
    batches: Vec<BatchId>,
    /// The latest due day seen per Akte: it may never move earlier.
    due: BTreeMap<AkteId, NaiveDate>,
    files: tempfile::TempDir,
    destroyed: usize,
}

impl Model {
    fn today(&self) -> NaiveDate {
        base() + Days::new(self.clock.load(Ordering::SeqCst) as u64)
    }

    /// Batch `i` counted from the newest.
    fn batch(&self, i: usize) -> Option<BatchId> {
        let n = self.batches.len();
        (n > 0).then(|| self.batches[n - 1 - i % n])
    }

    fn akte(&self, i: usize) -> Option<AkteId> {
        (!self.akten.is_empty()).then(|| self.akten[i % self.akten.len()])
    }

    fn run(&mut self, op: &Op) -> Result<(), TestCaseError> {
        let s = &self.service;
        match op {
            Op::Create { kind } => {
                let akte = s
                    .create_akte(
                        &operator(),
                        NewAkte {
                            plan_code: CODES[*kind].parse().unwrap(),
                            title: "Akte".into(),
                            unit: UNIT.into(),
                            confidentiality: Confidentiality::Offen,
                        },
                    )
                    .unwrap();
                self.akten.push(akte.id);
            }
            Op::File { akte } => {
                let Some(id) = self.akte(*akte) else {
                    return Ok(());
                };
                let path = self.files.path().join(format!("{}.txt", self.akten.len()));
                std::fs::write(&path, format!("Antrag {id} {}", self.today())).unwrap();
                let request = FileRequest {
                    akte: Some(AkteKey::Id(id)),
                    ..FileRequest::default()
                };
                // Closed or destroyed Akten take nothing.
                let _ = s.file_document(&operator(), &path, &request);
                s.wait_idle().unwrap();
            }
            Op::Close { akte } => {
                let Some(id) = self.akte(*akte) else {
                    return Ok(());
                };
                let _ = s.close_akte(&operator(), &AkteKey::Id(id), Some(self.today()));
            }
            Op::Event { akte, reissue, day } => {
                let Some(id) = self.akte(*akte) else {
                    return Ok(());
                };
                let kind = if *reissue {
                    "document.reissued"
                } else {
                    "document.validity_end"
                };
                let date =
                    NaiveDate::from_ymd_opt(2020, 1, 1).unwrap() + Days::new(u64::from(*day));
                match s.record_event(&manager(0), &AkteKey::Id(id), kind, date) {
                    Ok(_) => {}
                    Err(ServiceError::Refused(_) | ServiceError::NotFound { .. }) => {}
                    Err(e) => prop_assert!(false, "event: {e}"),
                }
            }
            Op::Hold { akte } => {
                let Some(id) = self.akte(*akte) else {
                    return Ok(());
                };
                if let Ok(hold) =
                    s.set_hold(&manager(0), &HoldTarget::Akte(AkteKey::Id(id)), "Klage")
                {
                    self.holds.push(hold.id);
                }
            }
            Op::Release { hold } => {
                if !self.holds.is_empty() {
                    let _ = s.release_hold(&manager(1), self.holds[*hold % self.holds.len()]);
                }
            }
            Op::Jump { days } => {
                self.clock.fetch_add(i64::from(*days), Ordering::SeqCst);
            }
            Op::Propose { by } => {
                if let Ok(batch) = s.propose_disposition(&manager(*by)) {
                    self.batches.push(batch.id);
                }
            }
            Op::Approve { batch, by } => {
                let Some(id) = self.batch(*batch) else {
                    return Ok(());
                };
                let proposer = s.disposition(&manager(0), id).unwrap().proposed.by;
                let result = s.approve_disposition(&manager(*by), id);
                if proposer == manager(*by).user {
                    prop_assert!(result.is_err(), "the proposer approved batch {id}");
                }
            }
            Op::Execute { batch, by } => {
                let Some(id) = self.batch(*batch) else {
                    return Ok(());
                };
                self.execute(id, *by)?;
            }
            Op::Rules { shorten } => {
                let result = s.adopt_rules(&manager(0), &changed_rules(*shorten));
                if *shorten {
                    prop_assert!(result.is_err(), "a shortening rule change was adopted");
                } else {
                    prop_assert!(result.is_ok(), "an extension was refused: {:?}", result);
                }
            }
        }
        self.check_due_days()
    }

    /// Carries out a batch and checks every destruction against the state just before it.
    fn execute(&mut self, id: BatchId, by: usize) -> Result<(), TestCaseError> {
        let s = &self.service;
        let today = self.today();
        let before: BTreeMap<AkteId, _> = self
            .akten
            .iter()
            .filter_map(|a| {
                s.retention_of(&operator(), &AkteKey::Id(*a), today)
                    .ok()
                    .map(|v| (*a, v))
            })
            .collect();
        let Ok(report) = s.destroy_approved(&manager(by), id) else {
            return Ok(());
        };
        for tombstone in &report.destroyed {
            self.destroyed += 1;
            let view = &before[&tombstone.akte];
            let state = view.state.as_ref().expect("a destroyed Akte had a rule");
            prop_assert_eq!(state.status, Status::Due, "destroyed while {:?}", state);
            prop_assert!(
                state.due_on.is_some_and(|d| d <= today),
                "destroyed before its due day"
            );
            prop_assert!(view.holds.is_empty(), "destroyed under a hold");
            prop_assert_ne!(&tombstone.proposed_by, &tombstone.approved_by);
            prop_assert!(
                s.catalog().akte(tombstone.akte).unwrap().is_none()
                    && s.catalog().tombstone(tombstone.akte).unwrap().is_some()
            );
        }
        Ok(())
    }

    /// No Akte's due day moves earlier than one seen before.
    fn check_due_days(&mut self) -> Result<(), TestCaseError> {
        let today = self.today();
        for akte in &self.akten {
            let Ok(view) = self
                .service
                .retention_of(&operator(), &AkteKey::Id(*akte), today)
            else {
                continue;
            };
            let Some(due) = view.state.as_ref().and_then(|s| s.due_on) else {
                continue;
            };
            if let Some(seen) = self.due.get(akte) {
                prop_assert!(
                    due >= *seen,
                    "Akte {akte}: due {due}, earlier than {seen} seen before"
                );
            }
            self.due.insert(*akte, due);
        }
        Ok(())
    }
}

fn open(data: &Path) -> (Service, Arc<AtomicI64>) {
    let options = Options {
        worker: WorkerCommand {
            program: env!("CARGO_BIN_EXE_eakte").into(),
            args: vec!["extract-worker".into()],
        },
    };
    let service = Service::open(data, Config::default(), options).unwrap();
    let clock = Arc::new(AtomicI64::new(0));
    let shared = Arc::clone(&clock);
    service.set_today(Arc::new(move || {
        base() + Days::new(shared.load(Ordering::SeqCst) as u64)
    }));
    (service, clock)
}

fn model(data: &Path) -> Model {
    let (service, clock) = open(data);
    service
        .import_plan(&operator(), &std::fs::read(PLAN).unwrap())
        .unwrap();
    Model {
        service,
        clock,
        akten: Vec::new(),
        holds: Vec::new(),
        batches: Vec::new(),
        due: BTreeMap::new(),
        files: tempfile::tempdir().unwrap(),
        destroyed: 0,
    }
}

#[test]
fn disposition_never_destroys_early_under_a_hold_or_without_four_eyes() {
    let config = ProptestConfig {
        cases: 48,
        ..ProptestConfig::default()
    };
    let mut runner = proptest::test_runner::TestRunner::new(config);
    let destroyed = std::cell::Cell::new(0usize);
    runner
        .run(&prop::collection::vec(op(), 1..40), |ops| {
            let dir = tempfile::tempdir().unwrap();
            let mut model = model(&dir.path().join("data"));
            // Years later, both records managers try to dispose of what is due.
            let finale = [
                Op::Jump { days: 3650 },
                Op::Propose { by: 0 },
                Op::Approve { batch: 0, by: 1 },
                Op::Execute { batch: 0, by: 1 },
            ];
            for op in ops.iter().chain(&finale) {
                model.run(op)?;
            }
            destroyed.set(destroyed.get() + model.destroyed);
            model.service.close().unwrap();
            Ok(())
        })
        .unwrap();
    // The random sequences do reach destruction, so the checks above were exercised.
    assert!(destroyed.get() > 0, "no case destroyed anything");
}

/// The model above reaches destruction at all: a fixed sequence that must destroy.
#[test]
fn the_model_reaches_destruction() {
    let dir = tempfile::tempdir().unwrap();
    let mut model = model(&dir.path().join("data"));
    for op in [
        Op::Create { kind: 1 },
        Op::File { akte: 0 },
        Op::Close { akte: 0 },
        Op::Jump { days: 3000 },
        Op::Propose { by: 0 },
        Op::Approve { batch: 0, by: 0 },
        Op::Execute { batch: 0, by: 0 },
        Op::Approve { batch: 0, by: 1 },
        Op::Execute { batch: 0, by: 1 },
    ] {
        model.run(&op).unwrap();
    }
    assert_eq!(model.destroyed, 1);
    model.service.close().unwrap();
}
