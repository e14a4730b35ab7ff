//! The test harness: starts the real application on 127.0.0.1:0 with a fresh database of the
//! chosen backend, drives it over HTTP, and removes the database afterwards.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::sync::Arc;

use futures::FutureExt as _;
use ordo::app::Server;
use ordo::config::Settings;
use ordo::state::AppState;
use reqwest::{Method, StatusCode};
use sea_orm::{ConnectionTrait, Database};
use serde_json::{json, Value};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
    Mysql,
}

impl Backend {
    fn admin_url(self) -> Option<String> {
        let var = match self {
            Backend::Sqlite => return Some(String::new()),
            Backend::Postgres => "ORDO_TEST_POSTGRES_URL",
            Backend::Mysql => "ORDO_TEST_MYSQL_URL",
        };
        std::env::var(var).ok().filter(|v| !v.is_empty())
    }
}

/// A database that exists for one test.
struct TestDatabase {
    backend: Backend,
    url: String,
    admin_url: String,
    name: String,
}

impl TestDatabase {
    async fn create(backend: Backend, dir: &std::path::Path, admin_url: String) -> TestDatabase {
        let name = format!("ordo_test_{}", uuid::Uuid::new_v4().simple());
        if backend == Backend::Sqlite {
            let url = format!("sqlite://{}/ordo.db", dir.display());
            return TestDatabase {
                backend,
                url,
                admin_url,
                name,
            };
        }
        let admin = Database::connect(&admin_url)
            .await
            .expect("connect to the test database server");
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .expect("create test database");
        admin.close().await.ok();
        let mut url = url::Url::parse(&admin_url).expect("test database URL");
        url.set_path(&format!("/{name}"));
        TestDatabase {
            backend,
            url: url.to_string(),
            admin_url,
            name,
        }
    }

    async fn drop_database(&self) {
        let sql = match self.backend {
            Backend::Sqlite => return,
            Backend::Postgres => format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
            Backend::Mysql => format!("DROP DATABASE IF EXISTS {}", self.name),
        };
        if let Ok(admin) = Database::connect(&self.admin_url).await {
            admin.execute_unprepared(&sql).await.ok();
            admin.close().await.ok();
        }
    }
}

pub struct Inner {
    pub base: String,
    /// The settings the app runs with (a second instance on the same database can reuse them).
    pub settings: Settings,
    pub client: reqwest::Client,
    pub state: AppState,
    pub setup_token: Option<String>,
    pub outbox: PathBuf,
    shutdown: std::sync::Mutex<Option<tokio::sync::oneshot::Sender<()>>>,
    server: std::sync::Mutex<Option<tokio::task::JoinHandle<anyhow::Result<()>>>>,
    _dir: tempfile::TempDir,
}

#[derive(Clone)]
pub struct TestApp(Arc<Inner>);

impl std::ops::Deref for TestApp {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

/// Trust `X-Forwarded-For`, so tests can play clients from many addresses.
pub fn trust_proxy(settings: &mut Settings) {
    settings.trust_proxy = true;
}

/// Settings for tests: cheap password hashing, files in a temporary folder.
pub fn test_settings(dir: &std::path::Path, database_url: String) -> Settings {
    let mut settings = Settings {
        database_url,
        data_dir: dir.to_path_buf(),
        mail_outbox: Some(dir.join("outbox")),
        argon2_memory_kib: 1024,
        argon2_iterations: 1,
        database_max_connections: 5,
        ..Settings::default()
    };
    settings.fill_derived();
    settings
}

/// Runs `scenario` against a fresh app on `backend` configured by `configure`; reports a skip
/// when the backend's URL is unset.
pub async fn run_with<F, Fut>(backend: Backend, configure: impl FnOnce(&mut Settings), scenario: F)
where
    F: FnOnce(TestApp) -> Fut,
    Fut: Future<Output = ()>,
{
    let Some(admin_url) = backend.admin_url() else {
        if std::env::var_os("ORDO_TEST_REQUIRE_ALL_BACKENDS").is_some() {
            panic!("{backend:?} backend required but ORDO_TEST_POSTGRES_URL / ORDO_TEST_MYSQL_URL is not set");
        }
        eprintln!("skipped: {backend:?} backend not configured (set ORDO_TEST_POSTGRES_URL / ORDO_TEST_MYSQL_URL)");
        return;
    };
    if std::env::var_os("TEST_LOG").is_some() {
        ordo::telemetry::init("pretty", "info");
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let database = TestDatabase::create(backend, dir.path(), admin_url).await;
    let mut settings = test_settings(dir.path(), database.url.clone());
    configure(&mut settings);
    let outbox = settings.outbox_dir();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let started = AssertUnwindSafe(Server::build(settings.clone(), listener))
        .catch_unwind()
        .await;
    let server = match started {
        Ok(Ok(server)) => server,
        other => {
            database.drop_database().await;
            match other {
                Ok(Err(err)) => panic!("app failed to start: {err:#}"),
                Err(panic) => std::panic::resume_unwind(panic),
                Ok(Ok(_)) => unreachable!(),
            }
        }
    };
    let base = format!("http://{}", server.local_addr().unwrap());
    let state = server.state.clone();
    let setup_token = server.setup_token.clone();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let handle = tokio::spawn(server.run(async move {
        let _ = rx.await;
    }));
    let app = TestApp(Arc::new(Inner {
        base,
        settings,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        state,
        setup_token,
        outbox,
        shutdown: std::sync::Mutex::new(Some(tx)),
        server: std::sync::Mutex::new(Some(handle)),
        _dir: dir,
    }));
    let result = AssertUnwindSafe(scenario(app.clone())).catch_unwind().await;
    app.stop().await;
    database.drop_database().await;
    if let Err(panic) = result {
        std::panic::resume_unwind(panic);
    }
}

/// A response with its body read as JSON when it is JSON.
#[derive(Debug)]
pub struct Res {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
    pub bytes: Vec<u8>,
}

impl Res {
    #[track_caller]
    pub fn expect(&self, status: u16) -> &Value {
        assert_eq!(
            self.status.as_u16(),
            status,
            "unexpected status; body: {}",
            self.body
        );
        &self.body
    }

    /// Asserts the documented error body with `code` and returns its field names.
    #[track_caller]
    pub fn expect_error(&self, status: u16, code: &str) -> Vec<String> {
        self.expect(status);
        let error = &self.body["error"];
        assert_eq!(error["code"], code, "body: {}", self.body);
        assert!(
            error["message"].as_str().is_some_and(|m| !m.is_empty()),
            "message missing: {}",
            self.body
        );
        assert!(
            error["requestId"].as_str().is_some_and(|m| !m.is_empty()),
            "requestId missing: {}",
            self.body
        );
        error["details"]
            .as_array()
            .map(|d| {
                d.iter()
                    .map(|e| e["field"].as_str().unwrap_or("").to_string())
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Where the generated number of the order a 201 answered is in its series
    /// (`ORD-2026-000042` → 42).
    #[track_caller]
    pub fn order_sequence(&self) -> u64 {
        let number = self.expect(201)["number"]
            .as_str()
            .expect("an order number");
        let last = number.rsplit('-').next().unwrap_or_default();
        last.parse().expect("a generated number")
    }
}

/// A signed-in user.
#[derive(Clone, Debug)]
pub struct Session {
    pub id: String,
    pub password: String,
    pub access: String,
    pub refresh: String,
}

pub const PASSWORD: &str = "correct horse battery staple";

impl TestApp {
    pub async fn stop(&self) {
        if let Some(tx) = self.shutdown.lock().unwrap().take() {
            let _ = tx.send(());
        }
        let handle = self.server.lock().unwrap().take();
        if let Some(handle) = handle {
            let _ = handle.await;
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn send(&self, request: reqwest::RequestBuilder) -> Res {
        let response = request.send().await.expect("request failed");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.expect("body").to_vec();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Res {
            status,
            headers,
            body,
            bytes,
        }
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Res {
        let mut request = self.client.request(method, self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        self.send(request).await
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Res {
        self.call(Method::GET, path, token, None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Res {
        self.call(Method::POST, path, token, Some(body)).await
    }

    pub async fn put(&self, path: &str, token: Option<&str>, body: Value) -> Res {
        self.call(Method::PUT, path, token, Some(body)).await
    }

    pub async fn delete(&self, path: &str, token: Option<&str>) -> Res {
        self.call(Method::DELETE, path, token, None).await
    }

    pub async fn login(&self, email: &str, password: &str) -> Res {
        self.post(
            "/api/v1/auth/login",
            None,
            json!({ "email": email, "password": password }),
        )
        .await
    }

    pub async fn login_ok(&self, email: &str, password: &str) -> Session {
        let body = self.login(email, password).await.expect(200).clone();
        Session {
            id: body["user"]["id"].as_str().unwrap().to_string(),
            password: password.to_string(),
            access: body["accessToken"].as_str().unwrap().to_string(),
            refresh: body["refreshToken"].as_str().unwrap().to_string(),
        }
    }

    /// Creates the first admin through the setup token and signs in.
    pub async fn admin(&self) -> Session {
        let email = "admin@example.com";
        if self.state.setup_token_hash.lock().unwrap().is_some() {
            let token = self.setup_token.clone().expect("setup token");
            self.post(
                "/api/v1/setup",
                None,
                json!({ "token": token, "email": email, "password": PASSWORD, "firstName": "Ada", "lastName": "Admin" }),
            )
            .await
            .expect(201);
        }
        self.login_ok(email, PASSWORD).await
    }

    /// Creates a user of `role` through the admin API and signs in as it.
    pub async fn user(&self, admin: &Session, role: &str, email: &str) -> Session {
        self.post(
            "/api/v1/admin/users",
            Some(&admin.access),
            json!({ "email": email, "password": PASSWORD, "role": role, "firstName": "Test", "lastName": role }),
        )
        .await
        .expect(201);
        self.login_ok(email, PASSWORD).await
    }

    /// Creates a product with `stock` units on hand and answers its id.
    pub async fn product(&self, admin: &Session, sku: &str, price: &str, stock: &str) -> String {
        let res = self
            .post(
                "/api/v1/products",
                Some(&admin.access),
                json!({ "sku": sku, "name": format!("Product {sku}"), "unit": "pcs", "price": price, "initialStock": stock }),
            )
            .await;
        res.expect(201)["id"].as_str().unwrap().to_string()
    }

    /// Creates a customer record linked to `user` and answers its id.
    pub async fn customer_for(&self, admin: &Session, user: &Session, name: &str) -> String {
        let res = self
            .post(
                "/api/v1/customers",
                Some(&admin.access),
                json!({ "name": name, "userId": user.id, "shippingAddress": "1 Harbour Road" }),
            )
            .await;
        res.expect(201)["id"].as_str().unwrap().to_string()
    }

    /// The stock view of a product.
    pub async fn stock(&self, admin: &Session, product_id: &str) -> Value {
        self.get(
            &format!("/api/v1/inventory/{product_id}"),
            Some(&admin.access),
        )
        .await
        .expect(200)
        .clone()
    }

    /// The most recent message in the mail outbox, as text.
    pub fn last_mail(&self) -> Option<String> {
        let mut newest: Option<(std::time::SystemTime, PathBuf)> = None;
        for entry in std::fs::read_dir(&self.outbox).ok()?.flatten() {
            let modified = entry.metadata().ok()?.modified().ok()?;
            if newest.as_ref().is_none_or(|(t, _)| modified >= *t) {
                newest = Some((modified, entry.path()));
            }
        }
        let raw = newest.and_then(|(_, path)| std::fs::read_to_string(path).ok())?;
        // Undo quoted-printable: soft line breaks and the escaped '='.
        Some(
            raw.replace("=\r\n", "")
                .replace("=\n", "")
                .replace("=3D", "="),
        )
    }

    /// The newest message to `email`, waiting for the background sender for up to 5 s.
    pub async fn mail_to(&self, email: &str) -> String {
        for _ in 0..50 {
            if let Some(mail) = self.last_mail().filter(|m| m.contains(email)) {
                return mail;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("no mail to {email} in the outbox");
    }

    /// Asks for a password reset for `email` and answers the link mailed for it.
    pub async fn reset_link(&self, email: &str) -> String {
        self.post(
            "/api/v1/auth/forgot-password",
            None,
            json!({ "email": email }),
        )
        .await
        .expect(202);
        let mail = self.mail_to(email).await;
        mail.lines()
            .find(|l| l.contains("/reset-password?token="))
            .map(|l| l.trim().to_string())
            .expect("a reset link in the mail")
    }

    /// Audit entries for `action`, newest first.
    pub async fn audit(&self, admin: &Session, query: &str) -> Vec<Value> {
        let res = self
            .get(
                &format!("/api/v1/admin/audit-logs?limit=100&{query}"),
                Some(&admin.access),
            )
            .await;
        res.expect(200)["items"].as_array().unwrap().clone()
    }
}

/// Declares scenario functions and runs each on SQLite, PostgreSQL and MySQL; with
/// `settings = f;` first, `f(&mut Settings)` adjusts the configuration of those scenarios.
#[macro_export]
macro_rules! scenarios {
    (settings = $configure:path; $($name:ident),* $(,)?) => {
        $crate::scenarios!(@backend sqlite, Sqlite, $configure, $($name),*);
        $crate::scenarios!(@backend postgres, Postgres, $configure, $($name),*);
        $crate::scenarios!(@backend mysql, Mysql, $configure, $($name),*);
    };
    ($($name:ident),* $(,)?) => {
        $crate::scenarios!(settings = $crate::harness::default_settings; $($name),*);
    };
    (@backend $module:ident, $backend:ident, $configure:path, $($name:ident),*) => {
        mod $module {
            $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
               async fn $name() {
                   $crate::harness::run_with($crate::harness::Backend::$backend, $configure, super::$name).await
               } )*
        }
    };
}

pub fn default_settings(_: &mut Settings) {}

/// Sends a request over a plain TCP connection and reads the answer even when the server answers
/// before the body is fully sent (as it does for bodies over the limit), which HTTP clients
/// report as a broken connection.
pub async fn raw_request(app: &TestApp, head: &str, body: &[u8]) -> Res {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let addr = app.base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let head = format!(
        "{head}\r\nHost: {addr}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.expect("write head");
    let (mut reader, mut writer) = stream.into_split();
    let body = body.to_vec();
    let writing = tokio::spawn(async move {
        for chunk in body.chunks(64 * 1024) {
            if writer.write_all(chunk).await.is_err() {
                break;
            }
        }
    });
    let mut response = Vec::new();
    let read = tokio::time::timeout(
        std::time::Duration::from_secs(30),
        reader.read_to_end(&mut response),
    )
    .await;
    writing.abort();
    if read.is_err() || response.is_empty() {
        panic!("no response to the raw request");
    }
    let text = String::from_utf8_lossy(&response).to_string();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status line");
    let mut headers = reqwest::header::HeaderMap::new();
    for line in head.lines().skip(1) {
        if let Some((name, value)) = line.split_once(':') {
            if let (Ok(name), Ok(value)) = (
                reqwest::header::HeaderName::from_bytes(name.trim().as_bytes()),
                reqwest::header::HeaderValue::from_str(value.trim()),
            ) {
                headers.insert(name, value);
            }
        }
    }
    let body_value = serde_json::from_str(body.trim()).unwrap_or(Value::Null);
    Res {
        status: StatusCode::from_u16(status).unwrap(),
        headers,
        body: body_value,
        bytes: body.as_bytes().to_vec(),
    }
}
