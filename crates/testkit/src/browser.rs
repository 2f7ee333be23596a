//! Real headless Chromium driven over WebDriver (W3C protocol, plain
//! HTTP to `chromedriver`): the browser tests' one harness. Each `Browser`
//! owns its chromedriver process group, profile and `HOME` in a temp dir
//! and removes all of them on drop. Screenshots go to
//! `target/browser-artifacts/` (or `COUNTERSIGN_ARTIFACTS`).

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{json, Value};

use crate::{try_free_port, TempDir};

/// The key WebDriver uses for element references.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

pub type BrowserResult<T> = Result<T, String>;

pub struct Browser {
    http: reqwest::Client,
    base: String,
    session: String,
    driver: Child,
    /// The user-data dir (a temp one, or the caller's).
    profile: PathBuf,
    _dir: TempDir,
}

/// A reference to an element on the current page.
#[derive(Debug, Clone)]
pub struct Element(String);

impl Browser {
    /// Starts chromedriver and one headless Chromium window of the given size.
    pub async fn start(width: u32, height: u32) -> BrowserResult<Self> {
        Self::start_with_profile(width, height, None).await
    }

    /// As [`Browser::start`], with the browser's profile (its user-data
    /// dir: cookies, storage) in `profile` when given, which outlives this
    /// browser: closing it and starting another on the same dir is the
    /// same browser reopened.
    pub async fn start_with_profile(
        width: u32,
        height: u32,
        profile: Option<&std::path::Path>,
    ) -> BrowserResult<Self> {
        let dir = TempDir::new("browser");
        let port = try_free_port().map_err(|e| format!("no free port: {e}"))?;
        let driver = spawn_driver(&dir, port)?;
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        wait_ready(&http, &base).await?;
        let profile = match profile {
            Some(path) => path.to_path_buf(),
            None => dir.path().join("profile"),
        };
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "acceptInsecureCerts": true,
            "goog:chromeOptions": {
                "binary": "/usr/lib/chromium/chromium",
                "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--disable-background-networking", "--no-first-run",
                         "--disable-component-update", "--disable-sync",
                         format!("--window-size={width},{height}"),
                         format!("--user-data-dir={}", profile.display())]}}}});
        let mut browser = Self {
            http,
            base,
            session: String::new(),
            driver,
            profile: profile.clone(),
            _dir: dir,
        };
        let value = browser.call("POST", "/session", Some(capabilities)).await?;
        browser.session = value["sessionId"]
            .as_str()
            .ok_or_else(|| format!("no sessionId in {value}"))?
            .to_string();
        Ok(browser)
    }

    /// Sends one WebDriver command; `path` is relative to the driver, or to
    /// the session when it does not start with `/`.
    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> BrowserResult<Value> {
        let url = if path.starts_with('/') {
            format!("{}{path}", self.base)
        } else {
            format!("{}/session/{}/{path}", self.base, self.session)
        };
        let request = match method {
            "GET" => self.http.get(&url),
            "DELETE" => self.http.delete(&url),
            _ => self
                .http
                .post(&url)
                .json(&body.unwrap_or_else(|| json!({}))),
        };
        let response = request
            .send()
            .await
            .map_err(|e| format!("{method} {url}: {e}"))?;
        let status = response.status();
        let value: Value = response
            .json()
            .await
            .map_err(|e| format!("{method} {url}: {e}"))?;
        if !status.is_success() {
            return Err(format!("{method} {path}: {status} {}", value["value"]));
        }
        Ok(value["value"].clone())
    }

    pub async fn goto(&self, url: &str) -> BrowserResult<()> {
        self.call("POST", "url", Some(json!({ "url": url })))
            .await?;
        Ok(())
    }

    pub async fn current_url(&self) -> BrowserResult<String> {
        let value = self.call("GET", "url", None).await?;
        Ok(value.as_str().unwrap_or_default().to_string())
    }

    pub async fn title(&self) -> BrowserResult<String> {
        let value = self.call("GET", "title", None).await?;
        Ok(value.as_str().unwrap_or_default().to_string())
    }

    /// The page's HTML as the browser has it now.
    pub async fn source(&self) -> BrowserResult<String> {
        let value = self.call("GET", "source", None).await?;
        Ok(value.as_str().unwrap_or_default().to_string())
    }

    pub async fn find(&self, css: &str) -> BrowserResult<Element> {
        let query = json!({"using": "css selector", "value": css});
        let value = self
            .call("POST", "element", Some(query))
            .await
            .map_err(|e| format!("finding {css}: {e}"))?;
        element_of(&value)
    }

    /// Every element matching `css` (none is not an error).
    pub async fn find_all(&self, css: &str) -> BrowserResult<Vec<Element>> {
        let query = json!({"using": "css selector", "value": css});
        let value = self.call("POST", "elements", Some(query)).await?;
        value
            .as_array()
            .map(|items| items.iter().map(element_of).collect())
            .unwrap_or_else(|| Ok(Vec::new()))
    }

    /// Waits up to `timeout` for an element to appear.
    pub async fn wait_for(&self, css: &str, timeout: Duration) -> BrowserResult<Element> {
        let deadline = Instant::now() + timeout;
        loop {
            match self.find(css).await {
                Ok(element) => return Ok(element),
                Err(e) if Instant::now() >= deadline => return Err(e),
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    }

    /// Clears a field and types `text` into it.
    pub async fn fill(&self, css: &str, text: &str) -> BrowserResult<()> {
        let element = self.find(css).await?;
        self.call("POST", &format!("element/{}/clear", element.0), None)
            .await?;
        self.call(
            "POST",
            &format!("element/{}/value", element.0),
            Some(json!({ "text": text })),
        )
        .await?;
        Ok(())
    }

    pub async fn click(&self, css: &str) -> BrowserResult<()> {
        let element = self.find(css).await?;
        self.call("POST", &format!("element/{}/click", element.0), None)
            .await?;
        Ok(())
    }

    /// Clicks something that loads a new page (a submit button, a link) and
    /// waits until the new page has loaded: WebDriver's click does not
    /// always wait for a form's navigation.
    pub async fn click_and_load(&self, css: &str) -> BrowserResult<()> {
        const MARK: &str = "window.__countersign_old_page = true; return true";
        const LOADED: &str =
            "return window.__countersign_old_page === undefined && document.readyState === 'complete'";
        self.execute(MARK, vec![]).await?;
        self.click(css).await?;
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            // While the page changes a script may fail: that is "not yet".
            if let Ok(Value::Bool(true)) = self.execute(LOADED, vec![]).await {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "clicking {css} did not load a new page within 15 s"
                ));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn text(&self, css: &str) -> BrowserResult<String> {
        let element = self.find(css).await?;
        let value = self
            .call("GET", &format!("element/{}/text", element.0), None)
            .await?;
        Ok(value.as_str().unwrap_or_default().to_string())
    }

    pub async fn attribute(&self, css: &str, name: &str) -> BrowserResult<Option<String>> {
        let element = self.find(css).await?;
        let value = self
            .call(
                "GET",
                &format!("element/{}/property/{name}", element.0),
                None,
            )
            .await?;
        Ok(match value {
            Value::Null => None,
            Value::String(s) => Some(s),
            other => Some(other.to_string()),
        })
    }

    /// Runs `script` (a function body; `arguments` holds `args`) and returns its value.
    pub async fn execute(&self, script: &str, args: Vec<Value>) -> BrowserResult<Value> {
        self.call(
            "POST",
            "execute/sync",
            Some(json!({ "script": script, "args": args })),
        )
        .await
    }

    /// Runs an async script: it calls `arguments[arguments.length - 1]` with its result.
    pub async fn execute_async(&self, script: &str, args: Vec<Value>) -> BrowserResult<Value> {
        self.call(
            "POST",
            "execute/async",
            Some(json!({ "script": script, "args": args })),
        )
        .await
    }

    /// A Chrome DevTools Protocol command through chromedriver
    /// (`goog/cdp/execute`), e.g. `Emulation.setDeviceMetricsOverride`.
    pub async fn cdp(&self, cmd: &str, params: Value) -> BrowserResult<Value> {
        self.call(
            "POST",
            "goog/cdp/execute",
            Some(json!({ "cmd": cmd, "params": params })),
        )
        .await
    }

    pub async fn set_window_size(&self, width: u32, height: u32) -> BrowserResult<()> {
        self.call(
            "POST",
            "window/rect",
            Some(json!({ "width": width, "height": height })),
        )
        .await?;
        Ok(())
    }

    /// Every cookie the browser holds for the current page, as WebDriver
    /// reports them (name, value, httpOnly, secure, sameSite, ...).
    pub async fn cookies(&self) -> BrowserResult<Vec<Value>> {
        let value = self.call("GET", "cookie", None).await?;
        Ok(value.as_array().cloned().unwrap_or_default())
    }

    pub async fn delete_cookies(&self) -> BrowserResult<()> {
        self.call("DELETE", "cookie", None).await?;
        Ok(())
    }

    /// A PNG of the window, written to the artifacts directory as `name.png`.
    pub async fn screenshot(&self, name: &str) -> BrowserResult<PathBuf> {
        let value = self.call("GET", "screenshot", None).await?;
        let png = base64::engine::general_purpose::STANDARD
            .decode(value.as_str().unwrap_or_default())
            .map_err(|e| format!("screenshot is not base64: {e}"))?;
        let dir = artifacts_dir();
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(path)
    }

    /// Ends the browser session (the browser exits).
    pub async fn close(mut self) {
        let _ = self.call("DELETE", "", None).await;
        self.session.clear();
    }

    /// Closes the browser as a person does (`Browser.close`: Chromium
    /// writes its cookies and lets go of its profile on the way out) and
    /// waits up to 10 s for that, so another browser can open the same
    /// profile: the same browser reopened.
    pub async fn quit_keeping_profile(mut self) {
        let _ = self.cdp("Browser.close", json!({})).await;
        let lock = self.profile.join("SingletonLock");
        let deadline = Instant::now() + Duration::from_secs(10);
        while lock.symlink_metadata().is_ok() && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let _ = self.call("DELETE", "", None).await;
        self.session.clear();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // chromedriver and its browsers share a process group (setsid):
        // killing the group leaves no orphaned Chromium behind.
        let pid = self.driver.id() as i32;
        let _ = Command::new("kill")
            .args(["-TERM", "--", &format!("-{pid}")])
            .status();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn element_of(value: &Value) -> BrowserResult<Element> {
    value[ELEMENT]
        .as_str()
        .map(|id| Element(id.to_string()))
        .ok_or_else(|| format!("not an element: {value}"))
}

fn spawn_driver(dir: &TempDir, port: u16) -> BrowserResult<Child> {
    let log = dir.path().join("chromedriver.log");
    Command::new("setsid")
        .arg("chromedriver")
        .arg(format!("--port={port}"))
        .arg(format!("--log-path={}", log.display()))
        // Chromium writes ~/.config and ~/.cache even with --user-data-dir.
        .env("HOME", dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start chromedriver (apt-get install chromium-driver): {e}"))
}

async fn wait_ready(http: &reqwest::Client, base: &str) -> BrowserResult<()> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(response) = http.get(format!("{base}/status")).send().await {
            if let Ok(value) = response.json::<Value>().await {
                if value["value"]["ready"] == json!(true) {
                    return Ok(());
                }
            }
        }
        if Instant::now() >= deadline {
            return Err("chromedriver did not become ready within 20 s".into());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Where screenshots are written: `COUNTERSIGN_ARTIFACTS`, else
/// `$CARGO_TARGET_DIR/browser-artifacts`, else `target/browser-artifacts`.
pub fn artifacts_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("COUNTERSIGN_ARTIFACTS") {
        return PathBuf::from(dir);
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target"));
    target.join("browser-artifacts")
}

/// Decodes the QR code in a PNG with `zbarimg` (package zbar-tools).
pub fn decode_qr(png: &std::path::Path) -> BrowserResult<String> {
    let output = Command::new("zbarimg")
        .args(["--quiet", "--raw"])
        .arg(png)
        .output()
        .map_err(|e| format!("cannot run zbarimg (apt-get install zbar-tools): {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "zbarimg found no QR code in {}: {}",
            png.display(),
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_string())
}
