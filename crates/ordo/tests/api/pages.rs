//! The pages that printed and mailed links open: first-admin setup and password reset.

use crate::harness::{TestApp, PASSWORD};

fn html(res: &crate::harness::Res) -> String {
    assert!(
        res.header("content-type").unwrap().starts_with("text/html"),
        "{:?}",
        res.headers
    );
    String::from_utf8(res.bytes.clone()).unwrap()
}

async fn setup_page_creates_the_first_admin(app: TestApp) {
    let token = app.setup_token.clone().unwrap();
    let page = app.get(&format!("/setup?token={token}"), None).await;
    page.expect(200);
    let body = html(&page);
    assert!(
        body.contains("Create the first admin") && body.contains(&format!("value=\"{token}\""))
    );

    let form = |token: &str, password: &str| {
        vec![
            ("token", token.to_string()),
            ("email", "chief@example.com".into()),
            ("password", password.into()),
            ("firstName", "Chi<b>ef</b>".into()),
            ("lastName", "Admin".into()),
        ]
    };
    let wrong = app
        .send(
            app.client
                .post(app.url("/setup"))
                .form(&form("wrong", PASSWORD)),
        )
        .await;
    wrong.expect(400);
    let body = html(&wrong);
    assert!(body.contains("is not the setup token"));
    assert!(
        body.contains("Chi&lt;b&gt;ef&lt;/b&gt;") || body.contains("Chi&#60;b&#62;ef"),
        "values are escaped: {body}"
    );

    let weak = app
        .send(
            app.client
                .post(app.url("/setup"))
                .form(&form(&token, "password1")),
        )
        .await;
    weak.expect(400);
    assert!(html(&weak).contains("too common"));

    let done = app
        .send(
            app.client
                .post(app.url("/setup"))
                .form(&form(&token, PASSWORD)),
        )
        .await;
    done.expect(201);
    assert!(html(&done).contains("Ordo is set up"));
    app.login_ok("chief@example.com", PASSWORD).await;

    let closed = app.get("/setup", None).await;
    assert!(html(&closed).contains("Already set up"));
    let again = app
        .send(
            app.client
                .post(app.url("/setup"))
                .form(&form(&token, PASSWORD)),
        )
        .await;
    again.expect(409);
    assert!(html(&again).contains("Already set up"));
}

async fn reset_link_opens_a_working_page(app: TestApp) {
    let admin = app.admin().await;
    let lena = app.user(&admin, "customer", "lena@example.com").await;
    let link = app.reset_link("lena@example.com").await;
    assert!(
        link.starts_with(&app.base),
        "the link points at this server: {link}"
    );
    let page = app.send(app.client.get(&link)).await;
    page.expect(200);
    let token = link.split("token=").nth(1).unwrap();
    assert!(html(&page).contains(&format!("value=\"{token}\"")));
    // A session in use (its check remembered) ends with the reset below, at once.
    app.get("/api/v1/orders", Some(&lena.access))
        .await
        .expect(200);

    let short = app
        .send(
            app.client
                .post(app.url("/reset-password"))
                .form(&[("token", token), ("password", "short")]),
        )
        .await;
    short.expect(400);
    assert!(html(&short).contains("8 to 128"));
    let ok = app
        .send(
            app.client
                .post(app.url("/reset-password"))
                .form(&[("token", token), ("password", "lena's new passphrase")]),
        )
        .await;
    ok.expect(200);
    assert!(html(&ok).contains("Password changed"));
    app.get("/api/v1/orders", Some(&lena.access))
        .await
        .expect_error(401, "UNAUTHORIZED");
    app.login_ok("lena@example.com", "lena's new passphrase")
        .await;
    let reused = app
        .send(
            app.client
                .post(app.url("/reset-password"))
                .form(&[("token", token), ("password", "another new passphrase")]),
        )
        .await;
    reused.expect(400);
    assert!(html(&reused).contains("already used"));
}

crate::scenarios!(
    setup_page_creates_the_first_admin,
    reset_link_opens_a_working_page
);
