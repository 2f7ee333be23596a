//! The web app's files, compiled in.

pub struct Asset {
    pub name: &'static str,
    pub content_type: &'static str,
    pub body: &'static [u8],
}

macro_rules! asset {
    ($name:literal, $type:literal) => {
        Asset {
            name: $name,
            content_type: $type,
            body: include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/app/", $name)),
        }
    };
}

pub static INDEX: Asset = asset!("index.html", "text/html; charset=utf-8");

static FILES: [Asset; 10] = [
    asset!("main.js", "text/javascript; charset=utf-8"),
    asset!("device.js", "text/javascript; charset=utf-8"),
    asset!("store.js", "text/javascript; charset=utf-8"),
    asset!("totp.js", "text/javascript; charset=utf-8"),
    asset!("sw.js", "text/javascript; charset=utf-8"),
    asset!("app.css", "text/css; charset=utf-8"),
    asset!("manifest.webmanifest", "application/manifest+json"),
    asset!("icon.svg", "image/svg+xml"),
    asset!("icon-192.png", "image/png"),
    asset!("icon-512.png", "image/png"),
];

/// The file of that name, if the app has one.
pub fn find(name: &str) -> Option<&'static Asset> {
    FILES.iter().find(|a| a.name == name)
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_file_the_worker_caches_is_served() {
        let worker = std::str::from_utf8(super::find("sw.js").expect("sw.js").body).expect("utf-8");
        for asset in &super::FILES {
            if asset.name != "sw.js" {
                assert!(
                    worker.contains(&format!("\"{}\"", asset.name)),
                    "{} not in the worker's SHELL",
                    asset.name
                );
            }
        }
    }
}
