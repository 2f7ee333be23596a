//! Token seeds as CSV: a header row naming the columns
//! `serial,secret,type,digits,period_or_counter,algorithm` (in any order;
//! `issuer` too), or without a header six columns in that order, or MFA
//! Server's three columns `serial,secret,interval` (TOTP). The secret is
//! hex or base32, told apart by its characters (`hex:` or `base32:` in
//! front decides). Blank lines and lines starting with `#` are ignored.

use super::{check_size, Entry, ImportError, Parsed, Seed};
use crate::algorithm::{Algorithm, Kind};
use crate::base32;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    Serial,
    Secret,
    Type,
    Digits,
    PeriodOrCounter,
    Period,
    Counter,
    Algorithm,
    Issuer,
    Other,
}

const SIX: [Column; 6] = [
    Column::Serial,
    Column::Secret,
    Column::Type,
    Column::Digits,
    Column::PeriodOrCounter,
    Column::Algorithm,
];
const MFA_SERVER: [Column; 3] = [Column::Serial, Column::Secret, Column::Period];

/// Parses a CSV file: one [`Entry`] per token line, each numbered by its line.
pub fn parse(data: &[u8]) -> Result<Vec<Entry>, ImportError> {
    check_size(data.len())?;
    let data = data.strip_prefix(b"\xef\xbb\xbf").unwrap_or(data);
    let mut layout: Option<(Vec<Column>, char)> = None;
    let mut entries = Vec::new();
    for (index, raw) in data.split(|b| *b == b'\n').enumerate() {
        let number = index + 1;
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        let Ok(line) = std::str::from_utf8(raw) else {
            let reason = "the line is not UTF-8 text; save the file as UTF-8".to_string();
            entries.push(Entry::new(number, None, Err(reason)));
            continue;
        };
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        if layout.is_none() {
            let (found, is_header) = detect(line)?;
            layout = Some(found);
            if is_header {
                continue;
            }
        }
        let Some((columns, separator)) = &layout else {
            continue;
        };
        entries.push(line_entry(number, line, columns, *separator));
    }
    if entries.is_empty() {
        return Err(ImportError::Empty);
    }
    Ok(entries)
}

/// The columns and separator from the first line, and whether it is a header.
fn detect(line: &str) -> Result<((Vec<Column>, char), bool), ImportError> {
    let separator = if !line.contains(',') && line.contains(';') {
        ';'
    } else {
        ','
    };
    let fields = split(line, separator).map_err(ImportError::Header)?;
    let columns: Vec<Column> = fields.iter().map(|f| column(f)).collect();
    if columns.contains(&Column::Serial) || columns.contains(&Column::Secret) {
        for needed in [Column::Serial, Column::Secret] {
            if !columns.contains(&needed) {
                let name = if needed == Column::Serial {
                    "serial"
                } else {
                    "secret"
                };
                return Err(ImportError::Header(format!("has no '{name}' column")));
            }
        }
        return Ok(((columns, separator), true));
    }
    match fields.len() {
        3 => Ok(((MFA_SERVER.to_vec(), separator), false)),
        6 => Ok(((SIX.to_vec(), separator), false)),
        n => Err(ImportError::Header(format!(
            "is missing: the first line has {n} columns and no names; start the file with \
             `serial,secret,type,digits,period_or_counter,algorithm`"
        ))),
    }
}

fn column(name: &str) -> Column {
    let name: String = name
        .trim()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    match name.as_str() {
        "serial" | "serialnumber" | "serialno" => Column::Serial,
        "secret" | "secretkey" | "seed" | "key" => Column::Secret,
        "type" | "kind" => Column::Type,
        "digits" | "length" => Column::Digits,
        "periodorcounter" => Column::PeriodOrCounter,
        "period" | "interval" | "timeinterval" | "timestep" => Column::Period,
        "counter" => Column::Counter,
        "algorithm" | "hash" => Column::Algorithm,
        "issuer" => Column::Issuer,
        _ => Column::Other,
    }
}

fn line_entry(number: usize, line: &str, columns: &[Column], separator: char) -> Entry {
    let fields = match split(line, separator) {
        Ok(fields) => fields,
        Err(reason) => return Entry::new(number, None, Err(reason)),
    };
    let serial = columns
        .iter()
        .position(|c| *c == Column::Serial)
        .and_then(|i| fields.get(i))
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty());
    if fields.len() != columns.len() {
        let reason = format!("{} columns, expected {}", fields.len(), columns.len());
        return Entry::new(number, serial, Err(reason));
    }
    let seed = seed(columns, &fields);
    Entry::new(number, serial, seed)
}

fn seed(columns: &[Column], fields: &[String]) -> Result<Seed, String> {
    let get = |wanted: Column| -> Option<&str> {
        columns
            .iter()
            .position(|c| *c == wanted)
            .and_then(|i| fields.get(i))
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
    };
    let kind = match get(Column::Type) {
        Some(text) => text.parse::<Kind>().map_err(|e| e.to_string())?,
        None => Kind::Totp,
    };
    let number = |what: Column, name: &str| -> Result<Option<u64>, String> {
        get(what)
            .map(|t| {
                t.parse::<u64>()
                    .map_err(|_| format!("the {name} '{t}' is not a whole number"))
            })
            .transpose()
    };
    let either = number(Column::PeriodOrCounter, "period_or_counter")?;
    let period = number(Column::Period, "period")?;
    let counter = number(Column::Counter, "counter")?;
    let (period, counter) = match kind {
        Kind::Totp => (period.or(either).unwrap_or(30), 0),
        Kind::Hotp => (30, counter.or(either).unwrap_or(0)),
        Kind::Yubico => {
            return Err(
                "YubiKeys are imported with --format yubico (the personalization tool's log)"
                    .into(),
            )
        }
    };
    let algorithm = match get(Column::Algorithm) {
        Some(text) => text.parse::<Algorithm>().map_err(|e| e.to_string())?,
        None => Algorithm::Sha1,
    };
    Ok(Seed {
        serial: get(Column::Serial).unwrap_or("").to_string(),
        kind,
        secret: secret(get(Column::Secret).ok_or("the secret is empty")?)?,
        algorithm,
        digits: number(Column::Digits, "digits")?.unwrap_or(6) as u32,
        period,
        counter,
        issuer: get(Column::Issuer).map(str::to_string),
    })
}

/// Decodes a hex or base32 secret. Hex unless a character says otherwise
/// (a random base32 secret made only of A-F and 2-7 is vanishingly rare);
/// `hex:` or `base32:` in front decides.
pub fn secret(text: &str) -> Result<Vec<u8>, String> {
    let compact: String = text.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    let lower = compact.to_ascii_lowercase();
    if let Some(rest) = lower.strip_prefix("hex:") {
        return hex(rest)
            .ok_or_else(|| "the secret after 'hex:' is not an even number of hex digits".into());
    }
    if let Some(rest) = lower.strip_prefix("base32:") {
        return base32::decode(rest).map_err(|e| e.to_string());
    }
    if let Some(bytes) = hex(&lower) {
        return Ok(bytes);
    }
    base32::decode(&compact).map_err(|_| {
        "the secret is neither hex (0-9, a-f) nor base32 (A-Z, 2-7); check that it was copied completely".to_string()
    })
}

pub(super) fn hex(text: &str) -> Option<Vec<u8>> {
    if text.is_empty() || text.len() & 1 != 0 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Splits one line at `separator`, with `"quoted, fields"` and `""` inside quotes.
pub fn split(line: &str, separator: char) -> Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            ('"', true) => quoted = false,
            ('"', false) if field.trim().is_empty() => {
                field.clear();
                quoted = true;
            }
            (c, false) if c == separator => fields.push(std::mem::take(&mut field)),
            (c, _) => field.push(c),
        }
    }
    if quoted {
        return Err("a quoted field is not closed".into());
    }
    fields.push(field);
    Ok(fields)
}

/// Counts the entries that are seeds (for summaries and tests).
pub fn seeds(entries: &[Entry]) -> usize {
    entries
        .iter()
        .filter(|e| matches!(e.parsed, Parsed::Seed(_)))
        .count()
}
