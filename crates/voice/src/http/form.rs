//! The provider's callback bodies (`application/x-www-form-urlencoded`),
//! read with limits, and the fields a call needs from them.

/// The largest body read (a Twilio status callback is about 1 KB).
pub const MAX_BODY: usize = 16 * 1024;
/// The most fields read.
pub const MAX_FIELDS: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormError {
    TooLarge(usize),
    TooManyFields,
}

impl std::fmt::Display for FormError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FormError::TooLarge(n) => {
                write!(f, "the callback body is {n} bytes, more than {MAX_BODY}")
            }
            FormError::TooManyFields => write!(f, "the callback has more than {MAX_FIELDS} fields"),
        }
    }
}

/// Every `name=value` pair, decoded (`+` is a space, `%XX` a byte, bad
/// UTF-8 replaced), in the order sent.
pub fn parse(body: &[u8]) -> Result<Vec<(String, String)>, FormError> {
    if body.len() > MAX_BODY {
        return Err(FormError::TooLarge(body.len()));
    }
    let mut out = Vec::new();
    for (name, value) in form_urlencoded::parse(body) {
        if out.len() == MAX_FIELDS {
            return Err(FormError::TooManyFields);
        }
        out.push((name.into_owned(), value.into_owned()));
    }
    Ok(out)
}

/// The first value of `name`.
pub fn field<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// The keys of a Gather callback, as the SIP path reports them: `Digits`
/// and the terminator when the callee ended with it (`FinishedOnKey`), the
/// digits alone when `max_keys` were pressed; `Err(partial)` otherwise.
pub fn gathered(
    form: &[(String, String)],
    terminator: char,
    max_keys: usize,
) -> Result<String, String> {
    let digits: String = field(form, "Digits")
        .unwrap_or_default()
        .chars()
        .filter(|c| c.is_ascii_digit() || matches!(c, '*' | '#' | 'A'..='D'))
        .take(64)
        .collect();
    let finished = field(form, "FinishedOnKey").unwrap_or_default();
    if finished.starts_with(terminator) {
        return Ok(format!("{digits}{terminator}"));
    }
    if max_keys > 0 && digits.chars().count() >= max_keys {
        return Ok(digits);
    }
    Err(digits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_and_limits() {
        let f = parse(b"CallSid=CA1&Digits=12%2334&Caller=%2B14158675309&x=a+b&y").expect("parses");
        assert_eq!(field(&f, "Digits"), Some("12#34"));
        assert_eq!(field(&f, "Caller"), Some("+14158675309"));
        assert_eq!(field(&f, "x"), Some("a b"));
        assert_eq!(field(&f, "y"), Some(""));
        assert_eq!(field(&f, "z"), None);
        assert_eq!(
            parse(&vec![b'a'; MAX_BODY + 1]),
            Err(FormError::TooLarge(MAX_BODY + 1))
        );
        assert_eq!(
            parse("a=1&".repeat(65).as_bytes()),
            Err(FormError::TooManyFields)
        );
        assert_eq!(parse(b"%FF=%FE").expect("lossy").len(), 1);
    }

    #[test]
    fn gathered_keys() {
        let form = |d: &str, k: &str| {
            parse(format!("Digits={d}&FinishedOnKey={k}").as_bytes()).expect("form")
        };
        assert_eq!(gathered(&form("", "%23"), '#', 16), Ok("#".into()));
        assert_eq!(gathered(&form("1234", "%23"), '#', 16), Ok("1234#".into()));
        assert_eq!(gathered(&form("0", "%23"), '#', 16), Ok("0#".into()));
        assert_eq!(gathered(&form("12", ""), '#', 16), Err("12".into()));
        assert_eq!(gathered(&form("1234", ""), '#', 4), Ok("1234".into()));
        assert_eq!(gathered(&[], '#', 16), Err(String::new()));
        assert_eq!(gathered(&form("1<x>2", "%23"), '#', 16), Ok("12#".into()));
    }
}
