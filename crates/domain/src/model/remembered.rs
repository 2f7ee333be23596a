//! Remembered browsers: a browser a user signed in on fully and asked to
//! be remembered, so that their next sign-ins there skip the second factor
//! for as many days as the matching rule allows (docs/remembered-devices.md).

use serde::Serialize;

/// One remembered browser as the store keeps it. The cookie's token is
/// never kept: only its keyed hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RememberedDevice {
    pub id: String,
    pub user_id: String,
    #[serde(skip)]
    pub token_hash: String,
    /// The browser and system, from the User-Agent (`Chrome on Linux`).
    pub label: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub expires_at: i64,
}

/// The longest a browser may be remembered, whatever a rule says.
pub const MAX_REMEMBER_DAYS: u32 = 365;

/// A short name for the browser behind `user_agent`: its family and
/// system (`Chrome on Linux`, `Firefox on Windows`), `Browser` when
/// nothing is recognised. Never the whole header: it is the user's to read.
pub fn browser_label(user_agent: Option<&str>) -> String {
    let ua = user_agent.unwrap_or("");
    let family = [
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("Firefox/", "Firefox"),
        ("HeadlessChrome/", "Chrome"),
        ("Chrome/", "Chrome"),
        ("Chromium/", "Chromium"),
        ("Safari/", "Safari"),
    ]
    .iter()
    .find(|(mark, _)| ua.contains(mark))
    .map_or("Browser", |(_, name)| name);
    let system = [
        ("Android", "Android"),
        ("iPhone", "iOS"),
        ("iPad", "iPadOS"),
        ("Windows", "Windows"),
        ("Mac OS X", "macOS"),
        ("CrOS", "ChromeOS"),
        ("Linux", "Linux"),
    ]
    .iter()
    .find(|(mark, _)| ua.contains(mark))
    .map(|(_, name)| *name);
    match system {
        Some(system) => format!("{family} on {system}"),
        None => family.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::browser_label;

    #[test]
    fn browsers_are_named_from_their_user_agent() {
        let chrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.0.0 Safari/537.36";
        assert_eq!(browser_label(Some(chrome)), "Chrome on Linux");
        let firefox =
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0";
        assert_eq!(browser_label(Some(firefox)), "Firefox on Windows");
        let safari = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1";
        assert_eq!(browser_label(Some(safari)), "Safari on iOS");
        assert_eq!(browser_label(Some("curl/8.0")), "Browser");
        assert_eq!(browser_label(None), "Browser");
    }
}
