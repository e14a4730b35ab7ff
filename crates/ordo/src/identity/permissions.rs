//! The one permission table. Every route asks it; the web UI asks it to decide what to show.
//!
//! Ownership rules ("a customer sees its own orders") are not here: they depend on the record and
//! live with the feature. This table says which roles may attempt an action at all.

use super::role::Role;
use Role::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Permission {
    /// Read and edit one's own profile, photo and password; delete one's own account.
    ManageOwnProfile,
    /// List and read user accounts.
    ViewUsers,
    /// Create, edit, change the role of, deactivate and delete user accounts.
    ManageUsers,
    /// Read the audit log.
    ViewAuditLog,
    ViewCustomers,
    ManageCustomers,
    ViewProducts,
    ManageProducts,
    ViewInventory,
    AdjustInventory,
    ViewReference,
    ManageReference,
    ViewWorkflows,
    ManageWorkflows,
    /// Place orders (customers for themselves).
    CreateOrders,
    /// Read orders; which ones is decided by the order's relation to the caller.
    ViewOrders,
    /// Edit, fill and move orders, as far as the workflow and ownership allow.
    WorkOrders,
    AssignOrders,
    ShipOrders,
    /// Run background jobs now.
    RunJobs,
    ImportOrders,
}

impl Permission {
    /// Every permission, in declaration order (so `ALL[p as usize] == p`).
    pub const ALL: [Permission; 21] = [
        Permission::ManageOwnProfile,
        Permission::ViewUsers,
        Permission::ManageUsers,
        Permission::ViewAuditLog,
        Permission::ViewCustomers,
        Permission::ManageCustomers,
        Permission::ViewProducts,
        Permission::ManageProducts,
        Permission::ViewInventory,
        Permission::AdjustInventory,
        Permission::ViewReference,
        Permission::ManageReference,
        Permission::ViewWorkflows,
        Permission::ManageWorkflows,
        Permission::CreateOrders,
        Permission::ViewOrders,
        Permission::WorkOrders,
        Permission::AssignOrders,
        Permission::ShipOrders,
        Permission::RunJobs,
        Permission::ImportOrders,
    ];

    pub fn from_index(index: u8) -> Option<Permission> {
        Self::ALL.get(usize::from(index)).copied()
    }
}

const TABLE: &[(Permission, &[Role])] = &[
    (
        Permission::ManageOwnProfile,
        &[Admin, Manager, Staff, Customer],
    ),
    (Permission::ViewUsers, &[Admin]),
    (Permission::ManageUsers, &[Admin]),
    (Permission::ViewAuditLog, &[Admin]),
    (Permission::ViewCustomers, &[Admin, Manager, Staff]),
    (Permission::ManageCustomers, &[Admin, Manager]),
    (Permission::ViewProducts, &[Admin, Manager, Staff, Customer]),
    (Permission::ManageProducts, &[Admin, Manager]),
    (Permission::ViewInventory, &[Admin, Manager, Staff]),
    (Permission::AdjustInventory, &[Admin, Manager]),
    (
        Permission::ViewReference,
        &[Admin, Manager, Staff, Customer],
    ),
    (Permission::ManageReference, &[Admin]),
    (
        Permission::ViewWorkflows,
        &[Admin, Manager, Staff, Customer],
    ),
    (Permission::ManageWorkflows, &[Admin]),
    (Permission::CreateOrders, &[Admin, Manager, Staff, Customer]),
    (Permission::ViewOrders, &[Admin, Manager, Staff, Customer]),
    (Permission::WorkOrders, &[Admin, Manager, Staff, Customer]),
    (Permission::AssignOrders, &[Admin, Manager]),
    (Permission::ShipOrders, &[Admin, Manager]),
    (Permission::RunJobs, &[Admin]),
    (Permission::ImportOrders, &[Admin, Manager]),
];

pub fn allows(role: Role, permission: Permission) -> bool {
    TABLE
        .iter()
        .any(|(p, roles)| *p == permission && roles.contains(&role))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_permission_is_in_the_table_once() {
        for (i, permission) in Permission::ALL.iter().enumerate() {
            assert_eq!(*permission as u8, i as u8, "ALL is in declaration order");
            assert_eq!(Permission::from_index(i as u8), Some(*permission));
            assert_eq!(
                TABLE.iter().filter(|(p, _)| p == permission).count(),
                1,
                "{permission:?}"
            );
        }
        assert_eq!(TABLE.len(), Permission::ALL.len());
    }

    #[test]
    fn only_admins_manage_users() {
        assert!(allows(Admin, Permission::ManageUsers));
        for role in [Manager, Staff, Customer] {
            assert!(!allows(role, Permission::ManageUsers));
            assert!(allows(role, Permission::ManageOwnProfile));
        }
    }
}
