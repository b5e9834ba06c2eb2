//! What goes to Infobip ([`ParRequest`]) and what comes back ([`ParGrant`]), with the
//! strict reading of a PAR answer.

use super::error::ParError;
use crate::embeddings::{Embedding, EmbeddingId};
use moments_protocol::{DEFAULT_EXPIRES_IN_SECS, MAX_EXPIRES_IN_SECS, Product, fingerprint};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::Value;
use std::fmt;
use url::Url;

/// Longest request URI we pass on; anything longer is not a PAR answer.
const MAX_REQUEST_URI_LEN: usize = 2048;

/// What to ask Infobip for: one embedding, for one tenant.
///
/// Its JSON is the PAR body Infobip documents for the embedding's product:
/// `{"embedding_id", "scopes": ["flow:manage", "flow:read", "flow:use"]}` for Moments,
/// `{"scopes": ["answers:manage", "voice-message:manage"]}` for Answers, each with
/// `application_id` and `entity_id` when set.
///
/// ```
/// use moments_par::{Embedding, ParRequest};
///
/// let body = serde_json::to_value(ParRequest {
///     entity_id: Some("acme".into()),
///     ..ParRequest::for_embedding(Embedding::Answers)
/// })?;
/// assert_eq!(
///     body,
///     serde_json::json!({"scopes": ["answers:manage", "voice-message:manage"], "entity_id": "acme"})
/// );
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParRequest {
    /// What to open: a Moments embedding (its id is sent) or Answers (no id is).
    pub embedding: Embedding,
    /// The X application, for the "with X" case.
    pub application_id: Option<String>,
    /// The X entity, for the "with X" case.
    pub entity_id: Option<String>,
}

impl ParRequest {
    /// A request for the Moments embedding `embedding_id` with its scopes and no X tenant.
    pub fn new(embedding_id: EmbeddingId) -> Self {
        Self::for_embedding(Embedding::Moments(embedding_id))
    }

    /// A request to open `embedding` (either product) with its scopes and no X tenant.
    pub fn for_embedding(embedding: Embedding) -> Self {
        Self {
            embedding,
            application_id: None,
            entity_id: None,
        }
    }

    /// The product it opens.
    pub fn product(&self) -> Product {
        self.embedding.product()
    }

    /// The scopes it asks for: its product's ([`Product::scopes`]).
    pub fn scopes(&self) -> &'static [&'static str] {
        self.product().scopes()
    }
}

impl Serialize for ParRequest {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Body<'a> {
            #[serde(skip_serializing_if = "Option::is_none")]
            embedding_id: Option<&'a EmbeddingId>,
            scopes: &'static [&'static str],
            #[serde(skip_serializing_if = "Option::is_none")]
            application_id: Option<&'a str>,
            #[serde(skip_serializing_if = "Option::is_none")]
            entity_id: Option<&'a str>,
        }
        Body {
            embedding_id: self.embedding.embedding_id(),
            scopes: self.scopes(),
            application_id: self.application_id.as_deref(),
            entity_id: self.entity_id.as_deref(),
        }
        .serialize(serializer)
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
    fn the_body_is_the_products_own() {
        let tenant = |embedding: Embedding| ParRequest {
            application_id: Some("platform".into()),
            entity_id: Some("acme".into()),
            ..ParRequest::for_embedding(embedding)
        };
        assert_eq!(
            serde_json::to_value(tenant(Embedding::Answers)).unwrap(),
            serde_json::json!({
                "scopes": ["answers:manage", "voice-message:manage"],
                "application_id": "platform",
                "entity_id": "acme",
            }),
            "no embedding_id for Answers"
        );
        assert_eq!(
            serde_json::to_value(tenant(EmbeddingId::Text("w-1".into()).into())).unwrap(),
            serde_json::json!({
                "embedding_id": "w-1",
                "scopes": ["flow:manage", "flow:read", "flow:use"],
                "application_id": "platform",
                "entity_id": "acme",
            })
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
