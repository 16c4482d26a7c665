//! The rule-file format (TOML, described by `schemas/retention-rules.v1.json`), loading and
//! validation. Every problem is reported with the file, the rule and the key it concerns.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use eakte_types::{ArchivalValue, RecordClass};
use serde::{Deserialize, Serialize};

use crate::event::{event_kind, is_recordable};

/// The rule-file format this build reads.
pub const RULES_FORMAT: u32 = 1;
/// The largest rule file accepted, in bytes.
pub const MAX_RULE_FILE_BYTES: u64 = 1024 * 1024;
/// The most rules a rule set may have.
pub const MAX_RULES: usize = 10_000;
/// The longest retention period a rule may state, in years (months and days are capped alike).
pub const MAX_PERIOD_YEARS: u16 = 200;
/// The longest rule id.
const MAX_ID_CHARS: usize = 64;

/// How far the law's text bears a rule out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Confidence {
    /// Period and trigger read in the law text.
    Confirmed,
    /// Period confirmed; trigger or scope inferred.
    Partial,
    /// Practice or placeholder.
    Unconfirmed,
}

impl Confidence {
    /// The name in rule files.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Confirmed => "confirmed",
            Self::Partial => "partial",
            Self::Unconfirmed => "unconfirmed",
        }
    }
}

/// Where the first phase's period is counted from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Start {
    /// The end of the day of the event.
    Event,
    /// The end of the calendar year of the event (31 December).
    EndOfYear,
}

/// What happens when a phase ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Processing is restricted (GDPR Art. 18); the record stays. Only this action may be
    /// followed by further phases, and holds do not block it.
    Restrict,
    /// The record is offered to the public archive; what it declines is handled by
    /// [`Phase::if_declined`].
    OfferToArchive,
    /// The record is destroyed without an offer.
    Destroy,
    /// A records manager decides.
    Review,
    /// The record is kept permanently.
    Keep,
}

impl Action {
    /// The name in rule files, the CLI and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Restrict => "restrict",
            Self::OfferToArchive => "offer_to_archive",
            Self::Destroy => "destroy",
            Self::Review => "review",
            Self::Keep => "keep",
        }
    }
}

/// What happens to an offered record the archive declines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Declined {
    /// It is destroyed.
    Destroy,
    /// It is kept permanently (registers under PStG §7).
    Keep,
}

/// A length of time: years, months and days, added in that order (a month end stays within its
/// month: 31 January plus one month is 28 or 29 February).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Period {
    /// Years.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub years: u16,
    /// Months.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub months: u16,
    /// Days.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub days: u16,
    /// Counted from here instead of the rule's start (first phase only): "at most until the
    /// end of the following year" counts one year from the end of the event's year.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<Start>,
}

fn is_zero(n: &u16) -> bool {
    *n == 0
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        for (n, one, many) in [
            (self.years, "year", "years"),
            (self.months, "month", "months"),
            (self.days, "day", "days"),
        ] {
            if n > 0 {
                parts.push(format!("{n} {}", if n == 1 { one } else { many }));
            }
        }
        if parts.is_empty() {
            parts.push("0 days".into());
        }
        write!(f, "{}", parts.join(" "))?;
        if self.from == Some(Start::EndOfYear) {
            write!(f, " from the end of the year")?;
        }
        Ok(())
    }
}

/// What starts a rule's first phase.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trigger {
    /// The events that start it; when several are recorded, the latest counts, so that a
    /// further event can only extend retention.
    pub events: Vec<String>,
    /// At the event, or at the end of its calendar year.
    pub start: Start,
}

/// One phase of a rule: how long it lasts, and what happens at its end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Phase {
    /// What happens at the end of the phase.
    pub action: Action,
    /// A fixed length: the action is due the day after it ends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<Period>,
    /// The action is due no earlier than the day after this length.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_least: Option<Period>,
    /// The action must be taken by the last day of this length.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_most: Option<Period>,
    /// For an offer: what happens to what the archive declines (`destroy` if not stated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub if_declined: Option<Declined>,
}

/// A retention rule: which records it governs, what starts it, its phases.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// The id file plan units name it by (`bmg-13-melderegister`).
    pub id: String,
    /// What records it governs, in German.
    pub title: String,
    /// The norm it implements (`BMG §13 Abs. 1, 2`).
    pub legal_basis: String,
    /// How far the law's text bears it out.
    pub confidence: Confidence,
    /// Anything a records manager should know about it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The record classes of the file plan units it may be assigned to.
    pub record_classes: Vec<RecordClass>,
    /// What the public archive makes of such records: A, B or V.
    pub archival_value: ArchivalValue,
    /// What starts the first phase.
    pub trigger: Trigger,
    /// Events before which nothing but restriction happens, however long ago the trigger was
    /// ("never before a new passport is issued"); the terminal action is due no earlier than
    /// the day after each.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub never_before: Vec<String>,
    /// The phases in order; each but the last restricts.
    pub phases: Vec<Phase>,
}

impl Rule {
    /// The last phase, whose action ends the record's life in the office.
    pub fn terminal(&self) -> &Phase {
        self.phases.last().expect("a validated rule has phases")
    }
}

/// The raw form of a rule file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFileHead {
    format: u32,
    #[serde(default)]
    rule: Vec<toml::Value>,
}

/// One problem in a rule file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleProblem {
    /// The file's name.
    pub file: String,
    /// The rule's id, or its position (`rule #3`) when it has no usable id.
    pub rule: Option<String>,
    /// The key concerned (`phases[1].period.years`), where one is.
    pub key: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for RuleProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(rule) = &self.rule {
            write!(f, ": rule {rule}")?;
        }
        if let Some(key) = &self.key {
            write!(f, ": {key}")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Rule files that cannot be used: every problem found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct RuleSetError {
    /// The problems, in file order.
    pub problems: Vec<RuleProblem>,
}

impl fmt::Display for RuleSetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let lines: Vec<String> = self.problems.iter().map(ToString::to_string).collect();
        write!(f, "invalid retention rules:\n  {}", lines.join("\n  "))
    }
}

/// A validated set of rules, by id, with the file each came from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RuleSet {
    rules: BTreeMap<String, (Rule, String)>,
}

impl RuleSet {
    /// Loads every `*.toml` file in `dir` (in name order).
    pub fn load_dir(dir: &Path) -> Result<Self, RuleSetError> {
        Self::from_sources(&read_rule_files(dir)?)
    }

    /// Parses and validates rule files given as (name, text) pairs.
    pub fn from_sources<N: AsRef<str>, T: AsRef<str>>(
        sources: &[(N, T)],
    ) -> Result<Self, RuleSetError> {
        let mut problems = Vec::new();
        let mut rules: BTreeMap<String, (Rule, String)> = BTreeMap::new();
        for (name, text) in sources {
            let file = name.as_ref();
            for rule in parse_file(file, text.as_ref(), &mut problems) {
                if let Some((_, first)) = rules.get(&rule.id) {
                    problems.push(RuleProblem {
                        file: file.to_owned(),
                        rule: Some(rule.id.clone()),
                        key: Some("id".into()),
                        message: format!("is defined already in {first}"),
                    });
                } else if rules.len() == MAX_RULES {
                    problems.push(RuleProblem {
                        file: file.to_owned(),
                        rule: Some(rule.id.clone()),
                        key: None,
                        message: format!("a rule set may have at most {MAX_RULES} rules"),
                    });
                    break;
                } else {
                    rules.insert(rule.id.clone(), (rule, file.to_owned()));
                }
            }
        }
        if problems.is_empty() {
            Ok(Self { rules })
        } else {
            Err(RuleSetError { problems })
        }
    }

    /// The rule with id `id`.
    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.rules.get(id).map(|(rule, _)| rule)
    }

    /// The file a rule came from.
    pub fn source_of(&self, id: &str) -> Option<&str> {
        self.rules.get(id).map(|(_, file)| file.as_str())
    }

    /// All rules, by id.
    pub fn rules(&self) -> impl Iterator<Item = &Rule> {
        self.rules.values().map(|(rule, _)| rule)
    }

    /// How many rules there are.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }
}

/// The `*.toml` files of `dir` as (file name, text), in name order, each at most
/// [`MAX_RULE_FILE_BYTES`]: what [`RuleSet::load_dir`] parses and what a data directory adopts.
pub fn read_rule_files(dir: &Path) -> Result<Vec<(String, String)>, RuleSetError> {
    let problem = |file: String, message: String| RuleSetError {
        problems: vec![RuleProblem {
            file,
            rule: None,
            key: None,
            message,
        }],
    };
    let entries = std::fs::read_dir(dir)
        .map_err(|e| problem(dir.display().to_string(), format!("cannot read: {e}")))?;
    let mut paths = Vec::new();
    for entry in entries {
        let entry =
            entry.map_err(|e| problem(dir.display().to_string(), format!("cannot read: {e}")))?;
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "toml") {
            paths.push(path);
        }
    }
    paths.sort();
    if paths.is_empty() {
        return Err(problem(
            dir.display().to_string(),
            "holds no rule files (*.toml)".into(),
        ));
    }
    let mut sources = Vec::new();
    for path in paths {
        let name = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        let size = std::fs::metadata(&path)
            .map_err(|e| problem(name.clone(), format!("cannot read: {e}")))?
            .len();
        if size > MAX_RULE_FILE_BYTES {
            return Err(problem(
                name,
                format!("is {size} bytes; a rule file may have at most {MAX_RULE_FILE_BYTES}"),
            ));
        }
        let text = std::fs::read_to_string(&path)
            .map_err(|e| problem(name.clone(), format!("cannot read: {e}")))?;
        sources.push((name, text));
    }
    Ok(sources)
}

/// Parses one file; its problems go to `problems`, its valid rules are returned.
fn parse_file(file: &str, text: &str, problems: &mut Vec<RuleProblem>) -> Vec<Rule> {
    let mut file_problem = |message: String| {
        problems.push(RuleProblem {
            file: file.to_owned(),
            rule: None,
            key: None,
            message,
        })
    };
    let head: RuleFileHead = match toml::from_str(text) {
        Ok(head) => head,
        Err(e) => {
            file_problem(e.to_string().trim_end().replace('\n', " "));
            return Vec::new();
        }
    };
    if head.format != RULES_FORMAT {
        file_problem(format!(
            "format {} is not supported (this build reads format {RULES_FORMAT})",
            head.format
        ));
        return Vec::new();
    }
    if head.rule.is_empty() {
        file_problem("holds no [[rule]]".into());
    }
    let mut rules = Vec::new();
    for (n, value) in head.rule.into_iter().enumerate() {
        let label = value
            .get("id")
            .and_then(toml::Value::as_str)
            .filter(|id| is_rule_id(id))
            .map_or_else(|| format!("#{}", n + 1), str::to_owned);
        let mut problem = |key: Option<String>, message: String| {
            problems.push(RuleProblem {
                file: file.to_owned(),
                rule: Some(label.clone()),
                key,
                message,
            })
        };
        let rule: Rule = match serde_path_to_error::deserialize(value) {
            Ok(rule) => rule,
            Err(e) => {
                let path = e.path().to_string();
                let key = (path != ".").then_some(path);
                // The parser's message may add context lines; the path already says where.
                let message = e.into_inner().to_string();
                problem(key, message.lines().next().unwrap_or_default().to_owned());
                continue;
            }
        };
        let found = validate(&rule);
        if found.is_empty() {
            rules.push(rule);
        }
        for (key, message) in found {
            problem(Some(key), message);
        }
    }
    rules
}

/// Whether `s` can be a rule id: lowercase letters, digits, `-`, `_` and `.`, at most 64.
pub fn is_rule_id(s: &str) -> bool {
    (1..=MAX_ID_CHARS).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_.-".contains(&b))
}

/// The problems of a parsed rule, as (key, message).
fn validate(rule: &Rule) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let mut bad = |key: String, message: &str| found.push((key, message.to_owned()));
    if !is_rule_id(&rule.id) {
        bad(
            "id".into(),
            "must be 1 to 64 lowercase letters, digits, '-', '_' or '.'",
        );
    }
    for (key, text) in [("title", &rule.title), ("legal_basis", &rule.legal_basis)] {
        if text.trim().is_empty() {
            bad(key.into(), "must not be empty");
        }
    }
    if rule.record_classes.is_empty() {
        bad(
            "record_classes".into(),
            "must name at least one record class",
        );
    }
    if rule.trigger.events.is_empty() {
        bad("trigger.events".into(), "must name at least one event");
    }
    for (list, names) in [
        ("trigger.events", &rule.trigger.events),
        ("never_before", &rule.never_before),
    ] {
        for (i, name) in names.iter().enumerate() {
            if event_kind(name).is_none() {
                bad(format!("{list}[{i}]"), "is not a known event");
            } else if names[..i].contains(name) {
                bad(format!("{list}[{i}]"), "is named twice");
            }
        }
    }
    for (i, name) in rule.never_before.iter().enumerate() {
        if event_kind(name).is_some() && !is_recordable(name) {
            bad(
                format!("never_before[{i}]"),
                "must be an event that is recorded on an Akte",
            );
        }
    }
    if rule.phases.is_empty() {
        bad("phases".into(), "must have at least one phase");
    }
    let last = rule.phases.len().saturating_sub(1);
    for (i, phase) in rule.phases.iter().enumerate() {
        let key = |k: &str| format!("phases[{i}].{k}");
        if i < last && phase.action != Action::Restrict {
            bad(
                key("action"),
                "only restrict may be followed by further phases",
            );
        }
        if i == last && phase.action == Action::Restrict {
            bad(
                key("action"),
                "the last phase must end in offer_to_archive, destroy, review or keep",
            );
        }
        let bounded = phase.at_least.is_some() || phase.at_most.is_some();
        match (phase.action, phase.period, bounded) {
            (Action::Keep, None, false) => {}
            (Action::Keep, _, _) => bad(key("action"), "keep takes no period"),
            (_, Some(_), true) => bad(
                key("period"),
                "give either period or at_least/at_most, not both",
            ),
            (_, None, false) => bad(
                key("period"),
                "is missing (or give at_least and/or at_most)",
            ),
            (Action::Restrict, None, true) => bad(
                key("period"),
                "a restriction followed by further phases needs a fixed period",
            ),
            _ => {}
        }
        if phase.if_declined.is_some() && phase.action != Action::OfferToArchive {
            bad(key("if_declined"), "applies to offer_to_archive only");
        }
        for (name, period) in [
            ("period", phase.period),
            ("at_least", phase.at_least),
            ("at_most", phase.at_most),
        ] {
            let Some(period) = period else { continue };
            if period.years > MAX_PERIOD_YEARS
                || period.months > MAX_PERIOD_YEARS * 12
                || u32::from(period.days) > u32::from(MAX_PERIOD_YEARS) * 366
            {
                bad(key(name), "is longer than 200 years");
            }
            if period.from.is_some() && i > 0 {
                bad(
                    format!("phases[{i}].{name}.from"),
                    "applies to the first phase only",
                );
            }
        }
        let from = |p: &Period, d| match p.from.unwrap_or(rule.trigger.start) {
            Start::Event => d,
            Start::EndOfYear => crate::eval::end_of_year(d),
        };
        if let (Some(least), Some(most)) = (phase.at_least, phase.at_most)
            && crate::eval::probe_dates().any(|d| {
                // Due the day after the minimum ends; to be done by the maximum's last day.
                crate::eval::add_period(from(&least, d), &least)
                    >= crate::eval::add_period(from(&most, d), &most)
            })
        {
            bad(key("at_least"), "is longer than at_most");
        }
    }
    found
}
