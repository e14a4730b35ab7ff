use rand::rngs::StdRng;
use rand::Rng;

use crate::catalog::customers::{self, CustomerInput};
use crate::error::AppResult;
use crate::http::auth::AuthUser;
use crate::http::context::RequestContext;
use crate::identity::role::Role;
use crate::identity::service::{admin, users};
use crate::identity::tokens::random_secret;
use crate::orders::access::Viewer;
use crate::state::AppState;

/// The demo's actors, as the services see them.
pub struct DemoPeople {
    pub admin: Viewer,
    pub manager: Viewer,
    pub staff: Vec<Viewer>,
    pub customers: Vec<Viewer>,
    /// Customer records, the first ones linked to the customer accounts.
    pub customer_ids: Vec<uuid::Uuid>,
}

const ACCOUNTS: [(&str, Role, &str, &str); 7] = [
    ("admin@demo.ordo.test", Role::Admin, "Asha", "Admin"),
    (
        "manager@demo.ordo.test",
        Role::Manager,
        "Manoj",
        "Operations",
    ),
    ("staff@demo.ordo.test", Role::Staff, "Sara", "Staff"),
    ("staff2@demo.ordo.test", Role::Staff, "Tomas", "Field"),
    (
        "customer@demo.ordo.test",
        Role::Customer,
        "Chris",
        "Customer",
    ),
    ("customer2@demo.ordo.test", Role::Customer, "Priya", "Buyer"),
    ("customer3@demo.ordo.test", Role::Customer, "Lena", "Steel"),
];

const FIRST: [&str; 10] = [
    "Northern",
    "Coastal",
    "Metro",
    "Summit",
    "Riverside",
    "Eastern",
    "Golden",
    "Prime",
    "Union",
    "Atlas",
];
const SECOND: [&str; 10] = [
    "Steel",
    "Builders",
    "Engineering",
    "Foundry",
    "Traders",
    "Fabrication",
    "Rail",
    "Shipyards",
    "Supplies",
    "Works",
];
const CITIES: [&str; 8] = [
    "Mumbai",
    "Chennai",
    "Kolkata",
    "Pune",
    "Leeds",
    "Rotterdam",
    "Hamburg",
    "Houston",
];

fn viewer(user: &crate::identity::entity::user::Model, customer_id: Option<uuid::Uuid>) -> Viewer {
    let user = AuthUser {
        id: user.id,
        role: Role::parse(&user.role).unwrap_or(Role::Customer),
        session_id: uuid::Uuid::nil(),
        email: user.email.clone(),
    };
    Viewer {
        user,
        customer_id,
        customer: None,
    }
}

pub async fn seed(
    state: &AppState,
    rng: &mut StdRng,
    customer_count: usize,
) -> AppResult<DemoPeople> {
    println!("Demo accounts:");
    let mut models = Vec::new();
    for (email, role, first, last) in ACCOUNTS {
        let model = match users::find_by_email(state.db.conn(), email).await? {
            Some(existing) => {
                println!("  {email:<26} {role:<9} (already present; password unchanged)");
                existing
            }
            None => {
                let password = format!("demo-{}", &random_secret()[..12]);
                let created =
                    admin::create_from_cli(state, email, &password, role, first, last).await?;
                println!("  {email:<26} {role:<9} password: {password}");
                created
            }
        };
        models.push(model);
    }
    let admin_viewer = viewer(&models[0], None);
    let ctx = RequestContext::system("demo");
    let mut customer_ids = Vec::new();
    let customer_accounts = &models[4..];
    for (i, account) in customer_accounts.iter().enumerate() {
        let existing = customers::of_user(&state.db, account.id).await?;
        let id = match existing {
            Some(c) => c.id,
            None => {
                let input = CustomerInput {
                    name: Some(format!("{} {}", account.first_name, account.last_name)),
                    email: Some(account.email.clone()),
                    shipping_address: Some(format!(
                        "{} Dock Road, {}",
                        10 + i,
                        CITIES[i % CITIES.len()]
                    )),
                    user_id: Some(Some(account.id)),
                    ..Default::default()
                };
                customers::create(state, &admin_viewer.user, input, &ctx)
                    .await?
                    .id
            }
        };
        customer_ids.push(id);
    }
    let existing = customers::list(
        state,
        None,
        None,
        crate::http::pagination::PageRequest { page: 1, limit: 1 },
    )
    .await?
    .total_count as usize;
    for i in existing..customer_count.max(existing) {
        let name = format!(
            "{} {} {}",
            FIRST[i % 10],
            SECOND[(i / 10 + i) % 10],
            if i >= 100 {
                format!("#{i}")
            } else {
                String::new()
            }
        );
        let city = CITIES[rng.gen_range(0..CITIES.len())];
        let input = CustomerInput {
            name: Some(name.trim().to_string()),
            email: Some(format!(
                "orders{i}@{}.example",
                SECOND[i % 10].to_lowercase()
            )),
            phone: Some(format!(
                "+91 22 {:04} {:04}",
                rng.gen_range(1000..9999),
                rng.gen_range(1000..9999)
            )),
            shipping_address: Some(format!(
                "Plot {}, Industrial Area, {city}",
                rng.gen_range(1..400)
            )),
            billing_address: Some(format!("Accounts, {city}")),
            ..Default::default()
        };
        customer_ids.push(
            customers::create(state, &admin_viewer.user, input, &ctx)
                .await?
                .id,
        );
    }
    let customers_linked: Vec<Viewer> = customer_accounts
        .iter()
        .zip(&customer_ids)
        .map(|(account, id)| viewer(account, Some(*id)))
        .collect();
    Ok(DemoPeople {
        admin: admin_viewer,
        manager: viewer(&models[1], None),
        staff: vec![viewer(&models[2], None), viewer(&models[3], None)],
        customers: customers_linked,
        customer_ids,
    })
}
