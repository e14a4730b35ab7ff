//! The period a dashboard covers and how its days are cut: `from`, `to` and `tz` (an IANA zone
//! name). Days start at local midnight in `tz`, so "today" and per-day series match what the
//! user's calendar says, across daylight-saving changes too.

use chrono::{DateTime, Days, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::error::{AppError, AppResult};

/// The longest period one request may cover.
const MAX_DAYS: u64 = 3 * 366;
/// The period when `from` is not given.
const DEFAULT_DAYS: u64 = 30;

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RangeQuery {
    /// First day (`2026-11-01`, local to `tz`) or instant (RFC 3339). Default: 30 days before `to`.
    pub from: Option<String>,
    /// Last day, included (`2026-11-30`), or an instant, excluded. Default: now.
    pub to: Option<String>,
    /// IANA time zone, e.g. `Europe/Berlin` (default `UTC`).
    pub tz: Option<String>,
}

#[derive(Clone, Debug)]
pub struct Range {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub tz: Tz,
    /// The period runs to the moment it was asked for (no `to` was given).
    pub to_now: bool,
}

/// A run of local days whose rows can be grouped by day with one fixed offset.
#[derive(Debug, PartialEq)]
pub struct Segment {
    pub start: NaiveDateTime,
    pub end: NaiveDateTime,
    /// Minutes to add to a stored UTC time to get local time, for the whole segment; `None`
    /// for a single day whose offset changes within it (it is grouped as `first_day`).
    pub offset_minutes: Option<i32>,
    pub first_day: NaiveDate,
}

impl RangeQuery {
    pub fn resolve(&self, now: DateTime<Utc>) -> AppResult<Range> {
        let tz: Tz = match self.tz.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => Tz::UTC,
            Some(name) => name
                .parse()
                .map_err(|_| AppError::field("tz", format!("{name} is not an IANA time zone")))?,
        };
        let to = match self.to.as_deref() {
            None => now,
            Some(text) => parse_bound(text, tz, true).ok_or_else(|| {
                AppError::field("to", "must be a date (YYYY-MM-DD) or an RFC 3339 time")
            })?,
        };
        let from = match self.from.as_deref() {
            None => {
                let today = to.with_timezone(&tz).date_naive();
                local_midnight(tz, today - Days::new(DEFAULT_DAYS - 1))
            }
            Some(text) => parse_bound(text, tz, false).ok_or_else(|| {
                AppError::field("from", "must be a date (YYYY-MM-DD) or an RFC 3339 time")
            })?,
        };
        if from >= to {
            return Err(AppError::field("from", "must be before to"));
        }
        if (to - from).num_days() as u64 > MAX_DAYS {
            return Err(AppError::field(
                "from",
                format!("the period may span at most {MAX_DAYS} days"),
            ));
        }
        Ok(Range {
            from,
            to,
            tz,
            to_now: self.to.is_none(),
        })
    }
}

fn parse_bound(text: &str, tz: Tz, end: bool) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Some(at.with_timezone(&Utc));
    }
    let day = NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
    // A last day is included: the period ends at the next local midnight.
    let day = if end {
        day.checked_add_days(Days::new(1))?
    } else {
        day
    };
    Some(local_midnight(tz, day))
}

/// The instant a local day starts (the first existing local time where midnight is skipped).
pub fn local_midnight(tz: Tz, day: NaiveDate) -> DateTime<Utc> {
    let mut time = day.and_time(NaiveTime::MIN);
    for _ in 0..4 {
        if let Some(at) = tz.from_local_datetime(&time).earliest() {
            return at.with_timezone(&Utc);
        }
        time += chrono::Duration::minutes(30);
    }
    Utc.from_utc_datetime(&day.and_time(NaiveTime::MIN))
}

impl Range {
    pub fn from_stored(&self) -> NaiveDateTime {
        self.from.naive_utc()
    }

    pub fn to_stored(&self) -> NaiveDateTime {
        self.to.naive_utc()
    }

    pub fn local_day(&self, at: DateTime<Utc>) -> NaiveDate {
        at.with_timezone(&self.tz).date_naive()
    }

    fn offset_minutes(&self, at: DateTime<Utc>) -> i32 {
        self.tz
            .offset_from_utc_datetime(&at.naive_utc())
            .fix()
            .local_minus_utc()
            / 60
    }

    /// The local days of the period, each cut at local midnight and clipped to the period.
    pub fn days(&self) -> Vec<(NaiveDate, DateTime<Utc>, DateTime<Utc>)> {
        let mut days = Vec::new();
        let mut day = self.local_day(self.from);
        loop {
            let start = local_midnight(self.tz, day).max(self.from);
            if start >= self.to {
                break;
            }
            let next = day + Days::new(1);
            let end = local_midnight(self.tz, next).min(self.to);
            days.push((day, start, end));
            day = next;
        }
        days
    }

    /// The period split where the zone's offset changes, so each part can be grouped by local
    /// day in SQL with one fixed offset.
    pub fn segments(&self) -> Vec<Segment> {
        let mut segments: Vec<Segment> = Vec::new();
        for (day, start, end) in self.days() {
            let at_start = self.offset_minutes(start);
            let last_instant = end - chrono::Duration::microseconds(1);
            let steady = at_start == self.offset_minutes(last_instant);
            let offset = steady.then_some(at_start);
            match segments.last_mut() {
                Some(last) if offset.is_some() && last.offset_minutes == offset => {
                    last.end = end.naive_utc();
                }
                _ => segments.push(Segment {
                    start: start.naive_utc(),
                    end: end.naive_utc(),
                    offset_minutes: offset,
                    first_day: day,
                }),
            }
        }
        segments
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(from: &str, to: &str, tz: &str) -> Range {
        RangeQuery {
            from: Some(from.into()),
            to: Some(to.into()),
            tz: Some(tz.into()),
        }
        .resolve(Utc::now())
        .unwrap()
    }

    #[test]
    fn days_are_cut_at_local_midnight() {
        let r = range("2026-11-01", "2026-11-02", "Asia/Kolkata");
        assert_eq!(r.from.to_rfc3339(), "2026-10-31T18:30:00+00:00");
        assert_eq!(r.to.to_rfc3339(), "2026-11-02T18:30:00+00:00");
        assert_eq!(r.days().len(), 2);
        assert_eq!(r.segments().len(), 1);
        assert_eq!(r.segments()[0].offset_minutes, Some(330));
    }

    #[test]
    fn a_daylight_saving_change_gets_its_own_segment() {
        // Berlin leaves summer time on 2026-10-25.
        let r = range("2026-10-23", "2026-10-27", "Europe/Berlin");
        let segments = r.segments();
        let offsets: Vec<Option<i32>> = segments.iter().map(|s| s.offset_minutes).collect();
        assert_eq!(offsets, [Some(120), None, Some(60)]);
        assert_eq!(segments[1].first_day.to_string(), "2026-10-25");
        assert_eq!(r.days().len(), 5);
        let (_, start, end) = r.days()[2];
        assert_eq!((end - start).num_hours(), 25);
    }

    #[test]
    fn bad_ranges_name_the_field() {
        let bad = |from: &str, to: &str, tz: &str| {
            RangeQuery {
                from: Some(from.into()),
                to: Some(to.into()),
                tz: Some(tz.into()),
            }
            .resolve(Utc::now())
            .unwrap_err()
        };
        for (err, field) in [
            (bad("2026-01-01", "2026-02-01", "Mars/Olympus"), "tz"),
            (bad("yesterday", "2026-02-01", "UTC"), "from"),
            (bad("2026-01-01", "2026-13-01", "UTC"), "to"),
            (bad("2026-02-01", "2026-01-01", "UTC"), "from"),
            (bad("2016-01-01", "2026-01-01", "UTC"), "from"),
        ] {
            assert!(format!("{err:?}").contains(field), "{err:?}");
        }
    }

    #[test]
    fn the_default_period_is_thirty_local_days() {
        let r = RangeQuery::default().resolve(Utc::now()).unwrap();
        assert_eq!(r.days().len(), 30);
    }
}
