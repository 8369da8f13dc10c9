//! An S3-compatible object store: `s3://press-site/www`, with `endpoint:` and `region:`.
//! Its keys come from the environment (and the AWS configuration files), never from
//! site.yaml.

use std::path::Path;

use opendal::{ErrorKind, Operator};

use super::{Settings, Target};
use crate::error::Diagnostic;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3 {
    pub bucket: String,
    pub prefix: String,
    pub endpoint: Option<String>,
    pub region: Option<String>,
}

/// Reads what follows `s3://`.
pub(super) fn parse(rest: &str, settings: Settings) -> Result<S3, String> {
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    if bucket.is_empty() {
        return Err("the bucket is missing: s3://press-site/www".into());
    }
    Ok(S3 {
        bucket: bucket.to_string(),
        prefix: prefix.trim_matches('/').to_string(),
        endpoint: settings.endpoint,
        region: settings.region,
    })
}

impl S3 {
    pub(super) fn open(&self, target: &Target) -> Result<opendal::Result<Operator>, Diagnostic> {
        install_http();
        if std::env::var_os("AWS_ACCESS_KEY_ID").is_none()
            && std::env::var_os("AWS_PROFILE").is_none()
            && !Path::new(&std::env::var_os("HOME").unwrap_or_default())
                .join(".aws/credentials")
                .is_file()
        {
            return Err(Diagnostic::error(format!(
                "no keys for the deploy target `{}` ({})",
                target.name, target.url
            ))
            .help("set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY to the bucket's access key (or AWS_PROFILE to a profile of ~/.aws/credentials)"));
        }
        let mut builder = opendal::services::S3::default()
            .bucket(&self.bucket)
            .root(&format!("/{}", self.prefix))
            .region(self.region.as_deref().unwrap_or("us-east-1"));
        if let Some(endpoint) = &self.endpoint {
            builder = builder.endpoint(endpoint);
        }
        Ok(Operator::new(builder))
    }
}

/// Installs, once a process, the HTTP client S3 requests go through: reqwest, its TLS with
/// ring (the other provider, aws-lc, took a minute of a first build to compile).
fn install_http() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
        opendal::HttpTransporter::install_default(
            opendal_http_transport_reqwest::ReqwestTransport::new(reqwest::Client::new()),
        );
    });
}

/// Keys the store refused (it answers 403, which the storage library reads as permission
/// denied), and a store that is full or refuses the file's size (its error code).
pub(super) fn explain(e: &opendal::Error) -> Option<(String, String)> {
    if e.kind() == ErrorKind::PermissionDenied {
        return Some((
            "the store refused the keys".to_string(),
            "check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY: they must be a key of this store with the right to write to the bucket".to_string(),
        ));
    }
    let text = e.to_string();
    ["QuotaExceeded", "EntityTooLarge"]
        .iter()
        .any(|code| text.contains(&format!("<Code>{code}</Code>")) || text.contains(code))
        .then(super::full)
}

/// Whether the request never reached the store (no connection, no answer in time).
pub(super) fn unreached(e: &opendal::Error) -> bool {
    super::sources(e).any(|s| {
        s.downcast_ref::<reqwest::Error>()
            .is_some_and(|r| r.is_connect() || r.is_timeout())
    })
}
