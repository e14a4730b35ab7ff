use serde_json::json;

use crate::harness::{TestApp, PASSWORD};

async fn every_change_is_audited_with_its_request(app: TestApp) {
    let admin = app.admin().await;
    let request = app
        .client
        .post(app.url("/api/v1/auth/register"))
        .header("x-request-id", "trace-me-123")
        .header("user-agent", "ordo-test/1.0")
        .json(&json!({ "email": "newbie@example.com", "password": PASSWORD, "firstName": "New", "lastName": "Bie" }));
    let res = app.send(request).await;
    assert_eq!(res.header("x-request-id"), Some("trace-me-123"));
    let user_id = res.expect(201)["id"].as_str().unwrap().to_string();

    // The same change is in the event store, correlated by the request id.
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let events = ordo::events::entity::Entity::find()
        .filter(ordo::events::entity::Column::CorrelationId.eq("trace-me-123"))
        .all(app.state.db.conn())
        .await
        .unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].event_type, "user.registered");
    assert_eq!(events[0].aggregate_id, user_id);

    let entries = app.audit(&admin, "action=user.registered").await;

    assert_eq!(entries.len(), 1);
    let entry = &entries[0];
    assert_eq!(entry["actorId"], user_id.as_str());
    assert_eq!(entry["entityType"], "user");
    assert_eq!(entry["entityId"], user_id.as_str());
    assert_eq!(entry["requestId"], "trace-me-123");
    assert_eq!(entry["userAgent"], "ordo-test/1.0");
    assert_eq!(entry["ip"], "127.0.0.1");

    let session = app.login_ok("newbie@example.com", PASSWORD).await;
    app.post("/api/v1/auth/logout", Some(&session.access), json!({}))
        .await
        .expect(204);
    app.login("newbie@example.com", "not my password")
        .await
        .expect(401);
    let mine = app.audit(&admin, &format!("userId={user_id}")).await;
    let actions: Vec<&str> = mine.iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(
        actions,
        vec![
            "auth.login_failed",
            "auth.logout",
            "auth.login",
            "user.registered"
        ]
    );

    // Filters: entity, date range, paging.
    let by_entity = app
        .audit(&admin, &format!("entityType=user&entityId={user_id}"))
        .await;
    assert!(by_entity.len() >= 3);
    let future = (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339();
    let none = app
        .audit(&admin, &format!("from={}", urlencode(&future)))
        .await;
    assert!(none.is_empty());
    let past = (chrono::Utc::now() - chrono::Duration::hours(1)).to_rfc3339();
    let all = app
        .audit(
            &admin,
            &format!("from={}&to={}", urlencode(&past), urlencode(&future)),
        )
        .await;
    assert!(all.len() >= 6);
    let bad = app
        .get(
            "/api/v1/admin/audit-logs?from=yesterday",
            Some(&admin.access),
        )
        .await;
    assert_eq!(bad.expect_error(400, "VALIDATION_ERROR"), vec!["from"]);
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

crate::scenarios!(every_change_is_audited_with_its_request);
