//! The four message types of the disposition this crate builds and reads, and the names of the
//! files that carry them.
//!
//! The schema fixes only the primary file names (`stringDateinameType`: a UUID, then anything).
//! For the container and the message file this crate follows the convention of the xdomea
//! 3.0.0 specification as the published 3.0.0 examples apply it: the container is
//! `<ProzessID>_<message>.zip` and holds the message as `<ProzessID>_<message>.xml` next to the
//! primary files, where `<message>` is the root element name, e.g.
//! `Aussonderung.Aussonderung.0503` (Landesarchiv NRW, `xdomea-examples/v3.0.0`; the
//! Landesarchiv Thüringen toolkit's patterns are named `xx_Aussonderung.Anbieteverzeichnis.0501.xml`
//! and so on, `xx` standing for the ProzessID).

use uuid::Uuid;

/// A disposition message type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageType {
    /// 0501 Aussonderung.Anbieteverzeichnis: the offer, metadata only.
    Offer0501,
    /// 0502 Aussonderung.Bewertungsverzeichnis: the archive's appraisal.
    Appraisal0502,
    /// 0503 Aussonderung.Aussonderung: the transfer with the primary files.
    Transfer0503,
    /// 0506 Aussonderung.AussonderungImportBestaetigen: the archive's import result.
    Receipt0506,
}

impl MessageType {
    /// The Nachrichtentyp code, e.g. `"0501"`.
    pub const fn code(self) -> &'static str {
        match self {
            MessageType::Offer0501 => "0501",
            MessageType::Appraisal0502 => "0502",
            MessageType::Transfer0503 => "0503",
            MessageType::Receipt0506 => "0506",
        }
    }

    /// The Nachrichtentyp name of the code list, e.g. `"Aussonderung.Anbieteverzeichnis"`.
    pub const fn name(self) -> &'static str {
        match self {
            MessageType::Offer0501 => "Aussonderung.Anbieteverzeichnis",
            MessageType::Appraisal0502 => "Aussonderung.Bewertungsverzeichnis",
            MessageType::Transfer0503 => "Aussonderung.Aussonderung",
            MessageType::Receipt0506 => "Aussonderung.AussonderungImportBestaetigen",
        }
    }

    /// The root element name, e.g. `"Aussonderung.Anbieteverzeichnis.0501"`.
    pub const fn element(self) -> &'static str {
        match self {
            MessageType::Offer0501 => "Aussonderung.Anbieteverzeichnis.0501",
            MessageType::Appraisal0502 => "Aussonderung.Bewertungsverzeichnis.0502",
            MessageType::Transfer0503 => "Aussonderung.Aussonderung.0503",
            MessageType::Receipt0506 => "Aussonderung.AussonderungImportBestaetigen.0506",
        }
    }

    /// Name of the message XML inside the container: `<ProzessID>_<element>.xml`.
    pub fn xml_file_name(self, process_id: Uuid) -> String {
        format!("{}_{}.xml", process_id.hyphenated(), self.element())
    }

    /// Name of the container: `<ProzessID>_<element>.zip`.
    pub fn zip_file_name(self, process_id: Uuid) -> String {
        format!("{}_{}.zip", process_id.hyphenated(), self.element())
    }
}

/// Name of the checksum file in a 0503 container: `<ProzessID>_sha256.txt`.
///
/// xdomea 3.0.0 has no element for a file hash (4.0 adds one), so the SHA-256 of every primary
/// file travels in this file, one `<hex>  <file name>` line per file in message order (the
/// format of `sha256sum`, so `sha256sum -c` checks an unpacked container).
pub fn checksum_file_name(process_id: Uuid) -> String {
    format!("{}_sha256.txt", process_id.hyphenated())
}
