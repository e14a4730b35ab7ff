use serde_json::Value;

use crate::harness::TestApp;

async fn health_ready_metrics_and_docs(app: TestApp) {
    let health = app.get("/health", None).await;
    assert_eq!(health.expect(200)["status"], "ok");
    assert!(health.body["version"].is_string());
    assert!(health.body["uptimeSeconds"].is_u64());

    let ready = app.get("/ready", None).await;
    assert_eq!(ready.expect(200)["components"]["database"]["status"], "up");

    // Requests to a templated route show up in the metrics under its template, not their paths,
    // counted in one series.
    for id in [
        "00000000-0000-0000-0000-000000000000",
        "00000000-0000-0000-0000-000000000001",
    ] {
        app.get(&format!("/api/v1/admin/users/{id}"), None)
            .await
            .expect(401);
    }
    let metrics = app.get("/metrics", None).await;
    metrics.expect(200);
    let text = String::from_utf8(metrics.bytes.clone()).unwrap();
    assert!(text.contains("ordo_http_requests_total"), "{text}");
    assert!(
        text.contains(
            r#"ordo_http_requests_total{method="GET",route="/api/v1/admin/users/{id}",status="401"} 2"#
        ),
        "{text}"
    );
    assert!(
        !text.contains("00000000-0000"),
        "raw paths must not become labels"
    );
    assert!(text.contains("ordo_http_request_duration_seconds_bucket"));
    assert!(text.contains("ordo_db_pool_connections"));

    let headers = &health.headers;
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert!(headers["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("frame-ancestors 'none'"));
    assert!(headers.contains_key("referrer-policy"));
    assert!(
        !headers.contains_key("strict-transport-security"),
        "HSTS only when configured"
    );
    // An error the framework answers (here a method the route lacks), rewritten into the
    // documented error body, carries them too.
    let refused = app.put("/health", None, serde_json::json!({})).await;
    assert_eq!(refused.expect(405)["error"]["code"], "METHOD_NOT_ALLOWED");
    assert_eq!(refused.headers["x-content-type-options"], "nosniff");
    assert_eq!(refused.headers["x-frame-options"], "DENY");
    assert!(refused.headers.contains_key("content-security-policy"));

    let doc = app.get("/api/v1/openapi.json", None).await;
    let doc = doc.expect(200);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    let docs = app.get("/docs", None).await;
    docs.expect(200);
    let html = String::from_utf8(docs.bytes.clone()).unwrap();
    assert!(html.contains("/api/v1/auth/login") && html.contains("TokenResponse"));
}

/// Every route the application serves under /api/v1 is in the OpenAPI document, with its errors.
async fn openapi_documents_every_route(app: TestApp) {
    let doc = app
        .get("/api/v1/openapi.json", None)
        .await
        .expect(200)
        .clone();
    let paths = doc["paths"].as_object().unwrap();
    for (method, path) in crate::permissions::ROUTES
        .iter()
        .map(|r| (r.method, r.path))
    {
        let template = crate::permissions::template(path);
        let op = &paths
            .get(&template)
            .unwrap_or_else(|| panic!("{template} missing from the document"))
            [method.to_lowercase()];
        assert!(op.is_object(), "{method} {template} missing");
        let responses = op["responses"].as_object().unwrap();
        assert!(
            responses
                .keys()
                .any(|s| s.starts_with('2') || s.starts_with('3')),
            "{method} {template}"
        );
        if op.get("security").is_some() {
            assert!(
                responses.contains_key("401"),
                "{method} {template} must document 401"
            );
        }
    }
    for public in [
        "/api/v1/auth/register",
        "/api/v1/auth/login",
        "/api/v1/auth/refresh",
        "/api/v1/setup",
    ] {
        assert!(paths.contains_key(public), "{public}");
    }
    assert!(doc["components"]["schemas"]["ErrorBody"].is_object());
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        Value::from("bearer")
    );
}

async fn hsts_when_configured(app: TestApp) {
    let res = app.get("/health", None).await;
    assert!(res
        .header("strict-transport-security")
        .unwrap()
        .contains("max-age="));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_hsts_when_configured() {
    crate::harness::run_with(
        crate::harness::Backend::Sqlite,
        |s| s.hsts = true,
        hsts_when_configured,
    )
    .await
}

/// A browser's preflight from `origin` before it posts a sign-in.
fn preflight(app: &TestApp, origin: &str) -> reqwest::RequestBuilder {
    app.client
        .request(reqwest::Method::OPTIONS, app.url("/api/v1/auth/login"))
        .header("origin", origin)
        .header("access-control-request-method", "POST")
}

async fn cors_allows_only_configured_origins(app: TestApp) {
    let preflight = |origin| preflight(&app, origin);
    let allowed = app.send(preflight("https://shop.example.com")).await;
    assert_eq!(
        allowed.header("access-control-allow-origin"),
        Some("https://shop.example.com")
    );
    let denied = app.send(preflight("https://evil.example.com")).await;
    assert_eq!(denied.header("access-control-allow-origin"), None);
}

/// With no origin configured (the default) the API is for the web app served beside it: a
/// preflight is refused as any unknown method is, and no response carries cross-origin headers.
async fn no_cross_origin_headers_without_origins(app: TestApp) {
    let refused = app.send(preflight(&app, "https://shop.example.com")).await;
    assert_eq!(refused.status, 405);
    assert_eq!(refused.header("access-control-allow-origin"), None);
    let health = app
        .send(
            app.client
                .get(app.url("/health"))
                .header("origin", "https://shop.example.com"),
        )
        .await;
    assert_eq!(health.status, 200);
    for name in [
        "access-control-allow-origin",
        "access-control-expose-headers",
    ] {
        assert_eq!(health.header(name), None, "{name}");
    }
    assert!(health.header("vary").is_none_or(|v| !v.contains("origin")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_no_cross_origin_headers_without_origins() {
    crate::harness::run_with(
        crate::harness::Backend::Sqlite,
        |_| {},
        no_cross_origin_headers_without_origins,
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_cors_allows_only_configured_origins() {
    crate::harness::run_with(
        crate::harness::Backend::Sqlite,
        |s| s.cors_origins = vec!["https://shop.example.com".into()],
        cors_allows_only_configured_origins,
    )
    .await
}

crate::scenarios!(health_ready_metrics_and_docs, openapi_documents_every_route);
