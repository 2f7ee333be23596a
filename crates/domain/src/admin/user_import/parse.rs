//! The CSV of user records: a header naming MFA Server's user fields (in
//! any order, matched ignoring case, spaces and underscores), one user a line.

use countersign_otp::import::csv::split;
use countersign_otp::import::{check_size, ImportError};

/// One line's fields, trimmed; empty cells are `None` (keep what is there).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserRow {
    pub at: usize,
    pub username: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub country_code: Option<String>,
    pub phone: Option<String>,
    pub extension: Option<String>,
    pub backup_country_code: Option<String>,
    pub backup_phone: Option<String>,
    pub default_method: Option<String>,
    pub enabled: Option<String>,
    pub token_serial: Option<String>,
    pub language: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Username,
    FirstName,
    LastName,
    Email,
    CountryCode,
    Phone,
    Extension,
    BackupCountryCode,
    BackupPhone,
    DefaultMethod,
    Enabled,
    TokenSerial,
    Language,
    Other,
}

fn field(name: &str) -> Field {
    let name: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    match name.as_str() {
        "username" | "user" | "samaccountname" | "userprincipalname" => Field::Username,
        "firstname" | "givenname" => Field::FirstName,
        "lastname" | "surname" | "sn" => Field::LastName,
        "email" | "mail" | "emailaddress" => Field::Email,
        "countrycode" => Field::CountryCode,
        "phone" | "phonenumber" | "primaryphone" => Field::Phone,
        "extension" | "ext" => Field::Extension,
        "backupcountrycode" => Field::BackupCountryCode,
        "backupphone" | "backupphonenumber" => Field::BackupPhone,
        "defaultmethod" | "method" => Field::DefaultMethod,
        "enabled" | "status" => Field::Enabled,
        "tokenserial" | "serial" | "oathtokenserial" => Field::TokenSerial,
        "language" | "lang" => Field::Language,
        _ => Field::Other,
    }
}

/// One entry per user line: the row, or (line, username if known, reason).
pub type Parsed = Result<UserRow, (usize, Option<String>, String)>;

pub fn parse(data: &[u8]) -> Result<Vec<Parsed>, ImportError> {
    check_size(data.len())?;
    let data = data.strip_prefix(b"\xef\xbb\xbf").unwrap_or(data);
    let mut header: Option<(Vec<Field>, char)> = None;
    let mut rows = Vec::new();
    for (index, raw) in data.split(|b| *b == b'\n').enumerate() {
        let at = index + 1;
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        let Ok(line) = std::str::from_utf8(raw) else {
            rows.push(Err((
                at,
                None,
                "the line is not UTF-8 text; save the file as UTF-8".into(),
            )));
            continue;
        };
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let Some((fields, separator)) = &header else {
            header = Some(read_header(line)?);
            continue;
        };
        rows.push(row(at, line, fields, *separator));
    }
    if rows.is_empty() {
        return Err(ImportError::Header(
            "is there, but no user follows it".into(),
        ));
    }
    Ok(rows)
}

fn read_header(line: &str) -> Result<(Vec<Field>, char), ImportError> {
    let separator = if !line.contains(',') && line.contains(';') {
        ';'
    } else {
        ','
    };
    let fields: Vec<Field> = split(line, separator)
        .map_err(ImportError::Header)?
        .iter()
        .map(|name| field(name))
        .collect();
    if !fields.contains(&Field::Username) {
        return Err(ImportError::Header(
            "has no 'username' column; start the file with a header such as \
             `username,first_name,last_name,email,country_code,phone,default_method,enabled,token_serial,language`"
                .into(),
        ));
    }
    Ok((fields, separator))
}

fn row(at: usize, line: &str, fields: &[Field], separator: char) -> Parsed {
    let cells = split(line, separator).map_err(|e| (at, None, e))?;
    let get = |wanted: Field| {
        fields
            .iter()
            .position(|f| *f == wanted)
            .and_then(|i| cells.get(i))
            .map(|c| c.trim().to_string())
            .filter(|c| !c.is_empty())
    };
    let username = get(Field::Username);
    if cells.len() != fields.len() {
        let reason = format!("{} columns, expected {}", cells.len(), fields.len());
        return Err((at, username, reason));
    }
    let Some(username) = username else {
        return Err((at, None, "the username is empty".into()));
    };
    Ok(UserRow {
        at,
        username,
        first_name: get(Field::FirstName),
        last_name: get(Field::LastName),
        email: get(Field::Email),
        country_code: get(Field::CountryCode),
        phone: get(Field::Phone),
        extension: get(Field::Extension),
        backup_country_code: get(Field::BackupCountryCode),
        backup_phone: get(Field::BackupPhone),
        default_method: get(Field::DefaultMethod),
        enabled: get(Field::Enabled),
        token_serial: get(Field::TokenSerial),
        language: get(Field::Language),
    })
}
