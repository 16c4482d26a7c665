//! The query language, filters, sorting, pagination, totals, snippets and errors.

mod common;

use chrono::NaiveDate;
use common::{doc, ids, index_with, search};
use eakte_index::{Filter, IndexDoc, IndexError, SearchIndex, SearchRequest, Sort};
use eakte_types::{AkteStatus, Confidentiality, DokumentId};

fn sorted(mut v: Vec<DokumentId>) -> Vec<DokumentId> {
    v.sort();
    v
}

/// Four documents with different metadata, for field and filter tests.
fn corpus() -> (tempfile::TempDir, SearchIndex, Vec<IndexDoc>) {
    let mut a = doc(
        "Anmeldung Wohnsitz",
        "Anmeldung des Hauptwohnsitzes von Frau Müller.",
    );
    let mut b = doc(
        "Gewerbeanmeldung",
        "Gewerbe angemeldet: Bäckerei Schmidt, Anmeldung vollständig.",
    );
    let mut c = doc(
        "Bescheid Gebühren",
        "Gebührenbescheid über die Meldebescheinigung.",
    );
    let mut d = doc(
        "Reisepass",
        "Antrag auf einen Reisepass, Abholung im Bürgerbüro.",
    );
    a.plan_code = Some("33".parse().unwrap());
    b.plan_code = Some("33.10".parse().unwrap());
    c.plan_code = Some("330".parse().unwrap());
    d.plan_code = Some("34.2".parse().unwrap());
    b.doc_type = Some("Antrag".into());
    d.doc_type = Some("Antrag".into());
    c.unit = Some("FB32".into());
    d.unit = Some("FB34".into());
    b.confidentiality = Confidentiality::Nfd;
    c.confidentiality = Confidentiality::Vertraulich;
    a.received = NaiveDate::from_ymd_opt(2026, 1, 10);
    b.received = NaiveDate::from_ymd_opt(2026, 2, 3);
    c.received = NaiveDate::from_ymd_opt(2026, 3, 31);
    d.received = None;
    c.akte_status = Some(AkteStatus::Closed);
    d.akte_status = None;
    d.aktenzeichen = None;
    let docs = vec![a, b, c, d];
    let (dir, index) = index_with(&docs);
    (dir, index, docs)
}

fn id(docs: &[IndexDoc], i: usize) -> DokumentId {
    docs[i].document_id
}

#[test]
fn words_are_anded_phrases_and_boolean_operators() {
    let (_dir, index, docs) = corpus();
    assert_eq!(ids(&index, "Anmeldung Müller"), vec![id(&docs, 0)]);
    assert_eq!(
        sorted(ids(&index, "Müller OR Schmidt")),
        sorted(vec![id(&docs, 0), id(&docs, 1)])
    );
    assert_eq!(ids(&index, "\"Frau Müller\""), vec![id(&docs, 0)]);
    assert!(ids(&index, "\"Müller Frau\"").is_empty());
    assert_eq!(ids(&index, "Anmeldung -Müller"), vec![id(&docs, 1)]);
    assert_eq!(ids(&index, "Anmeldung NOT Müller"), vec![id(&docs, 1)]);
    assert_eq!(ids(&index, "Anmeldung AND Schmidt"), vec![id(&docs, 1)]);
    assert_eq!(
        sorted(ids(&index, "(Müller OR Reisepass) AND NOT Schmidt")),
        sorted(vec![id(&docs, 0), id(&docs, 3)])
    );
    assert_eq!(search(&index, "NOT Anmeldung").total, 2);
}

#[test]
fn field_queries() {
    let (_dir, index, docs) = corpus();
    assert_eq!(ids(&index, "title:Reisepass"), vec![id(&docs, 3)]);
    assert!(ids(&index, "title:Abholung").is_empty());
    assert_eq!(ids(&index, "text:Abholung"), vec![id(&docs, 3)]);
    assert_eq!(ids(&index, "plan:33.10"), vec![id(&docs, 1)]);
    assert_eq!(
        sorted(ids(&index, "plan:33.*")),
        sorted(vec![id(&docs, 0), id(&docs, 1)])
    );
    assert_eq!(
        sorted(ids(&index, "plan:33*")),
        sorted(vec![id(&docs, 0), id(&docs, 1), id(&docs, 2)])
    );
    assert_eq!(
        sorted(ids(&index, "type:antrag")),
        sorted(vec![id(&docs, 1), id(&docs, 3)])
    );
    assert_eq!(ids(&index, "unit:FB32"), vec![id(&docs, 2)]);
    assert_eq!(ids(&index, "status:closed"), vec![id(&docs, 2)]);
    assert_eq!(ids(&index, "status:inbox"), vec![id(&docs, 3)]);
    assert_eq!(ids(&index, "conf:nfd"), vec![id(&docs, 1)]);
    assert_eq!(search(&index, "lang:deu").total, 4);
}

#[test]
fn prefix_and_fuzzy() {
    let (_dir, index, docs) = corpus();
    assert_eq!(
        sorted(ids(&index, "Anmeld*")),
        sorted(vec![id(&docs, 0), id(&docs, 1)])
    );
    assert_eq!(ids(&index, "Meldebescheinigng~"), vec![id(&docs, 2)]);
    assert!(ids(&index, "Meldebescheingng~").is_empty());
    assert_eq!(ids(&index, "Meldebescheingng~2"), vec![id(&docs, 2)]);
    let err = index.search(&SearchRequest::new("a*", 10)).unwrap_err();
    assert!(
        matches!(err, IndexError::Query { position: 0, .. }),
        "{err}"
    );
    // Nine fuzzy words are one too many for a query.
    let nine = ["Anmeldung~"; 9].join(" OR ");
    let err = index.search(&SearchRequest::new(nine, 10)).unwrap_err();
    assert!(matches!(err, IndexError::Query { .. }), "{err}");
    assert!(err.to_string().contains("fuzzy"), "{err}");
}

#[test]
fn the_prefixes_of_one_query_share_a_budget() {
    // Five groups of 2,000 words each: every prefix alone is within its own limit, together
    // they expand past the query's budget.
    let text: Vec<String> = ["qa", "qb", "qc", "qd", "qe"]
        .iter()
        .flat_map(|p| (0..2000).map(move |n| format!("{p}{n:04}")))
        .collect();
    let (_dir, index) = index_with(&[doc("Wortliste", &text.join(" "))]);
    assert_eq!(search(&index, "qa*").total, 1);
    assert_eq!(search(&index, "qa* OR qb* OR qc* OR qd*").total, 1);
    let err = index
        .search(&SearchRequest::new("qa* OR qb* OR qc* OR qd* OR qe*", 10))
        .unwrap_err();
    assert!(
        matches!(err, IndexError::Query { .. }) && err.to_string().contains("together"),
        "{err}"
    );
}

#[test]
fn date_queries() {
    let (_dir, index, docs) = corpus();
    assert_eq!(ids(&index, "received:2026-02-03"), vec![id(&docs, 1)]);
    assert_eq!(
        sorted(ids(&index, "received:[2026-01-01 TO 2026-02-03]")),
        sorted(vec![id(&docs, 0), id(&docs, 1)])
    );
    assert_eq!(
        ids(&index, "received:[2026-03-31 TO *]"),
        vec![id(&docs, 2)]
    );
    assert_eq!(search(&index, "filed:[2026-02-04 TO 2026-02-04]").total, 4);
    assert_eq!(search(&index, "filed:[2026-02-05 TO *]").total, 0);
}

#[test]
fn filters_restrict_without_changing_order() {
    let (_dir, index, docs) = corpus();
    // A filter that keeps every hit leaves the scored order as it was.
    let order = |filter: Filter| -> Vec<DokumentId> {
        let mut r = SearchRequest::new("Anmeldung OR Reisepass OR Bescheid", 100);
        r.filter = filter;
        index
            .search(&r)
            .unwrap()
            .hits
            .iter()
            .map(|h| h.document_id)
            .collect()
    };
    let unfiltered = order(Filter::default());
    assert!(unfiltered.len() >= 3, "{unfiltered:?}");
    assert_eq!(
        order(Filter {
            max_confidentiality: Some(Confidentiality::Vertraulich),
            ..Filter::default()
        }),
        unfiltered
    );
    let with = |filter: Filter| {
        let mut r = SearchRequest::new("NOT zzzz", 100);
        r.filter = filter;
        sorted(
            index
                .search(&r)
                .unwrap()
                .hits
                .iter()
                .map(|h| h.document_id)
                .collect(),
        )
    };
    assert_eq!(
        with(Filter {
            plan_code: Some("33.*".into()),
            ..Filter::default()
        }),
        sorted(vec![id(&docs, 0), id(&docs, 1)])
    );
    assert_eq!(
        with(Filter {
            units: Some(vec!["FB32".into(), "FB34".into()]),
            ..Filter::default()
        }),
        sorted(vec![id(&docs, 2), id(&docs, 3)])
    );
    assert!(
        with(Filter {
            units: Some(vec![]),
            ..Filter::default()
        })
        .is_empty()
    );
    assert_eq!(
        with(Filter {
            max_confidentiality: Some(Confidentiality::Offen),
            ..Filter::default()
        }),
        sorted(vec![id(&docs, 0), id(&docs, 3)])
    );
    assert_eq!(
        with(Filter {
            doc_type: Some("ANTRAG".into()),
            received_from: NaiveDate::from_ymd_opt(2026, 2, 1),
            ..Filter::default()
        }),
        vec![id(&docs, 1)]
    );
    assert_eq!(
        with(Filter {
            received_to: NaiveDate::from_ymd_opt(2026, 1, 10),
            filed_from: NaiveDate::from_ymd_opt(2026, 2, 4),
            filed_to: NaiveDate::from_ymd_opt(2026, 2, 4),
            ..Filter::default()
        }),
        vec![id(&docs, 0)]
    );
    let mut bad = SearchRequest::new("Anmeldung", 10);
    bad.filter.plan_code = Some("x.1".into());
    assert!(matches!(index.search(&bad), Err(IndexError::Filter(_))));
}

#[test]
fn sort_pagination_and_total() {
    let (_dir, index, docs) = corpus();
    let page = |sort: Sort, offset: usize, limit: usize| {
        let mut r = SearchRequest::new("NOT zzzz", limit);
        r.sort = sort;
        r.offset = offset;
        let res = index.search(&r).unwrap();
        (
            res.total,
            res.hits.iter().map(|h| h.document_id).collect::<Vec<_>>(),
        )
    };
    let (total, newest) = page(Sort::ReceivedNewest, 0, 3);
    assert_eq!(total, 4);
    assert_eq!(newest, vec![id(&docs, 2), id(&docs, 1), id(&docs, 0)]);
    let (_, oldest) = page(Sort::ReceivedOldest, 0, 3);
    assert_eq!(oldest, vec![id(&docs, 0), id(&docs, 1), id(&docs, 2)]);
    let (_, second) = page(Sort::ReceivedNewest, 1, 1);
    assert_eq!(second, vec![id(&docs, 1)]);
    let (total, none) = page(Sort::Relevance, 0, 0);
    assert_eq!((total, none.len()), (4, 0));
    let (total, rest) = page(Sort::FiledNewest, 3, 10);
    assert_eq!((total, rest.len()), (4, 1));
}

#[test]
fn hits_carry_metadata_and_snippets() {
    let (_dir, index, docs) = corpus();
    let res = search(&index, "Gebühren");
    assert_eq!(res.total, 1);
    let hit = &res.hits[0];
    assert_eq!(hit.document_id, id(&docs, 2));
    assert_eq!(hit.version, 1);
    assert_eq!(hit.plan_code.as_ref().map(|p| p.as_str()), Some("330"));
    assert_eq!(hit.received, NaiveDate::from_ymd_opt(2026, 3, 31));
    assert_eq!(hit.title, "Bescheid Gebühren");
    assert!(hit.score > 0.0);
    assert!(
        hit.snippet.contains("<b>Gebührenbescheid</b>"),
        "{}",
        hit.snippet
    );
    let json = serde_json::to_string(&res).unwrap();
    assert!(json.contains("\"snippet\""));
}

#[test]
fn snippets_escape_html() {
    let d = doc(
        "T",
        "Vermerk <script>alert(1)</script> & Anmeldung bestätigt",
    );
    let (_dir, index) = index_with(&[d]);
    let s = &search(&index, "Anmeldung").hits[0].snippet;
    assert_eq!(
        s,
        "Vermerk &lt;script&gt;alert(1)&lt;/script&gt; &amp; <b>Anmeldung</b> bestätigt"
    );
}

#[test]
fn malformed_queries_are_typed_errors() {
    let (_dir, index, _) = corpus();
    let cases = [
        ("", 0),
        ("Anmeldung (Müller", 10),
        ("Anmeldung \"Müller", 10),
        ("foo:bar", 0),
        ("received:2026-02-30", 9),
        ("Anmeldung)", 9),
        ("Anmeldung AND", 13),
        ("!!!", 0),
    ];
    for (q, position) in cases {
        match index.search(&SearchRequest::new(q, 10)) {
            Err(IndexError::Query { position: p, .. }) => assert_eq!(p, position, "{q:?}"),
            other => panic!("{q:?}: {other:?}"),
        }
    }
}

#[test]
fn limits_are_enforced() {
    let (_dir, index, _) = corpus();
    let long = "a ".repeat(3000);
    assert!(matches!(
        index.search(&SearchRequest::new(long, 10)),
        Err(IndexError::Limit(_))
    ));
    assert!(matches!(
        index.search(&SearchRequest::new("x", 10_001)),
        Err(IndexError::Limit(_))
    ));
    let mut deep = SearchRequest::new("x", 10);
    deep.offset = usize::MAX;
    assert!(matches!(index.search(&deep), Err(IndexError::Limit(_))));
}

#[test]
fn upsert_replaces_and_delete_removes_every_version() {
    let first = doc("Alt", "Erste Fassung");
    let (_dir, index) = index_with(std::slice::from_ref(&first));
    let mut replaced = first.clone();
    replaced.pages = vec!["Zweite Fassung".into()];
    index.upsert(&replaced).unwrap();
    let mut v2 = first.clone();
    v2.version = 2;
    index.upsert(&v2).unwrap();
    index.commit().unwrap();
    assert!(ids(&index, "Erste").len() == 1);
    assert_eq!(index.num_docs(), 2);
    assert_eq!(search(&index, "Zweite").hits[0].version, 1);
    index.delete_document(first.document_id).unwrap();
    index.commit().unwrap();
    assert_eq!(index.num_docs(), 0);
}

#[test]
fn dates_beyond_what_the_index_holds_neither_panic_nor_lose_documents() {
    let mut ancient = doc("Kirchenbuch", "Taufeintrag Zitronenfalter");
    ancient.received = NaiveDate::from_ymd_opt(416, 4, 30);
    let mut distant = doc("Zukunft", "Vorlage Zitronenfalter");
    distant.received = NaiveDate::from_ymd_opt(9999, 12, 31);
    let mut today = doc("Heute", "Antrag Zitronenfalter");
    today.received = NaiveDate::from_ymd_opt(2026, 12, 2);
    let docs = vec![ancient, distant, today];
    let (_dir, index) = index_with(&docs);
    let within = |from: Option<NaiveDate>, to: Option<NaiveDate>| {
        let mut request = SearchRequest::new("Zitronenfalter", 10);
        request.filter = Filter {
            received_from: from,
            received_to: to,
            ..Filter::default()
        };
        sorted(
            index
                .search(&request)
                .unwrap()
                .hits
                .iter()
                .map(|h| h.document_id)
                .collect(),
        )
    };
    let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d);
    assert_eq!(within(day(1, 1, 1), day(9999, 12, 31)).len(), 3);
    assert_eq!(
        within(day(2000, 1, 1), day(2100, 1, 1)),
        vec![docs[2].document_id]
    );
    assert_eq!(
        within(day(1, 1, 1), day(1500, 1, 1)),
        vec![docs[0].document_id]
    );
    assert_eq!(within(day(3000, 1, 1), None), vec![docs[1].document_id]);
}
