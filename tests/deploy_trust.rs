//! What a deploy to a folder target must never do: publish before the real clock says so,
//! leave a withdrawn version or a withdrawn note's folder live, believe its record over the
//! target, write through a link, replace the host's own files unasked, or deploy into a
//! folder it could wreck.

mod common;

use std::path::Path;

use common::deploying::*;
use common::*;

const EMBARGOED_PAGE: &str = "en/briefings/embargoed/index.html";

#[test]
fn a_deploy_at_another_moment_is_refused_and_only_a_dry_run_takes_now() {
    let (site, share) = site_with_share();
    let (code, out) = deploy(site.path(), &["--now", "2031-01-01T00:00:00+08:00"]);
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("deploy publishes what is true at the real clock, not at --now 2031-01-01T00:00:00+08:00"),
        "{out}"
    );
    assert!(out.contains("add --dry-run"), "{out}");
    // Nothing was built or sent.
    assert!(published(share.path()).is_empty());

    // A dry run at that moment lists the page the embargo holds back today, and sends nothing.
    let (code, out) = deploy(
        site.path(),
        &["--dry-run", "--now", "2031-01-01T00:00:00+08:00"],
    );
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.lines()
            .any(|l| l.starts_with(&format!("would send   {EMBARGOED_PAGE} ("))),
        "{out}"
    );
    assert!(published(share.path()).is_empty());

    // A plain deploy publishes what is true now: no embargoed page, no word of it anywhere.
    let (code, out) = deploy(site.path(), &[]);
    assert_eq!(code, Some(0), "{out}");
    let live = published(share.path());
    assert!(!live.contains_key(Path::new(EMBARGOED_PAGE)));
    assert_eq!(mentioning(&live, "under embargo"), Vec::<String>::new());
}

#[test]
fn a_withdrawn_note_leaves_no_folder_behind_but_the_hosts_files_stay() {
    let (site, share) = site_with_share();
    assert_eq!(deploy(site.path(), &[]).0, Some(0));
    let folder = share.path().join("en/briefings/advisory");
    assert!(folder.join("index.html").is_file());
    // Only the withdrawn note has the tag `media`: its tag's folder goes too.
    let tag_folders: Vec<_> = tree(share.path())
        .keys()
        .filter(|p| p.to_string_lossy().ends_with("/media/index.html"))
        .map(|p| share.path().join(p.parent().unwrap()))
        .collect();
    assert!(!tag_folders.is_empty());
    // The host keeps a file of its own in another note's folder.
    write(share.path(), "en/briefings/returns/notes.txt", "the host's");

    std::fs::remove_file(site.path().join("content/briefings/advisory.en.md")).unwrap();
    std::fs::remove_file(site.path().join("content/briefings/returns.en.md")).unwrap();
    let (code, out) = deploy(site.path(), &[]);
    assert_eq!(code, Some(0), "{out}");
    assert!(
        !folder.exists(),
        "the withdrawn note's folder is still there"
    );
    for tag in &tag_folders {
        assert!(!tag.exists(), "{} is still there", tag.display());
    }
    assert!(
        !share
            .path()
            .join("en/briefings/returns/index.html")
            .exists()
    );
    assert_eq!(
        std::fs::read_to_string(share.path().join("en/briefings/returns/notes.txt")).unwrap(),
        "the host's"
    );
    let mut expected = built(site.path());
    expected.insert(
        "en/briefings/returns/notes.txt".into(),
        b"the host's".to_vec(),
    );
    assert_same_tree(&published(share.path()), &expected);
}

#[test]
fn a_deploy_cut_off_then_reverted_leaves_nothing_of_the_withdrawn_version() {
    let (site, share) = site_with_share();
    assert_eq!(deploy(site.path(), &[]).0, Some(0));
    let version_a = built(site.path());

    // Version B changes every page, keeping each one's size (so that only the record can tell
    // the versions apart); the deploy of it stops half-way: a folder on the host stands where
    // a listing goes (listings are sent after every page), so that it cannot be written.
    let yaml_path = site.path().join("site.yaml");
    let yaml_a = std::fs::read_to_string(&yaml_path).unwrap();
    std::fs::write(
        &yaml_path,
        yaml_a.replace("Test Office Briefings", "Version B Withdrawal!"),
    )
    .unwrap();
    let blocker = share.path().join("zh/index.html");
    std::fs::remove_file(&blocker).unwrap();
    write(&blocker, "x", "in the way");
    let (code, out) = deploy(site.path(), &[]);
    assert_eq!(code, Some(1), "{out}");
    let b_pages = published(share.path())
        .into_iter()
        .filter(|(_, bytes)| String::from_utf8_lossy(bytes).contains("Version B Withdrawal!"))
        .count();
    assert!(b_pages > 0, "the cut-off deploy sent no page of version B");

    // Back to version A, the obstacle gone: the next deploy must take every B page down.
    std::fs::write(&yaml_path, &yaml_a).unwrap();
    std::fs::remove_dir_all(&blocker).unwrap();
    let (code, out) = deploy(site.path(), &[]);
    assert_eq!(code, Some(0), "{out}");
    assert_same_tree(&published(share.path()), &version_a);
    let (code, out) = deploy(site.path(), &["--dry-run"]);
    assert_eq!(code, Some(0), "{out}");
    assert_eq!(counts(&out), (0, 0, version_a.len()), "{out}");
}

#[test]
fn the_target_is_trusted_over_the_record_only_as_far_as_it_bears_it_out() {
    let (site, share) = site_with_share();
    assert_eq!(deploy(site.path(), &[]).0, Some(0));
    let site_files = built(site.path());
    let about = share.path().join("en/about/index.html");
    let visa = share.path().join("en/briefings/visa/index.html");
    let home = share.path().join("en/index.html");

    // On the host: a page deleted, a page defaced with other text, and one with the same
    // number of bytes.
    std::fs::remove_file(&about).unwrap();
    std::fs::write(&visa, "defaced").unwrap();
    let mut same_size = std::fs::read(&home).unwrap();
    same_size[..7].copy_from_slice(b"DEFACED");
    std::fs::write(&home, &same_size).unwrap();

    let status = briefing(site.path(), &["status", "share"]);
    let text = said(&status);
    assert!(status.status.success(), "{text}");
    assert!(
        text.contains("The target does not hold what deploy's record says (1 missing, 1 changed on the host): a deploy sends them again."),
        "{text}"
    );
    assert!(text.contains("  missing en/about/index.html"), "{text}");
    assert!(
        text.contains("  changed en/briefings/visa/index.html"),
        "{text}"
    );
    assert!(!text.contains("a deploy would change nothing"), "{text}");

    // A plain deploy restores what a listing shows; --verify finds the rest by its bytes.
    let (code, out) = deploy(site.path(), &[]);
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains("missing on the target, sent again: en/about/index.html"),
        "{out}"
    );
    assert!(
        out.contains("changed on the target, sent again: en/briefings/visa/index.html"),
        "{out}"
    );
    assert_eq!(counts(&out).0, 2, "{out}");
    assert_eq!(std::fs::read(&home).unwrap(), same_size);
    let (code, out) = deploy(site.path(), &["--verify"]);
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains("changed on the target, sent again: en/index.html"),
        "{out}"
    );
    assert_eq!(counts(&out).0, 1, "{out}");
    assert_same_tree(&published(share.path()), &site_files);
    let (code, out) = deploy(site.path(), &["--verify"]);
    assert_eq!(code, Some(0), "{out}");
    assert_eq!(counts(&out), (0, 0, site_files.len()), "{out}");
}

#[test]
fn the_hosts_own_files_are_replaced_only_when_listed_and_confirmed() {
    let (site, share) = site_with_share();
    // A first deploy into a folder that holds something and no record.
    write(share.path(), "robots.txt", "the host's rules");
    write(share.path(), "cgi/run.sh", "the host's script");
    let (code, out) = deploy(site.path(), &[]);
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("is not empty and has no record of an earlier deploy (.briefing-deploy.json): it holds 2 files"),
        "{out}"
    );
    assert!(
        out.contains("It would replace 1 of them (robots.txt)"),
        "{out}"
    );
    assert_eq!(
        std::fs::read_to_string(share.path().join("robots.txt")).unwrap(),
        "the host's rules"
    );
    let (code, out) = deploy(site.path(), &["--dry-run"]);
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains("would replace robots.txt, a file deploy did not publish (needs --yes)"),
        "{out}"
    );
    let (code, out) = deploy(site.path(), &["--yes"]);
    assert_eq!(code, Some(0), "{out}");
    let mut expected = built(site.path());
    expected.insert("cgi/run.sh".into(), b"the host's script".to_vec());
    assert_same_tree(&published(share.path()), &expected);

    // Later the host puts a page of its own where the site then publishes a new note.
    write(
        share.path(),
        "en/briefings/new-note/index.html",
        "the host's page",
    );
    let status = briefing(site.path(), &["status", "share"]);
    assert!(!said(&status).contains("host's  "), "{}", said(&status));
    write(
        site.path(),
        "content/briefings/new-note.en.md",
        "---\ntitle: A new note\ndate: 2016-05-02\n---\n\nText.\n",
    );
    let status = briefing(site.path(), &["status", "share"]);
    assert!(
        said(&status).contains("  host's  en/briefings/new-note/index.html"),
        "{}",
        said(&status)
    );
    let (code, out) = deploy(site.path(), &[]);
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("holds files that deploy did not publish, where the site publishes: en/briefings/new-note/index.html"),
        "{out}"
    );
    assert!(out.contains("they were left as they are"), "{out}");
    let host_page = share.path().join("en/briefings/new-note/index.html");
    assert_eq!(
        std::fs::read_to_string(&host_page).unwrap(),
        "the host's page"
    );
    // The rest of the deploy went ahead: the home page lists the new note.
    let home = std::fs::read_to_string(share.path().join("en/index.html")).unwrap();
    assert!(home.contains("A new note"), "{home}");
    let (code, out) = deploy(site.path(), &["--yes"]);
    assert_eq!(code, Some(0), "{out}");
    assert!(
        std::fs::read_to_string(&host_page)
            .unwrap()
            .contains("A new note")
    );
}

#[test]
fn deploy_never_writes_or_deletes_through_a_link() {
    let (site, share) = site_with_share();
    assert_eq!(deploy(site.path(), &[]).0, Some(0));
    let outside = tempfile::tempdir().unwrap();
    write(outside.path(), "keep.txt", "outside the target");

    // A note's folder on the host replaced by a link to a folder outside the target.
    let folder = share.path().join("en/briefings/visa");
    std::fs::remove_dir_all(&folder).unwrap();
    std::os::unix::fs::symlink(outside.path(), &folder).unwrap();
    edit(
        site.path(),
        "content/briefings/visa.en.md",
        "Both sides agreed",
        "Both sides fully agreed",
    );
    let (code, out) = deploy(site.path(), &[]);
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("has symbolic links where the site writes: en/briefings/visa"),
        "{out}"
    );
    assert!(
        out.contains("deploy never writes or deletes through a link"),
        "{out}"
    );
    assert_eq!(tree(outside.path()).len(), 1);
    std::fs::remove_file(&folder).unwrap();
    // A withdrawn note's pages would be deleted through a link: refused too.
    let advisory = share.path().join("en/briefings/advisory");
    std::fs::remove_dir_all(&advisory).unwrap();
    std::os::unix::fs::symlink(outside.path(), &advisory).unwrap();
    write(outside.path(), "index.html", "outside the target");
    std::fs::remove_file(site.path().join("content/briefings/advisory.en.md")).unwrap();
    let (code, out) = deploy(site.path(), &[]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("en/briefings/advisory"), "{out}");
    assert_eq!(tree(outside.path()).len(), 2);
    std::fs::remove_file(&advisory).unwrap();
    assert_eq!(deploy(site.path(), &[]).0, Some(0));

    // A link planted under the temporary name a page is first written to.
    let target_file = outside.path().join("keep.txt");
    std::os::unix::fs::symlink(
        &target_file,
        share.path().join("en/.index.html.briefing-upload"),
    )
    .unwrap();
    edit(
        site.path(),
        "site.yaml",
        "Test Office Briefings",
        "New title",
    );
    let (code, out) = deploy(site.path(), &[]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("en/.index.html.briefing-upload"), "{out}");
    assert_eq!(
        std::fs::read_to_string(&target_file).unwrap(),
        "outside the target"
    );
}

#[test]
fn a_record_naming_paths_outside_the_target_is_refused() {
    let (site, share) = site_with_share();
    assert_eq!(deploy(site.path(), &[]).0, Some(0));
    let outside = share
        .path()
        .parent()
        .unwrap()
        .join(format!("briefing-outside-{}", std::process::id()));
    std::fs::write(&outside, "outside").unwrap();
    let record_path = share.path().join(".briefing-deploy.json");
    let record = std::fs::read_to_string(&record_path).unwrap();
    let name = outside.file_name().unwrap().to_string_lossy().into_owned();
    std::fs::write(
        &record_path,
        record.replacen(
            "\"files\": {",
            &format!("\"files\": {{\n    \"../{name}\": \"00\","),
            1,
        ),
    )
    .unwrap();
    let (code, out) = deploy(site.path(), &[]);
    let kept = std::fs::read_to_string(&outside);
    let _ = std::fs::remove_file(&outside);
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains(&format!("names `../{name}`, a path outside the target")),
        "{out}"
    );
    assert_eq!(kept.unwrap(), "outside");
}

#[test]
fn a_folder_deploy_could_wreck_is_refused() {
    let (site, _share) = site_with_share();
    let yaml = std::fs::read_to_string(site.path().join("site.yaml")).unwrap();
    let home = std::env::var("HOME").unwrap();
    let site_dir = site.path().canonicalize().unwrap();
    let cases = [
        (
            "/".to_string(),
            "it is the root of the file system".to_string(),
        ),
        (home.clone(), "it is your home folder".to_string()),
        (
            site_dir.display().to_string(),
            format!("it holds the site's folder ({})", site_dir.display()),
        ),
        (
            site_dir.join("content").display().to_string(),
            format!("it is inside the site's folder ({})", site_dir.display()),
        ),
        (
            site_dir.parent().unwrap().display().to_string(),
            "it holds the site's folder".to_string(),
        ),
    ];
    for (folder, why) in cases {
        let url = if folder == "/" {
            "file:///".to_string()
        } else {
            format!("file://{folder}")
        };
        write(
            site.path(),
            "site.yaml",
            &format!("{yaml}  wrong:\n    url: {url}\n"),
        );
        let before = tree(&site.path().join("content"));
        let (code, out) = deploy(site.path(), &["wrong", "--yes"]);
        assert_eq!(code, Some(1), "{folder}: {out}");
        assert!(
            out.contains(&format!("refusing to deploy to `wrong` ({url}): {why}")),
            "{folder}: {out}"
        );
        assert_eq!(tree(&site.path().join("content")), before);
    }
    // The output folder, given with --output.
    let output = tempfile::tempdir().unwrap();
    write(
        site.path(),
        "site.yaml",
        &format!(
            "{yaml}  wrong:\n    url: file://{}/public\n",
            output.path().display()
        ),
    );
    std::fs::create_dir(output.path().join("public")).unwrap();
    let out_dir = output.path().display().to_string();
    let (code, out) = deploy(site.path(), &["wrong", "--output", &out_dir]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("it is inside the output folder"), "{out}");
}
