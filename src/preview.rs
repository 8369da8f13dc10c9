//! The site held in memory for `serve`: built once, then rebuilt after each change by
//! rendering only the pages the change can affect. The result equals a full build.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use jiff::Timestamp;

use crate::config::Config;
use crate::content::{self, CONTENT_DIR};
use crate::error::Diagnostics;
use crate::render::{self, Body, OutputFile};
use crate::site::{Selection, Site};
use crate::theme::Theme;

/// How `serve` builds: for the local address, with drafts and embargoed notes.
#[derive(Debug, Clone)]
pub struct PreviewOptions {
    pub root: PathBuf,
    /// The address the preview is served at, e.g. `http://127.0.0.1:1111`.
    pub base_url: String,
    /// "Now" for embargo banners; default the clock at each rebuild.
    pub now: Option<Timestamp>,
}

/// What a change touched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// site.yaml or the theme: everything is rebuilt.
    Everything,
    /// Notes and files under content/ (paths under content/).
    Content(HashSet<String>),
    /// Only the stylesheet (or other theme static files) changed: no page needs rendering.
    Styles,
    /// Nothing the site is made of.
    Nothing,
}

/// What a rebuild did, for the terminal.
#[derive(Debug, Clone)]
pub struct Rebuilt {
    pub change: Change,
    /// Pages rendered (the others were kept).
    pub rendered: usize,
    pub took: Duration,
}

struct Loaded {
    theme: Arc<Theme>,
    site: Site,
    files: HashMap<String, Arc<Body>>,
    signatures: HashMap<String, u64>,
    /// Per note (path under content/): a number that changes whenever the note does.
    versions: HashMap<String, u64>,
    /// The search index's files, built when the search page first asks for one.
    search: OnceLock<HashMap<String, Arc<Body>>>,
}

/// The site in memory.
pub struct Preview {
    options: PreviewOptions,
    loaded: Option<Loaded>,
    /// The problems of the last build, if it failed (the last good site is still served).
    pub error: Option<Diagnostics>,
    counter: AtomicU64,
}

impl Preview {
    /// Builds the whole site; on failure the preview holds the error and no site.
    pub fn new(options: PreviewOptions) -> Preview {
        let mut p = Preview {
            options,
            loaded: None,
            error: None,
            counter: AtomicU64::new(0),
        };
        let _ = p.rebuild(&Change::Everything);
        p
    }

    /// A file of the site: path under the site root, without a leading slash. The search
    /// index is built on the first request for one of its files after a change, so that
    /// saving a note does not wait for it.
    pub fn get(&self, path: &str) -> Option<Arc<Body>> {
        let loaded = self.loaded.as_ref()?;
        if let Some(body) = loaded.files.get(path) {
            return Some(body.clone());
        }
        let site = &loaded.site;
        let is_index = site.config.languages.iter().any(|l| {
            path.strip_prefix(&crate::search::index_path(&l.code))
                .is_some_and(|name| name.ends_with(".json") && !name.contains('/'))
        });
        if !site.config.search || !is_index {
            return None;
        }
        let files = loaded.search.get_or_init(|| {
            let files = std::sync::Mutex::new(HashMap::new());
            let keep = |batch: &[OutputFile]| {
                let mut files = files.lock().unwrap_or_else(|e| e.into_inner());
                for f in batch {
                    files.insert(f.path.clone(), Arc::new(f.body.clone()));
                }
                Ok(())
            };
            match crate::search::index(site, &keep) {
                Ok(_) => files.into_inner().unwrap_or_else(|e| e.into_inner()),
                // The search page says the index could not be loaded; the build names the error.
                Err(_) => HashMap::new(),
            }
        });
        files.get(path).cloned()
    }

    /// Every path of the site, sorted.
    pub fn paths(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self
            .loaded
            .as_ref()
            .map(|l| l.files.keys().map(String::as_str).collect())
            .unwrap_or_default();
        v.sort_unstable();
        v
    }

    /// The settings of the site being served, if one was built.
    pub fn config(&self) -> Option<&Config> {
        self.loaded.as_ref().map(|l| &l.site.config)
    }

    /// Sorts changed files (absolute, or relative to the root) into what must be rebuilt.
    pub fn classify(&self, paths: &[PathBuf]) -> Change {
        let root = &self.options.root;
        let mut content = HashSet::new();
        let mut styles = false;
        for path in paths {
            let rel = path.strip_prefix(root).unwrap_or(path);
            if rel
                .components()
                .any(|c| content::is_ignored(c.as_os_str().to_str()))
            {
                continue;
            }
            let rel_text = crate::error::display_path(rel);
            if rel_text == crate::config::SITE_FILE || rel_text == "themes" {
                return Change::Everything;
            }
            if let Some(theme_rel) = rel_text.strip_prefix("themes/") {
                // A stylesheet or image of the theme needs no page rendered.
                if theme_rel.split('/').nth(1) == Some("static") && !root.join(rel).is_dir() {
                    styles = true;
                    continue;
                }
                return Change::Everything;
            }
            if let Some(c) = rel_text.strip_prefix(&format!("{CONTENT_DIR}/")) {
                content.insert(c.to_string());
            } else if rel_text == CONTENT_DIR {
                content.insert(String::new());
            }
        }
        match (content.is_empty(), styles) {
            (false, _) => Change::Content(content),
            (true, true) => Change::Styles,
            (true, false) => Change::Nothing,
        }
    }

    fn selection(&self) -> Selection {
        Selection {
            now: self.options.now.unwrap_or_else(Timestamp::now),
            drafts: true,
            embargoed: true,
        }
    }

    /// Rebuilds after a change. On failure the last good site stays and `error` is set.
    pub fn rebuild(&mut self, change: &Change) -> Result<Rebuilt, Diagnostics> {
        let prepared = self.prepare(change);
        self.apply(prepared)
    }

    /// Works out a rebuild from the site as it is, without changing it: `serve` keeps
    /// answering from the site as it was meanwhile, then puts the result in place with
    /// [`Preview::apply`].
    pub fn prepare(&self, change: &Change) -> Prepared {
        let started = Instant::now();
        let selection = self.selection();
        let result = match (&self.loaded, change) {
            (Some(_), Change::Nothing) => Ok(Outcome::Same),
            (Some(loaded), Change::Styles) => Theme::load(&loaded.site.config)
                .map(|theme| Outcome::Restyled(render::copies(&loaded.site, &theme)))
                .map_err(Diagnostics),
            (Some(loaded), Change::Content(paths)) => {
                update(loaded, paths, &selection, &self.counter)
                    .map(|l| Outcome::Replaced(Box::new(l)))
            }
            _ => self.full().map(|l| Outcome::Replaced(Box::new(l))),
        };
        Prepared {
            change: change.clone(),
            started,
            result,
        }
    }

    /// Puts a prepared rebuild in place.
    pub fn apply(&mut self, prepared: Prepared) -> Result<Rebuilt, Diagnostics> {
        let Prepared {
            change,
            started,
            result,
        } = prepared;
        let rendered = match result {
            Ok(Outcome::Same) => 0,
            Ok(Outcome::Restyled(copies)) => {
                if let Some(loaded) = self.loaded.as_mut() {
                    for f in copies {
                        loaded.files.insert(f.path, Arc::new(f.body));
                    }
                }
                0
            }
            Ok(Outcome::Replaced(new)) => {
                let (loaded, rendered) = *new;
                self.loaded = Some(loaded);
                rendered
            }
            Err(e) => {
                self.error = Some(e.clone());
                return Err(e);
            }
        };
        self.error = None;
        Ok(Rebuilt {
            change,
            rendered,
            took: started.elapsed(),
        })
    }

    fn next_version(counter: &AtomicU64) -> u64 {
        counter.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// Loads and renders everything.
    fn full(&self) -> Result<(Loaded, usize), Diagnostics> {
        let config = Config::load(&self.options.root)?.with_base_url(&self.options.base_url)?;
        let (site, theme) = crate::load_site(config, &self.selection())?;
        let versions = site
            .notes
            .iter()
            .map(|n| (n.content_rel.clone(), Self::next_version(&self.counter)))
            .collect();
        install(site, Arc::new(theme), versions, None)
    }
}

/// A rebuild worked out by [`Preview::prepare`], not yet in place.
pub struct Prepared {
    change: Change,
    started: Instant,
    result: Result<Outcome, Diagnostics>,
}

enum Outcome {
    Same,
    /// Theme static files changed: the copied files, no page rendered.
    Restyled(Vec<OutputFile>),
    /// A new site, and how many pages were rendered for it.
    Replaced(Box<(Loaded, usize)>),
}

/// Rebuilds after changes under content/: notes not named are taken as they were, and
/// their Markdown is not rendered again unless what links resolve against changed.
fn update(
    loaded: &Loaded,
    changed: &HashSet<String>,
    selection: &Selection,
    counter: &AtomicU64,
) -> Result<(Loaded, usize), Diagnostics> {
    let config = loaded.site.config.clone();
    // Saved notes are read again on their own; created or removed files need a walk of content/.
    let content = match content::reparse(
        &config,
        &loaded.site.notes,
        &loaded.site.loose_assets,
        changed,
    ) {
        Some(c) => c,
        None => {
            let unchanged: HashMap<&str, &crate::content::Note> = loaded
                .site
                .notes
                .iter()
                .filter(|n| !changed.contains(&n.content_rel))
                .map(|n| (n.content_rel.as_str(), n.as_ref()))
                .collect();
            content::load_reusing(&config, &unchanged)
        }
    };
    let site =
        Site::new_reusing(config, content, selection, Some(&loaded.site)).map_err(Diagnostics)?;
    let mut versions = HashMap::with_capacity(site.notes.len());
    for (i, n) in site.notes.iter().enumerate() {
        let v = match loaded.versions.get(&n.content_rel) {
            Some(&v) if site.markdown_reused[i] => v,
            _ => Preview::next_version(counter),
        };
        versions.insert(n.content_rel.clone(), v);
    }
    install(site, loaded.theme.clone(), versions, Some(loaded))
}

/// Renders the jobs whose signature changed and keeps the other pages of `previous`.
fn install(
    site: Site,
    theme: Arc<Theme>,
    versions: HashMap<String, u64>,
    previous: Option<&Loaded>,
) -> Result<(Loaded, usize), Diagnostics> {
    let version: Vec<u64> = site
        .notes
        .iter()
        .map(|n| versions[&n.content_rel])
        .collect();
    let plan = render::plan(&site);
    let mut signatures = HashMap::with_capacity(plan.len());
    let mut files: HashMap<String, Arc<Body>> = HashMap::with_capacity(plan.len() + 64);
    let mut jobs = Vec::new();
    for (job, path) in &plan {
        let sig = render::signature(&site, *job, &version);
        let kept = match (sig, previous) {
            (Some(new), Some(old)) if old.signatures.get(path) == Some(&new) => old.files.get(path),
            _ => None,
        };
        match kept {
            Some(body) => {
                files.insert(path.clone(), body.clone());
            }
            None => jobs.push(*job),
        }
        if let Some(sig) = sig {
            signatures.insert(path.clone(), sig);
        }
    }
    let mut errors = Vec::new();
    let mut list: Vec<OutputFile> = Vec::with_capacity(jobs.len() + 64);
    for result in render::render_jobs(&site, &theme, &jobs) {
        match result {
            Ok(f) => list.push(f),
            Err(e) => errors.push(e),
        }
    }
    let rendered = list.len();
    list.extend(render::copies(&site, &theme));
    // Collisions are checked over the whole site, as a full build does.
    let mut all: Vec<OutputFile> = files
        .keys()
        .map(|p| OutputFile {
            path: p.clone(),
            body: Body::Static(&[]),
            from: None,
        })
        .collect();
    all.extend(list.iter().cloned());
    render::check_collisions(&site.config.root, &all, &mut errors);
    if !errors.is_empty() {
        return Err(Diagnostics(errors));
    }
    for f in list {
        files.insert(f.path, Arc::new(f.body));
    }
    Ok((
        Loaded {
            theme,
            site,
            files,
            signatures,
            versions,
            search: OnceLock::new(),
        },
        rendered,
    ))
}

/// Reads a file of the site into memory, whatever its kind.
pub fn bytes_of(body: &Body, root: &Path) -> std::io::Result<Vec<u8>> {
    match body {
        Body::Bytes(b) => Ok(b.clone()),
        Body::Static(b) => Ok(b.to_vec()),
        Body::File(p) => read_inside(p, root),
    }
}

/// Reads the plain file at `path`, which must still be inside `root` (an absolute path with
/// no links) when it is opened: a file or folder swapped for a symbolic link, a pipe or a
/// device since the site was read is refused, never followed.
fn read_inside(path: &Path, root: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::{Error, ErrorKind, Read};
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    let mut file = options.open(path)?;
    // The folders on the way may have been swapped for links: ask where the file opened is.
    #[cfg(target_os = "linux")]
    let opened = {
        use std::os::fd::AsRawFd;
        std::fs::read_link(format!("/proc/self/fd/{}", file.as_raw_fd()))?
    };
    #[cfg(not(target_os = "linux"))]
    let opened = path.canonicalize()?;
    if !opened.starts_with(root) || !file.metadata()?.is_file() {
        return Err(Error::new(
            ErrorKind::PermissionDenied,
            "the file is no longer a plain file inside the site",
        ));
    }
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)?;
    Ok(bytes)
}
