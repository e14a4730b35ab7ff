//! Abuse cases: what a customer, a careless admin or a crowd of guessers must not be able to do.

use futures::future::join_all;
use serde_json::json;

use crate::harness::TestApp;

async fn customers_neither_price_nor_number_their_orders(app: TestApp) {
    let admin = app.admin().await;
    let manager = app.user(&admin, "manager", "pricer@example.com").await;
    let buyer = app.user(&admin, "customer", "haggler@example.com").await;
    let sku = app.product(&admin, "PRICE-1", "50", "100").await;
    let cheap = app
        .post(
            "/api/v1/orders",
            Some(&buyer.access),
            json!({ "items": [{ "productId": sku, "quantity": 1, "unitPrice": "0" }] }),
        )
        .await;
    assert_eq!(
        cheap.expect_error(400, "VALIDATION_ERROR"),
        vec!["items[0].unitPrice"]
    );
    let squat = app
        .post(
            "/api/v1/orders",
            Some(&buyer.access),
            json!({ "number": "ORD-2099-000002", "items": [{ "productId": sku, "quantity": 1 }] }),
        )
        .await;
    assert_eq!(squat.expect_error(400, "VALIDATION_ERROR"), vec!["number"]);
    let order = app
        .post(
            "/api/v1/orders",
            Some(&buyer.access),
            json!({ "items": [{ "productId": sku, "quantity": 1 }] }),
        )
        .await;
    let order = order.expect(201).clone();
    assert_eq!(order["total"], "50.00");
    let item = order["items"][0]["id"].as_str().unwrap();
    let path = format!(
        "/api/v1/orders/{}/items/{item}",
        order["id"].as_str().unwrap()
    );
    let patch = app
        .send(
            app.client
                .patch(app.url(&path))
                .bearer_auth(&buyer.access)
                .json(&json!({ "unitPrice": "0.01" })),
        )
        .await;
    assert_eq!(
        patch.expect_error(400, "VALIDATION_ERROR"),
        vec!["unitPrice"]
    );
    let discount = app
        .send(
            app.client
                .patch(app.url(&path))
                .bearer_auth(&manager.access)
                .json(&json!({ "unitPrice": "45" })),
        )
        .await;
    assert_eq!(discount.expect(200)["lineTotal"], "45.00");

    // A manager keys in the number the generator would hand out next: the generator skips it.
    let first: String = order["number"].as_str().unwrap().into();
    let (series, seq) = first.rsplit_once('-').unwrap();
    let next = format!("{series}-{:06}", seq.parse::<u32>().unwrap() + 1);
    let keyed = app
        .post(
            "/api/v1/orders",
            Some(&manager.access),
            json!({ "workflow": "service", "number": next }),
        )
        .await;
    assert_eq!(keyed.expect(201)["number"], next.as_str());
    let generated = app
        .post(
            "/api/v1/orders",
            Some(&buyer.access),
            json!({ "items": [{ "productId": sku, "quantity": 1 }] }),
        )
        .await;
    assert_eq!(
        generated.expect(201)["number"],
        format!("{series}-{:06}", seq.parse::<u32>().unwrap() + 2).as_str()
    );

    let huge = app.post("/api/v1/orders", Some(&manager.access), json!({ "items": [{ "code": "X", "description": "X", "quantity": "100000000000000000000000000" }] })).await;
    huge.expect_error(400, "VALIDATION_ERROR");
    let costly = json!({ "items": [{ "code": "X", "description": "X", "quantity": "999999999999", "unitPrice": "999999999999" }] });
    assert_eq!(
        app.post("/api/v1/orders", Some(&manager.access), costly)
            .await
            .expect_error(400, "VALIDATION_ERROR"),
        vec!["items[0].quantity"]
    );
}

async fn shipments_cannot_count_an_item_twice(app: TestApp) {
    let admin = app.admin().await;
    let buyer = app.user(&admin, "customer", "twice@example.com").await;
    let other = app.user(&admin, "customer", "bystander@example.com").await;
    let sku = app.product(&admin, "TWICE-1", "1", "20").await;
    let mine = app
        .post(
            "/api/v1/orders",
            Some(&buyer.access),
            json!({ "items": [{ "productId": sku, "quantity": 10 }] }),
        )
        .await
        .expect(201)
        .clone();
    app.post(
        "/api/v1/orders",
        Some(&other.access),
        json!({ "items": [{ "productId": sku, "quantity": 10 }] }),
    )
    .await
    .expect(201);
    let path = format!("/api/v1/orders/{}", mine["id"].as_str().unwrap());
    app.post(
        &format!("{path}/transitions"),
        Some(&admin.access),
        json!({ "to": "processing" }),
    )
    .await
    .expect(200);
    let item = mine["items"][0]["id"].as_str().unwrap();
    let doubled = json!({ "items": [{ "itemId": item, "quantity": 10 }, { "itemId": item, "quantity": 10 }] });
    let res = app
        .post(&format!("{path}/shipments"), Some(&admin.access), doubled)
        .await;
    assert_eq!(
        res.expect_error(400, "VALIDATION_ERROR"),
        vec!["items[1].itemId"]
    );
    let stock = app.stock(&admin, &sku).await;
    assert_eq!(
        (stock["onHand"].as_str(), stock["reserved"].as_str()),
        (Some("20"), Some("20")),
        "nothing moved"
    );

    // Ship part, then fire `shipped` by hand: the rest leaves too, nothing stays reserved.
    let version_before = app.get(&path, Some(&admin.access)).await.expect(200)["version"]
        .as_i64()
        .unwrap();
    app.post(
        &format!("{path}/shipments"),
        Some(&admin.access),
        json!({ "items": [{ "itemId": item, "quantity": 3 }] }),
    )
    .await
    .expect(201);
    let after_shipment = app.get(&path, Some(&admin.access)).await.expect(200)["version"]
        .as_i64()
        .unwrap();
    assert!(
        after_shipment > version_before,
        "a shipment changes the order's version"
    );
    let shipped = app
        .post(
            &format!("{path}/transitions"),
            Some(&admin.access),
            json!({ "to": "shipped", "fields": { "trackingNumber": "T-1" } }),
        )
        .await;
    shipped.expect(200);
    assert_eq!(shipped.body["items"][0]["shippedQuantity"], "10");
    assert_eq!(shipped.body["dispatchQuantity"], "10");
    let stock = app.stock(&admin, &sku).await;
    assert_eq!(
        (stock["onHand"].as_str(), stock["reserved"].as_str()),
        (Some("10"), Some("10")),
        "only the other order's 10 stay reserved"
    );
}

async fn workflow_definitions_cannot_break_the_job(app: TestApp) {
    let admin = app.admin().await;
    let base = json!({
        "name": "slow", "label": "Slow", "initial": "open",
        "states": [{ "name": "open", "label": "Open" }, { "name": "closed", "label": "Closed", "terminal": true }],
        "transitions": [{ "name": "close", "from": ["open"], "to": "closed", "roles": ["admin"], "system": true }],
        "timers": [{ "from": "open", "to": "closed", "afterSecs": 100000000000000u64 }]
    });
    let res = app
        .post("/api/v1/workflows", Some(&admin.access), base.clone())
        .await;
    assert_eq!(
        res.expect_error(400, "VALIDATION_ERROR"),
        vec!["timers[0].afterSecs"]
    );
    let mut born_over = base.clone();
    born_over["timers"] = json!([]);
    born_over["initial"] = json!("closed");
    born_over["editableIn"] = json!(["closed"]);
    born_over["onCreate"] = json!(["stampCompleted"]);
    let mut fields = app
        .post("/api/v1/workflows", Some(&admin.access), born_over)
        .await
        .expect_error(400, "VALIDATION_ERROR");
    fields.sort();
    fields.dedup();
    for expected in ["editableIn[0]", "initial", "onCreate[0]"] {
        assert!(fields.contains(&expected.to_string()), "{fields:?}");
    }
    let mut fine = base;
    fine["timers"][0]["afterSecs"] = json!(0);
    app.post("/api/v1/workflows", Some(&admin.access), fine)
        .await
        .expect(201);
    app.post(
        "/api/v1/orders",
        Some(&admin.access),
        json!({ "workflow": "slow" }),
    )
    .await
    .expect(201);
    let run = app
        .post(
            "/api/v1/admin/jobs/auto-advance/run",
            Some(&admin.access),
            json!({}),
        )
        .await;
    assert_eq!(run.expect(200)["moved"], 1);
}

async fn guessers_in_parallel_get_five_tries(app: TestApp) {
    let admin = app.admin().await;
    app.user(&admin, "customer", "target@example.com").await;
    let guesses = (0..20).map(|i| {
        let app = app.clone();
        async move {
            let request = app
                .client
                .post(app.url("/api/v1/auth/login"))
                .header("x-forwarded-for", format!("198.51.100.7, 10.9.0.{i}"))
                .json(&json!({ "email": "target@example.com", "password": format!("guess number {i}") }));
            app.send(request).await.status.as_u16()
        }
    });
    let statuses = join_all(guesses).await;
    let tried = statuses.iter().filter(|s| **s == 401).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert!(tried <= 5, "{tried} guesses were checked: {statuses:?}");
    assert_eq!(tried + refused, 20, "{statuses:?}");
    // The audit names the proxy-appended address, not the one the client wrote.
    let failed = app.audit(&admin, "action=auth.login_failed").await;
    assert!(
        failed
            .iter()
            .all(|e| e["ip"].as_str().unwrap().starts_with("10.9.0.")),
        "{failed:?}"
    );
}

mod proxied {
    use super::*;
    crate::scenarios!(settings = crate::harness::trust_proxy; guessers_in_parallel_get_five_tries);
}

crate::scenarios!(
    customers_neither_price_nor_number_their_orders,
    shipments_cannot_count_an_item_twice,
    workflow_definitions_cannot_break_the_job
);
