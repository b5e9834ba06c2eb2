//! `POST /api/moments/session`: the endpoint `<MomentsEmbed/>` calls.
//!
//! In order, each step answering its own 4xx before anything reaches Infobip: whose page
//! it is (the origin guard), who is asking (the tenant resolver), how often (the rate
//! limit), what they sent (JSON only, within the body limit, parsed strictly, tenant
//! fields refused), which embedding (the allowlist and the tenant's share of it). Then a
//! slot in the upstream gate and one PAR call with its retries inside the deadline. All
//! but the body are [`SessionService`]'s, which a server function calls too.

use crate::error::AppError;
use crate::service::SessionService;
use crate::tenant::Tenant;
use axum::Json;
use axum::body::Body;
use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use http::request::Parts;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use moments_protocol::{ErrorCode, SessionRequest};
use serde_json::{Map, Value};
use std::time::Duration;

/// Body fields only the server may choose; a browser sending one is refused, loudly.
const SERVER_ONLY_FIELDS: [&str; 3] = ["application_id", "entity_id", "embedding_id"];

/// How long a client may take to send its (small) body.
const BODY_TIMEOUT: Duration = Duration::from_secs(10);

/// The REST transport of [`SessionService`]: the origin guard (a layer on the route)
/// has passed; the extractors below say who is asking and what they sent, in that
/// order, each refusing with the one rejection type, [`AppError`].
pub(crate) async fn create_session(
    State(service): State<SessionService>,
    Admitted(tenant): Admitted,
    SessionBody(asked): SessionBody,
) -> Result<Response, AppError> {
    let grant = service.mint(tenant, &asked).await?;
    Ok((grant_headers(), Json(grant)).into_response())
}

/// The headers a grant is answered with, through any transport: a request URI is
/// single-use, so no cache may keep one.
pub(crate) fn grant_headers() -> HeaderMap {
    HeaderMap::from_iter([(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))])
}

/// Who is asking, admitted: the tenant the resolver named, within the rate limit.
pub(crate) struct Admitted(pub(crate) Tenant);

impl FromRequestParts<SessionService> for Admitted {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        service: &SessionService,
    ) -> Result<Self, AppError> {
        service.admit(parts).await.map(Self)
    }
}

/// What was asked for: a JSON body (`Content-Type: application/json`) within the
/// service's body limit, arriving within [`BODY_TIMEOUT`], parsed strictly
/// ([`parse_session_request`]).
pub(crate) struct SessionBody(pub(crate) SessionRequest);

impl FromRequest<SessionService> for SessionBody {
    type Rejection = AppError;

    async fn from_request(request: Request, service: &SessionService) -> Result<Self, AppError> {
        require_json(request.headers())?;
        let body = read_body(request.into_body(), service.0.body_limit).await?;
        parse_session_request(&body).map(Self)
    }
}

fn require_json(headers: &HeaderMap) -> Result<(), AppError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = content_type.split(';').next().unwrap_or("").trim();
    if essence.eq_ignore_ascii_case("application/json") {
        Ok(())
    } else {
        Err(AppError::new(
            ErrorCode::UnsupportedMediaType,
            "Send the request as JSON, with Content-Type: application/json.",
        ))
    }
}

async fn read_body(body: Body, limit: usize) -> Result<bytes::Bytes, AppError> {
    let collected = tokio::time::timeout(BODY_TIMEOUT, Limited::new(body, limit).collect())
        .await
        .map_err(|_| AppError::bad_request("The request body did not arrive in time."))?;
    match collected {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(error) if error.downcast_ref::<LengthLimitError>().is_some() => Err(AppError::new(
            ErrorCode::PayloadTooLarge,
            format!("The request body is larger than {limit} bytes."),
        )),
        Err(_) => Err(AppError::bad_request("The request body could not be read.")),
    }
}

/// Parses a session request body strictly, as the endpoint does: a JSON object with at
/// most `embedding`; tenant fields are refused with a message saying why. For hosts
/// that write their own handler and want the same contract.
///
/// ```
/// use moments_par::parse_session_request;
///
/// let asked = parse_session_request(br#"{"embedding":"campaigns"}"#).unwrap();
/// assert_eq!(asked.embedding.as_deref(), Some("campaigns"));
/// let refused = parse_session_request(br#"{"entity_id":"someone-else"}"#).unwrap_err();
/// assert_eq!(refused.code.status(), 400);
/// ```
pub fn parse_session_request(body: &[u8]) -> Result<SessionRequest, AppError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(AppError::bad_request(
            r#"The request body is empty; send a JSON object such as {} or {"embedding":"<name>"}."#,
        ));
    }
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| AppError::bad_request(format!("The request body is not valid JSON ({e}).")))?;
    let Value::Object(fields) = &value else {
        return Err(AppError::bad_request(
            r#"The request body must be a JSON object, such as {} or {"embedding":"<name>"}."#,
        ));
    };
    refuse_server_only_fields(fields)?;
    serde_json::from_value(value).map_err(|e| {
        AppError::bad_request(format!(
            r#"The request body has an unexpected shape ({e}); expected {{"embedding":"<name>"}}."#
        ))
    })
}

fn refuse_server_only_fields(fields: &Map<String, Value>) -> Result<(), AppError> {
    match SERVER_ONLY_FIELDS.iter().find(|f| fields.contains_key(**f)) {
        Some(field) => Err(AppError::bad_request(format!(
            "`{field}` is chosen by the server from your signed-in account; the browser may only send `embedding`."
        ))),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code_of(body: &str) -> ErrorCode {
        parse_session_request(body.as_bytes()).unwrap_err().code
    }

    #[test]
    fn bodies_are_parsed_strictly_with_clear_messages() {
        assert_eq!(
            parse_session_request(b"{}").unwrap(),
            SessionRequest::default()
        );
        assert_eq!(
            parse_session_request(br#"{"embedding":"a"}"#)
                .unwrap()
                .embedding
                .as_deref(),
            Some("a")
        );
        for bad in [
            "",
            "  ",
            "{",
            "[]",
            "42",
            r#"{"embedding":7}"#,
            r#"{"x":1}"#,
        ] {
            assert_eq!(code_of(bad), ErrorCode::BadRequest, "{bad:?}");
        }
        let tenant = parse_session_request(br#"{"entity_id":"victim"}"#).unwrap_err();
        assert!(
            tenant
                .message
                .contains("`entity_id` is chosen by the server"),
            "{}",
            tenant.message
        );
    }

    #[test]
    fn content_type_must_be_json() {
        let mut headers = HeaderMap::new();
        assert!(require_json(&headers).is_err());
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
        assert!(require_json(&headers).is_err());
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("Application/JSON; charset=utf-8"),
        );
        assert!(require_json(&headers).is_ok());
    }
}
