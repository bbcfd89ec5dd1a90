//! gRPC load for benchmarks (`bench/grpc.sh`): a backend, and a load client, both tonic.
//!
//!   grpc_bench serve ADDR
//!       the test-support gRPC server (`test.Echo`, `grpc.health.v1`) on ADDR until killed;
//!   grpc_bench load --target HOST:PORT [--authority NAME] [--connections 4]
//!       [--concurrency 64] [--seconds 10] [--size 1024] [--warmup 2]
//!       unary `test.Echo/Unary` calls with SIZE-byte payloads from CONCURRENCY tasks over
//!       CONNECTIONS HTTP/2 connections; prints calls/s, latency p50/p90/p99/max and errors.
//!
//! ghz cannot be installed here; this is the standard shape of its unary benchmark.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use marchproxy_test_support::grpc::{self, GrpcServer, Msg};

fn arg(args: &[String], name: &str, default: &str) -> String {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned().unwrap_or_else(|| default.to_string())
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("serve") => {
            let addr = args.get(2).expect("grpc_bench serve ADDR");
            let _server = GrpcServer::start_on("bench", addr).await;
            println!("serving on {addr}");
            std::future::pending::<()>().await;
        }
        Some("load") => load(&args).await,
        _ => eprintln!("usage: grpc_bench serve ADDR | grpc_bench load --target HOST:PORT [...]"),
    }
}

async fn load(args: &[String]) {
    let target: std::net::SocketAddr = arg(args, "--target", "").parse().expect("--target HOST:PORT");
    let authority = arg(args, "--authority", &target.to_string());
    let connections: usize = arg(args, "--connections", "4").parse().unwrap();
    let concurrency: usize = arg(args, "--concurrency", "64").parse().unwrap();
    let seconds: f64 = arg(args, "--seconds", "10").parse().unwrap();
    let warmup: f64 = arg(args, "--warmup", "2").parse().unwrap();
    let size: usize = arg(args, "--size", "1024").parse().unwrap();
    let mut clients = Vec::new();
    for _ in 0..connections {
        clients.push(grpc::client(target, &authority).await);
    }
    let measuring = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let errors = Arc::new(AtomicU64::new(0));
    // Calls answered without error over the whole run, warm-up and the calls in flight at
    // the end included (bench/grpc.sh's CALLGRIND=1 divides instructions by it).
    let made = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for i in 0..concurrency {
        let mut c = clients[i % connections].clone();
        let (measuring, stop, errors, made) = (measuring.clone(), stop.clone(), errors.clone(), made.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::with_capacity(1 << 16);
            let m = Msg { n: i as u64, data: vec![b'b'; size], from: String::new() };
            while !stop.load(Ordering::Relaxed) {
                let t = Instant::now();
                let ok = grpc::unary(&mut c, m.clone()).await.is_ok();
                if ok {
                    made.fetch_add(1, Ordering::Relaxed);
                }
                if measuring.load(Ordering::Relaxed) {
                    if ok {
                        lat.push(t.elapsed().as_secs_f64() * 1000.0);
                    } else {
                        errors.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
            lat
        }));
    }
    tokio::time::sleep(Duration::from_secs_f64(warmup)).await;
    measuring.store(true, Ordering::Relaxed);
    let start = Instant::now();
    tokio::time::sleep(Duration::from_secs_f64(seconds)).await;
    measuring.store(false, Ordering::Relaxed);
    let elapsed = start.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    all.sort_by(f64::total_cmp);
    let q = |p: f64| all.get(((all.len() as f64 - 1.0) * p).round() as usize).copied().unwrap_or(f64::NAN);
    println!(
        "calls/s {:.0} p50 {:.3} ms p90 {:.3} ms p99 {:.3} ms max {:.3} ms errors {} (calls {}, {} connections, {} concurrent, {} B) made {}",
        all.len() as f64 / elapsed,
        q(0.5),
        q(0.9),
        q(0.99),
        all.last().copied().unwrap_or(f64::NAN),
        errors.load(Ordering::Relaxed),
        all.len(),
        connections,
        concurrency,
        size,
        made.load(Ordering::Relaxed)
    );
}
