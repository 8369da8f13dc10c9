//! `briefing deploy` over SFTP, against a real OpenSSH server that each test starts on a free
//! port with a throwaway host key and user key. The client is the system's ssh, given a
//! configuration of the test's own (its known hosts file) so that the user's ~/.ssh is never
//! read or changed. `.ci/run` installs Debian's openssh-server; plain `cargo test` lists these
//! as ignored.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use common::deploying::*;
use common::process::spawn_on_free_port;
use common::*;

/// An sshd serving this machine's files to the current user, with its keys and the ssh
/// configuration a client needs, stopped when dropped.
struct Sshd {
    child: Running,
    port: u16,
    dir: tempfile::TempDir,
}

impl Sshd {
    fn start() -> Sshd {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        for key in ["host_key", "user_key", "stranger_key"] {
            let status = Command::new("ssh-keygen")
                .args(["-q", "-t", "ed25519", "-N", "", "-f"])
                .arg(d.join(key))
                .status()
                .expect("ssh-keygen (openssh-client)");
            assert!(status.success());
        }
        std::fs::copy(d.join("user_key.pub"), d.join("authorized_keys")).unwrap();
        // sshd wants its privilege separation folder, as its Debian service would make it.
        let _ = std::fs::create_dir_all("/run/sshd");
        let sshd = std::env::var("BRIEFING_SSHD").unwrap_or_else(|_| "/usr/sbin/sshd".into());
        let (child, port) = spawn_on_free_port(
            &format!("{sshd} (install openssh-server)"),
            |port| {
                std::fs::write(
                d.join("sshd_config"),
                format!(
                    "Port {port}\nListenAddress 127.0.0.1\nHostKey {d}/host_key\nPidFile {d}/sshd.pid\n\
                     AuthorizedKeysFile {d}/authorized_keys\nPubkeyAuthentication yes\n\
                     PasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\n\
                     StrictModes no\nPermitRootLogin yes\nSubsystem sftp internal-sftp\n",
                    d = d.display()
                ),
            )
            .unwrap();
                let mut c = Command::new(&sshd);
                c.args(["-D", "-e", "-f"]).arg(d.join("sshd_config"));
                c
            },
        );
        // The client's side: a known hosts file with this server's key, and an `ssh` first
        // on the PATH that runs the system's ssh with a configuration naming that file.
        let host_key = std::fs::read_to_string(d.join("host_key.pub")).unwrap();
        let mut fields = host_key.split_whitespace();
        let (kind, key) = (fields.next().unwrap(), fields.next().unwrap());
        std::fs::write(
            d.join("known_hosts"),
            format!("[127.0.0.1]:{port} {kind} {key}\n"),
        )
        .unwrap();
        std::fs::write(d.join("no_hosts"), "").unwrap();
        std::fs::create_dir(d.join("bin")).unwrap();
        let wrapper = d.join("bin/ssh");
        std::fs::write(
            &wrapper,
            format!(
                "#!/bin/sh\nexec /usr/bin/ssh -F {d}/ssh_config \"$@\"\n",
                d = d.display()
            ),
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
        let sshd = Sshd { child, port, dir };
        sshd.trust(true);
        sshd
    }

    /// Whether the client knows the server's host key.
    fn trust(&self, known: bool) {
        let d = self.dir.path();
        let hosts = if known { "known_hosts" } else { "no_hosts" };
        std::fs::write(
            d.join("ssh_config"),
            format!(
                "Host *\n  UserKnownHostsFile {d}/{hosts}\n  GlobalKnownHostsFile /dev/null\n  IdentitiesOnly yes\n  BatchMode yes\n",
                d = d.display()
            ),
        )
        .unwrap();
    }

    /// Runs briefing in `site` as a user of this server would, with `key` as BRIEFING_SSH_KEY.
    /// `briefing` with these arguments in `site`, connecting with the user key `key`.
    fn command(&self, site: &Path, key: &str, args: &[&str]) -> Command {
        let path = format!(
            "{}:{}",
            self.dir.path().join("bin").display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_briefing"));
        cmd.args(args)
            .current_dir(site)
            .env("PATH", path)
            .env("BRIEFING_SSH_KEY", self.dir.path().join(key))
            .env_remove("SSH_AUTH_SOCK");
        cmd
    }

    fn briefing(&self, site: &Path, key: &str, args: &[&str]) -> Output {
        self.command(site, key, args).output().unwrap()
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        self.child.stop();
        // The SSH connections a killed deploy left open (their sessions on the server end
        // with them).
        let _ = Command::new("pkill")
            .arg("-f")
            .arg(self.dir.path().join("ssh_config"))
            .status();
    }
}

/// The basic fixture with an SFTP target `host` on the server, writing into `www`.
fn site_for(sshd: &Sshd, www: &Path) -> tempfile::TempDir {
    let site = fixture("basic");
    let user = std::env::var("USER").unwrap_or_else(|_| "root".into());
    let url = format!("sftp://{user}@127.0.0.1:{}{}", sshd.port, www.display());
    add_deploy_target(site.path(), "host", &[("url", &url)]);
    site
}

#[test]
#[ignore = "needs openssh-server: run by .ci/run"]
fn a_site_deployed_over_sftp_equals_the_build_and_follows_edits() {
    let sshd = Sshd::start();
    let www = tempfile::tempdir().unwrap();
    let site = site_for(&sshd, www.path());
    let out = sshd.briefing(site.path(), "user_key", &["deploy"]);
    assert!(out.status.success(), "{}", said(&out));
    assert!(
        said(&out).contains("Deployed to host (sftp://"),
        "{}",
        said(&out)
    );
    assert_same_tree(&published(www.path()), &built(site.path()));

    // A file of the host's own, an edit and a removed note.
    write(www.path(), "en/their-own.txt", "not the site's");
    let note = site.path().join("content/briefings/visa.en.md");
    let text = std::fs::read_to_string(&note).unwrap();
    std::fs::write(
        &note,
        text.replace("Both sides agreed", "Both sides fully agreed"),
    )
    .unwrap();
    std::fs::remove_file(site.path().join("content/briefings/advisory.en.md")).unwrap();
    let before = published(www.path());
    let out = sshd.briefing(site.path(), "user_key", &["deploy"]);
    assert!(out.status.success(), "{}", said(&out));
    let mut expected = built(site.path());
    expected.insert(
        PathBuf::from("en/their-own.txt"),
        b"not the site's".to_vec(),
    );
    assert_same_tree(&published(www.path()), &expected);
    let changed = expected
        .iter()
        .filter(|(p, b)| before.get(*p) != Some(*b))
        .count();
    assert!(
        said(&out).contains(&format!(": {changed} sent, ")),
        "{changed} changed: {}",
        said(&out)
    );
    assert_no_upload_left(www.path());
}

#[test]
#[ignore = "needs openssh-server: run by .ci/run"]
fn a_wrong_key_an_unknown_host_key_or_a_host_down_fails_clearly_and_changes_nothing() {
    let mut sshd = Sshd::start();
    let www = tempfile::tempdir().unwrap();
    let site = site_for(&sshd, www.path());

    let out = sshd.briefing(site.path(), "stranger_key", &["deploy"]);
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    let text = said(&out);
    assert!(text.contains("deploying to `host` (sftp://"), "{text}");
    assert!(
        text.contains("the host did not accept any of the SSH keys offered"),
        "{text}"
    );
    assert!(text.contains("BRIEFING_SSH_KEY"), "{text}");
    assert!(tree(www.path()).is_empty());

    sshd.trust(false);
    let out = sshd.briefing(site.path(), "user_key", &["deploy"]);
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    let text = said(&out);
    assert!(
        text.contains("the host's key is not in ~/.ssh/known_hosts, or it changed"),
        "{text}"
    );
    assert!(text.contains("ssh-keyscan -p "), "{text}");
    assert!(tree(www.path()).is_empty());

    // The host down.
    sshd.trust(true);
    sshd.child.stop();
    let out = sshd.briefing(site.path(), "user_key", &["deploy"]);
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    let text = said(&out);
    assert!(text.contains("the host cannot be reached"), "{text}");
    assert!(text.contains("should connect"), "{text}");
    assert!(tree(www.path()).is_empty());
}

#[test]
#[ignore = "needs openssh-server: run by .ci/run"]
fn a_deploy_over_sftp_killed_half_way_is_finished_by_the_next_one() {
    let sshd = Sshd::start();
    let www = tempfile::tempdir().unwrap();
    let site = site_for(&sshd, www.path());
    write_notes(site.path(), 200, "");
    build_ok(site.path(), &[]);
    kill_half_way(
        sshd.command(site.path(), "user_key", &["deploy"]),
        www.path(),
        100,
    );
    let site_files = built(site.path());
    assert_ne!(published(www.path()), site_files);
    assert_record_true(www.path(), &site_files);
    let out = sshd.briefing(site.path(), "user_key", &["deploy"]);
    assert!(out.status.success(), "{}", said(&out));
    assert_same_tree(&published(www.path()), &site_files);
    assert_eq!(
        assert_record_true(www.path(), &site_files),
        (site_files.len(), 0)
    );
    assert_no_upload_left(www.path());
}

#[test]
#[ignore = "needs openssh-server: run by .ci/run"]
fn under_watch_an_embargo_is_live_over_sftp_within_seconds_of_its_end() {
    let sshd = Sshd::start();
    let www = tempfile::tempdir().unwrap();
    let site = site_for(&sshd, www.path());
    let release = embargoed(site.path(), "on-time", "On time", None);
    let mut watch = sshd.command(site.path(), "user_key", &["deploy", "--watch"]);
    watch.stdout(Stdio::null()).stderr(Stdio::null());
    released_on_time(
        watch,
        &www.path().join("en/index.html"),
        &www.path().join("en/briefings/on-time/index.html"),
        release,
    );
}

#[test]
#[ignore = "needs openssh-server: run by .ci/run"]
fn over_sftp_deploy_never_goes_through_a_link_or_outside_the_target() {
    let sshd = Sshd::start();
    let www = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    write(outside.path(), "keep.txt", "outside the target");
    let site = site_for(&sshd, www.path());
    let out = sshd.briefing(site.path(), "user_key", &["deploy"]);
    assert!(out.status.success(), "{}", said(&out));

    // A note's folder on the host replaced by a link to a folder outside the target.
    let folder = www.path().join("en/briefings/visa");
    std::fs::remove_dir_all(&folder).unwrap();
    std::os::unix::fs::symlink(outside.path(), &folder).unwrap();
    edit(
        site.path(),
        "content/briefings/visa.en.md",
        "Both sides agreed",
        "Both sides fully agreed",
    );
    let out = sshd.briefing(site.path(), "user_key", &["deploy"]);
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    assert!(
        said(&out).contains("has symbolic links where the site writes: en/briefings/visa"),
        "{}",
        said(&out)
    );
    assert_eq!(tree(outside.path()).len(), 1);
    std::fs::remove_file(&folder).unwrap();

    // A link planted at the temporary name of a page.
    std::os::unix::fs::symlink(
        outside.path().join("keep.txt"),
        www.path().join("en/.index.html.briefing-upload"),
    )
    .unwrap();
    edit(
        site.path(),
        "site.yaml",
        "Test Office Briefings",
        "New title",
    );
    let out = sshd.briefing(site.path(), "user_key", &["deploy"]);
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    assert!(
        said(&out).contains("en/.index.html.briefing-upload"),
        "{}",
        said(&out)
    );
    assert_eq!(
        std::fs::read_to_string(outside.path().join("keep.txt")).unwrap(),
        "outside the target"
    );
    std::fs::remove_file(www.path().join("en/.index.html.briefing-upload")).unwrap();
    let out = sshd.briefing(site.path(), "user_key", &["deploy"]);
    assert!(out.status.success(), "{}", said(&out));
    assert_same_tree(&published(www.path()), &built(site.path()));

    // A record naming paths outside the target, to delete or as cut-off uploads.
    let victim = outside.path().join("keep.txt");
    let rel = format!(
        "../{}/keep.txt",
        outside.path().file_name().unwrap().to_string_lossy()
    );
    let record_path = www.path().join(".briefing-deploy.json");
    let record = std::fs::read_to_string(&record_path).unwrap();
    for planted in [
        record.replacen(
            "\"files\": {",
            &format!("\"files\": {{\n    \"{rel}\": \"00\","),
            1,
        ),
        record.replacen(
            "\"uploading\": []",
            &format!("\"uploading\": [\"en/../{rel}\"]"),
            1,
        ),
    ] {
        assert_ne!(planted, record);
        std::fs::write(&record_path, &planted).unwrap();
        let out = sshd.briefing(site.path(), "user_key", &["deploy"]);
        assert_eq!(out.status.code(), Some(1), "{}", said(&out));
        assert!(
            said(&out).contains("a path outside the target"),
            "{}",
            said(&out)
        );
        assert!(victim.exists());
    }
}

#[test]
#[ignore = "needs openssh-server: run by .ci/run"]
fn over_sftp_a_withdrawn_note_leaves_no_folder_and_verify_repairs_the_host() {
    let sshd = Sshd::start();
    let www = tempfile::tempdir().unwrap();
    let site = site_for(&sshd, www.path());
    let out = sshd.briefing(site.path(), "user_key", &["deploy"]);
    assert!(out.status.success(), "{}", said(&out));
    std::fs::remove_file(site.path().join("content/briefings/advisory.en.md")).unwrap();
    let out = sshd.briefing(site.path(), "user_key", &["deploy"]);
    assert!(out.status.success(), "{}", said(&out));
    assert!(!www.path().join("en/briefings/advisory").exists());

    // A page deleted and one defaced with the same length, on the host.
    std::fs::remove_file(www.path().join("en/about/index.html")).unwrap();
    let home = www.path().join("en/index.html");
    let mut defaced = std::fs::read(&home).unwrap();
    defaced[..7].copy_from_slice(b"DEFACED");
    std::fs::write(&home, &defaced).unwrap();
    let out = sshd.briefing(site.path(), "user_key", &["status", "host"]);
    assert!(
        said(&out).contains("  missing en/about/index.html"),
        "{}",
        said(&out)
    );
    let out = sshd.briefing(site.path(), "user_key", &["deploy", "--verify"]);
    assert!(out.status.success(), "{}", said(&out));
    assert!(
        said(&out).contains("changed on the target, sent again: en/index.html"),
        "{}",
        said(&out)
    );
    assert_same_tree(&published(www.path()), &built(site.path()));
}

/// The key an officer keeps in the SSH agent logs in, with no key file named: the client is
/// given no key file of its own, so only the agent's key can log in. Without the agent, the
/// host refuses.
#[test]
#[ignore = "needs openssh-server: run by .ci/run"]
fn over_sftp_the_key_in_the_ssh_agent_is_used() {
    let sshd = Sshd::start();
    let www = tempfile::tempdir().unwrap();
    let site = site_for(&sshd, www.path());
    let d = sshd.dir.path();
    std::fs::write(
        d.join("ssh_config"),
        format!(
            "Host *\n  UserKnownHostsFile {d}/known_hosts\n  GlobalKnownHostsFile /dev/null\n  IdentityFile {d}/no_such_key\n  BatchMode yes\n",
            d = d.display()
        ),
    )
    .unwrap();
    let socket = d.join("agent.sock");
    let agent = Running(
        Command::new("ssh-agent")
            .arg("-D")
            .arg("-a")
            .arg(&socket)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("ssh-agent (openssh-client)"),
    );
    assert!(
        within(Duration::from_secs(10), || socket.exists()),
        "the agent did not start"
    );
    let added = Command::new("ssh-add")
        .arg(d.join("user_key"))
        .env("SSH_AUTH_SOCK", &socket)
        .output()
        .unwrap();
    assert!(added.status.success(), "{}", said(&added));

    let deploy = |agent: bool| {
        let mut cmd = sshd.command(site.path(), "user_key", &["deploy"]);
        cmd.env_remove("BRIEFING_SSH_KEY");
        if agent {
            cmd.env("SSH_AUTH_SOCK", &socket);
        }
        cmd.output().unwrap()
    };
    let out = deploy(false);
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    assert!(published(www.path()).is_empty());
    let out = deploy(true);
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    assert_same_tree(&published(www.path()), &built(site.path()));
    drop(agent);
}
