//! `briefing build`: the site into the output folder through the pipeline, or nothing
//! changed at all; and the report a build gives.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use jiff::Timestamp;

use crate::error::{Diagnostic, Diagnostics, display_path};
use crate::open::{Opened, Request};
use crate::output::Lock;
use crate::pipeline::{FileHashes, Hashing};
use crate::plan::Stage;
use crate::search::SearchReport;
use crate::site::Withheld;
use crate::status::Held;

/// What a successful build did.
#[derive(Debug)]
pub struct BuildReport {
    /// HTML pages written, per language code.
    pub pages: IndexMap<String, usize>,
    /// All HTML pages written, the language chooser included.
    pub total_pages: usize,
    /// All files written, pages included.
    pub files: usize,
    pub drafts_withheld: usize,
    pub embargoed: usize,
    /// When the next embargoed note may be published, in the site time zone.
    pub next_release: Option<String>,
    pub output: PathBuf,
    pub warnings: Vec<Diagnostic>,
    /// How the search index was built, when the site has search.
    pub search: Option<SearchReport>,
    /// How many images were decoded and resized, rather than taken from the image cache.
    pub images_made: usize,
    /// How many pages were kept as the last build left them, not rendered again.
    pub kept: usize,
    /// The notes left out, soonest release first.
    pub held: Vec<Held>,
    /// The stage of each file written (the search index's aside: they list pages, and go
    /// live with the listings).
    pub stages: HashMap<String, Stage>,
}

impl BuildReport {
    /// The line that ends a build, `took` after it began: `Built 14 pages (en 6, zh 6,
    /// other 2), 31 files in all, 1 draft left out, in 0.05 s → output`.
    pub fn summary(&self, took: std::time::Duration) -> String {
        let mut per_lang: Vec<String> = self
            .pages
            .iter()
            .map(|(lang, n)| format!("{lang} {n}"))
            .collect();
        // The language chooser and the 404 page belong to no language: the parts add up to
        // the whole.
        let other = self.total_pages - self.pages.values().sum::<usize>();
        if other > 0 {
            per_lang.push(format!("other {other}"));
        }
        let mut held = String::new();
        if self.drafts_withheld > 0 {
            held.push_str(&format!(
                ", {} left out",
                counted(self.drafts_withheld, "draft")
            ));
        }
        if let Some(next) = &self.next_release {
            held.push_str(&format!(
                ", {} under embargo (next release {next})",
                self.embargoed
            ));
        }
        if self.images_made > 0 {
            held.push_str(&format!(
                ", {} processed",
                counted(self.images_made, "image")
            ));
        }
        if self.kept > 0 {
            held.push_str(&format!(", {} kept from the last build", self.kept));
        }
        if let Some(search) = &self.search {
            held.push_str(&format!(
                ", search index {:.2} s ({} briefings)",
                search.took.as_secs_f64(),
                search.pages
            ));
        }
        format!(
            "Built {} pages ({}), {} files in all{held}, in {:.2} s → {}",
            self.total_pages,
            per_lang.join(", "),
            self.files,
            took.as_secs_f64(),
            display_path(&self.output)
        )
    }
}

/// `1 draft`, `3 drafts`.
fn counted(n: usize, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}

/// The line that ends a failed build: how many errors, and what became of the output.
pub fn failure_summary(errors: &Diagnostics) -> String {
    let outcome = if crate::output::left_part_way(errors) {
        "the output folder is part old, part new until a build finishes the change"
    } else {
        "the output folder was not changed"
    };
    format!(
        "Build failed with {}; {outcome}.",
        counted(errors.error_count(), "error")
    )
}

/// `briefing build`: the site `request` asks for into `output` (default: `output/` in the
/// site folder). The output folder is taken first, so that a build killed earlier is
/// finished even when this one then fails at a mistake of its own.
pub fn build(request: &Request, output: Option<&Path>) -> Result<BuildReport, Diagnostics> {
    let lock = take(&request.root, output)?;
    build_locked(request.open()?, lock, None)
}

/// Builds a site already opened (as `deploy` opens it, to find its target first), with the
/// SHA-256 and size of every file it made, taken as they were written.
pub fn build_opened(
    opened: Opened,
    output: Option<&Path>,
) -> Result<(BuildReport, FileHashes), Diagnostics> {
    let lock = take(&opened.config.root, output)?;
    let mut hashes = FileHashes::new();
    let report = build_locked(opened, lock, Some(&mut hashes))?;
    Ok((report, hashes))
}

/// The output folder, held until the new site is in place: no other build writes it
/// meanwhile. A build killed earlier is finished first.
fn take(root: &Path, output: Option<&Path>) -> Result<Lock, Diagnostics> {
    let shown = output.map_or_else(|| root.join("output"), Path::to_path_buf);
    let output = crate::output::check_target(&shown, root)?;
    let lock = Lock::take(&output, &shown)?;
    if let Some(finished) = lock.finished() {
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), "{finished}");
    }
    // For `build`, before site.yaml is read: its contacts' numbers are the first it reads.
    lock.recall_phones();
    Ok(lock)
}

/// What a thread of a scope gave; its panic goes on in the thread that waited for it.
fn joined<T>(handle: std::thread::ScopedJoinHandle<T>) -> T {
    handle
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

/// Builds into the output folder `lock` holds; `hashes`, when given, receives every file's.
fn build_locked(
    opened: Opened,
    lock: Lock,
    hashes: Option<&mut FileHashes>,
) -> Result<BuildReport, Diagnostics> {
    let output = lock.output().to_path_buf();
    let fingerprint = opened.config.fingerprint;
    // What the last build learned, and what the output folder holds, are read while
    // content/ is walked; the notes' shelf is written while the model is made.
    let (previous, assembled, rendered, bodies) = std::thread::scope(|s| {
        let lock = &lock;
        let previous = s.spawn(|| lock.survey());
        let shelf = s.spawn(|| lock.shelf(&fingerprint));
        let bodies = s.spawn(|| lock.bodies(&fingerprint));
        let (content, learned, shelf) =
            crate::content::load_remembering(&opened.config, || joined(shelf));
        s.spawn(move || {
            lock.keep(&shelf, learned);
            lock.keep_phones();
        });
        let bodies = joined(bodies);
        let (assembled, rendered) = opened.assemble_remembering(content, &bodies);
        (joined(previous), assembled, rendered, bodies)
    });
    // Written beside the rendering, and done before the lock is let go.
    let bodies = lock.keep_aside(bodies, rendered);
    let (mut site, theme) = assembled?;
    let memory = lock.memory(&theme.fingerprint);
    let staging = crate::output::Staging::create(lock, memory, previous)?;
    let ran = match hashes {
        Some(hashes) => {
            let hashing = Hashing::new(&staging);
            let ran = crate::pipeline::run(&site, &theme, &hashing);
            *hashes = hashing.into_hashes();
            ran
        }
        None => crate::pipeline::run(&site, &theme, &staging),
    };
    drop(bodies);
    let made = match ran {
        Ok(made) => made,
        Err(errors) => {
            staging.abort();
            return Err(Diagnostics(errors));
        }
    };
    staging.commit()?;

    let mut pages: IndexMap<String, usize> = site
        .config
        .languages
        .iter()
        .map(|l| (l.code.clone(), 0))
        .collect();
    let html = || made.paths.iter().filter(|(p, _)| p.ends_with(".html"));
    for (path, _) in html() {
        if let Some((lang, _)) = path.split_once('/')
            && let Some(n) = pages.get_mut(lang)
        {
            *n += 1;
        }
    }
    let embargoes: Vec<Timestamp> = site
        .withheld
        .iter()
        .filter_map(|w| match w {
            Some(Withheld::Embargoed(t)) => Some(*t),
            _ => None,
        })
        .collect();
    let report = BuildReport {
        pages,
        total_pages: html().count(),
        files: made.paths.len(),
        drafts_withheld: site
            .withheld
            .iter()
            .filter(|w| **w == Some(Withheld::Draft))
            .count(),
        embargoed: embargoes.len(),
        next_release: embargoes
            .iter()
            .min()
            .map(|&t| crate::dates::local(t, site.config.timezone.as_ref())),
        output,
        held: crate::status::held_back(&site),
        warnings: std::mem::take(&mut site.warnings)
            .into_iter()
            .chain(theme.warnings)
            .collect(),
        search: made.search,
        images_made: site.images_made,
        kept: made.kept,
        stages: made.paths.into_iter().collect(),
    };
    // Freeing the model of 10,000 notes takes some 40 ms the summary need not wait for.
    std::thread::spawn(move || drop(site));
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::open::Purpose;

    fn copy_tree(from: &Path, to: &Path) {
        for entry in walkdir::WalkDir::new(from) {
            let entry = entry.unwrap();
            let target = to.join(entry.path().strip_prefix(from).unwrap());
            if entry.file_type().is_dir() {
                std::fs::create_dir_all(&target).unwrap();
            } else {
                std::fs::copy(entry.path(), &target).unwrap();
            }
        }
    }

    #[test]
    fn a_note_whose_file_changes_before_its_text_is_read_again_stops_the_run() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("site");
        let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/basic");
        copy_tree(&fixture, &root);
        let request = Request {
            root: root.clone(),
            now: "2020-01-01".parse().unwrap(),
            base_url: None,
            purpose: Purpose::Build { drafts: false },
        };
        // The first build learns every note; the next one takes them from its shelf, their
        // texts read again only when asked for.
        build(&request, None).unwrap();
        let opened = request.open().unwrap();
        let lock = take(&root, None).unwrap();
        let (content, _, _) = crate::content::load_remembering(&opened.config, || {
            lock.shelf(&opened.config.fingerprint)
        });
        let note = |rel: &str| {
            let found = content.notes.iter().find(|n| n.content_rel == rel);
            found.unwrap().clone()
        };

        // A note whose file is as it was gives its text.
        let returns = note("briefings/returns.en.md");
        let file = root.join("content/briefings/returns.en.md");
        assert_eq!(returns.text(), std::fs::read_to_string(&file).unwrap());
        assert!(!returns.changed_while_read());

        // One whose file changed meanwhile gives none, neither the old text nor the new.
        let file = root.join("content/briefings/visa.en.md");
        let text = std::fs::read_to_string(&file).unwrap();
        std::fs::write(&file, format!("{text}\nA sentence added meanwhile.\n")).unwrap();
        let visa = note("briefings/visa.en.md");
        assert_eq!((visa.text(), visa.body()), ("", ""));
        assert!(visa.changed_while_read());

        // The run that made the site from it stops, naming that file alone.
        let (site, theme) = opened.assemble(content).unwrap();
        let errors = crate::pipeline::run(&site, &theme, &crate::pipeline::Discard)
            .err()
            .expect("the run must stop");
        let named: Vec<_> = errors.iter().map(|d| (&d.message, &d.file)).collect();
        assert_eq!(
            named,
            [(
                &"this file changed while the site was being built".to_string(),
                &Some(PathBuf::from("content/briefings/visa.en.md"))
            )],
            "{errors:?}"
        );
    }
}
