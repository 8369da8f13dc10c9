//! `briefing deploy` to an S3-compatible store: a real S3-protocol server (s3s-fs, which
//! checks each request's signature as a store does) started by each test on a free port.
//! `.ci/run` installs it; plain `cargo test` lists these as ignored.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use common::deploying::*;
use common::process::spawn_on_free_port;
use common::*;

const KEY: &str = "AKIDBRIEFINGTEST";
const SECRET: &str = "briefing-test-secret";

/// An S3 server storing its buckets under a temporary folder, stopped when dropped.
struct Store {
    child: Running,
    port: u16,
    dir: tempfile::TempDir,
}

impl Store {
    fn start() -> Store {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("press")).unwrap();
        let binary = std::env::var("BRIEFING_S3S_FS")
            .unwrap_or_else(|_| format!("{}/.ci/tools/bin/s3s-fs", env!("CARGO_MANIFEST_DIR")));
        let (child, port) = spawn_on_free_port(&binary, |port| {
            let mut c = Command::new(&binary);
            c.args(["--host", "127.0.0.1", "--port", &port.to_string()])
                .args(["--access-key", KEY, "--secret-key", SECRET])
                .arg(dir.path());
            c
        });
        Store { child, port, dir }
    }

    /// The objects under the prefix `www` of the bucket `press`, as the server stores them.
    fn objects(&self) -> BTreeMap<PathBuf, Vec<u8>> {
        published(&self.dir.path().join("press/www"))
    }

    /// The same objects through the S3 protocol, for what only it tells (their headers).
    fn operator(&self) -> opendal::Operator {
        // As briefing does: reqwest with its TLS on ring (a test build also has aws-lc).
        let _ = rustls::crypto::ring::default_provider().install_default();
        opendal::install_default();
        opendal::HttpTransporter::install_default(
            opendal_http_transport_reqwest::ReqwestTransport::new(reqwest::Client::new()),
        );
        opendal::Operator::new(
            opendal::services::S3::default()
                .bucket("press")
                .root("/www")
                .region("us-east-1")
                .endpoint(&format!("http://127.0.0.1:{}", self.port))
                .access_key_id(KEY)
                .secret_access_key(SECRET),
        )
        .unwrap()
    }

    /// `briefing` with these arguments in `site`, with the store's keys.
    fn command(&self, site: &Path, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_briefing"));
        cmd.args(args)
            .current_dir(site)
            .env_remove("AWS_PROFILE")
            .env("HOME", self.dir.path())
            .env("AWS_ACCESS_KEY_ID", KEY)
            .env("AWS_SECRET_ACCESS_KEY", SECRET);
        cmd
    }

    fn briefing(&self, site: &Path, secret: Option<&str>, args: &[&str]) -> Output {
        let mut cmd = self.command(site, args);
        match secret {
            Some(secret) => cmd
                .env("AWS_ACCESS_KEY_ID", KEY)
                .env("AWS_SECRET_ACCESS_KEY", secret),
            None => cmd
                .env_remove("AWS_ACCESS_KEY_ID")
                .env_remove("AWS_SECRET_ACCESS_KEY"),
        };
        cmd.output().unwrap()
    }
}

fn site_for(store: &Store) -> tempfile::TempDir {
    let site = fixture("basic");
    let endpoint = format!("http://127.0.0.1:{}", store.port);
    add_deploy_target(
        site.path(),
        "bucket",
        &[
            ("url", "s3://press/www"),
            ("endpoint", &endpoint),
            ("region", "us-east-1"),
        ],
    );
    site
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs s3s-fs: run by .ci/run"]
async fn a_site_deployed_to_s3_equals_the_build_with_its_headers_and_follows_edits() {
    let store = Store::start();
    let site = site_for(&store);
    let out = store.briefing(site.path(), Some(SECRET), &["deploy"]);
    assert!(out.status.success(), "{}", said(&out));
    assert!(
        said(&out).contains("Deployed to bucket (s3://press/www): "),
        "{}",
        said(&out)
    );
    assert_same_tree(&store.objects(), &built(site.path()));
    let op = store.operator();
    let page = op.stat("en/briefings/visa/index.html").await.unwrap();
    assert_eq!(page.content_type(), Some("text/html; charset=utf-8"));
    assert_eq!(page.cache_control(), Some("no-cache"));
    let map = op.stat("briefings/study-tour/map.svg").await.unwrap();
    assert_eq!(map.content_type(), Some("image/svg+xml"));
    assert_eq!(map.cache_control(), Some("no-cache"));
    let style = op.stat("style.css").await.unwrap();
    assert_eq!(style.cache_control(), Some("public, max-age=3600"));

    // An object of someone else's, an edit and a removed note.
    op.write("their-own.txt", "not the site's").await.unwrap();
    let note = site.path().join("content/briefings/visa.en.md");
    let text = std::fs::read_to_string(&note).unwrap();
    std::fs::write(
        &note,
        text.replace("Both sides agreed", "Both sides fully agreed"),
    )
    .unwrap();
    std::fs::remove_file(site.path().join("content/briefings/advisory.en.md")).unwrap();
    let before = store.objects();
    let out = store.briefing(site.path(), Some(SECRET), &["deploy"]);
    assert!(out.status.success(), "{}", said(&out));
    let mut expected = built(site.path());
    expected.insert(PathBuf::from("their-own.txt"), b"not the site's".to_vec());
    assert_same_tree(&store.objects(), &expected);
    let changed = expected
        .iter()
        .filter(|(p, b)| before.get(*p) != Some(*b))
        .count();
    assert!(
        said(&out).contains(&format!(": {changed} sent, ")),
        "{changed} changed: {}",
        said(&out)
    );
}

#[test]
#[ignore = "needs s3s-fs: run by .ci/run"]
fn wrong_or_missing_keys_or_a_store_down_fail_clearly_and_change_nothing() {
    let mut store = Store::start();
    let site = site_for(&store);
    let out = store.briefing(site.path(), Some("not-the-secret"), &["deploy"]);
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    let text = said(&out);
    assert!(
        text.contains("deploying to `bucket` (s3://press/www) failed"),
        "{text}"
    );
    assert!(text.contains("the store refused the keys"), "{text}");
    assert!(text.contains("AWS_SECRET_ACCESS_KEY"), "{text}");
    assert!(store.objects().is_empty());

    let out = store.briefing(site.path(), None, &["deploy"]);
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    assert!(
        said(&out).contains("no keys for the deploy target `bucket`"),
        "{}",
        said(&out)
    );
    assert!(store.objects().is_empty());

    // The store down.
    store.child.stop();
    let out = store.briefing(site.path(), Some(SECRET), &["deploy"]);
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    let text = said(&out);
    assert!(
        text.contains("deploying to `bucket` (s3://press/www) failed: could not read what it holds: the host cannot be reached"),
        "{text}"
    );
    assert!(text.contains("the endpoint"), "{text}");
    assert!(store.objects().is_empty());
}

#[test]
#[ignore = "needs s3s-fs: run by .ci/run"]
fn a_deploy_to_s3_killed_half_way_is_finished_by_the_next_one() {
    let store = Store::start();
    let site = site_for(&store);
    write_notes(site.path(), 300, "");
    build_ok(site.path(), &[]);
    kill_half_way(
        store.command(site.path(), &["deploy"]),
        &store.dir.path().join("press/www"),
        100,
    );
    assert_ne!(store.objects(), built(site.path()));
    let out = store.briefing(site.path(), Some(SECRET), &["deploy"]);
    assert!(out.status.success(), "{}", said(&out));
    assert_same_tree(&store.objects(), &built(site.path()));
}

#[test]
#[ignore = "needs s3s-fs: run by .ci/run"]
fn under_watch_an_embargo_is_live_in_the_store_within_seconds_of_its_end() {
    let store = Store::start();
    let site = site_for(&store);
    let release = embargoed(site.path(), "on-time", "On time", None);
    let mut watch = store.command(site.path(), &["deploy", "--watch"]);
    watch.stdout(Stdio::null()).stderr(Stdio::null());
    let www = store.dir.path().join("press/www");
    released_on_time(
        watch,
        &www.join("en/index.html"),
        &www.join("en/briefings/on-time/index.html"),
        release,
    );
}

#[test]
#[ignore = "needs s3s-fs: run by .ci/run"]
fn in_a_store_what_is_missing_or_changed_is_sent_again_and_the_stores_own_objects_wait_for_yes() {
    let store = Store::start();
    let site = site_for(&store);
    let out = store.briefing(site.path(), Some(SECRET), &["deploy"]);
    assert!(out.status.success(), "{}", said(&out));
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let op = store.operator();
    runtime.block_on(async {
        op.delete("en/about/index.html").await.unwrap();
        let home = op.read("en/index.html").await.unwrap().to_vec();
        let mut defaced = home.clone();
        defaced[..7].copy_from_slice(b"DEFACED");
        op.write("en/index.html", defaced).await.unwrap();
    });
    let out = store.briefing(site.path(), Some(SECRET), &["status", "bucket"]);
    assert!(
        said(&out).contains("  missing en/about/index.html"),
        "{}",
        said(&out)
    );
    let out = store.briefing(site.path(), Some(SECRET), &["deploy", "--verify"]);
    assert!(out.status.success(), "{}", said(&out));
    assert!(
        said(&out).contains("missing on the target, sent again: en/about/index.html"),
        "{}",
        said(&out)
    );
    assert!(
        said(&out).contains("changed on the target, sent again: en/index.html"),
        "{}",
        said(&out)
    );
    assert_same_tree(&store.objects(), &built(site.path()));

    // The store's own object where the site now publishes one.
    runtime.block_on(async {
        op.write("en/briefings/new-note/index.html", "the store's")
            .await
            .unwrap();
    });
    write(
        site.path(),
        "content/briefings/new-note.en.md",
        "---\ntitle: A new note\ndate: 2016-05-02\n---\n\nText.\n",
    );
    let out = store.briefing(site.path(), Some(SECRET), &["deploy"]);
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    assert!(
        said(&out).contains("holds files that deploy did not publish, where the site publishes: en/briefings/new-note/index.html"),
        "{}",
        said(&out)
    );
    let out = store.briefing(site.path(), Some(SECRET), &["deploy", "--yes"]);
    assert!(out.status.success(), "{}", said(&out));
    assert_same_tree(&store.objects(), &built(site.path()));
}

/// Keys in `~/.aws/credentials`, as the AWS tools keep them, with no key in the environment:
/// the default profile, or the one `AWS_PROFILE` names.
#[test]
#[ignore = "needs s3s-fs: run by .ci/run"]
fn keys_from_the_aws_credentials_file_are_used() {
    let store = Store::start();
    let site = site_for(&store);
    let home = store.dir.path();
    write(
        home,
        ".aws/credentials",
        &format!(
            "[default]\naws_access_key_id = {KEY}\naws_secret_access_key = {SECRET}\n\n[press]\naws_access_key_id = {KEY}\naws_secret_access_key = not-the-secret\n"
        ),
    );
    let out = store.briefing(site.path(), None, &["deploy"]);
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    assert_same_tree(&store.objects(), &built(site.path()));

    // The profile AWS_PROFILE names, whose secret the store refuses.
    let out = store
        .command(site.path(), &["deploy"])
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env("AWS_PROFILE", "press")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    assert!(
        said(&out).contains("the store refused the keys"),
        "{}",
        said(&out)
    );
}
