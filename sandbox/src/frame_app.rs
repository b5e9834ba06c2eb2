//! What the apps in the frame share: which app a session belongs to (the Campaign wizard
//! for Moments, the chatbot builder for Answers), the live session or the page saying it
//! has ended, the page config the messaging script reads, the session status API, and
//! the cookie check of a cookie-session frame ([`storage_access`](crate::storage_access)).
//!
//! Each app serves its pages under `{prefix}/{session}`; `FrameApp::serve`
//! ([`frame_routes`](crate::frame_routes)) adds what every app has:
//!
//! | route | what |
//! |---|---|
//! | `GET {prefix}/{s}/api/session` | `200 {"remaining_ms"}` or `410` once ended |
//! | `POST {prefix}/{s}/api/storage-access` | the session cookie again, in cookie mode ([`storage_access`](crate::storage_access)) |
//!
//! A session belongs to the product its request URI was minted for: under another
//! product's prefix it does not exist.

use crate::AppState;
use crate::pages;
use crate::store::Session;
use axum::http::StatusCode;
use axum::response::Response;
use moments_protocol::Product;
use serde_json::{Value, json};
use tokio::time::Instant;

/// One app the frame can show, and where it lives.
#[derive(Debug)]
pub(crate) struct FrameApp {
    /// The product whose request URIs open it.
    pub(crate) product: Product,
    /// Where its pages live: a session's are under `{prefix}/{session}`.
    pub(crate) prefix: &'static str,
    /// What its pages call it ("Continue to the …").
    pub(crate) name: &'static str,
    /// The cookie that holds a cookie-mode session's id (one per app, so a page that
    /// shows both frames keeps both sessions).
    pub(crate) cookie: &'static str,
}

/// Moments' Campaign wizard.
pub(crate) static WIZARD: FrameApp = FrameApp {
    product: Product::Moments,
    prefix: "/wizard",
    name: "Campaign wizard",
    cookie: "moments_sandbox_session",
};

/// Answers' chatbot builder.
pub(crate) static ANSWERS: FrameApp = FrameApp {
    product: Product::Answers,
    prefix: crate::ANSWERS_PATH,
    name: "chatbot builder",
    cookie: "answers_sandbox_session",
};

impl FrameApp {
    /// The app that `product`'s request URIs open.
    pub(crate) fn of(product: Product) -> &'static Self {
        match product {
            Product::Moments => &WIZARD,
            Product::Answers => &ANSWERS,
        }
    }

    /// `{prefix}/{session}{rest}`.
    pub(crate) fn url(&self, session_id: &str, rest: &str) -> String {
        format!("{}/{session_id}{rest}", self.prefix)
    }

    /// The session `session_id` of this app whether or not it has ended.
    pub(crate) fn session_even_ended(&self, state: &AppState, session_id: &str) -> Option<Session> {
        state
            .store()
            .session_even_ended(session_id)
            .filter(|session| session.opens.product() == self.product)
            .cloned()
    }

    /// The live session of this app, or the page that tells the host it has ended.
    pub(crate) fn live(
        &self,
        state: &AppState,
        session_id: &str,
    ) -> Result<Session, Box<Response>> {
        let store = state.store();
        if let Some(session) = store
            .session(session_id)
            .filter(|session| session.opens.product() == self.product)
        {
            return Ok(session.clone());
        }
        drop(store);
        let ended = self.session_even_ended(state, session_id);
        let body = format!(
            r#"<main><div class="notice"><h1>Session ended</h1>
<p>This {} session has ended. Your platform opens a new one for you.</p></div></main>"#,
            self.product.label()
        );
        let config = json!({
            "hostOrigin": ended.as_ref().and_then(|s| s.host_origin.clone()),
            "messages": pages::message_types(),
            "silent": ended.is_some_and(|s| s.silent),
            "sessionRemainingMs": 0,
        });
        Err(Box::new(pages::page(
            StatusCode::GONE,
            "Session ended",
            &body,
            &config,
        )))
    }

    /// What the messaging script of a live session's page reads: where to post, whether
    /// to stay silent, when the session ends and where to ask whether it has, and the
    /// `moments:event`s to announce. An app adds its own keys.
    pub(crate) fn page_config(
        &self,
        session_id: &str,
        session: &Session,
        events: &[Value],
    ) -> Value {
        let remaining = session.expires_at.saturating_duration_since(Instant::now());
        json!({
            "hostOrigin": session.host_origin,
            "messages": pages::message_types(),
            "silent": session.silent,
            "sessionRemainingMs": u64::try_from(remaining.as_millis()).unwrap_or(u64::MAX),
            "sessionUrl": self.url(session_id, "/api/session"),
            "events": events,
        })
    }
}
