//! Turns a parsed query and a [`Filter`] into tantivy queries over the schema.

use std::cell::Cell;
use std::collections::BTreeSet;
use std::ops::Bound;

use chrono::NaiveDate;
use eakte_types::Aktenzeichen;
use tantivy::Searcher;
use tantivy::Term;
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, EmptyQuery, FuzzyTermQuery, Occur,
    PhraseQuery, Query, RangeQuery, TermQuery, TermSetQuery,
};
use tantivy::schema::{Field, IndexRecordOption};

use crate::analysis::{Analysis, Analyzers};
use crate::error::IndexError;
use crate::model::Filter;
use crate::query::parse::{DateField, KeywordField, Node, PlanMatch, Scope, TextTerm, parse_plan};
use crate::schema::{self, Fields};

/// Weight of a title match relative to a text match.
const TITLE_BOOST: f32 = 1.5;
/// Weight of a compound-part match: well below an exact word, so documents containing the
/// word itself rank first.
const PARTS_BOOST: f32 = 0.2;
/// Weight of an exact Aktenzeichen match for a bare query that looks like one.
const AZ_BOOST: f32 = 3.0;
/// A prefix expanding to more distinct words than this is refused: it would make one query
/// as expensive as scanning the index.
pub(crate) const MAX_PREFIX_TERMS: usize = 2048;
/// All prefixes of one query together expand to at most this many words, so that many short
/// prefixes cannot add up to a scan of the index.
pub(crate) const MAX_EXPANDED_TERMS: usize = 8192;
/// Fuzzy words in one query at most: each walks the term dictionary with an automaton.
pub(crate) const MAX_FUZZY_TERMS: usize = 8;

type BoxQuery = Box<dyn Query>;

/// Builds queries against one searcher (prefixes expand over its term dictionaries).
pub(crate) struct Builder<'a> {
    pub fields: &'a Fields,
    pub analyzers: &'a Analyzers,
    pub searcher: &'a Searcher,
    /// Words prefixes of this query expanded to so far.
    pub expanded: Cell<usize>,
    /// Fuzzy words in this query so far.
    pub fuzzy: Cell<usize>,
}

fn term(field: Field, text: &str, record: IndexRecordOption) -> BoxQuery {
    Box::new(TermQuery::new(Term::from_field_text(field, text), record))
}

fn boost(query: BoxQuery, by: f32) -> BoxQuery {
    Box::new(BoostQuery::new(query, by))
}

fn any(clauses: Vec<BoxQuery>) -> BoxQuery {
    match clauses.len() {
        0 => Box::new(EmptyQuery),
        1 => clauses
            .into_iter()
            .next()
            .unwrap_or_else(|| Box::new(EmptyQuery)),
        _ => Box::new(BooleanQuery::new(
            clauses.into_iter().map(|q| (Occur::Should, q)).collect(),
        )),
    }
}

fn all(clauses: Vec<BoxQuery>) -> BoxQuery {
    Box::new(BooleanQuery::new(
        clauses.into_iter().map(|q| (Occur::Must, q)).collect(),
    ))
}

/// Every document except those matching `query`.
fn not(query: BoxQuery) -> BoxQuery {
    Box::new(BooleanQuery::new(vec![
        (Occur::Must, Box::new(AllQuery) as BoxQuery),
        (Occur::MustNot, query),
    ]))
}

/// Dates `from..=to` as a half-open range over day starts.
fn date_range(field: Field, from: Option<NaiveDate>, to: Option<NaiveDate>) -> BoxQuery {
    let lower = from.map_or(Bound::Unbounded, |d| {
        Bound::Included(Term::from_field_date(field, schema::day(d)))
    });
    // Up to the end of the last day: before the next day's midnight, unless both lie beyond
    // what the index holds and are one moment there, which the range must then include.
    let upper = to.map_or(Bound::Unbounded, |d| {
        let last = schema::day(d);
        match d.succ_opt().map(schema::day) {
            Some(next) if next != last => Bound::Excluded(Term::from_field_date(field, next)),
            _ => Bound::Included(Term::from_field_date(field, last)),
        }
    });
    Box::new(RangeQuery::new(lower, upper))
}

impl Builder<'_> {
    /// The tantivy query of a syntax tree; `None` when nothing in it is searchable (such as a
    /// query of punctuation only).
    pub(crate) fn query(&self, node: &Node) -> Result<Option<BoxQuery>, IndexError> {
        Ok(match node {
            Node::And(items) => {
                let mut clauses = Vec::new();
                let mut positive = false;
                for item in items {
                    if let Node::Not(inner) = item {
                        if let Some(q) = self.query(inner)? {
                            clauses.push((Occur::MustNot, q));
                        }
                    } else if let Some(q) = self.query(item)? {
                        positive = true;
                        clauses.push((Occur::Must, q));
                    }
                }
                if clauses.is_empty() {
                    None
                } else {
                    if !positive {
                        clauses.push((Occur::Must, Box::new(AllQuery)));
                    }
                    Some(Box::new(BooleanQuery::new(clauses)))
                }
            }
            Node::Or(items) => {
                let mut clauses = Vec::new();
                for item in items {
                    if let Some(q) = self.query(item)? {
                        clauses.push(q);
                    }
                }
                (!clauses.is_empty()).then(|| any(clauses))
            }
            Node::Not(inner) => self.query(inner)?.map(not),
            Node::Text { scope, term, pos } => self.text(*scope, term, *pos)?,
            Node::Az(az) => Some(term(self.fields.az, az, IndexRecordOption::Basic)),
            Node::Plan(code, kind) => Some(self.plan(code, *kind)),
            Node::Keyword(field, value) => Some(self.keyword(*field, value)),
            Node::Conf(level) => Some(Box::new(TermQuery::new(
                Term::from_field_u64(self.fields.conf, schema::conf_rank(*level)),
                IndexRecordOption::Basic,
            ))),
            Node::Date { field, from, to } => {
                let field = match field {
                    DateField::Received => self.fields.received,
                    DateField::Filed => self.fields.filed,
                };
                Some(date_range(field, *from, *to))
            }
        })
    }

    fn plan(&self, code: &str, kind: PlanMatch) -> BoxQuery {
        let f = self.fields;
        let basic = IndexRecordOption::Basic;
        match kind {
            PlanMatch::Exact => term(f.plan, code, basic),
            PlanMatch::StartsWith => term(f.plan_prefix, code, basic),
            PlanMatch::WithChildren => any(vec![
                term(f.plan, code, basic),
                term(f.plan_prefix, &format!("{code}."), basic),
            ]),
        }
    }

    fn keyword(&self, field: KeywordField, value: &str) -> BoxQuery {
        let f = self.fields;
        let basic = IndexRecordOption::Basic;
        let lowered = || {
            self.analyzers
                .terms(Analysis::Keyword, value)
                .into_iter()
                .next()
                .unwrap_or_default()
        };
        match field {
            KeywordField::Type => term(f.doc_type, &lowered(), basic),
            KeywordField::Lang => term(f.lang, &lowered(), basic),
            KeywordField::Unit => term(f.unit, value, basic),
            KeywordField::Status => term(f.status, value, basic),
        }
    }

    fn text(&self, scope: Scope, t: &TextTerm, pos: usize) -> Result<Option<BoxQuery>, IndexError> {
        match t {
            TextTerm::Word(w) => {
                let mut clauses = Vec::new();
                if scope == Scope::All && w.parse::<Aktenzeichen>().is_ok() {
                    clauses.push(boost(
                        term(self.fields.az, w, IndexRecordOption::Basic),
                        AZ_BOOST,
                    ));
                }
                if let Some(q) = self.words(scope, w) {
                    clauses.push(q);
                }
                Ok((!clauses.is_empty()).then(|| any(clauses)))
            }
            TextTerm::Phrase(p) => Ok(self.words(scope, p)),
            TextTerm::Prefix(p) => self.prefix(p, pos).map(Some),
            TextTerm::Fuzzy(w, distance) => {
                let folded = self.single_folded(w, pos)?;
                if folded.chars().count() < 3 {
                    return Err(IndexError::query(
                        "a fuzzy search needs at least three letters",
                        pos,
                    ));
                }
                self.fuzzy.set(self.fuzzy.get() + 1);
                if self.fuzzy.get() > MAX_FUZZY_TERMS {
                    return Err(IndexError::query(
                        format!("a query may have at most {MAX_FUZZY_TERMS} fuzzy words"),
                        pos,
                    ));
                }
                let t = Term::from_field_text(self.fields.words, &folded);
                Ok(Some(Box::new(FuzzyTermQuery::new(t, *distance, true))))
            }
        }
    }

    /// A word or phrase in the text fields of `scope`: one term per field, or a phrase per
    /// field when the text analyses to several terms.
    fn words(&self, scope: Scope, text: &str) -> Option<BoxQuery> {
        let f = self.fields;
        let de = self.analyzers.terms(Analysis::German, text);
        if de.is_empty() {
            return None;
        }
        let en = self.analyzers.terms(Analysis::English, text);
        let in_field = |field: Field, terms: &[String]| -> BoxQuery {
            match terms {
                [] => Box::new(EmptyQuery),
                [one] => term(field, one, IndexRecordOption::WithFreqs),
                many => Box::new(PhraseQuery::new(
                    many.iter()
                        .map(|t| Term::from_field_text(field, t))
                        .collect(),
                )),
            }
        };
        let mut clauses = Vec::new();
        if scope != Scope::Text {
            clauses.push(boost(in_field(f.title, &de), TITLE_BOOST));
        }
        if scope != Scope::Title {
            clauses.push(in_field(f.text_de, &de));
            clauses.push(in_field(f.text_en, &en));
            // Compound parts have no positions; a single word is looked up by all its parts.
            // The parts field holds only the parts of compounds, so a part of a compound
            // query word may also stand alone, in the text or the title.
            if de.len() == 1 {
                let parts = self.analyzers.terms(Analysis::Parts, text);
                let part = |p: &String| -> BoxQuery {
                    let in_compound = term(f.parts, p, IndexRecordOption::WithFreqs);
                    if parts.len() == 1 {
                        // A word that does not split is its own German stem; alone it is
                        // matched by the text clause already.
                        return in_compound;
                    }
                    any(vec![
                        in_compound,
                        term(f.text_de, p, IndexRecordOption::WithFreqs),
                        term(f.title, p, IndexRecordOption::WithFreqs),
                    ])
                };
                if !parts.is_empty() {
                    let parts = parts.iter().map(part).collect();
                    clauses.push(boost(all(parts), PARTS_BOOST));
                }
            }
        }
        Some(any(clauses))
    }

    fn single_folded(&self, word: &str, pos: usize) -> Result<String, IndexError> {
        let mut folded = self.analyzers.terms(Analysis::Folded, word);
        match folded.len() {
            1 => Ok(folded.remove(0)),
            _ => Err(IndexError::query(
                "prefix and fuzzy searches take a single word of letters or digits",
                pos,
            )),
        }
    }

    /// A prefix, expanded over the folded words of every segment.
    fn prefix(&self, word: &str, pos: usize) -> Result<BoxQuery, IndexError> {
        let folded = self.single_folded(word, pos)?;
        if folded.chars().count() < 2 {
            return Err(IndexError::query(
                "a prefix search needs at least two letters",
                pos,
            ));
        }
        let field = self.fields.words;
        let mut upper = folded.clone().into_bytes();
        // Every term with the prefix sorts below the prefix with its last byte incremented;
        // UTF-8 never contains the byte 0xFF, so the increment cannot overflow.
        if let Some(last) = upper.last_mut() {
            *last = last.saturating_add(1);
        }
        let mut found = BTreeSet::new();
        for segment in self.searcher.segment_readers() {
            let inverted = segment.inverted_index(field)?;
            let mut stream = inverted
                .terms()
                .range()
                .ge(folded.as_bytes())
                .lt(&upper)
                .into_stream()?;
            while stream.advance() {
                found.insert(stream.key().to_vec());
                if found.len() > MAX_PREFIX_TERMS {
                    return Err(IndexError::query(
                        format!("prefix {word:?} matches too many words; type more letters"),
                        pos,
                    ));
                }
            }
        }
        self.expanded.set(self.expanded.get() + found.len());
        if self.expanded.get() > MAX_EXPANDED_TERMS {
            return Err(IndexError::query(
                "the prefixes of this query match too many words together; type more letters",
                pos,
            ));
        }
        let terms: Vec<Term> = found
            .iter()
            .filter_map(|bytes| std::str::from_utf8(bytes).ok())
            .map(|t| Term::from_field_text(field, t))
            .collect();
        Ok(Box::new(ConstScoreQuery::new(
            Box::new(TermSetQuery::new(terms)),
            1.0,
        )))
    }

    /// The restrictions of a filter; every query returned must match.
    pub(crate) fn filter(&self, filter: &Filter) -> Result<Vec<BoxQuery>, IndexError> {
        let f = self.fields;
        let mut out = Vec::new();
        if let Some(pattern) = &filter.plan_code {
            let (code, kind) = parse_plan(pattern).map_err(IndexError::Filter)?;
            out.push(self.plan(&code, kind));
        }
        if let Some(units) = &filter.units {
            out.push(any(units
                .iter()
                .map(|u| term(f.unit, u, IndexRecordOption::Basic))
                .collect()));
        }
        if let Some(t) = &filter.doc_type {
            out.push(self.keyword(KeywordField::Type, t));
        }
        if filter.received_from.is_some() || filter.received_to.is_some() {
            out.push(date_range(
                f.received,
                filter.received_from,
                filter.received_to,
            ));
        }
        if filter.filed_from.is_some() || filter.filed_to.is_some() {
            out.push(date_range(f.filed, filter.filed_from, filter.filed_to));
        }
        if let Some(level) = filter.max_confidentiality {
            out.push(Box::new(RangeQuery::new(
                Bound::Included(Term::from_field_u64(f.conf, 0)),
                Bound::Included(Term::from_field_u64(f.conf, schema::conf_rank(level))),
            )));
        }
        Ok(out)
    }
}
