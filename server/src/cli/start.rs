//! Starting what the options describe: the sandbox if asked, the companion's router,
//! the static files, on a socket; and stopping it gracefully.

use super::options::Cli;
use crate::config_error::ConfigError;
use crate::service::SessionService;
use crate::settings::Upstream;
use axum::Router;
use axum::serve::ListenerExt;
use std::net::SocketAddr;
use std::path::PathBuf;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

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
    #[error("--static-dir {0}: no index.html there (build the app first: `trunk build --release`)")]
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
    let (sandbox, upstream) = if cli.sandbox {
        let (running, upstream) =
            start_sandbox(cli.sandbox_listen, &cli.sandbox_frame_host).await?;
        (Some(running), Some(upstream))
    } else {
        (None, None)
    };
    #[cfg(not(feature = "sandbox"))]
    let upstream: Option<Upstream> = None;

    let config = cli.companion.config(upstream)?;
    let service = SessionService::new(config)?;
    #[allow(unused_mut)] // without the sandbox feature nothing else is merged
    let mut extra = Router::new();
    // The demo's fault panel drives the sandbox from the companion's origin.
    #[cfg(feature = "sandbox")]
    if let Some(running) = &sandbox {
        extra = extra.merge(running.sandbox().admin_router());
    }
    if let Some(dir) = &cli.static_dir {
        if !dir.join("index.html").is_file() {
            return Err(StartError::StaticDir(dir.clone()));
        }
        let files = crate::static_files::router(dir, &service.frame_origins())
            .map_err(|_| StartError::StaticDir(dir.clone()))?;
        extra = extra.merge(files);
    }
    let app = crate::app::router(&service, extra);
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
    // Answers are small and written whole: never hold them back for Nagle.
    let listener = listener.tap_io(|tcp| {
        if let Err(error) = tcp.set_nodelay(true) {
            tracing::debug!(%error, "cannot set TCP_NODELAY");
        }
    });
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let served = axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
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

/// The Answers embedding `--sandbox` allows beside the default Moments one, when no
/// embedding is configured.
#[cfg(feature = "sandbox")]
pub const SANDBOX_ANSWERS_EMBEDDING: &str = "chatbot";

/// Starts the simulator on `listen`. Session requests go to it on 127.0.0.1; the frame
/// URLs it grants name `frame_host` on its port, which it serves under any host name:
/// Moments' frame at its root (`/authorize`), Answers' under `/answers`
/// (`/answers/authorize`). Unless embeddings are configured, the companion allows the
/// sandbox's Moments embedding as `default` and an Answers one as `chatbot`.
#[cfg(feature = "sandbox")]
async fn start_sandbox(
    listen: SocketAddr,
    frame_host: &str,
) -> Result<(moments_sandbox::RunningSandbox, Upstream), StartError> {
    use moments_sandbox::{ANSWERS_PATH, DEFAULT_EMBEDDING_ID, Sandbox, SandboxConfig};
    use secrecy::SecretString;
    use url::Url;

    // A fresh key each run: tests can then prove this exact key never reaches a browser.
    let key = format!("{:032x}", rand::random::<u128>());
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
    let base_url = Url::parse(running.base_url())
        .map_err(|e| ConfigError::new(format!("sandbox URL: {e}")))?;
    let mut iframe_base_url = base_url.clone();
    iframe_base_url.set_host(Some(frame_host)).map_err(|e| {
        ConfigError::new(format!(
            "--sandbox-frame-host `{frame_host}` is not a host name ({e}); e.g. localhost or 127.0.0.1"
        ))
    })?;
    let mut answers_iframe_base_url = iframe_base_url.clone();
    answers_iframe_base_url.set_path(ANSWERS_PATH);
    tracing::info!(
        par = %base_url,
        frame = %iframe_base_url,
        answers_frame = %answers_iframe_base_url,
        "the sandbox stands in for Infobip: PAR calls go to `par`, frames open at `frame` and `answers_frame` (--sandbox-frame-host)"
    );
    let upstream = Upstream {
        base_url,
        api_key: SecretString::from(key),
        iframe_base_url,
        answers_iframe_base_url,
        fallback_embedding: Some(DEFAULT_EMBEDDING_ID.to_owned()),
        fallback_answers: Some(SANDBOX_ANSWERS_EMBEDDING.to_owned()),
    };
    Ok((running, upstream))
}
