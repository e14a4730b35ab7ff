//! Demo accounts for `ordo seed --demo`: one of every role, with printed passwords.

use crate::error::AppResult;
use crate::identity::role::Role;
use crate::identity::service::{admin, users};
use crate::identity::tokens::random_secret;
use crate::state::AppState;

pub async fn seed_demo_users(state: &AppState) -> AppResult<()> {
    let people = [
        ("admin@demo.ordo.test", Role::Admin, "Asha", "Admin"),
        (
            "manager@demo.ordo.test",
            Role::Manager,
            "Manoj",
            "Operations",
        ),
        ("staff@demo.ordo.test", Role::Staff, "Sara", "Staff"),
        (
            "customer@demo.ordo.test",
            Role::Customer,
            "Chris",
            "Customer",
        ),
    ];
    println!("Demo accounts:");
    for (email, role, first, last) in people {
        if users::find_by_email(state.db.conn(), email)
            .await?
            .is_some()
        {
            println!("  {email:<26} {role:<9} (already present; password unchanged)");
            continue;
        }
        let password = format!("demo-{}", &random_secret()[..12]);
        admin::create_from_cli(state, email, &password, role, first, last).await?;
        println!("  {email:<26} {role:<9} password: {password}");
    }
    Ok(())
}
