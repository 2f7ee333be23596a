//! The OpenAPI document fits the tools applications use: it passes
//! `openapi-spec-validator`, its operation ids are unique and its query
//! parameters are query parameters, and a client generated from it by
//! `openapi-python-client` creates a user and verifies a code. Both tools
//! are in scripts/test's venv.

mod common;

use std::collections::HashSet;
use std::path::PathBuf;
use std::process::Command;

use common::*;
use countersign_testkit::TempDir;
use serde_json::Value;

/// scripts/test's venv (COUNTERSIGN_TEST_PYTHON), else its usual place.
fn venv_bin(tool: &str) -> PathBuf {
    countersign_testkit::python().with_file_name(tool)
}

fn run(command: &mut Command, what: &str) -> String {
    let out = command.output().unwrap_or_else(|e| {
        panic!("cannot run {what} (scripts/test installs it in its venv): {e}")
    });
    assert!(
        out.status.success(),
        "{what} failed:\n{}\n{}",
        stdout(&out),
        stderr(&out)
    );
    stdout(&out)
}

async fn document(server: &Server, dir: &TempDir) -> (Value, PathBuf) {
    let reply = server.anonymous().get("/api/v1/openapi.json").await;
    let doc = reply.expect(200, "openapi.json").clone();
    let path = dir.path().join("openapi.json");
    std::fs::write(&path, &reply.text).expect("write the document");
    (doc, path)
}

#[tokio::test]
async fn the_document_validates_and_a_generated_client_works() {
    let server = Server::start(&Db::sqlite()).await;
    let dir = TempDir::new("openapi");
    let (doc, path) = document(&server, &dir).await;
    let said = run(
        Command::new(venv_bin("openapi-spec-validator")).arg(&path),
        "openapi-spec-validator",
    );
    assert!(said.contains("OK"), "{said}");
    structure(&doc);

    let package = dir.path().join("countersign_client");
    let venv = venv_bin("python");
    let path_var = format!(
        "{}:{}",
        venv.parent()
            .map(|p| p.display().to_string())
            .unwrap_or_default(),
        std::env::var("PATH").unwrap_or_default()
    );
    run(
        Command::new(venv_bin("openapi-python-client"))
            .args(["generate", "--meta", "none", "--path"])
            .arg(&path)
            .arg("--output-path")
            .arg(&package)
            .env("PATH", &path_var),
        "openapi-python-client generate",
    );
    let key = server.create_key("generated", "admin,verify");
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/python/generated_client.py"
    );
    let said = run(
        Command::new(venv)
            .arg(script)
            .arg(server.base())
            .arg(&key)
            .env("PYTHONPATH", dir.path()),
        "the generated client",
    );
    assert_eq!(said.trim(), "accepted");
}

/// Unique operation ids; every path parameter is in its path; every
/// error answer has the error shape and names its codes.
fn structure(doc: &Value) {
    let mut ids = HashSet::new();
    let paths = doc["paths"].as_object().expect("paths");
    for (path, item) in paths {
        for (method, operation) in item.as_object().expect("operations") {
            let id = operation["operationId"]
                .as_str()
                .unwrap_or_else(|| panic!("{method} {path} has no operationId"));
            assert!(ids.insert(id.to_string()), "operationId {id} repeats");
            for param in operation["parameters"].as_array().into_iter().flatten() {
                let name = param["name"].as_str().expect("name");
                if param["in"] == "path" {
                    assert!(
                        path.contains(&format!("{{{name}}}")),
                        "{method} {path}: '{name}' is declared in: path"
                    );
                } else {
                    assert_eq!(param["in"], "query", "{method} {path} {name}");
                }
            }
            for (status, answer) in operation["responses"].as_object().expect("responses") {
                if status.starts_with('4') || status.starts_with('5') {
                    let schema = &answer["content"]["application/json"]["schema"]["$ref"];
                    assert_eq!(
                        schema, "#/components/schemas/ErrorBody",
                        "{method} {path} {status}"
                    );
                }
            }
        }
    }
    assert!(ids.contains("import_tokens") && ids.contains("verify"));
}
