//! Retention use cases: the adopted rule set, events on Akten, an Akte's retention state, the
//! due list, and legal holds. Evaluation itself is `eakte_retention`'s pure function; this
//! module gathers the facts, checks rights and journals.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{NaiveDate, Utc};
use eakte_catalog::{Akte, Change, FilePlan, Hold, HoldScope, Release};
use eakte_journal::{NewEvent, Outcome, action};
use eakte_retention::{Facts, RetentionState, Rule, RuleSet, Status};
use eakte_store::BlobStore;
use eakte_types::{AkteId, BatchId, BlobId, DokumentId, HoldId, VorgangId};
use serde::{Deserialize, Serialize};
use tracing::info;

use crate::access::{Hidden, Principal, Right};
use crate::filing::AkteKey;
use crate::{Service, ServiceError};

/// The stored form of an adopted rule set: the rule files as they were read.
#[derive(Debug, Serialize, Deserialize)]
struct StoredRules {
    files: Vec<StoredRuleFile>,
}

#[derive(Debug, Serialize, Deserialize)]
struct StoredRuleFile {
    name: String,
    text: String,
}

/// An Akte's retention as the service reports it.
#[derive(Debug, Clone, Serialize)]
pub struct RetentionView {
    /// The Akte.
    pub akte: AkteId,
    /// Its Aktenzeichen.
    pub aktenzeichen: String,
    /// Its file plan unit.
    pub plan_code: String,
    /// Its organisational unit.
    pub unit: String,
    /// The rule its plan unit assigns, if any; without one nothing is ever due.
    pub rule: Option<String>,
    /// The state under that rule on the day asked for.
    pub state: Option<RetentionState>,
    /// The active holds covering it.
    pub holds: Vec<HoldId>,
    /// The disposition batch it is in, if any.
    pub batch: Option<BatchId>,
}

/// What a hold is set on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HoldTarget {
    /// An Akte.
    Akte(AkteKey),
    /// A Vorgang.
    Vorgang(VorgangId),
    /// A document.
    Dokument(DokumentId),
    /// Every document a full-text query matches now.
    Query(String),
}

/// The most documents a query hold may cover: the hold, with their ids, is one journal entry.
pub const MAX_QUERY_HOLD_DOCUMENTS: usize = 500;

impl Service {
    /// The adopted rule set; on a data directory that has none yet, the shipped rules are
    /// adopted first (journaled as `who`'s act).
    pub(crate) fn rules_for(&self, who: &Principal) -> Result<Arc<RuleSet>, ServiceError> {
        if let Some(rules) = self.adopted_rules()? {
            return Ok(rules);
        }
        let files: Vec<(String, String)> = eakte_retention::SHIPPED_RULE_FILES
            .iter()
            .map(|(n, t)| ((*n).to_owned(), (*t).to_owned()))
            .collect();
        self.adopt_rules_unchecked(who, &files)?;
        self.adopted_rules()?
            .ok_or_else(|| ServiceError::Internal("the adopted rules cannot be read back".into()))
    }

    /// The adopted rule set, if one was adopted.
    pub(crate) fn adopted_rules(&self) -> Result<Option<Arc<RuleSet>>, ServiceError> {
        let Some(blob) = self.parts.catalog.rule_set()? else {
            return Ok(None);
        };
        let mut cached = self
            .parts
            .rules
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((id, rules)) = cached.as_ref()
            && *id == blob
        {
            return Ok(Some(Arc::clone(rules)));
        }
        let bytes = self.parts.store.get_bytes(&blob)?;
        let rules = Arc::new(parse_stored_rules(&bytes, &blob)?);
        *cached = Some((blob, Arc::clone(&rules)));
        Ok(Some(rules))
    }

    /// The rule set in force, for reading: adopted, or the shipped one while none is.
    pub fn retention_rules(&self, who: &Principal) -> Result<Arc<RuleSet>, ServiceError> {
        self.require(who, Right::ReadRetention)?;
        match self.adopted_rules()? {
            Some(rules) => Ok(rules),
            None => Ok(Arc::new(eakte_retention::shipped_rules().map_err(|e| {
                ServiceError::Internal(format!("the shipped rules do not load: {e}"))
            })?)),
        }
    }

    /// Adopts rule files (name, text): they are validated, checked against the rules in force
    /// (no rule the plan uses may go, none may be shortened) and the plan, stored, and
    /// journaled.
    pub fn adopt_rules(
        &self,
        who: &Principal,
        files: &[(String, String)],
    ) -> Result<usize, ServiceError> {
        self.require(who, Right::ManageRetention)?;
        let new = RuleSet::from_sources(files)
            .map_err(|e| ServiceError::input("rules_invalid", e.to_string()))?;
        if let Some(old) = self.adopted_rules()? {
            for rule in old.rules() {
                match new.get(&rule.id) {
                    Some(replacement) => {
                        if let Some(why) = eakte_retention::shortening(rule, replacement) {
                            return Err(ServiceError::input(
                                "rules_would_shorten",
                                format!("rule {} would shorten retention: {why}", rule.id),
                            ));
                        }
                    }
                    None => {
                        if let Some(plan) = self.parts.catalog.plan()?
                            && let Some((_, unit)) = plan
                                .units()
                                .find(|(_, u)| u.retention_rule.as_deref() == Some(&rule.id))
                        {
                            return Err(ServiceError::input(
                                "rules_would_shorten",
                                format!(
                                    "rule {} is missing, but file plan unit {} uses it",
                                    rule.id, unit.code
                                ),
                            ));
                        }
                    }
                }
            }
        }
        if let Some(plan) = self.parts.catalog.plan()? {
            check_plan_against_rules(&plan, &new)?;
        }
        self.adopt_rules_unchecked(who, files)?;
        Ok(new.len())
    }

    fn adopt_rules_unchecked(
        &self,
        who: &Principal,
        files: &[(String, String)],
    ) -> Result<(), ServiceError> {
        let stored = StoredRules {
            files: files
                .iter()
                .map(|(name, text)| StoredRuleFile {
                    name: name.clone(),
                    text: text.clone(),
                })
                .collect(),
        };
        let bytes = serde_json::to_vec(&stored)
            .map_err(|e| ServiceError::Internal(format!("rule files: {e}")))?;
        let put = self.parts.store.put(&mut &bytes[..])?;
        let guard = self.parts.write_lock();
        // Another request may have adopted the same files meanwhile.
        if self.parts.catalog.rule_set()? == Some(put.id) {
            return Ok(());
        }
        self.parts
            .commit_change(&guard, &who.actor(), &Change::RulesAdopted { blob: put.id })?;
        info!(blob = %put.id, "retention rules adopted");
        Ok(())
    }

    /// Checks a file plan about to be imported against the rules: every rule it names exists
    /// and governs the unit's record class, and no unit moves to a rule that keeps less.
    pub(crate) fn check_plan_rules(
        &self,
        who: &Principal,
        plan: &FilePlan,
    ) -> Result<(), ServiceError> {
        let rules = self.rules_for(who)?;
        check_plan_against_rules(plan, &rules)?;
        if let Some(current) = self.parts.catalog.plan()? {
            for (_, unit) in plan.units() {
                let Some(old_unit) = current.find(&unit.code) else {
                    continue;
                };
                let (Some(old), Some(new)) = (
                    old_unit
                        .retention_rule
                        .as_deref()
                        .and_then(|r| rules.get(r)),
                    unit.retention_rule.as_deref().and_then(|r| rules.get(r)),
                ) else {
                    continue;
                };
                if let Some(why) = eakte_retention::shortening(old, new) {
                    return Err(ServiceError::input(
                        "rules_would_shorten",
                        format!(
                            "unit {} would move from rule {} to {}, which shortens retention: {why}",
                            unit.code, old.id, new.id
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Records an event of an Akte (`person.moved_away` on a day); retention periods start
    /// from such events. A recorded event can move later, never earlier.
    pub fn record_event(
        &self,
        who: &Principal,
        key: &AkteKey,
        name: &str,
        date: NaiveDate,
    ) -> Result<Akte, ServiceError> {
        self.require(who, Right::RecordEvents)?;
        if !eakte_retention::is_recordable(name) {
            let known: Vec<&str> = eakte_retention::EVENTS
                .iter()
                .filter(|e| !e.derived)
                .map(|e| e.name)
                .collect();
            return Err(ServiceError::input(
                "unknown_event",
                format!(
                    "{name:?} is not an event that is recorded; known: {}",
                    known.join(", ")
                ),
            ));
        }
        let akte = self.reachable_akte(who, Right::RecordEvents, key)?;
        {
            let guard = self.parts.write_lock();
            self.parts.commit_change(
                &guard,
                &who.actor(),
                &Change::AkteDomainDate {
                    id: akte.id,
                    name: name.to_owned(),
                    date,
                },
            )?;
        }
        self.parts.akte(&AkteKey::Id(akte.id))
    }

    /// The retention of one Akte on `day`.
    pub fn retention_of(
        &self,
        who: &Principal,
        key: &AkteKey,
        day: NaiveDate,
    ) -> Result<RetentionView, ServiceError> {
        self.require(who, Right::ReadRetention)?;
        let akte = self.reachable_akte(who, Right::ReadRetention, key)?;
        let rules = self.retention_rules(who)?;
        let plan = self.parts.catalog.plan()?;
        let holds = self.parts.catalog.try_active_holds()?;
        let view = self.view_of(&akte, plan.as_ref(), &rules, &holds, day)?;
        self.parts.journal.append(
            NewEvent::new(who.actor(), action::RETENTION_READ, Outcome::Ok)
                .object("akte", akte.id.to_string())
                .detail("day", day.to_string()),
        )?;
        Ok(view)
    }

    /// The Akten whose end action is due on `day` (status due or blocked), in Aktenzeichen
    /// order, within the caller's reach.
    pub fn retention_due(
        &self,
        who: &Principal,
        day: NaiveDate,
    ) -> Result<Vec<RetentionView>, ServiceError> {
        self.require(who, Right::ReadRetention)?;
        let due = self.due_views(who, day)?;
        self.parts.journal.append(
            NewEvent::new(who.actor(), action::RETENTION_READ, Outcome::Ok)
                .detail("due_on", day.to_string())
                .detail("listed", due.len()),
        )?;
        Ok(due)
    }

    /// The due list without journaling (for proposals, which journal themselves).
    pub(crate) fn due_views(
        &self,
        who: &Principal,
        day: NaiveDate,
    ) -> Result<Vec<RetentionView>, ServiceError> {
        let rules = self.retention_rules(who)?;
        let plan = self.parts.catalog.plan()?;
        let holds = self.parts.catalog.try_active_holds()?;
        let mut due = Vec::new();
        for akte in self.parts.catalog.akten()? {
            if !who.reaches_akte(&akte) {
                continue;
            }
            let view = self.view_of(&akte, plan.as_ref(), &rules, &holds, day)?;
            if view
                .state
                .as_ref()
                .is_some_and(|s| matches!(s.status, Status::Due | Status::Blocked))
            {
                due.push(view);
            }
        }
        Ok(due)
    }

    /// An Akte's retention view from what is already loaded.
    pub(crate) fn view_of(
        &self,
        akte: &Akte,
        plan: Option<&FilePlan>,
        rules: &RuleSet,
        holds: &BTreeMap<AkteId, Vec<HoldId>>,
        day: NaiveDate,
    ) -> Result<RetentionView, ServiceError> {
        let rule_id = plan
            .and_then(|p| p.find(&akte.plan_code))
            .and_then(|u| u.retention_rule.clone());
        let held: Vec<HoldId> = holds.get(&akte.id).cloned().unwrap_or_default();
        let state = match rule_id.as_deref() {
            Some(id) => {
                let rule: &Rule = rules.get(id).ok_or_else(|| {
                    ServiceError::Corruption(format!(
                        "file plan unit {} names rule {id}, which is not in force",
                        akte.plan_code
                    ))
                })?;
                let facts = Facts {
                    created: crate::service::office_date(akte.created),
                    closed_on: akte.closed_on,
                    events: &akte.domain_dates,
                };
                let hold_ids: Vec<String> = held.iter().map(ToString::to_string).collect();
                Some(eakte_retention::evaluate(rule, &facts, &hold_ids, day))
            }
            None => None,
        };
        Ok(RetentionView {
            akte: akte.id,
            aktenzeichen: akte.aktenzeichen.to_string(),
            plan_code: akte.plan_code.to_string(),
            unit: akte.unit.clone(),
            rule: rule_id,
            state,
            holds: held,
            batch: self.parts.catalog.batch_of(akte.id)?,
        })
    }

    /// Sets a legal hold; prints nothing, returns the hold.
    pub fn set_hold(
        &self,
        who: &Principal,
        target: &HoldTarget,
        reason: &str,
    ) -> Result<Hold, ServiceError> {
        self.require(who, Right::ManageRetention)?;
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(ServiceError::input(
                "hold_incomplete",
                "a hold needs a reason",
            ));
        }
        let scope = match target {
            HoldTarget::Akte(key) => HoldScope::Akte {
                id: self.reachable_akte(who, Right::ManageRetention, key)?.id,
            },
            HoldTarget::Vorgang(id) => {
                if self.parts.catalog.vorgang(*id)?.is_none() {
                    return Err(self.hide(
                        who,
                        Right::ManageRetention,
                        "vorgang",
                        &id.to_string(),
                        Hidden::Unknown,
                    ));
                }
                HoldScope::Vorgang { id: *id }
            }
            HoldTarget::Dokument(id) => {
                self.reachable_document(who, Right::ManageRetention, *id)?;
                HoldScope::Dokument { id: *id }
            }
            HoldTarget::Query(query) => HoldScope::Query {
                query: query.clone(),
                documents: self.documents_matching(query)?,
            },
        };
        let hold = Hold {
            id: HoldId::new_random(),
            scope,
            reason: reason.to_owned(),
            set_by: who.user.clone(),
            set_at: Utc::now(),
            released: None,
        };
        let guard = self.parts.write_lock();
        self.parts.commit_change(
            &guard,
            &who.actor(),
            &Change::HoldSet { hold: hold.clone() },
        )?;
        info!(hold = %hold.id, "hold set");
        Ok(hold)
    }

    /// Every document a query matches, across all units (the hold covers them all).
    fn documents_matching(&self, query: &str) -> Result<Vec<DokumentId>, ServiceError> {
        let limit = MAX_QUERY_HOLD_DOCUMENTS.min(self.parts.config.index.max_results);
        let request = eakte_index::SearchRequest::new(query, limit);
        let results = self.parts.index.search(&request)?;
        if results.total > limit {
            return Err(ServiceError::input(
                "hold_too_wide",
                format!(
                    "the query matches {} documents; a query hold covers at most {limit}",
                    results.total
                ),
            ));
        }
        let mut ids: Vec<DokumentId> = results.hits.iter().map(|h| h.document_id).collect();
        ids.sort();
        ids.dedup();
        if ids.is_empty() {
            return Err(ServiceError::input(
                "hold_incomplete",
                "the query matches no document",
            ));
        }
        Ok(ids)
    }

    /// Releases a hold.
    pub fn release_hold(&self, who: &Principal, id: HoldId) -> Result<Hold, ServiceError> {
        self.require(who, Right::ManageRetention)?;
        if self.parts.catalog.hold(id)?.is_none() {
            return Err(self.hide(
                who,
                Right::ManageRetention,
                "hold",
                &id.to_string(),
                Hidden::Unknown,
            ));
        }
        let guard = self.parts.write_lock();
        self.parts.commit_change(
            &guard,
            &who.actor(),
            &Change::HoldReleased {
                id,
                release: Release {
                    by: who.user.clone(),
                    at: Utc::now(),
                },
            },
        )?;
        drop(guard);
        self.parts
            .catalog
            .hold(id)?
            .ok_or_else(|| ServiceError::Internal(format!("hold {id} vanished")))
    }

    /// Every hold, released ones included.
    pub fn holds(&self, who: &Principal) -> Result<Vec<Hold>, ServiceError> {
        self.require(who, Right::ReadDisposition)?;
        let holds = self.parts.catalog.holds()?;
        self.parts.journal.append(
            NewEvent::new(who.actor(), action::RETENTION_READ, Outcome::Ok)
                .detail("holds", holds.len()),
        )?;
        Ok(holds)
    }
}

fn parse_stored_rules(bytes: &[u8], blob: &BlobId) -> Result<RuleSet, ServiceError> {
    let stored: StoredRules = serde_json::from_slice(bytes).map_err(|e| {
        ServiceError::Corruption(format!("the rule set {blob} does not decode: {e}"))
    })?;
    let files: Vec<(String, String)> = stored.files.into_iter().map(|f| (f.name, f.text)).collect();
    RuleSet::from_sources(&files)
        .map_err(|e| ServiceError::Corruption(format!("the adopted rule set {blob}: {e}")))
}

/// Every rule the plan names exists and governs the unit's record class.
fn check_plan_against_rules(plan: &FilePlan, rules: &RuleSet) -> Result<(), ServiceError> {
    for (_, unit) in plan.units() {
        let Some(id) = &unit.retention_rule else {
            continue;
        };
        let Some(rule) = rules.get(id) else {
            return Err(ServiceError::input(
                "plan_invalid",
                format!(
                    "file plan unit {} names rule {id}, which is not in force",
                    unit.code
                ),
            ));
        };
        if !rule.record_classes.contains(&unit.record_class) {
            return Err(ServiceError::input(
                "plan_invalid",
                format!(
                    "file plan unit {} is a {}, but rule {id} governs {}",
                    unit.code,
                    unit.record_class.as_str(),
                    rule.record_classes
                        .iter()
                        .map(|c| c.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
    }
    Ok(())
}
