//! Dashboards agree with the rows they summarise, stay scoped by role and cut days in the
//! caller's zone.

use std::collections::BTreeMap;

use chrono::Utc;
use rust_decimal::Decimal;
use serde_json::{json, Value};

use crate::harness::{Session, TestApp};

fn dec(v: &Value) -> Decimal {
    v.as_str().unwrap().parse().unwrap()
}

/// Every order the session can list, read through the list API.
async fn all_orders(app: &TestApp, who: &Session) -> Vec<Value> {
    let res = app.get("/api/v1/orders?limit=100", Some(&who.access)).await;
    res.expect(200)["items"].as_array().unwrap().clone()
}

async fn dashboards_match_the_orders_and_stay_scoped(app: TestApp) {
    let admin = app.admin().await;
    let manager = app.user(&admin, "manager", "ops@example.com").await;
    let staff = app.user(&admin, "staff", "fitter@example.com").await;
    let alice = app.user(&admin, "customer", "alice@example.com").await;
    let bob = app.user(&admin, "customer", "bob@example.com").await;
    app.customer_for(&admin, &alice, "Alice Anvils").await;
    app.customer_for(&admin, &bob, "Bob Bolts").await;
    let anvil = app.product(&admin, "ANVIL", "100.50", "100").await;
    let bolt = app.product(&admin, "BOLT", "2", "1000").await;

    let mut ids = Vec::new();
    for (who, lines) in [
        (&alice, vec![(&anvil, 2), (&bolt, 10)]),
        (&alice, vec![(&anvil, 1)]),
        (&alice, vec![(&bolt, 5)]),
        (&bob, vec![(&anvil, 3)]),
        (&bob, vec![(&bolt, 1)]),
    ] {
        let items: Vec<Value> = lines
            .iter()
            .map(|(p, q)| json!({ "productId": p, "quantity": q }))
            .collect();
        let order = app
            .post(
                "/api/v1/orders",
                Some(&who.access),
                json!({ "items": items }),
            )
            .await
            .expect(201)
            .clone();
        ids.push(order["id"].as_str().unwrap().to_string());
    }
    let move_to = |id: &str, to: &str, fields: Value| {
        let (app, token, path) = (
            app.clone(),
            manager.access.clone(),
            format!("/api/v1/orders/{id}/transitions"),
        );
        let mut body = json!({ "to": to });
        if let Value::Object(extra) = fields {
            body.as_object_mut().unwrap().extend(extra);
        }
        async move {
            app.post(&path, Some(&token), body)
                .await
                .expect(200)
                .clone()
        }
    };
    // Alice's first order is delivered, bob's first cancelled, alice's second processing.
    move_to(&ids[0], "processing", json!({})).await;
    move_to(
        &ids[0],
        "shipped",
        json!({ "fields": { "trackingNumber": "T-1" } }),
    )
    .await;
    move_to(&ids[0], "delivered", json!({})).await;
    move_to(
        &ids[3],
        "cancelled",
        json!({ "fields": { "reason": "changed mind" } }),
    )
    .await;
    move_to(&ids[1], "processing", json!({})).await;
    // A service order assigned to the staff member.
    let service = app
        .post(
            "/api/v1/orders",
            Some(&manager.access),
            json!({ "workflow": "service", "title": "Crane check" }),
        )
        .await
        .expect(201)
        .clone();
    let service_id = service["id"].as_str().unwrap();
    app.call(
        reqwest::Method::PUT,
        &format!("/api/v1/orders/{service_id}/assignee"),
        Some(&manager.access),
        Some(json!({ "userId": staff.id })),
    )
    .await
    .expect(200);

    // The figures, computed independently from the orders the admin can list.
    let orders = all_orders(&app, &admin).await;
    assert_eq!(orders.len(), 6);
    let mut by_status: BTreeMap<String, i64> = BTreeMap::new();
    for o in &orders {
        *by_status
            .entry(o["status"].as_str().unwrap().to_string())
            .or_default() += 1;
    }
    let revenue: Decimal = orders
        .iter()
        .filter(|o| o["status"] != "cancelled")
        .map(|o| dec(&o["total"]))
        .sum();

    let overview = app
        .get("/api/v1/dashboard/overview", Some(&admin.access))
        .await;
    let overview = overview.expect(200);
    assert_eq!(overview["totalOrders"], 6);
    assert_eq!(
        serde_json::from_value::<BTreeMap<String, i64>>(overview["byStatus"].clone()).unwrap(),
        by_status
    );
    assert_eq!(overview["byWorkflow"]["standard"]["total"], 5);
    assert_eq!(overview["byWorkflow"]["service"]["byStatus"]["pending"], 1);
    assert_eq!(overview["byPriority"]["3"], 6);
    assert_eq!(overview["completed"], 1);
    assert!((overview["completionRate"].as_f64().unwrap() - 1.0 / 6.0).abs() < 1e-9);
    assert!(overview["averageProcessingHours"].as_f64().unwrap() >= 0.0);
    assert_eq!(
        (
            overview["ordersToday"].as_u64(),
            overview["ordersLast7Days"].as_u64(),
            overview["ordersLast30Days"].as_u64()
        ),
        (Some(6), Some(6), Some(6))
    );
    assert_eq!(overview["overdue"], 0);
    let activity = overview["recentActivity"].as_array().unwrap();
    assert_eq!(activity.len(), 10);
    assert_eq!(
        activity[0]["orderId"],
        service_id.to_string().as_str(),
        "newest first"
    );

    // A period of whole days reads the daily counts instead of the rows: the same figures.
    let tomorrow = (Utc::now() + chrono::Duration::days(1)).date_naive();
    let whole_days = app
        .get(
            &format!("/api/v1/dashboard/overview?to={tomorrow}"),
            Some(&admin.access),
        )
        .await;
    let whole_days = whole_days.expect(200).clone();
    for figure in [
        "totalOrders",
        "byStatus",
        "byWorkflow",
        "byPriority",
        "completed",
        "completionRate",
    ] {
        assert_eq!(whole_days[figure], overview[figure], "{figure}");
    }

    // Scoped: a customer sees its own orders only, staff what is assigned to them.
    let mine = app
        .get("/api/v1/dashboard/overview", Some(&alice.access))
        .await;
    let mine = mine.expect(200);
    assert_eq!(mine["totalOrders"], 3);
    assert_eq!(mine["byStatus"]["delivered"], 1);
    assert!(mine["recentActivity"]
        .as_array()
        .unwrap()
        .iter()
        .all(|a| ids[..3].contains(&a["orderId"].as_str().unwrap().to_string())));
    let bobs = app
        .get("/api/v1/dashboard/overview", Some(&bob.access))
        .await;
    assert_eq!(bobs.expect(200)["totalOrders"], 2);
    let assigned = app
        .get("/api/v1/dashboard/overview", Some(&staff.access))
        .await;
    assert_eq!(assigned.expect(200)["totalOrders"], 1);

    let sales = app
        .get("/api/v1/dashboard/sales?currency=usd", Some(&admin.access))
        .await;
    let sales = sales.expect(200).clone();
    assert_eq!(sales["orders"], 5, "the cancelled order does not count");
    assert_eq!(dec(&sales["revenue"]), revenue);
    let series_total: Decimal = sales["series"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| dec(&p["revenue"]))
        .sum();
    assert_eq!(series_total, revenue);
    let top = &sales["topProducts"][0];
    assert_eq!(top["code"], "ANVIL", "{sales}");
    assert_eq!(
        dec(&top["quantity"]),
        Decimal::from(3),
        "2 + 1 on live orders; bob's 3 were cancelled"
    );
    assert_eq!(sales["topCustomers"][0]["name"], "Alice Anvils");
    for interval in ["week", "month"] {
        let res = app
            .get(
                &format!("/api/v1/dashboard/sales?interval={interval}&currency=USD"),
                Some(&admin.access),
            )
            .await;
        let body = res.expect(200);
        let total: Decimal = body["series"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| dec(&p["revenue"]))
            .sum();
        assert_eq!(total, revenue, "{interval}");
    }
    let alices_sales = app
        .get("/api/v1/dashboard/sales?currency=USD", Some(&alice.access))
        .await;
    let alices_sales = alices_sales.expect(200);
    assert_eq!(alices_sales["orders"], 3);
    assert!(alices_sales["topCustomers"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["name"] == "Alice Anvils"));

    let trends = app
        .get("/api/v1/dashboard/trends", Some(&admin.access))
        .await;
    let series = trends.expect(200)["series"].as_array().unwrap().clone();
    assert_eq!(series.len(), 30, "every day of the default period");
    let created: i64 = series.iter().map(|p| p["created"].as_i64().unwrap()).sum();
    let completed: i64 = series
        .iter()
        .map(|p| p["completed"].as_i64().unwrap())
        .sum();
    assert_eq!((created, completed), (6, 1));

    let stock = app
        .get("/api/v1/dashboard/inventory", Some(&manager.access))
        .await;
    let stock = stock.expect(200).clone();
    let mut expected_value = Decimal::ZERO;
    for (id, price) in [(&anvil, "100.50"), (&bolt, "2")] {
        let level = app.stock(&admin, id).await;
        expected_value += dec(&level["onHand"]) * price.parse::<Decimal>().unwrap();
    }
    assert_eq!(
        dec(&stock["stockValue"]["USD"]),
        expected_value.round_dp(2),
        "{stock}"
    );
    let kinds: Vec<&str> = stock["movements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"reservation") && kinds.contains(&"shipment"),
        "{kinds:?}"
    );

    // Customers see neither stock figures nor the admin list.
    app.get("/api/v1/dashboard/inventory", Some(&alice.access))
        .await
        .expect_error(403, "FORBIDDEN");
    app.get("/api/v1/admin/orders/recent", Some(&manager.access))
        .await
        .expect_error(403, "FORBIDDEN");
    let recent = app
        .get("/api/v1/admin/orders/recent?limit=2", Some(&admin.access))
        .await;
    let recent = recent.expect(200).as_array().unwrap().clone();
    assert_eq!(recent.len(), 2);
    assert_eq!(recent[0]["id"], service_id);

    // Deleting and re-prioritising move the daily counts too.
    app.delete(&format!("/api/v1/orders/{}", ids[4]), Some(&admin.access))
        .await
        .expect(204);
    app.call(
        reqwest::Method::PATCH,
        &format!("/api/v1/orders/{}", ids[2]),
        Some(&admin.access),
        Some(json!({ "priority": 1 })),
    )
    .await
    .expect(200);
    for query in [String::new(), format!("?to={tomorrow}")] {
        let res = app
            .get(
                &format!("/api/v1/dashboard/overview{query}"),
                Some(&admin.access),
            )
            .await;
        let body = res.expect(200);
        assert_eq!(body["totalOrders"], 5, "{query}");
        assert_eq!(body["byPriority"]["1"], 1, "{query}");
        assert_eq!(body["byStatus"]["pending"], 2, "{query}");
    }
}

async fn days_are_cut_in_the_callers_zone(app: TestApp) {
    let admin = app.admin().await;
    let sku = app.product(&admin, "TZ", "1", "10").await;
    app.post(
        "/api/v1/orders",
        Some(&admin.access),
        json!({ "items": [{ "productId": sku, "quantity": 1 }] }),
    )
    .await
    .expect(201);
    let now = Utc::now();
    // The same instant falls on different calendar days east and west of the date line.
    for zone in [
        "Pacific/Kiritimati",
        "Pacific/Pago_Pago",
        "Asia/Kolkata",
        "UTC",
    ] {
        let tz: chrono_tz::Tz = zone.parse().unwrap();
        let today = now.with_timezone(&tz).date_naive().to_string();
        let res = app
            .get(
                &format!("/api/v1/dashboard/trends?from={today}&to={today}&tz={zone}"),
                Some(&admin.access),
            )
            .await;
        let series = res.expect(200)["series"].as_array().unwrap().clone();
        assert_eq!(series.len(), 1, "{zone}");
        assert_eq!(series[0]["day"], today.as_str(), "{zone}");
        assert_eq!(series[0]["created"], 1, "{zone}");
        let overview = app
            .get(
                &format!("/api/v1/dashboard/overview?tz={zone}"),
                Some(&admin.access),
            )
            .await;
        assert_eq!(overview.expect(200)["ordersToday"], 1, "{zone}");
    }
    // A period that ends before today holds nothing.
    let res = app
        .get(
            "/api/v1/dashboard/overview?from=2020-01-01&to=2020-01-31&tz=Europe/Berlin",
            Some(&admin.access),
        )
        .await;
    let body = res.expect(200);
    assert_eq!(body["totalOrders"], 0);
    assert_eq!(body["period"]["from"], "2019-12-31T23:00:00Z");

    for (query, field) in [
        ("tz=Mars/Olympus", "tz"),
        ("from=2026-02-01&to=2026-01-01", "from"),
        ("from=last%20week", "from"),
        ("to=2026-02-30", "to"),
        ("from=2010-01-01&to=2026-01-01", "from"),
    ] {
        for path in ["overview", "sales", "trends", "inventory"] {
            assert_eq!(
                app.get(
                    &format!("/api/v1/dashboard/{path}?{query}"),
                    Some(&admin.access)
                )
                .await
                .expect_error(400, "VALIDATION_ERROR"),
                vec![field],
                "{path}?{query}"
            );
        }
    }
    app.get("/api/v1/dashboard/sales?interval=year", Some(&admin.access))
        .await
        .expect_error(400, "VALIDATION_ERROR");
    app.get("/api/v1/dashboard/sales?currency=EURO", Some(&admin.access))
        .await
        .expect_error(400, "VALIDATION_ERROR");
    app.get("/api/v1/dashboard/overview", None)
        .await
        .expect_error(401, "UNAUTHORIZED");
}

/// Overdue: open orders whose earlier deadline has passed. Managers read the days before today
/// from the due-day counts and today from the rows; staff count their own rows. Both must agree
/// with the orders as they are after edits and transitions.
async fn overdue_counts_open_orders_past_their_earlier_deadline(app: TestApp) {
    let admin = app.admin().await;
    let manager = app.user(&admin, "manager", "ops@example.com").await;
    let staff = app.user(&admin, "staff", "fitter@example.com").await;
    let now = Utc::now();
    let at = |hours: i64| (now + chrono::Duration::hours(hours)).to_rfc3339();
    let mut ids = Vec::new();
    for (title, deadlines) in [
        (
            "valid-until three days ago",
            json!({ "validUntil": at(-72) }),
        ),
        (
            "estimate two days ago, valid for ten more",
            json!({ "estimatedCompletion": at(-48), "validUntil": at(240) }),
        ),
        (
            "valid-until a minute ago",
            json!({ "validUntil": (now - chrono::Duration::minutes(1)).to_rfc3339() }),
        ),
        (
            "estimate in two hours",
            json!({ "estimatedCompletion": at(2) }),
        ),
        (
            "due five days ago, then cancelled",
            json!({ "validUntil": at(-120) }),
        ),
        (
            "due four days ago, then moved out",
            json!({ "estimatedCompletion": at(-96) }),
        ),
        ("no deadline", json!({})),
    ] {
        let mut body = json!({ "workflow": "service", "title": title });
        body.as_object_mut()
            .unwrap()
            .extend(deadlines.as_object().unwrap().clone());
        let order = app
            .post("/api/v1/orders", Some(&manager.access), body)
            .await
            .expect(201)
            .clone();
        ids.push(order["id"].as_str().unwrap().to_string());
    }
    let overdue = |who: &Session| {
        let (app, token) = (app.clone(), who.access.clone());
        async move {
            app.get("/api/v1/dashboard/overview", Some(&token))
                .await
                .expect(200)["overdue"]
                .as_u64()
                .unwrap()
        }
    };
    assert_eq!(overdue(&manager).await, 5, "before the changes");

    app.post(
        &format!("/api/v1/orders/{}/transitions", ids[4]),
        Some(&manager.access),
        json!({ "to": "cancelled", "fields": { "reason": "not needed" } }),
    )
    .await
    .expect(200);
    app.call(
        reqwest::Method::PATCH,
        &format!("/api/v1/orders/{}", ids[5]),
        Some(&manager.access),
        Some(json!({ "estimatedCompletion": at(96) })),
    )
    .await
    .expect(200);
    assert_eq!(overdue(&manager).await, 3);
    assert_eq!(overdue(&admin).await, 3);

    // Staff see the orders assigned to them only, counted from the rows.
    for id in [&ids[0], &ids[3]] {
        app.call(
            reqwest::Method::PUT,
            &format!("/api/v1/orders/{id}/assignee"),
            Some(&manager.access),
            Some(json!({ "userId": staff.id })),
        )
        .await
        .expect(200);
    }
    assert_eq!(overdue(&staff).await, 1);

    // Deleting an overdue order takes it out of the counts.
    app.delete(&format!("/api/v1/orders/{}", ids[1]), Some(&admin.access))
        .await
        .expect(204);
    assert_eq!(overdue(&manager).await, 2);
}

crate::scenarios!(
    dashboards_match_the_orders_and_stay_scoped,
    days_are_cut_in_the_callers_zone,
    overdue_counts_open_orders_past_their_earlier_deadline
);
