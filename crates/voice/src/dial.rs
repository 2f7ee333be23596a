//! The dialled string: a phone number (E.164 `+15550001111`, or an
//! extension `1001`) to the user part of the INVITE's Request-URI.
//!
//! By default the E.164 digits without the `+`; `dial_rewrite` rules change
//! that (`^\+44` → `9044`: an outside line and the national format).

use regex::Regex;
use serde::Deserialize;
use thiserror::Error;

/// One rewrite rule as written in the settings.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DialRule {
    /// A regular expression matched against the number as stored (with its `+`).
    pub pattern: String,
    /// What the match is replaced with (`$1` for groups).
    pub replace: String,
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum DialError {
    #[error("dial_rewrite pattern {pattern:?} is not a regular expression: {reason}")]
    BadPattern { pattern: String, reason: String },
    #[error(
        "{0:?} is not a phone number: use E.164 (+ and up to 15 digits) or an extension (digits)"
    )]
    NotANumber(String),
    #[error("dial_rewrite turned {number:?} into {dialled:?}, which has characters other than digits, * and #; fix the rule")]
    BadResult { number: String, dialled: String },
}

/// The rules in order; the first that matches is applied once.
#[derive(Debug, Clone, Default)]
pub struct DialPlan {
    rules: Vec<(Regex, String)>,
}

impl DialPlan {
    pub fn new(rules: &[DialRule]) -> Result<Self, DialError> {
        let rules = rules
            .iter()
            .map(|r| {
                Regex::new(&r.pattern)
                    .map(|re| (re, r.replace.clone()))
                    .map_err(|e| DialError::BadPattern {
                        pattern: r.pattern.clone(),
                        reason: e.to_string(),
                    })
            })
            .collect::<Result<_, _>>()?;
        Ok(DialPlan { rules })
    }

    /// The user part to dial for `number` (spaces, dashes, dots and
    /// parentheses are dropped first, as people write them).
    pub fn dial_string(&self, number: &str) -> Result<String, DialError> {
        let clean: String = number
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')'))
            .collect();
        let digits = clean.strip_prefix('+').unwrap_or(&clean);
        let valid = !digits.is_empty()
            && digits.len() <= 32
            && digits.bytes().all(|b| b.is_ascii_digit())
            && (clean.len() == digits.len() || digits.len() <= 15);
        if !valid {
            return Err(DialError::NotANumber(number.chars().take(40).collect()));
        }
        let rewritten = match self.rules.iter().find(|(re, _)| re.is_match(&clean)) {
            Some((re, replace)) => re.replace(&clean, replace.as_str()).into_owned(),
            None => clean.clone(),
        };
        let dialled = rewritten
            .strip_prefix('+')
            .unwrap_or(&rewritten)
            .to_string();
        if dialled.is_empty()
            || !dialled
                .bytes()
                .all(|b| b.is_ascii_digit() || b == b'*' || b == b'#')
        {
            return Err(DialError::BadResult {
                number: clean,
                dialled,
            });
        }
        Ok(dialled)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(p: &str, r: &str) -> DialRule {
        DialRule {
            pattern: p.into(),
            replace: r.into(),
        }
    }

    #[test]
    fn e164_without_the_plus_by_default() {
        let plan = DialPlan::default();
        assert_eq!(plan.dial_string("+15550001111"), Ok("15550001111".into()));
        assert_eq!(
            plan.dial_string("+1 (555) 000-1111"),
            Ok("15550001111".into())
        );
        assert_eq!(plan.dial_string("1001"), Ok("1001".into()));
    }

    #[test]
    fn the_first_matching_rule_applies() {
        let plan =
            DialPlan::new(&[rule(r"^\+44", "9044"), rule(r"^\+(\d+)$", "900$1")]).expect("rules");
        assert_eq!(
            plan.dial_string("+442071234567"),
            Ok("90442071234567".into())
        );
        assert_eq!(
            plan.dial_string("+15550001111"),
            Ok("90015550001111".into())
        );
        assert_eq!(plan.dial_string("2001"), Ok("2001".into()));
    }

    #[test]
    fn bad_numbers_and_rules_are_refused() {
        let plan = DialPlan::default();
        assert!(matches!(
            plan.dial_string(""),
            Err(DialError::NotANumber(_))
        ));
        assert!(matches!(
            plan.dial_string("+"),
            Err(DialError::NotANumber(_))
        ));
        assert!(matches!(
            plan.dial_string("+1234567890123456"),
            Err(DialError::NotANumber(_))
        ));
        assert!(matches!(
            plan.dial_string("12ab"),
            Err(DialError::NotANumber(_))
        ));
        assert!(matches!(
            plan.dial_string("1@evil;x"),
            Err(DialError::NotANumber(_))
        ));
        assert!(matches!(
            DialPlan::new(&[rule("(", "")]),
            Err(DialError::BadPattern { .. })
        ));
        let plan = DialPlan::new(&[rule(r"^\+1", "sip:")]).expect("rule");
        assert!(matches!(
            plan.dial_string("+15550001111"),
            Err(DialError::BadResult { .. })
        ));
        let plan = DialPlan::new(&[rule(r"^\+1", "*72")]).expect("rule");
        assert_eq!(plan.dial_string("+15550001111"), Ok("*725550001111".into()));
    }
}
