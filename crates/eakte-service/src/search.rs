//! Search: the index answers, the journal records who searched for what (the query text in the
//! erasable payload) before any hit is handed out.

use eakte_index::{SearchRequest, SearchResults};
use eakte_journal::{NewEvent, Outcome, action};
use tracing::instrument;

use crate::access::{Principal, Right, Role};
use crate::{Service, ServiceError};

/// Hits named as objects of a `search.executed` entry at most (an entry is at most 64 KiB).
pub const MAX_LISTED_HITS: usize = 200;

impl Service {
    /// Runs a search and journals it; a search that cannot be journaled returns no hits.
    #[instrument(skip_all)]
    ///
    /// The caller only ever sees documents it reaches: a clerk's search is narrowed to its
    /// units (the units it asks for, if all are its own) and to its clearance, so that hits and
    /// totals count nothing else.
    pub fn search(
        &self,
        who: &Principal,
        request: &SearchRequest,
    ) -> Result<SearchResults, ServiceError> {
        self.require(who, Right::Search)?;
        let mut request = request.clone();
        let filter = &mut request.filter;
        if who.role != Role::Operator {
            filter.units = Some(match filter.units.take() {
                Some(asked) => asked.into_iter().filter(|u| who.reaches_unit(u)).collect(),
                None => who.units.clone(),
            });
        }
        filter.max_confidentiality = Some(
            filter
                .max_confidentiality
                .map_or(who.clearance, |asked| asked.min(who.clearance)),
        );
        let result = self.parts.index.search(&request);
        let outcome = match &result {
            Ok(_) => Outcome::Ok,
            Err(_) => Outcome::Error,
        };
        let filter = &request.filter;
        let mut event = NewEvent::new(who.actor(), action::SEARCH_EXECUTED, outcome)
            .detail("limit", request.limit)
            .detail("offset", request.offset)
            .detail("plan_filter", filter.plan_code.clone())
            .detail("unit_filter", filter.units.clone())
            .detail("type_filter", filter.doc_type.clone())
            .personal("query", request.query.clone());
        if let Ok(results) = &result {
            event = event
                .detail("total", results.total)
                .detail("returned", results.hits.len());
            // The documents shown (with snippets of their text) are named, so that an auditor
            // can trace who saw what; a page of more than this many is counted, not listed.
            if results.hits.len() <= MAX_LISTED_HITS {
                for hit in &results.hits {
                    event = event.object("document", hit.document_id.to_string());
                }
            } else {
                event = event.detail("hits_listed", false);
            }
        }
        self.parts.journal.append(event)?;
        Ok(result?)
    }
}
