use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::service::{self, AuditFilter, AuditLogView};
use crate::error::{AppResult, ErrorBody};
use crate::http::auth::Require;
use crate::http::extract::ApiQuery;
use crate::http::json::ApiJson;
use crate::http::pagination::{Page, PageQuery};
use crate::identity::permissions::Permission;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_audit_logs))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// 1-based page number (default 1).
    #[param(minimum = 1, maximum = 1000000)]
    pub page: Option<u64>,
    /// Items per page (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u64>,
    /// Only entries by this user.
    pub user_id: Option<Uuid>,
    /// e.g. `auth.login_failed`.
    pub action: Option<String>,
    /// e.g. `user`.
    pub entity_type: Option<String>,
    pub entity_id: Option<String>,
    /// RFC 3339; inclusive.
    pub from: Option<DateTime<Utc>>,
    /// RFC 3339; exclusive.
    pub to: Option<DateTime<Utc>>,
}

impl AuditQuery {
    pub fn filter(&self) -> AuditFilter {
        AuditFilter {
            user_id: self.user_id,
            action: self.action.clone(),
            entity_type: self.entity_type.clone(),
            entity_id: self.entity_id.clone(),
            from: self.from,
            to: self.to,
        }
    }
}

/// The audit log, newest first.
#[utoipa::path(get, path = "/api/v1/admin/audit-logs", tag = "audit", params(AuditQuery),
    security(("bearer" = [])),
    responses((status = 200, body = Page<AuditLogView>), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn list_audit_logs(
    State(state): State<AppState>,
    _: Require<{ Permission::ViewAuditLog as u8 }>,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> AppResult<ApiJson<Page<AuditLogView>>> {
    let page = PageQuery {
        page: q.page,
        limit: q.limit,
    }
    .validate()?;
    let filter = q.filter();
    Ok(ApiJson(service::list(state.db.conn(), filter, page).await?))
}
