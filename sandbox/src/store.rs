//! The sandbox's memory: issued request URIs (and the product each was minted for),
//! frame sessions, each tenant's workspace (use cases, chatbots), the fault queue, the
//! adjustable settings, and the counters tests read.
//!
//! Everything lives behind one mutex: the sandbox serves a demo or a test, never real
//! load, and one lock keeps "check then mark used" atomic, which is the whole point of a
//! single-use URI.

use crate::answers::model::Chatbot;
use crate::wizard::model::{Draft, UseCase};
use moments_protocol::Product;
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

/// What a PAR call asked for: a product, and for Moments which embedding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Opens {
    /// The Campaign wizard of this embedding.
    Moments {
        /// The `embedding_id` of the PAR call.
        embedding_id: String,
    },
    /// The chatbot builder (Infobip's Answers call names no embedding).
    Answers,
}

impl Opens {
    /// The product it opens.
    pub(crate) fn product(&self) -> Product {
        match self {
            Self::Moments { .. } => Product::Moments,
            Self::Answers => Product::Answers,
        }
    }
}

/// What the sandbox knows about one issued request URI.
#[derive(Debug)]
struct Issued {
    tenant: Tenant,
    opens: Opens,
    expires_at: Instant,
    used: bool,
}

/// A frame session, started by a successful authorize.
#[derive(Clone, Debug)]
pub(crate) struct Session {
    /// Whose data this session shows.
    pub tenant: Tenant,
    /// What was opened: the product (a session works in its own product's frame only)
    /// and, for Moments, the embedding (templates are per embedding).
    pub opens: Opens,
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
    /// Chatbots created in the Answers builder, all tenants together.
    #[serde(default)]
    pub chatbots_created: u64,
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
    /// Minted for the other product (a Moments URI at `/answers/authorize`, or the
    /// reverse). The frame is told `unknown`.
    #[serde(default)]
    pub other_product: u64,
}

impl Rejected {
    fn count(&mut self, refusal: &Refusal) {
        match (refusal.minted_for, refusal.reason) {
            (Some(_), _) => self.other_product += 1,
            (None, AuthorizeFailure::Unknown) => self.unknown += 1,
            (None, AuthorizeFailure::Reused) => self.reused += 1,
            (None, AuthorizeFailure::Expired) => self.expired += 1,
        }
    }
}

/// Why an authorize was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Refusal {
    /// The reason the frame reports (`moments:error`).
    pub(crate) reason: AuthorizeFailure,
    /// When the URI was minted for another product than the frame's: that product.
    pub(crate) minted_for: Option<Product>,
}

impl From<AuthorizeFailure> for Refusal {
    fn from(reason: AuthorizeFailure) -> Self {
        Self {
            reason,
            minted_for: None,
        }
    }
}

/// A tenant's workspace: what it made in either product's frame.
#[derive(Debug)]
pub(crate) struct Workspace {
    /// Use cases activated in the Campaign wizard.
    pub(crate) use_cases: Vec<UseCase>,
    /// The number of the next use case (`uc-<n>`).
    pub(crate) next_id: u32,
    /// Chatbots made in the Answers builder.
    pub(crate) chatbots: Vec<Chatbot>,
    /// The number of the next chatbot (`bot-<n>`).
    pub(crate) next_chatbot: u32,
    /// When a session of this tenant last used it (the stalest goes first at the cap).
    pub(crate) last_seen: Instant,
}

impl Default for Workspace {
    fn default() -> Self {
        Self {
            use_cases: Vec::new(),
            next_id: 1,
            chatbots: Vec::new(),
            next_chatbot: 1,
            last_seen: Instant::now(),
        }
    }
}

impl Workspace {
    /// The use case `id`, if this tenant has it.
    pub(crate) fn get_mut(&mut self, id: &str) -> Option<&mut UseCase> {
        self.use_cases.iter_mut().find(|u| u.id == id)
    }

    /// The chatbot `id`, if this tenant has it.
    pub(crate) fn chatbot_mut(&mut self, id: &str) -> Option<&mut Chatbot> {
        self.chatbots.iter_mut().find(|bot| bot.id == id)
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

/// What the admin API can change at run time.
#[derive(Clone, Debug, PartialEq, Eq)]
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
    /// The scopes the API key holds: a PAR call asking for others is refused with 403.
    pub(crate) key_scopes: Vec<String>,
}

impl From<&crate::SandboxConfig> for Settings {
    /// The settings a sandbox starts with (and `reset` returns to).
    fn from(config: &crate::SandboxConfig) -> Self {
        Self {
            request_uri_ttl: config.request_uri_ttl,
            session_ttl: config.session_ttl,
            silent_frame: false,
            cookie_session: false,
            key_scopes: config.key_scopes.clone(),
        }
    }
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

    /// Issues a fresh single-use request URI for `tenant` to open `opens`, valid for `ttl`.
    pub(crate) fn issue(&mut self, tenant: Tenant, opens: Opens, ttl: Duration) -> String {
        let request_uri = format!("{REQUEST_URI_PREFIX}{}", random_token());
        self.issued.insert(
            request_uri.clone(),
            Issued {
                tenant,
                opens,
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

    /// Spends `request_uri` in the frame of `product` and starts a session with the
    /// current settings (its lifetime, whether its frame is silent, whether it lives in
    /// a cookie), or says why not.
    ///
    /// A URI is spent even when it is presented too late, or to the other product's
    /// frame: RFC 9126 makes it single use, and an attacker replaying a URI must not
    /// learn anything new by retrying it elsewhere. (A host that sends a URI to the wrong
    /// frame has a configuration to fix, and asks for a new one once it has.)
    pub(crate) fn authorize(
        &mut self,
        product: Product,
        request_uri: &str,
        host_origin: Option<String>,
    ) -> Result<(String, Session), Refusal> {
        self.stats.authorize_calls += 1;
        let outcome = match self.issued.get_mut(request_uri) {
            None => Err(AuthorizeFailure::Unknown.into()),
            Some(issued) if issued.used => Err(AuthorizeFailure::Reused.into()),
            Some(issued) => {
                issued.used = true;
                let minted_for = issued.opens.product();
                if minted_for != product {
                    Err(Refusal {
                        reason: AuthorizeFailure::Unknown,
                        minted_for: Some(minted_for),
                    })
                } else if Instant::now() >= issued.expires_at {
                    Err(AuthorizeFailure::Expired.into())
                } else {
                    Ok((issued.tenant.clone(), issued.opens.clone()))
                }
            }
        };
        match outcome {
            Ok((tenant, opens)) => {
                self.stats.authorize_ok += 1;
                let session_id = random_token();
                let session = Session {
                    tenant,
                    opens,
                    expires_at: Instant::now() + self.settings.session_ttl,
                    host_origin,
                    silent: self.settings.silent_frame,
                    cookie: self.settings.cookie_session,
                };
                self.start_session(session_id.clone(), session.clone());
                Ok((session_id, session))
            }
            Err(refusal) => {
                self.stats.rejected.count(&refusal);
                Err(refusal)
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
            key_scopes: Vec::new(),
        })
    }

    fn moments() -> Opens {
        Opens::Moments {
            embedding_id: "1".into(),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_request_uri_opens_exactly_one_session() {
        let mut store = store();
        let uri = store.issue(Tenant::default(), moments(), MINUTE);
        assert!(uri.starts_with(REQUEST_URI_PREFIX));
        assert!(store.authorize(Product::Moments, &uri, None).is_ok());
        assert_eq!(
            store
                .authorize(Product::Moments, &uri, None)
                .unwrap_err()
                .reason,
            AuthorizeFailure::Reused
        );
        assert_eq!(
            store
                .authorize(Product::Moments, "urn:nope", None)
                .unwrap_err()
                .reason,
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
        let uri = store.issue(Tenant::default(), moments(), Duration::from_secs(5));
        tokio::time::advance(Duration::from_secs(5)).await;
        assert_eq!(
            store
                .authorize(Product::Moments, &uri, None)
                .unwrap_err()
                .reason,
            AuthorizeFailure::Expired
        );
        assert_eq!(
            store
                .authorize(Product::Moments, &uri, None)
                .unwrap_err()
                .reason,
            AuthorizeFailure::Reused
        );
    }

    #[tokio::test(start_paused = true)]
    async fn sessions_expire() {
        let mut store = store();
        store.settings.session_ttl = Duration::from_secs(2);
        let uri = store.issue(Tenant::default(), moments(), MINUTE);
        let (id, session) = store.authorize(Product::Moments, &uri, None).unwrap();
        assert!(!session.silent);
        assert!(store.session(&id).is_some());
        tokio::time::advance(Duration::from_secs(2)).await;
        assert!(store.session(&id).is_none());
    }

    #[tokio::test(start_paused = true)]
    async fn a_request_uri_opens_only_its_own_products_frame_and_is_spent_trying() {
        let mut store = store();
        for (minted, presented) in [
            (Opens::Answers, Product::Moments),
            (moments(), Product::Answers),
        ] {
            let minted_for = minted.product();
            let uri = store.issue(Tenant::default(), minted, MINUTE);
            let refusal = store.authorize(presented, &uri, None).unwrap_err();
            assert_eq!(
                refusal,
                Refusal {
                    reason: AuthorizeFailure::Unknown,
                    minted_for: Some(minted_for),
                },
                "{minted_for} at {presented}'s authorize"
            );
            assert_eq!(
                store.authorize(minted_for, &uri, None).unwrap_err().reason,
                AuthorizeFailure::Reused,
                "spent by the wrong frame"
            );
        }
        let answers = store.issue(Tenant::default(), Opens::Answers, MINUTE);
        let (id, session) = store.authorize(Product::Answers, &answers, None).unwrap();
        assert_eq!(session.opens, Opens::Answers);
        assert!(store.session(&id).is_some());
        assert_eq!(store.stats.rejected.other_product, 2);
        assert_eq!(store.stats.rejected.reused, 2);
        assert_eq!(store.stats.rejected.unknown, 0, "counted apart");
    }

    #[test]
    fn tokens_are_long_and_distinct() {
        let a = random_token();
        assert_eq!(a.len(), 48, "192 bits in hex");
        assert_ne!(a, random_token());
    }
}
