//! Write transactions: one of its own on PostgreSQL and MySQL, a writer of the group on SQLite.

use std::sync::{Arc, Mutex};

use sea_orm::{
    ConnectionTrait, DatabaseBackend, DatabaseTransaction, DbErr, ExecResult, QueryResult,
    Statement, TransactionTrait,
};
use tokio::sync::OnceCell;

use super::deferred::{self, Deferring};
use super::group::{self, GroupCommit, Member};
use super::Counters;

/// A write transaction. On SQLite its statements wait until one must be sent (a read, or a
/// statement whose result is used): only then does it take the writers' turn, as a savepoint in
/// the group's transaction, which it holds until it ends. Work made only of held-back statements
/// (see [`deferred`]) is handed to the group whole at the commit and takes no turn at all.
/// `commit` returns once the work is on disk. All access goes through this type, never the
/// transaction inside it.
pub struct WriteTxn {
    held: deferred::Held,
    inner: Inner,
    /// Counter values this transaction took; given back unless it commits.
    taken: TakenNumbers,
}

enum Inner {
    /// PostgreSQL and MySQL: a transaction of its own.
    Alone(DatabaseTransaction),
    /// SQLite: the group, and this writer's turn in it once taken.
    Grouped {
        group: Arc<GroupCommit>,
        turn: OnceCell<Member>,
    },
}

impl WriteTxn {
    pub(super) fn alone(txn: DatabaseTransaction) -> WriteTxn {
        WriteTxn {
            held: Default::default(),
            inner: Inner::Alone(txn),
            taken: TakenNumbers::new(None),
        }
    }

    pub(super) fn grouped(group: Arc<GroupCommit>) -> WriteTxn {
        WriteTxn {
            held: Default::default(),
            taken: TakenNumbers::new(Some(group.counters().clone())),
            inner: Inner::Grouped {
                group,
                turn: OnceCell::new(),
            },
        }
    }

    /// The transaction statements go to, taking the writers' turn first on SQLite; everything
    /// held is about to be sent, with the opening of this writer's savepoint in front.
    async fn sending(&self) -> Result<&DatabaseTransaction, DbErr> {
        match &self.inner {
            Inner::Alone(txn) => Ok(txn),
            Inner::Grouped { group, turn } => {
                let member = turn.get_or_try_init(|| group.join()).await?;
                open_savepoint(&self.held, member);
                Ok(member.txn())
            }
        }
    }

    /// Sends everything held now, so that an error in one of those statements is reported here.
    pub async fn flush(&self) -> Result<(), DbErr> {
        self.flushed().await.map(|_| ())
    }

    /// [`WriteTxn::flush`], answering where the next statement goes.
    async fn flushed(&self) -> Result<&DatabaseTransaction, DbErr> {
        let txn = self.sending().await?;
        self.held.flush(txn).await?;
        Ok(txn)
    }

    /// `stmt` with everything held in front of it, and where to send it.
    async fn with_held(&self, stmt: Statement) -> Result<(&DatabaseTransaction, Statement), DbErr> {
        let txn = self.sending().await?;
        Ok((txn, self.held.before(txn, stmt).await?))
    }

    pub async fn commit(self) -> Result<(), DbErr> {
        let WriteTxn { held, inner, taken } = self;
        match inner {
            Inner::Alone(txn) => {
                held.flush(&txn).await?;
                txn.commit().await?;
            }
            Inner::Grouped { group, turn } => match turn.into_inner() {
                Some(member) => commit_turn(member, &held).await?,
                // Nothing was written.
                None if held.count() == 0 => {}
                None if group.takes_whole_work() => {
                    // From here the work may be written even if this writer stops waiting.
                    let handed = taken.keep();
                    if let Err(err) = group.submit(held.take()).await {
                        taken.give_back(handed);
                        return Err(err);
                    }
                }
                None => commit_turn(group.join().await?, &held).await?,
            },
        }
        taken.keep();
        Ok(())
    }

    /// A nested transaction (a savepoint) inside this one, after everything held is sent.
    pub async fn begin(&self) -> Result<DatabaseTransaction, DbErr> {
        self.flushed().await?.begin().await
    }

    /// Whether statements may still be held rather than sent at once: on SQLite until the turn
    /// is taken where the group takes whole work.
    fn holds_everything(&self) -> bool {
        match &self.inner {
            Inner::Alone(_) => false,
            Inner::Grouped { group, turn } => turn.get().is_none() && group.takes_whole_work(),
        }
    }
}

/// Opens `member`'s savepoint (and takes SQLite's write lock if no writer of the group has yet)
/// with the first statements it sends.
fn open_savepoint(held: &deferred::Held, member: &Member) {
    if member.savepoint_was_sent() {
        return;
    }
    let takes_lock = member.must_take_lock();
    let lock =
        takes_lock.then(|| Statement::from_string(DatabaseBackend::Sqlite, group::TAKE_WRITE_LOCK));
    let savepoint = Statement::from_string(
        DatabaseBackend::Sqlite,
        format!("SAVEPOINT {}", group::SAVEPOINT),
    );
    held.push_front(lock.into_iter().chain([savepoint]));
    member.savepoint_sent(takes_lock);
}

/// Sends what is held with the savepoint's release and waits for the group's commit.
async fn commit_turn(member: Member, held: &deferred::Held) -> Result<(), DbErr> {
    // A writer that sent nothing and holds nothing has no savepoint to release.
    if member.savepoint_was_sent() || held.count() > 0 {
        open_savepoint(held, &member);
        held.push(Statement::from_string(
            DatabaseBackend::Sqlite,
            format!("RELEASE {}", group::SAVEPOINT),
        ));
        held.flush(member.txn()).await?;
    }
    member.commit().await
}

#[async_trait::async_trait]
impl ConnectionTrait for WriteTxn {
    fn get_database_backend(&self) -> DatabaseBackend {
        match &self.inner {
            Inner::Alone(txn) => txn.get_database_backend(),
            Inner::Grouped { .. } => DatabaseBackend::Sqlite,
        }
    }

    async fn execute(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        // Sent apart: batched, the rows-affected count would be the whole batch's.
        self.flushed().await?.execute(stmt).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.flushed().await?.execute_unprepared(sql).await
    }

    async fn query_one(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        let (txn, stmt) = self.with_held(stmt).await?;
        txn.query_one(stmt).await
    }

    async fn query_all(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        let (txn, stmt) = self.with_held(stmt).await?;
        txn.query_all(stmt).await
    }

    fn support_returning(&self) -> bool {
        match &self.inner {
            Inner::Alone(txn) => txn.support_returning(),
            Inner::Grouped { group, .. } => group.support_returning(),
        }
    }
}

impl Deferring for WriteTxn {
    async fn defer(&self, stmt: Statement) -> Result<(), DbErr> {
        if self.held.push(stmt) && !self.holds_everything() {
            self.flush().await?;
        }
        Ok(())
    }

    fn counters(&self) -> Option<&Counters> {
        self.taken.counters.as_deref()
    }

    fn took_counted(&self, name: &str, value: i64) {
        self.taken.note(name, value);
    }

    async fn take_turn(&self) -> Result<(), DbErr> {
        self.sending().await.map(|_| ())
    }
}

/// Counter values a write transaction took (see [`Counters`]); dropped, it gives them back.
struct TakenNumbers {
    counters: Option<Arc<Counters>>,
    values: Mutex<Vec<(String, i64)>>,
}

impl TakenNumbers {
    fn new(counters: Option<Arc<Counters>>) -> TakenNumbers {
        TakenNumbers {
            counters,
            values: Mutex::default(),
        }
    }

    fn note(&self, name: &str, value: i64) {
        self.lock().push((name.to_string(), value));
    }

    /// The values taken so far, which are no longer given back when this is dropped.
    fn keep(&self) -> Vec<(String, i64)> {
        std::mem::take(&mut *self.lock())
    }

    /// Gives `values` back, newest first: each may then be the last handed out again.
    fn give_back(&self, values: Vec<(String, i64)>) {
        if let Some(counters) = &self.counters {
            for (name, value) in values.iter().rev() {
                counters.give_back(name, *value);
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(String, i64)>> {
        self.values
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Drop for TakenNumbers {
    fn drop(&mut self) {
        let values = self.keep();
        self.give_back(values);
    }
}
