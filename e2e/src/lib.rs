//! The end-to-end harness: a built app ([`Site`]: the demo or the newcomer app), served
//! by the real companion with its in-process sandbox on 127.0.0.1, driven in a headless
//! browser ([`Engine`]: Chromium through chromedriver, Firefox ESR through geckodriver).
//!
//! [`run`] starts everything on free ports, hands the test a [`Session`], and always
//! stops what it started, by PID, even when the test panics or times out: the WebDriver
//! session is closed (the browser exits with it), then the driver is killed.
//!
//! Both engines get the options in `webdriver.json` (the browser tests' file:
//! one list of quiet-network flags and preferences), plus headless mode.

#![allow(clippy::expect_used, clippy::panic)]

mod driver;
pub mod fullstack;

use clap::Parser;
use driver::{Driver, capabilities, free_port};
use fantoccini::{Client, Locator};
use moments_par::cli::{Cli, RunningServer, start};
use moments_sandbox::Stats;
use serde_json::Value;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// The component's frame on the page: not a parked one (`keep_alive`), which is
/// `inert` while it waits.
pub const LIVE_FRAME: &str = "iframe.moments-embed__frame:not([inert])";

/// How long one test may run before it is failed and torn down.
pub const TEST_LIMIT: Duration = Duration::from_secs(90);

/// What a test gets: a browser, and the stack it talks to.
#[derive(Clone)]
pub struct Session {
    /// The WebDriver client.
    pub browser: Client,
    /// The engine behind it.
    pub engine: Engine,
    /// `http://127.0.0.1:<port>`: the demo and the session endpoint.
    pub url: String,
    /// `http://127.0.0.1:<port>`: the sandbox (Infobip stand-in), its PAR and admin API.
    pub sandbox_url: String,
    /// `http://localhost:<port>`: the sandbox as the frame's origin. Another *site* than
    /// the page's `127.0.0.1` (a port does not make a site), as Infobip's frame is on
    /// every real host's page.
    pub frame_url: String,
    /// The API key the companion holds; no page or response may contain it.
    pub api_key: String,
    /// The companion this session's page talks to, when the harness runs it (not for
    /// the full-stack app, whose server is its own; see [`fullstack`]).
    backend: Option<Arc<tokio::sync::Mutex<Backend>>>,
    /// For the full-stack app: what reached its server, and what it logged.
    fullstack: Option<fullstack::Observed>,
}

/// The companion, and what it takes to start it again on the same address.
struct Backend {
    server: Option<RunningServer>,
    static_dir: PathBuf,
    listen: String,
    sandbox_listen: String,
    /// More `moments-par` flags, kept for restarts.
    extra_args: Vec<String>,
}

/// WebDriver's Set Permission for the Storage Access API, in the current browsing
/// context: what a person's "Allow" in the browser's prompt gives.
#[derive(Debug)]
struct GrantStorageAccess;

impl fantoccini::wd::WebDriverCompatibleCommand for GrantStorageAccess {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/permissions",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        let body = serde_json::json!({
            "descriptor": { "name": "storage-access" },
            "state": "granted",
        });
        (http::Method::POST, Some(body.to_string()))
    }
}

impl Session {
    /// Grants the frame the browser is in now storage access, as a person accepting the
    /// browser's prompt would: in Chromium through WebDriver's Set Permission; Firefox's
    /// prompt is answered by the preferences of [`Engine::third_party_cookies_blocked`].
    pub async fn grant_storage_access(&self) {
        if self.engine == Engine::Chromium {
            self.browser
                .issue_cmd(GrantStorageAccess)
                .await
                .expect("WebDriver sets the storage-access permission");
        }
    }

    /// The sandbox's counters: what "Infobip" saw.
    pub async fn sandbox_stats(&self) -> Stats {
        let stats: Value = reqwest::get(format!("{}/__sandbox/stats", self.sandbox_url))
            .await
            .expect("sandbox stats")
            .json()
            .await
            .expect("stats JSON");
        serde_json::from_value(stats).expect("stats shape")
    }

    /// Calls the sandbox's admin API: `POST {sandbox}{path}` with `body`; its JSON answer.
    pub async fn sandbox_admin(&self, path: &str, body: Value) -> Value {
        let answer = reqwest::Client::new()
            .post(format!("{}{path}", self.sandbox_url))
            .json(&body)
            .send()
            .await
            .unwrap_or_else(|e| panic!("sandbox {path}: {e}"));
        let status = answer.status();
        let text = answer.text().await.unwrap_or_default();
        assert!(
            status.is_success(),
            "sandbox {path} answered {status}: {text}"
        );
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    /// Stops the companion (the page stays loaded): "the backend is down".
    pub async fn stop_backend(&self) {
        let backend = self
            .backend
            .as_ref()
            .expect("a companion run by the harness");
        let server = backend.lock().await.server.take();
        if let Some(server) = server {
            server.shutdown().await;
        }
    }

    /// Starts the companion again on the same addresses: "the backend is back".
    pub async fn start_backend(&self) {
        let backend = self
            .backend
            .as_ref()
            .expect("a companion run by the harness");
        let mut backend = backend.lock().await;
        if backend.server.is_none() {
            let server = start_stack(
                &backend.static_dir,
                &backend.listen,
                &backend.sandbox_listen,
                &backend.extra_args,
            )
            .await;
            backend.server = Some(server);
        }
    }

    /// The component frame's CSS height in pixels (its inline style, or its slot's for a
    /// kept frame, whose height is the slot's), if there is a frame.
    pub async fn frame_height(&self) -> Option<f64> {
        let height = self
            .browser
            .execute(
                "const f = document.querySelector('iframe.moments-embed__frame:not([inert])'); \
                 if (!f) return null; \
                 const kept = f.classList.contains('moments-embed__frame--kept'); \
                 const slot = document.querySelector('.moments-embed__slot'); \
                 return parseFloat((kept ? slot : f).style.height);",
                vec![],
            )
            .await
            .expect("script runs");
        height.as_f64()
    }

    /// The component frame's `src`, if there is a frame with one.
    pub async fn frame_src(&self) -> Option<String> {
        let src = self
            .browser
            .execute(
                "const f = document.querySelector('iframe.moments-embed__frame:not([inert])'); \
                 return f ? f.getAttribute('src') : null;",
                vec![],
            )
            .await
            .expect("script runs");
        src.as_str().map(str::to_owned)
    }

    /// Clicks the demo's "Reload the component" (the component's `reload()`).
    pub async fn reload_component(&self) {
        self.browser
            .find(Locator::Css(".fault--primary"))
            .await
            .expect("the demo's reload button")
            .click()
            .await
            .expect("it can be clicked");
    }

    /// Waits up to 10 s for the component's frame to have a `src` other than `previous`,
    /// and returns it.
    pub async fn next_frame_src(&self, previous: &str) -> String {
        for _ in 0..100 {
            let src = self.frame_src().await.unwrap_or_default();
            if !src.is_empty() && src != previous {
                return src;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("no new frame within 10 s (still {previous})");
    }

    /// Remembers the component's live frame's window in the page, as `window[name]`.
    pub async fn remember_frame_window(&self, name: &str) {
        let code = format!(
            "window[{name:?}] = document.querySelector({LIVE_FRAME:?}).contentWindow; \
             return true;"
        );
        let done = self.browser.execute(&code, vec![]).await;
        assert_eq!(done.expect("script runs"), Value::Bool(true));
    }

    /// Whether the live frame's window is the one remembered as `name`: the same
    /// browsing context, never reloaded or removed.
    pub async fn same_frame_window(&self, name: &str) -> bool {
        let code = format!(
            "const f = document.querySelector({LIVE_FRAME:?}); \
             return !!f && f.contentWindow === window[{name:?}];"
        );
        let same = self.browser.execute(&code, vec![]).await;
        same.expect("script runs") == Value::Bool(true)
    }

    /// Switches the WebDriver session into the component's frame (leave it with
    /// `browser.enter_parent_frame()`).
    pub async fn enter_frame(&self) {
        let frame = self
            .browser
            .find(Locator::Css(LIVE_FRAME))
            .await
            .expect("the component's frame");
        frame.enter_frame().await.expect("the frame can be entered");
    }

    /// The heading of the page inside the component's frame, waited for up to 10 s,
    /// read from inside the frame and back out.
    pub async fn wizard_heading(&self) -> String {
        self.enter_frame().await;
        let heading = self
            .browser
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css("main h1"))
            .await
            .expect("the wizard's heading in the frame");
        let text = heading.text().await.expect("the heading's text");
        self.browser
            .enter_parent_frame()
            .await
            .expect("back out of the frame");
        text
    }

    /// The text of the demo's event log (`.log`): every state and event the host saw.
    pub async fn event_log(&self) -> String {
        self.browser
            .find(Locator::Css(".log"))
            .await
            .expect("the demo's event log")
            .text()
            .await
            .expect("the log's text")
    }

    /// Waits up to `limit` for the component's error view, and reads it in one script:
    /// its kind (`data-error`) and whether it announces an automatic retry. One script,
    /// not a find and then a read: while the component retries by itself, the view is
    /// replaced every attempt, and an element found a moment ago may be gone.
    pub async fn wait_for_error_view(&self, limit: Duration) -> (String, bool) {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let view = self
                .browser
                .execute(
                    "const e = document.querySelector('.moments-embed__error'); \
                     return e ? [e.getAttribute('data-error'), \
                                 !!e.querySelector('.moments-embed__next')] : null;",
                    vec![],
                )
                .await
                .expect("script runs");
            if let (Some(kind), Some(next)) = (view[0].as_str(), view[1].as_bool()) {
                return (kind.to_owned(), next);
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "no error view within {limit:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Runs axe-core (installed by `scripts/setup`) on the elements matching
    /// `selector`, and returns its *serious* and *critical* violations, one line each:
    /// `rule (impact): help, at <targets>`. An empty list is a pass.
    ///
    /// The auditor is passed as the WebDriver script itself, not `eval`ed, so the page's
    /// CSP (no `'unsafe-eval'`) does not stop it.
    pub async fn accessibility_violations(&self, selector: &str) -> Vec<String> {
        let script = format!(
            "{}\n;const done = arguments[arguments.length - 1];\n\
             window.axe.run({{ include: [arguments[0]] }}, {{ resultTypes: ['violations'] }})\n\
               .then((r) => done(JSON.stringify(r.violations\n\
                 .filter((v) => v.impact === 'serious' || v.impact === 'critical')\n\
                 .map((v) => `${{v.id}} (${{v.impact}}): ${{v.help}}, at ${{v.nodes.map((n) => n.target.join(' ')).join('; ')}}`))))\n\
               .catch((e) => done(JSON.stringify(['axe failed: ' + e])));",
            axe_source()
        );
        let answer = self
            .browser
            .execute_async(&script, vec![Value::from(selector)])
            .await
            .expect("axe runs in the page");
        let text = answer.as_str().expect("axe answers JSON text");
        serde_json::from_str(text).expect("a JSON list of violations")
    }

    /// Saves a PNG of the viewport as `target/screenshots/<name>-<engine>.png`, to look
    /// at by eye.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let png = self.browser.screenshot().await.expect("a screenshot");
        let dir = target_dir().join("screenshots");
        std::fs::create_dir_all(&dir).expect("screenshots directory");
        let path = dir.join(format!("{name}-{}.png", self.engine.slug()));
        std::fs::write(&path, png).expect("screenshot written");
        path
    }

    /// Waits for the component's root to reach `state` (its `data-state`).
    pub async fn wait_for_state(&self, state: &str, limit: Duration) {
        let selector = format!(".moments-embed[data-state=\"{state}\"]");
        self.browser
            .wait()
            .at_most(limit)
            .for_element(Locator::Css(&selector))
            .await
            .unwrap_or_else(|e| panic!("component never reached `{state}`: {e}"));
    }
}

/// A site the companion serves: a trunk app built for release.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Site {
    /// The demo host app (`demo/`, built from the root's `index.html`: `make dist`).
    Demo,
    /// The newcomer app (`examples/csr-app/`): a default `<MomentsEmbed/>` and nothing
    /// else of ours, as the README's quickstart makes it.
    CsrApp,
}

impl Site {
    /// Where its release build is (`<dir>/dist`, `dir` holding its `Trunk.toml`). Fails
    /// with the command that builds it.
    pub fn dist(self) -> PathBuf {
        let krate = match self {
            Self::Demo => ".",
            Self::CsrApp => "examples/csr-app",
        };
        let dist = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join(krate)
            .join("dist");
        assert!(
            dist.join("index.html").is_file(),
            "no build at {}: run `trunk build --release` in {krate}/ (make test does)",
            dist.display()
        );
        dist
    }
}

/// A browser engine the tests run in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    /// Debian's Chromium, through its chromedriver.
    Chromium,
    /// Debian's Firefox ESR, through geckodriver (from crates.io).
    Firefox,
}

impl Engine {
    /// Its name in test output.
    pub fn name(self) -> &'static str {
        match self {
            Self::Chromium => "Chromium",
            Self::Firefox => "Firefox",
        }
    }

    /// Its name in file names and test names: `chromium`, `firefox`.
    pub fn slug(self) -> &'static str {
        match self {
            Self::Chromium => "chromium",
            Self::Firefox => "firefox",
        }
    }

    /// The preferences (for [`run_with_prefs`]) under which this engine withholds a
    /// frame's cookies from another site until the frame asks with the Storage Access
    /// API, and lets it ask:
    /// - Chromium: third-party cookies blocked (the person's "Allow" is
    ///   [`Session::grant_storage_access`]);
    /// - Firefox: `cookieBehavior` 4 with `localhost` on the test tracking list (its
    ///   default, total cookie protection, partitions the cookie instead, and the frame
    ///   works without asking), and its prompt answered "allow".
    pub fn third_party_cookies_blocked(self) -> Value {
        match self {
            Self::Chromium => serde_json::json!({ "profile.block_third_party_cookies": true }),
            Self::Firefox => serde_json::json!({
                "network.cookie.cookieBehavior": 4,
                "urlclassifier.trackingTable.testEntries": FRAME_HOST,
                "urlclassifier.trackingAnnotationTable.testEntries": FRAME_HOST,
                "privacy.trackingprotection.annotate_channels": true,
                "dom.storage_access.prompt.testing": true,
                "dom.storage_access.prompt.testing.allow": true,
            }),
        }
    }
}

/// The companion (with its sandbox) serving `static_dir`, a WebDriver server, and a
/// browser session: everything a test or benchmark drives.
pub struct Harness {
    driver: Driver,
    /// What a test gets to work with.
    pub session: Session,
}

impl Harness {
    /// Starts the stack serving `static_dir`, and a Chromium.
    pub async fn start(static_dir: &Path) -> Self {
        Self::start_with(Engine::Chromium, static_dir, &[]).await
    }

    /// As [`Harness::start`], in `engine`, with more `moments-par` flags (e.g.
    /// `--rate-limit off` for a benchmark, whose page loads would otherwise hit the
    /// per-client limit).
    pub async fn start_with(engine: Engine, static_dir: &Path, extra_args: &[&str]) -> Self {
        Self::start_in(engine, static_dir, extra_args, &Value::Null).await
    }

    /// As [`Harness::start_with`], the browser started with `prefs` (Chromium's
    /// `goog:chromeOptions.prefs`, or Firefox's `moz:firefoxOptions.prefs`, for the
    /// engine at hand), e.g. to block third-party cookies.
    pub async fn start_in(
        engine: Engine,
        static_dir: &Path,
        extra_args: &[&str],
        prefs: &Value,
    ) -> Self {
        let extra_args: Vec<String> = extra_args.iter().map(|&a| a.to_owned()).collect();
        // Fixed free ports rather than port 0, so a test can stop the companion and start
        // it again on the same address (the loaded page keeps pointing at it).
        let listen = format!("127.0.0.1:{}", free_port());
        let sandbox_listen = format!("127.0.0.1:{}", free_port());
        let server = start_stack(static_dir, &listen, &sandbox_listen, &extra_args).await;
        let driver = Driver::start(engine).await;
        let browser = driver
            .connect_with(driver::with_prefs(capabilities(engine), engine, prefs))
            .await;
        let sandbox = server.sandbox().expect("started with --sandbox");
        let session = Session {
            browser,
            engine,
            url: server.url().to_owned(),
            sandbox_url: sandbox.base_url().to_owned(),
            frame_url: frame_url(sandbox.base_url()),
            api_key: sandbox.sandbox().config().api_key.clone(),
            fullstack: None,
            backend: Some(Arc::new(tokio::sync::Mutex::new(Backend {
                server: Some(server),
                static_dir: static_dir.to_owned(),
                listen,
                sandbox_listen,
                extra_args,
            }))),
        };
        Self { driver, session }
    }

    /// Closes the browser session, ends the browser and its driver by PID, stops the stack.
    pub async fn stop(mut self) {
        let browsers = self.driver.descendants();
        let _ = self.session.browser.clone().close().await;
        self.driver.stop(&browsers).await;
        self.session.stop_backend().await;
    }
}

/// Starts the stack (serving the built demo) and a browser, runs `test`, and tears
/// everything down, even when the test panics or times out.
pub async fn run<F, Fut>(test: F)
where
    F: FnOnce(Session) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    run_in(Engine::Chromium, Site::Demo, test).await;
}

/// As [`run`], serving `site` in `engine`.
pub async fn run_in<F, Fut>(engine: Engine, site: Site, test: F)
where
    F: FnOnce(Session) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    run_with_prefs(engine, site, &Value::Null, test).await;
}

/// As [`run_in`], the browser started with `prefs` (see [`Harness::start_in`]).
// Holding a std lock across the test is the point: each #[tokio::test] has its own
// thread and runtime, so waiting on the lock serialises tests without deadlock.
#[allow(clippy::await_holding_lock)]
pub async fn run_with_prefs<F, Fut>(engine: Engine, site: Site, prefs: &Value, test: F)
where
    F: FnOnce(Session) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let _one_at_a_time = one_browser_of(engine);
    let harness = Harness::start_in(engine, &site.dist(), &[], prefs).await;
    let outcome =
        tokio::time::timeout(TEST_LIMIT, tokio::spawn(test(harness.session.clone()))).await;
    harness.stop().await;
    match outcome {
        Err(_) => panic!("the test did not finish within {TEST_LIMIT:?}"),
        Ok(Err(join)) if join.is_panic() => std::panic::resume_unwind(join.into_panic()),
        Ok(Err(join)) => panic!("the test was cancelled: {join}"),
        Ok(Ok(())) => {}
    }
}

/// Waits until no other test of this process drives a browser of `engine`, and keeps it
/// so until the guard is dropped. One browser per engine at a time: a Chromium and a
/// Firefox journey run side by side (each mostly waits on timers and the network), but
/// two pages of one engine would compete for the same work at the same moments.
pub(crate) fn one_browser_of(engine: Engine) -> std::sync::MutexGuard<'static, ()> {
    static CHROMIUM: Mutex<()> = Mutex::new(());
    static FIREFOX: Mutex<()> = Mutex::new(());
    match engine {
        Engine::Chromium => &CHROMIUM,
        Engine::Firefox => &FIREFOX,
    }
    .lock()
    .unwrap_or_else(PoisonError::into_inner)
}

/// Declares the journey `$name`, an `async fn $name(engine: Engine)`, as two tests:
/// `$name::chromium` and `$name::firefox` (so each engine's results are counted apart).
#[macro_export]
macro_rules! in_both_engines {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn chromium() {
                super::$name($crate::Engine::Chromium).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn firefox() {
                super::$name($crate::Engine::Firefox).await;
            }
        }
    };
}

/// The host the frame is served from: the sandbox's address under another name, so
/// the frame is on another site than the page (`127.0.0.1`).
pub const FRAME_HOST: &str = "localhost";

/// `sandbox_url` (`http://127.0.0.1:<port>`) as the frame's URL: the same server on
/// [`FRAME_HOST`].
pub fn frame_url(sandbox_url: &str) -> String {
    sandbox_url.replacen("127.0.0.1", FRAME_HOST, 1)
}

/// The workspace's target directory (`CARGO_TARGET_DIR`, else `<workspace>/target`).
fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"),
        PathBuf::from,
    )
}

/// axe-core's browser build, installed by `scripts/setup` into `.tools/axe`.
fn axe_source() -> &'static str {
    static SOURCE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    SOURCE.get_or_init(|| {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../.tools/axe/node_modules/axe-core/axe.min.js");
        std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{}: {e} (run scripts/setup)", path.display()))
    })
}

async fn start_stack(
    static_dir: &Path,
    listen: &str,
    sandbox_listen: &str,
    extra_args: &[String],
) -> RunningServer {
    let args = [
        "moments-par",
        "--sandbox",
        "--listen",
        listen,
        "--sandbox-listen",
        sandbox_listen,
        "--sandbox-frame-host",
        FRAME_HOST,
        "--static-dir",
        static_dir.to_str().expect("UTF-8 path"),
    ];
    let cli = Cli::try_parse_from(
        args.into_iter()
            .chain(extra_args.iter().map(String::as_str)),
    )
    .expect("CLI arguments");
    start(&cli).await.expect("the stack starts")
}
