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

/// API times on the wire, for `#[serde(with = "crate::time::iso")]`: exactly what chrono writes
/// (RFC 3339 in UTC with `Z`, and 0, 3, 6 or 9 digits of fraction, as few as the time needs),
/// but formatted into one buffer and written as one string. chrono's own serializer writes a
/// time through the JSON writer one character at a time, each escaped on its own: on an order
/// page that was a sixteenth of the server's instructions.
pub mod iso {
    use chrono::{DateTime, Datelike, Timelike, Utc};
    use serde::{Serialize, Serializer};

    /// `YYYY-MM-DDTHH:MM:SS.fffffffffZ`, the longest form written here.
    const LONGEST: usize = 30;

    pub fn serialize<S: Serializer>(at: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
        let mut buffer = [0u8; LONGEST];
        match write(at, &mut buffer) {
            Some(text) => serializer.serialize_str(text),
            // Years beyond four digits and leap seconds: chrono's own form.
            None => at.serialize(serializer),
        }
    }

    /// The same for an optional time (`null` when absent).
    pub mod option {
        use super::*;

        pub fn serialize<S: Serializer>(
            at: &Option<DateTime<Utc>>,
            serializer: S,
        ) -> Result<S::Ok, S::Error> {
            match at {
                Some(at) => super::serialize(at, serializer),
                None => serializer.serialize_none(),
            }
        }
    }

    fn write<'a>(at: &DateTime<Utc>, out: &'a mut [u8; LONGEST]) -> Option<&'a str> {
        let year = u32::try_from(at.year()).ok().filter(|y| *y <= 9999)?;
        let nanos = at.nanosecond();
        if nanos >= 1_000_000_000 {
            return None;
        }
        let mut length = 0;
        // `value` as `width` digits, then `after`.
        let mut put = |value: u32, width: u32, after: u8| {
            for place in (0..width).rev() {
                out[length] = b'0' + (value / 10u32.pow(place) % 10) as u8;
                length += 1;
            }
            out[length] = after;
            length += 1;
        };
        put(year, 4, b'-');
        put(at.month(), 2, b'-');
        put(at.day(), 2, b'T');
        put(at.hour(), 2, b':');
        put(at.minute(), 2, b':');
        match nanos {
            0 => put(at.second(), 2, b'Z'),
            n => {
                put(at.second(), 2, b'.');
                match n {
                    n if n % 1_000_000 == 0 => put(n / 1_000_000, 3, b'Z'),
                    n if n % 1_000 == 0 => put(n / 1_000, 6, b'Z'),
                    n => put(n, 9, b'Z'),
                }
            }
        }
        std::str::from_utf8(&out[..length]).ok()
    }

    #[cfg(test)]
    mod tests {
        use chrono::{DateTime, Duration, TimeZone, Utc};

        #[derive(serde::Serialize)]
        struct Ours {
            #[serde(with = "super")]
            at: DateTime<Utc>,
            #[serde(with = "super::option")]
            maybe: Option<DateTime<Utc>>,
        }

        #[derive(serde::Serialize)]
        struct Chronos {
            at: DateTime<Utc>,
            maybe: Option<DateTime<Utc>>,
        }

        fn both(at: DateTime<Utc>, maybe: Option<DateTime<Utc>>) -> (String, String) {
            (
                serde_json::to_string(&Ours { at, maybe }).unwrap(),
                serde_json::to_string(&Chronos { at, maybe }).unwrap(),
            )
        }

        #[test]
        fn writes_what_chrono_writes() {
            let base = Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap();
            let fractions = [
                0,
                1,
                999,
                1_000,
                120_000,
                952_536_000,
                500_000_000,
                7,
                999_999_999,
            ];
            let mut checked = 0;
            for days in [-800_000, -3650, 0, 1, 59, 365 * 4, 2_900_000, 3_000_000] {
                for nanos in fractions {
                    let at = base + Duration::days(days) + Duration::nanoseconds(nanos);
                    let (ours, chronos) = both(at, Some(at));
                    assert_eq!(ours, chronos);
                    checked += 1;
                }
            }
            assert_eq!(both(base, None).0, both(base, None).1);
            assert_eq!(
                both(base + Duration::microseconds(952_536), None).0,
                r#"{"at":"2026-01-02T03:04:05.952536Z","maybe":null}"#
            );
            assert_eq!(checked, 72);
        }
    }
}
