//! The WebDriver server a test drives its browser through (chromedriver or geckodriver),
//! on a free port, with the capabilities both engines share; and what it leaves behind is
//! ended by PID.

use crate::Engine;
use fantoccini::{Client, ClientBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;
use tokio::process::{Child, Command};

/// A WebDriver server of our own (chromedriver or geckodriver), on a free port.
pub(crate) struct Driver {
    engine: Engine,
    child: Child,
    port: u16,
}

/// When a panic skipped [`Driver::stop`], the browser's processes would outlive the
/// driver (which `kill_on_drop` ends): end them here, by PID. After `stop` there are
/// none left, and this does nothing.
impl Drop for Driver {
    fn drop(&mut self) {
        let left = self.descendants();
        if !left.is_empty() {
            let _ = std::process::Command::new("kill")
                .arg("-KILL")
                .args(left.iter().map(u32::to_string))
                .status();
        }
    }
}

impl Driver {
    pub(crate) async fn start(engine: Engine) -> Self {
        let (variable, default) = match engine {
            Engine::Chromium => ("CHROMEDRIVER", "/usr/bin/chromedriver"),
            Engine::Firefox => ("GECKODRIVER", "geckodriver"),
        };
        let binary = std::env::var(variable).unwrap_or_else(|_| default.into());
        let port = free_port();
        let mut command = Command::new(&binary);
        match engine {
            Engine::Chromium => command.arg(format!("--port={port}")),
            // Marionette on a port of its own choosing, so runs never collide on 2828.
            Engine::Firefox => command.args([
                "--host",
                "127.0.0.1",
                "--port",
                &port.to_string(),
                "--marionette-port",
                "0",
            ]),
        };
        let child = command
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {binary}: {e} (run scripts/setup)"));
        let driver = Self {
            engine,
            child,
            port,
        };
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return driver;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("{binary} did not listen on port {port} within 5 s");
    }

    pub(crate) async fn connect_with(&self, capabilities: Value) -> Client {
        let Value::Object(capabilities) = capabilities else {
            unreachable!("capabilities are a JSON object")
        };
        ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{}", self.port))
            .await
            .unwrap_or_else(|e| panic!("a {} WebDriver session: {e}", self.engine.name()))
    }

    /// Every process below the driver (the browser and its helpers), from `/proc`.
    pub(crate) fn descendants(&self) -> Vec<u32> {
        let mut found = Vec::new();
        let mut queue: Vec<u32> = self.child.id().into_iter().collect();
        while let Some(pid) = queue.pop() {
            let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
                continue;
            };
            for task in tasks.flatten() {
                let children =
                    std::fs::read_to_string(task.path().join("children")).unwrap_or_default();
                for child in children.split_whitespace().filter_map(|c| c.parse().ok()) {
                    found.push(child);
                    queue.push(child);
                }
            }
        }
        found
    }

    /// After the session is closed the browser exits by itself; give it 5 s, end
    /// whatever is left by PID, then end the driver by its PID and reap it.
    pub(crate) async fn stop(&mut self, browsers: &[u32]) {
        let alive = |pid: &u32| std::path::Path::new(&format!("/proc/{pid}")).exists();
        for _ in 0..100 {
            if !browsers.iter().any(alive) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        for pid in browsers.iter().filter(|p| alive(p)) {
            let _ = Command::new("kill")
                .arg("-KILL")
                .arg(pid.to_string())
                .status()
                .await;
        }
        let _ = self.child.kill().await;
    }
}

/// The session capabilities for `engine`: `webdriver.json`'s options for it,
/// plus headless mode (and, for Chromium as root, no sandbox).
pub(crate) fn capabilities(engine: Engine) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../webdriver.json");
    let file: Value = serde_json::from_str(
        &std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
    )
    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    match engine {
        Engine::Chromium => {
            let mut options = file["goog:chromeOptions"].clone();
            let args = options["args"].as_array_mut().expect("chrome args");
            for arg in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage"] {
                args.push(arg.into());
            }
            options["binary"] = std::env::var("CHROME_BINARY")
                .unwrap_or_else(|_| "/usr/bin/chromium".into())
                .into();
            json!({ "browserName": "chrome", "goog:chromeOptions": options })
        }
        Engine::Firefox => {
            let mut options = file["moz:firefoxOptions"].clone();
            options["args"]
                .as_array_mut()
                .expect("firefox args")
                .push("-headless".into());
            if let Ok(binary) = std::env::var("FIREFOX_BINARY") {
                options["binary"] = binary.into();
            }
            json!({ "browserName": "firefox", "moz:firefoxOptions": options })
        }
    }
}

/// `capabilities` for `engine` with `prefs` added to the browser's own preferences
/// (nothing added when `prefs` is not an object).
pub(crate) fn with_prefs(mut capabilities: Value, engine: Engine, prefs: &Value) -> Value {
    let Value::Object(prefs) = prefs else {
        return capabilities;
    };
    let options = match engine {
        Engine::Chromium => "goog:chromeOptions",
        Engine::Firefox => "moz:firefoxOptions",
    };
    let target = &mut capabilities[options]["prefs"];
    if !target.is_object() {
        *target = json!({});
    }
    for (name, value) in prefs {
        target[name] = value.clone();
    }
    capabilities
}

pub(crate) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}
