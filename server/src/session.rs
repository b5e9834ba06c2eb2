//! `POST /api/moments/session`: the endpoint `<MomentsEmbed/>` calls.
//!
//! In order, each step answering its own 4xx before anything reaches Infobip: who is
//! asking (the tenant resolver), how often (the rate limit), what they sent (JSON only,
//! within the body limit, parsed strictly, tenant fields refused), which embedding
//! (the allowlist and the tenant's share of it). Then a slot in the upstream gate and
//! one PAR call with its retries inside the deadline.

use crate::app::AppState;
use crate::error::AppError;
use crate::par_client::{ParError, ParRequest};
use crate::tenant::Tenant;
use axum::Json;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use moments_protocol::{ErrorCode, SessionGrant, SessionRequest, fingerprint};
use serde_json::{Map, Value};
use std::time::{Duration, Instant};

/// Body fields only the server may choose; a browser sending one is refused, loudly.
const SERVER_ONLY_FIELDS: [&str; 3] = ["application_id", "entity_id", "embedding_id"];

/// How long a client may take to send its (small) body.
const BODY_TIMEOUT: Duration = Duration::from_secs(10);

pub(crate) async fn create_session(
    State(state): State<AppState>,
    request: Request,
) -> Result<Response, AppError> {
    let (parts, body) = request.into_parts();
    let tenant = state.tenants.resolve(&parts)?;
    if let Some(limiter) = &state.rate_limiter {
        limiter.check(&tenant.key, &parts).map_err(|wait| {
            state.metrics.rate_limited();
            tracing::info!(tenant = %tenant.key, wait_ms = wait.as_millis(), "rate limited");
            AppError::new(
                ErrorCode::RateLimited,
                "Too many requests for a Moments session. Please wait a moment and try again.",
            )
            .retry_after(wait)
        })?;
    }
    require_json(&parts.headers)?;
    let body = read_body(body, state.body_limit).await?;
    let asked = parse_session_request(&body)?;
    let name = asked
        .embedding
        .as_deref()
        .unwrap_or(state.embeddings.default_name());
    // One answer for "no such embedding" and "not yours": a tenant learns nothing
    // about what other tenants may open.
    let embedding_id = state
        .embeddings
        .get(name)
        .filter(|_| tenant.embeddings.allows(name))
        .ok_or_else(|| {
            AppError::new(
                ErrorCode::UnknownEmbedding,
                format!("There is no embedding called `{name}` for this account."),
            )
        })?;

    let Tenant {
        application_id,
        entity_id,
        key,
        ..
    } = tenant;
    let par_request = ParRequest {
        application_id,
        entity_id,
        ..ParRequest::new(embedding_id.clone())
    };
    let slot = state.upstream.enter().await?;
    let deadline = Instant::now() + state.upstream_deadline;
    let grant = state
        .par
        .push_before(&par_request, deadline)
        .await
        .inspect_err(|error| log_upstream_failure(error, &key))?;
    drop(slot);
    // Recorded on the request span, and so on its single access line (request_id.rs).
    let span = tracing::Span::current();
    span.record("tenant", tracing::field::display(&key));
    span.record("embedding", name);
    span.record(
        "request_uri",
        tracing::field::display(fingerprint(&grant.request_uri)),
    );
    let body = SessionGrant {
        request_uri: grant.request_uri,
        expires_in: grant.expires_in,
        iframe_url: grant.iframe_url,
    };
    let mut response = Json(body).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// Upstream failures are the operator's problem, so the log says what to check.
fn log_upstream_failure(error: &ParError, tenant: &str) {
    match error {
        ParError::Auth { status: 403, .. } => tracing::error!(
            tenant,
            %error,
            "Infobip refused the API key's permissions: the key needs the scopes account-management:manage, flow:manage, flow:read and flow:use"
        ),
        ParError::Auth { .. } => tracing::error!(
            tenant,
            %error,
            "Infobip refused the API key: check INFOBIP_API_KEY, that it is not revoked, and that INFOBIP_BASE_URL is your account's base URL"
        ),
        ParError::Rejected { .. } => tracing::error!(
            tenant,
            %error,
            "Infobip rejected the PAR request: check the embedding id and the X application/entity ids"
        ),
        _ => tracing::warn!(tenant, %error, "PAR call failed"),
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
