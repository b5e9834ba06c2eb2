//! A fault-injecting stand-in for Infobip's PAR endpoint on 127.0.0.1, counting the
//! calls it gets and the TCP connections it accepts. Shared by the tests and the
//! benchmark (`examples/bench_stub.rs`), so both measure against the same thing.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::serve::ListenerExt;
use http_body_util::channel::Channel;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// How the stub answers one call.
#[derive(Clone, Debug)]
pub enum Reply {
    /// `201 {"request_uri":"urn:…:stub-<n>","expires_in":60}`.
    Grant,
    /// `201 {"request_uri":…}` without `expires_in`.
    GrantWithoutExpiry,
    /// This status and body (JSON).
    Status(u16, &'static str),
    /// `429`, with this `Retry-After` if any.
    TooMany(Option<&'static str>),
    /// Waits this long, then grants (a timeout, for a short enough client timeout).
    Hang(Duration),
    /// `201` headers at once, half the body, a pause this long, the rest.
    SlowBody(Duration),
    /// This status with the request's `Authorization` header echoed in the error text,
    /// as a careless proxy might: the companion must not pass it on.
    EchoKey(u16),
}

struct Shared {
    calls: AtomicUsize,
    /// Requests to the host itself (`HEAD /`): what a readiness probe sends.
    probes: AtomicUsize,
    connections: AtomicUsize,
    default: Mutex<Reply>,
    script: Mutex<VecDeque<Reply>>,
    last: Mutex<Option<(HeaderMap, Bytes)>>,
}

/// A running stub.
pub struct Stub {
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl Stub {
    /// Serves on a free port, answering `default` unless a scripted reply is queued.
    pub async fn start(default: Reply) -> Self {
        Self::bind("127.0.0.1:0", default).await
    }

    /// Serves on `addr`.
    pub async fn bind(addr: &str, default: Reply) -> Self {
        let shared = Arc::new(Shared {
            calls: AtomicUsize::new(0),
            probes: AtomicUsize::new(0),
            connections: AtomicUsize::new(0),
            default: Mutex::new(default),
            script: Mutex::new(VecDeque::new()),
            last: Mutex::new(None),
        });
        let listener = TcpListener::bind(addr).await.expect("bind the stub");
        let url = format!("http://{}", listener.local_addr().unwrap());
        let counted = Arc::clone(&shared);
        let listener = listener.tap_io(move |_| {
            counted.connections.fetch_add(1, Ordering::Relaxed);
        });
        let app = Router::new()
            .route("/embeddable/1/auth/par", post(par))
            .route("/__stub/stats", get(stats))
            .route("/", get(probe))
            .with_state(Arc::clone(&shared));
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
        });
        Self {
            url,
            shared,
            stop: Some(stop),
            task,
        }
    }

    /// Queues replies for the next calls, in order; then the default again.
    pub fn then(&self, replies: impl IntoIterator<Item = Reply>) {
        self.shared.script.lock().unwrap().extend(replies);
    }

    /// PAR calls received so far.
    pub fn calls(&self) -> usize {
        self.shared.calls.load(Ordering::SeqCst)
    }

    /// Requests to `/` (a readiness probe's `HEAD /`) received so far.
    pub fn probes(&self) -> usize {
        self.shared.probes.load(Ordering::SeqCst)
    }

    /// TCP connections accepted so far.
    pub fn connections(&self) -> usize {
        self.shared.connections.load(Ordering::SeqCst)
    }

    /// Headers and body of the last PAR call.
    pub fn last_request(&self) -> Option<(HeaderMap, Bytes)> {
        self.shared.last.lock().unwrap().clone()
    }

    /// Stops serving and waits for the server task (connections in flight finish).
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = tokio::time::timeout(Duration::from_secs(5), &mut self.task).await;
        self.task.abort();
    }
}

async fn par(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    let n = shared.calls.fetch_add(1, Ordering::SeqCst) + 1;
    let reply = shared
        .script
        .lock()
        .unwrap()
        .pop_front()
        .unwrap_or_else(|| shared.default.lock().unwrap().clone());
    let key = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    *shared.last.lock().unwrap() = Some((headers, body));
    let grant = format!(
        r#"{{"request_uri":"urn:ietf:params:oauth:request_uri:stub-{n}","expires_in":60}}"#
    );
    let json = [(header::CONTENT_TYPE, "application/json")];
    match reply {
        Reply::Grant => (StatusCode::CREATED, json, grant).into_response(),
        Reply::GrantWithoutExpiry => (
            StatusCode::CREATED,
            json,
            format!(r#"{{"request_uri":"urn:ietf:params:oauth:request_uri:stub-{n}"}}"#),
        )
            .into_response(),
        Reply::Status(status, body) => (status_of(status), json, body).into_response(),
        Reply::TooMany(retry_after) => {
            let body = r#"{"errorCode":"E429","description":"Too many requests"}"#;
            let mut response = (StatusCode::TOO_MANY_REQUESTS, json, body).into_response();
            if let Some(after) = retry_after {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, after.parse().unwrap());
            }
            response
        }
        Reply::Hang(pause) => {
            tokio::time::sleep(pause).await;
            (StatusCode::CREATED, json, grant).into_response()
        }
        Reply::SlowBody(pause) => {
            let (mut sender, body) = Channel::<Bytes>::new(1);
            tokio::spawn(async move {
                let (first, rest) = grant.split_at(grant.len() / 2);
                let _ = sender.send_data(Bytes::from(first.to_owned())).await;
                tokio::time::sleep(pause).await;
                let _ = sender.send_data(Bytes::from(rest.to_owned())).await;
            });
            (StatusCode::CREATED, json, Body::new(body)).into_response()
        }
        Reply::EchoKey(status) => {
            let body = serde_json::json!({
                "requestError": { "serviceException": {
                    "messageId": "UNAUTHORIZED",
                    "text": format!("Invalid login details for header {key}"),
                }}
            });
            (status_of(status), json, body.to_string()).into_response()
        }
    }
}

/// The host's root, which answers any status: a probe only asks whether HTTP answers.
async fn probe(State(shared): State<Arc<Shared>>) -> StatusCode {
    shared.probes.fetch_add(1, Ordering::SeqCst);
    StatusCode::NOT_FOUND
}

async fn stats(State(shared): State<Arc<Shared>>) -> Response {
    let body = serde_json::json!({
        "calls": shared.calls.load(Ordering::SeqCst),
        "connections": shared.connections.load(Ordering::SeqCst),
    });
    (
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

fn status_of(code: u16) -> StatusCode {
    StatusCode::from_u16(code).unwrap()
}
