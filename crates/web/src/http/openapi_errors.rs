//! Every operation's error answers in the OpenAPI document: the statuses
//! any call can meet (401, 403, 503) are added, and each error response
//! names the error codes it carries (docs/reason-codes.md).

use utoipa::openapi::{Content, OpenApi, Ref, RefOr, Response};

/// The codes behind each status, as the handlers answer them.
fn codes(status: &str, path: &str) -> &'static str {
    let import = path.ends_with("/import");
    match status {
        "400" => "`malformed_json` (the body is not JSON) or `bad_query` (a query parameter does not parse)",
        "401" => "`unauthorized`: no, unknown or revoked API key",
        "403" => "`forbidden`: the key lacks the scope this call needs",
        "404" if path == "/api/v1/verify" => "`unknown_user`: no user has that name",
        "404" => "`not_found`: no such user, token or endpoint",
        "409" => "`conflict`: it already exists, or is assigned elsewhere",
        "413" => "`body_too_large`: the body is over the limit",
        "415" => "`unsupported_media_type`: send `application/json`",
        "422" if import => "`import_refused` (the file as a whole cannot be imported; nothing was) or `invalid_request`",
        "422" => "`invalid_request`: a field is missing, unknown or invalid (the message names it)",
        "503" => "`server_error`: the database or the encryption key failed",
        _ => "an error in the shape `{\"error\": {\"code\", \"message\"}}`",
    }
}

pub fn describe(doc: &mut OpenApi) {
    for (path, item) in doc.paths.paths.iter_mut() {
        let operations = [
            &mut item.get,
            &mut item.post,
            &mut item.put,
            &mut item.patch,
            &mut item.delete,
        ];
        for operation in operations.into_iter().flatten() {
            let json_body = operation
                .request_body
                .as_ref()
                .is_some_and(|b| b.content.contains_key("application/json"));
            let responses = &mut operation.responses.responses;
            let body_statuses: &[&str] = if json_body {
                &["400", "413", "415", "422"]
            } else {
                &[]
            };
            for status in ["401", "403", "503"].iter().chain(body_statuses) {
                responses
                    .entry(status.to_string())
                    .or_insert_with(|| error_response(""));
            }
            for (status, answer) in responses.iter_mut() {
                if let (true, RefOr::T(response)) = (status.starts_with(['4', '5']), answer) {
                    response.description = codes(status, path).to_string();
                    response
                        .content
                        .entry("application/json".into())
                        .or_insert_with(error_content);
                }
            }
        }
    }
}

fn error_response(description: &str) -> RefOr<Response> {
    let mut response = Response::new(description);
    response
        .content
        .insert("application/json".into(), error_content());
    RefOr::T(response)
}

fn error_content() -> Content {
    Content::new(Some(Ref::from_schema_name("ErrorBody")))
}
