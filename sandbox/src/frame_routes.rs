//! The routes every app in the frame has ([`FrameApp::serve`]): the session status, the
//! storage-access claim, and the cookie check in front of all. Apart from
//! [`frame_app`](crate::frame_app) because they use [`storage_access`], which uses
//! the app's description: the description is what both sides share.

use crate::AppState;
use crate::frame_app::FrameApp;
use crate::storage_access;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;
use tokio::time::Instant;

impl FrameApp {
    /// `routes` (the app's pages, under its prefix) with what every app has: the
    /// session status, the storage-access claim, and the cookie check in front of all.
    pub(crate) fn serve(
        &'static self,
        routes: Router<AppState>,
        state: AppState,
    ) -> Router<AppState> {
        let session_status = move |State(state): State<AppState>,
                                   Path(session_id): Path<String>| async move {
            self.session_status(&state, &session_id)
        };
        let claim = move |State(state): State<AppState>,
                          Path(session_id): Path<String>,
                          headers: HeaderMap| async move {
            storage_access::claim(self, &state, &session_id, &headers)
        };
        routes
            .route(
                &format!("{}/{{session}}/api/session", self.prefix),
                get(session_status),
            )
            .route(
                &format!("{}/{{session}}{}", self.prefix, storage_access::CLAIM),
                post(claim),
            )
            .route_layer(axum::middleware::from_fn_with_state(
                (state, self),
                storage_access::require_cookie,
            ))
    }

    /// `GET {prefix}/{s}/api/session`: `200 {"remaining_ms"}`, or `410` once ended.
    fn session_status(&self, state: &AppState, session_id: &str) -> Response {
        let store = state.store();
        match store
            .session(session_id)
            .filter(|session| session.opens.product() == self.product)
        {
            Some(session) => {
                let remaining = session.expires_at.saturating_duration_since(Instant::now());
                axum::Json(json!({
                    "remaining_ms": u64::try_from(remaining.as_millis()).unwrap_or(u64::MAX)
                }))
                .into_response()
            }
            None => (
                StatusCode::GONE,
                axum::Json(json!({ "error": "session_ended" })),
            )
                .into_response(),
        }
    }
}
