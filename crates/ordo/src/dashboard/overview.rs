//! `GET /dashboard/overview`: where the viewer's orders stand.

use std::collections::BTreeMap;

use chrono::{DateTime, Days, Duration, NaiveDateTime, NaiveTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, FromQueryResult, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, QueryTrait,
};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::range::{local_midnight, Range};
use super::{sql, Period};
use crate::error::AppResult;
use crate::orders::access::Viewer;
use crate::orders::entity::{history, order};
use crate::orders::stats::{self, day_key};
use crate::state::AppState;
use crate::workflow::store as workflows;

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Overview {
    pub period: Period,
    /// Orders created in the period.
    pub total_orders: i64,
    pub by_status: BTreeMap<String, i64>,
    pub by_workflow: BTreeMap<String, WorkflowCounts>,
    /// Keyed by priority, 1 (urgent) to 4 (low).
    pub by_priority: BTreeMap<i32, i64>,
    /// Of the orders created in the period, those completed (delivered, completed ...).
    pub completed: i64,
    /// `completed / totalOrders`, 0 when there are none.
    pub completion_rate: f64,
    /// Mean hours from creation to completion of the completed ones.
    pub average_processing_hours: Option<f64>,
    /// Created since local midnight today / in the last 7 and 30 local days (whatever the period).
    pub orders_today: u64,
    pub orders_last_7_days: u64,
    pub orders_last_30_days: u64,
    /// Open orders now past their valid-until or estimated completion.
    pub overdue: u64,
    pub recent_activity: Vec<Activity>,
}

#[derive(Debug, Default, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WorkflowCounts {
    pub total: i64,
    pub by_status: BTreeMap<String, i64>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Activity {
    pub order_id: Uuid,
    pub number: String,
    pub from: Option<String>,
    pub to: String,
    pub actor_id: Option<Uuid>,
    pub at: DateTime<Utc>,
}

#[derive(Debug, FromQueryResult)]
struct Breakdown {
    workflow: String,
    status: String,
    priority: i32,
    orders: i64,
    completed: i64,
    processing_seconds: i64,
}

const RECENT: u64 = 10;

pub async fn overview(state: &AppState, viewer: &Viewer, range: &Range) -> AppResult<Overview> {
    let db = state.db.conn();
    let rows = breakdown(db, viewer, range).await?;

    let mut out = Overview {
        period: Period::of(range),
        total_orders: 0,
        by_status: BTreeMap::new(),
        by_workflow: BTreeMap::new(),
        by_priority: BTreeMap::new(),
        completed: 0,
        completion_rate: 0.0,
        average_processing_hours: None,
        orders_today: 0,
        orders_last_7_days: 0,
        orders_last_30_days: 0,
        overdue: 0,
        recent_activity: Vec::new(),
    };
    let mut processing_seconds = 0i64;
    // Daily counts whose orders all moved on read 0: not a status anyone is in.
    for row in rows.into_iter().filter(|r| r.orders != 0) {
        out.total_orders += row.orders;
        out.completed += row.completed;
        processing_seconds += row.processing_seconds;
        *out.by_status.entry(row.status.clone()).or_default() += row.orders;
        *out.by_priority.entry(row.priority).or_default() += row.orders;
        let workflow = out.by_workflow.entry(row.workflow).or_default();
        workflow.total += row.orders;
        *workflow.by_status.entry(row.status).or_default() += row.orders;
    }
    if out.total_orders > 0 {
        out.completion_rate = out.completed as f64 / out.total_orders as f64;
    }
    if out.completed > 0 {
        out.average_processing_hours =
            Some(processing_seconds as f64 / out.completed as f64 / 3600.0);
    }

    let now = Utc::now();
    let today = range.local_day(now);
    let since = |days: u64| -> NaiveDateTime {
        local_midnight(range.tz, today - Days::new(days)).naive_utc()
    };
    out.orders_today = created_since(db, viewer, since(0)).await?;
    out.orders_last_7_days = created_since(db, viewer, since(6)).await?;
    out.orders_last_30_days = created_since(db, viewer, since(29)).await?;
    out.overdue = overdue(state, viewer, crate::time::now()).await?;
    out.recent_activity = recent_activity(state, viewer).await?;
    Ok(out)
}

/// Orders created in `[from, to)` grouped by workflow, status and priority, from the rows.
async fn breakdown_of_rows<C: ConnectionTrait>(
    db: &C,
    viewer: &Viewer,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> AppResult<Vec<Breakdown>> {
    let backend = db.get_database_backend();
    Ok(viewer
        .scope(order::Entity::find())
        .filter(order::Column::CreatedAt.gte(from))
        .filter(order::Column::CreatedAt.lt(to))
        .select_only()
        .column(order::Column::Workflow)
        .column(order::Column::Status)
        .column(order::Column::Priority)
        .column_as(Expr::cust("COUNT(*)"), "orders")
        .column_as(
            sql::count_if(backend, "completed_at IS NOT NULL"),
            "completed",
        )
        .column_as(
            sql::int_sum(
                backend,
                &sql::seconds_between(backend, "created_at", "completed_at"),
            ),
            "processing_seconds",
        )
        .group_by(order::Column::Workflow)
        .group_by(order::Column::Status)
        .group_by(order::Column::Priority)
        .into_model()
        .all(db)
        .await?)
}

/// The period's breakdown. Managers and admins see every order, so whole UTC days come from the
/// daily counts and only the partial days at either end from the rows; other viewers' orders
/// are few enough to count directly.
async fn breakdown<C: ConnectionTrait>(
    db: &C,
    viewer: &Viewer,
    range: &Range,
) -> AppResult<Vec<Breakdown>> {
    let (from, to) = (range.from_stored(), range.to_stored());
    let first_whole = next_midnight(from);
    // A period that runs to now holds every order of its last day so far: that day's counts
    // are whole (no order is created in the future).
    let last_day = to.date().and_time(NaiveTime::MIN);
    let end_whole = if range.to_now {
        last_day + Duration::days(1)
    } else {
        last_day
    };
    if !viewer.sees_everything() || first_whole >= end_whole {
        return breakdown_of_rows(db, viewer, from, to).await;
    }
    let backend = db.get_database_backend();
    let mut rows: Vec<Breakdown> = stats::row::Entity::find()
        .select_only()
        .column(stats::row::Column::Workflow)
        .column(stats::row::Column::Status)
        .column(stats::row::Column::Priority)
        .column_as(sql::int_sum(backend, "orders"), "orders")
        .column_as(sql::int_sum(backend, "completed"), "completed")
        .column_as(
            sql::int_sum(backend, "processing_seconds"),
            "processing_seconds",
        )
        .filter(stats::row::Column::Day.gte(day_key(first_whole)))
        .filter(stats::row::Column::Day.lt(day_key(end_whole)))
        .group_by(stats::row::Column::Workflow)
        .group_by(stats::row::Column::Status)
        .group_by(stats::row::Column::Priority)
        .into_model()
        .all(db)
        .await?;
    if from < first_whole {
        rows.extend(breakdown_of_rows(db, viewer, from, first_whole).await?);
    }
    if end_whole < to {
        rows.extend(breakdown_of_rows(db, viewer, end_whole, to).await?);
    }
    Ok(rows)
}

/// The first UTC midnight at or after `at`: where whole days of the daily counts begin.
fn next_midnight(at: NaiveDateTime) -> NaiveDateTime {
    let midnight = at.date().and_time(NaiveTime::MIN);
    if midnight < at {
        midnight + Duration::days(1)
    } else {
        midnight
    }
}

/// The sum of the `orders` column of the summary rows `rows` selects.
async fn summed_orders<C, E>(db: &C, rows: sea_orm::Select<E>) -> AppResult<u64>
where
    C: ConnectionTrait,
    E: EntityTrait,
{
    let sum: Option<i64> = rows
        .select_only()
        .column_as(sql::int_sum(db.get_database_backend(), "orders"), "orders")
        .into_tuple()
        .one(db)
        .await?;
    Ok(sum.and_then(|n| u64::try_from(n).ok()).unwrap_or(0))
}

/// Orders the viewer sees created since `at`. For managers and admins the whole UTC days come
/// from the daily counts (no order is created in the future, so they run to now) and only the
/// hours before the first midnight from the rows.
async fn created_since<C: ConnectionTrait>(
    db: &C,
    viewer: &Viewer,
    at: NaiveDateTime,
) -> AppResult<u64> {
    let scoped = viewer.scope(order::Entity::find());
    if !viewer.sees_everything() {
        return Ok(scoped
            .filter(order::Column::CreatedAt.gte(at))
            .count(db)
            .await?);
    }
    let whole_from = next_midnight(at);
    let whole = summed_orders(
        db,
        stats::row::Entity::find().filter(stats::row::Column::Day.gte(day_key(whole_from))),
    )
    .await?;
    let partial = if at < whole_from {
        scoped
            .filter(order::Column::CreatedAt.gte(at))
            .filter(order::Column::CreatedAt.lt(whole_from))
            .count(db)
            .await?
    } else {
        0
    };
    Ok(whole + partial)
}

/// Each workflow's states that are not final, as (workflow, statuses).
async fn open_states<C: ConnectionTrait>(db: &C) -> AppResult<Vec<(String, Vec<String>)>> {
    Ok(workflows::list(db)
        .await?
        .into_iter()
        .map(|workflow| {
            let open = workflow
                .states
                .iter()
                .filter(|s| !s.terminal)
                .map(|s| s.name.clone())
                .collect();
            (workflow.name, open)
        })
        .collect())
}

/// `(workflow, status)` is one of the open states, on whichever table has those columns.
fn is_open<W, S>(open: &[(String, Vec<String>)], workflow: W, status: S) -> Condition
where
    W: ColumnTrait,
    S: ColumnTrait,
{
    open.iter().fold(Condition::any(), |any, (name, statuses)| {
        any.add(
            workflow
                .eq(name.clone())
                .and(status.is_in(statuses.clone())),
        )
    })
}

/// Open orders (in a state that is not final) past their valid-until or estimated completion,
/// that is, due (the earlier of the two) before `now`. For managers and admins the days before
/// today come from the due-day counts and only today's from the rows.
async fn overdue(state: &AppState, viewer: &Viewer, now: NaiveDateTime) -> AppResult<u64> {
    let db = state.db.conn();
    let open = open_states(db).await?;
    let scoped = viewer.scope(order::Entity::find()).filter(is_open(
        &open,
        order::Column::Workflow,
        order::Column::Status,
    ));
    if !viewer.sees_everything() {
        return count_due(db, scoped, None, now).await;
    }
    let today = now.date().and_time(NaiveTime::MIN);
    let before_today = summed_orders(
        db,
        stats::due_row::Entity::find()
            .filter(stats::due_row::Column::Day.lt(day_key(today)))
            .filter(is_open(
                &open,
                stats::due_row::Column::Workflow,
                stats::due_row::Column::Status,
            )),
    )
    .await?;
    Ok(before_today + count_due(db, scoped, Some(today), now).await?)
}

/// Orders of `scoped` due in `[from, to)` (from the beginning when `from` is `None`): two
/// disjoint counts, each along its own deadline index.
async fn count_due<C: ConnectionTrait>(
    db: &C,
    scoped: sea_orm::Select<order::Entity>,
    from: Option<NaiveDateTime>,
    to: NaiveDateTime,
) -> AppResult<u64> {
    let [past_valid, past_estimate] = due_queries(scoped, from, to);
    Ok(past_valid.count(db).await? + past_estimate.count(db).await?)
}

/// The two disjoint queries of [`count_due`]: past valid-until, and past the estimate only.
fn due_queries(
    scoped: sea_orm::Select<order::Entity>,
    from: Option<NaiveDateTime>,
    to: NaiveDateTime,
) -> [sea_orm::Select<order::Entity>; 2] {
    use order::Column::{EstimatedCompletion, ValidUntil};
    // Valid-until is the earlier deadline and falls in the range ...
    let mut past_valid = scoped.clone().filter(ValidUntil.lt(to));
    // ... or it does not (missing, or not yet reached), and the estimate is and does.
    let mut past_estimate = scoped.filter(EstimatedCompletion.lt(to)).filter(
        Condition::any()
            .add(ValidUntil.is_null())
            .add(ValidUntil.gte(to)),
    );
    if let Some(from) = from {
        past_valid = past_valid.filter(ValidUntil.gte(from)).filter(
            Condition::any()
                .add(EstimatedCompletion.is_null())
                .add(EstimatedCompletion.gte(from)),
        );
        past_estimate = past_estimate.filter(EstimatedCompletion.gte(from));
    }
    [past_valid, past_estimate]
}

/// The latest status changes of orders the viewer may see.
async fn recent_activity(state: &AppState, viewer: &Viewer) -> AppResult<Vec<Activity>> {
    let db = state.db.conn();
    let mut query = history::Entity::find()
        .order_by_desc(history::Column::CreatedAt)
        .order_by_desc(history::Column::Id)
        .limit(RECENT);
    if !viewer.sees_everything() {
        let visible = viewer
            .scope(order::Entity::find())
            .select_only()
            .column(order::Column::Id)
            .into_query();
        query = query.filter(history::Column::OrderId.in_subquery(visible));
    }
    let steps = query.all(db).await?;
    let ids: Vec<Uuid> = steps.iter().map(|s| s.order_id).collect();
    let numbers: BTreeMap<Uuid, String> = order::Entity::find()
        .select_only()
        .column(order::Column::Id)
        .column(order::Column::Number)
        .filter(order::Column::Id.is_in(ids))
        .into_tuple::<(Uuid, String)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    Ok(steps
        .into_iter()
        .map(|s| Activity {
            number: numbers.get(&s.order_id).cloned().unwrap_or_default(),
            order_id: s.order_id,
            from: s.from_status,
            to: s.to_status,
            actor_id: s.actor_id,
            at: crate::time::utc(s.created_at),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ordo_migration::MigratorTrait as _;
    use sea_orm::DbBackend;

    /// The indexes SQLite plans to read for `query`.
    async fn indexes_read(
        db: &sea_orm::DatabaseConnection,
        query: sea_orm::Select<order::Entity>,
    ) -> Vec<String> {
        crate::db::sqlite_plan(db, query.build(DbBackend::Sqlite)).await
    }

    /// Indexes holding only the orders that have an assignee, a completion time or a deadline
    /// still serve every query that asks for one: the assignee filter, completions per day and
    /// both overdue counts.
    #[tokio::test]
    async fn later_fields_are_read_from_their_partial_indexes() {
        let db = sea_orm::Database::connect("sqlite::memory:").await.unwrap();
        ordo_migration::Migrator::up(&db, None).await.unwrap();
        let open = vec![
            (
                "standard".to_string(),
                vec!["new".to_string(), "paid".to_string()],
            ),
            ("rake".to_string(), vec!["draft".to_string()]),
        ];
        let scoped = order::Entity::find().filter(is_open(
            &open,
            order::Column::Workflow,
            order::Column::Status,
        ));
        let now = NaiveDateTime::parse_from_str("2026-11-24 12:00:00", "%F %T").unwrap();
        let today = now.date().and_time(NaiveTime::MIN);
        let mut expected = vec![
            (
                "assignee",
                order::Entity::find().filter(order::Column::AssigneeId.eq(Uuid::now_v7())),
                "ix_orders_assignee_set",
            ),
            (
                "completed per day",
                order::Entity::find()
                    .filter(order::Column::CompletedAt.gte(today))
                    .filter(order::Column::CompletedAt.lt(now)),
                "ix_orders_completed_set",
            ),
        ];
        for from in [None, Some(today)] {
            let [past_valid, past_estimate] = due_queries(scoped.clone(), from, now);
            expected.push(("past valid-until", past_valid, "ix_orders_due_set"));
            expected.push(("past estimate", past_estimate, "ix_orders_estimated_set"));
        }
        for (what, query, index) in &expected {
            let steps = indexes_read(&db, query.clone()).await;
            assert!(
                steps.iter().any(|step| step.contains(index)),
                "{what}: {steps:?}"
            );
            assert!(
                steps.iter().all(|step| !step.starts_with("SCAN orders")),
                "{what}: {steps:?}"
            );
        }
        // Each holds only the orders that have the value.
        for (what, _, index) in &expected {
            let sql: String = db
                .query_one(sea_orm::Statement::from_sql_and_values(
                    DbBackend::Sqlite,
                    "SELECT sql FROM sqlite_master WHERE name = ?",
                    [(*index).into()],
                ))
                .await
                .unwrap()
                .unwrap()
                .try_get("", "sql")
                .unwrap();
            assert!(sql.ends_with("IS NOT NULL"), "{what}: {sql}");
        }
        // The migration (the last one) can be undone, which brings the whole indexes back, and
        // applied again.
        ordo_migration::Migrator::down(&db, Some(1)).await.unwrap();
        for (what, query, index) in &expected {
            let whole = index.trim_end_matches("_set");
            let steps = indexes_read(&db, query.clone()).await;
            assert!(
                steps.iter().any(|step| step.contains(&format!("{whole} "))),
                "{what}: {steps:?}"
            );
        }
        ordo_migration::Migrator::up(&db, None).await.unwrap();
        let (_, query, index) = &expected[0];
        let steps = indexes_read(&db, query.clone()).await;
        assert!(steps.iter().any(|step| step.contains(index)), "{steps:?}");
    }
}
