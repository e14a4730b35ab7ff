//! The `ordo` command line. It only parses arguments and calls into the library.

use std::io::{BufRead as _, IsTerminal as _};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Args, Parser, Subcommand};

use crate::app::{self, Server};
use crate::config::Settings;
use crate::identity::role::Role;
use crate::identity::service::admin;

#[derive(Parser)]
#[command(
    name = "ordo",
    version,
    about = "Order management server: web app and REST API"
)]
struct Cli {
    /// Configuration file (default: ./ordo.toml when present).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// Database URL: sqlite://..., postgres://..., mysql://... (overrides DATABASE_URL).
    #[arg(long, global = true)]
    database_url: Option<String>,
    /// Folder for the default SQLite database and the mail outbox.
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (the default).
    Serve(ServeArgs),
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage user accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Load sample data.
    Seed(SeedArgs),
}

#[derive(Args, Default)]
struct ServeArgs {
    /// Address to listen on (default 127.0.0.1:8080).
    #[arg(long)]
    listen: Option<String>,
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create an account; the password is prompted for unless --password-stdin is given.
    Create {
        #[arg(long)]
        email: String,
        /// admin, manager, staff or customer.
        #[arg(long, value_parser = parse_role)]
        role: Role,
        #[arg(long, default_value = "Ordo")]
        first_name: String,
        #[arg(long, default_value = "User")]
        last_name: String,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Args)]
struct SeedArgs {
    /// Demo data: accounts of every role (passwords printed), customers, products with stock
    /// and 2,000 orders over the last 90 days.
    #[arg(long)]
    demo: bool,
    /// How many demo orders to create.
    #[arg(long, default_value_t = 2_000)]
    demo_orders: usize,
    /// Bulk-load this many more orders (with the demo accounts and catalog when missing):
    /// fast, for trying Ordo at scale.
    #[arg(long)]
    orders: Option<usize>,
}

fn parse_role(s: &str) -> Result<Role, String> {
    Role::parse(s).ok_or_else(|| "expected admin, manager, staff or customer".to_string())
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("error: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn settings(cli: &Cli) -> anyhow::Result<Settings> {
    let mut settings =
        Settings::load(cli.config.as_deref()).map_err(|e| anyhow::anyhow!("configuration: {e}"))?;
    if let Some(dir) = &cli.data_dir {
        let default_url = format!("sqlite://{}/ordo.db", settings.data_dir.display());
        if settings.database_url == default_url {
            settings.database_url.clear();
        }
        if settings.mail_outbox == Some(settings.data_dir.join("outbox")) {
            settings.mail_outbox = None;
        }
        settings.data_dir = dir.clone();
    }
    if let Some(url) = &cli.database_url {
        settings.database_url = url.clone();
    }
    settings.fill_derived();
    Ok(settings)
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let mut settings = settings(&cli)?;
    crate::telemetry::init(&settings.log_format, &settings.log_level);
    match cli.command.unwrap_or(Command::Serve(ServeArgs::default())) {
        Command::Serve(args) => {
            if let Some(listen) = args.listen {
                settings.listen = listen;
            }
            serve(settings).await
        }
        Command::Migrate => {
            app::build_state(settings).await?;
            println!("migrations applied");
            Ok(())
        }
        Command::User(UserCommand::Create {
            email,
            role,
            first_name,
            last_name,
            password_stdin,
        }) => {
            let password = read_password(password_stdin)?;
            let state = app::build_state(settings).await?;
            let user =
                admin::create_from_cli(&state, &email, &password, role, &first_name, &last_name)
                    .await
                    .map_err(describe)?;
            println!("created {} ({}) with id {}", user.email, user.role, user.id);
            Ok(())
        }
        Command::Seed(SeedArgs {
            demo,
            demo_orders,
            orders,
        }) => {
            if !demo && orders.is_none() {
                anyhow::bail!("nothing to seed: pass --demo or --orders N");
            }
            let state = app::build_state(settings).await?;
            if demo {
                let size = crate::demo::DemoSize {
                    orders: demo_orders,
                    ..Default::default()
                };
                crate::demo::seed(&state, size).await.map_err(describe)?;
            }
            if let Some(count) = orders {
                crate::demo::seed_bulk(&state, count)
                    .await
                    .map_err(describe)?;
            }
            Ok(())
        }
    }
}

/// Client-style errors from services read better on a terminal as their message and details.
fn describe(err: crate::error::AppError) -> anyhow::Error {
    match err {
        crate::error::AppError::Validation(details) => {
            let lines: Vec<String> = details
                .iter()
                .map(|d| format!("{}: {}", d.field, d.message))
                .collect();
            anyhow::anyhow!("invalid input: {}", lines.join("; "))
        }
        crate::error::AppError::Internal(err) => err,
        other => anyhow::anyhow!("{other}"),
    }
}

fn read_password(from_stdin: bool) -> anyhow::Result<String> {
    if from_stdin || !std::io::stdin().is_terminal() {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("cannot read the password from standard input")?;
        return Ok(line.trim_end_matches(['\r', '\n']).to_string());
    }
    let password = rpassword::prompt_password("Password: ")?;
    let again = rpassword::prompt_password("Repeat password: ")?;
    anyhow::ensure!(password == again, "the passwords differ");
    Ok(password)
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    let shutdown = shutdown_signal()?;
    let listener = tokio::net::TcpListener::bind(&settings.listen)
        .await
        .with_context(|| format!("cannot listen on {}", settings.listen))?;
    let server = Server::build(settings, listener).await?;
    let addr = server.local_addr()?;
    let public_url = server
        .state
        .settings
        .public_url
        .trim_end_matches('/')
        .to_string();
    tracing::info!(%addr, database = crate::db::backend_name(server.state.db.backend()), "Ordo is listening");
    if let Some(token) = &server.setup_token {
        // Printed, not logged: it must reach the operator, not the log shipper.
        println!(
            "\nNo admin account exists yet. Create the first admin within this run:\n  \
             open {public_url}/setup?token={token}\n  \
             or POST {public_url}/api/v1/setup with {{\"token\":\"{token}\",\"email\":...,\"password\":...,\"firstName\":...,\"lastName\":...}}\n  \
             or run: ordo user create --role admin --email you@example.com\n"
        );
    }
    server.run(shutdown).await
}

/// Resolves on SIGINT or SIGTERM. The handlers are installed when this is called, not when the
/// future is first polled, so a signal during start-up is not lost (or fatal).
fn shutdown_signal() -> anyhow::Result<impl std::future::Future<Output = ()>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut interrupt = signal(SignalKind::interrupt()).context("cannot handle SIGINT")?;
        let mut terminate = signal(SignalKind::terminate()).context("cannot handle SIGTERM")?;
        Ok(async move {
            tokio::select! {
                _ = interrupt.recv() => {},
                _ = terminate.recv() => {},
            }
        })
    }
    #[cfg(not(unix))]
    {
        Ok(async {
            let _ = tokio::signal::ctrl_c().await;
        })
    }
}
