//! The full-text index of eakte: one searchable unit per document version, German analysis
//! (umlaut folding, stemming, compound parts), English analysis for English texts, a small
//! query language, filters for access control, and snippets.
//!
//! # Query language
//!
//! Words must all match (`Meldebescheinigung Müller`); `"exact phrase"`; `AND`, `OR`, `NOT`
//! (upper case) and `-word`; parentheses; `field:value` for `title`, `text`, `az`, `plan`
//! (`plan:33.*` = 33 and below), `type`, `unit`, `lang`, `status` (open, closed, inbox) and
//! `conf` (offen, nfd, vertraulich); prefixes `Anmeld*`; fuzzy `Meldebescheinigng~` (one
//! edit) and `~2`; dates `received:2026-02-03`, `filed:[2026-01-01 TO *]`.

mod analysis;
mod error;
mod index;
mod memo;
mod model;
mod query;
mod schema;
mod search;
mod snippet;

pub use error::IndexError;
pub use index::SearchIndex;
pub use model::{Filter, Hit, IndexDoc, SearchRequest, SearchResults, Sort};
