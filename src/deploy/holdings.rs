//! What a deploy target really holds, beside what deploy's record says it holds. Before a
//! byte is written, the target is listed once: its files with their sizes, and anything that
//! is neither file nor folder (a symbolic link). From that listing a deploy refuses to write
//! or delete through a link, refuses to replace a file it did not publish unless told to,
//! and sends again what the host lost or changed since the record was written.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use opendal::{EntryMode, Operator};
use rayon::prelude::*;

use super::{MANIFEST, Manifest, uploading_name};
use crate::error::{Diagnostic, Diagnostics};
use crate::output::sha256;
#[cfg(feature = "sftp")]
use crate::targets::Kind;
use crate::targets::{Target, failure};

/// What a target holds: its files with their sizes, and its links.
#[derive(Default)]
pub(super) struct Holdings {
    pub files: HashMap<String, u64>,
    /// Symbolic links, anything else that is neither a file nor a folder, and folders this
    /// user may not read: deploy writes and deletes nothing through them.
    pub links: HashSet<String>,
}

impl Holdings {
    /// Whether the target holds nothing but deploy's own record.
    pub fn is_empty(&self) -> bool {
        self.links.is_empty()
            && self
                .files
                .keys()
                .all(|p| p == MANIFEST || p.ends_with(super::UPLOADING))
    }
}

/// Lists everything under the target's root. Links are listed, never followed.
pub(super) async fn list(op: &Operator, target: &Target) -> Result<Holdings, Diagnostics> {
    let mut holdings = Holdings::default();
    if let Some(path) = target.kind.folder() {
        for entry in walkdir::WalkDir::new(path).min_depth(1).follow_links(false) {
            let entry = match entry {
                Ok(entry) => entry,
                // A folder of the host's that this user may not read (`lost+found`): deploy
                // writes nothing there, and refuses only if the site would.
                Err(e)
                    if e.io_error()
                        .is_some_and(|io| io.kind() == std::io::ErrorKind::PermissionDenied)
                        && e.path().is_some_and(|p| p != path) =>
                {
                    if let Some(p) = e.path() {
                        holdings.links.insert(relative(path, p));
                    }
                    continue;
                }
                Err(e) => {
                    return Err(Diagnostic::error(format!(
                        "cannot read the deploy target `{}`: {e}",
                        target.name
                    ))
                    .help("check the folder's permissions, or correct the url in site.yaml")
                    .into());
                }
            };
            let rel = relative(path, entry.path());
            let kind = entry.file_type();
            if kind.is_file() {
                let size = entry.metadata().map(|m| m.len()).unwrap_or(0);
                holdings.files.insert(rel, size);
            } else if !kind.is_dir() {
                holdings.links.insert(rel);
            }
        }
        return Ok(holdings);
    }
    #[cfg(feature = "sftp")]
    if let Kind::Sftp(sftp) = &target.kind {
        return list_sftp(sftp).await.map_err(|e| {
            let e = opendal::Error::new(opendal::ErrorKind::Unexpected, e);
            Diagnostics::from(failure(target, "list what it holds", &e))
        });
    }
    let entries = op
        .list_with("")
        .recursive(true)
        .await
        .map_err(|e| Diagnostics::from(failure(target, "list what it holds", &e)))?;
    for entry in entries {
        let path = entry.path().trim_start_matches('/').to_string();
        match entry.metadata().mode() {
            EntryMode::FILE => {
                holdings
                    .files
                    .insert(path, entry.metadata().content_length());
            }
            EntryMode::DIR => {}
            _ if !path.is_empty() => {
                holdings
                    .links
                    .insert(path.trim_end_matches('/').to_string());
            }
            _ => {}
        }
    }
    Ok(holdings)
}

/// Lists an SFTP target folder by folder, as the server's directory listing gives each
/// entry: a link as a link. (The storage library asks again for an entry whose kind it does
/// not know, and that follows the link: a linked folder would be listed, and entered, as a
/// folder of the target.)
#[cfg(feature = "sftp")]
async fn list_sftp(target: &crate::targets::Sftp) -> Result<Holdings, String> {
    use futures_util::StreamExt as _;
    use openssh_sftp_client::error::SftpErrorKind;
    use openssh_sftp_client::openssh::{KnownHosts, SessionBuilder};

    let root = target.path.as_str();
    let mut session = SessionBuilder::default();
    if let Some(user) = &target.user {
        session.user(user.clone());
    }
    if let Some(key) = std::env::var_os("BRIEFING_SSH_KEY") {
        session.keyfile(key);
    }
    session.known_hosts_check(KnownHosts::Strict);
    let session = session
        .connect(target.endpoint())
        .await
        .map_err(|e| format!("{e:?}"))?;
    let sftp = openssh_sftp_client::Sftp::from_session(session, Default::default())
        .await
        .map_err(|e| format!("{e:?}"))?;
    let mut fs = sftp.fs();
    let mut holdings = Holdings::default();
    let mut folders = vec![String::new()];
    while let Some(rel) = folders.pop() {
        let at = if rel.is_empty() {
            root.to_string()
        } else {
            format!("{}/{rel}", root.trim_end_matches('/'))
        };
        let dir = match fs.open_dir(&at).await {
            Ok(dir) => dir,
            Err(openssh_sftp_client::Error::SftpError(SftpErrorKind::PermDenied, _))
                if !rel.is_empty() =>
            {
                holdings.links.insert(rel);
                continue;
            }
            // No folder yet: the first deploy creates it.
            Err(openssh_sftp_client::Error::SftpError(SftpErrorKind::NoSuchFile, _))
                if rel.is_empty() =>
            {
                break;
            }
            Err(e) => return Err(format!("{e:?} ({at})")),
        };
        let mut entries = std::pin::pin!(dir.read_dir());
        while let Some(entry) = entries.next().await {
            let entry = entry.map_err(|e| format!("{e:?} ({at})"))?;
            let name = entry.filename().to_string_lossy().into_owned();
            if name == "." || name == ".." {
                continue;
            }
            let child = if rel.is_empty() {
                name
            } else {
                format!("{rel}/{name}")
            };
            match entry.file_type() {
                Some(kind) if kind.is_dir() => folders.push(child),
                Some(kind) if kind.is_file() => {
                    holdings
                        .files
                        .insert(child, entry.metadata().len().unwrap_or(0));
                }
                _ => {
                    holdings.links.insert(child);
                }
            }
        }
    }
    drop(fs);
    let _ = sftp.close().await;
    Ok(holdings)
}

fn relative(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path).to_string_lossy();
    if cfg!(windows) {
        rel.replace('\\', "/")
    } else {
        rel.into_owned()
    }
}

/// Whether a path of the record stays inside the target: relative, with no empty, `.` or
/// `..` part. A record edited on the host must not make deploy delete outside it.
pub(super) fn inside(path: &str) -> bool {
    !path.is_empty()
        && !path.contains(['\\', ':'])
        && path
            .split('/')
            .all(|part| !part.is_empty() && part != "." && part != "..")
}

/// The links a deploy would write or delete through: a link at a path it writes (or the
/// temporary name it writes first), deletes, or at any folder above one.
pub(super) fn links_in_the_way<'a>(
    holdings: &Holdings,
    touched: impl Iterator<Item = &'a str>,
) -> Vec<String> {
    if holdings.links.is_empty() {
        return Vec::new();
    }
    let mut found: Vec<String> = Vec::new();
    let mut seen = HashSet::new();
    for path in touched {
        for candidate in [path.to_string(), uploading_name(path)] {
            let ends = candidate
                .match_indices('/')
                .map(|(i, _)| i)
                .chain([candidate.len()]);
            for end in ends {
                let prefix = &candidate[..end];
                if holdings.links.contains(prefix) && seen.insert(prefix.to_string()) {
                    found.push(prefix.to_string());
                }
            }
        }
    }
    found.sort();
    found
}

/// How the target differs from deploy's record of it.
#[derive(Default, Debug, serde::Serialize)]
pub struct Disagreement {
    /// Files deploy published that the target no longer holds.
    pub missing: Vec<String>,
    /// Files the target holds with other content than deploy sent (by size, or by their
    /// bytes with `--verify`).
    pub changed: Vec<String>,
    /// Files at paths the site publishes that deploy did not publish: the host's own.
    pub foreign: Vec<String>,
}

/// Corrects the record by what the target holds, so that the site's files it lacks or holds
/// changed are sent again: a file missing is forgotten, a file of another size than the
/// site's (where the record says it is the site's) is marked as being sent. `site` holds
/// each file of the site as (path, hash, size).
pub(super) fn reconcile(
    record: &mut Manifest,
    holdings: &Holdings,
    site: &[(&str, &str, u64)],
) -> Disagreement {
    let mut out = Disagreement::default();
    let sizes: HashMap<&str, (&str, u64)> = site
        .iter()
        .map(|&(path, hash, size)| (path, (hash, size)))
        .collect();
    record.files.retain(|path, hash| {
        if hash.is_empty() {
            return true;
        }
        let Some(&held) = holdings.files.get(path) else {
            // A file the site still publishes is forgotten, so that it is sent again; one it
            // withdrew stays recorded, so that it is deleted should the listing have missed it.
            if sizes.contains_key(path.as_str()) {
                out.missing.push(path.clone());
                return false;
            }
            return true;
        };
        if let Some(&(site_hash, size)) = sizes.get(path.as_str())
            && site_hash == hash
            && size != held
        {
            out.changed.push(path.clone());
            hash.clear();
        }
        true
    });
    for &(path, _, _) in site {
        if !record.files.contains_key(path) && holdings.files.contains_key(path) {
            out.foreign.push(path.to_string());
        }
    }
    // A file the record forgot because the host lost it is not the host's own.
    out.foreign.retain(|p| !out.missing.contains(p));
    out
}

/// The record `recorded` as the target bears it out (see [`reconcile`]; with `verify`, also
/// by every file's bytes), and where they disagreed.
pub(super) async fn borne_out(
    op: &Operator,
    target: &Target,
    recorded: &Manifest,
    held: &Holdings,
    local: &[super::Local],
    verify_bytes: bool,
) -> Result<(Manifest, Disagreement), Diagnostics> {
    let mut record = recorded.clone();
    let site: Vec<(&str, &str, u64)> = local
        .iter()
        .map(|f| (f.path.as_str(), f.hash.as_str(), f.size))
        .collect();
    let mut disagreement = reconcile(&mut record, held, &site);
    if verify_bytes {
        let changed = verify(op, target, &mut record, &site).await?;
        disagreement.changed.extend(changed);
    }
    Ok((record, disagreement))
}

/// Reads every file the record says holds the site's content and marks those whose bytes
/// differ as being sent: `deploy --verify`. Returns their paths.
pub(super) async fn verify(
    op: &Operator,
    target: &Target,
    record: &mut Manifest,
    site: &[(&str, &str, u64)],
) -> Result<Vec<String>, Diagnostics> {
    let unchanged: Vec<String> = site
        .iter()
        .filter(|(path, hash, _)| record.files.get(*path).map(String::as_str) == Some(*hash))
        .map(|(path, _, _)| path.to_string())
        .collect();
    let hashes: Vec<(String, Option<String>)> = if let Some(root) = target.kind.folder() {
        unchanged
            .into_par_iter()
            .map(|p| {
                let hash = std::fs::read(root.join(&p)).ok().map(|b| sha256(&b));
                (p, hash)
            })
            .collect()
    } else {
        use futures_util::StreamExt as _;
        futures_util::stream::iter(unchanged.into_iter().map(|p| async move {
            let hash = op.read(&p).await.ok().map(|b| sha256(&b.to_vec()));
            (p, hash)
        }))
        .buffer_unordered(target.kind.concurrency())
        .collect()
        .await
    };
    let mut changed = Vec::new();
    for (path, hash) in hashes {
        let entry = record.files.get_mut(&path);
        if let Some(recorded) = entry
            && hash.as_deref() != Some(recorded.as_str())
        {
            recorded.clear();
            changed.push(path);
        }
    }
    changed.sort();
    Ok(changed)
}

/// The folders a deploy emptied by deleting `deleted`, deepest first: removed after the
/// deletions where the target has folders, so that a withdrawn note's name is not left in
/// a listing of the host's folders.
pub(super) fn emptied_folders(deleted: &[String]) -> Vec<String> {
    let mut folders: Vec<String> = deleted
        .iter()
        .flat_map(|p| {
            p.match_indices('/')
                .map(|(i, _)| p[..i].to_string())
                .collect::<Vec<_>>()
        })
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    folders.sort_by(|a, b| {
        b.matches('/')
            .count()
            .cmp(&a.matches('/').count())
            .then(a.cmp(b))
    });
    folders
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_paths_outside_the_target_are_refused() {
        for ok in ["en/index.html", "a", ".well-known/x"] {
            assert!(inside(ok), "{ok}");
        }
        for bad in [
            "",
            "../x",
            "en/../../x",
            "/etc/x",
            "C:/x",
            "C:x",
            "a//b",
            "./a",
            "a\\..\\b",
            "a/",
        ] {
            assert!(!inside(bad), "{bad}");
        }
    }

    #[test]
    fn a_link_above_or_at_a_path_written_is_found() {
        let holdings = Holdings {
            files: HashMap::new(),
            links: ["en/briefings", "en/.index.html.briefing-upload", "zh/other"]
                .into_iter()
                .map(String::from)
                .collect(),
        };
        let found = links_in_the_way(
            &holdings,
            [
                "en/briefings/x/index.html",
                "en/index.html",
                "zh/index.html",
            ]
            .into_iter(),
        );
        assert_eq!(found, ["en/.index.html.briefing-upload", "en/briefings"]);
    }

    #[test]
    fn folders_emptied_deepest_first() {
        let deleted = [
            "en/briefings/x/index.html".to_string(),
            "en/tags/y/index.html".into(),
        ];
        assert_eq!(
            emptied_folders(&deleted),
            [
                "en/briefings/x",
                "en/tags/y",
                "en/briefings",
                "en/tags",
                "en"
            ]
        );
    }
}
