//! The study layer as a library user sees it: a sweep and a comparison run without the
//! command line, the comparison's common-random-numbers seed, and scenario problems found
//! after loading reported as the loader's diagnostics (file:line:column).

use std::path::{Path, PathBuf};

use corridor::batch::ProgressEvent;
use corridor::study::{self, RunOptions, StudyError};

fn quiet(_: ProgressEvent) {}

fn opts(out: &Path, reps: u64) -> RunOptions {
    RunOptions {
        reps: Some(reps),
        jobs: 1,
        out: Some(out.to_path_buf()),
        no_plots: true,
        ..Default::default()
    }
}

#[test]
fn a_library_user_runs_a_sweep() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("sweep");
    let warnings = std::sync::Mutex::new(Vec::new());
    let o = study::sweep(
        Path::new("scenarios/mmc-station.toml"),
        &["nodes.station.cranes=10,12".to_string()],
        &opts(&out, 2),
        &|w| warnings.lock().unwrap().push(w.clone()),
        &quiet,
    )
    .unwrap();
    assert!(o.result.complete);
    let names: Vec<&str> = o.result.jobs.iter().map(|j| j.scenario.as_str()).collect();
    assert_eq!(
        names,
        [
            "mmc-station[nodes.station.cranes=10]",
            "mmc-station[nodes.station.cranes=12]"
        ]
    );
    assert!(warnings.lock().unwrap().is_empty());
    assert!(out.join("sweep.csv").is_file() && out.join("nodes.csv").is_file());
    assert_eq!(o.write_report().unwrap(), None, "no_plots draws nothing");
    assert!(
        o.summary_text()
            .unwrap()
            .contains("mmc-station[nodes.station.cranes=12]")
    );
    o.check_conservation().unwrap();
}

#[test]
fn a_comparison_shares_the_first_scenarios_seed() {
    let tmp = tempfile::tempdir().unwrap();
    let a = PathBuf::from("scenarios/mmc-station.toml");
    let o = study::compare(&a, &a, &opts(&tmp.path().join("c"), 2), &quiet).unwrap();
    let seeds: Vec<u64> = o.result.jobs.iter().map(|j| j.seed).collect();
    assert_eq!(seeds, [20251129, 20251129]);
    assert_eq!(o.result.jobs[1].scenario, "mmc-station (b)");
    // Same scenario, same numbers: every paired difference is zero.
    let rows = &o.result.comparisons[0].rows;
    assert!(!rows.is_empty());
    assert!(
        rows.iter()
            .all(|r| r.mean_diff == 0.0 || r.mean_diff.is_nan())
    );
}

#[test]
fn an_invalid_sweep_point_is_a_located_diagnostic() {
    let tmp = tempfile::tempdir().unwrap();
    let e = study::sweep(
        Path::new("scenarios/baseline-2025.toml"),
        &["nodes.aktau.cranes=0".to_string()],
        &opts(&tmp.path().join("s"), 1),
        &|_| {},
        &quiet,
    )
    .unwrap_err();
    assert!(matches!(e, StudyError::PointInvalid { .. }), "{e}");
    assert!(e.is_bad_input());
    let d = e.diagnostics();
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].file, Path::new("scenarios/baseline-2025.toml"));
    assert_eq!(
        d[0].path,
        "timeline.aktau-hub-phase-1.set.nodes.aktau.cranes"
    );
    assert!(d[0].line > 1, "{}", d[0]);
    let text = std::fs::read_to_string("scenarios/baseline-2025.toml").unwrap();
    let line = text.lines().nth(d[0].line - 1).unwrap();
    assert!(line.contains("cranes"), "{}: {line}", d[0]);
    assert!(
        d[0].message
            .starts_with("sweep point baseline-2025[nodes.aktau.cranes=0]: "),
        "{}",
        d[0]
    );
}

#[test]
fn scenario_errors_keep_every_diagnostic() {
    let e = study::check(&[
        PathBuf::from("tests/bad_input/duplicate_id.toml"),
        PathBuf::from("scenarios/mmc-station.toml"),
    ]);
    assert!(e[1].1.is_ok());
    let err = e[0].1.as_ref().unwrap_err();
    assert!(err.is_bad_input());
    let d = err.diagnostics();
    assert!(!d.is_empty());
    assert!(
        d.iter()
            .all(|d| d.file == Path::new("tests/bad_input/duplicate_id.toml"))
    );
}
