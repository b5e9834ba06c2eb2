//! What every wizard page shares: the live session (or the page saying it ended), the
//! context a view renders with, and the page around a view (style, script, events).

use super::views::Context;
use super::{analytics, templates};
use crate::AppState;
use crate::frame_app::WIZARD;
use crate::pages;
use crate::store::{Opens, Session};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

const STYLE: &str = include_str!("wizard.css");
const SCRIPT: &str = include_str!("wizard.js");

/// The live wizard session, or the page that tells the host it has ended.
pub(super) fn live(state: &AppState, session_id: &str) -> Result<Session, Box<Response>> {
    WIZARD.live(state, session_id)
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
    let samples: serde_json::Map<String, Value> = templates::PLACEHOLDERS
        .iter()
        .map(|(k, v)| ((*k).to_owned(), Value::from(*v)))
        .collect();
    let mut config = WIZARD.page_config(session_id, session, events);
    config["samples"] = Value::Object(samples);
    config["senders"] = json!({ "SMS": "AcmeStore", "Viber": "AcmeStore", "WhatsApp": "+14155550123", "Email": "hello@acme.example" });
    let body = format!(
        "<style>{}{STYLE}</style>{body}<script>{SCRIPT}</script>",
        pages::UI_STYLE
    );
    pages::page(status, title, &body, &config)
}

pub(super) fn context<'a>(state: &AppState, session_id: &'a str, session: &Session) -> Context<'a> {
    let use_cases = state.store().workspace(&session.tenant).use_cases.len();
    Context {
        session: session_id,
        tenant: session.tenant.label(),
        embedding: match &session.opens {
            Opens::Moments { embedding_id } => embedding_id.clone(),
            Opens::Answers => String::new(),
        },
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
