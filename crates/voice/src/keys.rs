//! Collecting the keys of one call from both sources (RFC 4733 events and
//! SIP INFO) until the terminator (`#`) or a number of digits.

/// Where a key came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Rtp,
    Info,
}

/// A phone that sends a key both ways reports it twice within a moment;
/// the second report from the other source is dropped within this window.
pub const BOTH_WAYS_MS: u64 = 200;

/// When the input is complete.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyRules {
    /// The key that ends the input (included in it), normally `#`.
    pub terminator: char,
    /// Input ends after this many keys even without the terminator (0: no limit).
    pub max_keys: usize,
}

impl Default for KeyRules {
    fn default() -> Self {
        KeyRules {
            terminator: '#',
            max_keys: 16,
        }
    }
}

/// The keys pressed so far.
#[derive(Debug, Clone)]
pub struct Collector {
    rules: KeyRules,
    keys: String,
    last: Option<(char, Source, u64)>,
    done: bool,
}

impl Collector {
    pub fn new(rules: KeyRules) -> Self {
        Collector {
            rules,
            keys: String::new(),
            last: None,
            done: false,
        }
    }

    /// Adds a key seen at `now_ms`; true once the input is complete (later keys are ignored).
    pub fn push(&mut self, key: char, source: Source, now_ms: u64) -> bool {
        if self.done {
            return true;
        }
        if let Some((k, s, t)) = self.last {
            if k == key && s != source && now_ms.saturating_sub(t) <= BOTH_WAYS_MS {
                self.last = None; // one copy per press
                return false;
            }
        }
        self.last = Some((key, source, now_ms));
        self.keys.push(key);
        let full = self.rules.max_keys > 0 && self.keys.chars().count() >= self.rules.max_keys;
        self.done = key == self.rules.terminator || full;
        self.done
    }

    pub fn is_done(&self) -> bool {
        self.done
    }

    pub fn keys(&self) -> &str {
        &self.keys
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ends_at_the_terminator() {
        let mut c = Collector::new(KeyRules::default());
        for (i, k) in "1234".chars().enumerate() {
            assert!(!c.push(k, Source::Rtp, i as u64 * 500));
        }
        assert!(c.push('#', Source::Rtp, 5000));
        assert!(c.push('9', Source::Rtp, 6000));
        assert_eq!(c.keys(), "1234#");
        assert!(c.is_done());
    }

    #[test]
    fn ends_at_the_count() {
        let mut c = Collector::new(KeyRules {
            terminator: '#',
            max_keys: 2,
        });
        assert!(!c.push('0', Source::Info, 0));
        assert!(c.push('7', Source::Info, 1000));
        assert_eq!(c.keys(), "07");
    }

    #[test]
    fn one_key_sent_both_ways_counts_once() {
        let mut c = Collector::new(KeyRules::default());
        assert!(!c.push('0', Source::Rtp, 1000));
        assert!(!c.push('0', Source::Info, 1100));
        // A second press, and its copy from the other source.
        assert!(!c.push('0', Source::Info, 1500));
        assert!(!c.push('0', Source::Rtp, 1600));
        // The same key again from the same source is always a new press.
        assert!(!c.push('0', Source::Rtp, 1650));
        assert!(c.push('#', Source::Info, 2500));
        assert_eq!(c.keys(), "000#");
    }
}
