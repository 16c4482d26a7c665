//! Journal events: what an appender hands in ([`NewEvent`]), and the entry as stored and hashed
//! ([`Entry`], schema `schemas/journal-event.v1.json`).
//!
//! The entry's bytes, exactly as written, are the Merkle leaf. Personal data (names, search terms,
//! titles) never sits in the entry: it goes into a separate payload (see [`Payload`]) whose hash
//! and length the entry commits to, so that disposition can erase the payload while every leaf,
//! and so the whole tree, still verifies.

use std::fmt;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::JournalError;
use crate::merkle::Hash;

/// The entry format version this build writes and reads.
pub const ENTRY_VERSION: u32 = 1;

/// The longest entry (the leaf bytes) accepted: 64 KiB.
pub const MAX_ENTRY_BYTES: usize = 64 * 1024;

/// The longest personal-data payload accepted: 1 MiB.
pub const MAX_PAYLOAD_BYTES: usize = 1024 * 1024;

/// Who did something.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Actor {
    /// The user id (an account name, not a person's name).
    pub user: String,
    /// The role the user acted in (`clerk`, `auditor`, …, or `operator` for the CLI).
    pub role: String,
    /// The organisational unit the user acted for, if any.
    pub unit: Option<String>,
    /// Where the request came from: an IP address, or `cli` for a local command.
    pub client: Option<String>,
}

/// What an event concerns: a kind (`blob`, `document`, `akte`, …) and its id (a UUID, a blob id).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObjectRef {
    /// The kind of object.
    pub kind: String,
    /// Its id.
    pub id: String,
}

impl ObjectRef {
    /// An object reference.
    pub fn new(kind: impl Into<String>, id: impl Into<String>) -> Self {
        Self {
            kind: kind.into(),
            id: id.into(),
        }
    }
}

/// How an action ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// Done.
    Ok,
    /// Refused: missing rights, failed authentication.
    Denied,
    /// Attempted and failed.
    Error,
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Ok => "ok",
            Self::Denied => "denied",
            Self::Error => "error",
        })
    }
}

/// Action names in use. Any name of the form `word.word` (lower-case ASCII letters, digits and
/// `_`) is accepted; these constants keep the spelling in one place.
pub mod action {
    /// A blob was stored in the content-addressed store.
    pub const BLOB_STORED: &str = "blob.stored";
    /// A blob's bytes were read.
    pub const BLOB_READ: &str = "blob.read";
    /// The store was verified.
    pub const STORE_VERIFIED: &str = "store.verified";
    /// A document was filed.
    pub const DOCUMENT_FILED: &str = "document.filed";
    /// A document's metadata or text was read.
    pub const DOCUMENT_READ: &str = "document.read";
    /// A document's original was downloaded.
    pub const DOCUMENT_DOWNLOADED: &str = "document.downloaded";
    /// A search ran.
    pub const SEARCH_EXECUTED: &str = "search.executed";
    /// An Akte was created.
    pub const AKTE_CREATED: &str = "akte.created";
    /// A file plan was imported.
    pub const PLAN_IMPORTED: &str = "plan.imported";
    /// An Akte was closed (zdA).
    pub const AKTE_CLOSED: &str = "akte.closed";
    /// A domain date (such as "person moved away") was set on an Akte.
    pub const AKTE_DATED: &str = "akte.dated";
    /// An Akte's metadata and document list were read.
    pub const AKTE_READ: &str = "akte.read";
    /// A Vorgang was created.
    pub const VORGANG_CREATED: &str = "vorgang.created";
    /// A new version of a document was filed.
    pub const DOCUMENT_VERSIONED: &str = "document.versioned";
    /// Text extraction of a document version ended (with text or with a failure).
    pub const DOCUMENT_EXTRACTED: &str = "document.extracted";
    /// The whole catalog was printed (its canonical dump).
    pub const CATALOG_DUMPED: &str = "catalog.dumped";
    /// Store, journal and catalog were verified together.
    pub const RECORDS_VERIFIED: &str = "records.verified";
    /// A document in the inbox was filed into an Akte.
    pub const DOCUMENT_ASSIGNED: &str = "document.assigned";
    /// The documents waiting in inboxes were listed.
    pub const INBOX_LISTED: &str = "inbox.listed";
    /// Akten were listed.
    pub const AKTEN_LISTED: &str = "akten.listed";
    /// An API token was created.
    pub const TOKEN_CREATED: &str = "token.created";
    /// An API token was revoked.
    pub const TOKEN_REVOKED: &str = "token.revoked";
    /// A legal hold was set.
    pub const HOLD_SET: &str = "hold.set";
    /// A legal hold was released.
    pub const HOLD_RELEASED: &str = "hold.released";
    /// A retention rule set was adopted.
    pub const RULES_ADOPTED: &str = "retention.rules_adopted";
    /// Retention states were read (an Akte's, or the list of what is due).
    pub const RETENTION_READ: &str = "retention.read";
    /// A disposition batch was proposed.
    pub const DISPOSITION_PROPOSED: &str = "disposition.proposed";
    /// A disposition batch was approved.
    pub const DISPOSITION_APPROVED: &str = "disposition.approved";
    /// The archive's appraisal (xdomea 0502) was imported.
    pub const APPRAISAL_IMPORTED: &str = "disposition.appraisal_imported";
    /// An xdomea message (offer 0501, transfer 0503) was exported.
    pub const XDOMEA_EXPORTED: &str = "disposition.xdomea_exported";
    /// The transfer package (xdomea 0503) was exported.
    pub const TRANSFER_EXPORTED: &str = "disposition.transfer_exported";
    /// The archive's receipt (xdomea 0506) was imported.
    pub const RECEIPT_IMPORTED: &str = "disposition.receipt_imported";
    /// An Akte was destroyed; its tombstone is the entry.
    pub const AKTE_DESTROYED: &str = "akte.destroyed";
    /// The bytes of destroyed records were purged from store, index, catalog and journal.
    pub const DISPOSITION_PURGED: &str = "disposition.purged";
    /// Authentication failed.
    pub const AUTH_FAILED: &str = "auth.failed";
    /// An access was refused.
    pub const ACCESS_DENIED: &str = "access.denied";
    /// The journal was exported.
    pub const JOURNAL_EXPORTED: &str = "journal.exported";
    /// The journal was verified.
    pub const JOURNAL_VERIFIED: &str = "journal.verified";
    /// Journal events were listed.
    pub const JOURNAL_READ: &str = "journal.read";
}

/// Checks an action name: two or more dot-separated words of `a-z`, `0-9`, `_`, each starting with
/// a letter, at most 64 characters.
pub fn check_action(name: &str) -> Result<(), JournalError> {
    let ok = name.len() <= 64
        && name.split('.').count() >= 2
        && name.split('.').all(|word| {
            word.starts_with(|c: char| c.is_ascii_lowercase())
                && word
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        });
    if ok {
        Ok(())
    } else {
        Err(JournalError::Invalid(format!(
            "action {name:?} is not of the form word.word (a-z, 0-9, _)"
        )))
    }
}

/// Checks that the actor has a user id and a role, and every object a kind (`a-z`, `_`) and an id.
pub fn check_names<'a>(
    user: &str,
    role: &str,
    mut objects: impl Iterator<Item = (&'a str, &'a str)>,
) -> Result<(), String> {
    if user.is_empty() || role.is_empty() {
        return Err("an event needs an actor's user id and role".into());
    }
    let bad_object = objects.any(|(kind, id)| {
        id.is_empty()
            || kind.is_empty()
            || !kind.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
    });
    if bad_object {
        return Err("an object needs a kind (a-z, _) and an id".into());
    }
    Ok(())
}

/// An event to append. The journal adds sequence number, time and chain link.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    /// Who.
    pub actor: Actor,
    /// What, e.g. [`action::DOCUMENT_READ`].
    pub action: String,
    /// Which objects.
    pub objects: Vec<ObjectRef>,
    /// How it ended.
    pub outcome: Outcome,
    /// Further facts that are not personal data (sizes, counts, codes).
    pub details: Map<String, Value>,
    /// Personal data (names, search terms, titles): stored apart, erasable.
    pub personal: Option<Map<String, Value>>,
}

impl NewEvent {
    /// An event with no objects, details or personal data yet.
    pub fn new(actor: Actor, action: impl Into<String>, outcome: Outcome) -> Self {
        Self {
            actor,
            action: action.into(),
            objects: Vec::new(),
            outcome,
            details: Map::new(),
            personal: None,
        }
    }

    /// Adds an object.
    pub fn object(mut self, kind: impl Into<String>, id: impl Into<String>) -> Self {
        self.objects.push(ObjectRef::new(kind, id));
        self
    }

    /// Adds a non-personal detail.
    pub fn detail(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.details.insert(key.into(), value.into());
        self
    }

    /// Adds a personal-data field (kept in the erasable payload).
    pub fn personal(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.personal
            .get_or_insert_with(Map::new)
            .insert(key.into(), value.into());
        self
    }
}

/// The entry's commitment to its payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PayloadRef {
    /// blake3 of the payload bytes, hex.
    pub blake3: String,
    /// Length of the payload bytes.
    pub len: u64,
}

/// A journal entry as stored: its serialisation (compact JSON, fields in this order) is the leaf.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// Format version, [`ENTRY_VERSION`].
    pub v: u32,
    /// Sequence number: the leaf index, from 0.
    pub seq: u64,
    /// UTC time, RFC 3339 with microseconds; never earlier than the previous entry's.
    pub time: String,
    /// Leaf hash of the previous entry (hex; 64 zeros for entry 0): a chain beside the tree that
    /// lets a verifier name the entry that was changed.
    pub prev: String,
    /// Who.
    pub actor: Actor,
    /// What.
    pub action: String,
    /// Which objects.
    pub objects: Vec<ObjectRef>,
    /// How it ended.
    pub outcome: Outcome,
    /// Non-personal facts.
    pub details: Map<String, Value>,
    /// The commitment to the personal-data payload, if there is one.
    pub payload: Option<PayloadRef>,
}

impl Entry {
    /// Parses an entry's bytes and checks what can be checked without its neighbours.
    pub fn parse(bytes: &[u8]) -> Result<Self, String> {
        if bytes.contains(&b'\n') {
            return Err("an entry contains a line break".into());
        }
        let entry: Self = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
        check_rules(
            entry.v,
            &entry.time,
            &entry.action,
            (&entry.actor.user, &entry.actor.role),
            entry
                .objects
                .iter()
                .map(|o| (o.kind.as_str(), o.id.as_str())),
            &entry.prev,
            entry.payload.as_ref().map(|p| p.blake3.as_str()),
        )?;
        Ok(entry)
    }

    /// The entry's time.
    pub fn timestamp(&self) -> DateTime<Utc> {
        parse_time(&self.time).unwrap_or_default()
    }
}

/// What the verifier needs of an entry, from a fast, borrowing parse that checks the same rules
/// as [`Entry::parse`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CheckedEntry {
    pub seq: u64,
    /// Microseconds since the epoch.
    pub time: i64,
    pub prev: Hash,
    /// The payload commitment: blake3 and length.
    pub payload: Option<(Hash, u64)>,
}

mod view {
    use std::borrow::Cow;

    use serde::Deserialize;
    use serde::de::{IgnoredAny, MapAccess, Visitor};

    use super::Outcome;

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct EntryView<'a> {
        pub v: u32,
        pub seq: u64,
        #[serde(borrow)]
        pub time: Cow<'a, str>,
        #[serde(borrow)]
        pub prev: Cow<'a, str>,
        #[serde(borrow)]
        pub actor: ActorView<'a>,
        #[serde(borrow)]
        pub action: Cow<'a, str>,
        #[serde(borrow)]
        pub objects: Vec<ObjectView<'a>>,
        pub outcome: Outcome,
        pub details: AnyObject,
        #[serde(borrow)]
        pub payload: Option<PayloadView<'a>>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct ActorView<'a> {
        #[serde(borrow)]
        pub user: Cow<'a, str>,
        #[serde(borrow)]
        pub role: Cow<'a, str>,
        #[serde(borrow)]
        pub unit: Option<Cow<'a, str>>,
        #[serde(borrow)]
        pub client: Option<Cow<'a, str>>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct ObjectView<'a> {
        #[serde(borrow)]
        pub kind: Cow<'a, str>,
        #[serde(borrow)]
        pub id: Cow<'a, str>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct PayloadView<'a> {
        #[serde(borrow)]
        pub blake3: Cow<'a, str>,
        pub len: u64,
    }

    /// Any JSON object, skipped without building it.
    pub struct AnyObject;

    impl<'de> Deserialize<'de> for AnyObject {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct Skip;
            impl<'de> Visitor<'de> for Skip {
                type Value = AnyObject;
                fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    f.write_str("a JSON object")
                }
                fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<AnyObject, A::Error> {
                    while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                    Ok(AnyObject)
                }
            }
            d.deserialize_map(Skip)
        }
    }
}

impl CheckedEntry {
    /// Parses and checks an entry's bytes like [`Entry::parse`], without building the entry.
    /// The bytes are one line of an export, so they hold no line break.
    pub(crate) fn parse(bytes: &[u8]) -> Result<Self, String> {
        let view: view::EntryView<'_> = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
        let (time, prev, payload_hash) = check_rules(
            view.v,
            &view.time,
            &view.action,
            (&view.actor.user, &view.actor.role),
            view.objects.iter().map(|o| (&*o.kind, &*o.id)),
            &view.prev,
            view.payload.as_ref().map(|p| &*p.blake3),
        )?;
        let payload = payload_hash.zip(view.payload.map(|p| p.len));
        // The remaining fields are checked for presence and type by the parse.
        let _ = (
            view.actor.unit,
            view.actor.client,
            view.outcome,
            view.details,
        );
        Ok(Self {
            seq: view.seq,
            time,
            prev,
            payload,
        })
    }
}

/// The rules every entry obeys beyond its JSON shape, shared by [`Entry::parse`] and
/// [`CheckedEntry::parse`]: version, canonical time, action name, actor and object names, and the
/// hashes. Returns the time (µs), the `prev` link and the payload hash.
fn check_rules<'a>(
    v: u32,
    time: &str,
    action: &str,
    (user, role): (&str, &str),
    objects: impl Iterator<Item = (&'a str, &'a str)>,
    prev: &str,
    payload_hash: Option<&str>,
) -> Result<(i64, Hash, Option<Hash>), String> {
    if v != ENTRY_VERSION {
        return Err(format!("unknown entry version {v}"));
    }
    let micros = canonical_micros(time)
        .ok_or_else(|| format!("time {time:?} is not in the form 2026-01-31T12:00:00.000000Z"))?;
    check_action(action).map_err(|e| e.to_string())?;
    check_names(user, role, objects)?;
    let prev = parse_hash(prev).ok_or("prev is not 64 hex digits")?;
    let payload = match payload_hash {
        Some(text) => Some(parse_hash(text).ok_or("payload.blake3 is not 64 hex digits")?),
        None => None,
    };
    Ok((micros, prev, payload))
}

/// Parses a time in exactly the form of [`format_time`] into microseconds since the epoch.
fn canonical_micros(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    if b.len() != 27 {
        return None;
    }
    let digits = |range: std::ops::Range<usize>| -> Option<u32> {
        b[range].iter().try_fold(0u32, |acc, d| {
            d.is_ascii_digit().then(|| acc * 10 + u32::from(d - b'0'))
        })
    };
    let separators = [
        (4, b'-'),
        (7, b'-'),
        (10, b'T'),
        (13, b':'),
        (16, b':'),
        (19, b'.'),
        (26, b'Z'),
    ];
    if separators.iter().any(|(at, c)| b[*at] != *c) {
        return None;
    }
    let date =
        chrono::NaiveDate::from_ymd_opt(digits(0..4)? as i32, digits(5..7)?, digits(8..10)?)?;
    let time = date.and_hms_micro_opt(
        digits(11..13)?,
        digits(14..16)?,
        digits(17..19)?,
        digits(20..26)?,
    )?;
    // Fixed width with every field in range: this is the canonical form (seconds stop at 59,
    // so a leap second is refused).
    Some(time.and_utc().timestamp_micros())
}

/// The personal-data payload's bytes: compact JSON `{"salt": <32 hex>, "data": {…}}`. The random
/// salt keeps an erased payload's hash from being matched against guessed contents.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Payload {
    /// 16 random bytes, hex.
    pub salt: String,
    /// The personal data.
    pub data: Map<String, Value>,
}

/// Formats a time the way entries and checkpoints carry it: RFC 3339, UTC, microseconds, `Z`.
pub fn format_time(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// Parses a time in the format of [`format_time`], and only that format.
pub fn parse_time(text: &str) -> Result<DateTime<Utc>, String> {
    canonical_micros(text)
        .and_then(DateTime::from_timestamp_micros)
        .ok_or_else(|| format!("time {text:?} is not in the form 2026-01-31T12:00:00.000000Z"))
}

/// Parses 64 hex digits (lower case) into a hash.
pub fn parse_hash(text: &str) -> Option<Hash> {
    if text.len() != 64 || text.bytes().any(|b| b.is_ascii_uppercase()) {
        return None;
    }
    let mut out = [0u8; 32];
    hex::decode_to_slice(text, &mut out).ok()?;
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_are_checked() {
        for good in ["document.read", "a.b", "hold.set_2", "x1.y.z"] {
            assert!(check_action(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "read",
            "Document.read",
            ".read",
            "a..b",
            "a.1b",
            "a.b-c",
            "a.b ",
        ] {
            assert!(check_action(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn only_the_canonical_time_form_parses() {
        let t = "2026-11-25T12:00:00.123456Z";
        assert_eq!(format_time(parse_time(t).unwrap()), t);
        for bad in [
            "2026-11-25T12:00:00Z",
            "2026-11-25T12:00:00.123456+00:00",
            "2026-11-25t12:00:00.123456Z",
            "yesterday",
        ] {
            assert!(parse_time(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_fast_check_agrees_with_the_full_parse() {
        let good = br#"{"v":1,"seq":3,"time":"2026-11-25T12:00:00.123456Z","prev":"0000000000000000000000000000000000000000000000000000000000000000","actor":{"user":"u","role":"clerk","unit":null,"client":"cli"},"action":"blob.read","objects":[{"kind":"blob","id":"x"}],"outcome":"ok","details":{"n":[1,{"a":2}]},"payload":null}"#;
        let full = Entry::parse(good).unwrap();
        let fast = CheckedEntry::parse(good).unwrap();
        assert_eq!(fast.seq, full.seq);
        assert_eq!(fast.time, full.timestamp().timestamp_micros());
        let text = std::str::from_utf8(good).unwrap();
        let variants = [
            text.replace(r#""v":1"#, r#""v":2"#),
            text.replace("12:00:00.123456Z", "12:00:00.123456+00:00"),
            text.replace("12:00:00.123456Z", "24:00:00.123456Z"),
            text.replace("blob.read", "Blob.Read"),
            text.replace(r#""details":{"n":[1,{"a":2}]}"#, r#""details":[1]"#),
            text.replace(r#""outcome":"ok""#, r#""outcome":"fine""#),
            text.replace(r#""payload":null"#, r#""payload":null,"extra":1"#),
            text.replace(r#""user":"u","#, ""),
            text.replace(r#""user":"u","#, r#""user":"","#),
            text.replace(r#""kind":"blob""#, r#""kind":"Blob""#),
            text.replace(
                "0000000000000000000000000000000000000000000000000000000000000000",
                "00",
            ),
            text.replace(r#""payload":null"#, r#""payload":{"blake3":"zz","len":1}"#),
        ];
        for variant in &variants {
            assert_ne!(variant, text);
            let full = Entry::parse(variant.as_bytes());
            let fast = CheckedEntry::parse(variant.as_bytes());
            assert!(
                full.is_err() && fast.is_err(),
                "{variant}: {full:?} / {fast:?}"
            );
        }
    }

    #[test]
    fn hashes_must_be_lower_case_hex() {
        let h = "ab".repeat(32);
        assert_eq!(parse_hash(&h), Some([0xab; 32]));
        assert_eq!(parse_hash(&h.to_uppercase()), None);
        assert_eq!(parse_hash(&h[2..]), None);
        assert_eq!(parse_hash(&format!("{}zz", &h[2..])), None);
    }
}
