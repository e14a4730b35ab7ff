use serde_json::json;

use crate::harness::{TestApp, PASSWORD};

async fn admins_manage_users(app: TestApp) {
    let admin = app.admin().await;
    let token = Some(admin.access.as_str());
    for (i, role) in [
        "manager", "staff", "staff", "customer", "customer", "customer",
    ]
    .iter()
    .enumerate()
    {
        let res = app
            .post(
                "/api/v1/admin/users",
                token,
                json!({ "email": format!("u{i}@example.com"), "password": PASSWORD, "role": role,
                        "firstName": format!("User{i}"), "lastName": "Zed", "department": if i % 2 == 0 { "Rolling" } else { "Melt" } }),
            )
            .await;
        assert_eq!(res.expect(201)["role"], *role);
    }
    let page = app.get("/api/v1/admin/users?limit=3&page=2", token).await;
    let page = page.expect(200);
    assert_eq!(
        (
            page["totalCount"].as_u64(),
            page["totalPages"].as_u64(),
            page["currentPage"].as_u64()
        ),
        (Some(7), Some(3), Some(2))
    );
    assert_eq!(page["items"].as_array().unwrap().len(), 3);
    assert_eq!(
        app.get("/api/v1/admin/users?role=staff", token)
            .await
            .expect(200)["totalCount"],
        2
    );
    assert_eq!(
        app.get("/api/v1/admin/users?search=ROLLING", token)
            .await
            .expect(200)["totalCount"],
        3
    );
    assert_eq!(
        app.get("/api/v1/admin/users?search=u4%40", token)
            .await
            .expect(200)["totalCount"],
        1
    );
    assert_eq!(
        app.get("/api/v1/admin/users?search=100%25", token)
            .await
            .expect(200)["totalCount"],
        0
    );
    app.get("/api/v1/admin/users?role=wizard", token)
        .await
        .expect_error(400, "VALIDATION_ERROR");
    app.get("/api/v1/admin/users?limit=1000", token)
        .await
        .expect_error(400, "VALIDATION_ERROR");
    app.get("/api/v1/admin/users?page=0", token)
        .await
        .expect_error(400, "VALIDATION_ERROR");

    let target = app.login_ok("u1@example.com", PASSWORD).await;
    let path = format!("/api/v1/admin/users/{}", target.id);
    assert_eq!(
        app.get(&path, token).await.expect(200)["email"],
        "u1@example.com"
    );
    let edited = app
        .put(
            &path,
            token,
            json!({ "email": "u1-new@example.com", "designation": "Foreman" }),
        )
        .await;
    assert_eq!(edited.expect(200)["designation"], "Foreman");
    let clash = app
        .put(&path, token, json!({ "email": "u2@example.com" }))
        .await;
    assert_eq!(clash.expect_error(409, "CONFLICT"), vec!["email"]);

    // Role changes apply to existing sessions at once.
    app.get("/api/v1/admin/users", Some(&target.access))
        .await
        .expect(403);
    app.put(&format!("{path}/role"), token, json!({ "role": "admin" }))
        .await
        .expect(200);
    app.get("/api/v1/admin/users", Some(&target.access))
        .await
        .expect(200);
    app.put(
        &format!("{path}/role"),
        token,
        json!({ "role": "overlord" }),
    )
    .await
    .expect_error(400, "VALIDATION_ERROR");

    // Deactivation ends sessions immediately and blocks sign-in; activation restores sign-in.
    app.post(&format!("{path}/deactivate"), token, json!({}))
        .await
        .expect(200);
    app.get("/api/v1/auth/me", Some(&target.access))
        .await
        .expect(401);
    app.post(
        "/api/v1/auth/refresh",
        None,
        json!({ "refreshToken": target.refresh }),
    )
    .await
    .expect(401);
    app.login("u1-new@example.com", PASSWORD).await.expect(401);
    assert_eq!(
        app.get("/api/v1/admin/users?active=false", token)
            .await
            .expect(200)["totalCount"],
        1
    );
    app.post(&format!("{path}/activate"), token, json!({}))
        .await
        .expect(200);
    app.login_ok("u1-new@example.com", PASSWORD).await;

    app.delete(&path, token).await.expect(204);
    app.get(&path, token).await.expect_error(404, "NOT_FOUND");
    app.delete(&path, token).await.expect(404);
    app.get("/api/v1/admin/users/not-a-uuid", token)
        .await
        .expect_error(400, "VALIDATION_ERROR");
    let missing = format!("/api/v1/admin/users/{}", uuid::Uuid::now_v7());
    app.get(&missing, token)
        .await
        .expect_error(404, "NOT_FOUND");

    let roles = app.audit(&admin, "action=user.role_changed").await;
    assert_eq!(roles[0]["details"]["before"]["role"], "staff");
    assert_eq!(roles[0]["details"]["after"]["role"], "admin");
}

async fn the_last_admin_stays(app: TestApp) {
    let admin = app.admin().await;
    let token = Some(admin.access.as_str());
    let me = format!("/api/v1/admin/users/{}", admin.id);
    app.put(&format!("{me}/role"), token, json!({ "role": "manager" }))
        .await
        .expect_error(409, "LAST_ADMIN");
    app.post(&format!("{me}/deactivate"), token, json!({}))
        .await
        .expect_error(409, "LAST_ADMIN");
    app.delete(&me, token).await.expect_error(409, "LAST_ADMIN");
    // Re-granting admin to an admin is fine.
    app.put(&format!("{me}/role"), token, json!({ "role": "admin" }))
        .await
        .expect(200);

    let second = app.user(&admin, "admin", "second@example.com").await;
    app.put(
        &format!("{me}/role"),
        Some(&second.access),
        json!({ "role": "manager" }),
    )
    .await
    .expect(200);
    let second_path = format!("/api/v1/admin/users/{}", second.id);
    app.post(
        &format!("{second_path}/deactivate"),
        Some(&second.access),
        json!({}),
    )
    .await
    .expect_error(409, "LAST_ADMIN");
    app.get("/api/v1/admin/users", Some(&admin.access))
        .await
        .expect(403);
}

crate::scenarios!(admins_manage_users, the_last_admin_stays);
