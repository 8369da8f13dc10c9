//! Every page of the example site and of the fixture sites is valid HTML, as the W3C's Nu Html
//! Checker sees it. `.ci/run` installs the checker (npm package vnu-jar, a Java runtime) and
//! runs this test; plain `cargo test` lists it as ignored.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

fn vnu_jar() -> PathBuf {
    std::env::var_os("BRIEFING_VNU_JAR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join(".ci/tools/node_modules/vnu-jar/build/dist/vnu.jar")
        })
}

#[test]
#[ignore = "needs the Nu Html Checker and Java: run by .ci/run"]
fn every_page_is_valid_html() {
    let jar = vnu_jar();
    assert!(
        jar.is_file(),
        "no vnu.jar at {}: run .ci/run, or set BRIEFING_VNU_JAR",
        jar.display()
    );
    let out_dir = tempfile::tempdir().unwrap();
    let mut outputs = Vec::new();
    // The example site, and each fixture that builds, with drafts and every embargo passed.
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut sites: Vec<(String, PathBuf, tempfile::TempDir)> = Vec::new();
    for name in ["basic", "presskit"] {
        let site = fixture(name);
        if name == "presskit" {
            // A photo in the text, for its <picture> and srcset.
            common::photos::add_photo(
                site.path(),
                "launch",
                "delegation.jpg",
                &common::photos::photo(1000, 600, 1),
                &[("en", "The delegation")],
            );
        }
        sites.push((name.to_string(), site.path().to_path_buf(), site));
    }
    let example = out_dir.path().join("example");
    let out = briefing(root, &["build", "--output", example.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    outputs.push(example);
    for (name, path, _keep) in &sites {
        let out = briefing(path, &["build", "--drafts", "--now", "2040-01-01"]);
        assert!(out.status.success(), "{name}: {}", stderr(&out));
        outputs.push(path.join("output"));
    }
    let result = Command::new("java")
        .arg("-jar")
        .arg(&jar)
        .args(["--errors-only", "--skip-non-html", "--format", "text"])
        .args(&outputs)
        .output()
        .expect("run java");
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&result.stdout),
        String::from_utf8_lossy(&result.stderr)
    );
    let errors: Vec<&str> = report
        .lines()
        .filter(|l| l.starts_with("Error:") || l.contains(": error:"))
        .collect();
    assert!(
        result.status.success() && errors.is_empty(),
        "the checker found errors:\n{report}"
    );
}
