//! German analysis rules, each on documents the test makes itself: case and umlaut folding,
//! stemming, compound parts, English documents and the exact Aktenzeichen field.

mod common;

use common::{doc, ids, index_with};

#[test]
fn case_and_umlauts_fold() {
    let mueller = doc("Schreiben", "Frau Müller wohnt in der Hauptstraße.");
    let other = doc("Schreiben", "Herr Schmidt wohnt am Markt.");
    let (_dir, index) = index_with(&[mueller.clone(), other]);
    for q in ["Müller", "Mueller", "MÜLLER", "mueller", "MUELLER"] {
        assert_eq!(ids(&index, q), vec![mueller.document_id], "{q}");
    }
    for q in ["Hauptstraße", "Hauptstrasse", "HAUPTSTRASSE"] {
        assert_eq!(ids(&index, q), vec![mueller.document_id], "{q}");
    }
}

#[test]
fn other_diacritics_fold() {
    let cafe = doc("Gaststätte", "Antrag für das Café René am Ring.");
    let (_dir, index) = index_with(std::slice::from_ref(&cafe));
    assert_eq!(ids(&index, "cafe rene"), vec![cafe.document_id]);
    assert_eq!(ids(&index, "CAFÉ"), vec![cafe.document_id]);
}

#[test]
fn stemming_finds_inflected_forms() {
    let anmeldung = doc("Meldewesen", "Die Anmeldung wurde bearbeitet.");
    let bescheid = doc("Gebühren", "Der Bescheid ist rechtskräftig.");
    let (_dir, index) = index_with(&[anmeldung.clone(), bescheid.clone()]);
    assert_eq!(ids(&index, "Anmeldungen"), vec![anmeldung.document_id]);
    assert_eq!(ids(&index, "Bescheide"), vec![bescheid.document_id]);
}

#[test]
fn compound_parts_match_and_rank_below_exact_words() {
    let exact = doc("Nachweis", "Hier liegt die Bescheinigung bei.");
    let compound = doc("Nachweis", "Hier liegt die Meldebescheinigung bei.");
    let unrelated = doc("Nachweis", "Hier liegt der Ausweis bei.");
    let (_dir, index) = index_with(&[compound.clone(), unrelated, exact.clone()]);
    assert_eq!(
        ids(&index, "Bescheinigung"),
        vec![exact.document_id, compound.document_id]
    );
    // "Melde" alone is not needed; and linking forms (Geburts-) decompose.
    let birth = doc("Urkunden", "Beigefügt: Geburtsurkunde des Kindes.");
    let (_dir2, index2) = index_with(std::slice::from_ref(&birth));
    assert_eq!(ids(&index2, "Urkunde"), vec![birth.document_id]);
    assert_eq!(ids(&index2, "Urkunden"), vec![birth.document_id]);
}

// The parts field holds only the parts of compounds; a compound query word must still find
// a document where its parts stand alone, in the text or in the title.
#[test]
fn compound_query_finds_its_parts_standing_alone() {
    let apart = doc("Geburt", "Die Urkunde liegt bei.");
    let compound = doc("Nachweis", "Die Geburtsurkunde liegt bei.");
    let half = doc("Nachweis", "Die Urkunde liegt bei.");
    let (_dir, index) = index_with(&[apart.clone(), compound.clone(), half]);
    let mut found = ids(&index, "Geburtsurkunde");
    found.sort();
    let mut expected = vec![apart.document_id, compound.document_id];
    expected.sort();
    assert_eq!(found, expected);
}

#[test]
fn english_documents_use_english_stemming() {
    let mut english = doc("Letter", "The applicant runs a small business.");
    english.language = Some("eng".to_owned());
    let german = doc("Brief", "Der Antragsteller betreibt ein Gewerbe.");
    let (_dir, index) = index_with(&[english.clone(), german.clone()]);
    assert_eq!(ids(&index, "running"), vec![english.document_id]);
    assert_eq!(ids(&index, "Gewerbes"), vec![german.document_id]);
}

#[test]
fn aktenzeichen_matches_exactly() {
    let mut a = doc("A", "Inhalt eins");
    let mut b = doc("B", "Inhalt zwei");
    let mut c = doc("C", "Inhalt drei");
    a.aktenzeichen = Some("33.10-0042/2026".parse().unwrap());
    b.aktenzeichen = Some("33.10-0043/2026".parse().unwrap());
    c.aktenzeichen = Some("33.1-0042/2026".parse().unwrap());
    let (_dir, index) = index_with(&[a.clone(), b, c]);
    assert_eq!(ids(&index, "az:33.10-0042/2026"), vec![a.document_id]);
    assert_eq!(ids(&index, "33.10-0042/2026"), vec![a.document_id]);
}
