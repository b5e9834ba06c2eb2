//! The wire contract of moments-embed, compiled into every side so they cannot drift.
//!
//! Three conversations cross process or origin boundaries:
//!
//! 1. **Browser → host backend** (`<MomentsEmbed/>` → `moments-par`):
//!    `POST /api/moments/session` with a [`SessionRequest`]; the answer is a
//!    [`SessionGrant`] (`200`, `Cache-Control: no-store`) or an [`ErrorBody`] whose
//!    [`ErrorCode`] comes from a closed set, each code with one HTTP status and one
//!    retry policy ([`ErrorCode::status`], [`ErrorCode::retryable`]).
//! 2. **Frame → host page** (`postMessage`): the [`frame`] module. Infobip has not
//!    published a protocol for its frame; this is ours, spoken by the sandbox, and the
//!    component also copes with a frame that says nothing.
//! 3. **Host backend → Infobip** is Infobip's own API and lives in `moments-par`; which
//!    of Infobip's embeddable products a session opens, and so the scopes it asks for,
//!    is a [`Product`].
//!
//! And what a page that shows the frame must allow: [`ContentSecurityPolicy`].
//!
//! This crate is serde only: no I/O, no framework, so it builds for wasm32 and native alike.

mod csp;
pub mod frame;
mod product;

pub use csp::ContentSecurityPolicy;
pub use product::Product;

// The README's examples compile and run as doctests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
struct ReadmeDoctests;

use serde::{Deserialize, Serialize};
use std::fmt;

/// Where `<MomentsEmbed/>` asks for a session unless told otherwise.
pub const DEFAULT_ENDPOINT: &str = "/api/moments/session";

/// The `request_uri` lifetime to assume when Infobip's PAR answer omits `expires_in`.
///
/// RFC 9126 makes `expires_in` required, but hosts should not trust every upstream to
/// send it; 60 s is the conservative end of what PAR servers issue.
pub const DEFAULT_EXPIRES_IN_SECS: u32 = 60;

/// Longest `request_uri` lifetime either side believes. RFC 9126 suggests 5 to 600 s;
/// a larger claim is clamped so a bad upstream cannot make a browser hold a URI for days.
pub const MAX_EXPIRES_IN_SECS: u32 = 600;

/// The body the browser sends to ask for a session.
///
/// The browser names at most *which* embedding it wants, by a name the server looks up
/// in its allowlist. It never names a tenant: `application_id` and `entity_id` are
/// chosen by the server from its own authenticated user, so unknown fields are refused.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionRequest {
    /// The embedding's name in the server's allowlist; `None` means the server's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub embedding: Option<String>,
}

/// A freshly minted, single-use grant to open the frame (Moments' or Answers') once.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionGrant {
    /// The PAR `request_uri` (`urn:ietf:params:oauth:request_uri:…`). Single use.
    pub request_uri: String,
    /// Seconds until `request_uri` expires, counted from when the server received it.
    pub expires_in: u32,
    /// The full frame URL with `request_uri` already query-escaped into it.
    pub iframe_url: String,
}

// A grant is a bearer credential for one frame load: Debug shows only its fingerprint,
// so a stray `{:?}` in a log cannot leak a usable URI.
impl fmt::Debug for SessionGrant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionGrant")
            .field("request_uri", &fingerprint(&self.request_uri))
            .field("expires_in", &self.expires_in)
            .finish_non_exhaustive()
    }
}

/// The body of every error answer from the companion.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// What went wrong.
    pub error: ApiError,
}

/// One error, as the browser sees it: a code to branch on, a sentence to show a person.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    /// Which error, from the closed set.
    pub code: ErrorCode,
    /// A sentence a person understands. Never contains secrets or upstream bodies.
    pub message: String,
    /// Whether asking again later may succeed.
    pub retryable: bool,
}

/// A refused session request as a value: what crosses a wire that is not the REST
/// endpoint's HTTP answer (a Leptos server function's). The same error body, and the
/// `Retry-After` the REST answer would have carried.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionFailure {
    /// What went wrong, as the REST endpoint would say it.
    pub error: ApiError,
    /// Seconds to wait before asking again, when the server says (rate limits, a
    /// saturated upstream).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_secs: Option<u64>,
}

impl SessionFailure {
    /// The HTTP status the REST endpoint answers this failure with.
    pub const fn status(&self) -> u16 {
        self.error.code.status()
    }
}

impl fmt::Display for SessionFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.error.code, self.error.message)
    }
}

impl std::error::Error for SessionFailure {}

impl ErrorBody {
    /// An error body for `code` with its default retry policy.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            error: ApiError {
                code,
                message: message.into(),
                retryable: code.retryable(),
            },
        }
    }
}

/// Declares [`ErrorCode`] from one table: each code's variant, wire name, HTTP status,
/// retry policy and meaning, written once. The enum, its serde names, [`ErrorCode::ALL`],
/// [`ErrorCode::as_str`], [`ErrorCode::status`] and [`ErrorCode::retryable`] all come
/// from it, so they cannot disagree.
macro_rules! error_codes {
    ($(
        $(#[doc = $doc:literal])*
        $variant:ident = $name:literal, $status:literal, retryable: $retryable:literal;
    )*) => {
        /// The closed set of error codes the companion answers with.
        ///
        /// Each code has exactly one HTTP status ([`status`](Self::status)) and one retry
        /// policy ([`retryable`](Self::retryable)); the server and the component both read
        /// them from here.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum ErrorCode {
            $(
                $(#[doc = $doc])*
                #[serde(rename = $name)]
                $variant,
            )*
        }

        impl ErrorCode {
            /// Every code, for documentation and exhaustive tests.
            pub const ALL: [Self; [$(Self::$variant),*].len()] = [$(Self::$variant),*];

            /// The HTTP status this code is always sent with.
            pub const fn status(self) -> u16 {
                match self { $(Self::$variant => $status,)* }
            }

            /// Whether the same request may succeed later without anyone changing
            /// anything. Client mistakes and configuration faults fail again the same
            /// way; rate limits and outages pass.
            pub const fn retryable(self) -> bool {
                match self { $(Self::$variant => $retryable,)* }
            }

            /// The wire name, e.g. `"upstream_auth"`.
            pub const fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $name,)* }
            }

            /// The code with this wire name, e.g. `"upstream_auth"`; `None` for anything else.
            pub fn from_wire(name: &str) -> Option<Self> {
                Self::ALL.into_iter().find(|code| code.as_str() == name)
            }
        }
    };
}

error_codes! {
    /// The request body or headers are malformed (not JSON, wrong fields, tenant fields).
    BadRequest = "bad_request", 400, retryable: false;
    /// The requested embedding name is not in the server's allowlist.
    UnknownEmbedding = "unknown_embedding", 400, retryable: false;
    /// The host's own auth did not identify a user.
    Unauthorized = "unauthorized", 401, retryable: false;
    /// Cross-origin request, or the user may not open this embedding.
    Forbidden = "forbidden", 403, retryable: false;
    /// Wrong HTTP method.
    MethodNotAllowed = "method_not_allowed", 405, retryable: false;
    /// The body exceeds the server's limit.
    PayloadTooLarge = "payload_too_large", 413, retryable: false;
    /// The body is not `application/json`.
    UnsupportedMediaType = "unsupported_media_type", 415, retryable: false;
    /// This client asked too often; see `Retry-After`.
    RateLimited = "rate_limited", 429, retryable: true;
    /// Infobip refused the server's API key (missing key, wrong key, missing scope).
    UpstreamAuth = "upstream_auth", 502, retryable: false;
    /// Infobip refused the PAR request itself (e.g. an unknown `embedding_id`).
    UpstreamRejected = "upstream_rejected", 502, retryable: false;
    /// Infobip is rate limiting this account; see `Retry-After`.
    UpstreamRateLimited = "upstream_rate_limited", 503, retryable: true;
    /// Infobip could not be reached, timed out or failed.
    UpstreamUnavailable = "upstream_unavailable", 503, retryable: true;
    /// Infobip answered something that is not a PAR response.
    UpstreamBadResponse = "upstream_bad_response", 502, retryable: true;
    /// The companion cannot take session requests for now (its shared rate-limit store
    /// is away and its policy is to refuse); see `Retry-After`.
    Unavailable = "unavailable", 503, retryable: true;
    /// A bug or misconfiguration on the server; details are in its log only.
    Internal = "internal", 500, retryable: false;
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A short, stable, non-reversible fingerprint of a secret-ish string, for logs.
///
/// Request URIs are bearer credentials until used, so logs carry this instead
/// (`ru#1a2b3c4d`): enough to correlate lines across the browser, the companion and the
/// sandbox, useless to an attacker. FNV-1a keeps this crate free of crypto dependencies;
/// with 128+ random bits in the URI, 32 bits of it cannot be turned back into the URI.
pub fn fingerprint(secret: &str) -> String {
    let mut hash: u32 = 0x811c_9dc5;
    for byte in secret.bytes() {
        hash ^= u32::from(byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    // By table, not `format!("{hash:08x}")`: it is written for every request's access
    // line, and the formatting machinery was most of its cost (`bench/instructions`).
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut text = *b"ru#00000000";
    for (digit, shift) in text[3..].iter_mut().zip((0..32).step_by(4).rev()) {
        *digit = HEX[((hash >> shift) & 0xf) as usize];
    }
    text.iter().map(|&b| char::from(b)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_round_trips_through_its_wire_name() {
        for code in ErrorCode::ALL {
            let json = serde_json::to_string(&code).unwrap();
            assert_eq!(
                json,
                format!("\"{}\"", code.as_str()),
                "wire name of {code:?}"
            );
            let back: ErrorCode = serde_json::from_str(&json).unwrap();
            assert_eq!(back, code);
            assert_eq!(ErrorCode::from_wire(code.as_str()), Some(code));
        }
    }

    #[test]
    fn unknown_wire_names_are_no_code() {
        assert_eq!(ErrorCode::from_wire("Upstream_Auth"), None);
        assert_eq!(ErrorCode::from_wire(""), None);
    }

    #[test]
    fn client_mistakes_are_4xx_and_never_retryable() {
        for code in ErrorCode::ALL {
            let status = code.status();
            assert!((400..600).contains(&status), "{code} has status {status}");
            if status < 500 && code != ErrorCode::RateLimited {
                assert!(
                    !code.retryable(),
                    "{code} is a client mistake, retrying cannot help"
                );
            }
        }
    }

    #[test]
    fn session_request_refuses_tenant_fields() {
        let err = serde_json::from_str::<SessionRequest>(r#"{"entity_id":"other-tenant"}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown field `entity_id`"), "{err}");
        let ok: SessionRequest = serde_json::from_str(r#"{"embedding":"campaigns"}"#).unwrap();
        assert_eq!(ok.embedding.as_deref(), Some("campaigns"));
        let empty: SessionRequest = serde_json::from_str("{}").unwrap();
        assert_eq!(empty, SessionRequest::default());
    }

    #[test]
    fn grant_debug_hides_the_request_uri() {
        let grant = SessionGrant {
            request_uri: "urn:ietf:params:oauth:request_uri:secret-part".into(),
            expires_in: 60,
            iframe_url: "https://embeddings.infobip.com/authorize?request_uri=secret-part".into(),
        };
        let shown = format!("{grant:?}");
        assert!(!shown.contains("secret-part"), "{shown}");
        assert!(shown.contains("ru#"), "{shown}");
    }

    #[test]
    fn fingerprint_is_stable_and_short() {
        assert_eq!(fingerprint("abc"), fingerprint("abc"));
        assert_ne!(fingerprint("abc"), fingerprint("abd"));
        assert_eq!(fingerprint("x").len(), "ru#".len() + 8);
        // FNV-1a's published values, written as eight hex digits; the last one (from an
        // independent implementation) keeps its leading zeros.
        assert_eq!(fingerprint(""), "ru#811c9dc5");
        assert_eq!(fingerprint("a"), "ru#e40c292c");
        assert_eq!(fingerprint("foobar"), "ru#bf9cf968");
        assert_eq!(fingerprint("cfx"), "ru#0076912c");
    }
}
