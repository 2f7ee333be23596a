//! The TwiML a call runs: play the prompt inside a `<Gather>` that ends on
//! `#`, again until the key timeout is used up, then hang up.

use std::time::Duration;

/// What the call's TwiML needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Script {
    /// Where the provider fetches the prompt (a WAV file).
    pub prompt_url: String,
    /// Where the provider posts the keys.
    pub action_url: String,
    pub prompt: Duration,
    pub key_timeout: Duration,
    pub terminator: char,
    /// 0: no limit.
    pub max_keys: usize,
}

impl Script {
    /// How often the prompt plays: enough to fill the key timeout, 1 to 10.
    pub fn plays(&self) -> u64 {
        let each = self.prompt.as_millis().max(1) as u64;
        let total = self.key_timeout.as_millis() as u64;
        total.div_ceil(each).clamp(1, 10)
    }
}

/// `<Response><Gather ...><Play loop="n">URL</Play></Gather><Hangup/></Response>`.
pub fn gather(s: &Script) -> String {
    let num_digits = if s.max_keys > 0 {
        format!(" numDigits=\"{}\"", s.max_keys)
    } else {
        String::new()
    };
    format!(
        concat!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
            "<Response><Gather input=\"dtmf\" finishOnKey=\"{key}\"{num} timeout=\"5\" ",
            "actionOnEmptyResult=\"true\" action=\"{action}\" method=\"POST\">",
            "<Play loop=\"{plays}\">{prompt}</Play></Gather><Hangup/></Response>\n"
        ),
        key = escape(&s.terminator.to_string()),
        num = num_digits,
        action = escape(&s.action_url),
        plays = s.plays(),
        prompt = escape(&s.prompt_url),
    )
}

/// `<Response><Hangup/></Response>`: the answer that ends a call.
pub fn hangup() -> String {
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Hangup/></Response>\n".into()
}

/// Text safe inside an XML attribute or element.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_gather_document() {
        let s = Script {
            prompt_url: "https://mfa.example/voice/v1/calls/c1/prompt.wav".into(),
            action_url: "https://mfa.example/voice/v1/calls/c1/gather?a=1&b=2".into(),
            prompt: Duration::from_millis(9_500),
            key_timeout: Duration::from_secs(30),
            terminator: '#',
            max_keys: 16,
        };
        assert_eq!(
            gather(&s),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Gather input=\"dtmf\" finishOnKey=\"#\" numDigits=\"16\" timeout=\"5\" actionOnEmptyResult=\"true\" action=\"https://mfa.example/voice/v1/calls/c1/gather?a=1&amp;b=2\" method=\"POST\"><Play loop=\"4\">https://mfa.example/voice/v1/calls/c1/prompt.wav</Play></Gather><Hangup/></Response>\n"
        );
        let once = Script {
            key_timeout: Duration::from_secs(1),
            max_keys: 0,
            ..s.clone()
        };
        assert_eq!(once.plays(), 1);
        assert!(!gather(&once).contains("numDigits"));
        let many = Script {
            prompt: Duration::ZERO,
            ..s
        };
        assert_eq!(many.plays(), 10);
        assert_eq!(
            escape("<a href='x'>&\""),
            "&lt;a href=&apos;x&apos;&gt;&amp;&quot;"
        );
        assert!(hangup().contains("<Response><Hangup/></Response>"));
    }
}
