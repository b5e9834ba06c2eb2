//! `bench_stub`: the stand-in for Infobip's PAR endpoint that the benchmark measures
//! against, the same one the tests use (`tests/companion/stub.rs`). It answers every
//! `POST /embeddable/1/auth/par` with a fresh grant, counts calls and TCP connections
//! (`GET /__stub/stats`), and stops on SIGINT or SIGTERM.
//!
//! ```text
//! cargo run --release -p moments-par --example bench_stub -- --listen 127.0.0.1:0
//! ```
//! The first line on stdout is `listening http://127.0.0.1:<port>`.

#![allow(clippy::print_stdout)]

#[path = "../tests/companion/stub.rs"]
mod stub;

use clap::Parser;
use std::io::Write;
use std::time::Duration;
use stub::{Reply, Stub};

/// The benchmark's stand-in for Infobip.
#[derive(Parser)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: String,
    /// Answer each call after this many milliseconds (0: at once).
    #[arg(long, default_value_t = 0)]
    delay_ms: u64,
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args = Args::parse();
    let reply = match args.delay_ms {
        0 => Reply::Grant,
        ms => Reply::Hang(Duration::from_millis(ms)),
    };
    let stub = Stub::bind(&args.listen, reply).await;
    println!("listening {}", stub.url);
    let _ = std::io::stdout().flush();
    let mut terminate =
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = async {
            match terminate.as_mut() {
                Some(signal) => { signal.recv().await; }
                None => std::future::pending::<()>().await,
            }
        } => {}
    }
    stub.shutdown().await;
}
