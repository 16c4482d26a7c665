//! Search: the index answers, the journal records who searched for what (the query text in the
//! erasable payload) before any hit is handed out.

use eakte_index::{SearchRequest, SearchResults};
use eakte_journal::{Actor, NewEvent, Outcome, action};
use tracing::instrument;

use crate::{Service, ServiceError};

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
        let mut event = NewEvent::new(actor.clone(), action::SEARCH_EXECUTED, outcome)
            .detail("limit", request.limit)
            .detail("offset", request.offset)
            .personal("query", request.query.clone());
        if let Ok(results) = &result {
            event = event
                .detail("total", results.total)
                .detail("returned", results.hits.len());
        }
        self.parts.journal.append(event)?;
        Ok(result?)
    }
}
