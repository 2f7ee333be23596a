//! What goes wrong with a directory, in words an administrator acts on.

#[derive(Debug, thiserror::Error)]
pub enum DirError {
    #[error("directory.url: {0}")]
    Url(String),
    #[error("cannot reach the directory at {url}: {reason}; check the address, the port and the firewall (tried every server in directory.url)")]
    Unreachable { url: String, reason: String },
    #[error("{url}: plain LDAP without StartTLS sends passwords in the clear; use ldaps://, or a server with StartTLS, or set directory.allow_plain = true if you must")]
    PlainRefused { url: String },
    /// The text says what to do (it depends on whether `ca_file` is set).
    #[error("TLS to the directory: {0}")]
    Tls(String),
    #[error("bind as {dn} refused: {reason}; check directory.bind_dn and its password")]
    ServiceBind { dn: String, reason: String },
    #[error("searching {base} with {filter}: {reason}")]
    Search {
        base: String,
        filter: String,
        reason: String,
    },
    #[error("the directory answered something Countersign cannot read: {0}")]
    Malformed(String),
    #[error("the directory did not answer within {0} seconds (directory.timeout)")]
    Timeout(u64),
}

/// An LDAP result code and diagnostic in words, with AD's sub-codes
/// (`data 52e`: wrong password, `533`: disabled, `532`/`773`: password
/// expired / must change, `775`: locked).
pub fn describe(rc: u32, text: &str) -> String {
    let name = match rc {
        49 => "invalid credentials",
        50 => "insufficient access rights",
        32 => "no such object",
        51 => "busy",
        52 => "unavailable",
        53 => "unwilling to perform",
        8 => "stronger authentication required",
        _ => "error",
    };
    let ad = ad_data(text).map(|code| match code.as_str() {
        "52e" => " (AD data 52e: wrong password)".to_string(),
        "525" => " (AD data 525: no such user)".to_string(),
        "530" | "531" => {
            format!(" (AD data {code}: not allowed at this time or from this workstation)")
        }
        "532" => " (AD data 532: password expired)".to_string(),
        "533" => " (AD data 533: account disabled)".to_string(),
        "701" => " (AD data 701: account expired)".to_string(),
        "773" => " (AD data 773: the user must change the password)".to_string(),
        "775" => " (AD data 775: account locked)".to_string(),
        other => format!(" (AD data {other})"),
    });
    format!("{name} ({rc}){}", ad.unwrap_or_default())
}

/// `data 52e` from AD's diagnostic text.
pub fn ad_data(text: &str) -> Option<String> {
    let rest = text.split("data ").nth(1)?;
    let code: String = rest.chars().take_while(|c| c.is_ascii_hexdigit()).collect();
    (!code.is_empty()).then_some(code)
}

#[cfg(test)]
mod tests {
    #[test]
    fn ad_sub_codes_are_named() {
        let text = "80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext error, data 52e, v4563";
        assert_eq!(
            super::describe(49, text),
            "invalid credentials (49) (AD data 52e: wrong password)"
        );
        assert_eq!(super::describe(49, ""), "invalid credentials (49)");
        assert_eq!(super::ad_data("data 773, v4563").as_deref(), Some("773"));
    }
}
