//! Database connection for SQLite, PostgreSQL or MySQL/MariaDB, chosen from the URL at run time.
//!
//! SQLite runs in WAL mode with foreign keys on; an acknowledged commit survives a power loss. It
//! allows one writer at a time, so write transactions on SQLite go through
//! [`group::GroupCommit`]: writers take turns in one shared transaction, or hand in their whole
//! work to be written with everyone else's ([`batch`]), and each group is committed with one sync
//! for all of it, made by [`wal_sync`] while the next group writes; [`checkpoint`] copies the log
//! into the database beside them. Other connections commit with
//! `synchronous=FULL`. PostgreSQL and MySQL group concurrent commits themselves.

mod batch;
mod checkpoint;
mod deferred;
mod fixed_sql;
mod group;
pub mod rows;
mod wal_sync;
mod write;

pub use deferred::Deferring;
pub use fixed_sql::{FixedInsert, FixedSql, FixedSqlByCount};
pub use group::Counters;
pub use write::WriteTxn;

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use group::GroupCommit;

use anyhow::Context as _;
use sea_orm::sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous,
};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseBackend, DatabaseConnection, DbErr, SqlErr,
    SqlxSqliteConnector, TransactionTrait,
};

/// Page cache of the SQLite writer connection, in KiB (negative: a size, not a page count).
const WRITER_CACHE: &str = "-16384";

/// Pages the write-ahead log may grow to before a writer checkpoints it, so that the log starts
/// over (SQLite's default is 1,000). [`checkpoint`] copies the log into the database beside the
/// writers and has it finished between two groups at half this length, so the writers' own
/// checkpoint only comes should that thread fall behind. Each finish holds the writers for
/// up to about 15 ms (mostly the database file's sync): at 25,000 pages it came twice a second at 4,000
/// orders a second, often enough to set create-order's p99. Half this length is a second or two
/// of created orders at full speed, a log file of about 200 MB.
pub(crate) const WAL_CHECKPOINT_PAGES: u32 = 100_000;

#[derive(Clone)]
pub struct Db {
    conn: DatabaseConnection,
    group: Option<Arc<GroupCommit>>,
    /// SQLite in a file: read connections used where a statement runs (see [`rows`]).
    readers: Option<Arc<rows::SqliteReaders>>,
    /// PostgreSQL and MySQL: connections for [`Db::apart`].
    apart: Option<DatabaseConnection>,
}

/// Connections for writes apart from a request's transaction (see [`Db::apart`]).
const APART_CONNECTIONS: u32 = 2;

impl Db {
    pub async fn connect(url: &str, max_connections: u32) -> anyhow::Result<Db> {
        if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)
                .with_context(|| "invalid SQLite URL")?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .foreign_keys(true)
                // Savepoints and statements inside a transaction keep undo copies of the pages
                // they change; in memory, not in temporary files.
                .pragma("temp_store", "memory")
                // Every connection that may commit a write, so that none checkpoints sooner.
                .pragma("wal_autocheckpoint", WAL_CHECKPOINT_PAGES.to_string())
                .busy_timeout(Duration::from_secs(30));
            if let Some(parent) = options
                .get_filename()
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
            {
                std::fs::create_dir_all(parent).with_context(|| {
                    format!("cannot create database folder {}", parent.display())
                })?;
            }
            // Writes go through a connection of their own (and work handed in whole through the
            // batch writer's). SQLite drops a connection's page cache whenever another connection
            // has written, so a writer of its own keeps its cache (the indexes it updates) warm
            // from one group to the next.
            // A connection to a local file cannot have gone away while idle, so the pools skip
            // the liveness ping sqlx otherwise sends before handing out a connection: on SQLite
            // every statement acquires one, and each ping is a round trip to the connection's
            // worker thread.
            // Its commits do not wait for the disk: [`wal_sync`] syncs the log before anyone
            // is told a write is done.
            let writer_options = options
                .clone()
                .pragma("cache_size", WRITER_CACHE)
                .synchronous(SqliteSynchronous::Normal);
            let writer = SqlitePoolOptions::new()
                .test_before_acquire(false)
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
                .connect_with(writer_options)
                .await
                .context("cannot open the SQLite database")?;
            // The file SQLite itself has open (none for an in-memory database, which other
            // connections could not reach by name).
            let file: String = sea_orm::sqlx::query_scalar(
                "SELECT file FROM pragma_database_list WHERE name = 'main'",
            )
            .fetch_one(&writer)
            .await
            .context("cannot read the SQLite database's file name")?;
            // An in-memory database has nothing to sync, and no other connection could reach it
            // to write whole work.
            let on_file = match file.is_empty() {
                true => None,
                false => Some(group::OnFile {
                    wal_sync: wal_sync::WalSync::start(PathBuf::from(&file))
                        .context("cannot start the SQLite log's sync thread")?,
                    checkpointer: checkpoint::Checkpointer::start(Path::new(&file))
                        .context("cannot start the SQLite log's checkpoint thread")?,
                    batch: batch::BatchWriter::start(Path::new(&file))
                        .context("cannot open the SQLite database for writing")?,
                }),
            };
            let readers = (!file.is_empty()).then(|| {
                Arc::new(rows::SqliteReaders::new(
                    PathBuf::from(file),
                    max_connections.max(2) as usize,
                ))
            });
            if let Some(readers) = &readers {
                tokio::spawn(close_idle_readers(Arc::downgrade(readers)));
            }
            let pool = SqlitePoolOptions::new()
                .test_before_acquire(false)
                .max_connections(max_connections.max(2))
                .connect_with(options)
                .await
                .context("cannot open the SQLite database")?;
            let conn = SqlxSqliteConnector::from_sqlx_sqlite_pool(pool);
            let writer = SqlxSqliteConnector::from_sqlx_sqlite_pool(writer);
            let group = GroupCommit::start(writer, on_file);
            Ok(Db {
                conn,
                group: Some(Arc::new(group)),
                readers,
                apart: None,
            })
        } else {
            let mut options = ConnectOptions::new(url.to_string());
            options
                .max_connections(max_connections)
                .min_connections(1)
                .connect_timeout(Duration::from_secs(10))
                .acquire_timeout(Duration::from_secs(30))
                .sqlx_logging(false);
            let mut apart = options.clone();
            apart.max_connections(APART_CONNECTIONS).min_connections(0);
            // On PostgreSQL their commits need not wait for the disk (see [`Db::apart`]).
            apart.map_sqlx_postgres_opts(|o| o.options([("synchronous_commit", "off")]));
            let conn = Database::connect(options)
                .await
                .context("cannot connect to the database")?;
            let apart = Database::connect(apart)
                .await
                .context("cannot connect to the database")?;
            Ok(Db {
                conn,
                group: None,
                readers: None,
                apart: Some(apart),
            })
        }
    }

    pub fn conn(&self) -> &DatabaseConnection {
        &self.conn
    }

    /// A connection for start-up work that reads whole tables (counts, planner statistics). On
    /// SQLite it is a connection of its own, so that the pages it reads fill no pooled
    /// connection's cache: an idle server would otherwise keep them, 2 MB a connection, for as
    /// long as the pool keeps the connection. Elsewhere (and for SQLite in memory, which another
    /// connection could not reach) it is the pool.
    pub async fn maintenance(&self) -> Result<Maintenance, DbErr> {
        if self.backend() != DatabaseBackend::Sqlite || self.readers.is_none() {
            return Ok(Maintenance {
                conn: self.conn.clone(),
                own: false,
            });
        }
        let options = self.conn.get_sqlite_connection_pool().connect_options();
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with((*options).clone())
            .await
            .map_err(|err| DbErr::Conn(sea_orm::RuntimeErr::SqlxError(err)))?;
        Ok(Maintenance {
            conn: SqlxSqliteConnector::from_sqlx_sqlite_pool(pool),
            own: true,
        })
    }

    fn readers(&self) -> Option<&Arc<rows::SqliteReaders>> {
        self.readers.as_ref()
    }

    pub fn backend(&self) -> DatabaseBackend {
        self.conn.get_database_backend()
    }

    pub async fn begin_write(&self) -> Result<WriteTxn, DbErr> {
        match &self.group {
            Some(group) => Ok(WriteTxn::grouped(group.clone())),
            None => Ok(WriteTxn::alone(self.conn.begin().await?)),
        }
    }

    /// Connections for short writes apart from the transaction a request holds open, on
    /// PostgreSQL and MySQL (an order's number, so that the counter row is not locked until the
    /// order commits). They are connections of their own: from the pool, requests that hold a
    /// connection while waiting for a second could take every connection and wait for each
    /// other. On PostgreSQL their commits do not wait for the log's sync. Only for writes whose
    /// loss in a crash nothing depends on unless a later ordinary commit does, which syncs the
    /// log up to its own end, theirs included.
    pub fn apart(&self) -> &DatabaseConnection {
        self.apart.as_ref().unwrap_or(&self.conn)
    }

    pub async fn ping(&self) -> Result<(), DbErr> {
        self.conn.ping().await
    }

    /// Open and idle connections, for the metrics endpoint.
    pub fn pool_stats(&self) -> (u32, usize) {
        match self.backend() {
            DatabaseBackend::Sqlite => {
                let pool = self.conn.get_sqlite_connection_pool();
                (pool.size(), pool.num_idle())
            }
            DatabaseBackend::Postgres => {
                let pool = self.conn.get_postgres_connection_pool();
                (pool.size(), pool.num_idle())
            }
            DatabaseBackend::MySql => {
                let pool = self.conn.get_mysql_connection_pool();
                (pool.size(), pool.num_idle())
            }
        }
    }

    pub async fn close(self) {
        if let Some(group) = &self.group {
            group.close().await;
        }
        if let Some(apart) = self.apart {
            let _ = apart.close().await;
        }
        let _ = self.conn.close().await;
    }
}

/// What SQLite plans to do for `stmt`, one step a line: for tests that check which indexes a
/// query reads.
#[cfg(test)]
pub async fn sqlite_plan(db: &DatabaseConnection, stmt: sea_orm::Statement) -> Vec<String> {
    let explain = sea_orm::Statement {
        sql: format!("EXPLAIN QUERY PLAN {}", stmt.sql),
        ..stmt
    };
    let rows = db.query_all(explain).await.unwrap();
    rows.iter()
        .map(|row| row.try_get::<String>("", "detail").unwrap())
        .collect()
}

/// See [`Db::maintenance`].
pub struct Maintenance {
    conn: DatabaseConnection,
    /// Opened for the work, so closed after it (never the pool itself).
    own: bool,
}

impl Maintenance {
    pub fn conn(&self) -> &DatabaseConnection {
        &self.conn
    }

    /// Closes the connection if it was opened for the work, with the memory its cache held.
    pub async fn close(self) {
        if self.own {
            let _ = self.conn.close().await;
        }
    }
}

/// How long a read connection of SQLite's own may stay idle before it is closed.
const READER_IDLE: Duration = Duration::from_secs(5);

/// Closes read connections left idle after a burst of reads (checked every [`READER_IDLE`], so a
/// connection goes after 5 to 10 s idle), and hands the memory they held back to the system;
/// ends when the database is dropped.
async fn close_idle_readers(readers: std::sync::Weak<rows::SqliteReaders>) {
    let mut tick = tokio::time::interval(READER_IDLE);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let Some(readers) = readers.upgrade() else {
            return;
        };
        // Closing connections and trimming the C library's arenas can take milliseconds.
        let _ = tokio::task::spawn_blocking(move || {
            if readers.close_idle(READER_IDLE) > 0 {
                crate::memory::release_freed();
            }
        })
        .await;
    }
}

/// Applies every pending migration, then sets up what the schema asks of each commit: on SQLite
/// the search documents a group wrote go into the full-text index once, as the group commits
/// (see the `m0009_search_pending` migration). Any left from before are applied with the first.
pub async fn migrate(db: &Db) -> anyhow::Result<()> {
    use ordo_migration::MigratorTrait as _;
    ordo_migration::Migrator::up(db.conn(), None)
        .await
        .context("migration failed")?;
    if let Some(group) = &db.group {
        group
            .run_before_commit(ordo_migration::APPLY_PENDING_SEARCH)
            .await;
    }
    Ok(())
}

/// Refreshes SQLite's planner statistics where they are missing or stale. Without them SQLite
/// can pick an index that reads a hundred thousand rows where another reads a hundred. Sampling
/// keeps it to milliseconds. (PostgreSQL and MySQL keep theirs up to date as tables change.)
pub async fn optimize(db: &DatabaseConnection) -> anyhow::Result<()> {
    if db.get_database_backend() == DatabaseBackend::Sqlite {
        db.execute_unprepared("PRAGMA analysis_limit = 1000; PRAGMA optimize = 0x10002;")
            .await
            .context("cannot refresh SQLite statistics")?;
    }
    Ok(())
}

/// Statistics on every backend at once, after a bulk load has changed the tables wholesale
/// (PostgreSQL's autovacuum and MySQL's automatic recalculation would get there later).
pub async fn analyze(db: &Db) -> anyhow::Result<()> {
    let sql = match db.backend() {
        DatabaseBackend::Sqlite => return optimize(db.conn()).await,
        DatabaseBackend::Postgres => "ANALYZE",
        DatabaseBackend::MySql => {
            "ANALYZE TABLE orders, order_items, order_search, order_status_history, order_daily_stats, order_due_stats"
        }
    };
    db.conn()
        .execute_unprepared(sql)
        .await
        .context("cannot refresh planner statistics")?;
    Ok(())
}

/// Runs `update` (of the row whose primary key is `key`) and answers the row as it is afterwards,
/// or None when nothing matched: in the same statement where the backend has `RETURNING`, else by
/// reading the row back (MySQL; the update has locked it until the transaction ends).
pub async fn update_one<E, C>(
    db: &C,
    update: sea_orm::UpdateMany<E>,
    key: impl Into<<E::PrimaryKey as sea_orm::PrimaryKeyTrait>::ValueType>,
) -> Result<Option<E::Model>, DbErr>
where
    E: sea_orm::EntityTrait,
    C: ConnectionTrait,
{
    if db.support_returning() {
        return Ok(update.exec_with_returning(db).await?.pop());
    }
    if update.exec(db).await?.rows_affected == 0 {
        return Ok(None);
    }
    E::find_by_id(key).one(db).await
}

/// The message of a clash on a unique column or primary key, from whichever driver reported it.
pub fn unique_violation(err: &DbErr) -> Option<String> {
    match err.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(message)) => Some(message),
        _ => rows::unique_violation(err),
    }
}

/// Names the backend for logs and health output.
pub fn backend_name(backend: DatabaseBackend) -> &'static str {
    match backend {
        DatabaseBackend::Sqlite => "sqlite",
        DatabaseBackend::Postgres => "postgres",
        DatabaseBackend::MySql => "mysql",
    }
}

/// Runs `sql` with a backend-appropriate statement; used for small maintenance queries.
pub async fn execute_unprepared(db: &Db, sql: &str) -> Result<(), DbErr> {
    db.conn().execute_unprepared(sql).await.map(|_| ())
}

/// How many rows `table` has in the SQLite database `file` read without its write-ahead log (none
/// where the table itself is only in the log): what a checkpoint has copied into the file.
#[cfg(test)]
fn rows_in_file_alone(file: &Path, table: &str) -> i64 {
    let alone = file.with_extension("alone.db");
    std::fs::copy(file, &alone).unwrap();
    let conn = rusqlite::Connection::open(&alone).unwrap();
    let rows = conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |row| {
        row.get(0)
    });
    drop(conn);
    std::fs::remove_file(&alone).unwrap();
    rows.unwrap_or(0)
}
