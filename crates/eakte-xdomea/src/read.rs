//! Reading the archive's answers: the appraisal (0502) and the import confirmation (0506).
//!
//! The root element decides the message type. `Kopf/Nachrichtentyp` is not compared with it:
//! it repeats the same fact, and published 3.0.0 samples get it wrong (the xdomea toolkit's
//! 0502 pattern carries code 0503), so insisting on it would refuse valid answers for no gain.

use std::collections::HashSet;

use uuid::Uuid;

use crate::codes::decision_from_code;
use crate::error::{XdomeaError, quote};
use crate::input::message_xml;
use crate::message::MessageType;
use crate::model::{Appraisal, Decision, ImportResult, Receipt};
use crate::walk::{Handler, walk};

/// Reads an appraisal (0502, Aussonderung.Bewertungsverzeichnis), given as its zip container or
/// as the bare XML.
///
/// Every `BewertetesObjekt` must carry A or V; B or a configurable value decides nothing and is
/// refused, as is an object appraised twice.
pub fn read_appraisal_0502(bytes: &[u8]) -> Result<Appraisal, XdomeaError> {
    let kind = MessageType::Appraisal0502;
    let xml = message_xml(bytes, kind)?;
    let mut reader = AppraisalReader::default();
    walk(&xml, kind, &mut reader)?;
    let process_id = reader.header.finish()?;
    if reader.decisions.is_empty() {
        return Err(missing("BewertetesObjekt"));
    }
    Ok(Appraisal {
        process_id,
        decisions: reader.decisions,
    })
}

/// Reads an import confirmation (0506, Aussonderung.AussonderungImportBestaetigen), given as its
/// zip container or as the bare XML.
pub fn read_receipt_0506(bytes: &[u8]) -> Result<Receipt, XdomeaError> {
    let kind = MessageType::Receipt0506;
    let xml = message_xml(bytes, kind)?;
    let mut reader = ReceiptReader::default();
    walk(&xml, kind, &mut reader)?;
    let process_id = reader.header.finish()?;
    if reader.results.is_empty() {
        return Err(missing("AusgesondertesSGO"));
    }
    Ok(Receipt {
        process_id,
        results: reader.results,
    })
}

/// The part of `Kopf` both readers need.
#[derive(Default)]
struct HeaderReader {
    process_id: Option<Uuid>,
}

impl HeaderReader {
    /// Takes `Kopf/ProzessID`; returns whether `path` was part of the header.
    fn end(&mut self, path: &[&str], text: &str) -> Result<bool, XdomeaError> {
        match path {
            ["Kopf", "ProzessID"] => {
                if self.process_id.is_some() {
                    return Err(XdomeaError::Malformed {
                        what: "Kopf holds more than one ProzessID".to_owned(),
                    });
                }
                let id = hyphenated_uuid(text)
                    .ok_or_else(|| XdomeaError::InvalidProcessId { value: quote(text) })?;
                self.process_id = Some(id);
                Ok(true)
            }
            ["Kopf", ..] => Ok(true),
            _ => Ok(false),
        }
    }

    fn finish(&self) -> Result<Uuid, XdomeaError> {
        self.process_id.ok_or_else(|| missing("Kopf/ProzessID"))
    }
}

#[derive(Default)]
struct AppraisalReader {
    header: HeaderReader,
    current: Option<PendingDecision>,
    decisions: Vec<(Uuid, Decision)>,
    seen: HashSet<Uuid>,
}

#[derive(Default)]
struct PendingDecision {
    id: Option<Uuid>,
    value: Option<String>,
}

impl Handler for AppraisalReader {
    fn start(&mut self, path: &[&str]) -> Result<(), XdomeaError> {
        if path == ["BewertetesObjekt"] {
            self.current = Some(PendingDecision::default());
        }
        Ok(())
    }

    fn end(&mut self, path: &[&str], text: &str) -> Result<(), XdomeaError> {
        if self.header.end(path, text)? {
            return Ok(());
        }
        let Some(current) = self.current.as_mut() else {
            return Ok(());
        };
        match path {
            ["BewertetesObjekt", "ID"] => current.id = Some(object_id(text)?),
            [
                "BewertetesObjekt",
                "Aussonderungsart",
                "Aussonderungsart",
                "code",
            ]
            | [
                "BewertetesObjekt",
                "Aussonderungsart",
                "AussonderungsartKonfigurierbar",
            ] => {
                current.value = Some(text.trim().to_owned());
            }
            ["BewertetesObjekt"] => self.finish_decision()?,
            _ => {}
        }
        Ok(())
    }
}

impl AppraisalReader {
    fn finish_decision(&mut self) -> Result<(), XdomeaError> {
        let pending = self.current.take().unwrap_or_default();
        let id = pending.id.ok_or_else(|| missing("BewertetesObjekt/ID"))?;
        let value = pending
            .value
            .ok_or_else(|| missing("BewertetesObjekt/Aussonderungsart"))?;
        let decision =
            decision_from_code(&value).ok_or_else(|| XdomeaError::UnusableAppraisal {
                id,
                value: quote(&value),
            })?;
        if !self.seen.insert(id) {
            return Err(XdomeaError::DuplicateObject { id });
        }
        self.decisions.push((id, decision));
        Ok(())
    }
}

#[derive(Default)]
struct ReceiptReader {
    header: HeaderReader,
    current: Option<PendingResult>,
    results: Vec<ImportResult>,
    seen: HashSet<Uuid>,
}

#[derive(Default)]
struct PendingResult {
    id: Option<Uuid>,
    success: Option<bool>,
    archive_id: Option<String>,
    messages: Vec<String>,
    code: Option<String>,
    code_name: Option<String>,
}

impl Handler for ReceiptReader {
    fn start(&mut self, path: &[&str]) -> Result<(), XdomeaError> {
        match (path, self.current.as_mut()) {
            (["AusgesondertesSGO"], _) => self.current = Some(PendingResult::default()),
            (["AusgesondertesSGO", "FehlermeldungCode"], Some(current)) => {
                current.code = None;
                current.code_name = None;
            }
            _ => {}
        }
        Ok(())
    }

    fn end(&mut self, path: &[&str], text: &str) -> Result<(), XdomeaError> {
        if self.header.end(path, text)? {
            return Ok(());
        }
        let Some(current) = self.current.as_mut() else {
            return Ok(());
        };
        match path {
            ["AusgesondertesSGO", "IDSGO"] => current.id = Some(object_id(text)?),
            ["AusgesondertesSGO", "Erfolgreich"] => current.success = Some(boolean(text)?),
            ["AusgesondertesSGO", "Fehlermeldung"] => current.messages.push(text.to_owned()),
            ["AusgesondertesSGO", "FehlermeldungCode", "code"] => {
                current.code = Some(text.trim().to_owned());
            }
            ["AusgesondertesSGO", "FehlermeldungCode", "name"] => {
                current.code_name = Some(text.trim().to_owned());
            }
            ["AusgesondertesSGO", "FehlermeldungCode"] => current.push_coded_message(),
            ["AusgesondertesSGO", "Archivkennung"] => current.archive_id = Some(text.to_owned()),
            ["AusgesondertesSGO"] => self.finish_result()?,
            _ => {}
        }
        Ok(())
    }
}

impl PendingResult {
    /// Adds a coded error message as `"<code>: <name>"` (or the bare code without a name).
    fn push_coded_message(&mut self) {
        let message = match (self.code.take(), self.code_name.take()) {
            (Some(code), Some(name)) => format!("{code}: {name}"),
            (Some(code), None) => code,
            (None, Some(name)) => name,
            (None, None) => return,
        };
        self.messages.push(message);
    }
}

impl ReceiptReader {
    fn finish_result(&mut self) -> Result<(), XdomeaError> {
        let pending = self.current.take().unwrap_or_default();
        let id = pending
            .id
            .ok_or_else(|| missing("AusgesondertesSGO/IDSGO"))?;
        let success = pending
            .success
            .ok_or_else(|| missing("AusgesondertesSGO/Erfolgreich"))?;
        if !self.seen.insert(id) {
            return Err(XdomeaError::DuplicateObject { id });
        }
        self.results.push(ImportResult {
            id,
            success,
            archive_id: pending.archive_id,
            messages: pending.messages,
        });
        Ok(())
    }
}

/// Parses the ID of a Schriftgutobjekt.
fn object_id(text: &str) -> Result<Uuid, XdomeaError> {
    hyphenated_uuid(text).ok_or_else(|| XdomeaError::InvalidObjectId { value: quote(text) })
}

/// Parses the only UUID form `stringUUIDType` allows: 36 characters with hyphens.
fn hyphenated_uuid(text: &str) -> Option<Uuid> {
    let text = text.trim();
    if text.len() != 36 {
        return None;
    }
    Uuid::try_parse(text).ok()
}

/// Parses an `xs:boolean`.
fn boolean(text: &str) -> Result<bool, XdomeaError> {
    match text.trim() {
        "1" | "true" => Ok(true),
        "0" | "false" => Ok(false),
        other => Err(XdomeaError::Malformed {
            what: format!("{:?} is not a boolean", quote(other)),
        }),
    }
}

fn missing(what: &str) -> XdomeaError {
    XdomeaError::Malformed {
        what: format!("{what} is missing"),
    }
}
