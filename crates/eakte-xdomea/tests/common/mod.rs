//! Helpers shared by the integration tests.

#![allow(dead_code)]

use std::io::{Cursor, Read, Write};
use std::path::PathBuf;

use eakte_xdomea::samples::Sample;
use eakte_xdomea::{Package, appraisal_0502, offer_0501, receipt_0506, transfer_0503};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipArchive, ZipWriter};

/// The four sample messages: 0501, 0502, 0503, 0506.
pub fn sample_packages(sample: &Sample) -> [Package; 4] {
    let transferred = sample.transferred();
    [
        offer_0501(&sample.agency_header, &sample.akten).expect("0501"),
        appraisal_0502(&sample.archive_header, &sample.decisions()).expect("0502"),
        transfer_0503(&sample.agency_header, &transferred, &mut |file| {
            sample.file_bytes(file)
        })
        .expect("0503"),
        receipt_0506(&sample.archive_header, &sample.import_results()).expect("0506"),
    ]
}

/// A file below /work/shared (the checkout's sibling), if this machine has it.
pub fn shared(relative: &str) -> Option<PathBuf> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared")
        .join(relative);
    path.exists().then_some(path)
}

/// Entry names and contents of a zip.
pub fn unzip(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut archive = ZipArchive::new(Cursor::new(bytes)).expect("zip");
    (0..archive.len())
        .map(|index| {
            let mut entry = archive.by_index(index).expect("entry");
            let name = entry.name().expect("name").into_owned();
            let mut content = Vec::new();
            entry.read_to_end(&mut content).expect("content");
            (name, content)
        })
        .collect()
}

/// A deflated zip holding the given entries.
pub fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    for (name, content) in entries {
        writer.start_file(*name, options).expect("start");
        writer.write_all(content).expect("write");
    }
    writer.finish().expect("finish").into_inner()
}
