//! The named scenarios: what one request of each does.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use http::{HeaderValue, Method};
use rand::seq::SliceRandom;
use rand::Rng;
use serde_json::json;

use crate::prepare::{Api, Dataset, PASSWORD};

pub const ALL: [&str; 10] = [
    "create-order",
    "get-order",
    "list-orders",
    "search-orders",
    "transition",
    "dashboard-overview",
    "mixed",
    "login",
    "export",
    "crash",
];

const STATUSES: [&str; 6] = [
    "pending",
    "processing",
    "shipped",
    "delivered",
    "draft",
    "completed",
];

pub struct Shared {
    pub api: Api,
    pub data: Dataset,
    /// Turns through the service orders the transition scenario moves.
    pub next_toggle: AtomicUsize,
}

/// The outcome of one request: `Err` carries what the server said.
pub type Outcome = Result<(), String>;

async fn request(
    shared: &Shared,
    method: Method,
    path: &str,
    auth: &HeaderValue,
    body: Option<serde_json::Value>,
) -> Outcome {
    response_body(shared, method, path, auth, body)
        .await
        .map(|_| ())
}

/// The body of a successful response; `Err` carries what the server said otherwise.
async fn response_body(
    shared: &Shared,
    method: Method,
    path: &str,
    auth: &HeaderValue,
    body: Option<serde_json::Value>,
) -> Result<bytes::Bytes, String> {
    shared
        .api
        .client
        .send(method, path, Some(auth), body.as_ref())
        .await
        .map_err(|e| format!("{e:#}"))?
        .success(path)
}

/// A customer orders three products; answers the new order's id.
pub async fn create_order(shared: &Shared, client: usize) -> Result<String, String> {
    let data = &shared.data;
    let customer = &data.customers[client % data.customers.len()];
    let items: Vec<serde_json::Value> = {
        let mut rng = rand::thread_rng();
        data.products
            .choose_multiple(&mut rng, 3)
            .map(|p| json!({ "productId": p, "quantity": 1 }))
            .collect()
    };
    let bytes = response_body(
        shared,
        Method::POST,
        "/api/v1/orders",
        &customer.auth,
        Some(json!({ "items": items })),
    )
    .await?;
    let body: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| e.to_string())?;
    body["id"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| "the created order has no id".to_string())
}

pub async fn run_one(name: &str, shared: &Arc<Shared>, client: usize) -> Outcome {
    let data = &shared.data;
    let manager = &data.manager.auth;
    match name {
        "create-order" => create_order(shared, client).await.map(|_| ()),
        "get-order" => {
            let (id, _) = pick(&data.sample);
            request(
                shared,
                Method::GET,
                &format!("/api/v1/orders/{id}"),
                manager,
                None,
            )
            .await
        }
        "list-orders" => {
            let status = STATUSES[rand::thread_rng().gen_range(0..STATUSES.len())];
            request(
                shared,
                Method::GET,
                &format!("/api/v1/orders?limit=20&status={status}"),
                manager,
                None,
            )
            .await
        }
        "search-orders" => {
            let (_, number) = pick(&data.sample);
            request(
                shared,
                Method::GET,
                &format!("/api/v1/orders?limit=20&search={number}"),
                manager,
                None,
            )
            .await
        }
        "transition" => {
            if data.toggles.is_empty() {
                return Err(
                    "no service orders in progress or on hold; load more with --orders".into(),
                );
            }
            let i = shared.next_toggle.fetch_add(1, Ordering::Relaxed) % data.toggles.len();
            let mut order = data.toggles[i].lock().await;
            let to = if order.1 { "in_progress" } else { "on_hold" };
            let path = format!("/api/v1/orders/{}/transitions", order.0);
            let outcome = request(
                shared,
                Method::POST,
                &path,
                manager,
                Some(json!({ "to": to })),
            )
            .await;
            if outcome.is_ok() {
                order.1 = !order.1;
            }
            outcome
        }
        "dashboard-overview" => {
            request(
                shared,
                Method::GET,
                "/api/v1/dashboard/overview",
                manager,
                None,
            )
            .await
        }
        "login" => {
            let customer = &data.customers[client % data.customers.len()];
            let body = json!({ "email": customer.email, "password": PASSWORD });
            let reply = shared
                .api
                .client
                .send(Method::POST, "/api/v1/auth/login", None, Some(&body))
                .await
                .map_err(|e| format!("{e:#}"))?;
            if reply.status.is_success() {
                Ok(())
            } else {
                Err(format!("login: {}", reply.status))
            }
        }
        "mixed" => {
            // 70% reads, 30% writes, across customers and the manager.
            let roll = rand::thread_rng().gen_range(0..100);
            let pick = match roll {
                0..=29 => "get-order",
                30..=49 => "list-orders",
                50..=59 => "search-orders",
                60..=69 => "dashboard-overview",
                70..=89 => "create-order",
                _ => "transition",
            };
            Box::pin(run_one(pick, shared, client)).await
        }
        other => Err(format!("unknown scenario {other}")),
    }
}

fn pick<T>(pool: &[T]) -> &T {
    &pool[rand::thread_rng().gen_range(0..pool.len())]
}
