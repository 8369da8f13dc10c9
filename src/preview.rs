//! The site held in memory for `serve`. A change re-reads what changed and makes a new site
//! model and plan; a page is rendered from that model when it is first asked for, and in the
//! background meanwhile, so that saving a note costs what the note changed plus one page,
//! whatever the size of the site. Every page served equals the page of a full build.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use crate::content;
use crate::dates::Now;
use crate::error::{Diagnostic, Diagnostics};
use crate::open::{Purpose, Request};
use crate::output::{Body, OutputFile};
use crate::paths::{CONTENT_DIR, SITE_FILE, THEMES_DIR};
use crate::pipeline::Sink;
use crate::plan::Plan;
use crate::render;
use crate::site::{Selection, Site};
use crate::theme::Theme;

/// How `serve` builds: for the local address, with drafts and embargoed notes.
#[derive(Debug, Clone)]
pub struct PreviewOptions {
    pub root: PathBuf,
    /// The address the preview is served at, e.g. `http://127.0.0.1:1111`.
    pub base_url: String,
    /// "Now" for embargo banners: the clock is read at each rebuild.
    pub now: Now,
}

/// What a change touched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// site.yaml or the theme: everything is rebuilt.
    Everything,
    /// Notes and files under content/ (paths under content/).
    Content(HashSet<String>),
    /// Only the stylesheet (or other theme static files) changed: the site model stays.
    Styles,
    /// Nothing the site is made of.
    Nothing,
}

/// What a rebuild did, for the terminal.
#[derive(Debug, Clone)]
pub struct Rebuilt {
    pub change: Change,
    pub took: Duration,
}

/// Where a path of the site comes from.
#[derive(Clone, Copy)]
enum Entry {
    /// The n-th page of the plan.
    Page(usize),
    /// The n-th copied file of the plan.
    Copy(usize),
}

/// One site model with its plan, and its pages as they are rendered.
struct Loaded {
    theme: Arc<Theme>,
    site: Arc<Site>,
    plan: Arc<Plan>,
    /// Every path of the plan, and its place there.
    index: Arc<HashMap<String, Entry>>,
    /// Per page of the plan: its bytes, once asked for (small, for a model of 26,000 pages
    /// is made at every save).
    pages: Vec<OnceLock<Result<Arc<Body>, Arc<Diagnostic>>>>,
    /// What rendering pages has reported so far.
    failed: Mutex<Vec<Diagnostic>>,
    /// The search index's files, built when the search page first asks for one.
    search: OnceLock<HashMap<String, Arc<Body>>>,
    /// Set once a newer site is on its way: rendering ahead of requests stops.
    stale: AtomicBool,
}

impl Loaded {
    /// The site with its plan: checked for collisions unless it writes the same paths as
    /// the checked plan of the site before.
    fn new(
        site: Arc<Site>,
        theme: Arc<Theme>,
        previous: Option<&Loaded>,
    ) -> Result<Loaded, Diagnostics> {
        let plan = Plan::unchecked(&site, &theme);
        let index = match previous {
            // The same paths in the same order: the same places in the plan.
            Some(p) if p.plan.same_paths(&plan) => {
                // The same files: only links to site paths may have changed.
                plan.check_site_links(&site, |path| p.index.contains_key(path))
                    .map_err(Diagnostics)?;
                p.index.clone()
            }
            _ => {
                plan.check(&site).map_err(Diagnostics)?;
                let mut index = HashMap::with_capacity(plan.pages.len() + plan.copies.len());
                for (n, (_, path)) in plan.pages.iter().enumerate() {
                    index.insert(path.clone(), Entry::Page(n));
                }
                for (n, f) in plan.copies.iter().enumerate() {
                    index.insert(f.path.clone(), Entry::Copy(n));
                }
                Arc::new(index)
            }
        };
        Ok(Loaded::with_plan(site, theme, Arc::new(plan), index))
    }

    /// A site whose plan is `previous`'s (the text of note `edited` changed, nothing it
    /// publishes): only that note's links to site paths are checked again.
    fn same_plan(site: Arc<Site>, edited: usize, previous: &Loaded) -> Result<Loaded, Diagnostics> {
        previous
            .plan
            .check_site_links_of(&site, std::iter::once(edited), |path| {
                previous.index.contains_key(path)
            })
            .map_err(Diagnostics)?;
        Ok(Loaded::with_plan(
            site,
            previous.theme.clone(),
            previous.plan.clone(),
            previous.index.clone(),
        ))
    }

    fn with_plan(
        site: Arc<Site>,
        theme: Arc<Theme>,
        plan: Arc<Plan>,
        index: Arc<HashMap<String, Entry>>,
    ) -> Loaded {
        Loaded {
            pages: (0..plan.pages.len()).map(|_| OnceLock::new()).collect(),
            theme,
            site,
            plan,
            index,
            failed: Mutex::new(Vec::new()),
            search: OnceLock::new(),
            stale: AtomicBool::new(false),
        }
    }

    /// The n-th page of the plan, rendered on the first call.
    fn page(&self, n: usize) -> Result<Arc<Body>, Diagnostic> {
        self.pages[n]
            .get_or_init(|| {
                let rendered =
                    render::render_job(&self.site, &self.theme, &self.plan, self.plan.pages[n].0)
                        .map(|f| Arc::new(f.body));
                if let Err(e) = &rendered {
                    self.failed(std::slice::from_ref(e));
                }
                rendered.map_err(Arc::new)
            })
            .clone()
            .map_err(|e| e.as_ref().clone())
    }

    /// Keeps the errors of pages that failed to render, each once, to show over every page.
    fn failed(&self, errors: &[Diagnostic]) {
        let mut failed = self.failed.lock().unwrap_or_else(|e| e.into_inner());
        for e in errors {
            if !failed.iter().any(|f| f.to_string() == e.to_string()) {
                failed.push(e.clone());
            }
        }
    }

    fn get(&self, path: &str) -> Option<Result<Arc<Body>, Diagnostic>> {
        match self.index.get(path) {
            Some(&Entry::Page(n)) => return Some(self.page(n)),
            Some(&Entry::Copy(n)) => return Some(Ok(Arc::new(self.plan.copies[n].body.clone()))),
            None => {}
        }
        let site = &self.site;
        let languages = &self.plan.search;
        let is_index = languages
            .iter()
            .any(|&l| crate::urls::in_search_index(path, &site.config.languages[l].code));
        if !is_index {
            return None;
        }
        let files = self.search.get_or_init(|| {
            let files = Mutex::new(HashMap::new());
            let keep = |batch: &[OutputFile]| {
                let mut files = files.lock().unwrap_or_else(|e| e.into_inner());
                for f in batch {
                    files.insert(f.path.clone(), Arc::new(f.body.clone()));
                }
                Ok(())
            };
            match crate::search::index(site, languages, &keep, None) {
                Ok(_) => files.into_inner().unwrap_or_else(|e| e.into_inner()),
                // The search page says the index could not be loaded; the build names the error.
                Err(_) => HashMap::new(),
            }
        });
        files.get(path).cloned().map(Ok)
    }
}

/// The site in memory.
pub struct Preview {
    options: PreviewOptions,
    loaded: Option<Arc<Loaded>>,
    /// The problems of the last build, if it failed (the last good site is still served).
    pub error: Option<Diagnostics>,
}

/// Renders every page of one site ahead of requests, until a newer site replaces it: see
/// [`Preview::ahead`].
pub struct Ahead(Arc<Loaded>);

/// Pages rendered ahead of requests are kept for when they are asked for.
impl Sink for Loaded {
    fn put(&self, files: &[OutputFile]) -> Result<(), Diagnostic> {
        for f in files {
            if let Some(&Entry::Page(n)) = self.index.get(&f.path) {
                // A page asked for meanwhile was rendered then, from the same model.
                let _ = self.pages[n].set(Ok(Arc::new(f.body.clone())));
            }
        }
        Ok(())
    }

    fn stopped(&self) -> bool {
        self.stale.load(Ordering::Relaxed)
    }

    /// Small slices: a save stops rendering ahead within a few pages, so that the next
    /// model has the cores (a slice of 1,024 pages took a core for about 150 ms at 10,000
    /// notes).
    fn slice(&self) -> usize {
        16
    }
}

impl Ahead {
    /// Renders the site through the pipeline `build` and `check` use, on one core, leaving
    /// the others to requests and to the next change. Returns the errors of pages that
    /// failed to render, or None when a newer site stopped it first.
    pub fn run(&self) -> Option<Vec<Diagnostic>> {
        let loaded = self.0.as_ref();
        let render = || {
            crate::pipeline::render_plan(&loaded.site, &loaded.theme, &loaded.plan, loaded, false)
        };
        let result = match rayon::ThreadPoolBuilder::new().num_threads(1).build() {
            Ok(pool) => pool.install(render),
            Err(_) => render(),
        };
        if loaded.stopped() {
            return None;
        }
        let errors = result.err().unwrap_or_default();
        loaded.failed(&errors);
        Some(errors)
    }
}

impl Preview {
    /// Builds the site model and plan; on failure the preview holds the error and no site.
    pub fn new(options: PreviewOptions) -> Preview {
        Preview::new_then(options, || ())
    }

    /// [`Preview::new`], calling `read` once the site's files are read and before the model
    /// is made of them: `serve` starts watching there, for a watch set before would make an
    /// event of every file read, and one set after the model would keep the first page
    /// waiting.
    pub fn new_then(options: PreviewOptions, read: impl FnOnce()) -> Preview {
        let mut p = Preview {
            options,
            loaded: None,
            error: None,
        };
        let started = Instant::now();
        let result = p.full_then(read).map(Some);
        let _ = p.apply(Prepared {
            change: Change::Everything,
            started,
            result,
        });
        p
    }

    /// A file of the site: path under the site root, without a leading slash. A page is
    /// rendered on the first request for it; the search index on the first request for one
    /// of its files, so that saving a note waits for neither. A page the theme fails to
    /// render gives its error.
    pub fn get(&self, path: &str) -> Option<Result<Arc<Body>, Diagnostic>> {
        self.loaded.as_ref()?.get(path)
    }

    /// How many files the site has.
    pub fn count(&self) -> usize {
        self.loaded.as_ref().map_or(0, |l| l.index.len())
    }

    /// Every path of the site, sorted.
    pub fn paths(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self
            .loaded
            .as_ref()
            .map(|l| l.index.keys().map(String::as_str).collect())
            .unwrap_or_default();
        v.sort_unstable();
        v
    }

    /// The problems to show: the last build's errors, or else those of pages that failed to
    /// render.
    pub fn problems(&self) -> Option<Diagnostics> {
        if let Some(e) = &self.error {
            return Some(e.clone());
        }
        let failed = self
            .loaded
            .as_ref()?
            .failed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        (!failed.is_empty()).then_some(Diagnostics(failed))
    }

    /// Renders every page of the current site, for a thread of its own: pages are then
    /// served at once, and a page the theme fails to render is reported though no one has
    /// asked for it, as `build` would.
    pub fn ahead(&self) -> Option<Ahead> {
        self.loaded.clone().map(Ahead)
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
                .any(|c| crate::paths::is_ignored(c.as_os_str().to_str()))
            {
                continue;
            }
            let rel_text = crate::error::display_path(rel);
            if rel_text == SITE_FILE || rel_text == THEMES_DIR {
                return Change::Everything;
            }
            if let Some(theme_rel) = rel_text.strip_prefix(&format!("{THEMES_DIR}/")) {
                // A stylesheet or image of the theme needs no new site model.
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

    /// The site as the preview opens it.
    fn request(&self) -> Request {
        Request {
            root: self.options.root.clone(),
            now: self.options.now.clone(),
            base_url: Some(self.options.base_url.clone()),
            purpose: Purpose::Preview,
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
        if let Some(loaded) = &self.loaded
            && *change != Change::Nothing
        {
            // The cores go to the new site, not to pages of this one no one has asked for.
            loaded.stale.store(true, Ordering::Relaxed);
        }
        let result = match (&self.loaded, change) {
            (Some(_), Change::Nothing) => Ok(None),
            (Some(loaded), Change::Styles) => Theme::load(&loaded.site.config)
                .map_err(Diagnostics)
                .and_then(|theme| Loaded::new(loaded.site.clone(), Arc::new(theme), Some(loaded)))
                .map(Some),
            (Some(loaded), Change::Content(paths)) => self
                .request()
                .selection(&loaded.site.config)
                .and_then(|selection| update(loaded, paths, &selection))
                .map(Some),
            _ => self.full().map(Some),
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
        match result {
            Ok(Some(new)) => {
                if let Some(old) = self.loaded.replace(Arc::new(new)) {
                    old.stale.store(true, Ordering::Relaxed);
                    // Freeing a large site takes a while: not on the way to the next page.
                    std::thread::spawn(move || drop(old));
                }
            }
            Ok(None) => {}
            Err(e) => {
                self.error = Some(e.clone());
                return Err(e);
            }
        }
        self.error = None;
        Ok(Rebuilt {
            change,
            took: started.elapsed(),
        })
    }

    /// Loads everything.
    fn full(&self) -> Result<Loaded, Diagnostics> {
        self.full_then(|| ())
    }

    /// Loads everything, calling `read` once the files are read.
    fn full_then(&self, read: impl FnOnce()) -> Result<Loaded, Diagnostics> {
        let (site, theme) = self.request().open()?.load_then(read)?;
        Loaded::new(Arc::new(site), Arc::new(theme), None)
    }
}

/// A rebuild worked out by [`Preview::prepare`], not yet in place.
pub struct Prepared {
    change: Change,
    started: Instant,
    /// The new site, or None when nothing changed.
    result: Result<Option<Loaded>, Diagnostics>,
}

/// Rebuilds after changes under content/: notes not named are taken as they were, and
/// their Markdown is not rendered again unless what links resolve against changed.
fn update(
    loaded: &Loaded,
    changed: &HashSet<String>,
    selection: &Selection,
) -> Result<Loaded, Diagnostics> {
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
    // An edit of one note's text: that note's Markdown rendered again, the rest as it was.
    if let Some((site, edited)) = Site::with_edited_text(&loaded.site, &content, selection) {
        return Loaded::same_plan(Arc::new(site), edited, loaded);
    }
    let site =
        Site::new_reusing(config, content, selection, Some(&loaded.site)).map_err(Diagnostics)?;
    Loaded::new(Arc::new(site), loaded.theme.clone(), Some(loaded))
}

/// Reads a file of the site into memory, whatever its kind.
pub fn bytes_of(body: &Body, root: &Path) -> std::io::Result<Vec<u8>> {
    match body {
        Body::Bytes(b) => Ok(b.clone()),
        Body::Static(b) => Ok(b.to_vec()),
        Body::File(p) => read_inside(p, root),
        // A page of the output folder, as the last build left it (never in the preview).
        Body::Kept(p, _) => std::fs::read(p),
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
