//! Who may call the session endpoint from a browser: same-origin pages, and the extra
//! origins the operator lists (with matching CORS). This is the CSRF defence.
//!
//! The check follows Go 1.25's `http.CrossOriginProtection`, which reads what browsers
//! already send instead of tokens:
//! 1. safe methods (`GET`, `HEAD`, `OPTIONS`) pass;
//! 2. `Sec-Fetch-Site: same-origin` or `none` (typed URL, bookmark) passes; any other
//!    value (`same-site`, `cross-site`) passes only for a listed origin;
//! 3. with no `Sec-Fetch-Site` (older browsers), an `Origin` whose host equals `Host`
//!    passes, a listed one passes, any other is refused;
//! 4. with neither header it is not a browser (curl, a server-side client): it passes,
//!    since CSRF needs a victim's browser to carry the request.

use crate::config_error::ConfigError;
use crate::error::AppError;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use http::request::Parts;
use http::{HeaderMap, HeaderName, HeaderValue, Method, Uri, header};
use moments_protocol::ErrorCode;
use std::sync::Arc;
use std::time::Duration;
use tower_http::cors::{AllowHeaders, CorsLayer};
use url::Url;

const SEC_FETCH_SITE: HeaderName = HeaderName::from_static("sec-fetch-site");

/// Where a library user lists the allowed origins; what a refusal names unless the
/// origins came from somewhere else ([`OriginPolicy::named`]).
pub(crate) const ORIGINS_IN_CODE: &str = "Config::with_allowed_origins";

/// The origins, besides the endpoint's own, whose pages may call it.
#[derive(Clone, Debug)]
pub(crate) struct OriginPolicy {
    trusted: Vec<HeaderValue>,
    /// The setting that lists them, as the operator knows it: a refusal names it, so
    /// whoever reads the refusal knows what to change.
    setting: &'static str,
}

impl Default for OriginPolicy {
    fn default() -> Self {
        Self {
            trusted: Vec::new(),
            setting: ORIGINS_IN_CODE,
        }
    }
}

impl OriginPolicy {
    /// Validates and normalises `origins` (`https://app.example.com`, no path).
    pub(crate) fn new(origins: &[String]) -> Result<Self, ConfigError> {
        let trusted = origins
            .iter()
            .map(|raw| {
                let origin = parse_origin(raw)?;
                HeaderValue::from_str(&origin)
                    .map_err(|_| ConfigError::new(format!("allowed origin `{raw}` is not ASCII")))
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            trusted,
            ..Self::default()
        })
    }

    /// The same policy, its origins listed in `setting` (`MOMENTS_ALLOWED_ORIGINS` for
    /// the binary and `Config::from_env`).
    #[must_use]
    pub(crate) fn named(mut self, setting: &'static str) -> Self {
        self.setting = setting;
        self
    }

    /// Whether this request may act on the endpoint (see the module docs).
    pub(crate) fn check(&self, request: &Parts) -> Result<(), AppError> {
        self.check_request(&request.method, &request.headers, &request.uri)
    }

    /// [`check`](Self::check), for a request not split into parts.
    pub(crate) fn check_request(
        &self,
        method: &Method,
        headers: &HeaderMap,
        uri: &Uri,
    ) -> Result<(), AppError> {
        if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
            return Ok(());
        }
        let origin = headers.get(header::ORIGIN);
        let listed = origin.is_some_and(|o| self.trusted.contains(o));
        match headers.get(SEC_FETCH_SITE).map(HeaderValue::as_bytes) {
            Some(b"same-origin" | b"none") => return Ok(()),
            Some(_) if listed => return Ok(()),
            Some(_) => return Err(self.refused(origin)),
            None => {}
        }
        let Some(origin) = origin else {
            return Ok(());
        };
        if listed || same_host(origin, headers, uri) {
            Ok(())
        } else {
            Err(self.refused(Some(origin)))
        }
    }

    /// CORS for the listed origins (preflight included), or none when there are none:
    /// a same-origin endpoint needs no CORS at all.
    pub(crate) fn cors(&self) -> Option<CorsLayer> {
        if self.trusted.is_empty() {
            return None;
        }
        Some(
            CorsLayer::new()
                .allow_origin(self.trusted.clone())
                .allow_methods([Method::POST])
                // The page is trusted; what it may send is checked by the endpoint.
                .allow_headers(AllowHeaders::mirror_request())
                // Hosts whose auth is a cookie call with `credentials: "include"`.
                .allow_credentials(true)
                // The component honours Retry-After; CORS hides it unless exposed.
                .expose_headers([header::RETRY_AFTER, crate::request_id::X_REQUEST_ID])
                .max_age(Duration::from_secs(600)),
        )
    }
}

/// Middleware for the session route: refuses cross-origin writes with `403 forbidden`.
pub(crate) async fn guard(
    State(policy): State<Arc<OriginPolicy>>,
    request: Request,
    next: Next,
) -> Result<Response, AppError> {
    policy.check_request(request.method(), request.headers(), request.uri())?;
    Ok(next.run(request).await)
}

impl OriginPolicy {
    /// `403 forbidden`, naming the setting that would allow the page: the message and the
    /// log line say what to change, never which origins are listed.
    fn refused(&self, origin: Option<&HeaderValue>) -> AppError {
        let origin = origin
            .and_then(|o| o.to_str().ok())
            .unwrap_or("another site");
        let setting = self.setting;
        tracing::warn!(
            origin,
            "refused a cross-origin session request; if this page should be allowed, add its origin to {setting}"
        );
        AppError::new(
            ErrorCode::Forbidden,
            format!(
                "This endpoint only answers pages of its own site. If this page should be allowed, add its origin to the server's allowed origins ({setting})."
            ),
        )
    }
}

/// Whether `Origin`'s host (and port) is the `Host` the request was sent to.
fn same_host(origin: &HeaderValue, headers: &HeaderMap, uri: &Uri) -> bool {
    let Some(origin_host) = origin
        .to_str()
        .ok()
        .and_then(|o| o.split_once("://"))
        .map(|(_, host)| host)
    else {
        return false;
    };
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| uri.authority().map(http::uri::Authority::as_str));
    host.is_some_and(|host| host.eq_ignore_ascii_case(origin_host))
}

/// `https://app.example.com[:port]`, as browsers serialise an `Origin`.
fn parse_origin(raw: &str) -> Result<String, ConfigError> {
    let problem = |why: &str| {
        ConfigError::new(format!(
            "allowed origin `{raw}` {why}; write it as scheme://host[:port], e.g. https://app.example.com"
        ))
    };
    let url = Url::parse(raw.trim()).map_err(|_| problem("is not a URL"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(problem("is not an http(s) origin"));
    }
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        return Err(problem("has a path, query or fragment"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(problem("has credentials in it"));
    }
    Ok(url.origin().ascii_serialization())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post(headers: &[(&str, &str)]) -> Parts {
        let mut builder = http::Request::post("/api/moments/session");
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        builder.body(()).unwrap().into_parts().0
    }

    fn policy() -> OriginPolicy {
        OriginPolicy::new(&["https://App.Example.com/".to_owned()]).unwrap()
    }

    #[test]
    fn browsers_are_judged_by_sec_fetch_site_first() {
        let p = policy();
        assert!(p.check(&post(&[("sec-fetch-site", "same-origin")])).is_ok());
        assert!(p.check(&post(&[("sec-fetch-site", "none")])).is_ok());
        let evil = [
            ("sec-fetch-site", "cross-site"),
            ("origin", "https://evil.test"),
        ];
        assert_eq!(
            p.check(&post(&evil)).unwrap_err().code,
            ErrorCode::Forbidden
        );
        let sibling = [
            ("sec-fetch-site", "same-site"),
            ("origin", "https://x.example.com"),
        ];
        assert!(
            p.check(&post(&sibling)).is_err(),
            "same-site is not same-origin"
        );
        let listed = [
            ("sec-fetch-site", "cross-site"),
            ("origin", "https://app.example.com"),
        ];
        assert!(
            p.check(&post(&listed)).is_ok(),
            "normalised: case and slash"
        );
    }

    #[test]
    fn older_browsers_are_judged_by_origin_against_host() {
        let p = policy();
        let same = [
            ("origin", "http://127.0.0.1:8787"),
            ("host", "127.0.0.1:8787"),
        ];
        assert!(p.check(&post(&same)).is_ok());
        let other_port = [
            ("origin", "http://127.0.0.1:9999"),
            ("host", "127.0.0.1:8787"),
        ];
        assert!(p.check(&post(&other_port)).is_err());
        let null = [("origin", "null"), ("host", "127.0.0.1:8787")];
        assert!(
            p.check(&post(&null)).is_err(),
            "sandboxed frames and file: pages"
        );
        let listed = [
            ("origin", "https://app.example.com"),
            ("host", "api.example.com"),
        ];
        assert!(p.check(&post(&listed)).is_ok());
    }

    #[test]
    fn non_browsers_and_safe_methods_pass() {
        assert!(policy().check(&post(&[])).is_ok());
        let get = http::Request::get("/x")
            .header("sec-fetch-site", "cross-site")
            .body(())
            .unwrap()
            .into_parts()
            .0;
        assert!(policy().check(&get).is_ok());
    }

    #[test]
    fn configured_origins_must_be_origins() {
        for bad in [
            "*",
            "null",
            "app.example.com",
            "https://a.test/path",
            "ftp://a.test",
            "https://u:p@a.test",
        ] {
            let error = OriginPolicy::new(&[bad.to_owned()])
                .unwrap_err()
                .to_string();
            assert!(error.contains("scheme://host[:port]"), "{bad}: {error}");
        }
        assert!(OriginPolicy::default().cors().is_none());
        assert!(policy().cors().is_some());
    }

    #[test]
    fn a_refusal_names_the_setting_that_lists_the_origins() {
        let evil = post(&[("origin", "https://evil.test")]);
        let in_code = policy().check(&evil).unwrap_err().message;
        assert!(
            in_code.contains("(Config::with_allowed_origins)"),
            "a library user's: {in_code}"
        );
        let from_env = policy()
            .named("MOMENTS_ALLOWED_ORIGINS")
            .check(&evil)
            .unwrap_err()
            .message;
        assert!(
            from_env.contains("(MOMENTS_ALLOWED_ORIGINS)") && !from_env.contains("Config::"),
            "the binary's: {from_env}"
        );
        assert!(
            !from_env.contains("app.example.com"),
            "never what is listed: {from_env}"
        );
    }
}
