//! Page-number pagination shared by every list: `page`, `limit`, `sort`, `order` in,
//! `{items, totalCount, totalPages, currentPage}` out.

use sea_orm::{
    ConnectionTrait, DbErr, EntityTrait, FromQueryResult, Iterable, QuerySelect, QueryTrait, Select,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::db::rows::{self, RowValues};
use crate::db::Db;
use crate::error::AppError;

pub const DEFAULT_LIMIT: u64 = 20;
pub const MAX_LIMIT: u64 = 100;
/// Matches counted at most: counting reads an index entry per match, so a page costs the same
/// at a million rows as at a thousand (at 10,000 the count was 80% of a list request's time);
/// beyond it `totalCount` is this and `totalCountCapped` is true (cursors page on without
/// counting, and the dashboards give exact figures).
pub const COUNT_CAP: u64 = 1_000;

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
    /// Matches, counted up to 1,000.
    pub total_count: u64,
    /// True when there are more matches than `totalCount`.
    pub total_count_capped: bool,
    pub total_pages: u64,
    pub current_page: u64,
    /// Where lists support cursors: pass as `cursor` to continue after this page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    pub fn new(items: Vec<T>, total_count: u64, request: PageRequest) -> Self {
        let total_count_capped = total_count > COUNT_CAP;
        let total_count = total_count.min(COUNT_CAP);
        Self {
            items,
            total_count,
            total_count_capped,
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
            total_count_capped: self.total_count_capped,
            total_pages: self.total_pages,
            current_page: self.current_page,
            next_cursor: self.next_cursor,
        }
    }
}

/// The name of the count that [`fetch_page`] reads along with the page.
const TOTAL_COLUMN: &str = "ordo_total_matches";

/// Runs `query` (already filtered and ordered) for one page, with the total count of matches.
/// The count rides along in the page's statement, as a column (the database computes it once),
/// so a page is one round trip; only a page past the last match needs a count of its own.
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
    let page = with_count(&query, request);
    let rows = db.query_all(page.build(db.get_database_backend())).await?;
    let total = match rows.first() {
        Some(row) => row.try_get::<i64>("", TOTAL_COLUMN)?.max(0) as u64,
        None if request.offset() == 0 => 0,
        None => capped_count(db, &query, COUNT_CAP).await?,
    };
    let items = rows
        .iter()
        .map(|row| E::Model::from_query_result(row, "").map(T::from))
        .collect::<Result<Vec<T>, DbErr>>()?;
    Ok(Page::new(items, total, request))
}

/// [`fetch_page`] on the pool, each row read by position and turned into a `T` by `map` (see
/// [`crate::db::rows`]); the count is the column after the entity's.
pub async fn fetch_page_by_position<E, T>(
    db: &Db,
    query: Select<E>,
    request: PageRequest,
    map: fn(&dyn RowValues) -> Result<T, DbErr>,
) -> Result<Page<T>, DbErr>
where
    E: EntityTrait,
    T: Send + 'static,
{
    let total_column = E::Column::iter().count();
    let page = with_count(&query, request).build(db.backend());
    let rows = rows::select_blocking(db, page, move |row| {
        Ok((map(row)?, row.int(total_column)?.unwrap_or(0)))
    })
    .await?;
    let total = match rows.first() {
        Some((_, total)) => (*total).max(0) as u64,
        None if request.offset() == 0 => 0,
        None => capped_count(db.conn(), &query, COUNT_CAP).await?,
    };
    let items = rows.into_iter().map(|(item, _)| item).collect();
    Ok(Page::new(items, total, request))
}

/// The page of `query` that `request` asks for, with the capped count of all its matches as a
/// last column.
fn with_count<E: EntityTrait>(query: &Select<E>, request: PageRequest) -> Select<E> {
    use sea_orm::sea_query::SimpleExpr;
    let counting = SimpleExpr::SubQuery(
        None,
        Box::new(counting(query, COUNT_CAP).into_sub_query_statement()),
    );
    query
        .clone()
        .column_as(counting, TOTAL_COLUMN)
        .offset(request.offset())
        .limit(request.limit)
}

/// Counts the matches of `query` up to one past `cap`: `SELECT COUNT(*)` over the matches,
/// unsorted and limited.
fn counting<E: EntityTrait>(query: &Select<E>, cap: u64) -> sea_orm::sea_query::SelectStatement {
    use sea_orm::sea_query::{Alias, Expr, Query};
    let mut matches = query.clone().select_only().column_as(Expr::val(1), "one");
    QueryTrait::query(&mut matches).clear_order_by();
    Query::select()
        .expr(Expr::cust("COUNT(*)"))
        .from_subquery(matches.limit(cap + 1).into_query(), Alias::new("matches"))
        .to_owned()
}

/// The number of rows `query` matches, counted no further than one past `cap` and without
/// sorting, so it costs at most `cap` index entries however many rows match.
pub async fn capped_count<E, C>(db: &C, query: &Select<E>, cap: u64) -> Result<u64, DbErr>
where
    E: EntityTrait,
    C: ConnectionTrait,
{
    let backend = db.get_database_backend();
    let row = db.query_one(backend.build(&counting(query, cap))).await?;
    let count: i64 = match row {
        Some(row) => row.try_get_by_index(0)?,
        None => 0,
    };
    Ok(count.max(0) as u64)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::entity::{self as audit_log, Entity as AuditLog};
    use ordo_migration::MigratorTrait as _;
    use sea_orm::{ActiveModelTrait, ColumnTrait, QueryFilter, QueryOrder, Set};

    #[tokio::test]
    async fn counts_stop_one_past_the_cap() {
        let db = sea_orm::Database::connect("sqlite::memory:").await.unwrap();
        ordo_migration::Migrator::up(&db, None).await.unwrap();
        for i in 0..30 {
            audit_log::ActiveModel {
                id: Set(uuid::Uuid::now_v7()),
                actor_id: Set(None),
                action: Set(if i % 2 == 0 { "even" } else { "odd" }.into()),
                entity_type: Set("test".into()),
                entity_id: Set(None),
                details: Set("{}".into()),
                request_id: Set(None),
                ip: Set(None),
                user_agent: Set(None),
                created_at: Set(crate::time::now()),
            }
            .insert(&db)
            .await
            .unwrap();
        }
        let all = AuditLog::find().order_by_desc(audit_log::Column::CreatedAt);
        assert_eq!(capped_count(&db, &all, 100).await.unwrap(), 30);
        assert_eq!(capped_count(&db, &all, 10).await.unwrap(), 11);
        let even = all.clone().filter(audit_log::Column::Action.eq("even"));
        assert_eq!(capped_count(&db, &even, 100).await.unwrap(), 15);
        let page = Page::<()>::new(Vec::new(), 1_001, PageRequest { page: 1, limit: 20 });
        assert_eq!(
            (page.total_count, page.total_count_capped, page.total_pages),
            (1_000, true, 50)
        );
        // The count read along with a page, with one past the last page, and with no match.
        let page = |n, query| {
            fetch_page::<_, _, audit_log::Model>(&db, query, PageRequest { page: n, limit: 4 })
        };
        let second = page(2, even.clone()).await.unwrap();
        assert_eq!(
            (second.items.len(), second.total_count, second.total_pages),
            (4, 15, 4)
        );
        assert!(second.items.iter().all(|e| e.action == "even"));
        let beyond = page(5, even.clone()).await.unwrap();
        assert_eq!((beyond.items.len(), beyond.total_count), (0, 15));
        let none = all.filter(audit_log::Column::Action.eq("none"));
        let empty = page(1, none).await.unwrap();
        assert_eq!((empty.items.len(), empty.total_count), (0, 0));
    }
}
