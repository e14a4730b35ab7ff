//! Order search kept in step with every change, and cursor pagination through deep lists.

use std::collections::HashSet;

use serde_json::{json, Value};

use crate::harness::{Session, TestApp};

async fn found(app: &TestApp, who: &Session, search: &str) -> Vec<String> {
    let res = app
        .get(
            &format!("/api/v1/orders?limit=100&search={search}"),
            Some(&who.access),
        )
        .await;
    let mut numbers: Vec<String> = res.expect(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["number"].as_str().unwrap().to_string())
        .collect();
    numbers.sort();
    numbers
}

async fn search_follows_every_change(app: TestApp) {
    let admin = app.admin().await;
    let alice = app.user(&admin, "customer", "alice@example.com").await;
    let customer = app.customer_for(&admin, &alice, "Harbour Cranes").await;
    let sku = app.product(&admin, "GIRDER-HEA200", "90", "100").await;
    let other = app.product(&admin, "PLATE-S355", "40", "100").await;
    let body = json!({ "number": "SO-7781", "customerId": customer, "title": "Quay extension",
                       "items": [{ "productId": sku, "quantity": 2 }] });
    let order = app
        .post("/api/v1/orders", Some(&admin.access), body)
        .await
        .expect(201)
        .clone();
    let id = order["id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/orders/{id}");
    for search in [
        "quay",
        "QUAY%20ext",
        "harb",
        "girder",
        "hea200",
        "so-7781",
        "so7781",
    ] {
        assert_eq!(found(&app, &admin, search).await, ["SO-7781"], "{search}");
    }
    assert!(
        found(&app, &admin, "quay%20plate").await.is_empty(),
        "every word must match"
    );
    assert!(
        found(&app, &admin, "uay").await.is_empty(),
        "words match from their start"
    );
    assert_eq!(
        found(&app, &alice, "quay").await,
        ["SO-7781"],
        "the customer finds its own"
    );

    // The title changes: the old word no longer finds it, the new one does.
    app.call(
        reqwest::Method::PATCH,
        &path,
        Some(&admin.access),
        Some(json!({ "title": "Pier works" })),
    )
    .await
    .expect(200);
    assert!(found(&app, &admin, "quay").await.is_empty());
    assert_eq!(found(&app, &admin, "pier").await, ["SO-7781"]);

    // Items: a new line's code is found, a removed line's is not.
    let item = app
        .post(
            &format!("{path}/items"),
            Some(&admin.access),
            json!({ "productId": other, "quantity": 1 }),
        )
        .await
        .expect(201)
        .clone();
    assert_eq!(found(&app, &admin, "s355").await, ["SO-7781"]);
    let item_id = item["id"].as_str().unwrap();
    app.delete(&format!("{path}/items/{item_id}"), Some(&admin.access))
        .await;
    assert!(found(&app, &admin, "s355").await.is_empty());

    // The customer is renamed: its orders are found by the new name.
    app.put(
        &format!("/api/v1/customers/{customer}"),
        Some(&admin.access),
        json!({ "name": "Dockside Lifting" }),
    )
    .await
    .expect(200);
    assert!(found(&app, &admin, "harbour").await.is_empty());
    assert_eq!(found(&app, &admin, "dockside").await, ["SO-7781"]);

    // Another customer's order stays out of alice's results.
    app.post("/api/v1/orders", Some(&admin.access), json!({ "number": "SO-7782", "title": "Pier lights", "items": [{ "productId": other, "quantity": 1 }] }))
        .await
        .expect(201);
    assert_eq!(found(&app, &admin, "pier").await, ["SO-7781", "SO-7782"]);
    assert_eq!(found(&app, &alice, "pier").await, ["SO-7781"]);

    // Deleted orders are gone from search.
    app.delete(&path, Some(&admin.access)).await.expect(204);
    assert_eq!(found(&app, &admin, "pier").await, ["SO-7782"]);

    for bad in ["%20-%20", "%22%2A"] {
        app.get(&format!("/api/v1/orders?search={bad}"), Some(&admin.access))
            .await
            .expect_error(400, "VALIDATION_ERROR");
    }
    // Text-search syntax in the input is plain text, never an operator.
    for odd in [
        "a%20OR%20b",
        "NOT%20pier",
        "pier%22%20OR%20%22x",
        "%2Bpier%20-lights",
        "pier:*%20|%20x",
    ] {
        app.get(&format!("/api/v1/orders?search={odd}"), Some(&admin.access))
            .await
            .expect(200);
    }
}

fn numbers(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["number"].as_str().unwrap().to_string())
        .collect()
}

async fn cursors_walk_every_order_once(app: TestApp) {
    let admin = app.admin().await;
    let sku = app.product(&admin, "CUR-P", "10", "100").await;
    for i in 0..23 {
        let body = json!({ "number": format!("CUR-{i:03}"), "priority": 1 + i % 4,
                           "items": [{ "productId": sku, "quantity": 1 + i % 3 }] });
        app.post("/api/v1/orders", Some(&admin.access), body)
            .await
            .expect(201);
    }
    for sort in [
        "sort=createdAt&order=desc",
        "sort=priority&order=asc",
        "sort=number&order=desc",
        "sort=total&order=asc",
    ] {
        let first = app
            .get(
                &format!("/api/v1/orders?{sort}&limit=5"),
                Some(&admin.access),
            )
            .await
            .expect(200)
            .clone();
        assert_eq!(first["totalCount"], 23);
        let mut seen = numbers(&first);
        let mut cursor = first["nextCursor"].as_str().map(str::to_string);
        let mut pages = 1;
        while let Some(c) = cursor {
            let page = app
                .get(
                    &format!("/api/v1/orders?{sort}&limit=5&cursor={c}"),
                    Some(&admin.access),
                )
                .await
                .expect(200)
                .clone();
            assert!(
                page.get("totalCount").is_none(),
                "cursor pages skip the count"
            );
            seen.extend(numbers(&page));
            cursor = page["nextCursor"].as_str().map(str::to_string);
            pages += 1;
        }
        assert_eq!(pages, 5, "{sort}");
        assert_eq!(seen.len(), 23, "{sort}");
        assert_eq!(
            seen.iter().collect::<HashSet<_>>().len(),
            23,
            "{sort}: no order twice"
        );
        // The same walk by page numbers gives the same order.
        let mut by_pages = Vec::new();
        for page in 1..=5 {
            let res = app
                .get(
                    &format!("/api/v1/orders?{sort}&limit=5&page={page}"),
                    Some(&admin.access),
                )
                .await;
            by_pages.extend(numbers(res.expect(200)));
        }
        assert_eq!(seen, by_pages, "{sort}");
    }
    let first = app
        .get("/api/v1/orders?limit=5", Some(&admin.access))
        .await
        .expect(200)["nextCursor"]
        .as_str()
        .unwrap()
        .to_string();
    for bad in [
        format!("cursor={first}&sort=number"),
        format!("cursor={first}&page=2"),
        "cursor=bm9wZQ".to_string(),
        "cursor=%25%25".to_string(),
    ] {
        assert_eq!(
            app.get(&format!("/api/v1/orders?{bad}"), Some(&admin.access))
                .await
                .expect_error(400, "VALIDATION_ERROR"),
            vec!["cursor"],
            "{bad}"
        );
    }
}

/// Orders from before search existed (no search entry) are found once the server has written
/// their entries, which it does at start.
async fn orders_without_search_entries_are_backfilled(app: TestApp) {
    use sea_orm::ConnectionTrait;
    let admin = app.admin().await;
    let sku = app.product(&admin, "LEGACY-1", "3", "100").await;
    for i in 0..3 {
        let body = json!({ "number": format!("OLD-{i}"), "title": "Legacy import", "items": [{ "productId": sku, "quantity": 1 }] });
        app.post("/api/v1/orders", Some(&admin.access), body)
            .await
            .expect(201);
    }
    app.state
        .db
        .conn()
        .execute_unprepared("DELETE FROM order_search")
        .await
        .unwrap();
    assert!(found(&app, &admin, "legacy").await.is_empty());
    // As at start-up: counted on the maintenance connection (on SQLite a connection of its own).
    let maintenance = app.state.db.maintenance().await.unwrap();
    assert_eq!(
        ordo::orders::search::backfill_missing(&app.state, maintenance.conn())
            .await
            .unwrap(),
        3
    );
    assert_eq!(
        found(&app, &admin, "legacy").await,
        ["OLD-0", "OLD-1", "OLD-2"]
    );
    assert_eq!(
        ordo::orders::search::backfill_missing(&app.state, maintenance.conn())
            .await
            .unwrap(),
        0
    );
    maintenance.close().await;
}

/// Orders created and retitled at the same time (on SQLite they share commits) are each found by
/// their current words and no longer by their old ones, and SQLite's index matches its documents.
async fn orders_written_together_are_all_found(app: TestApp) {
    use futures::future::join_all;
    use futures::FutureExt as _;
    use sea_orm::ConnectionTrait;
    let admin = app.admin().await;
    let sku = app.product(&admin, "BEAM-IPE300", "12", "1000").await;
    let create = |n: usize| {
        let body = json!({ "number": format!("TG-{n:02}"), "title": format!("Crane{n:02} first"),
                           "items": [{ "productId": sku, "quantity": 1 }] });
        let (app, token) = (app.clone(), admin.access.clone());
        async move {
            let res = app.post("/api/v1/orders", Some(&token), body).await;
            res.expect(201)["id"].as_str().unwrap().to_string()
        }
    };
    let ids = join_all((0..24).map(create)).await;
    // Every order is retitled twice at once (the two may share a commit) while the next orders
    // are being created.
    let retitle = |n: usize, id: &str, word: &'static str| {
        let (app, token) = (app.clone(), admin.access.clone());
        let path = format!("/api/v1/orders/{id}");
        async move {
            app.call(
                reqwest::Method::PATCH,
                &path,
                Some(&token),
                Some(json!({ "title": format!("{word}{n:02} second") })),
            )
            .await
            .expect(200);
        }
        .boxed()
    };
    let retitles = ids
        .iter()
        .enumerate()
        .flat_map(|(n, id)| [retitle(n, id, "Hoist"), retitle(n, id, "Winch")]);
    let more = (24..32).map(|n| create(n).map(drop).boxed());
    join_all(retitles.chain(more)).await;
    for (n, id) in ids.iter().enumerate() {
        let order = app
            .get(&format!("/api/v1/orders/{id}"), Some(&admin.access))
            .await
            .expect(200)
            .clone();
        let (kept, lost) = match order["title"].as_str().unwrap().starts_with("Hoist") {
            true => ("hoist", "winch"),
            false => ("winch", "hoist"),
        };
        let number = [format!("TG-{n:02}")];
        assert_eq!(found(&app, &admin, &format!("{kept}{n:02}")).await, number);
        for gone in [lost, "crane"] {
            let search = format!("{gone}{n:02}");
            assert!(found(&app, &admin, &search).await.is_empty(), "{search}");
        }
    }
    for n in 24..32 {
        assert_eq!(
            found(&app, &admin, &format!("crane{n:02}")).await,
            [format!("TG-{n:02}")]
        );
    }
    if app.state.db.backend() == sea_orm::DatabaseBackend::Sqlite {
        let db = app.state.db.conn();
        // Checks the index against the documents it was built from; fails on any difference.
        db.execute_unprepared(
            "INSERT INTO order_search_fts (order_search_fts, rank) VALUES ('integrity-check', 1)",
        )
        .await
        .expect("the full-text index matches its documents");
        let pending = db
            .query_one(sea_orm::Statement::from_string(
                sea_orm::DatabaseBackend::Sqlite,
                "SELECT COUNT(*) FROM order_search_pending",
            ))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            pending.try_get_by_index::<i64>(0).unwrap(),
            0,
            "nothing is left pending"
        );
    }
}

crate::scenarios!(
    search_follows_every_change,
    orders_written_together_are_all_found,
    cursors_walk_every_order_once,
    orders_without_search_entries_are_backfilled
);
