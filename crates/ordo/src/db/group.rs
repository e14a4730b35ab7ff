//! Group commit for SQLite: concurrent writers share one transaction and one synced commit.
//!
//! SQLite lets one transaction write at a time, and with `synchronous=FULL` each commit waits for
//! the disk. Committing every request on its own would cap writes at the disk's sync rate. So a
//! writer joins the group's open transaction under a savepoint, does its work, releases the
//! savepoint and waits. A committer task then commits everything the group holds with one sync
//! and tells every member the outcome. Nobody hears "committed" before the data is on disk, and a
//! failed commit fails every member, so nothing acknowledged is lost.
//!
//! For a database in a file, the commit itself does not wait for the disk: [`WalSync`] syncs the
//! log on a thread of its own and only then tells the members, while the next group writes.
//!
//! The committer queues for the same fair (first come, first served) lock as the writers, so a
//! group holds every writer that was already waiting when its first member finished: the busier
//! the server, the larger the group, with no timer adding latency when it is quiet.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr, TransactionTrait};
use tokio::sync::{oneshot, Mutex, Notify, OwnedMutexGuard};

use super::wal_sync::{Outcome, WalSync};

/// Takes SQLite's write lock at the start of a group, before anything is read: a transaction that
/// read first and then found another process writing would fail instead of waiting its turn.
/// (The statement changes nothing; starting a write is what takes the lock.) The first writer of
/// a group to send anything sends it first.
pub const TAKE_WRITE_LOCK: &str = "UPDATE server_secrets SET value = value WHERE name = ''";

/// The savepoint each writer's work runs under (one writer at a time, so one name serves).
pub const SAVEPOINT: &str = "ordo_writer";

/// The transaction being filled, and who waits for its commit.
struct OpenGroup {
    txn: DatabaseTransaction,
    waiting: Vec<oneshot::Sender<Outcome>>,
    /// A writer sent [`TAKE_WRITE_LOCK`]; until then each new writer holds it to send first.
    lock_sent: AtomicBool,
}

#[derive(Default)]
struct Slot {
    open: Option<OpenGroup>,
    /// A writer left without committing after its savepoint reached the database: its work is
    /// rolled back before anyone else uses the transaction.
    abandoned: bool,
    /// Statements run in each group's transaction after its last writer, just before the commit.
    before_commit: Option<Arc<str>>,
    /// Syncs the log before members are told (the writer then commits without syncing).
    wal_sync: Option<WalSync>,
    /// Counter rows as this writer last left them (see [`Counters`]).
    counters: Counters,
}

/// The next values of counter rows (order numbers), kept by the writer so that taking one costs
/// no trip to the database: every change to such a row in this process goes through the group,
/// so the copy is exact as long as the work that advanced it stands. It is forgotten whenever
/// that work may be undone (a writer that leaves without committing, a group that fails to
/// commit); the next writer then reads the row again. Another process advancing a row shows up
/// as a clash on the value's unique column, whose undoing forgets the copy in the same way.
#[derive(Default)]
pub struct Counters(std::sync::Mutex<HashMap<String, i64>>);

impl Counters {
    /// Hands out the next value of `name` if it is known, advancing the copy.
    pub fn take(&self, name: &str) -> Option<i64> {
        let mut known = self.lock();
        let next = known.get_mut(name)?;
        *next += 1;
        Some(*next - 1)
    }

    /// Notes that the row of `name` now holds `next`.
    pub fn set(&self, name: &str, next: i64) {
        self.lock().insert(name.to_string(), next);
    }

    /// Drops every copy: the rows are read again when next needed.
    pub fn forget(&self) {
        self.lock().clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, i64>> {
        // Only the writer holding the turn touches the copy; a panic leaves it whole.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

pub struct GroupCommit {
    writer: DatabaseConnection,
    slot: Arc<Mutex<Slot>>,
    wake: Arc<Notify>,
}

/// A writer's place in the group: the lock is held until its work is released or abandoned.
/// The writer opens its savepoint ([`SAVEPOINT`]) with its first statement and releases it with
/// its last, so neither costs a trip of its own.
pub struct Member {
    guard: OwnedMutexGuard<Slot>,
    wake: Arc<Notify>,
    savepoint_sent: AtomicBool,
    finished: bool,
}

impl GroupCommit {
    /// Starts the committer on the current runtime; `writer` is the connection writes use. With
    /// `wal_sync`, the writer commits without syncing and `wal_sync` makes each commit durable.
    pub fn start(writer: DatabaseConnection, wal_sync: Option<WalSync>) -> GroupCommit {
        let slot = Arc::new(Mutex::new(Slot {
            wal_sync,
            ..Slot::default()
        }));
        let wake = Arc::new(Notify::new());
        tokio::spawn(commit_loop(slot.clone(), wake.clone()));
        GroupCommit { writer, slot, wake }
    }

    /// Waits for the writers' turn, commits what is open, waits until it is on disk and closes
    /// the connection.
    pub async fn close(&self) {
        let mut slot = self.slot.lock().await;
        commit_open(&mut slot).await;
        if let Some(wal_sync) = &slot.wal_sync {
            if let Err(err) = wal_sync.flush().await {
                tracing::error!(error = %err, "the last commits could not be synced");
            }
        }
        let _ = self.writer.clone().close().await;
    }

    /// Has `sql` run in every group's transaction once its writers are done and before it is
    /// committed: work that is cheaper done once for the whole group than once per writer.
    pub async fn run_before_commit(&self, sql: &str) {
        self.slot.lock().await.before_commit = Some(sql.into());
    }

    /// Waits for the writers' lock, beginning the group's transaction (and taking SQLite's
    /// write lock) when this writer is the first.
    pub async fn join(&self) -> Result<Member, DbErr> {
        let mut guard = self.slot.clone().lock_owned().await;
        undo_abandoned(&mut guard).await;
        if guard.open.is_none() {
            let txn = self.writer.begin().await?;
            guard.open = Some(OpenGroup {
                txn,
                waiting: Vec::new(),
                lock_sent: AtomicBool::new(false),
            });
        }
        Ok(Member {
            guard,
            wake: self.wake.clone(),
            savepoint_sent: AtomicBool::new(false),
            finished: false,
        })
    }
}

impl Member {
    /// The group's transaction, which this writer has to itself until it leaves.
    pub fn txn(&self) -> &DatabaseTransaction {
        &self.group().txn
    }

    /// The counter rows' next values, which this writer may take and advance (see [`Counters`]).
    pub fn counters(&self) -> &Counters {
        &self.guard.counters
    }

    /// Notes that statements including the opening of the savepoint (and, if this writer held
    /// it, the write lock's statement) were sent.
    pub fn savepoint_sent(&self, with_lock: bool) {
        self.savepoint_sent.store(true, Ordering::Relaxed);
        if with_lock {
            self.group().lock_sent.store(true, Ordering::Relaxed);
        }
    }

    fn group(&self) -> &OpenGroup {
        self.guard
            .open
            .as_ref()
            .expect("a member's group stays open until it leaves")
    }

    /// No writer of this group has sent [`TAKE_WRITE_LOCK`] yet.
    pub fn must_take_lock(&self) -> bool {
        !self.group().lock_sent.load(Ordering::Relaxed)
    }

    pub fn savepoint_was_sent(&self) -> bool {
        self.savepoint_sent.load(Ordering::Relaxed)
    }

    /// Leaves the group after releasing the savepoint and waits until the group is on disk.
    pub async fn commit(mut self) -> Result<(), DbErr> {
        let (tell, told) = oneshot::channel();
        match self.guard.open.as_mut() {
            Some(open) => open.waiting.push(tell),
            None => return Err(DbErr::Custom("the write group closed early".into())),
        }
        self.finished = true;
        drop(self);
        match told.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(err)) => Err(DbErr::Custom(format!("group commit failed: {err}"))),
            Err(_) => Err(DbErr::Custom("group commit was abandoned".into())),
        }
    }
}

impl Drop for Member {
    /// Leaving (committed or not) lets the next writer in and tells the committer there is work;
    /// leaving without committing has the work undone first.
    fn drop(&mut self) {
        if !self.finished {
            // Whatever it took from the counters is undone with its work.
            self.guard.counters.forget();
            if *self.savepoint_sent.get_mut() {
                self.guard.abandoned = true;
            }
        }
        self.wake.notify_one();
    }
}

async fn commit_loop(slot: Arc<Mutex<Slot>>, wake: Arc<Notify>) {
    loop {
        wake.notified().await;
        commit_open(&mut *slot.lock().await).await;
    }
}

/// Runs the group's closing statements and commits; should they fail, nothing is committed.
async fn finish(txn: DatabaseTransaction, before_commit: Option<&str>) -> Result<(), DbErr> {
    if let Some(sql) = before_commit {
        if let Err(err) = txn.execute_unprepared(sql).await {
            tracing::error!(error = %err, "a write group's closing statements failed");
            let _ = txn.rollback().await;
            return Err(err);
        }
    }
    txn.commit().await
}

/// Rolls back the work of a writer that left without committing. Should that fail, the group's
/// transaction can no longer be trusted: it is rolled back and its waiting members told so.
async fn undo_abandoned(slot: &mut Slot) {
    if !std::mem::take(&mut slot.abandoned) {
        return;
    }
    let Some(open) = slot.open.as_ref() else {
        return;
    };
    let undo = format!("ROLLBACK TO {SAVEPOINT}; RELEASE {SAVEPOINT}");
    let err = match open.txn.execute_unprepared(&undo).await {
        Ok(_) => return,
        // The savepoint never opened (a statement before it failed) or was released just before
        // its writer was cancelled: there is nothing of that writer's to undo.
        Err(err) if err.to_string().contains("no such savepoint") => return,
        Err(err) => err,
    };
    tracing::error!(error = %err, "a write group could not undo an abandoned writer");
    slot.counters.forget();
    let group = slot.open.take().expect("checked above");
    let err = Arc::new(err);
    let _ = group.txn.rollback().await;
    for member in group.waiting {
        let _ = member.send(Err(err.clone()));
    }
}

/// Commits the open group, if any, and tells its members how it went.
async fn commit_open(slot: &mut Slot) {
    undo_abandoned(slot).await;
    let Some(group) = slot.open.take() else {
        return;
    };
    let outcome = finish(group.txn, slot.before_commit.as_deref())
        .await
        .map_err(Arc::new);
    match (&outcome, &slot.wal_sync) {
        (Ok(()), Some(wal_sync)) => wal_sync.after_sync(group.waiting),
        _ => {
            if outcome.is_err() {
                slot.counters.forget();
            }
            for member in group.waiting {
                let _ = member.send(outcome.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use sea_orm::{ConnectionTrait, Statement};

    use crate::db::Db;

    async fn count(db: &Db, sql: &str) -> i64 {
        let row = db
            .conn()
            .query_one(Statement::from_string(db.backend(), sql))
            .await
            .unwrap()
            .unwrap();
        row.try_get_by_index(0).unwrap()
    }

    /// A SQLite database in `dir` with the table writers lock on and a table of marks.
    async fn marks_db(dir: &tempfile::TempDir) -> Db {
        let url = format!("sqlite://{}/marks.db", dir.path().display());
        let db = Db::connect(&url, 4).await.unwrap();
        db.conn()
            .execute_unprepared(
                "CREATE TABLE server_secrets (name TEXT PRIMARY KEY, value TEXT);
                 CREATE TABLE marks (n INTEGER PRIMARY KEY)",
            )
            .await
            .unwrap();
        db
    }

    /// The writer's copy of a counter hands out consecutive values while writers commit, and
    /// is forgotten when a writer that took from it leaves without committing.
    #[tokio::test]
    async fn counters_are_kept_while_work_stands_and_forgotten_when_it_is_undone() {
        use crate::db::Deferring;
        let dir = tempfile::tempdir().unwrap();
        let db = marks_db(&dir).await;
        let txn = db.begin_write().await.unwrap();
        let counters = txn.counters().expect("SQLite writers keep counters");
        assert_eq!(counters.take("S"), None, "unknown until read");
        counters.set("S", 7);
        assert_eq!(counters.take("S"), Some(7));
        txn.commit().await.unwrap();
        let txn = db.begin_write().await.unwrap();
        assert_eq!(txn.counters().unwrap().take("S"), Some(8));
        drop(txn);
        let txn = db.begin_write().await.unwrap();
        assert_eq!(txn.counters().unwrap().take("S"), None, "read again");
        txn.commit().await.unwrap();
    }

    /// Concurrent writers share commits; each sees its write durable (readable from another
    /// connection) once `commit` returns, and a writer that gives up leaves nothing behind.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_writers_commit_together_and_alone_roll_back() {
        let dir = tempfile::tempdir().unwrap();
        let db = marks_db(&dir).await;
        let writers = (0..64).map(|n| {
            let db = db.clone();
            tokio::spawn(async move {
                let txn = db.begin_write().await.unwrap();
                txn.execute_unprepared(&format!("INSERT INTO marks VALUES ({n})"))
                    .await
                    .unwrap();
                if n % 8 == 0 {
                    return; // dropped: rolled back
                }
                txn.commit().await.unwrap();
                let seen = count(&db, &format!("SELECT COUNT(*) FROM marks WHERE n = {n}")).await;
                assert_eq!(
                    seen, 1,
                    "writer {n} committed but another connection cannot see it"
                );
            })
        });
        for writer in writers {
            writer.await.unwrap();
        }
        assert_eq!(count(&db, "SELECT COUNT(*) FROM marks").await, 56);
        assert_eq!(
            count(&db, "SELECT COUNT(*) FROM marks WHERE n % 8 = 0").await,
            0
        );
        db.close().await;
    }

    /// Between groups the writer holds no lock (another connection writes meanwhile), a writer
    /// that sends nothing leaves nothing open, and closing keeps what was committed.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn groups_follow_each_other_without_holding_the_database_between_them() {
        let dir = tempfile::tempdir().unwrap();
        let db = marks_db(&dir).await;
        for n in 0..3 {
            let txn = db.begin_write().await.unwrap();
            txn.execute_unprepared(&format!("INSERT INTO marks VALUES ({n})"))
                .await
                .unwrap();
            txn.commit().await.unwrap();
            // Another connection can write: the writer is not inside a transaction now.
            db.conn()
                .execute_unprepared(&format!("INSERT INTO marks VALUES ({})", 100 + n))
                .await
                .unwrap();
        }
        // A writer that sends nothing commits nothing and leaves no transaction behind.
        db.begin_write().await.unwrap().commit().await.unwrap();
        db.conn()
            .execute_unprepared("INSERT INTO marks VALUES (200)")
            .await
            .unwrap();
        let txn = db.begin_write().await.unwrap();
        txn.execute_unprepared("INSERT INTO marks VALUES (3)")
            .await
            .unwrap();
        txn.commit().await.unwrap();
        db.close().await;
        let db = Db::connect(&format!("sqlite://{}/marks.db", dir.path().display()), 2)
            .await
            .unwrap();
        assert_eq!(count(&db, "SELECT COUNT(*) FROM marks").await, 8);
        db.close().await;
    }

    /// A writer whose statements were all still held when it gave up, and one whose held
    /// statements failed at its commit, leave nothing behind, and the writers after them carry
    /// on in the same group.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn held_statements_of_a_writer_that_fails_or_gives_up_are_undone() {
        use crate::db::Deferring;
        let dir = tempfile::tempdir().unwrap();
        let db = marks_db(&dir).await;
        let insert = |n: i64| {
            Statement::from_sql_and_values(
                db.backend(),
                "INSERT INTO marks VALUES (?)",
                [sea_orm::Value::from(n)],
            )
        };
        let txn = db.begin_write().await.unwrap();
        txn.defer(insert(1)).await.unwrap();
        drop(txn); // never sent: nothing to undo
        let txn = db.begin_write().await.unwrap();
        txn.defer(insert(2)).await.unwrap();
        txn.defer(insert(2)).await.unwrap(); // fails at the commit, after the first ran
        assert!(txn.commit().await.is_err());
        let txn = db.begin_write().await.unwrap();
        txn.defer(insert(3)).await.unwrap();
        let seen = txn
            .query_one(Statement::from_string(
                db.backend(),
                "SELECT COUNT(*) FROM marks",
            ))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            seen.try_get_by_index::<i64>(0).unwrap(),
            1,
            "only 3 is there"
        );
        txn.commit().await.unwrap();
        assert_eq!(count(&db, "SELECT COUNT(*) FROM marks").await, 1);
        assert_eq!(
            count(&db, "SELECT COUNT(*) FROM marks WHERE n = 3").await,
            1
        );
        db.close().await;
    }
}
