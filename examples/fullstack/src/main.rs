//! The full-stack app's server: leptos_axum renders and hydrates the pages, and the
//! companion (`moments-par`) runs inside the same axum app, reachable both as its REST
//! endpoint and from the app's server function, through one `SessionService`.
//!
//! ```sh
//! examples/fullstack/build.sh            # the server, and target/site/pkg for the browser
//! INFOBIP_BASE_URL=https://xxxx.api.infobip.com INFOBIP_API_KEY=... MOMENTS_EMBEDDING_ID=42 \
//!   LEPTOS_SITE_ROOT=target/site target/debug/fullstack
//! ```
//! `MOMENTS_IFRAME_BASE_URL` points the frame elsewhere (the local sandbox, in the
//! tests); `LEPTOS_SITE_ADDR` sets the address (default 127.0.0.1:3000).

use axum::Router;
use fullstack::app::{App, FrameOrigin, shell};
use leptos::prelude::*;
use leptos_axum::{LeptosRoutes, generate_route_list};
use moments_par::{Config, EmbeddingId, Embeddings, ParClientConfig, RetryPolicy, SessionService};
use std::error::Error;
use std::net::SocketAddr;
use std::time::Duration;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    // The companion logs through `tracing`: a subscriber here is what shows its lines
    // (requests, refusals, "no ConnectInfo" and the like) in this app's output.
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .init();

    let options = get_configuration(None)?.leptos_options;
    let addr = options.site_addr;
    let (companion, frame_origin) = companion_config()?;
    let service = SessionService::new(companion)?;
    let routes = generate_route_list(App);

    let context = {
        let service = service.clone();
        move || {
            provide_context(service.clone());
            provide_context(FrameOrigin(frame_origin.clone()));
        }
    };
    let app = Router::new()
        .leptos_routes_with_context(&options, routes, context, {
            let options = options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler(shell))
        // The companion's routes carry their own state, so they merge before
        // `with_state` as well as after. Its operations routes (/healthz, /readyz,
        // /metrics) stay off unless the config asks for them.
        .merge(service.router())
        .with_state(options);

    let listener = tokio::net::TcpListener::bind(addr).await?;
    tracing::info!("listening on http://{}", listener.local_addr()?);
    // The peer address lets the rate limit tell clients apart.
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    Ok(())
}

/// The companion's configuration from the same variables the `moments-par` binary
/// reads, and the frame's origin (for the pages' `frame-src`).
fn companion_config() -> Result<(Config, String), Box<dyn Error>> {
    let variable = |name: &str| std::env::var(name).map_err(|_| format!("set {name}"));
    let base_url = std::env::var("INFOBIP_BASE_URL")
        .unwrap_or_else(|_| "https://api.infobip.com".into())
        .parse()?;
    let iframe_base_url: url::Url = std::env::var("MOMENTS_IFRAME_BASE_URL")
        .unwrap_or_else(|_| "https://embeddings.infobip.com".into())
        .parse()?;
    let frame_origin = iframe_base_url.origin().ascii_serialization();
    let par = ParClientConfig {
        base_url,
        api_key: variable("INFOBIP_API_KEY")?.into(),
        iframe_base_url,
        connect_timeout: Duration::from_secs(2),
        request_timeout: Duration::from_secs(5),
        retry: RetryPolicy::default(),
    };
    let embedding = EmbeddingId::parse(&variable("MOMENTS_EMBEDDING_ID")?)
        .ok_or("MOMENTS_EMBEDDING_ID is not an embedding id (a number, or a UUID)")?;
    Ok((
        Config::new(par, Embeddings::single(embedding)),
        frame_origin,
    ))
}
