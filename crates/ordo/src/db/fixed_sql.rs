//! SQL text built once for statements whose shape never changes, only their values.
//!
//! Building a statement's text from the query builder formats and quotes every column name on
//! each call; for a wide table that costs more than SQLite's own work to find the row by its key.
//! A hot read whose query differs from call to call only in its values builds the text once per
//! backend and reuses it with each call's values; so does every insert of whole rows that a
//! created order makes ([`FixedInsert`]).

use std::sync::OnceLock;

use sea_orm::{
    ActiveModelTrait, ActiveValue, DatabaseBackend, EntityTrait, Insert, Iterable, QueryTrait,
    Statement, Value, Values,
};
use uuid::Uuid;

/// The text of one statement, per backend, as first built.
pub struct FixedSql {
    /// The SQL text, how many values it takes and the shape it was built for, by [`slot`].
    built: [OnceLock<(String, usize, u64)>; 3],
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
        self.shaped(backend, 0, values, build)
    }

    /// [`FixedSql::statement`] for a `build` that can fail; a failure is answered and nothing is
    /// kept.
    pub fn try_statement<E>(
        &self,
        backend: DatabaseBackend,
        values: Vec<Value>,
        build: impl FnOnce(DatabaseBackend) -> Result<Statement, E>,
    ) -> Result<Statement, E> {
        self.try_shaped(backend, 0, values, build)
    }

    /// [`FixedSql::statement`] for a statement whose text also depends on `shape` (which
    /// columns it names, say): the kept text is reused only for the shape it was built for.
    fn shaped(
        &self,
        backend: DatabaseBackend,
        shape: u64,
        values: Vec<Value>,
        build: impl FnOnce(DatabaseBackend) -> Statement,
    ) -> Statement {
        let built = self.try_shaped(backend, shape, values, |b| {
            Ok::<_, std::convert::Infallible>(build(b))
        });
        match built {
            Ok(statement) => statement,
            Err(never) => match never {},
        }
    }

    fn try_shaped<E>(
        &self,
        backend: DatabaseBackend,
        shape: u64,
        values: Vec<Value>,
        build: impl FnOnce(DatabaseBackend) -> Result<Statement, E>,
    ) -> Result<Statement, E> {
        let slot = &self.built[slot(backend)];
        if let Some((sql, takes, built_for)) = slot.get() {
            if *takes == values.len() && *built_for == shape {
                return Ok(Statement {
                    sql: sql.clone(),
                    values: Some(Values(values)),
                    db_backend: backend,
                });
            }
        }
        let built = build(backend)?;
        let takes = built.values.as_ref().map_or(0, |v| v.0.len());
        if takes == values.len() {
            let _ = slot.set((built.sql.clone(), takes, shape));
        } else {
            tracing::warn!(
                sql = %built.sql,
                given = values.len(),
                takes,
                "a fixed statement was given the wrong number of values; built every time"
            );
        }
        Ok(built)
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

/// Statements built for this many things (rows, keys) or fewer have their text kept; larger ones
/// are built each time.
const KEPT_COUNTS: usize = 8;

/// The text of a statement whose shape depends only on how many things it is built for (the
/// rows of an insert, the keys of an `IN` list): one [`FixedSql`] per count.
pub struct FixedSqlByCount {
    /// By count, less one.
    by_count: [FixedSql; KEPT_COUNTS],
}

impl Default for FixedSqlByCount {
    fn default() -> FixedSqlByCount {
        FixedSqlByCount::new()
    }
}

impl FixedSqlByCount {
    pub const fn new() -> FixedSqlByCount {
        FixedSqlByCount {
            by_count: [const { FixedSql::new() }; KEPT_COUNTS],
        }
    }

    /// The kept text for `count` things, where there is a place for one.
    fn kept(&self, count: usize) -> Option<&FixedSql> {
        count.checked_sub(1).and_then(|i| self.by_count.get(i))
    }

    /// [`FixedSql::statement`] for a statement built for `count` things.
    pub fn statement(
        &self,
        backend: DatabaseBackend,
        count: usize,
        values: Vec<Value>,
        build: impl FnOnce(DatabaseBackend) -> Statement,
    ) -> Statement {
        match self.kept(count) {
            Some(fixed) => fixed.statement(backend, values, build),
            None => build(backend),
        }
    }

    /// [`FixedSql::keyed`] for a query of several keys: `query` must bind exactly `keys`, in
    /// their order (`column IN (..)`, say).
    pub fn keyed<Q: QueryTrait>(
        &self,
        backend: DatabaseBackend,
        keys: &[Uuid],
        query: impl FnOnce(&[Uuid]) -> Q,
    ) -> Statement {
        let values = keys.iter().map(|&key| key.into()).collect();
        self.statement(backend, keys.len(), values, |b| query(keys).build(b))
    }
}

/// The text of an insert into one table, built once per backend and number of rows: what
/// [`EntityTrait::insert_many`] builds for the same rows, with only the values new.
/// The values are bound as the rows give them: not for a table whose columns change values on
/// the way in (`save_as`), which the builder would apply and the kept text would not.
pub struct FixedInsert {
    by_rows: FixedSqlByCount,
}

impl Default for FixedInsert {
    fn default() -> FixedInsert {
        FixedInsert::new()
    }
}

impl FixedInsert {
    pub const fn new() -> FixedInsert {
        FixedInsert {
            by_rows: FixedSqlByCount::new(),
        }
    }

    /// The statement inserting `rows`, each giving the same columns (as the builder requires).
    /// Rows that give other columns than the kept text names are built as they are.
    pub fn statement<A: ActiveModelTrait>(
        &self,
        backend: DatabaseBackend,
        rows: Vec<A>,
    ) -> Statement {
        self.finished(backend, rows, |insert| insert)
    }

    /// [`FixedInsert::statement`] for the insert that `finish` completes (with an `ON CONFLICT`
    /// clause, say). `finish` must bind no values of its own and do the same whatever the rows;
    /// one `FixedInsert` serves one `finish`.
    pub fn finished<A: ActiveModelTrait>(
        &self,
        backend: DatabaseBackend,
        rows: Vec<A>,
        finish: impl FnOnce(Insert<A>) -> Insert<A>,
    ) -> Statement {
        let kept = self.by_rows.kept(rows.len());
        let mut values = Vec::new();
        let shape = kept.and_then(|_| same_columns(&rows, &mut values));
        let build = move |b: DatabaseBackend| finish(A::Entity::insert_many(rows)).build(b);
        match (kept, shape) {
            (Some(fixed), Some(shape)) => fixed.shaped(backend, shape, values, build),
            _ => build(backend),
        }
    }
}

/// The columns every one of `rows` gives (see [`given_columns`]), with their values appended to
/// `values`; None when they differ.
fn same_columns<A: ActiveModelTrait>(rows: &[A], values: &mut Vec<Value>) -> Option<u64> {
    let mut shapes = rows.iter().map(|row| given_columns(row, values));
    let first = shapes.next()??;
    shapes.all(|shape| shape == Some(first)).then_some(first)
}

/// Appends the values `row` gives to `values`, in the builder's column order, and answers which
/// columns they are, one bit each (None for a table of more than 64 columns).
fn given_columns<A: ActiveModelTrait>(row: &A, values: &mut Vec<Value>) -> Option<u64> {
    let mut shape = 0u64;
    for (i, column) in <A::Entity as EntityTrait>::Column::iter().enumerate() {
        if let ActiveValue::Set(value) | ActiveValue::Unchanged(value) = row.get(column) {
            shape |= 1u64.checked_shl(u32::try_from(i).ok()?)?;
            values.push(value);
        }
    }
    Some(shape)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BACKENDS: [DatabaseBackend; 3] = [
        DatabaseBackend::Sqlite,
        DatabaseBackend::Postgres,
        DatabaseBackend::MySql,
    ];
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
        for backend in BACKENDS {
            for key in [1, 2, 3] {
                let reused = BY_KEY.statement(backend, vec![key.into()], |b| by_key(b, key));
                assert_eq!(reused, by_key(backend, key));
            }
        }
    }

    mod thing {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
        #[sea_orm(table_name = "things")]
        pub struct Model {
            #[sea_orm(primary_key)]
            pub id: i64,
            pub name: String,
            pub note: Option<String>,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }

    fn things(from: i64, count: i64, with_id: bool) -> Vec<thing::ActiveModel> {
        use sea_orm::{NotSet, Set};
        (from..from + count)
            .map(|i| thing::ActiveModel {
                id: if with_id { Set(i) } else { NotSet },
                name: Set(format!("thing {i}")),
                note: Set((i % 2 == 0).then(|| "even".to_string())),
            })
            .collect()
    }

    /// Rows inserted through the kept text make the statement the builder makes for them, for
    /// every backend and number of rows, and whichever columns the rows give.
    #[test]
    fn a_fixed_insert_is_the_one_built_for_its_rows() {
        static INSERT: FixedInsert = FixedInsert::new();
        for backend in BACKENDS {
            for (from, count, with_id) in [(1, 1, true), (5, 1, true), (1, 1, false), (2, 3, true)]
            {
                let rows = things(from, count, with_id);
                let built = thing::Entity::insert_many(rows.clone()).build(backend);
                assert_eq!(INSERT.statement(backend, rows), built);
            }
        }
    }

    /// An insert completed by a clause of its own (here an upsert) is, kept, the one the
    /// builder makes for the same rows.
    #[test]
    fn a_finished_insert_is_the_one_built_for_its_rows() {
        use sea_orm::sea_query::OnConflict;
        static UPSERT: FixedInsert = FixedInsert::new();
        let upsert = || {
            OnConflict::column(thing::Column::Id)
                .update_column(thing::Column::Name)
                .to_owned()
        };
        for backend in BACKENDS {
            for (from, count) in [(1, 1), (4, 1), (2, 2), (7, 2)] {
                let rows = things(from, count, true);
                let built = thing::Entity::insert_many(rows.clone())
                    .on_conflict(upsert())
                    .build(backend);
                let kept = UPSERT.finished(backend, rows, |insert| insert.on_conflict(upsert()));
                assert_eq!(kept, built);
            }
        }
    }

    fn among(backend: DatabaseBackend, keys: &[i64]) -> Statement {
        let query = Query::select()
            .column(Alias::new("name"))
            .from(Alias::new("things"))
            .and_where(Expr::col(Alias::new("id")).is_in(keys.iter().copied()))
            .to_owned();
        backend.build(&query)
    }

    /// A statement kept per count of keys is, reused, the one built for the keys given, for
    /// every count; beyond the counts kept it is built each time.
    #[test]
    fn a_statement_kept_by_count_is_the_one_built_for_its_keys() {
        static AMONG: FixedSqlByCount = FixedSqlByCount::new();
        for backend in BACKENDS {
            for keys in [
                &[1][..],
                &[2],
                &[1, 2],
                &[3, 4],
                &[5, 6, 7],
                &[1, 2, 3, 4, 5, 6, 7, 8, 9],
            ] {
                let values = keys.iter().map(|&k| k.into()).collect();
                let kept = AMONG.statement(backend, keys.len(), values, |b| among(b, keys));
                assert_eq!(kept, among(backend, keys));
            }
        }
        assert!(AMONG.kept(9).is_none() && AMONG.kept(0).is_none());
    }

    /// Rows that give different columns from one another are built as they are.
    #[test]
    fn rows_giving_different_columns_are_not_fixed() {
        let mut rows = things(1, 1, true);
        rows.extend(things(2, 1, false));
        let mut values = Vec::new();
        assert_eq!(same_columns(&rows, &mut values), None);
        assert_eq!(same_columns(&things(1, 2, true), &mut values), Some(0b111));
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
