//! Moving orders: the one transition route, the reference systems' shortcut routes onto it,
//! assignment, shipments and the auto-advance job.

use axum::extract::State;
use axum::http::StatusCode;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use crate::error::{AppResult, ErrorBody};
use crate::http::auth::{AuthUser, Require};
use crate::http::context::RequestContext;
use crate::http::extract::ApiPath;
use crate::http::json::ApiJson;
use crate::identity::permissions::Permission;
use crate::orders::access::Viewer;
use crate::orders::jobs;
use crate::orders::service::assign::{self, AssigneeRequest};
use crate::orders::service::read;
use crate::orders::service::shipments::{self, NewShipment};
use crate::orders::service::transition::{self, TransitionFields, TransitionRequest};
use crate::orders::view::{OrderView, ShipmentView};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(fire_transition))
        .routes(routes!(finalize))
        .routes(routes!(complete))
        .routes(routes!(cancel))
        .routes(routes!(set_status))
        .routes(routes!(set_assignee))
        .routes(routes!(list_shipments, create_shipment))
        .routes(routes!(deliver_shipment))
        .routes(routes!(run_auto_advance))
}

async fn move_order(
    state: &AppState,
    user: &AuthUser,
    id: Uuid,
    request: TransitionRequest,
    ctx: &RequestContext,
) -> AppResult<ApiJson<OrderView>> {
    user.require(Permission::WorkOrders)?;
    let viewer = Viewer::load(&state.db, user).await?;
    let order = transition::transition(state, &viewer, id, request, ctx).await?;
    Ok(ApiJson(read::view(state, &viewer, order).await?))
}

/// Moves the order to another status, as its workflow allows the caller.
#[utoipa::path(post, path = "/api/v1/orders/{id}/transitions", tag = "orders", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = TransitionRequest,
    responses((status = 200, body = OrderView), (status = 400, description = "A required field is missing", body = ErrorBody),
        (status = 403, description = "The caller's role may not fire this transition", body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, description = "Stale version or not enough stock", body = ErrorBody),
        (status = 422, description = "No such transition from the current status, or the window closed", body = ErrorBody)))]
async fn fire_transition(
    State(state): State<AppState>,
    user: AuthUser,
    ctx: RequestContext,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(request): ApiJson<TransitionRequest>,
) -> AppResult<ApiJson<OrderView>> {
    move_order(&state, &user, id, request, &ctx).await
}

/// Rake orders: draft -> finalized.
#[utoipa::path(post, path = "/api/v1/orders/{id}/finalize", tag = "orders", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = OrderView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn finalize(
    State(state): State<AppState>,
    user: AuthUser,
    ctx: RequestContext,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<ApiJson<OrderView>> {
    move_order(
        &state,
        &user,
        id,
        TransitionRequest {
            to: "finalized".into(),
            note: None,
            fields: Default::default(),
        },
        &ctx,
    )
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CompleteRequest {
    #[schema(value_type = Option<String>, pattern = r"^-?[0-9]+(\.[0-9]+)?$", example = "118.5")]
    pub dispatch_quantity: Option<Decimal>,
    #[schema(max_length = 5000)]
    pub completion_notes: Option<String>,
}

/// Completes the order (rake orders record the dispatched quantity).
#[utoipa::path(post, path = "/api/v1/orders/{id}/complete", tag = "orders", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = CompleteRequest,
    responses((status = 200, body = OrderView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn complete(
    State(state): State<AppState>,
    user: AuthUser,
    ctx: RequestContext,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<CompleteRequest>,
) -> AppResult<ApiJson<OrderView>> {
    let fields = TransitionFields {
        dispatch_quantity: body.dispatch_quantity,
        completion_notes: body.completion_notes,
        ..Default::default()
    };
    move_order(
        &state,
        &user,
        id,
        TransitionRequest {
            to: "completed".into(),
            note: None,
            fields,
        },
        &ctx,
    )
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CancelRequest {
    #[schema(min_length = 1, max_length = 500)]
    pub reason: String,
}

/// Cancels the order; customers may cancel their own shop order within the cancellation window.
#[utoipa::path(post, path = "/api/v1/orders/{id}/cancel", tag = "orders", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = CancelRequest,
    responses((status = 200, body = OrderView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, description = "Not cancellable now, or the window closed (the deadline is stated)", body = ErrorBody)))]
async fn cancel(
    State(state): State<AppState>,
    user: AuthUser,
    ctx: RequestContext,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<CancelRequest>,
) -> AppResult<ApiJson<OrderView>> {
    let fields = TransitionFields {
        reason: Some(body.reason),
        ..Default::default()
    };
    move_order(
        &state,
        &user,
        id,
        TransitionRequest {
            to: "cancelled".into(),
            note: None,
            fields,
        },
        &ctx,
    )
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct StatusRequest {
    pub status: String,
    #[schema(max_length = 1000)]
    pub note: Option<String>,
}

/// Sets the status (the e-commerce reference's route): the same as a transition to it.
#[utoipa::path(patch, path = "/api/v1/orders/{id}/status", tag = "orders", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = StatusRequest,
    responses((status = 200, body = OrderView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn set_status(
    State(state): State<AppState>,
    user: AuthUser,
    ctx: RequestContext,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<StatusRequest>,
) -> AppResult<ApiJson<OrderView>> {
    move_order(
        &state,
        &user,
        id,
        TransitionRequest {
            to: body.status,
            note: body.note,
            fields: Default::default(),
        },
        &ctx,
    )
    .await
}

/// Assigns the order to a staff or manager account (or unassigns it with `null`).
#[utoipa::path(put, path = "/api/v1/orders/{id}/assignee", tag = "orders", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = AssigneeRequest,
    responses((status = 200, body = OrderView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn set_assignee(
    State(state): State<AppState>,
    Require(user): Require<{ Permission::AssignOrders as u8 }>,
    ctx: RequestContext,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<AssigneeRequest>,
) -> AppResult<ApiJson<OrderView>> {
    let viewer = Viewer::load(&state.db, &user).await?;
    let order = assign::assign(&state, &viewer, id, body, &ctx).await?;
    Ok(ApiJson(read::view(&state, &viewer, order).await?))
}

/// The order's shipments.
#[utoipa::path(get, path = "/api/v1/orders/{id}/shipments", tag = "orders", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<ShipmentView>), (status = 404, body = ErrorBody)))]
async fn list_shipments(
    State(state): State<AppState>,
    Require(user): Require<{ Permission::ViewOrders as u8 }>,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<ApiJson<Vec<ShipmentView>>> {
    let viewer = Viewer::load(&state.db, &user).await?;
    Ok(ApiJson(shipments::list(&state, &viewer, id).await?))
}

/// Ships part or all of the order's open quantities; the order moves on when all has shipped.
#[utoipa::path(post, path = "/api/v1/orders/{id}/shipments", tag = "orders", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = NewShipment,
    responses((status = 201, body = ShipmentView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, description = "More than is left to ship, or not shippable now", body = ErrorBody)))]
async fn create_shipment(
    State(state): State<AppState>,
    Require(user): Require<{ Permission::ShipOrders as u8 }>,
    ctx: RequestContext,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<NewShipment>,
) -> AppResult<(StatusCode, ApiJson<ShipmentView>)> {
    let viewer = Viewer::load(&state.db, &user).await?;
    Ok((
        StatusCode::CREATED,
        ApiJson(shipments::create(&state, &viewer, id, body, &ctx).await?),
    ))
}

/// Records a shipment's delivery; the order completes when every shipment has arrived.
#[utoipa::path(post, path = "/api/v1/orders/{id}/shipments/{shipmentId}/deliver", tag = "orders", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("shipmentId" = Uuid, Path)),
    responses((status = 200, body = ShipmentView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
async fn deliver_shipment(
    State(state): State<AppState>,
    Require(user): Require<{ Permission::ShipOrders as u8 }>,
    ctx: RequestContext,
    ApiPath((id, shipment_id)): ApiPath<(Uuid, Uuid)>,
) -> AppResult<ApiJson<ShipmentView>> {
    let viewer = Viewer::load(&state.db, &user).await?;
    Ok(ApiJson(
        shipments::deliver(&state, &viewer, id, shipment_id, &ctx).await?,
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct JobResult {
    /// Orders moved by this run.
    pub moved: u64,
}

/// Runs the auto-advance job now (it also runs every `auto_advance_interval_secs`).
#[utoipa::path(post, path = "/api/v1/admin/jobs/auto-advance/run", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = JobResult), (status = 403, body = ErrorBody)))]
async fn run_auto_advance(
    State(state): State<AppState>,
    _: Require<{ Permission::RunJobs as u8 }>,
) -> AppResult<ApiJson<JobResult>> {
    Ok(ApiJson(JobResult {
        moved: jobs::auto_advance(&state).await?,
    }))
}
