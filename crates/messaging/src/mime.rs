//! Turns an [`Email`] into a MIME message:
//!
//! ```text
//! multipart/mixed                 (only with attachments)
//!   multipart/alternative         (only with HTML)
//!     text/plain
//!     multipart/related           (only with an inline PNG)
//!       text/html
//!       image/png  Content-ID: <cid>, inline
//!   application/pdf ...           (each attachment)
//! ```

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::time::{SystemTime, UNIX_EPOCH};

use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Attachment, Body as PartBody, Mailbox, MultiPart, SinglePart};
use lettre::Message;

use crate::attachments::LoadedFile;
use crate::email::Email;
use crate::error::SendError;

/// Parses a recipient address; a bad one is a permanent error.
pub(crate) fn recipient(address: &str) -> Result<Mailbox, SendError> {
    address.trim().parse().map_err(|e| SendError::BadAddress {
        address: address.to_owned(),
        reason: format!("{e}"),
    })
}

pub(crate) fn build(
    from: &Mailbox,
    to: Mailbox,
    email: &Email,
    files: Vec<LoadedFile>,
) -> Result<Message, SendError> {
    let builder = Message::builder()
        .message_id(Some(message_id(from.email.domain())))
        .from(from.clone())
        .to(to)
        .subject(email.subject.trim());
    let mut files = files;
    if email.html.is_none() {
        if let Some((cid, png)) = &email.inline_png {
            files.push(LoadedFile {
                name: format!("{cid}.png"),
                content_type: "image/png",
                bytes: png.clone(),
            });
        }
    }
    let body = body(email)?;
    let result = if files.is_empty() {
        match body {
            Body::Single(part) => builder.singlepart(part),
            Body::Multi(part) => builder.multipart(part),
        }
    } else {
        builder.multipart(mixed(body, files)?)
    };
    result.map_err(|e| SendError::Message {
        reason: e.to_string(),
    })
}

enum Body {
    Single(SinglePart),
    Multi(MultiPart),
}

fn body(email: &Email) -> Result<Body, SendError> {
    let text = SinglePart::plain(email.text.clone());
    let Some(html) = &email.html else {
        return Ok(Body::Single(text));
    };
    let html = SinglePart::html(html.clone());
    let alternative = MultiPart::alternative().singlepart(text);
    Ok(Body::Multi(match &email.inline_png {
        None => alternative.singlepart(html),
        Some((cid, png)) => {
            alternative.multipart(MultiPart::related().singlepart(html).singlepart(
                Attachment::new_inline(cid.clone()).body(binary(png.clone()), png_type()?),
            ))
        }
    }))
}

fn mixed(body: Body, files: Vec<LoadedFile>) -> Result<MultiPart, SendError> {
    let mut mixed = match body {
        Body::Single(part) => MultiPart::mixed().singlepart(part),
        Body::Multi(part) => MultiPart::mixed().multipart(part),
    };
    for file in files {
        let content_type = parse_type(file.content_type)?;
        mixed = mixed.singlepart(Attachment::new(file.name).body(binary(file.bytes), content_type));
    }
    Ok(mixed)
}

/// Files always go as base64: they may hold any byte, even when they look like text.
fn binary(bytes: Vec<u8>) -> PartBody {
    PartBody::new_with_encoding(bytes, ContentTransferEncoding::Base64)
        .unwrap_or_else(PartBody::new)
}

/// `<random.time@domain-of-from>`: the sender's domain rather than this
/// machine's name, which may be internal.
fn message_id(domain: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u128(nanos);
    format!("<{:016x}.{nanos:x}@{domain}>", hasher.finish())
}

fn png_type() -> Result<ContentType, SendError> {
    parse_type("image/png")
}

fn parse_type(value: &str) -> Result<ContentType, SendError> {
    ContentType::parse(value).map_err(|e| SendError::Message {
        reason: format!("content type {value}: {e}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from() -> Mailbox {
        "Countersign <mfa@example.org>".parse().unwrap()
    }

    #[test]
    fn text_only_mail_is_a_single_part() {
        let email = Email {
            to: "alice@example.org".into(),
            subject: "Hi".into(),
            text: "Hello".into(),
            ..Email::default()
        };
        let msg = build(&from(), recipient(&email.to).unwrap(), &email, vec![]).unwrap();
        let raw = String::from_utf8(msg.formatted()).unwrap();
        assert!(raw.contains("Subject: Hi\r\n"), "{raw}");
        assert!(
            raw.contains("Content-Type: text/plain; charset=utf-8"),
            "{raw}"
        );
        assert!(!raw.contains("multipart"), "{raw}");
    }

    #[test]
    fn inline_png_without_html_becomes_an_attachment() {
        let email = Email {
            to: "alice@example.org".into(),
            subject: "QR".into(),
            text: "Scan it".into(),
            inline_png: Some(("qr".into(), vec![137, 80, 78, 71])),
            ..Email::default()
        };
        let msg = build(&from(), recipient(&email.to).unwrap(), &email, vec![]).unwrap();
        let raw = String::from_utf8(msg.formatted()).unwrap();
        assert!(raw.contains("multipart/mixed"), "{raw}");
        assert!(raw.contains("filename=\"qr.png\""), "{raw}");
    }

    #[test]
    fn bad_recipients_are_permanent_errors() {
        let err = recipient("not an address").unwrap_err();
        assert!(err.is_permanent());
        assert!(err.to_string().contains("\"not an address\""), "{err}");
    }
}
