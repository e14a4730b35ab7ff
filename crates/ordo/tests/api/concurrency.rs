//! Racing buyers, retried requests, stale writers and two job runners: nothing oversold, lost or
//! duplicated.

use futures::future::join_all;
use serde_json::json;

use crate::harness::TestApp;

async fn hundred_buyers_race_for_the_last_ten_units(app: TestApp) {
    let admin = app.admin().await;
    let buyer = app.user(&admin, "customer", "crowd@example.com").await;
    let sku = app.product(&admin, "LAST-10", "5.00", "10").await;
    let attempts = (0..100).map(|_| {
        let app = app.clone();
        let token = buyer.access.clone();
        let sku = sku.clone();
        async move {
            app.post(
                "/api/v1/orders",
                Some(&token),
                json!({ "items": [{ "productId": sku, "quantity": 1 }] }),
            )
            .await
        }
    });
    let results = join_all(attempts).await;
    let created = results.iter().filter(|r| r.status.as_u16() == 201).count();
    let refused: Vec<_> = results
        .iter()
        .filter(|r| r.status.as_u16() != 201)
        .collect();
    assert_eq!(created, 10, "exactly the stock on hand is sold");
    let numbers: std::collections::HashSet<&str> = results
        .iter()
        .filter(|r| r.status.as_u16() == 201)
        .map(|r| r.body["number"].as_str().unwrap())
        .collect();
    assert_eq!(numbers.len(), 10, "every order has a number of its own");
    for r in &refused {
        r.expect_error(409, "INSUFFICIENT_STOCK");
        assert!(
            r.body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("0 available"),
            "{}",
            r.body
        );
    }
    let stock = app.stock(&admin, &sku).await;
    assert_eq!(
        (
            stock["onHand"].as_str(),
            stock["reserved"].as_str(),
            stock["available"].as_str()
        ),
        (Some("10"), Some("10"), Some("0"))
    );
    let orders = app
        .get("/api/v1/orders?limit=100", Some(&admin.access))
        .await;
    assert_eq!(
        orders.expect(200)["totalCount"],
        10,
        "no half-written order from the refused ones"
    );
    let movements = app
        .get(
            &format!("/api/v1/inventory/{sku}/movements?limit=100"),
            Some(&admin.access),
        )
        .await;
    let reservations = movements.expect(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["kind"] == "reservation")
        .count();
    assert_eq!(reservations, 10);
}

async fn retries_with_an_idempotency_key_create_one_order(app: TestApp) {
    let admin = app.admin().await;
    let buyer = app.user(&admin, "customer", "retry@example.com").await;
    let sku = app.product(&admin, "IDEM-1", "3.00", "100").await;
    let body = json!({ "items": [{ "productId": sku, "quantity": 2 }] });
    let send = |key: &'static str, body: serde_json::Value| {
        let app = app.clone();
        let token = buyer.access.clone();
        async move {
            let request = app
                .client
                .post(app.url("/api/v1/orders"))
                .bearer_auth(token)
                .header("idempotency-key", key)
                .json(&body);
            app.send(request).await
        }
    };
    // Ten concurrent retries of one request: one order.
    let results = join_all((0..10).map(|_| send("key-1", body.clone()))).await;
    let ids: std::collections::HashSet<String> = results
        .iter()
        .map(|r| r.expect(201)["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids.len(), 1, "every retry answers the same order");
    assert!(
        results
            .iter()
            .filter(|r| r.header("idempotent-replayed") == Some("true"))
            .count()
            >= 9
    );
    let again = send("key-1", body.clone()).await;
    assert_eq!(again.expect(201)["id"], results[0].body["id"]);
    // What was stored for the key, and replayed, is the order as reading it gives.
    let read = app
        .get(
            &format!("/api/v1/orders/{}", again.body["id"].as_str().unwrap()),
            Some(&buyer.access),
        )
        .await;
    assert_eq!(&again.body, read.expect(200));
    // The same key with another body is refused; another key creates another order.
    let other_body = json!({ "items": [{ "productId": sku, "quantity": 3 }] });
    send("key-1", other_body.clone())
        .await
        .expect_error(422, "IDEMPOTENCY_KEY_REUSED");
    send("key-2", other_body).await.expect(201);
    // Without a key, a retried POST is a new order (the documented behaviour).
    app.post("/api/v1/orders", Some(&buyer.access), body.clone())
        .await
        .expect(201);
    assert_eq!(
        app.get("/api/v1/orders", Some(&admin.access))
            .await
            .expect(200)["totalCount"],
        3
    );
    assert_eq!(app.stock(&admin, &sku).await["reserved"], "7");
}

async fn concurrent_editors_one_wins(app: TestApp) {
    let admin = app.admin().await;
    let order = app
        .post(
            "/api/v1/orders",
            Some(&admin.access),
            json!({ "workflow": "service", "title": "Original" }),
        )
        .await;
    let path = format!(
        "/api/v1/orders/{}",
        order.expect(201)["id"].as_str().unwrap()
    );
    let edits = (0..8).map(|i| {
        let app = app.clone();
        let token = admin.access.clone();
        let path = path.clone();
        async move {
            let request = app
                .client
                .put(app.url(&path))
                .bearer_auth(token)
                .header("if-match", "\"1\"")
                .json(&json!({ "title": format!("Edit {i}") }));
            app.send(request).await
        }
    });
    let results = join_all(edits).await;
    let winners: Vec<_> = results
        .iter()
        .filter(|r| r.status.as_u16() == 200)
        .collect();
    assert_eq!(winners.len(), 1, "one writer per version");
    for r in results.iter().filter(|r| r.status.as_u16() != 200) {
        r.expect_error(409, "CONFLICT");
    }
    let now = app.get(&path, Some(&admin.access)).await;
    assert_eq!(now.header("etag"), Some("\"2\""));
    assert_eq!(now.body["title"], winners[0].body["title"]);
    app.send(
        app.client
            .put(app.url(&path))
            .bearer_auth(&admin.access)
            .header("if-match", "banana")
            .json(&json!({})),
    )
    .await
    .expect(400);
}

/// Two instances on one database run the job at the same moment: every due order moves once.
async fn two_instances_never_move_an_order_twice(app: TestApp) {
    let admin = app.admin().await;
    let sku = app.product(&admin, "JOB-1", "1.00", "1000").await;
    for _ in 0..30 {
        app.post(
            "/api/v1/orders",
            Some(&admin.access),
            json!({ "items": [{ "productId": sku, "quantity": 1 }] }),
        )
        .await
        .expect(201);
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let second = ordo::app::Server::build(app.settings.clone(), listener)
        .await
        .expect("second instance");
    let (a, b) = tokio::join!(
        ordo::orders::jobs::auto_advance(&app.state),
        ordo::orders::jobs::auto_advance(&second.state)
    );
    let (a, b) = (a.expect("first runner"), b.expect("second runner"));
    assert_eq!(a + b, 30, "{a} + {b}");
    let orders = app
        .get(
            "/api/v1/orders?limit=100&status=processing",
            Some(&admin.access),
        )
        .await;
    assert_eq!(orders.expect(200)["totalCount"], 30);
    for order in orders.body["items"].as_array().unwrap() {
        let full = app
            .get(
                &format!("/api/v1/orders/{}", order["id"].as_str().unwrap()),
                Some(&admin.access),
            )
            .await;
        let moves = full.expect(200)["history"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|h| h["to"] == "processing")
            .count();
        assert_eq!(moves, 1);
    }
    assert_eq!(app.stock(&admin, &sku).await["reserved"], "30");
}

fn due_at_once(settings: &mut ordo::config::Settings) {
    settings.auto_advance_after_secs = 0;
    settings.auto_advance_interval_secs = 0;
}

mod jobs {
    use super::*;
    crate::scenarios!(settings = super::due_at_once; two_instances_never_move_an_order_twice);
}

/// Orders naming the same products in opposite orders, placed at once, do not deadlock.
async fn crossing_orders_all_go_through(app: TestApp) {
    let admin = app.admin().await;
    let buyer = app.user(&admin, "customer", "cross@example.com").await;
    let a = app.product(&admin, "CROSS-A", "1", "1000").await;
    let b = app.product(&admin, "CROSS-B", "1", "1000").await;
    let attempts = (0..30).map(|i| {
        let app = app.clone();
        let token = buyer.access.clone();
        let (first, second) = if i % 2 == 0 { (a.clone(), b.clone()) } else { (b.clone(), a.clone()) };
        async move {
            let body = json!({ "items": [{ "productId": first, "quantity": 1 }, { "productId": second, "quantity": 1 }] });
            app.post("/api/v1/orders", Some(&token), body).await
        }
    });
    for res in join_all(attempts).await {
        res.expect(201);
    }
    assert_eq!(app.stock(&admin, &a).await["reserved"], "30");
    assert_eq!(app.stock(&admin, &b).await["reserved"], "30");
}

/// A generated number goes to an order only once the order has passed its checks: requests
/// refused as invalid leave no gap in the series.
async fn refused_orders_take_no_number(app: TestApp) {
    let admin = app.admin().await;
    let buyer = app.user(&admin, "customer", "numbers@example.com").await;
    let sku = app.product(&admin, "NUM-1", "1.00", "100").await;
    let place = |quantity: i64| {
        let body = json!({ "items": [{ "productId": sku, "quantity": quantity }] });
        app.post("/api/v1/orders", Some(&buyer.access), body)
    };
    let first = place(1).await.order_sequence();
    for _ in 0..3 {
        place(0).await.expect_error(400, "VALIDATION_ERROR");
    }
    assert_eq!(place(1).await.order_sequence(), first + 1);
}

crate::scenarios!(
    refused_orders_take_no_number,
    crossing_orders_all_go_through,
    hundred_buyers_race_for_the_last_ten_units,
    retries_with_an_idempotency_key_create_one_order,
    concurrent_editors_one_wins
);
