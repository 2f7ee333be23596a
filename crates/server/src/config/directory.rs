//! The `[directory]` section.

use std::path::PathBuf;
use std::time::Duration;

use countersign_directory::{Attributes, DirectoryKind, DirectorySettings};
use countersign_domain::sync::directory::{OnRemoval, SyncPolicy};

use super::reader::Reader;
use super::DirectoryConfig;

pub fn load(r: &mut Reader) -> Option<DirectoryConfig> {
    let urls = r.list("directory.url");
    if urls.is_empty() {
        return None;
    }
    let kind = match r.one_of("directory.kind", &["ad", "ldap"]).as_str() {
        "ldap" => DirectoryKind::Ldap,
        _ => DirectoryKind::Ad,
    };
    let mut attributes = Attributes::defaults(kind);
    for (key, field) in [
        ("directory.id_attribute", &mut attributes.id),
        ("directory.username_attribute", &mut attributes.username),
        (
            "directory.display_name_attribute",
            &mut attributes.display_name,
        ),
        ("directory.email_attribute", &mut attributes.email),
        ("directory.phone_attribute", &mut attributes.phone),
        ("directory.mobile_attribute", &mut attributes.mobile),
    ] {
        if let Some(value) = r.text(key) {
            *field = value;
        }
    }
    let user_filter = r
        .text("directory.user_filter")
        .unwrap_or_else(|| match kind {
            DirectoryKind::Ad => "(&(objectCategory=person)(objectClass=user))".into(),
            DirectoryKind::Ldap => "(objectClass=inetOrgPerson)".into(),
        });
    let on_removal = match r
        .one_of("directory.on_removal", &["disable", "remove"])
        .as_str()
    {
        "remove" => OnRemoval::Remove,
        _ => OnRemoval::Disable,
    };
    let settings = DirectorySettings {
        urls,
        bind_dn: required(r, "directory.bind_dn"),
        bind_password: password(r),
        ca_file: r.text("directory.ca_file").map(PathBuf::from),
        allow_plain: r.flag("directory.allow_plain"),
        base_dn: required(r, "directory.base_dn"),
        user_filter,
        group_dn: r
            .text("directory.group_dn")
            .filter(|g| !g.trim().is_empty()),
        kind,
        attributes,
        timeout: Duration::from_secs(r.int("directory.timeout_seconds", 1, 300) as u64),
        page_size: r.int("directory.page_size", 10, 5000) as i32,
    };
    Some(DirectoryConfig {
        settings,
        policy: SyncPolicy {
            on_removal,
            approval_threshold: r.int("directory.approval_threshold", 0, 1_000_000) as usize,
            default_country_code: r.text("directory.default_country_code"),
        },
        interval_seconds: r.int("directory.interval_minutes", 1, 1440) as u64 * 60,
    })
}

fn required(r: &mut Reader, key: &str) -> String {
    r.text(key).unwrap_or_else(|| {
        r.problems
            .push(format!("{key}: required when directory.url is set"));
        String::new()
    })
}

/// `bind_password` (or its environment variable, or _FILE), else `bind_password_file`.
fn password(r: &mut Reader) -> String {
    if let Some(text) = r.text("directory.bind_password") {
        return text;
    }
    match r.text("directory.bind_password_file") {
        Some(path) => match std::fs::read_to_string(&path) {
            Ok(text) => text.trim_end_matches(['\r', '\n']).to_string(),
            Err(e) => {
                r.problems.push(format!(
                    "directory.bind_password_file: cannot read {path}: {e}"
                ));
                String::new()
            }
        },
        None => {
            r.problems.push("directory.bind_password: set it, or directory.bind_password_file, or COUNTERSIGN_DIRECTORY_BIND_PASSWORD".into());
            String::new()
        }
    }
}
