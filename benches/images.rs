//! Photos in a build: what they cost the first time, what they cost a rebuild, and what a
//! reader downloads. Run with `cargo bench --bench images [-- NOTES]` (default 100).
//!
//! The corpus comes from `../shared/bench/gen_corpus.py` (or `BRIEFING_CORPUS_SCRIPT`); each
//! note gets one 3000×2000 JPEG photo of its own (different pixels, so that the cache cannot
//! share work between notes), shown in the text of both language versions. The same corpus
//! without the photos is the baseline. Each is built once into an empty folder with an
//! empty image cache, then rebuilt three times over its own output, each time after adding a
//! sentence to the newest note, as a writer rebuilds.
//!
//! Then one note with a 5 MB photo: the bytes the site publishes for it, and the bytes a
//! reader's browser fetches to show it, against what the site did before photos were
//! prepared (the photo copied into each language's folder and shown as it is).

#![allow(clippy::print_stdout)] // a benchmark reports on stdout

#[path = "common/corpus.rs"]
mod corpus;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use image::codecs::jpeg::JpegEncoder;
use image::{ImageEncoder, Rgb, RgbImage};

const REBUILDS: usize = 3;

fn main() {
    let notes: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(100);
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
    println!(
        "first build: {:.2} s without photos, {:.2} s with ({} images processed): {:.0} ms a photo ({:.0} ms of CPU on one core, {} cores here)",
        without.first.as_secs_f64(),
        with.first.as_secs_f64(),
        with.first_processed,
        per_photo.as_secs_f64() * 1e3,
        per_photo.as_secs_f64() * 1e3 * cores() as f64,
        cores()
    );
    println!(
        "rebuild after an edit (median of {REBUILDS}): {:.2} s without photos, {:.2} s with; images processed in the rebuilds: {}",
        without.rebuild.as_secs_f64(),
        with.rebuild.as_secs_f64(),
        with.rebuild_processed
    );
    println!(
        "rebuild spends no time on images: {}",
        if with.rebuild_processed == 0 {
            "met (nothing decoded or resized)"
        } else {
            "NOT MET"
        }
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
    let size = |name: &str| {
        std::fs::metadata(out.join(&rel).join(name))
            .map(|m| m.len())
            .unwrap_or(0)
    };
    let mb = |b: u64| b as f64 / 1e6;
    println!(
        "a note with a {:.1} MB 4000×3000 photo: published {:.1} MB before (once per language), {:.1} MB now (the original once, and its copies); a reader fetched {:.2} MB before, now {:.2} MB on a laptop (960w WebP) and {:.2} MB on a phone (480w WebP); the shared card is {:.2} MB (1600w JPEG)",
        mb(heavy.len() as u64),
        mb(2 * heavy.len() as u64),
        mb(published),
        mb(heavy.len() as u64),
        mb(size("photo.960w.webp")),
        mb(size("photo.480w.webp")),
        mb(size("photo.1600w.jpg")),
    );
}

struct Builds {
    first: Duration,
    first_processed: usize,
    rebuild: Duration,
    rebuild_processed: usize,
}

/// A first build with an empty image cache, then rebuilds after edits.
fn builds(site: &Path) -> Builds {
    let _ = std::fs::remove_dir_all(site.join(".briefing-cache"));
    let out = site.join("output");
    let _ = std::fs::remove_dir_all(&out);
    let (first, first_processed) = run(site, &out);
    let newest = note_folders(site).pop().unwrap().join("index.en.md");
    let mut times = Vec::new();
    let mut rebuild_processed = 0;
    for n in 0..REBUILDS {
        let text = std::fs::read_to_string(&newest).unwrap();
        std::fs::write(&newest, format!("{text}\nOne more sentence, number {n}.\n")).unwrap();
        let (took, processed) = run(site, &out);
        times.push(took);
        rebuild_processed += processed;
    }
    times.sort();
    Builds {
        first,
        first_processed,
        rebuild: times[times.len() / 2],
        rebuild_processed,
    }
}

/// One build: how long it took, and how many images it processed (from its summary).
fn run(site: &Path, out: &Path) -> (Duration, usize) {
    let started = Instant::now();
    let result = Command::new(env!("CARGO_BIN_EXE_briefing"))
        .args(["build", "--root"])
        .arg(site)
        .arg("--output")
        .arg(out)
        .output()
        .expect("run briefing");
    let took = started.elapsed();
    let said = String::from_utf8_lossy(&result.stdout);
    assert!(
        result.status.success(),
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
    (took, processed)
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

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}
