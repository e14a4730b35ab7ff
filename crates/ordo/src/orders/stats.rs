//! Keeps the summary tables in step with the orders: every change that creates or deletes an
//! order, or moves its status, priority, completion or deadlines, takes the order's old
//! contribution out and puts the new one in, in the same transaction. Dashboards read them for
//! long periods and for the overdue count.
//!
//! - `order_daily_stats`: per UTC creation day, workflow, status and priority, how many orders,
//!   how many completed and their processing seconds.
//! - `order_due_stats`: per UTC day the order falls due (its earlier deadline), workflow and
//!   status, how many orders.

use crate::db::{Deferring, FixedInsert};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::future::Future;

use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ActiveModelTrait, DatabaseBackend, EntityTrait, IntoActiveModel, Iterable, Set};

use super::entity::order;
use crate::error::AppResult;

pub mod row {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "order_daily_stats")]
    pub struct Model {
        /// The UTC day the orders were created on, `YYYY-MM-DD`.
        #[sea_orm(primary_key, auto_increment = false)]
        pub day: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub workflow: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub status: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub priority: i32,
        pub orders: i64,
        pub completed: i64,
        pub processing_seconds: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod due_row {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "order_due_stats")]
    pub struct Model {
        /// The UTC day the orders fall due on, `YYYY-MM-DD`.
        #[sea_orm(primary_key, auto_increment = false)]
        pub day: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub workflow: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub status: String,
        pub orders: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// The due-day row an order with a deadline counts in.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct DueKey {
    pub day: String,
    pub workflow: String,
    pub status: String,
}

/// How a summary row names its UTC day: `YYYY-MM-DD`, which sorts as the days do.
pub fn day_key(at: chrono::NaiveDateTime) -> String {
    at.format("%Y-%m-%d").to_string()
}

/// When an order falls due: the earlier of its valid-until and estimated completion.
fn due_at(order: &order::Model) -> Option<chrono::NaiveDateTime> {
    match (order.valid_until, order.estimated_completion) {
        (Some(valid), Some(estimate)) => Some(valid.min(estimate)),
        (valid, estimate) => valid.or(estimate),
    }
}

fn due_contribution(order: &order::Model) -> Option<DueKey> {
    due_at(order).map(|due| DueKey {
        day: day_key(due),
        workflow: order.workflow.clone(),
        status: order.status.clone(),
    })
}

/// The summary row an order counts in.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Key {
    pub day: String,
    pub workflow: String,
    pub status: String,
    pub priority: i32,
}

/// What an order adds to its row.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub orders: i64,
    pub completed: i64,
    pub processing_seconds: i64,
}

impl Counts {
    fn add(&mut self, other: Counts, sign: i64) {
        self.orders += sign * other.orders;
        self.completed += sign * other.completed;
        self.processing_seconds += sign * other.processing_seconds;
    }
}

pub fn contribution(order: &order::Model) -> (Key, Counts) {
    let key = Key {
        day: day_key(order.created_at),
        workflow: order.workflow.clone(),
        status: order.status.clone(),
        priority: order.priority,
    };
    let counts = Counts {
        orders: 1,
        completed: i64::from(order.completed_at.is_some()),
        processing_seconds: order
            .completed_at
            .map_or(0, |done| (done - order.created_at).num_seconds()),
    };
    (key, counts)
}

/// Accumulates changes to apply in one go (the bulk loader adds thousands of orders at once).
/// Rows are written in key order, table by table, so concurrent transactions lock them in the
/// same order and cannot deadlock on them (PostgreSQL and MySQL lock each row an upsert touches).
#[derive(Default)]
pub struct Delta {
    daily: BTreeMap<Key, Counts>,
    due: BTreeMap<DueKey, i64>,
}

impl Delta {
    pub fn add(&mut self, order: &order::Model) {
        self.change(order, 1);
    }

    /// Adds `other`'s changes to these.
    pub fn merge(&mut self, other: Delta) {
        for (key, counts) in other.daily {
            self.daily.entry(key).or_default().add(counts, 1);
        }
        for (key, orders) in other.due {
            *self.due.entry(key).or_default() += orders;
        }
    }

    fn change(&mut self, order: &order::Model, sign: i64) {
        let (key, counts) = contribution(order);
        self.daily.entry(key).or_default().add(counts, sign);
        if let Some(key) = due_contribution(order) {
            *self.due.entry(key).or_default() += sign;
        }
    }

    pub async fn apply<C: Deferring>(self, db: &C) -> AppResult<()> {
        let daily: Vec<row::ActiveModel> = self
            .daily
            .into_iter()
            .filter(|(_, c)| *c != Counts::default())
            .map(|(k, c)| row::ActiveModel {
                day: Set(k.day),
                workflow: Set(k.workflow),
                status: Set(k.status),
                priority: Set(k.priority),
                orders: Set(c.orders),
                completed: Set(c.completed),
                processing_seconds: Set(c.processing_seconds),
            })
            .collect();
        static DAILY: FixedInsert = FixedInsert::new();
        upsert_adding_all(
            db,
            &DAILY,
            daily,
            &[
                row::Column::Orders,
                row::Column::Completed,
                row::Column::ProcessingSeconds,
            ],
        )
        .await?;
        let due: Vec<due_row::ActiveModel> = self
            .due
            .into_iter()
            .filter(|(_, orders)| *orders != 0)
            .map(|(k, orders)| due_row::ActiveModel {
                day: Set(k.day),
                workflow: Set(k.workflow),
                status: Set(k.status),
                orders: Set(orders),
            })
            .collect();
        static DUE: FixedInsert = FixedInsert::new();
        upsert_adding_all(db, &DUE, due, &[due_row::Column::Orders]).await?;
        Ok(())
    }
}

/// Inserts `rows` in chunks (within every backend's limit on statement parameters), adding their
/// `counts` to those of rows already there. The text is kept in `fixed`, one for each table and
/// `counts`.
async fn upsert_adding_all<C, A>(
    db: &C,
    fixed: &FixedInsert,
    rows: Vec<A>,
    counts: &[<A::Entity as EntityTrait>::Column],
) -> AppResult<()>
where
    C: Deferring,
    A: ActiveModelTrait + Clone,
    <A::Entity as EntityTrait>::Model: IntoActiveModel<A>,
{
    let backend = db.get_database_backend();
    for chunk in rows.chunks(500) {
        let upsert = fixed.finished(backend, chunk.to_vec(), |insert| {
            insert.on_conflict(upsert_adding::<A::Entity>(backend, counts))
        });
        db.defer(upsert).await?;
    }
    Ok(())
}

/// `ON CONFLICT (primary key) DO UPDATE` that adds the new `counts` to the stored ones.
fn upsert_adding<E: EntityTrait>(backend: DatabaseBackend, counts: &[E::Column]) -> OnConflict {
    use sea_orm::{IdenStatic, PrimaryKeyToColumn};
    let mut on_conflict = OnConflict::columns(E::PrimaryKey::iter().map(|k| k.into_column()));
    let entity = E::default();
    let table = entity.table_name();
    for column in counts {
        let name = column.as_str();
        let sum = match backend {
            DatabaseBackend::MySql => format!("`{name}` + VALUES(`{name}`)"),
            _ => format!("\"{table}\".\"{name}\" + excluded.\"{name}\""),
        };
        on_conflict.value(*column, Expr::cust(sum));
    }
    on_conflict
}

/// Moves an order's contribution from `before` to `after` (either may be absent: created,
/// deleted). Nothing is written when the order stays in the same row with the same counts.
pub async fn record<C: Deferring>(
    db: &C,
    before: Option<&order::Model>,
    after: Option<&order::Model>,
) -> AppResult<()> {
    if let (Some(b), Some(a)) = (before, after) {
        if contribution(b) == contribution(a) && due_contribution(b) == due_contribution(a) {
            return Ok(());
        }
    }
    let mut delta = Delta::default();
    if let Some(b) = before {
        delta.change(b, -1);
    }
    if let Some(a) = after {
        delta.change(a, 1);
    }
    let held = PENDING.try_with(|pending| pending.borrow_mut().merge(std::mem::take(&mut delta)));
    if held.is_ok() {
        return Ok(());
    }
    delta.apply(db).await
}

tokio::task_local! {
    /// The summary changes of a transaction that changes many orders, held back by [`deferred`].
    static PENDING: RefCell<Delta>;
}

/// Runs `work` with the summary changes of every [`record`] inside it held back instead of
/// written, and answers them with its result, for the caller to [`Delta::apply`] once before it
/// commits (or to drop with a rolled-back savepoint). A transaction that changes many orders
/// then locks the summary rows once, in key order, as single-order changes do; written order by
/// order, its locks would alternate between the two tables and could deadlock with them on
/// PostgreSQL and MySQL.
pub async fn deferred<T>(work: impl Future<Output = T>) -> (T, Delta) {
    PENDING
        .scope(RefCell::new(Delta::default()), async move {
            let out = work.await;
            (out, PENDING.with(|pending| pending.take()))
        })
        .await
}
