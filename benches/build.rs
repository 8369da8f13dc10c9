//! Full builds over generated corpora: wall time, CPU time, peak memory and pages per second,
//! with and without the search index; and Hugo on the same corpus where `hugo` is installed.
//! Run with `cargo bench --bench build [-- [--check] NOTES...]` (default: 1000 10000).
//!
//! At each size, briefing without the search index, briefing with it and Hugo take turns:
//! three first builds each, each into a new, empty folder (the first column is their median:
//! how fast a file system creates files swings with what was deleted on it in the minutes
//! before), then five rebuilds each over the last of those, each rebuild after adding a
//! sentence to the newest note of its own copy of the corpus, as a writer rebuilds. Taking
//! turns puts each tool's runs in the same conditions, and each run starts once what the run
//! before wrote is on disk (`sync`). `BRIEFING_BENCH_SEARCH=0` leaves the search index out.
//!
//! Pages are counted on disk (every `.html` file a first build wrote), not taken from the
//! program's report. Briefing's count must equal what its summary says, and each rebuild's
//! page must show the sentence added before it. With Hugo, both must publish the same
//! briefing, tag and project pages. These are the targets `--check` judges; the others are
//! times.
//!
//! The corpora come from `../shared/bench/gen_corpus.py` (or `BRIEFING_CORPUS_SCRIPT`).

#![allow(clippy::print_stdout)] // a benchmark reports on stdout

#[path = "common/corpus.rs"]
mod corpus;
#[path = "common/targets.rs"]
mod targets;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use targets::{Targets, copy_tree, median};

const RUNS: usize = 5;

/// First builds, each into a new folder.
const FIRSTS: usize = 3;

/// One of the builds that take turns: a tool over its copy of the corpus.
struct Contender {
    name: &'static str,
    /// The site's folder, where the command runs.
    site: PathBuf,
    /// The note edited before each rebuild.
    newest: PathBuf,
    /// The name of its output folders, `-1`, `-2`… added.
    output: &'static str,
    hugo: bool,
    firsts: Vec<Duration>,
    first_peak: i64,
    /// What the last first build printed.
    first_said: String,
    walls: Vec<Duration>,
    cpus: Vec<Duration>,
    peak: i64,
    index: Vec<Duration>,
    /// Rebuilds whose page showed the sentence added before them.
    edits_shown: usize,
}

impl Contender {
    fn new(name: &'static str, site: PathBuf, output: &'static str, hugo: bool) -> Contender {
        let newest = newest_note(&site);
        Contender {
            name,
            site,
            newest,
            output,
            hugo,
            firsts: Vec::new(),
            first_peak: 0,
            first_said: String::new(),
            walls: Vec::new(),
            cpus: Vec::new(),
            peak: 0,
            index: Vec::new(),
            edits_shown: 0,
        }
    }

    fn command(&self, out: &str) -> Command {
        let mut c = if self.hugo {
            let mut c = Command::new("hugo");
            c.args(["--quiet", "--destination", out]);
            c
        } else {
            let mut c = Command::new(env!("CARGO_BIN_EXE_briefing"));
            c.args(["build", "--output", out]);
            c
        };
        c.current_dir(&self.site);
        c
    }

    fn folder(&self, k: usize) -> PathBuf {
        self.site.join(format!("{}-{k}", self.output))
    }

    fn first_build(&mut self, k: usize) {
        let out = format!("{}-{k}", self.output);
        let (wall, _, peak, said) = measure(&mut self.command(&out));
        self.firsts.push(wall);
        self.first_peak = self.first_peak.max(peak);
        self.first_said = said;
    }

    /// A sentence added to the newest note, then a rebuild over the last first build.
    fn rebuild(&mut self, run: usize) {
        let sentence = format!("A sentence added before rebuild {run}.");
        let text = std::fs::read_to_string(&self.newest).unwrap();
        std::fs::write(&self.newest, format!("{text}\n{sentence}\n")).unwrap();
        let out = format!("{}-{FIRSTS}", self.output);
        let (wall, cpu, rss, said) = measure(&mut self.command(&out));
        self.walls.push(wall);
        self.cpus.push(cpu);
        self.peak = self.peak.max(rss).max(self.first_peak);
        if let Some(s) = number_after(&said, "search index ") {
            self.index.push(Duration::from_secs_f64(s));
        }
        let slug = self.newest.parent().unwrap().file_name().unwrap();
        let page = self
            .folder(FIRSTS)
            .join("en/briefings")
            .join(slug)
            .join("index.html");
        if std::fs::read_to_string(&page).is_ok_and(|html| html.contains(&sentence)) {
            self.edits_shown += 1;
        }
    }

    fn first(&self) -> Duration {
        median(&mut self.firsts.clone())
    }

    fn median(&self) -> Duration {
        median(&mut self.walls.clone())
    }

    /// The pages of the first builds' last folder, counted on disk.
    fn pages(&self) -> BTreeSet<String> {
        html_files(&self.folder(FIRSTS))
    }
}

fn main() {
    let mut targets = Targets::from_args();
    let sizes = targets::sizes(&[1000, 10000]);
    let hugo = Command::new("hugo")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success());
    let search_runs = std::env::var("BRIEFING_BENCH_SEARCH").map_or(true, |v| v != "0");
    println!(
        "briefing{} take turns: {FIRSTS} first builds each, each into a new folder (their median), then {RUNS} rebuilds each, each after an edit of the newest note; pages counted on disk",
        match (search_runs, hugo) {
            (true, true) => " without and with search, and Hugo,",
            (true, false) => " without and with search",
            (false, true) => " and Hugo",
            (false, false) => "'s builds",
        }
    );
    println!(
        "{:>6} {:>7} {:>9} {:>9} {:>9} {:>9} {:>10} {:>9} {:>9} {:>8}",
        "notes", "build", "first", "median", "min", "cpu", "peak MiB", "pages/s", "index", "pages"
    );
    let mut races: Vec<Race> = Vec::new();
    // Each size's corpus and outputs stay until the end: deleting them would slow the file
    // creations of the next size's first builds.
    let mut done = Vec::new();
    for &n in &sizes {
        let dir = tempfile::tempdir().expect("temp dir");
        corpus::generate(
            n,
            if hugo { "all" } else { "ours" },
            &dir.path().join("corpus"),
        );
        let ours = if hugo {
            dir.path().join("corpus/ours")
        } else {
            dir.path().join("corpus")
        };
        let yaml = std::fs::read_to_string(ours.join("site.yaml")).unwrap();
        std::fs::write(ours.join("site.yaml"), format!("{yaml}search: false\n")).unwrap();
        let mut contenders = vec![Contender::new("plain", ours.clone(), "output", false)];
        if search_runs {
            // A copy of its own, so that each mode's rebuilds follow only its own edits.
            let searching = dir.path().join("searching");
            copy_tree(&ours, &searching);
            std::fs::write(searching.join("site.yaml"), format!("{yaml}search: true\n")).unwrap();
            contenders.push(Contender::new("search", searching, "output", false));
        }
        if hugo {
            contenders.push(Contender::new(
                "hugo",
                dir.path().join("corpus/hugo"),
                "public",
                true,
            ));
        }
        for k in 1..=FIRSTS {
            for c in &mut contenders {
                c.first_build(k);
            }
        }
        for run in 0..RUNS {
            for c in &mut contenders {
                c.rebuild(run);
            }
        }
        for c in &contenders {
            print_row(n, c);
        }
        for c in contenders.iter().filter(|c| !c.hugo) {
            judge_pages(&mut targets, n, c);
        }
        let hugo_run = hugo.then(|| contenders.pop().unwrap());
        let search = search_runs.then(|| contenders.pop().unwrap());
        let plain = contenders.pop().unwrap();
        if let Some(m) = &search {
            let first = m.first().as_secs_f64() / plain.first().as_secs_f64();
            let edit = m.median().as_secs_f64() / plain.median().as_secs_f64();
            println!(
                "{n:>6} {:>7} with search a first build takes {first:.1}× one without (indexing {:.2} s): {}; a rebuild after an edit {edit:.1}× (indexing {:.2} s): {} (target: at most 1.5×)",
                "",
                number_after(&m.first_said, "search index ").unwrap_or_default(),
                targets.timing(first <= 1.5),
                median(&mut m.index.clone()).as_secs_f64(),
                targets.timing(edit <= 1.5),
            );
        }
        if let Some(h) = &hugo_run {
            race_hugo(&mut targets, n, &plain, h);
        }
        races.push((n, plain, search, hugo_run));
        done.push(dir);
    }
    report_targets(&targets, &races);
    targets.finish();
}

/// Briefing's pages on disk against its own summary, and every edit shown by its rebuild.
fn judge_pages(targets: &mut Targets, n: usize, c: &Contender) {
    let on_disk = c.pages().len();
    let said = number_after(&c.first_said, "Built ").unwrap_or(-1.0) as i64;
    println!(
        "{n:>6} {:>7} {on_disk} pages on disk, the summary says {said}: {}; {} of {RUNS} rebuilds showed their edit: {}",
        c.name,
        targets.judge(
            &format!("{n} notes {}: pages on disk equal the summary", c.name),
            on_disk as i64 == said
        ),
        c.edits_shown,
        targets.judge(
            &format!("{n} notes {}: every rebuild shows its edit", c.name),
            c.edits_shown == RUNS
        ),
    );
}

/// Briefing against Hugo on the same page set: the same briefing, tag and project pages.
fn race_hugo(targets: &mut Targets, n: usize, ours: &Contender, hugo: &Contender) {
    let shared = |pages: BTreeSet<String>| -> BTreeSet<String> {
        pages
            .into_iter()
            .filter(|p| {
                let parts: Vec<&str> = p.split('/').collect();
                // `<lang>/<briefings|tags|projects>/<name>/index.html`
                parts.len() == 4 && ["briefings", "tags", "projects"].contains(&parts[1])
            })
            .collect()
    };
    let (a, b) = (shared(ours.pages()), shared(hugo.pages()));
    let same = a == b;
    println!(
        "{n:>6} {:>7} briefing, tag and project pages on disk: briefing {}, Hugo {}, the same pages: {}; briefing takes {:.1}% of Hugo's time for a rebuild (first build {:.1}%) and {:.1}% of its peak memory",
        "",
        a.len(),
        b.len(),
        targets.judge(&format!("{n} notes: the same pages as Hugo"), same),
        100.0 * ours.median().as_secs_f64() / hugo.median().as_secs_f64(),
        100.0 * ours.first().as_secs_f64() / hugo.first().as_secs_f64(),
        100.0 * ours.peak as f64 / hugo.peak as f64,
    );
    if !same {
        let only: Vec<&String> = a.symmetric_difference(&b).take(5).collect();
        println!("{n:>6} {:>7} in one only: {only:?}", "");
    }
}

fn print_row(n: usize, m: &Contender) {
    let s = |d: Duration| format!("{:.2} s", d.as_secs_f64());
    let pages = m.pages().len();
    println!(
        "{:>6} {:>7} {:>9} {:>9} {:>9} {:>9} {:>10.0} {:>9.0} {:>9} {:>8}",
        n,
        m.name,
        s(m.first()),
        s(m.median()),
        s(*m.walls.iter().min().unwrap()),
        s(median(&mut m.cpus.clone())),
        m.peak as f64 / 1024.0,
        pages as f64 / m.median().as_secs_f64(),
        if m.index.is_empty() {
            "-".into()
        } else {
            s(median(&mut m.index.clone()))
        },
        pages
    );
    let firsts: Vec<String> = m.firsts.iter().map(|&d| s(d)).collect();
    println!("{n:>6} {:>7} first builds: {}", m.name, firsts.join(", "));
}

/// The targets of the speed work, met or not, from the smallest and the largest corpus.
/// One size's builds: without search, with search, Hugo's.
type Race = (usize, Contender, Option<Contender>, Option<Contender>);

fn report_targets(targets: &Targets, races: &[Race]) {
    if let (Some((n1, small, _, _)), Some((n2, large, search, hugo))) =
        (races.first(), races.last())
        && n2 > n1
    {
        let notes = *n2 as f64 / *n1 as f64;
        let time = large.median().as_secs_f64() / small.median().as_secs_f64();
        let memory = large.peak as f64 / small.peak as f64;
        let limit = notes * 1.1;
        println!(
            "growth {n1} → {n2} notes ({notes:.0}×): time {time:.1}×, memory {memory:.1}× (target: at most {limit:.0}×): {}",
            targets.timing(time <= limit && memory <= limit)
        );
        if let Some(hugo) = hugo {
            let t = large.median().as_secs_f64() / hugo.median().as_secs_f64();
            let first = large.first().as_secs_f64() / hugo.first().as_secs_f64();
            let m = large.peak as f64 / hugo.peak as f64;
            println!(
                "at {n2} notes: a rebuild {:.1}% of Hugo's time (target: at most 2%): {}; a first build {:.1}% (target: at most 10%): {}; {:.1}% of its peak memory (target: at most 25%): {}",
                100.0 * t,
                targets.timing(t <= 0.02),
                100.0 * first,
                targets.timing(first <= 0.10),
                100.0 * m,
                targets.timing(m <= 0.25)
            );
            if let Some(search) = search {
                let t = search.median().as_secs_f64() / hugo.median().as_secs_f64();
                println!(
                    "at {n2} notes: a rebuild with search {:.1}% of Hugo's time (target: at most 3%): {}",
                    100.0 * t,
                    targets.timing(t <= 0.03),
                );
            }
        }
    }
}

/// The newest note's English file: names start with the note's date.
fn newest_note(site: &Path) -> PathBuf {
    let mut notes: Vec<PathBuf> = std::fs::read_dir(site.join("content/briefings"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .map(|p| p.join("index.en.md"))
        .collect();
    notes.sort();
    notes.pop().expect("a note")
}

/// Every `.html` file under `dir`, as a path relative to it.
fn html_files(dir: &Path) -> BTreeSet<String> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "html"))
        .map(|e| {
            e.path()
                .strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect()
}

/// Runs a command: (wall time, CPU time, peak resident KiB, stdout). CPU time and the peak are
/// the kernel's accounting for this child alone (wait4).
#[allow(clippy::zombie_processes)] // the child is reaped by wait4, which clippy does not see
fn measure(cmd: &mut Command) -> (Duration, Duration, i64, String) {
    use std::io::Read;
    use std::os::unix::process::ExitStatusExt;
    // What the run before wrote is on disk first, as hyperfine's `--prepare sync` does: a
    // run is not timed with the previous one's writeback (Hugo rewrites every file at each
    // build, which the next run paid for).
    unsafe { libc::sync() };
    let started = Instant::now();
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run the build");
    let mut err_pipe = child.stderr.take().unwrap();
    let errors = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err_pipe.read_to_string(&mut s);
        s
    });
    let mut stdout = String::new();
    let _ = child.stdout.take().unwrap().read_to_string(&mut stdout);
    let mut status = 0;
    // SAFETY: wait4 reaps our own child and fills the two values it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut usage) };
    let wall = started.elapsed();
    let stderr = errors.join().unwrap_or_default();
    assert!(
        std::process::ExitStatus::from_raw(status).success(),
        "{stderr}"
    );
    let t = |tv: libc::timeval| {
        Duration::from_secs(tv.tv_sec as u64) + Duration::from_micros(tv.tv_usec as u64)
    };
    (
        wall,
        t(usage.ru_utime) + t(usage.ru_stime),
        usage.ru_maxrss,
        stdout,
    )
}

fn number_after(text: &str, marker: &str) -> Option<f64> {
    let rest = &text[text.find(marker)? + marker.len()..];
    let end = rest
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(rest.len());
    rest[..end].parse().ok()
}
