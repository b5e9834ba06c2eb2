//! The HTML shell every sandbox page shares: the simulator banner, the styles, the
//! frame → host messaging script, and the security headers; and the controls every app
//! in the frame draws with ([`UI_STYLE`]).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use moments_protocol::frame;
use serde_json::Value;

/// The controls the apps in the frame share (tabs, buttons, forms, lists, pills,
/// notices), put in front of an app's own style by the app.
pub(crate) const UI_STYLE: &str = include_str!("ui.css");

/// Escapes text for HTML element content and double-quoted attributes.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// JSON that is safe inside `<script type="application/json">`: no `</script>` breakout.
pub(crate) fn script_json(value: &Value) -> String {
    value
        .to_string()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

/// A full page: banner, `body`, and the messaging script configured with `config`.
///
/// `config` is read by the page script: `hostOrigin` (where messages go; never `*`),
/// `silent` (post nothing),
/// `messages` (the documented frame message types), plus whatever the page needs.
pub(crate) fn page(status: StatusCode, title: &str, body: &str, config: &Value) -> Response {
    let html = format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · Moments sandbox</title>
<style>{STYLE}</style>
</head>
<body>
<div id="app" class="app">
<div class="sandbox-banner" role="note">Sandbox: a local simulator of Infobip Embeddable Moments and Answers. No real messages are sent.</div>
{body}
</div>
<script type="application/json" id="moments-config">{config}</script>
<script>{SCRIPT}</script>
</body>
</html>"#,
        title = escape(title),
        config = script_json(config),
    );
    let mut response = (status, html).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // The session id is in the page URL: never send it anywhere as a referrer.
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // Framable by local host apps only, as Infobip restricts its frame to registered hosts.
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'self' http://127.0.0.1:* http://localhost:*",
        ),
    );
    response
}

/// The message types, as the page script reads them (from the shared protocol crate,
/// so the sandbox and the component cannot disagree on a name).
pub(crate) fn message_types() -> Value {
    serde_json::json!({
        "ready": frame::READY,
        "resize": frame::RESIZE,
        "sessionExpired": frame::SESSION_EXPIRED,
        "event": frame::EVENT,
        "error": frame::ERROR,
    })
}

const STYLE: &str = r#"
:root { color-scheme: light; --ink:#1b1f3b; --muted:#5b6079; --line:#e3e5ee; --brand:#ff5a1f; --brand-ink:#fff; --bg:#f6f7fb; --card:#fff; --ok:#0f8a5f; --warn:#b26a00; --bad:#c62828; }
* { box-sizing: border-box; }
html, body { margin: 0; background: var(--bg); color: var(--ink); font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
.app { padding: 0 0 16px; }
.sandbox-banner { background: repeating-linear-gradient(135deg,#fff4d6 0 12px,#ffeab0 12px 24px); color:#6b4e00; font-size: 12px; font-weight: 600; padding: 6px 16px; border-bottom: 1px solid #f0d27a; }
.top { display:flex; align-items:center; justify-content:space-between; padding: 14px 20px; background: var(--card); border-bottom: 1px solid var(--line); }
.brand { font-weight: 700; letter-spacing: .2px; }
.brand span { color: var(--brand); }
.tenant { color: var(--muted); font-size: 13px; }
main { padding: 20px; }
h1 { font-size: 20px; margin: 0 0 4px; }
p.lead { color: var(--muted); margin: 0 0 16px; }
.notice { background: var(--card); border: 1px solid var(--line); border-left: 4px solid var(--bad); border-radius: 8px; padding: 16px 18px; }
.notice h1 { color: var(--bad); }
.notice code { background: var(--bg); padding: 1px 5px; border-radius: 4px; }
.expired-overlay { position: fixed; inset: 0; background: rgba(246,247,251,.92); display:flex; align-items:center; justify-content:center; }
@media (prefers-reduced-motion: reduce) { * { transition: none !important; animation: none !important; } }
"#;

/// The frame side of our postMessage protocol: ready, resize (ResizeObserver, coalesced
/// to one message per animation frame and only on change), session expiry, errors.
/// Messages go to the host origin only, never `*`.
const SCRIPT: &str = r#"
(function () {
  "use strict";
  var cfg = JSON.parse(document.getElementById("moments-config").textContent);
  var types = cfg.messages;
  var ancestors = location.ancestorOrigins;
  var hostOrigin = cfg.hostOrigin || (ancestors && ancestors.length ? ancestors[0] : null);
  var embedded = window.parent !== window;
  // A silent frame (the sandbox's `silent_frame` setting) posts nothing at all, as a
  // real frame whose messages the host does not know would seem to.
  function post(message) {
    if (embedded && hostOrigin && !cfg.silent) { window.parent.postMessage(message, hostOrigin); }
  }
  window.momentsPost = post;
  window.momentsEvent = function (name, data) { post({ type: types.event, name: name, data: data === undefined ? null : data }); };
  if (cfg.error) {
    post({ type: types.error, code: "invalid_request_uri", reason: cfg.error.reason, message: cfg.error.message });
  }
  var app = document.getElementById("app");
  var lastHeight = -1, pending = false;
  function measure() {
    pending = false;
    var height = Math.ceil(app.getBoundingClientRect().height);
    if (height !== lastHeight) { lastHeight = height; post({ type: types.resize, height: height }); }
  }
  // The first report waits for the first layout (the observer's first callback, or
  // `load`): on another site the frame is laid out in a process of its own, and a
  // height measured while the script runs can be the height at a width the frame
  // never has.
  if (window.ResizeObserver) {
    new ResizeObserver(function () { if (!pending) { pending = true; requestAnimationFrame(measure); } }).observe(app);
  } else {
    window.addEventListener("load", measure);
  }
  if (!cfg.error) { post({ type: types.ready }); }
  (cfg.events || []).forEach(function (e) { window.momentsEvent(e.name, e.data); });
  var ended = false;
  function endSession() {
    if (ended) return;
    ended = true;
    document.body.setAttribute("data-session", "expired");
    var overlay = document.createElement("div");
    overlay.className = "expired-overlay";
    overlay.setAttribute("role", "alert");
    overlay.textContent = "Your session has ended. Reconnecting\u2026";
    document.body.appendChild(overlay);
    post({ type: types.sessionExpired });
  }
  if (typeof cfg.sessionRemainingMs === "number") {
    setTimeout(endSession, Math.max(0, cfg.sessionRemainingMs));
  }
  // The session can also end early (the sandbox's admin API): ask every two seconds.
  if (cfg.sessionUrl) {
    var poll = setInterval(function () {
      fetch(cfg.sessionUrl, { cache: "no-store" }).then(function (r) {
        if (r.status === 410) { clearInterval(poll); endSession(); }
      }, function () {});
    }, 2000);
  }
})();
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_covers_markup_characters() {
        assert_eq!(
            escape(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn script_json_cannot_close_the_script_element() {
        let json = script_json(&serde_json::json!({ "x": "</script><script>alert(1)" }));
        assert!(!json.contains("</script"), "{json}");
        let back: Value = serde_json::from_str(&json).unwrap();
        assert_eq!(back["x"], "</script><script>alert(1)");
    }
}
