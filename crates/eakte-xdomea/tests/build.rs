//! The builders refuse what cannot become a schema-valid, honest message, with the specific
//! error.

use eakte_xdomea::samples::Sample;
use eakte_xdomea::{
    ArchivalValue, Decision, ImportResult, OfferedAkte, Package, PrimaryFile, XdomeaError,
    appraisal_0502, offer_0501, receipt_0506, transfer_0503,
};
use uuid::Uuid;

fn transfer(sample: &Sample, akten: &[OfferedAkte]) -> Result<Package, XdomeaError> {
    transfer_0503(&sample.agency_header, akten, &mut |file| {
        sample.file_bytes(file)
    })
}

/// The transferred Akten with the first primary file changed by `change`.
fn with_first_file(sample: &Sample, change: impl FnOnce(&mut PrimaryFile)) -> Vec<OfferedAkte> {
    let mut akten = sample.transferred();
    let file = akten[0].documents[0].versions[0]
        .file
        .as_mut()
        .expect("sample file");
    change(file);
    akten
}

#[test]
fn nothing_to_send_is_refused() {
    let sample = Sample::new();
    assert!(matches!(
        offer_0501(&sample.agency_header, &[]),
        Err(XdomeaError::Empty { what: "Akte" })
    ));
    assert!(matches!(
        appraisal_0502(&sample.archive_header, &[]),
        Err(XdomeaError::Empty { .. })
    ));
    assert!(matches!(
        receipt_0506(&sample.archive_header, &[]),
        Err(XdomeaError::Empty { .. })
    ));
}

#[test]
fn akte_marked_for_destruction_is_not_transferred() {
    let sample = Sample::new();
    let destroyed = sample.akten[2].clone();
    assert_eq!(destroyed.archival_value, ArchivalValue::V);
    assert!(matches!(
        transfer(&sample, std::slice::from_ref(&destroyed)),
        Err(XdomeaError::MarkedForDestruction { id }) if id == destroyed.id
    ));
}

#[test]
fn every_transferred_version_needs_its_file() {
    let sample = Sample::new();
    let mut akten = sample.transferred();
    akten[0].documents[0].versions[0].file = None;
    let document = akten[0].documents[0].id;
    assert!(matches!(
        transfer(&sample, &akten),
        Err(XdomeaError::VersionWithoutFile { document: d, version: 1 }) if d == document
    ));
    let offer = offer_0501(&sample.agency_header, &akten);
    assert!(offer.is_ok(), "an offer needs no files: {offer:?}");
}

#[test]
fn supplied_bytes_must_match_the_record() {
    let sample = Sample::new();
    let wrong_size = with_first_file(&sample, |f| f.size += 1);
    assert!(matches!(
        transfer(&sample, &wrong_size),
        Err(XdomeaError::FileMismatch { what: "size", .. })
    ));
    let wrong_hash = with_first_file(&sample, |f| f.sha256_hex = "0".repeat(64));
    assert!(matches!(
        transfer(&sample, &wrong_hash),
        Err(XdomeaError::FileMismatch {
            what: "SHA-256",
            ..
        })
    ));
    let upper_hash = with_first_file(&sample, |f| f.sha256_hex = f.sha256_hex.to_uppercase());
    assert!(transfer(&sample, &upper_hash).is_ok());
    let bad_hash = with_first_file(&sample, |f| f.sha256_hex = "xyz".to_owned());
    assert!(matches!(
        transfer(&sample, &bad_hash),
        Err(XdomeaError::InvalidInput { .. })
    ));
}

#[test]
fn unavailable_file_is_named() {
    let sample = Sample::new();
    let result = transfer_0503(&sample.agency_header, &sample.transferred(), &mut |_| {
        Err("store offline".to_owned())
    });
    assert!(matches!(
        result,
        Err(XdomeaError::FileUnavailable { reason, .. }) if reason == "store offline"
    ));
}

#[test]
fn primary_file_names_must_fit_xdomea_and_the_container() {
    let sample = Sample::new();
    let document = sample.transferred()[0].documents[0].id;
    let bad_names = [
        "Bauantrag.pdf".to_owned(),
        format!("{}/../evil.pdf", Uuid::from_u128(1)),
        format!("{}\\evil.pdf", Uuid::from_u128(1)),
        format!("{}_line\nbreak.pdf", Uuid::from_u128(1)),
        format!("{document}_same-as-document.pdf"),
    ];
    for name in bad_names {
        let akten = with_first_file(&sample, |f| f.file_name = name.clone());
        assert!(
            matches!(
                transfer(&sample, &akten),
                Err(XdomeaError::InvalidFileName { .. })
            ),
            "{name:?}"
        );
    }
    let mut akten = sample.transferred();
    let application = &mut akten[0].vorgaenge[0].documents[0];
    application.versions[1].file = application.versions[0].file.clone();
    assert!(matches!(
        transfer(&sample, &akten),
        Err(XdomeaError::DuplicateFileName { .. })
    ));
}

#[test]
fn object_ids_are_unique_in_a_message() {
    let sample = Sample::new();
    let mut akten = sample.akten.clone();
    akten[1].vorgaenge[0].id = akten[0].id;
    assert!(matches!(
        offer_0501(&sample.agency_header, &akten),
        Err(XdomeaError::DuplicateObject { .. })
    ));
    let id = Uuid::from_u128(9);
    assert!(matches!(
        appraisal_0502(
            &sample.archive_header,
            &[(id, Decision::Archive), (id, Decision::Destroy)]
        ),
        Err(XdomeaError::DuplicateObject { .. })
    ));
    let result = ImportResult {
        id,
        success: true,
        archive_id: None,
        messages: Vec::new(),
    };
    assert!(matches!(
        receipt_0506(&sample.archive_header, &[result.clone(), result]),
        Err(XdomeaError::DuplicateObject { .. })
    ));
}

#[test]
fn text_xml_cannot_carry_is_refused() {
    let sample = Sample::new();
    let mut akten = sample.akten.clone();
    akten[0].vorgaenge[0].documents[0].title = "Bell \u{7} character".to_owned();
    assert!(matches!(
        offer_0501(&sample.agency_header, &akten),
        Err(XdomeaError::InvalidInput { what }) if what.contains("title of Dokument")
    ));
}

#[test]
fn header_and_required_values_must_be_present() {
    let sample = Sample::new();
    let mut header = sample.agency_header.clone();
    header.sender.agency_code = "  ".to_owned();
    assert!(matches!(
        offer_0501(&header, &sample.akten),
        Err(XdomeaError::InvalidInput { what }) if what.contains("sender agency code")
    ));
    let mut akten = sample.akten.clone();
    akten[0].aktenzeichen = String::new();
    assert!(matches!(
        offer_0501(&sample.agency_header, &akten),
        Err(XdomeaError::InvalidInput { .. })
    ));
    let mut akten = sample.akten.clone();
    akten[0].retention_years = Some(70_000);
    assert!(matches!(
        offer_0501(&sample.agency_header, &akten),
        Err(XdomeaError::InvalidInput { what }) if what.contains("65535")
    ));
}

#[test]
fn unlisted_media_type_is_sent_as_other_format() {
    let sample = Sample::new();
    let [_, _, transfer, _] = [
        offer_0501(&sample.agency_header, &sample.akten).expect("0501"),
        appraisal_0502(&sample.archive_header, &sample.decisions()).expect("0502"),
        transfer(&sample, &sample.transferred()).expect("0503"),
        receipt_0506(&sample.archive_header, &sample.import_results()).expect("0506"),
    ];
    let xml = String::from_utf8(transfer.xml).expect("utf-8");
    assert!(xml.contains("<code>100</code>"));
    assert!(
        xml.contains("<xdomea:SonstigerName>application/x-eakte-sample</xdomea:SonstigerName>")
    );
    assert!(xml.contains("<code>018</code>"));
}
