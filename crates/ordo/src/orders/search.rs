//! Order search behind one interface on every backend.
//!
//! Each order has one row in `order_search` holding its searchable words (number, title,
//! customer name, material, places, party, tracking number, item codes), lower-cased and split
//! on anything that is not a letter or digit. It is written in the order's own transaction.
//! A search term matches the start of a word, and every term must match; each backend answers
//! from its own text index: SQLite FTS5, PostgreSQL GIN over `to_tsvector('simple', ..)`,
//! MySQL FULLTEXT in boolean mode (whose index holds words of 3 or more characters, so
//! shorter terms are checked on the rows the longer ones found).

use crate::db::{Deferring, FixedInsert};
use sea_orm::sea_query::{Alias, Expr, Query, SimpleExpr};
use sea_orm::{ColumnTrait, Condition, DatabaseBackend, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use super::entity::{item, order};
use crate::catalog::entity::customer;
use crate::error::{AppError, AppResult};

/// The most search words honoured; more would only slow the index down.
const MAX_TERMS: usize = 8;

/// InnoDB's `innodb_ft_min_token_size` default.
const MYSQL_MIN_WORD: usize = 3;

/// The words of `text`: lower-cased runs of letters and digits.
pub fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
}

/// `text` lower-cased without its separators: `PLATE-S355` is `plates355`.
fn compact(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The search terms of what a user typed: each whitespace-separated part without its
/// separators, so `RK-2026-000123` is one term and `harb cran` two.
pub fn terms(search: &str) -> Vec<String> {
    search
        .split_whitespace()
        .map(compact)
        .filter(|t| !t.is_empty())
        .take(MAX_TERMS)
        .collect()
}

/// The searchable text of an order: the words of each field, and each field again without its
/// separators (so a code typed whole, `plate-s355`, finds it). The number goes in whole and by its
/// last part only: its prefix and year are in every order and would make every search slow.
pub fn document<'a>(
    order: &'a order::Model,
    customer_name: Option<&'a str>,
    item_codes: impl IntoIterator<Item = &'a str>,
) -> String {
    let mut doc = String::with_capacity(160);
    let mut add = |word: &str| {
        doc.push_str(word);
        doc.push(' ');
    };
    add(&compact(&order.number));
    if let Some(tail) = words(&order.number).last() {
        add(&tail);
    }
    let fields = searchable_fields(order)
        .into_iter()
        .flatten()
        .chain(customer_name)
        .chain(item_codes);
    for field in fields {
        let mut count = 0;
        for word in words(field) {
            add(&word);
            count += 1;
        }
        if count > 1 {
            add(&compact(field));
        }
    }
    doc.truncate(doc.trim_end().len());
    doc
}

/// The order's own fields that go into its document (besides the number).
fn searchable_fields(order: &order::Model) -> [Option<&str>; 7] {
    [
        order.title.as_deref(),
        order.material_code.as_deref(),
        order.material_description.as_deref(),
        order.destination.as_deref(),
        order.origin.as_deref(),
        order.party.as_deref(),
        order.tracking_number.as_deref(),
    ]
}

/// Whether a change from `before` to `after` touches the searchable text.
pub fn affects_document(before: &order::Model, after: &order::Model) -> bool {
    searchable_fields(before) != searchable_fields(after) || before.customer_id != after.customer_id
}

pub mod row {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "order_search")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub order_id: Uuid,
        pub document: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Writes the document of `order` (a new order, or one whose document may have changed).
pub async fn save<C: Deferring>(db: &C, order_id: Uuid, document: String) -> AppResult<()> {
    let updated = row::Entity::update_many()
        .col_expr(row::Column::Document, Expr::value(document.clone()))
        .filter(row::Column::OrderId.eq(order_id))
        .exec(db)
        .await?
        .rows_affected;
    if updated == 0 {
        insert(db, order_id, document).await?;
    }
    Ok(())
}

/// Writes the document of a new order.
pub async fn insert<C: Deferring>(db: &C, order_id: Uuid, document: String) -> AppResult<()> {
    static INSERT: FixedInsert = FixedInsert::new();
    let row = row::ActiveModel {
        id: sea_orm::NotSet,
        order_id: sea_orm::Set(order_id),
        document: sea_orm::Set(document),
    };
    db.defer_insert(&INSERT, vec![row]).await?;
    Ok(())
}

/// Rebuilds the document of `order` from its current customer and items.
pub async fn refresh<C: Deferring>(db: &C, order: &order::Model) -> AppResult<()> {
    let customer_name = match order.customer_id {
        Some(id) => {
            customer::Entity::find_by_id(id)
                .select_only()
                .column(customer::Column::Name)
                .into_tuple::<String>()
                .one(db)
                .await?
        }
        None => None,
    };
    let codes: Vec<String> = item::Entity::find()
        .select_only()
        .column(item::Column::Code)
        .filter(item::Column::OrderId.eq(order.id))
        .into_tuple()
        .all(db)
        .await?;
    let doc = document(
        order,
        customer_name.as_deref(),
        codes.iter().map(String::as_str),
    );
    save(db, order.id, doc).await
}

/// Rebuilds the documents of every order of a customer, after its name changed.
pub async fn refresh_customer<C: Deferring>(db: &C, customer_id: Uuid) -> AppResult<()> {
    let mut query = order::Entity::find().filter(order::Column::CustomerId.eq(customer_id));
    // Locked, so a concurrent change to one of them cannot write its document with the old
    // name after this rewrote it (SQLite writers are serialized already).
    if db.get_database_backend() != DatabaseBackend::Sqlite {
        query = query.lock_exclusive();
    }
    let orders = query.all(db).await?;
    for order in &orders {
        refresh(db, order).await?;
    }
    Ok(())
}

/// Writes the documents of orders that have none: orders from before search existed. Cheap when
/// there are none (two counts, read on `db`); otherwise a batch per write transaction. Returns
/// how many.
pub async fn backfill_missing(
    state: &crate::state::AppState,
    db: &sea_orm::DatabaseConnection,
) -> AppResult<u64> {
    use sea_orm::PaginatorTrait;
    const BATCH: u64 = 500;
    if order::Entity::find().count(db).await? == row::Entity::find().count(db).await? {
        return Ok(0);
    }
    let mut written = 0;
    loop {
        let txn = state.db.begin_write().await?;
        let missing = order::Entity::find()
            .filter(
                order::Column::Id.not_in_subquery(
                    sea_orm::sea_query::Query::select()
                        .column(row::Column::OrderId)
                        .from(row::Entity)
                        .to_owned(),
                ),
            )
            .limit(BATCH)
            .all(&txn)
            .await?;
        for order in &missing {
            refresh(&txn, order).await?;
        }
        txn.commit().await?;
        written += missing.len() as u64;
        if (missing.len() as u64) < BATCH {
            return Ok(written);
        }
    }
}

/// `orders.id IN (orders whose document matches every term of search)`, or a 400 when the
/// search holds no word.
pub fn condition(backend: DatabaseBackend, search: &str) -> AppResult<SimpleExpr> {
    let terms = terms(search);
    if terms.is_empty() {
        return Err(AppError::field("search", "must contain a letter or digit"));
    }
    let table = Alias::new("order_search");
    let matching = match backend {
        DatabaseBackend::Sqlite => {
            let query = terms
                .iter()
                .map(|t| format!("\"{t}\"*"))
                .collect::<Vec<_>>()
                .join(" AND ");
            Expr::col((table.clone(), Alias::new("id"))).in_subquery(
                Query::select()
                    .expr(Expr::cust("rowid"))
                    .from(Alias::new("order_search_fts"))
                    .and_where(Expr::cust_with_values("order_search_fts MATCH ?", [query]))
                    .to_owned(),
            )
        }
        DatabaseBackend::Postgres => {
            let query = terms
                .iter()
                .map(|t| format!("{t}:*"))
                .collect::<Vec<_>>()
                .join(" & ");
            Expr::cust_with_values(
                "to_tsvector('simple', \"order_search\".\"document\") @@ to_tsquery('simple', $1)",
                [query],
            )
        }
        DatabaseBackend::MySql => {
            // InnoDB indexes words of 3 or more characters; shorter terms are checked against
            // the text of the rows the index found (or, with no longer term, of every row).
            let (long, short): (Vec<&String>, Vec<&String>) = terms
                .iter()
                .partition(|t| t.chars().count() >= MYSQL_MIN_WORD);
            let mut all = Condition::all();
            if !long.is_empty() {
                let query = long
                    .iter()
                    .map(|t| format!("+{t}*"))
                    .collect::<Vec<_>>()
                    .join(" ");
                all = all.add(Expr::cust_with_values(
                    "MATCH (`order_search`.`document`) AGAINST (? IN BOOLEAN MODE)",
                    [query],
                ));
            }
            for term in short {
                all = all.add(Expr::cust_with_values(
                    "CONCAT(' ', `order_search`.`document`) LIKE ?",
                    [format!("% {term}%")],
                ));
            }
            all.into()
        }
    };
    let mut matches = Query::select()
        .column((table.clone(), Alias::new("order_id")))
        .from(table)
        .and_where(matching)
        .to_owned();
    if backend == DatabaseBackend::Postgres {
        // PostgreSQL cannot estimate how many documents a prefix query matches and would rather
        // walk the orders and test each one's document. OFFSET 0 keeps the subquery on its own,
        // so the text index finds the matches first: 3 ms instead of 600 at 100,000 orders.
        matches.offset(0);
    }
    Ok(Expr::col(order::Column::Id).in_subquery(matches))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_lowercased_runs_of_letters_and_digits() {
        let found: Vec<String> = words("RK-2026/000123  Müller & Söhne_GmbH").collect();
        assert_eq!(found, ["rk", "2026", "000123", "müller", "söhne", "gmbh"]);
        assert_eq!(
            terms(" RK-2026-000123  harb\tCRAN \"*"),
            ["rk2026000123", "harb", "cran"]
        );
    }

    #[test]
    fn a_search_without_words_is_refused() {
        assert!(condition(DatabaseBackend::Sqlite, " -- ").is_err());
        assert!(condition(DatabaseBackend::Postgres, "\"*'").is_err());
    }
}
