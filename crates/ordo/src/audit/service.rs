use crate::db::{Deferring, FixedInsert};
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, Set};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::entity::{self, Column, Entity as AuditLog};
use crate::error::AppResult;
use crate::http::context::RequestContext;
use crate::http::pagination::{fetch_page, Page, PageRequest};

/// What happened, to be recorded for the acting user.
pub struct AuditEntry {
    /// Dotted verb, e.g. `user.created`, `auth.login_failed`.
    pub action: &'static str,
    pub entity_type: &'static str,
    pub entity_id: Option<String>,
    pub details: serde_json::Value,
}

impl AuditEntry {
    pub fn new(action: &'static str, entity_type: &'static str, entity_id: impl ToString) -> Self {
        Self {
            action,
            entity_type,
            entity_id: Some(entity_id.to_string()),
            details: serde_json::Value::Null,
        }
    }

    pub fn with_details(mut self, details: serde_json::Value) -> Self {
        self.details = details;
        self
    }
}

/// Writes one audit entry on `db`, which should be the transaction that makes the change.
pub async fn record<C: Deferring>(
    db: &C,
    actor: Option<Uuid>,
    ctx: &RequestContext,
    entry: AuditEntry,
) -> Result<(), DbErr> {
    static INSERT: FixedInsert = FixedInsert::new();
    let row = entity::ActiveModel {
        id: Set(Uuid::now_v7()),
        actor_id: Set(actor),
        action: Set(entry.action.to_string()),
        entity_type: Set(entry.entity_type.to_string()),
        entity_id: Set(entry.entity_id),
        details: Set(entry.details.to_string()),
        request_id: Set(Some(ctx.request_id.clone())),
        ip: Set(ctx.ip.clone()),
        user_agent: Set(ctx.user_agent.clone()),
        created_at: Set(crate::time::now()),
    };
    db.defer_insert(&INSERT, vec![row]).await
}

#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    pub user_id: Option<Uuid>,
    pub action: Option<String>,
    pub entity_type: Option<String>,
    pub entity_id: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditLogView {
    pub id: Uuid,
    pub actor_id: Option<Uuid>,
    pub action: String,
    pub entity_type: String,
    pub entity_id: Option<String>,
    pub details: serde_json::Value,
    pub request_id: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<entity::Model> for AuditLogView {
    fn from(m: entity::Model) -> Self {
        Self {
            id: m.id,
            actor_id: m.actor_id,
            action: m.action,
            entity_type: m.entity_type,
            entity_id: m.entity_id,
            details: serde_json::from_str(&m.details).unwrap_or(serde_json::Value::Null),
            request_id: m.request_id,
            ip: m.ip,
            user_agent: m.user_agent,
            created_at: crate::time::utc(m.created_at),
        }
    }
}

/// Newest first.
/// The entries that pass `filter`, unordered (shared by the list and the export).
pub fn filtered(filter: AuditFilter) -> sea_orm::Select<AuditLog> {
    let mut query = AuditLog::find();
    if let Some(user_id) = filter.user_id {
        query = query.filter(Column::ActorId.eq(user_id));
    }
    if let Some(action) = filter.action {
        query = query.filter(Column::Action.eq(action));
    }
    if let Some(entity_type) = filter.entity_type {
        query = query.filter(Column::EntityType.eq(entity_type));
    }
    if let Some(entity_id) = filter.entity_id {
        query = query.filter(Column::EntityId.eq(entity_id));
    }
    if let Some(from) = filter.from {
        query = query.filter(Column::CreatedAt.gte(crate::time::stored(from)));
    }
    if let Some(to) = filter.to {
        query = query.filter(Column::CreatedAt.lt(crate::time::stored(to)));
    }
    query
}

pub async fn list<C: ConnectionTrait>(
    db: &C,
    filter: AuditFilter,
    page: PageRequest,
) -> AppResult<Page<AuditLogView>> {
    let query = filtered(filter);
    let query = query
        .order_by_desc(Column::CreatedAt)
        .order_by_desc(Column::Id);
    Ok(fetch_page(db, query, page).await?)
}
