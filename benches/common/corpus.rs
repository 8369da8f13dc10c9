//! The generated corpora of the benchmarks: `../shared/bench/gen_corpus.py`, or the script
//! `BRIEFING_CORPUS_SCRIPT` names.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Writes a corpus of `notes` bilingual notes in `format` (`ours`, `all`…) to `out`.
pub fn generate(notes: usize, format: &str, out: &Path) {
    let script = std::env::var_os("BRIEFING_CORPUS_SCRIPT")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/bench/gen_corpus.py")
        });
    assert!(
        script.is_file(),
        "the corpus generator {} is missing: set BRIEFING_CORPUS_SCRIPT to gen_corpus.py",
        script.display()
    );
    let status = Command::new("python3")
        .arg(&script)
        .args([&notes.to_string(), "--format", format, "--out"])
        .arg(out)
        .stdout(Stdio::null())
        .status()
        .expect("run the corpus generator");
    assert!(status.success(), "the corpus generator failed");
}
