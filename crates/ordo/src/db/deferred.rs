//! Statements held back until the transaction next talks to the database.
//!
//! Much of what a write request does is inserts whose outcome nobody reads: the audit entry, the
//! event, the status history, the search document, the summary counts. On SQLite each statement
//! is a round trip to the connection's thread, made while the request holds the single writer's
//! turn, so a write transaction ([`super::WriteTxn`]) holds such statements back and sends them in
//! one batch with the next statement whose result is read, or with the commit. They run in the
//! order they were made and before anything made after them, so no reader can tell they waited;
//! an error from one surfaces at the next statement or at the commit, and fails the transaction.

use std::future::Future;
use std::sync::Mutex;

use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DatabaseBackend, DatabaseConnection, DatabaseTransaction,
    DbErr, QueryTrait, Statement, Values,
};

/// More held-back statements than this are sent without waiting for a reason to.
const MAX_HELD: usize = 32;

/// A connection that may hold back statements whose results nobody reads.
pub trait Deferring: ConnectionTrait {
    /// Runs `stmt`, now or (in a write transaction) with the transaction's next statement.
    fn defer(&self, stmt: Statement) -> impl Future<Output = Result<(), DbErr>> + Send;

    /// The counters the writer keeps in step with their rows, where writes take turns (SQLite).
    fn counters(&self) -> Option<&super::Counters> {
        None
    }

    /// Notes that this transaction took `value` of counter row `name`: should the transaction
    /// not commit, the value is given back (see [`super::Counters::give_back`]).
    fn took_counted(&self, _name: &str, _value: i64) {}

    /// Waits for the writers' turn where writes take turns (SQLite), so that the counters can be
    /// read in step with their rows: no writer can then advance a row before this one has.
    fn take_turn(&self) -> impl Future<Output = Result<(), DbErr>> + Send {
        async { Ok(()) }
    }

    /// [`Deferring::defer`] for a built query (an insert, say).
    fn defer_query<Q: QueryTrait>(
        &self,
        query: &Q,
    ) -> impl Future<Output = Result<(), DbErr>> + Send {
        self.defer(query.build(self.get_database_backend()))
    }

    /// [`Deferring::defer`] for an insert of `rows`, its text kept in `fixed`.
    fn defer_insert<A: ActiveModelTrait>(
        &self,
        fixed: &super::FixedInsert,
        rows: Vec<A>,
    ) -> impl Future<Output = Result<(), DbErr>> + Send {
        self.defer(fixed.statement(self.get_database_backend(), rows))
    }
}

impl Deferring for DatabaseConnection {
    async fn defer(&self, stmt: Statement) -> Result<(), DbErr> {
        self.execute(stmt).await.map(|_| ())
    }
}

impl Deferring for DatabaseTransaction {
    async fn defer(&self, stmt: Statement) -> Result<(), DbErr> {
        self.execute(stmt).await.map(|_| ())
    }
}

/// The statements a transaction holds back, oldest first.
#[derive(Default)]
pub struct Held(Mutex<Vec<Statement>>);

impl Held {
    /// Adds `stmt`; answers true when so many are held that they should be sent now.
    pub fn push(&self, stmt: Statement) -> bool {
        let mut held = self.lock();
        held.push(stmt);
        held.len() >= MAX_HELD
    }

    pub fn count(&self) -> usize {
        self.lock().len()
    }

    /// Puts `stmts` in front of everything held.
    pub fn push_front(&self, stmts: impl IntoIterator<Item = Statement>) {
        let mut held = self.lock();
        let after = std::mem::take(&mut *held);
        held.extend(stmts);
        held.extend(after);
    }

    /// Takes everything held, leaving nothing.
    pub fn take(&self) -> Vec<Statement> {
        std::mem::take(&mut *self.lock())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Statement>> {
        // A panic while pushing leaves the list whole; carry on with it.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Sends everything held through `db`: on SQLite as one batch, elsewhere one by one.
    pub async fn flush<C: ConnectionTrait>(&self, db: &C) -> Result<(), DbErr> {
        let held = self.take();
        if held.is_empty() {
            return Ok(());
        }
        if db.get_database_backend() == DatabaseBackend::Sqlite {
            db.execute(join(held)).await?;
        } else {
            for stmt in held {
                db.execute(stmt).await?;
            }
        }
        Ok(())
    }

    /// `stmt`, with everything held sent first: on SQLite in front of it in the same batch (the
    /// held statements return no rows, so the rows are `stmt`'s), elsewhere one by one now.
    pub async fn before<C: ConnectionTrait>(
        &self,
        db: &C,
        stmt: Statement,
    ) -> Result<Statement, DbErr> {
        if db.get_database_backend() != DatabaseBackend::Sqlite {
            self.flush(db).await?;
            return Ok(stmt);
        }
        let mut held = self.take();
        if held.is_empty() {
            return Ok(stmt);
        }
        held.push(stmt);
        Ok(join(held))
    }
}

/// One SQLite batch of `stmts`: the statements separated by `;`, their values in order (SQLite
/// numbers each statement's `?` parameters on from the previous statement's).
fn join(stmts: Vec<Statement>) -> Statement {
    let backend = stmts[0].db_backend;
    let mut sql = String::with_capacity(stmts.iter().map(|s| s.sql.len() + 2).sum());
    let mut values = Vec::new();
    for stmt in stmts {
        if !sql.is_empty() {
            sql.push_str(";\n");
        }
        sql.push_str(&stmt.sql);
        if let Some(Values(v)) = stmt.values {
            values.extend(v);
        }
    }
    Statement::from_sql_and_values(backend, sql, values)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::Value;

    #[test]
    fn a_batch_keeps_the_statements_and_their_values_in_order() {
        let stmt = |sql: &str, v: i32| {
            Statement::from_sql_and_values(DatabaseBackend::Sqlite, sql, [Value::from(v)])
        };
        let batch = join(vec![
            stmt("INSERT INTO a VALUES (?)", 1),
            stmt("SELECT * FROM b WHERE x = ?", 2),
        ]);
        assert_eq!(
            batch.sql,
            "INSERT INTO a VALUES (?);\nSELECT * FROM b WHERE x = ?"
        );
        assert_eq!(batch.values, Some(Values(vec![1.into(), 2.into()])));
    }
}
