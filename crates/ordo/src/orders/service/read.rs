//! Reading orders: one with everything about it, or a filtered, scoped page of them.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::catalog::entity::customer;
use crate::error::{AppError, AppResult};
use crate::http::pagination::{fetch_page, like_pattern, lower_like, Page, PageRequest, SortOrder};
use crate::orders::access::Viewer;
use crate::orders::entity::{
    item,
    order::{self, Column},
};
use crate::orders::store;
use crate::orders::view::{AllowedTransition, OrderSummary, OrderView};
use crate::state::AppState;
use crate::workflow::{engine, store as workflows, OrderField};

/// Everything about one order, including what this viewer may do next.
pub async fn view<C: ConnectionTrait>(
    db: &C,
    state: &AppState,
    viewer: &Viewer,
    order: order::Model,
) -> AppResult<OrderView> {
    let items = store::items(db, order.id).await?;
    let shipments = store::shipments(db, order.id).await?;
    let history = store::history(db, order.id).await?;
    let workflow = workflows::get(db, &order.workflow).await?;
    let everything = |_: OrderField| true;
    let facts = super::transition::facts(state, &order, &everything);
    let allowed = engine::allowed(&workflow, &viewer.actor(&order), &facts)
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
    Ok(OrderView {
        order: order.into(),
        items: items.into_iter().map(Into::into).collect(),
        shipments: shipments.into_iter().map(Into::into).collect(),
        history: history.into_iter().map(Into::into).collect(),
        allowed_transitions: allowed,
    })
}

pub async fn get(state: &AppState, viewer: &Viewer, id: Uuid) -> AppResult<OrderView> {
    let db = state.db.conn();
    let order = store::find(db, id).await?;
    viewer.ensure_visible(&order)?;
    view(db, state, viewer, order).await
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

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct OrderQuery {
    #[param(minimum = 1, maximum = 1000000)]
    pub page: Option<u64>,
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u64>,
    pub sort: Option<OrderSort>,
    pub order: Option<SortOrder>,
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
    /// Matches number, title, customer name, material, destination, party, mill, tracking number and item SKU.
    #[param(max_length = 100)]
    pub search: Option<String>,
}

pub async fn list(
    state: &AppState,
    viewer: &Viewer,
    q: OrderQuery,
    page: PageRequest,
) -> AppResult<Page<OrderSummary>> {
    let mut query = viewer.scope(order::Entity::find());
    if let Some(status) = q.status.as_deref().filter(|s| !s.is_empty()) {
        query = query.filter(Column::Status.eq(status));
    }
    if let Some(workflow) = q.workflow.as_deref().filter(|s| !s.is_empty()) {
        query = query.filter(Column::Workflow.eq(workflow));
    }
    if let Some(priority) = q.priority {
        if !(1..=4).contains(&priority) {
            return Err(AppError::field("priority", "must be 1, 2, 3 or 4"));
        }
        query = query.filter(Column::Priority.eq(priority));
    }
    if let Some(id) = q.customer_id {
        query = query.filter(Column::CustomerId.eq(id));
    }
    if let Some(id) = q.assignee_id {
        query = query.filter(Column::AssigneeId.eq(id));
    }
    for (bound, column, lower) in [
        (q.created_from, Column::CreatedAt, true),
        (q.created_to, Column::CreatedAt, false),
        (q.updated_from, Column::UpdatedAt, true),
        (q.updated_to, Column::UpdatedAt, false),
    ] {
        if let Some(at) = bound {
            let at = crate::time::stored(at);
            query = query.filter(if lower { column.gte(at) } else { column.lt(at) });
        }
    }
    if let Some(search) = q.search.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        if search.chars().count() > 100 {
            return Err(AppError::field("search", "must be at most 100 characters"));
        }
        let pattern = like_pattern(search);
        let customers = Query::select()
            .column(customer::Column::Id)
            .from(customer::Entity)
            .and_where(lower_like(customer::Column::Name, &pattern))
            .to_owned();
        let skus = Query::select()
            .column(item::Column::OrderId)
            .from(item::Entity)
            .and_where(lower_like(item::Column::Code, &pattern))
            .to_owned();
        let mut any = Condition::any();
        for column in [
            Column::Number,
            Column::Title,
            Column::MaterialCode,
            Column::MaterialDescription,
            Column::Destination,
            Column::Party,
            Column::Origin,
            Column::TrackingNumber,
        ] {
            any = any.add(lower_like(column, &pattern));
        }
        any = any
            .add(Expr::col(Column::CustomerId).in_subquery(customers))
            .add(Expr::col(Column::Id).in_subquery(skus));
        query = query.filter(any);
    }
    let column = match q.sort.unwrap_or_default() {
        OrderSort::CreatedAt => Column::CreatedAt,
        OrderSort::UpdatedAt => Column::UpdatedAt,
        OrderSort::Number => Column::Number,
        OrderSort::Priority => Column::Priority,
        OrderSort::Total => Column::Total,
        OrderSort::Status => Column::Status,
    };
    let query = match q.order.unwrap_or_default() {
        SortOrder::Asc => query.order_by_asc(column).order_by_asc(Column::Id),
        SortOrder::Desc => query.order_by_desc(column).order_by_desc(Column::Id),
    };
    Ok(fetch_page(state.db.conn(), query, page).await?)
}
