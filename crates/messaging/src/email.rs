//! An email as the rest of Countersign describes it.

use std::path::PathBuf;

/// One email. `text` is always sent; with `html` the mail is
/// multipart/alternative. `inline_png` (content-id, bytes) is shown inside
/// the HTML (`<img src="cid:CONTENT-ID">`), or attached as
/// `CONTENT-ID.png` when there is no HTML. `attachments` are read from
/// disk at send time.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Email {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: Option<String>,
    pub attachments: Vec<PathBuf>,
    pub inline_png: Option<(String, Vec<u8>)>,
}
