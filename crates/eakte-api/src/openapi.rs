//! The OpenAPI 3.1 document, generated from the handlers' annotations.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::{audit, documents, dto, filing, operations, retention, search, tokens};

/// The API's OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    info(title = "eakte API", description = "The electronic records system eakte: inbox, file plan, Akten, documents, search, retention and disposition, and audit. Every request that touches records is journaled; see docs/api.md."),
    servers((url = "/api/v1")),
    paths(
        filing::upload_to_inbox, filing::list_inbox, filing::assign, filing::plan,
        filing::create_akte, filing::list_akten, filing::read_akte, filing::close_akte,
        filing::create_vorgang, filing::file_into_akte,
        documents::metadata, documents::content, documents::text,
        search::search,
        audit::events, audit::checkpoint, audit::inclusion, audit::consistency, audit::export,
        retention::rules, retention::due, retention::akte_retention, retention::record_event,
        retention::holds, retention::set_hold, retention::release_hold,
        retention::dispositions, retention::propose, retention::disposition, retention::approve,
        retention::xdomea_offer, retention::xdomea_appraisal, retention::xdomea_transfer,
        retention::xdomea_receipt,
        tokens::list, tokens::create, tokens::revoke,
        operations::healthz, operations::metrics, operations::openapi,
    ),
    components(schemas(crate::ErrorBody, crate::ErrorDetail, dto::DocumentDto)),
    modifiers(&BearerAuth),
    tags(
        (name = "inbox", description = "Uploads of scanning stations and the inbox"),
        (name = "akten", description = "The file plan, Akten and Vorgänge"),
        (name = "documents", description = "Document metadata, originals and text"),
        (name = "search", description = "Full-text search"),
        (name = "retention", description = "Retention rules and states, events, legal holds and disposition"),
        (name = "audit", description = "The journal, for auditors"),
        (name = "tokens", description = "API tokens, for admins"),
        (name = "operations", description = "Health, metrics, this document"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}
