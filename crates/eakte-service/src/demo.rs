//! The demo data set: a file plan, a few Akten and documents, described by a manifest
//! (`fixtures/demo/demo.json`), so that a newcomer can search at once.

use std::path::{Path, PathBuf};

use crate::Principal;
use chrono::NaiveDate;
use eakte_types::{Confidentiality, PlanCode};
use serde::Deserialize;

use crate::{FileRequest, Filed, NewAkte, Service, ServiceError};

/// The manifest's file name inside the demo folder.
pub const DEMO_MANIFEST: &str = "demo.json";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    /// The file plan, relative to the manifest.
    plan: PathBuf,
    akten: Vec<DemoAkte>,
    #[serde(default)]
    inbox: Vec<DemoDocument>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoAkte {
    plan: PlanCode,
    title: String,
    unit: String,
    #[serde(default)]
    confidentiality: Confidentiality,
    /// Closed (zdA) today after its documents are filed.
    #[serde(default)]
    closed: bool,
    documents: Vec<DemoDocument>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoDocument {
    file: PathBuf,
    title: String,
    #[serde(rename = "type")]
    doc_type: Option<String>,
    received: Option<NaiveDate>,
    sender: Option<String>,
    /// The unit whose inbox receives a document of the inbox.
    unit: Option<String>,
}

/// What `demo` did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DemoReport {
    /// Whether the file plan was imported (false: a plan was there already).
    pub plan_imported: bool,
    /// Akten created (existing ones with the same plan code and title are reused).
    pub akten_created: usize,
    /// Documents filed.
    pub documents_filed: usize,
    /// Documents that were filed already.
    pub documents_present: usize,
}

impl Service {
    /// Sets up the demo: imports the plan when there is none, creates the Akten that do not
    /// exist yet, and files the documents (already filed ones are skipped), so that running it
    /// again changes nothing.
    pub fn demo(&self, who: &Principal, dir: &Path) -> Result<DemoReport, ServiceError> {
        self.require(who, crate::Right::Maintain)?;
        let manifest_path = dir.join(DEMO_MANIFEST);
        let text = std::fs::read(&manifest_path).map_err(|e| {
            ServiceError::input(
                "demo_missing",
                format!("cannot read {}: {e}", manifest_path.display()),
            )
        })?;
        let manifest: Manifest = serde_json::from_slice(&text).map_err(|e| {
            ServiceError::input(
                "demo_invalid",
                format!("{} is not a demo manifest: {e}", manifest_path.display()),
            )
        })?;
        let mut report = DemoReport::default();
        if self.parts.catalog.plan()?.is_none() {
            let plan_path = dir.join(&manifest.plan);
            let bytes = std::fs::read(&plan_path).map_err(|e| {
                ServiceError::input(
                    "demo_missing",
                    format!("cannot read {}: {e}", plan_path.display()),
                )
            })?;
            self.import_plan(who, &bytes)?;
            report.plan_imported = true;
        }
        let existing = self.parts.catalog.akten()?;
        for demo_akte in &manifest.akten {
            let akte = match existing
                .iter()
                .find(|a| a.plan_code == demo_akte.plan && a.title == demo_akte.title)
            {
                Some(akte) => akte.clone(),
                None => {
                    report.akten_created += 1;
                    self.create_akte(
                        who,
                        NewAkte {
                            plan_code: demo_akte.plan.clone(),
                            title: demo_akte.title.clone(),
                            unit: demo_akte.unit.clone(),
                            confidentiality: demo_akte.confidentiality,
                        },
                    )?
                }
            };
            for document in &demo_akte.documents {
                let filed = self.file_demo_document(who, dir, document, Some(&akte))?;
                count(&mut report, filed);
            }
            if demo_akte.closed && akte.closed_on.is_none() {
                self.close_akte(who, &akte.aktenzeichen.clone().into(), None)?;
            }
        }
        for document in &manifest.inbox {
            let filed = self.file_demo_document(who, dir, document, None)?;
            count(&mut report, filed);
        }
        Ok(report)
    }

    fn file_demo_document(
        &self,
        who: &Principal,
        dir: &Path,
        document: &DemoDocument,
        akte: Option<&eakte_catalog::Akte>,
    ) -> Result<Filed, ServiceError> {
        self.file_document(
            who,
            &dir.join(&document.file),
            &FileRequest {
                akte: akte.map(|a| a.aktenzeichen.clone().into()),
                title: Some(document.title.clone()),
                doc_type: document.doc_type.clone(),
                received: document.received,
                sender: document.sender.clone(),
                capture: None,
                unit: document.unit.clone(),
                ..FileRequest::default()
            },
        )
    }
}

fn count(report: &mut DemoReport, filed: Filed) {
    match filed {
        Filed::New(_) => report.documents_filed += 1,
        Filed::AlreadyFiled(_) => report.documents_present += 1,
    }
}
