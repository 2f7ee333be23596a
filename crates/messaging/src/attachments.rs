//! Attachment files: checked when the config loads and read before each send.

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::error::{describe_io, SendError};

/// Each of `paths` that cannot be read, with the reason in words. A file
/// counts as readable when it opens and its first byte can be read, so a
/// directory, a missing file or one without read permission is reported.
pub fn check_attachments(paths: &[PathBuf]) -> Vec<(PathBuf, String)> {
    paths
        .iter()
        .filter_map(|p| probe(p).err().map(|reason| (p.clone(), reason)))
        .collect()
}

fn probe(path: &Path) -> Result<(), String> {
    let mut file = std::fs::File::open(path).map_err(|e| describe_io(&e))?;
    let mut byte = [0u8; 1];
    file.read(&mut byte).map_err(|e| describe_io(&e))?;
    Ok(())
}

/// One attachment as it goes into the message.
pub(crate) struct LoadedFile {
    pub name: String,
    pub content_type: &'static str,
    pub bytes: Vec<u8>,
}

/// Reads every attachment; the first unreadable one is a permanent error naming it.
pub(crate) async fn load(paths: &[PathBuf]) -> Result<Vec<LoadedFile>, SendError> {
    let mut files = Vec::with_capacity(paths.len());
    for path in paths {
        let bytes = tokio::fs::read(path)
            .await
            .map_err(|e| SendError::Attachment {
                path: path.clone(),
                reason: describe_io(&e),
            })?;
        files.push(LoadedFile {
            name: file_name(path),
            content_type: content_type(path),
            bytes,
        });
    }
    Ok(files)
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "attachment".to_owned())
}

/// The MIME type for common document types; anything else is sent as bytes.
fn content_type(path: &Path) -> &'static str {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "pdf" => "application/pdf",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "svg" => "image/svg+xml",
        "txt" => "text/plain; charset=utf-8",
        "htm" | "html" => "text/html; charset=utf-8",
        "zip" => "application/zip",
        "doc" => "application/msword",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "odt" => "application/vnd.oasis.opendocument.text",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_files_and_directories_are_reported() {
        let dir = std::env::temp_dir();
        let missing = dir.join("countersign-no-such-dir").join("guide.pdf");
        let bad = check_attachments(&[missing.clone(), dir.clone()]);
        assert_eq!(bad.len(), 2, "{bad:?}");
        assert_eq!(bad[0], (missing, "no such file or directory".to_owned()));
        assert_eq!(bad[1].1, "it is a directory, not a file");
    }

    #[test]
    fn content_types_follow_the_extension() {
        assert_eq!(content_type(Path::new("/a/Guide.PDF")), "application/pdf");
        assert_eq!(content_type(Path::new("/a/x")), "application/octet-stream");
    }
}
