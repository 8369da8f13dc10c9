//! A folder target: a local web root or a mounted share, `file:///srv/www/press`.

use std::path::PathBuf;

use opendal::Operator;

use super::Target;
use crate::error::{Diagnostic, display_path};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Folder {
    pub path: PathBuf,
}

/// Reads what follows `file://`.
pub(super) fn parse(rest: &str) -> Result<Folder, String> {
    let path = rest.strip_prefix("localhost").unwrap_or(rest);
    if !path.starts_with('/') {
        return Err("a folder target is an absolute path: file:///srv/www/press".into());
    }
    let path = percent_encoding::percent_decode_str(path)
        .decode_utf8()
        .map_err(|_| "the path is not valid UTF-8 once decoded")?;
    Ok(Folder {
        path: PathBuf::from(path.as_ref()),
    })
}

impl Folder {
    pub(super) fn open(&self, target: &Target) -> Result<opendal::Result<Operator>, Diagnostic> {
        if !self.path.is_dir() {
            return Err(Diagnostic::error(format!(
                "the folder of the deploy target `{}` does not exist: {}",
                target.name,
                display_path(&self.path)
            ))
            .help(
                "create it (and mount the share, if it is one), or correct the url in site.yaml",
            ));
        }
        Ok(Operator::new(
            opendal::services::Fs::default().root(&self.path.to_string_lossy()),
        ))
    }
}

/// A full disk or a share mounted read-only, from the system's error.
pub(super) fn explain(e: &opendal::Error) -> Option<(String, String)> {
    use std::io::ErrorKind as Io;
    match super::io_kind(e)? {
        Io::StorageFull | Io::QuotaExceeded | Io::FileTooLarge => Some(super::full()),
        Io::ReadOnlyFilesystem => Some((
            "this user may not write there".to_string(),
            format!("{} ({e})", super::PERMISSION_HELP),
        )),
        _ => None,
    }
}
