//! Streamed exports: every format readable, the list's filters and scoping applied, formulas
//! neutralised, downloads named and audited.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use serde_json::{json, Value};

use crate::harness::{Session, TestApp};

async fn download(app: &TestApp, who: &Session, path: &str) -> crate::harness::Res {
    let res = app.get(path, Some(&who.access)).await;
    assert_eq!(
        res.status.as_u16(),
        200,
        "{path}: {}",
        String::from_utf8_lossy(&res.bytes)
    );
    res
}

fn csv_rows(bytes: &[u8]) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::Reader::from_reader(bytes);
    let header = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    let rows = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect();
    (header, rows)
}

fn column(header: &[String], name: &str) -> usize {
    header.iter().position(|h| h == name).unwrap()
}

async fn exports_follow_filters_scope_and_formats(app: TestApp) {
    let admin = app.admin().await;
    let alice = app.user(&admin, "customer", "alice@example.com").await;
    let bob = app.user(&admin, "customer", "bob@example.com").await;
    app.customer_for(&admin, &alice, "=cmd|' /C calc'!A0").await;
    let sku = app.product(&admin, "WIDGET", "12.5", "500").await;
    for (who, title, n) in [
        (&alice, "=HYPERLINK(\"http://x\")", 3),
        (&bob, "Plain <b>&</b> title", 2),
    ] {
        for _ in 0..n {
            app.post(
                "/api/v1/orders",
                Some(&who.access),
                json!({ "title": title, "items": [{ "productId": sku, "quantity": 2 }] }),
            )
            .await
            .expect(201);
        }
    }

    // CSV: a header, one row per order, formulas neutralised, a dated file name.
    let res = download(&app, &admin, "/api/v1/orders/export?format=csv").await;
    assert_eq!(res.header("content-type"), Some("text/csv; charset=utf-8"));
    let disposition = res.header("content-disposition").unwrap();
    assert!(
        disposition.starts_with("attachment; filename=\"orders-")
            && disposition.ends_with(".csv\""),
        "{disposition}"
    );
    let (header, rows) = csv_rows(&res.bytes);
    assert_eq!(header[..3], ["id", "number", "workflow"]);
    assert_eq!(rows.len(), 5);
    let title = column(&header, "title");
    let customer = column(&header, "customerName");
    let items = column(&header, "items");
    let mut titles: Vec<&str> = rows.iter().map(|r| r[title].as_str()).collect();
    titles.sort();
    assert_eq!(titles[0], "'=HYPERLINK(\"http://x\")");
    assert_eq!(titles[4], "Plain <b>&</b> title");
    assert!(rows.iter().any(|r| r[customer] == "'=cmd|' /C calc'!A0"));
    assert_eq!(rows[0][items], "WIDGET x 2 @ 12.50");
    assert_eq!(rows[0][column(&header, "total")], "25.00");

    // Times as the API gives them; a time filter compares with the times as stored.
    let created = column(&header, "createdAt");
    let first = app
        .get(
            &format!("/api/v1/orders/{}", rows[0][0]),
            Some(&admin.access),
        )
        .await;
    let api_created = first.expect(200)["createdAt"].as_str().unwrap();
    assert_eq!(instant(&rows[0][created]), instant(api_created));
    let (_, later) = csv_rows(
        &download(
            &app,
            &admin,
            &format!("/api/v1/orders/export?createdFrom={}", rows[2][created]),
        )
        .await
        .bytes,
    );
    assert_eq!(later.len(), 3, "orders created at or after the third");

    // The list's filters and the caller's scope apply.
    let (_, mine) = csv_rows(&download(&app, &alice, "/api/v1/orders/export").await.bytes);
    assert_eq!(mine.len(), 3, "alice exports her own orders only");
    let (_, found) = csv_rows(
        &download(&app, &admin, "/api/v1/orders/export?search=plain")
            .await
            .bytes,
    );
    assert_eq!(found.len(), 2);
    let (_, none) = csv_rows(
        &download(&app, &admin, "/api/v1/orders/export?status=delivered")
            .await
            .bytes,
    );
    assert!(none.is_empty());

    // NDJSON: one object per line, typed.
    let res = download(&app, &bob, "/api/v1/orders/export?format=ndjson").await;
    assert_eq!(res.header("content-type"), Some("application/x-ndjson"));
    let lines: Vec<Value> = String::from_utf8(res.bytes.clone())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["priority"], 3);
    assert_eq!(lines[0]["total"], "25.00");
    assert_eq!(
        lines[0]["title"], "Plain <b>&</b> title",
        "NDJSON carries text as it is"
    );
    assert!(lines[0]["completedAt"].is_null());

    // XLSX: a workbook a spreadsheet library opens, text kept as text.
    let res = download(&app, &admin, "/api/v1/orders/export?format=xlsx").await;
    assert!(res
        .header("content-disposition")
        .unwrap()
        .ends_with(".xlsx\""));
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(res.bytes.clone())).expect("a valid workbook");
    let sheet = book.worksheet_range("Orders").expect("the Orders sheet");
    assert_eq!(sheet.height(), 6, "header and five orders");
    assert_eq!(sheet.get((0, 1)), Some(&Data::String("number".into())));
    let titles: Vec<String> = (1..6)
        .map(|r| sheet.get((r, title)).unwrap().to_string())
        .collect();
    assert!(
        titles.contains(&"=HYPERLINK(\"http://x\")".to_string()),
        "inline text, never a formula"
    );
    assert!(titles.contains(&"Plain <b>&</b> title".to_string()));
    assert_eq!(
        sheet.get((1, column(&header, "priority"))),
        Some(&Data::Float(3.0))
    );

    // The other lists.
    let (header, rows) = csv_rows(
        &download(&app, &admin, "/api/v1/products/export")
            .await
            .bytes,
    );
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0][column(&header, "sku")], "WIDGET");
    assert_eq!(
        rows[0][column(&header, "reserved")],
        "10",
        "five pending orders of two each"
    );
    let (_, customers) = csv_rows(
        &download(&app, &admin, "/api/v1/customers/export")
            .await
            .bytes,
    );
    assert_eq!(customers.len(), 1);
    let (header, moves) = csv_rows(
        &download(
            &app,
            &admin,
            &format!("/api/v1/inventory/movements/export?productId={sku}&kind=reservation"),
        )
        .await
        .bytes,
    );
    assert_eq!(moves.len(), 5);
    assert!(moves.iter().all(|m| m[column(&header, "quantity")] == "2"));
    let audit = download(
        &app,
        &admin,
        "/api/v1/admin/audit-logs/export?format=ndjson&action=order.created",
    )
    .await;
    assert_eq!(
        String::from_utf8(audit.bytes.clone())
            .unwrap()
            .lines()
            .count(),
        5
    );

    // Every export is audited, with who and what.
    let entries = app.audit(&admin, "action=export.downloaded").await;
    assert_eq!(entries.len(), 11, "{entries:?}");
    assert!(entries
        .iter()
        .any(|e| e["actorId"] == alice.id.as_str() && e["entityId"] == "orders"));

    // Customers may not export other lists; bad input is refused before anything is sent.
    for path in [
        "/api/v1/customers/export",
        "/api/v1/products/export",
        "/api/v1/inventory/movements/export",
        "/api/v1/admin/audit-logs/export",
    ] {
        app.get(path, Some(&alice.access))
            .await
            .expect_error(403, "FORBIDDEN");
    }
    for path in [
        "/api/v1/orders/export?format=pdf",
        "/api/v1/orders/export?priority=9",
        "/api/v1/orders/export?search=%20-%20",
        "/api/v1/inventory/movements/export?from=soon",
    ] {
        app.get(path, Some(&admin.access))
            .await
            .expect_error(400, "VALIDATION_ERROR");
    }
    app.get("/api/v1/orders/export", None)
        .await
        .expect_error(401, "UNAUTHORIZED");

    // An order's items in one cell, in their order.
    let gadget = app.product(&admin, "GADGET", "3", "50").await;
    app.post(
        "/api/v1/orders",
        Some(&alice.access),
        json!({ "items": [
            { "productId": sku, "quantity": 1 },
            { "productId": gadget, "quantity": 4 },
        ] }),
    )
    .await
    .expect(201);
    let (header, mine) = csv_rows(&download(&app, &alice, "/api/v1/orders/export").await.bytes);
    assert_eq!(
        mine.last().unwrap()[column(&header, "items")],
        "WIDGET x 1 @ 12.50; GADGET x 4 @ 3.00"
    );
}

fn instant(text: &str) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(text)
        .unwrap_or_else(|err| panic!("{text}: {err}"))
        .into()
}

/// The bulk loader's orders (more than an export page) are searchable, counted by the
/// dashboards as by the list, and exported without gaps or repeats.
async fn bulk_loaded_orders_search_count_and_export(app: TestApp) {
    let admin = app.admin().await;
    let seeded_from = chrono::Utc::now();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ordo"))
        .args([
            "--database-url",
            &app.settings.database_url,
            "seed",
            "--orders",
            "2500",
        ])
        .env("ORDO_ARGON2_MEMORY_KIB", "1024")
        .env("ORDO_ARGON2_ITERATIONS", "1")
        .env("ORDO_LOG_LEVEL", "warn")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("2500 orders added"));

    let total = |query: String| {
        let (app, token) = (app.clone(), admin.access.clone());
        async move {
            app.get(&format!("/api/v1/orders?limit=1&{query}"), Some(&token))
                .await
                .expect(200)["totalCount"]
                .as_i64()
                .unwrap()
        }
    };
    // Lists count no further than 1,000 matches.
    let everything = app.get("/api/v1/orders?limit=1", Some(&admin.access)).await;
    let everything = everything.expect(200);
    assert_eq!(
        (&everything["totalCount"], &everything["totalCountCapped"]),
        (&json!(1000), &json!(true))
    );
    let first = app
        .get(
            "/api/v1/orders?limit=1&sort=number&order=asc",
            Some(&admin.access),
        )
        .await;
    let number = first.expect(200)["items"][0]["number"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(total(format!("search={number}")).await, 1);

    // The overview over the loaded year agrees with the list's counts per status.
    let from = (chrono::Utc::now() - chrono::Duration::days(400)).date_naive();
    let overview_from = chrono::Utc::now();
    let overview = app
        .get(
            &format!("/api/v1/dashboard/overview?from={from}"),
            Some(&admin.access),
        )
        .await;
    let overview = overview.expect(200).clone();
    assert_eq!(overview["totalOrders"], 2500);
    let by_status = overview["byStatus"].as_object().unwrap();
    assert!(by_status.len() >= 8, "{by_status:?}");
    for (status, count) in by_status {
        assert_eq!(
            total(format!("status={status}")).await,
            count.as_i64().unwrap().min(1000),
            "{status}"
        );
    }
    let trends = app
        .get(
            &format!("/api/v1/dashboard/trends?from={from}"),
            Some(&admin.access),
        )
        .await;
    let created: i64 = trends.expect(200)["series"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["created"].as_i64().unwrap())
        .sum();
    assert_eq!(created, 2500);

    let (header, rows) = csv_rows(&download(&app, &admin, "/api/v1/orders/export").await.bytes);
    let number = column(&header, "number");
    let mut numbers: Vec<&str> = rows.iter().map(|r| r[number].as_str()).collect();
    numbers.sort();
    numbers.dedup();
    assert_eq!(numbers.len(), 2500);

    // Overdue, read from the due-day counts the loader wrote, agrees with the rows: open orders
    // whose earlier deadline has passed.
    let at = |row: &Vec<String>, name: &str| -> Option<chrono::DateTime<chrono::Utc>> {
        let text = &row[column(&header, name)];
        (!text.is_empty()).then(|| text.parse().unwrap())
    };
    let status = column(&header, "status");
    let finished = ["delivered", "completed", "cancelled"];
    let overdue_at = |now: chrono::DateTime<chrono::Utc>| {
        rows.iter()
            .filter(|r| !finished.contains(&r[status].as_str()))
            .filter_map(
                |r| match (at(r, "validUntil"), at(r, "estimatedCompletion")) {
                    (Some(valid), Some(estimate)) => Some(valid.min(estimate)),
                    (valid, estimate) => valid.or(estimate),
                },
            )
            .filter(|due| *due < now)
            .count() as u64
    };
    // The overview was answered between these two instants.
    let (fewest, most) = (overdue_at(overview_from), overdue_at(chrono::Utc::now()));
    let overdue = overview["overdue"].as_u64().unwrap();
    assert!(fewest > 0);
    assert!(
        (fewest..=most).contains(&overdue),
        "{overdue} not in {fewest}..={most}"
    );
    // No backlog for the job that moves pending e-commerce orders on after five minutes: the
    // loader leaves only orders younger than that pending, as a running system would.
    let workflow = column(&header, "workflow");
    let oldest_allowed = seeded_from - chrono::Duration::seconds(300);
    assert!(rows
        .iter()
        .filter(|r| r[workflow] == "standard" && r[status] == "pending")
        .all(|r| at(r, "createdAt").unwrap() >= oldest_allowed));

    let res = download(&app, &admin, "/api/v1/orders/export?format=xlsx").await;
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(res.bytes.clone())).unwrap();
    assert_eq!(book.worksheet_range("Orders").unwrap().height(), 2501);
}

crate::scenarios!(
    exports_follow_filters_scope_and_formats,
    bulk_loaded_orders_search_count_and_export
);
