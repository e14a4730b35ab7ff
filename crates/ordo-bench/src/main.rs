//! `ordo-bench`: starts a release `ordo` on a fresh database (or uses one that runs), loads a
//! dataset, runs each named scenario for a fixed time with a fixed number of clients, and reports
//! requests per second, latency percentiles, errors, and the server's CPU and peak memory.
//! Any error response fails the run.

// As the server: glibc's malloc, free and realloc took a seventh of this program's instructions.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod client;
mod crash;
mod prepare;
mod report;
mod scenarios;
mod server;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::Parser;
use hdrhistogram::Histogram;
use http_body_util::BodyExt;

use prepare::Api;
use report::Result as Outcome;
use scenarios::Shared;

#[derive(Parser)]
#[command(version, about = "Load generator for Ordo")]
struct Args {
    /// Use the server running at this URL (plain `http://host:port`) instead of starting one
    /// (with --admin-email/--admin-password).
    #[arg(long)]
    url: Option<String>,
    #[arg(long, default_value = "bench-admin@bench.ordo.test")]
    admin_email: String,
    #[arg(long, default_value = prepare::PASSWORD)]
    admin_password: String,
    /// The `ordo` binary to start (default: the one next to this program).
    #[arg(long)]
    server_bin: Option<PathBuf>,
    /// Data folder of the started server; emptied first (default: target/bench-data).
    #[arg(long, default_value = "target/bench-data")]
    data_dir: PathBuf,
    /// Database of the started server (default: SQLite in the data folder).
    #[arg(long)]
    database_url: Option<String>,
    /// Where the started server listens.
    #[arg(long, default_value = "127.0.0.1:18080")]
    listen: String,
    /// Orders bulk-loaded before the run (started server only).
    #[arg(long, default_value_t = 100_000)]
    orders: usize,
    /// Start the server on the data folder as a previous run left it: no wipe, no bulk load.
    #[arg(long)]
    keep_data: bool,
    /// Concurrent clients per scenario.
    #[arg(long, default_value_t = 32)]
    clients: usize,
    /// Seconds per scenario.
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
    /// Scenarios to run, comma-separated (default: all).
    #[arg(long, value_delimiter = ',')]
    scenarios: Vec<String>,
    /// Also write the results as JSON here.
    #[arg(long)]
    json: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run(Args::parse()).await {
        Ok(true) => std::process::ExitCode::SUCCESS,
        Ok(false) => {
            eprintln!("error: some requests failed (see first_errors)");
            std::process::ExitCode::FAILURE
        }
        Err(err) => {
            eprintln!("error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> anyhow::Result<bool> {
    let names: Vec<String> = if args.scenarios.is_empty() {
        // The crash check kills the server, so only a server started here gets it.
        scenarios::ALL
            .iter()
            .filter(|s| args.url.is_none() || **s != "crash")
            .map(|s| s.to_string())
            .collect()
    } else {
        args.scenarios.clone()
    };
    if let Some(bad) = names.iter().find(|n| !scenarios::ALL.contains(&n.as_str())) {
        bail!(
            "unknown scenario {bad}; known: {}",
            scenarios::ALL.join(", ")
        );
    }
    let mut launch = None;
    let mut server = match &args.url {
        Some(url) => server::Server::external(url.clone()),
        None => {
            let started_here = server::Launch {
                binary: args
                    .server_bin
                    .clone()
                    .unwrap_or_else(server::default_binary),
                data_dir: args.data_dir.clone(),
                database_url: args.database_url.clone(),
                listen: args.listen.clone(),
            };
            if args.database_url.is_none() && !args.keep_data {
                let _ = std::fs::remove_dir_all(&args.data_dir);
            }
            std::fs::create_dir_all(&args.data_dir)?;
            let created = started_here.run(
                &[
                    "user",
                    "create",
                    "--email",
                    &args.admin_email,
                    "--role",
                    "admin",
                    "--password-stdin",
                ],
                Some(&format!("{}\n", args.admin_password)),
            );
            if let Err(err) = created {
                if !err.to_string().contains("already") {
                    return Err(err);
                }
            }
            if !args.keep_data {
                let started = Instant::now();
                started_here.run(&["seed", "--orders", &args.orders.to_string()], None)?;
                eprintln!(
                    "loaded {} orders in {:.1} s",
                    args.orders,
                    started.elapsed().as_secs_f64()
                );
            }
            let server = started_here.start().await?;
            launch = Some(started_here);
            server
        }
    };
    let api = Api::new(&server.url)?;
    let data = prepare::prepare(
        &api,
        &args.admin_email,
        &args.admin_password,
        args.clients.clamp(1, 64),
    )
    .await
    .context("preparing the dataset")?;
    let shared = Arc::new(Shared {
        api,
        data,
        next_toggle: AtomicUsize::new(0),
    });
    let mut results = Vec::new();
    for name in &names {
        let result = if name == "export" {
            export(&shared, server.pid()).await?
        } else if name == "crash" {
            let Some(launch) = &launch else {
                bail!("the crash scenario needs a server this program starts (no --url)");
            };
            crash::run(&shared, launch, &mut server, args.clients, args.duration).await?
        } else {
            // Sign-ins in flight from one address count against the guard on password guessing,
            // so the login scenario stays under its limit of 5.
            let clients = if name == "login" {
                args.clients.min(4)
            } else {
                args.clients
            };
            scenario(name, &shared, clients, args.duration, server.pid()).await
        };
        eprintln!(
            "{name}: {:.0}/s, {} errors",
            result.per_second, result.errors
        );
        results.push(result);
    }
    report::print_table(&results);
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_string_pretty(&results)?)?;
    }
    Ok(results.iter().all(|r| r.errors == 0))
}

/// Samples the server's CPU time and memory while a scenario runs.
struct Sampler {
    stop: Arc<AtomicBool>,
    peak: Arc<Mutex<u64>>,
    cpu_start: Option<f64>,
    pid: Option<u32>,
    started: Instant,
}

impl Sampler {
    fn start(pid: Option<u32>) -> Sampler {
        let stop = Arc::new(AtomicBool::new(false));
        let peak = Arc::new(Mutex::new(0));
        if let Some(pid) = pid {
            let (stop, peak) = (stop.clone(), peak.clone());
            tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    if let Some((_, rss)) = server::process_usage(pid) {
                        let mut max = peak.lock().unwrap();
                        *max = (*max).max(rss);
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            });
        }
        Sampler {
            stop,
            peak,
            cpu_start: pid.and_then(server::process_usage).map(|(cpu, _)| cpu),
            pid,
            started: Instant::now(),
        }
    }

    /// (CPU percent of one core, peak RSS in MB).
    fn finish(self) -> (Option<f64>, Option<f64>) {
        self.stop.store(true, Ordering::Relaxed);
        let wall = self.started.elapsed().as_secs_f64();
        let cpu = match (self.cpu_start, self.pid.and_then(server::process_usage)) {
            (Some(start), Some((end, _))) => Some((end - start) / wall * 100.0),
            _ => None,
        };
        let peak = *self.peak.lock().unwrap();
        (cpu, (peak > 0).then(|| peak as f64 / 1e6))
    }
}

async fn scenario(
    name: &str,
    shared: &Arc<Shared>,
    clients: usize,
    seconds: f64,
    pid: Option<u32>,
) -> Outcome {
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let sampler = Sampler::start(pid);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for client in 0..clients {
        let (shared, name) = (shared.clone(), name.to_string());
        tasks.push(tokio::spawn(async move {
            let mut histogram = Histogram::<u64>::new(3).expect("histogram");
            let mut errors = Vec::new();
            let mut failed = 0u64;
            while Instant::now() < deadline {
                let sent = Instant::now();
                let outcome = scenarios::run_one(&name, &shared, client).await;
                let _ = histogram.record(sent.elapsed().as_micros() as u64);
                if let Err(err) = outcome {
                    failed += 1;
                    if errors.len() < 3 {
                        errors.push(err);
                    }
                }
            }
            (histogram, failed, errors)
        }));
    }
    let mut histogram = Histogram::<u64>::new(3).expect("histogram");
    let mut errors = 0;
    let mut first_errors = Vec::new();
    for task in tasks {
        if let Ok((h, failed, errs)) = task.await {
            let _ = histogram.add(&h);
            errors += failed;
            first_errors.extend(errs.into_iter().take(3 - first_errors.len().min(3)));
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let (cpu, rss) = sampler.finish();
    Outcome {
        server_cpu_percent: cpu,
        server_peak_rss_mb: rss,
        ..Outcome::from_histogram(
            name.to_string(),
            clients,
            elapsed,
            &histogram,
            errors,
            first_errors,
        )
    }
}

/// One export of every order as CSV, read as it streams.
async fn export(shared: &Arc<Shared>, pid: Option<u32>) -> anyhow::Result<Outcome> {
    let sampler = Sampler::start(pid);
    let started = Instant::now();
    let res = shared
        .api
        .client
        .open(
            http::Method::GET,
            "/api/v1/orders/export?format=csv",
            Some(&shared.data.manager.auth),
            None,
        )
        .await?;
    let ok = res.status().is_success();
    let mut body = res.into_body();
    let mut lines = 0u64;
    while let Some(frame) = body.frame().await {
        if let Some(chunk) = frame?.data_ref() {
            lines += chunk.iter().filter(|b| **b == b'\n').count() as u64;
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let (cpu, rss) = sampler.finish();
    let rows = lines.saturating_sub(1);
    let ms = elapsed * 1000.0;
    Ok(Outcome {
        scenario: "export".into(),
        clients: 1,
        seconds: elapsed,
        requests: 1,
        per_second: 1.0 / elapsed,
        p50_ms: ms,
        p90_ms: ms,
        p99_ms: ms,
        max_ms: ms,
        errors: u64::from(!ok),
        server_cpu_percent: cpu,
        server_peak_rss_mb: rss,
        rows_per_second: Some(rows as f64 / elapsed),
        first_errors: Vec::new(),
    })
}
