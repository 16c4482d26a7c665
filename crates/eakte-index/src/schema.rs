//! The tantivy schema: which field is indexed how, stored or fast, and the conversion of an
//! [`IndexDoc`] into a tantivy document.

use chrono::{NaiveDate, NaiveTime};
use tantivy::schema::{
    DateOptions, DateTimePrecision, FAST, Field, INDEXED, IndexRecordOption, STORED, STRING,
    Schema, TextFieldIndexing, TextOptions,
};
use tantivy::{DateTime, TantivyDocument};

use crate::analysis;
use crate::model::IndexDoc;

/// Language code under which a document's text is analysed as English.
pub(crate) const ENGLISH_CODE: &str = "eng";
/// Status value of documents in the inbox.
pub(crate) const INBOX: &str = "inbox";

/// Handles of every field of the schema.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fields {
    /// `document_id/version`: the unit's identity, for replacing it.
    pub key: Field,
    pub doc_id: Field,
    pub version: Field,
    pub az: Field,
    pub plan: Field,
    /// Every prefix of the plan code, so plan-prefix searches are one term lookup.
    pub plan_prefix: Field,
    pub title: Field,
    pub text_de: Field,
    pub text_en: Field,
    pub parts: Field,
    pub words: Field,
    /// The page texts, stored only, for snippets.
    pub body: Field,
    pub doc_type: Field,
    pub unit: Field,
    pub lang: Field,
    pub status: Field,
    pub conf: Field,
    pub received: Field,
    pub filed: Field,
}

fn text(analyzer: &str, record: IndexRecordOption) -> TextOptions {
    TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(analyzer)
            .set_index_option(record),
    )
}

/// The schema and its field handles.
pub(crate) fn build() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let date = || {
        DateOptions::from(INDEXED)
            .set_fast()
            .set_precision(DateTimePrecision::Seconds)
    };
    // Positions are kept only where phrases are searched: title and the two text fields.
    // Compound parts keep frequencies for ranking; folded words only doc ids, because
    // prefix and fuzzy matches are scored as constants anyway.
    let fields = Fields {
        key: b.add_text_field("key", STRING),
        doc_id: b.add_text_field("doc_id", STRING | STORED),
        version: b.add_u64_field("version", STORED),
        az: b.add_text_field("az", STRING | STORED),
        plan: b.add_text_field("plan", STRING | STORED),
        plan_prefix: b.add_text_field("plan_prefix", STRING),
        title: b.add_text_field(
            "title",
            text(analysis::GERMAN, IndexRecordOption::WithFreqsAndPositions).set_stored(),
        ),
        text_de: b.add_text_field(
            "text_de",
            text(analysis::GERMAN, IndexRecordOption::WithFreqsAndPositions),
        ),
        text_en: b.add_text_field(
            "text_en",
            text(analysis::ENGLISH, IndexRecordOption::WithFreqsAndPositions),
        ),
        parts: b.add_text_field("parts", text(analysis::PARTS, IndexRecordOption::WithFreqs)),
        words: b.add_text_field("words", text(analysis::FOLDED, IndexRecordOption::Basic)),
        body: b.add_text_field("body", TextOptions::default().set_stored()),
        doc_type: b.add_text_field(
            "doc_type",
            text(analysis::KEYWORD, IndexRecordOption::Basic).set_stored(),
        ),
        unit: b.add_text_field("unit", STRING),
        lang: b.add_text_field("lang", text(analysis::KEYWORD, IndexRecordOption::Basic)),
        status: b.add_text_field("status", STRING),
        conf: b.add_u64_field("conf", INDEXED | FAST),
        received: b.add_date_field("received", date().set_stored()),
        filed: b.add_date_field("filed", date()),
    };
    (b.build(), fields)
}

/// The identity of one unit in the `key` field.
pub(crate) fn unit_key(doc_id: &impl std::fmt::Display, version: u32) -> String {
    format!("{doc_id}/{version}")
}

/// Seconds since 1970 that a tantivy date holds (it counts nanoseconds in an i64: the years
/// 1677 to 2262).
const DATE_SECONDS: std::ops::RangeInclusive<i64> =
    -(i64::MAX / 1_000_000_000)..=i64::MAX / 1_000_000_000;

/// A day as the tantivy date of its midnight (UTC); days beyond what tantivy can hold become its
/// first or last representable moment, so that a range from the year 416 means "from the start".
pub(crate) fn day(date: NaiveDate) -> DateTime {
    let seconds = date.and_time(NaiveTime::MIN).and_utc().timestamp();
    DateTime::from_timestamp_secs(seconds.clamp(*DATE_SECONDS.start(), *DATE_SECONDS.end()))
}

/// The day of a tantivy date (UTC).
pub(crate) fn to_day(date: DateTime) -> Option<NaiveDate> {
    chrono::DateTime::from_timestamp(date.into_timestamp_secs(), 0).map(|d| d.date_naive())
}

/// Numeric rank of a confidentiality level in the `conf` field.
pub(crate) fn conf_rank(level: eakte_types::Confidentiality) -> u64 {
    use eakte_types::Confidentiality as C;
    match level {
        C::Offen => 0,
        C::Nfd => 1,
        C::Vertraulich => 2,
    }
}

/// Separator between pages in the stored body; a blank line keeps snippets from running one
/// page's last word into the next page's first.
pub(crate) const PAGE_BREAK: &str = "\n\n";

impl Fields {
    /// The tantivy document of one unit.
    pub(crate) fn document(&self, doc: &IndexDoc) -> TantivyDocument {
        let mut d = TantivyDocument::new();
        let id = doc.document_id.to_string();
        d.add_text(self.key, unit_key(&id, doc.version));
        d.add_text(self.doc_id, &id);
        d.add_u64(self.version, u64::from(doc.version));
        if let Some(az) = &doc.aktenzeichen {
            d.add_text(self.az, az.to_string());
        }
        if let Some(plan) = &doc.plan_code {
            let code = plan.as_str();
            d.add_text(self.plan, code);
            for (i, _) in code.char_indices().skip(1) {
                d.add_text(self.plan_prefix, &code[..i]);
            }
            d.add_text(self.plan_prefix, code);
        }
        d.add_text(self.title, &doc.title);
        let english = doc.language.as_deref() == Some(ENGLISH_CODE);
        let text_field = if english { self.text_en } else { self.text_de };
        for page in &doc.pages {
            d.add_text(text_field, page);
            d.add_text(self.words, page);
            if !english {
                d.add_text(self.parts, page);
            }
        }
        d.add_text(self.words, &doc.title);
        d.add_text(self.parts, &doc.title);
        d.add_text(self.body, doc.pages.join(PAGE_BREAK));
        if let Some(t) = &doc.doc_type {
            d.add_text(self.doc_type, t);
        }
        if let Some(unit) = &doc.unit {
            d.add_text(self.unit, unit);
        }
        d.add_text(self.lang, doc.language.as_deref().unwrap_or("und"));
        let status = doc.akte_status.map_or(INBOX, |s| s.as_str());
        d.add_text(self.status, status);
        d.add_u64(self.conf, conf_rank(doc.confidentiality));
        if let Some(received) = doc.received {
            d.add_date(self.received, day(received));
        }
        d.add_date(
            self.filed,
            DateTime::from_timestamp_secs(doc.filed.timestamp()),
        );
        d
    }
}
