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
        (name = "orders", description = "Orders, their items, transitions, shipments and assignment"),
        (name = "customers", description = "Customers"),
        (name = "products", description = "Products"),
        (name = "inventory", description = "Stock levels and the stock ledger"),
        (name = "reference", description = "Reference lists orders are validated against"),
        (name = "workflows", description = "Order lifecycles"),
        (name = "dashboard", description = "Figures over a period, scoped to what the caller may see"),
        (name = "export", description = "Streamed downloads as CSV, XLSX or NDJSON"),
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

/// Completes the document once every route is in it: each operation lists the error statuses its
/// shape allows (400 for parameters and bodies, 413/415 for bodies, 401 where a token is
/// required) and a `default` error response for the rest (429, 500 ...), all with the one error
/// body.
pub fn add_standard_errors(openapi: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
    let error = |description: &str| {
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("ErrorBody")))
                    .build(),
            )
            .build()
    };
    for item in openapi.paths.paths.values_mut() {
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ];
        for op in operations.into_iter().flatten() {
            let mut statuses: Vec<(&str, &str)> = vec![("default", "An error")];
            if op.request_body.is_some() {
                statuses.extend([
                    ("400", "Invalid fields, wrong types or malformed JSON"),
                    ("413", "Body over the limit"),
                    ("415", "Wrong content type"),
                ]);
            }
            if op.parameters.as_ref().is_some_and(|p| !p.is_empty()) {
                statuses.push(("400", "Invalid parameters"));
            }
            if op.security.is_some() {
                statuses.push(("401", "Missing, invalid or expired access token"));
            }
            for (status, description) in statuses {
                op.responses
                    .responses
                    .entry(status.to_string())
                    .or_insert_with(|| error(description).into());
            }
        }
    }
}
