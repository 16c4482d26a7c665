//! The Schriftgutobjekte of 0501 and 0503: Akte → Vorgang → Dokument → Version → Format →
//! Primaerdokument.

use std::collections::HashSet;

use chrono::NaiveDate;
use uuid::Uuid;

use crate::codes::{
    CONFIDENTIALITY_LIST, DISPOSITION_LIST, FILE_FORMAT_LIST, FILE_FORMAT_OTHER, FILED_ACTION,
    FILED_FIELD, FORMAT_VERSION_UNKNOWN, MEDIUM_ELECTRONIC, MEDIUM_LIST, confidentiality_code,
    disposition_code, file_format,
};
use crate::error::XdomeaError;
use crate::header::require;
use crate::model::{
    Confidentiality, OfferedAkte, OfferedDocument, OfferedVersion, OfferedVorgang, PrimaryFile,
};
use crate::xml_out::{XmlOut, check_chars, date_text};

/// Whether the objects go into an offer (metadata only) or a transfer (with primary files).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// 0501: no `Version` elements, since the schema forbids primary files in an offer and
    /// every `Version` needs one.
    Offer,
    /// 0503: every version with its primary file.
    Transfer,
}

/// Writes Schriftgutobjekte and collects what the container needs.
pub(crate) struct Objects<'a> {
    mode: Mode,
    actor: &'a str,
    ids: HashSet<Uuid>,
    names: HashSet<String>,
    files: Vec<&'a PrimaryFile>,
}

impl<'a> Objects<'a> {
    /// `actor` is the `Akteur` of the filing history entries: the system that recorded them.
    pub(crate) fn new(mode: Mode, actor: &'a str) -> Self {
        Objects {
            mode,
            actor,
            ids: HashSet::new(),
            names: HashSet::new(),
            files: Vec::new(),
        }
    }

    /// The primary files written, in message order.
    pub(crate) fn into_files(self) -> Vec<&'a PrimaryFile> {
        self.files
    }

    /// Writes one `Schriftgutobjekt/Akte`.
    pub(crate) fn akte(
        &mut self,
        out: &mut XmlOut,
        akte: &'a OfferedAkte,
    ) -> Result<(), XdomeaError> {
        self.claim(akte.id)?;
        out.open("Schriftgutobjekt")?;
        out.open("Akte")?;
        identification(out, akte.id)?;
        akte_metadata(out, akte)?;
        disposition_metadata(out, akte)?;
        period(out, akte.created, akte.closed_on, || {
            format!("Akte {}", akte.id)
        })?;
        self.akte_content(out, akte)?;
        out.boolean("ZdA", akte.closed_on.is_some())?;
        if let Some(closed) = akte.closed_on {
            out.date("ZdADatum", closed, || {
                format!("zdA date of Akte {}", akte.id)
            })?;
        }
        out.close("Akte")?;
        out.close("Schriftgutobjekt")
    }

    fn akte_content(&mut self, out: &mut XmlOut, akte: &'a OfferedAkte) -> Result<(), XdomeaError> {
        if akte.documents.is_empty() && akte.vorgaenge.is_empty() {
            return Ok(());
        }
        out.open("Akteninhalt")?;
        for document in &akte.documents {
            self.document(out, document, akte.confidentiality)?;
        }
        for vorgang in &akte.vorgaenge {
            self.vorgang(out, vorgang, akte)?;
        }
        out.close("Akteninhalt")
    }

    fn vorgang(
        &mut self,
        out: &mut XmlOut,
        vorgang: &'a OfferedVorgang,
        akte: &OfferedAkte,
    ) -> Result<(), XdomeaError> {
        self.claim(vorgang.id)?;
        out.open("Vorgang")?;
        identification(out, vorgang.id)?;
        general_metadata(out, &vorgang.title, akte.confidentiality, || {
            format!("title of Vorgang {}", vorgang.id)
        })?;
        out.text("Aktenbetreff", &akte.title, || {
            format!("title of Akte {}", akte.id)
        })?;
        period(out, vorgang.created, None, || {
            format!("Vorgang {}", vorgang.id)
        })?;
        for document in &vorgang.documents {
            self.document(out, document, akte.confidentiality)?;
        }
        out.close("Vorgang")
    }

    fn document(
        &mut self,
        out: &mut XmlOut,
        document: &'a OfferedDocument,
        confidentiality: Confidentiality,
    ) -> Result<(), XdomeaError> {
        self.claim(document.id)?;
        out.open("Dokument")?;
        identification(out, document.id)?;
        general_metadata(out, &document.title, confidentiality, || {
            format!("title of Dokument {}", document.id)
        })?;
        if let Some(received) = document.received {
            out.date("Posteingangsdatum", received, || {
                format!("receipt date of Dokument {}", document.id)
            })?;
        }
        out.opt_text("Typ", document.doc_type.as_deref(), || {
            format!("type of Dokument {}", document.id)
        })?;
        self.filing_entry(out, document)?;
        if self.mode == Mode::Transfer {
            for version in &document.versions {
                self.version(out, document.id, version)?;
            }
        }
        out.close("Dokument")
    }

    /// Records the filing day as a history entry: xdomea 3.0.0 has no element for it, and the
    /// archive needs it to date the document within the Akte.
    fn filing_entry(
        &self,
        out: &mut XmlOut,
        document: &OfferedDocument,
    ) -> Result<(), XdomeaError> {
        let day = date_text(document.filed, || {
            format!("filing date of Dokument {}", document.id)
        })?;
        out.open("HistorienProtokollInformation")?;
        out.fixed("MetadatumName", FILED_FIELD)?;
        out.fixed("MetadatumNeuerWert", &day)?;
        out.text("Akteur", self.actor, || "product name".to_owned())?;
        out.fixed("DatumUhrzeit", &format!("{day}T00:00:00"))?;
        out.fixed("Aktion", FILED_ACTION)?;
        out.close("HistorienProtokollInformation")
    }

    fn version(
        &mut self,
        out: &mut XmlOut,
        document: Uuid,
        version: &'a OfferedVersion,
    ) -> Result<(), XdomeaError> {
        let file = version
            .file
            .as_ref()
            .ok_or(XdomeaError::VersionWithoutFile {
                document,
                version: version.number,
            })?;
        self.claim_file(document, file)?;
        out.open("Version")?;
        out.fixed("Nummer", &version.number.to_string())?;
        format(out, file)?;
        out.close("Version")
    }

    fn claim(&mut self, id: Uuid) -> Result<(), XdomeaError> {
        if self.ids.insert(id) {
            Ok(())
        } else {
            Err(XdomeaError::DuplicateObject { id })
        }
    }

    fn claim_file(&mut self, document: Uuid, file: &'a PrimaryFile) -> Result<(), XdomeaError> {
        check_file_name(&file.file_name, document)?;
        check_sha256(file)?;
        if !self.names.insert(file.file_name.to_lowercase()) {
            return Err(XdomeaError::DuplicateFileName {
                name: file.file_name.clone(),
            });
        }
        self.files.push(file);
        Ok(())
    }
}

fn identification(out: &mut XmlOut, id: Uuid) -> Result<(), XdomeaError> {
    out.open("Identifikation")?;
    out.fixed("ID", &id.hyphenated().to_string())?;
    out.close("Identifikation")
}

fn akte_metadata(out: &mut XmlOut, akte: &OfferedAkte) -> Result<(), XdomeaError> {
    let (code, name) = confidentiality_code(akte.confidentiality);
    out.open("AllgemeineMetadaten")?;
    out.text("Betreff", &akte.title, || {
        format!("title of Akte {}", akte.id)
    })?;
    require(&akte.aktenzeichen, || {
        format!("Aktenzeichen of Akte {}", akte.id)
    })?;
    out.text("Kennzeichen", &akte.aktenzeichen, String::new)?;
    out.code(
        "Vertraulichkeitsstufe",
        CONFIDENTIALITY_LIST,
        code,
        Some(name),
    )?;
    out.code("Medium", MEDIUM_LIST, MEDIUM_ELECTRONIC, None)?;
    out.open("Aktenplaneinheit")?;
    require(&akte.plan_code, || {
        format!("file-plan code of Akte {}", akte.id)
    })?;
    out.text("Kennzeichen", &akte.plan_code, String::new)?;
    out.text("Inhaltsangabe", &akte.plan_title, || {
        format!("file-plan title of Akte {}", akte.id)
    })?;
    out.close("Aktenplaneinheit")?;
    out.close("AllgemeineMetadaten")
}

/// `AllgemeineMetadaten` of a Vorgang or Dokument: the Akte's classification applies to
/// everything in it, so it is repeated where an archive may look at the object alone.
fn general_metadata(
    out: &mut XmlOut,
    title: &str,
    confidentiality: Confidentiality,
    what: impl FnOnce() -> String,
) -> Result<(), XdomeaError> {
    let (code, name) = confidentiality_code(confidentiality);
    out.open("AllgemeineMetadaten")?;
    out.text("Betreff", title, what)?;
    out.code(
        "Vertraulichkeitsstufe",
        CONFIDENTIALITY_LIST,
        code,
        Some(name),
    )?;
    out.code("Medium", MEDIUM_LIST, MEDIUM_ELECTRONIC, None)?;
    out.close("AllgemeineMetadaten")
}

/// `ArchivspezifischeMetadaten`: the disposition metadata the standard makes mandatory for
/// offer and transfer. Vorgänge and Dokumente inherit them from the Akte.
fn disposition_metadata(out: &mut XmlOut, akte: &OfferedAkte) -> Result<(), XdomeaError> {
    out.open("ArchivspezifischeMetadaten")?;
    out.open("Aufbewahrungsdauer")?;
    match akte.retention_years {
        Some(years) => {
            let years = u16::try_from(years).map_err(|_| XdomeaError::InvalidInput {
                what: format!("retention of Akte {} exceeds 65535 years", akte.id),
            })?;
            out.fixed("AnzahlJahre", &years.to_string())?;
        }
        None => out.boolean("Unbefristet", true)?,
    }
    out.close("Aufbewahrungsdauer")?;
    out.open("Aussonderungsart")?;
    let code = disposition_code(akte.archival_value);
    out.code("Aussonderungsart", DISPOSITION_LIST, code, None)?;
    out.close("Aussonderungsart")?;
    if let Some(end) = akte.retention_end {
        out.date("Aufbewahrungsende", end, || {
            format!("retention end of Akte {}", akte.id)
        })?;
    }
    out.close("ArchivspezifischeMetadaten")
}

fn period(
    out: &mut XmlOut,
    begin: NaiveDate,
    end: Option<NaiveDate>,
    what: impl Fn() -> String,
) -> Result<(), XdomeaError> {
    out.open("Laufzeit")?;
    out.date("Beginn", begin, || format!("start of {}", what()))?;
    if let Some(end) = end {
        out.date("Ende", end, || format!("end of {}", what()))?;
    }
    out.close("Laufzeit")
}

/// `Format` of a version: the Dateiformat code of the media type, or "Sonstiges" with the
/// media type as `SonstigerName`.
fn format(out: &mut XmlOut, file: &PrimaryFile) -> Result<(), XdomeaError> {
    out.open("Format")?;
    match file_format(&file.media_type) {
        Some(code) => out.code("Name", FILE_FORMAT_LIST, code, None)?,
        None => {
            out.code("Name", FILE_FORMAT_LIST, FILE_FORMAT_OTHER, None)?;
            out.text("SonstigerName", &file.media_type, || {
                format!("media type of {}", file.file_name)
            })?;
        }
    }
    out.fixed("Version", FORMAT_VERSION_UNKNOWN)?;
    out.open("Primaerdokument")?;
    out.fixed("Dateiname", &file.file_name)?;
    out.opt_text("DateinameOriginal", file.original_name.as_deref(), || {
        format!("original name of {}", file.file_name)
    })?;
    out.close("Primaerdokument")?;
    out.close("Format")
}

/// Checks that a primary file name has the form of `stringDateinameType` (a UUID, then
/// anything), that its UUID is not the document's own, and that it is a plain name that cannot
/// leave the directory the container is unpacked into.
fn check_file_name(name: &str, document: Uuid) -> Result<(), XdomeaError> {
    let invalid = || XdomeaError::InvalidFileName {
        name: name.to_owned(),
    };
    let uuid = name.get(..36).and_then(|head| Uuid::try_parse(head).ok());
    let plain = !name.contains(['/', '\\']) && !name.chars().any(char::is_control);
    match uuid {
        Some(uuid) if plain && uuid != document && name.len() <= 255 => {
            check_chars(name, String::new).map_err(|_| invalid())
        }
        _ => Err(invalid()),
    }
}

fn check_sha256(file: &PrimaryFile) -> Result<(), XdomeaError> {
    let hex = &file.sha256_hex;
    if hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(());
    }
    Err(XdomeaError::InvalidInput {
        what: format!("SHA-256 of {} is not 64 hex digits", file.file_name),
    })
}
