//! The pure evaluation: an Akte's facts, the holds covering it and a given day in, its
//! retention state out. Nothing here reads a clock or a file.

use std::collections::BTreeMap;

use chrono::{Datelike, Days, Months, NaiveDate};
use serde::Serialize;

use crate::event::{FILE_CLOSED, FILE_CREATED};
use crate::rule::{Action, Declined, Period, Rule, Start};

/// What retention looks at of an Akte.
#[derive(Debug, Clone, Copy)]
pub struct Facts<'a> {
    /// The day it was created (`file.created`).
    pub created: NaiveDate,
    /// The day it was closed (`file.closed`), once closed.
    pub closed_on: Option<NaiveDate>,
    /// Recorded events by name, each with its date.
    pub events: &'a BTreeMap<String, NaiveDate>,
}

impl Facts<'_> {
    /// The date of event `name`, derived or recorded.
    pub fn date_of(&self, name: &str) -> Option<NaiveDate> {
        match name {
            FILE_CLOSED => self.closed_on,
            FILE_CREATED => Some(self.created),
            other => self.events.get(other).copied(),
        }
    }
}

/// Where an Akte stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// The rule keeps it permanently.
    Permanent,
    /// None of the rule's trigger events has happened yet.
    Waiting,
    /// The end action's day has not come.
    Pending,
    /// The end action is due and nothing blocks it.
    Due,
    /// The end action's day has come, but a hold or a missing event blocks it.
    Blocked,
}

impl Status {
    /// The name on the CLI and in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Permanent => "permanent",
            Self::Waiting => "waiting",
            Self::Pending => "pending",
            Self::Due => "due",
            Self::Blocked => "blocked",
        }
    }
}

/// What keeps the end action from being taken.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Blocker {
    /// None of these events has been recorded (for `file.closed`: the Akte is open).
    Trigger {
        /// The rule's trigger events.
        events: Vec<String>,
    },
    /// A "never before" event has not been recorded.
    NeverBefore {
        /// The event.
        event: String,
    },
    /// A legal hold covers the record.
    Hold {
        /// The hold's id.
        id: String,
    },
}

/// An Akte's retention state under its rule on a given day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RetentionState {
    /// The rule's id.
    pub rule: String,
    /// The trigger event that counts (the latest recorded) and its day.
    pub trigger: Option<(String, NaiveDate)>,
    /// From this day on, processing is restricted (the first `restrict` phase has ended, counted
    /// from the earliest trigger event).
    pub restricted_from: Option<NaiveDate>,
    /// The end action.
    pub action: Action,
    /// For an offer: what happens to what the archive declines.
    pub if_declined: Option<Declined>,
    /// The first day the end action may be taken; `None` while waiting for the trigger or
    /// when the record is kept permanently.
    pub due_on: Option<NaiveDate>,
    /// The last day by which the end action must be taken, where the law sets a maximum.
    pub latest_on: Option<NaiveDate>,
    /// Where the Akte stands on the given day.
    pub status: Status,
    /// Whether the given day is after `latest_on`.
    pub overdue: bool,
    /// What blocks the end action (listed whether or not it is due yet).
    pub blockers: Vec<Blocker>,
}

/// `date` plus `period` (years, then months, then days); saturates at the latest date.
pub fn add_period(date: NaiveDate, period: &Period) -> NaiveDate {
    let months = u32::from(period.years) * 12 + u32::from(period.months);
    date.checked_add_months(Months::new(months))
        .and_then(|d| d.checked_add_days(Days::new(u64::from(period.days))))
        .unwrap_or(NaiveDate::MAX)
}

/// 31 December of `date`'s year.
pub fn end_of_year(date: NaiveDate) -> NaiveDate {
    NaiveDate::from_ymd_opt(date.year(), 12, 31).unwrap_or(date)
}

fn next_day(date: NaiveDate) -> NaiveDate {
    date.succ_opt().unwrap_or(NaiveDate::MAX)
}

fn anchor(date: NaiveDate, start: Start) -> NaiveDate {
    match start {
        Start::Event => date,
        Start::EndOfYear => end_of_year(date),
    }
}

/// Days spread over leap and common years, month starts and ends, on which rules are compared
/// and bounds checked.
pub(crate) fn probe_dates() -> impl Iterator<Item = NaiveDate> {
    (2023..=2025).flat_map(|year| {
        (1..=12).flat_map(move |month| {
            let first = NaiveDate::from_ymd_opt(year, month, 1).expect("a valid day");
            let last = first
                .checked_add_months(Months::new(1))
                .and_then(|d| d.pred_opt())
                .expect("a valid day");
            [first, first + Days::new(14), last]
        })
    })
}

/// Evaluates `rule` for an Akte with `facts`, covered by the holds `holds`, on day `today`.
///
/// The periods: a phase counted from day `a` for a period `p` ends at the end of day `a + p`,
/// and its action is due the next day (a phase with only a maximum is due from day `a`); the first phase counts from the trigger event's day or
/// from 31 December of its year; each further phase counts from the end of the one before.
/// When several trigger events are recorded, the latest counts. A `never_before` event and a
/// hold can only move the end action later; holds do not delay restriction.
pub fn evaluate(
    rule: &Rule,
    facts: &Facts<'_>,
    holds: &[String],
    today: NaiveDate,
) -> RetentionState {
    let trigger = rule
        .trigger
        .events
        .iter()
        .filter_map(|e| facts.date_of(e).map(|d| (e.clone(), d)))
        .max_by_key(|(_, d)| *d);
    let terminal = rule.terminal();
    let mut blockers = Vec::new();
    if trigger.is_none() {
        blockers.push(Blocker::Trigger {
            events: rule.trigger.events.clone(),
        });
    }
    let mut never_before_day = None;
    for event in &rule.never_before {
        match facts.date_of(event) {
            Some(day) => never_before_day = never_before_day.max(Some(next_day(day))),
            None => blockers.push(Blocker::NeverBefore {
                event: event.clone(),
            }),
        }
    }
    if terminal.action != Action::Keep {
        blockers.extend(holds.iter().map(|id| Blocker::Hold { id: id.clone() }));
    }

    let mut restricted_from = None;
    let mut due_on = None;
    let mut latest_on = None;
    // Restriction protects the person: it counts from the earliest trigger event recorded, the
    // end action (which only extends) from the latest.
    let earliest = rule
        .trigger
        .events
        .iter()
        .filter_map(|e| facts.date_of(e))
        .min();
    if let (Some(first), Some(restrict)) = (earliest, rule.phases.first())
        && restrict.action == Action::Restrict
        && let Some(p) = restrict.period
    {
        restricted_from = Some(next_day(add_period(anchor(first, rule.trigger.start), &p)));
    }
    if let Some((_, day)) = &trigger {
        let mut from = anchor(*day, rule.trigger.start);
        for (i, phase) in rule.phases.iter().enumerate() {
            // A bound's own start applies to the first phase only (validated).
            let from_for = |p: &Period| match p.from {
                Some(start) if i == 0 => anchor(*day, start),
                _ => from,
            };
            let end_of = |p: &Period| add_period(from_for(p), p);
            let due = match (phase.period, phase.at_least) {
                (Some(p), _) | (None, Some(p)) => next_day(end_of(&p)),
                // Only a maximum: the action may be taken from the day the phase starts
                // ("at the latest on handover" is due on the handover day).
                (None, None) => from,
            };
            if phase.action == Action::Restrict {
                if let Some(p) = phase.period {
                    from = end_of(&p);
                }
                continue;
            }
            if phase.action != Action::Keep {
                due_on = Some(due);
                latest_on = phase.at_most.map(|p| end_of(&p));
            }
        }
    }
    if let Some(due) = &mut due_on {
        *due = (*due).max(never_before_day.unwrap_or(*due));
    }

    let hindered = blockers
        .iter()
        .any(|b| !matches!(b, Blocker::Trigger { .. }));
    let status = match (terminal.action, due_on) {
        (Action::Keep, _) => Status::Permanent,
        (_, None) => Status::Waiting,
        (_, Some(due)) if today < due => Status::Pending,
        _ if hindered => Status::Blocked,
        _ => Status::Due,
    };
    RetentionState {
        rule: rule.id.clone(),
        trigger,
        restricted_from,
        action: terminal.action,
        if_declined: match terminal.action {
            Action::OfferToArchive => Some(terminal.if_declined.unwrap_or(Declined::Destroy)),
            _ => None,
        },
        due_on,
        latest_on,
        status,
        overdue: latest_on.is_some_and(|last| today > last) && status != Status::Permanent,
        blockers,
    }
}
