//! Every stock change is one conditional UPDATE of the level row (so concurrent orders can never
//! take stock below zero: the condition is checked by the database at write time) plus one
//! movement row, inside the caller's transaction.

use crate::db::{Deferring, FixedInsert, FixedSql, FixedSqlByCount};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseBackend, DbErr, EntityTrait,
    QueryFilter, QueryTrait, Set, Statement, Value,
};
use uuid::Uuid;

use super::entity::{level, movement};
use crate::error::{AppError, AppResult};
use crate::fixed;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MovementKind {
    Receipt,
    Adjustment,
    Reservation,
    Release,
    Shipment,
}

impl MovementKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Receipt => "receipt",
            Self::Adjustment => "adjustment",
            Self::Reservation => "reservation",
            Self::Release => "release",
            Self::Shipment => "shipment",
        }
    }
}

/// Who and why, for the movement row.
pub struct MovementContext<'a> {
    pub actor: Option<Uuid>,
    pub order_id: Option<Uuid>,
    pub reason: Option<&'a str>,
}

/// Creates the (empty) level row of a new product.
pub async fn open_level<C: ConnectionTrait>(db: &C, product_id: Uuid) -> AppResult<()> {
    level::ActiveModel {
        product_id: Set(product_id),
        on_hand: Set(0),
        reserved: Set(0),
        updated_at: Set(crate::time::now()),
    }
    .insert(db)
    .await?;
    Ok(())
}

pub async fn level_of<C: ConnectionTrait>(db: &C, product_id: Uuid) -> AppResult<level::Model> {
    level::Entity::find_by_id(product_id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound("product"))
}

/// The 409 for a refused reservation or shipment, with what is available now.
async fn insufficient<C: ConnectionTrait>(db: &C, sku: &str, product_id: Uuid) -> AppError {
    let level = match level_of(db, product_id).await {
        Ok(level) => level,
        Err(err) => return err,
    };
    AppError::state_conflict(
        "INSUFFICIENT_STOCK",
        format!(
            "Not enough stock of {sku} ({product_id}): {} available",
            fixed::qty(level.on_hand - level.reserved)
        ),
    )
}

/// Applies `on_hand += on_hand_delta, reserved += reserved_delta` if the result keeps
/// `reserved >= 0` and `on_hand - reserved >= 0` (`on_hand >= 0` for shipments of reserved
/// stock), then writes the movement. Answers the level after the change, or None when refused.
async fn apply<C: Deferring>(
    db: &C,
    product_id: Uuid,
    on_hand_delta: i64,
    reserved_delta: i64,
    kind: MovementKind,
    quantity: i64,
    ctx: &MovementContext<'_>,
) -> AppResult<Option<level::Model>> {
    let on_hand = Expr::col(level::Column::OnHand);
    let reserved = Expr::col(level::Column::Reserved);
    let update = level::Entity::update_many()
        .col_expr(level::Column::OnHand, on_hand.clone().add(on_hand_delta))
        .col_expr(
            level::Column::Reserved,
            reserved.clone().add(reserved_delta),
        )
        .col_expr(level::Column::UpdatedAt, Expr::value(crate::time::now()))
        .filter(level::Column::ProductId.eq(product_id))
        .filter(Expr::expr(reserved.clone().add(reserved_delta)).gte(0))
        .filter(Expr::expr(on_hand.add(on_hand_delta).sub(reserved.add(reserved_delta))).gte(0));
    let Some(after) = crate::db::update_one(db, update, product_id).await? else {
        return Ok(None);
    };
    record_movement(db, kind, quantity, &after, ctx).await?;
    Ok(Some(after))
}

/// The movement's reason as stored: at most 500 characters.
fn reason_text(ctx: &MovementContext<'_>) -> Option<String> {
    ctx.reason.map(|r| r.chars().take(500).collect())
}

/// Writes the movement that left the level at `after` (with the transaction's next statement).
async fn record_movement<C: Deferring>(
    db: &C,
    kind: MovementKind,
    quantity: i64,
    after: &level::Model,
    ctx: &MovementContext<'_>,
) -> AppResult<()> {
    static INSERT: FixedInsert = FixedInsert::new();
    let row = movement::ActiveModel {
        id: Set(Uuid::now_v7()),
        product_id: Set(after.product_id),
        kind: Set(kind.as_str().to_string()),
        quantity: Set(quantity),
        on_hand_after: Set(after.on_hand),
        reserved_after: Set(after.reserved),
        reason: Set(reason_text(ctx)),
        actor_id: Set(ctx.actor),
        order_id: Set(ctx.order_id),
        created_at: Set(crate::time::now()),
    };
    db.defer_insert(&INSERT, vec![row]).await?;
    Ok(())
}

/// Sets stock aside for several `(product, sku, quantity)` lines, product by product in key order
/// (the order every writer locks stock rows in); a line whose product is short fails the
/// reservation (409 naming the first short product), and the caller's transaction with it. On
/// SQLite, whose writers take turns, and when no product appears twice, that is held back as one
/// statement for all of them (see [`reserve_held`]). (PostgreSQL would lock the rows of one
/// statement in the order it finds them, not in key order, so there the rows are changed one by
/// one.)
pub async fn reserve_each<C: Deferring>(
    db: &C,
    lines: &[(Uuid, &str, i64)],
    ctx: &MovementContext<'_>,
) -> AppResult<()> {
    let mut lines: Vec<&(Uuid, &str, i64)> = lines.iter().collect();
    lines.sort_by_key(|(product_id, _, _)| *product_id);
    let distinct = lines.windows(2).all(|pair| pair[0].0 != pair[1].0);
    let one_writer = db.get_database_backend() == sea_orm::DatabaseBackend::Sqlite;
    if lines.is_empty() || !distinct || !one_writer {
        for (product_id, sku, qty) in lines {
            reserve(db, *product_id, sku, *qty, ctx).await?;
        }
        return Ok(());
    }
    match reserve_held(db, &lines, ctx).await {
        Err(err) if is_shortage(&err) => {
            let lines: Vec<_> = lines.into_iter().copied().collect();
            Err(explain_shortage(db, &lines).await)
        }
        other => other.map_err(AppError::from),
    }
}

/// The reservation of every line as statements held back until the transaction next talks to
/// the database, so that reserving costs the writer no trip of its own: one UPDATE of the level
/// rows and, per line, the movement row with the level it left, read by the INSERT itself. A
/// short line makes its new reservation NULL, which the column refuses, so the UPDATE fails and
/// takes the transaction with it wherever it is sent; [`is_shortage`] recognises that failure
/// and [`explain_shortage`] says which product was short.
async fn reserve_held<C: Deferring>(
    db: &C,
    lines: &[&(Uuid, &str, i64)],
    ctx: &MovementContext<'_>,
) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    let now = crate::time::now();
    db.defer(reservation_update(backend, lines, now)).await?;
    let reason = reason_text(ctx);
    for (product_id, _, qty) in lines {
        let movement = ReservationMovement {
            id: Uuid::now_v7(),
            product_id: *product_id,
            quantity: *qty,
            reason: reason.clone(),
            actor: ctx.actor,
            order_id: ctx.order_id,
            at: now,
        };
        db.defer(movement.statement(backend)?).await?;
    }
    Ok(())
}

/// The one UPDATE that reserves every line's quantity of its product, its text kept per number
/// of lines. `wanted` (a CASE giving each product's quantity) appears twice, so its values do too.
fn reservation_update(
    backend: DatabaseBackend,
    lines: &[&(Uuid, &str, i64)],
    now: chrono::NaiveDateTime,
) -> Statement {
    static UPDATE: FixedSqlByCount = FixedSqlByCount::new();
    let mut wanted: Vec<Value> = Vec::with_capacity(2 * lines.len() + 1);
    for (product_id, _, qty) in lines {
        wanted.extend([(*product_id).into(), (*qty).into()]);
    }
    wanted.push(0i64.into());
    let mut values = wanted.clone();
    values.push(0i32.into());
    values.extend(wanted);
    values.push(now.into());
    values.extend(
        lines
            .iter()
            .map(|(product_id, _, _)| Value::from(*product_id)),
    );
    UPDATE.statement(backend, lines.len(), values, |b| {
        reservation_update_query(lines, now).build(b)
    })
}

fn reservation_update_query(
    lines: &[&(Uuid, &str, i64)],
    now: chrono::NaiveDateTime,
) -> sea_orm::UpdateMany<level::Entity> {
    use sea_orm::sea_query::{CaseStatement, SimpleExpr};
    let mut case = CaseStatement::new();
    for (product_id, _, qty) in lines {
        case = case.case(level::Column::ProductId.eq(*product_id), Expr::val(*qty));
    }
    let wanted: SimpleExpr = case.finally(Expr::val(0i64)).into();
    let reserved = Expr::col(level::Column::Reserved);
    // What stays available after the line's reservation; quantities are positive, so the
    // reservation itself cannot go below zero. No ELSE: NULL when short.
    let guarded: SimpleExpr = CaseStatement::new()
        .case(
            Expr::expr(Expr::col(level::Column::OnHand).sub(reserved.clone().add(wanted.clone())))
                .gte(0),
            reserved.add(wanted),
        )
        .into();
    level::Entity::update_many()
        .col_expr(level::Column::Reserved, guarded)
        .col_expr(level::Column::UpdatedAt, Expr::value(now))
        .filter(level::Column::ProductId.is_in(lines.iter().map(|l| l.0)))
}

/// A reservation's movement row, with the level it left read by the INSERT itself.
struct ReservationMovement {
    id: Uuid,
    product_id: Uuid,
    quantity: i64,
    reason: Option<String>,
    actor: Option<Uuid>,
    order_id: Option<Uuid>,
    at: chrono::NaiveDateTime,
}

impl ReservationMovement {
    /// The INSERT .. SELECT, its text kept; the values in the order the builder binds them. The
    /// query is built only while the text is not known yet: building it cost more than the rest
    /// of a line's reservation.
    fn statement(self, backend: DatabaseBackend) -> Result<Statement, DbErr> {
        static INSERT: FixedSql = FixedSql::new();
        let values = vec![
            self.id.into(),
            MovementKind::Reservation.as_str().into(),
            self.quantity.into(),
            self.reason.clone().into(),
            self.actor.into(),
            self.order_id.into(),
            self.at.into(),
            self.product_id.into(),
        ];
        INSERT.try_statement(backend, values, |b| Ok(b.build(&self.query()?)))
    }

    fn query(&self) -> Result<sea_orm::sea_query::InsertStatement, DbErr> {
        use sea_orm::sea_query::Query;
        let level_after = Query::select()
            .expr(Expr::val(self.id))
            .column(level::Column::ProductId)
            .expr(Expr::val(MovementKind::Reservation.as_str()))
            .expr(Expr::val(self.quantity))
            .column(level::Column::OnHand)
            .column(level::Column::Reserved)
            .expr(Expr::val(self.reason.clone()))
            .expr(Expr::val(self.actor))
            .expr(Expr::val(self.order_id))
            .expr(Expr::val(self.at))
            .from(level::Entity)
            .and_where(level::Column::ProductId.eq(self.product_id))
            .to_owned();
        let insert = Query::insert()
            .into_table(movement::Entity)
            .columns([
                movement::Column::Id,
                movement::Column::ProductId,
                movement::Column::Kind,
                movement::Column::Quantity,
                movement::Column::OnHandAfter,
                movement::Column::ReservedAfter,
                movement::Column::Reason,
                movement::Column::ActorId,
                movement::Column::OrderId,
                movement::Column::CreatedAt,
            ])
            .select_from(level_after)
            .map_err(|err| DbErr::Custom(err.to_string()))?
            .to_owned();
        Ok(insert)
    }
}

/// The failure of a reservation held back by [`reserve_held`]: NULL refused as a reservation.
pub fn is_shortage(err: &DbErr) -> bool {
    err.to_string()
        .contains("NOT NULL constraint failed: inventory_levels.reserved")
}

/// The 409 for a reservation of `lines` that failed for want of stock, naming the first line
/// (in key order) that is short now; read after the failed attempt.
pub async fn explain_shortage<C: ConnectionTrait>(db: &C, lines: &[(Uuid, &str, i64)]) -> AppError {
    let mut lines = lines.to_vec();
    lines.sort_by_key(|(product_id, _, _)| *product_id);
    for (product_id, sku, qty) in &lines {
        match level_of(db, *product_id).await {
            Ok(level) if level.on_hand - level.reserved < *qty => {
                return insufficient(db, sku, *product_id).await
            }
            Ok(_) => {}
            Err(err) => return err,
        }
    }
    // Stock came back between the attempt and this look.
    held_shortage()
}

/// What a reservation held back answers when it fails where nobody knows its lines.
const HELD_SHORTAGE: &str = "Not enough stock for the order's items";

pub fn held_shortage() -> AppError {
    AppError::state_conflict("INSUFFICIENT_STOCK", HELD_SHORTAGE)
}

/// Whether `err` is [`held_shortage`]: a reservation that failed without saying where.
pub fn is_held_shortage(err: &AppError) -> bool {
    matches!(err, AppError::StateConflict { code: "INSUFFICIENT_STOCK", message } if message == HELD_SHORTAGE)
}

/// Sets stock aside for an order; 409 naming the product and what is available when short.
pub async fn reserve<C: Deferring>(
    db: &C,
    product_id: Uuid,
    sku: &str,
    qty: i64,
    ctx: &MovementContext<'_>,
) -> AppResult<()> {
    match apply(db, product_id, 0, qty, MovementKind::Reservation, qty, ctx).await? {
        Some(_) => Ok(()),
        None => Err(insufficient(db, sku, product_id).await),
    }
}

/// Returns reserved stock to the available pool.
pub async fn release<C: Deferring>(
    db: &C,
    product_id: Uuid,
    qty: i64,
    ctx: &MovementContext<'_>,
) -> AppResult<()> {
    apply(db, product_id, 0, -qty, MovementKind::Release, -qty, ctx)
        .await?
        .map(|_| ())
        .ok_or_else(|| {
            AppError::Internal(anyhow::anyhow!(
                "release of {qty} exceeds the reservation of {product_id}"
            ))
        })
}

/// Stock leaves the warehouse: from the reservation when `reserved`, else from available stock.
pub async fn ship<C: Deferring>(
    db: &C,
    product_id: Uuid,
    sku: &str,
    qty: i64,
    reserved: bool,
    ctx: &MovementContext<'_>,
) -> AppResult<()> {
    let reserved_delta = if reserved { -qty } else { 0 };
    match apply(
        db,
        product_id,
        -qty,
        reserved_delta,
        MovementKind::Shipment,
        -qty,
        ctx,
    )
    .await?
    {
        Some(_) => Ok(()),
        None => Err(insufficient(db, sku, product_id).await),
    }
}

/// A receipt (positive) or adjustment (either sign); refused when it would take on-hand stock
/// below what is reserved.
pub async fn adjust<C: Deferring>(
    db: &C,
    product_id: Uuid,
    delta: i64,
    kind: MovementKind,
    ctx: &MovementContext<'_>,
) -> AppResult<level::Model> {
    match apply(db, product_id, delta, 0, kind, delta, ctx).await? {
        Some(after) => Ok(after),
        None => {
            let level = level_of(db, product_id).await?;
            Err(AppError::rule(
                "STOCK_BELOW_ZERO",
                format!(
                    "On-hand stock would fall below what is reserved: {} on hand, {} reserved",
                    fixed::qty(level.on_hand),
                    fixed::qty(level.reserved)
                ),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The held-back reservation's statements, from their kept texts with each call's values,
    /// are the ones the builder makes for the same lines: for every backend, several numbers
    /// of lines, and movements with and without an actor, order and reason.
    #[test]
    fn kept_reservation_statements_are_the_ones_built() {
        let now = crate::time::now();
        for backend in [
            DatabaseBackend::Sqlite,
            DatabaseBackend::Postgres,
            DatabaseBackend::MySql,
        ] {
            for (n, with_context) in [(1, true), (2, false), (3, true), (1, false), (3, false)] {
                let products: Vec<(Uuid, &str, i64)> = (1..=n)
                    .map(|i| (Uuid::now_v7(), "SKU", 3 * i as i64))
                    .collect();
                let lines: Vec<&(Uuid, &str, i64)> = products.iter().collect();
                assert_eq!(
                    reservation_update(backend, &lines, now),
                    reservation_update_query(&lines, now).build(backend)
                );
                let movement = || ReservationMovement {
                    id: Uuid::now_v7(),
                    product_id: products[0].0,
                    quantity: products[0].2,
                    reason: with_context.then(|| "held".to_string()),
                    actor: with_context.then(Uuid::now_v7),
                    order_id: with_context.then(Uuid::now_v7),
                    at: now,
                };
                let kept = movement();
                let built = backend.build(&kept.query().unwrap());
                assert_eq!(kept.statement(backend).unwrap(), built);
            }
        }
    }
}
