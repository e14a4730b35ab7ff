//! Exact decimal quantities and money, stored as fixed-point integers.
//!
//! The API speaks `rust_decimal::Decimal`; the database stores integers (quantities in
//! thousandths, money in ten-thousandths), which are exact, sort and sum in SQL on every backend.

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};

use crate::error::FieldError;

/// Quantities keep three decimals (a ton to the kilogram).
pub const QTY_SCALE: u32 = 3;
/// Money keeps four decimals (unit prices); totals are rounded to cents.
pub const MONEY_SCALE: u32 = 4;
/// Largest quantity or amount accepted, far inside the i64 range after scaling.
const MAX_VALUE: i64 = 1_000_000_000_000;

fn to_units(field: &str, value: Decimal, scale: u32, what: &str) -> Result<i64, FieldError> {
    if value.normalize().scale() > scale {
        return Err(FieldError::new(
            field,
            format!("{what} may have at most {scale} decimal places"),
        ));
    }
    let Some(scaled) = value.checked_mul(Decimal::from(10i64.pow(scale))) else {
        return Err(FieldError::new(field, format!("{what} is too large")));
    };
    match scaled.trunc().to_i64() {
        Some(units) if units.abs() <= MAX_VALUE * 10i64.pow(scale) => Ok(units),
        _ => Err(FieldError::new(field, format!("{what} is too large"))),
    }
}

/// A quantity greater than zero.
pub fn positive_qty(field: &str, value: Decimal) -> Result<i64, FieldError> {
    let units = to_units(field, value, QTY_SCALE, "a quantity")?;
    if units <= 0 {
        return Err(FieldError::new(field, "must be greater than zero"));
    }
    Ok(units)
}

/// A quantity that may be negative or zero (stock adjustments).
pub fn signed_qty(field: &str, value: Decimal) -> Result<i64, FieldError> {
    to_units(field, value, QTY_SCALE, "a quantity")
}

/// Zero or more (prices, reorder levels).
pub fn non_negative_money(field: &str, value: Decimal) -> Result<i64, FieldError> {
    let units = to_units(field, value, MONEY_SCALE, "an amount")?;
    if units < 0 {
        return Err(FieldError::new(field, "must not be negative"));
    }
    Ok(units)
}

pub fn non_negative_qty(field: &str, value: Decimal) -> Result<i64, FieldError> {
    let units = to_units(field, value, QTY_SCALE, "a quantity")?;
    if units < 0 {
        return Err(FieldError::new(field, "must not be negative"));
    }
    Ok(units)
}

pub fn qty(units: i64) -> Decimal {
    Decimal::new(units, QTY_SCALE).normalize()
}

pub fn money(units: i64) -> Decimal {
    let mut d = Decimal::new(units, MONEY_SCALE);
    d.rescale(2.max(d.normalize().scale()));
    d
}

/// Largest line or order total, in money units (a hundred billion in the currency).
pub const MAX_TOTAL: i64 = 100_000_000_000 * 10_000;

/// quantity x unit price, rounded half away from zero to cents, in money units; None when it
/// exceeds [`MAX_TOTAL`].
pub fn line_total(qty_units: i64, price_units: i64) -> Option<i64> {
    let exact =
        Decimal::new(qty_units, QTY_SCALE).checked_mul(Decimal::new(price_units, MONEY_SCALE))?;
    let cents = exact.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    cents
        .checked_mul(Decimal::from(10i64.pow(MONEY_SCALE)))?
        .to_i64()
        .filter(|t| *t <= MAX_TOTAL)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn quantities_round_trip_exactly() {
        assert_eq!(positive_qty("q", d("12.345")).unwrap(), 12_345);
        assert_eq!(qty(12_345), d("12.345"));
        assert_eq!(qty(2_000), d("2"));
        assert!(positive_qty("q", d("0.0001")).is_err());
        assert!(positive_qty("q", d("0")).is_err());
        assert!(positive_qty("q", d("-1")).is_err());
        assert!(positive_qty("q", d("1e15")).is_err());
        assert_eq!(signed_qty("q", d("-2.5")).unwrap(), -2_500);
        assert_eq!(
            positive_qty("q", d("1.500")).unwrap(),
            1_500,
            "trailing zeros are not extra places"
        );
    }

    #[test]
    fn money_is_exact_and_totals_round_to_cents() {
        assert_eq!(non_negative_money("p", d("19.99")).unwrap(), 199_900);
        assert_eq!(money(199_900).to_string(), "19.99");
        assert_eq!(money(10_000).to_string(), "1.00");
        assert_eq!(money(12_345).to_string(), "1.2345");
        assert!(non_negative_money("p", d("0.00001")).is_err());
        // 3 x 0.1 is 0.3 exactly, not 0.30000000000000004.
        assert_eq!(line_total(3_000, 1_000), Some(3_000));
        // 1.005 t x 10.00 = 10.05; 0.333 x 0.015 = 0.004995 -> 0.00.
        assert_eq!(
            money(line_total(1_005, 100_000).unwrap()).to_string(),
            "10.05"
        );
        assert_eq!(line_total(333, 150), Some(0));
        assert_eq!(money(line_total(2_500, 1_005).unwrap()).to_string(), "0.25");
        // A trillion units at a trillion each is refused, not wrapped.
        assert_eq!(
            line_total(1_000_000_000_000_000, 10_000_000_000_000_000),
            None
        );
        assert!(
            positive_qty("q", d("100000000000000000000000000")).is_err(),
            "no overflow panic"
        );
    }
}
