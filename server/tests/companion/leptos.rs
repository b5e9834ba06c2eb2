//! `moments_par::leptos::create_session`, run as leptos_axum runs a server function (in
//! a reactive owner, with the request's parts, a `ResponseOptions` and the service as
//! context): the REST endpoint's status, headers, access line and counts, and its
//! checks, the tenant header and the upstream gate included.

use crate::stub::{Reply, Stub};
use crate::support::{bounded, call, config, fresh_key, metric, session};
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode};
use axum::routing::post;
use leptos::context::provide_context;
use leptos::reactive::computed::ScopedFuture;
use leptos::reactive::owner::Owner;
use leptos_axum::{ResponseOptions, ResponseParts};
use moments_par::leptos::create_session;
use moments_par::{
    RateLimit, SessionFailure, SessionService, Tenant, TrustedHeader, UpstreamLimit,
};
use moments_protocol::{ErrorCode, SessionGrant, SessionRequest};
use std::io::Write;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tower::ServiceExt;

/// The server function's path, as the full-stack example mounts it.
const SERVER_FN: &str = "/api/moments_session";

/// The browser's address, as `into_make_service_with_connect_info` records it.
const PEER: ConnectInfo<SocketAddr> = ConnectInfo(SocketAddr::new(
    std::net::IpAddr::V4(std::net::Ipv4Addr::new(203, 0, 113, 7)),
    50_000,
));

/// The parts of a server function's request from the browser at [`PEER`], as
/// leptos_axum hands them over: routed by axum at [`SERVER_FN`], its `MatchedPath`
/// included.
async fn parts(headers: &[(&str, &str)]) -> http::request::Parts {
    let mut request = Request::post(SERVER_FN)
        .header("host", "app.test")
        .header("content-type", "application/json")
        .extension(PEER);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let routed = Arc::new(Mutex::new(None));
    let app = axum::Router::new().route(
        SERVER_FN,
        post({
            let routed = Arc::clone(&routed);
            move |parts: http::request::Parts| async move {
                *routed.lock().unwrap() = Some(parts);
            }
        }),
    );
    app.oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    routed.lock().unwrap().take().expect("routed")
}

const SAME_ORIGIN: (&str, &str) = ("sec-fetch-site", "same-origin");

/// Calls `create_session` as leptos_axum calls a server function's body, with `service`
/// provided (or not): its result, and the status and headers it set.
async fn server_fn(
    service: Option<&SessionService>,
    parts: http::request::Parts,
) -> (Result<SessionGrant, SessionFailure>, ResponseParts) {
    let response = ResponseOptions::default();
    let owner = Owner::new();
    let result = owner
        .with(|| {
            provide_context(parts);
            provide_context(response.clone());
            if let Some(service) = service {
                provide_context(service.clone());
            }
            ScopedFuture::new(create_session(SessionRequest::default()))
        })
        .await;
    let set = response.0.read().unwrap().clone();
    (result, set)
}

/// Every log line written on this thread while the guard lives (the tests run on one
/// thread, the stub's tasks included), as text.
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl Logs {
    fn capture(&self) -> tracing::subscriber::DefaultGuard {
        let lines = self.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::DEBUG)
            .with_ansi(false)
            .with_writer(move || lines.clone())
            .finish();
        tracing::subscriber::set_default(subscriber)
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }

    /// The access line of the request with this id.
    fn access_line(&self, id: &str) -> String {
        self.text()
            .lines()
            .find(|l| {
                l.contains(&format!("request_id={id}")) && l.contains("finished processing request")
            })
            .unwrap_or_else(|| panic!("no access line for {id} in\n{}", self.text()))
            .to_owned()
    }
}

impl Write for Logs {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The names of a text log line's `key=value` fields, in order.
fn field_names(line: &str) -> Vec<&str> {
    line.split([' ', '{', '}', ','])
        .filter_map(|word| word.split_once('=').map(|(key, _)| key))
        .collect()
}

fn header<'a>(set: &'a ResponseParts, name: &str) -> Option<&'a str> {
    set.headers.get(name).and_then(|v| v.to_str().ok())
}

#[tokio::test]
async fn a_grant_is_answered_logged_and_counted_as_the_endpoints() {
    let logs = Logs::default();
    let _guard = logs.capture();
    bounded(async {
        let stub = Stub::start(Reply::Grant).await;
        let service = SessionService::new(config(&stub.url, &fresh_key())).unwrap();
        let app = service.router::<()>();
        let rest = call(&app, session().extension(PEER), "{}").await;
        assert_eq!(rest.status, StatusCode::OK, "{}", rest.text);

        let (grant, set) = server_fn(
            Some(&service),
            parts(&[SAME_ORIGIN, ("x-request-id", "fn-call:1")]).await,
        )
        .await;
        let grant = grant.unwrap();
        assert_eq!(set.status.unwrap_or(StatusCode::OK), StatusCode::OK);
        for name in ["cache-control", "x-content-type-options"] {
            assert_eq!(header(&set, name), rest.header(name), "{name}");
        }
        assert_eq!(header(&set, "cache-control"), Some("no-store"));
        assert_eq!(header(&set, "x-content-type-options"), Some("nosniff"));
        assert_eq!(
            header(&set, "x-request-id"),
            Some("fn-call:1"),
            "a sane id is kept"
        );
        let (_, fresh) = server_fn(
            Some(&service),
            parts(&[SAME_ORIGIN, ("x-request-id", "a b")]).await,
        )
        .await;
        let id = header(&fresh, "x-request-id").unwrap();
        assert!(
            id != "a b" && id.len() == 24,
            "an insane one replaced: {id}"
        );

        // One access line each, with the same fields in the same order.
        let rest_line = logs.access_line(rest.header("x-request-id").unwrap());
        let fn_line = logs.access_line("fn-call:1");
        assert_eq!(
            field_names(&fn_line),
            field_names(&rest_line),
            "the same access line:\n{rest_line}\n{fn_line}"
        );
        assert!(fn_line.contains(" INFO "), "{fn_line}");
        assert!(
            fn_line.contains(&format!("route={SERVER_FN} ")),
            "{fn_line}"
        );
        assert!(fn_line.contains("status=200"), "{fn_line}");
        assert!(
            fn_line.contains(" tenant=account ") && fn_line.contains(" request_uri=ru#"),
            "the handler's late fields: {fn_line}"
        );
        assert!(
            !logs.text().contains(&grant.request_uri),
            "never the URI itself"
        );

        let metrics = call(&app, Request::get("/metrics"), "").await.text;
        for (series, value) in [
            (
                format!("moments_par_http_requests_total{{route=\"{SERVER_FN}\",status=\"200\"}}"),
                2.0,
            ),
            (
                "moments_par_http_requests_total{route=\"/api/moments/session\",status=\"200\"}"
                    .to_owned(),
                1.0,
            ),
            ("moments_par_session_duration_seconds_count".to_owned(), 3.0),
        ] {
            assert_eq!(
                metric(&metrics, &series),
                Some(value),
                "{series} in\n{metrics}"
            );
        }
        stub.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn a_refusal_has_the_endpoints_status_headers_and_access_line() {
    let logs = Logs::default();
    let _guard = logs.capture();
    bounded(async {
        let stub = Stub::start(Reply::Grant).await;
        let limit = RateLimit::per_minute(60).with_burst(1);
        let service =
            SessionService::new(config(&stub.url, &fresh_key()).with_rate_limit(Some(limit)))
                .unwrap();
        let app = service.router::<()>();
        let cross_site = |id| {
            [
                ("sec-fetch-site", "cross-site"),
                ("origin", "https://evil.example"),
                ("x-request-id", id),
            ]
        };
        let rest = call(
            &app,
            crate::support::request("POST", &cross_site("refused-rest")).extension(PEER),
            "{}",
        )
        .await;
        let (refused, set) =
            server_fn(Some(&service), parts(&cross_site("refused-fn")).await).await;
        let refused = refused.unwrap_err();
        assert_eq!(refused.error.code, ErrorCode::Forbidden);
        assert_eq!(rest.status, StatusCode::FORBIDDEN);
        assert_eq!(
            set.status,
            Some(rest.status),
            "the endpoint's status, not a 500"
        );
        for name in ["cache-control", "x-content-type-options"] {
            assert_eq!(header(&set, name), rest.header(name), "{name}");
        }
        assert_eq!(header(&set, "x-request-id"), Some("refused-fn"));
        let line = logs.access_line("refused-fn");
        assert!(
            line.contains(&format!("route={SERVER_FN} ")) && line.contains("status=403"),
            "{line}"
        );

        // The burst (1) spent, the next is over the rate: 429 and when to come back.
        let (granted, _) = server_fn(Some(&service), parts(&[SAME_ORIGIN]).await).await;
        assert!(granted.is_ok());
        let (limited, set) = server_fn(Some(&service), parts(&[SAME_ORIGIN]).await).await;
        assert_eq!(limited.unwrap_err().error.code, ErrorCode::RateLimited);
        assert_eq!(set.status, Some(StatusCode::TOO_MANY_REQUESTS));
        assert_eq!(header(&set, "retry-after"), Some("1"), "one token a second");
        assert_eq!(header(&set, "cache-control"), Some("no-store"));

        let metrics = call(&app, Request::get("/metrics"), "").await.text;
        for (series, value) in [
            (
                format!("moments_par_http_requests_total{{route=\"{SERVER_FN}\",status=\"403\"}}"),
                1.0,
            ),
            (
                format!("moments_par_http_requests_total{{route=\"{SERVER_FN}\",status=\"429\"}}"),
                1.0,
            ),
            (
                "moments_par_errors_total{code=\"forbidden\"}".to_owned(),
                2.0,
            ),
            (
                "moments_par_errors_total{code=\"rate_limited\"}".to_owned(),
                1.0,
            ),
        ] {
            assert_eq!(
                metric(&metrics, &series),
                Some(value),
                "{series} in\n{metrics}"
            );
        }
        assert_eq!(stub.calls(), 1);
        stub.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn the_server_function_is_held_to_the_tenant_header_and_the_upstream_gate() {
    bounded(async {
        let stub = Stub::start(Reply::Hang(Duration::from_millis(250))).await;
        let acme = Tenant {
            entity_id: Some("acme".into()),
            ..Tenant::account()
        };
        let resolver = TrustedHeader::new("x-org".parse().unwrap()).with_tenant("acme", acme);
        let gate = UpstreamLimit {
            concurrency: 1,
            queue_timeout: Duration::from_millis(50),
        };
        let service = SessionService::new(
            config(&stub.url, &fresh_key())
                .with_tenants(resolver)
                .with_upstream_limit(gate),
        )
        .unwrap();

        let (nobody, set) = server_fn(Some(&service), parts(&[SAME_ORIGIN]).await).await;
        assert_eq!(nobody.unwrap_err().error.code, ErrorCode::Unauthorized);
        assert_eq!(set.status, Some(StatusCode::UNAUTHORIZED));
        let (stranger, set) = server_fn(
            Some(&service),
            parts(&[SAME_ORIGIN, ("x-org", "initech")]).await,
        )
        .await;
        assert_eq!(stranger.unwrap_err().error.code, ErrorCode::Forbidden);
        assert_eq!(set.status, Some(StatusCode::FORBIDDEN));
        assert_eq!(stub.calls(), 0);

        // One call holds the only upstream slot; the next finds none in time.
        let acme = [SAME_ORIGIN, ("x-org", "acme")];
        let (first, second) = tokio::join!(server_fn(Some(&service), parts(&acme).await), async {
            tokio::time::sleep(Duration::from_millis(20)).await;
            server_fn(Some(&service), parts(&acme).await).await
        });
        let (served, refused) = if first.0.is_ok() {
            (first, second)
        } else {
            (second, first)
        };
        assert!(served.0.is_ok(), "{:?}", served.0);
        assert_eq!(
            refused.0.unwrap_err().error.code,
            ErrorCode::UpstreamUnavailable
        );
        assert_eq!(refused.1.status, Some(StatusCode::SERVICE_UNAVAILABLE));
        assert_eq!(header(&refused.1, "retry-after"), Some("1"));
        assert_eq!(stub.calls(), 1, "the refused one never reached Infobip");
        let (_, sent) = stub.last_request().unwrap();
        let sent: serde_json::Value = serde_json::from_slice(&sent).unwrap();
        assert_eq!(sent["entity_id"], "acme", "minted for the header's tenant");
        stub.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn without_the_service_in_context_the_log_says_how_to_provide_it() {
    let logs = Logs::default();
    let _guard = logs.capture();
    let (result, set) = server_fn(
        None,
        parts(&[SAME_ORIGIN, ("x-request-id", "no-service")]).await,
    )
    .await;
    assert_eq!(result.unwrap_err().error.code, ErrorCode::Internal);
    assert_eq!(set.status, Some(StatusCode::INTERNAL_SERVER_ERROR));
    assert_eq!(header(&set, "x-request-id"), Some("no-service"));
    let text = logs.text();
    assert!(
        text.contains("ERROR") && text.contains("leptos_routes_with_context"),
        "{text}"
    );
    assert!(logs.access_line("no-service").contains("status=500"));
}
