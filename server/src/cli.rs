//! The `moments-par` binary's options and start-up, as a library so tests start exactly
//! what the binary starts.

use crate::config::{Config, ConfigError, Embeddings};
use crate::par_client::{EmbeddingId, ParClientConfig, RetryPolicy};
use crate::tenant::{EmbeddingAccess, SingleTenant, Tenant};
use axum::Router;
use clap::Parser;
use secrecy::SecretString;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tower_http::services::{ServeDir, ServeFile};
use url::Url;

/// Mints single-use Infobip Embeddable Moments request URIs for the moments-embed
/// component. Every flag can also be set by the environment variable shown.
#[derive(Clone, Debug, Parser)]
#[command(name = "moments-par", version, about, long_about = None)]
pub struct Cli {
    /// Address to listen on. Port 0 picks a free port.
    #[arg(long, env = "MOMENTS_LISTEN", default_value = "127.0.0.1:8787")]
    pub listen: SocketAddr,

    /// Your Infobip account's personal base URL.
    #[arg(
        long,
        env = "INFOBIP_BASE_URL",
        default_value = "https://api.infobip.com"
    )]
    pub infobip_base_url: Url,

    /// Infobip API key with account-management:manage, flow:manage, flow:read, flow:use.
    /// Prefer the environment variable: command lines are visible to other users.
    #[arg(long, env = "INFOBIP_API_KEY", hide_env_values = true)]
    pub infobip_api_key: Option<String>,

    /// The Embeddable Moments embedding id to open (from your Infobip account manager).
    #[arg(long, env = "MOMENTS_EMBEDDING_ID")]
    pub embedding_id: Option<String>,

    /// Where the Moments frame lives.
    #[arg(
        long,
        env = "MOMENTS_IFRAME_BASE_URL",
        default_value = "https://embeddings.infobip.com"
    )]
    pub iframe_base_url: Url,

    /// X application id every session is minted for (the "with X" case).
    #[arg(long, env = "MOMENTS_APPLICATION_ID")]
    pub application_id: Option<String>,

    /// X entity id every session is minted for (the "with X" case).
    #[arg(long, env = "MOMENTS_ENTITY_ID")]
    pub entity_id: Option<String>,

    /// Path of the session endpoint.
    #[arg(long, env = "MOMENTS_SESSION_PATH", default_value = moments_protocol::DEFAULT_ENDPOINT)]
    pub session_path: String,

    /// Also serve this directory (the built demo, `dist/`) at `/`.
    #[arg(long, env = "MOMENTS_STATIC_DIR")]
    pub static_dir: Option<PathBuf>,

    /// Start the local Infobip simulator and use it instead of Infobip. For demos and
    /// tests only: no key needed, nothing leaves this machine.
    #[cfg(feature = "sandbox")]
    #[arg(long)]
    pub sandbox: bool,

    /// Where the simulator listens (with --sandbox). Port 0 picks a free port.
    #[cfg(feature = "sandbox")]
    #[arg(long, env = "MOMENTS_SANDBOX_LISTEN", default_value = "127.0.0.1:8788")]
    pub sandbox_listen: SocketAddr,
}

impl Cli {
    #[cfg(feature = "sandbox")]
    fn sandboxed(&self) -> bool {
        self.sandbox
    }

    #[cfg(not(feature = "sandbox"))]
    fn sandboxed(&self) -> bool {
        false
    }

    /// The endpoint configuration these options describe, pointed at `upstream` when
    /// the sandbox replaces Infobip.
    fn config(&self, upstream: Option<(Url, SecretString, String)>) -> Result<Config, ConfigError> {
        let (base_url, api_key, iframe_base_url, embedding) = match upstream {
            Some((url, key, embedding)) => (url.clone(), key, url, Some(embedding)),
            None => {
                let key = self
                    .infobip_api_key
                    .clone()
                    .filter(|k| !k.trim().is_empty())
                    .ok_or_else(|| {
                        ConfigError::new(
                            "no Infobip API key: set INFOBIP_API_KEY (a key with the scopes account-management:manage, flow:manage, flow:read, flow:use), or run with --sandbox to use the local simulator",
                        )
                    })?;
                (
                    self.infobip_base_url.clone(),
                    SecretString::from(key),
                    self.iframe_base_url.clone(),
                    self.embedding_id.clone(),
                )
            }
        };
        let embedding = embedding.ok_or_else(|| {
            ConfigError::new(
                "no embedding id: set MOMENTS_EMBEDDING_ID (your Infobip account manager gives it to you)",
            )
        })?;
        let embedding = EmbeddingId::parse(&embedding)
            .ok_or_else(|| ConfigError::new("MOMENTS_EMBEDDING_ID is empty"))?;
        let par = ParClientConfig {
            base_url,
            api_key,
            iframe_base_url,
            connect_timeout: Duration::from_secs(2),
            request_timeout: Duration::from_secs(8),
            retry: RetryPolicy::default(),
        };
        let tenant = Tenant {
            key: "account".to_owned(),
            application_id: self.application_id.clone(),
            entity_id: self.entity_id.clone(),
            embeddings: EmbeddingAccess::All,
        };
        let mut config =
            Config::new(par, Embeddings::single(embedding)).with_tenants(SingleTenant(tenant));
        config.session_path.clone_from(&self.session_path);
        config.validate()?;
        Ok(config)
    }
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The options do not make a working configuration.
    #[error("configuration: {0}")]
    Config(#[from] ConfigError),
    /// A socket could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// `--static-dir` is not a directory with an `index.html`.
    #[error(
        "--static-dir {0}: no index.html there (build the demo first: `trunk build --release`)"
    )]
    StaticDir(PathBuf),
}

/// A running server (and its sandbox, with `--sandbox`).
#[derive(Debug)]
pub struct RunningServer {
    url: String,
    #[cfg(feature = "sandbox")]
    sandbox: Option<moments_sandbox::RunningSandbox>,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl RunningServer {
    /// `http://<addr>`, where the endpoint (and the static files) are served.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The simulator, when started with `--sandbox`.
    #[cfg(feature = "sandbox")]
    pub fn sandbox(&self) -> Option<&moments_sandbox::RunningSandbox> {
        self.sandbox.as_ref()
    }

    /// Stops accepting connections, lets requests in flight finish, and returns when
    /// the server (and its sandbox) have stopped.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = (&mut self.task).await;
        #[cfg(feature = "sandbox")]
        if let Some(sandbox) = self.sandbox.take() {
            sandbox.shutdown().await;
        }
    }
}

/// Starts what `cli` describes: the sandbox if asked, the endpoint, the static files.
pub async fn start(cli: &Cli) -> Result<RunningServer, StartError> {
    #[cfg(feature = "sandbox")]
    let mut sandbox = None;
    let upstream = if cli.sandboxed() {
        #[cfg(feature = "sandbox")]
        {
            let (running, upstream) = start_sandbox(cli.sandbox_listen).await?;
            sandbox = Some(running);
            Some(upstream)
        }
        #[cfg(not(feature = "sandbox"))]
        None
    } else {
        None
    };
    let config = cli.config(upstream)?;
    let mut app: Router = crate::router(config)?;
    // The demo's fault panel drives the sandbox from the companion's origin.
    #[cfg(feature = "sandbox")]
    if let Some(running) = &sandbox {
        app = app.merge(running.sandbox().admin_router());
    }
    if let Some(dir) = &cli.static_dir {
        let index = dir.join("index.html");
        if !index.is_file() {
            return Err(StartError::StaticDir(dir.clone()));
        }
        app = app.fallback_service(ServeDir::new(dir).fallback(ServeFile::new(index)));
    }
    let listener = TcpListener::bind(cli.listen)
        .await
        .map_err(|source| StartError::Listen {
            addr: cli.listen,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| StartError::Listen {
        addr: cli.listen,
        source,
    })?;
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await;
        if let Err(error) = served {
            tracing::error!(%error, "server stopped with an error");
        }
    });
    Ok(RunningServer {
        url: format!("http://{addr}"),
        #[cfg(feature = "sandbox")]
        sandbox,
        stop: Some(stop),
        task,
    })
}

#[cfg(feature = "sandbox")]
async fn start_sandbox(
    listen: SocketAddr,
) -> Result<(moments_sandbox::RunningSandbox, (Url, SecretString, String)), StartError> {
    use moments_sandbox::{DEFAULT_EMBEDDING_ID, Sandbox, SandboxConfig};
    use rand::RngCore;

    // A fresh key each run: tests can then prove this exact key never reaches a browser.
    let mut bytes = [0_u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    let key: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let config = SandboxConfig {
        api_key: key.clone(),
        ..SandboxConfig::default()
    };
    let running = Sandbox::new(config)
        .bind(listen)
        .await
        .map_err(|source| StartError::Listen {
            addr: listen,
            source,
        })?;
    let url = Url::parse(running.base_url())
        .map_err(|e| ConfigError::new(format!("sandbox URL: {e}")))?;
    Ok((
        running,
        (
            url,
            SecretString::from(key),
            DEFAULT_EMBEDDING_ID.to_owned(),
        ),
    ))
}
