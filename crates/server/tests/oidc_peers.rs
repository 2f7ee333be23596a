//! Countersign as an OpenID Provider for real, independent relying
//! parties (../shared/recipes/OIDC.md): Apache with mod_auth_openidc
//! (Debian) completes the code flow with PKCE S256 and shows the claims
//! (looked for in the page: the module's errors are 200 pages too); a
//! strict Python RP on Authlib and joserfc (`python/oidc_probe.py`)
//! validates the ID token (JWKS signature, iss, aud, azp, exp, nonce,
//! at_hash) and checks the OP's refusals: a reused code (which also
//! revokes what it issued), a wrong or missing PKCE verifier, another
//! redirect URI, a wrong secret, a code taken to another client, an
//! unregistered redirect URI, PKCE plain, a bad bearer token. The second
//! factor is a TOTP code, so no browser is needed.

mod common;

use std::process::Command;

use common::sso::{sso_server, Jar, SsoUser};
use common::*;
use countersign_testkit::apache_oidc::{ApacheRp, RpSettings};
use countersign_testkit::free_port;

/// Registers a confidential client with the CLI; returns its client id.
fn add_client(
    server: &Server,
    name: &str,
    redirect_uri: &str,
    secret: &str,
    more: &[&str],
) -> String {
    let file = server.data_dir().join(format!("{name}.secret"));
    std::fs::write(&file, secret).expect("secret file");
    let file = file.to_string_lossy().to_string();
    let mut args = vec![
        "oidc",
        "client",
        "add",
        "--name",
        name,
        "--redirect-uri",
        redirect_uri,
        "--secret-file",
        &file,
    ];
    args.extend_from_slice(more);
    let added = server.cli_json(&args);
    added["client_id"]
        .as_str()
        .or_else(|| added["client"]["client_id"].as_str())
        .unwrap_or_else(|| panic!("client add printed no client_id: {added}"))
        .to_string()
}

fn have_peers() -> bool {
    let here = std::path::Path::new("/usr/lib/apache2/modules/mod_auth_openidc.so").exists();
    assert!(
        here || std::env::var_os("COUNTERSIGN_SKIP_MISSING_PEERS").is_some(),
        "mod_auth_openidc is missing: run scripts/test (it installs the peers)"
    );
    here
}

/// A line `NAME=VALUE` of the claims page.
fn claim(page: &str, name: &str) -> Option<String> {
    page.lines()
        .find_map(|line| line.strip_prefix(&format!("{name}=")))
        .map(str::to_string)
}

#[tokio::test]
async fn apache_mod_auth_openidc_signs_in_with_pkce_and_shows_the_claims() {
    if !have_peers() {
        return;
    }
    let db = Db::sqlite();
    let server = sso_server(&db, "127.0.0.1", &[]).await;
    let issuer = server.base();
    let admin = server.api(&server.create_key("oidc", "verify,admin"));
    let mut ann = SsoUser::create(&server, &admin, "ann").await;

    let port = free_port();
    let secret = "apache-client-secret-0123456789-abcdef";
    let client_id = add_client(
        &server,
        "apache",
        &ApacheRp::redirect_uri_on(port),
        secret,
        &[],
    );
    let apache = ApacheRp::start(
        port,
        &RpSettings {
            issuer: &issuer,
            client_id: &client_id,
            client_secret: secret,
            extra: "",
        },
    );

    let mut jar = Jar::new();
    let page = jar
        .sign_in_from(&apache.claims_url(), "ann", &ann.next_code())
        .await;
    let log = apache.error_log();
    let authorize = jar
        .trail
        .iter()
        .find(|url| url.contains("/sso/authorize"))
        .unwrap_or_else(|| panic!("Apache sent the browser to /sso/authorize: {:?}", jar.trail));
    assert!(
        authorize.contains("code_challenge=") && authorize.contains("code_challenge_method=S256"),
        "PKCE S256: {authorize}"
    );
    let claims = &page.body;
    assert_eq!(
        claim(claims, "OIDC_CLAIM_preferred_username").as_deref(),
        Some("ann"),
        "the claims page after the code flow:\n{claims}\nApache's log:\n{log}"
    );
    assert_eq!(
        claim(claims, "OIDC_CLAIM_iss"),
        Some(issuer.clone()),
        "{claims}"
    );
    assert_eq!(
        claim(claims, "OIDC_CLAIM_aud"),
        Some(client_id.clone()),
        "{claims}"
    );
    assert_eq!(
        claim(claims, "OIDC_CLAIM_email").as_deref(),
        Some("ann@example.org"),
        "{claims}"
    );
    let sub = claim(claims, "OIDC_CLAIM_sub").expect("sub");
    assert!(
        !sub.is_empty() && sub != "ann",
        "sub is stable, not the username: {sub}"
    );
    assert_eq!(claim(claims, "REMOTE_USER"), Some(sub.clone()), "{claims}");
    let amr = claim(claims, "OIDC_CLAIM_amr").unwrap_or_default();
    assert!(
        amr.split(',').any(|m| m == "otp") && amr.split(',').any(|m| m == "pwd"),
        "amr names the password and the code: {amr}"
    );

    // Signed in at Apache now: the page comes without Countersign.
    let again = jar.get(&apache.claims_url()).await;
    assert_eq!(again.status, 200);
    assert_eq!(
        claim(&again.body, "OIDC_CLAIM_sub"),
        Some(sub.clone()),
        "{}",
        again.body
    );

    // A client signed RS256, at an Apache that accepts only RS256; the
    // browser is still signed in at /sso, so no second code is asked.
    let rs_port = free_port();
    let rs_redirect = ApacheRp::redirect_uri_on(rs_port);
    let rs_id = add_client(
        &server,
        "apache-rs",
        &rs_redirect,
        secret,
        &["--signing-alg", "RS256"],
    );
    let rs = ApacheRp::start(
        rs_port,
        &RpSettings {
            issuer: &issuer,
            client_id: &rs_id,
            client_secret: secret,
            extra: "OIDCIDTokenSignedResponseAlg RS256",
        },
    );
    let page = jar.sign_in_from(&rs.claims_url(), "ann", "000000").await;
    assert_eq!(
        claim(&page.body, "OIDC_CLAIM_sub"),
        Some(sub),
        "RS256 ID token accepted, same subject:\n{}\nApache's log:\n{}",
        page.body,
        rs.error_log()
    );
    assert_eq!(
        claim(&page.body, "OIDC_CLAIM_aud"),
        Some(rs_id),
        "{}",
        page.body
    );
}

#[tokio::test]
async fn a_strict_python_relying_party_validates_the_id_token_and_the_op_refuses_misuse() {
    if !have_peers() {
        return;
    }
    let db = Db::sqlite();
    let server = sso_server(&db, "127.0.0.1", &[]).await;
    let admin = server.api(&server.create_key("oidc", "verify,admin"));
    let mut pat = SsoUser::create(&server, &admin, "pat").await;
    let redirect = "http://127.0.0.1:9/probe/cb";
    let secret = "probe-client-secret-0123456789-abcdef";
    let client_id = add_client(&server, "probe", redirect, secret, &[]);
    let other_secret = "other-client-secret-0123456789-abcdef";
    let other_id = add_client(&server, "other", redirect, other_secret, &[]);

    let probe = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/oidc_probe.py");
    let output = Command::new(countersign_testkit::python())
        .arg(&probe)
        .args([
            &server.base(),
            &client_id,
            secret,
            redirect,
            "pat",
            common::sso::PASSWORD,
            &pat.next_code(),
            "--negative",
            "--other-client",
            &format!("{other_id}:{other_secret}"),
            "--expect-amr",
            "pwd,otp",
            "--expect-alg",
            "ES256",
        ])
        .output()
        .expect("the probe runs (scripts/test prepares the venv with authlib and joserfc)");
    let printed = format!("{}{}", stdout(&output), stderr(&output));
    assert!(
        output.status.success() && printed.contains("OK: 0 failed"),
        "the strict RP probe:\n{printed}\nserver log:\n{}",
        server.stderr()
    );
    // Every check ran: the happy path and the OP's refusals.
    for line in [
        "PASS id_token: signature (jwks_uri), alg, iss, aud, exp, iat, nonce, azp, at_hash",
        "PASS OP: code replay -> 400 invalid_grant",
        "PASS OP: a replayed code revokes the access token",
        "PASS OP: wrong code_verifier -> 400 invalid_grant",
        "PASS OP: code redeemed by another client -> 400 invalid_grant",
        "PASS OP: unregistered redirect_uri is refused",
    ] {
        assert!(printed.contains(line), "{line}:\n{printed}");
    }
}
