//! The OpenAPI 3.1 document, generated from the route annotations.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::error::{ErrorBody, ErrorDetail, FieldError};

#[derive(OpenApi)]
#[openapi(
    info(title = "Ordo", description = "Order management: accounts, orders, workflows, inventory and reports."),
    modifiers(&BearerAuth, &DefaultErrorResponse),
    components(schemas(ErrorBody, ErrorDetail, FieldError)),
    tags(
        (name = "auth", description = "Sign-up, sign-in, tokens and password reset"),
        (name = "profile", description = "The signed-in user's own account"),
        (name = "admin", description = "User administration (admins)"),
        (name = "audit", description = "The audit log (admins)"),
        (name = "setup", description = "Creating the first admin"),
        (name = "operations", description = "Health, readiness, metrics and this document"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// Any operation may also answer with the error body for statuses it does not list (413 over
/// the body limit, 429, 500 ...): documented once as each operation's `default` response.
struct DefaultErrorResponse;

impl Modify for DefaultErrorResponse {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
        let response = ResponseBuilder::new()
            .description("An error, in the documented error body")
            .content("application/json", ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build())
            .build();
        for item in openapi.paths.paths.values_mut() {
            for op in [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch].into_iter().flatten() {
                op.responses.responses.entry("default".to_string()).or_insert_with(|| response.clone().into());
            }
        }
    }
}
