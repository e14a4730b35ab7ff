//! Each reference system's order story end to end over HTTP.

use serde_json::{json, Value};

use crate::harness::{Session, TestApp};

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_string()
}

fn statuses(order: &Value) -> Vec<String> {
    order["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["to"].as_str().unwrap().to_string())
        .collect()
}

fn allowed(order: &Value) -> Vec<String> {
    order["allowedTransitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["to"].as_str().unwrap().to_string())
        .collect()
}

async fn rake_order_drafted_finalized_completed(app: TestApp) {
    let admin = app.admin().await;
    let manager = app.user(&admin, "manager", "ops@example.com").await;
    let user = app.user(&admin, "customer", "clerk@example.com").await;
    // A product whose SKU is the material code: the order's stock follows it.
    let hrc = app.product(&admin, "HRC", "520.00", "500").await;

    let draft = json!({
        "workflow": "rake", "destination": "mumbai", "materialCode": "HRC", "party": "ACME-INFRA", "origin": "BSP",
        "priority": 2, "orderQuantity": "120.5", "validUntil": "2030-01-31T00:00:00Z", "title": "Coil for the port"
    });
    let mut bad = draft.clone();
    bad["destination"] = json!("ATLANTIS");
    bad["party"] = json!("NOBODY");
    let res = app.post("/api/v1/orders", Some(&user.access), bad).await;
    let mut fields = res.expect_error(400, "VALIDATION_ERROR");
    fields.sort();
    assert_eq!(fields, vec!["destination", "party"]);
    let mut missing = draft.clone();
    missing.as_object_mut().unwrap().remove("validUntil");
    assert_eq!(
        app.post("/api/v1/orders", Some(&user.access), missing)
            .await
            .expect_error(400, "VALIDATION_ERROR"),
        vec!["validUntil"]
    );

    let created = app.post("/api/v1/orders", Some(&user.access), draft).await;
    let order = created.expect(201).clone();
    let order_id = id(&order);
    assert_eq!(order["status"], "draft");
    assert_eq!(order["destination"], "MUMBAI");
    assert_eq!(order["orderQuantity"], "120.5");
    assert_eq!(order["items"][0]["productId"], hrc.as_str());
    assert_eq!(order["total"], "62660.00");
    assert!(order["number"].as_str().unwrap().starts_with("ORD-"));
    assert_eq!(
        allowed(&order),
        Vec::<String>::new(),
        "a user cannot finalize"
    );
    let path = format!("/api/v1/orders/{order_id}");

    // The owner edits the draft; a stale version is refused and writes nothing.
    let edited = app
        .put(
            &path,
            Some(&user.access),
            json!({ "specialInstructions": "Cover the coils", "version": 1 }),
        )
        .await;
    assert_eq!(edited.expect(200)["version"], 2);
    let stale = app
        .put(
            &path,
            Some(&user.access),
            json!({ "title": "Stale", "version": 1 }),
        )
        .await;
    assert_eq!(stale.expect_error(409, "CONFLICT"), vec!["version"]);
    assert_eq!(
        app.get(&path, Some(&user.access)).await.expect(200)["title"],
        "Coil for the port"
    );

    app.post(&format!("{path}/finalize"), Some(&user.access), json!({}))
        .await
        .expect_error(403, "FORBIDDEN");
    let finalized = app
        .post(
            &format!("{path}/finalize"),
            Some(&manager.access),
            json!({}),
        )
        .await;
    let finalized = finalized.expect(200).clone();
    assert_eq!(finalized["status"], "finalized");
    assert_eq!(finalized["stockReserved"], true);
    assert_eq!(app.stock(&admin, &hrc).await["reserved"], "120.5");
    assert!(allowed(&finalized).contains(&"completed".to_string()));

    // Owners no longer edit a finalized order; finalizing twice is not a transition.
    app.put(&path, Some(&user.access), json!({ "title": "Late edit" }))
        .await
        .expect_error(403, "FORBIDDEN");
    let twice = app
        .post(
            &format!("{path}/finalize"),
            Some(&manager.access),
            json!({}),
        )
        .await;
    twice.expect_error(422, "INVALID_TRANSITION");
    assert!(twice.body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("finalized"));

    let no_qty = app
        .post(
            &format!("{path}/complete"),
            Some(&manager.access),
            json!({}),
        )
        .await;
    assert_eq!(
        no_qty.expect_error(400, "VALIDATION_ERROR"),
        vec!["dispatchQuantity"]
    );
    let done = app
        .post(
            &format!("{path}/complete"),
            Some(&manager.access),
            json!({ "dispatchQuantity": "118", "completionNotes": "Rake BCN-42" }),
        )
        .await;
    let done = done.expect(200).clone();
    assert_eq!(done["status"], "completed");
    assert_eq!(done["dispatchQuantity"], "118");
    assert_eq!(done["completionNotes"], "Rake BCN-42");
    assert!(done["completedAt"].is_string());
    assert_eq!(statuses(&done), vec!["draft", "finalized", "completed"]);
    // 118 t left the mill; the unshipped 2.5 t went back to available stock.
    let stock = app.stock(&admin, &hrc).await;
    assert_eq!(
        (stock["onHand"].as_str(), stock["reserved"].as_str()),
        (Some("382"), Some("0"))
    );

    let events = app
        .audit(&admin, &format!("entityType=order&entityId={order_id}"))
        .await;
    let actions: Vec<&str> = events
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        vec![
            "order.status_changed",
            "order.status_changed",
            "order.updated",
            "order.created"
        ]
    );
}

async fn shop_order_auto_advances_ships_in_two_parts_and_is_delivered(app: TestApp) {
    let admin = app.admin().await;
    let manager = app.user(&admin, "manager", "vendor@example.com").await;
    let buyer = app.user(&admin, "customer", "buyer@example.com").await;
    let customer_id = app.customer_for(&admin, &buyer, "Buyer Ltd").await;
    let mug = app.product(&admin, "MUG-1", "9.99", "10").await;
    let tee = app.product(&admin, "TEE-1", "15.50", "5").await;

    let order = app
        .post(
            "/api/v1/orders",
            Some(&buyer.access),
            json!({ "items": [{ "productId": mug, "quantity": 3 }, { "productId": tee, "quantity": "2" }] }),
        )
        .await;
    let order = order.expect(201).clone();
    let order_id = id(&order);
    assert_eq!(order["workflow"], "standard");
    assert_eq!(order["status"], "pending");
    assert_eq!(order["customerId"], customer_id.as_str());
    assert_eq!(order["shippingAddress"], "1 Harbour Road");
    assert_eq!(order["total"], "60.97");
    assert_eq!(app.stock(&admin, &mug).await["available"], "7");

    // The job moves pending orders older than the configured age (0 s here).
    let run = app
        .post(
            "/api/v1/admin/jobs/auto-advance/run",
            Some(&admin.access),
            json!({}),
        )
        .await;
    assert_eq!(run.expect(200)["moved"], 1);
    app.post(
        "/api/v1/admin/jobs/auto-advance/run",
        Some(&manager.access),
        json!({}),
    )
    .await
    .expect(403);
    let path = format!("/api/v1/orders/{order_id}");
    let now = app
        .get(&path, Some(&buyer.access))
        .await
        .expect(200)
        .clone();
    assert_eq!(now["status"], "processing");
    assert_eq!(
        now["history"][1]["actorId"],
        Value::Null,
        "the system moved it"
    );
    let (mug_item, tee_item) = (id(&now["items"][0]), id(&now["items"][1]));

    let over = app
        .post(
            &format!("{path}/shipments"),
            Some(&manager.access),
            json!({ "items": [{ "itemId": mug_item, "quantity": 4 }] }),
        )
        .await;
    over.expect_error(422, "OVER_SHIPMENT");
    let first = app
        .post(
            &format!("{path}/shipments"),
            Some(&manager.access),
            json!({ "items": [{ "itemId": mug_item, "quantity": 3 }, { "itemId": tee_item, "quantity": 1 }], "carrier": "dhl", "trackingNumber": "DHL-1" }),
        )
        .await;
    let first = first.expect(201).clone();
    assert_eq!(
        app.get(&path, Some(&buyer.access)).await.expect(200)["status"],
        "processing",
        "one item is still open"
    );
    let second = app
        .post(
            &format!("{path}/shipments"),
            Some(&manager.access),
            json!({ "items": [{ "itemId": tee_item, "quantity": 1 }], "trackingNumber": "DHL-2" }),
        )
        .await;
    let second = second.expect(201).clone();
    let shipped = app
        .get(&path, Some(&buyer.access))
        .await
        .expect(200)
        .clone();
    assert_eq!(shipped["status"], "shipped");
    assert_eq!(shipped["trackingNumber"], "DHL-2");
    assert_eq!(shipped["shipments"].as_array().unwrap().len(), 2);
    assert_eq!(
        (&shipped["shipments"][0], &shipped["shipments"][1]),
        (&first, &second),
        "the order shows each shipment, with its lines, as it was recorded"
    );
    let mug_stock = app.stock(&admin, &mug).await;
    assert_eq!(
        (mug_stock["onHand"].as_str(), mug_stock["reserved"].as_str()),
        (Some("7"), Some("0"))
    );

    app.post(
        &format!("{path}/shipments/{}/deliver", id(&first)),
        Some(&manager.access),
        json!({}),
    )
    .await
    .expect(200);
    assert_eq!(
        app.get(&path, Some(&buyer.access)).await.expect(200)["status"],
        "shipped"
    );
    app.post(
        &format!("{path}/shipments/{}/deliver", id(&second)),
        Some(&manager.access),
        json!({}),
    )
    .await
    .expect(200);
    let delivered = app
        .get(&path, Some(&buyer.access))
        .await
        .expect(200)
        .clone();
    assert_eq!(delivered["status"], "delivered");
    assert_eq!(
        statuses(&delivered),
        vec!["pending", "processing", "shipped", "delivered"]
    );
    app.post(
        &format!("{path}/shipments/{}/deliver", id(&second)),
        Some(&manager.access),
        json!({}),
    )
    .await
    .expect(409);

    let movements = app
        .get(
            &format!("/api/v1/inventory/{mug}/movements"),
            Some(&admin.access),
        )
        .await;
    let kinds: Vec<&str> = movements.expect(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, vec!["shipment", "reservation", "receipt"]);
}

/// A finalized rake order dispatched in two rakes completes by itself; its dispatch quantity is
/// the sum of the shipments.
async fn rake_order_dispatched_in_two_rakes(app: TestApp) {
    let admin = app.admin().await;
    let manager = app.user(&admin, "manager", "yard@example.com").await;
    let plate = app.product(&admin, "PLATE", "600", "1000").await;
    let body = json!({ "workflow": "rake", "destination": "VIZAG", "materialCode": "PLATE", "party": "NORTHERN-RAIL", "origin": "RSP",
                       "orderQuantity": "100", "validUntil": "2031-01-01T00:00:00Z" });
    let order = app
        .post("/api/v1/orders", Some(&manager.access), body)
        .await
        .expect(201)
        .clone();
    let path = format!("/api/v1/orders/{}", id(&order));
    let item = id(&order["items"][0]);
    let early = app
        .post(
            &format!("{path}/shipments"),
            Some(&manager.access),
            json!({ "items": [{ "itemId": item, "quantity": 10 }] }),
        )
        .await;
    early.expect_error(422, "NOT_SHIPPABLE");
    app.post(
        &format!("{path}/finalize"),
        Some(&manager.access),
        json!({}),
    )
    .await
    .expect(200);
    let first = json!({ "items": [{ "itemId": item, "quantity": "58.25" }], "carrier": "RAIL", "rakeNumber": "RK-101" });
    app.post(&format!("{path}/shipments"), Some(&manager.access), first)
        .await
        .expect(201);
    let midway = app
        .get(&path, Some(&manager.access))
        .await
        .expect(200)
        .clone();
    assert_eq!(
        (
            midway["status"].as_str(),
            midway["dispatchQuantity"].as_str()
        ),
        (Some("finalized"), Some("58.25"))
    );
    let bad_carrier = json!({ "items": [{ "itemId": item, "quantity": 1 }], "carrier": "CAMEL" });
    assert_eq!(
        app.post(
            &format!("{path}/shipments"),
            Some(&manager.access),
            bad_carrier
        )
        .await
        .expect_error(400, "VALIDATION_ERROR"),
        vec!["carrier"]
    );
    let second = json!({ "items": [{ "itemId": item, "quantity": "41.75" }], "carrier": "RAIL", "rakeNumber": "RK-102" });
    app.post(&format!("{path}/shipments"), Some(&manager.access), second)
        .await
        .expect(201);
    let done = app
        .get(&path, Some(&manager.access))
        .await
        .expect(200)
        .clone();
    assert_eq!(
        (done["status"].as_str(), done["dispatchQuantity"].as_str()),
        (Some("completed"), Some("100"))
    );
    assert!(done["completedAt"].is_string());
    assert_eq!(done["shipments"][1]["rakeNumber"], "RK-102");
    let stock = app.stock(&admin, &plate).await;
    assert_eq!(
        (stock["onHand"].as_str(), stock["reserved"].as_str()),
        (Some("900"), Some("0"))
    );
}

fn instant_auto_advance(settings: &mut ordo::config::Settings) {
    settings.auto_advance_after_secs = 0;
    settings.auto_advance_interval_secs = 0;
}

async fn service_order_worked_by_assigned_staff(app: TestApp) {
    let admin = app.admin().await;
    let manager = app.user(&admin, "manager", "lead@example.com").await;
    let staff = app.user(&admin, "staff", "tech@example.com").await;
    let other = app.user(&admin, "staff", "other@example.com").await;
    let client = app.user(&admin, "customer", "client@example.com").await;
    app.customer_for(&admin, &client, "Client Co").await;

    let order = app
        .post("/api/v1/orders", Some(&client.access), json!({ "workflow": "service", "title": "Repair the conveyor", "description": "Belt slips" }))
        .await;
    let order_id = id(order.expect(201));
    let path = format!("/api/v1/orders/{order_id}");
    // Nobody assigned: staff neither sees nor works it.
    app.get(&path, Some(&staff.access))
        .await
        .expect_error(404, "NOT_FOUND");
    let start = app
        .post(
            &format!("{path}/transitions"),
            Some(&manager.access),
            json!({ "to": "in_progress" }),
        )
        .await;
    assert_eq!(
        start.expect_error(400, "VALIDATION_ERROR"),
        vec!["assigneeId"]
    );

    app.put(
        &format!("{path}/assignee"),
        Some(&staff.access),
        json!({ "userId": staff.id }),
    )
    .await
    .expect(403);
    app.put(
        &format!("{path}/assignee"),
        Some(&manager.access),
        json!({ "userId": client.id }),
    )
    .await
    .expect_error(400, "VALIDATION_ERROR");
    let assigned = app
        .put(
            &format!("{path}/assignee"),
            Some(&manager.access),
            json!({ "userId": staff.id }),
        )
        .await;
    assert_eq!(assigned.expect(200)["assigneeId"], staff.id.as_str());

    let list = app.get("/api/v1/orders", Some(&staff.access)).await;
    assert_eq!(list.expect(200)["totalCount"], 1);
    assert_eq!(
        app.get("/api/v1/orders", Some(&other.access))
            .await
            .expect(200)["totalCount"],
        0
    );
    app.get(&path, Some(&other.access)).await.expect(404);
    app.post(
        &format!("{path}/transitions"),
        Some(&other.access),
        json!({ "to": "in_progress" }),
    )
    .await
    .expect(404);
    app.post(
        &format!("{path}/transitions"),
        Some(&client.access),
        json!({ "to": "in_progress" }),
    )
    .await
    .expect_error(403, "FORBIDDEN");

    for (to, note) in [
        ("in_progress", "on site"),
        ("on_hold", "waiting for parts"),
        ("in_progress", "parts arrived"),
        ("completed", "running"),
    ] {
        let res = app
            .post(
                &format!("{path}/transitions"),
                Some(&staff.access),
                json!({ "to": to, "note": note }),
            )
            .await;
        assert_eq!(res.expect(200)["status"], to);
    }
    let done = app
        .get(&path, Some(&client.access))
        .await
        .expect(200)
        .clone();
    assert_eq!(
        statuses(&done),
        vec![
            "pending",
            "in_progress",
            "on_hold",
            "in_progress",
            "completed"
        ]
    );
    assert_eq!(done["history"][2]["note"], "waiting for parts");
    assert_eq!(done["history"][2]["actorId"], staff.id.as_str());
    app.post(
        &format!("{path}/transitions"),
        Some(&manager.access),
        json!({ "to": "cancelled" }),
    )
    .await
    .expect_error(422, "INVALID_TRANSITION");
}

async fn customers_cancel_inside_the_window_only(app: TestApp) {
    let admin = app.admin().await;
    let buyer = app.user(&admin, "customer", "quick@example.com").await;
    let stranger = app.user(&admin, "customer", "stranger@example.com").await;
    let sku = app.product(&admin, "PEN-1", "1.00", "10").await;
    let place = |s: &Session| {
        let s = s.clone();
        let app = app.clone();
        let sku = sku.clone();
        async move {
            id(app
                .post(
                    "/api/v1/orders",
                    Some(&s.access),
                    json!({ "items": [{ "productId": sku, "quantity": 4 }] }),
                )
                .await
                .expect(201))
        }
    };
    let order_id = place(&buyer).await;
    let path = format!("/api/v1/orders/{order_id}");
    app.post(
        &format!("{path}/cancel"),
        Some(&stranger.access),
        json!({ "reason": "mine now" }),
    )
    .await
    .expect(404);
    let no_reason = app
        .post(
            &format!("{path}/transitions"),
            Some(&buyer.access),
            json!({ "to": "cancelled" }),
        )
        .await;
    assert_eq!(
        no_reason.expect_error(400, "VALIDATION_ERROR"),
        vec!["reason"]
    );
    let cancelled = app
        .post(
            &format!("{path}/cancel"),
            Some(&buyer.access),
            json!({ "reason": "changed my mind" }),
        )
        .await;
    let cancelled = cancelled.expect(200);
    assert_eq!(cancelled["status"], "cancelled");
    assert_eq!(cancelled["cancelReason"], "changed my mind");
    assert_eq!(
        app.stock(&admin, &sku).await["reserved"],
        "0",
        "the reservation is released"
    );
}

async fn customers_cannot_cancel_after_the_window(app: TestApp) {
    let admin = app.admin().await;
    let manager = app.user(&admin, "manager", "m@example.com").await;
    let buyer = app.user(&admin, "customer", "late@example.com").await;
    let sku = app.product(&admin, "CUP-1", "2.00", "10").await;
    let order = app
        .post(
            "/api/v1/orders",
            Some(&buyer.access),
            json!({ "items": [{ "productId": sku, "quantity": 1 }] }),
        )
        .await;
    let path = format!("/api/v1/orders/{}", id(order.expect(201)));
    let late = app
        .post(
            &format!("{path}/cancel"),
            Some(&buyer.access),
            json!({ "reason": "too late" }),
        )
        .await;
    late.expect_error(422, "CANCELLATION_WINDOW_CLOSED");
    assert!(
        late.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("closed at 20"),
        "{}",
        late.body
    );
    // Managers cancel per the workflow, window or not.
    app.post(
        &format!("{path}/cancel"),
        Some(&manager.access),
        json!({ "reason": "customer called" }),
    )
    .await
    .expect(200);
}

/// A placed order is answered from what was written, not read back: the answer is exactly what
/// reading the order gives, for the customer who placed it and for a manager who set every field.
async fn a_placed_order_answers_what_reading_it_gives(app: TestApp) {
    let admin = app.admin().await;
    let manager = app.user(&admin, "manager", "placer@example.com").await;
    let buyer = app.user(&admin, "customer", "placed@example.com").await;
    let customer = app.customer_for(&admin, &buyer, "Placed Parts").await;
    let bolts = app.product(&admin, "PLACED-B", "0.25", "1000").await;
    let nuts = app.product(&admin, "PLACED-N", "0.10", "1000").await;
    let orders = [
        (
            &buyer,
            json!({ "items": [
                { "productId": bolts, "quantity": 40 },
                { "productId": nuts, "quantity": "12.5" }
            ] }),
        ),
        (
            &manager,
            json!({
                "customerId": customer, "priority": 1, "title": "Rush", "description": "Two lines",
                "specialInstructions": "Call first", "shippingAddress": "2 Dock Lane",
                "items": [
                    { "productId": nuts, "quantity": 3, "unitPrice": "0.08" },
                    { "code": "FREIGHT", "description": "Freight", "quantity": 1, "unitPrice": "15.00" }
                ]
            }),
        ),
    ];
    for (who, body) in orders {
        let placed = app.post("/api/v1/orders", Some(&who.access), body).await;
        let placed = placed.expect(201).clone();
        let path = format!("/api/v1/orders/{}", id(&placed));
        let read = app.get(&path, Some(&who.access)).await;
        assert_eq!(&placed, read.expect(200));
        assert_eq!(statuses(&placed), vec!["pending"]);
    }
}

fn no_cancellation_window(settings: &mut ordo::config::Settings) {
    settings.cancellation_window_secs = 0;
}

mod shop {
    use super::*;
    crate::scenarios!(settings = super::instant_auto_advance; shop_order_auto_advances_ships_in_two_parts_and_is_delivered);
}

mod late_cancel {
    use super::*;
    crate::scenarios!(settings = super::no_cancellation_window; customers_cannot_cancel_after_the_window);
}

crate::scenarios!(
    a_placed_order_answers_what_reading_it_gives,
    rake_order_dispatched_in_two_rakes,
    rake_order_drafted_finalized_completed,
    service_order_worked_by_assigned_staff,
    customers_cancel_inside_the_window_only
);
