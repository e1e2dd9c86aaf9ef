//! The layering that `src/lib.rs` describes, checked on the source: every module uses only
//! the modules listed after it, so no arrow runs against the data flow (the model and the
//! output layer never reach up to the runner or the study), and the binary reaches the
//! library through the study layer and the printing helpers only.

use std::fs;
use std::path::Path;

/// Each module and the modules it may use (`metrics`, the shared vocabulary, uses none and
/// may be used by all).
const ALLOWED: &[(&str, &[&str])] = &[
    ("engine", &["metrics"]),
    ("scenario", &["engine", "metrics"]),
    ("model", &["scenario", "engine", "metrics"]),
    ("analysis", &["model", "scenario", "engine", "metrics"]),
    (
        "output",
        &["analysis", "model", "scenario", "engine", "metrics"],
    ),
    (
        "batch",
        &["model", "output", "scenario", "engine", "metrics"],
    ),
    (
        "study",
        &[
            "batch", "analysis", "output", "model", "scenario", "engine", "metrics",
        ],
    ),
];

const MODULES: &[&str] = &[
    "engine", "scenario", "model", "analysis", "output", "batch", "study", "queueing", "metrics",
];

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The modules of the crate that the code (not the comments) of `text` names with `prefix`
/// (`crate::` inside the library, `corridor::` in the binary).
fn uses(text: &str, prefix: &str) -> Vec<String> {
    let mut found = Vec::new();
    for line in text.lines() {
        let code = line.trim_start();
        if code.starts_with("//") {
            continue;
        }
        for m in MODULES {
            let needle = format!("{prefix}{m}");
            let mut rest = code;
            while let Some(i) = rest.find(&needle) {
                let after = rest[i + needle.len()..].chars().next();
                if !after.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                    found.push(m.to_string());
                }
                rest = &rest[i + needle.len()..];
            }
        }
    }
    found
}

#[test]
fn every_module_uses_only_the_modules_below_it() {
    let mut wrong = Vec::new();
    let metrics = fs::read_to_string("src/metrics.rs").unwrap();
    let used: Vec<String> = uses(&metrics, "crate::")
        .into_iter()
        .filter(|m| m != "metrics")
        .collect();
    assert!(used.is_empty(), "src/metrics.rs uses {used:?}");
    for (module, allowed) in ALLOWED {
        let mut files = Vec::new();
        rust_files(&Path::new("src").join(module), &mut files);
        assert!(!files.is_empty(), "no sources for {module}");
        for f in files {
            let text = fs::read_to_string(&f).unwrap();
            for used in uses(&text, "crate::") {
                if used != *module && !allowed.contains(&used.as_str()) {
                    wrong.push(format!("{} uses crate::{used}", f.display()));
                }
            }
        }
    }
    wrong.sort();
    wrong.dedup();
    assert!(
        wrong.is_empty(),
        "arrows against the data flow:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_binary_goes_through_the_study_layer() {
    let text = fs::read_to_string("src/main.rs").unwrap();
    let mut wrong: Vec<String> = uses(&text, "corridor::")
        .into_iter()
        .filter(|m| !["study", "output", "scenario"].contains(&m.as_str()))
        .collect();
    wrong.dedup();
    assert!(wrong.is_empty(), "main.rs uses {wrong:?}");
    // Printing helpers, the progress event and the diagnostics it lists, nothing that runs
    // or writes.
    for forbidden in [
        "corridor::model",
        "corridor::analysis",
        "corridor::scenario::load",
        "Model::build",
        "report::write_report",
        "write_bytes_atomic",
    ] {
        assert!(!text.contains(forbidden), "main.rs uses {forbidden}");
    }
}
