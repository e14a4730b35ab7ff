//! The Ordo under test: started from a binary on a fresh data folder (or a database URL), with
//! its dataset loaded through `ordo` itself, or an instance someone else runs.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use http::Method;

use crate::client::Client;

pub struct Server {
    pub url: String,
    child: Option<Child>,
}

/// How to reach (or start) the server.
pub struct Launch {
    pub binary: PathBuf,
    pub data_dir: PathBuf,
    pub database_url: Option<String>,
    pub listen: String,
}

impl Launch {
    fn command(&self) -> Command {
        let mut cmd = Command::new(&self.binary);
        cmd.arg("--data-dir").arg(&self.data_dir);
        if let Some(url) = &self.database_url {
            cmd.arg("--database-url").arg(url);
        }
        cmd.env("ORDO_LOG_LEVEL", "warn");
        cmd
    }

    /// Runs an `ordo` subcommand to completion.
    pub fn run(&self, args: &[&str], stdin: Option<&str>) -> anyhow::Result<String> {
        use std::io::Write as _;
        let mut child = self
            .command()
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("cannot run {}", self.binary.display()))?;
        if let Some(input) = stdin {
            child
                .stdin
                .take()
                .context("stdin")?
                .write_all(input.as_bytes())?;
        }
        let out = child.wait_with_output()?;
        if !out.status.success() {
            bail!(
                "ordo {}: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    pub async fn start(&self) -> anyhow::Result<Server> {
        let child = self
            .command()
            .args(["serve", "--listen", &self.listen])
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("cannot start {}", self.binary.display()))?;
        let server = Server {
            url: format!("http://{}", self.listen),
            child: Some(child),
        };
        server.wait_ready(Duration::from_secs(60)).await?;
        Ok(server)
    }
}

impl Server {
    pub fn external(url: String) -> Server {
        Server { url, child: None }
    }

    async fn wait_ready(&self, limit: Duration) -> anyhow::Result<()> {
        let client = Client::new(&self.url)?;
        let started = Instant::now();
        while started.elapsed() < limit {
            if let Ok(reply) = client.send(Method::GET, "/ready", None, None).await {
                if reply.status.is_success() {
                    return Ok(());
                }
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        bail!("the server at {} did not become ready", self.url)
    }

    /// Kills the server process outright (SIGKILL), as a crash would.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// CPU seconds used so far and the resident memory now, from /proc (Linux).
pub fn process_usage(pid: u32) -> Option<(f64, u64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name, which is in parentheses and may contain spaces.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let rss_kb = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse::<u64>()
        .ok()?;
    // Linux reports CPU time in clock ticks of 1/100 s.
    Some((ticks / 100.0, rss_kb * 1024))
}

pub fn default_binary() -> PathBuf {
    let here = std::env::current_exe().ok();
    here.as_deref()
        .and_then(Path::parent)
        .map(|dir| dir.join("ordo"))
        .unwrap_or_else(|| PathBuf::from("target/release/ordo"))
}
