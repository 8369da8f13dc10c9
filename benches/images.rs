//! Photos in a build: what they cost the first time, what they cost a rebuild, and what a
//! reader downloads. Run with `cargo bench --bench images [-- [--check] NOTES]` (default 100).
//!
//! The corpus comes from `../shared/bench/gen_corpus.py` (or `BRIEFING_CORPUS_SCRIPT`); each
//! note gets one 3000×2000 JPEG photo of its own (different pixels, so that the cache cannot
//! share work between notes), shown in the text of both language versions. The same corpus
//! without the photos is the baseline. Each is built once into an empty folder with an
//! empty image cache, then rebuilt three times over its own output, each time after adding a
//! sentence to the newest note, as a writer rebuilds.
//!
//! CPU time is the kernel's count for the builds (user and system, every core), not wall
//! time. The targets `--check` judges: the first build with photos processed them (its
//! summary says how many, and every note's folder holds resized WebP copies), and the
//! rebuilds processed none (their summaries say none, and not one copy was rewritten).
//!
//! Then one note with a 5 MB photo: the bytes the site publishes for it, as on disk, and the
//! copies its page offers the browser, which takes one by the width of the screen.

#![allow(clippy::print_stdout)] // a benchmark reports on stdout

#[path = "common/corpus.rs"]
mod corpus;
#[path = "common/targets.rs"]
mod targets;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use image::codecs::jpeg::JpegEncoder;
use image::{ImageEncoder, Rgb, RgbImage};
use targets::{Targets, copy_tree, median};

const REBUILDS: usize = 3;

fn main() {
    let mut targets = Targets::from_args();
    let notes = targets::sizes(&[100])[0];
    let dir = tempfile::tempdir().expect("temp dir");
    let plain = dir.path().join("plain");
    corpus::generate(notes, "ours", &plain);
    let photos = dir.path().join("photos");
    copy_tree(&plain, &photos);
    let folders = note_folders(&photos);
    let started = Instant::now();
    let mut photo_bytes = 0;
    for (n, folder) in folders.iter().enumerate() {
        let jpeg = photo(3000, 2000, n as u32, 30, 90);
        photo_bytes += jpeg.len();
        std::fs::write(folder.join("photo.jpg"), jpeg).unwrap();
        for lang in ["en", "zh"] {
            let file = folder.join(format!("index.{lang}.md"));
            let text = std::fs::read_to_string(&file).unwrap();
            std::fs::write(&file, format!("{text}\n![The event](photo.jpg)\n")).unwrap();
        }
    }
    println!(
        "{notes} notes, each with a 3000×2000 photo (mean {:.1} MB; made in {:.0} s)",
        photo_bytes as f64 / notes as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );

    let without = builds(&plain);
    let with = builds(&photos);
    let per_photo = with.first.saturating_sub(without.first) / notes as u32;
    let cpu_per_photo = with.first_cpu.saturating_sub(without.first_cpu) / notes as u32;
    println!(
        "first build: {:.2} s without photos, {:.2} s with ({} images processed): {:.0} ms a photo, {:.0} ms of CPU a photo (all cores, {} here)",
        without.first.as_secs_f64(),
        with.first.as_secs_f64(),
        with.first_processed,
        per_photo.as_secs_f64() * 1e3,
        cpu_per_photo.as_secs_f64() * 1e3,
        cores()
    );
    let copied = folders_with_copies(&photos);
    println!(
        "the first build processed photos: its summary says {}, {copied} of {notes} notes' folders hold resized WebP copies: {}",
        with.first_processed,
        targets.judge(
            "the first build processes every photo",
            with.first_processed > 0 && copied == notes
        )
    );
    println!(
        "rebuild after an edit (median of {REBUILDS}): {:.2} s without photos, {:.2} s with",
        without.rebuild.as_secs_f64(),
        with.rebuild.as_secs_f64(),
    );
    println!(
        "a rebuild spends no time on images: its summaries say {} processed, {} copies rewritten: {}",
        with.rebuild_processed,
        with.rewritten,
        targets.judge(
            "a rebuild processes no image",
            with.rebuild_processed == 0 && with.rewritten == 0
        )
    );

    // One note with a 5 MB photo.
    let heavy = photo(4000, 3000, 7, 34, 92);
    let folder = &folders[0];
    std::fs::write(folder.join("photo.jpg"), &heavy).unwrap();
    let out = photos.join("output");
    run(&photos, &out);
    let rel = folder
        .strip_prefix(photos.join("content"))
        .unwrap()
        .to_string_lossy()
        .to_string();
    let published: u64 = std::fs::read_dir(out.join(&rel))
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_name().to_string_lossy().starts_with("photo."))
        .map(|e| e.metadata().unwrap().len())
        .sum();
    let mb = |b: u64| b as f64 / 1e6;
    // The copies the English page offers in its WebP srcset, with their sizes on disk.
    let lang = rel.replacen("briefings", "en/briefings", 1);
    let page = std::fs::read_to_string(out.join(&lang).join("index.html")).unwrap();
    let offered: Vec<String> = page
        .split("type=\"image/webp\" srcset=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_default()
        .split(", ")
        .filter_map(|candidate| {
            let (url, width) = candidate.split_once(' ')?;
            let name = url.rsplit('/').next()?;
            let size = std::fs::metadata(out.join(&rel).join(name)).ok()?.len();
            Some(format!("{width} {:.2} MB", mb(size)))
        })
        .collect();
    println!(
        "a note with a {:.1} MB 4000×3000 photo: {:.1} MB published for it (the original once, and its copies); its page offers {}",
        mb(heavy.len() as u64),
        mb(published),
        if offered.is_empty() {
            "no WebP copy".to_string()
        } else {
            offered.join(", ")
        }
    );
    targets.finish();
}

struct Builds {
    first: Duration,
    first_cpu: Duration,
    first_processed: usize,
    rebuild: Duration,
    rebuild_processed: usize,
    /// Resized copies whose modification time changed in the rebuilds.
    rewritten: usize,
}

/// A first build with an empty image cache, then rebuilds after edits.
fn builds(site: &Path) -> Builds {
    let _ = std::fs::remove_dir_all(site.join(".briefing-cache"));
    let out = site.join("output");
    let _ = std::fs::remove_dir_all(&out);
    let (first, first_cpu, first_processed) = run(site, &out);
    let copies = copy_times(&out);
    let newest = note_folders(site).pop().unwrap().join("index.en.md");
    let mut times = Vec::new();
    let mut rebuild_processed = 0;
    for n in 0..REBUILDS {
        let text = std::fs::read_to_string(&newest).unwrap();
        std::fs::write(&newest, format!("{text}\nOne more sentence, number {n}.\n")).unwrap();
        let (took, _, processed) = run(site, &out);
        times.push(took);
        rebuild_processed += processed;
    }
    let after = copy_times(&out);
    Builds {
        first,
        first_cpu,
        first_processed,
        rebuild: median(&mut times),
        rebuild_processed,
        rewritten: after
            .iter()
            .filter(|(path, time)| copies.get(*path) != Some(*time))
            .count(),
    }
}

/// The resized copies of the output (`photo.480w.webp`…) with their modification times.
fn copy_times(out: &Path) -> std::collections::HashMap<PathBuf, std::time::SystemTime> {
    walkdir::WalkDir::new(out)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| is_copy(e.path()))
        .map(|e| {
            (
                e.path().to_path_buf(),
                e.metadata().unwrap().modified().unwrap(),
            )
        })
        .collect()
}

fn is_copy(path: &Path) -> bool {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    name.starts_with("photo.") && name.contains("w.")
}

/// How many notes' folders in the output hold a resized WebP copy of their photo.
fn folders_with_copies(site: &Path) -> usize {
    let out = site.join("output/briefings");
    std::fs::read_dir(&out)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter(|e| {
                    std::fs::read_dir(e.path()).is_ok_and(|files| {
                        files.filter_map(Result::ok).any(|f| {
                            is_copy(&f.path()) && f.path().extension().is_some_and(|x| x == "webp")
                        })
                    })
                })
                .count()
        })
        .unwrap_or(0)
}

/// One build: its wall time, its CPU time (user and system, all threads) and how many images
/// it processed (from its summary, which leaves the count out when it is none).
fn run(site: &Path, out: &Path) -> (Duration, Duration, usize) {
    let before = children_cpu();
    let started = Instant::now();
    let result = Command::new(env!("CARGO_BIN_EXE_briefing"))
        .args(["build", "--root"])
        .arg(site)
        .arg("--output")
        .arg(out)
        .output()
        .expect("run briefing");
    let took = started.elapsed();
    let cpu = children_cpu().saturating_sub(before);
    let said = String::from_utf8_lossy(&result.stdout);
    assert!(
        result.status.success() && said.contains("Built "),
        "{said}{}",
        String::from_utf8_lossy(&result.stderr)
    );
    let processed = said
        .split(", ")
        .find_map(|part| {
            part.strip_suffix(" images processed")
                .or(part.strip_suffix(" image processed"))
        })
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    (took, cpu, processed)
}

/// The CPU time of this process's children that have ended, as the kernel counts it.
fn children_cpu() -> Duration {
    // SAFETY: getrusage fills the struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) };
    let t = |tv: libc::timeval| {
        Duration::from_secs(tv.tv_sec as u64) + Duration::from_micros(tv.tv_usec as u64)
    };
    t(usage.ru_utime) + t(usage.ru_stime)
}

/// A photo-like picture: light from one corner, and detail at every scale (grain, texture,
/// shapes), so that its copies keep detail as a photo's do; `seed` makes each one different
/// and `grain` sets how much detail there is.
fn photo(width: u32, height: u32, seed: u32, grain: u32, quality: u8) -> Vec<u8> {
    let hash = |x: u32, y: u32, salt: u32| {
        (x.wrapping_mul(374_761_393)
            ^ y.wrapping_mul(668_265_263)
            ^ seed.wrapping_mul(2_246_822_519)
            ^ salt.wrapping_mul(3_266_489_917))
        .wrapping_mul(2_654_435_761)
            >> 24
    };
    let image = RgbImage::from_fn(width, height, |x, y| {
        // Fine grain, texture of 6 pixels, patches of 40 and shapes of 250.
        let detail = hash(x, y, 1) % grain.max(1)
            + hash(x / 6, y / 6, 2) % grain.max(1)
            + hash(x / 40, y / 40, 3) % (2 * grain.max(1))
            + hash(x / 250, y / 250, 4) % 60;
        let r = (x * 120 / width + detail).min(255) as u8;
        let g = (y * 100 / height + detail * 3 / 4 + 20).min(255) as u8;
        let b = (150 - (x + y) * 100 / (width + height) + detail / 2).min(255) as u8;
        Rgb([r, g, b])
    });
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, quality)
        .write_image(
            image.as_raw(),
            width,
            height,
            image::ExtendedColorType::Rgb8,
        )
        .unwrap();
    out
}

/// The notes' folders, in name order (the newest note's last: names start with its date).
fn note_folders(site: &Path) -> Vec<PathBuf> {
    let mut folders: Vec<PathBuf> = std::fs::read_dir(site.join("content/briefings"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    folders.sort();
    folders
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}
