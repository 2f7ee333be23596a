//! The password as first factor by LDAP for a RADIUS client (real slapd,
//! real radclient): the right password starts the user's second factor (a
//! code challenge; a push held and approved on the phone), a wrong one is
//! rejected, counted and sends no push.

mod common;
mod device;
mod radius_peers;
mod slapd;

use std::time::Duration;

use common::*;
use device::Device;
use radius_peers::*;
use serde_json::json;
use slapd::{person, Slapd, BASE, GROUP};

const SECRET: &str = "vpn-shared-secret-0123";

fn pap(user: &str, password: &str) -> String {
    format!("User-Name = \"{user}\", User-Password = \"{password}\", Message-Authenticator = 0x00")
}

#[tokio::test]
async fn ldap_password_then_the_users_second_factor() {
    let slapd = Slapd::start();
    slapd.add(&person("solo", "+15550000001"));
    slapd.add(&person("duo", "+15550000002"));
    slapd.add(&format!(
        "dn: {GROUP}\nobjectClass: groupOfNames\ncn: mfa-users\nmember: uid=solo,ou=people,{BASE}\nmember: uid=duo,ou=people,{BASE}\n"
    ));
    let directory = slapd.server_env();
    let env: Vec<(&str, &str)> = directory.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let client = [
        "--name",
        "vpn",
        "--address",
        "127.0.0.1",
        "--secret",
        SECRET,
        "--flow",
        "challenge",
        "--first-factor",
        "ldap",
    ];
    let db = Db::sqlite();
    let node = RadiusNode::start_with(&db, &env, &[&client]).await;
    node.user_with_token("solo", "totp").await;
    node.user_with_token("duo", "totp").await;
    let phone = Device::enrol(&node.api, &node.server.base(), "duo").await;

    // Right password, a user with a token: a challenge for the code, then in.
    let first = radclient(node.port, SECRET, &pap("solo", "solo-password")).await;
    first.expect("Access-Challenge", "the password was right");
    let state = first.attr("State").expect("a State").to_string();
    let code = totp_now(RFC_SECRET);
    let second = format!("User-Name = \"solo\", User-Password = \"{code}\", State = {state}, Message-Authenticator = 0x00");
    radclient(node.port, SECRET, &second)
        .await
        .expect("Access-Accept", "the code");

    // A wrong password: rejected, counted, and no push reaches the phone.
    let wrong = radclient(node.port, SECRET, &pap("duo", "not-the-password")).await;
    wrong.expect("Access-Reject", "a wrong password");
    assert!(
        phone.pending().await.is_empty(),
        "no push for a wrong password"
    );
    let user = node.api.get("/api/v1/users/duo").await;
    assert_eq!(user.body["failed_attempts"], 1, "{:?}", user.body);
    let unknown = radclient(node.port, SECRET, &pap("nobody", "whatever")).await;
    unknown.expect("Access-Reject", "an unknown user");

    // The right password and a phone: the push is held until approved.
    let approving = tokio::spawn(async move {
        for _ in 0..100 {
            if let Some(request) = phone.pending().await.first() {
                let id = request["id"].as_str().expect("id").to_string();
                return phone.answer(&id, json!({"answer": "approve"})).await.0;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        0
    });
    let pushed = radclient(node.port, SECRET, &pap("duo", "duo-password")).await;
    assert_eq!(approving.await.expect("approver"), 200);
    pushed.expect("Access-Accept", "the push approved");
}
