//! The dataset a run needs beyond the bulk-loaded orders: accounts of each role with tokens,
//! customer records, stock enough for every order a run can place, and pools of order ids.

use anyhow::{bail, Context};
use http::{HeaderValue, Method};
use serde_json::{json, Value};

use crate::client::Client;

pub const PASSWORD: &str = "bench passphrase 2026";

#[derive(Clone)]
pub struct Session {
    pub email: String,
    /// `Bearer` and the access token, made once.
    pub auth: HeaderValue,
}

pub struct Dataset {
    pub manager: Session,
    pub customers: Vec<Session>,
    pub products: Vec<String>,
    /// Orders to read, and their numbers to search for.
    pub sample: Vec<(String, String)>,
    /// Service orders in progress or on hold (`true`), which the transition scenario puts on
    /// hold and resumes in turn: a supply of transitions that never runs out.
    pub toggles: Vec<tokio::sync::Mutex<(String, bool)>>,
}

pub struct Api {
    pub client: Client,
}

impl Api {
    pub fn new(base: &str) -> anyhow::Result<Api> {
        Ok(Api {
            client: Client::new(base)?,
        })
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        auth: Option<&HeaderValue>,
        body: Option<Value>,
    ) -> anyhow::Result<Value> {
        let reply = self
            .client
            .send(method.clone(), path, auth, body.as_ref())
            .await?;
        let body = reply
            .success(&format!("{method} {path}"))
            .map_err(anyhow::Error::msg)?;
        Ok(serde_json::from_slice(&body).unwrap_or(Value::Null))
    }

    pub async fn login(&self, email: &str, password: &str) -> anyhow::Result<Session> {
        let body = json!({ "email": email, "password": password });
        let res = self
            .call(Method::POST, "/api/v1/auth/login", None, Some(body))
            .await?;
        Ok(Session {
            email: email.to_string(),
            auth: Client::bearer(res["accessToken"].as_str().context("no token")?)?,
        })
    }

    async fn account(&self, admin: &Session, email: &str, role: &str) -> anyhow::Result<Session> {
        let body = json!({ "email": email, "password": PASSWORD, "role": role,
                           "firstName": "Bench", "lastName": role });
        let created = self
            .call(
                Method::POST,
                "/api/v1/admin/users",
                Some(&admin.auth),
                Some(body),
            )
            .await;
        if let Err(err) = created {
            // A second run on the same database finds its accounts there.
            if !err.to_string().contains("409") {
                return Err(err);
            }
        }
        self.login(email, PASSWORD).await
    }

    /// Up to `max` ids (and numbers) from `query`, page after page by cursor.
    async fn ids(
        &self,
        auth: &HeaderValue,
        query: &str,
        max: usize,
    ) -> anyhow::Result<Vec<(String, String)>> {
        let mut out = Vec::new();
        let mut cursor: Option<String> = None;
        while out.len() < max {
            let path = match &cursor {
                Some(c) => format!("/api/v1/orders?limit=100&{query}&cursor={c}"),
                None => format!("/api/v1/orders?limit=100&{query}"),
            };
            let page = self.call(Method::GET, &path, Some(auth), None).await?;
            for order in page["items"].as_array().into_iter().flatten() {
                out.push((
                    order["id"].as_str().unwrap_or_default().to_string(),
                    order["number"].as_str().unwrap_or_default().to_string(),
                ));
            }
            match page["nextCursor"].as_str() {
                Some(c) => cursor = Some(c.to_string()),
                None => break,
            }
        }
        out.truncate(max);
        Ok(out)
    }
}

pub async fn prepare(
    api: &Api,
    admin_email: &str,
    admin_password: &str,
    customers: usize,
) -> anyhow::Result<Dataset> {
    let admin = api.login(admin_email, admin_password).await?;
    let manager = api
        .account(&admin, "bench-manager@bench.ordo.test", "manager")
        .await?;
    let mut sessions = Vec::new();
    for i in 0..customers {
        let email = format!("bench-customer{i}@bench.ordo.test");
        let session = api.account(&admin, &email, "customer").await?;
        let me = api
            .call(Method::GET, "/api/v1/auth/me", Some(&session.auth), None)
            .await?;
        let body = json!({ "name": format!("Bench Customer {i}"), "userId": me["id"] });
        if let Err(err) = api
            .call(
                Method::POST,
                "/api/v1/customers",
                Some(&admin.auth),
                Some(body),
            )
            .await
        {
            if !err.to_string().contains("409") {
                return Err(err);
            }
        }
        sessions.push(session);
    }
    let listed = api
        .call(
            Method::GET,
            "/api/v1/products?limit=100",
            Some(&admin.auth),
            None,
        )
        .await?;
    let mut products = Vec::new();
    for p in listed["items"].as_array().into_iter().flatten() {
        if p["unit"] == "t" || p["active"] == false {
            continue;
        }
        let id = p["id"].as_str().unwrap_or_default().to_string();
        let body = json!({ "change": "100000000", "kind": "receipt", "reason": "benchmark stock" });
        api.call(
            Method::PATCH,
            &format!("/api/v1/products/{id}/stock"),
            Some(&admin.auth),
            Some(body),
        )
        .await?;
        products.push(id);
    }
    if products.len() < 3 {
        bail!("the catalog needs at least 3 products sold by the piece");
    }
    let sample = api.ids(&manager.auth, "sort=createdAt", 2_000).await?;
    let mut toggles = Vec::new();
    for (status, on_hold) in [("in_progress", false), ("on_hold", true)] {
        let query = format!("workflow=service&status={status}");
        for (id, _) in api.ids(&manager.auth, &query, 5_000).await? {
            toggles.push(tokio::sync::Mutex::new((id, on_hold)));
        }
    }
    if sample.is_empty() {
        bail!("no orders to read: load some with --orders");
    }
    Ok(Dataset {
        manager,
        customers: sessions,
        products,
        sample,
        toggles,
    })
}
