//! What goes to Infobip ([`ParRequest`]) and what comes back ([`ParGrant`]), with the
//! strict reading of a PAR answer.

use super::error::ParError;
use moments_protocol::{DEFAULT_EXPIRES_IN_SECS, MAX_EXPIRES_IN_SECS, fingerprint};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::fmt;
use url::Url;

/// The scopes Embeddable Moments needs, per Infobip's integration guide.
pub const SCOPES: [&str; 3] = ["flow:manage", "flow:read", "flow:use"];

/// Longest request URI we pass on; anything longer is not a PAR answer.
const MAX_REQUEST_URI_LEN: usize = 2048;

/// Infobip's `embedding_id`: documented as a number, accepted as a string too.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum EmbeddingId {
    /// A numeric id, sent as a JSON number.
    Number(u64),
    /// Any other id, sent as a JSON string.
    Text(String),
}

impl EmbeddingId {
    /// Digits become a number (as Infobip's examples send it); anything else stays text.
    ///
    /// ```
    /// use moments_par::EmbeddingId;
    /// assert_eq!(EmbeddingId::parse("42"), Some(EmbeddingId::Number(42)));
    /// assert_eq!(EmbeddingId::parse(" "), None);
    /// ```
    pub fn parse(raw: &str) -> Option<Self> {
        let raw = raw.trim();
        if raw.is_empty() {
            return None;
        }
        Some(
            raw.parse::<u64>()
                .map_or_else(|_| Self::Text(raw.to_owned()), Self::Number),
        )
    }
}

impl fmt::Display for EmbeddingId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Number(n) => write!(f, "{n}"),
            Self::Text(s) => f.write_str(s),
        }
    }
}

/// What to ask Infobip for: one embedding, for one tenant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ParRequest {
    /// The embedding to open.
    pub embedding_id: EmbeddingId,
    /// Always [`SCOPES`].
    pub scopes: [&'static str; 3],
    /// The X application, for the "with X" case.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub application_id: Option<String>,
    /// The X entity, for the "with X" case.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entity_id: Option<String>,
}

impl ParRequest {
    /// A request for `embedding_id` with the required scopes and no X tenant.
    pub fn new(embedding_id: EmbeddingId) -> Self {
        Self {
            embedding_id,
            scopes: SCOPES,
            application_id: None,
            entity_id: None,
        }
    }
}

/// A minted request URI and the frame URL that spends it.
#[derive(Clone, PartialEq, Eq)]
pub struct ParGrant {
    /// The single-use `request_uri`.
    pub request_uri: String,
    /// Seconds it stays valid, defaulted and clamped (see `moments_protocol`).
    pub expires_in: u32,
    /// `{iframe base}/authorize?request_uri=<escaped>`.
    pub iframe_url: String,
}

// A grant is a bearer credential until spent: Debug shows only its fingerprint.
impl fmt::Debug for ParGrant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ParGrant")
            .field("request_uri", &fingerprint(&self.request_uri))
            .field("expires_in", &self.expires_in)
            .finish_non_exhaustive()
    }
}

/// Reads a 2xx PAR answer strictly: a usable `request_uri`, an `expires_in` that is a
/// positive whole number (or absent: [`DEFAULT_EXPIRES_IN_SECS`]), clamped.
pub(crate) fn read_grant(body: &[u8], authorize_prefix: &str) -> Result<ParGrant, ParError> {
    #[derive(Deserialize)]
    struct Answer {
        request_uri: Option<String>,
        expires_in: Option<Value>,
    }
    let answer: Answer = serde_json::from_slice(body).map_err(|e| ParError::BadResponse {
        reason: format!("not a JSON object: {e}"),
    })?;
    let request_uri = answer
        .request_uri
        .filter(|uri| {
            !uri.is_empty()
                && uri.len() <= MAX_REQUEST_URI_LEN
                && !uri.chars().any(char::is_control)
        })
        .ok_or_else(|| ParError::BadResponse {
            reason: "no usable request_uri".to_owned(),
        })?;
    let expires_in = match answer.expires_in {
        None | Some(Value::Null) => DEFAULT_EXPIRES_IN_SECS,
        Some(Value::Number(n)) => n
            .as_u64()
            .map(|secs| u32::try_from(secs).unwrap_or(u32::MAX))
            .ok_or_else(|| ParError::BadResponse {
                reason: format!("expires_in is not a whole number: {n}"),
            })?,
        Some(other) => {
            return Err(ParError::BadResponse {
                reason: format!("expires_in is not a number: {other}"),
            });
        }
    };
    if expires_in == 0 {
        return Err(ParError::BadResponse {
            reason: "expires_in is 0: the URI is dead on arrival".to_owned(),
        });
    }
    let mut iframe_url = String::with_capacity(authorize_prefix.len() + request_uri.len() * 3);
    iframe_url.push_str(authorize_prefix);
    iframe_url.extend(url::form_urlencoded::byte_serialize(request_uri.as_bytes()));
    Ok(ParGrant {
        iframe_url,
        request_uri,
        expires_in: expires_in.min(MAX_EXPIRES_IN_SECS),
    })
}

/// `{iframe base}/authorize?request_uri=`: what a grant's frame URL starts with (the
/// escaped URI follows, as `form_urlencoded`, which is what `Url`'s query pairs write).
pub(crate) fn authorize_prefix(iframe_base_url: &Url) -> String {
    let mut url = join(iframe_base_url, "/authorize");
    url.set_query(Some("request_uri="));
    url.into()
}

/// `base` + `path`, keeping any path prefix `base` has (`https://h/prefix` + `/x`).
pub(crate) fn join(base: &Url, path: &str) -> Url {
    let mut url = base.clone();
    let joined = format!("{}{path}", base.path().trim_end_matches('/'));
    url.set_path(&joined);
    url.set_query(None);
    url
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PAR_PATH;

    fn base() -> String {
        authorize_prefix(&Url::parse("https://embeddings.infobip.com").unwrap())
    }

    #[test]
    fn embedding_ids_keep_infobips_number_form() {
        assert_eq!(EmbeddingId::parse("42"), Some(EmbeddingId::Number(42)));
        assert_eq!(
            EmbeddingId::parse("wizard-a"),
            Some(EmbeddingId::Text("wizard-a".into()))
        );
        assert_eq!(EmbeddingId::parse("  "), None);
        let body = serde_json::to_value(ParRequest::new(EmbeddingId::Number(42))).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"embedding_id": 42, "scopes": ["flow:manage", "flow:read", "flow:use"]})
        );
    }

    #[test]
    fn the_frame_url_is_what_url_query_pairs_would_write() {
        for base in [
            "https://embeddings.infobip.com",
            "http://127.0.0.1:9/infobip/",
        ] {
            let base = Url::parse(base).unwrap();
            for uri in [
                "urn:x:a b&c",
                "ü/?#=+%",
                "urn:ietf:params:oauth:request_uri:abc",
            ] {
                let mut expected = join(&base, "/authorize");
                expected.query_pairs_mut().append_pair("request_uri", uri);
                let body = serde_json::json!({ "request_uri": uri }).to_string();
                let grant = read_grant(body.as_bytes(), &authorize_prefix(&base)).unwrap();
                assert_eq!(grant.iframe_url, expected.as_str());
            }
        }
    }

    #[test]
    fn join_keeps_a_base_path_prefix() {
        let base = Url::parse("https://xyz.api.infobip.com/").unwrap();
        assert_eq!(
            join(&base, PAR_PATH).as_str(),
            "https://xyz.api.infobip.com/embeddable/1/auth/par"
        );
        let prefixed = Url::parse("http://127.0.0.1:9/infobip/").unwrap();
        assert_eq!(
            join(&prefixed, "/authorize").as_str(),
            "http://127.0.0.1:9/infobip/authorize"
        );
    }

    #[test]
    fn grants_are_read_strictly() {
        let grant = read_grant(br#"{"request_uri":"urn:x:a b&c"}"#, &base()).unwrap();
        assert_eq!(
            grant.expires_in, DEFAULT_EXPIRES_IN_SECS,
            "omitted: the default"
        );
        assert_eq!(
            grant.iframe_url,
            "https://embeddings.infobip.com/authorize?request_uri=urn%3Ax%3Aa+b%26c"
        );
        let long = read_grant(br#"{"request_uri":"u","expires_in":86400}"#, &base()).unwrap();
        assert_eq!(long.expires_in, MAX_EXPIRES_IN_SECS, "clamped");
        for bad in [
            "not json",
            "{}",
            r#"{"request_uri":""}"#,
            r#"{"request_uri":"u","expires_in":0}"#,
            r#"{"request_uri":"u","expires_in":"60"}"#,
            r#"{"request_uri":"u","expires_in":1.5}"#,
            r#"{"request_uri":"a\nb"}"#,
        ] {
            assert!(
                matches!(
                    read_grant(bad.as_bytes(), &base()),
                    Err(ParError::BadResponse { .. })
                ),
                "{bad}"
            );
        }
    }
}
