//! The sandbox over a real socket on 127.0.0.1: Infobip's PAR checks and error shapes,
//! single-use and expiring request URIs, tenant separation in the wizard, every fault
//! kind, and the admin API's answers to bad input. Every test is bounded in time.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use moments_sandbox::{DEFAULT_API_KEY, RunningSandbox, Sandbox, SandboxConfig};
use reqwest::{Client, StatusCode, redirect};
use serde_json::{Value, json};
use std::future::Future;
use std::time::{Duration, Instant};

const LIMIT: Duration = Duration::from_secs(20);

async fn bounded<F: Future<Output = ()>>(test: F) {
    tokio::time::timeout(LIMIT, test)
        .await
        .expect("the test finished in time");
}

async fn sandbox() -> RunningSandbox {
    Sandbox::new(SandboxConfig::default())
        .bind("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap()
}

fn client() -> Client {
    Client::builder()
        .redirect(redirect::Policy::none())
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap()
}

fn par_body(tenant: Option<(&str, &str)>) -> Value {
    let mut body =
        json!({ "embedding_id": 4242, "scopes": ["flow:manage", "flow:read", "flow:use"] });
    if let Some((app, entity)) = tenant {
        body["application_id"] = json!(app);
        body["entity_id"] = json!(entity);
    }
    body
}

async fn par(s: &RunningSandbox, key: &str, body: &Value) -> reqwest::Response {
    client()
        .post(format!("{}/embeddable/1/auth/par", s.base_url()))
        .header("Authorization", format!("App {key}"))
        .json(body)
        .send()
        .await
        .unwrap()
}

/// A request URI, spent: the wizard's URL for a fresh session of `tenant`.
async fn session(s: &RunningSandbox, tenant: Option<(&str, &str)>) -> String {
    let grant: Value = par(s, DEFAULT_API_KEY, &par_body(tenant))
        .await
        .json()
        .await
        .unwrap();
    let uri = grant["request_uri"].as_str().unwrap();
    let answer = client()
        .get(format!("{}/authorize", s.base_url()))
        .query(&[("request_uri", uri)])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    let location = answer.headers()["location"].to_str().unwrap();
    format!("{}{location}", s.base_url())
}

async fn admin(s: &RunningSandbox, path: &str, body: Value) -> (StatusCode, Value) {
    let answer = client()
        .post(format!("{}/__sandbox{path}", s.base_url()))
        .json(&body)
        .send()
        .await
        .unwrap();
    (answer.status(), answer.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn par_checks_what_infobip_checks_in_infobips_shapes() {
    bounded(async {
        let s = sandbox().await;
        let refused = par(&s, "not-the-key", &par_body(None)).await;
        assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
        let body: Value = refused.json().await.unwrap();
        assert_eq!(
            body["requestError"]["serviceException"]["messageId"],
            "UNAUTHORIZED"
        );

        let unknown = par(
            &s,
            DEFAULT_API_KEY,
            &json!({ "embedding_id": 1, "scopes": ["flow:manage", "flow:read", "flow:use"] }),
        )
        .await;
        assert_eq!(unknown.status(), StatusCode::BAD_REQUEST);
        let body: Value = unknown.json().await.unwrap();
        assert!(
            body["requestError"]["serviceException"]["validationErrors"]["embedding_id"].is_array(),
            "{body}"
        );

        let scopes = par(
            &s,
            DEFAULT_API_KEY,
            &json!({ "embedding_id": "4242", "scopes": ["flow:read"] }),
        )
        .await;
        assert_eq!(scopes.status(), StatusCode::BAD_REQUEST);
        let text = scopes.text().await.unwrap();
        assert!(
            text.contains("flow:manage") && text.contains("flow:use"),
            "names the missing scopes: {text}"
        );

        let ok = par(&s, DEFAULT_API_KEY, &par_body(None)).await;
        assert_eq!(ok.status(), StatusCode::CREATED);
        let grant: Value = ok.json().await.unwrap();
        let uri = grant["request_uri"].as_str().unwrap();
        let random = uri
            .strip_prefix("urn:ietf:params:oauth:request_uri:")
            .unwrap();
        assert!(random.len() * 4 >= 128, "at least 128 random bits: {uri}");
        assert_eq!(grant["expires_in"], 60);

        let stats = s.sandbox().stats();
        assert_eq!(
            (stats.par_calls, stats.par_issued, stats.par_failed),
            (4, 1, 3)
        );
        s.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn request_uris_are_single_use_and_expire() {
    bounded(async {
        let s = sandbox().await;
        let grant: Value = par(&s, DEFAULT_API_KEY, &par_body(None))
            .await
            .json()
            .await
            .unwrap();
        let uri = grant["request_uri"].as_str().unwrap().to_owned();
        let authorize = |uri: String| {
            let url = format!("{}/authorize", s.base_url());
            async move {
                client()
                    .get(url)
                    .query(&[("request_uri", uri)])
                    .send()
                    .await
                    .unwrap()
            }
        };
        assert_eq!(authorize(uri.clone()).await.status(), StatusCode::SEE_OTHER);
        let again = authorize(uri).await;
        assert_eq!(again.status(), StatusCode::BAD_REQUEST);
        let page = again.text().await.unwrap();
        assert!(
            page.contains(r#""reason":"reused""#),
            "tells the host why: {page}"
        );
        assert!(page.contains("Sandbox"), "labelled as a simulator");

        let (status, settings) = admin(&s, "/settings", json!({ "request_uri_ttl_secs": 1 })).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(settings["request_uri_ttl_secs"], 1);
        let grant: Value = par(&s, DEFAULT_API_KEY, &par_body(None))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(grant["expires_in"], 1);
        tokio::time::sleep(Duration::from_millis(1_100)).await;
        let late = authorize(grant["request_uri"].as_str().unwrap().to_owned()).await;
        assert!(late.text().await.unwrap().contains(r#""reason":"expired""#));
        assert_eq!(
            authorize("urn:nope".into()).await.status(),
            StatusCode::BAD_REQUEST
        );

        let rejected = s.sandbox().stats().rejected;
        assert_eq!(
            (rejected.reused, rejected.expired, rejected.unknown),
            (1, 1, 1)
        );
        s.shutdown().await;
    })
    .await;
}

/// Walks the wizard for `template` with its defaults, naming the use case `name`.
async fn activate(wizard: &str, template: &str, name: &str) {
    let c = client();
    assert_eq!(
        c.get(format!("{wizard}/activate/{template}/1"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    for step in 1..=4 {
        let answer = c
            .post(format!("{wizard}/activate/{template}/{step}"))
            .form(&[("x", "")])
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), StatusCode::SEE_OTHER, "step {step}");
    }
    let done = c
        .post(format!("{wizard}/activate/{template}/5"))
        .form(&[("name", name)])
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    assert!(
        done.headers()["location"]
            .to_str()
            .unwrap()
            .contains("event=use_case.activated")
    );
}

async fn use_case_names(wizard: &str) -> Vec<String> {
    let page = client()
        .get(format!("{wizard}/use-cases"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    page.split(r#"data-test="use-case""#)
        .skip(1)
        .filter_map(|row| {
            row.split("<strong>")
                .nth(1)?
                .split("</strong>")
                .next()
                .map(str::to_owned)
        })
        .collect()
}

#[tokio::test]
async fn each_tenant_sees_only_its_own_use_cases() {
    bounded(async {
        let s = sandbox().await;
        let red = session(&s, Some(("app", "red"))).await;
        let blue = session(&s, Some(("app", "blue"))).await;
        activate(&red, "abandoned-cart", "Red carts").await;
        activate(&blue, "win-back", "Blue win-back").await;
        activate(&blue, "birthday-offer", "Blue birthdays").await;
        assert_eq!(use_case_names(&red).await, ["Red carts"]);
        assert_eq!(
            use_case_names(&blue).await,
            ["Blue win-back", "Blue birthdays"]
        );
        // A second session of the same tenant sees the same workspace.
        let red_again = session(&s, Some(("app", "red"))).await;
        assert_eq!(use_case_names(&red_again).await, ["Red carts"]);
        assert_eq!(s.sandbox().stats().use_cases_activated, 3);
        s.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn the_wizard_validates_each_step_and_cannot_be_skipped() {
    bounded(async {
        let s = sandbox().await;
        let wizard = session(&s, None).await;
        let c = client();
        let skipped = c
            .post(format!("{wizard}/activate/abandoned-cart/5"))
            .form(&[("name", "x")])
            .send()
            .await
            .unwrap();
        assert_eq!(skipped.status(), StatusCode::SEE_OTHER);
        assert!(
            skipped.headers()["location"]
                .to_str()
                .unwrap()
                .ends_with("/activate/abandoned-cart/1")
        );

        c.get(format!("{wizard}/activate/abandoned-cart/1"))
            .send()
            .await
            .unwrap();
        let bad = c
            .post(format!("{wizard}/activate/abandoned-cart/2"))
            .form(&[("channel", "WhatsApp"), ("sender", "AcmeStore")])
            .send()
            .await
            .unwrap();
        assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let page = bad.text().await.unwrap();
        assert!(
            page.contains(r#"data-test="validation""#) && page.contains("international format"),
            "{page}"
        );
        let pause = c
            .post(format!("{wizard}/use-cases/uc-99/pause"))
            .send()
            .await
            .unwrap();
        assert_eq!(pause.status(), StatusCode::NOT_FOUND);
        s.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn status_faults_answer_in_infobips_shapes_in_order() {
    bounded(async {
        let s = sandbox().await;
        let (status, queue) = admin(
            &s,
            "/faults",
            json!({ "count": 2, "fault": "status", "status": 503, "retry_after_secs": 3 }),
        )
        .await;
        assert_eq!(
            (status, queue["queued"].clone()),
            (StatusCode::OK, json!(2))
        );
        admin(
            &s,
            "/faults",
            json!({ "fault": "status", "status": 429, "retry_after_secs": 7 }),
        )
        .await;
        admin(&s, "/faults", json!({ "fault": "status", "status": 502 })).await;

        for _ in 0..2 {
            let answer = par(&s, DEFAULT_API_KEY, &par_body(None)).await;
            assert_eq!(answer.status(), StatusCode::SERVICE_UNAVAILABLE);
            assert_eq!(answer.headers()["retry-after"], "3");
            let body: Value = answer.json().await.unwrap();
            assert_eq!(
                body["requestError"]["serviceException"]["messageId"],
                "SERVICE_UNAVAILABLE"
            );
        }
        let limited = par(&s, DEFAULT_API_KEY, &par_body(None)).await;
        assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(limited.headers()["retry-after"], "7");
        assert_eq!(limited.json::<Value>().await.unwrap()["errorCode"], "E429");
        let gateway = par(&s, DEFAULT_API_KEY, &par_body(None)).await;
        assert_eq!(gateway.status(), StatusCode::BAD_GATEWAY);
        assert!(
            gateway.text().await.unwrap().contains("<html>"),
            "a proxy's page, not JSON"
        );
        assert_eq!(
            par(&s, DEFAULT_API_KEY, &par_body(None)).await.status(),
            StatusCode::CREATED,
            "the queue is spent"
        );
        assert_eq!(s.sandbox().stats().faults_applied, 4);
        s.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn body_faults_delay_hang_and_close() {
    bounded(async {
        let s = sandbox().await;
        for fault in [
            json!({ "fault": "delay", "delay_ms": 400 }),
            json!({ "fault": "malformed_json" }),
            json!({ "fault": "missing_request_uri" }),
            json!({ "fault": "close" }),
            json!({ "fault": "hang" }),
        ] {
            assert_eq!(admin(&s, "/faults", fault).await.0, StatusCode::OK);
        }
        let started = Instant::now();
        let delayed = par(&s, DEFAULT_API_KEY, &par_body(None)).await;
        assert_eq!(delayed.status(), StatusCode::CREATED);
        assert!(
            started.elapsed() >= Duration::from_millis(400),
            "{:?}",
            started.elapsed()
        );

        let malformed = par(&s, DEFAULT_API_KEY, &par_body(None)).await;
        assert_eq!(malformed.status(), StatusCode::CREATED);
        assert!(serde_json::from_str::<Value>(&malformed.text().await.unwrap()).is_err());

        let missing: Value = par(&s, DEFAULT_API_KEY, &par_body(None))
            .await
            .json()
            .await
            .unwrap();
        assert!(missing.get("request_uri").is_none() && missing["expires_in"] == 60);

        let closed = client()
            .post(format!("{}/embeddable/1/auth/par", s.base_url()))
            .header("Authorization", format!("App {DEFAULT_API_KEY}"))
            .json(&par_body(None))
            .send()
            .await
            .expect_err("no HTTP response at all");
        assert!(
            !closed.is_timeout() && closed.status().is_none(),
            "{closed:?}"
        );

        let hung = Client::builder()
            .timeout(Duration::from_millis(500))
            .build()
            .unwrap()
            .post(format!("{}/embeddable/1/auth/par", s.base_url()))
            .header("Authorization", format!("App {DEFAULT_API_KEY}"))
            .json(&par_body(None))
            .send()
            .await
            .expect_err("never answers");
        assert!(hung.is_timeout(), "{hung:?}");

        // A hung request must not keep the sandbox from stopping.
        let stopping = Instant::now();
        s.shutdown().await;
        assert!(
            stopping.elapsed() < Duration::from_secs(3),
            "{:?}",
            stopping.elapsed()
        );
    })
    .await;
}

#[tokio::test]
async fn the_admin_api_refuses_nonsense_with_a_clear_message() {
    bounded(async {
        let s = sandbox().await;
        for (path, body, says) in [
            ("/faults", json!({ "fault": "explode" }), "unknown fault"),
            (
                "/faults",
                json!({ "fault": "status", "status": 418 }),
                "418",
            ),
            ("/faults", json!({ "count": 0, "fault": "hang" }), "count"),
            (
                "/faults",
                json!({ "fault": "hang", "extra": true }),
                "unknown fault",
            ),
            ("/settings", json!({ "request_uri_ttl_secs": 0 }), "between"),
            ("/settings", json!({ "ttl": 5 }), "expected"),
        ] {
            let (status, answer) = admin(&s, path, body.clone()).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{path} {body}");
            let message = answer["error"].as_str().unwrap();
            assert!(message.contains(says), "{path} {body}: {message}");
        }
        s.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn sessions_can_be_ended_early_and_reset_forgets_everything() {
    bounded(async {
        let s = sandbox().await;
        let wizard = session(&s, None).await;
        let status_url = format!("{wizard}/api/session");
        assert_eq!(
            client().get(&status_url).send().await.unwrap().status(),
            StatusCode::OK
        );
        let (_, ended) = admin(&s, "/sessions/expire", json!({})).await;
        assert_eq!(ended["expired"], 1);
        assert_eq!(
            client().get(&status_url).send().await.unwrap().status(),
            StatusCode::GONE
        );
        let page = client().get(&wizard).send().await.unwrap();
        assert_eq!(page.status(), StatusCode::GONE);
        assert!(page.text().await.unwrap().contains("Session ended"));

        admin(&s, "/settings", json!({ "session_ttl_secs": 5 })).await;
        admin(&s, "/faults", json!({ "count": 3, "fault": "close" })).await;
        let (status, _) = admin(&s, "/reset", json!({})).await;
        assert_eq!(status, StatusCode::OK);
        let stats = s.sandbox().stats();
        assert_eq!(
            (stats.par_calls, stats.authorize_ok, stats.sessions_expired),
            (0, 0, 0)
        );
        let settings: Value = client()
            .get(format!("{}/__sandbox/settings", s.base_url()))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(
            settings["session_ttl_secs"], 1_800,
            "back to the configured default"
        );
        assert_eq!(
            par(&s, DEFAULT_API_KEY, &par_body(None)).await.status(),
            StatusCode::CREATED,
            "no fault left"
        );
        s.shutdown().await;
    })
    .await;
}

/// The page's `moments-config` JSON (what its script reads).
fn page_config(html: &str) -> Value {
    let start = html
        .find(r#"id="moments-config">"#)
        .expect("a config element")
        + r#"id="moments-config">"#.len();
    let end = start + html[start..].find("</script>").unwrap();
    serde_json::from_str(&html[start..end]).unwrap()
}

#[tokio::test]
async fn settings_apply_to_the_frames_opened_after_them_silence_included() {
    bounded(async {
        let s = sandbox().await;
        let speaking = session(&s, None).await;
        let (status, settings) = admin(
            &s,
            "/settings",
            json!({ "silent_frame": true, "session_ttl_secs": 5 }),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(settings["silent_frame"], true);
        let silent = session(&s, None).await;

        let html = client()
            .get(&silent)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let config = page_config(&html);
        assert_eq!(config["silent"], true, "the new frame posts nothing");
        let remaining = config["sessionRemainingMs"].as_u64().unwrap();
        assert!(
            remaining <= 5_000,
            "the session_ttl setting applies to new sessions: {remaining} ms"
        );
        let html = client()
            .get(&speaking)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(
            page_config(&html)["silent"],
            false,
            "a frame opened before the setting keeps speaking"
        );

        let (status, _) = admin(&s, "/settings", json!({ "silent_frame": "yes" })).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "a typed setting");
        admin(&s, "/reset", json!({})).await;
        let html = client()
            .get(session(&s, None).await)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(page_config(&html)["silent"], false, "reset speaks again");
        s.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn a_cookie_session_needs_its_cookie_and_asks_for_it_when_withheld() {
    bounded(async {
        let s = sandbox().await;
        let (status, settings) = admin(&s, "/settings", json!({ "cookie_session": true })).await;
        assert_eq!(status, StatusCode::OK, "{settings}");
        assert_eq!(settings["cookie_session"], true);

        // /authorize starts the session in a cookie a cross-site frame can carry.
        let grant: Value = par(&s, DEFAULT_API_KEY, &par_body(None))
            .await
            .json()
            .await
            .unwrap();
        let answer = client()
            .get(format!("{}/authorize", s.base_url()))
            .query(&[("request_uri", grant["request_uri"].as_str().unwrap())])
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), StatusCode::SEE_OTHER);
        let cookie = answer.headers()["set-cookie"].to_str().unwrap().to_owned();
        for attribute in ["HttpOnly", "Secure", "SameSite=None", "Path=/"] {
            assert!(cookie.contains(attribute), "{attribute}: {cookie}");
        }
        let pair = cookie.split(';').next().unwrap().to_owned();
        let wizard = format!(
            "{}{}",
            s.base_url(),
            answer.headers()["location"].to_str().unwrap()
        );

        // With it: the wizard. Without it (a browser that withholds third-party cookies):
        // the page that asks for storage access, and the API refuses.
        let with = client()
            .get(&wizard)
            .header("cookie", &pair)
            .send()
            .await
            .unwrap();
        assert_eq!(with.status(), StatusCode::OK);
        assert!(with.text().await.unwrap().contains("Use-case templates"));
        let without = client().get(&wizard).send().await.unwrap();
        assert_eq!(without.status(), StatusCode::OK);
        let page = without.text().await.unwrap();
        assert!(page.contains("storage-access-continue"), "{page}");
        assert!(page.contains("requestStorageAccess"), "{page}");
        assert!(
            !page.contains("Use-case templates"),
            "no wizard without the cookie"
        );
        let api = client()
            .get(format!("{wizard}/api/session"))
            .send()
            .await
            .unwrap();
        assert_eq!(api.status(), StatusCode::UNAUTHORIZED);

        // The frame's own request after the grant gets the cookie again; anyone else's not.
        let claim = format!("{wizard}/api/storage-access");
        let foreign = client()
            .post(&claim)
            .header("sec-fetch-site", "cross-site")
            .send()
            .await
            .unwrap();
        assert_eq!(foreign.status(), StatusCode::FORBIDDEN);
        assert!(!foreign.headers().contains_key("set-cookie"));
        let own = client()
            .post(&claim)
            .header("sec-fetch-site", "same-origin")
            .send()
            .await
            .unwrap();
        assert_eq!(own.status(), StatusCode::NO_CONTENT);
        assert!(
            own.headers()["set-cookie"]
                .to_str()
                .unwrap()
                .starts_with(&pair),
            "the same session's cookie"
        );

        // Sessions opened without the setting need no cookie.
        admin(&s, "/settings", json!({ "cookie_session": false })).await;
        let plain = session(&s, None).await;
        let answer = client().get(&plain).send().await.unwrap();
        assert!(answer.text().await.unwrap().contains("Use-case templates"));
    })
    .await;
}

const ANSWERS_SCOPES: [&str; 2] = ["answers:manage", "voice-message:manage"];

fn answers_body(tenant: Option<(&str, &str)>) -> Value {
    let mut body = json!({ "scopes": ANSWERS_SCOPES });
    if let Some((app, entity)) = tenant {
        body["application_id"] = json!(app);
        body["entity_id"] = json!(entity);
    }
    body
}

/// `GET {path}?request_uri=…` for a request URI, without following the redirect.
async fn authorize_at(s: &RunningSandbox, path: &str, uri: &str) -> reqwest::Response {
    client()
        .get(format!("{}{path}", s.base_url()))
        .query(&[("request_uri", uri)])
        .send()
        .await
        .unwrap()
}

async fn request_uri(s: &RunningSandbox, body: &Value) -> String {
    let answer = par(s, DEFAULT_API_KEY, body).await;
    assert_eq!(answer.status(), StatusCode::CREATED, "{body}");
    let grant: Value = answer.json().await.unwrap();
    grant["request_uri"].as_str().unwrap().to_owned()
}

/// A request URI for Answers, spent: the chatbot builder's URL for a fresh session.
async fn answers_session(s: &RunningSandbox, tenant: Option<(&str, &str)>) -> String {
    let uri = request_uri(s, &answers_body(tenant)).await;
    let answer = authorize_at(s, "/answers/authorize", &uri).await;
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    let location = answer.headers()["location"].to_str().unwrap();
    assert!(location.starts_with("/answers/"), "{location}");
    format!("{}{location}", s.base_url())
}

async fn page(url: &str) -> (StatusCode, String) {
    let answer = client().get(url).send().await.unwrap();
    (answer.status(), answer.text().await.unwrap())
}

/// The text of the page's `main h1`, tags inside it dropped.
fn heading(html: &str) -> String {
    let main = &html[html.find("<main>").expect("a main element")..];
    let start = main.find("<h1>").expect("an h1 in main") + "<h1>".len();
    let end = start + main[start..].find("</h1>").unwrap();
    let mut text = String::new();
    let mut in_tag = false;
    for c in main[start..end].chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.trim().to_owned()
}

#[tokio::test]
async fn par_asks_for_exactly_one_products_scopes_and_an_embedding_id_for_moments_only() {
    bounded(async {
        let s = sandbox().await;
        let exception = |body: &Value| body["requestError"]["serviceException"].clone();
        for (body, field, says) in [
            (
                json!({ "embedding_id": 4242, "scopes": ANSWERS_SCOPES }),
                "embedding_id",
                "not a field of an Answers request",
            ),
            (
                json!({ "scopes": ["answers:manage"] }),
                "scopes",
                "voice-message:manage",
            ),
            (
                json!({ "embedding_id": 4242, "scopes": ["flow:manage", "flow:read", "flow:use", "answers:manage", "voice-message:manage"] }),
                "scopes",
                "cannot be asked for in one request",
            ),
            (
                json!({ "embedding_id": 4242, "scopes": ["flow:manage", "flow:read", "flow:use", "sms:send"] }),
                "scopes",
                "Unknown scope sms:send",
            ),
            (
                json!({ "scopes": ["flow:manage", "flow:read", "flow:use"] }),
                "embedding_id",
                "Missing embedding_id",
            ),
            (json!({}), "scopes", "Missing required scopes"),
        ] {
            let answer = par(&s, DEFAULT_API_KEY, &body).await;
            assert_eq!(answer.status(), StatusCode::BAD_REQUEST, "{body}");
            let refused = exception(&answer.json().await.unwrap());
            assert_eq!(refused["messageId"], "BAD_REQUEST", "{body}");
            assert!(
                refused["validationErrors"][field].is_array(),
                "{body}: names {field}: {refused}"
            );
            assert!(
                refused["text"].as_str().unwrap().contains(says),
                "{body}: {refused}"
            );
        }
        let answers = par(&s, DEFAULT_API_KEY, &answers_body(Some(("app", "red")))).await;
        assert_eq!(answers.status(), StatusCode::CREATED);
        let moments = par(&s, DEFAULT_API_KEY, &par_body(None)).await;
        assert_eq!(moments.status(), StatusCode::CREATED);
        let stats = s.sandbox().stats();
        assert_eq!((stats.par_calls, stats.par_issued), (8, 2), "{stats:?}");
        s.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn a_key_without_a_products_scopes_is_refused_403_as_infobip_refuses_it() {
    bounded(async {
        let s = sandbox().await;
        let (status, settings) = admin(
            &s,
            "/settings",
            json!({ "key_scopes": ["flow:manage", "flow:read", "flow:use"] }),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{settings}");
        assert_eq!(
            settings["key_scopes"],
            json!(["flow:manage", "flow:read", "flow:use"])
        );
        let refused = par(&s, DEFAULT_API_KEY, &answers_body(None)).await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
        let body: Value = refused.json().await.unwrap();
        let exception = &body["requestError"]["serviceException"];
        assert_eq!(exception["messageId"], "FORBIDDEN", "{body}");
        let text = exception["text"].as_str().unwrap();
        assert!(
            text.contains("answers:manage") && text.contains("voice-message:manage"),
            "names what the key lacks: {text}"
        );
        assert_eq!(
            par(&s, DEFAULT_API_KEY, &par_body(None)).await.status(),
            StatusCode::CREATED,
            "the scopes it holds still work"
        );

        let (status, answer) =
            admin(&s, "/settings", json!({ "key_scopes": ["flow:manag"] })).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(
            answer["error"].as_str().unwrap().contains("`flow:manag`"),
            "{answer}"
        );
        admin(&s, "/reset", json!({})).await;
        assert_eq!(
            par(&s, DEFAULT_API_KEY, &answers_body(None)).await.status(),
            StatusCode::CREATED,
            "reset: the configured key holds every scope again"
        );
        s.shutdown().await;

        // The same from the configuration.
        let moments_only = Sandbox::new(SandboxConfig {
            key_scopes: vec!["flow:manage".into(), "flow:read".into(), "flow:use".into()],
            ..SandboxConfig::default()
        })
        .bind("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
        assert_eq!(
            par(&moments_only, DEFAULT_API_KEY, &answers_body(None))
                .await
                .status(),
            StatusCode::FORBIDDEN
        );
        moments_only.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn a_request_uri_opens_only_the_frame_of_the_product_it_was_minted_for() {
    bounded(async {
        let s = sandbox().await;
        for (minted, wrong, right, minted_for) in [
            (
                par_body(None),
                "/answers/authorize",
                "/authorize",
                "Moments",
            ),
            (
                answers_body(None),
                "/authorize",
                "/answers/authorize",
                "Answers",
            ),
        ] {
            let uri = request_uri(&s, &minted).await;
            let refused = authorize_at(&s, wrong, &uri).await;
            assert_eq!(
                refused.status(),
                StatusCode::BAD_REQUEST,
                "{minted_for} at {wrong}"
            );
            let html = refused.text().await.unwrap();
            let config = page_config(&html);
            assert_eq!(config["error"]["reason"], "unknown", "{html}");
            let message = config["error"]["message"].as_str().unwrap();
            assert!(
                message.contains(&format!("minted for {minted_for}")),
                "says which product it was for: {message}"
            );
            assert!(html.contains("This link cannot be opened"), "{html}");
            assert!(html.contains("Sandbox: a local simulator"), "{html}");
            let again = authorize_at(&s, right, &uri).await;
            assert_eq!(again.status(), StatusCode::BAD_REQUEST);
            assert_eq!(
                page_config(&again.text().await.unwrap())["error"]["reason"],
                "reused",
                "spent by the wrong frame"
            );
        }
        let rejected = s.sandbox().stats().rejected;
        assert_eq!(
            (rejected.other_product, rejected.reused, rejected.unknown),
            (2, 2, 0)
        );

        // A session lives under its own product's prefix only.
        let wizard = session(&s, None).await;
        let builder = answers_session(&s, None).await;
        let wizard_id = wizard.rsplit('/').next().unwrap();
        let builder_id = builder.rsplit('/').next().unwrap();
        let (status, _) = page(&format!("{}/answers/{wizard_id}", s.base_url())).await;
        assert_eq!(status, StatusCode::GONE, "a Moments session in the builder");
        let (status, _) = page(&format!("{}/wizard/{builder_id}", s.base_url())).await;
        assert_eq!(status, StatusCode::GONE, "an Answers session in the wizard");
        let (status, html) = page(&builder).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(heading(&html), "Chatbots");
        s.shutdown().await;
    })
    .await;
}

/// The example form with `name`, as the builder fills it in.
fn chatbot_form(name: &str) -> Vec<(&'static str, String)> {
    vec![
        ("name", name.to_owned()),
        ("greeting", "Hello! How can I help?".to_owned()),
        ("intent1_name", "Opening hours".to_owned()),
        (
            "intent1_phrases",
            "When are you open?\r\nAre you open on Sunday?".to_owned(),
        ),
        ("intent1_answer", "Every day from 9 to 5.".to_owned()),
        ("intent2_name", "Order status".to_owned()),
        (
            "intent2_phrases",
            "Where is my order?\nHas my order shipped?".to_owned(),
        ),
        ("intent2_answer", "Tell me your order number.".to_owned()),
        ("intent3_name", String::new()),
        ("intent3_phrases", String::new()),
        ("intent3_answer", String::new()),
    ]
}

fn events(html: &str) -> Vec<Value> {
    page_config(html)["events"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

#[tokio::test]
async fn the_answers_builder_creates_tries_publishes_and_deletes_a_chatbot() {
    bounded(async {
        let s = sandbox().await;
        let builder = answers_session(&s, Some(("app", "red"))).await;
        let c = client();

        let (status, html) = page(&builder).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(heading(&html), "Chatbots");
        assert!(html.contains(r#"data-test="chatbots-empty""#), "{html}");
        assert!(html.contains("Sandbox: a local simulator"), "labelled");
        assert!(events(&html).is_empty());

        let (status, html) = page(&format!("{builder}/new")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(heading(&html), "New chatbot");
        for field in [
            "name",
            "greeting",
            "intent1_name",
            "intent1_phrases",
            "intent1_answer",
            "intent3_answer",
        ] {
            assert!(
                html.contains(&format!(r#"name="{field}" id="{field}" data-test="field-{field}""#)),
                "{field}"
            );
        }
        assert!(html.contains(r#"data-test="chatbot-create""#));

        let mut bad = chatbot_form("");
        bad[3].1 = "Only one phrase".to_owned();
        let refused = c.post(format!("{builder}/new")).form(&bad).send().await.unwrap();
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = refused.text().await.unwrap();
        assert!(html.contains(r#"data-test="validation""#), "{html}");
        assert!(html.contains("Give the chatbot a name"), "{html}");
        assert!(html.contains("Give intent 1 from 2 to 20 sample phrases"), "{html}");
        assert!(html.contains("Every day from 9 to 5."), "what was entered stays");

        let created = c
            .post(format!("{builder}/new"))
            .form(&chatbot_form("Helper"))
            .send()
            .await
            .unwrap();
        assert_eq!(created.status(), StatusCode::SEE_OTHER);
        let location = created.headers()["location"].to_str().unwrap().to_owned();
        assert!(
            location.ends_with("?event=chatbot.created&id=bot-1"),
            "{location}"
        );
        let (_, html) = page(&format!("{}{location}", s.base_url())).await;
        assert_eq!(
            events(&html),
            [json!({ "name": "chatbot.created", "data": { "id": "bot-1" } })]
        );
        assert!(
            html.contains(r#"data-test="chatbot" data-id="bot-1" data-status="draft""#),
            "{html}"
        );
        let again = c
            .post(format!("{builder}/new"))
            .form(&chatbot_form("helper"))
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), StatusCode::UNPROCESSABLE_ENTITY, "a name is used once");

        let (_, html) = page(&format!("{builder}/chatbots/bot-1?say=are+you+open+on+sunday")).await;
        assert!(
            html.contains(r#"data-test="chatbot-reply" data-intent="Opening hours">Every day from 9 to 5."#),
            "{html}"
        );
        assert_eq!(
            events(&html),
            [json!({ "name": "chatbot.tested", "data": { "id": "bot-1", "intent": "Opening hours" } })]
        );

        for (action, event, status) in [
            ("publish", "chatbot.published", "published"),
            ("unpublish", "chatbot.unpublished", "draft"),
            ("publish", "chatbot.published", "published"),
        ] {
            let changed = c
                .post(format!("{builder}/chatbots/bot-1/{action}"))
                .send()
                .await
                .unwrap();
            assert_eq!(changed.status(), StatusCode::SEE_OTHER, "{action}");
            let location = changed.headers()["location"].to_str().unwrap().to_owned();
            let (_, html) = page(&format!("{}{location}", s.base_url())).await;
            assert_eq!(
                events(&html),
                [json!({ "name": event, "data": { "id": "bot-1" } })],
                "{action}"
            );
            assert!(
                html.contains(&format!(r#"data-id="bot-1" data-status="{status}""#)),
                "{action}: {html}"
            );
        }

        // Another tenant has none of them.
        let (_, blue) = page(&answers_session(&s, Some(("app", "blue"))).await).await;
        assert!(blue.contains(r#"data-test="chatbots-empty""#));
        let foreign = c
            .post(format!("{builder}/chatbots/bot-9/publish"))
            .send()
            .await
            .unwrap();
        assert_eq!(foreign.status(), StatusCode::NOT_FOUND);

        let deleted = c
            .post(format!("{builder}/chatbots/bot-1/delete"))
            .send()
            .await
            .unwrap();
        assert!(
            deleted.headers()["location"]
                .to_str()
                .unwrap()
                .ends_with("?event=chatbot.deleted&id=bot-1")
        );
        let (_, html) = page(&builder).await;
        assert!(html.contains(r#"data-test="chatbots-empty""#));
        assert_eq!(s.sandbox().stats().chatbots_created, 1);
        s.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn the_answers_frame_speaks_the_frame_messages_and_follows_the_settings() {
    bounded(async {
        let s = sandbox().await;
        // Opened from a host page: the frame posts to that page's origin only.
        let uri = request_uri(&s, &answers_body(None)).await;
        let opened = client()
            .get(format!("{}/answers/authorize", s.base_url()))
            .query(&[("request_uri", &uri)])
            .header("referer", "http://127.0.0.1:8080/host/page")
            .send()
            .await
            .unwrap();
        let builder = format!(
            "{}{}",
            s.base_url(),
            opened.headers()["location"].to_str().unwrap()
        );
        let session_id = builder.rsplit('/').next().unwrap().to_owned();
        let (_, html) = page(&builder).await;
        let config = page_config(&html);
        assert_eq!(config["hostOrigin"], "http://127.0.0.1:8080");
        assert_eq!(config["silent"], false);
        assert_eq!(config["messages"]["ready"], "moments:ready");
        assert_eq!(config["messages"]["resize"], "moments:resize");
        assert_eq!(
            config["sessionUrl"],
            format!("/answers/{session_id}/api/session")
        );
        assert!(config["sessionRemainingMs"].as_u64().unwrap() > 0);

        // Ended: the API says 410 and the page says so, for the script to tell the host.
        assert_eq!(
            client()
                .get(format!("{builder}/api/session"))
                .send()
                .await
                .unwrap()
                .status(),
            StatusCode::OK
        );
        admin(&s, "/sessions/expire", json!({})).await;
        assert_eq!(
            client()
                .get(format!("{builder}/api/session"))
                .send()
                .await
                .unwrap()
                .status(),
            StatusCode::GONE
        );
        let (status, html) = page(&builder).await;
        assert_eq!(status, StatusCode::GONE);
        assert!(html.contains("This Answers session has ended"), "{html}");
        assert_eq!(page_config(&html)["sessionRemainingMs"], 0);

        // Silent and cookie-session frames, as the wizard's.
        admin(
            &s,
            "/settings",
            json!({ "silent_frame": true, "cookie_session": true }),
        )
        .await;
        let uri = request_uri(&s, &answers_body(None)).await;
        let opened = authorize_at(&s, "/answers/authorize", &uri).await;
        let cookie = opened.headers()["set-cookie"].to_str().unwrap().to_owned();
        assert!(cookie.starts_with("answers_sandbox_session="), "{cookie}");
        assert!(cookie.contains("SameSite=None") && cookie.contains("Secure"));
        let pair = cookie.split(';').next().unwrap().to_owned();
        let builder = format!(
            "{}{}",
            s.base_url(),
            opened.headers()["location"].to_str().unwrap()
        );
        let with = client()
            .get(&builder)
            .header("cookie", &pair)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(heading(&with), "Chatbots");
        assert_eq!(page_config(&with)["silent"], true);
        let (status, without) = page(&builder).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(heading(&without), "Continue to the chatbot builder");
        assert!(without.contains("/api/storage-access"), "{without}");
        let claimed = client()
            .post(format!("{builder}/api/storage-access"))
            .header("sec-fetch-site", "same-origin")
            .send()
            .await
            .unwrap();
        assert_eq!(claimed.status(), StatusCode::NO_CONTENT);
        assert!(
            claimed.headers()["set-cookie"]
                .to_str()
                .unwrap()
                .starts_with(&pair)
        );
        let posted = client()
            .post(format!("{builder}/new"))
            .form(&chatbot_form("No cookie"))
            .send()
            .await
            .unwrap();
        assert_eq!(
            posted.status(),
            StatusCode::UNAUTHORIZED,
            "no cookie, no change"
        );
        s.shutdown().await;
    })
    .await;
}
