//! The OpenAPI document and a readable docs page rendered from it on the server, so reading the
//! API reference needs no JavaScript bundle and nothing downloaded at build time.

use std::fmt::Write as _;
use std::sync::Arc;

use axum::http::header;
use axum::response::{Html, IntoResponse};
use axum::Extension;
use serde_json::Value;

/// The generated document, serialized once at start-up.
#[derive(Clone)]
pub struct OpenApiDocument {
    pub json: Arc<String>,
    pub html: Arc<String>,
}

pub fn openapi_document(api: &utoipa::openapi::OpenApi) -> OpenApiDocument {
    let value = serde_json::to_value(api).expect("the OpenAPI document serializes");
    OpenApiDocument {
        json: Arc::new(value.to_string()),
        html: Arc::new(render(&value)),
    }
}

/// This document.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "operations",
    responses((status = 200, description = "The OpenAPI 3.1 document", body = serde_json::Value)))]
pub async fn openapi_json(Extension(doc): Extension<OpenApiDocument>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        doc.json.as_str().to_owned(),
    )
}

/// The API reference as a web page.
#[utoipa::path(get, path = "/docs", tag = "operations",
    responses((status = 200, description = "HTML", content_type = "text/html", body = String)))]
pub async fn docs_page(Extension(doc): Extension<OpenApiDocument>) -> Html<String> {
    Html(doc.html.as_str().to_owned())
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A short human name for a schema: `UserView`, `string (uuid)`, `array of UserView`.
fn schema_name(schema: &Value) -> String {
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        let name = reference.rsplit('/').next().unwrap_or(reference);
        return format!("<a href=\"#schema-{0}\">{0}</a>", escape(name));
    }
    if let Some(items) = schema.get("items") {
        return format!("array of {}", schema_name(items));
    }
    for combinator in ["oneOf", "allOf", "anyOf"] {
        if let Some(parts) = schema.get(combinator).and_then(Value::as_array) {
            let names: Vec<String> = parts.iter().map(schema_name).collect();
            return names.join(if combinator == "allOf" { " + " } else { " | " });
        }
    }
    let kind = match schema.get("type") {
        Some(Value::String(t)) => t.clone(),
        Some(Value::Array(types)) => types
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(" | "),
        _ => "object".into(),
    };
    match schema.get("format").and_then(Value::as_str) {
        Some(format) => format!("{kind} ({})", escape(format)),
        None => {
            if let Some(values) = schema.get("enum").and_then(Value::as_array) {
                let values: Vec<String> = values.iter().map(|v| escape(&v.to_string())).collect();
                format!("{kind}: {}", values.join(", "))
            } else {
                kind
            }
        }
    }
}

fn render_operation(out: &mut String, method: &str, path: &str, op: &Value) {
    let summary = op.get("summary").and_then(Value::as_str).unwrap_or("");
    let _ = write!(
        out,
        "<section class=\"op\"><h3><span class=\"m {m}\">{M}</span> <code>{p}</code></h3><p>{s}</p>",
        m = method,
        M = method.to_uppercase(),
        p = escape(path),
        s = escape(summary)
    );
    if let Some(description) = op
        .get("description")
        .and_then(Value::as_str)
        .filter(|d| *d != summary)
    {
        let _ = write!(out, "<p>{}</p>", escape(description));
    }
    if op.get("security").is_some() {
        out.push_str(
            "<p class=\"auth\">Requires <code>Authorization: Bearer &lt;accessToken&gt;</code></p>",
        );
    }
    if let Some(params) = op
        .get("parameters")
        .and_then(Value::as_array)
        .filter(|p| !p.is_empty())
    {
        out.push_str(
            "<table><tr><th>Parameter</th><th>In</th><th>Type</th><th>Description</th></tr>",
        );
        for p in params {
            let required = p.get("required").and_then(Value::as_bool).unwrap_or(false);
            let _ = write!(
                out,
                "<tr><td><code>{}</code>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(p.get("name").and_then(Value::as_str).unwrap_or("")),
                if required { " *" } else { "" },
                escape(p.get("in").and_then(Value::as_str).unwrap_or("")),
                p.get("schema").map(schema_name).unwrap_or_default(),
                escape(p.get("description").and_then(Value::as_str).unwrap_or(""))
            );
        }
        out.push_str("</table>");
    }
    if let Some(content) = op
        .pointer("/requestBody/content")
        .and_then(Value::as_object)
    {
        for (content_type, media) in content {
            let _ = write!(
                out,
                "<p>Body (<code>{}</code>): {}</p>",
                escape(content_type),
                media.get("schema").map(schema_name).unwrap_or_default()
            );
        }
    }
    if let Some(responses) = op.get("responses").and_then(Value::as_object) {
        out.push_str("<table><tr><th>Status</th><th>Description</th><th>Body</th></tr>");
        for (status, response) in responses {
            let body = response
                .get("content")
                .and_then(Value::as_object)
                .and_then(|c| c.values().next())
                .and_then(|m| m.get("schema"))
                .map(schema_name)
                .unwrap_or_default();
            let _ = write!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(status),
                escape(
                    response
                        .get("description")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                ),
                body
            );
        }
        out.push_str("</table>");
    }
    out.push_str("</section>");
}

fn render(doc: &Value) -> String {
    let title = doc
        .pointer("/info/title")
        .and_then(Value::as_str)
        .unwrap_or("API");
    let version = doc
        .pointer("/info/version")
        .and_then(Value::as_str)
        .unwrap_or("");
    let mut out = String::with_capacity(64 * 1024);
    let _ = write!(
        out,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{t} API</title><style>\
         body{{font-family:system-ui,sans-serif;max-width:70rem;margin:auto;padding:1rem;color:#222}}\
         code{{background:#f3f3f3;padding:0 .2rem}} table{{border-collapse:collapse;margin:.5rem 0}}\
         td,th{{border:1px solid #ddd;padding:.2rem .5rem;text-align:left;vertical-align:top}}\
         .op{{border-top:1px solid #ccc;padding:.5rem 0}} .m{{font-family:monospace;padding:.1rem .4rem;border-radius:3px;color:#fff;background:#555}}\
         .get{{background:#2b6cb0}} .post{{background:#2f855a}} .put,.patch{{background:#b7791f}} .delete{{background:#c53030}}\
         .auth{{color:#666;font-size:.9em}}</style></head><body><h1>{t} API <small>{v}</small></h1>\
         <p>The machine-readable document is at <a href=\"/api/v1/openapi.json\">/api/v1/openapi.json</a> (OpenAPI {o}). \
         Errors use one body: <code>{{\"error\":{{\"code\",\"message\",\"details\":[{{\"field\",\"message\"}}],\"requestId\"}}}}</code>.</p>",
        t = escape(title),
        v = escape(version),
        o = escape(doc.get("openapi").and_then(Value::as_str).unwrap_or("")),
    );
    let mut by_tag: std::collections::BTreeMap<String, Vec<(String, String, &Value)>> =
        Default::default();
    if let Some(paths) = doc.get("paths").and_then(Value::as_object) {
        for (path, item) in paths {
            for method in ["get", "post", "put", "patch", "delete"] {
                if let Some(op) = item.get(method) {
                    let tag = op
                        .pointer("/tags/0")
                        .and_then(Value::as_str)
                        .unwrap_or("other")
                        .to_string();
                    by_tag
                        .entry(tag)
                        .or_default()
                        .push((method.to_string(), path.clone(), op));
                }
            }
        }
    }
    out.push_str("<nav><p>");
    for tag in by_tag.keys() {
        let _ = write!(out, "<a href=\"#tag-{0}\">{0}</a> · ", escape(tag));
    }
    out.push_str("<a href=\"#schemas\">schemas</a></p></nav>");
    for (tag, ops) in &by_tag {
        let _ = write!(out, "<h2 id=\"tag-{0}\">{0}</h2>", escape(tag));
        for (method, path, op) in ops {
            render_operation(&mut out, method, path, op);
        }
    }
    out.push_str("<h2 id=\"schemas\">Schemas</h2>");
    if let Some(schemas) = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
    {
        for (name, schema) in schemas {
            let _ = write!(out, "<h3 id=\"schema-{0}\">{0}</h3>", escape(name));
            render_schema(&mut out, schema);
        }
    }
    out.push_str("</body></html>");
    out
}

fn render_schema(out: &mut String, schema: &Value) {
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
        out.push_str("<table><tr><th>Field</th><th>Type</th><th>Description</th></tr>");
        for (field, prop) in properties {
            let _ = write!(
                out,
                "<tr><td><code>{}</code>{}</td><td>{}</td><td>{}</td></tr>",
                escape(field),
                if required.contains(&field.as_str()) {
                    " *"
                } else {
                    ""
                },
                schema_name(prop),
                escape(
                    prop.get("description")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                )
            );
        }
        out.push_str("</table>");
    } else if let Some(parts) = schema.get("allOf").and_then(Value::as_array) {
        for part in parts {
            if part.get("$ref").is_some() {
                let _ = write!(out, "<p>Includes {}</p>", schema_name(part));
            } else {
                render_schema(out, part);
            }
        }
    } else {
        let _ = write!(out, "<p>{}</p>", schema_name(schema));
    }
}
