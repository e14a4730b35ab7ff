//! Time as the database stores it: UTC without a zone, to the microsecond, the same on every
//! backend (MySQL's TIMESTAMP ends in 2038, and a zoned value bound to a DATETIME column is
//! converted by the session's zone, so zoned values never reach the database).

use chrono::{DateTime, NaiveDateTime, SubsecRound, Utc};

/// Now, as stored.
pub fn now() -> NaiveDateTime {
    Utc::now().naive_utc().trunc_subsecs(6)
}

/// A stored time as a zoned UTC time for the API.
pub fn utc(at: NaiveDateTime) -> DateTime<Utc> {
    at.and_utc()
}

/// An API time as stored.
pub fn stored(at: DateTime<Utc>) -> NaiveDateTime {
    at.naive_utc().trunc_subsecs(6)
}
