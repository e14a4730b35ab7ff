//! Reading orders: one with everything about it, or a filtered, scoped page of them.

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, Condition, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    QueryTrait, Select,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::db::rows::{self, KeyedReads};
use crate::db::FixedSql;
use crate::error::{AppError, AppResult};
use crate::http::cursor::{Cursor, CursorPage};
use crate::http::pagination::{fetch_page_by_position, Page, PageRequest, SortOrder};
use crate::orders::access::Viewer;
use crate::orders::entity::order::{self, Column};
use crate::orders::entity::{history, item, shipment, shipment_item};
use crate::orders::view::{AllowedTransition, OrderSummary, OrderView};
use crate::orders::{search, store};
use crate::state::AppState;
use crate::workflow::{engine, store as workflows, OrderField, Workflow};

/// An order just placed, as [`view`] would read it once committed: shown from what was written,
/// without reading it back (it has no shipments yet).
pub fn view_placed(
    state: &AppState,
    viewer: &Viewer,
    placed: super::create::PlacedOrder,
) -> OrderView {
    let super::create::PlacedOrder {
        order,
        items,
        history,
        workflow,
    } = placed;
    assemble(
        state,
        viewer,
        order,
        items,
        Vec::new(),
        vec![history],
        &workflow,
    )
}

/// An order as the API shows it, from what was read of it.
fn assemble(
    state: &AppState,
    viewer: &Viewer,
    order: order::Model,
    items: Vec<item::Model>,
    shipments: Vec<(shipment::Model, Vec<shipment_item::Model>)>,
    history: Vec<history::Model>,
    workflow: &Workflow,
) -> OrderView {
    let everything = |_: OrderField| true;
    let facts = super::transition::facts(state, &order, &everything);
    let allowed = engine::allowed(workflow, &viewer.actor(&order), &facts)
        .into_iter()
        .map(|t| AllowedTransition {
            name: t.name.clone(),
            to: t.to.clone(),
            required_fields: t
                .required_fields
                .iter()
                .map(|f| f.as_str().to_string())
                .collect(),
        })
        .collect();
    OrderView {
        order: order.into(),
        items: items.into_iter().map(Into::into).collect(),
        shipments: shipments.into_iter().map(Into::into).collect(),
        history: history.into_iter().map(Into::into).collect(),
        allowed_transitions: allowed,
    }
}

/// The texts of the statements [`get`] and [`view`] read an order with, built once.
static ORDER_BY_ID: FixedSql = FixedSql::new();
static ITEMS_OF: FixedSql = FixedSql::new();
static HISTORY_OF: FixedSql = FixedSql::new();
static SHIPMENTS_OF: FixedSql = FixedSql::new();
static SHIPMENT_LINES_OF: FixedSql = FixedSql::new();

/// An order's shipments with their lines, as [`store::shipments`] gives them, read by key.
async fn shipments_with_lines(
    reads: &mut KeyedReads<'_>,
    backend: DbBackend,
    order_id: Uuid,
) -> AppResult<Vec<(shipment::Model, Vec<shipment_item::Model>)>> {
    let shipments = SHIPMENTS_OF.keyed(backend, order_id, store::shipments_of);
    let shipments = reads.select(shipments, shipment::Model::from_row).await?;
    if shipments.is_empty() {
        return Ok(Vec::new());
    }
    let lines = SHIPMENT_LINES_OF.keyed(backend, order_id, store::shipment_lines_of);
    let mut lines = reads.select(lines, shipment_item::Model::from_row).await?;
    Ok(shipments
        .into_iter()
        .map(|shipment| {
            let (mine, rest) = lines.drain(..).partition(|l| l.shipment_id == shipment.id);
            lines = rest;
            (shipment, mine)
        })
        .collect())
}

/// One order for the caller. The order, its items, history and shipments are each found by a
/// key, so they are read where the request runs, together (see [`KeyedReads`]).
pub async fn get(state: &AppState, viewer: &Viewer, id: Uuid) -> AppResult<OrderView> {
    let mut reads = KeyedReads::begin(&state.db)?;
    let found = ORDER_BY_ID.keyed(state.db.backend(), id, order::Entity::find_by_id);
    let order = reads
        .select(found, order::Model::from_row)
        .await?
        .pop()
        .ok_or(AppError::NotFound("order"))?;
    viewer.ensure_visible(&order)?;
    details(state, viewer, order, reads).await
}

/// Everything about `order`, which the caller has just changed and committed, including what
/// this viewer may do next. Read as [`get`] reads it.
pub async fn view(state: &AppState, viewer: &Viewer, order: order::Model) -> AppResult<OrderView> {
    details(state, viewer, order, KeyedReads::begin(&state.db)?).await
}

/// `order` with its items, history and shipments, read through `reads`.
async fn details(
    state: &AppState,
    viewer: &Viewer,
    order: order::Model,
    mut reads: KeyedReads<'_>,
) -> AppResult<OrderView> {
    let backend = state.db.backend();
    let id = order.id;
    let items = ITEMS_OF.keyed(backend, id, store::items_of);
    let items = reads.select(items, item::Model::from_row).await?;
    let history = HISTORY_OF.keyed(backend, id, store::history_of);
    let history = reads.select(history, history::Model::from_row).await?;
    let shipments = shipments_with_lines(&mut reads, backend, id).await?;
    drop(reads);
    let workflow = workflows::get(state.db.conn(), &order.workflow).await?;
    Ok(assemble(
        state, viewer, order, items, shipments, history, &workflow,
    ))
}

#[derive(Clone, Copy, Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum OrderSort {
    #[default]
    CreatedAt,
    UpdatedAt,
    Number,
    Priority,
    Total,
    Status,
}

impl OrderSort {
    fn column(self) -> Column {
        match self {
            OrderSort::CreatedAt => Column::CreatedAt,
            OrderSort::UpdatedAt => Column::UpdatedAt,
            OrderSort::Number => Column::Number,
            OrderSort::Priority => Column::Priority,
            OrderSort::Total => Column::Total,
            OrderSort::Status => Column::Status,
        }
    }

    fn name(self) -> &'static str {
        match self {
            OrderSort::CreatedAt => "createdAt",
            OrderSort::UpdatedAt => "updatedAt",
            OrderSort::Number => "number",
            OrderSort::Priority => "priority",
            OrderSort::Total => "total",
            OrderSort::Status => "status",
        }
    }

    /// The sort value of `order`, as a cursor carries it.
    fn value_of(self, order: &order::Model) -> String {
        const AT: &str = "%Y-%m-%dT%H:%M:%S%.6f";
        match self {
            OrderSort::CreatedAt => order.created_at.format(AT).to_string(),
            OrderSort::UpdatedAt => order.updated_at.format(AT).to_string(),
            OrderSort::Number => order.number.clone(),
            OrderSort::Priority => order.priority.to_string(),
            OrderSort::Total => order.total.to_string(),
            OrderSort::Status => order.status.clone(),
        }
    }

    /// A cursor's sort value back as a database value.
    fn parse_value(self, text: &str) -> Option<sea_orm::Value> {
        Some(match self {
            OrderSort::CreatedAt | OrderSort::UpdatedAt => {
                chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f")
                    .ok()?
                    .into()
            }
            OrderSort::Number | OrderSort::Status => text.to_string().into(),
            OrderSort::Priority => text.parse::<i32>().ok()?.into(),
            OrderSort::Total => text.parse::<i64>().ok()?.into(),
        })
    }
}

/// `query` sorted by `column`, then by id to make the order total.
fn sorted(
    query: Select<order::Entity>,
    column: Column,
    direction: SortOrder,
) -> Select<order::Entity> {
    match direction {
        SortOrder::Asc => query.order_by_asc(column).order_by_asc(Column::Id),
        SortOrder::Desc => query.order_by_desc(column).order_by_desc(Column::Id),
    }
}

/// The rows that come after (`value`, `id`) in a list sorted by `column` then id, `direction`
/// both. Written as `column <= value AND (column < value OR id < after)` (for descending) rather
/// than `column < value OR (column = value AND id < after)`: the same rows, but the first half
/// bounds a range of the sort column's index, which is read from the cursor on until the page is
/// full. With the OR at the top, SQLite gathers every row below the cursor from two index
/// searches and sorts them all before the page is cut: seconds a page on a million orders.
fn beyond(column: Column, value: sea_orm::Value, id: Uuid, direction: SortOrder) -> Condition {
    let (within, past, id_past) = match direction {
        SortOrder::Asc => (
            column.gte(value.clone()),
            column.gt(value),
            Column::Id.gt(id),
        ),
        SortOrder::Desc => (
            column.lte(value.clone()),
            column.lt(value),
            Column::Id.lt(id),
        ),
    };
    Condition::all()
        .add(within)
        .add(Condition::any().add(past).add(id_past))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct OrderListParams {
    #[param(minimum = 1, maximum = 1000000)]
    pub page: Option<u64>,
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u64>,
    /// Continue after the page that handed out this `nextCursor` (same sort and filters); the
    /// answer then has no totals, and deep pages cost what the first does.
    #[param(max_length = 400)]
    pub cursor: Option<String>,
    pub sort: Option<OrderSort>,
    pub order: Option<SortOrder>,
}

/// The filters shared by the order list and its export.
#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct OrderFilter {
    pub status: Option<String>,
    pub workflow: Option<String>,
    #[param(minimum = 1, maximum = 4)]
    pub priority: Option<i32>,
    pub customer_id: Option<Uuid>,
    pub assignee_id: Option<Uuid>,
    pub created_from: Option<DateTime<Utc>>,
    pub created_to: Option<DateTime<Utc>>,
    pub updated_from: Option<DateTime<Utc>>,
    pub updated_to: Option<DateTime<Utc>>,
    /// Words that must each start a word of the order's number, title, customer name,
    /// material, destination, origin, party, tracking number or item codes.
    #[param(max_length = 100)]
    pub search: Option<String>,
}

/// The orders `viewer` may see that pass `filter`, unordered.
pub fn filtered(
    state: &AppState,
    viewer: &Viewer,
    filter: &OrderFilter,
) -> AppResult<Select<order::Entity>> {
    let mut query = viewer.scope(order::Entity::find());
    if let Some(status) = filter.status.as_deref().filter(|s| !s.is_empty()) {
        query = query.filter(Column::Status.eq(status));
    }
    if let Some(workflow) = filter.workflow.as_deref().filter(|s| !s.is_empty()) {
        query = query.filter(Column::Workflow.eq(workflow));
    }
    if let Some(priority) = filter.priority {
        if !(1..=4).contains(&priority) {
            return Err(AppError::field("priority", "must be 1, 2, 3 or 4"));
        }
        query = query.filter(Column::Priority.eq(priority));
    }
    if let Some(id) = filter.customer_id {
        query = query.filter(Column::CustomerId.eq(id));
    }
    if let Some(id) = filter.assignee_id {
        query = query.filter(Column::AssigneeId.eq(id));
    }
    for (bound, column, lower) in [
        (filter.created_from, Column::CreatedAt, true),
        (filter.created_to, Column::CreatedAt, false),
        (filter.updated_from, Column::UpdatedAt, true),
        (filter.updated_to, Column::UpdatedAt, false),
    ] {
        if let Some(at) = bound {
            let at = crate::time::stored(at);
            query = query.filter(if lower { column.gte(at) } else { column.lt(at) });
        }
    }
    if let Some(search) = filter
        .search
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        if search.chars().count() > 100 {
            return Err(AppError::field("search", "must be at most 100 characters"));
        }
        query = query.filter(search::condition(state.db.backend(), search)?);
    }
    Ok(query)
}

/// A page of orders: by page number with totals, or after a cursor without them.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum OrderList {
    Paged(Page<OrderSummary>),
    Cursor(CursorPage<OrderSummary>),
}

pub async fn list(
    state: &AppState,
    viewer: &Viewer,
    filter: &OrderFilter,
    q: OrderListParams,
    page: PageRequest,
) -> AppResult<OrderList> {
    let query = filtered(state, viewer, filter)?;
    let sort = q.sort.unwrap_or_default();
    let direction = q.order.unwrap_or_default();
    let sort_name = format!(
        "{}:{}",
        sort.name(),
        if direction == SortOrder::Asc {
            "asc"
        } else {
            "desc"
        }
    );
    let column = sort.column();
    let query = sorted(query, column, direction);
    let next_cursor = |last: Option<&order::Model>| {
        last.map(|o| {
            Cursor {
                sort: sort_name.clone(),
                value: sort.value_of(o),
                id: o.id,
            }
            .encode()
        })
    };
    let Some(text) = q.cursor.as_deref() else {
        let rows = fetch_page_by_position(&state.db, query, page, order::Model::from_row).await?;
        let more = rows.total_count_capped || page.page < rows.total_pages;
        let full = rows.items.len() as u64 == page.limit && more;
        let cursor = if full {
            next_cursor(rows.items.last())
        } else {
            None
        };
        return Ok(OrderList::Paged(
            rows.map(OrderSummary::from).with_next_cursor(cursor),
        ));
    };
    if q.page.is_some() {
        return Err(AppError::field(
            "cursor",
            "use either page or cursor, not both",
        ));
    }
    let after = Cursor::decode(text, &sort_name)?;
    let value = sort
        .parse_value(&after.value)
        .ok_or_else(|| AppError::field("cursor", "is not a cursor this list handed out"))?;
    let page_after = query
        .filter(beyond(column, value, after.id, direction))
        .limit(page.limit + 1)
        .build(state.db.backend());
    let mut rows = rows::select_blocking(&state.db, page_after, order::Model::from_row).await?;
    let more = rows.len() as u64 > page.limit;
    rows.truncate(page.limit as usize);
    let next = if more { next_cursor(rows.last()) } else { None };
    Ok(OrderList::Cursor(CursorPage {
        items: rows.into_iter().map(OrderSummary::from).collect(),
        next_cursor: next,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ordo_migration::MigratorTrait as _;

    use crate::db::sqlite_plan as plan;

    /// An order's history and shipments come out of their indexes in the order they are shown
    /// (time, then id): no sort of their rows on every order read.
    #[tokio::test]
    async fn history_and_shipments_are_read_in_order_from_their_indexes() {
        let db = sea_orm::Database::connect("sqlite::memory:").await.unwrap();
        ordo_migration::Migrator::up(&db, None).await.unwrap();
        let id = Uuid::now_v7();
        for (what, stmt) in [
            ("history", store::history_of(id).build(DbBackend::Sqlite)),
            (
                "shipments",
                store::shipments_of(id).build(DbBackend::Sqlite),
            ),
        ] {
            let steps = plan(&db, stmt).await;
            assert!(
                steps.iter().all(|s| !s.contains("TEMP B-TREE")),
                "{what}: {steps:?}"
            );
            assert!(steps[0].contains("USING INDEX"), "{what}: {steps:?}");
        }
        // The migration that made those indexes (m0011, the second last) can be undone with
        // the one after it (the indexes before it come back) and applied again.
        let history = || store::history_of(id).build(DbBackend::Sqlite);
        ordo_migration::Migrator::down(&db, Some(2)).await.unwrap();
        let steps = plan(&db, history()).await;
        assert!(
            steps[0].contains("ix_order_status_history_order ("),
            "{steps:?}"
        );
        ordo_migration::Migrator::up(&db, None).await.unwrap();
        let steps = plan(&db, history()).await;
        assert!(
            steps[0].contains("ix_order_status_history_order_time"),
            "{steps:?}"
        );
    }

    /// A page after a cursor reads the sort column's index from the cursor on and stops when the
    /// page is full, instead of gathering every row past the cursor from two index searches and
    /// sorting them first. Rows that tie on the sort value are still sorted by id as they are
    /// read (no index orders by a column and then id), which costs little where values are
    /// nearly unique and a whole group of rows for `status`; `priority` has no index at all.
    #[tokio::test]
    async fn a_cursor_page_reads_the_index_from_the_cursor_on() {
        let db = sea_orm::Database::connect("sqlite::memory:").await.unwrap();
        ordo_migration::Migrator::up(&db, None).await.unwrap();
        let sorts = [
            (OrderSort::CreatedAt, "2026-01-02T03:04:05.000006"),
            (OrderSort::UpdatedAt, "2026-01-02T03:04:05.000006"),
            (OrderSort::Number, "ORD-000042"),
            (OrderSort::Total, "12500"),
            (OrderSort::Status, "pending"),
        ];
        for (sort, text) in sorts {
            for direction in [SortOrder::Asc, SortOrder::Desc] {
                let value = sort.parse_value(text).unwrap();
                let column = sort.column();
                let page = sorted(order::Entity::find(), column, direction)
                    .filter(beyond(column, value, Uuid::now_v7(), direction))
                    .limit(21)
                    .build(DbBackend::Sqlite);
                let steps = plan(&db, page).await;
                let gathers = steps
                    .iter()
                    .any(|s| s.contains("MULTI-INDEX OR") || s == "USE TEMP B-TREE FOR ORDER BY");
                assert!(!gathers, "{}: {steps:?}", sort.name());
                assert!(
                    steps[0].contains("USING INDEX")
                        && steps[0].contains(sea_orm::IdenStatic::as_str(&column)),
                    "{}: {steps:?}",
                    sort.name()
                );
            }
        }
    }
}
