//! Batch runs end to end with mock models: determinism across thread counts, shards and
//! merges, resume after crashes and corruption, refusal to overwrite, and hand-checkable
//! statistics in the written files.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use corridor::analysis;
use corridor::batch::{BatchError, BatchOptions, Job, ProgressEvent, Shard, Simulate};
use corridor::metrics::{Metric, Subject, SubjectKind};
use corridor::model::results::{Conservation, Record, RunResult};
use corridor::scenario::schema::TargetDirection;
use corridor::scenario::target::Target;
use corridor::study::{self, MergeOptions, StudyError, grid, parse_set, sweep_name};
use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64Mcg;

/// A stand-in for the corridor model: a few metrics per year drawn from a stream derived
/// from (seed, replication), like the real model's, plus an optional `shift` (a
/// "scenario change" applied on top of the same random numbers) and an optional sleep
/// whose length varies by replication, so that threads finish out of order.
struct Mock {
    seed: u64,
    shift: f64,
    sleep: bool,
}

impl Simulate for Mock {
    fn run_replication(&self, rep: u64) -> RunResult {
        let mut rng = Pcg64Mcg::seed_from_u64(self.seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ rep);
        if self.sleep {
            std::thread::sleep(Duration::from_millis((rep * 7) % 5 + 1));
        }
        let mut records = Vec::new();
        let mut delivered = 0.0;
        for year in 2025..=2027 {
            let u: f64 = rng.random();
            let d = 1000.0 * f64::from(year - 2024) + 300.0 * u + self.shift;
            delivered += d;
            records.push(rec(year, "delivered_teu", "corridor", d));
            records.push(rec(
                year,
                "handled_teu",
                "aktau",
                0.4 * d + 10.0 * rng.random::<f64>(),
            ));
            // No deliveries measured in the first year of every third replication.
            let transit = if year == 2025 && rep % 3 == 0 {
                f64::NAN
            } else {
                20.0 + 5.0 * rng.random::<f64>()
            };
            records.push(rec(year, "transit_days_mean", "corridor", transit));
            records.push(rec(
                year,
                "utilization",
                "aktau-alat",
                rng.random::<f64>() / 3.0,
            ));
        }
        RunResult {
            replication: rep,
            records,
            conservation: Conservation {
                created_teu: delivered + 42.5,
                delivered_teu: delivered,
                diverted_teu: 0.0,
                in_system_teu: vec![("node:aktau".into(), 40.0), ("link:aktau-alat".into(), 2.5)],
            },
            events: 1000 + rep,
        }
    }
}

/// Values chosen so every statistic can be computed by hand.
struct Linear {
    base: f64,
    slope: f64,
}

impl Simulate for Linear {
    fn run_replication(&self, rep: u64) -> RunResult {
        let v = self.base + self.slope * rep as f64;
        RunResult {
            replication: rep,
            records: vec![
                rec(2025, "delivered_teu", "corridor", v - 5.0),
                rec(2026, "delivered_teu", "corridor", v),
            ],
            ..Default::default()
        }
    }
}

/// Panics on one replication, as a crash half-way through a batch would stop it.
struct Crashing {
    inner: Mock,
    crash_at: u64,
}

impl Simulate for Crashing {
    fn run_replication(&self, rep: u64) -> RunResult {
        if rep == self.crash_at {
            panic!("simulated crash at replication {rep}");
        }
        self.inner.run_replication(rep)
    }
}

/// The kind of the test subjects: the corridor, the node `aktau`, the link `aktau-alat`.
fn kind_of(subject: &str) -> SubjectKind {
    match subject {
        "corridor" => SubjectKind::Corridor,
        "aktau" => SubjectKind::Node,
        "aktau-alat" => SubjectKind::Link,
        other => panic!("no test subject {other}"),
    }
}

/// A record of a catalogue metric.
fn rec(year: i32, metric: &str, subject: &str, value: f64) -> Record {
    Record {
        year,
        metric: Metric::from_name(metric).unwrap(),
        kind: kind_of(subject),
        subject: subject.into(),
        value,
    }
}

fn target(id: &str, metric: &str, subject: &str, year: i32, threshold: f64) -> Target {
    Target {
        id: id.into(),
        description: None,
        metric: Metric::from_name(metric).unwrap(),
        subject: Subject::new(kind_of(subject), subject),
        year,
        threshold,
        direction: TargetDirection::AtLeast,
    }
}

fn job(name: &str, shift: f64, sleep: bool, reps: u64) -> Job {
    Job {
        scenario: name.into(),
        scenario_hash: format!("hash-{name}"),
        seed: 7,
        replications: reps,
        targets: vec![
            target("delivered-2027", "delivered_teu", "corridor", 2027, 3150.0),
            target("aktau-2026", "handled_teu", "aktau", 2026, 830.0),
        ],
        sim: Arc::new(Mock {
            seed: 7,
            shift,
            sleep,
        }),
    }
}

/// Two scenarios sharing random numbers (the second shifted), as a comparison batch.
fn two_jobs(reps: u64) -> Vec<Job> {
    vec![
        job("base", 0.0, true, reps),
        job("more-cranes", 25.0, false, reps),
    ]
}

fn opts(dir: &Path, threads: usize) -> BatchOptions {
    BatchOptions {
        jobs_threads: threads,
        out_dir: Some(dir.to_path_buf()),
        ..Default::default()
    }
}

fn quiet(_: ProgressEvent) {}

/// Every file under `dir` (relative path → bytes), except those documented as
/// non-deterministic: `provenance.json` and the ledger, which holds its hash.
fn tree(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(root: &Path, d: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for e in fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else if p.file_name().unwrap() != "provenance.json"
                && p.file_name().unwrap() != corridor::output::files::LEDGER_FILE
            {
                out.insert(
                    p.strip_prefix(root).unwrap().to_path_buf(),
                    fs::read(&p).unwrap(),
                );
            }
        }
    }
    let mut m = BTreeMap::new();
    walk(dir, dir, &mut m);
    m
}

fn assert_same_tree(a: &Path, b: &Path) {
    let (ta, tb) = (tree(a), tree(b));
    let names_a: Vec<_> = ta.keys().collect();
    let names_b: Vec<_> = tb.keys().collect();
    assert_eq!(
        names_a,
        names_b,
        "different files in {} and {}",
        a.display(),
        b.display()
    );
    for (k, v) in &ta {
        assert!(
            v == &tb[k],
            "{} differs between {} and {}",
            k.display(),
            a.display(),
            b.display()
        );
    }
}

fn rep_file(dir: &Path, scenario: &str, rep: u64) -> PathBuf {
    dir.join(".replications")
        .join(scenario)
        .join(format!("rep-{rep:06}.json"))
}

#[test]
fn outputs_identical_for_1_2_and_4_threads() {
    let tmp = tempfile::tempdir().unwrap();
    let jobs = two_jobs(12);
    let mut dirs = Vec::new();
    for threads in [1, 2, 4] {
        let d = tmp.path().join(format!("t{threads}"));
        let r = study::run_jobs(&jobs, &opts(&d, threads), &quiet).unwrap();
        assert!(r.complete);
        assert_eq!(r.replications_run, 24);
        dirs.push(d);
    }
    for f in [
        "batch.json",
        "replications.csv",
        "summary.csv",
        "targets.csv",
        "comparison.csv",
        "summary.json",
        "provenance.json",
    ] {
        assert!(dirs[0].join(f).is_file(), "{f} missing");
    }
    assert!(!dirs[0].join("sweep.csv").exists());
    assert_eq!(
        fs::read_dir(dirs[0].join(".replications/base"))
            .unwrap()
            .count(),
        12
    );
    assert_same_tree(&dirs[0], &dirs[1]);
    assert_same_tree(&dirs[0], &dirs[2]);
}

#[test]
fn in_memory_results_match_files_and_are_sorted() {
    let jobs = two_jobs(6);
    let r = study::run_jobs(&jobs, &BatchOptions::default(), &quiet).unwrap();
    assert!(r.files.is_empty());
    for j in &r.jobs {
        let reps: Vec<u64> = j.runs.iter().map(|r| r.replication).collect();
        assert_eq!(reps, (0..6).collect::<Vec<_>>());
        assert!(j.conservation_violations.is_empty());
        assert_eq!(j.events, (0..6).map(|r| 1000 + r).sum::<u64>());
    }
    // The transit mean of 2025 is NaN in replications 0 and 3: n says so.
    let row = r.jobs[0]
        .summary
        .iter()
        .find(|s| s.metric == Metric::TransitDaysMean && s.year == 2025)
        .unwrap();
    assert_eq!(row.n, 4);
    assert_eq!(r.comparisons.len(), 1);
    let c = &r.comparisons[0];
    assert_eq!(
        (c.scenario_a.as_str(), c.scenario_b.as_str()),
        ("base", "more-cranes")
    );
    // Same random numbers, shifted by 25: the paired difference is exactly 25, zero width.
    let d = c
        .rows
        .iter()
        .find(|d| d.metric == Metric::DeliveredTeu && d.year == 2026)
        .unwrap();
    assert!((d.mean_diff - 25.0).abs() < 1e-9);
    assert!(d.ci95_high - d.ci95_low < 1e-9);
}

#[test]
fn three_shards_merged_equal_one_run() {
    let tmp = tempfile::tempdir().unwrap();
    let jobs = two_jobs(10);
    let full = tmp.path().join("full");
    study::run_jobs(&jobs, &opts(&full, 2), &quiet).unwrap();

    let mut shard_dirs = Vec::new();
    let mut counts = Vec::new();
    for k in 0..3 {
        let d = tmp.path().join(format!("shard-{k}"));
        let o = BatchOptions {
            shard: Some(Shard::parse(&format!("{k}/3")).unwrap()),
            ..opts(&d, 2)
        };
        let r = study::run_jobs(&jobs, &o, &quiet).unwrap();
        assert!(!r.complete);
        assert!(
            !d.join("summary.csv").exists(),
            "a shard must not write partial summaries"
        );
        assert!(d.join("batch.json").exists() && d.join("provenance.json").exists());
        counts.push(r.replications_run);
        shard_dirs.push(d);
    }
    // 20 items round-robin over 3 shards.
    assert_eq!(counts, vec![7, 7, 6]);

    let merged = tmp.path().join("merged");
    let r = study::merge(&shard_dirs, &merged, &MergeOptions::default()).unwrap();
    assert!(r.complete);
    assert_same_tree(&full, &merged);

    // A missing shard is reported, and nothing is written.
    let partial = tmp.path().join("partial");
    let e = study::merge(&shard_dirs[..2], &partial, &MergeOptions::default()).unwrap_err();
    assert!(
        matches!(e, StudyError::Batch(BatchError::MissingReplications(_))),
        "{e}"
    );
    assert!(e.to_string().contains("`base`: 2, 5, 8"), "{e}");
    assert!(!partial.join("summary.csv").exists());

    // Merging into an input folder is refused; into an existing result folder needs force.
    assert!(study::merge(&shard_dirs, &shard_dirs[0], &MergeOptions::default()).is_err());
    let e = study::merge(&shard_dirs, &merged, &MergeOptions::default()).unwrap_err();
    assert!(matches!(e, StudyError::MergeOutDirHasResults { .. }));
    study::merge(
        &shard_dirs,
        &merged,
        &MergeOptions {
            force: true,
            ..Default::default()
        },
    )
    .unwrap();
    assert_same_tree(&full, &merged);
}

#[test]
fn merge_refuses_folders_of_different_batches() {
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("a");
    let b = tmp.path().join("b");
    study::run_jobs(&two_jobs(4), &opts(&a, 1), &quiet).unwrap();
    study::run_jobs(&two_jobs(5), &opts(&b, 1), &quiet).unwrap();
    let e = study::merge(&[a, b], &tmp.path().join("m"), &MergeOptions::default()).unwrap_err();
    assert!(e.to_string().contains("describes other jobs"), "{e}");
}

#[test]
fn resume_after_lost_files_equals_full_run() {
    let tmp = tempfile::tempdir().unwrap();
    let jobs = two_jobs(9);
    let full = tmp.path().join("full");
    study::run_jobs(&jobs, &opts(&full, 2), &quiet).unwrap();

    let part = tmp.path().join("part");
    study::run_jobs(&jobs, &opts(&part, 2), &quiet).unwrap();
    for rep in [0, 4, 8] {
        fs::remove_file(rep_file(&part, "base", rep)).unwrap();
    }
    fs::remove_file(rep_file(&part, "more-cranes", 3)).unwrap();
    fs::remove_file(part.join("summary.csv")).unwrap();
    let o = BatchOptions {
        resume: true,
        ..opts(&part, 3)
    };
    let r = study::run_jobs(&jobs, &o, &quiet).unwrap();
    assert_eq!((r.replications_run, r.replications_resumed), (4, 14));
    assert_same_tree(&full, &part);
}

#[test]
fn resume_after_crash_equals_full_run() {
    let tmp = tempfile::tempdir().unwrap();
    let reps = 10;
    let full = tmp.path().join("full");
    study::run_jobs(&[job("base", 0.0, false, reps)], &opts(&full, 1), &quiet).unwrap();

    let crashed = tmp.path().join("crashed");
    let crashing = Job {
        sim: Arc::new(Crashing {
            inner: Mock {
                seed: 7,
                shift: 0.0,
                sleep: false,
            },
            crash_at: 6,
        }),
        ..job("base", 0.0, false, reps)
    };
    let e = study::run_jobs(&[crashing], &opts(&crashed, 1), &quiet).unwrap_err();
    assert!(
        matches!(
            &e,
            StudyError::Batch(BatchError::ReplicationPanicked { replication: 6, .. })
        ),
        "{e}"
    );
    assert!(e.to_string().contains("--resume"));
    // One thread runs items in order: the six before the crash were kept.
    assert!(rep_file(&crashed, "base", 5).exists());
    assert!(!crashed.join("summary.csv").exists());

    // Re-running without --resume is refused; with it, only the rest is simulated.
    let e =
        study::run_jobs(&[job("base", 0.0, false, reps)], &opts(&crashed, 2), &quiet).unwrap_err();
    assert!(
        e.to_string().contains("use --force") && e.to_string().contains("--resume"),
        "{e}"
    );
    let o = BatchOptions {
        resume: true,
        ..opts(&crashed, 2)
    };
    let r = study::run_jobs(&[job("base", 0.0, false, reps)], &o, &quiet).unwrap();
    assert_eq!((r.replications_resumed, r.replications_run), (6, 4));
    assert_same_tree(&full, &crashed);
}

#[test]
fn corrupt_replication_is_rerun() {
    let tmp = tempfile::tempdir().unwrap();
    let jobs = two_jobs(5);
    let full = tmp.path().join("full");
    study::run_jobs(&jobs, &opts(&full, 2), &quiet).unwrap();

    let dir = tmp.path().join("dir");
    study::run_jobs(&jobs, &opts(&dir, 2), &quiet).unwrap();
    let bad = rep_file(&dir, "more-cranes", 2);
    let bytes = fs::read(&bad).unwrap();
    fs::write(&bad, &bytes[..bytes.len() / 3]).unwrap(); // a torn write
    fs::write(rep_file(&dir, "base", 1), b"").unwrap(); // an empty file
    // A stray temp file from a killed writer is deleted by the next run.
    let stray = dir.join(".replications/base/.rep-000003.json.tmp-1-1");
    fs::write(&stray, b"{").unwrap();

    let events = Mutex::new(Vec::new());
    let record = |e: ProgressEvent| events.lock().unwrap().push(e);
    let o = BatchOptions {
        resume: true,
        ..opts(&dir, 2)
    };
    let r = study::run_jobs(&jobs, &o, &record).unwrap();
    assert_eq!((r.replications_run, r.replications_discarded), (2, 2));
    let events = events.into_inner().unwrap();
    let discarded: Vec<(String, u64)> = events
        .iter()
        .filter_map(|e| match e {
            ProgressEvent::Discarded {
                scenario,
                replication,
                reason,
                ..
            } => {
                assert!(reason.contains("corrupt"), "{reason}");
                Some((scenario.clone(), *replication))
            }
            _ => None,
        })
        .collect();
    assert_eq!(discarded.len(), 2);
    assert!(discarded.contains(&("more-cranes".to_string(), 2)));
    assert_eq!(
        events
            .iter()
            .filter(|e| matches!(e, ProgressEvent::Replication { .. }))
            .count(),
        10
    );
    assert!(!stray.exists(), "the stale temporary file was left");
    assert_same_tree(&full, &dir);
}

/// `--resume` continues the run a folder holds and nothing else: an edited scenario, another
/// seed or another replication count is refused (saying what differs), and the folder is
/// left as it was. Before issue 16 the edited scenario silently re-ran everything and a
/// mistaken `--seed` overwrote a finished folder.
#[test]
fn resume_of_another_run_is_refused_and_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("dir");
    study::run_jobs(&[job("base", 0.0, false, 3)], &opts(&dir, 1), &quiet).unwrap();
    let before = tree(&dir);
    let o = BatchOptions {
        resume: true,
        ..opts(&dir, 1)
    };
    let edited = Job {
        scenario_hash: "hash-edited".into(),
        ..job("base", 0.0, false, 3)
    };
    let reseeded = Job {
        seed: 5,
        ..job("base", 0.0, false, 3)
    };
    for (j, what) in [
        (edited, "was edited"),
        (reseeded, "seed"),
        (job("base", 0.0, false, 4), "replications"),
        (job("other", 0.0, false, 3), "scenarios"),
    ] {
        let e = study::run_jobs(&[j], &o, &quiet).unwrap_err();
        assert!(
            matches!(e, StudyError::Batch(BatchError::ResumeMismatch { .. })),
            "{e}"
        );
        let msg = e.to_string();
        assert!(msg.contains(what) && msg.contains("--force"), "{msg}");
        assert!(before == tree(&dir), "a refused resume changed the folder");
    }
    // The same run resumes (nothing left to do).
    let r = study::run_jobs(&[job("base", 0.0, false, 3)], &o, &quiet).unwrap();
    assert_eq!((r.replications_run, r.replications_resumed), (0, 3));
}

#[test]
fn existing_folder_refused_without_force() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("out");
    let jobs = two_jobs(3);
    study::run_jobs(&jobs, &opts(&dir, 1), &quiet).unwrap();
    fs::write(dir.join("notes.txt"), b"mine").unwrap();

    let e = study::run_jobs(&jobs, &opts(&dir, 1), &quiet).unwrap_err();
    assert!(matches!(e, StudyError::OutDirHasResults { .. }));
    let msg = e.to_string();
    assert!(
        msg.contains(&dir.display().to_string())
            && msg.contains("--force")
            && msg.contains("--resume")
    );

    let both = BatchOptions {
        force: true,
        resume: true,
        ..opts(&dir, 1)
    };
    assert!(matches!(
        study::run_jobs(&jobs, &both, &quiet),
        Err(StudyError::Batch(BatchError::ForceAndResume))
    ));

    // Force replaces the earlier results (a different batch here) and nothing else.
    let o = BatchOptions {
        force: true,
        ..opts(&dir, 1)
    };
    study::run_jobs(&[job("other", 0.0, false, 2)], &o, &quiet).unwrap();
    assert!(!dir.join(".replications/base").exists());
    assert!(!dir.join("comparison.csv").exists());
    assert_eq!(fs::read(dir.join("notes.txt")).unwrap(), b"mine");

    // An empty or unrelated folder is fine.
    let fresh = tmp.path().join("fresh");
    fs::create_dir(&fresh).unwrap();
    fs::write(fresh.join("readme"), b"x").unwrap();
    study::run_jobs(&jobs, &opts(&fresh, 1), &quiet).unwrap();
}

#[test]
fn unwritable_output_is_an_error_naming_the_path() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("a-file");
    fs::write(&file, b"x").unwrap();
    let bad = file.join("out");
    let e = study::run_jobs(&two_jobs(2), &opts(&bad, 1), &quiet).unwrap_err();
    assert!(e.to_string().contains(&bad.display().to_string()), "{e}");
    let e = study::run_jobs(&two_jobs(2), &opts(&file, 1), &quiet).unwrap_err();
    assert!(e.to_string().contains(&file.display().to_string()), "{e}");
}

#[test]
fn duplicate_scenarios_rejected() {
    let jobs = vec![job("x", 0.0, false, 1), job("x", 1.0, false, 1)];
    assert!(matches!(
        study::run_jobs(&jobs, &BatchOptions::default(), &quiet),
        Err(StudyError::Batch(BatchError::DuplicateScenario(_)))
    ));
}

#[test]
fn targets_and_paired_difference_by_hand() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("out");
    // A: 2026 values 10, 11, 12, 13 (2025: 5..8). B: 12, 14, 16, 18 (2025: 7, 9, 11, 13).
    let t = vec![
        target("t2026", "delivered_teu", "corridor", 2026, 11.5),
        Target {
            direction: TargetDirection::AtMost,
            ..target("low", "delivered_teu", "corridor", 2026, 10.0)
        },
    ];
    let jobs = vec![
        Job {
            scenario: "a".into(),
            scenario_hash: "ha".into(),
            seed: 1,
            replications: 4,
            targets: t.clone(),
            sim: Arc::new(Linear {
                base: 10.0,
                slope: 1.0,
            }),
        },
        Job {
            scenario: "b".into(),
            scenario_hash: "hb".into(),
            seed: 1,
            replications: 4,
            targets: t,
            sim: Arc::new(Linear {
                base: 12.0,
                slope: 2.0,
            }),
        },
    ];
    let r = study::run_jobs(&jobs, &opts(&dir, 2), &quiet).unwrap();

    let ta = &r.jobs[0].target_rows[0];
    assert_eq!(ta.mean, 11.5);
    assert_eq!(ta.share_met, 0.5); // 12 and 13 of 10..13
    assert_eq!(ta.first_year_met.n, 2);
    assert_eq!(
        (ta.first_year_met.min, ta.first_year_met.max),
        (Some(2026), Some(2026))
    );
    let tb = &r.jobs[1].target_rows[0];
    assert_eq!(tb.share_met, 1.0); // 12, 14, 16, 18
    // 2025 values 7, 9, 11, 13: only replication 3 meets 11.5 already in 2025, the
    // others first in 2026.
    assert_eq!(tb.first_year_met.n, 4);
    assert_eq!(tb.first_year_met.mean, 2025.75);
    assert_eq!(
        (tb.first_year_met.min, tb.first_year_met.max),
        (Some(2025), Some(2026))
    );
    let low_a = &r.jobs[0].target_rows[1];
    assert_eq!(low_a.share_met, 0.25); // only 10 <= 10 in 2026
    assert_eq!(low_a.first_year_met.min, Some(2025)); // 5..8 are all <= 10 in 2025

    // Differences in 2026: 2, 3, 4, 5 → mean 3.5, sd sqrt(5/3), t(0.975, 3) = 3.182446.
    let d = r.comparisons[0]
        .rows
        .iter()
        .find(|d| d.year == 2026)
        .unwrap();
    assert_eq!((d.mean_a, d.mean_b, d.mean_diff, d.n), (11.5, 15.0, 3.5, 4));
    let half = 3.182_446_305 * (5.0f64 / 3.0).sqrt() / 2.0;
    assert!((d.ci95_low - (3.5 - half)).abs() < 1e-8);
    assert!((d.ci95_high - (3.5 + half)).abs() < 1e-8);

    let targets = fs::read_to_string(dir.join("targets.csv")).unwrap();
    let mut lines = targets.lines();
    assert_eq!(
        lines.next().unwrap(),
        "scenario,target,year,metric,subject_kind,subject,threshold,mean,ci95_low,ci95_high,share_met,\
         first_year_met_mean,first_year_met_min,first_year_met_max,direction,n,first_year_met_n,\
         first_year_met_by_year"
    );
    let row: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(
        &row[..8],
        &[
            "a",
            "t2026",
            "2026",
            "delivered_teu",
            "corridor",
            "corridor",
            "11.5",
            "11.5"
        ]
    );
    assert_eq!(
        &row[10..],
        &[
            "0.5", "2026", "2026", "2026", "at_least", "4", "2", "2026:2"
        ]
    );

    let cmp = fs::read_to_string(dir.join("comparison.csv")).unwrap();
    assert!(cmp.starts_with(
        "scenario_a,scenario_b,year,metric,subject_kind,subject,mean_a,mean_b,mean_diff,ci95_low,ci95_high,n\n"
    ));
    assert!(
        cmp.contains("\na,b,2026,delivered_teu,corridor,corridor,11.5,15,3.5,"),
        "{cmp}"
    );

    let summary = fs::read_to_string(dir.join("summary.csv")).unwrap();
    // a's 2026 values 10..13: mean 11.5, sd sqrt(5/3).
    // Statistics are written to 12 significant digits.
    let sd = corridor::output::csv::round_stat((5.0f64 / 3.0).sqrt());
    assert!(
        summary.contains(&format!(
            "\na,2026,delivered_teu,corridor,corridor,11.5,{sd},"
        )),
        "{summary}"
    );

    let json: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap();
    assert_eq!(json["program_version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(json["scenarios"][1]["scenario_hash"], "hb");
    assert_eq!(json["scenarios"][1]["replications"], 4);
    assert_eq!(json["scenarios"][0]["targets"][0]["share_met"], 0.5);
    assert_eq!(json["comparisons"][0]["rows"][1]["mean_diff"], 3.5);
}

#[test]
fn single_replication_leaves_interval_cells_empty() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("out");
    study::run_jobs(&[job("one", 0.0, false, 1)], &opts(&dir, 1), &quiet).unwrap();
    let summary = fs::read_to_string(dir.join("summary.csv")).unwrap();
    // mean present; sd, ci95_low, ci95_high empty; n = 1.
    let line = summary
        .lines()
        .find(|l| l.contains(",delivered_teu,corridor,corridor,"))
        .unwrap();
    assert!(line.ends_with(",,,,1"), "{line}");
    // transit 2025 of replication 0 is NaN: an empty value in replications.csv.
    let reps = fs::read_to_string(dir.join("replications.csv")).unwrap();
    assert!(
        reps.contains("\none,0,2025,transit_days_mean,corridor,corridor,\n"),
        "{reps}"
    );
    let json = fs::read_to_string(dir.join("summary.json")).unwrap();
    assert!(json.contains("\"sd\": null"));
}

#[test]
fn sweep_grid_runs_in_order_and_merges() {
    let axes = vec![
        parse_set("nodes.aktau.cranes=2,4").unwrap(),
        parse_set("links.aktau-alat.sea.fleet.feeder.count=1:3:1").unwrap(),
    ];
    let points = grid(&axes);
    let names: Vec<String> = points.iter().map(|p| sweep_name("base", p)).collect();
    assert_eq!(
        names,
        vec![
            "base[nodes.aktau.cranes=2,links.aktau-alat.sea.fleet.feeder.count=1]",
            "base[nodes.aktau.cranes=2,links.aktau-alat.sea.fleet.feeder.count=2]",
            "base[nodes.aktau.cranes=2,links.aktau-alat.sea.fleet.feeder.count=3]",
            "base[nodes.aktau.cranes=4,links.aktau-alat.sea.fleet.feeder.count=1]",
            "base[nodes.aktau.cranes=4,links.aktau-alat.sea.fleet.feeder.count=2]",
            "base[nodes.aktau.cranes=4,links.aktau-alat.sea.fleet.feeder.count=3]",
        ]
    );
    let jobs: Vec<Job> = points
        .iter()
        .zip(&names)
        .map(|(p, n)| job(n, p[0].1 * 10.0 + p[1].1, false, 3))
        .collect();
    let tmp = tempfile::tempdir().unwrap();
    let full = tmp.path().join("full");
    let o = BatchOptions {
        sweep: points.clone(),
        ..opts(&full, 2)
    };
    study::run_jobs(&jobs, &o, &quiet).unwrap();
    assert!(!full.join("comparison.csv").exists());
    let sweep = fs::read_to_string(full.join("sweep.csv")).unwrap();
    let mut lines = sweep.lines();
    assert_eq!(
        lines.next().unwrap(),
        "nodes.aktau.cranes,links.aktau-alat.sea.fleet.feeder.count,scenario,year,metric,subject_kind,subject,mean,ci95_low,ci95_high,n"
    );
    let firsts: Vec<(String, String)> = sweep
        .lines()
        .skip(1)
        .map(|l| {
            let c: Vec<&str> = l.splitn(3, ',').collect();
            (c[0].to_string(), c[1].to_string())
        })
        .collect();
    let mut order = firsts.clone();
    order.dedup();
    assert_eq!(
        order,
        vec![
            ("2", "1"),
            ("2", "2"),
            ("2", "3"),
            ("4", "1"),
            ("4", "2"),
            ("4", "3")
        ]
        .into_iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect::<Vec<_>>()
    );

    let mut shards = Vec::new();
    for k in 0..2 {
        let d = tmp.path().join(format!("s{k}"));
        let o = BatchOptions {
            sweep: points.clone(),
            shard: Some(Shard::new(k, 2).unwrap()),
            ..opts(&d, 1)
        };
        study::run_jobs(&jobs, &o, &quiet).unwrap();
        shards.push(d);
    }
    let merged = tmp.path().join("merged");
    study::merge(&shards, &merged, &MergeOptions::default()).unwrap();
    assert_same_tree(&full, &merged);

    // A sweep with the wrong number of points is refused.
    let o = BatchOptions {
        sweep: points[..2].to_vec(),
        ..BatchOptions::default()
    };
    assert!(matches!(
        study::run_jobs(&jobs, &o, &quiet),
        Err(StudyError::Batch(BatchError::InvalidOptions(_)))
    ));
}

#[test]
fn progress_reports_every_item_once() {
    let jobs = two_jobs(7);
    let count = AtomicU64::new(0);
    let max_done = AtomicU64::new(0);
    let planned = AtomicU64::new(0);
    let cb = |e: ProgressEvent| match e {
        ProgressEvent::Planned { items } => planned.store(items, Ordering::SeqCst),
        ProgressEvent::Replication { done, items, .. } => {
            assert_eq!(items, 5); // 14 items, shard 1/3 takes 1, 4, 7, 10, 13
            count.fetch_add(1, Ordering::SeqCst);
            max_done.fetch_max(done, Ordering::SeqCst);
        }
        _ => {}
    };
    let o = BatchOptions {
        jobs_threads: 3,
        shard: Some(Shard::parse("1/3").unwrap()),
        ..BatchOptions::default()
    };
    let r = study::run_jobs(&jobs, &o, &cb).unwrap();
    assert_eq!(planned.load(Ordering::SeqCst), 5);
    assert_eq!(count.load(Ordering::SeqCst), 5);
    assert_eq!(max_done.load(Ordering::SeqCst), 5);
    let base: Vec<u64> = r.jobs[0].runs.iter().map(|r| r.replication).collect();
    let alt: Vec<u64> = r.jobs[1].runs.iter().map(|r| r.replication).collect();
    assert_eq!((base, alt), (vec![1, 4], vec![0, 3, 6]));
}

#[test]
fn paired_is_narrower_than_unpaired_for_crn_runs() {
    let a: Vec<RunResult> = (0..20)
        .map(|r| {
            Mock {
                seed: 3,
                shift: 0.0,
                sleep: false,
            }
            .run_replication(r)
        })
        .collect();
    let b: Vec<RunResult> = (0..20)
        .map(|r| {
            Mock {
                seed: 3,
                shift: 1.0,
                sleep: false,
            }
            .run_replication(r)
        })
        .collect();
    let p = analysis::paired_difference(&a, &b);
    let u = analysis::unpaired_difference(&a, &b);
    let pick = |m: &str| {
        (
            p.iter()
                .find(|d| d.metric.name() == m && d.year == 2026)
                .unwrap(),
            u.iter()
                .find(|d| d.metric.name() == m && d.year == 2026)
                .unwrap(),
        )
    };
    let (pd, ud) = pick("delivered_teu");
    assert!(pd.ci95_high - pd.ci95_low < 1e-9);
    assert!(ud.ci95_high - ud.ci95_low > 10.0);
    assert!(ud.ci95_low < 1.0 && 1.0 < ud.ci95_high);
}

#[test]
fn resumed_shard_removes_stale_summaries() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("out");
    study::run_jobs(&two_jobs(4), &opts(&dir, 1), &quiet).unwrap();
    assert!(dir.join("summary.csv").exists());
    let o = BatchOptions {
        resume: true,
        shard: Some(Shard::new(0, 2).unwrap()),
        ..opts(&dir, 1)
    };
    let r = study::run_jobs(&two_jobs(4), &o, &quiet).unwrap();
    assert_eq!((r.replications_resumed, r.replications_run), (4, 0));
    assert!(!dir.join("summary.csv").exists() && !dir.join("comparison.csv").exists());
    // Resuming the whole batch again rebuilds them without simulating anything.
    let o = BatchOptions {
        resume: true,
        ..opts(&dir, 1)
    };
    let r = study::run_jobs(&two_jobs(4), &o, &quiet).unwrap();
    assert_eq!(r.replications_run, 0);
    assert!(dir.join("summary.csv").exists());
}
