//! Untrusted answers from outside: every refusal is the specific error, and no input panics.

mod common;

use eakte_xdomea::limits::{MAX_ENTRY_BYTES, MAX_INPUT_BYTES, MAX_ZIP_ENTRIES};
use eakte_xdomea::samples::Sample;
use eakte_xdomea::{
    XdomeaError, appraisal_0502, read_appraisal_0502, read_receipt_0506, receipt_0506,
};
use proptest::prelude::*;

const NS: &str = "urn:xoev-de:xdomea:schema:3.0.0";
const PID: &str = "5a3f0000-0000-4000-8000-00009a0ce55e";
const OBJECT: &str = "5a3f0000-0000-4000-8000-00000a4e0001";

/// A minimal 0502 with the given ProzessID and Aussonderungsart codes, one object each.
fn appraisal_xml(pid: &str, objects: &[(&str, &str)]) -> String {
    let objects: String = objects
        .iter()
        .map(|(id, code)| {
            format!(
                "<x:BewertetesObjekt><x:ID>{id}</x:ID><x:Aussonderungsart><x:Aussonderungsart>\
                 <code>{code}</code></x:Aussonderungsart></x:Aussonderungsart></x:BewertetesObjekt>"
            )
        })
        .collect();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
         <x:Aussonderung.Bewertungsverzeichnis.0502 xmlns:x=\"{NS}\">\
         <x:Kopf><x:ProzessID>{pid}</x:ProzessID></x:Kopf>{objects}\
         </x:Aussonderung.Bewertungsverzeichnis.0502>"
    )
}

fn message_name() -> String {
    format!("{PID}_Aussonderung.Bewertungsverzeichnis.0502.xml")
}

fn sample_appraisal_zip() -> Vec<u8> {
    let sample = Sample::new();
    appraisal_0502(&sample.archive_header, &sample.decisions())
        .expect("build")
        .zip
}

#[test]
fn a_hand_written_minimal_appraisal_reads() {
    let xml = appraisal_xml(PID, &[(OBJECT, "V")]);
    let appraisal = read_appraisal_0502(xml.as_bytes()).expect("reads");
    assert_eq!(appraisal.process_id.to_string(), PID);
    assert_eq!(appraisal.decisions.len(), 1);
}

#[test]
fn zip_bomb_is_stopped_while_inflating() {
    let limit = usize::try_from(MAX_ENTRY_BYTES).expect("usize");
    let mut bomb = appraisal_xml(PID, &[(OBJECT, "A")]).into_bytes();
    bomb.resize(limit + 1024, b' ');
    let zip = common::zip_of(&[(&message_name(), &bomb)]);
    assert!(
        zip.len() < 1024 * 1024,
        "the test bomb should be small: {}",
        zip.len()
    );
    match read_appraisal_0502(&zip) {
        Err(XdomeaError::TooLarge { what, limit }) => {
            assert_eq!(what, "uncompressed zip entry");
            assert_eq!(limit, MAX_ENTRY_BYTES);
        }
        other => panic!("{other:?}"),
    }
}

/// The bomb's headers claim 1 KiB: whether the zip reader notices the lie or the crate's own
/// count stops the inflation, the entry is refused and never fully inflated.
#[test]
fn zip_bomb_with_lying_size_headers_is_refused() {
    let limit = usize::try_from(MAX_ENTRY_BYTES).expect("usize");
    let mut bomb = appraisal_xml(PID, &[(OBJECT, "A")]).into_bytes();
    bomb.resize(limit + 1024, b' ');
    let mut zip = common::zip_of(&[(&message_name(), &bomb)]);
    let claimed = 1024u32.to_le_bytes();
    patch_after(&mut zip, b"PK\x03\x04", 22, &claimed);
    patch_after(&mut zip, b"PK\x01\x02", 24, &claimed);
    match read_appraisal_0502(&zip) {
        Err(XdomeaError::TooLarge { .. } | XdomeaError::Zip { .. }) => {}
        other => panic!("{other:?}"),
    }
}

/// Overwrites bytes at `offset` after the first occurrence of `signature`.
fn patch_after(bytes: &mut [u8], signature: &[u8], offset: usize, value: &[u8]) {
    let at = bytes
        .windows(signature.len())
        .position(|w| w == signature)
        .expect("signature")
        + offset;
    bytes[at..at + value.len()].copy_from_slice(value);
}

#[test]
fn too_many_zip_entries_are_refused() {
    let count = usize::try_from(MAX_ZIP_ENTRIES).expect("usize") + 1;
    let names: Vec<String> = (0..count).map(|n| format!("{n}.txt")).collect();
    let entries: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), &b"x"[..])).collect();
    let zip = common::zip_of(&entries);
    match read_appraisal_0502(&zip) {
        Err(XdomeaError::TooLarge { what, limit }) => {
            assert_eq!(what, "number of zip entries");
            assert_eq!(limit, MAX_ZIP_ENTRIES);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn oversized_input_is_refused_before_parsing() {
    let size = usize::try_from(MAX_INPUT_BYTES).expect("usize") + 1;
    let mut input = appraisal_xml(PID, &[(OBJECT, "A")]).into_bytes();
    input.resize(size, b' ');
    assert!(matches!(
        read_appraisal_0502(&input),
        Err(XdomeaError::TooLarge { what: "input", .. })
    ));
}

#[test]
fn wrong_message_type_is_refused() {
    let sample = Sample::new();
    let receipt = receipt_0506(&sample.archive_header, &sample.import_results()).expect("build");
    match read_appraisal_0502(&receipt.zip) {
        Err(XdomeaError::WrongMessageType { expected, found }) => {
            assert_eq!(expected, "Aussonderung.Bewertungsverzeichnis.0502");
            assert_eq!(found, "Aussonderung.AussonderungImportBestaetigen.0506");
        }
        other => panic!("{other:?}"),
    }
    let appraisal = sample_appraisal_zip();
    assert!(matches!(
        read_receipt_0506(&appraisal),
        Err(XdomeaError::WrongMessageType { .. })
    ));
}

#[test]
fn garbage_is_not_xdomea() {
    let inputs: [&[u8]; 6] = [
        b"",
        b"\x00\x01\x02garbage\xff\xfe",
        b"just text",
        b"<html><body>hello</body></html>",
        b"<?xml version=\"1.0\"?><a:b xmlns:a=\"urn:other\"/>",
        b"\xEF\xBB\xBF   ",
    ];
    for input in inputs {
        assert!(
            matches!(read_appraisal_0502(input), Err(XdomeaError::NotXdomea)),
            "{input:?}"
        );
    }
}

#[test]
fn other_xdomea_version_is_named() {
    let xml = appraisal_xml(PID, &[(OBJECT, "A")]).replace("3.0.0", "2.4.0");
    assert!(matches!(
        read_appraisal_0502(xml.as_bytes()),
        Err(XdomeaError::UnsupportedVersion { namespace }) if namespace.ends_with("2.4.0")
    ));
}

#[test]
fn truncated_zip_is_refused() {
    let zip = sample_appraisal_zip();
    for cut in [zip.len() / 2, zip.len() - 1, 30] {
        assert!(
            matches!(
                read_appraisal_0502(&zip[..cut]),
                Err(XdomeaError::Zip { .. })
            ),
            "cut at {cut}"
        );
    }
}

#[test]
fn truncated_xml_is_malformed() {
    let xml = appraisal_xml(PID, &[(OBJECT, "A")]);
    let cut = &xml.as_bytes()[..xml.len() - 20];
    assert!(matches!(
        read_appraisal_0502(cut),
        Err(XdomeaError::Malformed { .. })
    ));
}

#[test]
fn doctype_and_entities_are_refused() {
    let xml = appraisal_xml(PID, &[(OBJECT, "A")]);
    let body = xml.split_once("?>").expect("declaration").1;
    let with_doctype = format!(
        "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>{}",
        body.replace("<code>A</code>", "<code>&xxe;</code>")
    );
    assert!(matches!(
        read_appraisal_0502(with_doctype.as_bytes()),
        Err(XdomeaError::Doctype)
    ));
    let billion_laughs = format!(
        "<!DOCTYPE x [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;\">]>{body}"
    );
    assert!(matches!(
        read_appraisal_0502(billion_laughs.as_bytes()),
        Err(XdomeaError::Doctype)
    ));
    let undefined = xml.replace("<code>A</code>", "<code>&xxe;</code>");
    assert!(matches!(
        read_appraisal_0502(undefined.as_bytes()),
        Err(XdomeaError::Malformed { .. })
    ));
}

#[test]
fn character_references_are_resolved() {
    let xml = appraisal_xml(PID, &[(OBJECT, "&#65;")]);
    let appraisal = read_appraisal_0502(xml.as_bytes()).expect("reads");
    assert_eq!(appraisal.decisions[0].1, eakte_xdomea::Decision::Archive);
}

#[test]
fn deep_nesting_is_refused() {
    let depth = 10_000;
    let xml = appraisal_xml(PID, &[(OBJECT, "A")])
        .replace("<x:Kopf>", &format!("{}<x:Kopf>", "<x:e>".repeat(depth)));
    let xml = xml.replace("</x:Kopf>", &format!("</x:Kopf>{}", "</x:e>".repeat(depth)));
    assert!(matches!(
        read_appraisal_0502(xml.as_bytes()),
        Err(XdomeaError::TooLarge {
            what: "element nesting",
            ..
        })
    ));
}

#[test]
fn process_id_must_be_a_uuid() {
    for pid in [
        "not-a-uuid",
        "",
        "5a3f000000004000800000009a0ce55e",
        "{5a3f0000-0000-4000-8000-00009a0ce55e}",
    ] {
        let xml = appraisal_xml(pid, &[(OBJECT, "A")]);
        assert!(
            matches!(
                read_appraisal_0502(xml.as_bytes()),
                Err(XdomeaError::InvalidProcessId { .. })
            ),
            "{pid:?}"
        );
    }
}

#[test]
fn object_id_must_be_a_uuid() {
    let xml = appraisal_xml(PID, &[("Akte-42", "A")]);
    assert!(matches!(
        read_appraisal_0502(xml.as_bytes()),
        Err(XdomeaError::InvalidObjectId { value }) if value == "Akte-42"
    ));
}

#[test]
fn undecided_or_repeated_appraisals_are_refused() {
    let undecided = appraisal_xml(PID, &[(OBJECT, "B")]);
    assert!(matches!(
        read_appraisal_0502(undecided.as_bytes()),
        Err(XdomeaError::UnusableAppraisal { value, .. }) if value == "B"
    ));
    let repeated = appraisal_xml(PID, &[(OBJECT, "A"), (OBJECT, "V")]);
    assert!(matches!(
        read_appraisal_0502(repeated.as_bytes()),
        Err(XdomeaError::DuplicateObject { .. })
    ));
    let empty = appraisal_xml(PID, &[]);
    assert!(matches!(
        read_appraisal_0502(empty.as_bytes()),
        Err(XdomeaError::Malformed { .. })
    ));
}

#[test]
fn foreign_encoding_is_refused() {
    let xml = appraisal_xml(PID, &[(OBJECT, "A")]).replace("UTF-8", "ISO-8859-1");
    assert!(matches!(
        read_appraisal_0502(xml.as_bytes()),
        Err(XdomeaError::Malformed { .. })
    ));
}

#[test]
fn zip_without_the_message_is_refused() {
    let zip = common::zip_of(&[("readme.txt", b"hello")]);
    assert!(matches!(
        read_appraisal_0502(&zip),
        Err(XdomeaError::MissingFile { .. })
    ));
    let nested = common::zip_of(&[(&format!("dir/{}", message_name()), b"<x/>")]);
    assert!(matches!(
        read_appraisal_0502(&nested),
        Err(XdomeaError::MissingFile { .. })
    ));
}

#[test]
fn zip_with_a_hand_written_message_reads() {
    let xml = appraisal_xml(PID, &[(OBJECT, "A")]);
    let zip = common::zip_of(&[("readme.txt", b"hello"), (&message_name(), xml.as_bytes())]);
    assert_eq!(read_appraisal_0502(&zip).expect("reads").decisions.len(), 1);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn corrupted_zips_never_panic(flips in prop::collection::vec((any::<usize>(), any::<u8>()), 1..8)) {
        let mut zip = sample_appraisal_zip();
        let len = zip.len();
        for (at, value) in flips {
            zip[at % len] = value;
        }
        let _ = read_appraisal_0502(&zip);
        let _ = read_receipt_0506(&zip);
    }

    #[test]
    fn corrupted_xml_never_panics(flips in prop::collection::vec((any::<usize>(), any::<u8>()), 1..8)) {
        let sample = Sample::new();
        let mut xml = receipt_0506(&sample.archive_header, &sample.import_results()).expect("build").xml;
        let len = xml.len();
        for (at, value) in flips {
            xml[at % len] = value;
        }
        let _ = read_appraisal_0502(&xml);
        let _ = read_receipt_0506(&xml);
    }
}
