use serde_json::json;

use crate::harness::{TestApp, PASSWORD};

async fn login_refresh_rotation_and_reuse_kills_family(app: TestApp) {
    let admin = app.admin().await;
    let user = app.user(&admin, "customer", "cara@example.com").await;
    let me = app.get("/api/v1/auth/me", Some(&user.access)).await;
    assert_eq!(me.expect(200)["email"], "cara@example.com");

    let login = app.login("cara@example.com", PASSWORD).await;
    let body = login.expect(200);
    assert_eq!(body["tokenType"], "Bearer");
    assert!(body["expiresIn"].as_u64().unwrap() > 0);

    // Rotation: each refresh token works once and yields a new pair.
    let first = app
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({ "refreshToken": user.refresh }),
        )
        .await;
    let first = first.expect(200).clone();
    let second_refresh = first["refreshToken"].as_str().unwrap().to_string();
    assert_ne!(second_refresh, user.refresh);
    let new_access = first["accessToken"].as_str().unwrap().to_string();
    app.get("/api/v1/auth/me", Some(&new_access))
        .await
        .expect(200);

    // Presenting the spent token again revokes the whole family: the newest tokens die too.
    let reuse = app
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({ "refreshToken": user.refresh }),
        )
        .await;
    reuse.expect_error(401, "UNAUTHORIZED");
    let after = app
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({ "refreshToken": second_refresh }),
        )
        .await;
    after.expect_error(401, "UNAUTHORIZED");
    app.get("/api/v1/auth/me", Some(&new_access))
        .await
        .expect_error(401, "UNAUTHORIZED");

    // The other login (another family) is unaffected.
    let other_access = body["accessToken"].as_str().unwrap();
    app.get("/api/v1/auth/me", Some(other_access))
        .await
        .expect(200);
    app.post("/api/v1/auth/logout", Some(other_access), json!({}))
        .await
        .expect(204);
    app.get("/api/v1/auth/me", Some(other_access))
        .await
        .expect_error(401, "UNAUTHORIZED");
    let other_refresh = body["refreshToken"].as_str().unwrap();
    app.post(
        "/api/v1/auth/refresh",
        None,
        json!({ "refreshToken": other_refresh }),
    )
    .await
    .expect(401);

    // Garbage tokens.
    app.get("/api/v1/auth/me", Some("not.a.jwt"))
        .await
        .expect_error(401, "UNAUTHORIZED");
    app.post(
        "/api/v1/auth/refresh",
        None,
        json!({ "refreshToken": "nope" }),
    )
    .await
    .expect(401);

    let reused = app.audit(&admin, "action=auth.refresh_token_reused").await;
    assert_eq!(reused.len(), 1);
}

/// Sends a login from a given client address (the app trusts X-Forwarded-For in these tests).
async fn login_from(app: &TestApp, ip: &str, email: &str, password: &str) -> crate::harness::Res {
    let request = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("x-forwarded-for", ip)
        .json(&json!({ "email": email, "password": password }));
    app.send(request).await
}

async fn failed_logins_are_generic_and_locked_out_per_account(app: TestApp) {
    let admin = app.admin().await;
    app.user(&admin, "staff", "sam@example.com").await;
    let wrong = login_from(&app, "10.0.0.1", "sam@example.com", "wrong password here").await;
    let unknown = login_from(
        &app,
        "10.0.0.2",
        "nobody@example.com",
        "wrong password here",
    )
    .await;
    wrong.expect_error(401, "UNAUTHORIZED");
    unknown.expect_error(401, "UNAUTHORIZED");
    assert_eq!(
        wrong.body["error"]["message"], unknown.body["error"]["message"],
        "no account enumeration"
    );

    // Four more failures for the account, each from another address.
    for i in 3..7 {
        login_from(
            &app,
            &format!("10.0.0.{i}"),
            "sam@example.com",
            "wrong password here",
        )
        .await
        .expect(401);
    }
    // Five failures for the account: refused even with the right password, from a fresh address.
    let locked = login_from(&app, "10.0.0.99", "sam@example.com", PASSWORD).await;
    locked.expect_error(429, "RATE_LIMITED");
    let retry: u64 = locked.header("retry-after").unwrap().parse().unwrap();
    assert!(retry > 0 && retry <= 15 * 60, "{retry}");
    // Other accounts from that address still sign in.
    login_from(&app, "10.0.0.99", "admin@example.com", PASSWORD)
        .await
        .expect(200);

    let failed = app.audit(&admin, "action=auth.login_failed").await;
    assert_eq!(failed.len(), 6);
    assert!(failed
        .iter()
        .any(|e| e["ip"] == "10.0.0.2" && e["details"]["reason"] == "unknown_account"));
}

async fn failed_logins_from_one_ip_are_locked_out(app: TestApp) {
    for i in 0..5 {
        app.login(&format!("someone{i}@example.com"), "wrong password here")
            .await
            .expect(401);
    }
    // Another account, same address: refused.
    app.login("admin@example.com", PASSWORD)
        .await
        .expect_error(429, "RATE_LIMITED");
}

async fn forgot_and_reset_password_through_outbox(app: TestApp) {
    let admin = app.admin().await;
    let user = app.user(&admin, "customer", "rita@example.com").await;

    app.post(
        "/api/v1/auth/forgot-password",
        None,
        json!({ "email": "ghost@example.com" }),
    )
    .await
    .expect(202);
    app.post(
        "/api/v1/auth/forgot-password",
        None,
        json!({ "email": "RITA@example.com" }),
    )
    .await
    .expect(202);
    let mail = app.mail_to("rita@example.com").await;
    assert!(!mail.contains("ghost@example.com"));
    let token = mail
        .lines()
        .find_map(|l| l.split("token=").nth(1))
        .map(|t| t.trim().to_string())
        .expect("a link with the token");

    let weak = app
        .post(
            "/api/v1/auth/reset-password",
            None,
            json!({ "token": token, "password": "12345678" }),
        )
        .await;
    assert_eq!(weak.expect_error(400, "VALIDATION_ERROR"), vec!["password"]);
    let new_password = "a fresh and long passphrase";
    app.post(
        "/api/v1/auth/reset-password",
        None,
        json!({ "token": token, "password": new_password }),
    )
    .await
    .expect(204);
    // Single use, and every old session is gone.
    let again = app
        .post(
            "/api/v1/auth/reset-password",
            None,
            json!({ "token": token, "password": "yet another passphrase" }),
        )
        .await;
    assert_eq!(again.expect_error(400, "VALIDATION_ERROR"), vec!["token"]);
    app.get("/api/v1/auth/me", Some(&user.access))
        .await
        .expect(401);
    app.post(
        "/api/v1/auth/refresh",
        None,
        json!({ "refreshToken": user.refresh }),
    )
    .await
    .expect(401);
    app.login("rita@example.com", PASSWORD).await.expect(401);
    app.login_ok("rita@example.com", new_password).await;
    app.post(
        "/api/v1/auth/forgot-password",
        None,
        json!({ "email": "not-an-email" }),
    )
    .await
    .expect(400);
}

mod per_account {
    use super::*;
    crate::scenarios!(settings = crate::harness::trust_proxy; failed_logins_are_generic_and_locked_out_per_account);
}

crate::scenarios!(
    login_refresh_rotation_and_reuse_kills_family,
    failed_logins_from_one_ip_are_locked_out,
    forgot_and_reset_password_through_outbox,
);
