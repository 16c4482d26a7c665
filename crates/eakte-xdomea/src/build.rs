//! Building the four messages.

use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::codes::{DISPOSITION_LIST, decision_code};
use crate::error::XdomeaError;
use crate::header::{check_header, write_header};
use crate::message::{MessageType, checksum_file_name};
use crate::model::{
    ArchivalValue, Decision, Header, ImportResult, OfferedAkte, Package, PrimaryFile,
};
use crate::objects::{Mode, Objects};
use crate::package::ZipBuilder;
use crate::xml_out::XmlOut;

/// Builds an offer (0501, Aussonderung.Anbieteverzeichnis): the Akten with their Vorgänge and
/// documents, metadata only.
///
/// The schema forbids primary files in an offer and requires a primary file for every
/// `Version`, so document versions are left out; the archive appraises on the metadata.
pub fn offer_0501(header: &Header, akten: &[OfferedAkte]) -> Result<Package, XdomeaError> {
    let kind = MessageType::Offer0501;
    let (xml, _) = objects_message(header, akten, kind, Mode::Offer)?;
    let mut zip = ZipBuilder::new(header.created);
    zip.add(&kind.xml_file_name(header.process_id), &xml)?;
    finish(header, kind, zip, xml)
}

/// Builds a transfer (0503, Aussonderung.Aussonderung): the Akten the archive chose, every
/// document version with its primary file.
///
/// `file_bytes` supplies each primary file's bytes, one at a time in message order; they are
/// checked against the recorded size and SHA-256 before they go into the container, and their
/// SHA-256 goes to the checksum file [`checksum_file_name`], since xdomea 3.0.0 has no element
/// for it. An Akte marked V is refused; pass the objects with the archive's decision (A).
pub fn transfer_0503(
    header: &Header,
    akten: &[OfferedAkte],
    file_bytes: &mut dyn FnMut(&PrimaryFile) -> Result<Vec<u8>, String>,
) -> Result<Package, XdomeaError> {
    if let Some(akte) = akten.iter().find(|a| a.archival_value == ArchivalValue::V) {
        return Err(XdomeaError::MarkedForDestruction { id: akte.id });
    }
    let kind = MessageType::Transfer0503;
    let (xml, files) = objects_message(header, akten, kind, Mode::Transfer)?;
    let mut zip = ZipBuilder::new(header.created);
    zip.add(&kind.xml_file_name(header.process_id), &xml)?;
    let mut sums = String::new();
    for file in files {
        let bytes = fetch(file, file_bytes)?;
        zip.add(&file.file_name, &bytes)?;
        sums.push_str(&format!(
            "{}  {}\n",
            file.sha256_hex.to_lowercase(),
            file.file_name
        ));
    }
    zip.add(&checksum_file_name(header.process_id), sums.as_bytes())?;
    finish(header, kind, zip, xml)
}

/// Builds an appraisal (0502, Aussonderung.Bewertungsverzeichnis) as the archive would send it;
/// for tests and the archive simulator.
pub fn appraisal_0502(
    header: &Header,
    decisions: &[(Uuid, Decision)],
) -> Result<Package, XdomeaError> {
    let kind = MessageType::Appraisal0502;
    if decisions.is_empty() {
        return Err(XdomeaError::Empty { what: "decision" });
    }
    check_unique(decisions.iter().map(|(id, _)| *id))?;
    let mut out = start(header, kind)?;
    for (id, decision) in decisions {
        out.open("BewertetesObjekt")?;
        out.fixed("ID", &id.hyphenated().to_string())?;
        out.open("Aussonderungsart")?;
        out.code(
            "Aussonderungsart",
            DISPOSITION_LIST,
            decision_code(*decision),
            None,
        )?;
        out.close("Aussonderungsart")?;
        out.close("BewertetesObjekt")?;
    }
    single_file(header, kind, out)
}

/// Builds an import confirmation (0506, Aussonderung.AussonderungImportBestaetigen) as the
/// archive would send it; for tests and the archive simulator.
pub fn receipt_0506(header: &Header, results: &[ImportResult]) -> Result<Package, XdomeaError> {
    let kind = MessageType::Receipt0506;
    if results.is_empty() {
        return Err(XdomeaError::Empty {
            what: "import result",
        });
    }
    check_unique(results.iter().map(|r| r.id))?;
    let mut out = start(header, kind)?;
    for result in results {
        import_result(&mut out, result)?;
    }
    single_file(header, kind, out)
}

fn import_result(out: &mut XmlOut, result: &ImportResult) -> Result<(), XdomeaError> {
    out.open("AusgesondertesSGO")?;
    out.fixed("IDSGO", &result.id.hyphenated().to_string())?;
    out.boolean("Erfolgreich", result.success)?;
    for message in &result.messages {
        out.text("Fehlermeldung", message, || {
            format!("error message for {}", result.id)
        })?;
    }
    out.opt_text("Archivkennung", result.archive_id.as_deref(), || {
        format!("archive ID of {}", result.id)
    })?;
    out.close("AusgesondertesSGO")
}

/// Writes header and Schriftgutobjekte of a 0501 or 0503 and returns the XML with the primary
/// files it references.
fn objects_message<'a>(
    header: &'a Header,
    akten: &'a [OfferedAkte],
    kind: MessageType,
    mode: Mode,
) -> Result<(Vec<u8>, Vec<&'a PrimaryFile>), XdomeaError> {
    if akten.is_empty() {
        return Err(XdomeaError::Empty { what: "Akte" });
    }
    let mut out = start(header, kind)?;
    let mut objects = Objects::new(mode, &header.product);
    for akte in akten {
        objects.akte(&mut out, akte)?;
    }
    out.close(kind.element())?;
    Ok((out.finish(), objects.into_files()))
}

fn start(header: &Header, kind: MessageType) -> Result<XmlOut, XdomeaError> {
    check_header(header)?;
    let mut out = XmlOut::new()?;
    out.open_root(kind.element())?;
    write_header(&mut out, header, kind)?;
    Ok(out)
}

fn single_file(
    header: &Header,
    kind: MessageType,
    mut out: XmlOut,
) -> Result<Package, XdomeaError> {
    out.close(kind.element())?;
    let xml = out.finish();
    let mut zip = ZipBuilder::new(header.created);
    zip.add(&kind.xml_file_name(header.process_id), &xml)?;
    finish(header, kind, zip, xml)
}

fn finish(
    header: &Header,
    kind: MessageType,
    zip: ZipBuilder,
    xml: Vec<u8>,
) -> Result<Package, XdomeaError> {
    Ok(Package {
        file_name: kind.zip_file_name(header.process_id),
        zip: zip.finish()?,
        xml,
    })
}

/// Gets a primary file's bytes from the caller and checks them against the record.
fn fetch(
    file: &PrimaryFile,
    file_bytes: &mut dyn FnMut(&PrimaryFile) -> Result<Vec<u8>, String>,
) -> Result<Vec<u8>, XdomeaError> {
    let bytes = file_bytes(file).map_err(|reason| XdomeaError::FileUnavailable {
        name: file.file_name.clone(),
        reason,
    })?;
    let mismatch = |what| XdomeaError::FileMismatch {
        name: file.file_name.clone(),
        what,
    };
    if u64::try_from(bytes.len()).ok() != Some(file.size) {
        return Err(mismatch("size"));
    }
    if !hex::encode(Sha256::digest(&bytes)).eq_ignore_ascii_case(&file.sha256_hex) {
        return Err(mismatch("SHA-256"));
    }
    Ok(bytes)
}

fn check_unique(ids: impl Iterator<Item = Uuid>) -> Result<(), XdomeaError> {
    let mut seen = std::collections::HashSet::new();
    for id in ids {
        if !seen.insert(id) {
            return Err(XdomeaError::DuplicateObject { id });
        }
    }
    Ok(())
}
