//! Bad input of every kind gets the documented error body with the right status, never a 5xx.

use serde_json::json;

use crate::harness::{TestApp, PASSWORD};

async fn raw(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    content_type: Option<&str>,
    body: Vec<u8>,
) -> crate::harness::Res {
    let mut request = app.client.request(method, app.url(path)).body(body);
    if let Some(ct) = content_type {
        request = request.header("content-type", ct);
    }
    app.send(request).await
}

async fn bad_input_gets_the_documented_errors(app: TestApp) {
    use reqwest::Method;
    let register = "/api/v1/auth/register";
    let res = raw(
        &app,
        Method::POST,
        register,
        Some("application/json"),
        b"{\"email\": ".to_vec(),
    )
    .await;
    res.expect_error(400, "MALFORMED_JSON");
    let res = raw(
        &app,
        Method::POST,
        register,
        Some("application/json"),
        b"not json at all".to_vec(),
    )
    .await;
    res.expect_error(400, "MALFORMED_JSON");
    let res = raw(
        &app,
        Method::POST,
        register,
        Some("text/plain"),
        b"{}".to_vec(),
    )
    .await;
    res.expect_error(415, "UNSUPPORTED_MEDIA_TYPE");
    let res = raw(&app, Method::POST, register, None, b"{}".to_vec()).await;
    res.expect_error(415, "UNSUPPORTED_MEDIA_TYPE");
    let res = raw(
        &app,
        Method::POST,
        register,
        Some("application/json"),
        b"[1,2,3]".to_vec(),
    )
    .await;
    res.expect_error(400, "VALIDATION_ERROR");
    let res = app
        .post(
            register,
            None,
            json!({ "email": ["a"], "password": 12345678, "firstName": {}, "lastName": null }),
        )
        .await;
    assert_eq!(res.expect_error(400, "VALIDATION_ERROR"), vec!["email"]);

    // A 10 MB body is refused before it is parsed.
    let huge = format!("{{\"email\":\"{}\"}}", "a".repeat(10 * 1024 * 1024));
    let head = format!("POST {register} HTTP/1.1\r\nContent-Type: application/json");
    let res = crate::harness::raw_request(&app, &head, huge.as_bytes()).await;
    res.expect_error(413, "PAYLOAD_TOO_LARGE");

    app.get("/api/v1/no/such/route", None)
        .await
        .expect_error(404, "NOT_FOUND");
    let res = app
        .call(Method::DELETE, "/api/v1/auth/login", None, None)
        .await;
    res.expect_error(405, "METHOD_NOT_ALLOWED");
    assert!(res.header("allow").is_some_and(|a| a.contains("POST")));

    // Generated request ids are echoed and named in error bodies; unsafe ones are replaced.
    let res = app.get("/api/v1/auth/me", None).await;
    let id = res.header("x-request-id").unwrap().to_string();
    assert_eq!(res.body["error"]["requestId"], id.as_str());
    let res = app
        .send(
            app.client
                .get(app.url("/health"))
                .header("x-request-id", "bad id <script>"),
        )
        .await;
    assert_ne!(res.header("x-request-id"), Some("bad id <script>"));

    // Injection strings and odd unicode are data, stored and returned verbatim.
    let names = [
        "Robert'); DROP TABLE users;--",
        "<img src=x onerror=alert(1)>",
        "Zoë Ünïcødé 🚚 名前",
        "\u{202e}reversed",
    ];
    for (i, name) in names.iter().enumerate() {
        let res = app
            .post(register, None, json!({ "email": format!("inj{i}@example.com"), "password": PASSWORD, "firstName": name, "lastName": "X" }))
            .await;
        assert_eq!(res.expect(201)["firstName"], *name);
    }
    let res = app.post(register, None, json!({ "email": "nul@example.com", "password": PASSWORD, "firstName": "a\u{0}b", "lastName": "X" })).await;
    assert_eq!(res.expect_error(400, "VALIDATION_ERROR"), vec!["firstName"]);
    let res = app.post(register, None, json!({ "email": "long@example.com", "password": PASSWORD, "firstName": "é".repeat(101), "lastName": "X" })).await;
    assert_eq!(res.expect_error(400, "VALIDATION_ERROR"), vec!["firstName"]);
    let res = app
        .post(
            "/api/v1/auth/login",
            None,
            json!({ "email": "' OR 1=1 --", "password": "' OR 1=1 --" }),
        )
        .await;
    res.expect_error(401, "UNAUTHORIZED");
    let admin = app.admin().await;
    let res = app
        .get(
            "/api/v1/admin/users?search=%27%20OR%201%3D1%20--",
            Some(&admin.access),
        )
        .await;
    assert_eq!(res.expect(200)["totalCount"], 0);
    // NUL characters (which PostgreSQL cannot store) are refused wherever they come in.
    let res = app
        .post(
            "/api/v1/auth/login",
            None,
            json!({ "email": "a\u{0}@example.com", "password": "x\u{0}" }),
        )
        .await;
    assert_eq!(res.expect_error(400, "VALIDATION_ERROR"), vec!["email"]);
    app.get("/api/v1/admin/users?search=a%00b", Some(&admin.access))
        .await
        .expect_error(400, "VALIDATION_ERROR");
    app.get("/api/v1/workflows/a%00b", Some(&admin.access))
        .await
        .expect_error(400, "VALIDATION_ERROR");
    let res = app
        .get("/api/v1/admin/users?limit=abc", Some(&admin.access))
        .await;
    assert_eq!(res.expect_error(400, "VALIDATION_ERROR"), vec!["limit"]);
}

crate::scenarios!(bad_input_gets_the_documented_errors);
