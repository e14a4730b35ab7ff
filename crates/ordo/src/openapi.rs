//! The OpenAPI 3.1 document, generated from the route annotations.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::error::{ErrorBody, ErrorDetail, FieldError};

#[derive(OpenApi)]
#[openapi(
    info(title = "Ordo", description = "Order management: accounts, orders, workflows, inventory and reports."),
    modifiers(&BearerAuth),
    components(schemas(ErrorBody, ErrorDetail, FieldError)),
    tags(
        (name = "auth", description = "Sign-up, sign-in, tokens and password reset"),
        (name = "profile", description = "The signed-in user's own account"),
        (name = "admin", description = "User administration (admins)"),
        (name = "audit", description = "The audit log (admins)"),
        (name = "setup", description = "Creating the first admin"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build()),
        );
    }
}
