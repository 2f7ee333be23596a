//! What a user line asks for, checked before anything is written, so a
//! line is applied whole or not at all.

use super::parse::UserRow;
use crate::model::user;
use crate::signin::Method;

/// `None`: the cell was empty, keep what the user has.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Desired {
    pub display_name: Option<String>,
    pub email: Option<String>,
    /// E.164.
    pub phone: Option<String>,
    /// The number calls dial: MFA Server's extension (dialled on the PBX),
    /// else its backup phone.
    pub voice_phone: Option<String>,
    /// `Some(None)`: automatic.
    pub default_method: Option<Option<Method>>,
    pub enabled: Option<bool>,
    pub language: Option<String>,
    pub token_serial: Option<String>,
}

pub fn desired(row: &UserRow) -> Result<Desired, String> {
    let name = [row.first_name.as_deref(), row.last_name.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let display_name = Some(name).filter(|n| !n.is_empty());
    if let Some(name) = &display_name {
        user::validate_display_name(name).map_err(|e| e.to_string())?;
    }
    if let Some(email) = &row.email {
        user::validate_email(email).map_err(|e| e.to_string())?;
    }
    let main_phone = phone(row.country_code.as_deref(), row.phone.as_deref(), "phone")?;
    let backup = phone(
        row.backup_country_code.as_deref(),
        row.backup_phone.as_deref(),
        "backup phone",
    )?;
    if let Some(ext) = &row.extension {
        if ext.len() < 2 || ext.len() > 10 || !ext.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("the extension '{ext}' is not 2 to 10 digits"));
        }
    }
    let voice_phone = row.extension.clone().or(backup);
    if let Some(tag) = &row.language {
        user::validate_language(tag).map_err(|e| e.to_string())?;
    }
    Ok(Desired {
        display_name,
        email: row.email.clone(),
        phone: main_phone,
        voice_phone,
        default_method: row.default_method.as_deref().map(method).transpose()?,
        enabled: row.enabled.as_deref().map(enabled).transpose()?,
        language: row.language.clone(),
        token_serial: row.token_serial.clone(),
    })
}

/// `+<country code><number>` in E.164; a number starting with `+` stands alone.
fn phone(code: Option<&str>, number: Option<&str>, what: &str) -> Result<Option<String>, String> {
    let Some(number) = number else {
        return Ok(None);
    };
    let full = if number.starts_with('+') {
        number.to_string()
    } else {
        let code = code.ok_or_else(|| format!("the {what} has no country code"))?;
        format!(
            "+{}{}",
            code.trim_start_matches('+'),
            number.trim_start_matches('0')
        )
    };
    user::normalize_phone(&full)
        .map(Some)
        .map_err(|e| format!("the {what}: {e}"))
}

/// Our method names, and MFA Server's (`Text message`, `Mobile app`, `OATH token`, `Phone call`).
fn method(text: &str) -> Result<Option<Method>, String> {
    let words: String = text
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    match words.as_str() {
        "textmessage" | "text" | "sms" | "onewaysms" => Ok(Some(Method::Sms)),
        "twowaysms" | "smsreply" | "textmessagereply" => Ok(Some(Method::SmsReply)),
        "mobileapp" | "app" | "push" => Ok(Some(Method::Push)),
        "oathtoken" | "oath" | "token" | "otp" => Ok(Some(Method::Otp)),
        "yubico" | "yubikey" => Ok(Some(Method::Yubico)),
        "email" => Ok(Some(Method::Email)),
        "phonecall" | "call" | "voice" => Ok(Some(Method::Call)),
        "default" | "automatic" => Ok(None),
        _ => Err(format!(
            "the default method '{text}' is not {}",
            Method::listed()
        )),
    }
}

fn enabled(text: &str) -> Result<bool, String> {
    match text.to_ascii_lowercase().as_str() {
        "yes" | "y" | "true" | "1" | "enabled" => Ok(true),
        "no" | "n" | "false" | "0" | "disabled" => Ok(false),
        _ => Err(format!("enabled is '{text}'; expected yes or no")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mfa_server_fields_become_ours() {
        let row = UserRow {
            username: "ann".into(),
            first_name: Some("Ann".into()),
            last_name: Some("Lee".into()),
            country_code: Some("44".into()),
            phone: Some("01632 960123".into()),
            default_method: Some("Text message".into()),
            enabled: Some("No".into()),
            language: Some("pt-BR".into()),
            ..UserRow::default()
        };
        let want = desired(&row).expect("valid");
        assert_eq!(want.display_name.as_deref(), Some("Ann Lee"));
        assert_eq!(want.phone.as_deref(), Some("+441632960123"));
        assert_eq!(want.default_method, Some(Some(Method::Sms)));
        assert_eq!(want.enabled, Some(false));
        assert_eq!(want.voice_phone, None);
        let calls = UserRow {
            default_method: Some("Phone call".into()),
            backup_phone: Some("+15550001111".into()),
            ..row.clone()
        };
        let call = desired(&calls).expect("valid");
        assert_eq!(call.default_method, Some(Some(Method::Call)));
        assert_eq!(call.voice_phone.as_deref(), Some("+15550001111"));
        let desk = UserRow {
            extension: Some("4711".into()),
            ..calls
        };
        assert_eq!(
            desired(&desk).expect("valid").voice_phone.as_deref(),
            Some("4711")
        );
        let bad = UserRow {
            phone: Some("12345".into()),
            ..row.clone()
        };
        assert!(desired(&bad).unwrap_err().contains("country code"));
        let bad = UserRow {
            default_method: Some("fax".into()),
            ..row.clone()
        };
        assert!(desired(&bad).is_err());
        let bad = UserRow {
            language: Some("not a tag".into()),
            ..row
        };
        assert!(desired(&bad).is_err());
    }
}
