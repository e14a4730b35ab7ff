//! Page-number pagination shared by every list: `page`, `limit`, `sort`, `order` in,
//! `{items, totalCount, totalPages, currentPage}` out.

use sea_orm::{
    ConnectionTrait, DbErr, EntityTrait, FromQueryResult, PaginatorTrait, QuerySelect, Select,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::AppError;

pub const DEFAULT_LIMIT: u64 = 20;
pub const MAX_LIMIT: u64 = 100;

#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SortOrder {
    Asc,
    #[default]
    Desc,
}

#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// 1-based page number (default 1).
    #[param(minimum = 1, maximum = 1000000)]
    pub page: Option<u64>,
    /// Items per page, 1-100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u64>,
}

#[derive(Clone, Copy, Debug)]
pub struct PageRequest {
    pub page: u64,
    pub limit: u64,
}

impl PageRequest {
    pub fn offset(&self) -> u64 {
        (self.page - 1) * self.limit
    }
}

impl PageQuery {
    pub fn validate(&self) -> Result<PageRequest, AppError> {
        let page = self.page.unwrap_or(1);
        let limit = self.limit.unwrap_or(DEFAULT_LIMIT);
        if page == 0 || page > 1_000_000 {
            return Err(AppError::field(
                "page",
                "page must be between 1 and 1000000",
            ));
        }
        if limit == 0 || limit > MAX_LIMIT {
            return Err(AppError::field(
                "limit",
                format!("limit must be between 1 and {MAX_LIMIT}"),
            ));
        }
        Ok(PageRequest { page, limit })
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total_count: u64,
    pub total_pages: u64,
    pub current_page: u64,
    /// Where lists support cursors: pass as `cursor` to continue after this page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    pub fn new(items: Vec<T>, total_count: u64, request: PageRequest) -> Self {
        Self {
            items,
            total_count,
            total_pages: total_count.div_ceil(request.limit),
            current_page: request.page,
            next_cursor: None,
        }
    }

    pub fn with_next_cursor(mut self, cursor: Option<String>) -> Self {
        self.next_cursor = cursor;
        self
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            total_count: self.total_count,
            total_pages: self.total_pages,
            current_page: self.current_page,
            next_cursor: self.next_cursor,
        }
    }
}

/// Runs `query` (already filtered and ordered) for one page, with the total count of matches.
pub async fn fetch_page<E, C, T>(
    db: &C,
    query: Select<E>,
    request: PageRequest,
) -> Result<Page<T>, DbErr>
where
    E: EntityTrait,
    E::Model: FromQueryResult + Sized + Send + Sync,
    C: ConnectionTrait,
    T: From<E::Model>,
{
    let total = query.clone().count(db).await?;
    let rows = query
        .offset(request.offset())
        .limit(request.limit)
        .all(db)
        .await?;
    Ok(Page::new(
        rows.into_iter().map(T::from).collect(),
        total,
        request,
    ))
}

/// A LIKE pattern matching `search` anywhere, with LIKE wildcards escaped so `50%` means those
/// characters; pair it with [`lower_like`].
pub fn like_pattern(search: &str) -> String {
    let escaped = search
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{}%", escaped.to_lowercase())
}

/// `LOWER(column) LIKE pattern ESCAPE '\'`, the same on every backend.
pub fn lower_like<C: sea_orm::ColumnTrait>(
    column: C,
    pattern: &str,
) -> sea_orm::sea_query::SimpleExpr {
    use sea_orm::sea_query::{Expr, Func, LikeExpr};
    Expr::expr(Func::lower(Expr::col(column))).like(LikeExpr::new(pattern).escape('\\'))
}
