//! Which orders a caller may see and in what relation it stands to one. An order the caller may
//! not see answers 404, never 403, so its existence is not revealed.

use sea_orm::{ColumnTrait, Condition, QueryFilter, Select};
use uuid::Uuid;

use super::entity::order::{self, Column};
use crate::catalog::customers;
use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::http::auth::AuthUser;
use crate::identity::role::Role;
use crate::workflow::engine::Actor;

#[derive(Clone, Debug)]
pub struct Viewer {
    pub user: AuthUser,
    /// For customer accounts: the customer record linked to the account.
    pub customer_id: Option<Uuid>,
    /// That record as it was read for this request, when it was (so placing an order need not
    /// read it again while it holds the writers' turn).
    pub customer: Option<crate::catalog::entity::customer::Model>,
}

impl Viewer {
    pub async fn load(db: &Db, user: &AuthUser) -> AppResult<Viewer> {
        let customer = match user.role {
            Role::Customer => customers::of_user(db, user.id).await?,
            _ => None,
        };
        Ok(Viewer {
            user: user.clone(),
            customer_id: customer.as_ref().map(|c| c.id),
            customer,
        })
    }

    /// Managers and admins set prices and choose order numbers.
    pub fn may_price(&self) -> bool {
        matches!(self.user.role, Role::Admin | Role::Manager)
    }

    pub fn sees_everything(&self) -> bool {
        matches!(self.user.role, Role::Admin | Role::Manager)
    }

    /// Owner: created it, or (for a customer account) it is the linked customer's order.
    pub fn is_owner(&self, order: &order::Model) -> bool {
        order.created_by == self.user.id
            || (self.customer_id.is_some() && order.customer_id == self.customer_id)
    }

    pub fn is_assignee(&self, order: &order::Model) -> bool {
        order.assignee_id == Some(self.user.id)
    }

    pub fn can_see(&self, order: &order::Model) -> bool {
        match self.user.role {
            Role::Admin | Role::Manager => true,
            Role::Staff => self.is_assignee(order) || order.created_by == self.user.id,
            Role::Customer => self.is_owner(order),
        }
    }

    /// Restricts a query to the orders this viewer may see.
    pub fn scope(&self, query: Select<order::Entity>) -> Select<order::Entity> {
        match self.user.role {
            Role::Admin | Role::Manager => query,
            Role::Staff => query.filter(
                Condition::any()
                    .add(Column::AssigneeId.eq(self.user.id))
                    .add(Column::CreatedBy.eq(self.user.id)),
            ),
            Role::Customer => {
                let mut mine = Condition::any().add(Column::CreatedBy.eq(self.user.id));
                if let Some(customer_id) = self.customer_id {
                    mine = mine.add(Column::CustomerId.eq(customer_id));
                }
                query.filter(mine)
            }
        }
    }

    /// The workflow engine's view of this caller for `order`.
    pub fn actor(&self, order: &order::Model) -> Actor {
        Actor {
            role: Some(self.user.role),
            is_owner: self.is_owner(order),
            is_assignee: self.is_assignee(order),
        }
    }

    /// Fails with 404 unless the viewer may see the order.
    pub fn ensure_visible(&self, order: &order::Model) -> AppResult<()> {
        if self.can_see(order) {
            Ok(())
        } else {
            Err(AppError::NotFound("order"))
        }
    }
}
