use askama::Template;
use axum::extract::rejection::FormRejection;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::Form;
use serde::Deserialize;

use crate::error::{AppError, FieldError};
use crate::http::context::RequestContext;
use crate::http::extract::ApiQuery;
use crate::identity::service::password_reset;
use crate::identity::service::register::{self, RegisterRequest, SetupRequest};
use crate::identity::service::users::ProfileInput;
use crate::state::AppState;

fn render(status: StatusCode, template: &impl Template) -> Response {
    match template.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(err) => AppError::Internal(anyhow::Error::new(err).context("template")).into_response(),
    }
}

fn form_error(rejection: FormRejection) -> AppError {
    AppError::BadRequest {
        code: "BAD_REQUEST",
        message: rejection.body_text(),
    }
}

/// What the page can show about a failed submission.
fn describe(err: AppError) -> Result<(StatusCode, Vec<FieldError>, Option<String>), AppError> {
    let status = err.status();
    match err {
        AppError::Validation(details) => Ok((status, details, None)),
        AppError::Conflict {
            field: Some(field),
            message,
        } => Ok((status, vec![FieldError::new(field, message)], None)),
        AppError::Internal(err) => Err(AppError::Internal(err)),
        other => Ok((status, Vec::new(), Some(other.to_string()))),
    }
}

#[derive(Template, Default)]
#[template(path = "setup.html")]
struct SetupPage {
    available: bool,
    done: bool,
    token: String,
    email: String,
    first_name: String,
    last_name: String,
    errors: Vec<FieldError>,
    message: Option<String>,
}

#[derive(Deserialize)]
pub struct TokenQuery {
    token: Option<String>,
}

fn setup_available(state: &AppState) -> bool {
    state
        .setup_token_hash
        .lock()
        .expect("setup token lock")
        .is_some()
}

pub async fn setup_page(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<TokenQuery>,
) -> Response {
    let page = SetupPage {
        available: setup_available(&state),
        token: q.token.unwrap_or_default(),
        ..Default::default()
    };
    render(StatusCode::OK, &page)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SetupForm {
    token: String,
    email: String,
    password: String,
    first_name: String,
    last_name: String,
}

pub async fn submit_setup(
    State(state): State<AppState>,
    ctx: RequestContext,
    form: Result<Form<SetupForm>, FormRejection>,
) -> Result<Response, AppError> {
    let Form(form) = form.map_err(form_error)?;
    let request = SetupRequest {
        token: form.token.clone(),
        account: RegisterRequest {
            email: form.email.clone(),
            password: form.password,
            profile: ProfileInput {
                first_name: Some(form.first_name.clone()),
                last_name: Some(form.last_name.clone()),
                ..Default::default()
            },
        },
    };
    let mut page = SetupPage {
        available: true,
        token: form.token,
        email: form.email,
        first_name: form.first_name,
        last_name: form.last_name,
        ..Default::default()
    };
    match register::setup(&state, request, &ctx).await {
        Ok(user) => {
            page.done = true;
            page.email = user.email;
            Ok(render(StatusCode::CREATED, &page))
        }
        Err(err) => {
            let (status, errors, message) = describe(err)?;
            page.available = setup_available(&state);
            page.errors = errors;
            page.message = message;
            Ok(render(status, &page))
        }
    }
}

#[derive(Template, Default)]
#[template(path = "reset_password.html")]
struct ResetPage {
    done: bool,
    token: String,
    errors: Vec<FieldError>,
    message: Option<String>,
}

pub async fn reset_page(ApiQuery(q): ApiQuery<TokenQuery>) -> Response {
    render(
        StatusCode::OK,
        &ResetPage {
            token: q.token.unwrap_or_default(),
            ..Default::default()
        },
    )
}

#[derive(Deserialize)]
pub struct ResetForm {
    token: String,
    password: String,
}

pub async fn submit_reset(
    State(state): State<AppState>,
    ctx: RequestContext,
    form: Result<Form<ResetForm>, FormRejection>,
) -> Result<Response, AppError> {
    let Form(form) = form.map_err(form_error)?;
    let mut page = ResetPage {
        token: form.token.clone(),
        ..Default::default()
    };
    match password_reset::reset(&state, &form.token, form.password, &ctx).await {
        Ok(()) => {
            page.done = true;
            Ok(render(StatusCode::OK, &page))
        }
        Err(err) => {
            let (status, errors, message) = describe(err)?;
            page.errors = errors;
            page.message = message;
            Ok(render(status, &page))
        }
    }
}
