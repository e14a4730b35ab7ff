//! Writes that read nothing back, made for many writers at once on a connection of their own.
//!
//! Most write requests on SQLite (a created order above all) end up as a list of statements whose
//! results nobody reads. Sent one writer at a time through the pool's driver, every list is a trip
//! to the connection's thread and back, and the next writer waits for the runtime to wake the
//! last one before it can send its own: the database sits idle between writers. Here the lists of
//! every writer waiting are handed to one thread, which runs them back to back in one transaction
//! with each statement prepared once, and commits.
//!
//! Should one writer's statements fail (a line short of stock, a number taken meanwhile), the
//! transaction is rolled back and the lists run again, each under a savepoint of its own, so that
//! only the failing writer's work is undone and every writer hears its own outcome.

use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use rusqlite::OpenFlags;
use sea_orm::{DbErr, Statement};
use tokio::sync::oneshot;

use super::rows::{bound, sqlite_err};

/// Prepared statements kept: the shapes of every held-back statement a request makes.
const CACHED_STATEMENTS: usize = 256;

/// Page cache of the connection, in KiB (negative: a size, not a page count); as the pool's writer.
const CACHE_KIB: &str = "-16384";

/// One writer's statements, oldest first.
pub type Work = Vec<Statement>;

enum Job {
    Write {
        work: Vec<Work>,
        before_commit: Option<std::sync::Arc<str>>,
        done: oneshot::Sender<Vec<Result<(), DbErr>>>,
    },
    /// Copy the rest of the log into the database (see [`BatchWriter::finish_log`]).
    FinishLog(oneshot::Sender<()>),
}

/// The thread that writes groups of work, with its connection.
pub struct BatchWriter {
    jobs: mpsc::Sender<Job>,
}

impl BatchWriter {
    /// Opens a write connection to the SQLite database in `file` (already in WAL mode) and starts
    /// its thread. Its commits do not wait for the disk: the caller syncs the log before anyone is
    /// told, as for the pool's writer.
    pub fn start(file: &Path) -> Result<BatchWriter, DbErr> {
        let conn = open(file).map_err(sqlite_err)?;
        let (jobs, queue) = mpsc::channel();
        std::thread::Builder::new()
            .name("ordo-batch-writer".into())
            .spawn(move || serve(conn, queue))
            .map_err(|err| DbErr::Custom(format!("cannot start the batch writer: {err}")))?;
        Ok(BatchWriter { jobs })
    }

    /// Runs every writer's `work` in one transaction, then `before_commit`, and commits; answers
    /// each writer's outcome in the same order. Work that failed left nothing behind; when the
    /// commit fails, every writer fails.
    pub async fn write(
        &self,
        work: Vec<Work>,
        before_commit: Option<std::sync::Arc<str>>,
    ) -> Vec<Result<(), DbErr>> {
        let writers = work.len();
        let (done, outcome) = oneshot::channel();
        let job = Job::Write {
            work,
            before_commit,
            done,
        };
        if self.jobs.send(job).is_err() {
            return all_failed(writers, "the batch writer has stopped");
        }
        outcome
            .await
            .unwrap_or_else(|_| all_failed(writers, "the batch writer stopped while writing"))
    }

    /// Copies what is left of the write-ahead log into the database and syncs it, so that the
    /// next commit starts the log over. Called between groups, while no one writes, once the
    /// checkpoint thread has copied all but the last pages (see [`super::checkpoint`]).
    pub async fn finish_log(&self) {
        let (done, finished) = oneshot::channel();
        if self.jobs.send(Job::FinishLog(done)).is_ok() {
            let _ = finished.await;
        }
    }
}

fn all_failed(writers: usize, why: &str) -> Vec<Result<(), DbErr>> {
    (0..writers)
        .map(|_| Err(DbErr::Custom(why.to_string())))
        .collect()
}

fn open(file: &Path) -> rusqlite::Result<rusqlite::Connection> {
    let conn = rusqlite::Connection::open_with_flags(
        file,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    // As the pool's writer: waits for another process's write, keeps the constraints, commits
    // without syncing (the log is synced before anyone hears "done"), undo copies in memory.
    conn.busy_timeout(Duration::from_secs(30))?;
    conn.pragma_update(None, "foreign_keys", true)?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "temp_store", "memory")?;
    conn.pragma_update(None, "cache_size", CACHE_KIB)?;
    conn.pragma_update(None, "wal_autocheckpoint", super::WAL_CHECKPOINT_PAGES)?;
    conn.set_prepared_statement_cache_capacity(CACHED_STATEMENTS);
    Ok(conn)
}

/// Writes each job as it comes; ends when the [`BatchWriter`] is dropped.
fn serve(conn: rusqlite::Connection, queue: mpsc::Receiver<Job>) {
    while let Ok(job) = queue.recv() {
        match job {
            Job::Write {
                work,
                before_commit,
                done,
            } => {
                let _ = done.send(write_group(&conn, &work, before_commit.as_deref()));
            }
            Job::FinishLog(done) => {
                // A passive checkpoint: with no one writing it reaches the end of the log unless
                // a reader still needs part of it, and then the next finish will.
                if let Err(err) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
                    tracing::warn!(error = %err, "the write-ahead log could not be finished");
                }
                let _ = done.send(());
            }
        }
    }
}

/// The savepoint each writer's work runs under after a failure in its group.
const SAVEPOINT: &str = "ordo_batch_writer";

fn write_group(
    conn: &rusqlite::Connection,
    work: &[Work],
    before_commit: Option<&str>,
) -> Vec<Result<(), DbErr>> {
    match try_write_group(conn, work, before_commit) {
        Ok(each) => each,
        Err(err) => {
            if !conn.is_autocommit() {
                let _ = execute(conn, "ROLLBACK");
            }
            tracing::error!(error = %err, "a write group failed");
            all_failed(work.len(), &format!("group commit failed: {err}"))
        }
    }
}

/// Each writer's outcome, or the error that failed the whole group (nothing was committed).
fn try_write_group(
    conn: &rusqlite::Connection,
    work: &[Work],
    before_commit: Option<&str>,
) -> Result<Vec<Result<(), DbErr>>, DbErr> {
    execute(conn, "BEGIN IMMEDIATE")?;
    let mut each: Vec<Result<(), DbErr>> = Vec::with_capacity(work.len());
    // Everyone at once, without a savepoint per writer (each costs copies of the pages it
    // touches); should one fail, the group starts over with one savepoint per writer.
    let all_went = work.iter().all(|stmts| run_all(conn, stmts).is_ok());
    if all_went {
        each.extend(work.iter().map(|_| Ok(())));
    } else {
        execute(conn, "ROLLBACK")?;
        execute(conn, "BEGIN IMMEDIATE")?;
        for stmts in work {
            each.push(run_under_savepoint(conn, stmts)?);
        }
    }
    if let Some(sql) = before_commit {
        conn.execute_batch(sql).map_err(sqlite_err)?;
    }
    execute(conn, "COMMIT")?;
    Ok(each)
}

/// `stmts` under a savepoint: their outcome, or the error that lost the transaction.
fn run_under_savepoint(
    conn: &rusqlite::Connection,
    stmts: &[Statement],
) -> Result<Result<(), DbErr>, DbErr> {
    execute(conn, &format!("SAVEPOINT {SAVEPOINT}"))?;
    match run_all(conn, stmts) {
        Ok(()) => {
            execute(conn, &format!("RELEASE {SAVEPOINT}"))?;
            Ok(Ok(()))
        }
        Err(err) => {
            // Some failures (a full disk, say) end the transaction themselves.
            if conn.is_autocommit() {
                return Err(DbErr::Custom(format!("the transaction was lost: {err}")));
            }
            execute(conn, &format!("ROLLBACK TO {SAVEPOINT}"))?;
            execute(conn, &format!("RELEASE {SAVEPOINT}"))?;
            Ok(Err(err))
        }
    }
}

fn execute(conn: &rusqlite::Connection, sql: &str) -> Result<(), DbErr> {
    conn.prepare_cached(sql)
        .and_then(|mut stmt| stmt.execute([]))
        .map_err(sqlite_err)?;
    Ok(())
}

/// Runs `stmts` in order, stopping at the first that fails.
fn run_all(conn: &rusqlite::Connection, stmts: &[Statement]) -> Result<(), DbErr> {
    for stmt in stmts {
        run(conn, stmt)?;
    }
    Ok(())
}

fn run(conn: &rusqlite::Connection, stmt: &Statement) -> Result<(), DbErr> {
    let mut statement = conn.prepare_cached(&stmt.sql).map_err(sqlite_err)?;
    if let Some(values) = &stmt.values {
        for (i, value) in values.0.iter().enumerate() {
            statement
                .raw_bind_parameter(i + 1, bound(value)?)
                .map_err(sqlite_err)?;
        }
    }
    // Rows a statement may answer (RETURNING) are stepped through and dropped: nobody reads them.
    let mut rows = statement.raw_query();
    while rows.next().map_err(sqlite_err)?.is_some() {}
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::DatabaseBackend;

    fn insert(n: i64) -> Statement {
        Statement::from_sql_and_values(
            DatabaseBackend::Sqlite,
            "INSERT INTO marks (n) VALUES (?)",
            [n.into()],
        )
    }

    fn marks(file: &Path) -> Vec<i64> {
        let conn = rusqlite::Connection::open(file).unwrap();
        let mut stmt = conn.prepare("SELECT n FROM marks ORDER BY n").unwrap();
        let rows = stmt.query_map([], |row| row.get(0)).unwrap();
        rows.map(Result::unwrap).collect()
    }

    fn marks_db(dir: &tempfile::TempDir) -> std::path::PathBuf {
        let file = dir.path().join("marks.db");
        let conn = rusqlite::Connection::open(&file).unwrap();
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             CREATE TABLE marks (n INTEGER PRIMARY KEY);
             CREATE TABLE closing (groups INTEGER NOT NULL);
             INSERT INTO closing VALUES (0);",
        )
        .unwrap();
        file
    }

    /// A writer whose statements fail leaves nothing behind, not even the statements before the
    /// failing one; the others' work is committed, and the closing statements run once.
    #[tokio::test]
    async fn one_writers_failure_undoes_only_its_own_work() {
        let dir = tempfile::tempdir().unwrap();
        let file = marks_db(&dir);
        let writer = BatchWriter::start(&file).unwrap();
        let closing: std::sync::Arc<str> = "UPDATE closing SET groups = groups + 1".into();
        let outcome = writer
            .write(
                vec![
                    vec![insert(1), insert(2)],
                    // 3 goes in, then 1 clashes with the first writer's.
                    vec![insert(3), insert(1)],
                    vec![insert(4)],
                ],
                Some(closing.clone()),
            )
            .await;
        assert!(outcome[0].is_ok());
        let clash = outcome[1].as_ref().unwrap_err();
        assert_eq!(
            super::super::unique_violation(clash).as_deref(),
            Some("UNIQUE constraint failed: marks.n")
        );
        assert!(outcome[2].is_ok());
        assert_eq!(marks(&file), vec![1, 2, 4]);

        // A group where all goes well takes the fast way; the closing statements ran once each.
        let outcome = writer
            .write(vec![vec![insert(5)], vec![insert(6)]], Some(closing))
            .await;
        assert!(outcome.iter().all(Result::is_ok));
        assert_eq!(marks(&file), vec![1, 2, 4, 5, 6]);
        let conn = rusqlite::Connection::open(&file).unwrap();
        let groups: i64 = conn
            .query_row("SELECT groups FROM closing", [], |row| row.get(0))
            .unwrap();
        assert_eq!(groups, 2);
    }

    /// Finishing the log copies every commit into the database file, which then holds them
    /// alone, and the next commit starts the log over.
    #[tokio::test]
    async fn a_finished_log_is_in_the_database_and_starts_over() {
        let dir = tempfile::tempdir().unwrap();
        let file = marks_db(&dir);
        let writer = BatchWriter::start(&file).unwrap();
        for n in 1..=200 {
            let outcome = writer.write(vec![vec![insert(n)]], None).await;
            assert!(outcome.iter().all(Result::is_ok));
        }
        let in_file_alone = || super::super::rows_in_file_alone(&file, "marks");
        assert_eq!(in_file_alone(), 0, "the commits are only in the log");

        writer.finish_log().await;
        assert_eq!(in_file_alone(), 200);

        let outcome = writer.write(vec![vec![insert(201)]], None).await;
        assert!(outcome.iter().all(Result::is_ok));
        // Each of the 200 commits added at least a page to the log; after the finish it holds
        // the last commit's alone.
        let conn = rusqlite::Connection::open(&file).unwrap();
        let log: i64 = conn
            .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| row.get(1))
            .unwrap();
        assert!((1..10).contains(&log), "{log} pages in the log");
        assert_eq!(marks(&file).len(), 201);
    }

    /// Closing statements that fail fail every writer, and nothing of the group is committed.
    #[tokio::test]
    async fn a_failed_close_fails_the_whole_group() {
        let dir = tempfile::tempdir().unwrap();
        let file = marks_db(&dir);
        let writer = BatchWriter::start(&file).unwrap();
        let outcome = writer
            .write(
                vec![vec![insert(1)], vec![insert(2)]],
                Some("UPDATE closing SET groups = NULL".into()),
            )
            .await;
        assert!(outcome.iter().all(Result::is_err));
        assert!(marks(&file).is_empty());
        // The connection is usable again afterwards.
        let outcome = writer.write(vec![vec![insert(3)]], None).await;
        assert!(outcome[0].is_ok());
        assert_eq!(marks(&file), vec![3]);
    }
}
