//! Settings: defaults < `ordo.toml` < `ORDO_*` environment (and `DATABASE_URL`) < command-line flags.

use std::path::PathBuf;

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default)]
pub struct Settings {
    /// Address the HTTP server binds.
    pub listen: String,
    /// `sqlite://...`, `postgres://...` or `mysql://...`.
    pub database_url: String,
    /// Maximum database connections in the pool.
    pub database_max_connections: u32,
    /// The address users reach the server at, for links in mail and OAuth redirects
    /// (default: `http://` and the address the server listens on).
    pub public_url: String,
    /// Folder for the default SQLite file and the mail outbox.
    pub data_dir: PathBuf,
    /// `pretty` or `json`.
    pub log_format: String,
    /// A tracing filter, e.g. `info` or `ordo=debug,info`.
    pub log_level: String,
    /// HMAC key for access tokens. When empty, a random key is kept in the database.
    #[serde(skip_serializing)]
    pub jwt_secret: String,
    pub access_token_ttl_secs: u64,
    pub refresh_token_ttl_secs: u64,
    pub password_reset_ttl_secs: u64,
    /// `smtp://user:pass@host:port` or `smtps://...`; when empty, mail goes to `mail_outbox`.
    #[serde(skip_serializing)]
    pub smtp_url: String,
    pub mail_from: String,
    /// Folder that receives one `.eml` file per message when no SMTP server is configured.
    pub mail_outbox: Option<PathBuf>,
    /// Origins allowed to call the API from a browser (CORS); empty means same-origin only.
    pub cors_origins: Vec<String>,
    /// Send `Strict-Transport-Security` (only behind HTTPS).
    pub hsts: bool,
    /// Use the first `X-Forwarded-For` address as the client IP (only behind a trusted proxy).
    pub trust_proxy: bool,
    /// Largest request body in bytes (uploads have their own limit).
    pub body_limit_bytes: usize,
    pub upload_limit_bytes: usize,
    pub request_timeout_secs: u64,
    /// How long in-flight requests may take to finish after SIGINT/SIGTERM.
    pub shutdown_grace_secs: u64,
    /// Argon2id cost; the defaults follow OWASP's recommendation.
    pub argon2_memory_kib: u32,
    pub argon2_iterations: u32,
    pub argon2_parallelism: u32,
    pub login_max_failures: u32,
    pub login_window_secs: u64,
    pub oauth_google: OAuthProviderSettings,
    pub oauth_github: OAuthProviderSettings,
    /// Currency of products and orders that do not name one.
    pub default_currency: String,
    /// Workflow of orders created without one: `standard`, `rake`, `service` or a custom one.
    pub default_workflow: String,
    /// Generated order numbers: prefix, year and a sequence, e.g. `ORD-2026-000042`.
    pub order_number_prefix: String,
    /// How long after creation a customer may cancel its own `standard` order.
    pub cancellation_window_secs: u64,
    /// `standard` orders pending longer than this are moved to processing by the background job.
    pub auto_advance_after_secs: u64,
    /// How often the background job runs; 0 turns it off (it can still be run by an admin).
    pub auto_advance_interval_secs: u64,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct OAuthProviderSettings {
    pub client_id: String,
    #[serde(skip_serializing)]
    pub client_secret: String,
    /// Endpoints; empty means the provider's public ones.
    pub auth_url: String,
    pub token_url: String,
    pub userinfo_url: String,
    /// GitHub only: where verified e-mail addresses are listed.
    pub emails_url: String,
}

impl OAuthProviderSettings {
    pub fn is_configured(&self) -> bool {
        !self.client_id.is_empty()
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            database_url: String::new(),
            database_max_connections: 16,
            public_url: String::new(),
            data_dir: PathBuf::from("data"),
            log_format: "pretty".into(),
            log_level: "info".into(),
            jwt_secret: String::new(),
            access_token_ttl_secs: 15 * 60,
            refresh_token_ttl_secs: 30 * 24 * 3600,
            password_reset_ttl_secs: 3600,
            smtp_url: String::new(),
            mail_from: "Ordo <no-reply@ordo.invalid>".into(),
            mail_outbox: None,
            cors_origins: Vec::new(),
            hsts: false,
            trust_proxy: false,
            body_limit_bytes: 1024 * 1024,
            upload_limit_bytes: 5 * 1024 * 1024,
            request_timeout_secs: 30,
            shutdown_grace_secs: 10,
            argon2_memory_kib: 19 * 1024,
            argon2_iterations: 2,
            argon2_parallelism: 1,
            login_max_failures: 5,
            login_window_secs: 15 * 60,
            oauth_google: OAuthProviderSettings::default(),
            oauth_github: OAuthProviderSettings::default(),
            default_currency: "USD".into(),
            default_workflow: "standard".into(),
            order_number_prefix: "ORD-".into(),
            cancellation_window_secs: 300,
            auto_advance_after_secs: 300,
            auto_advance_interval_secs: 60,
        }
    }
}

impl Settings {
    /// Reads `config_file` (if it exists) and the environment over the defaults.
    /// Nested keys use a double underscore: `ORDO_OAUTH_GOOGLE__CLIENT_ID`.
    pub fn load(config_file: Option<&std::path::Path>) -> Result<Self, Box<figment::Error>> {
        let file = config_file
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("ordo.toml"));
        let mut settings: Settings = Figment::from(Serialized::defaults(Settings::default()))
            .merge(Toml::file(file))
            .merge(Env::raw().only(&["DATABASE_URL"]))
            .merge(Env::prefixed("ORDO_").split("__"))
            .extract()
            .map_err(Box::new)?;
        settings.fill_derived();
        Ok(settings)
    }

    /// Values that default from others: the SQLite file and the outbox live in `data_dir`.
    pub fn fill_derived(&mut self) {
        if self.database_url.is_empty() {
            self.database_url = format!("sqlite://{}/ordo.db", self.data_dir.display());
        }
        if self.mail_outbox.is_none() {
            self.mail_outbox = Some(self.data_dir.join("outbox"));
        }
    }

    pub fn outbox_dir(&self) -> PathBuf {
        self.mail_outbox
            .clone()
            .unwrap_or_else(|| self.data_dir.join("outbox"))
    }
}
