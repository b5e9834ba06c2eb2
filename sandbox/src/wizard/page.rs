//! What every wizard page shares: the live session (or the page saying it ended), the
//! context a view renders with, and the page around a view (style, script, events).

use super::views::Context;
use super::{analytics, templates};
use crate::AppState;
use crate::pages;
use crate::store::Session;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};
use tokio::time::Instant;

const STYLE: &str = include_str!("wizard.css");
const SCRIPT: &str = include_str!("wizard.js");

/// The live session, or the page that tells the host it has ended.
pub(super) fn live(state: &AppState, session_id: &str) -> Result<Session, Box<Response>> {
    let store = state.store();
    if let Some(session) = store.session(session_id) {
        return Ok(session.clone());
    }
    let ended = store.session_even_ended(session_id);
    let host_origin = ended.and_then(|s| s.host_origin.clone());
    let silent = ended.is_some_and(|s| s.silent);
    drop(store);
    let body = r#"<main><div class="notice"><h1>Session ended</h1>
<p>This Moments session has ended. Your platform opens a new one for you.</p></div></main>"#;
    let config = json!({
        "hostOrigin": host_origin,
        "messages": pages::message_types(),
        "silent": silent,
        "sessionRemainingMs": 0,
    });
    Err(Box::new(pages::page(
        StatusCode::GONE,
        "Session ended",
        body,
        &config,
    )))
}

fn tenant_seed(session: &Session) -> u64 {
    analytics::seed_of(analytics::FNV_OFFSET, session.tenant.label().as_bytes())
}

/// A wizard page: the shared shell, the wizard's style and script, and its events.
pub(super) fn render(
    session_id: &str,
    session: &Session,
    title: &str,
    body: &str,
    events: &[Value],
    status: StatusCode,
) -> Response {
    let remaining = session.expires_at.saturating_duration_since(Instant::now());
    let samples: serde_json::Map<String, Value> = templates::PLACEHOLDERS
        .iter()
        .map(|(k, v)| ((*k).to_owned(), Value::from(*v)))
        .collect();
    let config = json!({
        "hostOrigin": session.host_origin,
        "messages": pages::message_types(),
        "silent": session.silent,
        "sessionRemainingMs": u64::try_from(remaining.as_millis()).unwrap_or(u64::MAX),
        "sessionUrl": format!("/wizard/{session_id}/api/session"),
        "events": events,
        "samples": samples,
        "senders": { "SMS": "AcmeStore", "Viber": "AcmeStore", "WhatsApp": "+14155550123", "Email": "hello@acme.example" },
    });
    let body = format!("<style>{STYLE}</style>{body}<script>{SCRIPT}</script>");
    pages::page(status, title, &body, &config)
}

pub(super) fn context<'a>(state: &AppState, session_id: &'a str, session: &Session) -> Context<'a> {
    let use_cases = state.store().workspace(&session.tenant).use_cases.len();
    Context {
        session: session_id,
        tenant: session.tenant.label(),
        embedding: session.embedding_id.clone(),
        use_cases,
        tenant_seed: tenant_seed(session),
    }
}

pub(super) fn not_found(session_id: &str, session: &Session, what: &str) -> Response {
    let body = format!(
        r#"<main><div class="notice"><h1>Not found</h1><p>{}</p><p><a href="/wizard/{session_id}">Back to the templates</a></p></div></main>"#,
        pages::escape(what)
    );
    render(
        session_id,
        session,
        "Not found",
        &body,
        &[],
        StatusCode::NOT_FOUND,
    )
}
