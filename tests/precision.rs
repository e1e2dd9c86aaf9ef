//! `--precision REL`: replications added in stages until precise enough
//! (docs/performance.md, "Replications until precise enough"). The procedure itself is
//! hand-checked in `analysis::precision`'s unit tests; these run the binary on the small
//! bundled scenarios: a loose precision stops earlier than a tight one, the outcome is
//! the same for any `--jobs` and any shard split, a run that stops at n writes what
//! `--reps n` writes, the cap is reported, and bad input exits 2.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const BASELINE: &str = "scenarios/baseline-2025.toml";
const STATION: &str = "scenarios/mmc-station.toml";

fn corridor(args: &[&str]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_corridor"));
    c.current_dir(ROOT);
    for v in [
        "CORRIDOR_SHARD",
        "CORRIDOR_SHARD_COUNT",
        "SLURM_ARRAY_TASK_ID",
        "SLURM_ARRAY_TASK_COUNT",
        "SLURM_ARRAY_TASK_MIN",
        "SLURM_ARRAY_TASK_STEP",
        "JOB_COMPLETION_INDEX",
    ] {
        c.env_remove(v);
    }
    c.args(args).output().expect("the corridor binary starts")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[track_caller]
fn assert_exit(out: &Output, code: i32) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "--- stdout\n{}\n--- stderr\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
}

fn s(p: &Path) -> &str {
    p.to_str().expect("temporary paths are UTF-8")
}

/// `corridor run SCENARIO --out OUT --quiet --no-plots EXTRA…`, which must succeed.
#[track_caller]
fn run_ok(scenario: &str, out: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["run", scenario, "--out", s(out), "--quiet", "--no-plots"];
    args.extend_from_slice(extra);
    let o = corridor(&args);
    assert_exit(&o, 0);
    o
}

fn summary_json(dir: &Path) -> serde_json::Value {
    let p = dir.join("summary.json");
    let t = fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    serde_json::from_str(&t).expect("summary.json is JSON")
}

fn precision(dir: &Path) -> serde_json::Value {
    summary_json(dir)["precision"].clone()
}

fn used(dir: &Path) -> u64 {
    precision(dir)["replications_used"]
        .as_u64()
        .expect("replications_used is a count")
}

/// Every file under `dir`, hidden ones included, by relative path.
fn tree(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(root: &Path, d: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for e in fs::read_dir(d).unwrap_or_else(|e| panic!("{}: {e}", d.display())) {
            let p = e.expect("directory entry").path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                let rel = p.strip_prefix(root).expect("under root").to_path_buf();
                out.insert(rel, fs::read(&p).expect("readable file"));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// The same files with the same bytes, but for provenance.json, the ledger and `skip`.
#[track_caller]
fn assert_same(a: &Path, b: &Path, skip: &[&str]) {
    let keep = |t: BTreeMap<PathBuf, Vec<u8>>| -> BTreeMap<PathBuf, Vec<u8>> {
        t.into_iter()
            .filter(|(p, _)| {
                p != Path::new("provenance.json")
                    && p != Path::new(corridor::output::files::LEDGER_FILE)
                    && !skip.iter().any(|x| p == Path::new(x))
            })
            .collect()
    };
    let (ta, tb) = (keep(tree(a)), keep(tree(b)));
    assert_eq!(
        ta.keys().collect::<Vec<_>>(),
        tb.keys().collect::<Vec<_>>(),
        "{} and {} hold different files",
        a.display(),
        b.display()
    );
    let differing: Vec<&PathBuf> = ta
        .iter()
        .filter(|(p, bytes)| tb.get(*p) != Some(*bytes))
        .map(|(p, _)| p)
        .collect();
    assert!(differing.is_empty(), "differ in {differing:?}");
    assert!(
        ta.keys().any(|p| p.starts_with(".replications")),
        "no persisted replication compared"
    );
}

#[test]
fn a_loose_precision_stops_earlier_than_a_tight_one() {
    let tmp = tempfile::tempdir().unwrap();
    let (loose, tight) = (tmp.path().join("loose"), tmp.path().join("tight"));
    let o = run_ok(BASELINE, &loose, &["--precision", "0.05"]);
    run_ok(BASELINE, &tight, &["--precision", "0.005"]);
    let (nl, nt) = (used(&loose), used(&tight));
    assert!(nl < nt, "0.05 used {nl} replications, 0.005 used {nt}");
    assert_eq!(nl, 10, "the pilot is precise enough at 5%");
    for dir in [&loose, &tight] {
        let p = precision(dir);
        assert_eq!(p["stopped_because"], "precision_reached");
        assert_eq!(p["min_replications"], 10);
        assert_eq!(p["max_replications"], 200);
        let stages = p["stages"].as_array().expect("stages");
        assert_eq!(stages.first().and_then(|x| x.as_u64()), Some(10));
        assert_eq!(stages.last().and_then(|x| x.as_u64()), Some(used(dir)));
        // Every job has that many replications, and every held quantity is precise.
        let sj = summary_json(dir);
        assert_eq!(sj["scenarios"][0]["replications"].as_u64(), Some(used(dir)));
        let held = p["held"].as_array().expect("held");
        assert!(!held.is_empty());
        assert!(held.iter().all(|h| h["precise"] == true), "{held:?}");
    }
    // The targets of baseline-2025 are on carried_teu of aktau-alat in 2024: held once.
    let held = precision(&tight)["held"].as_array().unwrap().clone();
    assert_eq!(held.len(), 1, "{held:?}");
    assert_eq!(held[0]["metric"], "carried_teu");
    assert_eq!(held[0]["year"], 2024);
    let rel = held[0]["relative_half_width"].as_f64().unwrap();
    assert!(rel <= 0.005 / 1.005, "{rel}");
    let out = text(&o.stdout);
    assert!(
        out.contains("precision: 10 replications") && out.contains("within 5.0%"),
        "{out}"
    );
    let manifest: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(tight.join("batch.json")).unwrap()).unwrap();
    assert_eq!(manifest["precision"]["relative_half_width"], "0.005");
    assert_eq!(
        manifest["jobs"][0]["replications"].as_u64(),
        Some(used(&tight))
    );
}

#[test]
fn the_same_for_any_jobs_and_the_same_as_fixed_replications() {
    let tmp = tempfile::tempdir().unwrap();
    let (j1, j2) = (tmp.path().join("j1"), tmp.path().join("j2"));
    let args = ["--precision", "0.005", "--metric", "handled_teu@aktau"];
    run_ok(BASELINE, &j1, &[&args[..], &["--jobs", "1"]].concat());
    run_ok(BASELINE, &j2, &[&args[..], &["--jobs", "2"]].concat());
    assert_same(&j1, &j2, &[]);

    // A run that stopped at n writes what `--reps n` writes: every table and persisted
    // replication byte for byte; summary.json but for its `precision` block; batch.json
    // records the procedure (and files.json hashes summary.json).
    let n = used(&j1);
    assert!(n > 10, "stopped at the pilot: nothing staged to compare");
    let fixed = tmp.path().join("fixed");
    run_ok(BASELINE, &fixed, &["--reps", &n.to_string()]);
    assert_same(&j1, &fixed, &["summary.json", "batch.json", "files.json"]);
    let mut a = summary_json(&j1);
    let b = summary_json(&fixed);
    assert!(
        b.get("precision").is_none(),
        "a fixed run has no precision block"
    );
    a.as_object_mut().unwrap().remove("precision");
    assert_eq!(a, b);
}

#[test]
fn shards_merge_then_resume_reaches_the_unsharded_result() {
    let tmp = tempfile::tempdir().unwrap();
    let d = |n: &str| tmp.path().join(n);
    let args = ["--precision", "0.005"];
    run_ok(BASELINE, &d("whole"), &args);
    for k in ["0/2", "1/2"] {
        let out = d(&format!("shard{}", &k[..1]));
        let o = run_ok(BASELINE, &out, &[&args[..], &["--shard", k]].concat());
        assert!(
            text(&o.stdout).contains("pilot only"),
            "{}",
            text(&o.stdout)
        );
    }
    let merged = d("merged");
    let m = corridor(&[
        "merge",
        s(&d("shard0")),
        s(&d("shard1")),
        "--out",
        s(&merged),
        "--no-plots",
    ]);
    assert_exit(&m, 0);
    // The pilot of 10 is not precise to 0.5%: the merge says so and what comes next.
    let p = precision(&merged);
    assert_eq!(p["stopped_because"], "more_replications_needed");
    assert_eq!(p["replications_used"], 10);
    assert!(p["next_replications"].as_u64().is_some_and(|n| n > 10));
    assert!(text(&m.stdout).contains("--resume"), "{}", text(&m.stdout));
    // --resume on the merged folder runs the remaining stages locally.
    run_ok(BASELINE, &merged, &[&args[..], &["--resume"]].concat());
    assert_same(&d("whole"), &merged, &[]);
    // Resuming a finished run changes nothing.
    run_ok(BASELINE, &merged, &[&args[..], &["--resume"]].concat());
    assert_same(&d("whole"), &merged, &[]);
}

#[test]
fn resume_continues_the_same_procedure_only() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("p");
    run_ok(BASELINE, &dir, &["--precision", "0.005"]);
    for other in [
        &["--precision", "0.01"][..],
        &["--precision", "0.005", "--max-reps", "100"],
        &["--precision", "0.005", "--metric", "delivered_teu"],
        &["--reps", "22"],
    ] {
        let mut args = vec![
            "run",
            BASELINE,
            "--out",
            s(&dir),
            "--quiet",
            "--no-plots",
            "--resume",
        ];
        args.extend_from_slice(other);
        let o = corridor(&args);
        assert_exit(&o, 2);
        assert!(
            text(&o.stderr).contains("cannot resume"),
            "{}",
            text(&o.stderr)
        );
    }
    // A fixed-replications folder is not continued by --precision either.
    let fixed = tmp.path().join("f");
    run_ok(BASELINE, &fixed, &["--reps", "10"]);
    let o = corridor(&[
        "run",
        BASELINE,
        "--out",
        s(&fixed),
        "--quiet",
        "--no-plots",
        "--resume",
        "--precision",
        "0.05",
    ]);
    assert_exit(&o, 2);
    assert!(
        text(&o.stderr).contains("fixed number of replications"),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn the_cap_is_reported_with_the_imprecise_quantities() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cap");
    let o = run_ok(
        BASELINE,
        &dir,
        &[
            "--precision",
            "0.001",
            "--reps",
            "4",
            "--max-reps",
            "12",
            "--metric",
            "transit_days_p95",
        ],
    );
    let p = precision(&dir);
    assert_eq!(p["stopped_because"], "cap_reached");
    assert_eq!(p["replications_used"], 12);
    assert_eq!(p["stages"], serde_json::json!([4, 8, 12]));
    let imprecise: Vec<&serde_json::Value> = p["held"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["precise"] == false)
        .collect();
    assert!(!imprecise.is_empty());
    assert!(
        imprecise
            .iter()
            .all(|h| h["relative_half_width"].as_f64().unwrap() > 0.001 / 1.001)
    );
    let out = text(&o.stdout);
    assert!(out.contains("cap reached"), "{out}");
    assert!(out.contains("transit_days_p95 corridor"), "{out}");

    // A higher cap continues the folder's procedure, to what a fresh run with that cap
    // writes; a lower one is refused.
    let args = |cap: &'static str| -> Vec<&'static str> {
        vec![
            "--precision",
            "0.001",
            "--reps",
            "4",
            "--max-reps",
            cap,
            "--metric",
            "transit_days_p95",
        ]
    };
    let fresh = tmp.path().join("fresh");
    run_ok(BASELINE, &fresh, &args("20"));
    run_ok(BASELINE, &dir, &[args("20"), vec!["--resume"]].concat());
    assert_same(&fresh, &dir, &[]);
    assert_eq!(precision(&dir)["stages"], serde_json::json!([4, 8, 16, 20]));
    let mut lower = vec![
        "run",
        BASELINE,
        "--out",
        s(&dir),
        "--quiet",
        "--no-plots",
        "--resume",
    ];
    lower.extend(args("16"));
    let o = corridor(&lower);
    assert_exit(&o, 2);
    assert!(
        text(&o.stderr).contains("only a higher --max-reps"),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn compare_and_sweep_keep_every_scenario_at_one_count() {
    let tmp = tempfile::tempdir().unwrap();
    let cmp = tmp.path().join("cmp");
    let o = corridor(&[
        "compare",
        BASELINE,
        BASELINE,
        "--out",
        s(&cmp),
        "--quiet",
        "--no-plots",
        "--precision",
        "0.005",
        "--max-reps",
        "40",
    ]);
    assert_exit(&o, 0);
    let sj = summary_json(&cmp);
    let counts: Vec<u64> = sj["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["replications"].as_u64().unwrap())
        .collect();
    assert_eq!(counts.len(), 2);
    assert_eq!(counts[0], counts[1]);
    assert_eq!(
        counts[0],
        sj["precision"]["replications_used"].as_u64().unwrap()
    );
    assert!(cmp.join("comparison.csv").is_file());

    let sweep = tmp.path().join("sweep");
    let o = corridor(&[
        "sweep",
        STATION,
        "--set",
        "nodes.station.cranes=10,12",
        "--out",
        s(&sweep),
        "--quiet",
        "--no-plots",
        "--precision",
        "0.05",
        "--reps",
        "3",
        "--metric",
        "wait_hours_mean@station",
    ]);
    assert_exit(&o, 0);
    let p = precision(&sweep);
    let scenarios: std::collections::BTreeSet<&str> = p["held"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["scenario"].as_str().unwrap())
        .collect();
    assert_eq!(scenarios.len(), 2, "both grid points are held: {p}");
}

#[test]
fn bad_precision_options_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("bad");
    let cases: &[(&[&str], &str)] = &[
        (&["--precision", "0"], "between 0 and 1"),
        (&["--precision", "1"], "between 0 and 1"),
        (&["--precision", "-0.1"], "between 0 and 1"),
        (&["--precision", "NaN"], "between 0 and 1"),
        (&["--precision", "inf"], "between 0 and 1"),
        (&["--precision", "five"], "between 0 and 1"),
        (&["--max-reps", "50"], "--precision"),
        (&["--metric", "delivered_teu"], "--precision"),
        (
            &["--precision", "0.05", "--max-reps", "5"],
            "below the minimum",
        ),
        (
            &["--precision", "0.05", "--reps", "30", "--max-reps", "20"],
            "below the minimum",
        ),
        (&["--precision", "0.05", "--reps", "1"], "at least 2"),
        (
            &["--precision", "0.05", "--metric", "delivered_boxes"],
            "no metric `delivered_boxes`",
        ),
        (
            &["--precision", "0.05", "--metric", "handled_teu"],
            "not measured for the corridor",
        ),
        (
            &["--precision", "0.05", "--metric", "handled_teu@atlantis"],
            "no subject `atlantis`",
        ),
        (
            &["--precision", "0.05", "--metric", "handled_teu@aktau-alat"],
            "not measured for a link",
        ),
    ];
    for (extra, said) in cases {
        let mut args = vec!["run", BASELINE, "--out", s(&out), "--quiet", "--no-plots"];
        args.extend_from_slice(extra);
        let o = corridor(&args);
        assert_exit(&o, 2);
        let err = text(&o.stderr);
        assert!(err.contains(said), "{extra:?}: expected {said:?} in\n{err}");
        assert!(!out.join("summary.csv").exists(), "{extra:?} ran");
    }
}

// ---------------------------------------------------------------------------------------
// The library: the study's staged runner on a model whose values are known
// ---------------------------------------------------------------------------------------

mod library {
    use std::path::Path;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    use corridor::batch::{BatchOptions, Job, Precision, Simulate};
    use corridor::metrics::{Metric, Quantity, Subject, SubjectKind};
    use corridor::model::results::{Record, RunResult};
    use corridor::study::{self, ProgressEvent};

    /// Delivered TEU of the corridor in 2030: 90 and 110 alternately, so the procedure's
    /// stages are known by hand (`analysis::precision`'s unit test): 10 → 20 → 21 for
    /// a relative half-width of 0.05.
    struct Alternating;

    impl Simulate for Alternating {
        fn run_replication(&self, rep: u64) -> RunResult {
            RunResult {
                replication: rep,
                records: vec![Record {
                    year: 2030,
                    metric: Metric::DeliveredTeu,
                    kind: SubjectKind::Corridor,
                    subject: "corridor".into(),
                    value: if rep % 2 == 0 { 90.0 } else { 110.0 },
                }],
                ..Default::default()
            }
        }
    }

    fn job(reps: u64) -> Job {
        Job {
            scenario: "alt".into(),
            scenario_hash: "h".into(),
            seed: 1,
            replications: reps,
            targets: vec![],
            sim: Arc::new(Alternating),
        }
    }

    fn precision() -> Precision {
        Precision {
            relative_half_width: 0.05,
            min_replications: 10,
            max_replications: 200,
            metrics: vec![],
            held: vec![vec![Quantity {
                metric: Metric::DeliveredTeu,
                subject: Subject::corridor(),
                year: None,
            }]],
        }
    }

    fn opts(out: Option<&Path>, threads: usize) -> BatchOptions {
        BatchOptions {
            jobs_threads: threads,
            out_dir: out.map(Path::to_path_buf),
            precision: Some(precision()),
            ..Default::default()
        }
    }

    #[test]
    fn stages_are_the_hand_checked_ones_in_memory_and_on_disk() {
        let r = study::run_jobs(&[job(10)], &opts(None, 2), &|_| {}).unwrap();
        let p = r.precision.expect("a precision report");
        assert_eq!(p.stages, vec![10, 20, 21]);
        assert_eq!(p.replications_used, 21);
        assert_eq!(r.jobs[0].runs.len(), 21);
        assert_eq!(r.jobs[0].replications, 21);
        let reps: Vec<u64> = r.jobs[0].runs.iter().map(|x| x.replication).collect();
        assert_eq!(reps, (0..21).collect::<Vec<_>>());

        // The progress bar counts on across stages and hears of each stage.
        let events = std::sync::Mutex::new(Vec::new());
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("disk");
        study::run_jobs(&[job(10)], &opts(Some(&out), 1), &|e| {
            events.lock().unwrap().push(e)
        })
        .unwrap();
        let events = events.into_inner().unwrap();
        let planned: Vec<u64> = events
            .iter()
            .filter_map(|e| match e {
                ProgressEvent::Planned { items } => Some(*items),
                _ => None,
            })
            .collect();
        assert_eq!(planned, vec![10, 20, 21]);
        let stages: Vec<u64> = events
            .iter()
            .filter_map(|e| match e {
                ProgressEvent::Stage { replications, .. } => Some(*replications),
                _ => None,
            })
            .collect();
        assert_eq!(stages, vec![10, 20, 21]);
        let last_done = events.iter().rev().find_map(|e| match e {
            ProgressEvent::Replication { done, items, .. } => Some((*done, *items)),
            _ => None,
        });
        assert_eq!(last_done, Some((21, 21)));
    }

    #[test]
    fn an_interrupted_stage_resumes_to_the_same_result() {
        let tmp = tempfile::tempdir().unwrap();
        let whole = tmp.path().join("whole");
        study::run_jobs(&[job(10)], &opts(Some(&whole), 1), &|_| {}).unwrap();

        // Stop during the second stage (after 14 replications settle).
        let cut = tmp.path().join("cut");
        let cancel = AtomicBool::new(false);
        let stop_at_14 = |e: ProgressEvent| {
            if let ProgressEvent::Replication { done, .. } = e {
                if done >= 14 {
                    cancel.store(true, Ordering::SeqCst);
                }
            }
        };
        let e = study::run_jobs_with_cancel(
            &[job(10)],
            &opts(Some(&cut), 1),
            &stop_at_14,
            Some(&cancel),
        )
        .expect_err("interrupted");
        assert!(e.is_interrupted(), "{e}");
        assert!(
            e.to_string().contains("of 20"),
            "counted over all stages: {e}"
        );
        let resumed = study::run_jobs(
            &[job(10)],
            &BatchOptions {
                resume: true,
                ..opts(Some(&cut), 2)
            },
            &|_| {},
        )
        .unwrap();
        assert_eq!(resumed.replications_resumed, 14);
        assert_eq!(resumed.replications_run, 7);
        for f in [
            "summary.csv",
            "replications.csv",
            "summary.json",
            "batch.json",
        ] {
            assert_eq!(
                std::fs::read(whole.join(f)).unwrap(),
                std::fs::read(cut.join(f)).unwrap(),
                "{f}"
            );
        }
    }
}
