//! Extraction of the project's own fixtures (`fixtures/extract`, rendered from known text), in
//! process: every path through PDF, TIFF, PNG, JPEG and text, with the text as ground truth.

use std::path::{Path, PathBuf};

use eakte_config::ExtractConfig;
use eakte_extract::{ExtractError, Extraction, Extractor, OcrInput, PageSource};
use lopdf::dictionary;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/extract")
        .join(name)
}

fn truth(name: &str) -> String {
    std::fs::read_to_string(fixture(name)).unwrap()
}

fn settings() -> ExtractConfig {
    ExtractConfig::default()
}

fn extract(name: &str) -> Result<Extraction, ExtractError> {
    Extractor::new().extract_file(&fixture(name), settings())
}

/// Character error rate with whitespace collapsed.
fn cer(text: &str, truth: &str) -> f64 {
    let norm = |t: &str| t.split_whitespace().collect::<Vec<_>>().join(" ");
    let (text, truth) = (norm(text), norm(truth));
    strsim::levenshtein(&text, &truth) as f64 / truth.chars().count() as f64
}

/// An OCR'd page: German text read almost exactly, umlauts and ß included.
fn assert_ocr_page(extraction: &Extraction, page: usize, truth_file: &str, input: OcrInput) {
    let p = &extraction.pages[page];
    assert_eq!(p.source, PageSource::Ocr, "{p:?}");
    assert_eq!(p.ocr_input, Some(input));
    let rate = cer(&p.text, &truth(truth_file));
    assert!(
        rate <= 0.02,
        "CER {rate} for page {} of {truth_file}:\n{}",
        p.number,
        p.text
    );
    assert!(p.confidence.is_some_and(|c| c > 70.0), "{:?}", p.confidence);
    assert!(p.error.is_none());
}

#[test]
fn png_at_300_dpi_is_ocrd_with_umlauts() {
    let x = extract("german-300dpi.png").unwrap();
    assert_eq!(x.media_type, "image/png");
    assert_eq!(x.pages.len(), 1);
    assert_ocr_page(&x, 0, "german.txt", OcrInput::ImageFile);
    for word in [
        "Müller",
        "Größe",
        "Übermittlung",
        "Öffnungszeiten",
        "Grüßen",
        "Ärztin",
    ] {
        assert!(
            x.pages[0].text.contains(word),
            "{word} missing:\n{}",
            x.pages[0].text
        );
    }
    assert_eq!(x.pages[0].rotation, 0);
    assert_eq!(x.language.as_deref(), Some("deu"));
    assert_eq!(x.ocr_languages, "deu+eng");
}

#[test]
fn multi_page_tiff_g4_gives_every_page() {
    let x = extract("german-300dpi-g4.tif").unwrap();
    assert_eq!(x.media_type, "image/tiff");
    assert_eq!(x.pages.len(), 2);
    assert_ocr_page(&x, 0, "german.txt", OcrInput::ImageFile);
    assert_ocr_page(&x, 1, "german-page2.txt", OcrInput::ImageFile);
    assert_eq!(x.pages[1].number, 2);
}

#[test]
fn image_only_pdfs_are_ocrd_from_their_embedded_image() {
    for name in ["german-scan.pdf", "german-scan-jpeg.pdf"] {
        let x = extract(name).unwrap();
        assert_eq!(x.media_type, "application/pdf");
        assert_eq!(x.pages.len(), 1, "{name}");
        assert_ocr_page(&x, 0, "german.txt", OcrInput::EmbeddedImage);
    }
}

/// The JPEG scan with its image placed a second time under another name: two images on the
/// page, so the page must be rendered by pdftoppm instead of read from its image.
fn two_image_pdf(dir: &Path) -> PathBuf {
    let mut doc = lopdf::Document::load(fixture("german-scan-jpeg.pdf")).unwrap();
    let page_id = *doc.get_pages().values().next().unwrap();
    let (resources, inherited) = doc.get_page_resources(page_id).unwrap();
    assert!(
        resources.is_some() && inherited.is_empty(),
        "the fixture's layout changed"
    );
    let xobject = doc
        .get_dictionary(page_id)
        .unwrap()
        .get(b"Resources")
        .unwrap()
        .clone();
    let resources = match xobject {
        lopdf::Object::Reference(id) => doc.get_dictionary_mut(id).unwrap(),
        _ => doc
            .get_dictionary_mut(page_id)
            .unwrap()
            .get_mut(b"Resources")
            .unwrap()
            .as_dict_mut()
            .unwrap(),
    };
    let xobjects = resources.get(b"XObject").unwrap().clone();
    let mut xobjects = match xobjects {
        lopdf::Object::Dictionary(d) => d,
        other => panic!("unexpected XObject entry {other:?}"),
    };
    let image = xobjects.iter().next().map(|(_, v)| v.clone()).unwrap();
    xobjects.set("Copy", image);
    resources.set("XObject", xobjects);
    let path = dir.join("two-images.pdf");
    doc.save(&path).unwrap();
    path
}

#[test]
fn a_page_whose_images_cannot_be_taken_directly_is_rendered() {
    let dir = tempfile::tempdir().unwrap();
    let path = two_image_pdf(dir.path());
    let x = Extractor::new().extract_file(&path, settings()).unwrap();
    assert_ocr_page(&x, 0, "german.txt", OcrInput::Rendered);
}

#[test]
fn a_renderer_that_fails_or_hangs_fails_the_page_in_time() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = two_image_pdf(dir.path());
    let script = |name: &str, body: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        p.display().to_string()
    };
    let mut failing = settings();
    failing.pdftoppm = script("broken", "echo 'Syntax Error: no page 1' >&2; exit 1");
    let e = Extractor::new().extract_file(&path, failing).unwrap_err();
    assert_eq!(e.code(), "render_failed", "{e}");
    assert!(e.to_string().contains("no page 1"), "{e}");
    let mut hanging = settings();
    hanging.pdftoppm = script("hangs", "exec sleep 600");
    hanging.timeout_seconds = 1;
    let start = std::time::Instant::now();
    let e = Extractor::new().extract_file(&path, hanging).unwrap_err();
    assert_eq!(e, ExtractError::Timeout { seconds: 1 });
    assert!(start.elapsed() < std::time::Duration::from_secs(20));
}

#[test]
fn born_digital_pdf_text_layer_is_exact() {
    let x = extract("german-born-digital-2p.pdf").unwrap();
    assert_eq!(x.pages.len(), 2);
    for (page, truth_file) in x.pages.iter().zip(["german.txt", "german-page2.txt"]) {
        assert_eq!(page.source, PageSource::TextLayer);
        assert_eq!(page.confidence, None);
        assert_eq!(cer(&page.text, &truth(truth_file)), 0.0, "{}", page.text);
    }
    assert_eq!(x.ocr_languages, "");
}

#[test]
fn a_page_upside_down_is_turned_upright_before_ocr() {
    let x = extract("german-rotated-180.png").unwrap();
    assert_eq!(x.pages[0].rotation, 180);
    assert_ocr_page(&x, 0, "german.txt", OcrInput::ImageFile);
}

#[test]
fn a_page_on_its_side_is_read() {
    // Tesseract's layout analysis reads a page turned 90° confidently as it is; orientation
    // detection is only consulted for doubtful readings, so either way the text must be right.
    let x = extract("german-rotated-90.png").unwrap();
    assert!(
        [0, 270].contains(&x.pages[0].rotation),
        "{}",
        x.pages[0].rotation
    );
    assert_ocr_page(&x, 0, "german.txt", OcrInput::ImageFile);
}

#[test]
fn encrypted_pdfs_open_with_the_empty_password_only() {
    assert_eq!(
        extract("encrypted-user-password.pdf").unwrap_err(),
        ExtractError::Encrypted
    );
    let x = extract("encrypted-empty-user.pdf").unwrap();
    assert_eq!(cer(&x.pages[0].text, &truth("german.txt")), 0.0);
}

#[test]
fn a_truncated_pdf_is_malformed() {
    let e = extract("malformed-truncated.pdf").unwrap_err();
    assert_eq!(e.code(), "malformed_pdf", "{e}");
}

#[test]
fn text_files_in_utf8_and_windows_1252() {
    for name in ["german-utf8.txt", "german-cp1252.txt"] {
        let x = extract(name).unwrap();
        assert_eq!(x.media_type, "text/plain");
        assert_eq!(x.pages[0].source, PageSource::PlainText);
        assert_eq!(x.pages[0].text, truth("german.txt"), "{name}");
    }
}

#[test]
fn an_image_bomb_is_refused_before_decoding() {
    // A white 20000 × 20000 PNG (400 megapixels in a few kilobytes): refused from its header,
    // nothing allocated for its pixels.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bomb.png");
    {
        let file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        let mut encoder = png::Encoder::new(file, 20_000, 20_000);
        encoder.set_color(png::ColorType::Grayscale);
        encoder.set_depth(png::BitDepth::One);
        encoder.set_compression(png::Compression::Fastest);
        let mut writer = encoder
            .write_header()
            .unwrap()
            .into_stream_writer()
            .unwrap();
        let row = vec![0xffu8; 2500];
        for _ in 0..20_000 {
            std::io::Write::write_all(&mut writer, &row).unwrap();
        }
        writer.finish().unwrap();
    }
    let size = std::fs::metadata(&path).unwrap().len();
    assert!(size < 1 << 20, "the bomb is small: {size} bytes");
    let e = Extractor::new()
        .extract_file(&path, settings())
        .unwrap_err();
    assert_eq!(
        e,
        ExtractError::TooManyPixels {
            width: 20_000,
            height: 20_000,
            limit: 100_000_000
        }
    );
}

#[test]
fn the_pixel_limit_applies_to_pdf_images_and_renderings() {
    let mut small = settings();
    small.max_pixels_per_page = 1_000_000;
    let e = Extractor::new()
        .extract_file(&fixture("german-scan.pdf"), small)
        .unwrap_err();
    assert_eq!(e.code(), "too_many_pixels", "{e}");
}

#[test]
fn the_page_limit_refuses_long_documents() {
    let mut one = settings();
    one.max_pages = 1;
    for name in ["german-born-digital-2p.pdf", "german-300dpi-g4.tif"] {
        let e = Extractor::new()
            .extract_file(&fixture(name), one.clone())
            .unwrap_err();
        assert_eq!(e.code(), "too_many_pages", "{name}: {e}");
    }
}

#[test]
fn unsupported_and_empty_files_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let zip = dir.path().join("letter.docx");
    std::fs::write(&zip, b"PK\x03\x04\x14\x00rest of an office document").unwrap();
    let e = Extractor::new().extract_file(&zip, settings()).unwrap_err();
    assert_eq!(e.code(), "unsupported_format");
    assert!(e.to_string().contains("ZIP"), "{e}");
    let empty = dir.path().join("empty.pdf");
    std::fs::write(&empty, b"").unwrap();
    let e = Extractor::new()
        .extract_file(&empty, settings())
        .unwrap_err();
    assert!(e.to_string().contains("empty"), "{e}");
    let missing = Extractor::new()
        .extract_file(&dir.path().join("nope"), settings())
        .unwrap_err();
    assert_eq!(missing.code(), "io");
}

#[test]
fn a_document_past_its_deadline_stops_with_a_timeout() {
    let mut none = settings();
    none.timeout_seconds = 0;
    let e = Extractor::new()
        .extract_file(&fixture("german-300dpi.png"), none)
        .unwrap_err();
    assert_eq!(e, ExtractError::Timeout { seconds: 0 });
}

#[test]
fn one_extractor_serves_documents_in_other_languages() {
    let mut extractor = Extractor::new();
    let mut english = settings();
    english.languages = "eng".into();
    let x = extractor
        .extract_file(&fixture("german-300dpi.png"), english)
        .unwrap();
    assert_eq!(x.ocr_languages, "eng");
    let x = extractor
        .extract_file(&fixture("german-300dpi.png"), settings())
        .unwrap();
    assert_eq!(x.ocr_languages, "deu+eng");
    assert!(x.pages[0].text.contains("Müller"));
    let mut unknown = settings();
    unknown.languages = "xxx".into();
    let e = extractor
        .extract_file(&fixture("german-300dpi.png"), unknown)
        .unwrap_err();
    assert_eq!(e.code(), "ocr_failed", "{e}");
}

/// A one-page PDF of `width` × `height` points whose page draws `content` with the given
/// XObjects, saved to `path`.
fn one_page_pdf(
    path: &Path,
    size: (f32, f32),
    content: Vec<u8>,
    content_filter: bool,
    xobjects: Vec<(&str, lopdf::Stream)>,
) {
    use lopdf::{Dictionary, Document, Object, Stream};
    let mut doc = Document::with_version("1.7");
    let pages_id = doc.new_object_id();
    let mut xdict = Dictionary::new();
    for (name, stream) in xobjects {
        let id = doc.add_object(stream);
        xdict.set(name, Object::Reference(id));
    }
    let mut content = Stream::new(dictionary! {}, content);
    if content_filter {
        content.compress().unwrap();
    }
    let content_id = doc.add_object(content);
    let page_id = doc.add_object(dictionary! {
        "Type" => "Page",
        "Parent" => pages_id,
        "MediaBox" => vec![0.into(), 0.into(), size.0.into(), size.1.into()],
        "Contents" => content_id,
        "Resources" => dictionary! { "XObject" => xdict },
    });
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages", "Kids" => vec![page_id.into()], "Count" => 1,
        }),
    );
    let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog);
    doc.save(path).unwrap();
}

#[test]
fn a_flate_grey_image_is_decoded_directly() {
    let page = image::open(fixture("german-300dpi.png"))
        .unwrap()
        .into_luma8();
    let (w, h) = (page.width(), page.height());
    let mut stream = lopdf::Stream::new(
        dictionary! {
            "Type" => "XObject", "Subtype" => "Image", "Width" => w as i64, "Height" => h as i64,
            "ColorSpace" => "DeviceGray", "BitsPerComponent" => 8,
        },
        page.into_raw(),
    );
    stream.compress().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("flate.pdf");
    let size = (w as f32 * 72.0 / 300.0, h as f32 * 72.0 / 300.0);
    let draw = format!("q {} 0 0 {} 0 0 cm /Im0 Do Q", size.0, size.1).into_bytes();
    one_page_pdf(&path, size, draw, false, vec![("Im0", stream)]);
    let x = Extractor::new().extract_file(&path, settings()).unwrap();
    assert_ocr_page(&x, 0, "german.txt", OcrInput::EmbeddedImage);
}

#[test]
fn an_inverted_ccitt_image_is_read_the_right_way_round() {
    // The G4 scan with BlackIs1 flipped and a /Decode [1 0] that flips it back: the same page.
    let mut doc = lopdf::Document::load(fixture("german-scan.pdf")).unwrap();
    let image_id = doc
        .objects
        .iter()
        .find(|(_, o)| {
            o.as_stream().is_ok_and(|s| {
                s.dict.get(b"Subtype").ok() == Some(&lopdf::Object::Name(b"Image".to_vec()))
            })
        })
        .map(|(id, _)| *id)
        .unwrap();
    let stream = doc
        .get_object_mut(image_id)
        .unwrap()
        .as_stream_mut()
        .unwrap();
    let parms = stream.dict.get_mut(b"DecodeParms").unwrap();
    let parms = match parms {
        lopdf::Object::Array(a) => a[0].as_dict_mut().unwrap(),
        other => other.as_dict_mut().unwrap(),
    };
    let black_is_1 = parms
        .get(b"BlackIs1")
        .and_then(lopdf::Object::as_bool)
        .unwrap_or(false);
    parms.set("BlackIs1", !black_is_1);
    stream.dict.set("Decode", vec![1.into(), 0.into()]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inverted.pdf");
    doc.save(&path).unwrap();
    let x = Extractor::new().extract_file(&path, settings()).unwrap();
    assert_ocr_page(&x, 0, "german.txt", OcrInput::EmbeddedImage);
}

#[test]
fn a_page_whose_content_inflates_past_the_limit_is_refused() {
    // 64 MiB of spaces in a Flate stream of a few dozen KiB, against a 16 MiB limit.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bomb.pdf");
    one_page_pdf(&path, (595.0, 842.0), vec![b' '; 64 << 20], true, vec![]);
    assert!(std::fs::metadata(&path).unwrap().len() < 1 << 20);
    let mut limited = settings();
    limited.max_decompressed_bytes = 16 << 20;
    let e = Extractor::new().extract_file(&path, limited).unwrap_err();
    assert_eq!(e, ExtractError::DecompressionLimit { limit: 16 << 20 });
}

#[test]
fn the_published_schema_names_exactly_the_fields_a_result_has() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../schemas/extraction.v1.json"
    );
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let x = extract("german-rotated-180.png").unwrap();
    let value = serde_json::to_value(&x).unwrap();
    let keys = |v: &serde_json::Value| {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    let mut required: Vec<String> = serde_json::from_value(schema["required"].clone()).unwrap();
    required.sort();
    assert_eq!(keys(&value), required);
    assert_eq!(keys(&schema["properties"]), required);
    let mut page_required: Vec<String> =
        serde_json::from_value(schema["$defs"]["page"]["required"].clone()).unwrap();
    page_required.sort();
    assert_eq!(keys(&value["pages"][0]), page_required);
    let sources = schema["$defs"]["page"]["properties"]["source"]["enum"]
        .as_array()
        .unwrap();
    assert!(sources.contains(&value["pages"][0]["source"]));
    let codes = schema["$defs"]["error"]["properties"]["code"]["enum"]
        .as_array()
        .unwrap();
    assert_eq!(codes.len(), 15);
    for e in [
        ExtractError::Encrypted,
        ExtractError::Timeout { seconds: 1 },
    ] {
        assert!(codes.contains(&serde_json::Value::from(e.code())));
    }
}
