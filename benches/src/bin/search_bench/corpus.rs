//! The seeded corpus: German-like documents of a citizens' office, and the file both engines read.

use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::Path;

use anyhow::Context;
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use rand::Rng;
use rand::rngs::StdRng;

use crate::vocab::{FAMILIES, FIRST_NAMES, STREETS, SURNAMES, Vocabulary, zipf_pick};

/// Plan codes of the file plan's groups 32 to 36 with the unit and document types they hold.
pub const PLAN_CODES: &[(&str, &str)] = &[
    ("32.10", "Ordnungsamt"),
    ("32.20", "Ordnungsamt"),
    ("33.10", "Bürgerbüro"),
    ("33.20", "Bürgerbüro"),
    ("33.30", "Bürgerbüro"),
    ("34.10", "Standesamt"),
    ("34.20", "Standesamt"),
    ("35.10", "Ausländerbehörde"),
    ("36.10", "Straßenverkehrsamt"),
    ("36.20", "Straßenverkehrsamt"),
    ("36.30", "Gewerbeamt"),
];

/// Document types.
pub const DOC_TYPES: &[&str] = &[
    "Antrag",
    "Bescheid",
    "Gebührenbescheid",
    "Meldebescheinigung",
    "Schreiben",
    "Aktenvermerk",
    "Widerspruch",
    "Vollmacht",
    "Nachweis",
    "Mahnung",
];

/// The first day documents are received on; the corpus spans seven years from it.
pub fn first_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2020, 1, 1).unwrap_or_default()
}

/// Days the corpus spans.
pub const SPAN_DAYS: i64 = 7 * 365;

/// One generated document with the metadata both engines index.
#[derive(Debug, Clone, PartialEq)]
pub struct Doc {
    /// Position in the corpus, from 0.
    pub number: u64,
    /// The Akte's position among the corpus's Akten.
    pub akte: u64,
    /// Aktenzeichen as written, such as `33.10-0042/2026`.
    pub aktenzeichen: String,
    /// Plan code, such as `33.10`.
    pub plan_code: String,
    /// Owning unit.
    pub unit: String,
    /// Document type.
    pub doc_type: String,
    /// Title.
    pub title: String,
    /// Day received.
    pub received: NaiveDate,
    /// Moment filed.
    pub filed: DateTime<Utc>,
    /// 0 offen, 1 nfd, 2 vertraulich.
    pub confidentiality: u8,
    /// The text, pages separated by form feeds.
    pub body: String,
}

impl Doc {
    /// Bytes of text a reader would see: title and body.
    pub fn text_bytes(&self) -> u64 {
        (self.title.len() + self.body.len()) as u64
    }
}

/// Generates documents from a seed; document `n` depends only on the seed, `n` and the corpus size.
pub struct Generator {
    seed: u64,
    akten: u64,
    vocab: Vocabulary,
}

impl Generator {
    /// A generator of a corpus of `docs` documents, about four to an Akte.
    pub fn new(seed: u64, docs: u64) -> Self {
        Self {
            seed,
            akten: (docs / 4).max(1),
            vocab: Vocabulary::new(seed),
        }
    }

    /// The vocabulary documents are drawn from.
    pub fn vocab(&self) -> &Vocabulary {
        &self.vocab
    }

    /// How many Akten the documents are spread over.
    pub fn akten(&self) -> u64 {
        self.akten
    }

    /// Aktenzeichen and plan code of Akte `akte`.
    pub fn akte(&self, akte: u64) -> (String, String) {
        let mut rng = self.rng(0x616b_7465, akte);
        let (plan, _) = PLAN_CODES[rng.random_range(0..PLAN_CODES.len())];
        let year = 2020 + akte % 7;
        // Akte n gets year n % 7 and number n / 7 + 1: no two Akten share number and year, so
        // none share an Aktenzeichen, whatever their plan codes.
        let number = akte / 7 + 1;
        (format!("{plan}-{number:04}/{year}"), plan.to_owned())
    }

    fn rng(&self, stream: u64, n: u64) -> StdRng {
        eakte_benches::rng(
            self.seed
                .wrapping_mul(0x9e37_79b9_7f4a_7c15)
                .wrapping_add(stream.rotate_left(32))
                .wrapping_add(n),
        )
    }

    /// Document `n`.
    pub fn doc(&self, n: u64) -> Doc {
        let mut rng = self.rng(0x0064_6f63, n);
        let akte = rng.random_range(0..self.akten);
        let (aktenzeichen, plan_code) = self.akte(akte);
        let unit = PLAN_CODES
            .iter()
            .find(|(p, _)| *p == plan_code)
            .map_or("Bürgerbüro", |(_, u)| u)
            .to_owned();
        let doc_type = zipf_pick(&mut rng, DOC_TYPES).to_owned();
        let received = first_day() + Duration::days(rng.random_range(0..SPAN_DAYS));
        let filed = received.and_hms_opt(8, 0, 0).unwrap_or_default().and_utc()
            + Duration::seconds(rng.random_range(0..10 * 86_400));
        let confidentiality = match rng.random_range(0..100) {
            0..90 => 0,
            90..98 => 1,
            _ => 2,
        };
        let first = zipf_pick(&mut rng, FIRST_NAMES);
        let surname = zipf_pick(&mut rng, SURNAMES);
        let (_, forms) = FAMILIES[rng.random_range(0..FAMILIES.len())];
        let title = format!("{doc_type} {} – {surname}, {first}", forms[0]);
        let target = rng.random_range(1024..5 * 1024);
        let body = self.body(
            &mut rng,
            &aktenzeichen,
            &unit,
            received,
            first,
            surname,
            target,
        );
        Doc {
            number: n,
            akte,
            aktenzeichen,
            plan_code,
            unit,
            doc_type,
            title,
            received,
            filed,
            confidentiality,
            body,
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn body(
        &self,
        rng: &mut StdRng,
        az: &str,
        unit: &str,
        received: NaiveDate,
        first: &str,
        surname: &str,
        target: usize,
    ) -> String {
        let salutation = if rng.random_bool(0.5) {
            "Sehr geehrte Frau"
        } else {
            "Sehr geehrter Herr"
        };
        let street = format!(
            "{}{} {}",
            zipf_pick(rng, STREETS),
            ["straße", "weg", "platz"][rng.random_range(0..3)],
            rng.random_range(1..120)
        );
        let mut out = format!(
            "Stadt Musterstadt – {unit}\nAktenzeichen: {az}\nDatum: {:02}.{:02}.{}\n\n\
             {first} {surname}\n{street}\n{} Musterstadt\n\n{salutation} {surname},\n\n",
            received.day(),
            received.month(),
            received.year(),
            rng.random_range(10_000..99_999),
        );
        let mut page_len = 0;
        while out.len() < target {
            let before = out.len();
            self.sentence(rng, &mut out, first, surname, &street);
            page_len += out.len() - before;
            if page_len > 2000 && rng.random_bool(0.5) {
                out.push('\u{c}');
                page_len = 0;
            }
        }
        out.push_str("\n\nMit freundlichen Grüßen\nIm Auftrag\n");
        out.push_str(zipf_pick(rng, FIRST_NAMES));
        out.push(' ');
        out.push_str(zipf_pick(rng, SURNAMES));
        out.push('\n');
        out
    }

    fn sentence(
        &self,
        rng: &mut StdRng,
        out: &mut String,
        first: &str,
        surname: &str,
        street: &str,
    ) {
        match rng.random_range(0..10) {
            0 => {
                let (_, forms) = FAMILIES[rng.random_range(0..FAMILIES.len())];
                out.push_str(&format!(
                    "Ihr Antrag auf {} vom {:02}.{:02}.{} wurde {}. ",
                    forms[0],
                    rng.random_range(1..29),
                    rng.random_range(1..13),
                    rng.random_range(2019..2027),
                    ["geprüft", "bearbeitet", "genehmigt", "abgelehnt"][rng.random_range(0..4)]
                ));
            }
            1 => out.push_str(&format!(
                "Die Gebühr beträgt {},{:02} Euro und ist unter dem Kassenzeichen {} zu zahlen. ",
                rng.random_range(5..200),
                rng.random_range(0..100),
                rng.random_range(1_000_000..9_999_999)
            )),
            2 => out.push_str(&format!(
                "{first} {surname}, wohnhaft {street}, hat die Unterlagen persönlich vorgelegt. "
            )),
            _ => {
                // Free text drawn from the Zipf vocabulary: the bulk of every document.
                let words = rng.random_range(6..18);
                for i in 0..words {
                    let w = self.vocab.draw(rng);
                    if i == 0 {
                        let mut chars = w.chars();
                        if let Some(c) = chars.next() {
                            out.extend(c.to_uppercase());
                            out.push_str(chars.as_str());
                        }
                    } else {
                        out.push(' ');
                        out.push_str(w);
                    }
                }
                out.push_str(if rng.random_range(0..8) == 0 {
                    ".\n"
                } else {
                    ". "
                });
            }
        }
    }
}

const FIELD: char = '\u{1f}';
const RECORD: u8 = 0x1e;

/// Writes documents `0..docs` to `path`; returns the raw text bytes (titles and bodies).
pub fn write_corpus(generator: &Generator, docs: u64, path: &Path) -> anyhow::Result<u64> {
    let mut out = BufWriter::new(std::fs::File::create(path)?);
    let mut text = 0;
    for n in 0..docs {
        let d = generator.doc(n);
        text += d.text_bytes();
        write!(
            out,
            "{}{FIELD}{}{FIELD}{}{FIELD}{}{FIELD}{}{FIELD}{}{FIELD}{}{FIELD}{}{FIELD}{}{FIELD}{}{FIELD}{}",
            d.number,
            d.akte,
            d.aktenzeichen,
            d.plan_code,
            d.unit,
            d.doc_type,
            d.title,
            d.received,
            d.filed.to_rfc3339(),
            d.confidentiality,
            d.body
        )?;
        out.write_all(&[RECORD])?;
    }
    out.flush()?;
    Ok(text)
}

/// Reads the documents of a corpus file one by one.
pub struct CorpusReader {
    input: BufReader<std::fs::File>,
    buf: Vec<u8>,
}

impl CorpusReader {
    /// Opens a corpus file written by [`write_corpus`].
    pub fn open(path: &Path) -> anyhow::Result<Self> {
        let file = std::fs::File::open(path).with_context(|| format!("open {}", path.display()))?;
        Ok(Self {
            input: BufReader::with_capacity(1 << 20, file),
            buf: Vec::new(),
        })
    }

    /// The next document, or `None` at the end.
    pub fn next_doc(&mut self) -> anyhow::Result<Option<Doc>> {
        self.buf.clear();
        if self.input.read_until(RECORD, &mut self.buf)? == 0 {
            return Ok(None);
        }
        if self.buf.last() == Some(&RECORD) {
            self.buf.pop();
        }
        let text = std::str::from_utf8(&self.buf).context("corpus record is not UTF-8")?;
        let f: Vec<&str> = text.splitn(11, FIELD).collect();
        anyhow::ensure!(f.len() == 11, "corpus record has {} fields", f.len());
        Ok(Some(Doc {
            number: f[0].parse()?,
            akte: f[1].parse()?,
            aktenzeichen: f[2].to_owned(),
            plan_code: f[3].to_owned(),
            unit: f[4].to_owned(),
            doc_type: f[5].to_owned(),
            title: f[6].to_owned(),
            received: f[7].parse()?,
            filed: DateTime::parse_from_rfc3339(f[8])?.with_timezone(&Utc),
            confidentiality: f[9].parse()?,
            body: f[10].to_owned(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(path: &Path) -> Vec<u8> {
        std::fs::read(path).unwrap()
    }

    #[test]
    fn same_seed_same_bytes_other_seed_other_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b, c) = (
            dir.path().join("a"),
            dir.path().join("b"),
            dir.path().join("c"),
        );
        let ta = write_corpus(&Generator::new(7, 200), 200, &a).unwrap();
        let tb = write_corpus(&Generator::new(7, 200), 200, &b).unwrap();
        write_corpus(&Generator::new(8, 200), 200, &c).unwrap();
        assert_eq!(ta, tb);
        assert_eq!(read_all(&a), read_all(&b));
        assert_ne!(read_all(&a), read_all(&c));
    }

    #[test]
    fn documents_are_one_to_five_kib_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("corpus");
        let generator = Generator::new(3, 300);
        write_corpus(&generator, 300, &path).unwrap();
        let mut reader = CorpusReader::open(&path).unwrap();
        let mut n = 0;
        while let Some(doc) = reader.next_doc().unwrap() {
            assert_eq!(doc, generator.doc(n));
            assert!(
                (1024..=6 * 1024).contains(&doc.body.len()),
                "{}",
                doc.body.len()
            );
            assert!(
                doc.aktenzeichen
                    .parse::<eakte_types::Aktenzeichen>()
                    .is_ok()
            );
            assert!(doc.aktenzeichen.starts_with(&doc.plan_code));
            n += 1;
        }
        assert_eq!(n, 300);
    }

    #[test]
    fn corpus_has_umlauts_and_sharp_s() {
        let generator = Generator::new(1, 100);
        let text: String = (0..100).map(|n| generator.doc(n).body).collect();
        for needle in ["straße", "ü", "ö", "ä", "ß"] {
            assert!(text.contains(needle), "{needle}");
        }
    }
}
