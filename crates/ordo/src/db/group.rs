//! Group commit for SQLite: concurrent writers share one transaction and one synced commit.
//!
//! SQLite lets one transaction write at a time, and with `synchronous=FULL` each commit waits for
//! the disk. Committing every request on its own would cap writes at the disk's sync rate. So a
//! writer joins the group's open transaction under a savepoint, does its work, releases the
//! savepoint and waits. A committer task then commits everything the group holds with one sync
//! and tells every member the outcome. Nobody hears "committed" before the data is on disk, and a
//! failed commit fails every member, so nothing acknowledged is lost.
//!
//! The committer queues for the same fair (first come, first served) lock as the writers, so a
//! group holds every writer that was already waiting when its first member finished: the busier
//! the server, the larger the group, with no timer adding latency when it is quiet.

use std::sync::Arc;

use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr, TransactionTrait};
use tokio::sync::{oneshot, Mutex, Notify, OwnedMutexGuard};

type Outcome = Result<(), Arc<DbErr>>;

/// The transaction being filled, and who waits for its commit.
struct OpenGroup {
    txn: DatabaseTransaction,
    waiting: Vec<oneshot::Sender<Outcome>>,
}

#[derive(Default)]
struct Slot {
    open: Option<OpenGroup>,
}

pub struct GroupCommit {
    writer: DatabaseConnection,
    slot: Arc<Mutex<Slot>>,
    wake: Arc<Notify>,
}

/// A writer's place in the group: the lock is held until its work is released or rolled back.
pub struct Member {
    guard: OwnedMutexGuard<Slot>,
    wake: Arc<Notify>,
}

impl GroupCommit {
    /// Starts the committer on the current runtime; `writer` is the connection writes use.
    pub fn start(writer: DatabaseConnection) -> GroupCommit {
        let slot = Arc::new(Mutex::new(Slot::default()));
        let wake = Arc::new(Notify::new());
        tokio::spawn(commit_loop(slot.clone(), wake.clone()));
        GroupCommit { writer, slot, wake }
    }

    /// Waits for the writers' turn, commits what is open and closes the connection.
    pub async fn close(&self) {
        let mut slot = self.slot.lock().await;
        commit_open(&mut slot).await;
        let _ = self.writer.clone().close().await;
    }

    /// Waits for the writers' lock and opens a savepoint in the group's transaction (beginning
    /// that transaction, and taking SQLite's write lock, when this writer is the first).
    pub async fn join(&self) -> Result<(DatabaseTransaction, Member), DbErr> {
        let mut guard = self.slot.clone().lock_owned().await;
        if guard.open.is_none() {
            let txn = self.writer.begin().await?;
            // Take SQLite's write lock before anything is read: a transaction that read first and
            // then found another process writing would fail instead of waiting its turn. (The
            // statement changes nothing; starting a write is what takes the lock.)
            txn.execute_unprepared("UPDATE server_secrets SET value = value WHERE name = ''")
                .await?;
            guard.open = Some(OpenGroup {
                txn,
                waiting: Vec::new(),
            });
        }
        let open = guard.open.as_ref().expect("the group was just opened");
        let savepoint = open.txn.begin().await?;
        let member = Member {
            guard,
            wake: self.wake.clone(),
        };
        Ok((savepoint, member))
    }
}

impl Member {
    /// Releases the member's savepoint into the group and waits until the group is on disk.
    pub async fn commit(mut self, savepoint: DatabaseTransaction) -> Result<(), DbErr> {
        savepoint.commit().await?;
        let (tell, told) = oneshot::channel();
        match self.guard.open.as_mut() {
            Some(open) => open.waiting.push(tell),
            None => return Err(DbErr::Custom("the write group closed early".into())),
        }
        drop(self);
        match told.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(err)) => Err(DbErr::Custom(format!("group commit failed: {err}"))),
            Err(_) => Err(DbErr::Custom("group commit was abandoned".into())),
        }
    }
}

impl Drop for Member {
    /// Leaving (committed or not) lets the next writer in and tells the committer there is work.
    fn drop(&mut self) {
        self.wake.notify_one();
    }
}

async fn commit_loop(slot: Arc<Mutex<Slot>>, wake: Arc<Notify>) {
    loop {
        wake.notified().await;
        commit_open(&mut *slot.lock().await).await;
    }
}

/// Commits the open group, if any, and tells its members how it went.
async fn commit_open(slot: &mut Slot) {
    let Some(group) = slot.open.take() else {
        return;
    };
    let outcome = group.txn.commit().await.map_err(Arc::new);
    for member in group.waiting {
        let _ = member.send(outcome.clone());
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

    /// Concurrent writers share commits; each sees its write durable (readable from another
    /// connection) once `commit` returns, and a writer that gives up leaves nothing behind.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_writers_commit_together_and_alone_roll_back() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/group.db", dir.path().display());
        let db = Db::connect(&url, 4).await.unwrap();
        db.conn()
            .execute_unprepared(
                "CREATE TABLE server_secrets (name TEXT PRIMARY KEY, value TEXT);
                 CREATE TABLE marks (n INTEGER PRIMARY KEY)",
            )
            .await
            .unwrap();
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
}
