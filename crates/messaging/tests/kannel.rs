//! SMS through a real Kannel (bearerbox + smsbox) to its fake SMSC client.

use countersign_messaging::{KannelConfig, SendError, Sms, SmsConfig, SmsSender};
use countersign_testkit::free_port;
use countersign_testkit::kannel::{Kannel, PASSWORD, USER};

fn sender(url: &str, password: &str, from: Option<&str>) -> SmsSender {
    SmsSender::new(SmsConfig::Kannel(KannelConfig {
        url: url.to_owned(),
        username: USER.to_owned(),
        password: password.to_owned(),
        from: from.map(str::to_owned),
    }))
}

fn sms(to: &str, text: &str) -> Sms {
    Sms {
        to: to.to_owned(),
        text: text.to_owned(),
    }
}

#[tokio::test]
async fn an_sms_reaches_the_operator_with_number_sender_and_text_intact() {
    let kannel = Kannel::start().await;
    let sender = sender(&kannel.sendsms_url, PASSWORD, Some("MFA"));
    sender.check().await.unwrap();
    sender
        .send(&sms("+15550000001", "Your code is 123456 & valid 5 min"))
        .await
        .unwrap();
    let received = kannel.wait_received(1).await;
    assert_eq!(
        received,
        ["<MFA +15550000001 text Your code is 123456 & valid 5 min>"]
    );
}

#[tokio::test]
async fn non_ascii_text_goes_out_as_ucs2() {
    let kannel = Kannel::start().await;
    let sender = sender(&kannel.sendsms_url, PASSWORD, None);
    sender
        .send(&sms("+4915550000002", "Code 4711 für Jürgen"))
        .await
        .unwrap();
    let received = kannel.wait_received(1).await;
    // Without `from`, Kannel's global-sender 4000 is used.
    let data = received[0]
        .strip_prefix("<4000 +4915550000002 ucs-2 ")
        .and_then(|d| d.strip_suffix('>'))
        .unwrap_or_else(|| panic!("unexpected delivery {received:?}"));
    assert_eq!(decode_ucs2(data), "Code 4711 für Jürgen");
}

#[tokio::test]
async fn a_wrong_password_is_refused_with_kannels_answer() {
    let kannel = Kannel::start().await;
    let sender = sender(&kannel.sendsms_url, "wrong-password", None);
    let err = sender.send(&sms("+15550000001", "x")).await.unwrap_err();
    match &err {
        SendError::GatewayRefused { status, body, .. } => {
            assert_eq!(*status, 403, "{err}");
            assert_eq!(body, "Authorization failed for sendsms");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert!(err.is_permanent());
    let text = err.to_string();
    assert_eq!(
        text,
        format!(
            "Kannel at {} answered HTTP 403: \"Authorization failed for sendsms\": check the \
             gateway's username and password (or API key) in the [sms] settings",
            kannel.sendsms_url
        )
    );
    assert!(!text.contains("wrong-password") && !format!("{err:?}").contains("wrong-password"));
    assert!(kannel.received().is_empty());
}

#[tokio::test]
async fn kannel_down_is_temporary_and_names_the_url() {
    let url = format!("http://127.0.0.1:{}/cgi-bin/sendsms", free_port());
    let sender = sender(&url, PASSWORD, None);
    let err = sender.send(&sms("+15550000001", "x")).await.unwrap_err();
    assert!(!err.is_permanent(), "{err:?}");
    let text = err.to_string();
    assert!(
        text.starts_with(&format!("cannot reach Kannel at {url}: connection refused")),
        "{text}"
    );
    assert!(!text.contains(PASSWORD), "{text}");
    assert!(matches!(
        sender.check().await,
        Err(SendError::GatewayUnreachable { .. })
    ));
}

#[tokio::test]
async fn a_number_that_is_not_e164_is_refused_before_kannel_is_asked() {
    let sender = sender("http://127.0.0.1:9/cgi-bin/sendsms", PASSWORD, None);
    let err = sender
        .send(&sms("0044 1632 960123", "x"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, SendError::BadPhoneNumber { .. }) && err.is_permanent(),
        "{err:?}"
    );
}

/// fakesmsc prints UCS-2 as URL-encoded big-endian UTF-16.
fn decode_ucs2(data: &str) -> String {
    let raw = percent_decode(data);
    let units: Vec<u16> = raw
        .chunks(2)
        .map(|c| u16::from_be_bytes([c[0], c[1]]))
        .collect();
    String::from_utf16(&units).unwrap()
}

fn percent_decode(data: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let bytes = data.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                out.push(u8::from_str_radix(&data[i + 1..i + 3], 16).unwrap());
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}
