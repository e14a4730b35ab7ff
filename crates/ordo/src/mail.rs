//! Outgoing mail: SMTP when `smtp_url` is set, otherwise one `.eml` file per message in the outbox
//! folder, so a laptop install can still complete a password reset.

use std::path::PathBuf;

use anyhow::Context as _;
use lettre::message::{header::ContentType, Mailbox};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::Settings;

#[derive(Clone)]
enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Outbox(AsyncFileTransport<Tokio1Executor>),
}

#[derive(Clone)]
pub struct Mailer {
    from: Mailbox,
    transport: Transport,
}

impl Mailer {
    pub fn from_settings(settings: &Settings) -> anyhow::Result<Mailer> {
        let from: Mailbox = settings
            .mail_from
            .parse()
            .context("mail_from is not a valid address")?;
        let transport = if settings.smtp_url.is_empty() {
            let dir: PathBuf = settings.outbox_dir();
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("cannot create mail outbox {}", dir.display()))?;
            tracing::info!(outbox = %dir.display(), "no SMTP server configured; mail is written to the outbox folder");
            Transport::Outbox(AsyncFileTransport::new(dir))
        } else {
            // The URL holds credentials: never include it in an error or log line.
            let smtp = AsyncSmtpTransport::<Tokio1Executor>::from_url(&settings.smtp_url)
                .map_err(|_| anyhow::anyhow!("smtp_url is not a valid SMTP URL"))?
                .build();
            Transport::Smtp(smtp)
        };
        Ok(Mailer { from, transport })
    }

    pub async fn send(&self, to: &str, subject: &str, body: String) -> anyhow::Result<()> {
        let message = Message::builder()
            .from(self.from.clone())
            .to(to.parse().context("invalid recipient")?)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(body)
            .context("cannot build message")?;
        match &self.transport {
            Transport::Smtp(smtp) => smtp
                .send(message)
                .await
                .map(|_| ())
                .context("SMTP delivery failed"),
            Transport::Outbox(outbox) => outbox
                .send(message)
                .await
                .map(|_| ())
                .context("cannot write to outbox"),
        }
    }
}
