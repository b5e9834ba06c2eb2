//! Fault injection and the rest of the `/__sandbox` admin API.
//!
//! | route | body | effect |
//! |---|---|---|
//! | `POST /__sandbox/faults` | `{"count":2,"fault":"status","status":503,"retry_after_secs":3}` | queue `count` (default 1) faults for the next PAR calls, one per call |
//! | `DELETE /__sandbox/faults` | | clear the queue |
//! | `GET`/`POST /__sandbox/settings` | `{"request_uri_ttl_secs":5,"session_ttl_secs":30,"silent_frame":true,"cookie_session":true,"key_scopes":["flow:manage","flow:read","flow:use"]}` | read / change the lifetimes of URIs and sessions issued from now on, whether the frames opened from now on post nothing to the host (like an unknown real frame), whether their sessions live in a cookie (like an OAuth app's; see `storage_access`), and which scopes the API key holds (PAR calls for a product whose scopes it lacks get `403`) |
//! | `POST /__sandbox/sessions/expire` | | end every live session now (open wizards notice within ~2 s) |
//! | `POST /__sandbox/reset` | | faults, settings, counters, sessions and use cases back to the start |
//! | `GET /__sandbox/stats` | | the counters ([`Stats`](crate::Stats)) |
//!
//! Fault kinds: `status` (one of 400, 401, 403, 429, 500, 502, 503, in Infobip's error
//! shape for that status, `Retry-After` if `retry_after_secs`), `delay` (`delay_ms`, then a
//! normal answer), `hang` (never answers), `malformed_json` (201 with a body that is not
//! JSON), `missing_request_uri` (201 JSON without `request_uri`), `close` (the connection
//! is closed with no HTTP response at all).

use crate::AppState;
use crate::store::{Fault, Settings};
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use moments_protocol::Product;
use serde::Deserialize;
use serde_json::{Value, json};
use std::time::Duration;

/// Most faults one request may queue.
const MAX_COUNT: u32 = 1_000;
/// Longest delay a `delay` fault may ask for.
const MAX_DELAY_MS: u64 = 120_000;
/// Longest `Retry-After` a `status` fault may send.
const MAX_RETRY_AFTER_SECS: u64 = 3_600;
/// Bounds for the lifetimes the settings may set.
const TTL_SECS: std::ops::RangeInclusive<u64> = 1..=86_400;

impl Fault {
    fn validate(&self) -> Result<(), String> {
        match self {
            Self::Status {
                status,
                retry_after_secs,
            } => {
                if ![400, 401, 403, 429, 500, 502, 503].contains(status) {
                    return Err(format!(
                        "status {status} is not one the sandbox simulates: use 400, 401, 403, 429, 500, 502 or 503"
                    ));
                }
                if retry_after_secs.is_some_and(|s| s > MAX_RETRY_AFTER_SECS) {
                    return Err(format!(
                        "retry_after_secs is at most {MAX_RETRY_AFTER_SECS}"
                    ));
                }
                Ok(())
            }
            Self::Delay { delay_ms } if *delay_ms > MAX_DELAY_MS => {
                Err(format!("delay_ms is at most {MAX_DELAY_MS}"))
            }
            _ => Ok(()),
        }
    }

    /// The answer a `status` fault gives: the body Infobip sends for that status.
    pub(crate) fn status_response(status: u16, retry_after_secs: Option<u64>) -> Response {
        let code = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
        let classic = |id: &str, text: &str| {
            Json(json!({ "requestError": { "serviceException": { "messageId": id, "text": text } } }))
                .into_response()
        };
        let mut response = match status {
            400 => classic("BAD_REQUEST", "Bad request"),
            401 => classic("UNAUTHORIZED", "Invalid login details"),
            403 => classic("FORBIDDEN", "Access to this resource is forbidden"),
            429 => Json(json!({
                "errorCode": "E429",
                "description": "Too many requests",
                "action": "Slow down and try again later",
                "violations": [],
                "resources": [],
            }))
            .into_response(),
            500 => classic(
                "GENERAL_ERROR",
                "Something went wrong. Please contact support.",
            ),
            // What a proxy in front of an API answers: not JSON at all.
            502 => (
                [(axum::http::header::CONTENT_TYPE, "text/html")],
                "<html><body><h1>502 Bad Gateway</h1></body></html>",
            )
                .into_response(),
            _ => classic("SERVICE_UNAVAILABLE", "Service temporarily unavailable"),
        };
        *response.status_mut() = code;
        if let Some(after) = retry_after_secs {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, after.into());
        }
        response
    }
}

#[derive(Debug, Deserialize)]
struct FaultRequest {
    #[serde(default)]
    count: Option<u32>,
    #[serde(flatten)]
    fault: Value,
}

/// A 400 with a message a person understands.
fn bad_request(message: impl Into<String>) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({ "error": message.into() })),
    )
        .into_response()
}

fn queue_json(state: &AppState) -> Response {
    let faults: Vec<Fault> = state.store().faults.iter().cloned().collect();
    Json(json!({ "queued": faults.len(), "faults": faults })).into_response()
}

pub(crate) async fn add_faults(State(state): State<AppState>, body: Bytes) -> Response {
    let request: FaultRequest = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(e) => {
            return bad_request(format!(
                "expected {{\"count\":1,\"fault\":\"status\",\"status\":503}}: {e}"
            ));
        }
    };
    let count = request.count.unwrap_or(1);
    if !(1..=MAX_COUNT).contains(&count) {
        return bad_request(format!("count must be between 1 and {MAX_COUNT}"));
    }
    let fault: Fault = match serde_json::from_value(request.fault) {
        Ok(fault) => fault,
        Err(e) => {
            return bad_request(format!(
                "unknown fault ({e}); kinds: status, delay, hang, malformed_json, missing_request_uri, close"
            ));
        }
    };
    if let Err(message) = fault.validate() {
        return bad_request(message);
    }
    {
        let mut store = state.store();
        store
            .faults
            .extend(std::iter::repeat_n(fault, count as usize));
    }
    queue_json(&state)
}

pub(crate) async fn clear_faults(State(state): State<AppState>) -> Response {
    state.store().faults.clear();
    queue_json(&state)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SettingsRequest {
    request_uri_ttl_secs: Option<u64>,
    session_ttl_secs: Option<u64>,
    silent_frame: Option<bool>,
    cookie_session: Option<bool>,
    key_scopes: Option<Vec<String>>,
}

fn settings_json(settings: &Settings) -> Response {
    Json(json!({
        "request_uri_ttl_secs": settings.request_uri_ttl.as_secs(),
        "session_ttl_secs": settings.session_ttl.as_secs(),
        "silent_frame": settings.silent_frame,
        "cookie_session": settings.cookie_session,
        "key_scopes": settings.key_scopes,
    }))
    .into_response()
}

pub(crate) async fn get_settings(State(state): State<AppState>) -> Response {
    settings_json(&state.store().settings)
}

pub(crate) async fn set_settings(State(state): State<AppState>, body: Bytes) -> Response {
    let request: SettingsRequest = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(e) => {
            return bad_request(format!(
                "expected {{\"request_uri_ttl_secs\":5,\"session_ttl_secs\":30,\"silent_frame\":true,\"cookie_session\":true,\"key_scopes\":[\"flow:manage\"]}} (any may be left out): {e}"
            ));
        }
    };
    let known = || Product::ALL.iter().flat_map(|p| p.scopes().iter().copied());
    if let Some(unknown) = request
        .key_scopes
        .iter()
        .flatten()
        .find(|scope| !known().any(|k| k == scope.as_str()))
    {
        return bad_request(format!(
            "key_scopes: `{unknown}` is not a scope the sandbox knows; use any of {}",
            known().collect::<Vec<_>>().join(", ")
        ));
    }
    for (name, value) in [
        ("request_uri_ttl_secs", request.request_uri_ttl_secs),
        ("session_ttl_secs", request.session_ttl_secs),
    ] {
        if value.is_some_and(|v| !TTL_SECS.contains(&v)) {
            return bad_request(format!(
                "{name} must be between {} and {} seconds",
                TTL_SECS.start(),
                TTL_SECS.end()
            ));
        }
    }
    let mut store = state.store();
    if let Some(secs) = request.request_uri_ttl_secs {
        store.settings.request_uri_ttl = Duration::from_secs(secs);
    }
    if let Some(secs) = request.session_ttl_secs {
        store.settings.session_ttl = Duration::from_secs(secs);
    }
    if let Some(silent) = request.silent_frame {
        store.settings.silent_frame = silent;
    }
    if let Some(cookie) = request.cookie_session {
        store.settings.cookie_session = cookie;
    }
    if let Some(scopes) = request.key_scopes {
        store.settings.key_scopes = scopes;
    }
    settings_json(&store.settings)
}

pub(crate) async fn expire_sessions(State(state): State<AppState>) -> Response {
    let ended = state.store().expire_sessions();
    Json(json!({ "expired": ended })).into_response()
}

pub(crate) async fn reset(State(state): State<AppState>) -> Response {
    let settings = state.default_settings();
    state.store().reset(settings);
    Json(json!({ "reset": true })).into_response()
}

pub(crate) async fn stats(State(state): State<AppState>) -> Response {
    Json(state.store().stats.clone()).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: Value) -> Result<Fault, String> {
        let fault: Fault = serde_json::from_value(json).map_err(|e| e.to_string())?;
        fault.validate().map(|()| fault)
    }

    #[test]
    fn fault_kinds_parse_and_bad_ones_say_why() {
        assert_eq!(
            parse(json!({ "fault": "status", "status": 503, "retry_after_secs": 3 })),
            Ok(Fault::Status {
                status: 503,
                retry_after_secs: Some(3)
            })
        );
        assert_eq!(parse(json!({ "fault": "close" })), Ok(Fault::Close {}));
        assert!(
            parse(json!({ "fault": "status", "status": 418 }))
                .unwrap_err()
                .contains("418")
        );
        assert!(
            parse(json!({ "fault": "delay", "delay_ms": 10_000_000 }))
                .unwrap_err()
                .contains("at most")
        );
        assert!(parse(json!({ "fault": "explode" })).is_err());
        assert!(parse(json!({ "fault": "hang", "extra": 1 })).is_err());
    }
}
