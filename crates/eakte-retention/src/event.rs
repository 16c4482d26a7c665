//! The events retention periods start from: a closed vocabulary, so that a rule and a recorded
//! event cannot miss each other by a spelling.

/// An event kind a rule may name as its trigger or as a "never before" condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventKind {
    /// The name in rule files, on the CLI and in the catalog (`person.moved_away`).
    pub name: &'static str,
    /// What happened, in German, as clerks name it.
    pub title: &'static str,
    /// Whether the records system derives it itself; such events cannot be recorded by hand.
    pub derived: bool,
}

/// The Akte was closed (zdA); its date is the Akte's close date.
pub const FILE_CLOSED: &str = "file.closed";
/// The Akte was created; its date is the Akte's creation day.
pub const FILE_CREATED: &str = "file.created";

/// Every event kind, derived ones first.
pub const EVENTS: &[EventKind] = &[
    EventKind {
        name: FILE_CLOSED,
        title: "Akte geschlossen (zdA)",
        derived: true,
    },
    EventKind {
        name: FILE_CREATED,
        title: "Akte angelegt",
        derived: true,
    },
    EventKind {
        name: "person.moved_away",
        title: "Person weggezogen",
        derived: false,
    },
    EventKind {
        name: "person.died",
        title: "Person verstorben",
        derived: false,
    },
    EventKind {
        name: "document.validity_end",
        title: "Gültigkeit des Dokuments abgelaufen",
        derived: false,
    },
    EventKind {
        name: "document.reissued",
        title: "Neues Dokument ausgestellt",
        derived: false,
    },
    EventKind {
        name: "document.handed_over",
        title: "Dokument ausgehändigt",
        derived: false,
    },
    EventKind {
        name: "decision.final",
        title: "Entscheidung unanfechtbar",
        derived: false,
    },
    EventKind {
        name: "data.transmitted",
        title: "Daten übermittelt",
        derived: false,
    },
    EventKind {
        name: "licence.lapsed",
        title: "Fahrerlaubnis erloschen",
        derived: false,
    },
    EventKind {
        name: "notice.received",
        title: "Mitteilung des Kraftfahrt-Bundesamts eingegangen",
        derived: false,
    },
    EventKind {
        name: "register.certified",
        title: "Beurkundung im Register",
        derived: false,
    },
    EventKind {
        name: "accounts.approved",
        title: "Jahresabschluss festgestellt",
        derived: false,
    },
];

/// The event kind named `name`, if there is one.
pub fn event_kind(name: &str) -> Option<&'static EventKind> {
    EVENTS.iter().find(|e| e.name == name)
}

/// Whether `name` is an event that is recorded on an Akte by hand (not derived).
pub fn is_recordable(name: &str) -> bool {
    event_kind(name).is_some_and(|e| !e.derived)
}
