use rand::rngs::StdRng;
use rand::Rng;
use rust_decimal::Decimal;
use uuid::Uuid;

use super::people::DemoPeople;
use crate::catalog::products::{self, ProductInput};
use crate::error::AppResult;
use crate::http::context::RequestContext;
use crate::state::AppState;

/// A product the demo orders can use.
pub struct DemoProduct {
    pub id: Uuid,
    pub sku: String,
}

pub struct DemoCatalog {
    /// Steel materials, whose SKUs are the material codes rake orders name.
    pub materials: Vec<DemoProduct>,
    pub goods: Vec<DemoProduct>,
}

const MATERIALS: [(&str, &str, i64); 7] = [
    ("HRC", "Hot rolled coil", 52_000),
    ("CRC", "Cold rolled coil", 61_000),
    ("TMT", "TMT reinforcement bars", 48_500),
    ("PLATE", "Heavy plate", 57_250),
    ("BILLET", "Billets", 41_000),
    ("SLAB", "Slabs", 39_800),
    ("WIRE", "Wire rod", 50_100),
];

const ADJECTIVES: [&str; 10] = [
    "Compact",
    "Heavy-duty",
    "Stainless",
    "Galvanised",
    "Precision",
    "Insulated",
    "Portable",
    "Reinforced",
    "Coated",
    "Industrial",
];
const NOUNS: [&str; 10] = [
    "bolt set",
    "angle grinder",
    "safety helmet",
    "hydraulic jack",
    "welding rod pack",
    "chain hoist",
    "pipe clamp",
    "work gloves",
    "drill bit set",
    "tape measure",
];

pub async fn seed(
    state: &AppState,
    people: &DemoPeople,
    rng: &mut StdRng,
    count: usize,
) -> AppResult<DemoCatalog> {
    let ctx = RequestContext::system("demo");
    let actor = &people.admin.user;
    let mut catalog = DemoCatalog {
        materials: Vec::new(),
        goods: Vec::new(),
    };
    for (sku, name, price) in MATERIALS {
        let input = ProductInput {
            sku: Some(sku.into()),
            name: Some(name.into()),
            unit: Some("t".into()),
            price: Some(Decimal::from(price)),
            currency: Some("INR".into()),
            reorder_level: Some(Decimal::from(500)),
            initial_stock: Some(Decimal::from(rng.gen_range(40_000..80_000))),
            ..Default::default()
        };
        let created = products::create(state, actor, input, &ctx).await?;
        catalog.materials.push(DemoProduct {
            id: created.id,
            sku: created.sku,
        });
    }
    for i in 0..count.saturating_sub(MATERIALS.len()) {
        let name = format!("{} {}", ADJECTIVES[i % 10], NOUNS[(i / 10) % 10]);
        let input = ProductInput {
            sku: Some(format!("TOOL-{:04}", i + 1)),
            name: Some(name),
            description: Some("Workshop and site equipment".into()),
            unit: Some("pcs".into()),
            price: Some(Decimal::new(rng.gen_range(199..49_999), 2)),
            reorder_level: Some(Decimal::from(rng.gen_range(5..40))),
            initial_stock: Some(Decimal::from(rng.gen_range(200..2_000))),
            ..Default::default()
        };
        let created = products::create(state, actor, input, &ctx).await?;
        catalog.goods.push(DemoProduct {
            id: created.id,
            sku: created.sku,
        });
    }
    println!(
        "{} products with stock.",
        catalog.materials.len() + catalog.goods.len()
    );
    Ok(catalog)
}
