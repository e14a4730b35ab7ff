//! Loading orders and the facts other areas ask about them.

use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait, Select,
};
use uuid::Uuid;

use super::entity::{history, item, order, shipment, shipment_item};
use crate::error::{AppError, AppResult};

pub async fn customer_has_orders<C: ConnectionTrait>(db: &C, customer_id: Uuid) -> AppResult<bool> {
    Ok(order::Entity::find()
        .select_only()
        .column(order::Column::Id)
        .filter(order::Column::CustomerId.eq(customer_id))
        .into_tuple::<Uuid>()
        .one(db)
        .await?
        .is_some())
}

pub async fn product_is_ordered<C: ConnectionTrait>(db: &C, product_id: Uuid) -> AppResult<bool> {
    Ok(item::Entity::find()
        .select_only()
        .column(item::Column::Id)
        .filter(item::Column::ProductId.eq(product_id))
        .into_tuple::<Uuid>()
        .one(db)
        .await?
        .is_some())
}

pub async fn any_orders<C: ConnectionTrait>(db: &C) -> AppResult<bool> {
    Ok(order::Entity::find().one(db).await?.is_some())
}

pub async fn find<C: ConnectionTrait>(db: &C, id: Uuid) -> AppResult<order::Model> {
    order::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound("order"))
}

/// Loads an order inside a write transaction, locking its row on PostgreSQL and MySQL so
/// concurrent changes to one order queue up (SQLite writers are serialized already).
pub async fn find_for_update<C: ConnectionTrait>(db: &C, id: Uuid) -> AppResult<order::Model> {
    let mut query = order::Entity::find_by_id(id);
    if db.get_database_backend() != DatabaseBackend::Sqlite {
        query = query.lock_exclusive();
    }
    query.one(db).await?.ok_or(AppError::NotFound("order"))
}

pub async fn items<C: ConnectionTrait>(db: &C, order_id: Uuid) -> AppResult<Vec<item::Model>> {
    Ok(items_of(order_id).all(db).await?)
}

/// An order's items in their order.
pub fn items_of(order_id: Uuid) -> Select<item::Entity> {
    item::Entity::find()
        .filter(item::Column::OrderId.eq(order_id))
        .order_by_asc(item::Column::Position)
}

pub async fn history<C: ConnectionTrait>(db: &C, order_id: Uuid) -> AppResult<Vec<history::Model>> {
    Ok(history_of(order_id).all(db).await?)
}

/// An order's status changes, oldest first.
pub fn history_of(order_id: Uuid) -> Select<history::Entity> {
    history::Entity::find()
        .filter(history::Column::OrderId.eq(order_id))
        .order_by_asc(history::Column::CreatedAt)
        .order_by_asc(history::Column::Id)
}

pub async fn shipments<C: ConnectionTrait>(
    db: &C,
    order_id: Uuid,
) -> AppResult<Vec<(shipment::Model, Vec<shipment_item::Model>)>> {
    let shipments = shipments_of(order_id)
        .find_with_related(shipment_item::Entity)
        .order_by_asc(shipment_item::Column::Id)
        .all(db)
        .await?;
    Ok(shipments)
}

/// An order's shipments, in the order they left.
pub fn shipments_of(order_id: Uuid) -> Select<shipment::Entity> {
    shipment::Entity::find()
        .filter(shipment::Column::OrderId.eq(order_id))
        .order_by_asc(shipment::Column::ShippedAt)
        .order_by_asc(shipment::Column::Id)
}

/// The lines of all an order's shipments, by id: one statement whatever the number of shipments.
pub fn shipment_lines_of(order_id: Uuid) -> Select<shipment_item::Entity> {
    let shipment_ids = shipment::Entity::find()
        .select_only()
        .column(shipment::Column::Id)
        .filter(shipment::Column::OrderId.eq(order_id))
        .into_query();
    shipment_item::Entity::find()
        .filter(shipment_item::Column::ShipmentId.in_subquery(shipment_ids))
        .order_by_asc(shipment_item::Column::Id)
}
