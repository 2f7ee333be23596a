//! Writing CSV that spreadsheets open safely: RFC 4180 quoting, and
//! formula defusing (OWASP "CSV injection"). Every CSV export (the
//! console's audit download, the API's) writes its fields through here.

use std::borrow::Cow;

/// The first characters that make a spreadsheet read a cell as a formula:
/// `=`, `+`, `-`, `@`, and tab and carriage return (which some strip
/// before looking again).
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// `text` with a `'` in front when it would start a formula; as is otherwise.
/// A name like `=HYPERLINK(...)` then shows as text instead of running.
pub fn defuse_formula(text: &str) -> Cow<'_, str> {
    match text.starts_with(FORMULA_STARTS) {
        true => Cow::Owned(format!("'{text}")),
        false => Cow::Borrowed(text),
    }
}

/// One CSV field: defused, then quoted when it holds a comma, quote or
/// line break (RFC 4180).
pub fn field(text: &str) -> String {
    let text = defuse_formula(text);
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.into_owned()
    }
}

/// One CSV line of `fields`, each through [`field`], ending in `\n`.
pub fn line<S: AsRef<str>>(fields: &[S]) -> String {
    let mut line = fields
        .iter()
        .map(|f| field(f.as_ref()))
        .collect::<Vec<_>>()
        .join(",");
    line.push('\n');
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted() {
        assert_eq!(field("alice"), "alice");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("two\nlines"), "\"two\nlines\"");
        assert_eq!(line(&["a", "b,c"]), "a,\"b,c\"\n");
    }

    #[test]
    fn every_formula_start_is_defused() {
        for (given, written) in [
            ("=cmd()", "'=cmd()"),
            ("+1+1", "'+1+1"),
            ("-2+3", "'-2+3"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\t=1+1", "'\t=1+1"),
            ("\r=1+1", "\"'\r=1+1\""),
            ("=a,b", "\"'=a,b\""),
        ] {
            assert_eq!(field(given), written, "{given:?}");
        }
        for harmless in ["alice", "a=b", "203.0.113.9", "", " =x"] {
            assert_eq!(defuse_formula(harmless), harmless, "{harmless:?}");
        }
    }
}
