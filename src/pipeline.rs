//! The one run from a site model to its files, shared by `build` (into the staging folder),
//! `check` (into nothing) and `serve` (into memory, ahead of requests): the same plan, the
//! same collision checks, the same rendering and the same search index, so that whatever
//! stops one stops the others, with the same message.

use crate::error::Diagnostic;
use crate::memory::Memory;
use crate::output::{Body, OutputFile};
use crate::plan::{Job, Plan, Stage};
use crate::render;
use crate::search::{self, SearchReport};
use crate::site::Site;
use crate::theme::Theme;

/// Where a run puts the files it makes, a slice at a time, from any thread.
pub trait Sink: Sync {
    fn put(&self, files: &[OutputFile]) -> Result<(), Diagnostic>;

    /// Whether the files are no longer wanted (a newer site replaced the one being
    /// rendered): the run stops before its next slice.
    fn stopped(&self) -> bool {
        false
    }

    /// How many pages are rendered before they are handed over (and [`Sink::stopped`] is
    /// asked again).
    fn slice(&self) -> usize {
        SLICE
    }

    /// What the last build into the same place remembered: pages whose template would be
    /// given the same values are kept rather than rendered again.
    fn memory(&self) -> Option<&Memory> {
        None
    }
}

/// Keeps nothing: `check` makes every file to find its errors, and lets it go.
pub struct Discard;

impl Sink for Discard {
    fn put(&self, _files: &[OutputFile]) -> Result<(), Diagnostic> {
        Ok(())
    }
}

/// The SHA-256 (hexadecimal) and size of each file a run made, by path.
pub type FileHashes = std::collections::HashMap<String, (String, u64)>;

/// Hashes every file on its way to another sink (`deploy`: the output folder is not read
/// again to learn what to send; `status TARGET`: into [`Discard`]).
pub struct Hashing<'a> {
    inner: &'a dyn Sink,
    hashes: std::sync::Mutex<FileHashes>,
}

impl<'a> Hashing<'a> {
    pub fn new(inner: &'a dyn Sink) -> Self {
        Hashing {
            inner,
            hashes: Default::default(),
        }
    }

    /// What passed through.
    pub fn into_hashes(self) -> FileHashes {
        self.hashes.into_inner().unwrap_or_else(|e| e.into_inner())
    }
}

impl Sink for Hashing<'_> {
    fn put(&self, files: &[OutputFile]) -> Result<(), Diagnostic> {
        use rayon::prelude::*;
        let hashed: Vec<(String, (String, u64))> = files
            .par_iter()
            .map(|f| {
                let (hash, size) = f.body.sha256()?;
                Ok((f.path.clone(), (hash, size)))
            })
            .collect::<Result<_, Diagnostic>>()?;
        self.inner.put(files)?;
        self.hashes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend(hashed);
        Ok(())
    }

    fn stopped(&self) -> bool {
        self.inner.stopped()
    }

    fn slice(&self) -> usize {
        self.inner.slice()
    }

    fn memory(&self) -> Option<&Memory> {
        self.inner.memory()
    }
}

impl Sink for crate::output::Staging {
    fn put(&self, files: &[OutputFile]) -> Result<(), Diagnostic> {
        self.write(files)
    }

    fn memory(&self) -> Option<&Memory> {
        Some(self.memory())
    }
}

/// What a run made.
pub struct Made {
    /// Every page and file of the site, the search index's included, by path, with the
    /// stage in which it may go live on a web host.
    pub paths: Vec<(String, Stage)>,
    pub search: Option<SearchReport>,
    /// The pages kept as the last build left them, not rendered again.
    pub kept: usize,
}

/// What rendering a plan gave, besides its files.
pub struct Ran {
    pub search: Option<SearchReport>,
    /// The search index's files.
    pub index_files: Vec<String>,
    /// The pages kept as the last build left them.
    pub kept: usize,
}

/// How many files are rendered before they are handed to the sink: the whole site is never
/// held in memory.
const SLICE: usize = 1024;

/// Plans, checks, renders and indexes the site into `sink`: every error at once, or what
/// was made.
pub fn run(site: &Site, theme: &Theme, sink: &dyn Sink) -> Result<Made, Vec<Diagnostic>> {
    let plan = Plan::new(site, theme)?;
    let ran = render_plan(site, theme, &plan, sink, true);
    // A text read again from a file that changed meanwhile: the run made nothing it can give.
    let changed = site.changed_while_read();
    let Ran {
        search,
        index_files,
        kept,
    } = match ran {
        Ok(_) if !changed.is_empty() => return Err(changed),
        Err(mut errors) => {
            errors.extend(changed);
            return Err(errors);
        }
        Ok(ran) => ran,
    };
    let Plan { pages, copies, .. } = plan;
    let paths = pages
        .into_iter()
        .map(|(job, p)| (p, job.stage()))
        .chain(copies.into_iter().map(|c| (c.path, Stage::Asset)))
        .chain(index_files.into_iter().map(|p| (p, Stage::SEARCH_INDEX)))
        .collect();
    Ok(Made {
        paths,
        search,
        kept,
    })
}

/// Renders every page of a checked plan into `sink`, then its copied files, and builds the
/// plan's search indexes beside them when `with_search` is set (the preview builds them when
/// they are first asked for): every error at once, or the index's report and its files.
pub fn render_plan(
    site: &Site,
    theme: &Theme,
    plan: &Plan,
    sink: &dyn Sink,
    with_search: bool,
) -> Result<Ran, Vec<Diagnostic>> {
    let mut errors = Vec::new();
    let mut kept = 0;

    // The search index is built from the site model beside the rendering, on the cores
    // rendering leaves idle while a slice is handed over.
    let index_files = std::sync::Mutex::new(Vec::new());
    let put = |files: &[OutputFile]| {
        index_files
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend(files.iter().map(|f| f.path.clone()));
        sink.put(files)
    };
    let (rendering, index) = rayon::join(
        || {
            let mut errors = Vec::new();
            // Each slice is handed to the sink while the next one renders: writing a file
            // waits on the kernel, rendering keeps the cores busy meanwhile.
            let mut rendered: Vec<OutputFile> = Vec::new();
            for slice in plan.pages.chunks(sink.slice()) {
                if sink.stopped() {
                    return errors;
                }
                let jobs: Vec<Job> = slice.iter().map(|(j, _)| *j).collect();
                let (next, put) = rayon::join(
                    || render::render_jobs(site, theme, plan, sink.memory(), &jobs),
                    || {
                        if rendered.is_empty() || !errors.is_empty() {
                            Ok(())
                        } else {
                            sink.put(&rendered)
                        }
                    },
                );
                if let Err(e) = put {
                    errors.push(e);
                }
                rendered = Vec::with_capacity(next.len());
                for result in next {
                    match result {
                        Ok(f) => {
                            kept += usize::from(matches!(f.body, Body::Kept(..)));
                            rendered.push(f);
                        }
                        Err(e) => errors.push(e),
                    }
                }
            }
            if errors.is_empty()
                && !rendered.is_empty()
                && let Err(e) = sink.put(&rendered)
            {
                errors.push(e);
            }
            errors
        },
        || {
            (with_search && !plan.search.is_empty())
                .then(|| search::index(site, &plan.search, &put, sink.memory()))
        },
    );
    errors.extend(rendering);
    let search = match index {
        Some(Ok(indexed)) => Some(indexed.report),
        Some(Err(e)) => {
            errors.push(e);
            None
        }
        None => None,
    };
    if errors.is_empty()
        && let Err(e) = sink.put(&plan.copies)
    {
        errors.push(e);
    }
    if errors.is_empty() {
        Ok(Ran {
            search,
            index_files: index_files.into_inner().unwrap_or_else(|e| e.into_inner()),
            kept,
        })
    } else {
        Err(errors)
    }
}
