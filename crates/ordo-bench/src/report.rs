//! Results: latency percentiles from an HDR histogram, throughput, errors and server resources,
//! as a table and as JSON.

use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct Result {
    pub scenario: String,
    pub clients: usize,
    pub seconds: f64,
    pub requests: u64,
    pub per_second: f64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub errors: u64,
    /// Server CPU time over wall time, in percent of one core.
    pub server_cpu_percent: Option<f64>,
    pub server_peak_rss_mb: Option<f64>,
    /// For exports: rows written per second.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rows_per_second: Option<f64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub first_errors: Vec<String>,
}

impl Result {
    /// A scenario's result from its latency histogram (microseconds) and its duration.
    pub fn from_histogram(
        scenario: String,
        clients: usize,
        seconds: f64,
        histogram: &hdrhistogram::Histogram<u64>,
        errors: u64,
        first_errors: Vec<String>,
    ) -> Result {
        let ms = |us: u64| us as f64 / 1000.0;
        Result {
            scenario,
            clients,
            seconds,
            requests: histogram.len(),
            per_second: histogram.len() as f64 / seconds,
            p50_ms: ms(histogram.value_at_quantile(0.50)),
            p90_ms: ms(histogram.value_at_quantile(0.90)),
            p99_ms: ms(histogram.value_at_quantile(0.99)),
            max_ms: ms(histogram.max()),
            errors,
            server_cpu_percent: None,
            server_peak_rss_mb: None,
            rows_per_second: None,
            first_errors,
        }
    }
}

pub fn print_table(results: &[Result]) {
    println!(
        "{:<20} {:>7} {:>9} {:>10} {:>8} {:>8} {:>8} {:>8} {:>7} {:>7} {:>9}",
        "scenario",
        "clients",
        "requests",
        "req/s",
        "p50 ms",
        "p90 ms",
        "p99 ms",
        "max ms",
        "errors",
        "cpu %",
        "rss MB"
    );
    for r in results {
        let rate = match r.rows_per_second {
            Some(rows) => format!("{rows:.0} rows"),
            None => format!("{:.0}", r.per_second),
        };
        println!(
            "{:<20} {:>7} {:>9} {:>10} {:>8.2} {:>8.2} {:>8.2} {:>8.2} {:>7} {:>7} {:>9}",
            r.scenario,
            r.clients,
            r.requests,
            rate,
            r.p50_ms,
            r.p90_ms,
            r.p99_ms,
            r.max_ms,
            r.errors,
            r.server_cpu_percent
                .map_or("-".into(), |c| format!("{c:.0}")),
            r.server_peak_rss_mb
                .map_or("-".into(), |m| format!("{m:.1}")),
        );
    }
}
