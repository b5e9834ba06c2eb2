//! What the binary serves, on real sockets: the session endpoint against the real
//! sandbox, per-address rate limiting, graceful shutdown, static files with their
//! security headers.

use crate::stub::{Reply, Stub};
use crate::support::{bounded, call, config, fresh_key, session};
use clap::Parser;
use moments_par::cli::{Cli, RunningServer, start};
use moments_par::router;
use moments_sandbox::{DEFAULT_EMBEDDING_ID, Sandbox, SandboxConfig};
use reqwest::StatusCode;
use std::path::PathBuf;
use std::time::Duration;

pub(crate) async fn serve(args: &[&str]) -> RunningServer {
    let mut argv = vec!["moments-par", "--listen", "127.0.0.1:0"];
    argv.extend_from_slice(args);
    let cli = Cli::try_parse_from(argv).unwrap();
    start(&cli).await.unwrap()
}

fn post(server: &RunningServer) -> reqwest::RequestBuilder {
    reqwest::Client::new()
        .post(format!("{}/api/moments/session", server.url()))
        .header("content-type", "application/json")
        .body("{}")
}

#[tokio::test]
async fn the_real_sandbox_mints_and_refuses_like_infobip() {
    bounded(async {
        let key = fresh_key();
        let sandbox = Sandbox::new(SandboxConfig {
            api_key: key.clone(),
            ..SandboxConfig::default()
        })
        .bind("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
        let mut good = config(sandbox.base_url(), &key);
        good.embeddings = moments_par::Embeddings::single(
            moments_par::EmbeddingId::parse(DEFAULT_EMBEDDING_ID).unwrap(),
        );
        let answer = call(&router(good.clone()).unwrap(), session(), "{}").await;
        assert_eq!(answer.status.as_u16(), 200, "{}", answer.text);
        let uri = answer.json()["request_uri"].as_str().unwrap().to_owned();
        assert!(
            uri.starts_with(moments_sandbox::REQUEST_URI_PREFIX),
            "{uri}"
        );

        let mut wrong_key = good.clone();
        wrong_key.par.api_key = "not-the-key".into();
        let refused = call(&router(wrong_key).unwrap(), session(), "{}").await;
        assert_eq!(refused.code(), "upstream_auth", "{}", refused.text);

        let mut unknown = good;
        unknown.embeddings = moments_par::Embeddings::single(moments_par::EmbeddingId::Number(7));
        let rejected = call(&router(unknown).unwrap(), session(), "{}").await;
        assert_eq!(rejected.code(), "upstream_rejected", "{}", rejected.text);

        let stats = sandbox.sandbox().stats();
        assert_eq!((stats.par_calls, stats.par_issued), (3, 1), "{stats:?}");
        sandbox.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn the_binary_with_sandbox_serves_sessions_over_a_socket() {
    bounded(async {
        // The frame on the PAR side's own host, as the sandbox reports its base URL.
        let server = serve(&[
            "--sandbox",
            "--sandbox-listen",
            "127.0.0.1:0",
            "--sandbox-frame-host",
            "127.0.0.1",
        ])
        .await;
        let answer = post(&server).send().await.unwrap();
        assert_eq!(answer.status(), StatusCode::OK);
        assert_eq!(answer.headers()["cache-control"], "no-store");
        let grant: serde_json::Value = answer.json().await.unwrap();
        let sandbox = server.sandbox().unwrap().base_url().to_owned();
        assert!(
            grant["iframe_url"]
                .as_str()
                .unwrap()
                .starts_with(&format!("{sandbox}/authorize?request_uri="))
        );
        let ready = reqwest::get(format!("{}/readyz?upstream", server.url()))
            .await
            .unwrap();
        assert_eq!(ready.status(), StatusCode::OK);
        assert_eq!(server.sandbox().unwrap().sandbox().stats().par_issued, 1);
        server.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn the_sandbox_frame_is_on_another_site_than_a_page_on_127_0_0_1_by_default() {
    bounded(async {
        let server = serve(&["--sandbox", "--sandbox-listen", "127.0.0.1:0"]).await;
        let answer = post(&server).send().await.unwrap();
        assert_eq!(answer.status(), StatusCode::OK);
        let grant: serde_json::Value = answer.json().await.unwrap();
        let sandbox = server.sandbox().unwrap();
        let par = url::Url::parse(sandbox.base_url()).unwrap();
        assert_eq!(
            par.host_str(),
            Some("127.0.0.1"),
            "PAR calls stay on loopback"
        );
        let frame = url::Url::parse(grant["iframe_url"].as_str().unwrap()).unwrap();
        assert_eq!(frame.host_str(), Some("localhost"), "{frame}");
        assert_eq!(frame.port(), par.port(), "the sandbox's own port");
        assert_eq!(frame.path(), "/authorize");
        assert_eq!(
            sandbox.sandbox().stats().par_issued,
            1,
            "minted by the sandbox"
        );
        server.shutdown().await;

        let cli = Cli::try_parse_from([
            "moments-par",
            "--listen",
            "127.0.0.1:0",
            "--sandbox",
            "--sandbox-listen",
            "127.0.0.1:0",
            "--sandbox-frame-host",
            "not a host",
        ])
        .unwrap();
        let refused = start(&cli).await.unwrap_err().to_string();
        assert!(
            refused.contains("--sandbox-frame-host `not a host` is not a host name"),
            "{refused}"
        );
    })
    .await;
}

#[tokio::test]
async fn a_client_ip_header_from_a_peer_not_listed_is_ignored() {
    bounded(async {
        let stub = Stub::start(Reply::Grant).await;
        let key = fresh_key();
        // The test's client is 127.0.0.1: the proxy in one run, a stranger in the other.
        let mut statuses = Vec::new();
        for proxies in ["127.0.0.1", "10.0.0.0/8"] {
            let server = serve(&[
                "--infobip-base-url",
                &stub.url,
                "--infobip-api-key",
                &key,
                "--embedding-id",
                "42",
                "--rate-limit",
                "1/min",
                "--rate-limit-burst",
                "1",
                "--client-ip-header",
                "x-forwarded-for",
                "--trusted-proxies",
                proxies,
            ])
            .await;
            for client in ["198.51.100.1", "198.51.100.2"] {
                let answer = post(&server)
                    .header("x-forwarded-for", client)
                    .send()
                    .await
                    .unwrap();
                statuses.push((proxies, client, answer.status().as_u16()));
            }
            server.shutdown().await;
        }
        assert_eq!(
            statuses,
            [
                ("127.0.0.1", "198.51.100.1", 200),
                ("127.0.0.1", "198.51.100.2", 200),
                ("10.0.0.0/8", "198.51.100.1", 200),
                ("10.0.0.0/8", "198.51.100.2", 429),
            ],
            "from the proxy, the header names the client; from anyone else it is ignored \
             and the peer is the client, whatever the header claims"
        );
        stub.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn each_address_has_its_own_rate_and_a_proxy_header_can_name_it() {
    bounded(async {
        let stub = Stub::start(Reply::Grant).await;
        let key = fresh_key();
        let upstream = [
            "--infobip-base-url",
            &stub.url,
            "--infobip-api-key",
            &key,
            "--embedding-id",
            "42",
        ];
        let mut args = upstream.to_vec();
        args.extend(["--rate-limit", "1/min", "--rate-limit-burst", "1"]);
        let server = serve(&args).await;
        assert_eq!(post(&server).send().await.unwrap().status(), StatusCode::OK);
        let limited = post(&server).send().await.unwrap();
        assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(limited.headers()["retry-after"], "60");
        server.shutdown().await;

        args.extend(["--client-ip-header", "x-forwarded-for"]);
        let server = serve(&args).await;
        let from = |ip: &str| post(&server).header("x-forwarded-for", format!("203.0.113.9, {ip}"));
        assert_eq!(
            from("198.51.100.1").send().await.unwrap().status(),
            StatusCode::OK
        );
        assert_eq!(
            from("198.51.100.2").send().await.unwrap().status(),
            StatusCode::OK
        );
        assert_eq!(
            from("198.51.100.1").send().await.unwrap().status(),
            StatusCode::TOO_MANY_REQUESTS
        );
        server.shutdown().await;
        assert_eq!(stub.calls(), 3);
        stub.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn shutdown_finishes_the_request_in_flight_and_refuses_new_ones() {
    bounded(async {
        let stub = Stub::start(Reply::Hang(Duration::from_millis(600))).await;
        let key = fresh_key();
        let server = serve(&[
            "--infobip-base-url",
            &stub.url,
            "--infobip-api-key",
            &key,
            "--embedding-id",
            "42",
            "--upstream-timeout",
            "2s",
        ])
        .await;
        let url = server.url().to_owned();
        let in_flight = tokio::spawn(post(&server).send());
        while stub.calls() == 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        server.shutdown().await;
        let answer = in_flight.await.unwrap().unwrap();
        assert_eq!(answer.status(), StatusCode::OK, "finished, not cut off");
        assert!(answer.json::<serde_json::Value>().await.unwrap()["request_uri"].is_string());
        let after = reqwest::Client::new()
            .post(format!("{url}/api/moments/session"))
            .timeout(Duration::from_secs(2))
            .send()
            .await;
        assert!(after.is_err_and(|e| e.is_connect()), "no longer listening");
        stub.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn static_files_carry_csp_caching_and_security_headers() {
    bounded(async {
        let dir = scratch_dir();
        std::fs::write(
            dir.join("index.html"),
            "<html><head><script type=\"module\">boot()</script><script src=\"/x.js\"></script></head></html>",
        )
        .unwrap();
        std::fs::create_dir_all(dir.join("docs")).unwrap();
        std::fs::write(dir.join("docs/about.html"), "<script>about()</script>").unwrap();
        std::fs::write(dir.join("app-0123456789abcdef.js"), "boot=()=>{}").unwrap();
        // Served as it is: ServeDir does not read it, so any bytes stand in for gzip.
        std::fs::write(dir.join("app-0123456789abcdef.js.gz"), b"\x1f\x8b stand-in").unwrap();
        std::fs::write(dir.join("app-0123456789abcdef.js.br"), b"brotli stand-in").unwrap();
        std::fs::write(dir.join("robots.txt"), "").unwrap();
        let server = serve(&[
            "--infobip-api-key", "k", "--embedding-id", "42",
            "--iframe-base-url", "https://frames.example/embed/",
            "--static-dir", dir.to_str().unwrap(),
        ])
        .await;
        let get = |path: &str| reqwest::get(format!("{}{path}", server.url()));

        let index = get("/").await.unwrap();
        assert_eq!(index.status(), StatusCode::OK);
        let headers = index.headers().clone();
        let csp = headers["content-security-policy"].to_str().unwrap();
        // `echo -n 'boot()' | openssl dgst -sha256 -binary | base64`
        assert!(
            csp.contains("'sha256-MeZS89WlF0u+o0hCvHTBt4q1WHU+U+sJKgbdRUc36mY='"),
            "a hash for index.html's inline script: {csp}"
        );
        // `echo -n 'about()' | openssl dgst -sha256 -binary | base64`
        assert!(
            csp.contains("'sha256-3IQEffKG8W5UeIxmPZufnaU9aUlHg0cubr6CYfSyI1E='"),
            "and one for the other page's, so it is not blocked there: {csp}"
        );
        assert_eq!(csp.matches("'sha256-").count(), 2, "none for `src` scripts: {csp}");
        let about = get("/docs/about.html").await.unwrap();
        assert_eq!(about.headers()["content-security-policy"], csp, "one policy for every page");
        assert!(csp.contains("frame-src https://frames.example;"), "{csp}");
        assert!(csp.contains("frame-ancestors 'none'") && csp.contains("object-src 'none'"), "{csp}");
        assert_eq!(headers["cache-control"], "no-cache");
        assert_eq!(headers["referrer-policy"], "strict-origin-when-cross-origin");
        assert_eq!(headers["x-content-type-options"], "nosniff");

        let asset = get("/app-0123456789abcdef.js").await.unwrap();
        assert_eq!(asset.status(), StatusCode::OK);
        assert!(asset.headers().get("content-encoding").is_none(), "not asked for gzip");
        assert_eq!(asset.headers()["vary"], "accept-encoding");
        let gzipped = reqwest::Client::new()
            .get(format!("{}/app-0123456789abcdef.js", server.url()))
            .header("accept-encoding", "gzip")
            .send()
            .await
            .unwrap();
        assert_eq!(gzipped.headers()["content-encoding"], "gzip", "the .gz beside it");
        assert_eq!(gzipped.headers()["content-type"], "text/javascript", "still a script");
        assert_eq!(&gzipped.bytes().await.unwrap()[..], b"\x1f\x8b stand-in");
        // What browsers send: brotli is smaller (the demo's wasm: 98 KB against 116), so
        // it goes first.
        let from_a_browser = reqwest::Client::new()
            .get(format!("{}/app-0123456789abcdef.js", server.url()))
            .header("accept-encoding", "gzip, deflate, br, zstd")
            .send()
            .await
            .unwrap();
        assert_eq!(from_a_browser.headers()["content-encoding"], "br", "the .br beside it");
        assert_eq!(from_a_browser.headers()["content-type"], "text/javascript");
        assert_eq!(from_a_browser.headers()["vary"], "accept-encoding");
        assert_eq!(&from_a_browser.bytes().await.unwrap()[..], b"brotli stand-in");
        assert_eq!(asset.headers()["cache-control"], "public, max-age=31536000, immutable");
        assert!(asset.headers().get("content-security-policy").is_none());
        assert_eq!(get("/robots.txt").await.unwrap().headers()["cache-control"], "no-cache");

        let route = get("/campaigns/42").await.unwrap();
        assert_eq!(route.status(), StatusCode::OK, "client-side routes get the page");
        assert!(route.headers().contains_key("content-security-policy"));
        assert_eq!(get("/missing.js").await.unwrap().status(), StatusCode::NOT_FOUND);
        assert_eq!(get("/healthz").await.unwrap().status(), StatusCode::OK, "not shadowed");

        server.shutdown().await;
        std::fs::remove_dir_all(&dir).unwrap();
    })
    .await;
}

#[tokio::test]
async fn operations_routes_move_or_turn_off() {
    bounded(async {
        let server = serve(&[
            "--infobip-api-key",
            "k",
            "--embedding-id",
            "42",
            "--healthz-path",
            "/internal/alive",
            "--metrics-path",
            "off",
        ])
        .await;
        let status = |path: &'static str| {
            let url = format!("{}{path}", server.url());
            async move { reqwest::get(url).await.unwrap().status() }
        };
        assert_eq!(status("/internal/alive").await, StatusCode::OK, "moved");
        assert_eq!(
            status("/healthz").await,
            StatusCode::NOT_FOUND,
            "not also at the default"
        );
        assert_eq!(status("/metrics").await, StatusCode::NOT_FOUND, "off");
        assert_eq!(
            status("/readyz").await,
            StatusCode::OK,
            "the others keep their defaults"
        );
        server.shutdown().await;
    })
    .await;
}

pub(crate) fn scratch_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("moments-par-static-{}", fresh_key()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
