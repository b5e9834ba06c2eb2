//! The sandbox's own accept loop, instead of `axum::serve`, for two faults a normal
//! server cannot produce:
//!
//! - `close`: a handler marks its response with [`CloseConnection`]; the service then
//!   fails instead of answering, and hyper drops the connection without writing a byte,
//!   which is what a client sees when a load balancer or Infobip's edge resets it;
//! - `hang`: a handler never answers; at shutdown its connection is aborted rather than
//!   waited for, so a hung test request cannot keep the sandbox alive.

use axum::Router;
use axum::body::Body;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use std::fmt;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinSet;
use tower::ServiceExt;

/// How long open connections get to finish once the sandbox stops accepting.
const GRACE: Duration = Duration::from_secs(1);

/// Put in a response's extensions to close the connection instead of sending it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct CloseConnection;

impl fmt::Display for CloseConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the sandbox closed the connection on purpose (fault: close)")
    }
}

impl std::error::Error for CloseConnection {}

/// Serves `app` on `listener` until `stop` fires; then gives open connections a second
/// and aborts the rest.
pub(crate) async fn serve(listener: TcpListener, app: Router, mut stop: oneshot::Receiver<()>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = &mut stop => break,
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let _ = stream.set_nodelay(true);
                let app = app.clone();
                connections.spawn(async move {
                    let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
                        let app = app.clone();
                        async move {
                            let response = match app.oneshot(request.map(Body::new)).await {
                                Ok(response) => response,
                                Err(never) => match never {},
                            };
                            if response.extensions().get::<CloseConnection>().is_some() {
                                Err(CloseConnection)
                            } else {
                                Ok::<_, CloseConnection>(response)
                            }
                        }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
            // Reap finished connections as we go, so the set stays small.
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    let _ = tokio::time::timeout(GRACE, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    connections.abort_all();
}
