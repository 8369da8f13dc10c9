//! The kinds of place `deploy` publishes to, a module each: how its address in site.yaml is
//! read, how its storage (an Apache OpenDAL operator) is opened, and what its failures mean
//! to the person deploying. `config` reads addresses through [`parse`]; `deploy` opens
//! targets through [`Kind::open`] and words every failure through [`failure`].
//!
//! A new kind (say, Azure Blob) is a module here with its `parse`, `open` and `explain`, a
//! variant of [`Kind`] with its line in each `match` below, its scheme in [`SCHEMES`], and a
//! cargo feature enabling its OpenDAL service, as `sftp` and `s3` have.

use opendal::{ErrorKind, Operator};

use crate::error::Diagnostic;

mod folder;
#[cfg(feature = "s3")]
mod s3;
#[cfg(feature = "sftp")]
mod sftp;

pub use folder::Folder;
#[cfg(feature = "s3")]
pub use s3::S3;
#[cfg(feature = "sftp")]
pub use sftp::Sftp;

/// Where `briefing deploy` publishes the site: a named target of site.yaml's `deploy:`.
#[derive(Debug, Clone)]
pub struct Target {
    pub name: String,
    /// As written: `file:///srv/www/press`, `sftp://…`, `s3://…`.
    pub url: String,
    pub kind: Kind,
}

/// A target's place, by kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// A folder: a mounted share or a local web root.
    Folder(Folder),
    /// A host with SSH.
    #[cfg(feature = "sftp")]
    Sftp(Sftp),
    /// An S3-compatible object store.
    #[cfg(feature = "s3")]
    S3(S3),
}

/// The settings of a target besides its url, as site.yaml gives them.
#[cfg_attr(not(feature = "s3"), allow(dead_code))]
#[derive(Debug, Default)]
pub struct Settings {
    /// An S3 store's address, for stores other than Amazon's.
    pub endpoint: Option<String>,
    pub region: Option<String>,
}

/// The URL schemes of the kinds this briefing was built with.
pub const SCHEMES: &str = "file://, sftp:// or s3://";

/// Reads a target's URL, or says what is wrong with it.
#[cfg_attr(not(feature = "s3"), allow(unused_variables))]
pub fn parse(url: &str, settings: Settings) -> Result<Kind, String> {
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| format!("a target's url starts with {SCHEMES}"))?;
    match scheme {
        "file" => folder::parse(rest).map(Kind::Folder),
        #[cfg(feature = "sftp")]
        "sftp" => sftp::parse(rest).map(Kind::Sftp),
        #[cfg(feature = "s3")]
        "s3" => s3::parse(rest, settings).map(Kind::S3),
        #[cfg(not(feature = "sftp"))]
        "sftp" => Err(without("sftp")),
        #[cfg(not(feature = "s3"))]
        "s3" => Err(without("s3")),
        other => Err(format!(
            "`{other}://` is not a kind of target briefing knows: use {SCHEMES}"
        )),
    }
}

/// Why a kind left out of this build of briefing cannot be used.
#[allow(dead_code)]
fn without(feature: &str) -> String {
    format!(
        "this briefing was built without {feature} targets: build it with `cargo build --release --features {feature}`"
    )
}

impl Kind {
    /// The folder of a folder target.
    pub fn folder(&self) -> Option<&std::path::Path> {
        match self {
            Kind::Folder(f) => Some(&f.path),
            #[allow(unreachable_patterns)]
            _ => None,
        }
    }

    /// The storage of the target, or why it cannot be opened (a missing folder, no keys).
    pub fn open(&self, target: &Target) -> Result<Operator, Diagnostic> {
        opendal::install_default();
        let opened = match self {
            Kind::Folder(f) => f.open(target)?,
            #[cfg(feature = "sftp")]
            Kind::Sftp(s) => s.open(),
            #[cfg(feature = "s3")]
            Kind::S3(s) => s.open(target)?,
        };
        opened.map_err(|e| failure(target, "open it", &e))
    }

    /// Files sent at once: to a folder, enough to keep the disk busy; over SSH, where each
    /// is sent on a connection of its own, fewer than the connections an SSH server lets
    /// start at once (OpenSSH's MaxStartups: 10).
    pub fn concurrency(&self) -> usize {
        match self {
            #[cfg(feature = "sftp")]
            Kind::Sftp(_) => 4,
            _ => 16,
        }
    }

    /// What this kind knows of a failure better than the rules every kind shares: why, and
    /// what to do.
    fn explain(&self, e: &opendal::Error) -> Option<(String, String)> {
        match self {
            Kind::Folder(_) => folder::explain(e),
            #[cfg(feature = "sftp")]
            Kind::Sftp(s) => s.explain(e),
            #[cfg(feature = "s3")]
            Kind::S3(_) => s3::explain(e),
        }
    }
}

/// An error of the target, in words: which target, what failed, what to do.
pub fn failure(target: &Target, what: &str, e: &opendal::Error) -> Diagnostic {
    let said = |why: &str| {
        format!(
            "deploying to `{}` ({}) failed: could not {what}: {why}",
            target.name, target.url
        )
    };
    if let Some((why, help)) = target.kind.explain(e) {
        return Diagnostic::error(said(&why)).help(help);
    }
    let (why, help) = match e.kind() {
        ErrorKind::PermissionDenied => ("this user may not write there", PERMISSION_HELP),
        ErrorKind::NotFound => (
            "the place it names does not exist",
            "check the target's url in site.yaml",
        ),
        _ if unreachable(e) => (
            "the host cannot be reached",
            "check the host (or the endpoint) in the target's url and your network connection, then run deploy again: it sends only what is missing",
        ),
        kind => {
            return Diagnostic::error(said(&kind.to_string())).help(format!(
                "check that the target is reachable and has room; run deploy again to finish: it sends only what is missing ({e})"
            ));
        }
    };
    Diagnostic::error(said(why)).help(format!("{help} ({e})"))
}

/// The help of a target this user may not write to.
const PERMISSION_HELP: &str = "check the folder's permissions (and that the share is mounted for writing), or the account's rights on the host or bucket";

/// The help of a target that is full.
const FULL_HELP: &str = "make room on the target (or ask its administrator for more), then run deploy again: it sends only what is missing. No file there was left half-written";

/// The reason and help of a target that is full.
fn full() -> (String, String) {
    ("the target is full".to_string(), FULL_HELP.to_string())
}

/// The kind of the system error under an OpenDAL error, if it comes from one.
fn io_kind(e: &opendal::Error) -> Option<std::io::ErrorKind> {
    sources(e).find_map(|s| s.downcast_ref::<std::io::Error>().map(std::io::Error::kind))
}

/// The errors an OpenDAL error wraps, outermost first.
fn sources<'a>(
    e: &'a opendal::Error,
) -> impl Iterator<Item = &'a (dyn std::error::Error + 'static)> {
    std::iter::successors(std::error::Error::source(e), |s| s.source())
}

/// Whether the error is a connection that could not be made.
fn unreachable(e: &opendal::Error) -> bool {
    use std::io::ErrorKind as Io;
    matches!(
        io_kind(e),
        Some(
            Io::ConnectionRefused
                | Io::TimedOut
                | Io::HostUnreachable
                | Io::NetworkUnreachable
                | Io::NotConnected
        )
    ) || is_unreached_request(e)
}

#[cfg(feature = "s3")]
fn is_unreached_request(e: &opendal::Error) -> bool {
    s3::unreached(e)
}

#[cfg(not(feature = "s3"))]
fn is_unreached_request(_: &opendal::Error) -> bool {
    false
}
