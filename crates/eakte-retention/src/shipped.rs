//! The rule set shipped with eakte: the German citizens' office rules of `retention-rules/`,
//! built into the binary so that a data directory without configured rules still has them.

use crate::rule::{RuleSet, RuleSetError};

/// The shipped rule files as (name, text), in name order.
pub const SHIPPED_RULE_FILES: &[(&str, &str)] = &[
    (
        "fahrerlaubnis-kfz.toml",
        include_str!("../../../retention-rules/fahrerlaubnis-kfz.toml"),
    ),
    (
        "kommunal.toml",
        include_str!("../../../retention-rules/kommunal.toml"),
    ),
    (
        "meldewesen.toml",
        include_str!("../../../retention-rules/meldewesen.toml"),
    ),
    (
        "pass-ausweis.toml",
        include_str!("../../../retention-rules/pass-ausweis.toml"),
    ),
    (
        "personenstand.toml",
        include_str!("../../../retention-rules/personenstand.toml"),
    ),
];

/// The shipped rule set, validated.
pub fn shipped_rules() -> Result<RuleSet, RuleSetError> {
    RuleSet::from_sources(SHIPPED_RULE_FILES)
}
