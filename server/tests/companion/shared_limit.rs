//! The rate limit in a real Redis (`redis-server` from Debian, started here on a free
//! loopback port and ended by its PID), shared by two companion replicas on two real
//! sockets: one client's budget across both, the store going away or hanging (stopped
//! with SIGSTOP, its socket still open) under each failure policy (no panic, no request
//! past the timeout), and the store coming back; and two `moments-par` processes whose
//! wall clocks disagree (libfaketime) sharing one limit.

use crate::stub::{Reply, Stub};
use crate::support::{bounded, config, fresh_key, metric};
use moments_par::{RateLimit, RateLimitStore, RedisStore, SessionService, StoreFailure};
use std::net::{SocketAddr, TcpListener};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::{Child, Command};
use tokio::task::JoinHandle;

/// A `redis-server` of this test's own: no persistence, loopback only.
struct Redis {
    child: Child,
    port: u16,
}

impl Redis {
    async fn start() -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap();
        Self::start_on(port).await
    }

    async fn start_on(port: u16) -> Self {
        let binary = std::env::var("REDIS_SERVER").unwrap_or_else(|_| "redis-server".into());
        let child = Command::new(&binary)
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {binary}: {e} (run scripts/setup)"));
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return Self { child, port };
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("redis-server did not listen on {port} within 5 s");
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Sends `signal` (`-STOP`, `-CONT`) to this server, by its PID.
    async fn signal(&self, signal: &str) {
        let pid = self.child.id().expect("running").to_string();
        let sent = Command::new("kill")
            .args([signal, &pid])
            .status()
            .await
            .unwrap();
        assert!(sent.success(), "kill {signal} {pid}");
    }

    /// Ends the server by its PID and waits for it.
    async fn stop(mut self) -> u16 {
        self.child.kill().await.unwrap();
        self.port
    }
}

/// A companion replica with the shared store, on its own socket (with `ConnectInfo`, as
/// the binary serves it), so every request is a client from 127.0.0.1.
fn replica(upstream: &str, store: RedisStore) -> (String, JoinHandle<()>) {
    let config = config(upstream, &fresh_key())
        .with_rate_limit(Some(RateLimit::per_minute(1).with_burst(5)))
        .with_rate_limit_store(RateLimitStore::Redis(store));
    let app = SessionService::new(config).unwrap().router::<()>();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let listener = tokio::net::TcpListener::from_std(listener).unwrap();
    let task = tokio::spawn(async move {
        let _ = axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await;
    });
    (url, task)
}

async fn ask(replica: &str) -> (u16, Option<String>, String) {
    let answer = reqwest::Client::new()
        .post(format!("{replica}/api/moments/session"))
        .header("content-type", "application/json")
        .header("sec-fetch-site", "same-origin")
        .body("{}")
        .send()
        .await
        .unwrap();
    let status = answer.status().as_u16();
    let retry_after = answer
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    (status, retry_after, answer.text().await.unwrap())
}

async fn get(url: &str) -> (u16, String) {
    let answer = reqwest::get(url).await.unwrap();
    (answer.status().as_u16(), answer.text().await.unwrap())
}

fn store(redis: &Redis, on_failure: StoreFailure) -> RedisStore {
    let mut store = RedisStore::new(redis.url());
    // Generous for a loaded 2-core machine; the policy is what is tested.
    store.timeout = Duration::from_millis(300);
    store.on_failure = on_failure;
    store
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_share_one_clients_budget() {
    bounded(async {
        let stub = Stub::start(Reply::Grant).await;
        let redis = Redis::start().await;
        let (a, task_a) = replica(&stub.url, store(&redis, StoreFailure::Open));
        let (b, task_b) = replica(&stub.url, store(&redis, StoreFailure::Open));
        let mut allowed = 0;
        for i in 0..12 {
            let (status, retry_after, text) = ask(if i % 2 == 0 { &a } else { &b }).await;
            match status {
                200 => allowed += 1,
                429 => assert!(
                    retry_after.is_some() && text.contains("rate_limited"),
                    "{retry_after:?} {text}"
                ),
                other => panic!("{other}: {text}"),
            }
        }
        assert_eq!(allowed, 5, "the burst, across both replicas together");
        assert_eq!(stub.calls(), 5);
        // One key for the one client, naming neither tenant nor address, expiring by
        // itself once the bucket is full again (5 requests at 1/min: 5 min from now).
        let client = redis::Client::open(redis.url()).unwrap();
        let mut connection = client.get_multiplexed_async_connection().await.unwrap();
        let keys: Vec<String> = redis::cmd("KEYS")
            .arg("*")
            .query_async(&mut connection)
            .await
            .unwrap();
        assert_eq!(keys.len(), 1, "{keys:?}");
        assert!(keys[0].starts_with("moments-par:rl:") && !keys[0].contains("127.0.0.1"));
        let ttl: i64 = redis::cmd("PTTL")
            .arg(&keys[0])
            .query_async(&mut connection)
            .await
            .unwrap();
        assert!(
            (240_000..=300_001).contains(&ttl),
            "the key expires when the bucket is full again: {ttl} ms"
        );
        for (_, metrics) in [
            get(&format!("{a}/metrics")).await,
            get(&format!("{b}/metrics")).await,
        ] {
            assert_eq!(
                metric(
                    &metrics,
                    "moments_par_rate_limit_store_failures_total{outcome=\"served\"}"
                ),
                Some(0.0)
            );
        }
        let (status, ready) = get(&format!("{a}/readyz")).await;
        assert_eq!(status, 200);
        assert!(
            ready.contains(r#""rate_limit_store":"reachable""#),
            "{ready}"
        );
        task_a.abort();
        task_b.abort();
        redis.stop().await;
        stub.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_store_fails_open_within_the_timeout_and_limiting_comes_back_with_it() {
    bounded(async {
        let stub = Stub::start(Reply::Grant).await;
        let redis = Redis::start().await;
        let (a, task) = replica(&stub.url, store(&redis, StoreFailure::Open));
        for _ in 0..5 {
            assert_eq!(ask(&a).await.0, 200);
        }
        assert_eq!(ask(&a).await.0, 429, "limited while the store is there");

        let port = redis.stop().await;
        for _ in 0..3 {
            let started = Instant::now();
            let (status, _, text) = ask(&a).await;
            assert_eq!(status, 200, "policy open: served without a limit: {text}");
            assert!(
                started.elapsed() < Duration::from_secs(2),
                "no request waits on a dead store past its timeout: {:?}",
                started.elapsed()
            );
        }
        let (_, metrics) = get(&format!("{a}/metrics")).await;
        assert!(
            metric(
                &metrics,
                "moments_par_rate_limit_store_failures_total{outcome=\"served\"}"
            )
            .is_some_and(|n| n >= 3.0),
            "{metrics}"
        );
        let (status, ready) = get(&format!("{a}/readyz")).await;
        assert_eq!(status, 200, "a store outage alone keeps the replica ready");
        assert!(
            ready.contains(r#""rate_limit_store":"unreachable""#),
            "{ready}"
        );

        // Back (empty, as a restarted store without persistence is): limits again.
        let redis = Redis::start_on(port).await;
        let mut statuses = Vec::new();
        for _ in 0..7 {
            statuses.push(ask(&a).await.0);
        }
        assert_eq!(
            statuses.iter().filter(|s| **s == 200).count(),
            5,
            "a fresh budget, then limited: {statuses:?}"
        );
        assert_eq!(statuses.last(), Some(&429), "{statuses:?}");
        task.abort();
        redis.stop().await;
        stub.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_store_fails_closed_when_asked_and_can_take_the_replica_out() {
    bounded(async {
        let stub = Stub::start(Reply::Grant).await;
        let redis = Redis::start().await;
        let mut required = store(&redis, StoreFailure::Closed);
        required.required_for_readiness = true;
        let (a, task) = replica(&stub.url, required);
        assert_eq!(ask(&a).await.0, 200);
        redis.stop().await;

        let started = Instant::now();
        let (status, retry_after, text) = ask(&a).await;
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "bounded by the timeout"
        );
        assert_eq!(status, 503, "{text}");
        assert!(text.contains(r#""code":"unavailable""#), "{text}");
        assert!(text.contains(r#""retryable":true"#), "{text}");
        assert_eq!(retry_after.as_deref(), Some("1"));
        assert_eq!(stub.calls(), 1, "a refused request never reaches Infobip");
        let (_, metrics) = get(&format!("{a}/metrics")).await;
        assert_eq!(
            metric(
                &metrics,
                "moments_par_rate_limit_store_failures_total{outcome=\"refused\"}"
            ),
            Some(1.0),
            "{metrics}"
        );
        let (status, ready) = get(&format!("{a}/readyz")).await;
        assert_eq!(status, 503, "the operator asked for it: {ready}");
        assert!(ready.contains(r#""status":"not ready""#), "{ready}");
        task.abort();
        stub.shutdown().await;
    })
    .await;
}

/// A store that hangs rather than refuses: `redis-server` stopped with SIGSTOP keeps its
/// socket, so connections are accepted and nothing is answered, and only the store's
/// timeout ends a check. Under each policy the answer comes within that timeout and a
/// small margin; open serves and counts it, closed refuses with 503; resumed, closed
/// serves again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hung_store_costs_a_request_its_timeout_and_no_more_under_each_policy() {
    // Past the timeout: the reply's own way back, on a loaded 2-core machine.
    const MARGIN: Duration = Duration::from_millis(600);
    bounded(async {
        let stub = Stub::start(Reply::Grant).await;
        for policy in [StoreFailure::Open, StoreFailure::Closed] {
            let redis = Redis::start().await;
            let store = store(&redis, policy);
            let timeout = store.timeout;
            let (a, task) = replica(&stub.url, store);
            assert_eq!(
                ask(&a).await.0,
                200,
                "{policy:?}: served while the store answers"
            );

            redis.signal("-STOP").await;
            for _ in 0..2 {
                let started = Instant::now();
                let (status, retry_after, text) = ask(&a).await;
                let took = started.elapsed();
                assert!(
                    took >= timeout && took < timeout + MARGIN,
                    "{policy:?}: answered {status} after {took:?}; the store's timeout is {timeout:?}: {text}"
                );
                match policy {
                    StoreFailure::Open => assert_eq!(status, 200, "served unlimited: {text}"),
                    StoreFailure::Closed => {
                        assert_eq!(status, 503, "{text}");
                        assert!(text.contains(r#""code":"unavailable""#), "{text}");
                        assert_eq!(retry_after.as_deref(), Some("1"));
                    }
                }
            }
            let (_, metrics) = get(&format!("{a}/metrics")).await;
            let outcome = match policy {
                StoreFailure::Open => "served",
                StoreFailure::Closed => "refused",
            };
            assert_eq!(
                metric(
                    &metrics,
                    &format!(
                        "moments_par_rate_limit_store_failures_total{{outcome=\"{outcome}\"}}"
                    )
                ),
                Some(2.0),
                "{policy:?}: each hung check counted\n{metrics}"
            );

            redis.signal("-CONT").await;
            if policy == StoreFailure::Closed {
                let mut statuses = Vec::new();
                for _ in 0..20 {
                    let (status, _, _) = ask(&a).await;
                    statuses.push(status);
                    if status == 200 {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                assert_eq!(
                    statuses.last(),
                    Some(&200),
                    "closed serves again once the store answers: {statuses:?}"
                );
            }
            task.abort();
            redis.stop().await;
        }
        assert_eq!(
            stub.calls(),
            1 + 2 + 1 + 1,
            "a refused request never reaches Infobip"
        );
        stub.shutdown().await;
    })
    .await;
}

/// The `moments-par` binary as a replica with the shared store, on a free port, its
/// wall clock set to `clock` (`None`: the machine's; `Some(t)`: libfaketime's `@t`, which
/// starts the clock at `t` and lets it run). Its monotonic clock is left alone: replicas
/// on different machines disagree on the wall clock, and a monotonic clock is never
/// compared across machines. Returns its URL and the process, whose log lines go to
/// `log`.
async fn replica_process(
    upstream: &str,
    redis: &Redis,
    clock: Option<&str>,
    log: &Arc<Mutex<Vec<String>>>,
) -> (String, Child) {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_moments-par"));
    command
        .env_clear()
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .env("INFOBIP_API_KEY", fresh_key())
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .args(["--infobip-base-url", upstream, "--embedding-id", "42"])
        .args(["--rate-limit", "1/min", "--rate-limit-burst", "5"])
        .args(["--rate-limit-store", &redis.url()])
        .args(["--rate-limit-store-timeout", "300ms"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    if let Some(clock) = clock {
        let library = std::env::var("LIBFAKETIME")
            .unwrap_or_else(|_| "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1".into());
        assert!(
            std::path::Path::new(&library).is_file(),
            "{library} is missing (Debian's `faketime`; run scripts/setup)"
        );
        command
            .env("LD_PRELOAD", library)
            .env("FAKETIME", format!("@{clock}"))
            .env("DONT_FAKE_MONOTONIC", "1");
    }
    let mut child = command.spawn().unwrap();
    for stream in [
        child
            .stdout
            .take()
            .map(|s| Box::new(s) as Box<dyn AsyncRead + Send + Unpin>),
        child
            .stderr
            .take()
            .map(|s| Box::new(s) as Box<dyn AsyncRead + Send + Unpin>),
    ]
    .into_iter()
    .flatten()
    {
        let log = Arc::clone(log);
        tokio::spawn(async move {
            let mut lines = BufReader::new(stream).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                log.lock().unwrap().push(line);
            }
        });
    }
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return (format!("http://127.0.0.1:{port}"), child);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "moments-par did not listen on {port} within 5 s: {:?}",
        log.lock().unwrap()
    );
}

/// The year of the first line a replica logged (its timestamp), waited for up to 5 s.
async fn first_year(log: &Arc<Mutex<Vec<String>>>) -> String {
    for _ in 0..100 {
        if let Some(line) = log.lock().unwrap().first() {
            return line.chars().take(4).collect();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the replica logged nothing within 5 s");
}

/// Two replicas a quarter of a century apart on the wall clock, taking turns: one
/// client's budget, spent in order, exactly as on one replica, because the limit runs on
/// Redis's clock. (On the replicas' own clocks the one behind would find every bucket the
/// other touched full into its future, and refuse.) Then the store goes away: each of
/// a burst of failures is served and counted, and logged once, not once each.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_whose_clocks_differ_share_one_limit_and_a_lost_store_is_logged_once() {
    bounded(async {
        let stub = Stub::start(Reply::Grant).await;
        let redis = Redis::start().await;
        let (log_a, log_b) = (Arc::default(), Arc::default());
        let (a, mut process_a) = replica_process(&stub.url, &redis, None, &log_a).await;
        let (b, mut process_b) =
            replica_process(&stub.url, &redis, Some("2001-01-01 00:00:00"), &log_b).await;
        assert_eq!(first_year(&log_b).await, "2001", "b's clock is off");
        assert_ne!(first_year(&log_a).await, "2001", "a's is not");

        let mut statuses = Vec::new();
        for i in 0..12 {
            statuses.push(ask(if i % 2 == 0 { &a } else { &b }).await.0);
        }
        let expected: Vec<u16> = [200; 5].into_iter().chain([429; 7]).collect();
        assert_eq!(
            statuses, expected,
            "one budget, in turn across both replicas"
        );
        assert_eq!(stub.calls(), 5);

        redis.stop().await;
        for _ in 0..6 {
            assert_eq!(ask(&a).await.0, 200, "policy open: served without a limit");
        }
        let (_, metrics) = get(&format!("{a}/metrics")).await;
        assert_eq!(
            metric(
                &metrics,
                "moments_par_rate_limit_store_failures_total{outcome=\"served\"}"
            ),
            Some(6.0),
            "{metrics}"
        );
        let mut warnings = 0;
        for _ in 0..20 {
            warnings = log_a
                .lock()
                .unwrap()
                .iter()
                .filter(|l| l.contains("the rate-limit store failed"))
                .count();
            if warnings > 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(
            warnings,
            1,
            "six failures within ten seconds, one line: {:#?}",
            log_a.lock().unwrap()
        );
        process_a.kill().await.unwrap();
        process_b.kill().await.unwrap();
        stub.shutdown().await;
    })
    .await;
}
