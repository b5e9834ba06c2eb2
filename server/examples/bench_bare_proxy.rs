//! `bench_bare_proxy`: the floor `make bench` holds the companion to. One axum handler
//! that forwards the PAR call with reqwest and answers with the frame URL, and nothing
//! else: no origin check, no tenant, no rate limit, no body limit, no strict reading of
//! the answer, no request id, no logs, no metrics, no timeouts or retries.
//!
//! It runs on the same runtime (tokio, multi-threaded) with the same allocator
//! (mimalloc) and the same HTTP client settings as `moments-par`, so what separates the
//! two in `bench/pair` is the hardening alone.
//!
//! ```text
//! cargo run --release -p moments-par --example bench_bare_proxy -- \
//!   --listen 127.0.0.1:0 --infobip-base-url http://127.0.0.1:9000
//! ```

#![allow(clippy::print_stdout, clippy::expect_used)] // a benchmark fixture: it stops at the first problem

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use clap::Parser;
use serde::Deserialize;
use serde_json::json;
use std::io::Write;
use std::sync::Arc;

/// A proxy with no hardening, to measure what the hardening costs.
#[derive(Parser)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: String,
    /// Where Infobip (the stub) is.
    #[arg(long)]
    infobip_base_url: String,
    /// The frame's origin.
    #[arg(long, default_value = "https://embeddings.infobip.com")]
    iframe_base_url: String,
    /// The embedding to ask for.
    #[arg(long, default_value_t = 42)]
    embedding_id: u64,
}

struct Proxy {
    client: reqwest::Client,
    par_url: String,
    authorize_url: String,
    authorization: String,
    body: serde_json::Value,
}

#[derive(Deserialize)]
struct Grant {
    request_uri: String,
    expires_in: Option<u32>,
}

async fn session(State(proxy): State<Arc<Proxy>>) -> Response {
    let answer = proxy
        .client
        .post(&proxy.par_url)
        .header("Authorization", &proxy.authorization)
        .json(&proxy.body)
        .send()
        .await;
    let grant = match answer {
        Ok(response) if response.status().is_success() => response.json::<Grant>().await,
        _ => return StatusCode::BAD_GATEWAY.into_response(),
    };
    let Ok(grant) = grant else {
        return StatusCode::BAD_GATEWAY.into_response();
    };
    let escaped: String =
        url::form_urlencoded::byte_serialize(grant.request_uri.as_bytes()).collect();
    Json(json!({
        "request_uri": grant.request_uri,
        "expires_in": grant.expires_in.unwrap_or(60),
        "iframe_url": format!("{}?request_uri={escaped}", proxy.authorize_url),
    }))
    .into_response()
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let proxy = Proxy {
        // What moments-par's client sets up too: a pool of warm connections to Infobip.
        client: reqwest::Client::builder()
            .pool_max_idle_per_host(64)
            .tcp_nodelay(true)
            .build()
            .expect("an HTTP client"),
        par_url: format!(
            "{}/embeddable/1/auth/par",
            args.infobip_base_url.trim_end_matches('/')
        ),
        authorize_url: format!("{}/authorize", args.iframe_base_url.trim_end_matches('/')),
        authorization: format!(
            "App {}",
            std::env::var("INFOBIP_API_KEY").unwrap_or_else(|_| "bench-key".into())
        ),
        body: json!({ "embedding_id": args.embedding_id, "scopes": ["flow:manage", "flow:read", "flow:use"] }),
    };
    let app = Router::new()
        .route("/api/moments/session", post(session))
        .with_state(Arc::new(proxy));
    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .expect("the address is free");
    println!(
        "listening http://{}",
        listener.local_addr().expect("an address")
    );
    let _ = std::io::stdout().flush();
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let mut terminate =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                    .expect("a SIGTERM handler");
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = terminate.recv() => {}
            }
        })
        .await
        .expect("the server runs");
}
