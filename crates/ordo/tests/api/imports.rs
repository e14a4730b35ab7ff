//! CSV imports: row-by-row validation with line numbers, dry runs, all-or-nothing, refused
//! encodings and formulas, and a round trip through the export.

use serde_json::{json, Value};

use crate::harness::{Session, TestApp};

async fn upload(app: &TestApp, who: &Session, path: &str, csv: &[u8]) -> crate::harness::Res {
    app.send(
        app.client
            .post(app.url(path))
            .bearer_auth(&who.access)
            .header("content-type", "text/csv")
            .body(csv.to_vec()),
    )
    .await
}

fn lines_with_errors(report: &Value) -> Vec<u64> {
    let mut lines: Vec<u64> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["line"].as_u64().unwrap())
        .collect();
    lines.dedup();
    lines
}

async fn count(app: &TestApp, who: &Session, path: &str) -> u64 {
    let res = app.get(path, Some(&who.access)).await;
    res.expect(200)["totalCount"].as_u64().unwrap()
}

async fn product_import_checks_rows_and_modes(app: TestApp) {
    let admin = app.admin().await;
    app.product(&admin, "KEEP-1", "5", "10").await;
    let csv = "sku,name,unit,price,currency,reorderLevel,onHand\n\
               NEW-1,Hex bolt,pcs,0.25,USD,100,5000\n\
               KEEP-1,Renamed,pcs,6.5,USD,5,999\n\
               BAD-1,Bad price,pcs,cheap,USD,1,1\n\
               ,No sku,pcs,1,USD,1,1\n\
               EVIL-1,=HYPERLINK(\"http://x\"),pcs,1,USD,1,1\n\
               QUOTED-1,'=not a formula,pcs,1,USD,1,1\n\
               SHORT-1,too few\n";
    // A dry run reports and writes nothing.
    let res = upload(
        &app,
        &admin,
        "/api/v1/products/import?dryRun=true",
        csv.as_bytes(),
    )
    .await;
    let report = res.expect(200).clone();
    assert_eq!(
        (
            report["rows"].as_u64(),
            report["succeeded"].as_u64(),
            report["failed"].as_u64()
        ),
        (Some(7), Some(3), Some(4)),
        "{report}"
    );
    assert_eq!(report["committed"], false);
    assert_eq!(lines_with_errors(&report), [4, 5, 6, 8]);
    let fields: Vec<&str> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    assert_eq!(fields, ["price", "sku", "name"]);
    assert_eq!(
        count(&app, &admin, "/api/v1/products").await,
        1,
        "nothing written"
    );

    // Atomic with bad rows writes nothing either.
    let res = upload(
        &app,
        &admin,
        "/api/v1/products/import?atomic=true",
        csv.as_bytes(),
    )
    .await;
    let report = res.expect(200).clone();
    assert_eq!(
        (report["committed"].as_bool(), report["failed"].as_u64()),
        (Some(false), Some(4))
    );
    assert_eq!(count(&app, &admin, "/api/v1/products").await, 1);

    // A real run writes the good rows: one new, one updated, the quoted text restored.
    let res = upload(&app, &admin, "/api/v1/products/import", csv.as_bytes()).await;
    let report = res.expect(200).clone();
    assert_eq!(report["committed"], true);
    let actions: Vec<(&str, &str)> = report["written"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| (w["key"].as_str().unwrap(), w["action"].as_str().unwrap()))
        .collect();
    assert_eq!(
        actions,
        [
            ("NEW-1", "created"),
            ("KEEP-1", "updated"),
            ("QUOTED-1", "created")
        ]
    );
    let found = app
        .get("/api/v1/products?search=quoted", Some(&admin.access))
        .await;
    assert_eq!(found.expect(200)["items"][0]["name"], "=not a formula");
    let new = app
        .get("/api/v1/products?search=NEW-1", Some(&admin.access))
        .await;
    let new_id = new.expect(200)["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(app.stock(&admin, &new_id).await["onHand"], "5000");
    assert_eq!(
        app.audit(&admin, "action=product.created").await.len(),
        3,
        "KEEP-1, NEW-1, QUOTED-1"
    );

    // The export's file imports back: every row an update.
    let exported = app
        .get("/api/v1/products/export", Some(&admin.access))
        .await;
    let res = upload(
        &app,
        &admin,
        "/api/v1/products/import?dryRun=true",
        &exported.bytes,
    )
    .await;
    let report = res.expect(200).clone();
    assert_eq!(
        (report["succeeded"].as_u64(), report["failed"].as_u64()),
        (Some(3), Some(0)),
        "{report}"
    );

    // Files that are not UTF-8 CSV are refused as a whole, naming the line.
    let latin1 = b"sku,name\nCAFE-1,Caf\xe9 cr\xe8me\n";
    let res = upload(&app, &admin, "/api/v1/products/import", latin1).await;
    assert_eq!(res.expect_error(400, "VALIDATION_ERROR"), vec!["file"]);
    assert!(res.body["error"]["details"][0]["message"]
        .as_str()
        .unwrap()
        .starts_with("line 2 "));
    let utf16: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain("sku,name\n".encode_utf16().flat_map(|u| u.to_le_bytes()))
        .collect();
    upload(&app, &admin, "/api/v1/products/import", &utf16)
        .await
        .expect_error(400, "VALIDATION_ERROR");
    upload(&app, &admin, "/api/v1/products/import", b"name\nx\n")
        .await
        .expect_error(400, "VALIDATION_ERROR");
    let bom = "\u{feff}sku,name,unit,price\nBOM-1,Byte order mark,pcs,1\n";
    let res = upload(&app, &admin, "/api/v1/products/import", bom.as_bytes()).await;
    assert_eq!(res.expect(200)["succeeded"], 1);
    let res = app
        .send(
            app.client
                .post(app.url("/api/v1/products/import"))
                .bearer_auth(&admin.access)
                .header("content-type", "application/json")
                .body("{}"),
        )
        .await;
    res.expect_error(415, "UNSUPPORTED_MEDIA_TYPE");
    // A form upload works as well.
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(
            b"sku,name,unit,price\nFORM-1,From a form,pcs,2\n".to_vec(),
        )
        .file_name("p.csv"),
    );
    let res = app
        .send(
            app.client
                .post(app.url("/api/v1/products/import"))
                .bearer_auth(&admin.access)
                .multipart(form),
        )
        .await;
    assert_eq!(res.expect(200)["succeeded"], 1);
}

async fn order_import_round_trips_and_respects_roles(app: TestApp) {
    let admin = app.admin().await;
    let manager = app.user(&admin, "manager", "ops@example.com").await;
    let alice = app.user(&admin, "customer", "alice@example.com").await;
    let customer = app.customer_for(&admin, &alice, "Alice").await;
    app.product(&admin, "ANVIL", "100", "10").await;
    let csv = format!(
        "number,workflow,priority,customerId,title,items,validUntil\n\
         IMP-1,standard,2,{customer},First,ANVIL x 2 @ 90,\n\
         IMP-2,standard,9,{customer},Bad priority,ANVIL x 1,\n\
         IMP-3,standard,3,{customer},Too many,ANVIL x 50,\n\
         IMP-4,standard,3,{customer},@SUM(A1),ANVIL x 1,\n\
         IMP-5,standard,3,not-a-uuid,Bad customer,ANVIL x 1,\n\
         IMP-6,standard,3,{customer},Bad items,ANVIL times 2,\n\
         IMP-1,standard,3,{customer},Duplicate number,ANVIL x 1,\n\
         IMP-8,standard,3,{customer},Second,ANVIL x 3,\n"
    );
    let res = upload(&app, &manager, "/api/v1/orders/import", csv.as_bytes()).await;
    let report = res.expect(200).clone();
    assert_eq!(
        (report["succeeded"].as_u64(), report["failed"].as_u64()),
        (Some(2), Some(6)),
        "{report}"
    );
    assert_eq!(lines_with_errors(&report), [3, 4, 5, 6, 7, 8]);
    let by_line = |line: u64| {
        report["errors"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["line"] == line)
            .unwrap()
            .clone()
    };
    assert_eq!(by_line(3)["field"], "priority");
    assert_eq!(by_line(4)["code"], "INSUFFICIENT_STOCK", "{report}");
    assert_eq!(by_line(5)["field"], "title");
    assert_eq!(by_line(6)["field"], "customerId");
    assert_eq!(by_line(7)["field"], "items");
    assert_eq!(by_line(8)["field"], "number");
    // Written through the order service: stock reserved, price as given by the manager.
    let first = app
        .get("/api/v1/orders?search=IMP-1", Some(&admin.access))
        .await;
    let first = first.expect(200)["items"][0].clone();
    assert_eq!(first["total"], "180.00");
    assert_eq!(first["priority"], 2);
    let mine = app.get("/api/v1/orders", Some(&alice.access)).await;
    assert_eq!(
        mine.expect(200)["totalCount"],
        2,
        "the imported orders are the customer's"
    );
    // The summary counts hold the two written orders, none of the rejected rows.
    let overview = app
        .get("/api/v1/dashboard/overview", Some(&admin.access))
        .await;
    let overview = overview.expect(200);
    assert_eq!(overview["byStatus"], json!({ "pending": 2 }));
    assert_eq!(overview["byPriority"], json!({ "2": 1, "3": 1 }));

    // The export of those orders imports back (under new numbers).
    let exported = app.get("/api/v1/orders/export", Some(&admin.access)).await;
    let text = String::from_utf8(exported.bytes.clone())
        .unwrap()
        .replace("IMP-", "RE-");
    let res = upload(
        &app,
        &admin,
        "/api/v1/orders/import?dryRun=true&atomic=true",
        text.as_bytes(),
    )
    .await;
    let report = res.expect(200).clone();
    assert_eq!(
        (report["succeeded"].as_u64(), report["failed"].as_u64()),
        (Some(2), Some(0)),
        "{report}"
    );
    assert_eq!(
        count(&app, &admin, "/api/v1/orders").await,
        2,
        "a dry run writes nothing"
    );

    // Staff and customers may not import orders; products need catalog rights.
    let staff = app.user(&admin, "staff", "fitter@example.com").await;
    for who in [&staff, &alice] {
        upload(&app, who, "/api/v1/orders/import", csv.as_bytes())
            .await
            .expect_error(403, "FORBIDDEN");
        upload(&app, who, "/api/v1/products/import", b"sku,name\nX,Y\n")
            .await
            .expect_error(403, "FORBIDDEN");
    }
    upload(
        &app,
        &manager,
        "/api/v1/orders/import?dryRun=maybe",
        csv.as_bytes(),
    )
    .await
    .expect_error(400, "VALIDATION_ERROR");
}

/// A dry run of orders without numbers hands out none: the next order placed gets the number
/// after the last one placed.
async fn dry_run_imports_take_no_numbers(app: TestApp) {
    let admin = app.admin().await;
    let alice = app.user(&admin, "customer", "dry@example.com").await;
    let customer = app.customer_for(&admin, &alice, "Dry").await;
    let sku = app.product(&admin, "DRY-1", "10", "100").await;
    let place = || {
        let body =
            json!({ "customerId": customer, "items": [{ "productId": sku, "quantity": 1 }] });
        app.post("/api/v1/orders", Some(&admin.access), body)
    };
    let first = place().await.order_sequence();
    let csv = format!(
        "workflow,customerId,title,items
         standard,{customer},One,DRY-1 x 1
         standard,{customer},Two,DRY-1 x 2
"
    );
    let res = upload(
        &app,
        &admin,
        "/api/v1/orders/import?dryRun=true",
        csv.as_bytes(),
    )
    .await;
    let report = res.expect(200).clone();
    assert_eq!(report["succeeded"].as_u64(), Some(2), "{report}");
    assert_eq!(place().await.order_sequence(), first + 1);
}

crate::scenarios!(
    product_import_checks_rows_and_modes,
    order_import_round_trips_and_respects_roles,
    dry_run_imports_take_no_numbers
);
