//! Signing in at `/sso` with a push approved by the reference
//! authenticator (number matching): the page waits, reloading itself, and
//! sends the browser on to `rd` once the phone approves; a denial ends
//! the sign-in with the engine's words.

mod common;
mod sso_common;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::console::{between, Visitor};
use common::*;
use serde_json::json;
use sso_common::*;

fn authenticator(store: &Path, args: &[&str]) -> String {
    let out = Command::new(authenticator_bin())
        .arg("--store")
        .arg(store)
        .args(args)
        .output()
        .expect("authenticator runs");
    assert!(
        out.status.success(),
        "authenticator {args:?}: {}",
        stderr(&out)
    );
    stdout(&out)
}

#[tokio::test]
async fn push_sqlite() {
    push(Db::sqlite()).await;
}

#[tokio::test]
async fn push_postgres() {
    push(Db::postgres().await).await;
}

async fn push(db: Db) {
    let (server, _config) = start(&db, "", &[]).await;
    let admin = server.api(&server.create_key("sso-tests", "verify,admin"));
    user(&server, &admin, "sam", "Sam Reed").await;
    let grant = admin.post("/api/v1/users/sam/activations", json!({})).await;
    let code = grant.expect(201, "activation")["activation_code"]
        .as_str()
        .expect("code")
        .to_string();
    let dir = countersign_testkit::TempDir::new("sso-authenticator");
    let store = dir.path().join("store.json");
    let base = server.base();
    authenticator(
        &store,
        &[
            "activate", "--url", &base, "--code", &code, "--name", "phone",
        ],
    );

    for decision in ["approve", "deny"] {
        let mut browser = Visitor::new(&server.base());
        let app = "http://127.0.0.1:9/wiki";
        let after = password(&mut browser, "sam", PASSWORD, app).await;
        assert_eq!(after.location(), "/sso/verify", "{}", after.body);
        let waiting = browser.get("/sso/verify").await;
        assert!(
            waiting.body.contains("http-equiv=\"refresh\""),
            "{}",
            waiting.body
        );
        let number = between(
            &waiting.body,
            "id=\"push-number\" aria-live=\"polite\">",
            "<",
        );
        assert!(
            number.trim().parse::<u32>().is_ok(),
            "a number to pick: {}",
            waiting.body
        );
        let watch = {
            let (store, number) = (store.clone(), number.trim().to_string());
            let decision = decision.to_string();
            tokio::task::spawn_blocking(move || {
                let args = ["watch", "--auto", &decision, "--number", &number, "--once"];
                authenticator(&store, &args)
            })
        };
        let mut answer = browser.get("/sso/verify?wait=1").await;
        for _ in 0..10 {
            if answer.status != 200 || !answer.body.contains("push-number") {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
            answer = browser.get("/sso/verify?wait=1").await;
        }
        watch.await.expect("the authenticator answered");
        match decision {
            "approve" => assert_eq!((answer.status, answer.location()), (200, app.to_string())),
            _ => {
                assert_eq!(answer.status, 401, "{}", answer.body);
                assert!(
                    answer.body.contains("name=\"password\""),
                    "back to the form"
                );
            }
        }
    }
    let records = audit(&admin, "sam").await;
    let pushes: Vec<_> = records.iter().filter(|r| r["method"] == "push").collect();
    assert!(
        pushes
            .iter()
            .any(|r| r["result"] == "accepted" && r["api_key"] == "sso"),
        "{pushes:?}"
    );
    assert!(
        pushes.iter().any(|r| r["reason"] == "push_denied"),
        "{pushes:?}"
    );
}
