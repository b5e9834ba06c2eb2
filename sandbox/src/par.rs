//! `POST /embeddable/1/auth/par`: Infobip's Pushed Authorization Request endpoint.
//!
//! Checks what Infobip checks (the `App` key, the body, the scopes) and answers in
//! Infobip's own error shapes, so the companion's error mapping meets the real thing.
//! A queued fault (see `faults`) replaces the next call's answer.
//!
//! The scopes say the product: exactly Moments' three (`flow:*`, with an
//! `embedding_id`) or Answers' two (`answers:manage`, `voice-message:manage`, without
//! one). A partial set, a mix of both, an unknown scope or an `embedding_id` on an
//! Answers call is a `400` in Infobip's validation shape; a product whose scopes the
//! key does not hold (the `key_scopes` setting) is a `403`.

use crate::serve::CloseConnection;
use crate::store::{Fault, Opens, Tenant};
use crate::{AppState, infobip_error};
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use moments_protocol::Product;
use serde::Deserialize;
use serde_json::{Value, json};
use std::time::Duration;

/// A PAR body as Infobip documents it. Unknown fields are ignored, as Infobip does.
#[derive(Debug, Deserialize)]
struct ParBody {
    embedding_id: Option<Value>,
    scopes: Option<Vec<String>>,
    application_id: Option<String>,
    entity_id: Option<String>,
}

pub(crate) async fn par(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let fault = {
        let mut store = state.store();
        store.stats.par_calls += 1;
        let fault = store.faults.pop_front();
        if fault.is_some() {
            store.stats.faults_applied += 1;
        }
        fault
    };
    if let Some(answer) = apply(fault).await {
        state.store().stats.par_failed += 1;
        return answer;
    }
    let checked = check(&state, &headers, &body);
    let mut store = state.store();
    match checked {
        Ok((tenant, opens)) => {
            store.stats.par_issued += 1;
            let ttl = store.settings.request_uri_ttl;
            let product = opens.product();
            let request_uri = store.issue(tenant, opens, ttl);
            drop(store);
            tracing::info!(
                request_uri = %moments_protocol::fingerprint(&request_uri),
                %product,
                "sandbox PAR: issued"
            );
            let answer = json!({ "request_uri": request_uri, "expires_in": ttl.as_secs() });
            (StatusCode::CREATED, Json(answer)).into_response()
        }
        Err(refusal) => {
            store.stats.par_failed += 1;
            infobip_error(
                refusal.status,
                refusal.message_id,
                &refusal.text,
                refusal.validation_errors,
            )
        }
    }
}

/// Carries out an injected fault: `Some(answer)` replaces the normal answer; `None` lets
/// the call go on (after a `delay`, or when no fault was queued).
async fn apply(fault: Option<Fault>) -> Option<Response> {
    let malformed = |body: &'static str| {
        (
            StatusCode::CREATED,
            [(header::CONTENT_TYPE, "application/json")],
            body,
        )
            .into_response()
    };
    match fault? {
        Fault::Delay { delay_ms } => {
            tokio::time::sleep(Duration::from_millis(delay_ms)).await;
            None
        }
        Fault::Status {
            status,
            retry_after_secs,
        } => Some(Fault::status_response(status, retry_after_secs)),
        Fault::Hang {} => std::future::pending().await,
        Fault::MalformedJson {} => Some(malformed(
            r#"{"request_uri": "urn:ietf:params:oauth:request_uri:"#,
        )),
        Fault::MissingRequestUri {} => Some(malformed(r#"{"expires_in": 60}"#)),
        Fault::Close {} => {
            let mut response = StatusCode::OK.into_response();
            response.extensions_mut().insert(CloseConnection);
            Some(response)
        }
    }
}

/// Why Infobip would refuse a PAR call, before it becomes an error body.
struct Refusal {
    status: StatusCode,
    message_id: &'static str,
    text: String,
    validation_errors: Option<Value>,
}

/// Everything Infobip would refuse, in the order it would notice.
fn check(state: &AppState, headers: &HeaderMap, body: &[u8]) -> Result<(Tenant, Opens), Refusal> {
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("App "));
    if presented.is_none_or(|key| key.as_bytes() != state.config.api_key.as_bytes()) {
        return Err(Refusal {
            status: StatusCode::UNAUTHORIZED,
            message_id: "UNAUTHORIZED",
            text: "Invalid login details".to_owned(),
            validation_errors: None,
        });
    }
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !is_json {
        return Err(bad_request(
            "Content-Type must be application/json",
            json!({}),
        ));
    }
    let body: ParBody = serde_json::from_slice(body)
        .map_err(|e| bad_request(&format!("Request body is not valid JSON: {e}"), json!({})))?;

    let scopes = body.scopes.unwrap_or_default();
    let product = product_of(&scopes, body.embedding_id.is_some())?;
    let key_scopes = state.store().settings.key_scopes.clone();
    let lacking: Vec<&str> = product
        .scopes()
        .iter()
        .copied()
        .filter(|scope| !key_scopes.iter().any(|held| held == scope))
        .collect();
    if !lacking.is_empty() {
        return Err(Refusal {
            status: StatusCode::FORBIDDEN,
            message_id: "FORBIDDEN",
            text: format!(
                "The API key does not hold the scope{} {}",
                if lacking.len() == 1 { "" } else { "s" },
                lacking.join(", ")
            ),
            validation_errors: None,
        });
    }
    let opens = match product {
        Product::Moments => Opens::Moments {
            embedding_id: embedding_id(state, body.embedding_id.as_ref())?,
        },
        Product::Answers => {
            if body.embedding_id.is_some() {
                return Err(bad_request(
                    "embedding_id is not a field of an Answers request",
                    json!({ "embedding_id": ["must not be set with the answers scopes"] }),
                ));
            }
            Opens::Answers
        }
    };
    let tenant = Tenant {
        application_id: body.application_id.filter(|s| !s.is_empty()),
        entity_id: body.entity_id.filter(|s| !s.is_empty()),
    };
    Ok((tenant, opens))
}

/// The product `scopes` ask for: all of one product's scopes and nothing else. The
/// refusal names what is missing from the product the scopes (or, with none, the
/// presence of an `embedding_id`) point to.
fn product_of(scopes: &[String], has_embedding_id: bool) -> Result<Product, Refusal> {
    let all_known = || Product::ALL.iter().flat_map(|p| p.scopes().iter().copied());
    if let Some(unknown) = scopes
        .iter()
        .find(|s| !all_known().any(|k| k == s.as_str()))
    {
        return Err(bad_request(
            &format!("Unknown scope {unknown}"),
            json!({ "scopes": [format!("{unknown} is not a scope of an embeddable product")] }),
        ));
    }
    let asked: Vec<Product> = Product::ALL
        .into_iter()
        .filter(|p| p.scopes().iter().any(|k| scopes.iter().any(|s| s == k)))
        .collect();
    let product = match asked.as_slice() {
        [one] => *one,
        [] if has_embedding_id => Product::Moments,
        [] => {
            return Err(bad_request(
                "Missing required scopes",
                json!({ "scopes": [format!(
                    "must be {} (Moments) or {} (Answers)",
                    Product::Moments.scopes().join(", "),
                    Product::Answers.scopes().join(", ")
                )] }),
            ));
        }
        _ => {
            return Err(bad_request(
                "The scopes of Moments and Answers cannot be asked for in one request",
                json!({ "scopes": ["must be one product's scopes"] }),
            ));
        }
    };
    let missing: Vec<&str> = product
        .scopes()
        .iter()
        .copied()
        .filter(|required| !scopes.iter().any(|s| s == required))
        .collect();
    if !missing.is_empty() {
        let text = format!("Missing required scope: {}", missing.join(", "));
        return Err(bad_request(
            &text,
            json!({ "scopes": missing.iter().map(|s| format!("must include {s}")).collect::<Vec<_>>() }),
        ));
    }
    Ok(product)
}

/// A Moments call's `embedding_id`: present, well-formed, and one of the account's.
fn embedding_id(state: &AppState, raw: Option<&Value>) -> Result<String, Refusal> {
    let embedding_id = match raw {
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        Some(_) => {
            return Err(bad_request(
                "Invalid embedding_id",
                json!({ "embedding_id": ["must be a number or a non-empty string"] }),
            ));
        }
        None => {
            return Err(bad_request(
                "Missing embedding_id",
                json!({ "embedding_id": ["must not be null"] }),
            ));
        }
    };
    if !state.config.embedding_ids.contains(&embedding_id) {
        return Err(bad_request(
            &format!("Unknown embedding_id {embedding_id}"),
            json!({ "embedding_id": ["no embedding with this id exists for this account"] }),
        ));
    }
    Ok(embedding_id)
}

fn bad_request(text: &str, validation_errors: Value) -> Refusal {
    Refusal {
        status: StatusCode::BAD_REQUEST,
        message_id: "BAD_REQUEST",
        text: text.to_owned(),
        validation_errors: Some(validation_errors),
    }
}
