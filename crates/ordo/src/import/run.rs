//! Running an import: every row is validated and written through the same service as the API's
//! single-record route, each in a savepoint of one transaction. A dry run rolls the whole
//! transaction back (so it checks exactly what a real run would); an atomic run commits only
//! when every row succeeded; otherwise the good rows are committed and the bad ones reported.

use sea_orm::DatabaseTransaction;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::file::Row;
use crate::error::{AppError, AppResult, FieldError};
use crate::orders::stats;
use crate::state::AppState;

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct ImportOptions {
    /// Check every row and report, writing nothing.
    #[serde(default)]
    pub dry_run: bool,
    /// Write every row or none.
    #[serde(default)]
    pub atomic: bool,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImportReport {
    pub dry_run: bool,
    pub atomic: bool,
    /// Whether anything was written.
    pub committed: bool,
    pub rows: usize,
    /// Rows that passed every check (written only when `committed`).
    pub succeeded: usize,
    pub failed: usize,
    /// The records written (or that a dry run would write).
    pub written: Vec<WrittenRow>,
    pub errors: Vec<RowError>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WrittenRow {
    pub line: u64,
    pub id: Uuid,
    /// The order number or SKU.
    pub key: String,
    /// `created` or `updated`.
    pub action: &'static str,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RowError {
    pub line: u64,
    /// The column at fault, when one is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    pub code: String,
    pub message: String,
}

/// What one kind of import does with a row.
#[async_trait::async_trait]
pub trait Importer: Sync {
    /// Reads and writes `row` inside `txn`; field errors say what is wrong with it.
    async fn write(&self, txn: &DatabaseTransaction, row: &Row) -> Result<WrittenRow, RowFailure>;
}

pub enum RowFailure {
    Fields(Vec<FieldError>),
    Service(AppError),
}

impl From<AppError> for RowFailure {
    fn from(err: AppError) -> Self {
        RowFailure::Service(err)
    }
}

fn row_errors(line: u64, failure: RowFailure) -> Vec<RowError> {
    let fields = match failure {
        RowFailure::Fields(fields) => fields,
        RowFailure::Service(AppError::Validation(fields)) => fields,
        RowFailure::Service(err) => {
            let detail = err.detail();
            let field = detail.details.first().map(|d| d.field.clone());
            return vec![RowError {
                line,
                field,
                code: detail.code,
                message: detail.message,
            }];
        }
    };
    fields
        .into_iter()
        .map(|f| RowError {
            line,
            field: Some(f.field),
            code: "VALIDATION_ERROR".into(),
            message: f.message,
        })
        .collect()
}

pub async fn run(
    state: &AppState,
    rows: Vec<Row>,
    options: &ImportOptions,
    importer: &dyn Importer,
) -> AppResult<ImportReport> {
    let txn = state.db.begin_write().await?;
    // Summary counts are written once, after every row (see `stats::deferred`).
    let mut summary = stats::Delta::default();
    let mut written = Vec::new();
    let mut errors = Vec::new();
    let mut failed = 0;
    for row in &rows {
        if let Some(reason) = &row.broken {
            failed += 1;
            errors.push(RowError {
                line: row.line,
                field: None,
                code: "VALIDATION_ERROR".into(),
                message: format!("line {} {reason}", row.line),
            });
            continue;
        }
        let savepoint = txn.begin().await?;
        let (outcome, row_summary) = stats::deferred(importer.write(&savepoint, row)).await;
        match outcome {
            Ok(done) => {
                savepoint.commit().await?;
                summary.merge(row_summary);
                written.push(done);
            }
            Err(failure) => {
                savepoint.rollback().await?;
                failed += 1;
                errors.extend(row_errors(row.line, failure));
            }
        }
    }
    let refused = options.atomic && failed > 0;
    let commit = !(options.dry_run || refused || written.is_empty());
    if commit {
        summary.apply(&txn).await?;
        txn.commit().await?;
    } else {
        drop(txn);
    }
    let succeeded = written.len();
    Ok(ImportReport {
        dry_run: options.dry_run,
        atomic: options.atomic,
        committed: commit,
        rows: rows.len(),
        succeeded,
        failed,
        written: if commit || options.dry_run {
            written
        } else {
            Vec::new()
        },
        errors,
    })
}
