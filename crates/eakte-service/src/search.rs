//! Search: the index answers, the journal records who searched for what (the query text in the
//! erasable payload) before any hit is handed out.

use eakte_index::{SearchRequest, SearchResults};
use eakte_journal::{Actor, NewEvent, Outcome, action};
use tracing::instrument;

use crate::{Service, ServiceError};

/// Hits named as objects of a `search.executed` entry at most (an entry is at most 64 KiB).
pub const MAX_LISTED_HITS: usize = 200;

impl Service {
    /// Runs a search and journals it; a search that cannot be journaled returns no hits.
    #[instrument(skip_all)]
    pub fn search(
        &self,
        actor: &Actor,
        request: &SearchRequest,
    ) -> Result<SearchResults, ServiceError> {
        let result = self.parts.index.search(request);
        let outcome = match &result {
            Ok(_) => Outcome::Ok,
            Err(_) => Outcome::Error,
        };
        let filter = &request.filter;
        let mut event = NewEvent::new(actor.clone(), action::SEARCH_EXECUTED, outcome)
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
