//! The baseline: the same corpus in SQLite FTS5 (rusqlite, bundled SQLite) and the same questions.

use std::path::Path;
use std::time::{Duration, Instant};

use rusqlite::{Connection, params};

use crate::corpus::CorpusReader;
use crate::queries::Query;

/// The database file inside an engine's directory.
pub fn db_path(dir: &Path) -> std::path::PathBuf {
    dir.join("fts.sqlite")
}

/// Builds the FTS5 table from a corpus file; returns the documents indexed. The build ends with
/// FTS5's `optimize`, which merges all b-trees into one, as a finished index would be.
pub fn build(corpus: &Path, dir: &Path) -> anyhow::Result<u64> {
    let conn = Connection::open(db_path(dir))?;
    // The fastest settings a bulk load may use: the baseline should not lose on durability it
    // was not asked for. The page cache is as large as eakte's writer buffer.
    conn.execute_batch(
        "PRAGMA journal_mode = OFF;
         PRAGMA synchronous = OFF;
         PRAGMA cache_size = -131072;
         CREATE VIRTUAL TABLE docs USING fts5(
             title, body, az,
             plan UNINDEXED, type UNINDEXED, received UNINDEXED,
             tokenize = 'unicode61 remove_diacritics 2');",
    )?;
    let mut reader = CorpusReader::open(corpus)?;
    let mut count = 0u64;
    loop {
        let tx = conn.unchecked_transaction()?;
        let mut batch = 0;
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO docs(rowid, title, body, az, plan, type, received)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?;
            while batch < 10_000 {
                let Some(doc) = reader.next_doc()? else { break };
                insert.execute(params![
                    doc.number as i64 + 1,
                    doc.title,
                    doc.body,
                    doc.aktenzeichen,
                    doc.plan_code,
                    doc.doc_type,
                    doc.received.to_string(),
                ])?;
                batch += 1;
            }
        }
        tx.commit()?;
        count += batch;
        if batch < 10_000 {
            break;
        }
    }
    conn.execute("INSERT INTO docs(docs) VALUES ('optimize')", [])?;
    drop(conn);
    Ok(count)
}

/// The answer of one engine to one query.
#[derive(Debug, Clone, Copy)]
pub struct Answer {
    /// Top-10 plus the count, end to end.
    pub latency: Duration,
    /// Documents matching.
    pub total: u64,
    /// Hits returned (at most 10).
    pub hits: usize,
}

/// The WHERE clause both statements share; metadata conditions are NULL when unused.
const WHERE: &str = "docs MATCH ?1
    AND (?2 IS NULL OR plan = ?2 OR plan LIKE ?2 || '.%')
    AND (?3 IS NULL OR type = ?3)
    AND (?4 IS NULL OR received >= ?4)
    AND (?5 IS NULL OR received <= ?5)";

/// Runs every query (top 10 by bm25 rank, then the count) and times each.
pub fn search(dir: &Path, queries: &[Query]) -> anyhow::Result<Vec<Answer>> {
    let conn = Connection::open(db_path(dir))?;
    conn.execute_batch("PRAGMA cache_size = -131072;")?;
    let mut top = conn.prepare(&format!(
        "SELECT rowid FROM docs WHERE {WHERE} ORDER BY rank LIMIT 10"
    ))?;
    let mut count = conn.prepare(&format!("SELECT count(*) FROM docs WHERE {WHERE}"))?;
    let mut out = Vec::with_capacity(queries.len());
    for q in queries {
        let c = &q.conditions;
        let from = c.received.map(|(f, _)| f.to_string());
        let to = c.received.map(|(_, t)| t.to_string());
        let args = params![q.fts, c.plan_prefix, c.doc_type, from, to];
        let start = Instant::now();
        let hits = top
            .query_map(args, |row| row.get::<_, i64>(0))?
            .collect::<Result<Vec<_>, _>>()?;
        let total: i64 = count.query_row(args, |row| row.get(0))?;
        out.push(Answer {
            latency: start.elapsed(),
            total: total as u64,
            hits: hits.len(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus::{Generator, write_corpus};
    use crate::queries::{Conditions, Kind};

    #[test]
    fn builds_and_answers_with_filters() {
        let dir = tempfile::tempdir().unwrap();
        let corpus = dir.path().join("corpus");
        let generator = Generator::new(4, 300);
        write_corpus(&generator, 300, &corpus).unwrap();
        assert_eq!(build(&corpus, dir.path()).unwrap(), 300);
        let doc = generator.doc(17);
        let surname = doc
            .title
            .rsplit(", ")
            .nth(1)
            .unwrap()
            .rsplit(' ')
            .next()
            .unwrap();
        let expected_with_type = (0..300)
            .map(|n| generator.doc(n))
            .filter(|d| d.title.contains(surname) || d.body.contains(surname))
            .filter(|d| d.doc_type == doc.doc_type)
            .count() as u64;
        let q = |fts: String, conditions: Conditions| Query {
            kind: Kind::FilterType,
            eakte: String::new(),
            fts,
            conditions,
        };
        let tokens: Vec<&str> = doc
            .aktenzeichen
            .split(|c: char| !c.is_ascii_digit())
            .collect();
        let answers = search(
            dir.path(),
            &[
                q(
                    format!("\"{surname}\""),
                    Conditions {
                        doc_type: Some(doc.doc_type.clone()),
                        ..Conditions::default()
                    },
                ),
                q(
                    format!("az : \"{}\"", tokens.join(" ")),
                    Conditions::default(),
                ),
            ],
        )
        .unwrap();
        // Substring counting may see a surname inside a longer one; FTS5 sees whole tokens only.
        assert!(answers[0].total >= 1 && answers[0].total <= expected_with_type);
        let same_akte = (0..300)
            .filter(|n| generator.doc(*n).akte == doc.akte)
            .count() as u64;
        assert_eq!(answers[1].total, same_akte);
        assert_eq!(answers[1].hits as u64, same_akte.min(10));
    }
}
