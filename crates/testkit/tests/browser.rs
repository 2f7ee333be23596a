//! The browser harness itself: Chromium starts, loads a page, runs script
//! and takes a screenshot whose QR code zbarimg reads back.

use countersign_testkit::browser::{decode_qr, Browser};

#[tokio::test]
async fn chromium_loads_a_page_and_reads_back_a_qr_code() {
    let browser = Browser::start(390, 844).await.expect("browser starts");
    browser
        .goto("data:text/html,<title>harness</title><input id=code><p id=out></p>")
        .await
        .expect("navigates");
    assert_eq!(browser.title().await.expect("title"), "harness");
    browser.fill("#code", "123456").await.expect("types");
    let typed = browser
        .execute("return document.getElementById('code').value", vec![])
        .await
        .expect("runs script");
    assert_eq!(typed, "123456");
    let shot = browser
        .screenshot("harness-blank")
        .await
        .expect("screenshot");
    assert!(
        decode_qr(&shot).is_err(),
        "a page without a QR code decodes to nothing"
    );
    browser.close().await;
}
