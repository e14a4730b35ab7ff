//! Items, lists, deletion, custom workflows, permissions and bad input on the order routes.

use reqwest::Method;
use serde_json::{json, Value};

use crate::harness::{Session, TestApp};

async fn items_change_totals_and_reservations(app: TestApp) {
    let admin = app.admin().await;
    let buyer = app.user(&admin, "customer", "items@example.com").await;
    let a = app.product(&admin, "ITEM-A", "2.50", "20").await;
    let b = app.product(&admin, "ITEM-B", "10", "5").await;
    let order = app
        .post(
            "/api/v1/orders",
            Some(&buyer.access),
            json!({ "items": [{ "productId": a, "quantity": 4 }] }),
        )
        .await;
    let order = order.expect(201).clone();
    let path = format!("/api/v1/orders/{}", order["id"].as_str().unwrap());
    let item_a = order["items"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(order["total"], "10.00");

    let added = app
        .post(
            &format!("{path}/items"),
            Some(&buyer.access),
            json!({ "productId": b, "quantity": "1.5" }),
        )
        .await;
    let item_b = added.expect(201)["id"].as_str().unwrap().to_string();
    assert_eq!(added.body["lineTotal"], "15.00");
    assert_eq!(added.body["reservedQuantity"], "1.5");
    assert_eq!(app.stock(&admin, &b).await["reserved"], "1.5");
    let too_many = app
        .post(
            &format!("{path}/items"),
            Some(&buyer.access),
            json!({ "productId": b, "quantity": 10 }),
        )
        .await;
    too_many.expect_error(409, "INSUFFICIENT_STOCK");

    let patched = app
        .send(
            app.client
                .patch(app.url(&format!("{path}/items/{item_a}")))
                .bearer_auth(&buyer.access)
                .json(&json!({ "quantity": 2 })),
        )
        .await;
    assert_eq!(patched.expect(200)["lineTotal"], "5.00");
    assert_eq!(app.stock(&admin, &a).await["reserved"], "2");
    app.delete(&format!("{path}/items/{item_b}"), Some(&buyer.access))
        .await
        .expect(204);
    assert_eq!(app.stock(&admin, &b).await["reserved"], "0");
    let now = app
        .get(&path, Some(&buyer.access))
        .await
        .expect(200)
        .clone();
    assert_eq!(now["total"], "5.00");
    assert_eq!(now["items"].as_array().unwrap().len(), 1);
    let stale = app
        .send(
            app.client
                .post(app.url(&format!("{path}/items")))
                .bearer_auth(&buyer.access)
                .header("if-match", "\"1\"")
                .json(&json!({ "code": "X", "description": "Gift wrap", "quantity": 1 })),
        )
        .await;
    stale.expect_error(409, "CONFLICT");
    let free = app
        .post(
            &format!("{path}/items"),
            Some(&buyer.access),
            json!({ "code": "WRAP", "description": "Gift wrap", "quantity": 1 }),
        )
        .await;
    assert_eq!(free.expect(201)["lineTotal"], "0.00");
    let missing = app
        .post(
            &format!("{path}/items"),
            Some(&buyer.access),
            json!({ "quantity": 1 }),
        )
        .await;
    let mut fields = missing.expect_error(400, "VALIDATION_ERROR");
    fields.sort();
    assert_eq!(fields, vec!["code", "description"]);
}

async fn lists_filter_search_sort_and_scope(app: TestApp) {
    let admin = app.admin().await;
    let alice = app.user(&admin, "customer", "alice@example.com").await;
    let bob = app.user(&admin, "customer", "bob@example.com").await;
    app.customer_for(&admin, &alice, "Alice Anvil Works").await;
    let sku = app.product(&admin, "ANVIL-9", "100", "50").await;
    for (who, n) in [(&alice, 3), (&bob, 2)] {
        for i in 0..n {
            let body = json!({ "items": [{ "productId": sku, "quantity": 1 }], "title": format!("{} order {i}", who.id), "priority": 1 + i });
            app.post("/api/v1/orders", Some(&who.access), body)
                .await
                .expect(201);
        }
    }
    let rake = json!({ "workflow": "rake", "destination": "KOLKATA", "materialCode": "SLAB", "party": "COASTAL-SHIP", "origin": "DSP",
                       "orderQuantity": 60, "validUntil": "2030-01-01T00:00:00Z", "number": "RAKE-0001" });
    app.post("/api/v1/orders", Some(&admin.access), rake.clone())
        .await
        .expect(201);
    assert_eq!(
        app.post("/api/v1/orders", Some(&admin.access), rake)
            .await
            .expect_error(409, "CONFLICT"),
        vec!["number"]
    );

    let count = |s: &Session, q: &str| {
        let app = app.clone();
        let token = s.access.clone();
        let q = q.to_string();
        async move {
            app.get(&format!("/api/v1/orders?{q}"), Some(&token))
                .await
                .expect(200)["totalCount"]
                .as_u64()
                .unwrap()
        }
    };
    assert_eq!(count(&admin, "").await, 6);
    assert_eq!(count(&alice, "").await, 3);
    assert_eq!(count(&bob, "").await, 2);
    assert_eq!(count(&admin, "workflow=rake").await, 1);
    assert_eq!(count(&admin, "status=pending").await, 5);
    assert_eq!(count(&admin, "priority=1").await, 2);
    assert_eq!(count(&admin, "search=rake-0001").await, 1);
    assert_eq!(count(&admin, "search=coastal").await, 1);
    assert_eq!(count(&admin, "search=anvil-9").await, 5, "by item SKU");
    assert_eq!(
        count(&admin, "search=alice%20anvil").await,
        3,
        "by customer name"
    );
    assert_eq!(
        count(&bob, "search=anvil-9").await,
        2,
        "search stays scoped"
    );
    let future = "2999-01-01T00:00:00Z";
    assert_eq!(count(&admin, &format!("createdFrom={future}")).await, 0);
    assert_eq!(
        count(&admin, &format!("createdTo={future}&updatedTo={future}")).await,
        6
    );

    let page = app
        .get(
            "/api/v1/orders?sort=priority&order=asc&limit=2&page=2",
            Some(&admin.access),
        )
        .await;
    let page = page.expect(200);
    assert_eq!(
        (page["totalPages"].as_u64(), page["currentPage"].as_u64()),
        (Some(3), Some(2))
    );
    let priorities: Vec<i64> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["priority"].as_i64().unwrap())
        .collect();
    assert!(priorities.windows(2).all(|w| w[0] <= w[1]));
    for bad in [
        "sort=color",
        "order=up",
        "priority=7",
        "limit=0",
        "createdFrom=yesterday",
        "customerId=nope",
    ] {
        app.get(&format!("/api/v1/orders?{bad}"), Some(&admin.access))
            .await
            .expect_error(400, "VALIDATION_ERROR");
    }
    // Another customer's order is not found, not forbidden.
    let alices = app
        .get("/api/v1/orders?limit=1", Some(&alice.access))
        .await
        .expect(200)["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    app.get(&format!("/api/v1/orders/{alices}"), Some(&bob.access))
        .await
        .expect_error(404, "NOT_FOUND");
    app.delete(&format!("/api/v1/orders/{alices}"), Some(&bob.access))
        .await
        .expect(404);
}

async fn deleting_orders_follows_ownership_and_state(app: TestApp) {
    let admin = app.admin().await;
    let manager = app.user(&admin, "manager", "boss@example.com").await;
    let owner = app.user(&admin, "customer", "owner@example.com").await;
    let sku = app.product(&admin, "DEL-1", "1", "10").await;
    let create = |s: &Session| {
        let app = app.clone();
        let token = s.access.clone();
        let sku = sku.clone();
        async move {
            let res = app
                .post(
                    "/api/v1/orders",
                    Some(&token),
                    json!({ "items": [{ "productId": sku, "quantity": 2 }] }),
                )
                .await;
            format!("/api/v1/orders/{}", res.expect(201)["id"].as_str().unwrap())
        }
    };
    let first = create(&owner).await;
    app.delete(&first, Some(&manager.access))
        .await
        .expect_error(403, "FORBIDDEN");
    app.delete(&first, Some(&owner.access)).await.expect(204);
    app.get(&first, Some(&owner.access)).await.expect(404);
    assert_eq!(
        app.stock(&admin, &sku).await["reserved"],
        "0",
        "its stock came back"
    );
    let second = create(&owner).await;
    app.post(
        &format!("{second}/transitions"),
        Some(&manager.access),
        json!({ "to": "processing" }),
    )
    .await
    .expect(200);
    app.delete(&second, Some(&owner.access))
        .await
        .expect_error(403, "FORBIDDEN");
    app.put(&second, Some(&owner.access), json!({ "title": "late" }))
        .await
        .expect_error(403, "FORBIDDEN");
    app.delete(&second, Some(&admin.access)).await.expect(204);
    let audit = app.audit(&admin, "action=order.deleted").await;
    assert_eq!(audit.len(), 2);
}

async fn admins_add_workflows_that_work_at_once(app: TestApp) {
    let admin = app.admin().await;
    let manager = app.user(&admin, "manager", "flow@example.com").await;
    let definition = json!({
        "name": "repair", "label": "Repair job", "initial": "received",
        "states": [
            { "name": "received", "label": "Received" },
            { "name": "quoted", "label": "Quoted" },
            { "name": "repaired", "label": "Repaired", "terminal": true },
            { "name": "scrapped", "label": "Scrapped", "terminal": true }
        ],
        "transitions": [
            { "name": "quote", "from": ["received"], "to": "quoted", "roles": ["manager", "admin"] },
            { "name": "repair", "from": ["quoted"], "to": "repaired", "roles": ["manager"], "effects": ["stampCompleted"] },
            { "name": "scrap", "from": ["received", "quoted"], "to": "scrapped", "roles": ["admin"], "requiredFields": ["cancelReason"] }
        ],
        "editableIn": ["received"]
    });
    app.post(
        "/api/v1/workflows",
        Some(&manager.access),
        definition.clone(),
    )
    .await
    .expect(403);
    let mut broken = definition.clone();
    broken["transitions"][0]["to"] = json!("nowhere");
    broken["name"] = json!("Bad Name");
    let fields = app
        .post("/api/v1/workflows", Some(&admin.access), broken)
        .await
        .expect_error(400, "VALIDATION_ERROR");
    assert!(
        fields.contains(&"name".to_string()) && fields.contains(&"transitions[0].to".to_string()),
        "{fields:?}"
    );
    let mut unreachable = definition.clone();
    unreachable["states"]
        .as_array_mut()
        .unwrap()
        .push(json!({ "name": "limbo", "label": "Limbo" }));
    app.post("/api/v1/workflows", Some(&admin.access), unreachable)
        .await
        .expect_error(400, "VALIDATION_ERROR");
    app.post("/api/v1/workflows", Some(&admin.access), definition.clone())
        .await
        .expect(201);
    app.post("/api/v1/workflows", Some(&admin.access), definition)
        .await
        .expect_error(409, "CONFLICT");
    let mut clash = app
        .get("/api/v1/workflows/standard", Some(&admin.access))
        .await
        .expect(200)
        .clone();
    clash["label"] = json!("Mine");
    app.post("/api/v1/workflows", Some(&admin.access), clash)
        .await
        .expect_error(409, "CONFLICT");
    let names: Vec<String> = app
        .get("/api/v1/workflows", Some(&manager.access))
        .await
        .expect(200)
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, vec!["standard", "rake", "service", "repair"]);

    let order = app
        .post(
            "/api/v1/orders",
            Some(&manager.access),
            json!({ "workflow": "repair", "title": "Gearbox" }),
        )
        .await;
    let order = order.expect(201).clone();
    assert_eq!(order["status"], "received");
    let path = format!("/api/v1/orders/{}", order["id"].as_str().unwrap());
    let to = |target: &str| json!({ "to": target });
    app.post(
        &format!("{path}/transitions"),
        Some(&manager.access),
        to("repaired"),
    )
    .await
    .expect_error(422, "INVALID_TRANSITION");
    app.post(
        &format!("{path}/transitions"),
        Some(&manager.access),
        to("scrapped"),
    )
    .await
    .expect_error(403, "FORBIDDEN");
    app.post(
        &format!("{path}/transitions"),
        Some(&manager.access),
        to("quoted"),
    )
    .await
    .expect(200);
    let done = app
        .post(
            &format!("{path}/transitions"),
            Some(&manager.access),
            to("repaired"),
        )
        .await;
    let done = done.expect(200);
    assert_eq!(done["status"], "repaired");
    assert!(done["completedAt"].is_string());
    app.post(
        "/api/v1/orders",
        Some(&manager.access),
        json!({ "workflow": "nope" }),
    )
    .await
    .expect_error(400, "VALIDATION_ERROR");
}

/// Every role against every order route, with the status the permission table and the
/// order's relation to the caller imply.
async fn order_permission_matrix(app: TestApp) {
    let admin = app.admin().await;
    let manager = app.user(&admin, "manager", "pm@example.com").await;
    let staff = app.user(&admin, "staff", "ps@example.com").await;
    let customer = app.user(&admin, "customer", "pc@example.com").await;
    let sku = app.product(&admin, "PERM-1", "1", "1000").await;
    // An order none of the non-admins owns or works.
    let fresh = || {
        let app = app.clone();
        let admin = admin.access.clone();
        let sku = sku.clone();
        async move {
            let res = app
                .post(
                    "/api/v1/orders",
                    Some(&admin),
                    json!({ "items": [{ "productId": sku, "quantity": 1 }] }),
                )
                .await;
            res.expect(201).clone()
        }
    };
    let roles: [(&str, Option<&Session>); 5] = [
        ("admin", Some(&admin)),
        ("manager", Some(&manager)),
        ("staff", Some(&staff)),
        ("customer", Some(&customer)),
        ("anonymous", None),
    ];
    type Case = (
        &'static str,
        &'static str,
        fn(&Value) -> Option<Value>,
        [u16; 5],
    );
    let cases: Vec<Case> = vec![
        ("GET", "/api/v1/orders", |_| None, [200, 200, 200, 200, 401]),
        (
            "POST",
            "/api/v1/orders",
            |_| Some(json!({ "workflow": "service" })),
            [201, 201, 201, 201, 401],
        ),
        (
            "GET",
            "/api/v1/orders/{id}",
            |_| None,
            [200, 200, 404, 404, 401],
        ),
        (
            "PUT",
            "/api/v1/orders/{id}",
            |_| Some(json!({ "title": "t" })),
            [200, 200, 404, 404, 401],
        ),
        (
            "PATCH",
            "/api/v1/orders/{id}",
            |_| Some(json!({ "title": "t" })),
            [200, 200, 404, 404, 401],
        ),
        (
            "DELETE",
            "/api/v1/orders/{id}",
            |_| None,
            [204, 403, 404, 404, 401],
        ),
        (
            "GET",
            "/api/v1/orders/{id}/items",
            |_| None,
            [200, 200, 404, 404, 401],
        ),
        (
            "POST",
            "/api/v1/orders/{id}/items",
            |_| Some(json!({ "code": "X", "description": "X", "quantity": 1 })),
            [201, 201, 404, 404, 401],
        ),
        (
            "PATCH",
            "/api/v1/orders/{id}/items/{item}",
            |_| Some(json!({ "quantity": 1 })),
            [200, 200, 404, 404, 401],
        ),
        (
            "DELETE",
            "/api/v1/orders/{id}/items/{item}",
            |_| None,
            [204, 204, 404, 404, 401],
        ),
        (
            "POST",
            "/api/v1/orders/{id}/transitions",
            |_| Some(json!({ "to": "processing" })),
            [200, 200, 404, 404, 401],
        ),
        (
            "PATCH",
            "/api/v1/orders/{id}/status",
            |_| Some(json!({ "status": "processing" })),
            [200, 200, 404, 404, 401],
        ),
        (
            "POST",
            "/api/v1/orders/{id}/cancel",
            |_| Some(json!({ "reason": "r" })),
            [200, 200, 404, 404, 401],
        ),
        (
            "POST",
            "/api/v1/orders/{id}/finalize",
            |_| None,
            [422, 422, 404, 404, 401],
        ),
        (
            "POST",
            "/api/v1/orders/{id}/complete",
            |_| Some(json!({})),
            [422, 422, 404, 404, 401],
        ),
        (
            "PUT",
            "/api/v1/orders/{id}/assignee",
            |_| Some(json!({ "userId": null })),
            [200, 200, 403, 403, 401],
        ),
        (
            "GET",
            "/api/v1/orders/{id}/shipments",
            |_| None,
            [200, 200, 404, 404, 401],
        ),
        (
            "POST",
            "/api/v1/orders/{id}/shipments",
            |o| Some(json!({ "items": [{ "itemId": o["items"][0]["id"], "quantity": 1 }] })),
            [422, 422, 403, 403, 401],
        ),
        (
            "POST",
            "/api/v1/admin/jobs/auto-advance/run",
            |_| Some(json!({})),
            [200, 403, 403, 403, 401],
        ),
        (
            "GET",
            "/api/v1/workflows",
            |_| None,
            [200, 200, 200, 200, 401],
        ),
        (
            "POST",
            "/api/v1/workflows",
            |_| Some(json!({})),
            [400, 403, 403, 403, 401],
        ),
        (
            "GET",
            "/api/v1/customers",
            |_| None,
            [200, 200, 200, 403, 401],
        ),
        (
            "POST",
            "/api/v1/customers",
            |_| Some(json!({ "name": "C" })),
            [201, 201, 403, 403, 401],
        ),
        (
            "GET",
            "/api/v1/products",
            |_| None,
            [200, 200, 200, 200, 401],
        ),
        (
            "POST",
            "/api/v1/products",
            |_| Some(json!({})),
            [400, 400, 403, 403, 401],
        ),
        (
            "GET",
            "/api/v1/inventory",
            |_| None,
            [200, 200, 200, 403, 401],
        ),
        (
            "GET",
            "/api/v1/reference/mills",
            |_| None,
            [200, 200, 200, 200, 401],
        ),
        (
            "POST",
            "/api/v1/reference/mills",
            |_| Some(json!({})),
            [400, 403, 403, 403, 401],
        ),
    ];
    let mut failures = Vec::new();
    for (method, template, body, expected) in &cases {
        for (i, (role, session)) in roles.iter().enumerate() {
            let order = fresh().await;
            let path = template
                .replace("{id}", order["id"].as_str().unwrap())
                .replace("{item}", order["items"][0]["id"].as_str().unwrap());
            let res = app
                .call(
                    Method::from_bytes(method.as_bytes()).unwrap(),
                    &path,
                    session.map(|s| s.access.as_str()),
                    body(&order),
                )
                .await;
            if res.status.as_u16() != expected[i] {
                failures.push(format!(
                    "{role:>9} {method} {template} -> {} (expected {}) {}",
                    res.status, expected[i], res.body
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "order permission mismatches:\n{}",
        failures.join("\n")
    );
}

async fn bad_input_on_order_routes(app: TestApp) {
    let admin = app.admin().await;
    let token = Some(admin.access.as_str());
    let order = app
        .post("/api/v1/orders", token, json!({ "workflow": "service" }))
        .await;
    let path = format!(
        "/api/v1/orders/{}",
        order.expect(201)["id"].as_str().unwrap()
    );
    let cases: Vec<(Method, String, Value, u16)> = vec![
        (
            Method::POST,
            "/api/v1/orders".into(),
            json!({ "items": "many" }),
            400,
        ),
        (
            Method::POST,
            "/api/v1/orders".into(),
            json!({ "items": [{ "quantity": "-1", "code": "x", "description": "y" }] }),
            400,
        ),
        (
            Method::POST,
            "/api/v1/orders".into(),
            json!({ "items": [{ "quantity": "1.0001", "code": "x", "description": "y" }] }),
            400,
        ),
        (
            Method::POST,
            "/api/v1/orders".into(),
            json!({ "workflow": "service", "priority": 9 }),
            400,
        ),
        (
            Method::POST,
            "/api/v1/orders".into(),
            json!({ "workflow": "service", "attributes": [1, 2] }),
            400,
        ),
        (
            Method::POST,
            "/api/v1/orders".into(),
            json!({ "workflow": "service", "number": "has spaces" }),
            400,
        ),
        (
            Method::POST,
            "/api/v1/orders".into(),
            json!({ "workflow": "service", "validUntil": "soon" }),
            400,
        ),
        (
            Method::POST,
            "/api/v1/orders".into(),
            json!({ "workflow": "service", "currency": "dollars" }),
            400,
        ),
        (
            Method::POST,
            "/api/v1/orders".into(),
            json!({ "workflow": "service", "title": "x".repeat(201) }),
            400,
        ),
        (
            Method::PUT,
            path.clone(),
            json!({ "workflow": "rake" }),
            400,
        ),
        (Method::PUT, path.clone(), json!({ "version": "one" }), 400),
        (Method::POST, format!("{path}/transitions"), json!({}), 400),
        (
            Method::POST,
            format!("{path}/transitions"),
            json!({ "to": "nowhere" }),
            422,
        ),
        (
            Method::POST,
            format!("{path}/transitions"),
            json!({ "to": "cancelled", "fields": { "dispatchQuantity": "lots" } }),
            400,
        ),
        (
            Method::POST,
            format!("{path}/shipments"),
            json!({ "items": [] }),
            400,
        ),
        (
            Method::PUT,
            format!("{path}/assignee"),
            json!({ "userId": "not-a-uuid" }),
            400,
        ),
        (
            Method::PUT,
            format!("{path}/assignee"),
            json!({ "userId": uuid::Uuid::now_v7() }),
            400,
        ),
        (
            Method::GET,
            "/api/v1/orders/not-a-uuid".into(),
            Value::Null,
            400,
        ),
        (
            Method::GET,
            format!("/api/v1/orders/{}", uuid::Uuid::now_v7()),
            Value::Null,
            404,
        ),
        (
            Method::POST,
            format!("/api/v1/orders/{}/transitions", uuid::Uuid::now_v7()),
            json!({ "to": "x" }),
            404,
        ),
    ];
    for (method, path, body, status) in cases {
        let body = (!body.is_null()).then_some(body);
        let res = app.call(method.clone(), &path, token, body.clone()).await;
        assert_eq!(
            res.status.as_u16(),
            status,
            "{method} {path} {body:?}: {}",
            res.body
        );
        assert!(res.body["error"]["code"].is_string(), "{}", res.body);
    }
    let raw = app
        .send(
            app.client
                .post(app.url("/api/v1/orders"))
                .bearer_auth(&admin.access)
                .header("content-type", "application/json")
                .body("{oops"),
        )
        .await;
    raw.expect_error(400, "MALFORMED_JSON");
    let text = app
        .send(
            app.client
                .post(app.url("/api/v1/orders"))
                .bearer_auth(&admin.access)
                .body("{}"),
        )
        .await;
    text.expect_error(415, "UNSUPPORTED_MEDIA_TYPE");
    let key = app
        .send(
            app.client
                .post(app.url("/api/v1/orders"))
                .bearer_auth(&admin.access)
                .header("idempotency-key", "")
                .json(&json!({})),
        )
        .await;
    key.expect_error(400, "VALIDATION_ERROR");
    // Nothing above created an order besides the first.
    assert_eq!(
        app.get("/api/v1/orders", token).await.expect(200)["totalCount"],
        1
    );
}

/// Times before 1970 and after 2038 survive every backend unchanged, and filter correctly.
async fn dates_round_trip_on_every_backend(app: TestApp) {
    let admin = app.admin().await;
    let body = json!({ "workflow": "service", "validUntil": "2040-05-06T07:08:09.123456Z", "estimatedCompletion": "1960-01-02T03:04:05Z" });
    let created = app.post("/api/v1/orders", Some(&admin.access), body).await;
    let id = created.expect(201)["id"].as_str().unwrap().to_string();
    let read = app
        .get(&format!("/api/v1/orders/{id}"), Some(&admin.access))
        .await
        .expect(200)
        .clone();
    assert_eq!(read["validUntil"], "2040-05-06T07:08:09.123456Z");
    assert_eq!(read["estimatedCompletion"], "1960-01-02T03:04:05Z");
    let far = "createdTo=2999-01-01T00:00:00Z&createdFrom=1900-01-01T00:00:00Z";
    assert_eq!(
        app.get(&format!("/api/v1/orders?{far}"), Some(&admin.access))
            .await
            .expect(200)["totalCount"],
        1
    );
}

/// The longest texts the API accepts, in four-byte characters, fit every backend, including the
/// audit entry and event that carry them twice (before and after).
async fn longest_texts_fit_every_backend(app: TestApp) {
    let admin = app.admin().await;
    let long = "🚚".repeat(5000);
    let body = json!({ "workflow": "service", "title": "🚚".repeat(200), "description": long, "specialInstructions": long });
    let created = app.post("/api/v1/orders", Some(&admin.access), body).await;
    let path = format!(
        "/api/v1/orders/{}",
        created.expect(201)["id"].as_str().unwrap()
    );
    let update = json!({ "description": "🏭".repeat(5000), "specialInstructions": "🏭".repeat(5000), "attributes": { "note": "x".repeat(15000) } });
    let updated = app.put(&path, Some(&admin.access), update).await;
    assert_eq!(
        updated.expect(200)["description"]
            .as_str()
            .unwrap()
            .chars()
            .count(),
        5000
    );
    let too_long = app
        .put(
            &path,
            Some(&admin.access),
            json!({ "description": "x".repeat(5001) }),
        )
        .await;
    assert_eq!(
        too_long.expect_error(400, "VALIDATION_ERROR"),
        vec!["description"]
    );
}

/// An order of several products reserves each of them, or none when one is short (the 409
/// names it), and a product that appears on two lines is reserved for both.
async fn an_order_reserves_all_its_products_or_none(app: TestApp) {
    let admin = app.admin().await;
    let buyer = app.user(&admin, "customer", "several@example.com").await;
    let a = app.product(&admin, "MANY-A", "1", "10").await;
    let b = app.product(&admin, "MANY-B", "1", "3").await;
    let c = app.product(&admin, "MANY-C", "1", "10").await;
    let order = |lines: Value| {
        app.post(
            "/api/v1/orders",
            Some(&buyer.access),
            json!({ "items": lines }),
        )
    };
    let short = order(json!([
        { "productId": a, "quantity": 2 },
        { "productId": b, "quantity": 4 },
        { "productId": c, "quantity": 1 },
    ]))
    .await;
    short.expect_error(409, "INSUFFICIENT_STOCK");
    let message = short.body["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        message.contains("MANY-B") && message.contains("3 available"),
        "{message}"
    );
    for product in [&a, &b, &c] {
        assert_eq!(app.stock(&admin, product).await["reserved"], "0");
    }
    let placed = order(json!([
        { "productId": c, "quantity": 1 },
        { "productId": a, "quantity": 2 },
        { "productId": b, "quantity": 3 },
    ]))
    .await;
    placed.expect(201);
    let reserved = |v: Value| v["reserved"].as_str().unwrap_or_default().to_string();
    assert_eq!(reserved(app.stock(&admin, &a).await), "2");
    assert_eq!(reserved(app.stock(&admin, &b).await), "3");
    assert_eq!(reserved(app.stock(&admin, &c).await), "1");
    let twice = order(json!([
        { "productId": a, "quantity": 3 },
        { "productId": a, "quantity": 4 },
        { "productId": c, "quantity": 1 },
    ]))
    .await;
    twice.expect(201);
    assert_eq!(reserved(app.stock(&admin, &a).await), "9");
    assert_eq!(reserved(app.stock(&admin, &c).await), "2");
}

crate::scenarios!(
    an_order_reserves_all_its_products_or_none,
    longest_texts_fit_every_backend,
    dates_round_trip_on_every_backend,
    items_change_totals_and_reservations,
    lists_filter_search_sort_and_scope,
    deleting_orders_follows_ownership_and_state,
    admins_add_workflows_that_work_at_once,
    order_permission_matrix,
    bad_input_on_order_routes,
);
