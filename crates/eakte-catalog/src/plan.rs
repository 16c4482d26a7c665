//! The file plan (Aktenplan): its units, the JSON form `schemas/file-plan.v1.json` describes, and its validation.

use std::collections::HashSet;

use chrono::NaiveDate;
pub use eakte_types::RecordClass;
use eakte_types::{ArchivalValue, PlanCode};
use serde::{Deserialize, Serialize};

use crate::error::PlanError;

/// The plan format this build reads and writes.
pub const PLAN_FORMAT: u32 = 1;
/// The largest plan file accepted, in bytes.
pub const MAX_PLAN_BYTES: usize = 4 * 1024 * 1024;
/// The most units a plan may have.
pub const MAX_PLAN_UNITS: usize = 20_000;
/// The most levels a plan may have (top-level units are level 1).
pub const MAX_PLAN_LEVELS: usize = 6;
/// The longest retention rule id.
const MAX_RULE_ID_CHARS: usize = 64;

/// A file plan: the tree of units records are filed under.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FilePlan {
    /// The format of this structure, always [`PLAN_FORMAT`].
    pub format: u32,
    /// The plan's own version as the records manager names it, e.g. `2026-1`.
    pub plan_version: String,
    /// The plan's title.
    pub title: String,
    /// The day from which the plan applies, if stated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_from: Option<NaiveDate>,
    /// The top-level units.
    pub units: Vec<PlanUnit>,
}

/// One unit of the file plan (a Betreffseinheit): a subject under which Akten are kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanUnit {
    /// The unit's code; a child's code extends its parent's.
    pub code: PlanCode,
    /// The subject.
    pub title: String,
    /// What kind of Akten are kept under the unit.
    pub record_class: RecordClass,
    /// The owning organisational unit, such as `33 Bürgeramt`.
    pub unit: String,
    /// What disposition offers the archive.
    pub archival_value: ArchivalValue,
    /// The id of the retention rule that applies, if one is assigned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention_rule: Option<String>,
    /// The units below this one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<PlanUnit>,
}

impl FilePlan {
    /// Parses and validates a plan in its JSON form.
    pub fn from_json(bytes: &[u8]) -> Result<FilePlan, PlanError> {
        if bytes.len() > MAX_PLAN_BYTES {
            return Err(PlanError::TooLarge {
                bytes: bytes.len(),
                limit: MAX_PLAN_BYTES,
            });
        }
        let plan: FilePlan = serde_json::from_slice(bytes).map_err(|e| PlanError::Parse {
            message: e.to_string(),
        })?;
        plan.validate()?;
        Ok(plan)
    }

    /// Checks the rules `from_json` applies, for a plan built in code.
    pub fn validate(&self) -> Result<(), PlanError> {
        if self.format != PLAN_FORMAT {
            return Err(PlanError::Format {
                found: self.format,
                supported: PLAN_FORMAT,
            });
        }
        if self.plan_version.trim().is_empty() {
            return Err(PlanError::EmptyPlanField {
                field: "plan_version",
            });
        }
        if self.title.trim().is_empty() {
            return Err(PlanError::EmptyPlanField { field: "title" });
        }
        if self.units.is_empty() {
            return Err(PlanError::NoUnits);
        }
        let mut seen = HashSet::new();
        for (count, (depth, parent, unit)) in self.walk().enumerate() {
            if count >= MAX_PLAN_UNITS {
                return Err(PlanError::TooManyUnits {
                    limit: MAX_PLAN_UNITS,
                });
            }
            validate_unit(depth, parent, unit)?;
            if !seen.insert(&unit.code) {
                return Err(PlanError::DuplicateCode {
                    code: unit.code.clone(),
                });
            }
        }
        Ok(())
    }

    /// Every unit with its depth (0 for top-level units), parents before children, siblings in
    /// their order in the plan.
    pub fn units(&self) -> impl Iterator<Item = (usize, &PlanUnit)> {
        self.walk().map(|(depth, _, unit)| (depth, unit))
    }

    /// The unit with this code.
    pub fn find(&self, code: &PlanCode) -> Option<&PlanUnit> {
        // In a valid plan a unit's code is a prefix of every code below it, so only subtrees
        // whose code is a prefix of the wanted one can hold it. Siblings may share a prefix
        // (33.1 and 33.10), hence a search over all candidates rather than one descent.
        let mut stack: Vec<&PlanUnit> = self.units.iter().collect();
        while let Some(unit) = stack.pop() {
            if unit.code == *code {
                return Some(unit);
            }
            if code.is_within(&unit.code) {
                stack.extend(unit.children.iter());
            }
        }
        None
    }

    fn walk(&self) -> Walk<'_> {
        Walk {
            stack: self.units.iter().rev().map(|u| (0, None, u)).collect(),
        }
    }
}

/// Pre-order traversal with an explicit stack, so that a plan built in code with absurd depth
/// cannot overflow the call stack.
struct Walk<'a> {
    stack: Vec<(usize, Option<&'a PlanUnit>, &'a PlanUnit)>,
}

impl<'a> Iterator for Walk<'a> {
    type Item = (usize, Option<&'a PlanUnit>, &'a PlanUnit);

    fn next(&mut self) -> Option<Self::Item> {
        let (depth, parent, unit) = self.stack.pop()?;
        self.stack.extend(
            unit.children
                .iter()
                .rev()
                .map(|child| (depth + 1, Some(unit), child)),
        );
        Some((depth, parent, unit))
    }
}

fn validate_unit(
    depth: usize,
    parent: Option<&PlanUnit>,
    unit: &PlanUnit,
) -> Result<(), PlanError> {
    let code = &unit.code;
    if depth >= MAX_PLAN_LEVELS {
        return Err(PlanError::TooDeep {
            code: code.clone(),
            level: depth + 1,
            limit: MAX_PLAN_LEVELS,
        });
    }
    if let Some(parent) = parent
        && (!code.is_within(&parent.code) || code.as_str().len() <= parent.code.as_str().len())
    {
        return Err(PlanError::NotNested {
            code: code.clone(),
            parent: parent.code.clone(),
        });
    }
    let empty = |field| PlanError::EmptyUnitField {
        code: code.clone(),
        field,
    };
    if unit.title.trim().is_empty() {
        return Err(empty("title"));
    }
    if unit.unit.trim().is_empty() {
        return Err(empty("unit"));
    }
    if let Some(rule) = &unit.retention_rule
        && !is_rule_id(rule)
    {
        return Err(PlanError::BadRuleId {
            code: code.clone(),
            rule: rule.clone(),
        });
    }
    Ok(())
}

fn is_rule_id(s: &str) -> bool {
    (1..=MAX_RULE_ID_CHARS).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_.-".contains(&b))
}
