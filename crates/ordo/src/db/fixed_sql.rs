//! SQL text built once for statements whose shape never changes, only their values.
//!
//! Building a statement's text from the query builder formats and quotes every column name on
//! each call; for a wide table that costs more than SQLite's own work to find the row by its key.
//! A hot read whose query differs from call to call only in its values builds the text once per
//! backend and reuses it with each call's values.

use std::sync::OnceLock;

use sea_orm::{DatabaseBackend, QueryTrait, Statement, Value, Values};
use uuid::Uuid;

/// The text of one statement, per backend, as first built.
pub struct FixedSql {
    /// The SQL text and how many values it takes, by [`slot`].
    built: [OnceLock<(String, usize)>; 3],
}

fn slot(backend: DatabaseBackend) -> usize {
    match backend {
        DatabaseBackend::Sqlite => 0,
        DatabaseBackend::Postgres => 1,
        DatabaseBackend::MySql => 2,
    }
}

impl Default for FixedSql {
    fn default() -> FixedSql {
        FixedSql::new()
    }
}

impl FixedSql {
    pub const fn new() -> FixedSql {
        FixedSql {
            built: [OnceLock::new(), OnceLock::new(), OnceLock::new()],
        }
    }

    /// The statement `build` makes for `backend` with `values` in it. `build` must make the
    /// same text whatever the values, and take exactly `values` in that order; it runs only
    /// until the text is known. A statement that takes another number of values than given is
    /// never reused: `build`'s own is returned, so a wrong use costs speed, never a wrong query.
    pub fn statement(
        &self,
        backend: DatabaseBackend,
        values: Vec<Value>,
        build: impl FnOnce(DatabaseBackend) -> Statement,
    ) -> Statement {
        let slot = &self.built[slot(backend)];
        if let Some((sql, takes)) = slot.get() {
            if *takes == values.len() {
                return Statement {
                    sql: sql.clone(),
                    values: Some(Values(values)),
                    db_backend: backend,
                };
            }
        }
        let built = build(backend);
        let takes = built.values.as_ref().map_or(0, |v| v.0.len());
        if takes == values.len() {
            let _ = slot.set((built.sql.clone(), takes));
        } else {
            tracing::warn!(
                sql = %built.sql,
                given = values.len(),
                takes,
                "a fixed statement was given the wrong number of values; built every time"
            );
        }
        built
    }
}

impl FixedSql {
    /// [`FixedSql::statement`] for a query whose one value is `key`.
    pub fn keyed<Q: QueryTrait>(
        &self,
        backend: DatabaseBackend,
        key: Uuid,
        query: impl FnOnce(Uuid) -> Q,
    ) -> Statement {
        self.statement(backend, vec![key.into()], |b| query(key).build(b))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::sea_query::{Alias, Expr, Query};

    fn by_key(backend: DatabaseBackend, key: i64) -> Statement {
        let query = Query::select()
            .column(Alias::new("name"))
            .from(Alias::new("things"))
            .and_where(Expr::col(Alias::new("id")).eq(key))
            .to_owned();
        backend.build(&query)
    }

    /// The reused text with new values is the statement the builder makes for those values.
    #[test]
    fn a_reused_statement_is_the_one_built_for_its_values() {
        static BY_KEY: FixedSql = FixedSql::new();
        for backend in [
            DatabaseBackend::Sqlite,
            DatabaseBackend::Postgres,
            DatabaseBackend::MySql,
        ] {
            for key in [1, 2, 3] {
                let reused = BY_KEY.statement(backend, vec![key.into()], |b| by_key(b, key));
                assert_eq!(reused, by_key(backend, key));
            }
        }
    }

    /// Given the wrong number of values, the builder's statement is used and nothing is kept.
    #[test]
    fn a_statement_given_the_wrong_values_is_built_each_time() {
        static BY_KEY: FixedSql = FixedSql::new();
        let built = BY_KEY.statement(DatabaseBackend::Sqlite, vec![], |b| by_key(b, 7));
        assert_eq!(built, by_key(DatabaseBackend::Sqlite, 7));
        assert!(BY_KEY.built[0].get().is_none());
    }
}
