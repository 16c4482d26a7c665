//! The use cases: filing, search, rebuild and verify, composed from store, journal, catalog,
//! extraction and index. Every change is checked, journaled (durably), then applied to the
//! catalog; the catalog and the index are views that [`Service::rebuild`] recreates.

pub mod access;
mod audit;
mod demo;
mod disposition;
mod error;
mod extraction;
mod filing;
mod indexing;
pub mod journaled;
mod maintenance;
mod reading;
mod retention;
mod search;
mod service;
pub mod tokens;
mod xdomea;

pub use access::{Principal, Right, Role};
pub use audit::MAX_EVENTS;
pub use demo::{DEMO_MANIFEST, DemoReport};
pub use disposition::{DestroyReport, MAX_BATCH_AKTEN, PurgeReport, purge_destroyed};
pub use eakte_xdomea::Package as XdomeaPackage;
pub use error::ServiceError;
pub use filing::{AkteKey, AktenFilter, FileRequest, Filed, NewAkte};
pub use maintenance::VerifyReport;
pub use reading::{AkteView, Content, DocumentView, PageQuality};
pub use retention::{HoldTarget, MAX_QUERY_HOLD_DOCUMENTS, RetentionView};
pub use search::MAX_LISTED_HITS;
pub use service::{OFFICE_TIME_ZONE, Options, Service, Today, office_date, office_today};
pub use xdomea::MAX_MESSAGE_BYTES;
