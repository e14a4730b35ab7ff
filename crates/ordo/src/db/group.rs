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
//!
//! A writer whose work reads nothing back (a created order, usually) need not take a turn at all:
//! it hands its statements in whole ([`GroupCommit::submit`]), and the committer, in its own
//! turn, has every piece of work handed in meanwhile written as one group by a
//! [`BatchWriter`], which runs them back to back on its own thread.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr, TransactionTrait};
use tokio::sync::{oneshot, Mutex, Notify, OwnedMutexGuard};

use super::batch::{BatchWriter, Work};
use super::checkpoint::Checkpointer;
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
    /// Copies the log into the database beside the writers.
    checkpointer: Option<Checkpointer>,
    /// Counter rows as this writer last left them (see [`Counters`]).
    counters: Arc<Counters>,
}

/// The next values of counter rows (order numbers), kept by the writer so that taking one costs
/// no trip to the database: every change to such a row in this process goes through the group,
/// so the copy is exact as long as the work that advanced it stands. Writers take values before
/// their turn (their work is built whole before it is sent); each takes its value once, so no two
/// writers of this process are ever handed the same one. The copy is forgotten whenever work
/// that advanced it may be undone (a writer that leaves without committing, work that fails, a
/// group that fails to commit); the next writer then reads the row again, starting no lower than
/// the highest value handed out so far. A value whose work failed is given back if no later one
/// was handed out meanwhile. Another process advancing a row shows up as a clash on the value's
/// unique column, whose undoing forgets the copy in the same way.
#[derive(Default)]
pub struct Counters(std::sync::Mutex<Known>);

#[derive(Default)]
struct Known {
    /// The next value of each row, while known.
    next: HashMap<String, i64>,
    /// One past the highest value of each row handed out by this process; never forgotten.
    floor: HashMap<String, i64>,
}

impl Counters {
    /// Hands out the next value of `name` if it is known, advancing the copy.
    pub fn take(&self, name: &str) -> Option<i64> {
        let mut known = self.lock();
        let next = known.next.get_mut(name)?;
        let value = *next;
        *next += 1;
        known.raise_floor(name, value + 1);
        Some(value)
    }

    /// Notes that the row of `name` now holds `next`.
    pub fn set(&self, name: &str, next: i64) {
        let mut known = self.lock();
        known.next.insert(name.to_string(), next);
        known.raise_floor(name, next);
    }

    /// The lowest value of `name` that no writer of this process was handed (0 if none was).
    pub fn floor(&self, name: &str) -> i64 {
        self.lock().floor.get(name).copied().unwrap_or(0)
    }

    /// `value` of `name` was not used after all: it is handed out again if it was the last.
    pub fn give_back(&self, name: &str, value: i64) {
        let known = &mut *self.lock();
        for row in [&mut known.next, &mut known.floor] {
            if let Some(next) = row.get_mut(name).filter(|next| **next == value + 1) {
                *next = value;
            }
        }
    }

    /// Drops every copy: the rows are read again when next needed.
    pub fn forget(&self) {
        self.lock().next.clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Known> {
        // Each call leaves the copy whole; a panic elsewhere does not spoil it.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Known {
    fn raise_floor(&mut self, name: &str, to: i64) {
        let floor = self.floor.entry(name.to_string()).or_default();
        *floor = (*floor).max(to);
    }
}

/// The threads that serve a SQLite database in a file (an in-memory one has none).
pub struct OnFile {
    pub wal_sync: WalSync,
    pub checkpointer: Checkpointer,
    pub batch: BatchWriter,
}

pub struct GroupCommit {
    writer: DatabaseConnection,
    slot: Arc<Mutex<Slot>>,
    wake: Arc<Notify>,
    counters: Arc<Counters>,
    /// Work handed in whole, for a database in a file (see [`GroupCommit::submit`]).
    submitted: Option<Arc<Submitted>>,
}

/// Writers' work waiting for the committer, and the thread that writes it.
struct Submitted {
    batch: BatchWriter,
    queue: std::sync::Mutex<Vec<(Work, oneshot::Sender<Outcome>)>>,
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
    /// Starts the committer on the current runtime; `writer` is the connection writes use. For a
    /// database in a file, the writer commits without syncing and `on_file`'s threads make each
    /// commit durable, copy the log and write work handed in whole.
    pub fn start(writer: DatabaseConnection, on_file: Option<OnFile>) -> GroupCommit {
        let counters = Arc::new(Counters::default());
        let (wal_sync, checkpointer, batch) = match on_file {
            Some(on_file) => (
                Some(on_file.wal_sync),
                Some(on_file.checkpointer),
                Some(on_file.batch),
            ),
            None => (None, None, None),
        };
        let slot = Arc::new(Mutex::new(Slot {
            wal_sync,
            checkpointer,
            counters: counters.clone(),
            ..Slot::default()
        }));
        let wake = Arc::new(Notify::new());
        let submitted = batch.map(|batch| {
            Arc::new(Submitted {
                batch,
                queue: Default::default(),
            })
        });
        tokio::spawn(commit_loop(slot.clone(), wake.clone(), submitted.clone()));
        GroupCommit {
            writer,
            slot,
            wake,
            counters,
            submitted,
        }
    }

    /// The counter rows' next values, which writers take before their turn (see [`Counters`]).
    pub fn counters(&self) -> &Arc<Counters> {
        &self.counters
    }

    /// Whether the writer's statements can return rows (`RETURNING`).
    pub fn support_returning(&self) -> bool {
        self.writer.support_returning()
    }

    /// Whether work can be handed in whole ([`GroupCommit::submit`]).
    pub fn takes_whole_work(&self) -> bool {
        self.submitted.is_some()
    }

    /// Hands in a writer's whole work, statements whose results nobody reads, and waits until it
    /// is on disk. Every writer waiting meanwhile is written in the same transaction, without
    /// anyone's turn on the pool's writer; work that fails leaves nothing behind and answers its
    /// own error.
    pub async fn submit(&self, work: Work) -> Result<(), DbErr> {
        let Some(submitted) = &self.submitted else {
            return Err(DbErr::Custom("this database takes no whole work".into()));
        };
        let (tell, told) = oneshot::channel();
        submitted
            .queue
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push((work, tell));
        self.wake.notify_one();
        match told.await {
            Ok(Ok(())) => Ok(()),
            // Its own failure comes back as it was (a clash on a unique column, say).
            Ok(Err(err)) => Err(Arc::try_unwrap(err)
                .unwrap_or_else(|shared| DbErr::Custom(format!("group commit failed: {shared}")))),
            Err(_) => Err(DbErr::Custom("group commit was abandoned".into())),
        }
    }

    /// Waits for the writers' turn, commits what is open, waits until it is on disk and closes
    /// the connection.
    pub async fn close(&self) {
        let mut slot = self.slot.lock().await;
        commit_open(&mut slot).await;
        if let Some(submitted) = &self.submitted {
            write_submitted(&mut slot, submitted).await;
        }
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

async fn commit_loop(slot: Arc<Mutex<Slot>>, wake: Arc<Notify>, submitted: Option<Arc<Submitted>>) {
    loop {
        wake.notified().await;
        let mut slot = slot.lock().await;
        commit_open(&mut slot).await;
        if let Some(submitted) = &submitted {
            write_submitted(&mut slot, submitted).await;
            // Between groups, with the writers' turn held: no one writes while the log is finished.
            if slot
                .checkpointer
                .as_ref()
                .is_some_and(Checkpointer::take_finish)
            {
                submitted.batch.finish_log().await;
            }
        }
    }
}

/// Writes all the work handed in so far as one group and tells each writer how it went, once
/// the group is on disk. Between the pool writer's groups: SQLite lets one transaction write.
async fn write_submitted(slot: &mut Slot, submitted: &Submitted) {
    let queued = std::mem::take(
        &mut *submitted
            .queue
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()),
    );
    if queued.is_empty() {
        return;
    }
    let (work, writers): (Vec<Work>, Vec<_>) = queued.into_iter().unzip();
    let outcomes = submitted
        .batch
        .write(work, slot.before_commit.clone())
        .await;
    let mut committed = Vec::with_capacity(writers.len());
    for (outcome, writer) in outcomes.into_iter().zip(writers) {
        match outcome {
            Ok(()) => committed.push(writer),
            Err(err) => {
                // Its counter values were advanced for nothing (or taken elsewhere).
                slot.counters.forget();
                let _ = writer.send(Err(Arc::new(err)));
            }
        }
    }
    tell_once_durable(slot, committed);
}

/// Tells `members` of a group just committed that it is done, once it is on disk.
fn tell_once_durable(slot: &Slot, members: Vec<oneshot::Sender<Outcome>>) {
    if let Some(checkpointer) = &slot.checkpointer {
        checkpointer.poke();
    }
    match &slot.wal_sync {
        Some(wal_sync) => wal_sync.after_sync(members),
        None => {
            for member in members {
                let _ = member.send(Ok(()));
            }
        }
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
    match outcome {
        Ok(()) => tell_once_durable(slot, group.waiting),
        Err(err) => {
            slot.counters.forget();
            for member in group.waiting {
                let _ = member.send(Err(err.clone()));
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

    /// The writer's copy of a counter hands out consecutive values while writers commit; a
    /// value whose writer gave up comes back when it was the last handed out, and is skipped when
    /// a later one was; forgotten, the copy is read again from no lower than what was handed out.
    #[tokio::test]
    async fn counters_hand_out_each_value_once_and_take_back_the_last() {
        use crate::db::Deferring;
        let dir = tempfile::tempdir().unwrap();
        let db = marks_db(&dir).await;
        let take = |txn: &crate::db::WriteTxn| {
            let value = txn.counters().unwrap().take("S");
            if let Some(value) = value {
                txn.took_counted("S", value);
            }
            value
        };
        let txn = db.begin_write().await.unwrap();
        assert_eq!(take(&txn), None, "unknown until read");
        txn.counters().unwrap().set("S", 7);
        assert_eq!(take(&txn), Some(7));
        txn.commit().await.unwrap();
        let txn = db.begin_write().await.unwrap();
        assert_eq!(take(&txn), Some(8));
        drop(txn);
        let first = db.begin_write().await.unwrap();
        assert_eq!(take(&first), Some(8), "given back");
        let second = db.begin_write().await.unwrap();
        assert_eq!(take(&second), Some(9));
        drop(first);
        assert_eq!(
            take(&second),
            Some(10),
            "8 stays out: 9 was handed out after it"
        );
        second.commit().await.unwrap();
        let txn = db.begin_write().await.unwrap();
        let counters = txn.counters().unwrap();
        counters.forget();
        assert_eq!(take(&txn), None, "read again");
        assert_eq!(
            counters.floor("S"),
            11,
            "but no lower than what was handed out"
        );
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
