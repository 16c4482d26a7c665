//! Retention: rule files from German law, the pure evaluation of an Akte's retention state,
//! and the check that a rule change never shortens retention.
//!
//! A rule names the events that start it, its phases (restrictions, then one end action:
//! offer to the archive, destroy, review or keep) and its legal basis. [`evaluate`] turns an
//! Akte's facts, the holds covering it and a given day into a [`RetentionState`]; it reads no
//! clock and no file, so that `--at` previews and tests see exactly what disposition sees.

mod compare;
mod eval;
mod event;
mod rule;
mod shipped;

pub use compare::shortening;
pub use eval::{Blocker, Facts, RetentionState, Status, add_period, end_of_year, evaluate};
pub use event::{EVENTS, EventKind, FILE_CLOSED, FILE_CREATED, event_kind, is_recordable};
pub use rule::{
    Action, Confidence, Declined, MAX_PERIOD_YEARS, MAX_RULE_FILE_BYTES, MAX_RULES, Period, Phase,
    RULES_FORMAT, Rule, RuleProblem, RuleSet, RuleSetError, Start, Trigger, is_rule_id,
    read_rule_files,
};
pub use shipped::{SHIPPED_RULE_FILES, shipped_rules};
