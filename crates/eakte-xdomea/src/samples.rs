//! A fixed, realistic disposition for tests, the archive simulator and the CI schema check.
//!
//! Three Akten (archive, appraise, destroy) with Vorgänge, documents filed directly in an Akte,
//! documents with several versions, media types inside and outside the Dateiformat list, and
//! titles with umlauts and the XML special characters `<`, `>`, `&`, `"` and `'`, so that
//! every message built from it exercises escaping and all optional elements.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::model::{
    ArchivalValue, Confidentiality, Decision, Header, ImportResult, OfferedAkte, OfferedDocument,
    OfferedVersion, OfferedVorgang, Party, PrimaryFile,
};

/// The sample disposition: headers for both directions, the offered Akten and the bytes of
/// their primary files.
#[derive(Debug, Clone)]
pub struct Sample {
    /// Header of the agency's messages (0501, 0503).
    pub agency_header: Header,
    /// Header of the archive's messages (0502, 0506); same ProzessID.
    pub archive_header: Header,
    /// The offered Akten.
    pub akten: Vec<OfferedAkte>,
    files: BTreeMap<String, Vec<u8>>,
}

impl Default for Sample {
    fn default() -> Self {
        Self::new()
    }
}

impl Sample {
    /// Builds the sample; the same every time.
    pub fn new() -> Self {
        let mut files = Files::default();
        let akten = vec![
            building_permit(&mut files),
            road_works(&mut files),
            office_supplies(&mut files),
        ];
        Sample {
            agency_header: header(agency(), archive(), time(2026, 3, 2, 9)),
            archive_header: header(archive(), agency(), time(2026, 3, 20, 14)),
            akten,
            files: files.bytes,
        }
    }

    /// The archive's decisions: every Akte offered as A or B is archived, V is destroyed.
    pub fn decisions(&self) -> Vec<(Uuid, Decision)> {
        self.akten
            .iter()
            .map(|akte| {
                let decision = match akte.archival_value {
                    ArchivalValue::A | ArchivalValue::B => Decision::Archive,
                    ArchivalValue::V => Decision::Destroy,
                };
                (akte.id, decision)
            })
            .collect()
    }

    /// The Akten to transfer: those the archive decided to take, now with Aussonderungsart A.
    pub fn transferred(&self) -> Vec<OfferedAkte> {
        let archived: Vec<Uuid> = self
            .decisions()
            .into_iter()
            .filter(|(_, decision)| *decision == Decision::Archive)
            .map(|(id, _)| id)
            .collect();
        self.akten
            .iter()
            .filter(|akte| archived.contains(&akte.id))
            .map(|akte| OfferedAkte {
                archival_value: ArchivalValue::A,
                ..akte.clone()
            })
            .collect()
    }

    /// The bytes of a primary file, as the store would stream them.
    pub fn file_bytes(&self, file: &PrimaryFile) -> Result<Vec<u8>, String> {
        self.files
            .get(&file.file_name)
            .cloned()
            .ok_or_else(|| format!("no sample file {}", file.file_name))
    }

    /// The archive's import results for the transferred Akten: the first imported, the second
    /// refused with reasons that need escaping.
    pub fn import_results(&self) -> Vec<ImportResult> {
        self.transferred()
            .iter()
            .enumerate()
            .map(|(n, akte)| match n {
                0 => ImportResult {
                    id: akte.id,
                    success: true,
                    archive_id: Some("LA-BW 2026/17 <Nr. 4711>".to_owned()),
                    messages: Vec::new(),
                },
                _ => ImportResult {
                    id: akte.id,
                    success: false,
                    archive_id: None,
                    messages: vec![
                        "Prüfsumme von \"Anlage 2\" & Anlage 3 stimmt nicht".to_owned(),
                        "Format <unbekannt> wird nicht übernommen".to_owned(),
                    ],
                },
            })
            .collect()
    }
}

/// Sample primary files, named and hashed as the store would record them.
#[derive(Default)]
struct Files {
    bytes: BTreeMap<String, Vec<u8>>,
}

impl Files {
    fn add(&mut self, seed: u128, original: &str, media_type: &str, content: &str) -> PrimaryFile {
        let bytes = content.as_bytes().to_vec();
        let file_name = format!("{}_{original}", id(0xF11E_0000 + seed));
        let file = PrimaryFile {
            file_name: file_name.clone(),
            original_name: Some(original.to_owned()),
            media_type: media_type.to_owned(),
            size: bytes.len() as u64,
            sha256_hex: hex::encode(Sha256::digest(&bytes)),
        };
        self.bytes.insert(file_name, bytes);
        file
    }

    fn pdf(&mut self, seed: u128, original: &str) -> PrimaryFile {
        let content = format!("%PDF-1.7\n% eakte sample {seed}\n%%EOF\n");
        self.add(seed, original, "application/pdf", &content)
    }
}

fn building_permit(files: &mut Files) -> OfferedAkte {
    let application = OfferedDocument {
        id: id(0xD0C_0001),
        title: "Bauantrag Müller <Garage> & \"Carport\"".to_owned(),
        doc_type: Some("Antrag".to_owned()),
        received: Some(day(2019, 4, 2)),
        filed: day(2019, 4, 3),
        versions: vec![
            version(1, files.pdf(1, "Bauantrag.pdf")),
            version(2, files.pdf(2, "Bauantrag korrigiert.pdf")),
            version(
                3,
                files.add(3, "Lageplan.tif", "image/tiff", "II*\0 sample tiff"),
            ),
        ],
    };
    let permit = OfferedDocument {
        id: id(0xD0C_0002),
        title: "Baugenehmigung – Auflagen für Grenzbebauung".to_owned(),
        doc_type: Some("Bescheid".to_owned()),
        received: None,
        filed: day(2019, 9, 12),
        versions: vec![version(1, files.pdf(4, "Baugenehmigung.pdf"))],
    };
    let note = OfferedDocument {
        id: id(0xD0C_0003),
        title: "Aktenvermerk 'Ortstermin' Größe > 30 m²".to_owned(),
        doc_type: None,
        received: None,
        filed: day(2019, 6, 1),
        versions: vec![version(
            1,
            files.add(
                5,
                "Vermerk.txt",
                "text/plain; charset=utf-8",
                "Ortstermin am 31.05.",
            ),
        )],
    };
    OfferedAkte {
        id: id(0xA4E_0001),
        aktenzeichen: "63.10-0042/2019".to_owned(),
        title: "Bauvorhaben Müller, Flurstück 12/3 <Grenzbebauung>".to_owned(),
        plan_code: "63.10".to_owned(),
        plan_title: "Baugenehmigungen & Bauvoranfragen".to_owned(),
        confidentiality: Confidentiality::Offen,
        created: day(2019, 4, 2),
        closed_on: Some(day(2019, 12, 20)),
        retention_years: Some(5),
        archival_value: ArchivalValue::A,
        retention_end: Some(day(2024, 12, 31)),
        vorgaenge: vec![OfferedVorgang {
            id: id(0xF06_0001),
            title: "Genehmigungsverfahren".to_owned(),
            created: day(2019, 4, 2),
            documents: vec![application, permit],
        }],
        documents: vec![note],
    }
}

fn road_works(files: &mut Files) -> OfferedAkte {
    let objection = OfferedDocument {
        id: id(0xD0C_0011),
        title: "Widerspruch Anlieger Öztürk & Söhne".to_owned(),
        doc_type: Some("Widerspruch".to_owned()),
        received: Some(day(2015, 2, 27)),
        filed: day(2015, 3, 2),
        versions: vec![
            version(1, files.pdf(11, "Widerspruch.pdf")),
            version(
                2,
                files.add(
                    12,
                    "Widerspruch.eml",
                    "message/rfc822",
                    "From: a@example.invalid",
                ),
            ),
        ],
    };
    let decision = OfferedDocument {
        id: id(0xD0C_0012),
        title: "Widerspruchsbescheid".to_owned(),
        doc_type: Some("Bescheid".to_owned()),
        received: None,
        filed: day(2015, 6, 30),
        versions: vec![version(
            1,
            files.add(
                13,
                "Bescheid.bin",
                "application/x-eakte-sample",
                "\u{1}binary",
            ),
        )],
    };
    let plan = OfferedDocument {
        id: id(0xD0C_0013),
        title: "Ausbauplan Ölmühlenweg".to_owned(),
        doc_type: Some("Plan".to_owned()),
        received: None,
        filed: day(2014, 11, 5),
        versions: vec![version(1, files.pdf(14, "Ausbauplan.pdf"))],
    };
    OfferedAkte {
        id: id(0xA4E_0002),
        aktenzeichen: "66.20-0007/2014".to_owned(),
        title: "Straßenausbau Ölmühlenweg".to_owned(),
        plan_code: "66.20".to_owned(),
        plan_title: "Straßenbau".to_owned(),
        confidentiality: Confidentiality::Nfd,
        created: day(2014, 10, 1),
        closed_on: Some(day(2015, 12, 1)),
        retention_years: None,
        archival_value: ArchivalValue::B,
        retention_end: None,
        vorgaenge: vec![
            OfferedVorgang {
                id: id(0xF06_0011),
                title: "Planung".to_owned(),
                created: day(2014, 10, 1),
                documents: vec![plan],
            },
            OfferedVorgang {
                id: id(0xF06_0012),
                title: "Widerspruchsverfahren \"Anlieger\"".to_owned(),
                created: day(2015, 2, 27),
                documents: vec![objection, decision],
            },
        ],
        documents: Vec::new(),
    }
}

fn office_supplies(files: &mut Files) -> OfferedAkte {
    let order = OfferedDocument {
        id: id(0xD0C_0021),
        title: "Bestellung Büromaterial".to_owned(),
        doc_type: None,
        received: None,
        filed: day(2016, 1, 15),
        versions: vec![version(1, files.pdf(21, "Bestellung.pdf"))],
    };
    OfferedAkte {
        id: id(0xA4E_0003),
        aktenzeichen: "10.41-0003/2016".to_owned(),
        title: "Beschaffung Büromaterial 2016".to_owned(),
        plan_code: "10.41".to_owned(),
        plan_title: "Beschaffung".to_owned(),
        confidentiality: Confidentiality::Vertraulich,
        created: day(2016, 1, 4),
        closed_on: Some(day(2016, 12, 31)),
        retention_years: Some(6),
        archival_value: ArchivalValue::V,
        retention_end: Some(day(2022, 12, 31)),
        vorgaenge: Vec::new(),
        documents: vec![order],
    }
}

fn version(number: u32, file: PrimaryFile) -> OfferedVersion {
    OfferedVersion {
        number,
        file: Some(file),
    }
}

fn agency() -> Party {
    Party {
        agency_code: "bw:08111000".to_owned(),
        name: "Stadt Musterstadt – Baurechtsamt".to_owned(),
        unit: Some("Registratur & Schriftgutverwaltung".to_owned()),
    }
}

fn archive() -> Party {
    Party {
        agency_code: "bw:landesarchiv".to_owned(),
        name: "Landesarchiv Musterland".to_owned(),
        unit: None,
    }
}

fn header(sender: Party, recipient: Party, created: DateTime<Utc>) -> Header {
    Header {
        process_id: id(0x9A0C_E55E),
        created,
        sender,
        recipient,
        product: "eakte".to_owned(),
        product_version: "0.1.0".to_owned(),
    }
}

fn id(n: u128) -> Uuid {
    Uuid::from_u128(0x5A3F_0000_0000_4000_8000_0000_0000_0000 | n)
}

fn day(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).unwrap_or_default()
}

fn time(year: i32, month: u32, day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(year, month, day, hour, 0, 0)
        .single()
        .unwrap_or_default()
}
