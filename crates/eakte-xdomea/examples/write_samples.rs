//! Writes the sample disposition's 0501, 0502, 0503 and 0506 messages (XML and zip container)
//! into a directory, so that CI can validate them with xmllint against the official schema:
//!
//! ```sh
//! cargo run -p eakte-xdomea --example write_samples -- OUTDIR
//! xmllint --noout --schema xdomea-3.0.0/xdomea.xsd OUTDIR/*.xml
//! ```

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use eakte_xdomea::samples::Sample;
use eakte_xdomea::{Package, XdomeaError, appraisal_0502, offer_0501, receipt_0506, transfer_0503};

fn main() -> ExitCode {
    let Some(dir) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: write_samples OUTDIR");
        return ExitCode::from(2);
    };
    match write_samples(&dir) {
        Ok(written) => {
            for path in written {
                println!("{}", path.display());
            }
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("write_samples: {error}");
            ExitCode::FAILURE
        }
    }
}

fn write_samples(dir: &Path) -> Result<Vec<PathBuf>, Box<dyn std::error::Error>> {
    std::fs::create_dir_all(dir)?;
    let mut written = Vec::new();
    for package in packages()? {
        let zip = dir.join(&package.file_name);
        let xml = zip.with_extension("xml");
        std::fs::write(&zip, &package.zip)?;
        std::fs::write(&xml, &package.xml)?;
        written.extend([xml, zip]);
    }
    Ok(written)
}

fn packages() -> Result<Vec<Package>, XdomeaError> {
    let sample = Sample::new();
    let transferred = sample.transferred();
    Ok(vec![
        offer_0501(&sample.agency_header, &sample.akten)?,
        appraisal_0502(&sample.archive_header, &sample.decisions())?,
        transfer_0503(&sample.agency_header, &transferred, &mut |file| {
            sample.file_bytes(file)
        })?,
        receipt_0506(&sample.archive_header, &sample.import_results())?,
    ])
}
