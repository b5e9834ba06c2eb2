//! The full-stack app's server: leptos_axum renders and hydrates the pages, and the
//! companion (`moments-par`) runs inside the same axum app, reachable both as its REST
//! endpoint and from the app's server function, through one `SessionService`.
//!
//! ```sh
//! examples/fullstack/build.sh            # the server, and target/site/pkg for the browser
//! INFOBIP_BASE_URL=https://xxxx.api.infobip.com INFOBIP_API_KEY=... MOMENTS_EMBEDDING_ID=42 \
//!   LEPTOS_SITE_ROOT=target/site target/debug/fullstack
//! ```
//! The companion reads the variables the `moments-par` binary reads (`Config::from_env`);
//! `MOMENTS_IFRAME_BASE_URL` points the frame elsewhere (the local sandbox, in the
//! tests). Leptos' own settings (the output name, the site's layout and address) come
//! from `[package.metadata.leptos]` in this crate's `Cargo.toml`, compiled in, so the
//! server needs no `LEPTOS_*` variable; each can still override its setting
//! (`LEPTOS_SITE_ADDR`, default 127.0.0.1:3000).

use axum::Router;
use fullstack::app::{App, shell};
use leptos::prelude::*;
use leptos_axum::{LeptosRoutes, generate_route_list};
use moments_par::{Config, SessionService};
use std::error::Error;
use std::net::SocketAddr;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    // The companion logs through `tracing`: a subscriber here is what shows its lines
    // (one access line per session request, refusals and why) in this app's output.
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .init();

    // What cargo-leptos would pass in `LEPTOS_*` variables, read from the manifest it
    // reads: without it, leptos serves `/pkg/.js` (no output name) and nothing hydrates.
    let options = get_config_from_str(include_str!("../Cargo.toml"))?;
    let addr = options.site_addr;
    let routes = generate_route_list(App);

    // ANCHOR: router
    let service = SessionService::new(Config::from_env()?)?;
    let context = {
        let service = service.clone();
        move || provide_context(service.clone())
    };
    let app = Router::new()
        .leptos_routes_with_context(&options, routes, context, {
            let options = options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler(shell))
        .merge(service.router())
        .with_state(options);
    // ANCHOR_END: router

    let listener = tokio::net::TcpListener::bind(addr).await?;
    leptos::logging::log!("listening on http://{}", listener.local_addr()?);
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
