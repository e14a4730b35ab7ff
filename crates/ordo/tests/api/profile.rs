use std::io::Cursor;

use serde_json::json;

use crate::harness::{TestApp, PASSWORD};

fn png(width: u32, height: u32) -> Vec<u8> {
    let img = image::RgbaImage::from_pixel(width, height, image::Rgba([10, 120, 200, 255]));
    let mut out = Vec::new();
    img.write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

async fn upload(
    app: &TestApp,
    token: &str,
    bytes: Vec<u8>,
    file_name: &str,
) -> crate::harness::Res {
    let part = reqwest::multipart::Part::bytes(bytes).file_name(file_name.to_string());
    let form = reqwest::multipart::Form::new().part("photo", part);
    app.send(
        app.client
            .post(app.url("/api/v1/profile/photo"))
            .bearer_auth(token)
            .multipart(form),
    )
    .await
}

async fn profile_fields_and_password(app: TestApp) {
    let admin = app.admin().await;
    let user = app.user(&admin, "staff", "pat@example.com").await;
    let token = Some(user.access.as_str());

    let updated = app
        .put(
            "/api/v1/profile",
            token,
            json!({ "firstName": "Pat", "lastName": "O'Brien", "department": "Dispatch", "designation": "Clerk",
                    "gender": "female", "phoneNumber": "+91 98765 43210", "address": "Plot 7, Steel Nagar" }),
        )
        .await;
    let body = updated.expect(200);
    assert_eq!(body["lastName"], "O'Brien");
    assert_eq!(body["phoneNumber"], "+91 98765 43210");
    assert_eq!(
        app.get("/api/v1/profile", token).await.expect(200)["designation"],
        "Clerk"
    );

    let bad = app
        .put(
            "/api/v1/profile",
            token,
            json!({ "gender": "robot", "phoneNumber": "call me", "firstName": "" }),
        )
        .await;
    let mut fields = bad.expect_error(400, "VALIDATION_ERROR");
    fields.sort();
    assert_eq!(fields, vec!["firstName", "gender", "phoneNumber"]);
    assert_eq!(
        app.get("/api/v1/profile", token).await.expect(200)["gender"],
        "female",
        "nothing half-written"
    );

    // A second session of the same user ends when the password changes; the current one stays.
    let other = app.login_ok("pat@example.com", PASSWORD).await;
    let wrong = app
        .put(
            "/api/v1/profile/password",
            token,
            json!({ "currentPassword": "nope nope nope", "newPassword": "brand new passphrase" }),
        )
        .await;
    assert_eq!(
        wrong.expect_error(400, "VALIDATION_ERROR"),
        vec!["currentPassword"]
    );
    let missing = app
        .put(
            "/api/v1/profile/password",
            token,
            json!({ "newPassword": "brand new passphrase" }),
        )
        .await;
    assert_eq!(
        missing.expect_error(400, "VALIDATION_ERROR"),
        vec!["currentPassword"]
    );
    app.put(
        "/api/v1/profile/password",
        token,
        json!({ "currentPassword": PASSWORD, "newPassword": "brand new passphrase" }),
    )
    .await
    .expect(204);
    app.get("/api/v1/auth/me", token).await.expect(200);
    app.get("/api/v1/auth/me", Some(&other.access))
        .await
        .expect(401);
    app.login_ok("pat@example.com", "brand new passphrase")
        .await;

    let changes = app
        .audit(
            &admin,
            &format!("action=user.profile_updated&userId={}", user.id),
        )
        .await;
    assert_eq!(changes.len(), 1);
    assert_eq!(
        changes[0]["details"]["before"]["department"],
        serde_json::Value::Null
    );
    assert_eq!(changes[0]["details"]["after"]["department"], "Dispatch");
}

async fn profile_photo_is_checked_and_re_encoded(app: TestApp) {
    let admin = app.admin().await;
    let user = app.user(&admin, "customer", "phil@example.com").await;

    // Recognised by content, not by name.
    let res = upload(&app, &user.access, png(400, 300), "holiday.txt").await;
    let photo_url = res.expect(200)["photoUrl"].as_str().unwrap().to_string();
    let photo = app.get(&photo_url, Some(&admin.access)).await;
    photo.expect(200);
    assert_eq!(photo.header("content-type"), Some("image/jpeg"));
    let decoded = image::load_from_memory(&photo.bytes).unwrap();
    assert_eq!((decoded.width(), decoded.height()), (256, 256));
    app.get(&photo_url, None).await.expect(401);

    let script = upload(
        &app,
        &user.access,
        b"<script>alert(1)</script>".to_vec(),
        "photo.png",
    )
    .await;
    script.expect_error(415, "UNSUPPORTED_MEDIA_TYPE");
    let mut broken = png(50, 50);
    broken.truncate(60);
    assert_eq!(
        upload(&app, &user.access, broken, "p.png")
            .await
            .expect_error(400, "VALIDATION_ERROR"),
        vec!["photo"]
    );
    let boundary = "ordo-test-boundary";
    let mut big = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"big.png\"\r\nContent-Type: image/png\r\n\r\n"
    )
    .into_bytes();
    big.extend(std::iter::repeat_n(0u8, 6 * 1024 * 1024));
    big.extend(format!("\r\n--{boundary}--\r\n").into_bytes());
    let head = format!(
        "POST /api/v1/profile/photo HTTP/1.1\r\nAuthorization: Bearer {}\r\nContent-Type: multipart/form-data; boundary={boundary}",
        user.access
    );
    crate::harness::raw_request(&app, &head, &big)
        .await
        .expect_error(413, "PAYLOAD_TOO_LARGE");
    let empty = reqwest::multipart::Form::new().text("note", "no file");
    let res = app
        .send(
            app.client
                .post(app.url("/api/v1/profile/photo"))
                .bearer_auth(&user.access)
                .multipart(empty),
        )
        .await;
    assert_eq!(res.expect_error(400, "VALIDATION_ERROR"), vec!["photo"]);
}

async fn deleting_an_account_erases_it_and_keeps_the_trail(app: TestApp) {
    let admin = app.admin().await;
    let user = app.user(&admin, "customer", "dora@example.com").await;
    upload(&app, &user.access, png(64, 64), "me.png")
        .await
        .expect(200);
    app.delete("/api/v1/profile", Some(&user.access))
        .await
        .expect(204);
    app.get("/api/v1/auth/me", Some(&user.access))
        .await
        .expect(401);
    app.login("dora@example.com", PASSWORD).await.expect(401);
    app.get(
        &format!("/api/v1/users/{}/photo", user.id),
        Some(&admin.access),
    )
    .await
    .expect(404);
    app.get(
        &format!("/api/v1/admin/users/{}", user.id),
        Some(&admin.access),
    )
    .await
    .expect(404);

    // The audit trail still points at the (erased) account, and the e-mail is free again.
    let trail = app.audit(&admin, &format!("userId={}", user.id)).await;
    assert!(trail.iter().any(|e| e["action"] == "user.account_deleted"));
    assert!(trail.iter().any(|e| e["action"] == "auth.login"));
    app.post("/api/v1/auth/register", None, json!({ "email": "dora@example.com", "password": PASSWORD, "firstName": "D", "lastName": "N" }))
        .await
        .expect(201);

    // The only admin may not delete itself.
    app.delete("/api/v1/profile", Some(&admin.access))
        .await
        .expect_error(409, "LAST_ADMIN");
}

crate::scenarios!(
    profile_fields_and_password,
    profile_photo_is_checked_and_re_encoded,
    deleting_an_account_erases_it_and_keeps_the_trail,
);
