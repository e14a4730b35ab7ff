//! The permission matrix: every role (and no one) against every protected route.

use reqwest::Method;
use serde_json::{json, Value};

use crate::harness::{Session, TestApp, PASSWORD};

pub struct Route {
    pub method: &'static str,
    /// `{id}` stands for another user's id.
    pub path: &'static str,
    pub body: fn(&Session) -> Option<Value>,
    /// Roles the permission table lets through.
    pub allowed: &'static [&'static str],
    /// What an allowed caller gets for this request.
    pub ok: u16,
}

const ALL: &[&str] = &["admin", "manager", "staff", "customer"];
const ADMIN: &[&str] = &["admin"];
const STAFF_UP: &[&str] = &["admin", "manager", "staff"];
const MANAGERS: &[&str] = &["admin", "manager"];

fn none(_: &Session) -> Option<Value> {
    None
}

fn bulk_delete_of_nothing(_: &Session) -> Option<Value> {
    Some(json!({ "action": "delete", "ids": ["018f0000-0000-7000-8000-000000000000"] }))
}

pub const ROUTES: &[Route] = &[
    Route {
        method: "GET",
        path: "/api/v1/auth/me",
        body: none,
        allowed: ALL,
        ok: 200,
    },
    Route {
        method: "POST",
        path: "/api/v1/auth/logout",
        body: none,
        allowed: ALL,
        ok: 204,
    },
    Route {
        method: "GET",
        path: "/api/v1/profile",
        body: none,
        allowed: ALL,
        ok: 200,
    },
    Route {
        method: "PUT",
        path: "/api/v1/profile",
        body: |_| Some(json!({ "department": "Dispatch" })),
        allowed: ALL,
        ok: 200,
    },
    Route {
        method: "PUT",
        path: "/api/v1/profile/password",
        body: |s| {
            Some(json!({ "currentPassword": s.password, "newPassword": "a brand new passphrase" }))
        },
        allowed: ALL,
        ok: 204,
    },
    // A JSON body passes authorization and is then refused as the wrong content type.
    Route {
        method: "POST",
        path: "/api/v1/profile/photo",
        body: |_| Some(json!({})),
        allowed: ALL,
        ok: 415,
    },
    Route {
        method: "DELETE",
        path: "/api/v1/profile",
        body: none,
        allowed: ALL,
        ok: 204,
    },
    // The target has no photo.
    Route {
        method: "GET",
        path: "/api/v1/users/{id}/photo",
        body: none,
        allowed: ALL,
        ok: 404,
    },
    Route {
        method: "GET",
        path: "/api/v1/admin/users",
        body: none,
        allowed: ADMIN,
        ok: 200,
    },
    Route {
        method: "POST",
        path: "/api/v1/admin/users",
        body: |_| {
            Some(
                json!({ "email": format!("new-{}@example.com", uuid::Uuid::new_v4().simple()), "password": PASSWORD,
                         "role": "staff", "firstName": "New", "lastName": "Person" }),
            )
        },
        allowed: ADMIN,
        ok: 201,
    },
    Route {
        method: "GET",
        path: "/api/v1/admin/users/{id}",
        body: none,
        allowed: ADMIN,
        ok: 200,
    },
    Route {
        method: "PUT",
        path: "/api/v1/admin/users/{id}",
        body: |_| Some(json!({ "department": "Mill" })),
        allowed: ADMIN,
        ok: 200,
    },
    Route {
        method: "DELETE",
        path: "/api/v1/admin/users/{id}",
        body: none,
        allowed: ADMIN,
        ok: 204,
    },
    Route {
        method: "PUT",
        path: "/api/v1/admin/users/{id}/role",
        body: |_| Some(json!({ "role": "staff" })),
        allowed: ADMIN,
        ok: 200,
    },
    Route {
        method: "POST",
        path: "/api/v1/admin/users/{id}/deactivate",
        body: none,
        allowed: ADMIN,
        ok: 200,
    },
    Route {
        method: "POST",
        path: "/api/v1/admin/users/{id}/activate",
        body: none,
        allowed: ADMIN,
        ok: 200,
    },
    Route {
        method: "GET",
        path: "/api/v1/admin/audit-logs",
        body: none,
        allowed: ADMIN,
        ok: 200,
    },
    Route {
        method: "GET",
        path: "/api/v1/dashboard/overview",
        body: none,
        allowed: ALL,
        ok: 200,
    },
    Route {
        method: "GET",
        path: "/api/v1/dashboard/sales",
        body: none,
        allowed: ALL,
        ok: 200,
    },
    Route {
        method: "GET",
        path: "/api/v1/dashboard/trends",
        body: none,
        allowed: ALL,
        ok: 200,
    },
    Route {
        method: "GET",
        path: "/api/v1/dashboard/inventory",
        body: none,
        allowed: STAFF_UP,
        ok: 200,
    },
    Route {
        method: "GET",
        path: "/api/v1/admin/orders/recent",
        body: none,
        allowed: ADMIN,
        ok: 200,
    },
    Route {
        method: "GET",
        path: "/api/v1/orders/export",
        body: none,
        allowed: ALL,
        ok: 200,
    },
    Route {
        method: "GET",
        path: "/api/v1/customers/export",
        body: none,
        allowed: STAFF_UP,
        ok: 200,
    },
    Route {
        method: "GET",
        path: "/api/v1/products/export",
        body: none,
        allowed: STAFF_UP,
        ok: 200,
    },
    Route {
        method: "GET",
        path: "/api/v1/inventory/movements/export",
        body: none,
        allowed: STAFF_UP,
        ok: 200,
    },
    Route {
        method: "GET",
        path: "/api/v1/admin/audit-logs/export",
        body: none,
        allowed: ADMIN,
        ok: 200,
    },
    Route {
        method: "POST",
        path: "/api/v1/orders/bulk",
        body: bulk_delete_of_nothing,
        allowed: ALL,
        ok: 200,
    },
    Route {
        method: "POST",
        path: "/api/v1/orders/import",
        body: none,
        allowed: MANAGERS,
        ok: 415,
    },
    Route {
        method: "POST",
        path: "/api/v1/products/import",
        body: none,
        allowed: MANAGERS,
        ok: 415,
    },
];

/// The OpenAPI path of a route (they are written as templates already).
pub fn template(path: &str) -> String {
    path.to_string()
}

async fn permission_matrix(app: TestApp) {
    let admin = app.admin().await;
    let mut failures = Vec::new();
    let mut n = 0;
    for route in ROUTES {
        for role in ALL.iter().copied().chain(["anonymous"]) {
            n += 1;
            // Fresh caller and target for every call: some routes delete or demote them.
            let target = app
                .user(&admin, "customer", &format!("target{n}@example.com"))
                .await;
            let caller = match role {
                "anonymous" => None,
                role => Some(
                    app.user(&admin, role, &format!("{role}{n}@example.com"))
                        .await,
                ),
            };
            let path = route.path.replace("{id}", &target.id);
            let body = caller
                .as_ref()
                .and_then(|c| (route.body)(c))
                .or_else(|| (route.body)(&target));
            let method = Method::from_bytes(route.method.as_bytes()).unwrap();
            let res = app
                .call(
                    method,
                    &path,
                    caller.as_ref().map(|c| c.access.as_str()),
                    body,
                )
                .await;
            let expected = match (role, route.allowed.contains(&role)) {
                ("anonymous", _) => 401,
                (_, true) => route.ok,
                (_, false) => 403,
            };
            if res.status.as_u16() != expected {
                failures.push(format!(
                    "{role:>9} {} {} -> {} (expected {expected})",
                    route.method, route.path, res.status
                ));
            } else if expected >= 400 {
                let code = &res.body["error"]["code"];
                assert!(
                    code.is_string(),
                    "{role} {} {}: error body missing: {}",
                    route.method,
                    route.path,
                    res.body
                );
            }
        }
    }
    assert!(
        failures.is_empty(),
        "permission matrix mismatches:\n{}",
        failures.join("\n")
    );
}

crate::scenarios!(permission_matrix);
