//! The cookie-session frame (the `cookie_session` setting): a session that lives in a
//! cookie, as an OAuth app's usually does, so the sandbox meets what a real frame on
//! another site meets. For every app in the frame ([`FrameApp`]), each with a cookie of
//! its own.
//!
//! The authorize step sets the cookie; every request of the app needs it. On a host
//! page of another site the frame is a third party, and a browser that blocks
//! third-party cookies withholds it. The app then shows a "Continue" button that asks
//! for it the standard way, `document.requestStorageAccess()` on the click; once
//! granted, the frame's own request sets the cookie again (the one from the authorize
//! step was never stored) and the page reloads into the app. When the browser refuses,
//! the frame says so instead of failing blank.
//!
//! | route | what |
//! |---|---|
//! | any `{prefix}/{s}/…` without the cookie | `GET`: the Continue page (200); otherwise `401` |
//! | `POST {prefix}/{s}/api/storage-access` | sets the cookie again (the frame's own `fetch`, after the grant) |

use crate::AppState;
use crate::frame_app::FrameApp;
use crate::pages;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// The path, under `{prefix}/{s}`, where the frame claims its cookie after the grant.
pub(crate) const CLAIM: &str = "/api/storage-access";

/// Sets `app`'s session cookie on `response`, with what a cross-site cookie must carry:
/// `SameSite=None` and `Secure` (which browsers allow on `http://localhost`).
pub(crate) fn set_cookie(app: &FrameApp, response: &mut Response, session_id: &str) {
    let cookie = format!(
        "{}={session_id}; Path=/; HttpOnly; Secure; SameSite=None",
        app.cookie
    );
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
}

fn has_cookie(app: &FrameApp, headers: &HeaderMap, session_id: &str) -> bool {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .any(|(name, value)| name == app.cookie && value == session_id)
}

/// Middleware on an app's routes: a cookie-mode session's requests must carry its
/// cookie, but for the claim itself.
pub(crate) async fn require_cookie(
    State((state, app)): State<(AppState, &'static FrameApp)>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path().to_owned();
    let Some(rest) = path
        .strip_prefix(app.prefix)
        .and_then(|rest| rest.strip_prefix('/'))
    else {
        return next.run(request).await;
    };
    let (session_id, tail) = rest.split_once('/').unwrap_or((rest, ""));
    let needs_cookie = app
        .session_even_ended(&state, session_id)
        .is_some_and(|session| session.cookie);
    if !needs_cookie
        || format!("/{tail}") == CLAIM
        || has_cookie(app, request.headers(), session_id)
    {
        return next.run(request).await;
    }
    if request.method() == Method::GET && !tail.starts_with("api/") {
        return continue_page(app, &state, session_id);
    }
    (
        StatusCode::UNAUTHORIZED,
        axum::Json(json!({ "error": "this session's cookie did not come with the request" })),
    )
        .into_response()
}

/// `POST {prefix}/{s}/api/storage-access`: the cookie again, for the frame's own
/// request (`Sec-Fetch-Site: same-origin`) on a live cookie-mode session of `app`.
pub(crate) fn claim(
    app: &FrameApp,
    state: &AppState,
    session_id: &str,
    headers: &HeaderMap,
) -> Response {
    let own_request = headers
        .get("sec-fetch-site")
        .is_some_and(|site| site == "same-origin");
    let live = state
        .store()
        .session(session_id)
        .is_some_and(|session| session.cookie && session.opens.product() == app.product);
    if !(own_request && live) {
        return StatusCode::FORBIDDEN.into_response();
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    set_cookie(app, &mut response, session_id);
    response
}

/// What the frame shows when its cookie was withheld: why, and a Continue button.
fn continue_page(app: &FrameApp, state: &AppState, session_id: &str) -> Response {
    let session = app.session_even_ended(state, session_id);
    let (host_origin, silent) = (
        session.as_ref().and_then(|s| s.host_origin.clone()),
        session.is_some_and(|s| s.silent),
    );
    let body = format!(
        r#"<main><div class="notice notice--ask" id="storage-access">
<h1>Continue to the {name}</h1>
<p>This frame keeps its session in a cookie, and your browser holds back the cookies of
frames from other sites. Continue to let this frame use its cookie on this page.</p>
<p><button type="button" id="storage-access-continue">Continue</button></p>
<p id="storage-access-outcome" role="status"></p>
</div></main>
<script>
document.getElementById("storage-access-continue").addEventListener("click", async function () {{
  var outcome = document.getElementById("storage-access-outcome");
  if (!document.requestStorageAccess) {{
    outcome.dataset.storageAccess = "unsupported";
    outcome.textContent = "This browser cannot give a frame its cookie. Allow cookies for this site in its settings.";
    return;
  }}
  try {{
    await document.requestStorageAccess();
    var claimed = await fetch("{claim_url}", {{ method: "POST", credentials: "include" }});
    if (!claimed.ok) throw new Error("the session could not be resumed (" + claimed.status + ")");
    outcome.dataset.storageAccess = "granted";
    location.reload();
  }} catch (error) {{
    outcome.dataset.storageAccess = "denied";
    outcome.textContent = "Your browser did not let this frame use its cookie (" + (error.name || error) +
      "). Allow cookies for this site in its settings, then reload.";
  }}
}});
</script>"#,
        name = app.name,
        claim_url = pages::escape(&app.url(session_id, CLAIM)),
    );
    let config = json!({
        "hostOrigin": host_origin,
        "messages": pages::message_types(),
        "silent": silent,
    });
    pages::page(StatusCode::OK, "Continue", &body, &config)
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::frame_app::{ANSWERS, WIZARD};

    #[test]
    fn the_cookie_is_found_among_others_and_only_for_its_session() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; moments_sandbox_session=s1; b=2"),
        );
        assert!(has_cookie(&WIZARD, &headers, "s1"));
        assert!(!has_cookie(&WIZARD, &headers, "s2"));
        assert!(!has_cookie(&WIZARD, &HeaderMap::new(), "s1"));
        assert!(
            !has_cookie(&ANSWERS, &headers, "s1"),
            "each app has a cookie of its own"
        );
    }
}
