//! Customers, products, stock and reference data.

use serde_json::json;

use crate::harness::TestApp;

async fn products_and_stock_ledger(app: TestApp) {
    let admin = app.admin().await;
    let manager = app.user(&admin, "manager", "stock@example.com").await;
    let staff = app.user(&admin, "staff", "picker@example.com").await;
    let customer = app.user(&admin, "customer", "shopper@example.com").await;
    let token = Some(manager.access.as_str());

    let res = app
        .post("/api/v1/products", token, json!({ "sku": "BOLT-M8", "name": "M8 bolt", "unit": "pcs", "price": "0.125", "currency": "eur", "reorderLevel": 50, "initialStock": 40 }))
        .await;
    let product = res.expect(201).clone();
    let pid = product["id"].as_str().unwrap().to_string();
    assert_eq!(
        (product["price"].as_str(), product["currency"].as_str()),
        (Some("0.125"), Some("EUR"))
    );
    let dup = app
        .post(
            "/api/v1/products",
            token,
            json!({ "sku": "BOLT-M8", "name": "Again", "unit": "pcs", "price": 1 }),
        )
        .await;
    assert_eq!(dup.expect_error(409, "CONFLICT"), vec!["sku"]);
    let bad = app.post("/api/v1/products", token, json!({ "sku": "has space", "name": "", "unit": "pcs", "price": "-1", "currency": "euro" })).await;
    let mut fields = bad.expect_error(400, "VALIDATION_ERROR");
    fields.sort();
    assert_eq!(fields, vec!["currency", "name", "price", "sku"]);
    app.post(
        "/api/v1/products",
        Some(&staff.access),
        json!({ "sku": "X", "name": "X", "unit": "pcs", "price": 1 }),
    )
    .await
    .expect(403);

    // Customers browse products but not stock; staff read stock but do not adjust it.
    assert_eq!(
        app.get("/api/v1/products?search=bolt", Some(&customer.access))
            .await
            .expect(200)["totalCount"],
        1
    );
    app.get("/api/v1/inventory", Some(&customer.access))
        .await
        .expect(403);
    let stock = app
        .get(&format!("/api/v1/inventory/{pid}"), Some(&staff.access))
        .await;
    let stock = stock.expect(200);
    assert_eq!(
        (stock["onHand"].as_str(), stock["lowStock"].as_bool()),
        (Some("40"), Some(true))
    );
    app.send(
        app.client
            .patch(app.url(&format!("/api/v1/inventory/{pid}")))
            .bearer_auth(&staff.access)
            .json(&json!({ "change": 1, "reason": "x" })),
    )
    .await
    .expect(403);

    let patch = |path: String, body: serde_json::Value| {
        let app = app.clone();
        let token = manager.access.clone();
        async move {
            app.send(
                app.client
                    .patch(app.url(&path))
                    .bearer_auth(token)
                    .json(&body),
            )
            .await
        }
    };
    let received = patch(
        format!("/api/v1/inventory/{pid}"),
        json!({ "change": "100", "kind": "receipt", "reason": "PO-7 delivered" }),
    )
    .await;
    assert_eq!(received.expect(200)["onHand"], "140");
    let counted = patch(
        format!("/api/v1/products/{pid}/stock"),
        json!({ "change": "-2.5", "reason": "count" }),
    )
    .await;
    let counted = counted.expect(200);
    assert_eq!(
        (counted["onHand"].as_str(), counted["lowStock"].as_bool()),
        (Some("137.5"), Some(false))
    );
    patch(
        format!("/api/v1/inventory/{pid}"),
        json!({ "change": "-1000", "reason": "oops" }),
    )
    .await
    .expect_error(422, "STOCK_BELOW_ZERO");
    let fields = patch(
        format!("/api/v1/inventory/{pid}"),
        json!({ "change": 0, "kind": "receipt", "reason": " " }),
    )
    .await
    .expect_error(400, "VALIDATION_ERROR");
    assert!(fields.contains(&"reason".to_string()) && fields.contains(&"change".to_string()));
    let low = app.get("/api/v1/inventory?lowStock=true", token).await;
    assert_eq!(low.expect(200)["totalCount"], 0);

    let movements = app
        .get(&format!("/api/v1/inventory/{pid}/movements"), token)
        .await;
    let movements = movements.expect(200)["items"].as_array().unwrap().clone();
    let summary: Vec<(String, String, String)> = movements
        .iter()
        .map(|m| {
            (
                m["kind"].as_str().unwrap().into(),
                m["quantity"].as_str().unwrap().into(),
                m["onHandAfter"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            ("adjustment".into(), "-2.5".into(), "137.5".into()),
            ("receipt".into(), "100".into(), "140".into()),
            ("receipt".into(), "40".into(), "40".into())
        ]
    );
    assert_eq!(movements[0]["reason"], "count");

    // A product on an order cannot be deleted, only deactivated.
    app.post(
        "/api/v1/orders",
        Some(&customer.access),
        json!({ "items": [{ "productId": pid, "quantity": 1 }] }),
    )
    .await
    .expect(201);
    app.delete(&format!("/api/v1/products/{pid}"), token)
        .await
        .expect_error(409, "PRODUCT_IN_USE");
    let off = app
        .put(
            &format!("/api/v1/products/{pid}"),
            token,
            json!({ "active": false }),
        )
        .await;
    assert_eq!(off.expect(200)["active"], false);
    let refused = app
        .post(
            "/api/v1/orders",
            Some(&customer.access),
            json!({ "items": [{ "productId": pid, "quantity": 1 }] }),
        )
        .await;
    assert_eq!(
        refused.expect_error(400, "VALIDATION_ERROR"),
        vec!["items[0].productId"]
    );
    let spare = app.product(&admin, "SPARE", "1", "0").await;
    app.delete(&format!("/api/v1/products/{spare}"), token)
        .await
        .expect(204);
    app.get(&format!("/api/v1/products/{spare}"), token)
        .await
        .expect(404);
}

async fn customers_are_managed_and_linked(app: TestApp) {
    let admin = app.admin().await;
    let manager = app.user(&admin, "manager", "crm@example.com").await;
    let staff = app.user(&admin, "staff", "desk@example.com").await;
    let buyer = app.user(&admin, "customer", "linked@example.com").await;
    let token = Some(manager.access.as_str());
    let res = app
        .post("/api/v1/customers", token, json!({ "name": "Steelworks Ltd", "email": "Orders@Steelworks.example", "phone": "+44 20 7946 0000", "userId": buyer.id }))
        .await;
    let customer = res.expect(201).clone();
    assert_eq!(customer["email"], "orders@steelworks.example");
    let cid = customer["id"].as_str().unwrap().to_string();
    let second = app
        .post(
            "/api/v1/customers",
            token,
            json!({ "name": "Other", "userId": buyer.id }),
        )
        .await;
    assert_eq!(second.expect_error(409, "CONFLICT"), vec!["userId"]);
    let not_customer = app
        .post(
            "/api/v1/customers",
            token,
            json!({ "name": "Other", "userId": staff.id }),
        )
        .await;
    assert_eq!(
        not_customer.expect_error(400, "VALIDATION_ERROR"),
        vec!["userId"]
    );
    assert_eq!(
        app.post("/api/v1/customers", token, json!({ "email": "x" }))
            .await
            .expect_error(400, "VALIDATION_ERROR")
            .len(),
        2
    );
    app.post(
        "/api/v1/customers",
        Some(&staff.access),
        json!({ "name": "No" }),
    )
    .await
    .expect(403);
    assert_eq!(
        app.get("/api/v1/customers?search=steel", Some(&staff.access))
            .await
            .expect(200)["totalCount"],
        1
    );
    app.get("/api/v1/customers", Some(&buyer.access))
        .await
        .expect(403);

    // The linked account sees the customer's orders, including ones staff placed for it.
    let order = app
        .post(
            "/api/v1/orders",
            Some(&manager.access),
            json!({ "workflow": "service", "customerId": cid, "title": "Inspect crane" }),
        )
        .await;
    let oid = order.expect(201)["id"].as_str().unwrap().to_string();
    assert_eq!(
        app.get(&format!("/api/v1/orders/{oid}"), Some(&buyer.access))
            .await
            .expect(200)["title"],
        "Inspect crane"
    );
    assert_eq!(
        app.get("/api/v1/orders", Some(&buyer.access))
            .await
            .expect(200)["totalCount"],
        1
    );

    app.delete(&format!("/api/v1/customers/{cid}"), token)
        .await
        .expect_error(409, "CUSTOMER_IN_USE");
    let updated = app
        .put(
            &format!("/api/v1/customers/{cid}"),
            token,
            json!({ "active": false, "userId": null }),
        )
        .await;
    let updated = updated.expect(200);
    assert_eq!(
        (updated["active"].as_bool(), updated["userId"].is_null()),
        (Some(false), true)
    );
    let inactive = app
        .post(
            "/api/v1/orders",
            Some(&manager.access),
            json!({ "workflow": "service", "customerId": cid }),
        )
        .await;
    assert_eq!(
        inactive.expect_error(400, "VALIDATION_ERROR"),
        vec!["customerId"]
    );
}

async fn reference_lists_validate_and_retire_entries(app: TestApp) {
    let admin = app.admin().await;
    let user = app.user(&admin, "customer", "ref@example.com").await;
    let token = Some(admin.access.as_str());
    let priorities = app
        .get("/api/v1/reference/priorities", Some(&user.access))
        .await;
    let codes: Vec<&str> = priorities
        .expect(200)
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, vec!["1", "2", "3", "4"]);
    for kind in ["destinations", "materials", "parties", "mills", "carriers"] {
        assert!(
            !app.get(&format!("/api/v1/reference/{kind}"), token)
                .await
                .expect(200)
                .as_array()
                .unwrap()
                .is_empty(),
            "{kind}"
        );
    }
    app.get("/api/v1/reference/planets", token)
        .await
        .expect_error(404, "NOT_FOUND");
    app.post(
        "/api/v1/reference/mills",
        Some(&user.access),
        json!({ "code": "NEW", "description": "New mill" }),
    )
    .await
    .expect(403);
    app.post(
        "/api/v1/reference/priorities",
        token,
        json!({ "code": "9", "description": "Nine" }),
    )
    .await
    .expect_error(400, "VALIDATION_ERROR");

    let mill = app
        .post(
            "/api/v1/reference/mills",
            token,
            json!({ "code": "jsw", "description": "JSW Vijayanagar" }),
        )
        .await;
    let mill_id = mill.expect(201)["id"].as_str().unwrap().to_string();
    assert_eq!(mill.body["code"], "JSW");
    assert_eq!(
        app.post(
            "/api/v1/reference/mills",
            token,
            json!({ "code": "JSW", "description": "Again" })
        )
        .await
        .expect_error(409, "CONFLICT"),
        vec!["code"]
    );
    let unused = app
        .post(
            "/api/v1/reference/mills",
            token,
            json!({ "code": "TMP", "description": "Temporary" }),
        )
        .await;
    let unused_id = unused.expect(201)["id"].as_str().unwrap().to_string();
    app.delete(&format!("/api/v1/reference/mills/{unused_id}"), token)
        .await
        .expect(204);

    let order = json!({ "workflow": "rake", "destination": "CHENNAI", "materialCode": "TMT", "party": "METRO-BUILD", "origin": "JSW",
                        "orderQuantity": 30, "validUntil": "2031-06-30T00:00:00Z" });
    app.post("/api/v1/orders", Some(&user.access), order.clone())
        .await
        .expect(201);
    // Used: deleting it only deactivates it, and new orders may no longer name it.
    let retired = app
        .delete(&format!("/api/v1/reference/mills/{mill_id}"), token)
        .await;
    let retired = retired.expect(200);
    assert_eq!(
        (retired["active"].as_bool(), retired["used"].as_bool()),
        (Some(false), Some(true))
    );
    let refused = app.post("/api/v1/orders", Some(&user.access), order).await;
    assert_eq!(
        refused.expect_error(400, "VALIDATION_ERROR"),
        vec!["origin"]
    );
    let all = app
        .get("/api/v1/reference/mills?includeInactive=true", token)
        .await;
    assert!(all
        .expect(200)
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["code"] == "JSW"));
    let edited = app
        .put(
            &format!("/api/v1/reference/mills/{mill_id}"),
            token,
            json!({ "description": "JSW (closed)", "active": true }),
        )
        .await;
    assert_eq!(edited.expect(200)["description"], "JSW (closed)");
}

crate::scenarios!(
    products_and_stock_ledger,
    customers_are_managed_and_linked,
    reference_lists_validate_and_retire_entries
);
