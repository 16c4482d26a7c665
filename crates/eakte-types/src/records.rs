//! Records vocabulary shared by catalog, index and service: file plan codes, Aktenzeichen,
//! confidentiality levels, archival values and the permanent ids of Akte, Vorgang and Dokument.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Why a string is not a valid record identifier or level.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordParseError {
    /// Not a file plan code.
    #[error("{0:?} is not a file plan code (digits in groups separated by dots, such as 33.10)")]
    PlanCode(String),
    /// Not an Aktenzeichen.
    #[error(
        "{0:?} is not an Aktenzeichen (plan code, running number and year, such as 33.10-0042/2026)"
    )]
    Aktenzeichen(String),
    /// Not a confidentiality level.
    #[error("{0:?} is not a confidentiality level (offen, nfd or vertraulich)")]
    Confidentiality(String),
    /// Not an archival value.
    #[error("{0:?} is not an archival value (A, B or V)")]
    ArchivalValue(String),
    /// Not an Akte status.
    #[error("{0:?} is not an Akte status (open or closed)")]
    AkteStatus(String),
    /// Not a UUID.
    #[error("{0:?} is not a UUID")]
    Uuid(String),
}

/// A unit's code in the file plan (Aktenplan), such as `33.10`: one to six groups of one to four
/// digits separated by dots. A child's code extends its parent's (`33` → `33.1` → `33.10`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PlanCode(String);

impl PlanCode {
    /// The code as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `self` is `other` or lies below it in the plan (`33.10` is within `33` and `33.1`,
    /// but not within `3`): plan codes nest by prefix at group or digit boundaries, as KGSt
    /// numbering does.
    pub fn is_within(&self, other: &PlanCode) -> bool {
        self.0.starts_with(&other.0)
    }
}

impl FromStr for PlanCode {
    type Err = RecordParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let groups: Vec<&str> = s.split('.').collect();
        let ok = (1..=6).contains(&groups.len())
            && groups
                .iter()
                .all(|g| (1..=4).contains(&g.len()) && g.bytes().all(|b| b.is_ascii_digit()));
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(RecordParseError::PlanCode(s.to_owned()))
        }
    }
}

/// The file number of an Akte: plan code, a running number within that code and year, and the
/// year, as `33.10-0042/2026`. Unique and never reused, even after the Akte is destroyed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Aktenzeichen {
    plan_code: PlanCode,
    number: u32,
    year: u16,
}

impl Aktenzeichen {
    /// The highest running number: nine digits.
    pub const MAX_NUMBER: u32 = 999_999_999;

    /// An Aktenzeichen from its parts: a running number from 1 to [`Self::MAX_NUMBER`] and a
    /// four-digit year, so that every value prints as text that parses back to it.
    pub fn new(plan_code: PlanCode, number: u32, year: u16) -> Result<Self, RecordParseError> {
        if (1..=Self::MAX_NUMBER).contains(&number) && (1000..=9999).contains(&year) {
            Ok(Self {
                plan_code,
                number,
                year,
            })
        } else {
            Err(RecordParseError::Aktenzeichen(format!(
                "{plan_code}-{number:04}/{year}"
            )))
        }
    }

    /// The plan code.
    pub fn plan_code(&self) -> &PlanCode {
        &self.plan_code
    }

    /// The running number within plan code and year.
    pub fn number(&self) -> u32 {
        self.number
    }

    /// The year.
    pub fn year(&self) -> u16 {
        self.year
    }
}

impl fmt::Display for Aktenzeichen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{:04}/{}", self.plan_code.0, self.number, self.year)
    }
}

impl FromStr for Aktenzeichen {
    type Err = RecordParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || RecordParseError::Aktenzeichen(s.to_owned());
        let (code, rest) = s.split_once('-').ok_or_else(bad)?;
        let (number, year) = rest.split_once('/').ok_or_else(bad)?;
        let digits = |t: &str, min: usize, max: usize| {
            (min..=max).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_digit())
        };
        if !digits(number, 4, 9) || !digits(year, 4, 4) {
            return Err(bad());
        }
        let parsed: u32 = number.parse().map_err(|_| bad())?;
        if format!("{parsed:04}") != number {
            // `0042` is canonical; `00042` or `012345` would be a second spelling.
            return Err(bad());
        }
        let plan_code = code.parse().map_err(|_| bad())?;
        Self::new(plan_code, parsed, year.parse().map_err(|_| bad())?).map_err(|_| bad())
    }
}

/// Confidentiality of an Akte and everything in it, in increasing order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum Confidentiality {
    /// Open to the owning unit's clerks.
    #[default]
    Offen,
    /// VS – Nur für den Dienstgebrauch.
    Nfd,
    /// VS – Vertraulich.
    Vertraulich,
}

impl Confidentiality {
    /// The lowercase name used in files, the CLI and the index.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Offen => "offen",
            Self::Nfd => "nfd",
            Self::Vertraulich => "vertraulich",
        }
    }
}

/// Whether an Akte is still being worked on, or closed ("zu den Akten", zdA).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum AkteStatus {
    /// Open: documents may be filed into it.
    #[default]
    Open,
    /// Closed (zdA): nothing more is filed; retention periods run from its close date.
    Closed,
}

impl AkteStatus {
    /// `open` or `closed`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Closed => "closed",
        }
    }
}

impl FromStr for AkteStatus {
    type Err = RecordParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "open" => Ok(Self::Open),
            "closed" => Ok(Self::Closed),
            _ => Err(RecordParseError::AkteStatus(s.to_owned())),
        }
    }
}

/// The kind of Akten kept under a plan unit (Aktenart).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RecordClass {
    /// Sachakte: one Akte per subject, such as the office's organisation or a regulation.
    Sachakte,
    /// Fallakte: one Akte per case, such as a person's passport application or a marriage.
    Fallakte,
    /// Sammelakte: routine papers of one kind collected per period, such as daily register
    /// information requests.
    Sammelakte,
}

impl RecordClass {
    /// The name in the plan file, the CLI and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sachakte => "sachakte",
            Self::Fallakte => "fallakte",
            Self::Sammelakte => "sammelakte",
        }
    }
}

/// Archival value of a file plan unit's records: what disposition offers the public archive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ArchivalValue {
    /// Archivwürdig: offered and taken.
    A,
    /// Bewerten: the archive decides case by case.
    B,
    /// Vernichten: destroyed without offer.
    V,
}

impl ArchivalValue {
    /// `A`, `B` or `V`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::A => "A",
            Self::B => "B",
            Self::V => "V",
        }
    }
}

impl FromStr for Confidentiality {
    type Err = RecordParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "offen" => Ok(Self::Offen),
            "nfd" => Ok(Self::Nfd),
            "vertraulich" => Ok(Self::Vertraulich),
            _ => Err(RecordParseError::Confidentiality(s.to_owned())),
        }
    }
}

impl FromStr for ArchivalValue {
    type Err = RecordParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "A" => Ok(Self::A),
            "B" => Ok(Self::B),
            "V" => Ok(Self::V),
            _ => Err(RecordParseError::ArchivalValue(s.to_owned())),
        }
    }
}

/// Display through a function returning the text form, and serde as that text.
macro_rules! text_form {
    ($name:ident, $to:expr) => {
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let to: fn(&$name) -> String = $to;
                f.write_str(&to(self))
            }
        }

        serde_text!($name);
    };
}

/// serde as the `Display`/`FromStr` text form.
macro_rules! serde_text {
    ($name:ident) => {
        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let s = String::deserialize(deserializer)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

text_form!(PlanCode, |c| c.0.clone());
serde_text!(Aktenzeichen);
text_form!(Confidentiality, |c| c.as_str().to_owned());
text_form!(ArchivalValue, |a| a.as_str().to_owned());
text_form!(AkteStatus, |s| s.as_str().to_owned());

macro_rules! uuid_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(uuid::Uuid);

        impl $name {
            /// A new random (version 4) id.
            pub fn new_random() -> Self {
                Self(uuid::Uuid::new_v4())
            }

            /// Wraps a UUID.
            pub const fn from_uuid(id: uuid::Uuid) -> Self {
                Self(id)
            }

            /// The UUID.
            pub const fn as_uuid(&self) -> &uuid::Uuid {
                &self.0
            }
        }

        impl FromStr for $name {
            type Err = RecordParseError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                uuid::Uuid::parse_str(s)
                    .map(Self)
                    .map_err(|_| RecordParseError::Uuid(s.to_owned()))
            }
        }

        text_form!($name, |id| id.0.hyphenated().to_string());
    };
}

uuid_id!(
    /// The permanent id of an Akte (file).
    AkteId
);
uuid_id!(
    /// The permanent id of a Vorgang (case within an Akte).
    VorgangId
);
uuid_id!(
    /// The permanent id of a Dokument.
    DokumentId
);
uuid_id!(
    /// The id of a legal hold.
    HoldId
);
uuid_id!(
    /// The id of a disposition batch; also the xdomea process id (ProzessID) of its messages.
    BatchId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_codes() {
        for good in ["33", "33.10", "1.2.3.4.5.6", "0001"] {
            assert_eq!(good.parse::<PlanCode>().unwrap().as_str(), good);
        }
        for bad in [
            "",
            "33.",
            ".33",
            "33..1",
            "3a",
            "12345",
            "1.2.3.4.5.6.7",
            "33-10",
        ] {
            assert!(bad.parse::<PlanCode>().is_err(), "{bad:?}");
        }
        let code: PlanCode = "33.10".parse().unwrap();
        assert!(code.is_within(&"33".parse().unwrap()));
        assert!(code.is_within(&"33.1".parse().unwrap()));
        assert!(!code.is_within(&"32".parse().unwrap()));
    }

    #[test]
    fn aktenzeichen_round_trip() {
        let az: Aktenzeichen = "33.10-0042/2026".parse().unwrap();
        assert_eq!(az.plan_code().as_str(), "33.10");
        assert_eq!((az.number(), az.year()), (42, 2026));
        assert_eq!(az.to_string(), "33.10-0042/2026");
        let big = Aktenzeichen::new("32".parse().unwrap(), 123_456, 2030).unwrap();
        assert_eq!(big.to_string(), "32-123456/2030");
        assert_eq!(big.to_string().parse::<Aktenzeichen>().unwrap(), big);
        let json = serde_json::to_string(&az).unwrap();
        assert_eq!(json, "\"33.10-0042/2026\"");
        assert_eq!(serde_json::from_str::<Aktenzeichen>(&json).unwrap(), az);
    }

    #[test]
    fn aktenzeichen_parts_must_print_back() {
        let code: PlanCode = "33.10".parse().unwrap();
        assert!(Aktenzeichen::new(code.clone(), 0, 2026).is_err());
        assert!(Aktenzeichen::new(code.clone(), Aktenzeichen::MAX_NUMBER + 1, 2026).is_err());
        assert!(Aktenzeichen::new(code.clone(), 1, 999).is_err());
        assert!(Aktenzeichen::new(code.clone(), 1, 20260).is_err());
        let top = Aktenzeichen::new(code, Aktenzeichen::MAX_NUMBER, 9999).unwrap();
        assert_eq!(top.to_string().parse::<Aktenzeichen>(), Ok(top));
    }

    #[test]
    fn aktenzeichen_refuses_other_spellings() {
        for bad in [
            "33.10-42/2026",
            "33.10-00042/2026",
            "33.10-012345/2026",
            "33.10-0000/2026",
            "33.10-0042/26",
            "33.10/0042-2026",
            "x-0042/2026",
            "33.10-0042/2026 ",
        ] {
            assert!(bad.parse::<Aktenzeichen>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn levels_and_ids() {
        assert!(Confidentiality::Offen < Confidentiality::Nfd);
        assert!(Confidentiality::Nfd < Confidentiality::Vertraulich);
        assert_eq!("nfd".parse::<Confidentiality>(), Ok(Confidentiality::Nfd));
        assert!("NfD".parse::<Confidentiality>().is_err());
        assert_eq!("B".parse::<ArchivalValue>(), Ok(ArchivalValue::B));
        let id = AkteId::new_random();
        assert_eq!(id.to_string().parse::<AkteId>(), Ok(id));
        assert!("not-a-uuid".parse::<DokumentId>().is_err());
    }

    #[test]
    fn record_class_names_are_the_plan_files_names() {
        for class in [
            RecordClass::Sachakte,
            RecordClass::Fallakte,
            RecordClass::Sammelakte,
        ] {
            assert_eq!(serde_json::to_value(class).unwrap(), class.as_str());
        }
    }
}
