//! The never-shorter check: retention can be extended, never shortened. A rule replacing
//! another (a new version of a rule file, or a file plan unit moved to another rule) must keep
//! every record at least as long and may not weaken its end action.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use crate::eval::{Facts, evaluate, probe_dates};
use crate::rule::{Action, Declined, Rule};

/// How much of a record an end action keeps; a replacement may not keep less.
fn keeps(rule: &Rule) -> u8 {
    let terminal = rule.terminal();
    match (terminal.action, terminal.if_declined) {
        (Action::Destroy, _) | (Action::Restrict, _) => 0,
        (Action::Review, _) => 1,
        (Action::OfferToArchive, None | Some(Declined::Destroy)) => 2,
        (Action::OfferToArchive, Some(Declined::Keep)) => 3,
        (Action::Keep, _) => 4,
    }
}

/// Why `new` would shorten retention compared with `old`, or `None` when it does not.
///
/// `new` must be started by every event that started `old` (with the latest event counting,
/// a dropped event could only bring the start forward), wait for every "never before" event of
/// `old`, keep at least as much at the end (destroy < review < offer < offer, kept if declined
/// < keep), and on every probe day — all events on that day, leap and common years, month
/// starts, middles and ends — give an end action no earlier and a maximum no earlier.
pub fn shortening(old: &Rule, new: &Rule) -> Option<String> {
    for event in &old.trigger.events {
        if !new.trigger.events.contains(event) {
            return Some(format!("it is no longer started by {event}"));
        }
    }
    for event in &old.never_before {
        if !new.never_before.contains(event) {
            return Some(format!("it no longer waits for {event}"));
        }
    }
    if keeps(new) < keeps(old) {
        return Some(format!(
            "its end action {} keeps less than {}",
            describe(new),
            describe(old)
        ));
    }
    let names: Vec<&String> = old
        .trigger
        .events
        .iter()
        .chain(&new.trigger.events)
        .chain(&old.never_before)
        .chain(&new.never_before)
        .collect();
    for day in probe_dates() {
        let events: BTreeMap<String, NaiveDate> =
            names.iter().map(|n| ((*n).clone(), day)).collect();
        let facts = Facts {
            created: day,
            closed_on: Some(day),
            events: &events,
        };
        let before = evaluate(old, &facts, &[], day);
        let after = evaluate(new, &facts, &[], day);
        let later_or_never = |b: Option<NaiveDate>, a: Option<NaiveDate>| match (b, a) {
            (Some(b), Some(a)) => a >= b,
            (Some(_), None) => true,
            (None, a) => a.is_none(),
        };
        if !later_or_never(before.due_on, after.due_on) {
            return Some(format!(
                "for events on {day} its end action is due on {} instead of {}",
                show(after.due_on),
                show(before.due_on)
            ));
        }
        if !later_or_never(before.latest_on, after.latest_on) {
            return Some(format!(
                "for events on {day} its maximum ends on {} instead of {}",
                show(after.latest_on),
                show(before.latest_on)
            ));
        }
    }
    None
}

fn describe(rule: &Rule) -> String {
    let terminal = rule.terminal();
    match (terminal.action, terminal.if_declined) {
        (Action::OfferToArchive, Some(Declined::Keep)) => {
            "offer_to_archive (keep if declined)".into()
        }
        (action, _) => action.as_str().into(),
    }
}

fn show(day: Option<NaiveDate>) -> String {
    day.map_or_else(|| "never".into(), |d| d.to_string())
}
