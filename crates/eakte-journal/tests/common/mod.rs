//! Helpers shared by the journal's integration tests.
#![allow(dead_code)]

use std::path::Path;

use eakte_config::JournalConfig;
use eakte_journal::{Actor, Journal, NewEvent, Outcome, action};

pub fn config() -> JournalConfig {
    JournalConfig {
        checkpoint_every_entries: 100,
        ..JournalConfig::default()
    }
}

pub fn open(dir: &Path) -> Journal {
    Journal::open(dir, &config()).expect("journal opens")
}

pub fn actor(user: &str) -> Actor {
    Actor {
        user: user.into(),
        role: "clerk".into(),
        unit: Some("33".into()),
        client: Some("127.0.0.1".into()),
    }
}

/// Event number `i` of a varied sequence: several actors, actions and objects, every third with
/// personal data.
pub fn event(i: u64) -> NewEvent {
    let actions = [
        action::DOCUMENT_READ,
        action::DOCUMENT_FILED,
        action::SEARCH_EXECUTED,
        action::ACCESS_DENIED,
    ];
    let outcome = if i % 4 == 3 {
        Outcome::Denied
    } else {
        Outcome::Ok
    };
    let mut event = NewEvent::new(
        actor(&format!("user{}", i % 5)),
        actions[(i % 4) as usize],
        outcome,
    )
    .object("document", format!("doc-{}", i % 7))
    .detail("n", i);
    if i.is_multiple_of(3) {
        event = event.personal("search_terms", format!("Müller Straße {i}"));
    }
    event
}
