//! The xdomea 3.0.0 disposition ("Aussonderung") messages between this system and the
//! archive: building the offer (0501) and the transfer (0503), reading the appraisal (0502) and
//! the import confirmation (0506), and — for tests and the archive simulator — building those
//! two answers as an archive would.
//!
//! The crate is pure: it reads no clock (the creation time comes in the [`Header`]) and no
//! file; primary files reach it through the caller's `file_bytes` function, and the messages
//! leave it as bytes in a [`Package`].
//!
//! # The flow
//!
//! 1. [`offer_0501`]: the agency offers Akten whose retention has ended, metadata only.
//! 2. [`read_appraisal_0502`]: the archive answers per object, A (archive) or V (destroy).
//! 3. [`transfer_0503`]: the agency transfers the objects marked A, with all primary files.
//! 4. [`read_receipt_0506`]: the archive reports the import per object, with its archive ID.
//!    Transferred objects may be deleted only after a successful import is confirmed.
//!
//! All messages of one disposition share the [`Header::process_id`].
//!
//! # Our records in xdomea
//!
//! | our record | xdomea 3.0.0 |
//! |---|---|
//! | [`OfferedAkte`] | `Schriftgutobjekt/Akte` |
//! | Aktenzeichen, title | `AllgemeineMetadaten/Kennzeichen`, `Betreff` |
//! | file-plan unit | `AllgemeineMetadaten/Aktenplaneinheit/Kennzeichen`, `Inhaltsangabe` |
//! | [`Confidentiality`] | `AllgemeineMetadaten/Vertraulichkeitsstufe` (003, 002, 005), on the Akte and everything in it |
//! | (always electronic) | `AllgemeineMetadaten/Medium` 001 ([`codes::MEDIUM_ELECTRONIC`]) |
//! | retention years / unlimited | `ArchivspezifischeMetadaten/Aufbewahrungsdauer/AnzahlJahre` / `Unbefristet` |
//! | [`ArchivalValue`] | `ArchivspezifischeMetadaten/Aussonderungsart` (A, B, V) |
//! | retention end | `ArchivspezifischeMetadaten/Aufbewahrungsende` |
//! | created, closed (zdA) | `Laufzeit/Beginn`, `Laufzeit/Ende`, `ZdA`, `ZdADatum` |
//! | documents directly in the Akte | `Akteninhalt/Dokument` |
//! | [`OfferedVorgang`] | `Akteninhalt/Vorgang` (`Betreff`, `Aktenbetreff`, `Laufzeit/Beginn`) |
//! | [`OfferedDocument`] | `Dokument` (`Betreff`, `Posteingangsdatum`, `Typ`) |
//! | filing day | `HistorienProtokollInformation` ([`codes::FILED_FIELD`], [`codes::FILED_ACTION`]) |
//! | [`OfferedVersion`] | `Version/Nummer` (0503 only) |
//! | media type | `Version/Format/Name` (code list Dateiformat, see [`codes::file_format`]) |
//! | [`PrimaryFile`] | `Version/Format/Primaerdokument/Dateiname`, `DateinameOriginal` |
//!
//! Vorgänge and Dokumente carry no disposition metadata of their own: xdomea lets them inherit
//! the Akte's. The offer leaves out `Version` entirely, because the schema forbids primary files
//! in an offer and every `Version` needs one.
//!
//! # The container
//!
//! Every message is a zip named `<ProzessID>_<message>.zip` holding the message as
//! `<ProzessID>_<message>.xml`, where `<message>` is the root element name, e.g.
//! `Aussonderung.Anbieteverzeichnis.0501` ([`MessageType::zip_file_name`],
//! [`MessageType::xml_file_name`]). A transfer adds the primary files under their
//! [`PrimaryFile::file_name`] and the checksum file `<ProzessID>_sha256.txt`
//! ([`checksum_file_name`]): xdomea 3.0.0 has no element for a hash, so the SHA-256 of every
//! primary file goes there, one `sha256sum` line (`<hex>  <file name>`) each.
//!
//! # Untrusted input
//!
//! The readers accept the zip container or the bare XML, never panic, and stay within
//! [`limits`]: at most 1000 zip entries, 64 MiB inflated per entry and in total (counted while
//! inflating), 64 MiB of XML, 128 levels of nesting. A document type declaration is refused, so
//! no entity is ever expanded or fetched. The root element must be the expected message in the
//! xdomea 3.0.0 namespace, and `ProzessID` and object IDs must be UUIDs.
//!
//! # Checking messages against the schema
//!
//! `cargo run -p eakte-xdomea --example write_samples -- OUTDIR` writes sample messages built
//! from [`samples::Sample`]; then
//! `xmllint --noout --schema xdomea-3.0.0/xdomea.xsd OUTDIR/*.xml` validates them against the
//! official schema.

mod build;
pub mod codes;
mod error;
mod header;
mod input;
pub mod limits;
mod message;
mod model;
mod objects;
mod package;
mod read;
pub mod samples;
mod walk;
mod xml_out;

pub use build::{appraisal_0502, offer_0501, receipt_0506, transfer_0503};
pub use error::{MAX_QUOTED_CHARS, XdomeaError};
pub use message::{MessageType, checksum_file_name};
pub use model::{
    Appraisal, ArchivalValue, Confidentiality, Decision, Header, ImportResult, OfferedAkte,
    OfferedDocument, OfferedVersion, OfferedVorgang, Package, Party, PrimaryFile, Receipt,
};
pub use read::{read_appraisal_0502, read_receipt_0506};
