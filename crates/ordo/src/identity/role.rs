//! The four roles. Seed names map onto them: ADMIN -> admin; OPERATIONS_MANAGER, vendor, Manager ->
//! manager; staff -> staff; USER, customer -> customer.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Admin,
    Manager,
    Staff,
    Customer,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Admin, Role::Manager, Role::Staff, Role::Customer];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Manager => "manager",
            Role::Staff => "staff",
            Role::Customer => "customer",
        }
    }

    /// Parses a role name, accepting the names the reference systems used.
    pub fn parse(name: &str) -> Option<Role> {
        match name.trim().to_ascii_lowercase().as_str() {
            "admin" => Some(Role::Admin),
            "manager" | "operations_manager" | "vendor" => Some(Role::Manager),
            "staff" => Some(Role::Staff),
            "customer" | "user" => Some(Role::Customer),
            _ => None,
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_names_map_onto_roles() {
        assert_eq!(Role::parse("OPERATIONS_MANAGER"), Some(Role::Manager));
        assert_eq!(Role::parse("vendor"), Some(Role::Manager));
        assert_eq!(Role::parse("USER"), Some(Role::Customer));
        assert_eq!(Role::parse("root"), None);
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
    }
}
