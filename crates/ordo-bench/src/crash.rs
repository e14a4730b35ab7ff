//! The crash check: customers create orders, the server is killed (SIGKILL) in the middle of the
//! load, started again on the same data, and every order whose creation was acknowledged must be
//! there. Requests cut off by the kill were never acknowledged and prove nothing either way.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use http::{Method, StatusCode};

use crate::client::Client;
use crate::report::Result as Outcome;
use crate::scenarios::{self, Shared};
use crate::server::{Launch, Server};

/// Runs the load for `seconds`, kills the server halfway, restarts it and checks the orders.
pub async fn run(
    shared: &Arc<Shared>,
    launch: &Launch,
    server: &mut Server,
    clients: usize,
    seconds: f64,
) -> anyhow::Result<Outcome> {
    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let killed = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for client in 0..clients {
        let (shared, acknowledged, killed) = (shared.clone(), acknowledged.clone(), killed.clone());
        tasks.push(tokio::spawn(async move {
            let mut histogram = Histogram::<u64>::new(3).expect("histogram");
            let mut errors = Vec::new();
            while !killed.load(Ordering::SeqCst) {
                let sent = Instant::now();
                match scenarios::create_order(&shared, client).await {
                    Ok(id) => {
                        let _ = histogram.record(sent.elapsed().as_micros() as u64);
                        acknowledged.lock().unwrap().push(id);
                    }
                    // Once the server is gone, failures are the kill's doing.
                    Err(err) if !killed.load(Ordering::SeqCst) => errors.push(err),
                    Err(_) => {}
                }
            }
            (histogram, errors)
        }));
    }
    tokio::time::sleep(Duration::from_secs_f64(seconds / 2.0)).await;
    killed.store(true, Ordering::SeqCst);
    server.kill();
    let mut histogram = Histogram::<u64>::new(3).expect("histogram");
    let mut first_errors = Vec::new();
    let mut errors = 0u64;
    for task in tasks {
        let (h, errs) = task.await?;
        let _ = histogram.add(&h);
        errors += errs.len() as u64;
        first_errors.extend(
            errs.into_iter()
                .take(3usize.saturating_sub(first_errors.len())),
        );
    }
    let elapsed = started.elapsed().as_secs_f64();
    let restarted = Instant::now();
    *server = launch.start().await?;
    let ready_ms = restarted.elapsed().as_secs_f64() * 1000.0;
    let ids = acknowledged.lock().unwrap().clone();
    // A new client: the old one's pooled connections died with the server.
    let client = Client::new(&server.url)?;
    let mut missing = 0u64;
    for id in &ids {
        let status = client
            .send(
                Method::GET,
                &format!("/api/v1/orders/{id}"),
                Some(&shared.data.manager.auth),
                None,
            )
            .await?
            .status;
        if status != StatusCode::OK {
            missing += 1;
            if first_errors.len() < 3 {
                first_errors.push(format!("acknowledged order {id} is gone: {status}"));
            }
        }
    }
    eprintln!(
        "crash: {} orders acknowledged before the kill, {missing} missing after the restart \
         (ready again in {ready_ms:.0} ms)",
        ids.len()
    );
    Ok(Outcome::from_histogram(
        "crash (kill -9, restart, check)".into(),
        clients,
        elapsed,
        &histogram,
        errors + missing,
        first_errors,
    ))
}
