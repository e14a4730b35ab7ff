//! The few SQL expressions dashboards need that each backend spells differently. Only column
//! names and numbers the code itself produces are put into the SQL text.

use sea_orm::sea_query::{Expr, SimpleExpr};
use sea_orm::DatabaseBackend;

/// `SUM(inner)` as a 64-bit integer (PostgreSQL and MySQL widen integer sums to decimals).
pub fn int_sum(backend: DatabaseBackend, inner: &str) -> SimpleExpr {
    let int = match backend {
        DatabaseBackend::Postgres => "BIGINT",
        DatabaseBackend::MySql => "SIGNED",
        DatabaseBackend::Sqlite => "INTEGER",
    };
    Expr::cust(format!("CAST(COALESCE(SUM({inner}), 0) AS {int})"))
}

/// `COUNT(*)` where `condition` holds, as a 64-bit integer.
pub fn count_if(backend: DatabaseBackend, condition: &str) -> SimpleExpr {
    int_sum(backend, &format!("CASE WHEN {condition} THEN 1 ELSE 0 END"))
}

/// Whole seconds from `from` to `to` (NULL when either is).
pub fn seconds_between(backend: DatabaseBackend, from: &str, to: &str) -> String {
    match backend {
        DatabaseBackend::Sqlite => format!("((julianday({to}) - julianday({from})) * 86400)"),
        DatabaseBackend::Postgres => format!("EXTRACT(EPOCH FROM ({to} - {from}))"),
        DatabaseBackend::MySql => format!("TIMESTAMPDIFF(SECOND, {from}, {to})"),
    }
}

/// The local date (`YYYY-MM-DD` text) of the stored UTC time `column`, `offset` minutes ahead.
pub fn local_day(backend: DatabaseBackend, column: &str, offset: i32) -> SimpleExpr {
    Expr::cust(match backend {
        DatabaseBackend::Sqlite => format!("date({column}, '{offset:+} minutes')"),
        DatabaseBackend::Postgres => {
            format!("TO_CHAR({column} + INTERVAL '{offset} minutes', 'YYYY-MM-DD')")
        }
        DatabaseBackend::MySql => {
            format!("DATE_FORMAT(DATE_ADD({column}, INTERVAL {offset} MINUTE), '%Y-%m-%d')")
        }
    })
}
