//! A local stand-in for Infobip Embeddable Moments and Embeddable Answers, for demos
//! and tests.
//!
//! **This is a simulator.** It answers like Infobip's PAR API and serves a Campaign
//! wizard (Moments) and a chatbot builder (Answers) in the frame, so `moments-embed` and
//! `moments-par` can be shown and tested with no account and no network. Every page it
//! serves says so, and nothing starts it but an explicit `--sandbox` or
//! `cargo run -p moments-sandbox`.
//!
//! What it serves, on one origin:
//! - `POST /embeddable/1/auth/par`: checks `Authorization: App <key>`, the body and the
//!   scopes as Infobip does (one product's scopes, which the key must hold; an
//!   `embedding_id` for Moments only), and issues single-use `request_uri`s (192 random
//!   bits) that remember their product.
//! - `GET /authorize?request_uri=…`: spends a Moments URI once (unknown, reused, expired
//!   and Answers ones get an error page and a `moments:error` message) and redirects to
//!   the wizard, `GET /wizard/{session}`.
//! - `GET /answers/authorize?request_uri=…`: the same for an Answers URI, into the
//!   chatbot builder, `GET /answers/{session}` (a Moments URI is refused).
//! - `GET /__sandbox/stats`: counters, so tests assert on what "Infobip" saw.
//!
//! ## Usage
//! ```no_run
//! # async fn run() -> std::io::Result<()> {
//! use moments_sandbox::{Sandbox, SandboxConfig};
//! let running = Sandbox::new(SandboxConfig::default())
//!     .bind("127.0.0.1:0".parse().expect("literal address"))
//!     .await?;
//! println!("PAR API at {}/embeddable/1/auth/par", running.base_url());
//! running.shutdown().await;
//! # Ok(()) }
//! ```

mod answers;
mod authorize;
mod faults;
mod frame_app;
mod frame_routes;
mod pages;
mod par;
mod serve;
mod storage_access;
mod store;
mod wizard;

pub use store::{REQUEST_URI_PREFIX, Rejected, Stats, Tenant};

use axum::Router;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use moments_protocol::Product;
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;
use store::{Settings, Store};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The API key the sandbox accepts unless told otherwise. Not a secret: it opens nothing
/// but this simulator.
pub const DEFAULT_API_KEY: &str = "sandbox-api-key";

/// The embedding the sandbox knows unless told otherwise.
pub const DEFAULT_EMBEDDING_ID: &str = "4242";

/// Where the Answers frame lives under the sandbox's origin: its authorize is
/// `/answers/authorize`, so a companion's Answers frame base URL is
/// `http://<host>:<port>/answers`.
pub const ANSWERS_PATH: &str = "/answers";

/// How the sandbox behaves.
#[derive(Clone, Debug)]
pub struct SandboxConfig {
    /// The only key `Authorization: App <key>` may present.
    pub api_key: String,
    /// The scopes that key holds: a PAR call for a product whose scopes it lacks is
    /// refused `403` as Infobip refuses it. Every scope of both products by default
    /// (`Product::Moments.scopes()` and `Product::Answers.scopes()`); the admin API's
    /// `key_scopes` setting changes it at run time.
    pub key_scopes: Vec<String>,
    /// The embedding ids that exist on this simulated account.
    pub embedding_ids: Vec<String>,
    /// How long an issued `request_uri` stays valid (`expires_in`).
    pub request_uri_ttl: Duration,
    /// How long a frame session lasts after authorize.
    pub session_ttl: Duration,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            api_key: DEFAULT_API_KEY.to_owned(),
            key_scopes: Product::ALL
                .iter()
                .flat_map(|product| product.scopes())
                .map(|&scope| scope.to_owned())
                .collect(),
            embedding_ids: vec![DEFAULT_EMBEDDING_ID.to_owned()],
            request_uri_ttl: Duration::from_secs(60),
            session_ttl: Duration::from_secs(30 * 60),
        }
    }
}

/// One simulated Infobip account: its configuration and its memory.
#[derive(Clone, Debug)]
pub struct Sandbox {
    state: AppState,
}

#[derive(Clone, Debug)]
pub(crate) struct AppState {
    config: Arc<SandboxConfig>,
    store: Arc<Mutex<Store>>,
}

impl AppState {
    /// The settings the sandbox was configured with (what `reset` returns to).
    pub(crate) fn default_settings(&self) -> Settings {
        Settings::from(&*self.config)
    }

    /// The store. A panic while holding the lock leaves counters, not invariants, behind,
    /// so a poisoned lock is used as is rather than taking the sandbox down.
    pub(crate) fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Sandbox {
    /// A sandbox with `config` and an empty memory.
    pub fn new(config: SandboxConfig) -> Self {
        let settings = Settings::from(&config);
        Self {
            state: AppState {
                config: Arc::new(config),
                store: Arc::new(Mutex::new(Store::new(settings))),
            },
        }
    }

    /// Every route the sandbox serves: Infobip's ([`infobip_router`](Self::infobip_router))
    /// and its own `/__sandbox` API ([`admin_router`](Self::admin_router)).
    pub fn router(&self) -> Router {
        self.infobip_router().merge(self.admin_router())
    }

    /// What Infobip serves: the PAR API, and each product's authorize and frame: the
    /// wizard behind `/authorize`, the chatbot builder behind `/answers/authorize`.
    pub fn infobip_router(&self) -> Router {
        Router::new()
            .route("/embeddable/1/auth/par", post(par::par))
            .route("/authorize", get(authorize::moments))
            .route(
                &format!("{ANSWERS_PATH}/authorize"),
                get(authorize::answers),
            )
            .merge(wizard::router(self.state.clone()))
            .merge(answers::router(self.state.clone()))
            .with_state(self.state.clone())
    }

    /// The sandbox's own control API under `/__sandbox`: faults, settings, session
    /// expiry, reset and stats (see the `faults` module's table for the contract).
    ///
    /// `moments-par --sandbox` also serves it on the companion's origin, so the demo's
    /// fault panel can reach it without CORS.
    pub fn admin_router(&self) -> Router {
        Router::new()
            .route(
                "/__sandbox/faults",
                post(faults::add_faults).delete(faults::clear_faults),
            )
            .route(
                "/__sandbox/settings",
                get(faults::get_settings).post(faults::set_settings),
            )
            .route("/__sandbox/sessions/expire", post(faults::expire_sessions))
            .route("/__sandbox/reset", post(faults::reset))
            .route("/__sandbox/stats", get(faults::stats))
            .with_state(self.state.clone())
    }

    /// The counters so far.
    pub fn stats(&self) -> Stats {
        self.state.store().stats.clone()
    }

    /// The configuration it runs with.
    pub fn config(&self) -> &SandboxConfig {
        &self.state.config
    }

    /// Serves the sandbox on `addr` (port 0 picks a free one) until shut down.
    pub async fn bind(self, addr: SocketAddr) -> std::io::Result<RunningSandbox> {
        let listener = TcpListener::bind(addr).await?;
        let local = listener.local_addr()?;
        let (stop, stopped) = oneshot::channel::<()>();
        let app = self.router();
        let task = tokio::spawn(serve::serve(listener, app, stopped));
        tracing::warn!(
            "SANDBOX: simulating Infobip at http://{local}. This is not Infobip; nothing here reaches a real account."
        );
        Ok(RunningSandbox {
            sandbox: self,
            base_url: format!("http://{local}"),
            addr: local,
            stop: Some(stop),
            task,
        })
    }
}

/// A sandbox serving on a socket. Dropping it stops the server too.
#[derive(Debug)]
pub struct RunningSandbox {
    sandbox: Sandbox,
    base_url: String,
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl RunningSandbox {
    /// `http://127.0.0.1:<port>`: the PAR base URL and the frame origin.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The socket it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The sandbox itself (counters, configuration).
    pub fn sandbox(&self) -> &Sandbox {
        &self.sandbox
    }

    /// Stops accepting, finishes requests in flight, and waits for the server to end.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = (&mut self.task).await;
    }
}

impl Drop for RunningSandbox {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// An error in Infobip's `requestError.serviceException` shape.
pub(crate) fn infobip_error(
    status: StatusCode,
    message_id: &str,
    text: &str,
    validation_errors: Option<Value>,
) -> Response {
    let mut exception = json!({ "messageId": message_id, "text": text });
    if let Some(errors) = validation_errors {
        exception["validationErrors"] = errors;
    }
    let body = json!({ "requestError": { "serviceException": exception } });
    (status, axum::Json(body)).into_response()
}
