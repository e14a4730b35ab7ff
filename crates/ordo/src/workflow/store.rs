//! Where workflows come from: the built-ins in code, custom ones from the database (so every
//! instance sees a new workflow at once, without a restart).

use std::sync::Arc;

use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, QueryOrder, Set};
use serde_json::json;

use super::builtin;
use super::definition::Workflow;
use crate::audit::AuditEntry;
use crate::error::{AppError, AppResult};
use crate::events::record_change;
use crate::http::auth::AuthUser;
use crate::http::context::RequestContext;
use crate::state::AppState;

pub mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "workflows")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub name: String,
        /// The definition as JSON.
        pub definition: String,
        pub created_by: Option<Uuid>,
        pub created_at: DateTime,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

fn parse(row: entity::Model) -> AppResult<Workflow> {
    serde_json::from_str(&row.definition).map_err(|e| {
        AppError::Internal(anyhow::anyhow!(
            "stored workflow {} is unreadable: {e}",
            row.name
        ))
    })
}

pub async fn find<C: ConnectionTrait>(db: &C, name: &str) -> AppResult<Option<Arc<Workflow>>> {
    if let Some(workflow) = builtin::find(name) {
        return Ok(Some(workflow));
    }
    match entity::Entity::find_by_id(name.to_string()).one(db).await? {
        Some(row) => parse(row).map(|w| Some(Arc::new(w))),
        None => Ok(None),
    }
}

pub async fn get<C: ConnectionTrait>(db: &C, name: &str) -> AppResult<Arc<Workflow>> {
    find(db, name).await?.ok_or(AppError::NotFound("workflow"))
}

pub async fn list<C: ConnectionTrait>(db: &C) -> AppResult<Vec<Workflow>> {
    let mut all = builtin::all();
    for row in entity::Entity::find()
        .order_by_asc(entity::Column::Name)
        .all(db)
        .await?
    {
        all.push(parse(row)?);
    }
    Ok(all)
}

pub async fn create(
    state: &AppState,
    actor: &AuthUser,
    workflow: Workflow,
    ctx: &RequestContext,
) -> AppResult<Workflow> {
    workflow.validate().map_err(AppError::Validation)?;
    let txn = state.db.begin_write().await?;
    if find(&txn, &workflow.name).await?.is_some() {
        return Err(AppError::conflict(
            "name",
            format!("a workflow named {} exists", workflow.name),
        ));
    }
    entity::ActiveModel {
        name: Set(workflow.name.clone()),
        definition: Set(serde_json::to_string(&workflow).map_err(|e| AppError::Internal(e.into()))?),
        created_by: Set(Some(actor.id)),
        created_at: Set(crate::time::now()),
    }
    .insert(&txn)
    .await?;
    let entry = AuditEntry::new("workflow.created", "workflow", &workflow.name)
        .with_details(json!({ "definition": workflow }));
    record_change(&txn, Some(actor.id), ctx, entry).await?;
    txn.commit().await?;
    Ok(workflow)
}
