//! Our records as the disposition messages see them, and what the archive answers.
//!
//! These types describe exactly what the service knows about an Akte; everything xdomea needs on
//! top (code list values, the medium, the message header fields of fixed value) is added by the
//! builders from the constants in [`crate::codes`].

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

/// A sender or recipient of a message (xdomea `KontaktType` in `Kopf/Absender` and
/// `Kopf/Empfaenger`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Party {
    /// The agency key, written to `Behoerdenkennung/Behoerdenschluessel/code`. The schema leaves
    /// the code list open (DVDV key, Amtlicher Gemeindeschlüssel, or one agreed with the
    /// archive); it must not be empty.
    pub agency_code: String,
    /// Name of the institution (`Institution/Name`); must not be empty.
    pub name: String,
    /// Organisational unit (`Organisationseinheit/Name`), if the message concerns one.
    pub unit: Option<String>,
}

/// The message header (`Kopf`) shared by all messages of this crate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// `ProzessID`: the same UUID in every message of one disposition.
    pub process_id: Uuid,
    /// `Erstellungszeitpunkt`; passed in because the crate reads no clock.
    pub created: DateTime<Utc>,
    /// `Absender`.
    pub sender: Party,
    /// `Empfaenger`.
    pub recipient: Party,
    /// `SendendesSystem/Produktname`; must not be empty. Also the `Akteur` of the history entry
    /// recording when a document was filed.
    pub product: String,
    /// `SendendesSystem/Version`.
    pub product_version: String,
}

/// The Akte's disposition kind as recorded by the agency (xdomea code list Aussonderungsart).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ArchivalValue {
    /// Archivwürdig: the archive takes it.
    A,
    /// Bewerten: the archive has to appraise it.
    B,
    /// Vernichten: destroy after retention.
    V,
}

/// Confidentiality of an Akte (xdomea code list Vertraulichkeitsstufe). Only the levels our
/// records may carry exist here; classified material above "Vertraulich" is never kept in the
/// system.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Confidentiality {
    /// Not classified (code 003).
    Offen,
    /// VS – nur für den Dienstgebrauch (code 002).
    Nfd,
    /// VS – vertraulich (code 005).
    Vertraulich,
}

/// A primary file: the bytes of one version of a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrimaryFile {
    /// Name inside the zip (`Primaerdokument/Dateiname`). The schema requires it to start with a
    /// UUID (pattern `UUID[_]?.*`); it must differ from the document's ID, e.g.
    /// `"<uuid>_<original name>"`, and be a plain name without directories.
    pub file_name: String,
    /// `Primaerdokument/DateinameOriginal`: the name when the file was filed.
    pub original_name: Option<String>,
    /// IANA media type; mapped onto the Dateiformat code list (see [`crate::codes::file_format`]).
    pub media_type: String,
    /// Size in bytes; checked against the bytes supplied for the transfer.
    pub size: u64,
    /// SHA-256 of the bytes, 64 hex digits; checked against the bytes supplied for the transfer
    /// and written to the checksum file of the container.
    pub sha256_hex: String,
}

/// One version of a document (`Version`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfferedVersion {
    /// `Version/Nummer`.
    pub number: u32,
    /// The primary file; every version in a transfer (0503) needs one.
    pub file: Option<PrimaryFile>,
}

/// A document (`Dokument`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfferedDocument {
    /// `Identifikation/ID`.
    pub id: Uuid,
    /// `AllgemeineMetadaten/Betreff`.
    pub title: String,
    /// `Typ`, e.g. "Bescheid".
    pub doc_type: Option<String>,
    /// `Posteingangsdatum` for incoming mail.
    pub received: Option<NaiveDate>,
    /// Day the document was filed; xdomea 3.0.0 has no element for it, so it becomes a
    /// `HistorienProtokollInformation` entry (see [`crate::codes::FILED_ACTION`]).
    pub filed: NaiveDate,
    /// The versions, oldest first.
    pub versions: Vec<OfferedVersion>,
}

/// A Vorgang inside an Akte (`Vorgang`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfferedVorgang {
    /// `Identifikation/ID`.
    pub id: Uuid,
    /// `AllgemeineMetadaten/Betreff`.
    pub title: String,
    /// `Laufzeit/Beginn`.
    pub created: NaiveDate,
    /// The documents, in filing order.
    pub documents: Vec<OfferedDocument>,
}

/// An Akte offered to or transferred to the archive (`Schriftgutobjekt/Akte`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfferedAkte {
    /// `Identifikation/ID`; the archive's decisions and import results refer to it.
    pub id: Uuid,
    /// The Aktenzeichen, e.g. "33.12-0042/2026" (`AllgemeineMetadaten/Kennzeichen`).
    pub aktenzeichen: String,
    /// `AllgemeineMetadaten/Betreff`.
    pub title: String,
    /// Kennzeichen of the file-plan unit (`Aktenplaneinheit/Kennzeichen`).
    pub plan_code: String,
    /// Title of the file-plan unit (`Aktenplaneinheit/Inhaltsangabe`).
    pub plan_title: String,
    /// `AllgemeineMetadaten/Vertraulichkeitsstufe`; also written on the Akte's contents.
    pub confidentiality: Confidentiality,
    /// `Laufzeit/Beginn`.
    pub created: NaiveDate,
    /// Day of the zdA order (`ZdADatum`, `Laufzeit/Ende`); `None` while the Akte is open.
    pub closed_on: Option<NaiveDate>,
    /// Retention after zdA in years (`Aufbewahrungsdauer/AnzahlJahre`, at most 65535);
    /// `None` means unlimited (`Aufbewahrungsdauer/Unbefristet`).
    pub retention_years: Option<u32>,
    /// `ArchivspezifischeMetadaten/Aussonderungsart`.
    pub archival_value: ArchivalValue,
    /// `ArchivspezifischeMetadaten/Aufbewahrungsende`.
    pub retention_end: Option<NaiveDate>,
    /// The Vorgänge (`Akteninhalt/Vorgang`).
    pub vorgaenge: Vec<OfferedVorgang>,
    /// Documents filed directly in the Akte (`Akteninhalt/Dokument`).
    pub documents: Vec<OfferedDocument>,
}

/// A built message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Package {
    /// Name of the zip container, `<ProzessID>_<message>.zip`.
    pub file_name: String,
    /// The zip container.
    pub zip: Vec<u8>,
    /// The message XML alone (also inside the zip as `<ProzessID>_<message>.xml`), e.g. for
    /// schema validation or the journal.
    pub xml: Vec<u8>,
}

/// The archive's decision on one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Decision {
    /// Aussonderungsart A: transfer it with a 0503.
    Archive,
    /// Aussonderungsart V: destroy it.
    Destroy,
}

/// The content of an appraisal (0502, Bewertungsverzeichnis).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appraisal {
    /// `Kopf/ProzessID`.
    pub process_id: Uuid,
    /// One decision per appraised object (`BewertetesObjekt`), in message order. The archive
    /// usually answers per offered Akte, but xdomea lets it answer per Vorgang as well; the IDs
    /// are whatever it sent.
    pub decisions: Vec<(Uuid, Decision)>,
}

/// The archive's import result for one object (0506, `AusgesondertesSGO`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportResult {
    /// `IDSGO`: the object transferred.
    pub id: Uuid,
    /// `Erfolgreich`.
    pub success: bool,
    /// `Archivkennung`: the ID under which the archive keeps the object.
    pub archive_id: Option<String>,
    /// `Fehlermeldung` texts; when reading, coded messages (`FehlermeldungCode`) follow as
    /// `"<code>: <name>"`.
    pub messages: Vec<String>,
}

/// The content of an import confirmation (0506, AussonderungImportBestaetigen).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// `Kopf/ProzessID`.
    pub process_id: Uuid,
    /// One result per transferred object, in message order.
    pub results: Vec<ImportResult>,
}
