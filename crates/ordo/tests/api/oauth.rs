//! The whole OAuth flow (authorization code + PKCE + state) against a stub provider on 127.0.0.1.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine as _;
use serde_json::{json, Value};
use sha2::Digest as _;

use crate::harness::{run_with, Backend, TestApp, PASSWORD};

#[derive(Clone, Default)]
struct Provider {
    /// code -> PKCE challenge
    codes: Arc<Mutex<HashMap<String, String>>>,
    /// What the userinfo and emails endpoints answer next.
    user: Arc<Mutex<Value>>,
    emails: Arc<Mutex<Value>>,
}

async fn authorize(
    State(p): State<Provider>,
    Query(q): Query<HashMap<String, String>>,
) -> impl IntoResponse {
    assert_eq!(
        q.get("code_challenge_method").map(String::as_str),
        Some("S256"),
        "PKCE required"
    );
    assert_eq!(q.get("response_type").map(String::as_str), Some("code"));
    let code = uuid::Uuid::new_v4().simple().to_string();
    p.codes
        .lock()
        .unwrap()
        .insert(code.clone(), q["code_challenge"].clone());
    Redirect::to(&format!(
        "{}?code={code}&state={}",
        q["redirect_uri"], q["state"]
    ))
}

async fn token(
    State(p): State<Provider>,
    Form(f): Form<HashMap<String, String>>,
) -> impl IntoResponse {
    let Some(challenge) = p
        .codes
        .lock()
        .unwrap()
        .remove(f.get("code").map(String::as_str).unwrap_or(""))
    else {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({ "error": "invalid_grant" })),
        )
            .into_response();
    };
    let verifier = f.get("code_verifier").cloned().unwrap_or_default();
    let computed = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(sha2::Sha256::digest(verifier.as_bytes()));
    if computed != challenge {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({ "error": "invalid_grant", "error_description": "PKCE" })),
        )
            .into_response();
    }
    Json(json!({ "access_token": "stub-access-token", "token_type": "bearer", "expires_in": 3600 }))
        .into_response()
}

fn authorized(headers: &HeaderMap) -> bool {
    headers.get("authorization").and_then(|v| v.to_str().ok()) == Some("Bearer stub-access-token")
}

async fn userinfo(State(p): State<Provider>, headers: HeaderMap) -> impl IntoResponse {
    if !authorized(&headers) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    Json(p.user.lock().unwrap().clone()).into_response()
}

async fn emails(State(p): State<Provider>, headers: HeaderMap) -> impl IntoResponse {
    if !authorized(&headers) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    Json(p.emails.lock().unwrap().clone()).into_response()
}

async fn start_provider() -> (String, Provider) {
    let provider = Provider::default();
    let router = Router::new()
        .route("/authorize", get(authorize))
        .route("/token", post(token))
        .route("/userinfo", get(userinfo))
        .route("/emails", get(emails))
        .with_state(provider.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    (base, provider)
}

/// Follows start -> provider -> callback like a browser and returns the callback's answer.
async fn sign_in(app: &TestApp, provider: &str) -> crate::harness::Res {
    let start = app
        .get(&format!("/api/v1/auth/oauth/{provider}/start"), None)
        .await;
    assert!(start.status.is_redirection(), "{:?}", start.status);
    let to_provider = start.header("location").unwrap().to_string();
    let at_provider = app.send(app.client.get(&to_provider)).await;
    let back = at_provider.header("location").unwrap().to_string();
    assert!(
        back.starts_with(&app.base),
        "redirect goes back to Ordo: {back}"
    );
    app.send(app.client.get(&back)).await
}

async fn oauth_flow(backend: Backend) {
    let (base, provider) = start_provider().await;
    let configure = |s: &mut ordo::config::Settings| {
        for p in [&mut s.oauth_google, &mut s.oauth_github] {
            p.client_id = "ordo-client".into();
            p.client_secret = "ordo-secret".into();
            p.auth_url = format!("{base}/authorize");
            p.token_url = format!("{base}/token");
            p.userinfo_url = format!("{base}/userinfo");
            p.emails_url = format!("{base}/emails");
        }
    };
    run_with(backend, configure, |app: TestApp| async move {
        let admin = app.admin().await;

        // New Google user: an account is created, verified, as a customer.
        *provider.user.lock().unwrap() =
            json!({ "sub": "g-1", "email": "Olive@Example.com", "email_verified": true, "given_name": "Olive", "family_name": "Oak" });
        let res = sign_in(&app, "google").await;
        let body = res.expect(200).clone();
        assert_eq!(body["user"]["email"], "olive@example.com");
        assert_eq!(body["user"]["role"], "customer");
        assert_eq!(body["user"]["emailVerified"], true);
        assert_eq!(body["user"]["hasPassword"], false);
        let access = body["accessToken"].as_str().unwrap().to_string();
        app.get("/api/v1/auth/me", Some(&access)).await.expect(200);
        // An OAuth-only account sets a first password without a current one.
        app.put("/api/v1/profile/password", Some(&access), json!({ "newPassword": "olive's own passphrase" })).await.expect(204);

        // Same subject again: same account.
        let again = sign_in(&app, "google").await;
        assert_eq!(again.expect(200)["user"]["id"], body["user"]["id"]);

        // GitHub with a verified e-mail of an existing password account: linked, not duplicated.
        let existing = app.user(&admin, "staff", "gary@example.com").await;
        *provider.user.lock().unwrap() = json!({ "id": 4242, "login": "gary", "name": "Gary Git" });
        *provider.emails.lock().unwrap() = json!([
            { "email": "gary-old@example.com", "primary": false, "verified": false },
            { "email": "gary@example.com", "primary": true, "verified": true }
        ]);
        let linked = sign_in(&app, "github").await;
        let linked = linked.expect(200);
        assert_eq!(linked["user"]["id"], existing.id.as_str());
        assert_eq!(linked["user"]["role"], "staff");
        // Gary's address was never verified: whoever set that password may not be Gary, so the
        // password goes and the old sessions end.
        assert_eq!(linked["user"]["hasPassword"], false);
        app.login("gary@example.com", PASSWORD).await.expect(401);
        app.get("/api/v1/auth/me", Some(&existing.access)).await.expect(401);

        // A verified account (its owner completed a password reset) keeps its password.
        let vera = app.user(&admin, "customer", "vera@example.com").await;
        let link = app.reset_link("vera@example.com").await;
        let token = link.split("token=").nth(1).unwrap().to_string();
        let new_password = "vera's verified passphrase";
        app.post("/api/v1/auth/reset-password", None, json!({ "token": token, "password": new_password })).await.expect(204);
        *provider.user.lock().unwrap() = json!({ "id": 777, "login": "vera", "name": "Vera V" });
        *provider.emails.lock().unwrap() = json!([{ "email": "vera@example.com", "primary": true, "verified": true }]);
        let vera_linked = sign_in(&app, "github").await;
        assert_eq!(vera_linked.expect(200)["user"]["id"], vera.id.as_str());
        assert_eq!(vera_linked.body["user"]["hasPassword"], true);
        app.login_ok("vera@example.com", new_password).await;

        // Unverified e-mail: refused, nothing created.
        *provider.user.lock().unwrap() = json!({ "sub": "g-2", "email": "mallory@example.com", "email_verified": false });
        sign_in(&app, "google").await.expect_error(422, "OAUTH_EMAIL_UNVERIFIED");
        let found = app.get("/api/v1/admin/users?search=mallory", Some(&admin.access)).await;
        assert_eq!(found.expect(200)["totalCount"], 0);

        // A forged or replayed state is refused; so is an unknown provider.
        let forged = app.get("/api/v1/auth/oauth/google/callback?code=x&state=forged", None).await;
        assert_eq!(forged.expect_error(400, "VALIDATION_ERROR"), vec!["state"]);
        app.get("/api/v1/auth/oauth/google/callback?error=access_denied", None).await.expect_error(400, "OAUTH_DENIED");
        app.get("/api/v1/auth/oauth/facebook/start", None).await.expect_error(404, "NOT_FOUND");

        let logins = app.audit(&admin, "action=auth.login").await;
        assert!(logins.iter().any(|e| e["details"]["method"] == "oauth:github" && e["details"]["account"] == "claimed"));
        assert!(logins.iter().any(|e| e["details"]["method"] == "oauth:google" && e["details"]["account"] == "created"));
    })
    .await;
}

async fn unconfigured_providers_are_not_found(app: TestApp) {
    app.get("/api/v1/auth/oauth/google/start", None)
        .await
        .expect_error(404, "NOT_FOUND");
    app.get("/api/v1/auth/oauth/github/callback?code=a&state=b", None)
        .await
        .expect_error(404, "NOT_FOUND");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_oauth_flow() {
    oauth_flow(Backend::Sqlite).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_oauth_flow() {
    oauth_flow(Backend::Postgres).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mysql_oauth_flow() {
    oauth_flow(Backend::Mysql).await
}

crate::scenarios!(unconfigured_providers_are_not_found);
