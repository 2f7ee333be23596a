//! Helpers for tests: throwaway directories and PostgreSQL databases that
//! clean up after themselves, so every test starts from nothing, and a
//! real headless Chromium over WebDriver (`browser`).

pub mod browser;
mod pg;
mod tempdir;

pub use pg::{postgres_admin_url, TempPostgres};
pub use tempdir::TempDir;

/// A short random lower-case name part.
pub fn random_suffix() -> String {
    use rand::Rng;
    let mut rng = rand::thread_rng();
    (0..12)
        .map(|_| char::from(b'a' + rng.gen_range(0..26u8)))
        .collect()
}

/// The sign-in engine in-process, on a temporary SQLite store.
pub mod engine;
