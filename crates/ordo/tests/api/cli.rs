//! The `ordo` binary: user creation, migration, and a served instance that shuts down on SIGTERM.

use std::io::Write as _;
use std::process::{Command, Stdio};

fn ordo(dir: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ordo"));
    cmd.current_dir(dir)
        .env_remove("DATABASE_URL")
        .env("ORDO_ARGON2_MEMORY_KIB", "1024")
        .env("ORDO_ARGON2_ITERATIONS", "1")
        .env("ORDO_LOG_LEVEL", "warn");
    cmd
}

/// `ordo user create --role admin` with the password on standard input.
fn create_user(dir: &std::path::Path, email: &str, password: &str) -> std::process::Output {
    let mut child = ordo(dir)
        .args([
            "user",
            "create",
            "--email",
            email,
            "--role",
            "admin",
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{password}\n").as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn user_create_migrate_version_and_help() {
    let dir = tempfile::tempdir().unwrap();
    let out = ordo(dir.path()).arg("--version").output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains(env!("CARGO_PKG_VERSION")));
    let out = ordo(dir.path()).arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&out.stdout).to_string();
    for command in ["serve", "migrate", "user", "seed"] {
        assert!(help.contains(command), "{help}");
    }

    let out = ordo(dir.path()).arg("migrate").output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        dir.path().join("data/ordo.db").exists(),
        "default database under ./data"
    );

    let out = create_user(dir.path(), "root@example.com", "a long admin passphrase");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("root@example.com"));

    // Same e-mail again: a clear error and a failing exit code.
    let out = create_user(dir.path(), "root@example.com", "a long admin passphrase");
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("email"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let out = ordo(dir.path())
        .args([
            "user",
            "create",
            "--email",
            "x@example.com",
            "--role",
            "wizard",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());

    let out = ordo(dir.path())
        .args(["seed", "--demo", "--demo-orders", "40"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(printed.contains("100 products with stock"), "{printed}");
    assert!(printed.contains("40 demo orders created"), "{printed}");
    // A second run adds nothing and keeps the passwords.
    let again = ordo(dir.path())
        .args(["seed", "--demo", "--demo-orders", "40"])
        .output()
        .unwrap();
    assert!(again.status.success());
    assert!(String::from_utf8_lossy(&again.stdout).contains("no demo orders added"));
    for role in ["admin", "manager", "staff", "customer"] {
        assert!(
            printed.contains(&format!("{role}@demo.ordo.test")),
            "{printed}"
        );
    }
}

#[test]
fn serve_prints_setup_link_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = ordo(dir.path())
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id();
    let mut ready = false;
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            ready = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(ready, "server did not start");
    let status = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "graceful shutdown exits cleanly");
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(
        printed.contains(&format!("http://127.0.0.1:{port}/setup?token=")),
        "{printed}"
    );
}
