//! The full-stack example (`examples/fullstack`), end to end: its own server binary
//! (leptos_axum rendering and hydrating the pages, the companion inside), pointed at a
//! sandbox on 127.0.0.1 whose frame is on another site (`localhost`), driven in either
//! headless engine, as the other journeys are.
//!
//! Between the browser and the app sits a small proxy that holds the browser's files
//! (`/pkg/…`, the wasm and its loader) back for [`HYDRATION_DELAY`] on every page load
//! (it marks them `no-store`), so a test sees the server's HTML on its own before
//! hydration, and can watch what hydration changes. It also records every request that
//! reaches the app, and the app's log is kept
//! ([`Observed`]), so a test sees which transport a page really used.

use crate::{
    Driver, Engine, Session, TEST_LIMIT, frame_url, free_port, one_browser_of, target_dir,
};
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderName, StatusCode};
use axum::response::{IntoResponse, Response};
use moments_sandbox::{DEFAULT_API_KEY, DEFAULT_EMBEDDING_ID, Sandbox, SandboxConfig};
use serde_json::Value;
use std::future::Future;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::io::AsyncBufReadExt;
use tokio::process::{Child, Command};

/// What reached the full-stack app's server, and what it logged, during one test.
#[derive(Clone, Debug, Default)]
pub struct Observed {
    /// `"<METHOD> <path>"` of every request the browser sent it.
    requests: Arc<Mutex<Vec<String>>>,
    /// Its log lines (stderr and stdout), without colour.
    log: Arc<Mutex<Vec<String>>>,
}

impl Observed {
    fn record(list: &Mutex<Vec<String>>, line: String) {
        list.lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(line);
    }

    fn snapshot(list: &Mutex<Vec<String>>) -> Vec<String> {
        list.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }
}

impl Session {
    /// `"<METHOD> <path>"` of every request the full-stack app received so far.
    pub fn app_requests(&self) -> Vec<String> {
        let observed = self.fullstack.as_ref().expect("a full-stack session");
        Observed::snapshot(&observed.requests)
    }

    /// How many requests the full-stack app received for `method` and `path`.
    pub fn app_requests_to(&self, method: &str, path: &str) -> usize {
        let wanted = format!("{method} {path}");
        self.app_requests().iter().filter(|r| **r == wanted).count()
    }

    /// Every line the full-stack app has logged so far.
    pub fn app_log(&self) -> Vec<String> {
        let observed = self.fullstack.as_ref().expect("a full-stack session");
        Observed::snapshot(&observed.log)
    }
}

/// How long the proxy holds the browser's wasm and loader back.
pub const HYDRATION_DELAY: Duration = Duration::from_millis(2500);

/// The example's build: the server binary and the site root, as `build.sh` leaves them.
fn built() -> (PathBuf, PathBuf) {
    let target = target_dir();
    let server = target.join("debug/fullstack");
    let site = target.join("site");
    assert!(
        server.is_file() && site.join("pkg/fullstack_bg.wasm").is_file(),
        "no build of the full-stack example under {}: run examples/fullstack/build.sh \
         (make test does)",
        target.display()
    );
    (server, site)
}

/// Starts a sandbox, the example's server against it, the delaying proxy and a browser
/// of `engine` whose `goto` returns at once (page load strategy `none`), runs `test`,
/// and stops everything by PID, even when the test panics or times out.
// Holding a std lock across the test is the point: see `run_in`.
#[allow(clippy::await_holding_lock)]
pub async fn run<F, Fut>(engine: Engine, test: F)
where
    F: FnOnce(Session) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let _one_at_a_time = one_browser_of(engine);
    let (binary, site) = built();
    let sandbox = Sandbox::new(SandboxConfig::default())
        .bind("127.0.0.1:0".parse().expect("an address"))
        .await
        .expect("the sandbox starts");
    let app_addr = format!("127.0.0.1:{}", free_port());
    let mut app = Command::new(&binary)
        // The command its documentation gives, from the workspace's root: the site's
        // root and, here, a free address; every other setting is the example's own.
        .current_dir(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".."))
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("NO_COLOR", "1")
        .env("LEPTOS_SITE_ROOT", &site)
        .env("LEPTOS_SITE_ADDR", &app_addr)
        .env("INFOBIP_BASE_URL", sandbox.base_url())
        .env("INFOBIP_API_KEY", DEFAULT_API_KEY)
        .env("MOMENTS_EMBEDDING_ID", DEFAULT_EMBEDDING_ID)
        .env("MOMENTS_IFRAME_BASE_URL", frame_url(sandbox.base_url()))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
    let observed = Observed::default();
    let mut readers = Vec::new();
    if let Some(out) = app.stdout.take() {
        readers.push(tokio::spawn(keep_lines(out, Arc::clone(&observed.log))));
    }
    if let Some(err) = app.stderr.take() {
        readers.push(tokio::spawn(keep_lines(err, Arc::clone(&observed.log))));
    }
    wait_for_port(&app_addr).await;
    let (proxy_url, proxy) =
        start_proxy(format!("http://{app_addr}"), Arc::clone(&observed.requests)).await;

    let driver = Driver::start(engine).await;
    let mut capabilities = crate::capabilities(engine);
    capabilities["pageLoadStrategy"] = Value::from("none");
    let browser = driver.connect_with(capabilities).await;
    let session = Session {
        browser: browser.clone(),
        engine,
        url: proxy_url,
        sandbox_url: sandbox.base_url().to_owned(),
        frame_url: frame_url(sandbox.base_url()),
        api_key: DEFAULT_API_KEY.to_owned(),
        backend: None,
        fullstack: Some(observed),
    };
    let outcome = tokio::time::timeout(TEST_LIMIT, tokio::spawn(test(session))).await;

    let mut driver = driver;
    let browsers = driver.descendants();
    let _ = browser.close().await;
    driver.stop(&browsers).await;
    proxy.abort();
    stop(&mut app).await;
    for reader in readers {
        reader.abort();
    }
    sandbox.shutdown().await;
    match outcome {
        Err(_) => panic!("the test did not finish within {TEST_LIMIT:?}"),
        Ok(Err(join)) if join.is_panic() => std::panic::resume_unwind(join.into_panic()),
        Ok(Err(join)) => panic!("the test was cancelled: {join}"),
        Ok(Ok(())) => {}
    }
}

/// Ends the app's server by its PID and reaps it.
async fn stop(app: &mut Child) {
    let _ = app.kill().await;
}

async fn wait_for_port(addr: &str) {
    for _ in 0..200 {
        if tokio::net::TcpStream::connect(addr).await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the full-stack app did not listen on {addr} within 10 s");
}

/// Keeps every line `stream` writes in `log`.
async fn keep_lines(stream: impl tokio::io::AsyncRead + Unpin, log: Arc<Mutex<Vec<String>>>) {
    let mut lines = tokio::io::BufReader::new(stream).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        Observed::record(&log, line);
    }
}

/// A pass-through proxy to `upstream` on a free port that answers `/pkg/…` only after
/// [`HYDRATION_DELAY`], and records `"<METHOD> <path>"` of each request in `requests`.
/// Returns its URL and its task.
async fn start_proxy(
    upstream: String,
    requests: Arc<Mutex<Vec<String>>>,
) -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a proxy port");
    let url = format!("http://{}", listener.local_addr().expect("its address"));
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a client");
    let app = axum::Router::new().fallback(forward).with_state(Proxy {
        client,
        upstream,
        requests,
    });
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (url, task)
}

/// What the proxy forwards with: its client, the app's URL, the requests seen.
#[derive(Clone)]
struct Proxy {
    client: reqwest::Client,
    upstream: String,
    requests: Arc<Mutex<Vec<String>>>,
}

async fn forward(
    State(Proxy {
        client,
        upstream,
        requests,
    }): State<Proxy>,
    request: Request,
) -> Response {
    let (parts, body) = request.into_parts();
    Observed::record(&requests, format!("{} {}", parts.method, parts.uri.path()));
    let held_back = parts.uri.path().starts_with("/pkg/");
    if held_back {
        tokio::time::sleep(HYDRATION_DELAY).await;
    }
    let Ok(body) = axum::body::to_bytes(body, 1 << 20).await else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let url = format!(
        "{upstream}{}",
        parts.uri.path_and_query().map_or("/", |p| p.as_str())
    );
    let mut outgoing = client.request(parts.method, url).body(body);
    for (name, value) in &parts.headers {
        if name != "host" {
            outgoing = outgoing.header(name, value);
        }
    }
    let Ok(answer) = outgoing.send().await else {
        return StatusCode::BAD_GATEWAY.into_response();
    };
    let status = answer.status();
    let headers = answer.headers().clone();
    let bytes = answer.bytes().await.unwrap_or_else(|_| Bytes::new());
    let mut response = Response::new(Body::from(bytes));
    *response.status_mut() = status;
    for (name, value) in &headers {
        // The body is sent whole: its original framing does not apply.
        if name != HeaderName::from_static("transfer-encoding") {
            response.headers_mut().append(name, value.clone());
        }
    }
    // Held back on every page load, not only the first: a browser that kept them (Firefox
    // does, across pages of one site) would hydrate a second page before a test can look
    // at its server HTML.
    if held_back {
        response.headers_mut().insert(
            axum::http::header::CACHE_CONTROL,
            axum::http::HeaderValue::from_static("no-store"),
        );
    }
    response
}
