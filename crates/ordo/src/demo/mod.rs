//! `ordo seed --demo`: realistic sample data for trying Ordo out. Accounts of every role (with
//! printed passwords), 50 customers, 100 products with stock, and 2,000 orders across the three
//! workflows and every status, spread over the last 90 days. Everything is created through the
//! same services the API uses, so stock, history, audit and events agree; only the dates are
//! moved back afterwards.

mod bulk;
mod orders;
mod people;
mod products;

use rand::rngs::StdRng;
use rand::SeedableRng;

use crate::error::AppResult;
use crate::state::AppState;

pub use people::DemoPeople;

/// Numbers of records to create.
pub struct DemoSize {
    pub customers: usize,
    pub products: usize,
    pub orders: usize,
}

impl Default for DemoSize {
    fn default() -> Self {
        Self {
            customers: 50,
            products: 100,
            orders: 2_000,
        }
    }
}

pub async fn seed(state: &AppState, size: DemoSize) -> AppResult<()> {
    let mut rng = StdRng::seed_from_u64(20_261_122);
    let people = people::seed(state, &mut rng, size.customers).await?;
    if crate::orders::store::any_orders(state.db.conn()).await? {
        println!("Orders exist already; no demo orders added.");
        return Ok(());
    }
    let catalog = products::seed(state, &people, &mut rng, size.products).await?;
    let started = std::time::Instant::now();
    let created = orders::seed(state, &people, &catalog, &mut rng, size.orders).await?;
    println!(
        "{created} demo orders created in {:.1} s.",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// `ordo seed --orders N`: the demo accounts and catalog when missing, then `count` more orders
/// through the bulk loader.
pub async fn seed_bulk(state: &AppState, count: usize) -> AppResult<()> {
    let mut rng = StdRng::seed_from_u64(rand::random());
    let size = DemoSize::default();
    let people = people::seed(state, &mut rng, size.customers).await?;
    if !crate::catalog::products::any(state.db.conn()).await? {
        products::seed(state, &people, &mut rng, size.products).await?;
    }
    let written = bulk::load(state, &people, &mut rng, count).await?;
    crate::db::analyze(&state.db)
        .await
        .map_err(crate::error::AppError::Internal)?;
    println!("{written} orders added.");
    Ok(())
}
