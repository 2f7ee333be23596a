//! The file sink: JSON lines appended to a file, rotated by size
//! (PATH -> PATH.1 -> PATH.2 ..., the oldest beyond `keep` removed), for a
//! shipper (Filebeat, Fluent Bit, Vector) that follows the file.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::config::audit::FileSinkConfig;

pub struct FileSink {
    path: PathBuf,
    max_bytes: u64,
    keep: u32,
    file: Option<(File, u64)>,
}

impl FileSink {
    pub fn new(config: &FileSinkConfig) -> Self {
        Self {
            path: config.path.clone(),
            max_bytes: config.max_bytes,
            keep: config.keep,
            file: None,
        }
    }

    /// Appends the lines (each ends with a newline), rotating first when
    /// they would take the file past its size.
    pub fn send(&mut self, lines: &[String]) -> Result<()> {
        let size: u64 = lines.iter().map(|l| l.len() as u64).sum();
        let (_, written) = self.open()?;
        if *written > 0 && *written + size > self.max_bytes {
            self.file = None;
            rotate(&self.path, self.keep)?;
        }
        let shown = self.path.display().to_string();
        let (file, written) = self.open()?;
        let text: String = lines.concat();
        file.write_all(text.as_bytes())
            .and_then(|_| file.flush())
            .with_context(|| format!("cannot append to {shown}"))?;
        *written += size;
        Ok(())
    }

    fn open(&mut self) -> Result<&mut (File, u64)> {
        if self.file.is_none() {
            let file = OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.path)
                .with_context(|| {
                    format!(
                        "cannot open {} for appending (audit.file.path)",
                        self.path.display()
                    )
                })?;
            let len = file.metadata().map(|m| m.len()).unwrap_or(0);
            self.file = Some((file, len));
        }
        self.file.as_mut().context("the audit file is not open")
    }
}

fn numbered(path: &Path, n: u32) -> PathBuf {
    let mut name = path.as_os_str().to_os_string();
    name.push(format!(".{n}"));
    PathBuf::from(name)
}

fn rotate(path: &Path, keep: u32) -> Result<()> {
    let _ = std::fs::remove_file(numbered(path, keep));
    for n in (1..keep).rev() {
        let from = numbered(path, n);
        if from.exists() {
            std::fs::rename(&from, numbered(path, n + 1))
                .with_context(|| format!("cannot rotate {}", from.display()))?;
        }
    }
    std::fs::rename(path, numbered(path, 1))
        .with_context(|| format!("cannot rotate {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(n: usize, width: usize) -> Vec<String> {
        (0..n)
            .map(|i| format!("{:0>w$}\n", i, w = width - 1))
            .collect()
    }

    #[test]
    fn rotates_by_size_and_keeps_only_so_many() {
        let dir = std::env::temp_dir().join(format!("cs-audit-file-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("audit.jsonl");
        let mut sink = FileSink::new(&FileSinkConfig {
            path: path.clone(),
            max_bytes: 100,
            keep: 2,
        });
        for _ in 0..5 {
            sink.send(&lines(4, 20)).expect("send");
        }
        // 80 bytes a batch, 100 at most: every batch starts a new file.
        assert_eq!(std::fs::read_to_string(&path).expect("current").len(), 80);
        assert!(numbered(&path, 1).exists() && numbered(&path, 2).exists());
        assert!(!numbered(&path, 3).exists());
        // Reopening continues the file it finds.
        let mut again = FileSink::new(&FileSinkConfig {
            path: path.clone(),
            max_bytes: 1000,
            keep: 2,
        });
        again.send(&lines(1, 20)).expect("send");
        assert_eq!(std::fs::read_to_string(&path).expect("current").len(), 100);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
