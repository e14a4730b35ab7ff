//! Bulk actions answer per order, keep each order's rules, and are all-or-nothing on request.

use serde_json::{json, Value};

use crate::harness::{Session, TestApp};

async fn orders(app: &TestApp, who: &Session, sku: &str, n: usize) -> Vec<String> {
    let mut ids = Vec::new();
    for _ in 0..n {
        let order = app
            .post(
                "/api/v1/orders",
                Some(&who.access),
                json!({ "items": [{ "productId": sku, "quantity": 1 }] }),
            )
            .await
            .expect(201)
            .clone();
        ids.push(order["id"].as_str().unwrap().to_string());
    }
    ids
}

fn outcomes(res: &Value) -> Vec<String> {
    res["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["outcome"].as_str().unwrap().to_string())
        .collect()
}

async fn status_of(app: &TestApp, who: &Session, id: &str) -> String {
    let res = app
        .get(&format!("/api/v1/orders/{id}"), Some(&who.access))
        .await;
    res.expect(200)["status"].as_str().unwrap().to_string()
}

async fn bulk_actions_answer_per_order(app: TestApp) {
    let admin = app.admin().await;
    let manager = app.user(&admin, "manager", "ops@example.com").await;
    let staff = app.user(&admin, "staff", "fitter@example.com").await;
    let alice = app.user(&admin, "customer", "alice@example.com").await;
    app.customer_for(&admin, &alice, "Alice").await;
    let sku = app.product(&admin, "BULK", "5", "100").await;
    let ids = orders(&app, &alice, &sku, 4).await;
    let missing = uuid::Uuid::now_v7().to_string();

    // A mix: three movable orders, one unknown id, one already moved.
    app.post(
        &format!("/api/v1/orders/{}/transitions", ids[3]),
        Some(&manager.access),
        json!({ "to": "cancelled", "fields": { "reason": "dup" } }),
    )
    .await
    .expect(200);
    let body = json!({ "action": "transition", "to": "processing", "ids": [ids[0], ids[1], missing, ids[2], ids[3]] });
    let res = app
        .post("/api/v1/orders/bulk", Some(&manager.access), body)
        .await;
    let res = res.expect(200).clone();
    assert_eq!(outcomes(&res), ["done", "done", "failed", "done", "failed"]);
    assert_eq!(
        (res["succeeded"].as_u64(), res["failed"].as_u64()),
        (Some(3), Some(2))
    );
    assert_eq!(res["results"][2]["status"], 404);
    assert_eq!(res["results"][2]["error"]["code"], "NOT_FOUND");
    assert_eq!(res["results"][4]["status"], 422, "{res}");
    for id in &ids[..3] {
        assert_eq!(status_of(&app, &admin, id).await, "processing");
    }
    // Each moved order has its own history and audit entry.
    assert_eq!(
        app.audit(&admin, "action=order.status_changed").await.len(),
        4
    );

    // Atomic: one failure undoes the rest.
    let body = json!({ "action": "transition", "to": "shipped", "fields": { "trackingNumber": "T-9" },
                       "ids": [ids[0], ids[1], ids[3], ids[2]], "atomic": true });
    let res = app
        .post("/api/v1/orders/bulk", Some(&manager.access), body)
        .await;
    let res = res.expect(200).clone();
    assert_eq!(
        outcomes(&res),
        ["rolled_back", "rolled_back", "failed", "skipped"]
    );
    assert_eq!(res["succeeded"], 0);
    for id in &ids[..3] {
        assert_eq!(
            status_of(&app, &admin, id).await,
            "processing",
            "nothing moved"
        );
    }
    let body =
        json!({ "action": "set-priority", "priority": 1, "ids": [ids[0], ids[1]], "atomic": true });
    let res = app
        .post("/api/v1/orders/bulk", Some(&manager.access), body)
        .await;
    assert_eq!(outcomes(res.expect(200)), ["done", "done"]);
    let order = app
        .get(&format!("/api/v1/orders/{}", ids[1]), Some(&admin.access))
        .await;
    assert_eq!(order.expect(200)["priority"], 1);
    // The dashboards' summary counts followed the runs that committed, and not the one that
    // was rolled back (they are written once per atomic run, before it commits).
    let overview = app
        .get("/api/v1/dashboard/overview", Some(&admin.access))
        .await;
    let overview = overview.expect(200);
    assert_eq!(
        overview["byStatus"],
        json!({ "processing": 3, "cancelled": 1 })
    );
    assert_eq!(overview["byPriority"], json!({ "1": 2, "3": 2 }));

    // Assign and unassign.
    let body = json!({ "action": "assign", "userId": staff.id, "ids": [ids[0], ids[2]] });
    let res = app
        .post("/api/v1/orders/bulk", Some(&manager.access), body)
        .await;
    assert_eq!(outcomes(res.expect(200)), ["done", "done"]);
    let visible = app.get("/api/v1/orders", Some(&staff.access)).await;
    assert_eq!(visible.expect(200)["totalCount"], 2);
    let body = json!({ "action": "assign", "userId": null, "ids": [ids[0]] });
    app.post("/api/v1/orders/bulk", Some(&manager.access), body)
        .await
        .expect(200);

    // A customer may delete its own pending order but not another's, nor assign.
    let own = orders(&app, &alice, &sku, 1).await;
    let res = app
        .post(
            "/api/v1/orders/bulk",
            Some(&alice.access),
            json!({ "action": "delete", "ids": [own[0], ids[0]] }),
        )
        .await;
    let res = res.expect(200).clone();
    assert_eq!(outcomes(&res), ["done", "failed"], "{res}");
    assert_eq!(res["results"][1]["status"], 403);
    app.get(&format!("/api/v1/orders/{}", own[0]), Some(&admin.access))
        .await
        .expect_error(404, "NOT_FOUND");
    app.post(
        "/api/v1/orders/bulk",
        Some(&alice.access),
        json!({ "action": "assign", "userId": null, "ids": [own[0]] }),
    )
    .await
    .expect_error(403, "FORBIDDEN");

    // The request's own mistakes are refused before any order is touched.
    let many: Vec<String> = (0..501).map(|_| uuid::Uuid::now_v7().to_string()).collect();
    for (body, field) in [
        (
            json!({ "action": "transition", "ids": [] , "to": "processing" }),
            "ids",
        ),
        (
            json!({ "action": "transition", "ids": many, "to": "processing" }),
            "ids",
        ),
        (
            json!({ "action": "transition", "ids": [ids[0], ids[0]], "to": "processing" }),
            "ids",
        ),
        (json!({ "action": "transition", "ids": [ids[0]] }), "to"),
        (
            json!({ "action": "set-priority", "ids": [ids[0]], "priority": 9 }),
            "priority",
        ),
        (json!({ "action": "assign", "ids": [ids[0]] }), "userId"),
        (json!({ "action": "archive", "ids": [ids[0]] }), "action"),
        (json!({ "action": "delete", "ids": ["nope"] }), "ids[0]"),
    ] {
        let fields = app
            .post("/api/v1/orders/bulk", Some(&manager.access), body.clone())
            .await
            .expect_error(400, "VALIDATION_ERROR");
        assert_eq!(fields, vec![field], "{body}");
    }
    assert_eq!(status_of(&app, &admin, &ids[0]).await, "processing");
}

crate::scenarios!(bulk_actions_answer_per_order);
