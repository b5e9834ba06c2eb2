//! Moments and Answers side by side: the PAR body each product's embedding sends (read
//! by a stub, and checked by the sandbox, on real sockets), the frame URL each grant
//! carries and what the sandbox's frame makes of it, a key without a product's scopes,
//! and the binary's `--sandbox` and `--static-dir` with both.

use crate::serving::{scratch_dir, serve};
use crate::stub::{Reply, Stub};
use crate::support::{bounded, call, config, fresh_key, session};
use moments_par::{Config, Embedding, EmbeddingId, Embeddings, router};
use moments_sandbox::{Sandbox, SandboxConfig};
use reqwest::{StatusCode, redirect};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// `campaigns` (Moments, 42, the default) and `chatbot` (Answers).
fn both(default_id: u64) -> Embeddings {
    Embeddings::named(
        "campaigns",
        BTreeMap::from([
            (
                "campaigns".to_owned(),
                Embedding::Moments(EmbeddingId::Number(default_id)),
            ),
            ("chatbot".to_owned(), Embedding::Answers),
        ]),
    )
    .unwrap()
}

fn asking_for(name: &str) -> String {
    json!({ "embedding": name }).to_string()
}

#[tokio::test]
async fn each_embedding_sends_its_products_par_body_and_gets_its_products_frame() {
    bounded(async {
        let stub = Stub::start(Reply::Grant).await;
        let mut config = config(&stub.url, &fresh_key())
            .with_answers_iframe_base_url("https://answers.test/embed/".parse().unwrap());
        config.embeddings = both(42);
        let app = router(config).unwrap();

        let answers = call(&app, session(), &asking_for("chatbot")).await;
        assert_eq!(answers.status, StatusCode::OK, "{}", answers.text);
        let (_, body) = stub.last_request().unwrap();
        let sent: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            sent,
            json!({ "scopes": ["answers:manage", "voice-message:manage"] }),
            "Answers' scopes and no embedding_id"
        );
        let frame = answers.json()["iframe_url"].as_str().unwrap().to_owned();
        assert!(
            frame.starts_with("https://answers.test/embed/authorize?request_uri=urn%3Aietf"),
            "{frame}"
        );

        let moments = call(&app, session(), "{}").await;
        assert_eq!(moments.status, StatusCode::OK, "{}", moments.text);
        let (_, body) = stub.last_request().unwrap();
        let sent: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            sent,
            json!({ "embedding_id": 42, "scopes": ["flow:manage", "flow:read", "flow:use"] }),
            "Moments unchanged"
        );
        let frame = moments.json()["iframe_url"].as_str().unwrap().to_owned();
        assert!(
            frame.starts_with("https://frames.test/authorize?request_uri="),
            "{frame}"
        );

        // The browser names an embedding, never a product or a scope.
        let sneaky = call(
            &app,
            session(),
            r#"{"embedding":"chatbot","scopes":["flow:use"]}"#,
        )
        .await;
        assert_eq!(sneaky.code(), "bad_request", "{}", sneaky.text);
        let product = call(&app, session(), r#"{"embedding":"answers"}"#).await;
        assert_eq!(product.code(), "unknown_embedding", "{}", product.text);
        assert_eq!(stub.calls(), 2);
        stub.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn without_a_frame_base_url_answers_is_assumed_at_infobips_frame_host() {
    bounded(async {
        let stub = Stub::start(Reply::Grant).await;
        let mut config = config(&stub.url, &fresh_key());
        config.embeddings = both(42);
        let service = moments_par::SessionService::new(config).unwrap();
        assert_eq!(
            service.frame_origins(),
            ["https://frames.test", "https://embeddings.infobip.com"],
            "Moments' first, then Answers'"
        );
        let answer = call(&service.router(), session(), &asking_for("chatbot")).await;
        let frame = answer.json()["iframe_url"].as_str().unwrap().to_owned();
        assert!(
            frame.starts_with("https://embeddings.infobip.com/authorize?request_uri="),
            "{frame}"
        );
        stub.shutdown().await;
    })
    .await;
}

/// A companion for `embeddings` against `sandbox`, its frames at the sandbox's own.
fn against(sandbox: &moments_sandbox::RunningSandbox, key: &str, embeddings: Embeddings) -> Config {
    let mut config = config(sandbox.base_url(), key)
        .with_answers_iframe_base_url(format!("{}/answers", sandbox.base_url()).parse().unwrap());
    config.par.iframe_base_url = sandbox.base_url().parse().unwrap();
    config.embeddings = embeddings;
    config
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(redirect::Policy::none())
        .build()
        .unwrap()
}

/// Opens a grant's frame URL as the iframe would; the page it lands on.
async fn open(frame: &str) -> (StatusCode, String) {
    let client = no_redirects();
    let mut answer = client.get(frame).send().await.unwrap();
    if answer.status() == StatusCode::SEE_OTHER {
        let location = answer.headers()["location"].to_str().unwrap().to_owned();
        let url = url::Url::parse(frame).unwrap().join(&location).unwrap();
        answer = client.get(url).send().await.unwrap();
    }
    (answer.status(), answer.text().await.unwrap())
}

#[tokio::test]
async fn the_sandbox_mints_each_product_and_only_that_products_frame_opens_it() {
    bounded(async {
        let key = fresh_key();
        let sandbox = Sandbox::new(SandboxConfig {
            api_key: key.clone(),
            ..SandboxConfig::default()
        })
        .bind("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
        let app = router(against(&sandbox, &key, both(4242))).unwrap();

        let answers = call(&app, session(), &asking_for("chatbot")).await;
        assert_eq!(answers.status, StatusCode::OK, "{}", answers.text);
        let frame = answers.json()["iframe_url"].as_str().unwrap().to_owned();
        assert!(
            frame.starts_with(&format!("{}/answers/authorize?", sandbox.base_url())),
            "{frame}"
        );
        let (status, page) = open(&frame).await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            page.contains("<h1>Chatbots</h1>"),
            "the chatbot builder: {page}"
        );

        let moments = call(&app, session(), "{}").await;
        assert_eq!(moments.status, StatusCode::OK, "{}", moments.text);
        let frame = moments.json()["iframe_url"].as_str().unwrap().to_owned();
        // The Moments URI at the Answers frame: refused, and spent.
        let wrong = frame.replacen("/authorize?", "/answers/authorize?", 1);
        let (status, page) = open(&wrong).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(page.contains(r#""reason":"unknown""#), "{page}");
        assert!(page.contains("minted for Moments"), "{page}");
        let (status, page) = open(&frame).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(page.contains(r#""reason":"reused""#), "{page}");

        let fresh = call(&app, session(), "{}").await;
        let (status, page) = open(fresh.json()["iframe_url"].as_str().unwrap()).await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            page.contains("<h1>Use-case templates</h1>"),
            "the wizard: {page}"
        );

        let stats = sandbox.sandbox().stats();
        assert_eq!((stats.par_calls, stats.par_issued), (3, 3), "{stats:?}");
        assert_eq!(stats.rejected.other_product, 1);
        sandbox.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn a_key_without_the_answers_scopes_is_upstream_auth_and_moments_still_works() {
    bounded(async {
        let key = fresh_key();
        let sandbox = Sandbox::new(SandboxConfig {
            api_key: key.clone(),
            key_scopes: ["flow:manage", "flow:read", "flow:use"]
                .map(str::to_owned)
                .to_vec(),
            ..SandboxConfig::default()
        })
        .bind("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
        let app = router(against(&sandbox, &key, both(4242))).unwrap();

        let refused = call(&app, session(), &asking_for("chatbot")).await;
        assert_eq!(refused.status.as_u16(), 502, "{}", refused.text);
        assert_eq!(refused.code(), "upstream_auth");
        assert_eq!(refused.json()["error"]["retryable"], false);
        assert!(
            !refused.text.contains("answers:manage"),
            "Infobip's words stay in the log: {}",
            refused.text
        );
        let moments = call(&app, session(), "{}").await;
        assert_eq!(moments.status, StatusCode::OK, "{}", moments.text);
        let stats = sandbox.sandbox().stats();
        assert_eq!(
            (stats.par_calls, stats.par_failed),
            (2, 1),
            "a 403 is not retried: {stats:?}"
        );
        sandbox.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn the_binary_with_sandbox_allows_the_default_wizard_and_the_chatbot_builder() {
    bounded(async {
        let server = serve(&[
            "--sandbox",
            "--sandbox-listen",
            "127.0.0.1:0",
            "--sandbox-frame-host",
            "127.0.0.1",
        ])
        .await;
        let sandbox = server.sandbox().unwrap().base_url().to_owned();
        let grant = |body: &'static str| {
            let url = format!("{}/api/moments/session", server.url());
            async move {
                let answer = reqwest::Client::new()
                    .post(url)
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(answer.status(), StatusCode::OK, "{body}");
                let grant: Value = answer.json().await.unwrap();
                grant["iframe_url"].as_str().unwrap().to_owned()
            }
        };
        assert!(
            grant("{}")
                .await
                .starts_with(&format!("{sandbox}/authorize?"))
        );
        let chatbot = grant(r#"{"embedding":"chatbot"}"#).await;
        assert_eq!(moments_par::cli::SANDBOX_ANSWERS_EMBEDDING, "chatbot");
        assert!(
            chatbot.starts_with(&format!("{sandbox}/answers/authorize?")),
            "{chatbot}"
        );
        let (status, page) = open(&chatbot).await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("<h1>Chatbots</h1>"), "{page}");
        server.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn static_files_allow_the_frames_of_the_products_allowed() {
    bounded(async {
        let dir = scratch_dir();
        std::fs::write(dir.join("index.html"), "<html></html>").unwrap();
        let csp = |args: &'static [&'static str]| {
            let dir = dir.to_str().unwrap().to_owned();
            async move {
                let mut argv = vec!["--infobip-api-key", "k", "--static-dir", dir.as_str()];
                argv.extend_from_slice(args);
                let server = serve(&argv).await;
                let page = reqwest::get(format!("{}/", server.url())).await.unwrap();
                let csp = page.headers()["content-security-policy"]
                    .to_str()
                    .unwrap()
                    .to_owned();
                server.shutdown().await;
                csp
            }
        };
        let moments_only = csp(&[
            "--embedding-id",
            "42",
            "--answers-iframe-base-url",
            "https://answers.test",
        ])
        .await;
        assert!(
            moments_only.contains("; frame-src https://embeddings.infobip.com; "),
            "no Answers embedding, no Answers frame: {moments_only}"
        );
        let both = csp(&[
            "--embeddings",
            "campaigns=42,chatbot=answers",
            "--answers-iframe-base-url",
            "https://answers.test/frame",
        ])
        .await;
        assert!(
            both.contains("; frame-src https://embeddings.infobip.com https://answers.test; "),
            "{both}"
        );
        let same_host = csp(&["--embeddings", "campaigns=42,chatbot=answers"]).await;
        assert!(
            same_host.contains("; frame-src https://embeddings.infobip.com; "),
            "one host, listed once: {same_host}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    })
    .await;
}
