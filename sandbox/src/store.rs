//! The sandbox's memory: issued request URIs, frame sessions, each tenant's use cases,
//! the fault queue, the adjustable TTLs, and the counters tests read.
//!
//! Everything lives behind one mutex: the sandbox serves a demo or a test, never real
//! load, and one lock keeps "check then mark used" atomic, which is the whole point of a
//! single-use URI.

use crate::wizard::model::{Draft, Workspace};
use moments_protocol::frame::AuthorizeFailure;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, VecDeque};
use std::time::Duration;
use tokio::time::Instant;

/// The prefix RFC 9126 §2.2 gives request URIs.
pub const REQUEST_URI_PREFIX: &str = "urn:ietf:params:oauth:request_uri:";

/// How many live sessions the sandbox keeps; the oldest go first beyond this.
const MAX_SESSIONS: usize = 10_000;

/// How many tenants' workspaces the sandbox keeps; a new tenant beyond this evicts the
/// one seen longest ago.
const MAX_WORKSPACES: usize = 1_000;

/// How many request URIs the sandbox remembers (used and expired ones included, so it
/// can tell "reused" and "expired" from "unknown"). The oldest are forgotten first.
const REMEMBERED_URIS: usize = 10_000;

/// The tenant a PAR call was made for: Infobip's "with X" case.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Tenant {
    /// `application_id` from the PAR body, if any.
    pub application_id: Option<String>,
    /// `entity_id` from the PAR body, if any.
    pub entity_id: Option<String>,
}

impl Tenant {
    /// A short label for pages and logs, e.g. `app-1 / entity-7`, or `account` without X.
    pub fn label(&self) -> String {
        match (&self.application_id, &self.entity_id) {
            (None, None) => "account (no X tenant)".to_owned(),
            (Some(app), None) => app.clone(),
            (None, Some(entity)) => format!("entity {entity}"),
            (Some(app), Some(entity)) => format!("{app} / {entity}"),
        }
    }
}

/// What the sandbox knows about one issued request URI.
#[derive(Debug)]
struct Issued {
    tenant: Tenant,
    embedding_id: String,
    expires_at: Instant,
    used: bool,
}

/// A frame session, started by a successful authorize.
#[derive(Clone, Debug)]
pub(crate) struct Session {
    /// Whose data this session shows.
    pub tenant: Tenant,
    /// Which embedding was opened (templates are per embedding).
    pub embedding_id: String,
    /// When the session stops working.
    pub expires_at: Instant,
    /// The host page's origin, the only target the frame posts messages to.
    pub host_origin: Option<String>,
    /// A silent frame: it posts nothing to the host at all (the settings when it opened).
    pub silent: bool,
    /// Its requests must carry the session cookie (the settings when it opened).
    pub cookie: bool,
}

/// Counters for `GET /__sandbox/stats`, so tests assert on what Infobip saw.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    /// Every PAR call, whatever its outcome.
    pub par_calls: u64,
    /// PAR calls answered 201 with a fresh URI.
    pub par_issued: u64,
    /// PAR calls refused (auth, validation) or failed by an injected fault.
    pub par_failed: u64,
    /// Every `GET /authorize`.
    pub authorize_calls: u64,
    /// Authorizes that started a session.
    pub authorize_ok: u64,
    /// Refused authorizes, by reason.
    pub rejected: Rejected,
    /// PAR calls answered by an injected fault instead of normally.
    #[serde(default)]
    pub faults_applied: u64,
    /// Sessions ended early by `POST /__sandbox/sessions/expire`.
    #[serde(default)]
    pub sessions_expired: u64,
    /// Use cases activated through the wizard, all tenants together.
    #[serde(default)]
    pub use_cases_activated: u64,
}

/// Refused authorizes, by reason.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejected {
    /// Never issued (or forgotten).
    pub unknown: u64,
    /// Used before.
    pub reused: u64,
    /// Past `expires_in`.
    pub expired: u64,
}

impl Rejected {
    fn count(&mut self, reason: AuthorizeFailure) {
        match reason {
            AuthorizeFailure::Unknown => self.unknown += 1,
            AuthorizeFailure::Reused => self.reused += 1,
            AuthorizeFailure::Expired => self.expired += 1,
        }
    }
}

/// What the next PAR call does instead of answering normally.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "fault", rename_all = "snake_case", deny_unknown_fields)]
pub(crate) enum Fault {
    /// Answer with this status, in Infobip's error shape for it.
    Status {
        /// 400, 401, 403, 429, 500, 502 or 503.
        status: u16,
        /// Sent as `Retry-After`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retry_after_secs: Option<u64>,
    },
    /// Wait, then answer normally.
    Delay {
        /// How long.
        delay_ms: u64,
    },
    // Empty struct variants rather than unit ones: serde's `deny_unknown_fields` only
    // refuses extra fields on struct variants.
    /// Never answer.
    Hang {},
    /// 201 with a body that is not JSON.
    MalformedJson {},
    /// 201 JSON without `request_uri`.
    MissingRequestUri {},
    /// Close the connection without an HTTP response.
    Close {},
}

/// The lifetimes the admin API can change at run time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Settings {
    /// `expires_in` of the URIs issued from now on.
    pub(crate) request_uri_ttl: Duration,
    /// How long the sessions started from now on last.
    pub(crate) session_ttl: Duration,
    /// Whether the frames opened from now on post nothing to the host page, like a real
    /// frame whose messages this project does not know.
    pub(crate) silent_frame: bool,
    /// Whether the sessions started from now on live in a cookie, as an OAuth app's
    /// usually do: `/authorize` sets it, and every wizard request needs it.
    pub(crate) cookie_session: bool,
}

/// The mutable state of one sandbox.
#[derive(Debug)]
pub(crate) struct Store {
    issued: HashMap<String, Issued>,
    issue_order: VecDeque<String>,
    sessions: HashMap<String, Session>,
    session_order: VecDeque<String>,
    workspaces: HashMap<Tenant, Workspace>,
    drafts: HashMap<String, Draft>,
    /// Faults waiting for the next PAR calls, first in first out.
    pub(crate) faults: VecDeque<Fault>,
    /// The current lifetimes.
    pub(crate) settings: Settings,
    /// Counters.
    pub(crate) stats: Stats,
}

impl Store {
    /// An empty store with these lifetimes.
    pub(crate) fn new(settings: Settings) -> Self {
        Self {
            issued: HashMap::new(),
            issue_order: VecDeque::new(),
            sessions: HashMap::new(),
            session_order: VecDeque::new(),
            workspaces: HashMap::new(),
            drafts: HashMap::new(),
            faults: VecDeque::new(),
            settings,
            stats: Stats::default(),
        }
    }

    /// Back to a fresh start: no URIs, sessions, use cases, faults or counts, and these
    /// lifetimes.
    pub(crate) fn reset(&mut self, settings: Settings) {
        *self = Self::new(settings);
    }

    /// Ends every live session now; returns how many.
    pub(crate) fn expire_sessions(&mut self) -> usize {
        let now = Instant::now();
        let mut ended = 0;
        for session in self.sessions.values_mut().filter(|s| s.expires_at > now) {
            session.expires_at = now;
            ended += 1;
        }
        self.stats.sessions_expired += ended as u64;
        ended
    }

    /// The use cases of `tenant` (created empty on first use, within the cap).
    pub(crate) fn workspace(&mut self, tenant: &Tenant) -> &mut Workspace {
        if !self.workspaces.contains_key(tenant) && self.workspaces.len() >= MAX_WORKSPACES {
            let stalest = self
                .workspaces
                .iter()
                .min_by_key(|(_, w)| w.last_seen)
                .map(|(t, _)| t.clone());
            if let Some(stalest) = stalest {
                self.workspaces.remove(&stalest);
            }
        }
        let workspace = self.workspaces.entry(tenant.clone()).or_default();
        workspace.last_seen = Instant::now();
        workspace
    }

    /// The wizard draft of `session_id`, created empty on first use.
    pub(crate) fn draft(&mut self, session_id: &str) -> &mut Draft {
        self.drafts.entry(session_id.to_owned()).or_default()
    }

    /// Forgets the draft of `session_id` (after activation, or when starting over).
    pub(crate) fn clear_draft(&mut self, session_id: &str) {
        self.drafts.remove(session_id);
    }

    /// Issues a fresh single-use request URI for `tenant`, valid for `ttl`.
    pub(crate) fn issue(&mut self, tenant: Tenant, embedding_id: String, ttl: Duration) -> String {
        let request_uri = format!("{REQUEST_URI_PREFIX}{}", random_token());
        self.issued.insert(
            request_uri.clone(),
            Issued {
                tenant,
                embedding_id,
                expires_at: Instant::now() + ttl,
                used: false,
            },
        );
        self.issue_order.push_back(request_uri.clone());
        while self.issue_order.len() > REMEMBERED_URIS {
            if let Some(oldest) = self.issue_order.pop_front() {
                self.issued.remove(&oldest);
            }
        }
        request_uri
    }

    /// Spends `request_uri` and starts a session with the current settings (its
    /// lifetime, and whether its frame is silent), or says why not.
    ///
    /// A URI is spent even when it is presented too late: RFC 9126 makes it single use,
    /// and an attacker replaying an expired URI must not learn anything new by retrying.
    pub(crate) fn authorize(
        &mut self,
        request_uri: &str,
        host_origin: Option<String>,
    ) -> Result<(String, Session), AuthorizeFailure> {
        self.stats.authorize_calls += 1;
        let outcome = match self.issued.get_mut(request_uri) {
            None => Err(AuthorizeFailure::Unknown),
            Some(issued) if issued.used => Err(AuthorizeFailure::Reused),
            Some(issued) => {
                issued.used = true;
                if Instant::now() >= issued.expires_at {
                    Err(AuthorizeFailure::Expired)
                } else {
                    Ok((issued.tenant.clone(), issued.embedding_id.clone()))
                }
            }
        };
        match outcome {
            Ok((tenant, embedding_id)) => {
                self.stats.authorize_ok += 1;
                let session_id = random_token();
                let session = Session {
                    tenant,
                    embedding_id,
                    expires_at: Instant::now() + self.settings.session_ttl,
                    host_origin,
                    silent: self.settings.silent_frame,
                    cookie: self.settings.cookie_session,
                };
                self.start_session(session_id.clone(), session.clone());
                Ok((session_id, session))
            }
            Err(reason) => {
                self.stats.rejected.count(reason);
                Err(reason)
            }
        }
    }

    fn start_session(&mut self, session_id: String, session: Session) {
        let now = Instant::now();
        self.sessions.retain(|_, s| s.expires_at > now);
        let live = &self.sessions;
        self.session_order.retain(|id| live.contains_key(id));
        let live_ids = &self.sessions;
        self.drafts.retain(|id, _| live_ids.contains_key(id));
        while self.sessions.len() >= MAX_SESSIONS {
            match self.session_order.pop_front() {
                Some(oldest) => {
                    self.sessions.remove(&oldest);
                }
                None => break,
            }
        }
        self.session_order.push_back(session_id.clone());
        self.sessions.insert(session_id, session);
    }

    /// The session `session_id` whether or not it has ended (its host origin is still
    /// needed to tell the host that it has).
    pub(crate) fn session_even_ended(&self, session_id: &str) -> Option<&Session> {
        self.sessions.get(session_id)
    }

    /// The live session `session_id`, if it exists and has not expired.
    pub(crate) fn session(&self, session_id: &str) -> Option<&Session> {
        self.sessions
            .get(session_id)
            .filter(|s| s.expires_at > Instant::now())
    }
}

/// 192 random bits, hex: comfortably above RFC 9126's "at least 128 bits" for URIs.
fn random_token() -> String {
    let mut bytes = [0_u8; 24];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: Duration = Duration::from_secs(60);

    fn store() -> Store {
        Store::new(Settings {
            request_uri_ttl: MINUTE,
            session_ttl: MINUTE,
            silent_frame: false,
            cookie_session: false,
        })
    }

    #[tokio::test(start_paused = true)]
    async fn a_request_uri_opens_exactly_one_session() {
        let mut store = store();
        let uri = store.issue(Tenant::default(), "1".into(), MINUTE);
        assert!(uri.starts_with(REQUEST_URI_PREFIX));
        assert!(store.authorize(&uri, None).is_ok());
        assert_eq!(
            store.authorize(&uri, None).unwrap_err(),
            AuthorizeFailure::Reused
        );
        assert_eq!(
            store.authorize("urn:nope", None).unwrap_err(),
            AuthorizeFailure::Unknown
        );
        assert_eq!(store.stats.authorize_calls, 3);
        assert_eq!(store.stats.authorize_ok, 1);
        assert_eq!(store.stats.rejected.reused, 1);
        assert_eq!(store.stats.rejected.unknown, 1);
    }

    #[tokio::test(start_paused = true)]
    async fn an_expired_request_uri_is_refused_and_spent() {
        let mut store = store();
        let uri = store.issue(Tenant::default(), "1".into(), Duration::from_secs(5));
        tokio::time::advance(Duration::from_secs(5)).await;
        assert_eq!(
            store.authorize(&uri, None).unwrap_err(),
            AuthorizeFailure::Expired
        );
        assert_eq!(
            store.authorize(&uri, None).unwrap_err(),
            AuthorizeFailure::Reused
        );
    }

    #[tokio::test(start_paused = true)]
    async fn sessions_expire() {
        let mut store = store();
        store.settings.session_ttl = Duration::from_secs(2);
        let uri = store.issue(Tenant::default(), "1".into(), MINUTE);
        let (id, session) = store.authorize(&uri, None).unwrap();
        assert!(!session.silent);
        assert!(store.session(&id).is_some());
        tokio::time::advance(Duration::from_secs(2)).await;
        assert!(store.session(&id).is_none());
    }

    #[test]
    fn tokens_are_long_and_distinct() {
        let a = random_token();
        assert_eq!(a.len(), 48, "192 bits in hex");
        assert_ne!(a, random_token());
    }
}
