//! The Campaign wizard: what a platform's user sees inside the frame.

use crate::AppState;
use crate::pages::{self, escape};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;
use tokio::time::Instant;

/// `GET /wizard/{session}`: the wizard's home for a live session.
pub(crate) async fn home(
    State(state): State<AppState>,
    Path(session_id): Path<String>,
) -> Response {
    let Some(session) = state.store().session(&session_id).cloned() else {
        let body = r#"<main><div class="notice"><h1>Session ended</h1>
<p>This Moments session has ended. Your platform opens a new one for you.</p></div></main>"#;
        let config = json!({ "messages": pages::message_types(), "sessionRemainingMs": 0 });
        return pages::page(StatusCode::GONE, "Session ended", body, &config);
    };
    let remaining = session.expires_at.saturating_duration_since(Instant::now());
    let body = format!(
        r#"<header class="top"><div class="brand">Moments <span>Campaign wizard</span></div>
<div class="tenant">Workspace: {tenant} · embedding {embedding}</div></header>
<main><h1>Use-case templates</h1>
<p class="lead">Pick a template to activate it for your customers, step by step.</p></main>"#,
        tenant = escape(&session.tenant.label()),
        embedding = escape(&session.embedding_id),
    );
    let config = json!({
        "hostOrigin": session.host_origin,
        "messages": pages::message_types(),
        "sessionRemainingMs": u64::try_from(remaining.as_millis()).unwrap_or(u64::MAX),
    });
    pages::page(StatusCode::OK, "Campaign wizard", &body, &config)
}
