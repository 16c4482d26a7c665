//! What xdomea 3.0.0 needs but our records cannot know: the namespace, code list identifiers
//! and the fixed values this system always sends.
//!
//! Code list URIs and versions are the `fixed` attribute values of the code types in
//! `xdomea-Datentypen.xsd`; sending them lets a receiver check the list without guessing.

use crate::model::{ArchivalValue, Confidentiality, Decision};

/// Namespace of xdomea 3.0.0 (`targetNamespace` of `xdomea.xsd`).
pub const NAMESPACE: &str = "urn:xoev-de:xdomea:schema:3.0.0";

/// Common prefix of all xdomea namespaces, to tell "another xdomea version" from "not xdomea".
pub const NAMESPACE_FAMILY: &str = "urn:xoev-de:xdomea:schema:";

/// The namespace prefix; the xdomea specification requires exactly `xdomea`.
pub const PREFIX: &str = "xdomea";

/// A code list as referenced from a code element (`listURI`, `listVersionID`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeList {
    /// `listURI`.
    pub uri: &'static str,
    /// `listVersionID`.
    pub version: &'static str,
}

/// Code list Nachrichtentyp 2.0 (`Kopf/Nachrichtentyp`).
pub const MESSAGE_TYPE_LIST: CodeList = CodeList {
    uri: "urn:xoev-de:xdomea:codeliste:nachrichtentyp",
    version: "2.0",
};

/// Code list Aussonderungsart 1.0 (A, B, V).
pub const DISPOSITION_LIST: CodeList = CodeList {
    uri: "urn:xoev-de:xdomea:codeliste:aussonderungsart",
    version: "1.0",
};

/// Code list Vertraulichkeitsstufe 1.0.
pub const CONFIDENTIALITY_LIST: CodeList = CodeList {
    uri: "urn:xoev-de:xdomea:codeliste:vertraulichkeitsstufe",
    version: "1.0",
};

/// Code list Medium 1.0.
pub const MEDIUM_LIST: CodeList = CodeList {
    uri: "urn:xoev-de:xdomea:codeliste:medium",
    version: "1.0",
};

/// Code list Dateiformat 1.0; the schema requires `listVersionID` on `Format/Name`.
pub const FILE_FORMAT_LIST: CodeList = CodeList {
    uri: "urn:xoev-de:xdomea:codeliste:dateiformat",
    version: "1.0",
};

/// Medium code 001 "Elektronisch": every object of this system exists only electronically.
pub const MEDIUM_ELECTRONIC: &str = "001";

/// Dateiformat code 100 "Sonstiges"; the media type then goes to `Format/SonstigerName`.
pub const FILE_FORMAT_OTHER: &str = "100";

/// `Format/Version` is mandatory, but the record does not know the format version (e.g. PDF
/// 1.7); the empty string is schema-valid and claims nothing.
pub const FORMAT_VERSION_UNKNOWN: &str = "";

/// `Kopf/Empfangsbestaetigung` of 0501, 0502 and 0503: no separate receipt (0504, 0505, 0507)
/// is asked for, because the answer to each (0502, 0503, 0506) already shows that the message
/// arrived; the schema recommends 0 as the default.
pub const REQUEST_RECEIPT: bool = false;

/// `Kopf/RueckmeldungArchivkennung` of 0503: the archive is asked to return its IDs in the
/// 0506, so the residual metadata can point to the archived object.
pub const REQUEST_ARCHIVE_IDS: bool = true;

/// `Aktion` of the history entry that records the filing day of a document, since xdomea 3.0.0
/// has no element for it. Its `DatumUhrzeit` is that day at 00:00 without time zone (the record
/// keeps only the day), its `Akteur` the sending system ([`crate::Header::product`]).
pub const FILED_ACTION: &str = "Dokument zur Akte genommen";

/// `MetadatumName` of that history entry; `MetadatumNeuerWert` holds the day (YYYY-MM-DD).
pub const FILED_FIELD: &str = "Ablagedatum";

/// The Aussonderungsart code of an archival value.
pub const fn disposition_code(value: ArchivalValue) -> &'static str {
    match value {
        ArchivalValue::A => "A",
        ArchivalValue::B => "B",
        ArchivalValue::V => "V",
    }
}

/// The Aussonderungsart code of a decision.
pub const fn decision_code(decision: Decision) -> &'static str {
    match decision {
        Decision::Archive => "A",
        Decision::Destroy => "V",
    }
}

/// The decision an Aussonderungsart code stands for; B (still to appraise) decides nothing.
pub fn decision_from_code(code: &str) -> Option<Decision> {
    match code {
        "A" => Some(Decision::Archive),
        "V" => Some(Decision::Destroy),
        _ => None,
    }
}

/// Vertraulichkeitsstufe code and its short name.
pub const fn confidentiality_code(value: Confidentiality) -> (&'static str, &'static str) {
    match value {
        Confidentiality::Offen => ("003", "Offen"),
        Confidentiality::Nfd => ("002", "NfD"),
        Confidentiality::Vertraulich => ("005", "Vertraulich"),
    }
}

/// Dateiformat codes of common media types (code list Dateiformat 1.0).
const FILE_FORMATS: &[(&str, &str)] = &[
    ("application/msword", "003"),
    ("application/pdf", "018"),
    ("application/postscript", "021"),
    ("application/rtf", "022"),
    ("application/vnd.ms-excel", "028"),
    ("application/vnd.ms-outlook", "012"),
    ("application/vnd.ms-powerpoint", "020"),
    ("application/vnd.oasis.opendocument.presentation", "013"),
    ("application/vnd.oasis.opendocument.spreadsheet", "014"),
    ("application/vnd.oasis.opendocument.text", "015"),
    (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "037",
    ),
    (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "036",
    ),
    (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "035",
    ),
    ("application/xml", "030"),
    ("image/bmp", "001"),
    ("image/jpeg", "011"),
    ("image/png", "019"),
    ("image/tiff", "024"),
    ("message/rfc822", "006"),
    ("text/csv", "002"),
    ("text/html", "008"),
    ("text/plain", "045"),
    ("text/rtf", "022"),
    ("text/xml", "030"),
];

/// The Dateiformat code of a media type (parameters and case ignored), or `None` for a type
/// the list does not name, which is then sent as [`FILE_FORMAT_OTHER`].
///
/// PDF maps to 018 "pdf"; the record does not say whether a file is PDF/A (044), and claiming
/// it would mislead the archive's format check.
pub fn file_format(media_type: &str) -> Option<&'static str> {
    let essence = media_type.split(';').next().unwrap_or_default().trim();
    FILE_FORMATS
        .iter()
        .find(|(known, _)| known.eq_ignore_ascii_case(essence))
        .map(|(_, code)| *code)
}
