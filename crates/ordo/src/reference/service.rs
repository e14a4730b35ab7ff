use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use super::entity::{self, Column, Entity as Entry};
use crate::audit::AuditEntry;
use crate::error::{AppError, AppResult, FieldError};
use crate::events::record_change;
use crate::http::auth::AuthUser;
use crate::http::context::RequestContext;
use crate::identity::fields::{self, Checker};
use crate::state::AppState;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Priority,
    Destination,
    Material,
    Party,
    Mill,
    Carrier,
}

impl Kind {
    pub const ALL: [Kind; 6] = [
        Kind::Priority,
        Kind::Destination,
        Kind::Material,
        Kind::Party,
        Kind::Mill,
        Kind::Carrier,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Priority => "priority",
            Kind::Destination => "destination",
            Kind::Material => "material",
            Kind::Party => "party",
            Kind::Mill => "mill",
            Kind::Carrier => "carrier",
        }
    }

    /// Accepts the plural forms used in URLs (`/reference/destinations`).
    pub fn parse(s: &str) -> Option<Kind> {
        let singular = match s {
            "priorities" => "priority",
            "parties" => "party",
            other => other.strip_suffix('s').unwrap_or(other),
        };
        Kind::ALL.into_iter().find(|k| k.as_str() == singular)
    }

    fn defaults(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Kind::Priority => &[
                ("1", "Critical: dispatch first"),
                ("2", "High"),
                ("3", "Normal"),
                ("4", "Low"),
            ],
            Kind::Destination => &[
                ("MUMBAI", "Mumbai port yard"),
                ("CHENNAI", "Chennai stockyard"),
                ("KOLKATA", "Kolkata stockyard"),
                ("DELHI", "Delhi (Tughlakabad ICD)"),
                ("VIZAG", "Visakhapatnam port"),
            ],
            Kind::Material => &[
                ("HRC", "Hot rolled coil"),
                ("CRC", "Cold rolled coil"),
                ("TMT", "TMT reinforcement bars"),
                ("PLATE", "Heavy plate"),
                ("BILLET", "Billets"),
                ("SLAB", "Slabs"),
                ("WIRE", "Wire rod"),
            ],
            Kind::Party => &[
                ("ACME-INFRA", "Acme Infrastructure Ltd"),
                ("NORTHERN-RAIL", "Northern Rail Projects"),
                ("COASTAL-SHIP", "Coastal Shipbuilders"),
                ("METRO-BUILD", "Metro Builders & Co"),
            ],
            Kind::Mill => &[
                ("BSP", "Bhilai Steel Plant"),
                ("RSP", "Rourkela Steel Plant"),
                ("DSP", "Durgapur Steel Plant"),
                ("BSL", "Bokaro Steel Plant"),
            ],
            Kind::Carrier => &[
                ("RAIL", "Railway rake"),
                ("ROAD", "Road transport"),
                ("DHL", "DHL"),
                ("FEDEX", "FedEx"),
                ("UPS", "UPS"),
            ],
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EntryView {
    pub id: Uuid,
    pub kind: Kind,
    pub code: String,
    pub description: String,
    pub rank: i32,
    pub active: bool,
    pub used: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<entity::Model> for EntryView {
    fn from(m: entity::Model) -> Self {
        Self {
            id: m.id,
            kind: Kind::parse(&m.kind).unwrap_or(Kind::Destination),
            code: m.code,
            description: m.description,
            rank: m.rank,
            active: m.active,
            used: m.used,
            created_at: crate::time::utc(m.created_at),
            updated_at: crate::time::utc(m.updated_at),
        }
    }
}

/// Fills each empty list with sensible defaults; safe to run at every start and on many instances.
pub async fn seed_defaults<C: ConnectionTrait>(db: &C) -> Result<(), sea_orm::DbErr> {
    for kind in Kind::ALL {
        if Entry::find()
            .filter(Column::Kind.eq(kind.as_str()))
            .count(db)
            .await?
            > 0
        {
            continue;
        }
        for (rank, (code, description)) in kind.defaults().iter().enumerate() {
            let now = crate::time::now();
            let row = entity::ActiveModel {
                id: Set(Uuid::now_v7()),
                kind: Set(kind.as_str().to_string()),
                code: Set(code.to_string()),
                description: Set(description.to_string()),
                rank: Set(code.parse().unwrap_or(rank as i32 + 1)),
                active: Set(true),
                used: Set(false),
                created_at: Set(now),
                updated_at: Set(now),
            };
            // Another instance may be seeding at the same moment; its rows are as good.
            if let Err(err) = row.insert(db).await {
                tracing::debug!(error = %err, "reference default already present");
            }
        }
    }
    Ok(())
}

pub async fn list(
    state: &AppState,
    kind: Kind,
    include_inactive: bool,
) -> AppResult<Vec<EntryView>> {
    let mut query = Entry::find().filter(Column::Kind.eq(kind.as_str()));
    if !include_inactive {
        query = query.filter(Column::Active.eq(true));
    }
    let rows = query
        .order_by_asc(Column::Rank)
        .order_by_asc(Column::Code)
        .all(state.db.conn())
        .await?;
    Ok(rows.into_iter().map(EntryView::from).collect())
}

/// Checks that `code` is an active entry of `kind` and marks it used; `field` names the request
/// field in the error.
pub async fn ensure_active<C: ConnectionTrait>(
    db: &C,
    kind: Kind,
    code: &str,
    field: &str,
) -> Result<(), AppError> {
    let entry = Entry::find()
        .filter(Column::Kind.eq(kind.as_str()))
        .filter(Column::Code.eq(code))
        .one(db)
        .await?;
    match entry {
        Some(e) if e.active => {
            if !e.used {
                Entry::update_many()
                    .col_expr(Column::Used, Expr::value(true))
                    .filter(Column::Id.eq(e.id))
                    .exec(db)
                    .await?;
            }
            Ok(())
        }
        Some(_) => Err(AppError::field(
            field,
            format!("{code} is no longer an active {}", kind.as_str()),
        )),
        None => Err(AppError::field(
            field,
            format!("{code} is not a known {}", kind.as_str()),
        )),
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EntryInput {
    /// Unique within the list; for priorities the number 1-4.
    #[schema(min_length = 1, max_length = 64)]
    pub code: Option<String>,
    #[schema(min_length = 1, max_length = 500)]
    pub description: Option<String>,
    /// Sort order (default: after the others).
    pub rank: Option<i32>,
    pub active: Option<bool>,
}

fn parse_code(kind: Kind, raw: &str) -> Result<String, FieldError> {
    let code = raw.trim().to_uppercase();
    if kind == Kind::Priority && !matches!(code.as_str(), "1" | "2" | "3" | "4") {
        return Err(FieldError::new(
            "code",
            "a priority is a number from 1 to 4",
        ));
    }
    let ok = !code.is_empty()
        && code.len() <= 64
        && code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._/-".contains(c));
    if !ok {
        return Err(FieldError::new(
            "code",
            "must be 1-64 letters, digits, '.', '_', '/' or '-'",
        ));
    }
    Ok(code)
}

fn snapshot(e: &entity::Model) -> serde_json::Value {
    json!({ "kind": e.kind, "code": e.code, "description": e.description, "rank": e.rank, "active": e.active })
}

pub async fn create(
    state: &AppState,
    actor: &AuthUser,
    kind: Kind,
    input: EntryInput,
    ctx: &RequestContext,
) -> AppResult<EntryView> {
    let mut check = Checker::default();
    let code = match &input.code {
        Some(c) => check.check(parse_code(kind, c)),
        None => check.check(Err(FieldError::new("code", "is required"))),
    };
    let description = match &input.description {
        Some(d) => check.check(fields::required_text("description", d, 500)),
        None => check.check(Err(FieldError::new("description", "is required"))),
    };
    check.finish()?;
    let code = code.expect("checked");
    let rank = input.rank.unwrap_or_else(|| {
        if kind == Kind::Priority {
            code.parse().unwrap_or(0)
        } else {
            1000
        }
    });
    let now = crate::time::now();
    let txn = state.db.begin_write().await?;
    let exists = Entry::find()
        .filter(Column::Kind.eq(kind.as_str()))
        .filter(Column::Code.eq(code.clone()))
        .count(&txn)
        .await?;
    if exists > 0 {
        return Err(AppError::conflict("code", format!("{code} already exists")));
    }
    let created = entity::ActiveModel {
        id: Set(Uuid::now_v7()),
        kind: Set(kind.as_str().to_string()),
        code: Set(code),
        description: Set(description.expect("checked")),
        rank: Set(rank),
        active: Set(input.active.unwrap_or(true)),
        used: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    let entry = AuditEntry::new("reference.created", "reference", created.id)
        .with_details(json!({ "after": snapshot(&created) }));
    record_change(&txn, Some(actor.id), ctx, entry).await?;
    txn.commit().await?;
    Ok(created.into())
}

async fn find<C: ConnectionTrait>(db: &C, kind: Kind, id: Uuid) -> AppResult<entity::Model> {
    Entry::find_by_id(id)
        .filter(Column::Kind.eq(kind.as_str()))
        .one(db)
        .await?
        .ok_or(AppError::NotFound("reference entry"))
}

pub async fn update(
    state: &AppState,
    actor: &AuthUser,
    kind: Kind,
    id: Uuid,
    input: EntryInput,
    ctx: &RequestContext,
) -> AppResult<EntryView> {
    let mut check = Checker::default();
    let description = input
        .description
        .as_deref()
        .and_then(|d| check.check(fields::required_text("description", d, 500)));
    if input.code.is_some() {
        check.add(FieldError::new(
            "code",
            "cannot change; create a new entry and deactivate this one",
        ));
    }
    check.finish()?;
    let txn = state.db.begin_write().await?;
    let before = find(&txn, kind, id).await?;
    let mut row: entity::ActiveModel = before.clone().into();
    if let Some(d) = description {
        row.description = Set(d);
    }
    if let Some(rank) = input.rank {
        row.rank = Set(rank);
    }
    if let Some(active) = input.active {
        row.active = Set(active);
    }
    row.updated_at = Set(crate::time::now());
    let after = row.update(&txn).await?;
    let entry = AuditEntry::new("reference.updated", "reference", id)
        .with_details(json!({ "before": snapshot(&before), "after": snapshot(&after) }));
    record_change(&txn, Some(actor.id), ctx, entry).await?;
    txn.commit().await?;
    Ok(after.into())
}

/// Deletes an unused entry (None); an entry that orders used is deactivated instead (Some).
pub async fn delete(
    state: &AppState,
    actor: &AuthUser,
    kind: Kind,
    id: Uuid,
    ctx: &RequestContext,
) -> AppResult<Option<EntryView>> {
    let txn = state.db.begin_write().await?;
    let before = find(&txn, kind, id).await?;
    let result = if before.used {
        let mut row: entity::ActiveModel = before.clone().into();
        row.active = Set(false);
        row.updated_at = Set(crate::time::now());
        let after = row.update(&txn).await?;
        let entry = AuditEntry::new("reference.deactivated", "reference", id)
            .with_details(json!({ "before": snapshot(&before), "after": snapshot(&after) }));
        record_change(&txn, Some(actor.id), ctx, entry).await?;
        Some(after.into())
    } else {
        Entry::delete_by_id(id).exec(&txn).await?;
        let entry = AuditEntry::new("reference.deleted", "reference", id)
            .with_details(json!({ "before": snapshot(&before) }));
        record_change(&txn, Some(actor.id), ctx, entry).await?;
        None
    };
    txn.commit().await?;
    Ok(result)
}
