//! The message header (`Kopf`).
//!
//! All four messages share `NkBasisType` (ProzessID, Nachrichtentyp, Erstellungszeitpunkt,
//! Absender, Empfaenger, SendendesSystem); 0501 and 0502 add `Empfangsbestaetigung`, 0503 adds
//! `Importbestaetigung`, `RueckmeldungArchivkennung` and `Empfangsbestaetigung`.

use chrono::{Datelike, SecondsFormat};

use crate::codes::{MESSAGE_TYPE_LIST, REQUEST_ARCHIVE_IDS, REQUEST_RECEIPT};
use crate::error::XdomeaError;
use crate::message::MessageType;
use crate::model::{Header, Party};
use crate::xml_out::{XmlOut, check_chars};

/// Refuses a header that cannot make a meaningful, schema-valid `Kopf`.
pub(crate) fn check_header(header: &Header) -> Result<(), XdomeaError> {
    check_party(&header.sender, "sender")?;
    check_party(&header.recipient, "recipient")?;
    require(&header.product, || "product name".to_owned())?;
    check_chars(&header.product_version, || "product version".to_owned())?;
    if !(1..=9999).contains(&header.created.year()) {
        return Err(XdomeaError::InvalidInput {
            what: "creation time has a year outside 1..=9999".to_owned(),
        });
    }
    Ok(())
}

fn check_party(party: &Party, role: &str) -> Result<(), XdomeaError> {
    require(&party.agency_code, || format!("{role} agency code"))?;
    require(&party.name, || format!("{role} name"))?;
    if let Some(unit) = &party.unit {
        require(unit, || format!("{role} unit"))?;
    }
    Ok(())
}

/// Requires text that is not blank and holds only characters XML can carry.
pub(crate) fn require(value: &str, what: impl Fn() -> String) -> Result<(), XdomeaError> {
    if value.trim().is_empty() {
        return Err(XdomeaError::InvalidInput {
            what: format!("{} is empty", what()),
        });
    }
    check_chars(value, what)
}

/// Writes `Kopf` for a message of the given type.
pub(crate) fn write_header(
    out: &mut XmlOut,
    header: &Header,
    kind: MessageType,
) -> Result<(), XdomeaError> {
    out.open("Kopf")?;
    write_basis(out, header, kind)?;
    match kind {
        MessageType::Offer0501 | MessageType::Appraisal0502 => {
            out.boolean("Empfangsbestaetigung", REQUEST_RECEIPT)?;
        }
        MessageType::Transfer0503 => {
            out.boolean("Importbestaetigung", true)?;
            out.boolean("RueckmeldungArchivkennung", REQUEST_ARCHIVE_IDS)?;
            out.boolean("Empfangsbestaetigung", REQUEST_RECEIPT)?;
        }
        MessageType::Receipt0506 => {}
    }
    out.close("Kopf")
}

fn write_basis(out: &mut XmlOut, header: &Header, kind: MessageType) -> Result<(), XdomeaError> {
    out.fixed("ProzessID", &header.process_id.hyphenated().to_string())?;
    out.code(
        "Nachrichtentyp",
        MESSAGE_TYPE_LIST,
        kind.code(),
        Some(kind.name()),
    )?;
    let created = header.created.to_rfc3339_opts(SecondsFormat::AutoSi, true);
    out.fixed("Erstellungszeitpunkt", &created)?;
    write_party(out, "Absender", &header.sender)?;
    write_party(out, "Empfaenger", &header.recipient)?;
    out.open("SendendesSystem")?;
    out.text("Produktname", &header.product, || "product name".to_owned())?;
    out.text("Version", &header.product_version, || {
        "product version".to_owned()
    })?;
    out.close("SendendesSystem")
}

fn write_party(out: &mut XmlOut, element: &str, party: &Party) -> Result<(), XdomeaError> {
    out.open(element)?;
    out.open("Behoerdenkennung")?;
    out.open_code("Behoerdenschluessel", &party.agency_code, || {
        format!("{element} agency code")
    })?;
    out.close("Behoerdenkennung")?;
    out.open("Institution")?;
    out.text("Name", &party.name, || format!("{element} name"))?;
    out.close("Institution")?;
    if let Some(unit) = &party.unit {
        out.open("Organisationseinheit")?;
        out.text("Name", unit, || format!("{element} unit"))?;
        out.close("Organisationseinheit")?;
    }
    out.close(element)
}
