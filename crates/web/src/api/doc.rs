//! The OpenAPI document's frame, and the completion every operation gets:
//! the statuses any handler can answer (authentication, policy, body and
//! database failures) documented with a description, and response fields that
//! are always present marked required. Done once, here, so no operation can
//! forget one.

use std::collections::{BTreeMap, BTreeSet};

use utoipa::OpenApi;
use utoipa::openapi::path::Operation;
use utoipa::openapi::schema::Schema;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};

use super::extract;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        if let Some(c) = openapi.components.as_mut() {
            c.add_security_scheme(
                "bearer",
                SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
            );
        }
    }
}

/// The API's OpenAPI frame; the paths come from the router (`api::api`).
#[derive(OpenApi)]
#[openapi(
    info(
        title = "vink API",
        description = "Concerns, triage, courses and follow-ups of a unit that prevents violent extremism. \
                       Bearer tokens come from `vink user token NAME` (they expire; `vink user revoke-token` ends one). \
                       Every read and change of a record is audited; every refusal too."
    ),
    components(schemas(extract::ErrorBody, extract::ErrorDetail)),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
)]
pub struct ApiDoc;

/// What each status means wherever it is answered.
fn describe(status: &str) -> &'static str {
    match status {
        "200" => "OK",
        "201" => "Created; `Location` names the new record",
        "204" => "Done; no body",
        "400" => "The body is not valid JSON",
        "401" => "No valid bearer token (missing, unknown, revoked or expired)",
        "403" => "Refused by the access policy; the refusal is in the audit log",
        "404" => "No such record (also for an id that cannot exist)",
        "409" => "The request conflicts with the record's current state",
        "413" => "The body is larger than 64 KiB",
        "415" => "The body is not `application/json`",
        "422" => "Invalid fields or parameters; `fields` names each with a code",
        "429" => "Too many attempts; try again later",
        "500" => "Internal error (logged without personal data)",
        "503" => "The database cannot take the request now; nothing was saved; retry later",
        _ => "See the error body",
    }
}

fn error_response(status: &str) -> RefOr<utoipa::openapi::Response> {
    RefOr::T(
        ResponseBuilder::new()
            .description(describe(status))
            .content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("ErrorBody")))
                    .build(),
            )
            .build(),
    )
}

fn complete_operation(op: &mut Operation, has_id: bool) {
    let mut statuses = vec!["401", "403", "500", "503"];
    if op.request_body.is_some() {
        statuses.extend(["400", "413", "415", "422"]);
    }
    if op.parameters.as_ref().is_some_and(|p| !p.is_empty()) {
        statuses.push("422");
    }
    if has_id {
        statuses.push("404");
    }
    for s in statuses {
        op.responses
            .responses
            .entry(s.to_string())
            .or_insert_with(|| error_response(s));
    }
    for (status, r) in op.responses.responses.iter_mut() {
        if let RefOr::T(r) = r
            && r.description.trim().is_empty()
        {
            r.description = describe(status).to_string();
        }
    }
}

/// Schema names referenced (directly or through other schemas) from `roots`.
fn reachable(
    schemas: &BTreeMap<String, RefOr<Schema>>,
    roots: impl IntoIterator<Item = String>,
) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut todo: Vec<String> = roots.into_iter().collect();
    while let Some(name) = todo.pop() {
        if !seen.insert(name.clone()) {
            continue;
        }
        if let Some(s) = schemas.get(&name) {
            refs_in(&serde_json::to_value(s).unwrap_or_default(), &mut todo);
        }
    }
    seen
}

fn refs_in(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, x) in m {
                if k == "$ref"
                    && let Some(name) = x.as_str().and_then(|r| r.rsplit('/').next())
                {
                    out.push(name.to_string());
                }
                refs_in(x, out);
            }
        }
        serde_json::Value::Array(a) => a.iter().for_each(|x| refs_in(x, out)),
        _ => {}
    }
}

/// Adds what every operation can answer, fills descriptions, and marks the
/// always-serialised fields of response-only schemas required.
pub fn complete(doc: &mut utoipa::openapi::OpenApi) {
    let mut request_roots = Vec::new();
    let mut response_roots = Vec::new();
    for (path, item) in doc.paths.paths.iter_mut() {
        let has_id = path.contains('{');
        for op in [
            item.get.as_mut(),
            item.put.as_mut(),
            item.post.as_mut(),
            item.delete.as_mut(),
            item.patch.as_mut(),
        ]
        .into_iter()
        .flatten()
        {
            complete_operation(op, has_id);
            let mut r = Vec::new();
            refs_in(
                &serde_json::to_value(&op.request_body).unwrap_or_default(),
                &mut r,
            );
            request_roots.extend(r);
            let mut r = Vec::new();
            refs_in(
                &serde_json::to_value(&op.responses).unwrap_or_default(),
                &mut r,
            );
            response_roots.extend(r);
        }
    }
    unique_operation_ids(doc);
    let Some(components) = doc.components.as_mut() else {
        return;
    };
    let inputs = reachable(&components.schemas, request_roots);
    let outputs = reachable(&components.schemas, response_roots);
    for name in outputs.difference(&inputs) {
        if let Some(RefOr::T(Schema::Object(o))) = components.schemas.get_mut(name) {
            // serde writes every field (absent values as null): all are present.
            o.required = o.properties.keys().cloned().collect();
        }
    }
}

/// Handler names repeat across areas (`list`, `get`, `create`): an operation
/// id is the handler's name prefixed with its tag, which is unique.
fn unique_operation_ids(doc: &mut utoipa::openapi::OpenApi) {
    for item in doc.paths.paths.values_mut() {
        for op in [
            item.get.as_mut(),
            item.put.as_mut(),
            item.post.as_mut(),
            item.delete.as_mut(),
            item.patch.as_mut(),
        ]
        .into_iter()
        .flatten()
        {
            let tag = op
                .tags
                .as_ref()
                .and_then(|t| t.first())
                .cloned()
                .unwrap_or_else(|| "api".into())
                .replace('-', "_");
            if let Some(id) = op.operation_id.as_mut()
                && !id.starts_with(&format!("{tag}_"))
            {
                *id = format!("{tag}_{id}");
            }
        }
    }
}
