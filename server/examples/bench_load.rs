//! `bench_load`: the benchmark's load generator. Sends `POST`s to one URL either at a
//! fixed rate (open loop: a request leaves on schedule whether or not earlier ones
//! have answered, so a slow server cannot slow the load down and hide its own
//! latency) or as fast as `--concurrency` workers can (closed loop, for throughput),
//! and prints one JSON line with throughput and latency percentiles.
//!
//! ```text
//! cargo run --release -p moments-par --example bench_load -- \
//!   --url http://127.0.0.1:8787/api/moments/session --rate 1000 --duration 10s
//! ```
//! Latency is measured per request from the moment it is handed to the connection
//! pool to the end of its body. Point it at any URL: the direct-to-stub baseline and
//! every proxy under test are measured by the same code.

#![allow(
    clippy::print_stdout,
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss
)]

use clap::Parser;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// Load for one URL; the result is one JSON line on stdout.
#[derive(Parser)]
struct Args {
    /// Where to send the requests.
    #[arg(long)]
    url: String,
    /// The request body.
    #[arg(long, default_value = "{}")]
    body: String,
    /// Extra request headers, `name: value` (content-type is application/json).
    #[arg(long)]
    header: Vec<String>,
    /// Requests per second, on a fixed schedule.
    #[arg(long, conflicts_with = "concurrency")]
    rate: Option<f64>,
    /// Closed loop: this many workers, each sending its next request when the last ends.
    #[arg(long)]
    concurrency: Option<usize>,
    /// Measured time, in seconds.
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
    /// Unmeasured time before it, in seconds (connections, caches, CPU clocks warm up).
    #[arg(long, default_value_t = 2.0)]
    warmup: f64,
    /// Open loop: requests allowed in flight before new ones are counted as dropped.
    #[arg(long, default_value_t = 1000)]
    max_in_flight: usize,
}

struct Sample {
    measured: bool,
    /// Open loop: how late the request left, against its schedule (a busy machine).
    lag: Duration,
    latency: Duration,
    ok: bool,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(run(args))
}

async fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let mut headers = HeaderMap::new();
    headers.insert("content-type", HeaderValue::from_static("application/json"));
    for raw in &args.header {
        let (name, value) = raw.split_once(':').ok_or("--header wants `name: value`")?;
        headers.insert(
            HeaderName::try_from(name.trim())?,
            HeaderValue::try_from(value.trim())?,
        );
    }
    let client = reqwest::Client::builder()
        .default_headers(headers)
        .tcp_nodelay(true)
        .pool_max_idle_per_host(usize::MAX)
        .timeout(Duration::from_secs(10))
        .build()?;
    let warmup = Duration::from_secs_f64(args.warmup);
    let duration = Duration::from_secs_f64(args.duration);
    let (tx, mut rx) = mpsc::unbounded_channel::<Sample>();
    let started = Instant::now();
    let measure_from = started + warmup;
    let end = measure_from + duration;
    let dropped = Arc::new(AtomicUsize::new(0));

    let one = {
        let (client, url, body) = (client.clone(), args.url.clone(), args.body.clone());
        move || {
            let request = client.post(&url).body(body.clone());
            async move {
                let sent = Instant::now();
                let ok = match request.send().await {
                    Ok(response) => {
                        let ok = response.status().is_success();
                        response.bytes().await.is_ok() && ok
                    }
                    Err(_) => false,
                };
                (sent, sent.elapsed(), ok)
            }
        }
    };

    if let Some(workers) = args.concurrency {
        for _ in 0..workers {
            let (one, tx) = (one.clone(), tx.clone());
            tokio::spawn(async move {
                while Instant::now() < end {
                    let (sent, latency, ok) = one().await;
                    let measured = sent >= measure_from && sent < end;
                    let _ = tx.send(Sample {
                        measured,
                        lag: Duration::ZERO,
                        latency,
                        ok,
                    });
                }
            });
        }
    } else {
        let rate = args.rate.ok_or("give --rate or --concurrency")?;
        let period = Duration::from_secs_f64(1.0 / rate);
        let in_flight = Arc::new(AtomicUsize::new(0));
        let (tx, dropped, in_flight) = (tx.clone(), Arc::clone(&dropped), in_flight);
        tokio::spawn(async move {
            let mut next = started;
            while next < end {
                tokio::time::sleep_until(next.into()).await;
                let measured = next >= measure_from;
                let scheduled = next;
                next += period;
                if in_flight.load(Ordering::Relaxed) >= args.max_in_flight {
                    if measured {
                        dropped.fetch_add(1, Ordering::Relaxed);
                    }
                    continue;
                }
                in_flight.fetch_add(1, Ordering::Relaxed);
                let (one, tx, in_flight) = (one.clone(), tx.clone(), Arc::clone(&in_flight));
                tokio::spawn(async move {
                    let (sent, latency, ok) = one().await;
                    in_flight.fetch_sub(1, Ordering::Relaxed);
                    let _ = tx.send(Sample {
                        measured,
                        lag: sent.saturating_duration_since(scheduled),
                        latency,
                        ok,
                    });
                });
            }
        });
    }
    drop(tx);

    let mut latencies = Vec::new();
    let mut lags = Vec::new();
    let mut errors = 0_usize;
    let mut all = 0_usize;
    while let Some(sample) = rx.recv().await {
        all += 1;
        if !sample.measured {
            continue;
        }
        lags.push(u64::try_from(sample.lag.as_micros()).unwrap_or(u64::MAX));
        if sample.ok {
            latencies.push(u64::try_from(sample.latency.as_micros()).unwrap_or(u64::MAX));
        } else {
            errors += 1;
        }
    }
    latencies.sort_unstable();
    lags.sort_unstable();
    let rank = |sorted: &[u64], p: f64| -> u64 {
        if sorted.is_empty() {
            return 0;
        }
        let rank = (p / 100.0 * sorted.len() as f64).ceil() as usize;
        sorted[rank.clamp(1, sorted.len()) - 1]
    };
    let percentile = |p: f64| rank(&latencies, p);
    let ok = latencies.len();
    println!(
        "{{\"url\":{:?},\"mode\":{:?},\"duration_s\":{},\"all_requests\":{all},\"ok\":{ok},\"errors\":{errors},\"dropped\":{},\"throughput_rps\":{:.1},\"p50_us\":{},\"p90_us\":{},\"p99_us\":{},\"p999_us\":{},\"max_us\":{},\"send_lag_p99_us\":{}}}",
        args.url,
        match (args.rate, args.concurrency) {
            (Some(rate), _) => format!("rate {rate}/s"),
            (_, Some(workers)) => format!("closed loop, {workers} workers"),
            _ => String::new(),
        },
        args.duration,
        dropped.load(Ordering::Relaxed),
        ok as f64 / args.duration,
        percentile(50.0),
        percentile(90.0),
        percentile(99.0),
        percentile(99.9),
        latencies.last().copied().unwrap_or(0),
        rank(&lags, 99.0),
    );
    Ok(())
}
