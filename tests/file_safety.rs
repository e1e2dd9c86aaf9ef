//! Output folders that are safe to share (issue 16): the `corridor` binary on real
//! folders, with real concurrent processes and real signals. A run never deletes or
//! replaces a file it did not write; a scenario cannot send results outside `results/`; two
//! runs never mix in one folder; `--resume` never destroys another run; SIGTERM is handled
//! like Ctrl-C; what a kill leaves behind is cleaned up, and a half-written summary set is
//! never taken for a complete one. Each test failed before the fix it guards.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The binary, run from the crate root, with the shard variables removed (see tests/cli.rs).
fn corridor() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_corridor"));
    c.current_dir(ROOT).stdin(Stdio::null());
    for v in [
        "CORRIDOR_SHARD",
        "CORRIDOR_SHARD_COUNT",
        "SLURM_ARRAY_TASK_ID",
        "SLURM_ARRAY_TASK_COUNT",
        "JOB_COMPLETION_INDEX",
    ] {
        c.env_remove(v);
    }
    c
}

fn run(args: &[&str]) -> Output {
    corridor().args(args).output().expect("the binary starts")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn s(p: &Path) -> &str {
    p.to_str().expect("UTF-8 temp paths")
}

#[track_caller]
fn assert_exit(o: &Output, code: i32) {
    assert_eq!(
        o.status.code(),
        Some(code),
        "--- stdout\n{}\n--- stderr\n{}",
        text(&o.stdout),
        text(&o.stderr)
    );
}

fn quick(out: &Path, extra: &[&str]) -> Output {
    let mut a = vec![
        "run",
        "scenarios/mmc-station.toml",
        "--reps",
        "2",
        "--out",
        s(out),
        "-q",
    ];
    a.extend_from_slice(extra);
    run(&a)
}

fn reps_in(dir: &Path) -> usize {
    fs::read_dir(dir).map_or(0, |d| {
        d.filter_map(Result::ok)
            .filter(|e| {
                let n = e.file_name();
                let n = n.to_string_lossy();
                n.starts_with("rep-") && n.ends_with(".json")
            })
            .count()
    })
}

/// Waits until `dir` holds at least `n` persisted replications.
fn wait_for_reps(child: &mut Child, dir: &Path, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while reps_in(dir) < n {
        if let Some(st) = child.try_wait().unwrap() {
            panic!("the run ended ({st}) too early");
        }
        assert!(Instant::now() < deadline, "no replication after 120 s");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn all_files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    fn walk(root: &Path, d: &Path, out: &mut Vec<(PathBuf, Vec<u8>)>) {
        for e in fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                out.push((p.strip_prefix(root).unwrap().into(), fs::read(&p).unwrap()));
            }
        }
    }
    let mut v = Vec::new();
    walk(dir, dir, &mut v);
    v.sort();
    v
}

// ---- 1. a run deletes nothing it did not write ----------------------------------------

#[test]
fn files_corridor_did_not_write_survive_run_and_force() {
    let tmp = TempDir::new().unwrap();
    let out = tmp.path().join("x");
    fs::create_dir_all(out.join("plots")).unwrap();
    fs::write(out.join("plots/mine.png"), "f").unwrap();
    assert_exit(&quick(&out, &[]), 0);
    assert_eq!(fs::read(out.join("plots/mine.png")).unwrap(), b"f");
    assert!(out.join("plots/throughput.png").is_file());

    // --force replaces the run's own files, charts included, and nothing else.
    assert_exit(&quick(&out, &["--force"]), 0);
    assert_eq!(fs::read(out.join("plots/mine.png")).unwrap(), b"f");
    assert!(out.join("plots/throughput.png").is_file());

    // A summary edited by hand is no longer provably corridor's: even --force keeps it.
    fs::write(out.join("summary.csv"), "my edits").unwrap();
    let o = quick(&out, &["--force"]);
    assert_exit(&o, 2);
    assert!(
        text(&o.stderr).contains("summary.csv"),
        "{}",
        text(&o.stderr)
    );
    assert_eq!(fs::read(out.join("summary.csv")).unwrap(), b"my edits");

    // A chart of the user's under a name corridor would write is not overwritten either.
    let other = tmp.path().join("y");
    fs::create_dir_all(other.join("plots")).unwrap();
    fs::write(other.join("plots/throughput.png"), "mine").unwrap();
    let o = quick(&other, &[]);
    assert_ne!(o.status.code(), Some(0));
    assert!(
        text(&o.stderr).contains("throughput.png"),
        "{}",
        text(&o.stderr)
    );
    assert_eq!(
        fs::read(other.join("plots/throughput.png")).unwrap(),
        b"mine"
    );

    // A folder holding a report of the user's is refused up front, untouched.
    let third = tmp.path().join("z");
    fs::create_dir_all(&third).unwrap();
    fs::write(third.join("report.md"), "my report").unwrap();
    let o = quick(&third, &[]);
    assert_exit(&o, 2);
    assert_eq!(fs::read(third.join("report.md")).unwrap(), b"my report");
    assert!(!third.join("batch.json").exists());
}

// ---- 2. names that become paths --------------------------------------------------------

#[test]
fn run_names_that_would_escape_results_are_refused() {
    let tmp = TempDir::new().unwrap();
    let base = fs::read_to_string(Path::new(ROOT).join("scenarios/mmc-station.toml")).unwrap();
    let long = "n".repeat(300);
    for name in ["..", ".", "a/b", "../../etc", "x y", long.as_str()] {
        let file = tmp.path().join("s.toml");
        fs::write(
            &file,
            base.replace("name = \"mmc-station\"", &format!("name = \"{name}\"")),
        )
        .unwrap();
        let o = run(&["check", s(&file)]);
        assert_exit(&o, 2);
        let err = text(&o.stderr);
        assert!(
            err.contains("run.name") && err.contains(":13:"),
            "{name}: {err}"
        );
        // And `run` without --out, from a folder holding the user's own files, writes
        // nothing anywhere.
        let cwd = tmp.path().join("work");
        fs::create_dir_all(&cwd).unwrap();
        fs::write(cwd.join("report.md"), "mine").unwrap();
        let o = corridor()
            .current_dir(&cwd)
            .args(["run", s(&file), "--reps", "1", "-q"])
            .output()
            .unwrap();
        assert_exit(&o, 2);
        assert_eq!(fs::read(cwd.join("report.md")).unwrap(), b"mine");
        assert_eq!(fs::read_dir(&cwd).unwrap().count(), 1, "{name}");
    }
}

// ---- 3. two runs into one folder -------------------------------------------------------

#[test]
fn a_second_run_into_a_busy_folder_is_refused() {
    let tmp = TempDir::new().unwrap();
    let out = tmp.path().join("shared");
    let mut first = corridor()
        .args([
            "run",
            "scenarios/baseline-2025.toml",
            "--reps",
            "30",
            "-j",
            "1",
        ])
        .args(["--seed", "1", "--out", s(&out), "-q", "--no-plots"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_reps(&mut first, &out.join(".replications/baseline-2025"), 1);
    for extra in [&[][..], &["--resume"][..], &["--force"][..]] {
        let o = corridor()
            .args(["run", "scenarios/baseline-2025.toml", "--reps", "30"])
            .args(["--seed", "2", "--out", s(&out), "-q", "--no-plots"])
            .args(extra)
            .output()
            .unwrap();
        assert_exit(&o, 2);
        assert!(
            text(&o.stderr).contains("in use by another corridor process"),
            "{}",
            text(&o.stderr)
        );
    }
    let o = first.wait_with_output().unwrap();
    assert_exit(&o, 0);
    // The folder holds one run only: seed 1 in the manifest and in the summary.
    let manifest = fs::read_to_string(out.join("batch.json")).unwrap();
    let summary = fs::read_to_string(out.join("summary.json")).unwrap();
    for doc in [&manifest, &summary] {
        let v: serde_json::Value = serde_json::from_str(doc).unwrap();
        let seed = v["jobs"][0]["seed"]
            .as_u64()
            .or(v["scenarios"][0]["seed"].as_u64());
        assert_eq!(seed, Some(1), "{doc}");
    }
    assert_eq!(reps_in(&out.join(".replications/baseline-2025")), 30);
    // A merge does not read a folder a run is writing either.
    let mut shard = corridor()
        .args([
            "run",
            "scenarios/baseline-2025.toml",
            "--reps",
            "30",
            "-j",
            "1",
        ])
        .args(["--shard", "0/2", "--out", s(&tmp.path().join("s0")), "-q"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for_reps(
        &mut shard,
        &tmp.path().join("s0/.replications/baseline-2025"),
        1,
    );
    let o = run(&[
        "merge",
        s(&tmp.path().join("s0")),
        "--out",
        s(&tmp.path().join("m")),
    ]);
    assert_exit(&o, 2);
    assert!(text(&o.stderr).contains("in use"), "{}", text(&o.stderr));
    assert!(shard.wait().unwrap().success());
}

// ---- 4. a mistaken --resume -----------------------------------------------------------

#[test]
fn resume_with_another_seed_or_plan_is_refused_and_notes_are_always_printed() {
    let tmp = TempDir::new().unwrap();
    let out = tmp.path().join("done");
    let args = |extra: &[&str]| {
        let mut a = vec![
            "run",
            "scenarios/mmc-station.toml",
            "--out",
            s(&out),
            "-q",
            "--no-plots",
        ];
        a.extend_from_slice(extra);
        a.into_iter().map(String::from).collect::<Vec<_>>()
    };
    let go = |extra: &[&str]| corridor().args(args(extra)).output().unwrap();
    assert_exit(&go(&["--reps", "12"]), 0);
    let before = all_files(&out);
    for (extra, says) in [
        (&["--reps", "12", "--resume", "--seed", "5"][..], "seed"),
        (&["--reps", "13", "--resume"][..], "replications"),
    ] {
        let o = go(extra);
        assert_exit(&o, 2);
        let err = text(&o.stderr);
        assert!(err.contains(says) && err.contains("--force"), "{err}");
        assert!(
            before == all_files(&out),
            "a refused --resume changed the folder"
        );
    }
    // A torn replication is run again, and the note says so even though stderr is a pipe
    // and --quiet is given.
    let rep = out.join(".replications/mmc-station/rep-000003.json");
    fs::write(&rep, "{\"format\":").unwrap();
    let o = go(&["--reps", "12", "--resume"]);
    assert_exit(&o, 0);
    assert!(
        text(&o.stderr).contains("note: replication 3 of mmc-station is run again"),
        "{}",
        text(&o.stderr)
    );
}

// ---- 5. limits refused up front -------------------------------------------------------

#[test]
fn limits_are_refused_up_front_and_quickly() {
    let tmp = TempDir::new().unwrap();
    let started = Instant::now();
    let o = quick(&tmp.path().join("j"), &["--jobs", "1000000000"]);
    assert_exit(&o, 2);
    assert!(text(&o.stderr).contains("per core"), "{}", text(&o.stderr));
    assert!(
        !tmp.path().join("j").exists(),
        "refused input created a folder"
    );
    let o = corridor()
        .args([
            "run",
            "scenarios/mmc-station.toml",
            "--reps",
            "1",
            "-q",
            "--no-plots",
        ])
        .args(["--out", s(&tmp.path().join("r"))])
        .env("RAYON_NUM_THREADS", "1000000000")
        .output()
        .unwrap();
    assert_exit(&o, 2);
    assert!(
        text(&o.stderr).contains("RAYON_NUM_THREADS"),
        "{}",
        text(&o.stderr)
    );
    assert!(!tmp.path().join("r").exists());
    let o = run(&[
        "sweep",
        "scenarios/mmc-station.toml",
        "--set",
        "nodes.station.cranes=1:1000:1",
        "--set",
        "nodes.station.yard_capacity_teu=1001:2000:1",
        "--out",
        s(&tmp.path().join("g")),
        "-q",
    ]);
    assert_exit(&o, 2);
    assert!(text(&o.stderr).contains("10000"), "{}", text(&o.stderr));
    assert!(!tmp.path().join("g").exists());
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
}

// ---- 6. SIGTERM and what a kill leaves ------------------------------------------------

#[test]
fn sigterm_stops_cleanly_exits_143_and_resumes() {
    let tmp = TempDir::new().unwrap();
    let out = tmp.path().join("term");
    let reps_dir = out.join(".replications/baseline-2025");
    let mut child = corridor()
        .args([
            "run",
            "scenarios/baseline-2025.toml",
            "--reps",
            "200",
            "-j",
            "1",
        ])
        .args(["--out", s(&out), "-q", "--no-plots"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_reps(&mut child, &reps_dir, 2);
    let st = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(st.success());
    let o = child.wait_with_output().unwrap();
    assert_exit(&o, 143);
    let err = text(&o.stderr);
    assert!(err.contains("SIGTERM") && err.contains("--resume"), "{err}");
    let kept = reps_in(&reps_dir);
    assert!((2..200).contains(&kept), "{kept}");
    let o = corridor()
        .args(["run", "scenarios/baseline-2025.toml", "--reps", "200"])
        .args(["--out", s(&out), "-q", "--no-plots", "--resume"])
        .output()
        .unwrap();
    assert_exit(&o, 0);
    assert_eq!(reps_in(&reps_dir), 200);
}

#[test]
fn stale_temporaries_are_cleaned_and_a_half_summary_set_is_not_complete() {
    let tmp = TempDir::new().unwrap();
    let out = tmp.path().join("k");
    assert_exit(&quick(&out, &[]), 0);
    // What a kill during the final writes leaves: temporaries, and summary.csv without
    // summary.json nor the marker.
    let stale = [
        out.join(".summary.json.tmp-999999-3"),
        out.join(".replications/mmc-station/.rep-000001.json.tmp-999999-0"),
        out.join("plots/.throughput.png.tmp-999999-7"),
    ];
    for p in &stale {
        fs::write(p, "partial").unwrap();
    }
    fs::remove_file(out.join("summary.json")).unwrap();
    // (Absent before the marker existed, when this folder counted as complete.)
    let _ = fs::remove_file(out.join("files.json"));
    let o = run(&["plot", s(&out)]);
    assert_exit(&o, 2);
    assert!(text(&o.stderr).contains("--resume"), "{}", text(&o.stderr));
    // The next run (here --force) cleans every temporary and rewrites a complete set.
    assert_exit(&quick(&out, &["--force"]), 0);
    for p in &stale {
        assert!(!p.exists(), "{} was left", p.display());
    }
    assert!(out.join("summary.json").is_file() && out.join("files.json").is_file());
    assert_exit(&run(&["plot", s(&out)]), 0);
    // A summary changed after the run no longer matches the marker.
    fs::write(out.join("targets.csv"), "x").unwrap();
    assert_exit(&run(&["plot", s(&out)]), 2);
}

// ---- 7. smaller ones ------------------------------------------------------------------

#[cfg(unix)]
#[test]
fn fifo_scenarios_and_bases_are_refused_not_waited_on() {
    let tmp = TempDir::new().unwrap();
    let fifo = tmp.path().join("pipe.toml");
    let st = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(st.success());
    let child = tmp.path().join("child.toml");
    fs::write(
        &child,
        format!(
            "extends = \"{}\"\n[run]\nname = \"c\"\nfirst_year = 2025\nlast_year = 2025\n",
            s(&fifo)
        ),
    )
    .unwrap();
    for f in [&fifo, &child] {
        let started = Instant::now();
        let mut c = corridor()
            .args(["check", s(f)])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        let status = loop {
            if let Some(st) = c.try_wait().unwrap() {
                break st;
            }
            if Instant::now() > deadline {
                let _ = c.kill();
                panic!("`check {}` still waits on the FIFO after 20 s", f.display());
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let o = c.wait_with_output().unwrap();
        assert_eq!(status.code(), Some(2), "{}", text(&o.stderr));
        assert!(
            text(&o.stderr).contains("not a regular file"),
            "{}",
            text(&o.stderr)
        );
        assert!(started.elapsed() < Duration::from_secs(20));
    }
}

#[test]
fn merge_refusals_exit_2_and_a_dangling_out_link_is_named() {
    let tmp = TempDir::new().unwrap();
    let o = run(&[
        "merge",
        s(&tmp.path().join("no-such-folder")),
        "--out",
        s(&tmp.path().join("m")),
    ]);
    assert_exit(&o, 2);
    #[cfg(unix)]
    {
        let link = tmp.path().join("dangling");
        std::os::unix::fs::symlink(tmp.path().join("nowhere"), &link).unwrap();
        let o = quick(&link, &[]);
        assert_exit(&o, 2);
        let err = text(&o.stderr);
        assert!(
            err.contains("symbolic link") && err.contains("nowhere"),
            "{err}"
        );
    }
}

#[test]
fn cli_seed_has_the_scenario_seed_bounds() {
    let tmp = TempDir::new().unwrap();
    let o = quick(&tmp.path().join("a"), &["--seed", "9223372036854775808"]);
    assert_exit(&o, 2);
    assert!(text(&o.stderr).contains("9223372036854775807"));
    assert_exit(
        &quick(
            &tmp.path().join("b"),
            &["--seed", "9223372036854775807", "--no-plots"],
        ),
        0,
    );
}

#[test]
fn a_sweep_with_many_long_axes_runs() {
    let tmp = TempDir::new().unwrap();
    let out = tmp.path().join("sw");
    let o = run(&[
        "sweep",
        "scenarios/mmc-station.toml",
        "--set",
        "nodes.station.handling_scale=1.00000000000001",
        "--set",
        "nodes.station.dwell_scale=1.00000000000001",
        "--set",
        "nodes.station.yard_capacity_teu=1000000.00000001",
        "--set",
        "links.station-sink.rail.max_wait_hours=1.00000000000001",
        "--set",
        "links.station-sink.rail.timetable_hours=1.00000000000001",
        "--set",
        "links.station-sink.rail.train_capacity_teu=1.00000000000001",
        "--reps",
        "1",
        "--out",
        s(&out),
        "-q",
    ]);
    assert_exit(&o, 0);
    assert!(out.join("sweep.csv").is_file());
}
