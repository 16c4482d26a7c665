//! The syntax tree of the query language, and plan code patterns shared with filters.

use chrono::NaiveDate;
use eakte_types::Confidentiality;

/// Which text fields a text term searches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope {
    All,
    Title,
    Text,
}

/// A term searched in the text fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TextTerm {
    Word(String),
    Phrase(String),
    Prefix(String),
    Fuzzy(String, u8),
}

/// Exact-value fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeywordField {
    Type,
    Unit,
    Lang,
    Status,
}

/// Date fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DateField {
    Received,
    Filed,
}

/// How a plan code matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PlanMatch {
    /// Exactly that code.
    Exact,
    /// `33.*`: the code itself and every code below it.
    WithChildren,
    /// `33*`: every code starting with these characters.
    StartsWith,
}

/// The syntax tree of a query.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Node {
    And(Vec<Node>),
    Or(Vec<Node>),
    Not(Box<Node>),
    Text {
        scope: Scope,
        term: TextTerm,
        pos: usize,
    },
    Az(String),
    Plan(String, PlanMatch),
    Keyword(KeywordField, String),
    Conf(Confidentiality),
    Date {
        field: DateField,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    },
}

/// Parses a plan code pattern as used by `plan:` and [`crate::Filter::plan_code`].
pub(crate) fn parse_plan(value: &str) -> Result<(String, PlanMatch), String> {
    let (code, kind) = if let Some(code) = value.strip_suffix(".*") {
        (code, PlanMatch::WithChildren)
    } else if let Some(code) = value.strip_suffix('*') {
        (code, PlanMatch::StartsWith)
    } else {
        (value, PlanMatch::Exact)
    };
    let valid = match kind {
        PlanMatch::StartsWith => {
            !code.is_empty()
                && code.bytes().all(|b| b.is_ascii_digit() || b == b'.')
                && !code.starts_with('.')
                && !code.contains("..")
        }
        _ => code.parse::<eakte_types::PlanCode>().is_ok(),
    };
    if valid {
        Ok((code.to_owned(), kind))
    } else {
        Err(format!(
            "{value:?} is not a plan code (such as 33.10, 33.* or 33*)"
        ))
    }
}
