//! The generic HTTP SMS gateway against a local HTTP endpoint.

mod http_endpoint;

use countersign_messaging::{HttpGatewayConfig, SendError, Sms, SmsConfig, SmsSender};
use countersign_testkit::free_port;
use http_endpoint::HttpEndpoint;

fn gateway(port: u16) -> HttpGatewayConfig {
    HttpGatewayConfig {
        method: "post".into(),
        url: format!("http://127.0.0.1:{port}/api/send?to={{{{ to|urlencode }}}}&key=s3cr3t-key"),
        headers: vec![
            ("Authorization".into(), "Bearer tok-{{ to }}".into()),
            ("Content-Type".into(), "application/json".into()),
        ],
        body: Some(r#"{"to": {{ to|tojson }}, "text": {{ text|tojson }}}"#.into()),
        success_status: None,
    }
}

fn sms() -> Sms {
    Sms {
        to: "+15550000001".into(),
        text: "Code \"42\" für dich & mich\nline 2".into(),
    }
}

#[tokio::test]
async fn the_templated_request_arrives_as_configured() {
    let endpoint = HttpEndpoint::start(201, r#"{"sid":"SM1"}"#).await;
    let sender = SmsSender::new(SmsConfig::Http(gateway(endpoint.port)));
    sender.send(&sms()).await.unwrap();
    let requests = endpoint.requests();
    assert_eq!(requests.len(), 1, "{requests:?}");
    let request = &requests[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.target, "/api/send?to=%2B15550000001&key=s3cr3t-key");
    assert_eq!(
        request.header("authorization"),
        Some("Bearer tok-+15550000001")
    );
    assert_eq!(request.header("content-type"), Some("application/json"));
    let body: serde_json::Value = serde_json::from_str(&request.body)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", request.body));
    assert_eq!(
        body,
        serde_json::json!({"to": "+15550000001", "text": sms().text})
    );
}

#[tokio::test]
async fn a_server_error_is_temporary_and_carries_the_gateways_answer() {
    let endpoint = HttpEndpoint::start(500, "internal trouble: queue full").await;
    let sender = SmsSender::new(SmsConfig::Http(gateway(endpoint.port)));
    let err = sender.send(&sms()).await.unwrap_err();
    assert!(!err.is_permanent(), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!(
            "the SMS gateway at http://127.0.0.1:{}/api/send answered HTTP 500: \"internal \
             trouble: queue full\": the gateway has a problem; see its logs",
            endpoint.port
        )
    );
    endpoint.answer(429, "slow down");
    let err = sender.send(&sms()).await.unwrap_err();
    assert!(!err.is_permanent(), "{err:?}");
    assert!(err.to_string().contains("HTTP 429: \"slow down\""), "{err}");
}

#[tokio::test]
async fn a_client_error_is_permanent() {
    let endpoint = HttpEndpoint::start(400, r#"{"error":"invalid 'To' number"}"#).await;
    let sender = SmsSender::new(SmsConfig::Http(gateway(endpoint.port)));
    let err = sender.send(&sms()).await.unwrap_err();
    assert!(err.is_permanent(), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains("answered HTTP 400: \"{\\\"error\\\":\\\"invalid 'To' number\\\"}\""),
        "{text}"
    );
    assert!(
        !text.contains("s3cr3t-key"),
        "the URL's query may hold a key: {text}"
    );
    assert!(!format!("{err:?}").contains("s3cr3t-key"));
    assert!(
        !format!("{:?}", gateway(1)).contains("tok-"),
        "header values stay out of Debug"
    );
}

#[tokio::test]
async fn long_answers_are_cut_and_only_listed_statuses_count_as_success() {
    let endpoint = HttpEndpoint::start(200, &"x".repeat(5000)).await;
    let mut cfg = gateway(endpoint.port);
    cfg.success_status = Some(vec![202]);
    let sender = SmsSender::new(SmsConfig::Http(cfg));
    let err = sender.send(&sms()).await.unwrap_err();
    match &err {
        SendError::GatewayRefused { status, body, .. } => {
            assert_eq!(*status, 200);
            assert_eq!(body.len(), 303, "300 characters and ...");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    endpoint.answer(202, "queued");
    sender.send(&sms()).await.unwrap();
}

#[tokio::test]
async fn a_get_gateway_without_body_works_too() {
    let endpoint = HttpEndpoint::start(200, "OK").await;
    let cfg = HttpGatewayConfig {
        method: "GET".into(),
        url: format!(
            "http://127.0.0.1:{}/send?to={{{{ to|urlencode }}}}&msg={{{{ text|urlencode }}}}",
            endpoint.port
        ),
        headers: vec![],
        body: None,
        success_status: None,
    };
    SmsSender::new(SmsConfig::Http(cfg))
        .send(&sms())
        .await
        .unwrap();
    let request = &endpoint.requests()[0];
    assert_eq!(request.method, "GET");
    assert_eq!(
        request.target,
        "/send?to=%2B15550000001&msg=Code%20%2242%22%20f%C3%BCr%20dich%20%26%20mich%0Aline%202"
    );
    assert_eq!(request.body, "");
}

#[tokio::test]
async fn template_mistakes_are_permanent_and_name_the_setting() {
    let endpoint = HttpEndpoint::start(200, "OK").await;
    let mut cfg = gateway(endpoint.port);
    cfg.body = Some("{{ text|no_such_filter }}".into());
    let sender = SmsSender::new(SmsConfig::Http(cfg));
    let err = sender.send(&sms()).await.unwrap_err();
    assert!(err.is_permanent(), "{err:?}");
    let text = err.to_string();
    assert!(
        text.starts_with("cannot build the request for the SMS gateway: sms.body failed"),
        "{text}"
    );
    assert!(text.contains("no_such_filter"), "{text}");
    assert!(matches!(
        sender.check().await,
        Err(SendError::GatewayTemplate { .. })
    ));
    assert!(endpoint.requests().is_empty());
}

#[tokio::test]
async fn check_asks_the_origin_and_reports_an_unreachable_gateway() {
    let endpoint = HttpEndpoint::start(404, "no such page").await;
    let sender = SmsSender::new(SmsConfig::Http(gateway(endpoint.port)));
    sender.check().await.unwrap();
    let requests = endpoint.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(
        (requests[0].method.as_str(), requests[0].target.as_str()),
        ("GET", "/")
    );

    let port = free_port();
    let sender = SmsSender::new(SmsConfig::Http(gateway(port)));
    let err = sender.check().await.unwrap_err();
    assert!(!err.is_permanent());
    let text = err.to_string();
    assert!(
        text.starts_with(&format!(
            "cannot reach the SMS gateway at http://127.0.0.1:{port}/: connection refused"
        )),
        "{text}"
    );
    let err = sender.send(&sms()).await.unwrap_err();
    assert!(
        !err.is_permanent() && !err.to_string().contains("s3cr3t"),
        "{err}"
    );
}
