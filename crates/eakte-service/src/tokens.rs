//! API tokens: created with a role, units and a clearance, shown once, kept only as a SHA-256
//! hash in `DATA/auth/tokens.json`, checked on every request, revoked for good.
//!
//! A token is `eakte_<id>_<secret>`: the id (16 hex digits) names it in lists and in the
//! journal, the secret (64 hex digits, 256 random bits) is what proves it. Because the secret
//! has full entropy, one SHA-256 suffices to store it (no password hashing needed), and a
//! lookup by hash compares nothing that depends on the secret. A later login through LDAP or
//! OIDC would produce the same [`Principal`]; only this module knows about tokens.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError, RwLock};

use chrono::{DateTime, Utc};
use eakte_journal::{NewEvent, Outcome, action};
use eakte_types::Confidentiality;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::access::{Principal, Right, Role};
use crate::{Service, ServiceError};

/// The file of token records, below the data directory.
pub const TOKEN_FILE: &str = "auth/tokens.json";

/// A token as stored: everything but the secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenRecord {
    /// The public id, 16 hex digits.
    pub id: String,
    /// SHA-256 of the whole token text, hex.
    pub sha256: String,
    /// The user the token acts for.
    pub user: String,
    /// Its role.
    pub role: Role,
    /// Its organisational units.
    pub units: Vec<String>,
    /// Its clearance: `offen`, `nfd` or `vertraulich`.
    pub clearance: Confidentiality,
    /// When it was created.
    pub created: DateTime<Utc>,
    /// Who created it.
    pub created_by: String,
    /// When it was revoked, if it was.
    pub revoked: Option<DateTime<Utc>>,
}

/// What a new token is for.
#[derive(Debug, Clone)]
pub struct NewToken {
    /// The user id: 1–64 of `a-z A-Z 0-9 . _ -`.
    pub user: String,
    /// The role (not `operator`).
    pub role: Role,
    /// The units; a scanner and a clerk need at least one.
    pub units: Vec<String>,
    /// The clearance.
    pub clearance: Confidentiality,
}

/// Why a request could not be authenticated (the caller sees one answer for all of them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthFailure {
    /// No `Authorization: Bearer …` header.
    Missing,
    /// Not of the token's form.
    Malformed,
    /// No token with this secret.
    Unknown,
    /// The token was revoked.
    Revoked,
}

impl AuthFailure {
    fn as_str(self) -> &'static str {
        match self {
            Self::Missing => "missing",
            Self::Malformed => "malformed",
            Self::Unknown => "unknown",
            Self::Revoked => "revoked",
        }
    }
}

/// The token records of a data directory, with a lookup by hash.
pub(crate) struct Tokens {
    path: PathBuf,
    state: RwLock<State>,
    /// Serialises writers of the file.
    writing: Mutex<()>,
}

#[derive(Default)]
struct State {
    records: Vec<TokenRecord>,
    by_hash: HashMap<[u8; 32], usize>,
}

impl State {
    fn new(records: Vec<TokenRecord>) -> Result<Self, ServiceError> {
        let mut by_hash = HashMap::new();
        for (i, record) in records.iter().enumerate() {
            let hash = decode_hash(&record.sha256).ok_or_else(|| {
                ServiceError::Corruption(format!("token {} has a bad hash", record.id))
            })?;
            by_hash.insert(hash, i);
        }
        Ok(Self { records, by_hash })
    }
}

impl Tokens {
    pub(crate) fn open(data: &Path) -> Result<Self, ServiceError> {
        let path = data.join(TOKEN_FILE);
        let records = match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
                ServiceError::Corruption(format!("{} does not decode: {e}", path.display()))
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => {
                return Err(ServiceError::io(
                    format!("cannot read {}", path.display()),
                    e,
                ));
            }
        };
        Ok(Self {
            path,
            state: RwLock::new(State::new(records)?),
            writing: Mutex::new(()),
        })
    }

    fn records(&self) -> Vec<TokenRecord> {
        self.state
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .records
            .clone()
    }

    /// Writes `records` durably, then makes them current.
    fn replace(&self, records: Vec<TokenRecord>) -> Result<(), ServiceError> {
        let state = State::new(records)?;
        let bytes = serde_json::to_vec_pretty(&state.records)
            .map_err(|e| ServiceError::Internal(format!("cannot encode tokens: {e}")))?;
        if let Some(parent) = self.path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| ServiceError::io(format!("cannot create {}", parent.display()), e))?;
        }
        eakte_segment::write_file_durably(&self.path, &bytes)
            .map_err(|e| ServiceError::Internal(format!("cannot write the tokens: {e}")))?;
        *self.state.write().unwrap_or_else(PoisonError::into_inner) = state;
        Ok(())
    }

    fn check(&self, token: &str) -> Result<TokenRecord, AuthFailure> {
        let Some(id) = token_id(token) else {
            return Err(AuthFailure::Malformed);
        };
        let hash: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        let state = self.state.read().unwrap_or_else(PoisonError::into_inner);
        let record = state
            .by_hash
            .get(&hash)
            .map(|i| &state.records[*i])
            .filter(|r| r.id == id)
            .ok_or(AuthFailure::Unknown)?;
        if record.revoked.is_some() {
            return Err(AuthFailure::Revoked);
        }
        Ok(record.clone())
    }
}

/// The id part of a token of the right form.
fn token_id(token: &str) -> Option<&str> {
    let rest = token.strip_prefix("eakte_")?;
    let (id, secret) = rest.split_once('_')?;
    let hex = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_hexdigit());
    (hex(id, 16) && hex(secret, 64)).then_some(id)
}

fn decode_hash(text: &str) -> Option<[u8; 32]> {
    hex::decode(text).ok()?.try_into().ok()
}

fn check_name(what: &str, name: &str) -> Result<(), ServiceError> {
    let ok = (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(ServiceError::input(
            "bad_token_request",
            format!("the {what} {name:?} must be 1–64 of a-z, A-Z, 0-9, '.', '_', '-'"),
        ))
    }
}

impl Service {
    /// Creates a token; returns its record and the token text, which is shown this once.
    pub fn create_token(
        &self,
        who: &Principal,
        new: NewToken,
    ) -> Result<(TokenRecord, String), ServiceError> {
        self.require(who, Right::ManageTokens)?;
        check_name("user", &new.user)?;
        if new.role == Role::Operator {
            return Err(ServiceError::input(
                "bad_token_request",
                "a token cannot carry the operator role",
            ));
        }
        for unit in &new.units {
            if unit.trim().is_empty()
                || unit.len() > 128
                || unit.contains(';')
                || unit.chars().any(char::is_control)
            {
                return Err(ServiceError::input(
                    "bad_token_request",
                    format!(
                        "the unit {unit:?} must be 1–128 bytes without ';' or control characters"
                    ),
                ));
            }
        }
        if matches!(new.role, Role::Scanner | Role::Clerk) && new.units.is_empty() {
            return Err(ServiceError::input(
                "bad_token_request",
                format!("a {} token needs at least one unit", new.role),
            ));
        }
        let mut random = [0u8; 40];
        rand::rng().fill_bytes(&mut random);
        let id = hex::encode(&random[..8]);
        let token = format!("eakte_{id}_{}", hex::encode(&random[8..]));
        let record = TokenRecord {
            id: id.clone(),
            sha256: hex::encode(Sha256::digest(token.as_bytes())),
            user: new.user,
            role: new.role,
            units: new.units,
            clearance: new.clearance,
            created: Utc::now(),
            created_by: who.user.clone(),
            revoked: None,
        };
        let _writing = self
            .tokens
            .writing
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        // Journaled first: a token nobody can trace back does not come to exist.
        self.parts.journal.append(
            NewEvent::new(who.actor(), action::TOKEN_CREATED, Outcome::Ok)
                .object("token", id)
                .detail("user", record.user.clone())
                .detail("role", record.role.as_str())
                .detail("units", record.units.clone())
                .detail("clearance", record.clearance.as_str()),
        )?;
        let mut records = self.tokens.records();
        records.push(record.clone());
        self.tokens.replace(records)?;
        Ok((record, token))
    }

    /// Every token record (without secrets), the revoked ones included.
    pub fn list_tokens(&self, who: &Principal) -> Result<Vec<TokenRecord>, ServiceError> {
        self.require(who, Right::ManageTokens)?;
        Ok(self.tokens.records())
    }

    /// Revokes a token for good; revoking it again changes nothing.
    pub fn revoke_token(&self, who: &Principal, id: &str) -> Result<TokenRecord, ServiceError> {
        self.require(who, Right::ManageTokens)?;
        let _writing = self
            .tokens
            .writing
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let mut records = self.tokens.records();
        let Some(record) = records.iter_mut().find(|r| r.id == id) else {
            return Err(ServiceError::NotFound {
                what: format!("token {id}"),
            });
        };
        if record.revoked.is_none() {
            self.parts.journal.append(
                NewEvent::new(who.actor(), action::TOKEN_REVOKED, Outcome::Ok).object("token", id),
            )?;
            record.revoked = Some(Utc::now());
        }
        let record = record.clone();
        self.tokens.replace(records)?;
        Ok(record)
    }

    /// Whether any token that is not revoked has this role (the server's first start creates
    /// an admin token when none has).
    pub fn has_live_token(&self, role: Role) -> bool {
        self.tokens
            .records()
            .iter()
            .any(|r| r.role == role && r.revoked.is_none())
    }

    /// The principal of a bearer token. A failure is journaled (`auth.failed`, with the token's
    /// id when it has one, never its secret) and answered with [`ServiceError::Unauthenticated`];
    /// if the journal cannot take the entry, with the journal's error.
    pub fn authenticate(
        &self,
        token: Option<&str>,
        client: Option<String>,
    ) -> Result<Principal, ServiceError> {
        let result = match token {
            None => Err(AuthFailure::Missing),
            Some(token) => self.tokens.check(token),
        };
        match result {
            Ok(record) => Ok(Principal {
                user: record.user,
                role: record.role,
                units: record.units,
                clearance: record.clearance,
                client,
            }),
            Err(failure) => {
                let actor = eakte_journal::Actor {
                    user: "anonymous".into(),
                    role: "none".into(),
                    unit: None,
                    client,
                };
                let mut event = NewEvent::new(actor, action::AUTH_FAILED, Outcome::Denied)
                    .detail("reason", failure.as_str());
                if let Some(id) = token.and_then(token_id) {
                    event = event.object("token", id);
                }
                self.parts.journal.append(event)?;
                Err(ServiceError::Unauthenticated(failure))
            }
        }
    }
}
