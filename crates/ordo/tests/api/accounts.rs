use serde_json::json;

use crate::harness::{TestApp, PASSWORD};

async fn first_admin_through_setup_token_once(app: TestApp) {
    assert_eq!(
        app.get("/api/v1/setup", None).await.expect(200)["setupRequired"],
        true
    );
    let token = app
        .setup_token
        .clone()
        .expect("a fresh install prints a setup token");
    let form = |token: &str| json!({ "token": token, "email": "boss@example.com", "password": PASSWORD, "firstName": "Bo", "lastName": "Ss" });

    let wrong = app.post("/api/v1/setup", None, form("not-the-token")).await;
    assert_eq!(wrong.expect_error(400, "VALIDATION_ERROR"), vec!["token"]);

    // Invalid account fields keep the token usable.
    let mut bad = form(&token);
    bad["password"] = json!("short");
    app.post("/api/v1/setup", None, bad)
        .await
        .expect_error(400, "VALIDATION_ERROR");

    let created = app.post("/api/v1/setup", None, form(&token)).await;
    assert_eq!(created.expect(201)["role"], "admin");
    assert_eq!(
        app.get("/api/v1/setup", None).await.expect(200)["setupRequired"],
        false
    );

    let again = app.post("/api/v1/setup", None, form(&token)).await;
    again.expect_error(409, "SETUP_DONE");
    let admin = app.login_ok("boss@example.com", PASSWORD).await;
    let me = app.get("/api/v1/auth/me", Some(&admin.access)).await;
    assert_eq!(me.expect(200)["email"], "boss@example.com");
}

async fn register_validates_and_rejects_duplicates(app: TestApp) {
    let ok = json!({ "email": "Jane.Doe@Example.com", "password": PASSWORD, "firstName": "Jane", "lastName": "Doe",
                     "username": "jdoe", "department": "Sales", "designation": "Buyer" });
    let created = app.post("/api/v1/auth/register", None, ok.clone()).await;
    let user = created.expect(201);
    assert_eq!(user["email"], "jane.doe@example.com");
    assert_eq!(user["role"], "customer");
    assert_eq!(user["department"], "Sales");
    assert!(user.get("passwordHash").is_none() && user.get("password").is_none());

    let mut same_email = ok.clone();
    same_email["username"] = json!("someone-else");
    let dup = app.post("/api/v1/auth/register", None, same_email).await;
    assert_eq!(dup.expect_error(409, "CONFLICT"), vec!["email"]);

    let mut same_username = ok.clone();
    same_username["email"] = json!("other@example.com");
    let dup_user = app.post("/api/v1/auth/register", None, same_username).await;
    assert_eq!(dup_user.expect_error(409, "CONFLICT"), vec!["username"]);

    let cases = [
        (
            json!({ "email": "nope", "password": PASSWORD, "firstName": "A", "lastName": "B" }),
            "email",
        ),
        (
            json!({ "email": "a@example.com", "password": "short", "firstName": "A", "lastName": "B" }),
            "password",
        ),
        (
            json!({ "email": "a@example.com", "password": "password123", "firstName": "A", "lastName": "B" }),
            "password",
        ),
        (
            json!({ "email": "a@example.com", "password": "a@example.com", "firstName": "A", "lastName": "B" }),
            "password",
        ),
        (
            json!({ "email": "a@example.com", "password": "x".repeat(129), "firstName": "A", "lastName": "B" }),
            "password",
        ),
        (
            json!({ "email": "a@example.com", "password": PASSWORD, "firstName": " ", "lastName": "B" }),
            "firstName",
        ),
        (
            json!({ "email": "a@example.com", "password": PASSWORD, "lastName": "B" }),
            "firstName",
        ),
        (
            json!({ "email": "a@example.com", "password": PASSWORD, "firstName": "A", "lastName": "B", "gender": "x" }),
            "gender",
        ),
        (
            json!({ "email": "a@example.com", "password": PASSWORD, "firstName": "A", "lastName": "B", "username": "a b" }),
            "username",
        ),
        (
            json!({ "email": "a@example.com", "firstName": "A", "lastName": "B" }),
            "password",
        ),
        (
            json!({ "email": 5, "password": PASSWORD, "firstName": "A", "lastName": "B" }),
            "email",
        ),
    ];
    for (body, field) in cases {
        let res = app.post("/api/v1/auth/register", None, body.clone()).await;
        let fields = res.expect_error(400, "VALIDATION_ERROR");
        assert!(
            fields.contains(&field.to_string()),
            "{body} should name {field}, got {fields:?}"
        );
    }
    // Nothing was half-written: only Jane exists.
    let admin = app.admin().await;
    let list = app
        .get("/api/v1/admin/users?role=customer", Some(&admin.access))
        .await;
    assert_eq!(list.expect(200)["totalCount"], 1);
}

crate::scenarios!(
    first_admin_through_setup_token_once,
    register_validates_and_rejects_duplicates
);
